package validate_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/validate"
)

// The parser skips spaces and line breaks between the tokens of a path, so
// $.data .a is $.data.a: the $.data that names the body is the same with
// spaces in it, and does not become a member called data.
func TestSpacedDataPrefixIsTheBody(t *testing.T) {
	raw := []byte(`{"a": "body", "data": {"a": "member"}}`)
	var body any
	require.NoError(t, json.Unmarshal(raw, &body))
	for _, path := range []string{
		"$.data.a",
		"$.data .a",
		"$ .data.a",
		"$. data.a",
		"$.data\n.a",
		"$\t.data\r\n.a",
		"$['data'] .a",
		"$[ 'data' ].a",
		"$[\"data\" ]['a']",
		" $ . data . a ",
	} {
		t.Run(path, func(t *testing.T) {
			v, err := validate.JSONPath(path, []string{"body"})
			require.NoError(t, err)
			require.True(t, v.Check(body).Passed, "%+v", v.Check(body))
			require.True(t, v.Validate(&validate.Response{StatusCode: 200, Body: raw}).Passed)
		})
	}
	// The member called data is still reached as $.data.data.
	v, err := validate.JSONPath("$.data . data .a", []string{"member"})
	require.NoError(t, err)
	require.True(t, v.Check(body).Passed)
}
