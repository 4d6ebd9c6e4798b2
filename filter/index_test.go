package filter_test

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/filter"
)

// indexPaths and indexValues are few, so that random filters and events
// meet often.
var (
	indexPaths  = []string{"data.env", "$.data.env", `data["env"]`, "data.tags[]", "data.tags[0]", "data.groups[].type", "kind", "data.on"}
	indexValues = []any{"a", "b", "c", true, false, nil, 1, "1", 1.0}
)

func randomValue(r *rand.Rand) any { return indexValues[r.IntN(len(indexValues))] }

func randomClause(r *rand.Rand, depth int) filter.Clause {
	path := indexPaths[r.IntN(len(indexPaths))]
	if depth > 0 && r.IntN(3) == 0 {
		kids := make([]filter.Clause, r.IntN(4))
		for i := range kids {
			kids[i] = randomClause(r, depth-1)
		}
		switch r.IntN(3) {
		case 0:
			return filter.All(kids...)
		case 1:
			return filter.Any(kids...)
		}
		return filter.Not(randomClause(r, depth-1))
	}
	var c filter.Clause
	switch r.IntN(7) {
	case 0, 1:
		c = filter.Eq(path, randomValue(r))
	case 2, 3:
		vals := make([]any, 1+r.IntN(3))
		for i := range vals {
			vals[i] = randomValue(r)
		}
		c = filter.In(path, vals...)
	case 4:
		c = filter.Neq(path, randomValue(r))
	case 5:
		c = filter.Exists(path)
	default:
		c = filter.Prefix(path, "a")
	}
	if r.IntN(4) == 0 {
		c = filter.Every(c)
	}
	return c
}

func randomEvent(r *rand.Rand) []byte {
	val := func() string {
		b, _ := json.Marshal(randomValue(r))
		return string(b)
	}
	var parts []string
	if r.IntN(5) > 0 {
		parts = append(parts, `"env":`+val())
	}
	if r.IntN(3) > 0 {
		tags := make([]string, r.IntN(3))
		for i := range tags {
			tags[i] = val()
		}
		parts = append(parts, fmt.Sprintf(`"tags":[%s]`, join(tags)))
	}
	if r.IntN(3) > 0 {
		groups := make([]string, r.IntN(3))
		for i := range groups {
			groups[i] = `{"type":` + val() + `}`
		}
		parts = append(parts, fmt.Sprintf(`"groups":[%s]`, join(groups)))
	}
	if r.IntN(2) > 0 {
		parts = append(parts, `"on":`+val())
	}
	return fmt.Appendf(nil, `{"kind":%s,"data":{%s}}`, val(), join(parts))
}

func join(ss []string) string { return strings.Join(ss, ",") }

// The filters an Index's candidates hold that match an event are exactly
// those that match it among all: for random filters (the zero filter,
// comparisons of every kind, And, Or, Not, Every, paths written several
// ways) and random events, in every representation Match reads, with
// filters removed and added again.
func TestIndexSameAsEveryFilter(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 1))
	for round := range 40 {
		filters := make([]*filter.Filter, 200)
		var ix filter.Index[int]
		for i := range filters {
			c := randomClause(r, 3)
			if r.IntN(20) == 0 {
				c = filter.Clause{}
			}
			f, err := filter.New(c)
			if err != nil {
				continue // an In of one value twice is fine; nothing else fails
			}
			filters[i] = f
			ix.Add(i, f)
		}
		// Removed, some added back under another filter.
		for i := range filters {
			if r.IntN(5) == 0 {
				ix.Remove(i)
				filters[i] = nil
			}
		}
		require.Equal(t, countNonNil(filters), ix.Len())
		for range 30 {
			raw := randomEvent(r)
			for _, rep := range representations {
				doc := rep.decode(t, raw)
				var want []int
				for i, f := range filters {
					if f != nil && f.Match(doc) {
						want = append(want, i)
					}
				}
				cands := ix.Candidates(nil, doc)
				require.Len(t, cands, len(uniq(cands)), "candidates once each")
				var got []int
				for _, i := range cands {
					if filters[i].Match(doc) {
						got = append(got, i)
					}
				}
				slices.Sort(got)
				require.Equal(t, want, got, "round %d, %s, event %s", round, rep.name, raw)
			}
		}
	}
}

func countNonNil(fs []*filter.Filter) int {
	n := 0
	for _, f := range fs {
		if f != nil {
			n++
		}
	}
	return n
}

func uniq(xs []int) []int {
	s := slices.Clone(xs)
	slices.Sort(s)
	return slices.Compact(s)
}

