package bodyread_test

import (
	"errors"
	"io"
	"math"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/internal/bodyread"
)

func TestRead(t *testing.T) {
	body := strings.Repeat("x", 1000)
	for _, tc := range []struct {
		name             string
		limit, announced int64
		want             int
	}{
		{"under the limit, unannounced", 2000, -1, 1000},
		{"under the limit, announced", 2000, 1000, 1000},
		{"past the limit: one byte more tells it", 10, -1, 11},
		{"announced past the limit", 10, 1000, 11},
		{"the largest length announced", 2000, math.MaxInt64, 1000},
		{"the largest limit reads it whole", math.MaxInt64, -1, 1000},
		{"the largest limit and length", math.MaxInt64, math.MaxInt64, 1000},
		{"a length announced short", 2000, 3, 1000},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := bodyread.Read(nil, strings.NewReader(body), tc.limit, tc.announced)
			require.NoError(t, err)
			require.Equal(t, body[:tc.want], string(got))
		})
	}
}

// A buffer given is read into from its start, and kept when it has room.
func TestReadReusesTheBuffer(t *testing.T) {
	buf := make([]byte, 3, 4096)
	got, err := bodyread.Read(buf, strings.NewReader("hello"), 100, 5)
	require.NoError(t, err)
	require.Equal(t, "hello", string(got))
	require.Same(t, &buf[:1][0], &got[0])
}

// A read that fails returns what came before it.
func TestReadKeepsWhatCameBeforeAnError(t *testing.T) {
	boom := errors.New("connection reset")
	r := io.MultiReader(strings.NewReader("part"), iotest.ErrReader(boom))
	got, err := bodyread.Read(nil, r, 100, -1)
	require.ErrorIs(t, err, boom)
	require.Equal(t, "part", string(got))
}
