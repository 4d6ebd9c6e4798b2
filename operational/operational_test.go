package operational_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/event"
	"github.com/outhook/outhook/internal/testkit/schematest"
	"github.com/outhook/outhook/internal/testkit/sharedtest"
	"github.com/outhook/outhook/operational"
)

func TestTypedStructsRoundTripExactly(t *testing.T) {
	for _, e := range operational.Mocks() {
		t.Run(string(e.Type()), func(t *testing.T) {
			var ev operational.Event
			require.NoError(t, e.Decode(&ev))
			out, err := json.Marshal(ev)
			require.NoError(t, err)
			require.Equal(t, sharedtest.DecodeExact(t, e.JSON()), sharedtest.DecodeExact(t, out))
			require.Equal(t, e.Time().String(), ev.EventTime.String())
		})
	}
}

func TestTriggers(t *testing.T) {
	require.Equal(t, []event.Trigger{"WebhookFailing", "WebhookStillFailing", "WebhookRecovered", "WebhookDisabled", "WebhookDeadLettered", "TenantLimitReached"}, operational.Triggers())
	for _, tr := range operational.Triggers() {
		require.True(t, operational.Is(tr), tr)
	}
	for _, tr := range []event.Trigger{"RequestCreated", "webhookfailing", "Failing", "IntegrationError", ""} {
		require.False(t, operational.Is(tr), tr)
	}
	k := operational.Kind()
	require.Equal(t, "operational", k.Name)
	require.Equal(t, operational.Triggers(), k.Triggers)
	require.Same(t, operational.Schema(), k.Schema)
	require.Equal(t, operational.Mocks(), k.Mocks)
}

func TestMockEvents(t *testing.T) {
	events := operational.Mocks()
	require.Len(t, events, 6)
	for i, e := range events {
		require.Equal(t, operational.Triggers()[i], e.Type())
		same, ok := operational.Mock(e.Type())
		require.True(t, ok)
		require.Same(t, e, same)
	}
	_, ok := operational.Mock("RequestCreated")
	require.False(t, ok)

	// The hard cases the package documentation promises, and the fields
	// each trigger fills.
	var seen struct{ quote, backslash, newline, nonASCII bool }
	for _, e := range events {
		var ev operational.Event
		require.NoError(t, e.Decode(&ev))
		d := ev.Data
		require.NotEmpty(t, ev.EventID)
		require.Equal(t, e.Type() == operational.DeadLettered, d.DeadLetter != nil, e.Type())
		require.Equal(t, e.Type() == operational.TenantLimited, d.Limit != nil, e.Type())
		require.NotContains(t, d.TargetHost, "/", "a host, never a URL")
		seen.nonASCII = seen.nonASCII || strings.ContainsFunc(d.WebhookName, func(r rune) bool { return r > 127 })
		seen.quote = seen.quote || strings.Contains(d.Reason, `"`)
		seen.backslash = seen.backslash || strings.Contains(d.Reason, `\`)
		seen.newline = seen.newline || strings.Contains(d.Reason, "\n")
	}
	require.Equal(t, struct{ quote, backslash, newline, nonASCII bool }{true, true, true, true}, seen)
}

func TestSchemaMatchesMockEvents(t *testing.T) {
	schematest.Covers(t, operational.Schema(), operational.Mocks()...)
	for _, e := range operational.Mocks() {
		// Every event has every field, so that one template serves all.
		schematest.Covers(t, operational.Schema(), e, operational.Mocks()[4], operational.Mocks()[5])
	}
}

func TestSubjectEventID(t *testing.T) {
	for _, e := range operational.Mocks() {
		var ev operational.Event
		require.NoError(t, e.Decode(&ev))
		want := ""
		if ev.Data.DeadLetter != nil {
			want = ev.Data.DeadLetter.EventID
		}
		require.Equal(t, want, operational.SubjectEventID(e), "%s", e.Type())
		if e.Type() == operational.DeadLettered {
			require.NotEmpty(t, want, "the mock dead letter names its event")
		}
	}
	require.Empty(t, operational.SubjectEventID(nil))
}
