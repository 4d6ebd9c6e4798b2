package filter_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/filter"
)

// Every operator and comparison rule, on every representation of a small
// document.
func TestOperators(t *testing.T) {
	doc := []byte(`{
		"s": "Postgresql", "empty": "", "n": 14400, "f": 0.50, "big": 1773134100.482913204,
		"neg": -2, "zero": 0, "t": true, "no": false, "nil": null, "str200": "200",
		"obj": {"a.b": "dotted", "inner": {"x": 1}}, "arr": ["a", "b", "c"], "nums": [1, 2, 3],
		"groups": [{"type": "AWS", "n": 1}, {"type": "Mysql", "n": 2}, {"type": "AWS"}],
		"same": [{"type": "AWS"}, {"type": "AWS"}], "none": [], "nested": [[1, 2], [3]]
	}`)
	tests := []struct {
		name   string
		clause filter.Clause
		want   bool
	}{
		{"eq string", filter.Eq("s", "Postgresql"), true},
		{"eq string is case sensitive", filter.Eq("s", "postgresql"), false},
		{"eq empty string", filter.Eq("empty", ""), true},
		{"eq number", filter.Eq("n", 14400), true},
		{"eq number other", filter.Eq("n", 14401), false},
		{"eq number by value", filter.Eq("f", 0.5), true},
		{"eq number exponent", filter.Eq("n", json.Number("1.44e4")), true},
		{"eq number all digits", filter.Eq("big", json.Number("1773134100.482913204")), true},
		{"eq number last digit differs", filter.Eq("big", json.Number("1773134100.482913205")), false},
		{"eq negative", filter.Eq("neg", -2), true},
		{"eq zero", filter.Eq("zero", json.Number("-0.0")), true},
		{"eq string never equals number", filter.Eq("n", "14400"), false},
		{"eq number never equals string", filter.Eq("str200", 200), false},
		{"eq true", filter.Eq("t", true), true},
		{"eq false", filter.Eq("no", false), true},
		{"eq bool differs", filter.Eq("t", false), false},
		{"eq null", filter.Eq("nil", nil), true},
		{"eq null is not missing", filter.Eq("missing", nil), false},
		{"eq null is not empty", filter.Eq("empty", nil), false},
		{"eq missing", filter.Eq("missing", "x"), false},
		{"eq object never equals scalar", filter.Eq("obj", "x"), false},
		{"neq", filter.Neq("s", "Mysql"), true},
		{"neq equal", filter.Neq("s", "Postgresql"), false},
		{"neq missing matches", filter.Neq("missing", "x"), true},
		{"neq other type matches", filter.Neq("n", "14400"), true},
		{"in", filter.In("s", "Mysql", "Postgresql"), true},
		{"in none", filter.In("s", "Mysql", "AWS"), false},
		{"in mixed types", filter.In("n", "x", true, nil, 14400), true},
		{"in bool", filter.In("no", true, false), true},
		{"in null", filter.In("nil", "x", nil), true},
		{"in many strings", filter.In("s", "a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l", "Postgresql"), true},
		{"in many strings, none", filter.In("s", "a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l", "m"), false},
		{"nin", filter.Nin("s", "Mysql", "AWS"), true},
		{"nin hit", filter.Nin("s", "Mysql", "Postgresql"), false},
		{"nin missing matches", filter.Nin("missing", "x"), true},
		{"exists", filter.Exists("s"), true},
		{"exists null", filter.Exists("nil"), true},
		{"exists object", filter.Exists("obj.inner"), true},
		{"exists missing", filter.Exists("missing"), false},
		{"missing", filter.Missing("missing"), true},
		{"missing present", filter.Missing("nil"), false},
		{"exists empty array elements", filter.Exists("none[]"), false},
		{"prefix", filter.Prefix("s", "Postgre"), true},
		{"prefix whole", filter.Prefix("s", "Postgresql"), true},
		{"prefix no", filter.Prefix("s", "gres"), false},
		{"prefix on number", filter.Prefix("n", "14"), false},
		{"suffix", filter.Suffix("s", "sql"), true},
		{"suffix no", filter.Suffix("s", "Postgre"), false},
		{"contains", filter.Contains("s", "gres"), true},
		{"contains no", filter.Contains("s", "GRES"), false},
		{"contains empty", filter.Contains("empty", ""), true},
		{"glob star", filter.Glob("s", "Post*"), true},
		{"glob question", filter.Glob("s", "Postgre?ql"), true},
		{"glob whole string", filter.Glob("s", "Post"), false},
		{"glob escaped star", filter.Glob("s", `Post\*`), false},
		{"glob meta characters are literal", filter.Glob("obj.inner", "."), false},
		{"glob on dotted member", filter.Glob(`obj["a.b"]`, "dot*"), true},
		{"regex", filter.Regex("s", "^Post.*sql$"), true},
		{"regex unanchored", filter.Regex("s", "gres"), true},
		{"regex no", filter.Regex("s", "^gres"), false},
		{"regex on number", filter.Regex("n", "1"), false},
		{"gt", filter.Gt("n", 3600), true},
		{"gt equal", filter.Gt("n", 14400), false},
		{"gte equal", filter.Gte("n", 14400), true},
		{"lt", filter.Lt("n", 28800), true},
		{"lt equal", filter.Lt("n", 14400), false},
		{"lte equal", filter.Lte("n", json.Number("14400.000")), true},
		{"lt negative", filter.Lt("neg", -1), true},
		{"gt negative", filter.Gt("neg", -1), false},
		{"gt exact digits", filter.Gt("big", json.Number("1773134100.482913203")), true},
		{"lt exact digits", filter.Lt("big", json.Number("1773134100.482913205")), true},
		{"gt fraction", filter.Gt("f", json.Number("0.4999999999999999999999")), true},
		{"gt exponent", filter.Gt("n", json.Number("1e4")), true},
		{"lt exponent", filter.Lt("n", json.Number("1e5")), true},
		{"gt string on number", filter.Gt("n", "1"), false},
		{"gt number on string", filter.Gt("str200", 1), false},
		{"gt string", filter.Gt("s", "Mysql"), true},
		{"gt empty string means non-empty", filter.Gt("s", ""), true},
		{"gt empty string on empty", filter.Gt("empty", ""), false},
		{"lte string", filter.Lte("s", "Postgresql"), true},
		{"any element", filter.Eq("groups[].type", "Mysql"), true},
		{"any element, none", filter.Eq("groups[].type", "Kubernetes"), false},
		{"every element, mixed", filter.Every(filter.Eq("groups[].type", "AWS")), false},
		{"every element, all", filter.Every(filter.Eq("same[].type", "AWS")), true},
		{"every element skips elements without the member", filter.Every(filter.Lte("groups[].n", 2)), true},
		{"every element of empty array", filter.Every(filter.Eq("none[]", "x")), false},
		{"every on single value", filter.Every(filter.Eq("s", "Postgresql")), true},
		{"every neq is not every eq", filter.Every(filter.Neq("groups[].type", "AWS")), true},
		{"every neq, all equal", filter.Every(filter.Neq("same[].type", "AWS")), false},
		{"neq on array: no element equals", filter.Neq("groups[].type", "Mysql"), false},
		{"nin on array", filter.Nin("groups[].type", "Kubernetes"), true},
		{"index", filter.Eq("arr[1]", "b"), true},
		{"index out of range", filter.Eq("arr[7]", "b"), false},
		{"index on object", filter.Eq("obj[0]", "b"), false},
		{"each on object", filter.Exists("obj[]"), false},
		{"member of array", filter.Exists("arr.a"), false},
		{"nested arrays", filter.Eq("nested[][]", 3), true},
		{"nested arrays every", filter.Every(filter.Lte("nested[][]", 3)), true},
		{"numbers in array", filter.Gt("nums[]", 2), true},
		{"root path prefix $.", filter.Eq("$.s", "Postgresql"), true},
		{"quoted member", filter.Eq(`obj["a.b"]`, "dotted"), true},
		{"member of scalar", filter.Exists("s.x"), false},
		{"and", filter.All(filter.Eq("s", "Postgresql"), filter.Gt("n", 1)), true},
		{"and one fails", filter.All(filter.Eq("s", "Postgresql"), filter.Gt("n", 99999)), false},
		{"and empty", filter.All(), true},
		{"or", filter.Any(filter.Eq("s", "x"), filter.Gt("n", 1)), true},
		{"or none", filter.Any(filter.Eq("s", "x"), filter.Gt("n", 99999)), false},
		{"or empty", filter.Any(), false},
		{"not", filter.Not(filter.Eq("s", "x")), true},
		{"not match", filter.Not(filter.Eq("s", "Postgresql")), false},
		{"not not", filter.Not(filter.Not(filter.Eq("s", "Postgresql"))), true},
		{"zero clause", filter.Clause{}, true},
		{"every composite", filter.Every(filter.All(filter.Eq("same[].type", "AWS"), filter.Exists("groups[].type"))), true},
	}
	for _, rep := range representations {
		event := rep.decode(t, doc)
		for _, tt := range tests {
			t.Run(rep.name+"/"+tt.name, func(t *testing.T) {
				if rep.name == "map-float" && strings.Contains(tt.name, "digits") {
					t.Skip("a float64 does not hold these digits")
				}
				f, err := filter.New(tt.clause)
				require.NoError(t, err)
				require.Equal(t, tt.want, f.Match(event))
				m := f.Explain(event)
				if tt.want {
					require.Nil(t, m)
				} else {
					require.NotNil(t, m)
					require.NotEmpty(t, m.String())
				}
			})
		}
	}
}

