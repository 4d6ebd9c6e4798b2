package filter_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/filter"
)

func TestCompileErrors(t *testing.T) {
	tests := []struct {
		name   string
		clause filter.Clause
		err    error
		loc    string
		path   string
	}{
		{"unknown operator", filter.Clause{Op: "like", Path: "a", Values: []any{"x"}}, filter.ErrOperator, "", "a"},
		{"empty path", filter.Eq("", "x"), filter.ErrPath, "", ""},
		{"trailing dot", filter.Eq("a.", "x"), filter.ErrPath, "", "a."},
		{"leading dot", filter.Eq(".a", "x"), filter.ErrPath, "", ".a"},
		{"double dot", filter.Eq("a..b", "x"), filter.ErrPath, "", "a..b"},
		{"unclosed bracket", filter.Eq("a[", "x"), filter.ErrPath, "", "a["},
		{"stray bracket", filter.Eq("a]", "x"), filter.ErrPath, "", "a]"},
		{"bad index", filter.Eq("a[x]", "x"), filter.ErrPath, "", "a[x]"},
		{"negative index", filter.Eq("a[-1]", "x"), filter.ErrPath, "", "a[-1]"},
		{"member after bracket without dot", filter.Eq("a[]b", "x"), filter.ErrPath, "", "a[]b"},
		{"unclosed quote", filter.Eq(`a["b]`, "x"), filter.ErrPath, "", `a["b]`},
		{"quote not followed by ]", filter.Eq(`a["b"x]`, "x"), filter.ErrPath, "", `a["b"x]`},
		{"bad regex", filter.Regex("a", "("), filter.ErrValue, "", "a"},
		{"bad glob", filter.Glob("a", `x\`), filter.ErrValue, "", "a"},
		{"regex of number", filter.Clause{Op: filter.OpRegex, Path: "a", Values: []any{json.Number("1")}}, filter.ErrValue, "", "a"},
		{"exist of string", filter.Clause{Op: filter.OpExist, Path: "a", Values: []any{"yes"}}, filter.ErrValue, "", "a"},
		{"gt of bool", filter.Gt("a", true), filter.ErrValue, "", "a"},
		{"gt of null", filter.Gt("a", nil), filter.ErrValue, "", "a"},
		{"not a scalar", filter.Eq("a", []string{"x"}), filter.ErrValue, "", "a"},
		{"not a number", filter.Eq("a", json.Number("12abc")), filter.ErrValue, "", "a"},
		{"NaN", filter.Eq("a", 0.0/zero()), filter.ErrValue, "", "a"},
		{"eq with two operands", filter.Clause{Op: filter.OpEq, Path: "a", Values: []any{"x", "y"}}, filter.ErrOperator, "", "a"},
		{"eq without operand", filter.Clause{Op: filter.OpEq, Path: "a"}, filter.ErrOperator, "", "a"},
		{"leaf with clauses", filter.Clause{Op: filter.OpEq, Path: "a", Values: []any{"x"}, Clauses: []filter.Clause{{}}}, filter.ErrOperator, "", "a"},
		{"and with every", filter.Clause{Op: filter.OpAnd, Every: true}, filter.ErrOperator, "", ""},
		{"unknown approval kind", filter.All(filter.Exists("a"), filter.Approval("sometimes")), filter.ErrValue, "and[1]", filter.PathApprover},
		{"and with a path", filter.Clause{Op: filter.OpAnd, Path: "a"}, filter.ErrOperator, "", ""},
		{"not with two clauses", filter.Clause{Op: filter.OpNot, Clauses: []filter.Clause{{}, {}}}, filter.ErrOperator, "", ""},
		{"empty op with content", filter.Clause{Path: "a"}, filter.ErrOperator, "", "a"},
		{"nested location", filter.All(filter.Eq("a", 1), filter.Any(filter.Eq("b", 1), filter.Not(filter.Regex("c", "[")))), filter.ErrValue, "and[1].or[1].not", "c"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := filter.New(tt.clause)
			require.Nil(t, f)
			require.ErrorIs(t, err, tt.err)
			var ce *filter.ClauseError
			require.ErrorAs(t, err, &ce)
			require.Equal(t, tt.loc, ce.Clause)
			require.Equal(t, tt.path, ce.Path)
			require.Contains(t, err.Error(), "filter: ")
			require.Panics(t, func() { filter.Must(filter.New(tt.clause)) })
		})
	}
}

func zero() float64 { return 0 }

func TestFilterIsSafeForConcurrentUse(t *testing.T) {
	f := filter.Must(filter.New(filter.All(filter.Environment("production"), filter.IntegrationType("AWS"))))
	events := []any{representations[0].decode(t, fixture(t, "approved")), representations[1].decode(t, fixture(t, "expired"))}
	done := make(chan bool)
	for range 8 {
		go func() {
			ok := true
			for i := range 200 {
				ev := events[i%2]
				ok = ok && !f.Match(ev) && f.Explain(ev) != nil
			}
			done <- ok
		}()
	}
	for range 8 {
		require.True(t, <-done)
	}
}

func TestClauseErrorMessage(t *testing.T) {
	_, err := filter.New(filter.All(filter.Eq("a", 1), filter.Regex("data.x", "(")))
	require.EqualError(t, err, "filter: clause and[1]: data.x $regex: invalid value: error parsing regexp: missing closing ): `(`")
	_, err = filter.New(filter.Eq("data.requester.mail", "x"), filter.WithSchema(newFixtureSchema(t)))
	require.EqualError(t, err, "filter: data.requester.mail $eq: unknown field data.requester.mail (did you mean data.requester.email?)")
}

func TestSchema(t *testing.T) {
	schema := newFixtureSchema(t)
	tests := []struct {
		name       string
		clause     filter.Clause
		err        error
		suggestion string
	}{
		{"known string", filter.Eq("data.requester.email", "x"), nil, ""},
		{"known number", filter.Lte("data.access_duration_in_seconds", 3600), nil, ""},
		{"index checks as []", filter.Eq("data.access_groups[0].integration.type", "AWS"), nil, ""},
		{"null operand fits any type", filter.Eq("data.requester.email", nil), nil, ""},
		{"exist fits any type", filter.Exists("data.access_groups"), nil, ""},
		{"any type", filter.Eq("data.revocation_date", "x"), nil, ""},
		{"open object", filter.Eq("data.custom_fields.anything", "x"), nil, ""},
		{"unknown", filter.Eq("data.requester.mail", "x"), filter.ErrUnknownField, "data.requester.email"},
		{"missing []", filter.Eq("data.access_groups.integration.type", "x"), filter.ErrUnknownField, "data.access_groups[].integration.type"},
		{"far from anything", filter.Eq("zzzzzzzzzzzzzzzzzzzzzzzzzzz", "x"), filter.ErrUnknownField, ""},
		{"under a string", filter.Eq("data.requester.email.domain", "x"), filter.ErrUnknownField, "data.requester.email"},
		{"under a closed object", filter.Eq("data.requester.phone", "x"), filter.ErrUnknownField, "data.requester.name"},
		{"string operand on number", filter.Eq("data.access_duration_in_seconds", "3600"), filter.ErrType, ""},
		{"number operand on string", filter.In("data.requester.id", "u1", 7), filter.ErrType, ""},
		{"regex on number", filter.Regex("data.access_duration_in_seconds", "1"), filter.ErrType, ""},
		{"gt string on number", filter.Gt("event_time", ""), filter.ErrType, ""},
		{"eq on object", filter.Eq("data.requester", "x"), filter.ErrType, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := filter.Any(filter.Exists("data.id"), tt.clause)
			f, err := filter.New(c, filter.WithSchema(schema))
			unchecked := filter.Must(filter.New(c))
			if tt.err == nil {
				require.NoError(t, err)
				require.NotNil(t, f)
				require.NoError(t, unchecked.Check(schema))
				return
			}
			require.ErrorIs(t, err, tt.err)
			var ce *filter.ClauseError
			require.ErrorAs(t, err, &ce)
			require.Equal(t, "or[1]", ce.Clause)
			require.Equal(t, tt.suggestion, ce.Suggestion)
			require.ErrorIs(t, unchecked.Check(schema), tt.err)
		})
	}
}

func TestFiltersErrors(t *testing.T) {
	tests := []struct {
		name string
		fs   filter.Filters
		err  error
		loc  string
	}{
		{"approval kind", filter.Filters{Approval: "sometimes"}, filter.ErrValue, "approval"},
		{"condition operator", filter.Filters{Conditions: []filter.Condition{{Path: "a", Operator: "eq", Values: []any{"x"}}, {Path: "a", Operator: "like"}}}, filter.ErrOperator, "conditions[1]"},
		{"condition regex", filter.Filters{Conditions: []filter.Condition{{Path: "a", Operator: "regex", Values: []any{"("}}}}, filter.ErrValue, "conditions[0]"},
		{"condition path", filter.Filters{Conditions: []filter.Condition{{Path: "a..b", Operator: "exist", Values: []any{true}}}}, filter.ErrPath, "conditions[0]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := filter.FromFilters(tt.fs)
			require.ErrorIs(t, err, tt.err)
			var ce *filter.ClauseError
			require.ErrorAs(t, err, &ce)
			require.Equal(t, tt.loc, ce.Clause)
		})
	}
	_, err := filter.FromFilters(filter.Filters{IntegrationTypes: []string{"AWS"}, Conditions: []filter.Condition{{Path: "data.requester.mail", Operator: "exist", Values: []any{true}}}},
		filter.WithSchema(newFixtureSchema(t)))
	require.ErrorIs(t, err, filter.ErrUnknownField)
	f := filter.Must(filter.FromFilters(filter.Filters{Conditions: []filter.Condition{{Path: "data.requester.mail", Operator: "exist", Values: []any{true}}}}))
	require.ErrorIs(t, f.Check(newFixtureSchema(t)), filter.ErrUnknownField)
}
