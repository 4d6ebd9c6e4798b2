package filter_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/filter"
)

func TestExplain(t *testing.T) {
	tests := []struct {
		name   string
		clause filter.Clause
		want   filter.Mismatch
		text   string
	}{
		{
			name:   "failing clause of an and",
			clause: filter.All(filter.Grantee("usr-5b02de93"), filter.IntegrationType("Postgresql", "Mysql")),
			want: filter.Mismatch{Clause: "and[1]", Op: filter.OpIn, Path: filter.PathIntegrationType,
				Expected: []any{"Postgresql", "Mysql"}, Found: `["Kubernetes"]`},
			text: `and[1]: data.access_groups[].integration.type $in ["Postgresql","Mysql"]: found ["Kubernetes"]`,
		},
		{
			name:   "missing value",
			clause: filter.Environment("production"),
			want:   filter.Mismatch{Op: filter.OpIn, Path: "data.custom_fields.environment", Expected: []any{"production"}, Missing: true},
			text:   `data.custom_fields.environment $in ["production"]: not found`,
		},
		{
			name:   "single value",
			clause: filter.Lte("data.access_duration_in_seconds", 600),
			want:   filter.Mismatch{Op: filter.OpLte, Path: "data.access_duration_in_seconds", Expected: []any{json.Number("600")}, Found: "3600"},
			text:   `data.access_duration_in_seconds $lte 600: found 3600`,
		},
		{
			name:   "every element",
			clause: filter.Every(filter.Eq("data.approvals[].status", "Rejected")),
			want:   filter.Mismatch{Op: filter.OpEq, Path: "data.approvals[].status", Every: true, Expected: []any{"Rejected"}, Found: `["Rejected","Pending"]`},
			text:   `every data.approvals[].status $eq "Rejected": found ["Rejected","Pending"]`,
		},
		{
			name:   "negation matched",
			clause: filter.All(filter.Exists("data.id"), filter.Not(filter.Eq("data.grantee.type", "user"))),
			want:   filter.Mismatch{Clause: "and[1]", Op: filter.OpNot, Path: "data.grantee.type", Expected: []any{"user"}, Found: `"user"`},
			text:   `and[1]: negated clause matched: {"data.grantee.type":{"$eq":"user"}}: found "user"`,
		},
		{
			name:   "neq",
			clause: filter.Neq("data.grantee.type", "user"),
			want:   filter.Mismatch{Op: filter.OpNeq, Path: "data.grantee.type", Expected: []any{"user"}, Found: `"user"`},
			text:   `data.grantee.type $neq "user": found "user"`,
		},
		{
			name:   "no alternative",
			clause: filter.Any(filter.Eq("data.custom_fields.environment", "production"), filter.Gt("data.access_duration_in_seconds", 7200)),
			want: filter.Mismatch{Op: filter.OpOr, Causes: []*filter.Mismatch{
				{Clause: "or[0]", Op: filter.OpEq, Path: "data.custom_fields.environment", Expected: []any{"production"}, Missing: true},
				{Clause: "or[1]", Op: filter.OpGt, Path: "data.access_duration_in_seconds", Expected: []any{json.Number("7200")}, Found: "3600"},
			}},
			text: `no alternative matched: or[0]: data.custom_fields.environment $eq "production": not found; ` +
				`or[1]: data.access_duration_in_seconds $gt 7200: found 3600`,
		},
		{
			name:   "approval kind",
			clause: filter.Approval(filter.ApprovalAutomatic),
			want:   filter.Mismatch{Op: filter.OpNot, Path: filter.PathApprover, Expected: []any{""}, Found: `["usr-c7e4109a",""]`},
			text:   `negated clause matched: {"data.approvals[].approver.id":{"$gt":""}}: found ["usr-c7e4109a",""]`,
		},
	}
	for _, rep := range representations {
		event := rep.decode(t, fixture(t, "rejected"))
		for _, tt := range tests {
			t.Run(rep.name+"/"+tt.name, func(t *testing.T) {
				f := filter.Must(filter.New(tt.clause))
				m := f.Explain(event)
				require.NotNil(t, m)
				require.Equal(t, tt.text, m.String())
				clearRules(m)
				require.Equal(t, &tt.want, m)
			})
		}
	}
}

// clearRules drops the Rule of every mismatch, checked separately.
func clearRules(m *filter.Mismatch) {
	m.Rule = filter.Clause{}
	for _, c := range m.Causes {
		clearRules(c)
	}
}

func TestExplainRule(t *testing.T) {
	rule := filter.IntegrationType("AWS")
	f := filter.Must(filter.New(filter.All(filter.Exists("data"), rule)))
	m := f.Explain(representations[0].decode(t, fixture(t, "failed")))
	require.Equal(t, rule, m.Rule)
	m.Rule.Values[0] = "changed"
	require.Equal(t, rule, f.Explain(representations[0].decode(t, fixture(t, "failed"))).Rule)

	fs := filter.Must(filter.FromFilters(filter.Filters{Environments: []string{"production"}, Approval: filter.ApprovalManual}))
	m = fs.Explain(representations[0].decode(t, fixture(t, "created")))
	require.Equal(t, "approval", m.Clause)
	require.Equal(t, filter.Approval(filter.ApprovalManual), m.Rule)
	require.Equal(t, `approval: data.approvals[].approver.id $gt "": found ["",""]`, m.String())
}

func TestMarshalInvalidClause(t *testing.T) {
	for _, c := range []filter.Clause{
		filter.Eq("a", []string{"x"}),
		filter.Eq("a", json.Number("1x")),
		{Op: filter.OpNot},
		filter.All(filter.Eq("a", struct{}{})),
		filter.Not(filter.In("a", map[string]any{})),
		{Op: "like", Path: "a", Values: []any{"x"}},
		{Op: filter.OpEq, Path: "a"},
		{Op: filter.OpGt, Path: "a", Values: []any{1, 2}},
	} {
		_, err := c.MarshalJSON()
		require.Error(t, err)
		require.Equal(t, "{}", c.String())
	}
}
