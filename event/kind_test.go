package event_test

import (
	"io/fs"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/accessrequest"
	"github.com/outhook/outhook/event"
)

func TestKindMock(t *testing.T) {
	k := accessrequest.Kind()
	e, ok := k.Mock(accessrequest.Expired)
	require.True(t, ok)
	require.Equal(t, accessrequest.Expired, e.Type())
	_, ok = k.Mock("AccessRequestExpired")
	require.False(t, ok, "a Kind matches mock events by their type as written")
	_, ok = event.Kind{}.Mock(accessrequest.Expired)
	require.False(t, ok)
}

// A Kind is plain data a service builds: a nil among its mock events
// is passed over, not a panic.
func TestKindMockPassesOverANil(t *testing.T) {
	e, err := event.New("invoice.paid", map[string]any{})
	require.NoError(t, err)
	k := event.Kind{Name: "billing", Triggers: []event.Trigger{"invoice.paid"}, Mocks: []*event.Event{nil, e}}
	var got *event.Event
	var ok bool
	require.NotPanics(t, func() { got, ok = k.Mock("invoice.paid") })
	require.True(t, ok)
	require.Same(t, e, got)
}

func TestParseFilesNamesTheFileAtFault(t *testing.T) {
	fsys := fstest.MapFS{
		"a.json": {Data: []byte(`{"event_type": "A", "event_time": 1}`)},
		"b.json": {Data: []byte(`{"event_type": "B"`)},
	}
	es, err := event.ParseFiles(fsys, "a.json")
	require.NoError(t, err)
	require.Equal(t, event.Trigger("A"), es[0].Type())
	_, err = event.ParseFiles(fsys, "a.json", "b.json")
	require.ErrorContains(t, err, "b.json")
	_, err = event.ParseFiles(fsys, "missing.json")
	require.ErrorIs(t, err, fs.ErrNotExist)
}
