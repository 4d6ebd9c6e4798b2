package riverengine_test

import (
	"context"
	"log"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/outhook/outhook/accessrequest"
	"github.com/outhook/outhook/event"
	"github.com/outhook/outhook/riverengine"
	"github.com/outhook/outhook/webhook"
)

// The setup of a service that must not lose a notification: migrate once,
// make the engine, hand it and its store to the Dispatcher, and publish in
// the same transaction as the change the event tells of.
func Example() {
	ctx := context.Background()
	// PoolConns(DefaultWorkers) connections: pgxpool's default starves the
	// engine.
	pool, err := pgxpool.New(ctx, "postgres://app@db.internal/app?pool_max_conns=35")
	if err != nil {
		log.Fatal(err)
	}
	defer pool.Close()
	if err := riverengine.Migrate(ctx, pool); err != nil { // at deploy time
		log.Fatal(err)
	}
	eng, err := riverengine.New(ctx, pool)
	if err != nil {
		log.Fatal(err)
	}
	d, err := webhook.New(webhook.WithEngine(eng)) // and eng's Store
	if err != nil {
		log.Fatal(err)
	}
	defer d.Close(ctx)
	// Every instance registers the same webhooks under the same IDs.
	if _, err := d.Add(webhook.Webhook{
		ID: "torq-prod", Name: "torq", Active: true, URL: "https://hooks.torq.io/v1/webhooks/abc",
		Triggers: []event.Trigger{accessrequest.Created},
	}); err != nil {
		log.Fatal(err)
	}

	tx, err := pool.Begin(ctx)
	if err != nil {
		log.Fatal(err)
	}
	defer tx.Rollback(ctx)
	// ... insert the access request with tx ...
	e, _ := accessrequest.Mock(accessrequest.Created)
	if _, err := d.PublishTx(ctx, tx, e); err != nil {
		log.Fatal(err)
	}
	if err := tx.Commit(ctx); err != nil { // the deliveries start now
		log.Fatal(err)
	}
}
