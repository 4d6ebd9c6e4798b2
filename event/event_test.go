package event_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/accessrequest"
	"github.com/outhook/outhook/event"
	"github.com/outhook/outhook/internal/testkit/sharedtest"
)

func TestParseEventReadsEnvelope(t *testing.T) {
	for name, raw := range withMocks(sharedtest.Events(t)) {
		t.Run(name, func(t *testing.T) {
			e, err := event.Parse(raw)
			require.NoError(t, err)
			var probe struct {
				Type string          `json:"event_type"`
				Time json.RawMessage `json:"event_time"`
			}
			require.NoError(t, json.Unmarshal(raw, &probe))
			require.Equal(t, event.Trigger(probe.Type), e.Type())
			require.True(t, accessrequest.Is(e.Type()))
			require.Equal(t, string(probe.Time), e.Time().String())
			require.Equal(t, raw, e.JSON())
			require.NotNil(t, e.Document())
		})
	}
}

func TestParseEventKeepsItsOwnCopy(t *testing.T) {
	raw := []byte(`{"event_type":"RequestCreated","event_time":1.5,"data":{"x":"y"}}`)
	e, err := event.Parse(raw)
	require.NoError(t, err)
	copy(raw, bytes.Repeat([]byte{' '}, len(raw)))
	require.Equal(t, `{"event_type":"RequestCreated","event_time":1.5,"data":{"x":"y"}}`, string(e.JSON()))
}

func TestParseEventErrors(t *testing.T) {
	tests := []struct {
		name      string
		in        string
		field     string
		line, col int
		is        error
		msg       string
	}{
		{"malformed", "{\n  \"event_type\": \"RequestCreated\",\n  \"event_time\": 12,,\n}", "", 3, 20, event.ErrMalformed,
			"event: line 3, column 20: malformed JSON: unexpected ',', expected a string for an object key"},
		{"truncated", `{"event_type": "Req`, "", 1, 20, event.ErrMalformed, "unexpected end of input in string"},
		{"array", `[1,2]`, "", 0, 0, event.ErrNotObject, "an event must be a JSON object, not an array"},
		{"no type", `{"event_time": 1.0, "data": {}}`, "event_type", 0, 0, event.ErrMissingType, "event: event_type: missing event_type"},
		{"empty type", `{"event_type": "", "event_time": 1.0}`, "event_type", 0, 0, event.ErrInvalidType, "non-empty string"},
		{"numeric type", `{"event_type": 7, "event_time": 1.0}`, "event_type", 0, 0, event.ErrInvalidType, "not a number"},
		{"no time", `{"event_type": "RequestCreated"}`, "event_time", 0, 0, event.ErrMissingTime, "missing event_time"},
		{"string time", `{"event_type": "RequestCreated", "event_time": "yesterday"}`, "event_time", 0, 0, event.ErrInvalidTimestamp, "not a string"},
		{"exponent time", `{"event_type": "RequestCreated", "event_time": 1.7e9}`, "event_time", 0, 0, event.ErrInvalidTimestamp, "not 1.7e9"},
		{"ten decimals", `{"event_type": "RequestCreated", "event_time": 1.0123456789}`, "event_time", 0, 0, event.ErrInvalidTimestamp, "at most 9 decimals"},
		{"numeric id", `{"event_type": "RequestCreated", "event_time": 1, "event_id": 5}`, "event_id", 0, 0, event.ErrInvalidID, "not a number"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := event.Parse([]byte(tt.in))
			require.Nil(t, e)
			var ee *event.Error
			require.ErrorAs(t, err, &ee)
			require.ErrorIs(t, err, tt.is)
			require.Equal(t, tt.field, ee.Field)
			require.Equal(t, tt.line, ee.Line)
			require.Equal(t, tt.col, ee.Column)
			require.Contains(t, err.Error(), tt.msg)
		})
	}
}

func TestNewEventFromGoValues(t *testing.T) {
	ts, err := event.ParseTimestamp("1696263265.851898000")
	require.NoError(t, err)

	t.Run("typed struct", func(t *testing.T) {
		e, err := event.New(accessrequest.Granted, accessrequest.Request{
			ID:        "req-1",
			Requester: accessrequest.User{Name: "Dana"},
		}, event.WithTime(ts), event.WithID("evt-9"))
		require.NoError(t, err)
		require.Equal(t, accessrequest.Granted, e.Type())
		require.Equal(t, "1696263265.851898000", e.Time().String())
		require.Equal(t, "evt-9", e.ID())
		got := sharedtest.DecodeExact(t, e.JSON()).(map[string]any)
		data := got["data"].(map[string]any)
		require.Equal(t, "Dana", data["requester"].(map[string]any)["name"])
		require.Equal(t, []any{}, data["access_groups"], "nil lists encode as []")
		require.Equal(t, map[string]any{}, data["custom_fields"])
		require.Nil(t, data["revocation_date"])
		require.Equal(t, json.Number("1696263265.851898000"), got["event_time"])
	})

	t.Run("own event type and map data", func(t *testing.T) {
		before := time.Now()
		e, err := event.New("invoice.paid", map[string]any{"amount": 12.5})
		require.NoError(t, err)
		require.Equal(t, event.Trigger("invoice.paid"), e.Type())
		require.False(t, accessrequest.Is(e.Type()))
		require.Empty(t, e.ID())
		require.WithinDuration(t, before, e.Time().Time(), time.Second)
	})

	t.Run("unencodable data", func(t *testing.T) {
		_, err := event.New("x", map[string]any{"c": make(chan int)})
		var ee *event.Error
		require.ErrorAs(t, err, &ee)
		require.Equal(t, "data", ee.Field)
	})

	t.Run("inside a decoded struct", func(t *testing.T) {
		var envelope struct {
			Event *event.Event `json:"event"`
		}
		require.NoError(t, json.Unmarshal([]byte(`{"event":{"event_type":"AccessRequestCreated","event_time":3}}`), &envelope))
		require.Equal(t, accessrequest.Created, accessrequest.Canonical(envelope.Event.Type()))
		out, err := json.Marshal(envelope)
		require.NoError(t, err)
		require.JSONEq(t, `{"event":{"event_type":"AccessRequestCreated","event_time":3}}`, string(out))
	})
}

