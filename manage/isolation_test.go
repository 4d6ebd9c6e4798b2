package manage_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/manage"
	"github.com/outhook/outhook/webhook"
)

// TestATenantSeesNothingOfAnother gives tenant acme a webhook, records and
// a dead letter, then calls every operation of the document as tenant
// globex, with acme's ids wherever an operation takes one: each must
// answer as if acme did not exist, show nothing of acme's, and change
// nothing of acme's.
func TestATenantSeesNothingOfAnother(t *testing.T) {
	s := newService(t, nil)
	acme, globex := s.as("acme"), s.as("globex")

	def := s.hook("Shared name")
	def["id"] = "a-hook"
	def["url"] = s.rc.URL + "/acme-endpoint"
	def["headers"] = map[string]string{"Authorization": "Bearer acme-token"}
	acme.ok(http.StatusCreated, nil, http.MethodPost, "/webhooks", def)
	acme.ok(http.StatusOK, nil, http.MethodPost, "/webhooks/a-hook/test", map[string]any{})
	s.rc.status.Store(http.StatusInternalServerError)
	dl := publishDeadLetter(t, s, "acme")
	s.rc.status.Store(0)
	since := time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)

	mine := s.hook("Shared name") // globex may use the same name
	mine["id"] = "g-hook"
	// A draft with acme's id and its secret sent back masked borrows
	// nothing: the id is no webhook of globex's, so no stored secret
	// stands behind the mask, and the test is refused as a create would
	// be (422 naming the header) rather than sending the mask itself as
	// the Authorization header.
	borrow := s.hook("Shared name")
	borrow["id"] = "a-hook"
	borrow["headers"] = map[string]string{"Authorization": "REDACTED"}
	cases := []struct {
		op     string // as in the document
		path   string
		body   any
		header []string
		status int
	}{
		{"GET /openapi.json", "/openapi.json", nil, nil, http.StatusOK},
		{"GET /webhooks", "/webhooks", nil, nil, http.StatusOK},
		{"GET /webhooks/{id}", "/webhooks/a-hook", nil, nil, http.StatusNotFound},
		{"PUT /webhooks/{id}", "/webhooks/a-hook", def, []string{"If-Match", "*"}, http.StatusNotFound},
		{"DELETE /webhooks/{id}", "/webhooks/a-hook", nil, []string{"If-Match", "*"}, http.StatusNotFound},
		{"POST /webhooks/{id}/activate", "/webhooks/a-hook/activate", nil, []string{"If-Match", "*"}, http.StatusNotFound},
		{"POST /webhooks/{id}/deactivate", "/webhooks/a-hook/deactivate", nil, []string{"If-Match", "*"}, http.StatusNotFound},
		{"GET /webhooks/{id}/history", "/webhooks/a-hook/history", nil, nil, http.StatusNotFound},
		{"POST /webhooks/{id}/test", "/webhooks/a-hook/test", map[string]any{}, nil, http.StatusNotFound},
		{"POST /webhooks/{id}/gate", "/webhooks/a-hook/gate", map[string]any{"trigger": "RequestCreated"}, nil, http.StatusNotFound},
		{"GET /webhooks/{id}/breaker", "/webhooks/a-hook/breaker", nil, nil, http.StatusNotFound},
		{"POST /webhooks/{id}/breaker/reset", "/webhooks/a-hook/breaker/reset", nil, nil, http.StatusNotFound},
		{"GET /webhooks/{id}/summary", "/webhooks/a-hook/summary", nil, nil, http.StatusNotFound},
		{"GET /summaries", "/summaries?id=a-hook", nil, nil, http.StatusNotFound},
		{"POST /webhooks/{id}/recover", "/webhooks/a-hook/recover", map[string]any{"since": since}, nil, http.StatusNotFound},
		{"POST /validate", "/validate", def, nil, http.StatusOK},
		{"POST /test", "/test", map[string]any{"webhook": borrow}, nil, http.StatusUnprocessableEntity},
		{"POST /preview", "/preview", map[string]any{"body_template": "{}", "trigger": "RequestCreated"}, nil, http.StatusOK},
		{"GET /event-types", "/event-types", nil, nil, http.StatusOK},
		{"GET /event-types/{trigger}", "/event-types/RequestCreated", nil, nil, http.StatusOK},
		{"GET /invocations", "/invocations", nil, nil, http.StatusOK},
		{"GET /invocations", "/invocations?webhook_id=a-hook", nil, nil, http.StatusOK},
		{"GET /dead-letters", "/dead-letters", nil, nil, http.StatusOK},
		{"GET /dead-letters", "/dead-letters?webhook_id=a-hook", nil, nil, http.StatusOK},
		{"POST /dead-letters/{delivery_id}/redeliver", "/dead-letters/" + dl.DeliveryID + "/redeliver", nil, nil, http.StatusNotFound},
		{"POST /webhooks/{id}/dead-letters/discard", "/webhooks/a-hook/dead-letters/discard", map[string]any{}, nil, http.StatusOK},
		{"POST /erasures", "/erasures", map[string]any{"webhook_id": "a-hook"}, nil, http.StatusOK},
		{"POST /erasures", "/erasures", map[string]any{"all": true}, nil, http.StatusOK},
		{"GET /erasures", "/erasures", nil, nil, http.StatusOK},
		{"POST /webhooks", "/webhooks", mine, nil, http.StatusCreated},
	}
	covered := map[string]bool{}
	for _, tc := range cases {
		method, _, _ := strings.Cut(tc.op, " ")
		resp, raw := globex.do(method, tc.path, tc.body, tc.header...)
		require.Equal(t, tc.status, resp.StatusCode, "%s %s: %s", method, tc.path, raw)
		require.NotContains(t, strings.ToLower(string(raw)), "acme", "%s %s shows acme's", method, tc.path)
		covered[tc.op] = true
	}
	for _, op := range manage.Operations() {
		require.True(t, covered[op], "%s is not in the table", op)
	}

	// Nothing of acme's changed, and globex's lists show only its own.
	var w webhook.Webhook
	acme.ok(http.StatusOK, &w, http.MethodGet, "/webhooks/a-hook", nil)
	require.EqualValues(t, 1, w.Version)
	require.True(t, w.Active)
	var letters struct {
		DeadLetters []webhook.DeadLetter `json:"dead_letters"`
	}
	acme.ok(http.StatusOK, &letters, http.MethodGet, "/dead-letters", nil)
	require.Len(t, letters.DeadLetters, 1)
	var list struct {
		Webhooks []json.RawMessage `json:"webhooks"`
	}
	globex.ok(http.StatusOK, &list, http.MethodGet, "/webhooks", nil)
	require.Len(t, list.Webhooks, 1)
	reqs, _ := s.rc.requests()
	for _, r := range reqs {
		if r.Header.Get("Authorization") != "" {
			require.Equal(t, "/acme-endpoint", r.URL.Path, "a header went to a draft of globex's")
		}
	}
}
