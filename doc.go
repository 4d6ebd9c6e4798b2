// Package outhook is an embeddable library for templated outbound webhooks.
//
// A Go service tells other tools that something happened (an access request
// was created, approved or granted) by publishing an event; Outhook decides
// which webhooks fire, renders each body from a Handlebars/mustache template
// over the event, signs and sends it with retries, checks the response, and
// records every attempt. This root package holds only this map; the work is
// done by its packages, each one noun:
//
// event: the Event a service publishes (parsed once from JSON or built from
// Go values), its Trigger, its Timestamp kept digit for digit, and the
// Schema that describes an event type's fields. Pure data, for pipelines,
// receivers and tests alike.
//
// accessrequest: Apono's access-request model in one import: the six
// triggers (with their AccessRequest… spelling), the schema, typed structs,
// and six mock events that hold the values templates most often get wrong.
//
// signature: Standard Webhooks signing and verification (HMAC v1, ed25519
// v1a), keys and secrets, for receivers and their tests; it needs nothing
// else of Outhook.
//
// webhook: the Dispatcher. Add checks and compiles Webhook definitions
// (plain data with Apono's field names); Publish matches an event to the
// webhooks whose triggers and filters want it and queues a delivery for
// each; each attempt renders, signs, sends and validates under a retry
// policy, a rate limit and a circuit breaker; every attempt becomes an
// Invocation in a store, and deliveries that fail for good become dead
// letters to redeliver. Test sends a mock event once.
//
// engine: the contract between a Dispatcher and the engine that queues its
// deliveries and says when each is due. The default engine keeps them in
// memory; riverengine keeps them in PostgreSQL or SQLite, so that they
// survive restarts and are shared between instances.
//
// riverengine: the durable engine, in a module of its own so that the core
// keeps its few dependencies; PublishTx queues deliveries inside the
// caller's own database transaction.
//
// template: Handlebars/mustache templates that always render valid JSON,
// checked against a Schema, with line:column errors.
//
// filter: predicates over events that decide which webhooks fire, and say
// why one did not.
//
// validate: response validators: a JSON path into the body, the status
// code, a header.
//
// torq: the Torq preset, a constructor that checks the URL and the token
// and returns a ready definition.
//
// presets: the same for Slack, Microsoft Teams, Okta Workflows, Datadog
// Logs, ServiceNow and a whole-event webhook.
//
// webhooktest: for users' own tests: render templates over the mock events
// against golden files, a recording receiver with scripted answers and
// signature checks, and a Dispatcher whose retries take no time.
//
// Everything is compiled once, when a webhook is registered, and every
// error says where: a line and column in a template, the field of a
// definition.
package outhook
