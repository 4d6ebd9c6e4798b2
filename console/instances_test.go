package console_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/accessrequest"
	"github.com/outhook/outhook/console"
	"github.com/outhook/outhook/defstore"
	"github.com/outhook/outhook/event"
	"github.com/outhook/outhook/webhook"
)

// lostNotifications is a definition store whose notifications are lost,
// as a durable store's may be: its followers learn of changes when they
// read the store.
type lostNotifications struct{ *defstore.Memory }

func (lostNotifications) Subscribe(func()) (func(), error) { return func() {}, nil }

// TestEditPageOfAWebhookAnotherInstanceJustCreated: the console is
// behind a load balancer, and the page after Save is served by another
// instance, whose follower has not read the change yet. The list shows
// the webhook (from the store), and its page opens too.
func TestEditPageOfAWebhookAnotherInstanceJustCreated(t *testing.T) {
	mem := defstore.NewMemory()
	s := newSite(t)
	a, err := webhook.New(webhook.WithDefinitionStore(mem), webhook.WithAllowedTargets("127.0.0.1"),
		webhook.WithURLPolicy(webhook.URLPolicy{AllowHTTP: true, AllowCustomPorts: true}))
	require.NoError(t, err)
	t.Cleanup(func() { _ = a.Close(context.Background()) })
	b, err := webhook.New(webhook.WithDefinitionStore(lostNotifications{mem}), webhook.WithSyncInterval(time.Hour),
		webhook.WithAllowedTargets("127.0.0.1"), webhook.WithURLPolicy(webhook.URLPolicy{AllowHTTP: true, AllowCustomPorts: true}))
	require.NoError(t, err)
	t.Cleanup(func() { _ = b.Close(context.Background()) })
	h, err := console.New(b, func(r *http.Request) (string, string, error) { return "acme", "admin@acme", nil })
	require.NoError(t, err)
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)

	_, err = a.Tenant("acme").Create(context.Background(), webhook.Webhook{
		ID: "fresh", Name: "Fresh", Active: true, URL: s.receiver.URL + "/hook",
		Triggers: []event.Trigger{accessrequest.Created},
	}, "alice")
	require.NoError(t, err)

	res, err := http.Get(srv.URL + "/webhooks/fresh")
	require.NoError(t, err)
	res.Body.Close()
	require.Equal(t, http.StatusOK, res.StatusCode, "the page of a webhook the store has")
}

// TestBreakerResetIsRecordedWithItsAuthor: a reset from the console is a
// change of the webhook like any other, whose history names who made it.
func TestBreakerResetIsRecordedWithItsAuthor(t *testing.T) {
	s := newSite(t)
	w, err := s.d.Tenant("acme").Create(context.Background(), webhook.Webhook{
		Name: "Reset me", Active: true, URL: s.receiver.URL + "/hook", Triggers: []event.Trigger{accessrequest.Created},
	}, "alice")
	require.NoError(t, err)

	status, _, body := s.do(t, "acme", http.MethodPost, "/webhooks/"+w.ID+"/breaker/reset", url.Values{}, "Origin", s.srv.URL)
	require.Equal(t, http.StatusSeeOther, status, body)
	revs, err := s.d.Tenant("acme").History(context.Background(), w.ID, 1)
	require.NoError(t, err)
	require.Equal(t, defstore.BreakerReset, revs[0].Action)
	require.Equal(t, "admin@acme", revs[0].Actor)
}

// TestEditPageOfAWebhookThisInstanceCannotRun: during a rolling deploy,
// an instance that no longer serves an action shows the page of a
// webhook that runs it, so that an admin can mend or delete it there.
func TestEditPageOfAWebhookThisInstanceCannotRun(t *testing.T) {
	mem := defstore.NewMemory()
	notify := func(context.Context, *webhook.ActionRequest) (*webhook.ActionResponse, error) {
		return &webhook.ActionResponse{}, nil
	}
	a, err := webhook.New(webhook.WithDefinitionStore(mem), webhook.WithAction("notify", notify))
	require.NoError(t, err)
	t.Cleanup(func() { _ = a.Close(context.Background()) })
	b, err := webhook.New(webhook.WithDefinitionStore(mem))
	require.NoError(t, err)
	t.Cleanup(func() { _ = b.Close(context.Background()) })
	h, err := console.New(b, func(r *http.Request) (string, string, error) { return "acme", "admin@acme", nil })
	require.NoError(t, err)
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	_, err = a.Tenant("acme").Create(context.Background(), webhook.Webhook{
		ID: "act", Name: "Runs an action", Active: true, Action: "notify", Triggers: []event.Trigger{accessrequest.Created},
	}, "alice")
	require.NoError(t, err)

	res, err := http.Get(srv.URL + "/webhooks/act")
	require.NoError(t, err)
	res.Body.Close()
	require.Equal(t, http.StatusOK, res.StatusCode)
}
