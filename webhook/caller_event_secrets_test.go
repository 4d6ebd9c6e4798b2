package webhook_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/accessrequest"
	"github.com/outhook/outhook/event"
	"github.com/outhook/outhook/webhook"
)

// TestCallerEventCannotSteerStoredSecrets checks a webhook whose URL is
// templated over the event (Torq's hooks.torq.io/v1/webhooks/{{id}}):
// a caller's event rendering another path must not take the stored
// secrets there, or whoever may press Test would receive the stored
// Authorization header on a path of theirs on the same host. The mock
// event's path, and secrets given anew in the definition, still work.
func TestCallerEventCannotSteerStoredSecrets(t *testing.T) {
	rc := newReceiver(t, nil)
	d, _ := newDispatcher(t)
	ctx := context.Background()
	ten := d.Tenant("acme")
	w := webhook.Webhook{
		Name: "torq", Active: true, URL: rc.URL + "/v1/webhooks/{{data.friendly_id}}",
		Headers:  map[string]string{"X-Torq-Token": "Bearer s3cr3t-token"},
		Triggers: []event.Trigger{accessrequest.Created},
	}
	created, err := ten.Create(ctx, w, "alice")
	require.NoError(t, err)

	hostile, err := event.Parse([]byte(`{"event_type": "RequestCreated", "event_time": 1, "data": {"friendly_id": "mallorys-own-hook"}}`))
	require.NoError(t, err)

	requireURLRefused := func(err error) {
		t.Helper()
		var defs webhook.DefinitionErrors
		require.ErrorAs(t, err, &defs)
		require.Len(t, defs, 1)
		require.Equal(t, "url", defs[0].Field)
		require.ErrorIs(t, err, webhook.ErrSecretRequired)
	}
	_, err = ten.Test(ctx, created.ID, hostile)
	requireURLRefused(err)
	_, err = ten.TestDefinition(ctx, created, hostile)
	requireURLRefused(err)
	_, err = ten.Gate(ctx, created.ID, hostile, webhook.CallerEvent())
	requireURLRefused(err)
	require.Empty(t, rc.got(), "nothing was sent")

	// The mock event renders the path the secrets were stored for.
	inv, err := ten.Test(ctx, created.ID, mustMock(t, accessrequest.Created))
	require.NoError(t, err)
	require.Equal(t, webhook.Delivered, inv.Outcome, inv.Reason)
	dec, err := ten.Gate(ctx, created.ID, mustMock(t, accessrequest.Created), webhook.CallerEvent())
	require.NoError(t, err)
	require.True(t, dec.Passed, dec.Message)

	// Secrets given in the definition are the caller's to send anywhere
	// the URL goes.
	own := created
	own.Headers = map[string]string{"X-Torq-Token": "Bearer mallorys-token"}
	inv, err = ten.TestDefinition(ctx, own, hostile)
	require.NoError(t, err)
	require.Equal(t, webhook.Delivered, inv.Outcome, inv.Reason)

	// The host's own events (Gate without CallerEvent) route as deliveries do.
	dec, err = ten.Gate(ctx, created.ID, hostile)
	require.NoError(t, err)
	require.True(t, dec.Passed, dec.Message)

	// Another template, or the same path made plain, is another URL: the
	// stored header is not kept for it.
	for _, to := range []string{rc.URL + "/v1/webhooks/{{data.requester.email}}", rc.URL + "/v1/webhooks/mallorys-own-hook"} {
		moved := created
		moved.URL = to
		_, err = ten.Update(ctx, moved, "mallory")
		requireSecretsRequired(t, err, "headers.X-Torq-Token")
		_, err = ten.TestDefinition(ctx, moved, hostile)
		requireSecretsRequired(t, err, "headers.X-Torq-Token")
	}

	got := rc.got()
	require.Len(t, got, 4)
	for i, want := range []string{"Bearer s3cr3t-token", "Bearer s3cr3t-token", "Bearer mallorys-token", "Bearer s3cr3t-token"} {
		require.Equal(t, want, got[i].header.Get("X-Torq-Token"), i)
	}
	require.Equal(t, "/v1/webhooks/mallorys-own-hook", got[2].path)
	require.Equal(t, "/v1/webhooks/mallorys-own-hook", got[3].path)
}

