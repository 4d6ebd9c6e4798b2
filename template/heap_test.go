package template_test

import (
	"runtime"
	"testing"

	"github.com/outhook/outhook/internal/testkit/benchinput"
	"github.com/outhook/outhook/template"
)

// templateHeap returns the heap each of n compiled copies of src holds.
func templateHeap(tb testing.TB, src string, n int) int64 {
	keep := make([]*template.Template, n)
	before := liveHeap()
	for i := range keep {
		t, err := template.Parse(src, template.WithName("body_template"), template.WithMode(template.JSON))
		if err != nil {
			tb.Fatal(err)
		}
		keep[i] = t
	}
	perTemplate := (liveHeap() - before) / int64(n)
	runtime.KeepAlive(keep)
	return perTemplate
}

func liveHeap() int64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapAlloc)
}

// TestTemplateHeap bounds what a compiled body holds: a service keeps one
// per distinct body of its webhooks.
func TestTemplateHeap(t *testing.T) {
	for _, c := range []struct {
		name  string
		src   string
		bound int64
	}{
		{"torq", benchinput.Torq, 1536},  // 2 fields
		{"rich", benchinput.Rich, 10240}, // 10 fields, 2 loops
	} {
		if got := templateHeap(t, c.src, 200); got > c.bound {
			t.Errorf("%s: %d bytes per compiled template, want at most %d", c.name, got, c.bound)
		}
	}
}

// BenchmarkTemplateHeap reports the heap a compiled body holds
// (B/template).
func BenchmarkTemplateHeap(b *testing.B) {
	for _, c := range []struct{ name, src string }{{"torq", benchinput.Torq}, {"rich", benchinput.Rich}} {
		b.Run(c.name, func(b *testing.B) {
			var per int64
			for b.Loop() {
				per = templateHeap(b, c.src, 1000)
			}
			b.ReportMetric(float64(per), "B/template")
		})
	}
}
