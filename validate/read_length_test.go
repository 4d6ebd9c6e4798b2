package validate_test

import (
	"io"
	"math"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/validate"
)

// A response announcing any length, the largest there is included, is
// read up to the limit: the announced length sizes no buffer beyond it.
func TestReadAnnouncedLengths(t *testing.T) {
	const body = `{"ok":true}`
	for _, announced := range []int64{-1, 0, 5, int64(len(body)), 1 << 40, math.MaxInt64 - 1, math.MaxInt64} {
		resp := &http.Response{StatusCode: http.StatusOK, Header: http.Header{}, ContentLength: announced, Body: io.NopCloser(strings.NewReader(body))}
		r, err := validate.Read(resp, 8)
		require.NoError(t, err, "announced %d", announced)
		require.Equal(t, body[:8], string(r.Body), "announced %d", announced)
		require.True(t, r.Truncated, "announced %d", announced)
	}
}

// A limit of the largest length there is reads the body whole, whatever
// length the response announces: an announced length sizes no buffer
// beyond what a body of it could fill at once.
func TestReadLargestLimit(t *testing.T) {
	const body = `{"ok":true}`
	for _, announced := range []int64{-1, int64(len(body)), 1 << 40, math.MaxInt64} {
		resp := &http.Response{StatusCode: http.StatusOK, Header: http.Header{}, ContentLength: announced, Body: io.NopCloser(strings.NewReader(body))}
		r, err := validate.Read(resp, math.MaxInt64)
		require.NoError(t, err, "announced %d", announced)
		require.Equal(t, body, string(r.Body), "announced %d", announced)
		require.False(t, r.Truncated, "announced %d", announced)
	}
}
