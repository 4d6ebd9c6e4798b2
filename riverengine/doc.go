// Package riverengine is Outhook's durable delivery engine: deliveries are
// River jobs in PostgreSQL (or, for a single node, SQLite), so they survive
// restarts, deploys and crashes, retries may wait longer than a process
// lives, and every instance of a service on the same database shares the
// work.
//
// It lives in its own Go module so that the core module keeps its few
// dependencies, and it uses nothing of the core's but the public engine
// contract (package engine) and webhook's record types. Set it up in
// three steps: migrate the database explicitly (Migrate; nothing is
// migrated implicitly), make an Engine, and hand it to webhook.New, which
// then keeps its records in the engine's Store too:
//
//	if err := riverengine.Migrate(ctx, pool); err != nil { ... }
//	eng, err := riverengine.New(ctx, pool)
//	d, err := webhook.New(webhook.WithEngine(eng))
//	_, err = d.Add(webhook.Webhook{ID: "torq-prod", ...}) // the same IDs on every instance
//
// Publish queues one River job per matching webhook, all in one insert;
// any instance runs it through its Dispatcher, which renders, signs,
// sends, validates and records exactly as with the in-memory engine.
// Dispatcher.PublishTx inserts the jobs inside the caller's own
// transaction (the transactional outbox), a pgx.Tx (or, on SQLite, a
// *sql.Tx): an access request and its notifications commit or roll back
// together.
//
// The Store keeps invocation records and dead letters in the same
// database, so every instance sees the same history, and TakeDeadLetter
// (behind Dispatcher.Redeliver) hands a dead letter to exactly one of them.
// It pages through one tenant's history for a management API
// (webhook.QueryStore), and the database keeps each webhook's summary
// counters in the transaction that writes a record or a dead letter
// (webhook.SummaryStore), so that every instance adds to them. On
// PostgreSQL each transaction adds to rows of its own, which readers sum
// and fold together: a caller's transaction that records or takes dead
// letters of several webhooks locks no row another writer waits for.
//
// DefinitionStore (Engine.DefinitionStore) is a defstore.Store in the same
// database: webhook definitions per tenant, changed at run time and
// followed by every instance. Writers take turns, so changes are numbered
// in commit order and a follower of Changes misses none; on PostgreSQL
// each write notifies the listeners of every instance (LISTEN/NOTIFY).
//
// A webhook's concurrency bounds its attempts in flight on each instance,
// and its ordering key orders its deliveries across all of them; its queue
// size does not apply, the backlog being rows on disk (Engine says why).
// Deliveries held back by either wait snoozed, holding no worker, but for
// a short wait in line for a fast webhook's slot (Engine says when).
//
// Delivery is at least once. Close drains the attempts in flight; those
// still running when its ctx ends are cancelled, and their jobs stay
// queued with the attempt uncounted. River rescues the jobs of an instance
// that died (after WithRescueAfter) and another instance delivers them
// again, under the same delivery id and so the same webhook-id header, by
// which receivers deduplicate.
package riverengine
