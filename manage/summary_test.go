package manage_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/manage"
	"github.com/outhook/outhook/webhook"
)

// TestSummary reads a webhook's summary after a delivery that failed, and
// the summaries of a page of webhooks at once; another tenant's webhook
// is not found.
func TestSummary(t *testing.T) {
	s := newService(t, nil)
	acme := s.as("acme")
	var a, b webhook.Webhook
	acme.ok(http.StatusCreated, &a, http.MethodPost, "/webhooks", s.hook("a"))
	acme.ok(http.StatusCreated, &b, http.MethodPost, "/webhooks", s.hook("b"))
	acme.ok(http.StatusOK, nil, http.MethodPost, "/webhooks/"+b.ID+"/deactivate", nil, "If-Match", "*")
	s.rc.status.Store(http.StatusBadGateway)
	publish(t, s, "acme", 1) // a fails; b, inactive, gets nothing

	var got webhook.Summary
	acme.ok(http.StatusOK, &got, http.MethodGet, "/webhooks/"+a.ID+"/summary", nil)
	require.Equal(t, a.ID, got.WebhookID)
	require.True(t, got.Active)
	require.Equal(t, webhook.Failed, got.LastOutcome)
	require.Contains(t, got.LastReason, "502")
	require.Equal(t, int64(1), got.DeadLetters)
	require.Len(t, got.Windows, 3)
	require.Equal(t, int64(1), got.Windows[2].Attempts)
	require.Zero(t, got.Windows[2].SuccessRate)

	var list struct {
		Summaries []webhook.Summary `json:"summaries"`
	}
	acme.ok(http.StatusOK, &list, http.MethodGet, "/summaries?id="+url.QueryEscape(b.ID)+"&id="+url.QueryEscape(a.ID), nil)
	require.Len(t, list.Summaries, 2)
	require.Equal(t, []string{b.ID, a.ID}, []string{list.Summaries[0].WebhookID, list.Summaries[1].WebhookID})
	require.False(t, list.Summaries[0].Active)
	require.Empty(t, list.Summaries[0].LastOutcome)

	globex := s.as("globex")
	globex.problem(http.StatusNotFound, "not-found", http.MethodGet, "/webhooks/"+a.ID+"/summary", nil)
	globex.problem(http.StatusNotFound, "not-found", http.MethodGet, "/summaries?id="+url.QueryEscape(a.ID), nil)
	acme.problem(http.StatusBadRequest, "invalid-request", http.MethodGet, "/summaries", nil, manage.ExpectInvalid, "1")
	many := strings.Repeat("&id="+url.QueryEscape(a.ID), 101)
	// The document says maxItems 100, which its validator does not check
	// of a query parameter: the request is not marked invalid.
	acme.problem(http.StatusBadRequest, "invalid-request", http.MethodGet, "/summaries?"+many[1:], nil)
}

// listStore is an InvocationStore with no summary.
type listStore struct{ webhook.InvocationStore }

func TestSummaryUnsupported(t *testing.T) {
	s := newService(t, []webhook.Option{webhook.WithInvocationStore(listStore{webhook.NewMemoryStore(0, 0)})})
	acme := s.as("acme")
	var a webhook.Webhook
	acme.ok(http.StatusCreated, &a, http.MethodPost, "/webhooks", s.hook("a"))
	p := acme.problem(http.StatusNotImplemented, "not-implemented", http.MethodGet, fmt.Sprint("/webhooks/", a.ID, "/summary"), nil)
	require.Contains(t, p.Detail, "summary")
}
