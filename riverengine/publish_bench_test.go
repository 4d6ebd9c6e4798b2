package riverengine_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/outhook/outhook/riverengine"
	"github.com/outhook/outhook/webhook"
)

// BenchmarkPublishTx measures publishing one event in the caller's
// transaction to 1, 10 and 100 matching webhooks, commit included, on a
// publish-only instance (no worker competes for the database). The anchor
// is the same transaction with no webhook matching: its begin and commit.
//
//	go test -run '^$' -bench PublishTx -benchtime 2000x
func BenchmarkPublishTx(b *testing.B) {
	url := needPostgres(b)
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
			ev := newEvent(b, 1)
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