// Apono's dimensions on the six fixture events.
func TestAponoDimensions(t *testing.T) {
	tests := []struct {
		name   string
		clause filter.Clause
		match  []string
	}{
		{"integration id", filter.Integration("int-pg-prod-01", "int-mysql-stg-02"), []string{"created", "approved", "granted", "failed"}},
		{"integration type", filter.IntegrationType("AWS", "Kubernetes"), []string{"rejected", "expired"}},
		{"integration name", filter.IntegrationName("staging-mysql"), []string{"failed"}},
		{"resource type", filter.ResourceType("postgresql-database"), []string{"created", "approved", "granted"}},
		{"resource, second access unit", filter.Resource("res-payments-db"), []string{"created", "approved", "granted"}},
		{"resource ARN", filter.Resource("arn:aws:s3:::acme-analytics-reports"), []string{"expired"}},
		{"permission", filter.Permission("perm-admin", "perm-readwrite"), []string{"rejected", "failed"}},
		{"access flow", filter.AccessFlow("af-02b8d5e1"), []string{"expired"}},
		{"bundle", filter.Bundle("bdl-4a6e9c02"), []string{"expired"}},
		{"requester", filter.Requester("usr-e2f70c48"), []string{"failed"}},
		{"grantee", filter.Grantee("usr-6aa3f915"), []string{"failed"}},
		{"manual approval", filter.Approval(filter.ApprovalManual), []string{"approved", "granted", "rejected", "failed"}},
		{"automatic approval", filter.Approval(filter.ApprovalAutomatic), []string{"created", "expired"}},
		{"environment", filter.Environment("production"), []string{"created", "approved", "granted"}},
		{"tag", filter.Tag("pci"), nil},
		{"custom field", filter.CustomField("cost_center", "CC-220"), []string{"failed"}},
		{"custom field with a dot", filter.CustomField("cost.center", "CC-220"), nil},
		{"production postgres manual",
			filter.All(filter.Environment("production"), filter.IntegrationType("Postgresql"), filter.Approval(filter.ApprovalManual)),
			[]string{"approved", "granted"}},
	}
	for _, rep := range representations {
		events := map[string]any{}
		for _, name := range triggers {
			events[name] = rep.decode(t, fixture(t, name))
		}
		for _, tt := range tests {
			t.Run(rep.name+"/"+tt.name, func(t *testing.T) {
				f, err := filter.New(tt.clause, filter.WithSchema(newFixtureSchema(t)))
				require.NoError(t, err)
				var got []string
				for _, name := range triggers {
					if f.Match(events[name]) {
						got = append(got, name)
					}
				}
				require.Equal(t, tt.match, got)
			})
		}
	}
}

