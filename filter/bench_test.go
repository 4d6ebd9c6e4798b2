package filter_test

import (
	"encoding/json"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/filter"
	"github.com/outhook/outhook/internal/jsondoc"
)

// realistic is a four-clause filter: production requests on Postgres or MySQL,
// approved by a person, for at most eight hours.
var realistic = filter.All(
	filter.Environment("production"),
	filter.IntegrationType("Postgresql", "Mysql"),
	filter.Approval(filter.ApprovalManual),
	filter.Lte("data.access_duration_in_seconds", 28800),
)

// handMap is the same check written by hand over encoding/json's values.
func handMap(event any) bool {
	ev, _ := event.(map[string]any)
	data, _ := ev["data"].(map[string]any)
	fields, _ := data["custom_fields"].(map[string]any)
	if env, _ := fields["environment"].(string); env != "production" {
		return false
	}
	groups, _ := data["access_groups"].([]any)
	found := false
	for _, g := range groups {
		group, _ := g.(map[string]any)
		integration, _ := group["integration"].(map[string]any)
		if typ, _ := integration["type"].(string); typ == "Postgresql" || typ == "Mysql" {
			found = true
			break
		}
	}
	if !found {
		return false
	}
	approvals, _ := data["approvals"].([]any)
	found = false
	for _, a := range approvals {
		approval, _ := a.(map[string]any)
		approver, _ := approval["approver"].(map[string]any)
		if id, _ := approver["id"].(string); id != "" {
			found = true
			break
		}
	}
	if !found {
		return false
	}
	n, _ := data["access_duration_in_seconds"].(json.Number)
	f, err := n.Float64()
	return err == nil && f <= 28800
}

// handValue is the same check written by hand over a *jsondoc.Value.
func handValue(ev *jsondoc.Value) bool {
	data := ev.Get("data")
	if env := data.Get("custom_fields").Get("environment"); env.Kind() != jsondoc.String || env.Text() != "production" {
		return false
	}
	groups := data.Get("access_groups")
	found := false
	for i := range groups.Len() {
		typ := groups.Elem(i).Get("integration").Get("type")
		if typ.Kind() == jsondoc.String && (typ.Text() == "Postgresql" || typ.Text() == "Mysql") {
			found = true
			break
		}
	}
	if !found {
		return false
	}
	approvals := data.Get("approvals")
	found = false
	for i := range approvals.Len() {
		id := approvals.Elem(i).Get("approver").Get("id")
		if id.Kind() == jsondoc.String && id.Text() != "" {
			found = true
			break
		}
	}
	if !found {
		return false
	}
	n := data.Get("access_duration_in_seconds")
	f, err := strconv.ParseFloat(n.Text(), 64)
	return n.Kind() == jsondoc.Number && err == nil && f <= 28800
}

func TestHandWrittenAgrees(t *testing.T) {
	f := filter.Must(filter.New(realistic))
	for _, name := range triggers {
		v := representations[0].decode(t, fixture(t, name)).(*jsondoc.Value)
		m := representations[1].decode(t, fixture(t, name))
		require.Equal(t, handValue(v), f.Match(v), name)
		require.Equal(t, handMap(m), f.Match(m), name)
	}
	require.True(t, f.Match(representations[0].decode(t, fixture(t, "approved"))))
}

// The compiled filter against the hand-written function, on the approved
// event, which passes every clause (the most work).
func BenchmarkRealisticFilter(b *testing.B) {
	f := filter.Must(filter.New(realistic))
	value := representations[0].decode(b, fixture(b, "approved")).(*jsondoc.Value)
	m := representations[1].decode(b, fixture(b, "approved"))

	b.Run("jsondoc/filter", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if !f.Match(value) {
				b.Fatal("no match")
			}
		}
	})
	b.Run("jsondoc/hand", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if !handValue(value) {
				b.Fatal("no match")
			}
		}
	})
	b.Run("map/filter", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if !f.Match(m) {
				b.Fatal("no match")
			}
		}
	})
	b.Run("map/hand", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if !handMap(m) {
				b.Fatal("no match")
			}
		}
	})
	b.Run("jsondoc/explain-match", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if f.Explain(value) != nil {
				b.Fatal("mismatch")
			}
		}
	})
	failed := representations[0].decode(b, fixture(b, "failed"))
	b.Run("jsondoc/explain-mismatch", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if f.Explain(failed) == nil {
				b.Fatal("match")
			}
		}
	})
}

func BenchmarkCompile(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := filter.New(realistic); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkIndex measures Candidates over the parsed 3 KB event among
// 100,000 filters on a requester, an integration or an environment, 10
// of which the event passes: the cost follows those 10 and the 3 paths.
func BenchmarkIndex(b *testing.B) {
	event := loadEvent("created")
	var ix filter.Index[int]
	for i := range 100_000 {
		var c filter.Clause
		switch {
		case i < 10:
			c = filter.All(filter.Environment("production"), filter.IntegrationType("Postgresql"))
		case i%3 == 0:
			c = filter.Requester("usr-" + strconv.Itoa(i))
		case i%3 == 1:
			c = filter.Integration("int-" + strconv.Itoa(i))
		default:
			c = filter.Environment("env-" + strconv.Itoa(i))
		}
		ix.Add(i, filter.Must(filter.New(c)))
	}
	var dst []int
	b.ReportAllocs()
	for b.Loop() {
		if dst = ix.Candidates(dst[:0], event); len(dst) != 10 {
			b.Fatal(len(dst))
		}
	}
}
