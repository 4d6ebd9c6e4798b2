// Package webhooktest helps test webhook templates and integrations, as
// net/http/httptest helps test HTTP handlers.
//
// # Templates
//
// Render renders a webhook's body over the built-in mock events of its
// triggers (access requests, operational events, and the kinds given with
// Kinds, such as integration.Kind), or the events given with Events, the
// way the Dispatcher does: checked against each trigger's schema, and
// bounded by the Dispatcher's render limit. It fails the test when a body
// is not valid JSON, when a field is missing under Strict, or when a body
// differs from its golden file under Golden. RenderTemplate does the same
// for a bare template.
//
//	func TestSlackBody(t *testing.T) {
//		webhooktest.Render(t, mySlackWebhook(), webhooktest.Strict(), webhooktest.Golden("testdata"))
//	}
//
// Golden files are named <name>.<event>.json, such as
// slack.request-created.json. Run the tests with the environment variable
// OUTHOOK_UPDATE_GOLDEN=1 (UpdateEnv) to write them:
//
//	OUTHOOK_UPDATE_GOLDEN=1 go test ./mypackage -run TestSlackBody
//
// An environment variable, not a flag, so that importing webhooktest
// defines nothing in the test binary, and ./... works: packages that do
// not use Golden ignore it.
//
// # Receivers
//
// A Receiver is an HTTP server on the loopback interface that records
// every request it gets and answers from a script: a status sequence,
// delays, Retry-After, connection resets and slow bodies (see Response).
// With WithSecrets it verifies Standard Webhooks signatures and records the
// result of each check; with WithClock it checks their timestamps against
// the clock given to a Dispatcher with webhook.WithClock.
//
//	r := webhooktest.NewReceiver(webhooktest.Respond(
//		webhooktest.Response{Status: 503, RetryAfter: time.Second},
//		webhooktest.Response{Status: 200, Body: `{"ok":true}`},
//	))
//	defer r.Close()
//
// # Dispatchers
//
// NewDispatcher returns a webhook.Dispatcher ready for receivers on the
// loopback interface: the SSRF guard allows 127.0.0.1 and ::1, plain HTTP
// and custom ports are accepted, retries wait a nanosecond (FastRetries),
// the circuit breaker is off (NoBreaker) unless webhook.WithBreaker is
// passed, every invocation is collected for WaitFinal (an invocation hook
// of the test's own is called too), and the Dispatcher is closed when the
// test ends.
package webhooktest
