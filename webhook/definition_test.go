package webhook_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/accessrequest"
	"github.com/outhook/outhook/event"
	"github.com/outhook/outhook/filter"
	"github.com/outhook/outhook/webhook"
)

func valid() webhook.Webhook {
	return webhook.Webhook{
		Name:         "Torq prod",
		Active:       true,
		URL:          "https://hooks.torq.io/v1/webhooks/abc",
		BodyTemplate: `{"who":"{{data.requester.name}}"}`,
		Triggers:     []event.Trigger{accessrequest.Created},
	}
}

func TestAddRejectsBadDefinitions(t *testing.T) {
	d, err := webhook.New()
	require.NoError(t, err)
	defer d.Close(context.Background())

	tests := []struct {
		name      string
		edit      func(*webhook.Webhook)
		field     string
		is        error
		line, col int
		msg       string
	}{
		{"empty name", func(w *webhook.Webhook) { w.Name = "" }, "name", webhook.ErrInvalidName, 0, 0, ""},
		{"punctuation in name", func(w *webhook.Webhook) { w.Name = "torq/prod" }, "name", webhook.ErrInvalidName, 0, 0, ""},
		{"method", func(w *webhook.Webhook) { w.Method = "TRACE" }, "method", webhook.ErrInvalidMethod, 0, 0, `not "TRACE"`},
		{"scheme", func(w *webhook.Webhook) { w.URL = "ftp://x.example/" }, "url", webhook.ErrInvalidURL, 0, 0, "scheme"},
		{"no host", func(w *webhook.Webhook) { w.URL = "https:///path" }, "url", webhook.ErrInvalidURL, 0, 0, "no host"},
		{"unparsable", func(w *webhook.Webhook) { w.URL = "https://x.example/%zz" }, "url", webhook.ErrInvalidURL, 0, 0, ""},
		{"http", func(w *webhook.Webhook) { w.URL = "http://hooks.example/x" }, "url", webhook.ErrInsecureURL, 0, 0, "HTTPS is required"},
		{"port", func(w *webhook.Webhook) { w.URL = "https://hooks.example:8443/x" }, "url", webhook.ErrInsecureURL, 0, 0, "custom port 8443"},
		{"header CRLF", func(w *webhook.Webhook) { w.Headers = map[string]string{"X-Token": "a\r\nX-Evil: 1"} }, "headers.X-Token", webhook.ErrInvalidHeader, 0, 0, "control character"},
		{"header name", func(w *webhook.Webhook) { w.Headers = map[string]string{"Bad Name": "x"} }, "headers.Bad Name", webhook.ErrInvalidHeader, 0, 0, ""},
		{"header owned by transport", func(w *webhook.Webhook) { w.Headers = map[string]string{"content-length": "3"} }, "headers.content-length", webhook.ErrInvalidHeader, 0, 0, "set by the transport"},
		{"no triggers", func(w *webhook.Webhook) { w.Triggers = nil }, "triggers", webhook.ErrNoTriggers, 0, 0, ""},
		{"unknown trigger", func(w *webhook.Webhook) { w.Triggers = []event.Trigger{"RequestCreatd"} }, "triggers", webhook.ErrUnknownTrigger, 0, 0, `"RequestCreatd"`},
		{"template syntax", func(w *webhook.Webhook) { w.BodyTemplate = "{\n  \"a\": \"{{#each data.approvals}}\"\n}" }, "body_template", webhook.ErrInvalidTemplate, 2, 0, ""},
		{"template unknown field", func(w *webhook.Webhook) { w.BodyTemplate = "{\"who\": \"{{data.requestor.name}}\"}" }, "body_template", webhook.ErrInvalidTemplate, 1, 12, "data.requester.name"},
		{"filter unknown path", func(w *webhook.Webhook) {
			w.Filters = filter.Must(filter.New(filter.Eq("data.acess_flow.name", "x")))
		}, "filters", webhook.ErrInvalidFilter, 0, 0, "data.access_flow.name"},
		{"validator path", func(w *webhook.Webhook) {
			w.ResponseValidators = []webhook.ResponseValidator{{JSONPath: "$.data.[", ExpectedValues: []string{"x"}}}
		}, "response_validators[0].json_path", webhook.ErrInvalidValidator, 1, 8, `unexpected "["`},
		{"timeout", func(w *webhook.Webhook) { w.TimeoutInSec = 100000 }, "timeout_in_sec", webhook.ErrInvalidTimeout, 0, 0, ""},
		{"retry", func(w *webhook.Webhook) {
			w.Delivery = &webhook.DeliverySettings{Retry: &webhook.RetryPolicy{Multiplier: 0.5}}
		}, "delivery.retry", webhook.ErrInvalidSettings, 0, 0, "multiplier"},
		{"concurrency", func(w *webhook.Webhook) {
			w.Delivery = &webhook.DeliverySettings{Concurrency: -1}
		}, "delivery.concurrency", webhook.ErrInvalidSettings, 0, 0, "concurrency -1"},
		{"queue size", func(w *webhook.Webhook) {
			w.Delivery = &webhook.DeliverySettings{QueueSize: -2}
		}, "delivery.queue_size", webhook.ErrInvalidSettings, 0, 0, "queue_size -2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := valid()
			tt.edit(&w)
			_, err := d.Add(w)
			var list webhook.DefinitionErrors
			require.ErrorAs(t, err, &list)
			require.ErrorIs(t, err, tt.is)
			var de *webhook.DefinitionError
			require.ErrorAs(t, err, &de)
			require.Equal(t, tt.field, de.Field)
			require.Equal(t, w.Name, de.Webhook)
			if tt.line > 0 {
				require.Equal(t, tt.line, de.Line, de.Error())
			}
			if tt.col > 0 {
				require.Equal(t, tt.col, de.Column, de.Error())
			}
			require.Contains(t, err.Error(), tt.msg)
			require.Empty(t, d.List(), "nothing is registered")
		})
	}
}

