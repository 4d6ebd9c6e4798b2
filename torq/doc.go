// Package torq builds webhook definitions that send Apono-style
// access-request events to Torq, the first of Outhook's presets.
//
// Torq receives webhooks at https://hooks.torq.io/v1/webhooks/<id> (in the
// EU at hooks.eu.torq.io), optionally followed by /workflows/<workflow-id>
// (asynchronous: Torq answers at once with an execution id) or
// /workflows/<workflow-id>/sync (Torq waits for the workflow's output). It
// authenticates every request with a header configured on the Torq
// integration. New checks the URL, with an error that says what is wrong,
// and returns a ready webhook.Webhook to pass to Dispatcher.Add:
//
//	w, err := torq.New("https://hooks.torq.io/v1/webhooks/0f9a1c", token)
//	...
//	w, err = d.Add(w)
//
// The defaults follow Apono's Torq guide: POST, Authorization: Bearer
// <token>, the body
//
//	{"body":{"event":"New Apono {{event_type}} request made by {{data.requester.name}}"}}
//
// every access-request trigger, and a 30-second timeout per attempt (two
// minutes for /sync URLs, which wait for the workflow). Options cover what
// New checks: WithAuthHeader sends the token in a header of another name,
// such as X-Torq-Token, as Torq's other senders do, and WithBaseURL points
// the checked URL at a local stand-in for tests. The definition is plain
// data: set any other field on it before adding it, and the Dispatcher
// checks it then:
//
//	w, err := torq.New(url, token, torq.WithAuthHeader("X-Torq-Token"))
//	...
//	w.Name = "torq-aws"
//	w.Triggers = []event.Trigger{accessrequest.Granted}
//	w.Filters = filter.Must(filter.New(filter.IntegrationType("AWS")))
//	w.BodyTemplate = "" // the whole event, as its JSON
//
// Delivery follows the webhook package's defaults, which are Torq's rules:
// a 2xx answer is success; 5xx, 429 and 408 are retried with exponential
// backoff and Retry-After is honoured (capped by the retry policy); other
// 4xx are final. The token is a header value, so invocation records and
// logs show it as REDACTED.
//
// A preset is a plain constructor: there is no registry and nothing happens
// at init.
package torq