// event_time and revocation_date have more digits than a float64 holds.
func TestNumbersKeepTheirDigits(t *testing.T) {
	event := representations[0].decode(t, fixture(t, "created"))
	after := filter.Must(filter.New(filter.Gt("event_time", json.Number("1773134100.482913203"))))
	require.True(t, after.Match(event))
	after = filter.Must(filter.New(filter.Gt("event_time", json.Number("1773134100.482913204"))))
	require.False(t, after.Match(event))
}

func TestNilAndZeroFilters(t *testing.T) {
	var nilFilter *filter.Filter
	require.True(t, nilFilter.Match(map[string]any{}))
	require.Nil(t, nilFilter.Explain(nil))
	require.Equal(t, filter.Clause{}, nilFilter.Clause())
	b, err := json.Marshal(nilFilter)
	require.NoError(t, err)
	require.Equal(t, "null", string(b))
	b, err = nilFilter.MarshalJSON()
	require.NoError(t, err)
	require.Equal(t, "{}", string(b))
	_, ok := nilFilter.Filters()
	require.False(t, ok)
	require.NoError(t, nilFilter.Check(newFixtureSchema(t)))

	var zero filter.Filter
	require.True(t, zero.Match(nil))
	require.Equal(t, "{}", zero.String())
}

func TestFilterIsImmutable(t *testing.T) {
	c := filter.In("s", "a")
	f := filter.Must(filter.New(c))
	c.Values[0] = "b"
	require.True(t, f.Match(map[string]any{"s": "a"}))
	got := f.Clause()
	got.Values[0] = "c"
	require.Equal(t, []any{"a"}, f.Clause().Values)

	fs := filter.Filters{Environments: []string{"production"}}
	g := filter.Must(filter.FromFilters(fs))
	fs.Environments[0] = "staging"
	out, ok := g.Filters()
	require.True(t, ok)
	require.Equal(t, []string{"production"}, out.Environments)
}

