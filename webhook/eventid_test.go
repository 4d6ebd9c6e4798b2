package webhook_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/accessrequest"
	"github.com/outhook/outhook/event"
	"github.com/outhook/outhook/filter"
	"github.com/outhook/outhook/signature"
	"github.com/outhook/outhook/webhook"
)

// Every event may carry an event_id, whatever its type: a body template
// and a filter may use it, and it reaches the receiver as the event had
// it.
func TestTemplatesAndFiltersMayUseTheEventID(t *testing.T) {
	rc := newReceiver(t, nil)
	d, invs := newDispatcher(t)
	w := torqLike(rc.URL)
	w.BodyTemplate = `{"id":"{{event_id}}","type":"{{event_type}}"}`
	w.Filters = filter.Must(filter.New(filter.Eq("event_id", "evt-42")))
	_, err := d.Add(w)
	require.NoError(t, err)

	raw, err := json.Marshal(mock(t, accessrequest.Created))
	require.NoError(t, err)
	withID := func(id string) *event.Event {
		e, err := event.Parse([]byte(`{"event_id":"` + id + `",` + string(raw[1:])))
		require.NoError(t, err)
		return e
	}
	for _, e := range []*event.Event{withID("evt-7"), withID("evt-42")} {
		_, err = d.Publish(context.Background(), e)
		require.NoError(t, err)
	}
	inv := waitFinal(t, invs, 1)[0]
	require.Equal(t, webhook.Delivered, inv.Outcome, inv.Reason)
	got := rc.got()
	require.Len(t, got, 1, "the filter on event_id lets one event through")
	require.JSONEq(t, `{"id":"evt-42","type":"RequestCreated"}`, got[0].body)
	require.NotEmpty(t, got[0].header.Get(signature.HeaderID))
}
