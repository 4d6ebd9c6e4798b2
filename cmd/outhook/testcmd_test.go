package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/signature"
	"github.com/outhook/outhook/webhook"
)

// receiver is a webhook receiver that records what it gets and answers
// with status and body.
type receiver struct {
	*httptest.Server
	mu       sync.Mutex
	requests []received
	status   int
	body     string
}

type received struct {
	method, path string
	header       http.Header
	body         []byte
}

func newReceiver(t *testing.T, status int, body string) *receiver {
	rc := &receiver{status: status, body: body}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		rc.mu.Lock()
		rc.requests = append(rc.requests, received{r.Method, r.URL.Path, r.Header.Clone(), b})
		rc.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(rc.status)
		io.WriteString(w, rc.body)
	}))
	t.Cleanup(rc.Close)
	return rc
}

func (rc *receiver) got() []received {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]received(nil), rc.requests...)
}

// testOutput is test's -o json shape after a delivery.
type testOutput struct {
	OK         bool               `json:"ok"`
	Reason     string             `json:"reason"`
	Invocation webhook.Invocation `json:"invocation"`
}

const receiverToken = "receiver-token-9f3b2"

// definitionFor writes a definition aimed at rc: a secret header, a
// signing secret, the Torq body and a validator of the answer.
func definitionFor(t *testing.T, dir, url, secret string) string {
	def := map[string]any{
		"name":                            "receiver",
		"url":                             url + "/hook",
		"headers":                         map[string]string{"Authorization": "Bearer " + receiverToken},
		"signing_secrets":                 []string{secret},
		"body_template":                   torqBody,
		"triggers":                        []string{"RequestApproved", "RequestCreated"},
		"response_validators":             []map[string]any{{"json_path": "$.data.status", "expected_values": []string{"ok"}}},
		"custom_validation_error_message": "the receiver did not say ok",
	}
	b, err := json.MarshalIndent(def, "", "  ")
	require.NoError(t, err)
	return writeFile(t, dir, "hook.json", string(b))
}

var local = []string{"-allow-target", "127.0.0.1", "-allow-http", "-allow-custom-ports"}

func TestTestDelivers(t *testing.T) {
	t.Parallel()
	rc := newReceiver(t, http.StatusOK, `{"status":"ok"}`)
	secret := signature.NewSecret()
	def := definitionFor(t, t.TempDir(), rc.URL, secret)

	r := outhook(t, runOpts{}, append(append([]string{"test", "-o", "json"}, local...), def)...)
	require.Equal(t, 0, r.code, r.stdout+r.stderr)
	require.Empty(t, r.stderr)
	var out testOutput
	decodeStrictly(t, r.stdout, &out)
	require.True(t, out.OK)
	require.Empty(t, out.Reason)
	inv := out.Invocation
	require.Equal(t, webhook.Delivered, inv.Outcome)
	require.Equal(t, "receiver", inv.WebhookName)
	require.EqualValues(t, "RequestApproved", inv.EventType, "the definition's first trigger")
	require.Equal(t, 1, inv.Attempt)
	require.Positive(t, inv.Duration)
	require.WithinDuration(t, time.Now(), inv.StartedAt, time.Minute)
	require.Equal(t, http.MethodPost, inv.Request.Method)
	require.Equal(t, rc.URL+"/hook", inv.Request.URL)
	require.Equal(t, []string{"REDACTED"}, inv.Request.Header["Authorization"])
	require.Equal(t, libraryPreview(t, torqBody, "RequestApproved"), inv.Request.Body)
	require.Equal(t, http.StatusOK, inv.Response.StatusCode)
	require.JSONEq(t, `{"status":"ok"}`, inv.Response.Body)
	require.Len(t, inv.Validation, 1)
	require.True(t, inv.Validation[0].Passed)
	require.Equal(t, "$.data.status", inv.Validation[0].Validator)
	require.NotContains(t, r.stdout, receiverToken)
	require.NotContains(t, r.stdout, strings.TrimPrefix(secret, "whsec_"))

	// The receiver got the real request, signed.
	got := rc.got()
	require.Len(t, got, 1)
	require.Equal(t, "/hook", got[0].path)
	require.Equal(t, "Bearer "+receiverToken, got[0].header.Get("Authorization"))
	require.Equal(t, inv.Request.Body, string(got[0].body))
	v, err := signature.ParseVerifier(0, secret)
	require.NoError(t, err)
	require.NoError(t, v.Verify(got[0].header, got[0].body, time.Now()))

	t.Run("text", func(t *testing.T) {
		r := outhook(t, runOpts{}, append(append([]string{"test", "-mock", "AccessRequestGranted"}, local...), def)...)
		require.Equal(t, 0, r.code, r.stdout+r.stderr)
		for _, want := range []string{
			"Test successful\n", `webhook "receiver", event RequestGranted, outcome delivered, attempt 1`,
			"Request\n  POST " + rc.URL + "/hook\n", "  Authorization: REDACTED\n",
			"Response\n  200 OK\n", `  {"status":"ok"}`,
			"Response validators\n  passed  $.data.status: passed",
		} {
			require.Contains(t, r.stdout, want)
		}
		require.NotContains(t, r.stdout, receiverToken)
		require.NotContains(t, r.stdout, "\x1b[")
		got := rc.got()
		require.Contains(t, string(got[len(got)-1].body), "RequestGranted")
	})

	t.Run("given event", func(t *testing.T) {
		ev := writeFile(t, t.TempDir(), "ev.json", `{"event_type":"RequestCreated","event_time":1767225600,"data":{"requester":{"name":"Given Person"}}}`)
		r := outhook(t, runOpts{}, append(append([]string{"test", "-event", ev}, local...), def)...)
		require.Equal(t, 0, r.code, r.stdout+r.stderr)
		got := rc.got()
		require.Contains(t, string(got[len(got)-1].body), "made by Given Person")
	})
}

