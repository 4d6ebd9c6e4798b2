package validate_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/validate"
)

// A header map need not come from net/http, which writes names in their
// canonical case: a Go action's answer or a test's literal may write
// them in lower case. Names are matched in any case, as Header says,
// the canonical spelling's values first.
func TestHeaderNameInAnyCaseOfTheMap(t *testing.T) {
	tests := []struct {
		name   string
		h      http.Header
		v      *validate.HeaderValidator
		passed bool
		found  string
	}{
		{"lower case", http.Header{"x-result": {"accepted"}}, validate.Header("X-Result", "accepted"), true, "accepted"},
		{"upper case, presence", http.Header{"X-RESULT": {"anything"}}, validate.Header("x-result"), true, "anything"},
		{"content type as a media type", http.Header{"content-type": {"application/json; charset=utf-8"}}, validate.Header("Content-Type", "application/json"), true, "application/json; charset=utf-8"},
		{"canonical first", http.Header{"x-result": {"late"}, "X-Result": {"early"}}, validate.Header("X-Result"), true, "early"},
		{"any spelling's value", http.Header{"x-result": {"accepted"}, "X-Result": {"refused"}}, validate.Header("X-Result", "accepted"), true, "accepted"},
		{"other spellings in sorted order", http.Header{"x-result": {"b"}, "X-RESULT": {"a"}}, validate.Header("X-Result", "c"), false, `["a","b"]`},
		{"absent", http.Header{"x-other": {"accepted"}}, validate.Header("X-Result", "accepted"), false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.v.Check(tt.h)
			require.Equal(t, tt.passed, got.Passed, got.String())
			require.Equal(t, tt.found, got.Found)
		})
	}
}
