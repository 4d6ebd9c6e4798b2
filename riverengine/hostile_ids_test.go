package riverengine_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/webhook"
)

// TestIDsNoWebhookCanHaveAreTheCallersFault gives a tenant's queries,
// redelivery, discard and erasure ids that no webhook, delivery or event
// can have (a NUL, bytes that are not UTF-8), as a management API passes
// them on from a path or a query string: PostgreSQL refuses such text,
// and each was a failure of the store, a 500 that pages the operator.
// Each is the caller's fault, naming the field, or finds nothing, as on
// SQLite.
func TestIDsNoWebhookCanHaveAreTheCallersFault(t *testing.T) {
	eachSharedDatabase(t, func(t *testing.T, db sharedDatabase) {
		ctx := context.Background()
		a := startInstance(t, db, testKeyring(t), "a", instanceConfig{})
		ten := a.d.Tenant("acme")
		for _, id := range []string{"\x00", "a\x00b", "\xff"} {
			var qe *webhook.QueryError
			_, err := ten.Invocations(ctx, webhook.InvocationQuery{WebhookID: id})
			require.ErrorAs(t, err, &qe, "%q", id)
			require.Equal(t, "webhook_id", qe.Field)
			_, err = ten.DeadLetters(ctx, webhook.DeadLetterQuery{WebhookID: id})
			require.ErrorAs(t, err, &qe, "%q", id)
			require.Equal(t, "webhook_id", qe.Field)

			n, err := ten.DiscardDeadLetters(ctx, id, time.Time{}, time.Time{})
			require.NoError(t, err, "%q", id)
			require.Zero(t, n)
			require.ErrorIs(t, ten.Redeliver(ctx, id), webhook.ErrNotFound, "%q", id)

			var se *webhook.EraseSelectorError
			_, err = ten.Erase(ctx, webhook.EraseSelector{WebhookID: id}, "alice")
			require.ErrorAs(t, err, &se, "%q", id)
			require.Equal(t, "webhook_id", se.Field)
		}
		var se *webhook.EraseSelectorError
		_, err := ten.Erase(ctx, webhook.EraseSelector{EventID: "\xff"}, "alice")
		require.ErrorAs(t, err, &se)
		require.Equal(t, "event_id", se.Field)
		_, err = ten.Erase(ctx, webhook.EraseSelector{EventID: "evt-1"}, "alice")
		require.False(t, errors.As(err, &se), "an event id of text is erased: %v", err)
	})
}
