package manage_test

import (
	"context"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/accessrequest"
	"github.com/outhook/outhook/manage"
	"github.com/outhook/outhook/webhook"
)

type invocationPage struct {
	Invocations []webhook.Invocation `json:"invocations"`
	Next        string               `json:"next_cursor"`
}

type deadLetterPage struct {
	DeadLetters []webhook.DeadLetter `json:"dead_letters"`
	Next        string               `json:"next_cursor"`
}

func TestInvocationsFiltersAndPages(t *testing.T) {
	s := newService(t, nil)
	acme := s.as("acme")
	var a, b webhook.Webhook
	acme.ok(http.StatusCreated, &a, http.MethodPost, "/webhooks", s.hook("a"))
	for i := range 3 {
		publish(t, s, "acme", i+1)
	}
	acme.ok(http.StatusCreated, &b, http.MethodPost, "/webhooks", s.hook("b"))
	acme.ok(http.StatusOK, nil, http.MethodPost, "/webhooks/"+a.ID+"/deactivate", nil, "If-Match", "*")
	s.rc.status.Store(http.StatusBadGateway)
	publish(t, s, "acme", 4)

	var all invocationPage
	acme.ok(http.StatusOK, &all, http.MethodGet, "/invocations", nil)
	require.Len(t, all.Invocations, 4)
	require.Equal(t, b.ID, all.Invocations[0].WebhookID, "newest first")

	var failed invocationPage
	acme.ok(http.StatusOK, &failed, http.MethodGet, "/invocations?outcome=failed", nil)
	require.Len(t, failed.Invocations, 1)
	require.Equal(t, b.ID, failed.Invocations[0].WebhookID)

	var ids []string
	cursor := ""
	for range 10 {
		var page invocationPage
		acme.ok(http.StatusOK, &page, http.MethodGet, "/invocations?limit=2&webhook_id="+url.QueryEscape(a.ID)+"&cursor="+url.QueryEscape(cursor), nil)
		for _, inv := range page.Invocations {
			require.Equal(t, a.ID, inv.WebhookID)
			ids = append(ids, inv.ID)
		}
		if cursor = page.Next; cursor == "" {
			break
		}
	}
	require.Len(t, ids, 3)

	future := url.QueryEscape(time.Now().Add(time.Hour).UTC().Format(time.RFC3339))
	var none invocationPage
	acme.ok(http.StatusOK, &none, http.MethodGet, "/invocations?since="+future, nil)
	require.Empty(t, none.Invocations)
	acme.ok(http.StatusOK, &none, http.MethodGet, "/invocations?until="+url.QueryEscape("2001-01-01T00:00:00Z"), nil)
	require.Empty(t, none.Invocations)

	// A cursor of another query is refused, as are malformed parameters.
	var first invocationPage
	acme.ok(http.StatusOK, &first, http.MethodGet, "/invocations?limit=1", nil)
	p := acme.problem(http.StatusBadRequest, "invalid-request", http.MethodGet, "/invocations?outcome=delivered&cursor="+url.QueryEscape(first.Next), nil)
	require.Equal(t, "cursor", p.Errors[0].Field)
	p = acme.problem(http.StatusBadRequest, "invalid-request", http.MethodGet, "/invocations?since=yesterday", nil, manage.ExpectInvalid, "1")
	require.Equal(t, "since", p.Errors[0].Field)
	p = acme.problem(http.StatusBadRequest, "invalid-request", http.MethodGet, "/invocations?outcome=lost", nil, manage.ExpectInvalid, "1")
	require.Equal(t, "outcome", p.Errors[0].Field)
	acme.problem(http.StatusBadRequest, "invalid-request", http.MethodGet, "/invocations?limit=501", nil, manage.ExpectInvalid, "1")

	// The list shows each webhook's last invocation.
	var list struct {
		Webhooks []struct {
			ID             string `json:"id"`
			LastInvocation *struct {
				Outcome string `json:"outcome"`
			} `json:"last_invocation"`
		} `json:"webhooks"`
	}
	acme.ok(http.StatusOK, &list, http.MethodGet, "/webhooks", nil)
	last := map[string]string{}
	for _, w := range list.Webhooks {
		require.NotNil(t, w.LastInvocation)
		last[w.ID] = w.LastInvocation.Outcome
	}
	require.Equal(t, map[string]string{a.ID: "delivered", b.ID: "failed"}, last)
}

