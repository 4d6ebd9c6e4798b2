// Package outhook is an embeddable library for templated outbound webhooks.
//
// A Go service tells other tools that something happened (an access request
// was created, approved or granted) by publishing an event; Outhook decides
// which webhooks fire, renders each body from a Handlebars/mustache template
// over the event, sends it with retries, checks the response, and records
// every invocation. This root package holds only this overview; the work is
// done by its packages:
//
//   - webhook: events, triggers, the payload schema and the mock events.
//   - template: Handlebars/mustache templates that always render valid JSON.
//   - filter: predicates that decide which events a webhook receives, and
//     say why one did not match.
//   - validate: response validators (JSON paths into the response body,
//     status codes, headers).
//   - torq: a ready webhook definition for Torq; presets: the same for
//     Slack, Microsoft Teams, Okta Workflows, Datadog Logs, ServiceNow and
//     a whole-event webhook.
//   - webhooktest: for users' own tests: render templates over the mock
//     events against golden files, and a scriptable recording receiver.
//
// Everything is compiled once, when a webhook is registered, and every
// error says where: a line and column in a template, the field of a
// definition.
package outhook
