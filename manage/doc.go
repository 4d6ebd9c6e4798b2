// Package manage is the management API of a Dispatcher's webhooks: an
// http.Handler that a multi-tenant service mounts behind its own
// authentication, so that each customer's admins list, create, edit,
// test and watch their own webhooks at run time.
//
// The service supplies a TenantFunc that maps each request to its tenant
// and actor, or refuses it (ErrUnauthenticated, ErrForbidden). That is the
// whole of the Handler's notion of who may do what: every operation acts
// on the webhooks of the tenant named, through Dispatcher.Tenant, and on
// nothing of any other tenant.
//
// The operations, their parameters, bodies and answers are in an OpenAPI
// 3.1 document (OpenAPI, served at GET /openapi.json; openapi.json in the
// repository), which the package's tests check every request and
// response they make against. In short:
//
//	GET    /webhooks                          list, with each one's last invocation
//	POST   /webhooks                          create
//	GET    /webhooks/{id}                     get (ETag: its version)
//	PUT    /webhooks/{id}                     replace (If-Match: the version read)
//	DELETE /webhooks/{id}                     delete (If-Match)
//	POST   /webhooks/{id}/activate            activate (If-Match)
//	POST   /webhooks/{id}/deactivate          deactivate (If-Match)
//	GET    /webhooks/{id}/history             who changed it, and when
//	POST   /webhooks/{id}/test                send a mock or given event now
//	POST   /webhooks/{id}/gate                call it as a flow's condition; the decision
//	GET    /webhooks/{id}/breaker             circuit breaker state
//	POST   /webhooks/{id}/breaker/reset       close the breaker
//	GET    /webhooks/{id}/summary             last outcome, success rate and latency over 5 min, 1 h, 24 h, dead letters waiting
//	GET    /summaries?id=…&id=…               the same of up to 100 webhooks at once
//	POST   /webhooks/{id}/recover             redeliver its dead letters since (and until) a time
//	POST   /webhooks/{id}/dead-letters/discard  delete its dead letters within a time range
//	POST   /validate                          check a definition, saving nothing
//	POST   /test                              send an event to a definition not saved
//	POST   /preview                           render a template over an event
//	GET    /event-types                       triggers, schemas and mock events
//	GET    /event-types/{trigger}             one of them
//	GET    /invocations                       records, filtered, in pages
//	GET    /dead-letters                      dead letters, filtered, in pages
//	POST   /dead-letters/{delivery_id}/redeliver
//	POST   /erasures                          erase the tenant's history and queue ({"all":true}, a webhook's, an event id's)
//	GET    /erasures                          the erasures made, newest first
//
// Writes take If-Match: the ETag of the version read, or * for whatever
// version the webhook has now (RFC 9110), under which a version in a
// PUT's body, as read, is not compared.
//
// Query parameters are read where an operation lists them only: one it
// does not take (GET /webhooks has no ?active= or ?trigger= filter), one
// given empty (?limit= is not the default; an empty cursor is the first
// page's), one given twice (but the ids of /summaries), or one badly
// percent-encoded or holding an unescaped ';' is refused with a 400
// invalid-request problem whose field names it, rather than read as
// absent and answered as if unfiltered.
//
// Secrets are write-only: answers mask header values, body secrets
// (secrets), signing secrets and a URL's credentials; an update that omits
// headers, body secrets or signing secrets,
// or sends a value back masked, keeps the stored one, as long as the URL
// stays the same. One that gives another URL must give the secrets
// again, or none: otherwise it is refused (definition-invalid, each
// secret's field named), so that no one who may edit a webhook can have
// its stored secrets sent to an endpoint of their choosing; nor may an
// update that sends the URL back masked turn secret_url_path off, which
// would show the stored path. Every error is an
// RFC 9457 problem document (Problem) with a stable type URI under
// ProblemBase and, for a definition, a template or a request body, the
// field, line and column of each problem.
//
// It is safe by default: cross-origin requests that change anything are
// refused (net/http's CrossOriginProtection; WithTrustedOrigins admits a
// console on another origin), bodies are limited (WithMaxBodyBytes),
// tests, gate calls and previews are rate-limited per tenant
// (WithTestRate, WithGateRate, WithPreviewRate), and tests and gates go
// through the Dispatcher, so its SSRF guard applies to them. An event a
// caller gives a test or a gate may not take a webhook's stored secrets
// to another URL than its mock event does (see webhook.CallerEvent).
package manage
