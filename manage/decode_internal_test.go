package manage

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/webhook"
)

func TestDecodeStrictSaysWhereEachProblemIs(t *testing.T) {
	for name, tc := range map[string]struct {
		body   string
		kind   kind
		errors []FieldError
	}{
		"empty": {"", kindMalformedJSON, []FieldError{{Line: 1, Column: 1, Message: "the request body is empty"}}},
		"syntax": {"{\n  \"name\": \"a\",\n  \"url\" \"x\"\n}", kindMalformedJSON,
			[]FieldError{{Line: 3, Column: 9, Message: "unexpected '\"' after object key, expected ':'"}}},
		"trailing data": {`{"name": "a"} {}`, kindMalformedJSON,
			[]FieldError{{Line: 1, Column: 15, Message: "unexpected '{' after the top-level value"}}},
		"invalid UTF-8": {"{\"name\": \"a\xff\"}", kindMalformedJSON,
			[]FieldError{{Field: "name", Line: 1, Column: 12, Message: "invalid UTF-8 in string"}}},
		"unknown and misspelt fields, all of them": {"{\n \"name\": \"a\",\n \"URL\": \"https://x\",\n \"delivery\": {\"retry\": {\"max_atempts\": 3}},\n \"nope\": {\"deep\": [1]}\n}", kindInvalidRequest,
			[]FieldError{
				{Field: "URL", Line: 3, Column: 2, Message: `unknown field "URL" (field names are case-sensitive: did you mean "url"?)`},
				{Field: "delivery.retry.max_atempts", Line: 4, Column: 25, Message: `unknown field "max_atempts"`},
				{Field: "nope", Line: 5, Column: 2, Message: `unknown field "nope"`},
			}},
		"a field twice": {`{"url": "https://a", "url": "https://b"}`, kindInvalidRequest,
			[]FieldError{{Field: "url", Line: 1, Column: 22, Message: `field "url" given twice`}}},
		"wrong type": {"{\"name\": \"a\",\n \"triggers\": \"RequestCreated\"}", kindInvalidRequest,
			[]FieldError{{Field: "triggers", Line: 2, Column: 14, Message: "triggers must be an array, not a JSON string"}}},
		"a value that decodes itself refuses": {"{\"delivery\": {\"rate_limit\": {\"requests\": 1,\n \"per\": \"soon\"}}}", kindInvalidRequest,
			[]FieldError{{Field: "delivery.rate_limit.per", Line: 2, Column: 9, Message: `delivery.rate_limit.per: webhook: duration "soon": time: invalid duration "soon"`}}},
		"not an object": {`["a"]`, kindInvalidRequest,
			[]FieldError{{Line: 1, Column: 1, Message: "the request body must be an object, not a JSON array"}}},
	} {
		t.Run(name, func(t *testing.T) {
			var w webhook.Webhook
			err := decodeStrict([]byte(tc.body), &w)
			var p *problem
			require.True(t, errors.As(err, &p), "%v", err)
			require.Equal(t, tc.kind, p.kind, p.detail)
			require.Equal(t, tc.errors, p.errors)
		})
	}
}

func TestDecodeStrictKeepsWhatItReads(t *testing.T) {
	var w webhook.Webhook
	require.NoError(t, decodeStrict([]byte(`{"name": "a", "headers": {"X-Key": "v"}, "filters": {"approval": "manual"}, "delivery": {"retry": {"max_elapsed": 90}}}`), &w))
	require.Equal(t, "a", w.Name)
	require.Equal(t, map[string]string{"X-Key": "v"}, w.Headers)
	require.NotNil(t, w.Filters)
	require.Equal(t, webhook.Duration(90*time.Second), w.Delivery.Retry.MaxElapsed)

	var empty webhook.Webhook
	require.NoError(t, decodeStrict([]byte(`{"headers": {}, "signing_secrets": [], "filters": null}`), &empty))
	require.NotNil(t, empty.Headers, "an empty object is not an omitted one")
	require.NotNil(t, empty.SigningSecrets)
	require.Nil(t, empty.Filters)
}

// TestIntegerDigitsIsBounded: the exact value of a long number costs time
// that grows faster than its length, so only short ones are read as
// integers; a long one is refused as encoding/json refuses it.
func TestIntegerDigitsIsBounded(t *testing.T) {
	for in, want := range map[string]string{"30.0": "30", "2e0": "2", "1.5e1": "15", "-0.0": "0", "7": "7"} {
		got, ok := integerDigits(in)
		require.True(t, ok, in)
		require.Equal(t, want, got, in)
	}
	for _, in := range []string{"1.5", "1e-5", "1e400", "1" + strings.Repeat("0", 100000) + ".0", "1." + strings.Repeat("0", 100000)} {
		_, ok := integerDigits(in)
		require.False(t, ok, in[:min(len(in), 10)])
	}
}
