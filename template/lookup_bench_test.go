package template

import "testing"

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

var sink []string = []string{"data", "id"}

func BenchmarkLookupVarKeys(b *testing.B) {
	ev := benchEvent(b)
	keys := sink
	for b.Loop() {
		if ev.Get(keys[0]).Get(keys[1]) == nil {
			b.Fatal("miss")
		}
	}
}
