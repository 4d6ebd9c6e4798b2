package suggest

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestClosest(t *testing.T) {
	known := []string{"data.requester.name", "data.requester.email", "data.access_flow.name", "event_type"}
	tests := map[string]string{
		"data.requestor.name":  "data.requester.name",
		"data.acess_flow.name": "data.access_flow.name",
		"event_typ":            "event_type",
		"data.requester.mail":  "data.requester.email",
		"nothing.like.it":      "",
		"":                     "",
	}
	for in, want := range tests {
		require.Equal(t, want, Closest(in, known), in)
	}
}

func TestDistance(t *testing.T) {
	require.Equal(t, 0, Distance("abc", "abc", 10))
	require.Equal(t, 1, Distance("abc", "abd", 10))
	require.Equal(t, 3, Distance("", "abc", 10))
	require.Equal(t, 3, Distance("kitten", "sitting", 10))
	require.Equal(t, 2, Distance("kitten", "sitting", 2), "capped at the limit")
}
