package riverengine_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/riverengine"
	"github.com/outhook/outhook/webhook"
)

// bodies returns the bodies r got at /hook, in the order they arrived.
func bodies(r *bodyReceiver, hook string) []string {
	var out []string
	for _, q := range r.requests("/" + hook) {
		out = append(out, q.body)
	}
	return out
}

// jobBytes is the size of the text of every delivery job's arguments.
func jobBytes(t *testing.T, pool *pgxpool.Pool) int {
	var n int
	require.NoError(t, pool.QueryRow(context.Background(),
		"SELECT coalesce(sum(octet_length(args::text)), 0) FROM river_job WHERE kind = $1", riverengine.JobKind).Scan(&n))
	return n
}

// A Publish fanning out to 50 webhooks writes its 2.2 KB event once, not
// in every job; another instance, which never saw the event, delivers it
// byte for byte to each; a PublishTx rolled back leaves nothing behind.
func TestFanOutWritesTheEventOnce(t *testing.T) {
	url := needPostgres(t)
	ctx := context.Background()
	rc := newBodyReceiver(t, nil)
	ev := bigEvent(t)
	const hooks = 50
	pool, pubEng := newPostgresEngine(t, url, riverengine.WithPublishOnly())
	pub, err := webhook.New(dispatcherOptions(pubEng)...)
	require.NoError(t, err)
	closeDispatcher(t, pub)
	for i := range hooks {
		_, err := pub.Add(hook(fmt.Sprintf("h%d", i), rc.URL))
		require.NoError(t, err)
	}

	tx, err := pool.Begin(ctx)
	require.NoError(t, err)
	_, err = pub.PublishTx(ctx, tx, ev)
	require.NoError(t, err)
	require.NoError(t, tx.Rollback(ctx))
	require.Zero(t, jobBytes(t, pool), "a rolled-back PublishTx queues nothing")

	_, err = pub.Publish(ctx, ev)
	require.NoError(t, err)
	size := jobBytes(t, pool)
	require.Less(t, size, hooks*len(ev.JSON())/4, "the %d jobs take %d bytes: they carry the %d-byte event", hooks, size, len(ev.JSON()))
	var rows int
	require.NoError(t, pool.QueryRow(ctx, "SELECT count(*) FROM outhook_event").Scan(&rows))
	require.Equal(t, 1, rows, "the event is kept once; the rolled-back PublishTx kept none")

	eng, err := riverengine.New(ctx, pool)
	require.NoError(t, err)
	d, err := webhook.New(dispatcherOptions(eng)...)
	require.NoError(t, err)
	closeDispatcher(t, d)
	for i := range hooks {
		_, err := d.Add(hook(fmt.Sprintf("h%d", i), rc.URL))
		require.NoError(t, err)
	}
	eventually(t, 30*time.Second, "every webhook to get the event", func() bool {
		for i := range hooks {
			if len(bodies(rc, fmt.Sprintf("h%d", i))) == 0 {
				return false
			}
		}
		return true
	})
	for i := range hooks {
		require.Equal(t, []string{string(ev.JSON())}, bodies(rc, fmt.Sprintf("h%d", i)), "h%d", i)
	}
}

// Erasing one webhook's queued delivery of a shared event leaves the other
// webhook's delivery whole; erasing the event's last queued delivery
// leaves no copy of the event in the database.
func TestEraseKeepsWhatOtherDeliveriesNeed(t *testing.T) {
	url := needPostgres(t)
	ctx := context.Background()
	rc := newBodyReceiver(t, nil)
	ev := bigEvent(t)
	pool, pubEng := newPostgresEngine(t, url, riverengine.WithPublishOnly())
	pub, err := webhook.New(dispatcherOptions(pubEng)...)
	require.NoError(t, err)
	closeDispatcher(t, pub)
	for _, id := range []string{"h", "g", "f"} {
		_, err := pub.Add(hook(id, rc.URL))
		require.NoError(t, err)
	}
	_, err = pub.Publish(ctx, ev)
	require.NoError(t, err)
	_, err = pub.Publish(ctx, newEvent(t, 7))
	require.NoError(t, err)

	// The event's text, as a value of it shows it.
	copies := func() int {
		var n int
		require.NoError(t, pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM river_job WHERE args::text LIKE '%northwind.example%')
			+ (SELECT count(*) FROM outhook_event WHERE event LIKE '%northwind.example%')`).Scan(&n))
		return n
	}
	require.Positive(t, copies())

	er, err := pub.Tenant("").Erase(ctx, webhook.EraseSelector{WebhookID: "h"}, "dpo")
	require.NoError(t, err)
	require.Equal(t, int64(2), er.Deliveries)
	er, err = pub.Tenant("").Erase(ctx, webhook.EraseSelector{WebhookID: "f", EventID: "e-big"}, "dpo")
	require.NoError(t, err)
	require.Equal(t, int64(1), er.Deliveries)
	require.Positive(t, copies(), "g's delivery still needs the event")

	eng, err := riverengine.New(ctx, pool)
	require.NoError(t, err)
	d, err := webhook.New(dispatcherOptions(eng)...)
	require.NoError(t, err)
	closeDispatcher(t, d)
	for _, id := range []string{"h", "g", "f"} {
		_, err := d.Add(hook(id, rc.URL))
		require.NoError(t, err)
	}
	eventually(t, 30*time.Second, "g to get both events", func() bool { return len(bodies(rc, "g")) == 2 })
	require.Contains(t, bodies(rc, "g"), string(ev.JSON()))
	require.Len(t, bodies(rc, "f"), 1, "f gets the other event only")
	require.Empty(t, bodies(rc, "h"))

	// The first copy goes once River's cleaner deleted the jobs that
	// referred to it, at the next sweep (one at start).
	require.NoError(t, d.Close(ctx))
	_, err = pool.Exec(ctx, "DELETE FROM river_job WHERE state = 'completed'")
	require.NoError(t, err)
	eng, err = riverengine.New(ctx, pool)
	require.NoError(t, err)
	d, err = webhook.New(dispatcherOptions(eng)...)
	require.NoError(t, err)
	closeDispatcher(t, d)
	for _, id := range []string{"h", "g", "f"} {
		_, err := d.Add(hook(id, rc.URL))
		require.NoError(t, err)
	}
	eventually(t, 10*time.Second, "the sweep to delete the event no job refers to", func() bool { return copies() == 0 })

	// Published again and delivered, then published once more and erased
	// by its id while queued: the queued deliveries' copy goes, and the
	// made ones', which River's cleaner would have kept for a day.
	_, err = d.Publish(ctx, ev)
	require.NoError(t, err)
	eventually(t, 30*time.Second, "g to get the event again", func() bool { return len(bodies(rc, "g")) == 3 })
	require.NoError(t, d.Close(ctx))
	_, err = pub.Publish(ctx, ev)
	require.NoError(t, err)
	require.Positive(t, copies())
	er, err = pub.Tenant("").Erase(ctx, webhook.EraseSelector{EventID: "e-big"}, "dpo")
	require.NoError(t, err)
	require.Equal(t, int64(3), er.Deliveries)
	require.Zero(t, copies(), "no copy of the event is left")
}