func TestAddReportsEveryProblem(t *testing.T) {
	d, err := webhook.New()
	require.NoError(t, err)
	defer d.Close(context.Background())
	_, err = d.Add(webhook.Webhook{Name: "x!", URL: "http://a", Method: "GO"})
	var list webhook.DefinitionErrors
	require.ErrorAs(t, err, &list)
	fields := []string{}
	for _, e := range list {
		fields = append(fields, e.Field)
	}
	require.Equal(t, []string{"name", "method", "url", "triggers"}, fields)
}

func TestURLPolicyAndOwnEventTypes(t *testing.T) {
	schema, err := event.NewSchema(
		event.SchemaField{Path: "event_type", Type: "string", Description: "Kind."},
		event.SchemaField{Path: "data", Type: "object", Description: "Invoice."},
		event.SchemaField{Path: "data.amount", Type: "number", Description: "Cents."},
	)
	require.NoError(t, err)
	d, err := webhook.New(
		webhook.WithURLPolicy(webhook.URLPolicy{AllowHTTP: true, AllowCustomPorts: true}),
		webhook.WithAllowedTargets("127.0.0.1"), // the loopback receiver; the SSRF guard blocks it otherwise
		webhook.WithEventType("invoice.paid", schema),
	)
	require.NoError(t, err)
	defer d.Close(context.Background())
	w := valid()
	w.URL = "http://billing.internal:8080/hook"
	w.Triggers = []event.Trigger{"invoice.paid"}
	w.BodyTemplate = `{"amount": {{data.amount}}}`
	_, err = d.Add(w)
	require.NoError(t, err)
	w.Name = "other"
	w.BodyTemplate = `{"amount": {{data.amont}}}`
	_, err = d.Add(w)
	require.ErrorIs(t, err, webhook.ErrInvalidTemplate)
	require.Contains(t, err.Error(), "data.amount")
}

