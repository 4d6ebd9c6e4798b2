package webhook_test

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/outhook/outhook/accessrequest"
	"github.com/outhook/outhook/event"
	"github.com/stretchr/testify/require"
)

// TestEventsMustBeUTF8 publishes events whose strings hold bytes that are
// not UTF-8: with no body template such an event would be forwarded as a
// body that is not JSON, so it is refused, saying where.
func TestEventsMustBeUTF8(t *testing.T) {
	rc := newReceiver(t, nil)
	d, _ := newDispatcher(t)
	w := torqLike(rc.URL)
	w.BodyTemplate = "" // the event as it is
	_, err := d.Add(w)
	require.NoError(t, err)

	raw := []byte("{\"event_type\":\"RequestCreated\",\"event_time\":1773134100,\n\"data\":{\"requester\":{\"name\":\"Zo\xeb\"},\"tags\":[\"ok\",\"\xff\"]}}")
	tests := []struct {
		name, in, field string
		bad             string // the first bad byte, unique in the input
		line            int
	}{
		{"in a value", string(raw), "data.requester.name", "\xeb", 2},
		{"in an array", string(bytes.Replace(raw, []byte("Zo\xeb"), []byte("Zoë"), 1)), "data.tags[1]", "\xff", 2},
		{"after an escape", "{\"event_type\":\"RequestCreated\",\"event_time\":1,\"data\":{\"note\":\"a\\n\xc3(\"}}", "data.note", "\xc3", 1},
		{"in a key", "{\"event_type\":\"RequestCreated\",\"event_time\":1,\"data\":{\"k\xff\":1}}", "data", "\xff", 1},
		// Valid JSON syntax, but it stands for no character: forwarded as it
		// is, strict receivers (I-JSON, RFC 7493) refuse it, and templates
		// and filters would see U+FFFD instead.
		{"a lone surrogate escape", `{"event_type":"RequestCreated","event_time":1,"data":{"note":"a\ud800b"}}`, "data.note", `\ud800`, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, parse := range []func([]byte) error{
				func(b []byte) error { _, err := event.Parse(b); return err },
				func(b []byte) error { _, err := d.PublishJSON(context.Background(), b); return err },
				func(b []byte) error { return json.Unmarshal(b, new(event.Event)) },
			} {
				err := parse([]byte(tt.in))
				var ee *event.Error
				require.ErrorAs(t, err, &ee)
				require.ErrorIs(t, err, event.ErrInvalidUTF8)
				require.ErrorIs(t, err, event.ErrMalformed)
				require.Equal(t, tt.field, ee.Field)
				off := strings.Index(tt.in, tt.bad)
				require.Equal(t, off, ee.Offset, "the offset of the first bad byte")
				col := off - strings.LastIndexByte(tt.in[:off], '\n')
				require.Equal(t, []int{tt.line, col}, []int{ee.Line, ee.Column}, "line, column")
				require.Contains(t, err.Error(), tt.field)
			}
		})
	}

	// Raw JSON handed to NewEvent is held to the same rule; a Go string
	// with a bad byte is repaired by encoding/json, and the body is JSON.
	_, err = event.New(accessrequest.Created, json.RawMessage("{\"name\":\"\xff\"}"))
	require.ErrorIs(t, err, event.ErrInvalidUTF8)
	e, err := event.New(accessrequest.Created, map[string]string{"name\xfe": "Zo\xeb"})
	require.NoError(t, err)
	require.True(t, json.Valid(e.JSON()) && utf8.Valid(e.JSON()))
	require.Empty(t, rc.got(), "nothing was sent")
}
