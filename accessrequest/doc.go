// Package accessrequest is Apono's access-request model, the events an
// access-management service publishes when an access request is created,
// approved, rejected, granted, expires or fails, as one import.
//
// The six triggers are constants (Created … Failed) whose values are
// Apono's names ("RequestCreated"); Apono's own sample payloads spell them
// "AccessRequestCreated" and so on, and Canonical maps either spelling to
// the constant. A webhook.Dispatcher given no event types serves these six.
//
// Schema describes the payload field by field; Event and Request type it
// for services that build events in Go (encoding one and decoding it back
// gives the same JSON, digit for digit); Mock and Mocks are six realistic
// events, one per trigger, holding the values templates most often get
// wrong: a justification with a quote, a backslash and a newline, a null
// revocation date, non-ASCII names, several access groups, a group
// grantee, an empty approvals list.
package accessrequest