func TestAddAllIsAllOrNothing(t *testing.T) {
	d, err := webhook.New()
	require.NoError(t, err)
	defer d.Close(context.Background())
	a, b := valid(), valid()
	b.Name = "second"
	c := valid() // same name as a
	_, err = d.AddAll([]webhook.Webhook{a, b, c})
	require.ErrorIs(t, err, webhook.ErrDuplicateName)
	require.Empty(t, d.List())

	added, err := d.AddAll([]webhook.Webhook{a, b})
	require.NoError(t, err)
	require.Len(t, d.List(), 2)
	_, err = d.Add(a)
	require.ErrorIs(t, err, webhook.ErrDuplicateName)

	// Update checks too, and keeps the old definition on failure.
	bad := added[0]
	bad.URL = "ftp://x"
	_, err = d.Update(bad)
	require.ErrorIs(t, err, webhook.ErrInvalidURL)
	got, _ := d.Get(added[0].ID)
	require.Equal(t, a.URL, got.URL)
	rename := added[0]
	rename.Name = "second"
	_, err = d.Update(rename)
	require.ErrorIs(t, err, webhook.ErrDuplicateName)
	missing := valid()
	missing.ID = "nope"
	_, err = d.Update(missing)
	require.ErrorIs(t, err, webhook.ErrNotFound)
	require.ErrorIs(t, d.Remove("nope"), webhook.ErrNotFound)

	// The stored copy is not the caller's.
	added[1].Triggers[0] = "changed"
	got, _ = d.Get(added[1].ID)
	require.Equal(t, accessrequest.Created, got.Triggers[0])
}

const definitionsFile = `{
  "webhooks": [
    {
      "name": "Torq",
      "active": true,
      "url": "https://hooks.torq.io/v1/webhooks/abc",
      "headers": {"Authorization": "Bearer t"},
      "body_template": "{\"body\":{\"event\":\"{{event_type}}\"}}",
      "triggers": ["RequestCreated", "AccessRequestGranted"],
      "filters": {"integration_types": ["Postgresql"]},
      "timeout_in_sec": 20,
      "response_validators": [{"json_path": "$.data.status", "expected_values": ["ok"]}],
      "custom_validation_error_message": "Torq said no",
      "delivery": {"retry": {"max_attempts": 3, "initial_interval": "2s"}, "concurrency": 4}
    }
  ]
}`

func TestDecodeAndEncodeDefinitions(t *testing.T) {
	hooks, err := webhook.DecodeWebhooks(strings.NewReader(definitionsFile))
	require.NoError(t, err)
	require.Len(t, hooks, 1)
	w := hooks[0]
	require.Equal(t, "Torq", w.Name)
	require.Equal(t, []event.Trigger{"RequestCreated", "AccessRequestGranted"}, w.Triggers)
	require.NotNil(t, w.Filters)
	require.Equal(t, 3, w.Delivery.Retry.MaxAttempts)
	require.Equal(t, webhook.Duration(2e9), w.Delivery.Retry.InitialInterval)

	d, err := webhook.New()
	require.NoError(t, err)
	defer d.Close(context.Background())
	added, err := d.AddAll(hooks)
	require.NoError(t, err)

	var buf bytes.Buffer
	require.NoError(t, webhook.EncodeWebhooks(&buf, d.List()))
	again, err := webhook.DecodeWebhooks(&buf)
	require.NoError(t, err)
	a, _ := json.Marshal(added)
	b, _ := json.Marshal(again)
	require.JSONEq(t, string(a), string(b), "saving and loading keeps every field")

	// A bare array works too.
	arr, err := webhook.DecodeWebhooks(strings.NewReader(`[{"name":"a","url":"https://x.example","triggers":["RequestCreated"]}]`))
	require.NoError(t, err)
	require.Len(t, arr, 1)
}

