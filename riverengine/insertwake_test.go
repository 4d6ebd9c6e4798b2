package riverengine_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/riverengine"
	"github.com/outhook/outhook/webhook"
)

// River notifies an insert only when its last notification for the queue
// is a fetch cooldown old, and sends none later for those it skipped: a
// delivery published within the cooldown after one that was fetched
// waited for the poll (a minute here; a second by default, the worst
// latencies at a steady rate). The engine notifies the queue two
// cooldowns after River's last notification: the delivery arrives then.
func TestSkippedInsertNotificationIsSentLater(t *testing.T) {
	const cooldown = 2 * time.Second
	url := needPostgres(t)
	_, eng := newPostgresEngine(t, url, riverengine.WithFetchCooldown(cooldown), riverengine.WithPollInterval(time.Minute))
	rc := newReceiver(t, 0, nil)
	d, err := webhook.New(dispatcherOptions(eng)...)
	require.NoError(t, err)
	closeDispatcher(t, d)
	_, err = d.Add(hook("wake", rc.URL))
	require.NoError(t, err)

	// River fetches once at start, which holds its fetches to one per
	// cooldown until then: an insert notified meanwhile waits for its end.
	time.Sleep(cooldown)

	first := time.Now()
	_, err = d.Publish(context.Background(), newEvent(t, 0))
	require.NoError(t, err)
	// Notified by River: fetched and delivered at once. The fetch is over
	// before the second delivery is published.
	eventually(t, cooldown, "the first delivery", func() bool { n, _ := rc.pairs(); return n == 1 })
	second := time.Now()
	_, err = d.Publish(context.Background(), newEvent(t, 1))
	require.NoError(t, err)
	require.Less(t, time.Since(first), cooldown, "the second insert came within River's cooldown, which skips its notification")
	eventually(t, 4*cooldown, "the second delivery", func() bool { n, _ := rc.pairs(); return n == 2 })
	t.Logf("second delivery %s after its Publish", time.Since(second).Round(time.Millisecond))
}
