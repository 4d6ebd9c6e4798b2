package redact

import (
	"encoding/base64"
	"math/rand/v2"
	"strings"
	"testing"
)

// certLines returns n lines of 64 characters of base64, as echoSecrets
// lists a client certificate's, and a body of size bytes of other base64.
func certLines(n, size int) ([]string, string) {
	r := rand.New(rand.NewPCG(1, 2))
	raw := make([]byte, 48*n)
	for i := range raw {
		raw[i] = byte(r.Uint32())
	}
	enc := base64.StdEncoding.EncodeToString(raw)
	lines := make([]string, n)
	for i := range lines {
		lines[i] = enc[64*i : 64*(i+1)]
	}
	body := make([]byte, size*3/4)
	for i := range body {
		body[i] = byte(r.Uint32())
	}
	return lines, base64.StdEncoding.EncodeToString(body)[:size]
}

// BenchmarkScrubCertificate scrubs a 64 KB base64 body with the forms of
// a client certificate's 24 lines, and, as the anchor in the same run, a
// strings.Replacer of the same forms.
func BenchmarkScrubCertificate(b *testing.B) {
	lines, body := certLines(24, 64<<10)
	r := New(WithSecrets(lines...))
	b.Logf("%d forms", len(r.forms))
	b.Run("scrub", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		for b.Loop() {
			r.scrub(body)
		}
	})
	b.Run("replacer", func(b *testing.B) {
		rep := replacerOf(r)
		b.SetBytes(int64(len(body)))
		for b.Loop() {
			rep.Replace(body)
		}
	})
	// A body made of the starts of the secrets: each position starts
	// many forms for many bytes.
	var hostile strings.Builder
	for hostile.Len() < 64<<10 {
		hostile.WriteString(lines[hostile.Len()%len(lines)][:63])
	}
	b.Run("scrub-hostile", func(b *testing.B) {
		b.SetBytes(int64(hostile.Len()))
		for b.Loop() {
			r.scrub(hostile.String())
		}
	})
	b.Run("replacer-hostile", func(b *testing.B) {
		rep := replacerOf(r)
		b.SetBytes(int64(hostile.Len()))
		for b.Loop() {
			rep.Replace(hostile.String())
		}
	})
}