// An event holding none of the values the filters are indexed under gets
// no candidate but the residual filters, however many filters there are;
// the filters form is indexed as the clause form is.
func TestIndexSelects(t *testing.T) {
	var ix filter.Index[string]
	for i := range 1000 {
		ix.Add(fmt.Sprintf("env%d", i), filter.Must(filter.New(filter.All(
			filter.Prefix("data.requester.email", "a"),
			filter.Environment(fmt.Sprintf("env-%d", i)),
		))))
	}
	ix.Add("types", filter.Must(filter.FromFilters(filter.Filters{IntegrationTypes: []string{"AWS", "GCP"}})))
	ix.Add("any", filter.Must(filter.New(filter.Prefix("data.requester.email", "a"))))
	ix.Add("never", filter.Must(filter.New(filter.Any())))
	doc := map[string]any{"data": map[string]any{
		"custom_fields":  map[string]any{"environment": "env-7"},
		"access_groups":  []any{map[string]any{"integration": map[string]any{"type": "GCP"}}, map[string]any{"integration": map[string]any{"type": "AWS"}}},
		"requester":      map[string]any{"email": "ann@example.com"},
		"unindexed_path": "x",
	}}
	got := ix.Candidates(nil, doc)
	slices.Sort(got)
	require.Equal(t, []string{"any", "env7", "types"}, got)

	ix.Remove("env7")
	ix.Add("types", filter.Must(filter.New(filter.IntegrationType("Mysql"))))
	got = ix.Candidates(nil, doc)
	require.Equal(t, []string{"any"}, got)
	require.Equal(t, 1002, ix.Len())
}

// An event holding many values at an indexed path, each selecting other
// filters, costs Candidates in proportion to those values: sixteen times
// the values take about sixteen times as long (up to a hundred times
// measured on a loaded machine, caches missed), not the 256 times of a
// cost that grows with their square (over 500 times measured). Each
// figure is the CPU time of the fastest of a few runs: the wall clock
// would count the time the test waited for a core.
func TestCandidatesCostFollowsTheEventsValues(t *testing.T) {
	cost := func(n int) time.Duration {
		var ix filter.Index[int]
		tags := make([]string, n)
		for i := range n {
			ix.Add(i, filter.Must(filter.New(filter.Eq("data.tags[]", fmt.Sprint("t", i)))))
			tags[i] = fmt.Sprintf(`"t%d"`, i)
		}
		doc := representations[0].decode(t, []byte(`{"data":{"tags":[`+join(tags)+`]}}`))
		runtime.GC() // not the setup's garbage
		best := time.Duration(1 << 62)
		for range 5 {
			var got []int
			best = min(best, threadCPU(t, func() { got = ix.Candidates(nil, doc) }))
			require.Len(t, got, n)
		}
		return best
	}
	small, large := cost(1000), cost(16000)
	t.Logf("1,000 values: %v; 16,000: %v", small, large)
	require.Less(t, large, 200*small+5*time.Millisecond, "1,000 values: %v; 16,000: %v", small, large)
}

// An Index of many filters, each under a value of its own (a requester)
// or under two (an integration and its replica), holds a few large tables
// rather than objects per filter, which the collector would mark at every
// cycle while the index lives.
func TestIndexHoldsNoObjectPerFilter(t *testing.T) {
	const n = 20_000
	filters := make([]*filter.Filter, n)
	for i := range filters {
		c := filter.Eq("data.requester.id", fmt.Sprint("usr-", i))
		if i%2 == 1 {
			c = filter.In("data.integration.id", fmt.Sprint("int-", i), fmt.Sprint("int-", i, "-replica"))
		}
		filters[i] = filter.Must(filter.New(c))
	}
	var ix filter.Index[int]
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for i, f := range filters {
		ix.Add(i, f)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(filters)
	perFilter := float64(after.HeapObjects-before.HeapObjects) / n
	t.Logf("%.2f objects and %d bytes held per filter", perFilter, (after.HeapAlloc-before.HeapAlloc)/n)
	require.Less(t, perFilter, 0.25)
	require.Equal(t, []int{7}, ix.Candidates(nil, map[string]any{"data": map[string]any{"integration": map[string]any{"id": "int-7-replica"}}}))
}

// A filter read from JSON, as a Dispatcher loads every definition's,
// holds its clause once and its equality tests inside their comparisons:
// no object of its own for either, since a store of a million filters
// would give the collector millions more to mark.
func TestParsedFilterObjects(t *testing.T) {
	const n = 20_000
	srcs := make([][]byte, n)
	for i := range srcs {
		c := filter.Requester(fmt.Sprint("usr-", i))
		if i%2 == 1 {
			c = filter.All(filter.Environment(fmt.Sprint("env-", i)), filter.IntegrationType("Postgresql"))
		}
		b, err := filter.Must(filter.New(c)).MarshalJSON()
		require.NoError(t, err)
		srcs[i] = b
	}
	filters := make([]*filter.Filter, n)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for i, src := range srcs {
		filters[i] = filter.Must(filter.Parse(src))
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(filters)
	perFilter := float64(after.HeapObjects-before.HeapObjects) / n
	t.Logf("%.2f objects and %d bytes held per filter", perFilter, (after.HeapAlloc-before.HeapAlloc)/n)
	// Half with one comparison, half with two under an And: 17.25 when
	// each kept a copy of its clause and its equality test apart.
	require.LessOrEqual(t, perFilter, 16.0)
	require.True(t, filters[1].Match(map[string]any{"data": map[string]any{
		"custom_fields": map[string]any{"environment": "env-1"},
		"access_groups": []any{map[string]any{"integration": map[string]any{"type": "Postgresql"}}},
	}}))
}
