package jsondoc

import (
	"encoding/json"
	"os"
	"runtime"
	"strings"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/internal/testkit/sharedtest"
)

// TestBigValues parses every valid input with the inline limit lowered to
// two, so that texts, keys and lists longer than that take the big form a
// document over 256 MiB would need.
func TestBigValues(t *testing.T) {
	inputs := append([]string{
		`{"long key":"long text","k":[1,2,3,{"deep":[true,false,null]}],"k":"last wins"}`,
		`["a,b,c","[{","}]",[[],{}],{"x":"y, z"}]`,
	}, validInputs...)
	defer func(old int) { maxInline = old }(maxInline)
	maxInline = 2
	for _, in := range inputs {
		t.Run(in, func(t *testing.T) {
			v, err := Parse([]byte(in))
			require.NoError(t, err)
			require.Equal(t, decodeStd(t, []byte(in)), v.Any())
			require.Equal(t, decodeStd(t, []byte(in)), decodeStd(t, v.AppendJSON(nil)))
		})
	}
	v, err := Parse([]byte(`{"long key":"long text","k":[1,2,3],"k":["x"]}`))
	require.NoError(t, err)
	require.Equal(t, "long text", v.Get("long key").Text())
	require.Equal(t, 1, v.Get("k").Len())
	require.Equal(t, "x", v.Get("k").Elem(0).Text())
	require.Nil(t, v.Get("long kez"))
	key, val := v.Member(0)
	require.Equal(t, "long key", key)
	require.Equal(t, String, val.Kind())
}

// TestParseKeepsNoSlack checks that a document whose strings hold many
// commas and brackets, which the arena's bound counts, keeps no more
// values than it has, and reads the same.
func TestParseKeepsNoSlack(t *testing.T) {
	in := `{"text":"` + strings.Repeat(",[{", 200) + `","list":[1,{"a":[2,3]},"x,y"],"o":{"b":{"c":"d"}}}`
	v, err := Parse([]byte(in))
	require.NoError(t, err)
	require.Equal(t, decodeStd(t, []byte(in)), v.Any())
	require.Equal(t, "d", v.Get("o").Get("b").Get("c").Text())
	require.Equal(t, "3", v.Get("list").Elem(1).Get("a").Elem(1).Text())
	// The document holds 12 values (24 bytes each) and points into its
	// input; the bound counted over 600.
	const n = 100
	inputs := make([][]byte, n)
	for i := range inputs {
		inputs[i] = []byte(in)
	}
	docs := make([]*Value, n)
	before := liveHeap()
	for i := range docs {
		docs[i], err = ParseStrictShared(inputs[i])
		require.NoError(t, err)
	}
	perDoc := (liveHeap() - before) / n
	runtime.KeepAlive(docs)
	require.LessOrEqual(t, perDoc, int64(12*unsafe.Sizeof(Value{})+64))
}

// TestParseStrictSharedPointsIntoInput checks that a shared document's
// strings are the input's bytes, not a copy.
func TestParseStrictSharedPointsIntoInput(t *testing.T) {
	in := []byte(`{"name":"Lucía","n":12.50,"esc":"a\nb"}`)
	v, err := ParseStrictShared(in)
	require.NoError(t, err)
	name := v.Get("name").Text()
	require.Equal(t, "Lucía", name)
	require.Equal(t, unsafe.Pointer(&in[9]), unsafe.Pointer(unsafe.StringData(name)))
	require.Equal(t, "12.50", v.Get("n").Text())
	require.Equal(t, "a\nb", v.Get("esc").Text())
	_, err = ParseStrictShared([]byte("{\"a\":\"\xff\"}"))
	var se *SyntaxError
	require.ErrorAs(t, err, &se)
	require.Equal(t, MsgInvalidUTF8, se.Msg)
}

// TestDocumentHeap bounds the heap a parsed fixture holds beside its
// input: at most the input's size again.
func TestDocumentHeap(t *testing.T) {
	for _, f := range sharedtest.Files(t, "fixtures/apono", "*.json") {
		raw, err := os.ReadFile(f)
		require.NoError(t, err)
		const n = 200
		inputs := make([][]byte, n)
		for i := range inputs {
			inputs[i] = append([]byte(nil), raw...)
		}
		docs := make([]*Value, n)
		before := liveHeap()
		for i := range docs {
			docs[i], err = ParseStrictShared(inputs[i])
			require.NoError(t, err)
		}
		perDoc := (liveHeap() - before) / n
		runtime.KeepAlive(docs)
		require.LessOrEqual(t, perDoc, int64(len(raw)), "%s: %d bytes per document beside its %d-byte input", f, perDoc, len(raw))
		require.True(t, json.Valid(docs[0].AppendJSON(nil)))
	}
}

func liveHeap() int64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapAlloc)
}
