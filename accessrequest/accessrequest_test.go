package accessrequest_test

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/accessrequest"
	"github.com/outhook/outhook/event"
	"github.com/outhook/outhook/internal/testkit/sharedtest"
)

func TestTypedStructsRoundTripExactly(t *testing.T) {
	for name, raw := range withMocks(sharedtest.Events(t)) {
		t.Run(name, func(t *testing.T) {
			var ev accessrequest.Event
			require.NoError(t, json.Unmarshal(raw, &ev))
			out, err := json.Marshal(ev)
			require.NoError(t, err)
			// json.Number values compare as text: event_time and the dates
			// come back digit for digit.
			require.Equal(t, sharedtest.DecodeExact(t, raw), sharedtest.DecodeExact(t, out))

			var probe struct {
				EventTime json.RawMessage `json:"event_time"`
			}
			require.NoError(t, json.Unmarshal(raw, &probe))
			require.Equal(t, string(probe.EventTime), ev.EventTime.String())
		})
	}
}

func TestTriggerSpellings(t *testing.T) {
	tests := []struct {
		in        event.Trigger
		canonical event.Trigger
		request   bool
	}{
		{"RequestCreated", accessrequest.Created, true},
		{"AccessRequestCreated", accessrequest.Created, true},
		{"AccessRequestFailed", accessrequest.Failed, true},
		{"AccessAccessRequestFailed", "AccessAccessRequestFailed", false},
		{"AccessRequestPaused", "AccessRequestPaused", false},
		{"requestcreated", "requestcreated", false},
		{"invoice.paid", "invoice.paid", false},
	}
	for _, tt := range tests {
		require.Equal(t, tt.canonical, accessrequest.Canonical(tt.in), tt.in)
		require.Equal(t, tt.request, accessrequest.Is(tt.in), tt.in)
		require.Equal(t, accessrequest.Canonical(tt.canonical), accessrequest.Canonical(tt.in), tt.in)
	}
	require.NotEqual(t, accessrequest.Canonical(accessrequest.Created), accessrequest.Canonical(accessrequest.Approved))
	require.Len(t, accessrequest.Triggers(), 6)
}

func TestMockEvents(t *testing.T) {
	events := accessrequest.Mocks()
	require.Len(t, events, 6)
	var all bytes.Buffer
	for i, e := range events {
		require.Equal(t, accessrequest.Triggers()[i], e.Type())
		same, ok := accessrequest.Mock("Access" + e.Type())
		require.True(t, ok)
		require.Same(t, e, same)
		all.Write(e.JSON())
	}
	_, ok := accessrequest.Mock("invoice.paid")
	require.False(t, ok)

	// The hard cases the package documentation promises.
	var seen struct{ quote, backslash, newline, nullRevocation, nonASCII, severalGroups, otherGrantee, noApprovals bool }
	for _, e := range events {
		var ev accessrequest.Event
		require.NoError(t, json.Unmarshal(e.JSON(), &ev))
		d := ev.Data
		seen.quote = seen.quote || bytes.ContainsRune([]byte(d.Justification), '"')
		seen.backslash = seen.backslash || bytes.ContainsRune([]byte(d.Justification), '\\')
		seen.newline = seen.newline || bytes.ContainsRune([]byte(d.Justification), '\n')
		seen.nullRevocation = seen.nullRevocation || d.RevocationDate == nil
		seen.nonASCII = seen.nonASCII || bytes.ContainsFunc([]byte(d.Requester.Name), func(r rune) bool { return r > 127 })
		seen.severalGroups = seen.severalGroups || len(d.AccessGroups) > 1
		seen.otherGrantee = seen.otherGrantee || d.Grantee.ID != d.Requester.ID
		seen.noApprovals = seen.noApprovals || len(d.Approvals) == 0
	}
	require.Equal(t, struct{ quote, backslash, newline, nullRevocation, nonASCII, severalGroups, otherGrantee, noApprovals bool }{
		true, true, true, true, true, true, true, true}, seen)
}

// withMocks adds the built-in mock events to events, by trigger.
func withMocks(events map[string][]byte) map[string][]byte {
	for _, e := range accessrequest.Mocks() {
		events["mock/"+string(e.Type())] = e.JSON()
	}
	return events
}

// An event's event_id survives the typed form: decoded into an Event and
// encoded again, the event is the same, id included.
func TestTypedEventKeepsItsID(t *testing.T) {
	mock, _ := accessrequest.Mock(accessrequest.Granted)
	var ev accessrequest.Event
	require.NoError(t, mock.Decode(&ev))
	e, err := event.New(ev.EventType, ev.Data, event.WithTime(ev.EventTime), event.WithID("evt_8f2c"))
	require.NoError(t, err)

	var typed accessrequest.Event
	require.NoError(t, e.Decode(&typed))
	require.Equal(t, "evt_8f2c", typed.EventID)
	out, err := json.Marshal(typed)
	require.NoError(t, err)
	require.Equal(t, sharedtest.DecodeExact(t, e.JSON()), sharedtest.DecodeExact(t, out))
	back, err := event.Parse(out)
	require.NoError(t, err)
	require.Equal(t, "evt_8f2c", back.ID())

	// An event without an id encodes without one, as it came.
	out, err = json.Marshal(ev)
	require.NoError(t, err)
	require.NotContains(t, string(out), "event_id")
}
