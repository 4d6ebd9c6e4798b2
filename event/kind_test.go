package event_test

import (
	"testing"

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
