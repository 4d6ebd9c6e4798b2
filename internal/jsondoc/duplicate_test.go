package jsondoc

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestRepeatedKeyKeepsFirstPlace checks that a member given twice is one
// member, with the last value at the first one's place, as JavaScript's
// JSON.parse gives it: what templates enumerate, count and write agrees
// with handlebars.js.
func TestRepeatedKeyKeepsFirstPlace(t *testing.T) {
	// Enough members to be checked through a map.
	var many, manyOnce strings.Builder
	for i := range 40 {
		fmt.Fprintf(&many, `,"k%d":%d`, i, i)
		if i == 0 {
			manyOnce.WriteString(`,"k0":"again"`)
		} else {
			fmt.Fprintf(&manyOnce, `,"k%d":%d`, i, i)
		}
	}
	for _, tc := range []struct{ in, want string }{
		{`{"a":1,"b":2,"a":3}`, `{"a":3,"b":2}`},
		{`{"a":1,"a":2,"a":{"x":[1,{"x":1,"x":2}]}}`, `{"a":{"x":[1,{"x":2}]}}`},
		{`{"":1,"b":2,"":3}`, `{"":3,"b":2}`},
		{`[{"k":1,"k":"two"},{"k":3}]`, `[{"k":"two"},{"k":3}]`},
		{"{" + many.String()[1:] + `,"k0":"again"}`, "{" + manyOnce.String()[1:] + "}"},
	} {
		t.Run(tc.in[:min(len(tc.in), 40)], func(t *testing.T) {
			for _, limit := range []int{maxInline, 2} {
				func() {
					defer func(old int) { maxInline = old }(maxInline)
					maxInline = limit
					v, err := Parse([]byte(tc.in))
					require.NoError(t, err)
					require.Equal(t, tc.want, string(v.AppendJSON(nil)))
				}()
			}
		})
	}
}
