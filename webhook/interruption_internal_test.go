package webhook

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// The record of an interrupted attempt says the engine is stopping only
// when its ctx was cancelled; a deadline says so, with the engine's cause
// when it gave one.
func TestInterruptionSaysWhatEndedTheRun(t *testing.T) {
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	past := time.Now().Add(-time.Second)
	plain, cancel := context.WithDeadline(context.Background(), past)
	defer cancel()
	caused, cancel := context.WithDeadlineCause(context.Background(), past, errors.New("the job's timeout"))
	defer cancel()
	for _, tc := range []struct {
		name string
		ctx  context.Context
		want string
	}{
		{"cancelled", cancelled, "the engine is stopping (context canceled)"},
		{"deadline", plain, "the engine's deadline for the run passed (context deadline exceeded)"},
		{"deadline with a cause", caused, "the engine's deadline for the run passed: the job's timeout"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, interruption(tc.ctx, tc.ctx.Err()))
		})
	}
}
