package engine_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/engine"
	"github.com/outhook/outhook/event"
)

// TestEraseFilterPicksTheEventsAboutTheErasedOne: an erasure by event id
// drops the queued deliveries of an event about it too (an operational
// event naming it), as Subject says, and no other.
func TestEraseFilterPicksTheEventsAboutTheErasedOne(t *testing.T) {
	mk := func(id, about string) *engine.Delivery {
		e, err := event.New("WebhookDeadLettered", map[string]any{"about": about}, event.WithID(id))
		require.NoError(t, err)
		return &engine.Delivery{WebhookID: "acme/admin", Event: e}
	}
	subject := func(e *event.Event) string {
		var v struct {
			Data struct {
				About string `json:"about"`
			} `json:"data"`
		}
		_ = e.Decode(&v)
		return v.Data.About
	}
	f := engine.EraseFilter{EventID: "evt-1", Subject: subject}
	require.True(t, f.Match(mk("evt-1", "")))
	require.True(t, f.Match(mk("op-1", "evt-1")))
	require.False(t, f.Match(mk("op-2", "evt-2")))
	f.Webhook = func(key string) bool { return key == "globex/admin" }
	require.False(t, f.Match(mk("op-1", "evt-1")), "another tenant's queue")
	f = engine.EraseFilter{EventID: "evt-1"}
	require.False(t, f.Match(mk("op-1", "evt-1")), "without Subject, the event's own id only")
}
