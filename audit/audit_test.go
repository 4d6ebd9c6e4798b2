package audit_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/audit"
	"github.com/outhook/outhook/event"
	"github.com/outhook/outhook/internal/testkit/schematest"
	"github.com/outhook/outhook/internal/testkit/sharedtest"
)

func TestTypedStructsRoundTripExactly(t *testing.T) {
	for i, e := range audit.Mocks() {
		t.Run(string(rune('0'+i)), func(t *testing.T) {
			var ev audit.Event
			require.NoError(t, e.Decode(&ev))
			out, err := json.Marshal(ev)
			require.NoError(t, err)
			require.Equal(t, sharedtest.DecodeExact(t, e.JSON()), sharedtest.DecodeExact(t, out))
			require.Equal(t, e.Time().String(), ev.EventTime.String())
		})
	}
}

func TestEntryBuiltInGo(t *testing.T) {
	e, err := event.New(audit.Recorded, audit.Entry{Action: "deleted", TargetType: "bundle"})
	require.NoError(t, err)
	data := sharedtest.DecodeExact(t, e.JSON()).(map[string]any)["data"].(map[string]any)
	require.Equal(t, map[string]any{}, data["metadata"], "nil metadata encodes as {}")
	require.Nil(t, data["current_target_object"])
	require.Contains(t, data, "previous_target_object")
	require.Nil(t, data["previous_target_object"])
}

func TestTrigger(t *testing.T) {
	require.Equal(t, []event.Trigger{"AuditRecorded"}, audit.Triggers())
	require.True(t, audit.Is(audit.Recorded))
	require.False(t, audit.Is("RequestCreated"))
	k := audit.Kind()
	require.Equal(t, audit.Triggers(), k.Triggers)
	require.Same(t, audit.Schema(), k.Schema)
	require.Equal(t, audit.Mocks(), k.Mocks)
}

func TestMockEvents(t *testing.T) {
	events := audit.Mocks()
	require.Len(t, events, 3)
	first, ok := audit.Mock(audit.Recorded)
	require.True(t, ok)
	require.Same(t, events[0], first)
	_, ok = audit.Mock("IntegrationError")
	require.False(t, ok)
	events[0] = nil
	require.NotNil(t, audit.Mocks()[0], "Mocks returns the caller's own slice")

	var seen struct {
		quote, backslash, newline, nonASCII, nullPrevious, nullCurrent, emptyMetadata, nullMetadataValue bool
		actions                                                                                          []string
	}
	for _, e := range audit.Mocks() {
		require.Equal(t, audit.Recorded, e.Type())
		var ev audit.Event
		require.NoError(t, e.Decode(&ev))
		d := ev.Data
		seen.quote = seen.quote || strings.Contains(d.TargetName, `"`)
		seen.backslash = seen.backslash || strings.Contains(d.TargetName, `\`)
		seen.newline = seen.newline || strings.Contains(d.TargetName, "\n")
		seen.nonASCII = seen.nonASCII || strings.ContainsFunc(d.ActorName, func(r rune) bool { return r > 127 })
		seen.nullPrevious = seen.nullPrevious || string(d.PreviousTargetObject) == "null"
		seen.nullCurrent = seen.nullCurrent || string(d.CurrentTargetObject) == "null"
		seen.emptyMetadata = seen.emptyMetadata || d.Metadata != nil && len(d.Metadata) == 0
		for _, v := range d.Metadata {
			seen.nullMetadataValue = seen.nullMetadataValue || string(v) == "null"
		}
		seen.actions = append(seen.actions, d.Action+" "+d.TargetType+" via "+d.Source)
	}
	require.True(t, seen.quote && seen.backslash && seen.newline && seen.nonASCII, "%+v", seen)
	require.True(t, seen.nullPrevious && seen.nullCurrent && seen.emptyMetadata && seen.nullMetadataValue, "%+v", seen)
	require.Equal(t, []string{"created access flow via web application", "updated bundle via Terraform", "deleted integration via API"}, seen.actions)
}

func TestSchemaMatchesMockEvents(t *testing.T) {
	schematest.Covers(t, audit.Schema(), audit.Mocks()...)
	for _, p := range []string{"data.timestamp", "data.action", "data.actor_id", "data.actor_name", "data.actor_type", "data.source",
		"data.target_id", "data.target_type", "data.target_name", "data.metadata", "data.current_target_object", "data.previous_target_object"} {
		f, ok := audit.Schema().Field(p)
		require.True(t, ok, p)
		require.NotEmpty(t, f.Description, p)
	}
	// The target objects are open: any member, at any depth.
	typ, ok := audit.Schema().Lookup("data.current_target_object.grantees.attribute_filters[0].operator")
	require.True(t, ok)
	require.Equal(t, "any", typ)
	_, ok = audit.Schema().Lookup("data.actor.name")
	require.False(t, ok)
}

// An event's event_id survives the typed form.
func TestTypedEventKeepsItsID(t *testing.T) {
	mock := audit.Mocks()[0]
	var ev audit.Event
	require.NoError(t, mock.Decode(&ev))
	e, err := event.New(ev.EventType, ev.Data, event.WithTime(ev.EventTime), event.WithID("evt_audit_1"))
	require.NoError(t, err)
	var typed audit.Event
	require.NoError(t, e.Decode(&typed))
	out, err := json.Marshal(typed)
	require.NoError(t, err)
	require.Equal(t, sharedtest.DecodeExact(t, e.JSON()), sharedtest.DecodeExact(t, out))
}
