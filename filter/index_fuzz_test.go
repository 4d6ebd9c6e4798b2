package filter_test

import (
	"encoding/json"
	"testing"

	"github.com/outhook/outhook/filter"
)

// Whatever the filter and the event, an Index never leaves out a filter
// that matches: Candidates, followed by Match, finds exactly what Match
// over every filter finds. The filter loaded back from its JSON form (as
// a Dispatcher shares filters by that form) matches as the original does.
func FuzzIndexCandidates(f *testing.F) {
	for _, seed := range [][2]string{
		{`{"a":"x"}`, `{"a":"x"}`},
		{`{"a":{"$eq":1}}`, `{"a":"1"}`},
		{`{"a":{"$eq":"1"}}`, `{"a":1}`},
		{`{"a":{"$eq":null}}`, `{}`},
		{`{"a":{"$eq":null}}`, `{"a":null}`},
		{`{"a":{"$eq":true}}`, `{"a":[true,false]}`},
		{`{"a[]":{"$eq":"x"}}`, `{"a":["y","x"]}`},
		{`{"a":{"$eq":"x"}}`, `{"a":["x"]}`},
		{`{"a[][]":{"$in":["x","x"]}}`, `{"a":[["x"],[]]}`},
		{`{"a[\"b.c\"]":"é"}`, `{"a":{"b.c":"é","b":{"c":"x"}}}`},
		{`{"a.b.c":"x"}`, `{"a":{"b":{"c":"x"}},"a.b.c":"y"}`},
		{`{"A":"x"}`, `{"a":"x"}`},
		{`{"a":"x\u0000"}`, `{"a":"x\u0000"}`},
		{`{"a":"x","a":"y"}`, `{"a":"x","a":"y"}`},
		{`{"$and":[{"$or":[{"d.a":"x"},{"d.b":"y"}]},{"d.c":{"$in":["p","q"]}}]}`, `{"d":{"b":"y","c":"q"}}`},
		{`{"$not":{"a":{"$ne":"x"}}}`, `{"a":"x"}`},
		{`{"d.a":{"$every":{"$eq":"x"}},"d.b":"y"}`, `{"d":{"a":"x","b":"y"}}`},
		{`{"$or":[]}`, `{}`},
		{`{"a[0].b":{"$in":[false,null]}}`, `{"a":[{"b":null}]}`},
	} {
		f.Add([]byte(seed[0]), []byte(seed[1]))
	}
	f.Fuzz(func(t *testing.T, flt, ev []byte) {
		fl, err := filter.Parse(flt)
		if err != nil || !json.Valid(ev) {
			return
		}
		form, err := fl.MarshalJSON()
		if err != nil {
			t.Fatalf("MarshalJSON: %v", err)
		}
		again, err := filter.Parse(form)
		if err != nil {
			t.Fatalf("%s does not load back: %v", form, err)
		}
		var ix filter.Index[int]
		ix.Add(0, fl)
		ix.Add(1, filter.Must(filter.New(filter.Eq("zz", "never")))) // another path, another value
		for _, rep := range representations {
			doc := rep.decode(t, ev)
			want := fl.Match(doc)
			if got := again.Match(doc); got != want {
				t.Fatalf("%s: %s matches %s: %v; loaded from its JSON form %s: %v", rep.name, flt, ev, want, form, got)
			}
			found := false
			for _, v := range ix.Candidates(nil, doc) {
				found = found || v == 0
			}
			if want && !found {
				t.Fatalf("%s: %s matches %s, and the index leaves it out", rep.name, flt, ev)
			}
		}
	})
}