func TestTimestamp(t *testing.T) {
	for _, lit := range []string{"0", "1696263265.851898000", "1773301205.000000000", "1.5", "-1.25", "-0.5", "12"} {
		ts, err := event.ParseTimestamp(lit)
		require.NoError(t, err, lit)
		require.Equal(t, lit, ts.String())
		b, err := json.Marshal(ts)
		require.NoError(t, err)
		require.Equal(t, lit, string(b))
		// Through time.Time and back loses only the literal's padding.
		back := event.TimestampOf(ts.Time())
		require.True(t, back.Time().Equal(ts.Time()), lit)
	}
	for _, bad := range []string{"", "-", "1.", ".5", "01", "1e9", "1.1234567890", "0x10", "1,5", `"1"`, "99999999999999999999"} {
		_, err := event.ParseTimestamp(bad)
		require.ErrorIs(t, err, event.ErrInvalidTimestamp, bad)
	}
	ts, _ := event.ParseTimestamp("1696263265.851898")
	require.Equal(t, time.Date(2023, 10, 2, 16, 14, 25, 851898000, time.UTC), ts.Time())
	require.Equal(t, "1696263265.851898000", event.TimestampOf(ts.Time()).String())
	require.Equal(t, "-1.500000000", event.TimestampOf(time.Unix(-2, 5e8)).String())
	require.Equal(t, "-0.250000000", event.TimestampOf(time.Unix(-1, 75e7)).String())
	require.True(t, event.Timestamp{}.IsZero())
}

func FuzzParseEvent(f *testing.F) {
	for _, e := range accessrequest.Mocks() {
		f.Add(e.JSON())
	}
	f.Add([]byte(`{"event_type":"x","event_time":1}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		e, err := event.Parse(raw)
		if err != nil {
			var ee *event.Error
			if !errors.As(err, &ee) {
				t.Fatalf("error %T is not an *EventError", err)
			}
			return
		}
		if !json.Valid(raw) {
			t.Fatalf("accepted invalid JSON %q", raw)
		}
		if e.Type() == "" || e.Time().IsZero() {
			t.Fatalf("accepted an event without type or time: %q", raw)
		}
	})
}

// withMocks adds the built-in mock events to events, by trigger.
func withMocks(events map[string][]byte) map[string][]byte {
	for _, e := range accessrequest.Mocks() {
		events["mock/"+string(e.Type())] = e.JSON()
	}
	return events
}

// An Event or a Timestamp held in a struct of the caller's own behaves as
// encoding/json's own types do: it encodes whether the struct is passed
// by value or by pointer, and a JSON null leaves it as it was.
func TestEventInAStructFollowsEncodingJSON(t *testing.T) {
	type envelope struct {
		Event event.Event     `json:"event"`
		At    event.Timestamp `json:"at"`
		Ref   *event.Event    `json:"ref"`
	}
	e, _ := accessrequest.Mock(accessrequest.Created)
	raw := []byte(`{"event":` + string(e.JSON()) + `,"at":1773134100.482913204,"ref":null}`)
	var in envelope
	require.NoError(t, json.Unmarshal(raw, &in))
	require.Equal(t, accessrequest.Created, in.Event.Type())

	for name, v := range map[string]any{"by value": in, "by pointer": &in} {
		out, err := json.Marshal(v)
		require.NoError(t, err, name)
		require.Equal(t, sharedtest.DecodeExact(t, raw), sharedtest.DecodeExact(t, out), name)
	}

	var kept envelope
	require.NoError(t, json.Unmarshal(raw, &kept))
	require.NoError(t, json.Unmarshal([]byte(`{"event":null,"at":null,"ref":null}`), &kept), "null is no event and no time")
	require.Equal(t, in.Event.JSON(), kept.Event.JSON())
	require.Equal(t, in.At, kept.At)

	out, err := json.Marshal(envelope{})
	require.NoError(t, err, "the zero Event encodes as null")
	require.JSONEq(t, `{"event":null,"at":0,"ref":null}`, string(out))
}
