// Package validate checks HTTP responses of outbound webhooks, after
// Apono's Response Validators: a JSON path into the response body and the
// values it may hold, plus checks on the status code and on headers.
//
// A webhook definition reaches each kind through its response_validators
// (see webhook.ResponseValidator): json_path, status and header.
//
// Validators are compiled once, when a webhook is registered, and are safe
// for concurrent use. A Set runs all of a webhook's validators against one
// Response and returns a Report that lists every result (pass or fail, the
// value found, the values expected) and carries the webhook's custom
// validation error message.
//
// # Addressing the body
//
// A JSON path is evaluated by github.com/PaesslerAG/jsonpath. As in Apono,
// the response body is addressed as data: $.data.status reads the top-level
// status member of the response JSON, and $.data[0] the first element of a
// body that is an array. A path that does not start with $.data addresses the
// body directly, so $.status and status mean the same as $.data.status. To
// reach a top-level member that is itself called data, write
// $.data.data. Strings, in brackets or in filter expressions, take single
// or double quotes: $['status'] and $.items[?(@.state=='done')] read as
// $["status"] and $.items[?(@.state=="done")].
//
// # Comparison rules
//
// The value found is compared with the expected values as text:
//
//   - a string compares as its contents: "ok" matches ok, and "200" matches
//     200;
//   - a number compares by its JSON text, digit for digit: 200 matches "200"
//     but not "200.0";
//   - a boolean compares as true or false;
//   - null is its own value, found (not missing) and written null;
//   - an object or array compares as its compact JSON, with members in
//     sorted key order.
//
// A path that can match several values (a wildcard, a slice, a filter or a
// recursive descent) passes when any of them is expected, or, with
// AllMatches, when all of them are; it fails with ErrNotFound when it
// matches none. A single-valued path that leads nowhere fails with
// ErrNotFound. With no expected values, a validator passes whenever the path
// is found.
//
// # Bounded bodies
//
// Read reads at most a limit of bytes (DefaultMaxBodyBytes unless told
// otherwise) and a Set never looks past its own limit. A body that is not
// JSON fails the JSON path validators with ErrNotJSON, a body cut at the
// limit with ErrTruncated; neither ever panics. A path with a recursive
// descent (..) is not evaluated on a body nested deeper than MaxDepth
// (ErrTooDeep), and a path with two descents does not compile, so that a
// remote server cannot make validation slow.
//
// Results marshal to JSON for invocation records, and read back with their
// errors still matching the sentinels above.
package validate