// TestAnotherTriggersMockCannotSteerStoredSecrets calls a webhook of
// RequestCreated, whose URL is templated over the event, with the mock
// event of RequestExpired, another request and so another path: the
// caller chose that mock, not the webhook's triggers, so the stored
// header may not go there, whether the mock is the Dispatcher's own
// (as EventTypes gives it, and the console and the manage API pass it)
// or a copy, and whatever triggers a TestDefinition names.
func TestAnotherTriggersMockCannotSteerStoredSecrets(t *testing.T) {
	rc := newReceiver(t, nil)
	d, _ := newDispatcher(t)
	ctx := context.Background()
	ten := d.Tenant("acme")
	created, err := ten.Create(ctx, webhook.Webhook{
		Name: "torq", Active: true, URL: rc.URL + "/v1/webhooks/{{data.friendly_id}}",
		Headers:  map[string]string{"X-Torq-Token": "Bearer s3cr3t-token"},
		Triggers: []event.Trigger{accessrequest.Created},
	}, "alice")
	require.NoError(t, err)
	var expired *event.Event
	for _, et := range ten.EventTypes() {
		if et.Trigger == accessrequest.Expired {
			expired = et.Mock
		}
	}
	require.NotNil(t, expired)
	raw, err := json.Marshal(expired)
	require.NoError(t, err)
	copied, err := event.Parse(raw)
	require.NoError(t, err)

	requireURLRefused := func(err error, what string) {
		t.Helper()
		var defs webhook.DefinitionErrors
		require.ErrorAs(t, err, &defs, what)
		require.Len(t, defs, 1, what)
		require.Equal(t, "url", defs[0].Field, what)
		require.ErrorIs(t, err, webhook.ErrSecretRequired, what)
	}
	retriggered := created
	retriggered.Triggers = []event.Trigger{accessrequest.Expired}
	for _, e := range []*event.Event{expired, copied} {
		_, err = ten.Test(ctx, created.ID, e)
		requireURLRefused(err, "Test")
		_, err = ten.TestDefinition(ctx, created, e)
		requireURLRefused(err, "TestDefinition")
		_, err = ten.TestDefinition(ctx, retriggered, e)
		requireURLRefused(err, "TestDefinition with other triggers")
		_, err = ten.Gate(ctx, created.ID, e, webhook.CallerEvent())
		requireURLRefused(err, "Gate")
	}
	require.Empty(t, rc.got(), "nothing was sent")
}

// TestTestsRefuseANilEvent: a test of a nil event is an error, as a gate
// call of one is, not a panic, and sends nothing.
func TestTestsRefuseANilEvent(t *testing.T) {
	rc := newReceiver(t, nil)
	d, _ := newDispatcher(t)
	ctx := context.Background()
	ten := d.Tenant("acme")
	w, err := ten.Create(ctx, webhook.Webhook{
		Name: "nil", Active: true, URL: rc.URL + "/v1/webhooks/{{data.friendly_id}}",
		Headers:  map[string]string{"X-Torq-Token": "Bearer s3cr3t-token"},
		Triggers: []event.Trigger{accessrequest.Created},
	}, "alice")
	require.NoError(t, err)
	_, err = ten.Test(ctx, w.ID, nil)
	require.Error(t, err)
	_, err = ten.TestDefinition(ctx, w, nil)
	require.Error(t, err)
	_, err = d.TestEvent(ctx, w, nil)
	require.Error(t, err)
	require.Empty(t, rc.got())
}

// TestEveryKindOfStoredSecretKeepsItsPath calls, with an event of the
// caller's that renders another path, a webhook holding each kind of
// stored secret alone: each is refused by Test, TestDefinition of the
// webhook as shown and Gate with CallerEvent, and nothing is sent.
func TestEveryKindOfStoredSecretKeepsItsPath(t *testing.T) {
	te := newTokenEndpoint(t, 3600)
	rc := newReceiver(t, nil)
	d, _ := newDispatcher(t)
	ctx := context.Background()
	ten := d.Tenant("acme")
	hostile, err := event.Parse([]byte(`{"event_type": "RequestCreated", "event_time": 1, "data": {"friendly_id": "mallorys-own-hook"}}`))
	require.NoError(t, err)
	hook := func(path string, set func(*webhook.Webhook)) webhook.Webhook {
		w := webhook.Webhook{Active: true, URL: rc.URL + path, Triggers: []event.Trigger{accessrequest.Created}}
		set(&w)
		return w
	}
	for name, w := range map[string]webhook.Webhook{
		"signing secret": hook("/v1/{{data.friendly_id}}", func(w *webhook.Webhook) {
			w.SigningSecrets = []string{"whsec_c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0"}
		}),
		"body secret": hook("/v1/{{data.friendly_id}}", func(w *webhook.Webhook) {
			w.BodyTemplate, w.Secrets = `{"k": "{{secrets.key}}"}`, map[string]string{"key": "b0dy-secret"}
		}),
		"query secret": hook("/v1/{{data.friendly_id}}?token=qu3ry-secret", func(*webhook.Webhook) {}),
		"templated query": hook("/v1/hook?id={{data.friendly_id}}", func(w *webhook.Webhook) {
			w.Headers = map[string]string{"Authorization": "Bearer h3ader-secret"}
		}),
		"oauth client secret": hook("/v1/{{data.friendly_id}}", func(w *webhook.Webhook) {
			w.Authentication = &webhook.Authentication{OAuth: &webhook.OAuth{ClientID: "c", ClientSecret: oauthSecret, TokenEndpointURL: te.URL + "/token"}}
		}),
		"secret path": hook("/v1/{{data.friendly_id}}", func(w *webhook.Webhook) { w.SecretURLPath = true }),
	} {
		w.Name = strings.ReplaceAll(name, " ", "-")
		created, err := ten.Create(ctx, w, "alice")
		require.NoError(t, err, name)
		shown, err := ten.Get(ctx, created.ID)
		require.NoError(t, err, name)
		_, err = ten.Test(ctx, created.ID, hostile)
		require.ErrorIs(t, err, webhook.ErrSecretRequired, "%s: Test", name)
		_, err = ten.TestDefinition(ctx, shown, hostile)
		require.ErrorIs(t, err, webhook.ErrSecretRequired, "%s: TestDefinition", name)
		_, err = ten.Gate(ctx, created.ID, hostile, webhook.CallerEvent())
		require.ErrorIs(t, err, webhook.ErrSecretRequired, "%s: Gate", name)
	}
	require.Empty(t, rc.got(), "nothing was sent")
}
