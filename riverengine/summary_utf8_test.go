package riverengine_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/webhook"
)

// SQLite's text holds any bytes, so a webhook id that is not UTF-8 may
// have counters there. SummaryCounts asks for each id as it is: one with
// a byte that is not UTF-8 is neither confused with the id holding
// U+FFFD in its place (a JSON list of the ids would write it so, finding
// that webhook's counters under a key no caller asked for) nor missed.
func TestSQLiteSummaryCountsOfIDsThatAreNotUTF8(t *testing.T) {
	_, eng := newSQLiteEngine(t)
	s := eng.Store()
	ctx := context.Background()
	at := time.Date(2026, 3, 10, 9, 15, 0, 0, time.UTC)
	record := func(id, hook string, n int) {
		for i := range n {
			require.NoError(t, s.Record(ctx, webhook.Invocation{
				ID: id + string(rune('a'+i)), Tenant: "acme", DeliveryID: id + string(rune('a'+i)), WebhookID: hook,
				Attempt: 1, Outcome: webhook.Delivered, StartedAt: at, Duration: time.Millisecond,
			}))
		}
	}
	record("replaced", "h\uFFFD", 1)
	record("raw", "h\xff", 2)

	got, err := s.SummaryCounts(ctx, "acme", []string{"h\xff", "h\xfe"}, time.Time{})
	require.NoError(t, err)
	require.Len(t, got, 2)
	require.Equal(t, "h\xff", got[0].WebhookID)
	require.Equal(t, webhook.Delivered, got[0].LastOutcome)
	require.Len(t, got[0].Slots, 1)
	require.EqualValues(t, 2, got[0].Slots[0].Delivered, "its own two records, not the other's one")
	require.Equal(t, "h\xfe", got[1].WebhookID)
	require.Empty(t, got[1].LastOutcome, "no webhook has it")
	require.Empty(t, got[1].Slots)

	got, err = s.SummaryCounts(ctx, "acme", []string{"h\uFFFD"}, time.Time{})
	require.NoError(t, err)
	require.EqualValues(t, 1, got[0].Slots[0].Delivered)
}
