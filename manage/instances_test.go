package manage_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/defstore"
	"github.com/outhook/outhook/webhook"
)

// lostNotifications is a definition store whose notifications are lost,
// as a durable store's may be: its followers learn of changes when they
// read the store.
type lostNotifications struct{ *defstore.Memory }

func (lostNotifications) Subscribe(func()) (func(), error) { return func() {}, nil }

// TestEveryOperationFindsAWebhookAnotherInstanceJustCreated: behind a load
// balancer, the request after a create often reaches another instance,
// one whose follower has not read the change yet. Every operation on the
// webhook finds it there, as GET /webhooks/{id} does from the store,
// rather than answer 404 (and lose a breaker reset or a recovery).
func TestEveryOperationFindsAWebhookAnotherInstanceJustCreated(t *testing.T) {
	mem := defstore.NewMemory()
	a := newService(t, []webhook.Option{webhook.WithDefinitionStore(mem)})
	b := newService(t, []webhook.Option{
		webhook.WithDefinitionStore(lostNotifications{mem}), webhook.WithSyncInterval(time.Hour),
		webhook.WithInvocationStore(a.store), // the records of both
	})
	since := time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)

	cases := []struct {
		method, path string
		body         any
		status       int
	}{
		{http.MethodGet, "/webhooks/%s", nil, http.StatusOK},
		{http.MethodGet, "/webhooks/%s/breaker", nil, http.StatusOK},
		{http.MethodGet, "/webhooks/%s/summary", nil, http.StatusOK},
		{http.MethodGet, "/summaries?id=%s", nil, http.StatusOK},
		{http.MethodPost, "/webhooks/%s/breaker/reset", nil, http.StatusOK},
		{http.MethodPost, "/webhooks/%s/recover", map[string]any{"since": since}, http.StatusAccepted},
	}
	for i, c := range cases {
		id := "fresh-" + string(rune('a'+i))
		def := a.hook(id)
		def["id"] = id
		a.as("acme").ok(http.StatusCreated, nil, http.MethodPost, "/webhooks", def)
		b.as("acme").ok(c.status, nil, c.method, fmt.Sprintf(c.path, id), c.body)
	}
	// The reset was recorded with its author, on instance b.
	var hist struct {
		Revisions []struct {
			Action, Actor string
		} `json:"revisions"`
	}
	a.as("acme").ok(http.StatusOK, &hist, http.MethodGet, "/webhooks/fresh-e/history", nil)
	require.Equal(t, "breaker_reset", hist.Revisions[0].Action)
	require.Equal(t, "admin@acme", hist.Revisions[0].Actor)

	// A dead letter of a webhook made since b last read the store is
	// redelivered from b.
	def := a.hook("late")
	def["id"] = "late"
	a.as("acme").ok(http.StatusCreated, nil, http.MethodPost, "/webhooks", def)
	a.rc.status.Store(http.StatusInternalServerError)
	dl := publishDeadLetter(t, a, "acme")
	a.rc.status.Store(0)
	b.as("acme").ok(http.StatusAccepted, nil, http.MethodPost, "/dead-letters/"+dl.DeliveryID+"/redeliver", nil)

	// An id no instance has is still not found, on either.
	b.as("acme").problem(http.StatusNotFound, "not-found", http.MethodGet, "/webhooks/none/breaker", nil)
	// Nor is another tenant's.
	b.as("globex").problem(http.StatusNotFound, "not-found", http.MethodGet, "/webhooks/fresh-a/breaker", nil)
}

// TestSwitchingAWebhookThisInstanceCannotRunIsRefusedAsDocumented: during
// a rolling deploy, an instance that no longer serves an action reads a
// webhook that runs it. Switching it there is refused with the problem
// the document declares for the operation, naming the field, and the
// webhook stays as it was.
func TestSwitchingAWebhookThisInstanceCannotRunIsRefusedAsDocumented(t *testing.T) {
	mem := defstore.NewMemory()
	notify := func(context.Context, *webhook.ActionRequest) (*webhook.ActionResponse, error) {
		return &webhook.ActionResponse{}, nil
	}
	a := newService(t, []webhook.Option{webhook.WithDefinitionStore(mem), webhook.WithAction("notify", notify)})
	b := newService(t, []webhook.Option{webhook.WithDefinitionStore(mem)})
	def := a.hook("runs an action")
	def["id"], def["url"], def["action"] = "act", "", "notify"
	a.as("acme").ok(http.StatusCreated, nil, http.MethodPost, "/webhooks", def)

	for _, op := range []string{"deactivate", "activate"} {
		p := b.as("acme").problem(http.StatusUnprocessableEntity, "definition-invalid", http.MethodPost, "/webhooks/act/"+op, nil, "If-Match", `"1"`)
		require.Len(t, p.Errors, 1)
		require.Equal(t, "action", p.Errors[0].Field)
	}
	var got webhook.Webhook
	a.as("acme").ok(http.StatusOK, &got, http.MethodGet, "/webhooks/act", nil)
	require.Equal(t, int64(1), got.Version)
	require.True(t, got.Active)

	// It has no breaker there, as its summary says, rather than no
	// existence.
	var br struct{ State string }
	b.as("acme").ok(http.StatusOK, &br, http.MethodGet, "/webhooks/act/breaker", nil)
	require.Equal(t, string(webhook.BreakerDisabled), br.State)
}

// TestACreateSentTwiceIsAConflictOnEveryInstance: a client that sends its
// create again (its first answer lost) learns that the webhook exists
// (409 id-taken), whichever instance answers: the one that made it, which
// also finds the name taken, or one that has not loaded it yet, whose
// store finds the id first.
func TestACreateSentTwiceIsAConflictOnEveryInstance(t *testing.T) {
	mem := defstore.NewMemory()
	a := newService(t, []webhook.Option{webhook.WithDefinitionStore(mem)})
	b := newService(t, []webhook.Option{
		webhook.WithDefinitionStore(lostNotifications{mem}), webhook.WithSyncInterval(time.Hour),
	})
	def := a.hook("once")
	def["id"] = "once"
	a.as("acme").ok(http.StatusCreated, nil, http.MethodPost, "/webhooks", def)
	for _, s := range []*service{b, a} {
		p := s.as("acme").problem(http.StatusConflict, "id-taken", http.MethodPost, "/webhooks", def)
		require.NotEmpty(t, p.Errors)
		require.Equal(t, "id", p.Errors[0].Field)
	}
}
