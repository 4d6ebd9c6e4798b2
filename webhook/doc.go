// Package webhook holds Outhook's model of events and webhooks.
//
// An Event is what a service publishes: a JSON object with event_type,
// event_time (epoch seconds, kept digit for digit by Timestamp) and, by
// convention, data. Events arrive as JSON (ParseEvent) or are built from Go
// values (NewEvent); either way they are decoded once and read by every
// webhook's template and filter without being decoded again.
//
// The access-request triggers of Apono's Request Webhooks are constants
// (RequestCreated and so on) that also accept Apono's AccessRequest…
// spelling; any other event type is a plain Trigger string. Their payload is
// described field by field by AccessRequestSchema, typed by
// AccessRequestEvent for services that build events in Go, and exemplified
// by MockEvents, six realistic events that hold the values templates most
// often get wrong.
package webhook
