package template

import "testing"

// BenchmarkLookupPath compares resolving a path with the direct calls a
// hand-written renderer makes.
func BenchmarkLookupPath(b *testing.B) {
	ev := benchEvent(b)
	e, _ := parsePath("data.requester.name")
	s := &state{}
	s.push(ctxFrame{v: ev})
	b.Run("template", func(b *testing.B) {
		for b.Loop() {
			if _, ok := s.lookup(e); !ok {
				b.Fatal("miss")
			}
		}
	})
	b.Run("direct", func(b *testing.B) {
		for b.Loop() {
			if ev.Get("data").Get("requester").Get("name") == nil {
				b.Fatal("miss")
			}
		}
	})
	e2, _ := parsePath("data.id")
	b.Run("template-id", func(b *testing.B) {
		for b.Loop() {
			if _, ok := s.lookup(e2); !ok {
				b.Fatal("miss")
			}
		}
	})
	b.Run("direct-id", func(b *testing.B) {
		for b.Loop() {
			if ev.Get("data").Get("id") == nil {
				b.Fatal("miss")
			}
		}
	})
}
