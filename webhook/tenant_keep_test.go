package webhook_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/accessrequest"
	"github.com/outhook/outhook/defstore"
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

// racingStore is a definition store that runs a write of another instance
// right after the next Get it serves: the moment between an update's read
// of the secrets it keeps and its write.
type racingStore struct {
	*defstore.Memory
	between func()
}

func (s *racingStore) Get(ctx context.Context, tenant, id string) (defstore.Record, error) {
	rec, err := s.Memory.Get(ctx, tenant, id)
	if f := s.between; f != nil {
		s.between = nil
		f()
	}
	return rec, err
}

// TestUpdateDoesNotRestoreARotatedSecret: an update at any version that
// leaves a secret masked keeps the secret current when it is written,
// not one another admin replaced since it was read.
func TestUpdateDoesNotRestoreARotatedSecret(t *testing.T) {
	rc := newReceiver(t, nil)
	mem := defstore.NewMemory()
	store := &racingStore{Memory: mem}
	d, _ := newDispatcher(t, webhook.WithDefinitionStore(store))
	other, _ := newDispatcher(t, webhook.WithDefinitionStore(mem))
	ctx := context.Background()
	w := tenantHook(rc, "rotated", accessrequest.Created)
	w.Headers = map[string]string{"Authorization": "Bearer leaked-old"}
	created, err := d.Tenant("acme").Create(ctx, w, "alice")
	require.NoError(t, err)

	store.between = func() {
		rotate := w
		rotate.ID = created.ID
		rotate.Headers = map[string]string{"Authorization": "Bearer fresh-new"}
		_, err := other.Tenant("acme").Update(ctx, rotate, "security")
		require.NoError(t, err)
	}
	shown := created
	shown.Version = defstore.AnyVersion
	shown.Name = "renamed"
	_, err = d.Tenant("acme").Update(ctx, shown, "bob")
	if err != nil {
		require.ErrorIs(t, err, webhook.ErrConflict)
	}
	inv, err := other.Tenant("acme").Test(ctx, created.ID, mustMock(t, accessrequest.Created))
	require.NoError(t, err)
	require.Equal(t, webhook.Delivered, inv.Outcome)
	got := rc.got()
	require.Equal(t, "Bearer fresh-new", got[len(got)-1].header.Get("Authorization"), "the revoked secret came back")
}

// TestSetActiveAtAnyVersion: switching a webhook at any version does so
// whatever another instance wrote meanwhile.
func TestSetActiveAtAnyVersion(t *testing.T) {
	rc := newReceiver(t, nil)
	mem := defstore.NewMemory()
	store := &racingStore{Memory: mem}
	d, _ := newDispatcher(t, webhook.WithDefinitionStore(store))
	other, _ := newDispatcher(t, webhook.WithDefinitionStore(mem))
	ctx := context.Background()
	created, err := d.Tenant("acme").Create(ctx, tenantHook(rc, "switch", accessrequest.Created), "alice")
	require.NoError(t, err)
	store.between = func() {
		w := created
		w.Name = "renamed"
		_, err := other.Tenant("acme").Update(ctx, w, "bob")
		require.NoError(t, err)
	}
	off, err := d.Tenant("acme").SetActive(ctx, created.ID, false, defstore.AnyVersion, "carol")
	require.NoError(t, err)
	require.False(t, off.Active)
	require.Equal(t, "renamed", off.Name, "the other write is kept")
}

// TestKeptSecretsStayWithTheURLAsShown: a URL sent back as Get showed it
// (escaped as it parses) is the same target, and keeps the secrets.
func TestKeptSecretsStayWithTheURLAsShown(t *testing.T) {
	rc := newReceiver(t, nil)
	d, _ := newDispatcher(t)
	ctx := context.Background()
	ten := d.Tenant("acme")
	w := tenantHook(rc, "spaced", accessrequest.Created)
	w.URL = rc.URL + "/a path"
	w.Headers = map[string]string{"Authorization": "Bearer kept"}
	created, err := ten.Create(ctx, w, "alice")
	require.NoError(t, err)
	require.Equal(t, rc.URL+"/a%20path", created.URL)
	created.Name = "renamed"
	_, err = ten.Update(ctx, created, "bob")
	require.NoError(t, err)
	_, err = ten.Test(ctx, created.ID, mustMock(t, accessrequest.Created))
	require.NoError(t, err)
	require.Equal(t, "Bearer kept", rc.got()[0].header.Get("Authorization"))
}
