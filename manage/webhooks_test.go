package manage_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/accessrequest"
	"github.com/outhook/outhook/manage"
	"github.com/outhook/outhook/webhook"
)

func TestWebhookLifecycle(t *testing.T) {
	s := newService(t, nil)
	acme := s.as("acme")
	acme.secrets = []string{"sk_live_51abc", "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}

	def := s.hook("Slack alerts")
	def["headers"] = map[string]string{"Authorization": "Bearer sk_live_51abc", "X-Team": "platform"}
	def["signing_secrets"] = []string{"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}
	var created webhook.Webhook
	resp := acme.ok(http.StatusCreated, &created, http.MethodPost, "/webhooks", def)
	require.NotEmpty(t, created.ID)
	require.EqualValues(t, 1, created.Version)
	require.Equal(t, `"1"`, resp.Header.Get("ETag"))
	require.Equal(t, "webhooks/"+created.ID, resp.Header.Get("Location"))
	require.Equal(t, "REDACTED", created.Headers["Authorization"], "secrets are write-only")
	require.Equal(t, []string{"whsec_REDACTED"}, created.SigningSecrets)

	var got webhook.Webhook
	resp = acme.ok(http.StatusOK, &got, http.MethodGet, "/webhooks/"+created.ID, nil)
	require.Equal(t, created, got)
	require.Equal(t, `"1"`, resp.Header.Get("ETag"))

	// Sent back as read, with a new name and a header changed: the masked
	// values keep theirs.
	got.Name = "Slack alerts v2"
	got.Headers["X-Team"] = "security"
	var updated webhook.Webhook
	resp = acme.ok(http.StatusOK, &updated, http.MethodPut, "/webhooks/"+created.ID, got, "If-Match", `"1"`)
	require.EqualValues(t, 2, updated.Version)
	require.Equal(t, `"2"`, resp.Header.Get("ETag"))
	require.Equal(t, "Slack alerts v2", updated.Name)

	var inv webhook.Invocation
	acme.ok(http.StatusOK, &inv, http.MethodPost, "/webhooks/"+created.ID+"/test", map[string]any{"trigger": "RequestApproved"})
	require.Equal(t, webhook.Delivered, inv.Outcome, inv.Reason)
	reqs, _ := s.rc.requests()
	require.Len(t, reqs, 1)
	require.Equal(t, "Bearer sk_live_51abc", reqs[0].Header.Get("Authorization"), "the masked header kept its value")
	require.Equal(t, "security", reqs[0].Header.Get("X-Team"))
	require.NotEmpty(t, reqs[0].Header.Get("Webhook-Signature"), "the masked signing secret was kept")

	// A write with the version read before the update conflicts.
	p := acme.problem(http.StatusPreconditionFailed, "version-conflict", http.MethodPut, "/webhooks/"+created.ID, got, "If-Match", `"1"`)
	require.EqualValues(t, 2, *p.CurrentVersion)
	acme.problem(http.StatusPreconditionFailed, "version-conflict", http.MethodDelete, "/webhooks/"+created.ID, nil, "If-Match", `"1"`)
	acme.problem(http.StatusPreconditionFailed, "version-conflict", http.MethodPost, "/webhooks/"+created.ID+"/deactivate", nil, "If-Match", `"1"`)
	acme.problem(http.StatusPreconditionRequired, "precondition-required", http.MethodDelete, "/webhooks/"+created.ID, nil, manage.ExpectInvalid, "1")
	acme.problem(http.StatusBadRequest, "invalid-request", http.MethodDelete, "/webhooks/"+created.ID, nil, "If-Match", `W/"2"`, manage.ExpectInvalid, "1")

	var off webhook.Webhook
	acme.ok(http.StatusOK, &off, http.MethodPost, "/webhooks/"+created.ID+"/deactivate", nil, "If-Match", `"2"`)
	require.False(t, off.Active)
	require.EqualValues(t, 3, off.Version)
	var on webhook.Webhook
	acme.ok(http.StatusOK, &on, http.MethodPost, "/webhooks/"+created.ID+"/activate", nil, "If-Match", "*")
	require.True(t, on.Active)

	var list struct {
		Webhooks []map[string]any `json:"webhooks"`
		Next     string           `json:"next_cursor"`
	}
	acme.ok(http.StatusOK, &list, http.MethodGet, "/webhooks", nil)
	require.Len(t, list.Webhooks, 1)
	require.Equal(t, true, list.Webhooks[0]["active"])
	require.Empty(t, list.Next)

	acme.ok(http.StatusNoContent, nil, http.MethodDelete, "/webhooks/"+created.ID, nil, "If-Match", `"4"`)
	acme.problem(http.StatusNotFound, "not-found", http.MethodGet, "/webhooks/"+created.ID, nil)

	var history struct {
		Revisions []struct {
			Version int64  `json:"version"`
			Action  string `json:"action"`
			Actor   string `json:"actor"`
			Name    string `json:"name"`
		} `json:"revisions"`
	}
	acme.ok(http.StatusOK, &history, http.MethodGet, "/webhooks/"+created.ID+"/history", nil)
	var actions []string
	for _, r := range history.Revisions {
		actions = append(actions, r.Action)
		require.Equal(t, "admin@acme", r.Actor)
	}
	require.Equal(t, []string{"deleted", "updated", "updated", "updated", "created"}, actions, "newest first")
	require.Equal(t, "Slack alerts", history.Revisions[4].Name)
}

func TestUpdateChecksWhatTheBodySays(t *testing.T) {
	s := newService(t, nil)
	acme := s.as("acme")
	var w webhook.Webhook
	acme.ok(http.StatusCreated, &w, http.MethodPost, "/webhooks", s.hook("a"))

	w.Name = "b"
	p := acme.problem(http.StatusBadRequest, "invalid-request", http.MethodPut, "/webhooks/"+w.ID, w, "If-Match", `"2"`)
	require.Equal(t, "version", p.Errors[0].Field, "a body's version other than If-Match's")

	other := w
	other.ID = "another"
	p = acme.problem(http.StatusBadRequest, "invalid-request", http.MethodPut, "/webhooks/"+w.ID, other, "If-Match", `"1"`)
	require.Equal(t, "id", p.Errors[0].Field)

	acme.problem(http.StatusNotFound, "not-found", http.MethodPut, "/webhooks/nope", s.hook("c"), "If-Match", "*")
	acme.ok(http.StatusCreated, nil, http.MethodPost, "/webhooks", s.hook("taken"))
	w.Name = "taken"
	p = acme.problem(http.StatusConflict, "name-taken", http.MethodPut, "/webhooks/"+w.ID, w, "If-Match", `"1"`)
	require.Equal(t, "name", p.Errors[0].Field)

	w.Version = 0
	w.URL = "ftp://example.com"
	p = acme.problem(http.StatusUnprocessableEntity, "definition-invalid", http.MethodPut, "/webhooks/"+w.ID, w, "If-Match", `"1"`)
	require.Equal(t, "url", p.Errors[0].Field)
}

func TestCreateRefusals(t *testing.T) {
	s := newService(t, []webhook.Option{webhook.WithTenantLimits(func(string) webhook.TenantLimits {
		return webhook.TenantLimits{MaxWebhooks: 2}
	})}, manage.WithMaxBodyBytes(4096))
	acme := s.as("acme")
	var first webhook.Webhook
	acme.ok(http.StatusCreated, &first, http.MethodPost, "/webhooks", s.hook("first"))

	bad := s.hook("bad")
	bad["url"] = "ftp://example.com"
	bad["body_template"] = "{\"a\": \n  {{#if data.x}}"
	p := acme.problem(http.StatusUnprocessableEntity, "definition-invalid", http.MethodPost, "/webhooks", bad)
	fields := map[string]manage.FieldError{}
	for _, e := range p.Errors {
		fields[e.Field] = e
	}
	require.Contains(t, fields, "url")
	require.Contains(t, fields, "body_template")
	require.Equal(t, 2, fields["body_template"].Line, "a template problem says where it is")
	require.Positive(t, fields["body_template"].Column)

	p = acme.problem(http.StatusConflict, "name-taken", http.MethodPost, "/webhooks", s.hook("first"))
	require.Equal(t, "name", p.Errors[0].Field)
	dup := s.hook("second")
	dup["id"] = first.ID
	acme.problem(http.StatusConflict, "id-taken", http.MethodPost, "/webhooks", dup)

	withVersion := s.hook("versioned")
	withVersion["version"] = 3
	p = acme.problem(http.StatusBadRequest, "invalid-request", http.MethodPost, "/webhooks", withVersion)
	require.Equal(t, "version", p.Errors[0].Field)

	misspelt := s.hook("misspelt")
	misspelt["trigers"] = []string{"RequestCreated"}
	p = acme.problem(http.StatusBadRequest, "invalid-request", http.MethodPost, "/webhooks", misspelt, manage.ExpectInvalid, "1")
	require.Equal(t, "trigers", p.Errors[0].Field)
	require.Equal(t, 1, p.Errors[0].Line)

	p = acme.problem(http.StatusBadRequest, "malformed-json", http.MethodPost, "/webhooks", "{\"name\": \"x\",\n \"url\": }", manage.ExpectInvalid, "1")
	require.Equal(t, 2, p.Errors[0].Line)
	require.Equal(t, 9, p.Errors[0].Column)

	acme.problem(http.StatusUnsupportedMediaType, "unsupported-media-type", http.MethodPost, "/webhooks", `{"name": "x"}`,
		"Content-Type", "text/plain", manage.ExpectInvalid, "1")

	huge := s.hook("huge")
	huge["body_template"] = strings.Repeat(" ", 5000)
	acme.problem(http.StatusRequestEntityTooLarge, "body-too-large", http.MethodPost, "/webhooks", huge)

	acme.ok(http.StatusCreated, nil, http.MethodPost, "/webhooks", s.hook("second"))
	acme.problem(http.StatusConflict, "limit-reached", http.MethodPost, "/webhooks", s.hook("third"))
}

func TestListPages(t *testing.T) {
	s := newService(t, nil)
	acme := s.as("acme")
	for _, name := range []string{"a", "b", "c", "d", "e"} {
		h := s.hook(name)
		h["id"] = name
		acme.ok(http.StatusCreated, nil, http.MethodPost, "/webhooks", h)
	}
	var ids []string
	cursor := ""
	for range 5 {
		var page struct {
			Webhooks []webhook.Webhook `json:"webhooks"`
			Next     string            `json:"next_cursor"`
		}
		acme.ok(http.StatusOK, &page, http.MethodGet, "/webhooks?limit=2&cursor="+cursor, nil)
		for _, w := range page.Webhooks {
			ids = append(ids, w.ID)
		}
		if cursor = page.Next; cursor == "" {
			break
		}
	}
	require.Equal(t, []string{"a", "b", "c", "d", "e"}, ids)
	acme.problem(http.StatusBadRequest, "invalid-request", http.MethodGet, "/webhooks?limit=0", nil, manage.ExpectInvalid, "1")
	acme.problem(http.StatusBadRequest, "invalid-request", http.MethodGet, "/webhooks?limit=lots", nil, manage.ExpectInvalid, "1")
}

func TestValidate(t *testing.T) {
	s := newService(t, nil)
	acme := s.as("acme")
	var v struct {
		Valid  bool                `json:"valid"`
		Errors []manage.FieldError `json:"errors"`
	}
	acme.ok(http.StatusOK, &v, http.MethodPost, "/validate", s.hook("fine"))
	require.True(t, v.Valid)
	require.Empty(t, v.Errors)

	bad := s.hook("")
	bad["triggers"] = []string{"RequestCreatd"}
	bad["body_template"] = `{"who": "{{data.requester.nmae}}"}`
	acme.ok(http.StatusOK, &v, http.MethodPost, "/validate", bad)
	require.False(t, v.Valid)
	fields := map[string]manage.FieldError{}
	for _, e := range v.Errors {
		fields[e.Field] = e
	}
	require.Contains(t, fields, "name")
	require.Contains(t, fields, "triggers")
	acme.problem(http.StatusBadRequest, "malformed-json", http.MethodPost, "/validate", "{", manage.ExpectInvalid, "1")

	var list struct {
		Webhooks []webhook.Webhook `json:"webhooks"`
	}
	acme.ok(http.StatusOK, &list, http.MethodGet, "/webhooks", nil)
	require.Empty(t, list.Webhooks, "validating saves nothing")
}

func TestPreview(t *testing.T) {
	s := newService(t, nil, manage.WithPreviewRate(3, time.Hour))
	acme := s.as("acme")
	var out struct {
		Body  string         `json:"body"`
		Event map[string]any `json:"event"`
	}
	acme.ok(http.StatusOK, &out, http.MethodPost, "/preview", map[string]any{
		"body_template": `{"text": "{{data.requester.name}} asks"}`, "trigger": "AccessRequestCreated",
	})
	mock, _ := accessrequest.Mock(accessrequest.Created)
	var ev struct {
		Data struct {
			Requester struct {
				Name string `json:"name"`
			} `json:"requester"`
		} `json:"data"`
	}
	require.NoError(t, mock.Decode(&ev))
	require.Equal(t, map[string]string{"text": ev.Data.Requester.Name + " asks"}, decodeObject(t, out.Body))
	require.Equal(t, "RequestCreated", out.Event["event_type"])

	acme.ok(http.StatusOK, &out, http.MethodPost, "/preview", map[string]any{
		"body_template": `{"id": "{{data.id}}"}`,
		"event":         map[string]any{"event_type": "Custom", "event_time": 1773134100, "data": map[string]any{"id": "r-1"}},
	})
	require.JSONEq(t, `{"id": "r-1"}`, out.Body)

	p := acme.problem(http.StatusUnprocessableEntity, "template-invalid", http.MethodPost, "/preview", map[string]any{
		"body_template": "{\"a\":\n {{#each}}", "trigger": "RequestCreated",
	})
	require.Equal(t, "body_template", p.Errors[0].Field)
	require.Equal(t, 2, p.Errors[0].Line)

	// Over the rate, with when to come back.
	resp, _ := acme.do(http.MethodPost, "/preview", map[string]any{"body_template": "{}", "trigger": "RequestCreated"})
	require.Equal(t, http.StatusTooManyRequests, resp.StatusCode)
	require.NotEmpty(t, resp.Header.Get("Retry-After"))
	s.as("globex").ok(http.StatusOK, nil, http.MethodPost, "/preview", map[string]any{"body_template": "{}", "trigger": "RequestCreated"})
}

func TestPreviewRefusals(t *testing.T) {
	s := newService(t, nil)
	acme := s.as("acme")
	p := acme.problem(http.StatusBadRequest, "invalid-request", http.MethodPost, "/preview", map[string]any{"body_template": "{}"})
	require.Equal(t, "trigger", p.Errors[0].Field)
	acme.problem(http.StatusBadRequest, "invalid-request", http.MethodPost, "/preview", map[string]any{
		"body_template": "{}", "trigger": "RequestCreated", "event": map[string]any{"event_type": "X", "event_time": 1},
	})
	p = acme.problem(http.StatusUnprocessableEntity, "event-invalid", http.MethodPost, "/preview", map[string]any{
		"body_template": "{}", "event": map[string]any{"event_type": "X", "event_time": 1, "event_id": 7},
	})
	require.Equal(t, "event.event_id", p.Errors[0].Field)
	// An event that is no object is at fault as a whole.
	p = acme.problem(http.StatusUnprocessableEntity, "event-invalid", http.MethodPost, "/preview",
		`{"body_template": "{}", "event": ["RequestCreated"]}`, manage.ExpectInvalid, "1")
	require.Equal(t, "event", p.Errors[0].Field)
	p = acme.problem(http.StatusUnprocessableEntity, "event-invalid", http.MethodPost, "/preview", map[string]any{
		"body_template": "{}", "trigger": "SomethingElse",
	})
	require.Equal(t, "trigger", p.Errors[0].Field)
}

func TestTestWebhook(t *testing.T) {
	s := newService(t, nil, manage.WithTestRate(3, time.Hour))
	acme := s.as("acme")
	var w webhook.Webhook
	acme.ok(http.StatusCreated, &w, http.MethodPost, "/webhooks", s.hook("tested"))

	var inv webhook.Invocation
	acme.ok(http.StatusOK, &inv, http.MethodPost, "/webhooks/"+w.ID+"/test", map[string]any{})
	require.Equal(t, webhook.Delivered, inv.Outcome)
	require.Equal(t, accessrequest.Created, inv.EventType, "an empty body sends the first trigger's mock")
	require.Equal(t, "acme", inv.Tenant)

	s.rc.status.Store(http.StatusServiceUnavailable)
	acme.ok(http.StatusOK, &inv, http.MethodPost, "/webhooks/"+w.ID+"/test", map[string]any{
		"event": map[string]any{"event_type": "RequestApproved", "event_time": 1773134100, "data": map[string]any{}},
	})
	require.Equal(t, webhook.Failed, inv.Outcome, "a failed delivery is still the test's answer")
	require.Equal(t, 503, inv.Response.StatusCode)
	_, bodies := s.rc.requests()
	require.Len(t, bodies, 2)

	acme.problem(http.StatusNotFound, "not-found", http.MethodPost, "/webhooks/nope/test", map[string]any{})
	acme.problem(http.StatusTooManyRequests, "rate-limited", http.MethodPost, "/webhooks/"+w.ID+"/test", map[string]any{})
}

func TestGateDecides(t *testing.T) {
	s := newService(t, nil)
	acme := s.as("acme")
	def := s.hook("pagerduty")
	def["response_validators"] = []map[string]any{{"json_path": "$.status", "expected_values": []string{"acknowledged"}}}
	def["custom_validation_error_message"] = "Acknowledge the incident first"
	var w webhook.Webhook
	acme.ok(http.StatusCreated, &w, http.MethodPost, "/webhooks", def)

	var d webhook.Decision
	acme.ok(http.StatusOK, &d, http.MethodPost, "/webhooks/"+w.ID+"/gate", map[string]any{"trigger": "RequestCreated"})
	require.False(t, d.Passed)
	require.Equal(t, "Acknowledge the incident first", d.Message)
	require.Equal(t, webhook.ValidationFailed, d.Invocation.Outcome)

	p := acme.problem(http.StatusUnprocessableEntity, "event-invalid", http.MethodPost, "/webhooks/"+w.ID+"/gate", map[string]any{})
	require.Equal(t, "event", p.Errors[0].Field)
	acme.problem(http.StatusNotFound, "not-found", http.MethodPost, "/webhooks/nope/gate", map[string]any{"trigger": "RequestCreated"})
}

func TestTestADefinitionNotSaved(t *testing.T) {
	s := newService(t, nil, manage.WithTestRate(3, time.Hour))
	acme := s.as("acme")
	def := s.hook("draft")
	var inv webhook.Invocation
	acme.ok(http.StatusOK, &inv, http.MethodPost, "/test", map[string]any{"webhook": def})
	require.Equal(t, webhook.Delivered, inv.Outcome)
	require.Equal(t, accessrequest.Created, inv.EventType, "no event: the first trigger's mock")
	acme.ok(http.StatusOK, &inv, http.MethodPost, "/test", map[string]any{"webhook": def, "trigger": "RequestApproved"})
	require.Equal(t, accessrequest.Approved, inv.EventType)
	var list struct{ Webhooks []webhook.Webhook }
	acme.ok(http.StatusOK, &list, http.MethodGet, "/webhooks", nil)
	require.Empty(t, list.Webhooks, "nothing was saved")

	bad := s.hook("draft")
	bad["body_template"] = "{{#each data.x}}"
	p := acme.problem(http.StatusUnprocessableEntity, "definition-invalid", http.MethodPost, "/test", map[string]any{"webhook": bad})
	require.Equal(t, "body_template", p.Errors[0].Field)
	acme.problem(http.StatusTooManyRequests, "rate-limited", http.MethodPost, "/test", map[string]any{"webhook": def})
}

func TestTestGoesThroughTheSSRFGuard(t *testing.T) {
	rc := newReceiver(t)
	d := newDispatcher(t, webhook.WithURLPolicy(webhook.URLPolicy{AllowHTTP: true, AllowCustomPorts: true}))
	h, err := manage.New(d, anyone)
	require.NoError(t, err)
	a := newAPI(t, h)
	var w webhook.Webhook
	a.ok(http.StatusCreated, &w, http.MethodPost, "/webhooks", map[string]any{
		"name": "loopback", "active": true, "url": rc.URL, "triggers": []string{"RequestCreated"},
	})
	var inv webhook.Invocation
	a.ok(http.StatusOK, &inv, http.MethodPost, "/webhooks/"+w.ID+"/test", map[string]any{"trigger": "RequestCreated"})
	require.Equal(t, webhook.Failed, inv.Outcome)
	require.Nil(t, inv.Response)
	got, _ := rc.requests()
	require.Empty(t, got, "the guard kept the test from reaching a loopback address")
}

func TestEventTypes(t *testing.T) {
	s := newService(t, nil)
	acme := s.as("acme")
	var list struct {
		EventTypes []struct {
			Trigger string `json:"trigger"`
			Schema  struct {
				Fields []map[string]any `json:"fields"`
			} `json:"schema"`
			Mock map[string]any `json:"mock"`
		} `json:"event_types"`
	}
	acme.ok(http.StatusOK, &list, http.MethodGet, "/event-types", nil)
	var triggers []string
	for _, et := range list.EventTypes {
		triggers = append(triggers, et.Trigger)
		require.NotEmpty(t, et.Schema.Fields)
		require.Equal(t, et.Trigger, et.Mock["event_type"])
	}
	require.ElementsMatch(t, []string{"RequestCreated", "RequestApproved", "RequestRejected", "RequestGranted", "RequestExpired", "RequestFailed"}, triggers)

	var one map[string]any
	acme.ok(http.StatusOK, &one, http.MethodGet, "/event-types/AccessRequestGranted", nil)
	require.Equal(t, "RequestGranted", one["trigger"])
	acme.problem(http.StatusNotFound, "not-found", http.MethodGet, "/event-types/Nope", nil)
}

func TestBreaker(t *testing.T) {
	s := newService(t, nil)
	acme := s.as("acme")
	var w webhook.Webhook
	acme.ok(http.StatusCreated, &w, http.MethodPost, "/webhooks", s.hook("b"))
	var state struct {
		State string `json:"state"`
	}
	acme.ok(http.StatusOK, &state, http.MethodGet, "/webhooks/"+w.ID+"/breaker", nil)
	require.Equal(t, "closed", state.State)
	acme.ok(http.StatusOK, &state, http.MethodPost, "/webhooks/"+w.ID+"/breaker/reset", nil)
	require.Equal(t, "closed", state.State)
	var history struct {
		Revisions []struct {
			Action string `json:"action"`
			Actor  string `json:"actor"`
		} `json:"revisions"`
	}
	acme.ok(http.StatusOK, &history, http.MethodGet, "/webhooks/"+w.ID+"/history", nil)
	require.Equal(t, "breaker_reset", history.Revisions[0].Action, "newest first")
	require.Equal(t, "admin@acme", history.Revisions[0].Actor, "the reset names who made it")
	acme.problem(http.StatusNotFound, "not-found", http.MethodGet, "/webhooks/nope/breaker", nil)
	acme.problem(http.StatusNotFound, "not-found", http.MethodPost, "/webhooks/nope/breaker/reset", nil)
}

func TestRedeliver(t *testing.T) {
	s := newService(t, nil)
	acme := s.as("acme")
	var w webhook.Webhook
	acme.ok(http.StatusCreated, &w, http.MethodPost, "/webhooks", s.hook("flaky"))
	s.rc.status.Store(http.StatusInternalServerError)
	dl := publishDeadLetter(t, s, "acme")

	s.rc.status.Store(http.StatusOK)
	var out struct {
		DeliveryID string `json:"delivery_id"`
	}
	acme.ok(http.StatusAccepted, &out, http.MethodPost, "/dead-letters/"+dl.DeliveryID+"/redeliver", nil)
	require.Equal(t, dl.DeliveryID, out.DeliveryID)
	require.Eventually(t, func() bool {
		page, err := s.store.QueryInvocations(context.Background(), "acme", webhook.InvocationQuery{Outcome: webhook.Delivered})
		return err == nil && len(page.Invocations) == 1
	}, 5*time.Second, 5*time.Millisecond)
	acme.problem(http.StatusNotFound, "not-found", http.MethodPost, "/dead-letters/"+dl.DeliveryID+"/redeliver", nil)
}

// publishDeadLetter publishes an event for tenant and waits for its
// delivery to become a dead letter.
func publishDeadLetter(t *testing.T, s *service, tenant string) webhook.DeadLetter {
	t.Helper()
	mock, _ := accessrequest.Mock(accessrequest.Created)
	_, err := s.d.Tenant(tenant).Publish(context.Background(), mock)
	require.NoError(t, err)
	var dl webhook.DeadLetter
	require.Eventually(t, func() bool {
		page, err := s.store.QueryDeadLetters(context.Background(), tenant, webhook.DeadLetterQuery{})
		if err != nil || len(page.DeadLetters) == 0 {
			return false
		}
		dl = page.DeadLetters[0]
		return true
	}, 5*time.Second, 5*time.Millisecond)
	return dl
}

func decodeObject(t *testing.T, s string) map[string]string {
	t.Helper()
	var m map[string]string
	require.NoError(t, json.Unmarshal([]byte(s), &m), s)
	return m
}

// TestIfMatchTakesOneETag checks the If-Match values that are not one
// strong ETag of a version, or *.
func TestIfMatchTakesOneETag(t *testing.T) {
	s := newService(t, nil)
	acme := s.as("acme")
	def := s.hook("one")
	def["id"] = "one"
	acme.ok(http.StatusCreated, nil, http.MethodPost, "/webhooks", def)
	for _, v := range []string{`""1""`, `"1`, `1"`, `W/"1"`, `"1", "2"`, `"0"`, `"01"`, `"-1"`, `"1 "`, `"+1"`, `"abc"`} {
		p := acme.problem(http.StatusBadRequest, "invalid-request", http.MethodPost, "/webhooks/one/deactivate", nil, "If-Match", v, manage.ExpectInvalid, "1")
		require.Equal(t, "If-Match", p.Errors[0].Field, v)
	}
	var w webhook.Webhook
	acme.ok(http.StatusOK, &w, http.MethodPost, "/webhooks/one/deactivate", nil, "If-Match", `"1"`)
	require.False(t, w.Active)
}

// TestHeadIsGetWithoutABody checks that HEAD answers as GET, with no body
// even where no server strips it (a recorder, a middleware).
func TestHeadIsGetWithoutABody(t *testing.T) {
	s := newService(t, nil)
	acme := s.as("acme")
	resp, raw := acme.do(http.MethodHead, "/webhooks", nil)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "application/json", resp.Header.Get("Content-Type"))
	require.Empty(t, raw)
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodHead, "/webhooks/nope", nil)
	req.Header.Set("Authorization", "Bearer acme")
	s.h.ServeHTTP(rec, req)
	require.Equal(t, http.StatusNotFound, rec.Code)
	require.Zero(t, rec.Body.Len())
}

