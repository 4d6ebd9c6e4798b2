package filter_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/filter"
)

// Operator form: a clause marshals canonically, unmarshals to an equal
// clause, and marshals again to the same bytes.
func TestOperatorFormRoundTrip(t *testing.T) {
	tests := []struct {
		clause filter.Clause
		json   string
	}{
		{filter.Clause{}, `{}`},
		{filter.Eq("data.custom_fields.environment", "production"), `{"data.custom_fields.environment":{"$eq":"production"}}`},
		{filter.Neq("a", nil), `{"a":{"$neq":null}}`},
		{filter.In("data.access_groups[].integration.type", "Postgresql", "Mysql"), `{"data.access_groups[].integration.type":{"$in":["Postgresql","Mysql"]}}`},
		{filter.Nin("a", 1, true, "x", nil), `{"a":{"$nin":[1,true,"x",null]}}`},
		{filter.Exists("a"), `{"a":{"$exist":true}}`},
		{filter.Missing("a"), `{"a":{"$exist":false}}`},
		{filter.Prefix("a", "<b>&"), `{"a":{"$prefix":"<b>&"}}`},
		{filter.Suffix("a", "x"), `{"a":{"$suffix":"x"}}`},
		{filter.Contains("a", `"quoted"`), `{"a":{"$contains":"\"quoted\""}}`},
		{filter.Glob("a", "prod-*"), `{"a":{"$glob":"prod-*"}}`},
		{filter.Regex("a", `^\d+$`), `{"a":{"$regex":"^\\d+$"}}`},
		{filter.Gt("event_time", json.Number("1773134100.482913204")), `{"event_time":{"$gt":1773134100.482913204}}`},
		{filter.Gte("a", 1.5), `{"a":{"$gte":1.5}}`},
		{filter.Lt("a", -3), `{"a":{"$lt":-3}}`},
		{filter.Lte("a", "m"), `{"a":{"$lte":"m"}}`},
		{filter.Every(filter.Eq("a[].b", 1)), `{"a[].b":{"$every":{"$eq":1}}}`},
		{filter.All(filter.Eq("a", 1), filter.Eq("b", 2)), `{"$and":[{"a":{"$eq":1}},{"b":{"$eq":2}}]}`},
		{filter.All(), `{"$and":[]}`},
		{filter.Any(), `{"$or":[]}`},
		{filter.Not(filter.Any(filter.Exists("a"), filter.Clause{})), `{"$not":{"$or":[{"a":{"$exist":true}},{}]}}`},
		{filter.Eq(`obj["a.b"]`, "x"), `{"obj[\"a.b\"]":{"$eq":"x"}}`},
		{filter.Approval(filter.ApprovalAutomatic), `{"$not":{"data.approvals[].approver.id":{"$gt":""}}}`},
	}
	for _, tt := range tests {
		t.Run(tt.json, func(t *testing.T) {
			b, err := tt.clause.MarshalJSON()
			require.NoError(t, err)
			require.Equal(t, tt.json, string(b))
			// encoding/json escapes <, > and & in it; the clause is the same.
			escaped, err := json.Marshal(tt.clause)
			require.NoError(t, err)
			var fromEscaped filter.Clause
			require.NoError(t, json.Unmarshal(escaped, &fromEscaped))
			require.Equal(t, tt.clause, fromEscaped)
			require.Equal(t, tt.json, tt.clause.String())

			var back filter.Clause
			require.NoError(t, json.Unmarshal(b, &back))
			require.Equal(t, tt.clause, back)
			again, err := back.MarshalJSON()
			require.NoError(t, err)
			require.Equal(t, string(b), string(again))

			f, err := filter.Parse(b)
			require.NoError(t, err)
			out, err := f.MarshalJSON()
			require.NoError(t, err)
			require.Equal(t, tt.json, string(out))
		})
	}
}

