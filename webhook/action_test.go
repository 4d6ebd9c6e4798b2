package webhook_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/accessrequest"
	"github.com/outhook/outhook/defstore"
	"github.com/outhook/outhook/event"
	"github.com/outhook/outhook/internal/testkit/leakcheck"
	"github.com/outhook/outhook/webhook"
)

const actionSecret = "integration-secret-93f1"

// fakeIncidents is an integration action standing in for Apono's
// list_pagerduty_incidents: it answers with one incident in the state the
// rendered body's "want" asks for, and keeps what it was given.
type fakeIncidents struct {
	mu   sync.Mutex
	got  []*webhook.ActionRequest
	fail error
}

func (f *fakeIncidents) run(_ context.Context, req *webhook.ActionRequest) (*webhook.ActionResponse, error) {
	f.mu.Lock()
	f.got = append(f.got, req)
	fail := f.fail
	f.mu.Unlock()
	if fail != nil {
		return nil, fail
	}
	var body struct {
		Want string `json:"want"`
	}
	if err := json.Unmarshal(req.Body, &body); err != nil {
		return &webhook.ActionResponse{StatusCode: http.StatusBadRequest, Body: []byte(err.Error())}, nil
	}
	// An echo of the secret header, as a careless action might: records must redact it.
	out := `{"incidents":[{"status":"` + body.Want + `"}],"token":"` + req.Header.Get("X-Integration-Token") + `"}`
	return &webhook.ActionResponse{Header: http.Header{"Content-Type": {"application/json"}}, Body: []byte(out)}, nil
}

func (f *fakeIncidents) requests() []*webhook.ActionRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]*webhook.ActionRequest(nil), f.got...)
}

func actionGate(want string) webhook.Webhook {
	return webhook.Webhook{
		Name: "pd-action", Active: true, Action: "list_pagerduty_incidents",
		Headers:      map[string]string{"X-Integration-Token": actionSecret},
		BodyTemplate: `{"want": "` + want + `", "requester": "{{data.requester.email}}"}`,
		Triggers:     []event.Trigger{accessrequest.Created},
		ResponseValidators: []webhook.ResponseValidator{
			{JSONPath: "$.incidents[0].status", ExpectedValues: []string{"acknowledged"}},
		},
		CustomValidationErrorMessage: "Acknowledge the incident first",
	}
}

func TestActionGate(t *testing.T) {
	leakcheck.Check(t)
	f := &fakeIncidents{}
	d, invs := newDispatcher(t, webhook.WithAction("list_pagerduty_incidents", f.run))
	ctx := context.Background()
	e := mock(t, accessrequest.Created)

	for _, tc := range []struct {
		want    string
		passed  bool
		message string
	}{
		{"acknowledged", true, ""},
		{"triggered", false, "Acknowledge the incident first"},
	} {
		w := actionGate(tc.want)
		w.Name += "-" + tc.want
		w, err := d.Add(w)
		require.NoError(t, err)
		dec, err := d.Gate(ctx, w.ID, e)
		require.NoError(t, err)
		require.Equal(t, tc.passed, dec.Passed)
		require.Equal(t, tc.message, dec.Message)
		require.Equal(t, "action:list_pagerduty_incidents", dec.Invocation.Request.URL)
		require.Equal(t, dec.Invocation.ID, (<-invs).ID, "recorded")

		got := f.requests()[len(f.requests())-1]
		require.Equal(t, "list_pagerduty_incidents", got.Action)
		require.Equal(t, w.ID, got.WebhookID)
		require.Same(t, e, got.Event)
		var doc struct {
			Data struct {
				Requester struct{ Email string } `json:"requester"`
			} `json:"data"`
		}
		require.NoError(t, json.Unmarshal(e.JSON(), &doc))
		want, err := json.Marshal(map[string]string{"want": tc.want, "requester": doc.Data.Requester.Email})
		require.NoError(t, err)
		require.JSONEq(t, string(want), string(got.Body), "the rendered body")
		require.Equal(t, actionSecret, got.Header.Get("X-Integration-Token"), "the action gets the headers as a request would")
		require.NotEmpty(t, got.Header.Get("webhook-id"))

		out, err := json.Marshal(dec)
		require.NoError(t, err)
		require.NotContains(t, string(out), actionSecret)
	}
}

