package presets_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/accessrequest"
	"github.com/outhook/outhook/event"
	"github.com/outhook/outhook/webhooktest"
)

// PagerDuty drops a trigger whose dedup_key an open alert already has, so
// a key shared by two requests loses the second alert, and it needs the
// key to acknowledge or resolve the alert later. The key is the
// request's id and the event type; an event without data.id is keyed by
// its event_id, and one with neither by its event_time and type, rather
// than every such event of a type sharing "apono--RequestCreated".
func TestPagerDutyDedupKeyWithoutARequestID(t *testing.T) {
	w := presetNamed(t, "pagerduty")
	mk := func(data any, opts ...event.Option) *event.Event {
		e, err := event.New(accessrequest.Created, data, opts...)
		require.NoError(t, err)
		return e
	}
	keyOf := func(e *event.Event) (string, bool) {
		r := webhooktest.Render(t, w, webhooktest.Events(e))
		require.Len(t, r, 1)
		alert := decode(t, r[0].Body).(map[string]any)
		require.Equal(t, "trigger", alert["event_action"])
		k, ok := alert["dedup_key"].(string)
		if ok {
			require.NotEmpty(t, k)
		}
		return k, ok
	}

	k, ok := keyOf(mk(map[string]any{"id": "req-1"}))
	require.True(t, ok)
	require.Equal(t, "apono-req-1-RequestCreated", k)

	ts := func(s string) event.Timestamp {
		at, err := event.ParseTimestamp(s)
		require.NoError(t, err)
		return at
	}
	seen := map[string]bool{}
	for i, data := range []any{
		map[string]any{"friendly_id": "ABC"},
		map[string]any{"id": ""},
		map[string]any{"id": nil},
		map[string]any{},
	} {
		k, ok := keyOf(mk(data, event.WithTime(ts(fmt.Sprintf("1765000000.12345678%d", i)))))
		require.True(t, ok, "%v: the alert needs a key to be resolved by", data)
		require.False(t, seen[k], "%v: %s is another event's key", data, k)
		seen[k] = true
	}
	k, _ = keyOf(mk(map[string]any{}, event.WithTime(ts("1765000000.100000000"))))
	require.Equal(t, "apono-at-1765000000.100000000-RequestCreated", k, "the time digit for digit")

	a, ok := keyOf(mk(map[string]any{}, event.WithID("evt-1")))
	require.True(t, ok)
	b, _ := keyOf(mk(map[string]any{}, event.WithID("evt-2")))
	require.NotEqual(t, a, b, "two events without a request id are two alerts")
	require.Equal(t, "apono-event-evt-1", a)
}
