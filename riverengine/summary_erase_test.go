package riverengine_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/riverengine"
	"github.com/outhook/outhook/webhook"
)

// Erasing an event's records leaves nothing of them in the summary: a
// webhook's last outcome, time and reason that were an erased record's
// become those of its latest record kept, or none; the counters stay, as
// documented. The reason may name the data subject.
func TestEraseByEventIDLeavesNothingInTheSummary(t *testing.T) {
	ctx := context.Background()
	stores := map[string]func(t *testing.T) *riverengine.Store{
		"postgres": func(t *testing.T) *riverengine.Store {
			pool := newPool(t, needPostgres(t))
			require.NoError(t, riverengine.Migrate(ctx, pool))
			return riverengine.NewStore(pool)
		},
		"sqlite": func(t *testing.T) *riverengine.Store {
			db := openSQLite(t, filepath.Join(t.TempDir(), "summary.db"))
			require.NoError(t, riverengine.MigrateSQLite(ctx, db))
			return riverengine.NewSQLiteStore(db)
		},
	}
	for name, open := range stores {
		t.Run(name, func(t *testing.T) {
			s := open(t)
			at := time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC)
			record := func(id, hook, eventID string, outcome webhook.Outcome, reason string, after time.Duration) {
				require.NoError(t, s.Record(ctx, webhook.Invocation{
					ID: id, Tenant: "acme", DeliveryID: "d-" + id, WebhookID: hook, WebhookName: hook,
					EventType: "RequestCreated", EventID: eventID, Attempt: 1,
					Outcome: outcome, Reason: reason, StartedAt: at.Add(after),
				}))
			}
			record("1", "kept", "e-kept", webhook.Delivered, "", 0)
			record("2", "kept", "e-ada", webhook.Failed, "no mailbox for ada.lovelace@example.com", time.Second)
			record("3", "gone", "e-ada", webhook.Failed, "no mailbox for ada.lovelace@example.com", time.Second)
			record("4", "other", "e-other", webhook.Failed, "status 503", 2*time.Second)

			er, err := s.Erase(ctx, webhook.Erasure{ID: "er-1", Tenant: "acme", EraseSelector: webhook.EraseSelector{EventID: "e-ada"}, Actor: "dpo", At: at.Add(time.Hour)})
			require.NoError(t, err)
			require.EqualValues(t, 2, er.Invocations)

			got, err := s.SummaryCounts(ctx, "acme", []string{"kept", "gone", "other"}, time.Time{})
			require.NoError(t, err)
			require.Equal(t, webhook.Delivered, got[0].LastOutcome, "the latest record kept")
			require.Equal(t, "", got[0].LastReason)
			require.True(t, got[0].LastAt.Equal(at), "last at %s", got[0].LastAt)
			require.Equal(t, webhook.Outcome(""), got[1].LastOutcome, "no record kept")
			require.Equal(t, "", got[1].LastReason)
			require.True(t, got[1].LastAt.IsZero())
			require.Equal(t, webhook.Failed, got[2].LastOutcome, "another event's webhook is untouched")
			require.Equal(t, "status 503", got[2].LastReason)
		})
	}
}