// Publish and Test run actions too, with retries and records as for
// requests.
func TestActionPublishAndTest(t *testing.T) {
	leakcheck.Check(t)
	f := &fakeIncidents{}
	d, invs := newDispatcher(t, webhook.WithAction("list_pagerduty_incidents", f.run))
	w, err := d.Add(actionGate("acknowledged"))
	require.NoError(t, err)

	inv, err := d.Test(context.Background(), w, accessrequest.Created)
	require.NoError(t, err)
	require.Equal(t, webhook.Delivered, inv.Outcome, inv.Reason)
	require.Len(t, f.requests(), 1)

	_, err = d.Publish(context.Background(), mock(t, accessrequest.Created))
	require.NoError(t, err)
	got := waitFinal(t, invs, 1)
	require.Equal(t, webhook.Delivered, got[0].Outcome, got[0].Reason)
	require.Equal(t, http.StatusOK, got[0].Response.StatusCode)
	require.NotContains(t, got[0].Response.Body, actionSecret, "the echo is redacted")
	require.Len(t, f.requests(), 2)

	f.mu.Lock()
	f.fail = errors.New("pagerduty integration unreachable")
	f.mu.Unlock()
	_, err = d.Publish(context.Background(), mock(t, accessrequest.Created))
	require.NoError(t, err)
	got = waitFinal(t, invs, 1)
	require.Equal(t, webhook.Failed, got[0].Outcome)
	require.Equal(t, fastRetries.MaxAttempts, got[0].Attempt, "an action's error is retried as a network error is")
	require.Contains(t, got[0].Reason, `action "list_pagerduty_incidents": pagerduty integration unreachable`)
}

// A panicking action fails its attempt; the process goes on.
func TestActionPanicIsRecorded(t *testing.T) {
	leakcheck.Check(t)
	d, _ := newDispatcher(t, webhook.WithAction("boom", func(context.Context, *webhook.ActionRequest) (*webhook.ActionResponse, error) {
		panic("nil map in the integration, token " + actionSecret)
	}))
	w := actionGate("acknowledged")
	w.Action = "boom"
	w, err := d.Add(w)
	require.NoError(t, err)
	dec, err := d.Gate(context.Background(), w.ID, mock(t, accessrequest.Created))
	require.NoError(t, err)
	require.False(t, dec.Passed)
	require.Equal(t, webhook.Failed, dec.Invocation.Outcome)
	require.Contains(t, dec.Message, `action "boom" panicked: nil map in the integration`)
	require.NotContains(t, dec.Message, actionSecret, "the panic value is redacted")
}

// An action that does not return is given up at the webhook's timeout.
func TestActionTimeout(t *testing.T) {
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	d, _ := newDispatcher(t, webhook.WithAction("stuck", func(context.Context, *webhook.ActionRequest) (*webhook.ActionResponse, error) {
		<-release // ignores ctx
		return nil, nil
	}))
	w := actionGate("acknowledged")
	w.Action, w.TimeoutInSec = "stuck", 1
	w, err := d.Add(w)
	require.NoError(t, err)
	start := time.Now()
	dec, err := d.Gate(context.Background(), w.ID, mock(t, accessrequest.Created))
	require.NoError(t, err)
	require.Less(t, time.Since(start), 5*time.Second)
	require.False(t, dec.Passed)
	require.Equal(t, "no response within the 1s timeout", dec.Message)
}

// What an action answers is judged as a response is.
func TestActionResponses(t *testing.T) {
	for _, tc := range []struct {
		name    string
		resp    *webhook.ActionResponse
		outcome webhook.Outcome
		reason  string
	}{
		{"nil is 200", nil, webhook.Delivered, ""},
		{"503", &webhook.ActionResponse{StatusCode: 503}, webhook.Failed, "status 503 Service Unavailable"},
		{"not a status", &webhook.ActionResponse{StatusCode: 42}, webhook.Failed, `action "a": status 42 is not an HTTP status`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, _ := newDispatcher(t, webhook.WithAction("a", func(context.Context, *webhook.ActionRequest) (*webhook.ActionResponse, error) {
				return tc.resp, nil
			}))
			w := actionGate("x")
			w.Action, w.ResponseValidators = "a", nil
			inv, err := d.TestEvent(context.Background(), w, mock(t, accessrequest.Created))
			require.NoError(t, err)
			require.Equal(t, tc.outcome, inv.Outcome)
			require.Equal(t, tc.reason, inv.Reason)
		})
	}
}

func TestActionDefinitionErrors(t *testing.T) {
	d, _ := newDispatcher(t, webhook.WithAction("known", func(context.Context, *webhook.ActionRequest) (*webhook.ActionResponse, error) { return nil, nil }))
	for _, tc := range []struct {
		name  string
		edit  func(*webhook.Webhook)
		field string
		is    error
	}{
		{"unknown action", func(w *webhook.Webhook) { w.Action = "list_pagerduty_incidents" }, "action", webhook.ErrUnknownAction},
		{"hostile action name", func(w *webhook.Webhook) { w.Action = strings.Repeat("x\n", 1<<16) }, "action", webhook.ErrUnknownAction},
		{"action and URL", func(w *webhook.Webhook) { w.Action, w.URL = "known", "https://example.com/hook" }, "url", webhook.ErrInvalidURL},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := actionGate("x")
			tc.edit(&w)
			_, err := d.Add(w)
			var de *webhook.DefinitionError
			require.ErrorAs(t, err, &de)
			require.Equal(t, tc.field, de.Field)
			require.ErrorIs(t, err, tc.is)
			require.Less(t, len(err.Error()), 500, "the name is not echoed whole")
		})
	}
	// Without an action, a URL is required as before.
	w := actionGate("x")
	w.Action = ""
	_, err := d.Add(w)
	var de *webhook.DefinitionError
	require.ErrorAs(t, err, &de)
	require.Equal(t, "url", de.Field)

	// The action's name survives the JSON round trip.
	w = actionGate("x")
	w.Action = "known"
	added, err := d.Add(w)
	require.NoError(t, err)
	raw, err := json.Marshal(added)
	require.NoError(t, err)
	require.Contains(t, string(raw), `"action":"known"`)
	var back webhook.Webhook
	require.NoError(t, json.Unmarshal(raw, &back))
	require.Equal(t, "known", back.Action)
	got, ok := d.Get(added.ID)
	require.True(t, ok)
	require.Equal(t, "known", got.Action)

	// Logged and printed, it says which action, and no secret.
	var buf strings.Builder
	slog.New(slog.NewTextHandler(&buf, nil)).Info("added", "webhook", got)
	require.Contains(t, buf.String(), "webhook.action=known")
	require.NotContains(t, buf.String(), actionSecret)
	require.NotContains(t, fmt.Sprintf("%v %+v %#v", got, got, got), actionSecret)
}

