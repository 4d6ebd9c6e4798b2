package engine_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/outhook/outhook/accessrequest"
	"github.com/outhook/outhook/engine"
	"github.com/outhook/outhook/event"
	"github.com/outhook/outhook/webhook"
)

// stepEngine runs each delivery when the caller says so: the smallest
// engine, to show what a Runner's Result asks of one. A real engine keeps
// deliveries somewhere (a table, a broker) and runs them from workers.
type stepEngine struct {
	runner  engine.Runner
	pending []*engine.Delivery
}

func (e *stepEngine) Start(r engine.Runner) error { e.runner = r; return nil }

func (e *stepEngine) Enqueue(_ context.Context, tx engine.Tx, batch []*engine.Delivery) error {
	if tx != nil {
		return engine.ErrTxUnsupported
	}
	e.pending = append(e.pending, batch...)
	return nil
}

func (e *stepEngine) Stats(context.Context) (engine.Stats, error) {
	return engine.Stats{Depth: len(e.pending)}, nil
}

func (e *stepEngine) Close(context.Context) error { return nil }

// step runs every pending delivery once and keeps those due again.
func (e *stepEngine) step(ctx context.Context) {
	due := e.pending
	e.pending = nil
	for _, d := range due {
		res := e.runner.Run(ctx, d)
		fmt.Printf("%s after %d attempt(s)\n", res.Outcome, d.Attempts)
		switch res.Outcome {
		case engine.Retry, engine.Held:
			e.pending = append(e.pending, d) // a real engine waits res.Delay
		case engine.Interrupted:
			e.runner.Abandon(d, engine.ErrClosed) // or keep it for later
		}
	}
}

func Example() {
	calls := 0
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		if calls++; calls == 1 {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	}))
	defer receiver.Close()

	eng := &stepEngine{}
	d, err := webhook.New(webhook.WithEngine(eng),
		webhook.WithURLPolicy(webhook.URLPolicy{AllowHTTP: true, AllowCustomPorts: true}),
		webhook.WithAllowedTargets("127.0.0.1"),
		webhook.WithRetryPolicy(webhook.RetryPolicy{InitialInterval: webhook.Duration(time.Millisecond)}))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer d.Close(context.Background())
	if _, err := d.Add(webhook.Webhook{Name: "audit", Active: true, URL: receiver.URL,
		Triggers: []event.Trigger{accessrequest.Created}}); err != nil {
		fmt.Println(err)
		return
	}
	e, _ := accessrequest.Mock(accessrequest.Created)
	if _, err := d.Publish(context.Background(), e); err != nil {
		fmt.Println(err)
		return
	}
	eng.step(context.Background()) // 503: retry
	eng.step(context.Background()) // 200: done
	// Output:
	// retry after 1 attempt(s)
	// done after 2 attempt(s)
}
