package filter_test

import (
	"encoding/json"
	"fmt"
	"os"
	"slices"

	"github.com/outhook/outhook/filter"
	"github.com/outhook/outhook/internal/jsondoc"
)

func loadEvent(name string) any {
	b, err := os.ReadFile("testdata/request-" + name + ".json")
	if err != nil {
		panic(err)
	}
	v, err := jsondoc.Parse(b)
	if err != nil {
		panic(err)
	}
	return v
}

// Send only production requests for Postgres or MySQL that a person approved
// to the admins' channel, and say why the others were left out.
func ExampleNew() {
	f, err := filter.New(filter.All(
		filter.Environment("production"),
		filter.IntegrationType("Postgresql", "Mysql"),
		filter.Approval(filter.ApprovalManual),
	))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, name := range []string{"approved", "created", "rejected"} {
		event := loadEvent(name)
		if m := f.Explain(event); m != nil {
			fmt.Println(name, "skipped:", m)
			continue
		}
		fmt.Println(name, "sent")
	}
	// Output:
	// approved sent
	// created skipped: and[2]: data.approvals[].approver.id $gt "": found ["",""]
	// rejected skipped: and[0]: data.custom_fields.environment $in ["production"]: not found
}

// A path with [] matches when any element matches; Every requires all of
// them.
func ExampleEvery() {
	event := map[string]any{"data": map[string]any{"approvals": []any{
		map[string]any{"status": "Approved"},
		map[string]any{"status": "Pending"},
	}}}
	anyApproved := filter.Must(filter.New(filter.Eq("data.approvals[].status", "Approved")))
	allApproved := filter.Must(filter.New(filter.Every(filter.Eq("data.approvals[].status", "Approved"))))
	fmt.Println(anyApproved.Match(event), allApproved.Match(event))
	// Output: true false
}

// Filters stored in the Apono-style filters form load and marshal back
// unchanged.
func ExampleFilters() {
	var f filter.Filter
	err := json.Unmarshal([]byte(`{
		"integration_types": ["AWS"],
		"conditions": [{"path": "data.access_duration_in_seconds", "operator": "gte", "values": [28800]}]
	}`), &f)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(f.Match(loadEvent("expired")), f.Match(loadEvent("created")))
	out, _ := f.MarshalJSON()
	fmt.Println(string(out))
	// Output:
	// true false
	// {"integration_types":["AWS"],"conditions":[{"path":"data.access_duration_in_seconds","operator":"gte","values":[28800]}]}
}

// Rules written for Convoy or Hookdeck Outpost load unchanged in the operator
// form, and marshal in its canonical spelling.
func ExampleParse() {
	f, err := filter.Parse([]byte(`{
		"data": {"custom_fields": {"environment": "production"}},
		"data.access_groups[].integration.type": {"$in": ["Postgresql", "Mysql"]},
		"$or": [{"data.access_duration_in_seconds": {"$lte": 3600}}, {"data.approvals[].status": "Approved"}]
	}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(f.Match(loadEvent("approved")), f.Match(loadEvent("created")))
	fmt.Println(f)
	// Output:
	// true false
	// {"$and":[{"data.custom_fields.environment":{"$eq":"production"}},{"data.access_groups[].integration.type":{"$in":["Postgresql","Mysql"]}},{"$or":[{"data.access_duration_in_seconds":{"$lte":3600}},{"data.approvals[].status":{"$eq":"Approved"}}]}]}
}

// A malformed clause is an error naming it, when the filter is built.
func ExampleClauseError() {
	_, err := filter.New(filter.Any(
		filter.Eq("data.requester.email", "dana.levi@acme-corp.example"),
		filter.Regex("data.justification", "INC-[0-9+"),
	))
	fmt.Println(err)
	// Output: filter: clause or[1]: data.justification $regex: invalid value: error parsing regexp: missing closing ]: `[0-9+`
}

// WithSchema rejects paths the event does not have, suggesting a close one.
func ExampleWithSchema() {
	schema := eventSchema{"data.requester.email": "string", "data.requester.name": "string"}
	_, err := filter.New(filter.Eq("data.requester.mail", "dana.levi@acme-corp.example"), filter.WithSchema(schema))
	fmt.Println(err)
	// Output: filter: data.requester.mail $eq: unknown field data.requester.mail (did you mean data.requester.email?)
}

type eventSchema map[string]string

func (s eventSchema) Lookup(path string) (string, bool) { t, ok := s[path]; return t, ok }

func (s eventSchema) Paths() []string {
	var ps []string
	for p := range s {
		ps = append(ps, p)
	}
	return ps
}

// Find the filters, among many, that an event passes: the Index names the
// few that may match, and Match decides.
func ExampleIndex() {
	filters := map[string]*filter.Filter{
		"prod-postgres": filter.Must(filter.New(filter.All(filter.Environment("production"), filter.IntegrationType("Postgresql")))),
		"staging":       filter.Must(filter.New(filter.Environment("staging"))),
		"acme-people":   filter.Must(filter.New(filter.Suffix("data.requester.email", "@acme-corp.example"))),
	}
	var ix filter.Index[string]
	for name, f := range filters {
		ix.Add(name, f)
	}
	event := loadEvent("created")
	candidates := ix.Candidates(nil, event)
	slices.Sort(candidates)
	for _, name := range candidates {
		fmt.Println(name, filters[name].Match(event))
	}
	// Output:
	// acme-people true
	// prod-postgres true
}
