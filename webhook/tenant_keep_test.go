package webhook_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/accessrequest"
	"github.com/outhook/outhook/event"
	"github.com/outhook/outhook/webhook"
)

// TestKeptSecretsDoNotFollowTheURL: a tenant's admin who cannot read a
// webhook's secrets must not get them by pointing the webhook, or a test
// of it, at a server of theirs while leaving the secrets masked.
func TestKeptSecretsDoNotFollowTheURL(t *testing.T) {
	rc := newReceiver(t, nil)
	leak := newReceiver(t, nil)
	d, _ := newDispatcher(t)
	ctx := context.Background()
	ten := d.Tenant("acme")
	w := tenantHook(rc, "guarded", accessrequest.Created)
	w.Headers = map[string]string{"Authorization": "Bearer victim-token", "X-Team": "platform"}
	w.SigningSecrets = []string{"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}
	created, err := ten.Create(ctx, w, "alice")
	require.NoError(t, err)

	shown, err := ten.Get(ctx, created.ID)
	require.NoError(t, err)
	moved := shown
	moved.URL = leak.URL + "/steal"
	for name, change := range map[string]func(w *webhook.Webhook){
		"headers as shown": func(*webhook.Webhook) {},
		"headers omitted":  func(w *webhook.Webhook) { w.Headers = nil },
	} {
		t.Run(name, func(t *testing.T) {
			w := moved
			w.Headers = map[string]string{}
			for k, v := range moved.Headers {
				w.Headers[k] = v
			}
			change(&w)
			_, err := ten.Update(ctx, w, "mallory")
			require.ErrorIs(t, err, webhook.ErrSecretKept, "a masked header kept while the URL moves")
			var de webhook.DefinitionErrors
			require.ErrorAs(t, err, &de)
			require.Equal(t, "headers.Authorization", de[0].Field)
			require.Len(t, de, 2, "X-Team's value is a secret too")
			_, err = ten.TestDefinition(ctx, w, mustMock(t, accessrequest.Created))
			require.ErrorIs(t, err, webhook.ErrSecretKept)
		})
	}
	_, err = ten.Publish(ctx, mustMock(t, accessrequest.Created))
	require.NoError(t, err)
	require.Eventually(t, func() bool { return len(rc.got()) == 1 }, 5*time.Second, time.Millisecond)
	require.Empty(t, leak.got(), "nothing reached the other server")

	// Given again, the secret may go anywhere; the URL unchanged, it is
	// kept.
	again := moved
	again.Headers = map[string]string{"Authorization": "Bearer new-token", "X-Team": "platform"}
	_, err = ten.TestDefinition(ctx, again, mustMock(t, accessrequest.Created))
	require.NoError(t, err)
	require.Len(t, leak.got(), 1)
	require.Equal(t, "Bearer new-token", leak.got()[0].header.Get("Authorization"))
	shown.Name = "renamed"
	_, err = ten.Update(ctx, shown, "alice")
	require.NoError(t, err)
}

// TestSecretURLPathCannotBeUnmasked: a URL kept masked cannot lose its
// SecretURLPath, which would show its path in clear.
func TestSecretURLPathCannotBeUnmasked(t *testing.T) {
	d, _ := newDispatcher(t)
	ctx := context.Background()
	ten := d.Tenant("acme")
	w := webhook.Webhook{
		Name: "slack", Active: true, URL: "https://hooks.slack.com/services/T000/B000/slack-path-secret",
		SecretURLPath: true, Triggers: []event.Trigger{accessrequest.Created},
	}
	created, err := ten.Create(ctx, w, "alice")
	require.NoError(t, err)
	require.NotContains(t, created.URL, "slack-path-secret")
	created.SecretURLPath = false
	_, err = ten.Update(ctx, created, "mallory")
	require.ErrorIs(t, err, webhook.ErrSecretKept)
	var de webhook.DefinitionErrors
	require.ErrorAs(t, err, &de)
	require.Equal(t, "secret_url_path", de[0].Field)
	got, err := ten.Get(ctx, created.ID)
	require.NoError(t, err)
	require.NotContains(t, got.URL, "slack-path-secret")
	require.NotContains(t, fmt.Sprint(got), "slack-path-secret")
}
