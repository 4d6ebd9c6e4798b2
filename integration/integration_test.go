package integration_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/event"
	"github.com/outhook/outhook/integration"
	"github.com/outhook/outhook/internal/testkit/schematest"
	"github.com/outhook/outhook/internal/testkit/sharedtest"
)

func TestTypedStructsRoundTripExactly(t *testing.T) {
	for _, e := range integration.Mocks() {
		t.Run(string(e.Type()), func(t *testing.T) {
			var ev integration.Event
			require.NoError(t, e.Decode(&ev))
			out, err := json.Marshal(ev)
			require.NoError(t, err)
			require.Equal(t, sharedtest.DecodeExact(t, e.JSON()), sharedtest.DecodeExact(t, out))
			require.Equal(t, e.Time().String(), ev.EventTime.String())
		})
	}
}

func TestNilIssuesEncodeAsEmptyList(t *testing.T) {
	e, err := event.New(integration.Active, integration.Integration{ID: "int-1", Status: "Active"})
	require.NoError(t, err)
	data := sharedtest.DecodeExact(t, e.JSON()).(map[string]any)["data"].(map[string]any)
	require.Equal(t, []any{}, data["issues"])
}

func TestTriggers(t *testing.T) {
	require.Equal(t, []event.Trigger{"IntegrationError", "IntegrationWarning", "IntegrationActive"}, integration.Triggers())
	for _, tr := range integration.Triggers() {
		require.True(t, integration.Is(tr), tr)
	}
	for _, tr := range []event.Trigger{"RequestCreated", "integrationerror", "Error", ""} {
		require.False(t, integration.Is(tr), tr)
	}

	k := integration.Kind()
	require.Equal(t, integration.Triggers(), k.Triggers)
	require.Same(t, integration.Schema(), k.Schema)
	require.Equal(t, integration.Mocks(), k.Mocks)
}

func TestMockEvents(t *testing.T) {
	events := integration.Mocks()
	require.Len(t, events, 3)
	for i, e := range events {
		require.Equal(t, integration.Triggers()[i], e.Type())
		same, ok := integration.Mock(e.Type())
		require.True(t, ok)
		require.Same(t, e, same)
	}
	_, ok := integration.Mock("RequestCreated")
	require.False(t, ok)

	// The hard cases the package documentation promises, and each event's
	// status matching its trigger.
	var seen struct{ quote, backslash, newline, nonASCII, quotedName, severalIssues, noIssues bool }
	for _, e := range events {
		var ev integration.Event
		require.NoError(t, e.Decode(&ev))
		d := ev.Data
		require.Equal(t, "Integration"+d.Status, string(e.Type()))
		seen.quotedName = seen.quotedName || strings.Contains(d.Name, `"`)
		seen.nonASCII = seen.nonASCII || strings.ContainsFunc(d.Name, func(r rune) bool { return r > 127 })
		seen.severalIssues = seen.severalIssues || len(d.Issues) > 1
		seen.noIssues = seen.noIssues || d.Issues != nil && len(d.Issues) == 0
		for _, is := range d.Issues {
			seen.quote = seen.quote || strings.Contains(is.Message, `"`)
			seen.backslash = seen.backslash || strings.Contains(is.Message, `\`)
			seen.newline = seen.newline || strings.Contains(is.Message, "\n")
		}
	}
	require.Equal(t, struct{ quote, backslash, newline, nonASCII, quotedName, severalIssues, noIssues bool }{
		true, true, true, true, true, true, true}, seen)
}

func TestSchemaMatchesMockEvents(t *testing.T) {
	schematest.Covers(t, integration.Schema(), integration.Mocks()...)
	for _, p := range []string{"data.id", "data.name", "data.type", "data.status", "data.issues", "data.issues[].status", "data.issues[].message", "event_type", "event_time"} {
		f, ok := integration.Schema().Field(p)
		require.True(t, ok, p)
		require.NotEmpty(t, f.Type, p)
		require.NotEmpty(t, f.Description, p)
	}
}

// An event's event_id survives the typed form.
func TestTypedEventKeepsItsID(t *testing.T) {
	mock := integration.Mocks()[0]
	var ev integration.Event
	require.NoError(t, mock.Decode(&ev))
	e, err := event.New(ev.EventType, ev.Data, event.WithTime(ev.EventTime), event.WithID("evt_int_1"))
	require.NoError(t, err)
	var typed integration.Event
	require.NoError(t, e.Decode(&typed))
	out, err := json.Marshal(typed)
	require.NoError(t, err)
	require.Equal(t, sharedtest.DecodeExact(t, e.JSON()), sharedtest.DecodeExact(t, out))
}
