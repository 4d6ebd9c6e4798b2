package headerfold_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/internal/headerfold"
)

func TestValues(t *testing.T) {
	h := http.Header{"X-Id": {"a"}, "x-id": {"c"}, "X-ID": {"b"}, "X-Other": {"z"}}
	require.Equal(t, []string{"a", "b", "c"}, headerfold.Values(h, "X-Id"))
	require.Equal(t, []string{"a"}, h["X-Id"], "the map's own slice is left as it was")
	require.Nil(t, headerfold.Values(h, "X-Missing"))
}