func TestTestFails(t *testing.T) {
	t.Parallel()
	secret := signature.NewSecret()

	t.Run("status", func(t *testing.T) {
		rc := newReceiver(t, http.StatusInternalServerError, `{"error":"down"}`)
		def := definitionFor(t, t.TempDir(), rc.URL, secret)
		r := outhook(t, runOpts{}, append(append([]string{"test", "-o", "json"}, local...), def)...)
		require.Equal(t, 1, r.code, r.stdout+r.stderr)
		var out testOutput
		decodeStrictly(t, r.stdout, &out)
		require.False(t, out.OK)
		require.Contains(t, out.Reason, "500")
		require.Equal(t, out.Reason, out.Invocation.Reason)
		require.Equal(t, http.StatusInternalServerError, out.Invocation.Response.StatusCode)
		require.Len(t, rc.got(), 1, "a test is sent once, without retries")

		r = outhook(t, runOpts{}, append(append([]string{"test"}, local...), def)...)
		require.Equal(t, 1, r.code)
		require.True(t, strings.HasPrefix(r.stdout, "Test failed: "), r.stdout)
		require.Contains(t, r.stdout, "500 Internal Server Error")
	})

	t.Run("validator", func(t *testing.T) {
		rc := newReceiver(t, http.StatusOK, `{"status":"nope"}`)
		def := definitionFor(t, t.TempDir(), rc.URL, secret)
		r := outhook(t, runOpts{}, append(append([]string{"test", "-o", "json"}, local...), def)...)
		require.Equal(t, 1, r.code, r.stdout+r.stderr)
		var out testOutput
		decodeStrictly(t, r.stdout, &out)
		require.Equal(t, webhook.ValidationFailed, out.Invocation.Outcome)
		require.Contains(t, out.Reason, "the receiver did not say ok")
		require.False(t, out.Invocation.Validation[0].Passed)
		require.Equal(t, "nope", out.Invocation.Validation[0].Found)
	})

	t.Run("the SSRF guard stays on without -allow-target", func(t *testing.T) {
		rc := newReceiver(t, http.StatusOK, `{"status":"ok"}`)
		def := definitionFor(t, t.TempDir(), rc.URL, secret)
		r := outhook(t, runOpts{}, "test", "-o", "json", "-allow-http", "-allow-custom-ports", def)
		require.Equal(t, 1, r.code, r.stdout+r.stderr)
		var out testOutput
		decodeStrictly(t, r.stdout, &out)
		require.False(t, out.OK)
		require.Contains(t, out.Reason, "127.0.0.1")
		require.Empty(t, rc.got(), "nothing reached the receiver")

		r = outhook(t, runOpts{}, "test", "-allow-target", "10.0.0.0/8,192.168.0.0/16", "-allow-http", "-allow-custom-ports", def)
		require.Equal(t, 1, r.code, "other targets allowed, not loopback")
		require.Empty(t, rc.got())
	})

	t.Run("definition problem", func(t *testing.T) {
		content := "{\n  \"name\": \"a\",\n  \"url\": \"http://127.0.0.1:1/x\",\n  \"triggers\": [\"RequestCreated\"]\n}\n"
		def := writeFile(t, t.TempDir(), "a.json", content)
		r := outhook(t, runOpts{}, "test", "-o", "json", "-allow-target", "127.0.0.1", def)
		require.Equal(t, 1, r.code, r.stdout+r.stderr)
		var out struct {
			OK       bool                `json:"ok"`
			Problems []definitionProblem `json:"problems"`
		}
		decodeStrictly(t, r.stdout, &out)
		require.False(t, out.OK)
		l, c := positionOf(t, content, `"http://127.0.0.1:1/x"`)
		require.Equal(t, []where{{Line: l, Column: c, Index: 0, Webhook: "a", Field: "url"}}, wheres(out.Problems))

		r = outhook(t, runOpts{}, "test", "-allow-target", "127.0.0.1", def)
		require.Equal(t, 1, r.code)
		require.Contains(t, r.stdout, def+":3:10: webhook \"a\": url: URL not allowed by the URL policy")
	})
}

func TestTestChoosesADefinition(t *testing.T) {
	t.Parallel()
	rc := newReceiver(t, http.StatusOK, `{"status":"ok"}`)
	dir := t.TempDir()
	two := writeFile(t, dir, "two.json", `[
  {"name": "first", "url": "`+rc.URL+`/first", "triggers": ["RequestCreated"]},
  {"name": "second", "url": "`+rc.URL+`/second", "triggers": ["RequestExpired"]}
]`)
	r := outhook(t, runOpts{}, append(append([]string{"test"}, local...), two)...)
	require.Equal(t, 2, r.code)
	require.Contains(t, r.stderr, `the file holds 2 definitions; choose one with -name ("first", "second")`)

	r = outhook(t, runOpts{}, append(append([]string{"test", "-name", "second"}, local...), two)...)
	require.Equal(t, 0, r.code, r.stdout+r.stderr)
	got := rc.got()
	require.Len(t, got, 1)
	require.Equal(t, "/second", got[0].path)
	require.Contains(t, string(got[0].body), "RequestExpired")

	r = outhook(t, runOpts{}, append(append([]string{"test", "-name", "third"}, local...), two)...)
	require.Equal(t, 2, r.code)
	require.Contains(t, r.stderr, `no definition named "third"`)

	r = outhook(t, runOpts{}, "test", "-allow-target", "not a target/99", "-name", "first", two)
	require.Equal(t, 2, r.code, r.stderr)
}