// Operator form input that is not canonical: shorthand, several keys,
// nested documents, Mongo spellings.
func TestOperatorFormInput(t *testing.T) {
	tests := []struct {
		name  string
		input string
		want  filter.Clause
	}{
		{"shorthand equality", `{"a": "x"}`, filter.Eq("a", "x")},
		{"shorthand number keeps digits", `{"a": 1773134100.482913204}`, filter.Eq("a", json.Number("1773134100.482913204"))},
		{"shorthand null", `{"a": null}`, filter.Eq("a", nil)},
		{"several keys", `{"a": 1, "b": {"$gt": 2}}`, filter.All(filter.Eq("a", 1), filter.Gt("b", 2))},
		{"several operators", `{"a": {"$gte": 1, "$lt": 9}}`, filter.All(filter.Gte("a", 1), filter.Lt("a", 9))},
		{"nested documents", `{"data": {"requester": {"id": "u1"}, "grantee.id": {"$ne": "u2"}}}`,
			filter.All(filter.Eq("data.requester.id", "u1"), filter.Neq(`data["grantee.id"]`, "u2"))},
		{"mongo $ne and $exists", `{"a": {"$ne": 1}, "b": {"$exists": false}}`, filter.All(filter.Neq("a", 1), filter.Missing("b"))},
		{"field-level $not", `{"a": {"$not": {"$in": ["x"]}}}`, filter.Not(filter.In("a", "x"))},
		{"$every over several operators", `{"a[]": {"$every": {"$gt": 1, "$lt": 5}}}`, filter.Every(filter.All(filter.Gt("a[]", 1), filter.Lt("a[]", 5)))},
		{"$and of documents", `{"$and": [{"a": 1}, {}], "b": 2}`, filter.All(filter.All(filter.Eq("a", 1), filter.Clause{}), filter.Eq("b", 2))},
		{"$or", `{"$or": [{"a": 1}, {"a": 2}]}`, filter.Any(filter.Eq("a", 1), filter.Eq("a", 2))},
		{"$not", `{"$not": {"a": 1}}`, filter.Not(filter.Eq("a", 1))},
		{"empty", ` {} `, filter.Clause{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var c filter.Clause
			require.NoError(t, json.Unmarshal([]byte(tt.input), &c))
			require.Equal(t, tt.want, c)
			_, err := filter.New(c)
			require.NoError(t, err)
		})
	}
}

func TestOperatorFormErrors(t *testing.T) {
	tests := []struct {
		name  string
		input string
		err   error
		loc   string
	}{
		{"not JSON", `{"a": `, filter.ErrSyntax, ""},
		{"not an object", `["a"]`, filter.ErrSyntax, ""},
		{"trailing data", `{} {}`, filter.ErrSyntax, ""},
		{"duplicate key", `{"a": 1, "a": 2}`, filter.ErrSyntax, ""},
		{"array literal", `{"a": [1, 2]}`, filter.ErrSyntax, ""},
		{"unknown operator", `{"a": {"$like": "x"}}`, filter.ErrOperator, ""},
		{"composite as field operator", `{"a": {"$and": []}}`, filter.ErrOperator, ""},
		{"unknown document operator", `{"$nor": []}`, filter.ErrOperator, ""},
		{"$in of a scalar", `{"a": {"$in": "x"}}`, filter.ErrSyntax, ""},
		{"$in of objects", `{"a": {"$in": [{}]}}`, filter.ErrSyntax, ""},
		{"operand object", `{"a": {"$eq": {"b": 1}}}`, filter.ErrSyntax, ""},
		{"mixed operators and members", `{"a": {"$eq": 1, "b": 2}}`, filter.ErrSyntax, "and[1]"},
		{"$and of a document", `{"$and": {"a": 1}}`, filter.ErrSyntax, ""},
		{"$and null", `{"$and": null}`, filter.ErrSyntax, ""},
		{"$not of an array", `{"$not": [{"a": 1}]}`, filter.ErrSyntax, "not"},
		{"field $not of a scalar", `{"a": {"$not": 1}}`, filter.ErrSyntax, ""},
		{"$every of a scalar", `{"a": {"$every": 1}}`, filter.ErrSyntax, ""},
		{"document operator under a path", `{"a": {"b": {"$or": []}}}`, filter.ErrOperator, ""},
		{"empty nested document", `{"a": {"b": {}}}`, filter.ErrSyntax, ""},
		{"located error", `{"$or": [{"a": 1}, {"b": {"$in": 3}}]}`, filter.ErrSyntax, "or[1]"},
		{"located in implicit and", `{"a": 1, "b": {"$nope": 1}}`, filter.ErrOperator, "and[1]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var c filter.Clause
			err := json.Unmarshal([]byte(tt.input), &c)
			if tt.name == "not JSON" || tt.name == "trailing data" {
				// encoding/json rejects these before UnmarshalJSON runs.
				require.Error(t, err)
				_, err = filter.Parse([]byte(tt.input))
			}
			require.ErrorIs(t, err, tt.err)
			var ce *filter.ClauseError
			require.ErrorAs(t, err, &ce)
			require.Equal(t, tt.loc, ce.Clause)

			_, err = filter.Parse([]byte(tt.input))
			require.ErrorIs(t, err, tt.err)
		})
	}
	// A literal that is well-formed JSON but not a filter compiles to an error.
	_, err := filter.Parse([]byte(`{"a": {"$regex": "("}}`))
	require.ErrorIs(t, err, filter.ErrValue)
	_, err = filter.Parse([]byte(`{"a": {"$exist": "yes"}}`))
	require.ErrorIs(t, err, filter.ErrValue)
}

