package riverengine_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"github.com/outhook/outhook/accessrequest"
	"github.com/outhook/outhook/event"
	"github.com/outhook/outhook/riverengine"
	"github.com/outhook/outhook/webhook"
)

// BenchmarkPublishTx measures publishing one event of 2.2 KB (Apono's
// RequestCreated, as test.event) in the caller's transaction to 1, 10 and
// 100 matching webhooks, commit included, on a publish-only instance (no
// worker competes for the database). The anchors, in the same run: the
// same transaction with no webhook matching (its begin and commit), and
// River's own batch insert (InsertManyTx) of 100 jobs carrying what a
// delivery job carried before the event row: the event each.
//
//	go test -run '^$' -bench PublishTx -benchtime 2000x
func BenchmarkPublishTx(b *testing.B) {
	url := needPostgres(b)
	ev := bigEvent(b)
	b.Run("anchor=river-insert-many/jobs=100", func(b *testing.B) {
		pool := newPool(b, url)
		ctx := context.Background()
		if err := riverengine.Migrate(ctx, pool); err != nil {
			b.Fatal(err)
		}
		client, err := river.NewClient(riverpgxv5.New(pool), &river.Config{})
		if err != nil {
			b.Fatal(err)
		}
		params := make([]river.InsertManyParams, 100)
		for i := range params {
			params[i] = river.InsertManyParams{Args: anchorArgs{
				DeliveryID: fmt.Sprintf("d-%d", i), WebhookID: fmt.Sprintf("hook%d", i), Event: string(ev.JSON()),
				Created: time.Now(), Concurrency: 16, DefinitionVersion: 1,
			}, InsertOpts: &river.InsertOpts{Queue: riverengine.DefaultQueue, MaxAttempts: 32767}}
		}
		b.ReportAllocs()
		for b.Loop() {
			if err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
				_, err := client.InsertManyTx(ctx, tx, params)
				return err
			}); err != nil {
				b.Fatal(err)
			}
		}
	})
	for _, n := range []int{0, 1, 10, 100} {
		name := fmt.Sprintf("hooks=%d", n)
		if n == 0 {
			name = "anchor=empty-tx"
		}
		b.Run(name, func(b *testing.B) {
			pool, eng := newPostgresEngine(b, url, riverengine.WithPublishOnly())
			d, err := webhook.New(dispatcherOptions(eng)...)
			if err != nil {
				b.Fatal(err)
			}
			defer d.Close(context.Background())
			for i := range n {
				if _, err := d.Add(hook(fmt.Sprintf("hook%d", i), "http://127.0.0.1:1")); err != nil {
					b.Fatal(err)
				}
			}
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				tx, err := pool.Begin(ctx)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := d.PublishTx(ctx, tx, ev); err != nil {
					b.Fatal(err)
				}
				if err := tx.Commit(ctx); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// anchorArgs has the shape of a delivery job's arguments carrying its
// event, under a kind of its own.
type anchorArgs struct {
	DeliveryID        string    `json:"delivery_id"`
	WebhookID         string    `json:"webhook_id"`
	Event             string    `json:"event"`
	Created           time.Time `json:"created"`
	Concurrency       int       `json:"concurrency,omitempty"`
	DefinitionVersion uint64    `json:"definition_version,omitempty"`
}

func (anchorArgs) Kind() string { return "outhook_bench_anchor" }

// bigEvent returns Apono's RequestCreated mock, 2.2 KB once compacted, as a test.event.
func bigEvent(t testing.TB) *event.Event {
	mock, ok := accessrequest.Mock(accessrequest.Created)
	if !ok {
		t.Fatal("no RequestCreated mock")
	}
	var doc map[string]any
	if err := json.Unmarshal(mock.JSON(), &doc); err != nil {
		t.Fatal(err)
	}
	doc["event_type"], doc["event_id"] = string(testEvent), "e-big"
	raw, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	ev, err := event.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return ev
}
