package webhook_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/accessrequest"
	"github.com/outhook/outhook/validate"
	"github.com/outhook/outhook/webhook"
)

// statusHeaderDefinition is a stored definition, as JSON, whose
// validators check the status code and a header of the answer.
const statusHeaderDefinition = `[{
  "name": "status-and-header",
  "active": true,
  "url": %q,
  "triggers": ["RequestGranted"],
  "response_validators": [
    {"status": ["200", "201"]},
    {"header": "x-result", "expected_values": ["accepted", "queued"]}
  ],
  "custom_validation_error_message": "the receiver did not take it"
}]`

// TestStatusAndHeaderValidators loads a definition whose validators check
// the status code and a header, delivers to a real HTTP receiver answering
// in each way, and checks the outcome and the results recorded.
func TestStatusAndHeaderValidators(t *testing.T) {
	// The receiver answers with the status and X-Result header the request
	// path names: /201/accepted, /202/queued, /200/- (no header).
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		status, result, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
		if result != "-" {
			w.Header().Add("X-Result", result)
		}
		if status == "201" {
			w.WriteHeader(http.StatusCreated)
		} else if status == "202" {
			w.WriteHeader(http.StatusAccepted)
		}
	}))
	t.Cleanup(srv.Close)
	d, err := webhook.New(
		webhook.WithURLPolicy(webhook.URLPolicy{AllowHTTP: true, AllowCustomPorts: true}),
		webhook.WithAllowedTargets("127.0.0.1"),
	)
	require.NoError(t, err)
	t.Cleanup(func() { _ = d.Close(context.Background()) })

	for _, tt := range []struct {
		path    string
		outcome webhook.Outcome
		status  validate.Result
		header  validate.Result
	}{
		{"/201/accepted", webhook.Delivered,
			validate.Result{Validator: "status", Passed: true, Found: "201"},
			validate.Result{Validator: "header X-Result", Passed: true, Found: "accepted"}},
		{"/200/queued", webhook.Delivered,
			validate.Result{Validator: "status", Passed: true, Found: "200"},
			validate.Result{Validator: "header X-Result", Passed: true, Found: "queued"}},
		{"/202/queued", webhook.ValidationFailed,
			validate.Result{Validator: "status", Found: "202", Err: validate.ErrMismatch},
			validate.Result{Validator: "header X-Result", Passed: true, Found: "queued"}},
		{"/200/rejected", webhook.ValidationFailed,
			validate.Result{Validator: "status", Passed: true, Found: "200"},
			validate.Result{Validator: "header X-Result", Found: "rejected", Err: validate.ErrMismatch}},
		{"/200/-", webhook.ValidationFailed,
			validate.Result{Validator: "status", Passed: true, Found: "200"},
			validate.Result{Validator: "header X-Result", Err: validate.ErrNotFound}},
	} {
		t.Run(tt.path, func(t *testing.T) {
			hooks, err := webhook.DecodeWebhooks(strings.NewReader(strings.Replace(statusHeaderDefinition, "%q", `"`+srv.URL+tt.path+`"`, 1)))
			require.NoError(t, err)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			inv, err := d.Test(ctx, hooks[0], accessrequest.Granted)
			require.NoError(t, err)
			require.Equal(t, tt.outcome, inv.Outcome, inv.Reason)
			if tt.outcome == webhook.ValidationFailed {
				require.Equal(t, "the receiver did not take it", inv.Reason)
			}
			require.Len(t, inv.Validation, 2)
			for i, want := range []validate.Result{tt.status, tt.header} {
				got := inv.Validation[i]
				require.Equal(t, want.Validator, got.Validator)
				require.Equal(t, want.Passed, got.Passed)
				require.Equal(t, want.Found, got.Found)
				if want.Err != nil {
					require.ErrorIs(t, got.Err, want.Err)
				}
			}

			// The record keeps the results through JSON, as a store does.
			b, err := json.Marshal(inv)
			require.NoError(t, err)
			var back webhook.Invocation
			require.NoError(t, json.Unmarshal(b, &back))
			require.Equal(t, inv.Validation[0].Validator, back.Validation[0].Validator)
			if tt.header.Err != nil {
				require.ErrorIs(t, back.Validation[1].Err, tt.header.Err)
			}
		})
	}

	// A published event ends the same way, and the dead letter keeps the
	// results.
	hooks, err := webhook.DecodeWebhooks(strings.NewReader(strings.Replace(statusHeaderDefinition, "%q", `"`+srv.URL+`/202/queued"`, 1)))
	require.NoError(t, err)
	w, err := d.Add(hooks[0])
	require.NoError(t, err)
	e, _ := accessrequest.Mock(accessrequest.Granted)
	_, err = d.Publish(context.Background(), e)
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		dead, err := d.DeadLetters(context.Background(), w.ID, 0)
		return err == nil && len(dead) == 1
	}, 10*time.Second, 5*time.Millisecond)
	invs, err := d.Invocations(context.Background(), w.ID, 0)
	require.NoError(t, err)
	require.Equal(t, webhook.ValidationFailed, invs[0].Outcome)
	require.ErrorIs(t, invs[0].Validation[0].Err, validate.ErrMismatch)
}

