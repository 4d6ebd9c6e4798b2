// Package integration is Apono's integration-event model: the events an
// access-management service publishes when one of its integrations (a
// connected database, cloud account or cluster) enters the Error, Warning
// or Active state, as one import.
//
// The three triggers are constants (Error, Warning, Active). Apono's guide
// to integration webhooks names the states but publishes no event_type
// values; the constants spell them as Apono spells its access-request
// triggers ("IntegrationError"). Kind returns them with their schema and
// mock events, for webhook.WithEventKind.
//
// Schema describes the payload field by field; Event, Integration and
// Issue type it for services that build events in Go (encoding one and
// decoding it back gives the same JSON, digit for digit); Mock and Mocks
// are three realistic events, one per trigger, holding the values
// templates most often get wrong: a '"', a '\' and a newline in an issue
// message, non-ASCII and quoted names, several issues, and an empty issues
// list.
package integration