func TestDeadLettersAndRecover(t *testing.T) {
	s := newService(t, nil)
	acme := s.as("acme")
	var w webhook.Webhook
	acme.ok(http.StatusCreated, &w, http.MethodPost, "/webhooks", s.hook("down"))
	start := time.Now().Add(-time.Second)
	s.rc.status.Store(http.StatusInternalServerError)
	for range 3 {
		publishDeadLetter(t, s, "acme")
	}
	var letters deadLetterPage
	require.Eventually(t, func() bool {
		acme.ok(http.StatusOK, &letters, http.MethodGet, "/dead-letters?webhook_id="+url.QueryEscape(w.ID), nil)
		return len(letters.DeadLetters) == 3
	}, 5*time.Second, 10*time.Millisecond)
	for _, dl := range letters.DeadLetters {
		require.Equal(t, w.ID, dl.WebhookID)
		require.Equal(t, accessrequest.Created, dl.Event.Type())
	}
	var page deadLetterPage
	acme.ok(http.StatusOK, &page, http.MethodGet, "/dead-letters?limit=2", nil)
	require.Len(t, page.DeadLetters, 2)
	require.NotEmpty(t, page.Next)

	acme.problem(http.StatusBadRequest, "invalid-request", http.MethodPost, "/webhooks/"+w.ID+"/recover", map[string]any{}, manage.ExpectInvalid, "1")
	acme.problem(http.StatusNotFound, "not-found", http.MethodPost, "/webhooks/nope/recover", map[string]any{"since": start.UTC().Format(time.RFC3339)})

	s.rc.status.Store(http.StatusOK)
	var rec struct {
		Redelivered int  `json:"redelivered"`
		Failed      int  `json:"failed"`
		Complete    bool `json:"complete"`
	}
	acme.ok(http.StatusAccepted, &rec, http.MethodPost, "/webhooks/"+w.ID+"/recover", map[string]any{"since": start.UTC().Format(time.RFC3339Nano)})
	require.Equal(t, 3, rec.Redelivered)
	require.Zero(t, rec.Failed)
	require.True(t, rec.Complete)
	require.Eventually(t, func() bool {
		var delivered invocationPage
		acme.ok(http.StatusOK, &delivered, http.MethodGet, "/invocations?outcome=delivered", nil)
		return len(delivered.Invocations) == 3
	}, 5*time.Second, 10*time.Millisecond)
	acme.ok(http.StatusOK, &letters, http.MethodGet, "/dead-letters", nil)
	require.Empty(t, letters.DeadLetters)
}

// plainStore is an InvocationStore that cannot query.
type plainStore struct{ webhook.InvocationStore }

func TestAStoreThatCannotQuery(t *testing.T) {
	s := newService(t, []webhook.Option{webhook.WithInvocationStore(plainStore{webhook.NewMemoryStore(10, 10)})})
	acme := s.as("acme")
	acme.ok(http.StatusCreated, nil, http.MethodPost, "/webhooks", s.hook("x"))
	var list struct {
		Webhooks []map[string]any `json:"webhooks"`
	}
	acme.ok(http.StatusOK, &list, http.MethodGet, "/webhooks", nil)
	require.Len(t, list.Webhooks, 1)
	require.NotContains(t, list.Webhooks[0], "last_invocation")
	acme.problem(http.StatusNotImplemented, "not-implemented", http.MethodGet, "/invocations", nil)
	acme.problem(http.StatusNotImplemented, "not-implemented", http.MethodGet, "/dead-letters", nil)
}

// publish publishes a mock event for tenant and waits until its store
// holds want records of the tenant in all.
func publish(t *testing.T, s *service, tenant string, want int) {
	t.Helper()
	mock, _ := accessrequest.Mock(accessrequest.Created)
	_, err := s.d.Tenant(tenant).Publish(context.Background(), mock)
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		page, err := s.store.QueryInvocations(context.Background(), tenant, webhook.InvocationQuery{Limit: want + 1})
		return err == nil && len(page.Invocations) >= want
	}, 5*time.Second, 5*time.Millisecond)
}
