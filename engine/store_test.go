package engine_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/accessrequest"
	"github.com/outhook/outhook/engine"
	"github.com/outhook/outhook/event"
	"github.com/outhook/outhook/webhook"
)

// jsonEngine stores each delivery as encoding/json writes it, as an
// engine that keeps deliveries in a table or a broker does, and rebuilds
// it for each run.
type jsonEngine struct {
	runner engine.Runner
	rows   [][]byte
}

func (e *jsonEngine) Start(r engine.Runner) error { e.runner = r; return nil }

func (e *jsonEngine) Enqueue(_ context.Context, tx engine.Tx, batch []*engine.Delivery) error {
	if tx != nil {
		return engine.ErrTxUnsupported
	}
	for _, d := range batch {
		row, err := json.Marshal(d)
		if err != nil {
			return err
		}
		e.rows = append(e.rows, row)
	}
	return nil
}

func (e *jsonEngine) Stats(context.Context) (engine.Stats, error) {
	return engine.Stats{Depth: len(e.rows)}, nil
}

func (e *jsonEngine) Close(context.Context) error { return nil }

// step rebuilds and runs every stored delivery once, and stores again
// those due again.
func (e *jsonEngine) step(t *testing.T) []engine.Outcome {
	rows := e.rows
	e.rows = nil
	var outcomes []engine.Outcome
	for _, row := range rows {
		var d engine.Delivery
		require.NoError(t, json.Unmarshal(row, &d))
		res := e.runner.Run(context.Background(), &d)
		outcomes = append(outcomes, res.Outcome)
		if res.Outcome == engine.Retry || res.Outcome == engine.Held {
			again, err := json.Marshal(&d)
			require.NoError(t, err)
			e.rows = append(e.rows, again)
		}
	}
	return outcomes
}

// A delivery's exported fields are what an engine stores: encoded with
// encoding/json they hold the event and the settings, and nothing of the
// Runner's own state, and decoded they run as the original would.
func TestDeliveryStoredAsJSON(t *testing.T) {
	var mu sync.Mutex
	var ids []string
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		if ids = append(ids, r.Header.Get("webhook-id")); len(ids) == 1 {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	}))
	defer receiver.Close()

	eng := &jsonEngine{}
	d, err := webhook.New(webhook.WithEngine(eng),
		webhook.WithURLPolicy(webhook.URLPolicy{AllowHTTP: true, AllowCustomPorts: true}),
		webhook.WithAllowedTargets("127.0.0.1"),
		webhook.WithRetryPolicy(webhook.RetryPolicy{InitialInterval: webhook.Duration(time.Millisecond)}))
	require.NoError(t, err)
	defer d.Close(context.Background())
	hook, err := d.Add(webhook.Webhook{Name: "audit", Active: true, URL: receiver.URL,
		Secrets: map[string]string{"key": "s3cr3t-routing-key"}, BodyTemplate: `{"key":"{{secrets.key}}","who":"{{data.requester.name}}"}`,
		Triggers: []event.Trigger{accessrequest.Created}})
	require.NoError(t, err)
	e, _ := accessrequest.Mock(accessrequest.Created)
	_, err = d.Publish(context.Background(), e)
	require.NoError(t, err, "the engine stores the delivery")
	require.Len(t, eng.rows, 1)

	var row map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(eng.rows[0], &row))
	require.NotContains(t, row, "RunnerState", "the Runner's state is its own")
	require.NotContains(t, string(eng.rows[0]), "s3cr3t-routing-key")
	require.JSONEq(t, string(e.JSON()), string(row["Event"]))

	require.Equal(t, []engine.Outcome{engine.Retry}, eng.step(t))
	require.Equal(t, []engine.Outcome{engine.Done}, eng.step(t))
	mu.Lock()
	defer mu.Unlock()
	require.Len(t, ids, 2)
	require.Equal(t, ids[0], ids[1], "the same webhook-id on every attempt")
	recs, err := d.Invocations(context.Background(), hook.ID, 0)
	require.NoError(t, err)
	require.Equal(t, webhook.Delivered, recs[0].Outcome)
	require.Equal(t, 2, recs[0].Attempt)
}
