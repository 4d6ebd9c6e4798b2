package manage_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/accessrequest"
	"github.com/outhook/outhook/manage"
	"github.com/outhook/outhook/webhook"
)

// TestBulkDeadLettersAndErasure discards and redelivers a time range of a
// webhook's dead letters, then erases the webhook's history and reads the
// erasure back; another tenant's are left alone.
func TestBulkDeadLettersAndErasure(t *testing.T) {
	s := newService(t, nil)
	acme, globex := s.as("acme"), s.as("globex")
	var w webhook.Webhook
	acme.ok(http.StatusCreated, &w, http.MethodPost, "/webhooks", s.hook("h"))
	mock, _ := accessrequest.Mock(accessrequest.Created)
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	at := func(i int) string { return base.Add(time.Duration(i) * time.Second).Format(time.RFC3339) }
	for i := range 10 {
		for _, tn := range []string{"acme", "globex"} {
			require.NoError(t, s.store.AddDeadLetter(context.Background(), webhook.DeadLetter{
				DeliveryID: fmt.Sprint(tn, i), Tenant: tn, WebhookID: w.ID, Event: mock, Outcome: webhook.Failed,
				FailedAt: base.Add(time.Duration(i) * time.Second),
			}))
		}
	}
	var discarded struct {
		Discarded int  `json:"discarded"`
		Complete  bool `json:"complete"`
	}
	acme.ok(http.StatusOK, &discarded, http.MethodPost, "/webhooks/"+w.ID+"/dead-letters/discard", map[string]any{"until": at(3)})
	require.Equal(t, 3, discarded.Discarded)
	require.True(t, discarded.Complete)
	acme.problem(http.StatusBadRequest, "invalid-request", http.MethodPost, "/webhooks/"+w.ID+"/dead-letters/discard", map[string]any{"since": "yesterday"}, manage.ExpectInvalid, "1")

	var rec struct {
		Redelivered int `json:"redelivered"`
	}
	acme.ok(http.StatusAccepted, &rec, http.MethodPost, "/webhooks/"+w.ID+"/recover", map[string]any{"since": at(3), "until": at(6)})
	require.Equal(t, 3, rec.Redelivered)
	var letters deadLetterPage
	acme.ok(http.StatusOK, &letters, http.MethodGet, "/dead-letters", nil)
	require.Len(t, letters.DeadLetters, 4, "6 to 9 are left")

	var er webhook.Erasure
	// An empty body, or all with a narrower field, erases nothing.
	acme.problem(http.StatusBadRequest, "invalid-request", http.MethodPost, "/erasures", map[string]any{}, manage.ExpectInvalid, "1")
	acme.problem(http.StatusBadRequest, "invalid-request", http.MethodPost, "/erasures", map[string]any{"all": true, "webhook_id": w.ID}, manage.ExpectInvalid, "1")
	acme.ok(http.StatusOK, &letters, http.MethodGet, "/dead-letters", nil)
	require.Len(t, letters.DeadLetters, 4, "nothing erased")
	acme.ok(http.StatusOK, &er, http.MethodPost, "/erasures", map[string]any{"webhook_id": w.ID})
	require.Equal(t, int64(4), er.DeadLetters)
	require.Equal(t, w.ID, er.WebhookID)
	require.NotEmpty(t, er.Actor)
	acme.ok(http.StatusOK, &letters, http.MethodGet, "/dead-letters", nil)
	require.Empty(t, letters.DeadLetters)
	acme.problem(http.StatusBadRequest, "invalid-request", http.MethodPost, "/erasures", map[string]any{"tenant": "globex"}, manage.ExpectInvalid, "1")

	var list struct {
		Erasures []webhook.Erasure `json:"erasures"`
	}
	acme.ok(http.StatusOK, &list, http.MethodGet, "/erasures", nil)
	require.Len(t, list.Erasures, 1)
	require.Equal(t, er.ID, list.Erasures[0].ID)
	globex.ok(http.StatusOK, &list, http.MethodGet, "/erasures", nil)
	require.Empty(t, list.Erasures)
	globex.ok(http.StatusOK, &letters, http.MethodGet, "/dead-letters", nil)
	require.Len(t, letters.DeadLetters, 10, "another tenant's are left")
}
