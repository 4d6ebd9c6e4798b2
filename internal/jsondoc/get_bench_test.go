package jsondoc

import (
	"fmt"
	"strings"
	"testing"
)

// BenchmarkGet resolves data.requester.name and data.id in a 3 KB event,
// as a hand-written renderer does.
func BenchmarkGet(b *testing.B) {
	v, err := Parse(benchEvent(b))
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		data := v.Get("data")
		if data.Get("requester").Get("name") == nil || data.Get("id") == nil {
			b.Fatal("miss")
		}
	}
}

// BenchmarkGetScan is Get's worst case: 50 members whose keys all have the
// length and first byte of the one looked up, compared in full.
func BenchmarkGetScan(b *testing.B) {
	var sb strings.Builder
	sb.WriteString("{")
	for i := range 50 {
		if i > 0 {
			sb.WriteString(",")
		}
		fmt.Fprintf(&sb, `"k%03d":%d`, i, i)
	}
	sb.WriteString("}")
	v, err := Parse([]byte(sb.String()))
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if v.Get("k000") == nil || v.Get("x") != nil {
			b.Fatal("miss")
		}
	}
}