func TestWithActionRejectsBadNames(t *testing.T) {
	noop := func(context.Context, *webhook.ActionRequest) (*webhook.ActionResponse, error) { return nil, nil }
	for _, name := range []string{"", "has space", "a/b", strings.Repeat("x", 101)} {
		_, err := webhook.New(webhook.WithAction(name, noop))
		require.ErrorIs(t, err, webhook.ErrInvalidConfig, "%q", name)
	}
	d, err := webhook.New(webhook.WithAction("ok", nil))
	require.NoError(t, err, "a nil func is ignored")
	require.NoError(t, d.Close(context.Background()))
}

// A secret kept by an update is kept for the same destination only: an
// action is one, as a URL is.
func TestActionKeepsSecretsForItsActionOnly(t *testing.T) {
	noop := func(context.Context, *webhook.ActionRequest) (*webhook.ActionResponse, error) { return nil, nil }
	f := &fakeIncidents{}
	d, _ := newDispatcher(t, webhook.WithAction("list_pagerduty_incidents", f.run), webhook.WithAction("other", noop))
	ctx := context.Background()
	tn := d.Tenant("acme")
	w, err := tn.Create(ctx, actionGate("x"), "ada")
	require.NoError(t, err)
	shown, err := tn.Get(ctx, w.ID)
	require.NoError(t, err)
	require.NotContains(t, shown.Headers["X-Integration-Token"], actionSecret)

	moved := shown
	moved.Action = "other"
	_, err = tn.Update(ctx, moved, "mallory")
	require.ErrorIs(t, err, webhook.ErrSecretRequired)
	var de *webhook.DefinitionError
	require.ErrorAs(t, err, &de)
	require.Equal(t, "headers.X-Integration-Token", de.Field)

	renamed := shown
	renamed.Name = "pd-action-2"
	_, err = tn.Update(ctx, renamed, "ada")
	require.NoError(t, err, "the same action keeps the secret")
	_, err = tn.Test(ctx, w.ID, mock(t, accessrequest.Created))
	require.NoError(t, err)
	require.Equal(t, actionSecret, f.requests()[0].Header.Get("X-Integration-Token"))
}

func TestTenantActionsListsRegistered(t *testing.T) {
	noop := func(context.Context, *webhook.ActionRequest) (*webhook.ActionResponse, error) { return nil, nil }
	d, _ := newDispatcher(t, webhook.WithAction("z_last", noop), webhook.WithAction("a_first", noop))
	require.Equal(t, []string{"a_first", "z_last"}, d.Tenant("acme").Actions())
	bare, _ := newDispatcher(t)
	require.Empty(t, bare.Tenant("").Actions())
}

// An instance that lacks a definition's action cannot run it: its Publish
// records the webhook Skipped, and its gate call is an error that says
// why, while the instance that has the action runs it.
func TestActionMissingOnAnotherInstance(t *testing.T) {
	mem := defstore.NewMemory()
	f := &fakeIncidents{}
	a, _ := newDispatcher(t, webhook.WithDefinitionStore(mem), webhook.WithAction("list_pagerduty_incidents", f.run))
	b, invsB := newDispatcher(t, webhook.WithDefinitionStore(mem))
	ctx := context.Background()
	w, err := a.Tenant("acme").Create(ctx, actionGate("acknowledged"), "ada")
	require.NoError(t, err)
	require.Eventually(t, func() bool { _, err := b.Tenant("acme").Get(ctx, w.ID); return err == nil }, 2*time.Second, time.Millisecond)

	e := mock(t, accessrequest.Created)
	_, err = b.Tenant("acme").Gate(ctx, w.ID, e)
	require.ErrorIs(t, err, webhook.ErrUnknownAction)
	pub, err := b.Tenant("acme").Publish(ctx, e)
	require.NoError(t, err)
	require.Equal(t, 1, pub.Inactive)
	inv := <-invsB
	require.Equal(t, webhook.Skipped, inv.Outcome)
	require.Contains(t, inv.Reason, "unknown action")

	dec, err := a.Tenant("acme").Gate(ctx, w.ID, e)
	require.NoError(t, err)
	require.True(t, dec.Passed, dec.Message)
}
