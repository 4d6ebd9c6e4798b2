package validate_test

import (
	"context"
	"os"
	"testing"

	"github.com/PaesslerAG/jsonpath"
	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/validate"
)

// The library against PaesslerAG/jsonpath's own compiled evaluation of the
// same path over the same decoded 885-byte body: the ratio of the two is what
// validate adds.
func BenchmarkJSONPath(b *testing.B) {
	raw, err := os.ReadFile("testdata/response.json")
	require.NoError(b, err)
	require.Len(b, raw, 885)
	body := decodeBody(b, string(raw))

	b.Run("jsonpath", func(b *testing.B) {
		eval, err := jsonpath.New("$.output.ticket.state")
		require.NoError(b, err)
		ctx := context.Background()
		b.ReportAllocs()
		for b.Loop() {
			got, err := eval(ctx, body)
			if err != nil || got != "open" {
				b.Fatal(got, err)
			}
		}
	})
	b.Run("validate", func(b *testing.B) {
		v := validate.MustJSONPath("$.data.output.ticket.state", []string{"open", "resolved"})
		b.ReportAllocs()
		for b.Loop() {
			if r := v.Check(body); !r.Passed {
				b.Fatal(r)
			}
		}
	})
	// What a webhook runs: Validate on a response whose body is parsed
	// once; a plain path is walked on it without PaesslerAG/jsonpath.
	b.Run("validate-parsed", func(b *testing.B) {
		v := validate.MustJSONPath("$.data.output.ticket.state", []string{"open", "resolved"})
		resp := &validate.Response{StatusCode: 200, Body: raw}
		require.True(b, v.Validate(resp).Passed) // parses the body
		b.ReportAllocs()
		for b.Loop() {
			if r := v.Validate(resp); !r.Passed {
				b.Fatal(r)
			}
		}
	})
	b.Run("jsonpath-wildcard", func(b *testing.B) {
		eval, err := jsonpath.New("$.output.notified[*].channel")
		require.NoError(b, err)
		ctx := context.Background()
		b.ReportAllocs()
		for b.Loop() {
			got, err := eval(ctx, body)
			if err != nil || len(got.([]any)) != 3 {
				b.Fatal(got, err)
			}
		}
	})
	b.Run("validate-wildcard", func(b *testing.B) {
		v := validate.MustJSONPath("$.data.output.notified[*].channel", []string{"slack"})
		b.ReportAllocs()
		for b.Loop() {
			if r := v.Check(body); !r.Passed {
				b.Fatal(r)
			}
		}
	})
}

// A whole Set on a raw response: decoding the body dominates.
func BenchmarkSet(b *testing.B) {
	raw, err := os.ReadFile("testdata/response.json")
	require.NoError(b, err)
	set := validate.NewSet([]validate.Validator{
		validate.Status(),
		validate.MustJSONPath("$.data.status", []string{"ok"}),
		validate.MustJSONPath("$.data.output.ticket.state", []string{"open"}),
	})
	b.ReportAllocs()
	for b.Loop() {
		if !set.Validate(&validate.Response{StatusCode: 200, Body: raw}).Passed() {
			b.Fatal("failed")
		}
	}
}