// TestTemplatesThatMultiplyAreStopped previews and tests body templates
// of a few kilobytes whose nested loops ask for terabytes: over a list
// of the event the preview is given, and over the mock event's two
// access groups. Unbounded, one request would take the service's memory
// and a core with it; bounded, it is a template problem, at once.
func TestTemplatesThatMultiplyAreStopped(t *testing.T) {
	s := newService(t, nil)
	acme := s.as("acme")
	nest := func(depth int, list, body string) string {
		return `{"text": "` + strings.Repeat("{{#each "+list+"}}", depth) + body + strings.Repeat("{{/each}}", depth) + `"}`
	}
	start := time.Now()
	ev := map[string]any{"event_type": "RequestCreated", "event_time": 1774526412, "data": map[string]any{"a": make([]int, 1000)}}
	p := acme.problem(http.StatusUnprocessableEntity, "template-invalid", http.MethodPost, "/preview",
		map[string]any{"body_template": nest(4, "@root.data.a", "x"), "event": ev})
	require.Equal(t, "body_template", p.Errors[0].Field)
	require.Equal(t, 1, p.Errors[0].Line)
	require.Contains(t, p.Detail, "limit")

	def := s.hook("Bomb")
	def["id"] = "bomb"
	def["body_template"] = nest(12, "@root.data.access_groups", strings.Repeat("x", 2000))
	acme.ok(http.StatusCreated, nil, http.MethodPost, "/webhooks", def)
	var inv webhook.Invocation
	acme.ok(http.StatusOK, &inv, http.MethodPost, "/webhooks/bomb/test", map[string]any{"trigger": "RequestCreated"})
	require.Equal(t, webhook.Failed, inv.Outcome)
	require.Contains(t, inv.Reason, "limit")
	require.Less(t, time.Since(start), 5*time.Second)
	got, _ := s.rc.requests()
	require.Empty(t, got, "nothing was sent")
}
