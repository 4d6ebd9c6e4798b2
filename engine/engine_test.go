package engine_test

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/engine"
)

// A BatchError says how many were refused, and matches each reason.
func TestBatchError(t *testing.T) {
	full := errors.Join(engine.ErrQueueFull, context.DeadlineExceeded)
	err := error(&engine.BatchError{Errs: []error{nil, full, nil, engine.ErrClosed}})
	require.ErrorIs(t, err, engine.ErrQueueFull)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.ErrorIs(t, err, engine.ErrClosed)
	require.EqualError(t, err, "engine: 2 of 4 deliveries not queued: "+full.Error())
}

func TestOutcomeNames(t *testing.T) {
	for o, want := range map[engine.Outcome]string{
		engine.Done: "done", engine.Retry: "retry", engine.Held: "held", engine.Interrupted: "interrupted", 9: "Outcome(9)",
	} {
		require.Equal(t, want, o.String())
	}
	require.Equal(t, engine.Done, engine.Result{}.Outcome, "the zero Result ends a delivery")
}
