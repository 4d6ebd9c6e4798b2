package filter_test

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/filter"
)

// listClauses are the clauses that take a list of accepted values: each
// Apono dimension, in its Go constructor, its filters-form key and its
// operator-form path, and a value the granted fixture holds there.
var listClauses = []struct {
	key   string // in the filters form; "" when the form has no key for it
	build func(...string) filter.Clause
	path  string
	hit   string
}{
	{"integrations", filter.Integration, filter.PathIntegrationID, "int-pg-prod-01"},
	{"integration_types", filter.IntegrationType, filter.PathIntegrationType, "Postgresql"},
	{"integration_names", filter.IntegrationName, filter.PathIntegrationName, "prod-postgres-eu"},
	{"resource_types", filter.ResourceType, filter.PathResourceType, "postgresql-database"},
	{"resources", filter.Resource, filter.PathResource, "res-orders-db"},
	{"permissions", filter.Permission, filter.PathPermission, "perm-readonly"},
	{"access_flows", filter.AccessFlow, filter.PathAccessFlow, "af-7d21e0b4"},
	{"bundles", filter.Bundle, filter.PathBundle, ""},
	{"requesters", filter.Requester, filter.PathRequester, "usr-3f9a2c71"},
	{"grantees", filter.Grantee, filter.PathGrantee, "usr-3f9a2c71"},
	{"environments", filter.Environment, "data.custom_fields.environment", "production"},
	{"tags", filter.Tag, "data.custom_fields.tag", "none"},
	{"", func(v ...string) filter.Clause { return filter.CustomField("ticket", v...) }, "data.custom_fields.ticket", "INC-4821"},
}

// An empty list means one thing in every form: a mistake, reported with
// the clause and the path, never a filter that matches nothing or
// everything.
func TestEmptyListIsAnErrorInEveryForm(t *testing.T) {
	requireEmptyListError := func(t *testing.T, err error, clause, path string) {
		t.Helper()
		require.ErrorIs(t, err, filter.ErrValue)
		var ce *filter.ClauseError
		require.ErrorAs(t, err, &ce)
		require.Equal(t, clause, ce.Clause)
		require.Equal(t, path, ce.Path)
		require.Contains(t, err.Error(), "takes at least one value")
	}
	for _, lc := range listClauses {
		t.Run(lc.path, func(t *testing.T) {
			f, err := filter.New(lc.build())
			require.Nil(t, f)
			requireEmptyListError(t, err, "", lc.path)

			f, err = filter.New(filter.All(filter.Eq("event_type", "RequestGranted"), lc.build()))
			require.Nil(t, f)
			requireEmptyListError(t, err, "and[1]", lc.path)

			for _, op := range []string{"$in", "$nin"} {
				f, err = filter.Parse(fmt.Appendf(nil, `{%q: {%q: []}}`, lc.path, op))
				require.Nil(t, f, op)
				requireEmptyListError(t, err, "", lc.path)
			}

			if lc.key != "" {
				f, err = filter.Parse(fmt.Appendf(nil, `{%q: []}`, lc.key))
				require.Nil(t, f)
				requireEmptyListError(t, err, lc.key, lc.path)
			}
		})
	}
	t.Run("conditions", func(t *testing.T) {
		for _, op := range []string{"in", "nin"} {
			_, err := filter.Parse(fmt.Appendf(nil, `{"conditions": [{"path": "data.requester.id", "operator": %q, "values": []}]}`, op))
			requireEmptyListError(t, err, "conditions[0]", "data.requester.id")
		}
		_, err := filter.New(filter.Nin("data.requester.id"))
		requireEmptyListError(t, err, "", "data.requester.id")
	})
	t.Run("filters form in Go", func(t *testing.T) {
		_, err := filter.FromFilters(filter.Filters{Integrations: []string{"int-1"}, Tags: []string{}})
		requireEmptyListError(t, err, "tags", "data.custom_fields.tag")
	})
}

// A key left out, or null, is no restriction, in both forms.
func TestAbsentListPlacesNoRestriction(t *testing.T) {
	event := decodedFixture(t, "granted")
	for _, doc := range []string{`{}`, `{"integration_types": null}`, `{"tags": null, "conditions": []}`} {
		f, err := filter.Parse([]byte(doc))
		require.NoError(t, err, doc)
		require.True(t, f.Match(event), doc)
	}
	f, err := filter.FromFilters(filter.Filters{})
	require.NoError(t, err)
	require.True(t, f.Match(event))
}

// With values, the Go constructor, the filters form and the operator form
// of each list clause agree on every fixture.
func TestListClauseFormsAgree(t *testing.T) {
	fixtures := []string{"created", "approved", "granted", "rejected", "expired", "failed"}
	matched := 0
	for _, lc := range listClauses {
		for _, values := range [][]string{{lc.hit}, {"no-such-value"}, {"no-such-value", lc.hit}} {
			forms := map[string]*filter.Filter{}
			var err error
			forms["go"], err = filter.New(lc.build(values...))
			require.NoError(t, err)
			list, _ := json.Marshal(values)
			forms["operator"], err = filter.Parse(fmt.Appendf(nil, `{%q: {"$in": %s}}`, lc.path, list))
			require.NoError(t, err)
			if lc.key != "" {
				forms["filters"], err = filter.Parse(fmt.Appendf(nil, `{%q: %s}`, lc.key, list))
				require.NoError(t, err)
			}
			for _, name := range fixtures {
				event := decodedFixture(t, name)
				want := forms["go"].Match(event)
				if want {
					matched++
				}
				for form, f := range forms {
					require.Equal(t, want, f.Match(event), "%s %v on %s: %s form", lc.path, values, name, form)
				}
			}
		}
	}
	require.Greater(t, matched, 50, "the values chosen match the fixtures often, not only fail to")
}

func decodedFixture(t *testing.T, name string) any {
	t.Helper()
	return representations[0].decode(t, fixture(t, name))
}

// TestEmptyListSurvivesJSON stores a filters form that holds an empty list
// and loads it again: the list must still be there, so that the loaded
// form is refused as the original is, not read as "no restriction".
func TestEmptyListSurvivesJSON(t *testing.T) {
	for _, c := range listClauses {
		if c.key == "" {
			continue
		}
		t.Run(c.key, func(t *testing.T) {
			var fs filter.Filters
			require.NoError(t, json.Unmarshal([]byte(`{"`+c.key+`": []}`), &fs))
			_, err := filter.FromFilters(fs)
			require.ErrorIs(t, err, filter.ErrValue)
			b, err := json.Marshal(fs)
			require.NoError(t, err)
			require.JSONEq(t, `{"`+c.key+`": []}`, string(b))
			var back filter.Filters
			require.NoError(t, json.Unmarshal(b, &back))
			_, err = filter.FromFilters(back)
			require.ErrorIs(t, err, filter.ErrValue, "the stored form was refused before it was stored")
		})
	}
	b, err := json.Marshal(filter.Filters{})
	require.NoError(t, err)
	require.Equal(t, `{}`, string(b), "keys left out stay out")
}
