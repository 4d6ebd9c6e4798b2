// Package filter decides which events a webhook receives, and says why an
// event was left out.
//
// A filter is built from clauses, as data, and compiled once by New: paths,
// regular expressions and globs are compiled then, and a malformed clause is
// a *ClauseError naming it. The compiled *Filter is immutable and safe for
// concurrent use. Match reads the event as decoded once per publish: the
// *jsondoc.Value tree the webhook package parses, or map[string]any and []any
// values; it does not allocate, except to format float64 numbers (decode
// with json.Decoder.UseNumber to keep numbers exact and free).
//
//	prod := filter.Must(filter.New(filter.All(
//		filter.Environment("production"),
//		filter.IntegrationType("Postgresql", "Mysql"),
//		filter.Approval(filter.ApprovalManual),
//	)))
//	if m := prod.Explain(event); m != nil {
//		log.Print("skipped: ", m) // and[1]: data.access_groups[].integration.type $in [...]: found ["AWS"]
//	}
//
// # Paths and arrays
//
// A path names members separated by dots: data.requester.email. [] steps
// into every element of an array, [n] into one, and ["a.b"] names a member
// whose name holds a dot, a bracket or a quote. A comparison on a path with
// [] matches when any value it reaches matches:
// data.access_groups[].integration.type equal to "AWS" matches a request
// for which some access group is AWS. Every (in JSON, $every in the operator
// form and "every": true in a condition of the filters form) requires all of
// them, and at least one. Each clause quantifies on its own:
// two clauses on data.access_groups[] may be satisfied by different groups.
//
// # Comparison rules
//
// Operands are JSON scalars and compare within their JSON type: strings
// exactly (case-sensitive), numbers by value and exactly (1.0 equals 1,
// 1773134100.482913204 is not 1773134100.482913205), booleans and null as
// themselves. A string never equals a number: "14400" does not match 14400.
// Ordering operators compare numbers with a number operand and strings, in
// byte order, with a string operand. String operators ($prefix, $suffix,
// $contains, $glob, $regex) match strings only. A missing path matches no
// positive operator; OpNeq and OpNin are the negations of OpEq and OpIn and
// match it.
//
// A list of accepted values is never empty. IntegrationType() and the other
// dimension constructors called with no values, In or Nin with none, $in or
// $nin with [] in the operator form, and a key of the filters form holding
// [] ({"integration_types": []}) are all an error naming the clause, not a
// filter that matches nothing or everything: an empty list is most often a
// variable left empty, and either reading would silently stop a webhook or
// widen it to every event. To place no restriction, leave the clause or the
// key out (a null key is left out too).
//
// # JSON forms
//
// Filters load from, and are stored in, two JSON forms, both compiled into
// the same *Filter:
//
//   - the filters form, after Apono's webhook filters, one key per
//     dimension and generic conditions (see Filters):
//     {"integration_types": ["Postgresql"], "approval": "manual",
//     "conditions": [{"path": "data.requester.email", "operator": "suffix",
//     "values": ["@acme-corp.example"]}]};
//   - the operator form, the Mongo-style syntax of Convoy and Hookdeck
//     Outpost (see Clause.UnmarshalJSON): {"data.custom_fields.environment":
//     "production", "data.access_duration_in_seconds": {"$lte": 3600}}.
//
// Parse and (*Filter).UnmarshalJSON tell the forms apart by their keys, and
// (*Filter).MarshalJSON writes a filter back in the form it came from, so a
// filter stored with a webhook round-trips. What round-trip means for each
// form is documented on Filters and on Clause.UnmarshalJSON.
//
// # Many filters
//
// An Index holds many filters and names, for an event, those that may
// match it, from the equalities ($eq, $in) with strings, booleans or null
// that each filter requires: a service with thousands of webhooks runs the
// filters of those an event can reach, and a filter that requires no such
// equality on every event.
//
// # Schemas
//
// WithSchema (or Filter.Check) checks every path against the event's
// Schema when the filter is built, rejecting unknown fields with a
// suggestion and operands of the wrong type.
package filter
