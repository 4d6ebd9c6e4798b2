package filter

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
)

// The constructors of the Apono dimensions below take the values any of
// which the dimension accepts. Called with none, they give a clause New
// rejects with ErrValue, as it rejects any $in or $nin with an empty list,
// and as FromFilters rejects an empty list in the filters form: an empty
// list is a mistake to report, not a filter that matches nothing (or
// everything). To place no restriction on a dimension, leave it out.
//
// The event paths the Apono dimensions look at. A request can span several
// access groups, resources and approvals; a dimension matches when any of
// them does. PathApprover is what Approval looks at, PathCustomFields the
// object CustomField, Environment and Tag look into.
const (
	PathIntegrationID   = "data.access_groups[].integration.id"
	PathIntegrationType = "data.access_groups[].integration.type"
	PathIntegrationName = "data.access_groups[].integration.name"
	PathResourceType    = "data.access_groups[].resource_types[].id"
	PathResource        = "data.access_groups[].access_units[].resource.id"
	PathPermission      = "data.access_groups[].access_units[].permission.id"
	PathAccessFlow      = "data.access_flow.id"
	PathBundle          = "data.access_bundle.id"
	PathRequester       = "data.requester.id"
	PathGrantee         = "data.grantee.id"
	PathApprover        = "data.approvals[].approver.id"
	PathCustomFields    = "data.custom_fields"
)

// Integration matches requests for any of the integrations with these ids.
func Integration(ids ...string) Clause { return In(PathIntegrationID, strs(ids)...) }

// IntegrationType matches requests for integrations of any of these types
// ("Postgresql", "AWS", ...).
func IntegrationType(types ...string) Clause { return In(PathIntegrationType, strs(types)...) }

// IntegrationName matches requests for integrations with any of these names.
func IntegrationName(names ...string) Clause { return In(PathIntegrationName, strs(names)...) }

// ResourceType matches requests for resources of any of these type ids
// ("postgresql-database").
func ResourceType(ids ...string) Clause { return In(PathResourceType, strs(ids)...) }

// Resource matches requests for any of the resources with these ids.
func Resource(ids ...string) Clause { return In(PathResource, strs(ids)...) }

// Permission matches requests for any of the permissions with these ids.
func Permission(ids ...string) Clause { return In(PathPermission, strs(ids)...) }

// AccessFlow matches requests made through any of the access flows with
// these ids.
func AccessFlow(ids ...string) Clause { return In(PathAccessFlow, strs(ids)...) }

// Bundle matches requests for any of the access bundles with these ids.
func Bundle(ids ...string) Clause { return In(PathBundle, strs(ids)...) }

// Requester matches requests made by any of the users with these ids.
func Requester(ids ...string) Clause { return In(PathRequester, strs(ids)...) }

// Grantee matches requests granting access to any of these ids.
func Grantee(ids ...string) Clause { return In(PathGrantee, strs(ids)...) }

// CustomField matches requests whose custom field name holds one of values.
func CustomField(name string, values ...string) Clause {
	return In(appendMember(PathCustomFields, name), strs(values)...)
}

// Environment matches requests whose custom field environment holds one of
// envs ("production").
func Environment(envs ...string) Clause { return CustomField("environment", envs...) }

// Tag matches requests whose custom field tag holds one of tags.
func Tag(tags ...string) Clause { return CustomField("tag", tags...) }

// ApprovalKind is how a request was approved.
type ApprovalKind string

// The approval kinds.
const (
	// ApprovalManual: some approval carries an approver (a non-empty
	// data.approvals[].approver.id).
	ApprovalManual ApprovalKind = "manual"
	// ApprovalAutomatic: no approval carries an approver. A request that is
	// still waiting for its approvers (RequestCreated) is automatic by this
	// rule until someone approves it.
	ApprovalAutomatic ApprovalKind = "automatic"
)

// Approval matches requests approved the way kind says. A kind other than
// ApprovalManual and ApprovalAutomatic gives a clause New rejects with
// ErrValue.
func Approval(kind ApprovalKind) Clause {
	switch kind {
	case ApprovalManual:
		return Gt(PathApprover, "")
	case ApprovalAutomatic:
		return Not(Gt(PathApprover, ""))
	}
	return Clause{Op: OpEq, Path: PathApprover, Values: []any{kind}}
}

