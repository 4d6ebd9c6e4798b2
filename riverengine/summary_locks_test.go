package riverengine_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/riverengine"
	"github.com/outhook/outhook/webhook"
)

// attempt is a counted record of webhook h of tenant acme.
func attempt(id, h string, at time.Time) webhook.Invocation {
	return webhook.Invocation{ID: id, Tenant: "acme", DeliveryID: id, WebhookID: h, Attempt: 1,
		Outcome: webhook.Delivered, StartedAt: at, Duration: 20 * time.Millisecond}
}

// TestSummaryCallersTransactionsCannotDeadlock has two callers'
// transactions record attempts of two webhooks in opposite orders, each
// waiting for the other to have written its first before writing its
// second, as a service recording in its own transactions may: both
// commit, as they did before the summary's counters, and the counters
// count all four.
func TestSummaryCallersTransactionsCannotDeadlock(t *testing.T) {
	url := needPostgres(t)
	pool := newPool(t, url)
	require.NoError(t, riverengine.Migrate(context.Background(), pool))
	s := riverengine.NewStore(pool)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	at := time.Now().UTC()
	var first sync.WaitGroup
	first.Add(2)
	errs := make(chan error, 2)
	for i, order := range [][2]string{{"a", "b"}, {"b", "a"}} {
		go func() {
			errs <- pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
				if err := s.RecordTx(ctx, tx, attempt(fmt.Sprint(i, order[0]), order[0], at)); err != nil {
					first.Done()
					return err
				}
				first.Done()
				first.Wait()
				return s.RecordTx(ctx, tx, attempt(fmt.Sprint(i, order[1]), order[1], at))
			})
		}()
	}
	for range 2 {
		require.NoError(t, <-errs)
	}
	got, err := s.SummaryCounts(ctx, "acme", []string{"a", "b"}, time.Time{})
	require.NoError(t, err)
	for _, c := range got {
		require.Len(t, c.Slots, 1, c.WebhookID)
		require.Equal(t, int64(2), c.Slots[0].Delivered, c.WebhookID)
	}
}

// TestSummaryTakingDeadLettersCannotDeadlock has two callers'
// transactions take dead letters of two webhooks in opposite orders (as
// redeliveries in the callers' own transactions do): both commit, and
// the counts say what is left.
func TestSummaryTakingDeadLettersCannotDeadlock(t *testing.T) {
	url := needPostgres(t)
	pool := newPool(t, url)
	require.NoError(t, riverengine.Migrate(context.Background(), pool))
	s := riverengine.NewStore(pool)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	at := time.Now().UTC()
	for i, h := range []string{"a", "b", "a", "b", "a"} {
		require.NoError(t, s.AddDeadLetter(ctx, webhook.DeadLetter{DeliveryID: fmt.Sprint(h, i), Tenant: "acme", WebhookID: h,
			Outcome: webhook.Failed, Attempts: 3, FailedAt: at, Event: newEvent(t, i)}))
	}
	var first sync.WaitGroup
	first.Add(2)
	errs := make(chan error, 2)
	for _, order := range [][2]string{{"a0", "b1"}, {"b3", "a2"}} {
		go func() {
			errs <- pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
				_, err := s.TakeDeadLetterTx(ctx, tx, order[0])
				first.Done()
				if err != nil {
					return err
				}
				first.Wait()
				_, err = s.TakeDeadLetterTx(ctx, tx, order[1])
				return err
			})
		}()
	}
	for range 2 {
		require.NoError(t, <-errs)
	}
	got, err := s.SummaryCounts(ctx, "acme", []string{"a", "b"}, time.Time{})
	require.NoError(t, err)
	require.Equal(t, [2]int64{1, 0}, [2]int64{got[0].DeadLetters, got[1].DeadLetters})
}

// TestSummaryOpenTransactionHoldsNoWriter leaves a caller's transaction
// open after it recorded an attempt and took a dead letter of a webhook:
// the engine's own writes of the same webhook (a record, a dead letter)
// go on meanwhile instead of waiting for the caller to commit.
func TestSummaryOpenTransactionHoldsNoWriter(t *testing.T) {
	url := needPostgres(t)
	pool := newPool(t, url)
	require.NoError(t, riverengine.Migrate(context.Background(), pool))
	s := riverengine.NewStore(pool)
	ctx := context.Background()
	at := time.Now().UTC()
	require.NoError(t, s.AddDeadLetter(ctx, webhook.DeadLetter{DeliveryID: "d1", Tenant: "acme", WebhookID: "h",
		Outcome: webhook.Failed, Attempts: 3, FailedAt: at, Event: newEvent(t, 1)}))

	tx, err := pool.Begin(ctx)
	require.NoError(t, err)
	defer func() { _ = tx.Rollback(ctx) }()
	require.NoError(t, s.RecordTx(ctx, tx, attempt("caller", "h", at)))
	_, err = s.TakeDeadLetterTx(ctx, tx, "d1")
	require.NoError(t, err)

	short, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	require.NoError(t, s.Record(short, attempt("engine", "h", at)), "a record waits for the caller's transaction")
	require.NoError(t, s.AddDeadLetter(short, webhook.DeadLetter{DeliveryID: "d2", Tenant: "acme", WebhookID: "h",
		Outcome: webhook.Failed, Attempts: 3, FailedAt: at, Event: newEvent(t, 2)}), "a dead letter waits for the caller's transaction")
	got, err := s.SummaryCounts(short, "acme", []string{"h"}, time.Time{})
	require.NoError(t, err)
	require.Equal(t, int64(2), got[0].DeadLetters, "the caller's take is not committed")
	require.Equal(t, int64(1), got[0].Slots[0].Delivered)

	require.NoError(t, tx.Commit(ctx))
	got, err = s.SummaryCounts(ctx, "acme", []string{"h"}, time.Time{})
	require.NoError(t, err)
	require.Equal(t, int64(1), got[0].DeadLetters)
	require.Equal(t, int64(2), got[0].Slots[0].Delivered)
}