// Filters form: JSON in, Filter, JSON out, byte for byte, for canonical input.
func TestFiltersFormRoundTrip(t *testing.T) {
	inputs := []string{
		`{"integrations":["int-pg-prod-01"],"integration_types":["Postgresql","Mysql"],"integration_names":["prod-postgres-eu"],` +
			`"resource_types":["postgresql-database"],"resources":["res-orders-db"],"permissions":["perm-readonly"],` +
			`"access_flows":["af-7d21e0b4"],"bundles":["bdl-4a6e9c02"],"requesters":["usr-3f9a2c71"],"grantees":["usr-3f9a2c71"],` +
			`"approval":"manual","environments":["production"],"tags":["pci"],` +
			`"conditions":[{"path":"data.requester.email","operator":"suffix","values":["@acme-corp.example"]},` +
			`{"path":"data.access_groups[].integration.type","operator":"eq","values":["AWS"],"every":true},` +
			`{"path":"event_time","operator":"gt","values":[1773134100.482913204]},` +
			`{"path":"data.revocation_date","operator":"exist","values":[false]}]}`,
		`{"approval":"automatic"}`,
		`{"environments":["production"]}`,
		`{"conditions":[{"path":"data.justification","operator":"contains","values":["<INC>&"]}]}`,
	}
	for _, in := range inputs {
		t.Run(in, func(t *testing.T) {
			f, err := filter.Parse([]byte(in))
			require.NoError(t, err)
			fs, ok := f.Filters()
			require.True(t, ok)
			out, err := f.MarshalJSON()
			require.NoError(t, err)
			require.Equal(t, in, string(out))

			var g filter.Filter
			require.NoError(t, json.Unmarshal(out, &g))
			gs, ok := g.Filters()
			require.True(t, ok)
			require.Equal(t, fs, gs)
			require.Equal(t, f.Clause(), g.Clause())

			var plain filter.Filters
			require.NoError(t, json.Unmarshal([]byte(in), &plain))
			require.Equal(t, fs, plain)
		})
	}
}

// The filters form and the operator form of the same rule compile to filters
// that agree on every fixture event.
func TestFormsAgree(t *testing.T) {
	fs := filter.Filters{
		IntegrationTypes: []string{"Postgresql", "Mysql"},
		Approval:         filter.ApprovalManual,
		Conditions:       []filter.Condition{{Path: "data.access_duration_in_seconds", Operator: filter.OpLte, Values: []any{28800}}},
	}
	viaFilters := filter.Must(filter.FromFilters(fs))
	opJSON := `{"data.access_groups[].integration.type": {"$in": ["Postgresql", "Mysql"]},
		"data.approvals[].approver.id": {"$gt": ""},
		"data.access_duration_in_seconds": {"$lte": 28800}}`
	viaOperators, err := filter.Parse([]byte(opJSON))
	require.NoError(t, err)
	require.Equal(t, viaFilters.Clause(), viaOperators.Clause())
	for _, rep := range representations {
		for _, name := range triggers {
			event := rep.decode(t, fixture(t, name))
			require.Equal(t, viaFilters.Match(event), viaOperators.Match(event), name)
		}
	}
	require.True(t, viaFilters.Match(representations[0].decode(t, fixture(t, "approved"))))
	require.False(t, viaFilters.Match(representations[0].decode(t, fixture(t, "failed"))))
}

func TestParseDetectsTheForm(t *testing.T) {
	tests := []struct {
		input   string
		filters bool
		err     error
	}{
		{`{"environments": ["production"]}`, true, nil},
		{`{"conditions": []}`, true, nil},
		{`{}`, false, nil},
		{`{"data.custom_fields.environment": "production"}`, false, nil},
		{`{"environments": ["production"], "data.id": "x"}`, false, filter.ErrSyntax},
		{`{"environments": "production"}`, true, filter.ErrSyntax},
		{`{"conditions": [{"path": "a", "operator": "eq", "values": ["x"], "color": "red"}]}`, true, filter.ErrSyntax},
		{`"production"`, false, filter.ErrSyntax},
	}
	for _, tt := range tests {
		t.Run(tt.input, func(t *testing.T) {
			f, err := filter.Parse([]byte(tt.input))
			if tt.err != nil {
				require.ErrorIs(t, err, tt.err)
				var ce *filter.ClauseError
				require.ErrorAs(t, err, &ce)
				var g filter.Filter
				require.Error(t, json.Unmarshal([]byte(tt.input), &g))
				return
			}
			require.NoError(t, err)
			_, isFilters := f.Filters()
			require.Equal(t, tt.filters, isFilters)
		})
	}
}

// A webhook definition stores its filter as a field and gets it back.
func TestFilterAsAField(t *testing.T) {
	type definition struct {
		Name    string         `json:"name"`
		Filters *filter.Filter `json:"filters,omitempty"`
	}
	in := `{"name":"prod-db","filters":{"integration_types":["Postgresql"],"approval":"manual"}}`
	var d definition
	require.NoError(t, json.Unmarshal([]byte(in), &d))
	require.True(t, d.Filters.Match(representations[0].decode(t, fixture(t, "granted"))))
	out, err := json.Marshal(d)
	require.NoError(t, err)
	require.Equal(t, in, string(out))

	in = `{"name":"prod","filters":{"data.custom_fields.environment":{"$eq":"production"}}}`
	require.NoError(t, json.Unmarshal([]byte(in), &d))
	out, err = json.Marshal(d)
	require.NoError(t, err)
	require.Equal(t, in, string(out))
}
