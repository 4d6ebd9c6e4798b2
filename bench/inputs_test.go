package bench

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/outhook/outhook/internal/testkit/benchinput"
)

// The inputs every benchmark of this module shares, so that the numbers of
// one table can be compared with those of another:
//
//   - the 3 KB access-request event, ../template/testdata/events/request-created.json
//     (a copy of ../shared/fixtures/apono/request-created.json, 2,764 bytes);
//   - the Torq body and the rich body (compare_test.go);
//   - the 885-byte response, ../validate/testdata/response.json.

func readResponse(tb testing.TB) []byte {
	tb.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "validate", "testdata", "response.json"))
	if err != nil {
		tb.Fatal(err)
	}
	if len(raw) != 885 {
		tb.Fatalf("response.json has %d bytes, want 885", len(raw))
	}
	return raw
}

// The hand-written renderers: the lower bound.
var (
	handTorq = benchinput.HandTorq
	handRich = benchinput.HandRich
)