// TestSummaryTruncate empties the records and dead letters with
// TRUNCATE, which fires no row trigger: the counts go with them.
func TestSummaryTruncate(t *testing.T) {
	url := needPostgres(t)
	pool := newPool(t, url)
	require.NoError(t, riverengine.Migrate(context.Background(), pool))
	s := riverengine.NewStore(pool)
	ctx := context.Background()
	at := time.Now().UTC()
	require.NoError(t, s.Record(ctx, attempt("r", "h", at)))
	require.NoError(t, s.AddDeadLetter(ctx, webhook.DeadLetter{DeliveryID: "d", Tenant: "acme", WebhookID: "h",
		Outcome: webhook.Failed, Attempts: 3, FailedAt: at, Event: newEvent(t, 1)}))
	_, err := s.SummaryCounts(ctx, "acme", []string{"h"}, time.Time{}) // folded
	require.NoError(t, err)
	require.NoError(t, s.Record(ctx, attempt("r2", "h", at)))

	_, err = pool.Exec(ctx, "TRUNCATE outhook_invocation, outhook_dead_letter")
	require.NoError(t, err)
	got, err := s.SummaryCounts(ctx, "acme", []string{"h"}, time.Time{})
	require.NoError(t, err)
	require.Equal(t, webhook.SummaryCounts{WebhookID: "h"}, got[0])
}

// TestSummaryEraseAndEnforceBesideOpenTransaction leaves a caller's
// transaction open after it recorded an attempt of a webhook: erasing
// that webhook, and enforcing retention, go on meanwhile; the attempt,
// committed after the erasure, counts.
func TestSummaryEraseAndEnforceBesideOpenTransaction(t *testing.T) {
	url := needPostgres(t)
	pool := newPool(t, url)
	require.NoError(t, riverengine.Migrate(context.Background(), pool))
	s := riverengine.NewStore(pool)
	ctx := context.Background()
	at := time.Now().UTC()
	require.NoError(t, s.Record(ctx, attempt("before", "h", at)))
	tx, err := pool.Begin(ctx)
	require.NoError(t, err)
	defer func() { _ = tx.Rollback(ctx) }()
	require.NoError(t, s.RecordTx(ctx, tx, attempt("caller", "h", at)))

	short, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	er, err := s.Erase(short, webhook.Erasure{ID: "e1", Tenant: "acme", EraseSelector: webhook.EraseSelector{WebhookID: "h"}, At: at})
	require.NoError(t, err, "the erasure waits for the caller's transaction")
	require.Equal(t, int64(1), er.Invocations)
	_, err = s.Enforce(short, webhook.Retention{RecordAge: time.Hour, DeadLetterAge: time.Hour})
	require.NoError(t, err, "retention waits for the caller's transaction")

	require.NoError(t, tx.Commit(ctx))
	got, err := s.SummaryCounts(ctx, "acme", []string{"h"}, time.Time{})
	require.NoError(t, err)
	require.Len(t, got[0].Slots, 1)
	require.Equal(t, int64(1), got[0].Slots[0].Delivered, "the caller's attempt, committed after the erasure")
}

// TestSummaryCountsOfHostileIDs asks for ids no webhook of the store can
// have (a NUL, bytes that are not UTF-8), beside one that has counters,
// on both databases: they have zero counters, as on the memory store,
// and the others are read all the same.
func TestSummaryCountsOfHostileIDs(t *testing.T) {
	pool := newPool(t, needPostgres(t))
	require.NoError(t, riverengine.Migrate(context.Background(), pool))
	db := openSQLite(t, filepath.Join(t.TempDir(), "ids.db"))
	require.NoError(t, riverengine.MigrateSQLite(context.Background(), db))
	for name, s := range map[string]*riverengine.Store{"postgres": riverengine.NewStore(pool), "sqlite": riverengine.NewSQLiteStore(db)} {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			require.NoError(t, s.Record(ctx, attempt("r", "h", time.Now())))
			ids := []string{"a\x00b", "h", "\xff\xfe", "h'; --", "h"}
			got, err := s.SummaryCounts(ctx, "acme", ids, time.Time{})
			require.NoError(t, err)
			require.Len(t, got, len(ids))
			for i, c := range got {
				require.Equal(t, ids[i], c.WebhookID)
				if ids[i] == "h" {
					require.Len(t, c.Slots, 1)
					continue
				}
				require.Equal(t, webhook.SummaryCounts{WebhookID: ids[i]}, c)
			}
			got, err = s.SummaryCounts(ctx, "ac\x00me", []string{"h"}, time.Time{})
			require.NoError(t, err, "a tenant no row can have")
			require.Equal(t, []webhook.SummaryCounts{{WebhookID: "h"}}, got)
		})
	}
}
