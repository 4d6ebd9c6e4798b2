package validate_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/validate"
)

// A path that does not compile is refused with the line and byte column of
// the fault in the path as written, though the parser reads it rewritten (the
// $.data prefix taken off, single quotes made double, a $ added).
func TestInvalidPathSaysWhereInThePathAsWritten(t *testing.T) {
	tests := []struct {
		path      string
		line, col int
		says      string
	}{
		{`$.data.a[?(@.x==)]`, 1, 17, `unexpected ")"`},
		{`$.data.`, 1, 8, "unexpected EOF"},
		{`$.data.a b`, 1, 10, "unexpected Ident"},
		{`data.a b`, 1, 8, "unexpected Ident"},
		{`  $.data.a b`, 1, 12, "unexpected Ident"},
		{`$['data']['x' 1]`, 1, 15, "unexpected Int"},
		{`$.data.a[?(@.x=='it\'s' ==)]`, 1, 27, `unexpected ")"`},
		{`$.data.a[?(@.x=="é" ==)]`, 1, 24, `unexpected ")"`},
		{`$.data.items[?(@.state=='done)]`, 1, 25, "no closing quote"},
		{"$.data.a\n b", 2, 2, "unexpected Ident"},
		// The parser's other form of error, with one position, that just
		// past the operator it does not know: the operator.
		{`$.data[?(@.a=="x" && @.b=="y")]`, 1, 19, "unknown operator &&"},
		{`$['data'][?(@.a=='é' || @.b)]`, 1, 23, "unknown operator ||"},
		// The end of a path is the end of what is written, not of the
		// spaces or lines after it.
		{"$.data.a[\n", 1, 10, "unexpected EOF"},
		{"$.data.a[  \r\n\t", 1, 10, "unexpected EOF"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			_, err := validate.JSONPath(tt.path, []string{"ok"})
			var pe *validate.PathError
			require.ErrorAs(t, err, &pe)
			require.ErrorIs(t, err, validate.ErrInvalidPath)
			require.Equal(t, tt.path, pe.Path)
			require.Equal(t, [2]int{tt.line, tt.col}, [2]int{pe.Line, pe.Column}, err.Error())
			require.Contains(t, err.Error(), tt.says)
			// The message speaks of the path as written only.
			require.NotContains(t, err.Error(), "\t")
			require.NotContains(t, err.Error(), "parsing error")
		})
	}
}

// A fault with no place in the path (more than one recursive descent) has
// no line and column.
func TestPathFaultWithoutAPlace(t *testing.T) {
	_, err := validate.JSONPath("$.data..a..b", nil)
	var pe *validate.PathError
	require.ErrorAs(t, err, &pe)
	require.Zero(t, pe.Line)
	require.Zero(t, pe.Column)
}
