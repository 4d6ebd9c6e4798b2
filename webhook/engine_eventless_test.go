package webhook_test

import (
	"context"
	"encoding/json"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/accessrequest"
	"github.com/outhook/outhook/engine"
	"github.com/outhook/outhook/event"
	"github.com/outhook/outhook/webhook"
	"github.com/outhook/outhook/webhooktest"
)

// rowEngine is a third engine that keeps each delivery as JSON, as a
// durable engine keeps a row, and rebuilds it to run it.
type rowEngine struct {
	mu     sync.Mutex
	runner engine.Runner
	rows   [][]byte
}

func (e *rowEngine) Start(r engine.Runner) error { e.runner = r; return nil }
func (e *rowEngine) Enqueue(_ context.Context, _ engine.Tx, batch []*engine.Delivery) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, d := range batch {
		row, err := json.Marshal(d)
		if err != nil {
			return err
		}
		e.rows = append(e.rows, row)
	}
	return nil
}
func (e *rowEngine) Stats(context.Context) (engine.Stats, error) { return engine.Stats{}, nil }
func (e *rowEngine) Close(context.Context) error                 { return nil }

// row rebuilds the i-th delivery queued.
func (e *rowEngine) row(t *testing.T, i int) *engine.Delivery {
	e.mu.Lock()
	defer e.mu.Unlock()
	var d engine.Delivery
	require.NoError(t, json.Unmarshal(e.rows[i], &d))
	return &d
}

// A delivery an engine hands back without its event (a row whose event
// did not decode, or was lost) can be neither sent nor kept as a dead
// letter: Run ends it, recorded as failed, rather than panic in the
// engine's worker, which would crash the service at every restart on
// the same row. Abandon takes such a delivery, and a nil reason, too.
func TestRunnerTakesADeliveryWithoutItsEvent(t *testing.T) {
	r := webhooktest.NewReceiver()
	defer r.Close()
	eng := &rowEngine{}
	d := webhooktest.NewDispatcher(t, webhook.WithEngine(eng))
	w, err := d.Add(webhook.Webhook{Name: "a", Active: true, URL: r.URL, Triggers: []event.Trigger{accessrequest.Created}})
	require.NoError(t, err)
	e, err := event.New(accessrequest.Created, map[string]any{"x": 1}, event.WithID("e1"))
	require.NoError(t, err)
	// One event id, one webhook: the three deliveries share one id.
	for range 3 {
		_, err = d.Publish(context.Background(), e)
		require.NoError(t, err)
	}
	ctx := context.Background()

	lost := eng.row(t, 0)
	lost.Event = nil
	var res engine.Result
	require.NotPanics(t, func() { res = eng.runner.Run(ctx, lost) })
	require.Equal(t, engine.Done, res.Outcome)
	require.Empty(t, r.Requests(), "nothing to send")

	abandoned := eng.row(t, 1)
	abandoned.Event = &event.Event{} // as bad as none
	require.NotPanics(t, func() { eng.runner.Abandon(abandoned, context.Canceled) })

	noReason := eng.row(t, 2)
	noReason.ID = "no-reason"
	require.NotPanics(t, func() { eng.runner.Abandon(noReason, nil) })

	recs := d.Recorded()
	require.Len(t, recs, 3)
	for _, inv := range recs[:2] {
		require.Equal(t, webhook.Failed, inv.Outcome)
		require.Equal(t, w.ID, inv.WebhookID)
		require.Equal(t, lost.ID, inv.DeliveryID)
		require.Contains(t, inv.Reason, "without its event")
	}
	require.Contains(t, recs[1].Reason, "abandoned: context canceled")
	require.Equal(t, "no-reason", recs[2].DeliveryID)
	require.Contains(t, recs[2].Reason, "abandoned: the engine gave no reason")

	dls, err := d.DeadLetters(ctx, w.ID, 10)
	require.NoError(t, err)
	require.Len(t, dls, 1, "only the delivery with its event is kept to redeliver")
	require.Equal(t, "no-reason", dls[0].DeliveryID)
	require.Equal(t, "e1", dls[0].Event.ID())
}