// TestStatusAndHeaderValidatorErrors checks that Add refuses each
// malformed validator, naming its field.
func TestStatusAndHeaderValidatorErrors(t *testing.T) {
	d, err := webhook.New()
	require.NoError(t, err)
	t.Cleanup(func() { _ = d.Close(context.Background()) })
	ok := webhook.ResponseValidator{JSONPath: "$.data.status", ExpectedValues: []string{"ok"}}
	for _, tt := range []struct {
		name  string
		bad   webhook.ResponseValidator
		field string
		err   error
	}{
		{"nothing to check", webhook.ResponseValidator{ExpectedValues: []string{"x"}}, "response_validators[2]", nil},
		{"two things to check", webhook.ResponseValidator{JSONPath: "$.data.ok", Header: "X-Ok"}, "response_validators[2]", nil},
		{"status that is not a code", webhook.ResponseValidator{Status: []string{"20O"}}, "response_validators[2].status", validate.ErrInvalidStatus},
		{"status range backwards", webhook.ResponseValidator{Status: []string{"204-200"}}, "response_validators[2].status", validate.ErrInvalidStatus},
		{"status that never reaches validators", webhook.ResponseValidator{Status: []string{"200", "404"}}, "response_validators[2].status", validate.ErrInvalidStatus},
		{"status class that never reaches validators", webhook.ResponseValidator{Status: []string{"3xx"}}, "response_validators[2].status", validate.ErrInvalidStatus},
		{"empty status entry", webhook.ResponseValidator{Status: []string{" , "}}, "response_validators[2].status", validate.ErrInvalidStatus},
		{"status with expected values", webhook.ResponseValidator{Status: []string{"2xx"}, ExpectedValues: []string{"200"}}, "response_validators[2].expected_values", nil},
		{"header name with a space", webhook.ResponseValidator{Header: "X Result"}, "response_validators[2].header", nil},
		{"header name with CRLF", webhook.ResponseValidator{Header: "X-A\r\nX-B"}, "response_validators[2].header", nil},
		{"bad JSON path", webhook.ResponseValidator{JSONPath: "$..a..b"}, "response_validators[2].json_path", validate.ErrInvalidPath},
	} {
		t.Run(tt.name, func(t *testing.T) {
			w := webhook.Webhook{
				Name: "v", Active: true, URL: "https://example.com/hook",
				Triggers:           accessrequest.Triggers(),
				ResponseValidators: []webhook.ResponseValidator{ok, {Status: []string{"2xx"}}, tt.bad},
			}
			_, err := d.Add(w)
			require.ErrorIs(t, err, webhook.ErrInvalidValidator)
			var des webhook.DefinitionErrors
			require.ErrorAs(t, err, &des)
			require.Len(t, des, 1, "only the bad validator is at fault: %v", err)
			require.Equal(t, tt.field, des[0].Field)
			if tt.err != nil {
				require.ErrorIs(t, err, tt.err)
			}
		})
	}
}

// TestStatusAndHeaderValidatorsRoundTrip checks that the new shapes save
// and load whole, and that a JSON path validator saves as before.
func TestStatusAndHeaderValidatorsRoundTrip(t *testing.T) {
	w := webhook.Webhook{Name: "rt", URL: "https://example.com/hook", Triggers: accessrequest.Triggers(),
		ResponseValidators: []webhook.ResponseValidator{
			{JSONPath: "$.data.status", ExpectedValues: []string{"ok"}},
			{Status: []string{"200", "201-204"}},
			{Header: "Content-Type", ExpectedValues: []string{"application/json"}},
			{Header: "X-Request-Id"},
		}}
	var b strings.Builder
	require.NoError(t, webhook.EncodeWebhooks(&b, []webhook.Webhook{w}))
	var compact bytes.Buffer
	require.NoError(t, json.Compact(&compact, []byte(b.String())))
	require.Contains(t, compact.String(), `{"json_path":"$.data.status","expected_values":["ok"]}`)
	require.Contains(t, compact.String(), `{"status":["200","201-204"]},{"header":"Content-Type","expected_values":["application/json"]},{"header":"X-Request-Id"}`)
	back, err := webhook.DecodeWebhooks(strings.NewReader(b.String()))
	require.NoError(t, err)
	require.Equal(t, w.ResponseValidators, back[0].ResponseValidators)
}