func strs(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

// Filters is the filters form, after Apono's webhook filters: one key per
// dimension holding the values any of which it accepts, and a list of
// generic conditions. Every key given must match: the request must touch
// one of the listed integrations, and one of the listed resource types, and
// so on, and satisfy every condition. A key left out (a nil slice; absent
// or null in JSON) places no restriction; a key given an empty list
// ([]string{}; [] in JSON) is an error FromFilters reports with the key's
// name, as the Go constructors and the operator form's $in and $nin report
// an empty list. The zero Filters matches every event.
//
// Its JSON is the struct's, field by field, and round-trips exactly: keys
// come out in the order below; those left out (nil, "" or no conditions)
// are omitted, and an empty list is kept as [], so that it is refused
// again when loaded.
type Filters struct {
	// Integrations lists integration ids (PathIntegrationID).
	Integrations []string `json:"integrations,omitzero"`
	// IntegrationTypes lists integration types (PathIntegrationType).
	IntegrationTypes []string `json:"integration_types,omitzero"`
	// IntegrationNames lists integration names (PathIntegrationName).
	IntegrationNames []string `json:"integration_names,omitzero"`
	// ResourceTypes lists resource type ids (PathResourceType).
	ResourceTypes []string `json:"resource_types,omitzero"`
	// Resources lists resource ids (PathResource).
	Resources []string `json:"resources,omitzero"`
	// Permissions lists permission ids (PathPermission).
	Permissions []string `json:"permissions,omitzero"`
	// AccessFlows lists access flow ids (PathAccessFlow).
	AccessFlows []string `json:"access_flows,omitzero"`
	// Bundles lists access bundle ids (PathBundle).
	Bundles []string `json:"bundles,omitzero"`
	// Requesters lists requester user ids (PathRequester).
	Requesters []string `json:"requesters,omitzero"`
	// Grantees lists grantee ids (PathGrantee).
	Grantees []string `json:"grantees,omitzero"`
	// Approval is "manual", "automatic", or empty for either.
	Approval ApprovalKind `json:"approval,omitempty"`
	// Environments lists values of the custom field environment.
	Environments []string `json:"environments,omitzero"`
	// Tags lists values of the custom field tag.
	Tags []string `json:"tags,omitzero"`
	// Conditions lists generic conditions, all of which must hold.
	Conditions []Condition `json:"conditions,omitempty"`
}

// Condition is one generic condition of the filters form: an operator on a
// path, as in the operator form. In JSON: {"path": "data.requester.email",
// "operator": "suffix", "values": ["@acme-corp.example"], "every": false}.
type Condition struct {
	// Path is the event path, as in Clause.Path.
	Path string `json:"path"`
	// Operator is the operator, spelled without $: "eq", "in", "regex", ...
	Operator Op `json:"operator"`
	// Values holds the operands, as in Clause.Values; "exist" takes
	// [true] or [false].
	Values []any `json:"values,omitempty"`
	// Every requires every value the path reaches to satisfy the operator.
	Every bool `json:"every,omitempty"`
}

// UnmarshalJSON decodes a condition keeping numbers as json.Number, so that
// no digit is lost, and rejecting unknown keys.
func (c *Condition) UnmarshalJSON(data []byte) error {
	type plain Condition
	var p plain
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return err
	}
	*c = Condition(p)
	return nil
}

// Clause returns the condition as a comparison clause.
func (c Condition) Clause() Clause {
	return Clause{Op: c.Operator, Path: c.Path, Values: literals(c.Values), Every: c.Every}
}

// dimension is one key of the filters form.
type dimension struct {
	key    string
	clause Clause
}

func (f *Filters) dimensions() []dimension {
	var ds []dimension
	add := func(key string, values []string, build func(...string) Clause) {
		if values != nil { // an empty list is kept, for compile to reject
			ds = append(ds, dimension{key, build(values...)})
		}
	}
	add("integrations", f.Integrations, Integration)
	add("integration_types", f.IntegrationTypes, IntegrationType)
	add("integration_names", f.IntegrationNames, IntegrationName)
	add("resource_types", f.ResourceTypes, ResourceType)
	add("resources", f.Resources, Resource)
	add("permissions", f.Permissions, Permission)
	add("access_flows", f.AccessFlows, AccessFlow)
	add("bundles", f.Bundles, Bundle)
	add("requesters", f.Requesters, Requester)
	add("grantees", f.Grantees, Grantee)
	if f.Approval != "" {
		ds = append(ds, dimension{"approval", Approval(f.Approval)})
	}
	add("environments", f.Environments, Environment)
	add("tags", f.Tags, Tag)
	for i, c := range f.Conditions {
		ds = append(ds, dimension{"conditions[" + strconv.Itoa(i) + "]", c.Clause()})
	}
	return ds
}

// Clause returns the filters as one clause: All of the dimensions given
// and conditions, in field order; the zero Clause when there are none.
func (f Filters) Clause() Clause {
	ds := f.dimensions()
	if len(ds) == 0 {
		return Clause{}
	}
	kids := make([]Clause, len(ds))
	for i, d := range ds {
		kids[i] = d.clause
	}
	return All(kids...)
}

// FromFilters compiles the filters form. Errors are *ClauseError values
// whose Clause is the JSON key at fault ("approval", "conditions[2]").
func FromFilters(fs Filters, opts ...Option) (*Filter, error) {
	fs = fs.clone()
	root, err := compileFilters(&fs, newConfig(opts))
	if err != nil {
		return nil, err
	}
	return &Filter{root: root, filters: &fs}, nil
}

func compileFilters(fs *Filters, cfg *config) (node, error) {
	if fs.Approval != "" && fs.Approval != ApprovalManual && fs.Approval != ApprovalAutomatic {
		return nil, &ClauseError{Clause: "approval", Err: fmt.Errorf("%w: approval is %q or %q, not %q", ErrValue, ApprovalManual, ApprovalAutomatic, fs.Approval)}
	}
	ds := fs.dimensions()
	kids := make(allNode, len(ds))
	for i := range ds {
		kid, err := compile(&ds[i].clause, ds[i].key, cfg)
		if err != nil {
			return nil, err
		}
		kids[i] = kid
	}
	return kids, nil
}

func (f Filters) clone() Filters {
	cp := slices.Clone[[]string] // keeps an empty list empty, not nil
	out := f
	out.Integrations, out.IntegrationTypes, out.IntegrationNames = cp(f.Integrations), cp(f.IntegrationTypes), cp(f.IntegrationNames)
	out.ResourceTypes, out.Resources, out.Permissions = cp(f.ResourceTypes), cp(f.Resources), cp(f.Permissions)
	out.AccessFlows, out.Bundles, out.Requesters, out.Grantees = cp(f.AccessFlows), cp(f.Bundles), cp(f.Requesters), cp(f.Grantees)
	out.Environments, out.Tags = cp(f.Environments), cp(f.Tags)
	if f.Conditions != nil {
		out.Conditions = make([]Condition, len(f.Conditions))
		for i, c := range f.Conditions {
			c.Values = append([]any(nil), c.Values...)
			out.Conditions[i] = c
		}
	}
	return out
}