// Clauses sharing their first member look it up once; a missing member must
// still read as missing to each of them.
func TestSharedPrefix(t *testing.T) {
	tests := []struct {
		name   string
		clause filter.Clause
		doc    string
		want   bool
	}{
		{"all present", filter.All(filter.Eq("data.a", 1), filter.Neq("data.b", 2)), `{"data": {"a": 1, "b": 3}}`, true},
		{"all, member missing", filter.All(filter.Neq("data.a", 1), filter.Missing("data.b")), `{}`, true},
		{"all, member not an object", filter.All(filter.Neq("data.a", 1), filter.Missing("data.b")), `{"data": 7}`, true},
		{"any, member missing", filter.Any(filter.Eq("data.a", 1), filter.Not(filter.Exists("data.b"))), `{}`, true},
		{"any, none", filter.Any(filter.Eq("data.a", 1), filter.Exists("data.b")), `{"data": null}`, false},
		{"every under shared member", filter.All(filter.Every(filter.Eq("data.a[]", 1)), filter.Exists("data.a")), `{"data": {"a": [1, 1]}}`, true},
		{"different members", filter.All(filter.Eq("data.a", 1), filter.Eq("other.a", 1)), `{"data": {"a": 1}, "other": {"a": 1}}`, true},
		{"path equal to the member", filter.All(filter.Exists("data"), filter.Eq("data.a", 1)), `{"data": {"a": 1}}`, true},
	}
	for _, rep := range representations {
		for _, tt := range tests {
			t.Run(rep.name+"/"+tt.name, func(t *testing.T) {
				f := filter.Must(filter.New(tt.clause))
				event := rep.decode(t, []byte(tt.doc))
				require.Equal(t, tt.want, f.Match(event))
				if !tt.want {
					m := f.Explain(event)
					require.NotNil(t, m)
					require.Equal(t, "or", string(m.Op))
					require.True(t, m.Causes[0].Missing)
				}
			})
		}
	}
}
