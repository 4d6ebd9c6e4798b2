package manage_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/manage"
	"github.com/outhook/outhook/webhook"
)

// TestAnIntegerMayBeWrittenAsAnyIntegralNumber: JSON Schema takes 30.0
// and 2e0 as integers, and so do the encoders that write every number
// with a decimal point (Python's json of a float); encoding/json alone
// refuses them for an int. The document allows them, so the API takes
// them, and refuses a number with a fraction, naming the member.
func TestAnIntegerMayBeWrittenAsAnyIntegralNumber(t *testing.T) {
	s := newService(t, nil)
	acme := s.as("acme")
	body := `{"id": "n", "name": "n", "url": "` + s.rc.URL + `/n", "triggers": ["RequestCreated"], "timeout_in_sec": 30.0,
		"delivery": {"concurrency": 2e0, "queue_size": 1.5e1, "retry": {"max_attempts": 3.00}}}`
	var w webhook.Webhook
	acme.ok(http.StatusCreated, &w, http.MethodPost, "/webhooks", body)
	require.Equal(t, 30, w.TimeoutInSec)
	require.Equal(t, 2, w.Delivery.Concurrency)
	require.Equal(t, 15, w.Delivery.QueueSize)
	require.Equal(t, 3, w.Delivery.Retry.MaxAttempts)

	w.Name = "n2"
	acme.ok(http.StatusOK, &w, http.MethodPut, "/webhooks/n", `{"version": 1.0, "name": "n2", "url": "`+s.rc.URL+`/n", "triggers": ["RequestCreated"]}`, "If-Match", `"1"`)
	require.EqualValues(t, 2, w.Version)

	for _, tc := range []struct{ number, field string }{
		{"30.5", "timeout_in_sec"},
		{"1e400", "timeout_in_sec"},
		{"-0.5", "timeout_in_sec"},
	} {
		p := acme.problem(http.StatusBadRequest, "invalid-request", http.MethodPost, "/webhooks",
			`{"name": "m", "url": "`+s.rc.URL+`/m", "triggers": ["RequestCreated"], "timeout_in_sec": `+tc.number+`}`, manage.ExpectInvalid, "1")
		require.Len(t, p.Errors, 1)
		require.Equal(t, tc.field, p.Errors[0].Field, tc.number)
	}

	// So is a page's limit.
	acme.ok(http.StatusOK, nil, http.MethodGet, "/webhooks?limit=1e1", nil)
	acme.ok(http.StatusOK, nil, http.MethodGet, "/invocations?limit=20.0", nil)
	p := acme.problem(http.StatusBadRequest, "invalid-request", http.MethodGet, "/webhooks?limit=2.5", nil, manage.ExpectInvalid, "1")
	require.Equal(t, "limit", p.Errors[0].Field)
}
