// Package event is what a service publishes: the event envelope, its type
// and time, and the schema that describes an event type's fields. It is
// pure data, with no HTTP and no telemetry, so that custom pipelines,
// receivers and tests need nothing else.
//
// An Event is a JSON object with event_type, event_time (epoch seconds,
// kept digit for digit by Timestamp), an optional event_id and, by
// convention, data. Events arrive as JSON (Parse) or are built from Go
// values (New); either way they are decoded once and read by every
// webhook's template and filter without being decoded again. Their strings
// must be valid UTF-8, since an event may be forwarded as it came. Every
// error is an *Error that names the member at fault, or the line and
// column of malformed JSON.
//
// A Trigger names an event type. A Schema lists an event type's fields
// with a type and a description each: what "View payload schema" shows,
// and what templates and filters check their field references against.
// A Kind groups triggers that share a schema with their mock events;
// packages accessrequest, integration and audit each return Apono's.
package event
