// Package webhook delivers events to webhooks: the Dispatcher, the
// definitions it runs and the records it keeps.
//
// Events come from package event (an Event is decoded once and read by
// every webhook's template and filter); Apono's access-request model, its
// triggers and mock events from package accessrequest. A Dispatcher given
// no event types serves the six access-request triggers, in either
// spelling. WithEventKind serves a whole kind besides (an event.Kind:
// triggers, schema and mock events), such as integration.Kind and
// audit.Kind, Apono's integration and audit webhooks; WithEventType
// declares a single event type of a service's own. Tenant.EventTypes
// lists every trigger served with its schema and mock event, and Test
// sends that mock event.
//
// # Webhooks and the Dispatcher
//
// A Webhook is a definition with Apono's field names: name, active, method,
// url, headers, body_template, triggers, filters, timeout_in_sec,
// response_validators and custom_validation_error_message. Definitions are
// plain data that load from and save to JSON (DecodeWebhooks,
// EncodeWebhooks). Dispatcher.Add checks one and compiles its template,
// filter and validators once; every problem comes back at once as a
// DefinitionErrors, each naming its field and, inside a template, the line
// and column.
//
// A URL's path segments and query values, and header values, may hold
// template expressions too ("https://x.example/tickets/{{data.id}}",
// "X-Tenant: {{data.tenant}}"): they are compiled at registration and
// rendered at a delivery's first attempt, each URL piece escaped for where
// it stands; a URL or header value without "{{" is sent as written and
// costs nothing. The scheme and host are never templated. A webhook's own
// url_policy may relax the Dispatcher's URL rules (an explicit port, such
// as Splunk HEC's 8088, or HTTP) as far as the Dispatcher's URLPolicy lets
// definitions relax them, and never the SSRF guard.
//
// Publish selects the active webhooks whose triggers include the event's
// type (through an index, so the cost follows the matches, not the number
// of webhooks) and whose filters match it, and queues a Delivery for each.
// The default engine runs in memory: a bounded queue and a concurrency
// limit per webhook and a shared pool of workers, so that a slow or dead
// endpoint holds at most its concurrency limit of workers and leaves the
// rest to the others. An attempt in flight longer than the stall threshold
// (WithStallThreshold) stops counting against the pool and a new worker
// takes its place, so that several endpoints stalled at once (at the
// defaults four take every worker: 4 × DefaultConcurrency is
// DefaultWorkers) hold the workers for that threshold rather than until
// their attempts time out; WithStalledAttempts bounds the stalled attempts
// beside the pool, and past it they hold their workers until their breakers
// open, which then hold their deliveries without a worker. When a webhook's queue is
// full, Publish by default keeps its delivery as a dead letter rather than
// wait (QueuePolicy). Each delivery's body is rendered once, at its first
// attempt; retries send the same bytes with the same webhook-id header,
// following a RetryPolicy (exponential backoff with full jitter, a number
// of attempts, a time budget counted from when the delivery was queued,
// Retry-After honoured but capped). Network errors, timeouts, 408, 429 and
// 5xx are retried; other 4xx are not.
//
// # Tenants and the definition store
//
// Definitions live in a definition store (package defstore; in memory by
// default, WithDefinitionStore for one shared by several instances, such as
// riverengine's), each owned by a tenant: an opaque id the host chooses.
// Dispatcher.Tenant returns a tenant's view, through which its admins
// create, update (with the version they read), activate, delete, list,
// test and watch its webhooks, and through which events published for it
// reach its webhooks only; the Dispatcher's own Add, Update, Remove and
// Publish are the tenant "" view's. Every Dispatcher on a store follows
// it: it reads the store's changes when the store notifies it, when a
// delivery was queued for a version it has not loaded (the delivery waits
// for it), and every sync interval. With WithKeyring the secrets of each
// definition are sealed before they reach the store and opened only to
// send. TenantLimits bound each tenant's webhooks, deliveries in flight
// and rate, so that one tenant cannot starve the others.
//
// # Response validators
//
// A 2xx answer is a success unless one of the webhook's
// response_validators fails; then the attempt fails with the
// custom_validation_error_message as its reason, and the delivery ends
// ValidationFailed unless the retry policy sets RetryValidationFailures.
// Each validator checks one thing (package validate compares the values):
//
//	{"json_path": "$.data.status", "expected_values": ["ok"]}   a value of the JSON body
//	{"status": ["200", "201-204"]}                               the status code: codes, classes (2xx), ranges
//	{"header": "X-Result", "expected_values": ["accepted"]}     a header present, with one of the values if given
//
// Dispatcher.Add refuses a validator that sets none or several of
// json_path, status and header, a status that is not a code, class or
// range or that holds no 2xx code (no other status reaches the
// validators), a status with expected_values, and a header name that is
// not valid HTTP, each a DefinitionError naming the field, such as
// response_validators[2].header. Every result, passed or failed, is in
// the Invocation's Validation.
//
// Every attempt, and every decision not to send, becomes an Invocation: the
// request as sent with secrets redacted, the response (its body cut at a
// limit, and redacted too, as what validators found is, since a receiver
// may echo the request), timings, validator results, and the Outcome with
// its reason. An
// InvocationStore keeps them (MemoryStore by default, bounded per webhook),
// along with the dead letters of deliveries that failed for good, which
// Redeliver can queue again. Test sends a mock event to a definition, once,
// and returns the invocation: Apono's Test button. A Retention bounds that
// history by age and count (WithRetention); Tenant.Erase erases a tenant's,
// a webhook's or an event id's history and queued deliveries on request
// and records the erasure; Tenant.RedeliverDeadLetters and
// DiscardDeadLetters act on a time range of a webhook's dead letters.
// Tenant.Summary and Summaries say, next to each webhook, its breaker, last
// outcome, attempts, success rate and latency percentiles over the last 5
// minutes, hour and day, and its dead letters waiting, from counters a
// SummaryStore keeps as it writes.
//
// WithOperationalEvents tells a Go hook, and optionally the webhook's own
// tenant as events of the operational kind (package operational), that a
// webhook started failing, is failing still, recovered or was disabled,
// that a delivery became a dead letter, or that a tenant reached a limit:
// deduplicated and rate-limited per webhook, so that a dead endpoint
// yields a handful of events, not one per attempt.
//
// Close stops intake, drains the queues until its context ends, turns
// whatever is left into dead letters and stops every goroutine. A
// delivery whose retry, or the end of whose hold, is due after the
// context's deadline is a dead letter at once, with those waiting behind
// its ordering key: Close does not wait for a run that cannot come.
//
// # Gates and integration actions
//
// Tenant.Gate calls a registered webhook once with an event and returns a
// Decision: Apono's manual webhook, which an access flow calls as a
// condition. It passes when the answer is 2xx and every response
// validator passes; otherwise its Message is the
// custom_validation_error_message (for validators that failed) or the
// reason. It sends once, within the webhook's timeout, and fails closed:
// an inactive webhook, an event the filters exclude, an open breaker and
// a rate-limit slot beyond the timeout refuse it without a request. Each
// call is recorded; none makes a dead letter.
//
// A definition may name an action instead of a URL: a Go func registered
// with WithAction, given the rendered body, the headers and the event,
// whose answer is judged as a response is. Gate, Test and Publish run it,
// with the same validators, timeout, rate limit, breaker, retries (when
// published) and records; a panic is recovered and recorded as a failure.
//
// # Engines
//
// Queueing is an engine's job, behind the contract of package engine: the
// Dispatcher hands each Publish to the engine as one batch, and the engine
// hands each delivery back to the Dispatcher's Runner when it is due,
// hearing after each run whether it ended, is to be retried, was held
// back without an attempt, or was interrupted. WithEngine replaces the
// in-memory engine, for instance with riverengine's durable one, whose
// store then keeps the records too (StoreEngine); PublishTx publishes in a
// transaction of the engine's database, and Redeliver takes a dead letter
// and queues it in one (TxEngine).
package webhook