func TestDecodeDefinitionsErrors(t *testing.T) {
	tests := []struct {
		name      string
		in        string
		line, col int
		field     string
		msg       string
	}{
		{"unknown field", "[\n  {\"name\": \"a\", \"urll\": \"x\"}\n]", 2, 0, "", `unknown field "urll"`},
		{"wrong type", "[\n {\"name\": \"a\", \"timeout_in_sec\": \"ten\"}]", 2, 0, "timeout_in_sec", "timeout_in_sec"},
		{"syntax", "[\n {\"name\": \"a\",,}]", 2, 0, "", "invalid character"},
		{"trailing", `[] []`, 1, 0, "", "unexpected data"},
		{"bad filter", `[{"name":"a","filters":{"$nope":1}}]`, 1, 0, "filters", "filter"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := webhook.DecodeWebhooks(strings.NewReader(tt.in))
			var de *webhook.DefinitionError
			require.ErrorAs(t, err, &de)
			require.ErrorIs(t, err, webhook.ErrInvalidDefinitions)
			if tt.line > 0 {
				require.Equal(t, tt.line, de.Line, err.Error())
				require.Positive(t, de.Column)
			}
			require.Equal(t, tt.field, de.Field)
			require.Contains(t, err.Error(), tt.msg)
		})
	}
	var fe *filter.ClauseError
	_, err := webhook.DecodeWebhooks(strings.NewReader(`[{"name":"a","filters":{"$nope":1}}]`))
	require.True(t, errors.As(err, &fe), "the filter's own error is kept: %v", err)
}

// A decoding error points at the offending byte itself: the unexpected
// character, the first byte of trailing data, the end of a cut document.
func TestDecodeDefinitionsErrorColumns(t *testing.T) {
	for _, tt := range []struct {
		name, in, at string // at: the text the position must start
	}{
		{"syntax", "[\n {\"name\": \"a\",,}]", ",}]"},
		{"trailing", "[]\n  [{}]", "[{}]"},
		{"trailing after an object", `{"webhooks": []} x`, "x"},
		{"truncated", "[\n {\"name\": \"a\"", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := webhook.DecodeWebhooks(strings.NewReader(tt.in))
			var de *webhook.DefinitionError
			require.ErrorAs(t, err, &de)
			offset := len(tt.in)
			if tt.at != "" {
				offset = strings.Index(tt.in, tt.at)
			}
			line := 1 + strings.Count(tt.in[:offset], "\n")
			col := offset - strings.LastIndex(tt.in[:offset], "\n")
			require.Equal(t, []int{line, col}, []int{de.Line, de.Column}, err.Error())
		})
	}
}

// encoding/json would load "Name" into name; a definition file must spell
// its keys exactly, at every depth, and the error says where.
func TestDecodeWebhooksKeyCase(t *testing.T) {
	for _, tt := range []struct{ doc, key string }{
		{`[{"Name": "torq", "url": "https://x.example", "triggers": ["RequestCreated"]}]`, "Name"},
		{`{"webhooks": [{"name": "torq", "URL": "https://x.example"}]}`, "URL"},
		{"[{\"name\": \"torq\",\n \"delivery\": {\"Concurrency\": 2}}]", "Concurrency"},
		{`[{"name": "torq", "response_validators": [{"json_path": "$.data.ok", "Expected_Values": ["1"]}]}]`, "Expected_Values"},
	} {
		_, err := webhook.DecodeWebhooks(strings.NewReader(tt.doc))
		var de *webhook.DefinitionError
		require.ErrorAs(t, err, &de, tt.doc)
		require.ErrorIs(t, err, webhook.ErrInvalidDefinitions)
		require.Contains(t, err.Error(), `"`+tt.key+`"`)
		require.Contains(t, err.Error(), "case-sensitive")
		line, col := 1, strings.Index(tt.doc, `"`+tt.key+`"`)+1
		if i := strings.LastIndex(tt.doc[:col], "\n"); i >= 0 {
			line, col = 2, col-i-1
		}
		require.Equal(t, line, de.Line, tt.doc)
		require.Equal(t, col, de.Column, tt.doc)
	}
	// Exact keys still load, headers keep their own names.
	hooks, err := webhook.DecodeWebhooks(strings.NewReader(`[{"name": "torq", "headers": {"X-Token": "a", "x-other": "b"}}]`))
	require.NoError(t, err)
	require.Equal(t, "a", hooks[0].Headers["X-Token"])
}
