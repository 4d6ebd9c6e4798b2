package riverengine_test

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/riverengine"
	"github.com/outhook/outhook/webhook"
)

// A webhook whose timeout is not below WithRescueAfter has its attempts
// cut by River's job timeout, uncounted, and made again at once: the
// delivery never ends. The engine says so in its log, naming the job and
// the rescue time, rather than resending in silence.
func TestAttemptCutByTheRescueTimeIsLogged(t *testing.T) {
	var logs syncBuffer
	_, eng := newSQLiteEngine(t, riverengine.WithPollInterval(20*time.Millisecond), riverengine.WithRescueAfter(300*time.Millisecond),
		riverengine.WithLogger(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelWarn}))))
	rc := newReceiver(t, time.Minute, nil) // answers no attempt in time
	d, err := webhook.New(dispatcherOptions(eng)...)
	require.NoError(t, err)
	closeDispatcher(t, d)
	slow := hook("slow", rc.URL)
	slow.TimeoutInSec = 5
	_, err = d.Add(slow)
	require.NoError(t, err)
	_, err = d.Publish(context.Background(), newEvent(t, 1))
	require.NoError(t, err)
	eventually(t, 10*time.Second, "the warning", func() bool {
		return strings.Contains(logs.String(), "WithRescueAfter")
	})
	require.Contains(t, logs.String(), "rescue_after=300ms")
}
