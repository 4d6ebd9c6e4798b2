package template

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"testing"

	"github.com/outhook/outhook/internal/jsondoc"
	"github.com/outhook/outhook/internal/testkit/benchinput"
)

// The inputs of the performance targets, shared with the bench module.
const (
	benchTorq = benchinput.Torq
	benchRich = benchinput.Rich
)

var (
	handTorq = benchinput.HandTorq
	handRich = benchinput.HandRich
)

func benchEvent(b testing.TB) *jsondoc.Value {
	raw, err := os.ReadFile("testdata/events/request-created.json")
	if err != nil {
		b.Fatal(err)
	}
	doc, err := jsondoc.Parse(raw)
	if err != nil {
		b.Fatal(err)
	}
	return doc
}

func TestHandWrittenMatches(t *testing.T) {
	ev := benchEvent(t)
	for _, c := range []struct {
		src  string
		hand func([]byte, *jsondoc.Value) []byte
	}{{benchTorq, handTorq}, {benchRich, handRich}} {
		got, err := MustParse(c.src).Append(nil, ev)
		if err != nil {
			t.Fatal(err)
		}
		if want := c.hand(nil, ev); string(got) != string(want) {
			t.Fatalf("got  %s\nwant %s", got, want)
		}
		if !json.Valid(got) {
			t.Fatalf("invalid JSON: %s", got)
		}
	}
}

func benchmarkTemplate(b *testing.B, src string, data any) {
	t := MustParse(src)
	buf := make([]byte, 0, 4096)
	b.ReportAllocs()
	for b.Loop() {
		var err error
		if buf, err = t.Append(buf[:0], data); err != nil {
			b.Fatal(err)
		}
	}
}

func benchmarkHand(b *testing.B, hand func([]byte, *jsondoc.Value) []byte, ev *jsondoc.Value) {
	buf := make([]byte, 0, 4096)
	b.ReportAllocs()
	for b.Loop() {
		buf = hand(buf[:0], ev)
	}
}

// decoded returns the event as encoding/json decodes it.
func decoded(b *testing.B) any {
	raw, err := os.ReadFile("testdata/events/request-created.json")
	if err != nil {
		b.Fatal(err)
	}
	var v any
	d := json.NewDecoder(bytesReader(raw))
	d.UseNumber()
	if err := d.Decode(&v); err != nil {
		b.Fatal(err)
	}
	return v
}

func BenchmarkTorq(b *testing.B) {
	ev := benchEvent(b)
	b.Run("hand", func(b *testing.B) { benchmarkHand(b, handTorq, ev) })
	b.Run("template", func(b *testing.B) { benchmarkTemplate(b, benchTorq, ev) })
	b.Run("template-map", func(b *testing.B) { benchmarkTemplate(b, benchTorq, decoded(b)) })
}

func BenchmarkRich(b *testing.B) {
	ev := benchEvent(b)
	b.Run("hand", func(b *testing.B) { benchmarkHand(b, handRich, ev) })
	b.Run("template", func(b *testing.B) { benchmarkTemplate(b, benchRich, ev) })
	b.Run("template-map", func(b *testing.B) { benchmarkTemplate(b, benchRich, decoded(b)) })
}

func BenchmarkExecute(b *testing.B) {
	ev := benchEvent(b)
	t := MustParse(benchRich)
	b.ReportAllocs()
	for b.Loop() {
		if err := t.Execute(discard{}, ev); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParse(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(benchRich); err != nil {
			b.Fatal(err)
		}
	}
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

func bytesReader(b []byte) *bytes.Reader { return bytes.NewReader(b) }

var ratios = flag.Bool("ratios", false, "run TestRatios, which measures the template against the hand-written renderers")

// TestRatios measures each template against its hand-written renderer in
// one run, alternating them five times and keeping the fastest of each, so
// that load on the machine does not skew the ratio. Run with -ratios.
func TestRatios(t *testing.T) {
	if !*ratios {
		t.Skip("run with -ratios to measure")
	}
	ev := benchEvent(t)
	for _, c := range []struct {
		name string
		src  string
		hand func([]byte, *jsondoc.Value) []byte
	}{{"torq", benchTorq, handTorq}, {"rich", benchRich, handRich}} {
		tmpl := MustParse(c.src)
		best := func(cur, next testing.BenchmarkResult) testing.BenchmarkResult {
			if cur.N == 0 || next.NsPerOp() < cur.NsPerOp() {
				return next
			}
			return cur
		}
		var hand, templ testing.BenchmarkResult
		for range 5 {
			hand = best(hand, testing.Benchmark(func(b *testing.B) { benchmarkHand(b, c.hand, ev) }))
			templ = best(templ, testing.Benchmark(func(b *testing.B) {
				buf := make([]byte, 0, 4096)
				b.ReportAllocs()
				for b.Loop() {
					buf, _ = tmpl.Append(buf[:0], ev)
				}
			}))
		}
		ratio := float64(templ.NsPerOp()) / float64(hand.NsPerOp())
		t.Logf("%s: hand-written %d ns/op, template %d ns/op, %d allocs/op: %.2fx", c.name, hand.NsPerOp(), templ.NsPerOp(), templ.AllocsPerOp(), ratio)
		if templ.AllocsPerOp() > 1 {
			t.Errorf("%s: %d allocations per render", c.name, templ.AllocsPerOp())
		}
	}
}
