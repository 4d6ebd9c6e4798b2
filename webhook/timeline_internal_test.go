package webhook

import (
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"
	"time"
)

// A timeline keeps the newest max items in order whatever order they
// arrive in, across the end of its circular buffer, with ties kept in
// the order they came.
func TestTimelineKeepsOrderOfLateItems(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	base := time.Unix(1795435200, 0)
	for _, maxItems := range []int{1, 2, 7, 37, 300} {
		l := &timeline[Position]{max: maxItems, at: func(p *Position) Position { return *p }}
		var want []Position
		for n := range 3000 {
			// Up to 64 late, as records of attempts in flight together;
			// some at the same time, which their ids order.
			p := Position{Time: base.Add(time.Duration(n-rng.IntN(64)) * time.Millisecond), ID: strconv.Itoa(rng.IntN(4))}
			dropped, ok := l.insert(p, p)

			i := len(want)
			for i > 0 && want[i-1].Before(p) {
				i--
			}
			want = slices.Insert(want, i, p)
			if len(want) > maxItems {
				if !ok || dropped != want[0] {
					t.Fatalf("max %d, item %d: dropped %v (%v), want %v", maxItems, n, dropped, ok, want[0])
				}
				want = want[1:]
			} else if ok {
				t.Fatalf("max %d, item %d: dropped %v with room left", maxItems, n, dropped)
			}
			if l.n != len(want) {
				t.Fatalf("max %d, item %d: %d items, want %d", maxItems, n, l.n, len(want))
			}
			for j := range l.n {
				if *l.get(j) != want[j] {
					t.Fatalf("max %d, item %d: item %d is %v, want %v", maxItems, n, j, *l.get(j), want[j])
				}
			}
		}
	}
}

// An item later than many kept costs the log of their number in
// comparisons, not their number: the store's lock is held meanwhile, and
// at 256 deliveries in flight a record is routinely that late.
func TestTimelineLateInsertIsLogarithmic(t *testing.T) {
	calls := 0
	l := &timeline[Position]{max: 10000, at: func(p *Position) Position { calls++; return *p }}
	base := time.Unix(1795435200, 0)
	for n := range 5000 {
		p := Position{Time: base.Add(time.Duration(n) * time.Millisecond)}
		l.insert(p, p)
	}
	calls = 0
	late := Position{Time: base.Add(-time.Second)} // older than all 5000
	l.insert(late, late)
	if calls > 40 {
		t.Errorf("inserting an item 5000 places late made %d comparisons", calls)
	}
	if *l.get(0) != late || l.n != 5001 {
		t.Errorf("the late item is not the oldest of %d", l.n)
	}
}

// BenchmarkTimelineLateInsert keeps records that finish out of the order
// they started in, as 256 attempts in flight together do, in a full
// timeline of DefaultRecordsPerWebhook.
func BenchmarkTimelineLateInsert(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	base := time.Unix(1795435200, 0)
	l := &timeline[*Invocation]{max: DefaultRecordsPerWebhook, at: invocationAt}
	// Records are reused once the timeline has dropped them: 1024 inserts
	// later, one is older than the DefaultRecordsPerWebhook kept.
	invs := make([]Invocation, 1024)
	n := 0
	for b.Loop() {
		inv := &invs[n%len(invs)]
		inv.StartedAt = base.Add(time.Duration(n-rng.IntN(256)) * time.Microsecond)
		l.insert(inv, invocationAt(&inv))
		n++
	}
}
