package webhook_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/accessrequest"
	"github.com/outhook/outhook/event"
	"github.com/outhook/outhook/webhook"
	"github.com/outhook/outhook/webhooktest"
)

// Some targets take their token as the whole query, with no key
// (https://x.example/hook?a1b2c3): it is a query token like any other.
func TestBareQueryTokenIsRedacted(t *testing.T) {
	const token = "tk9f2c81d07e5a4b66"
	got := make(chan string, 4)
	echo := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got <- r.URL.RawQuery
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"seen":%q}`, r.URL.String())
	}))
	defer echo.Close()
	d := webhooktest.NewDispatcher(t)
	w := webhook.Webhook{Name: "bare", Active: true, URL: echo.URL + "/hook?" + token, Triggers: []event.Trigger{accessrequest.Created},
		ResponseValidators: []webhook.ResponseValidator{{JSONPath: "$.seen"}}}

	inv, err := d.Test(context.Background(), w, accessrequest.Created)
	require.NoError(t, err)
	require.Equal(t, webhook.Delivered, inv.Outcome, inv.Reason)
	require.Equal(t, token, <-got, "the token is sent")
	record, err := json.Marshal(inv)
	require.NoError(t, err)
	require.NotContains(t, string(record), token)
	require.Contains(t, inv.Request.URL, "/hook?REDACTED")
	require.NotContains(t, fmt.Sprint(w), token)

	// A tenant is shown the URL masked, and an update that sends it back
	// masked keeps the token.
	acme := d.Tenant("acme")
	created, err := acme.Create(context.Background(), w, "alice")
	require.NoError(t, err)
	require.NotContains(t, created.URL, token)
	created.TimeoutInSec = 5
	_, err = acme.Update(context.Background(), created, "alice")
	require.NoError(t, err)
	e, _ := accessrequest.Mock(accessrequest.Created)
	_, err = acme.Publish(context.Background(), e)
	require.NoError(t, err)
	require.Equal(t, token, <-got, "the update kept the token")
	final := d.WaitFinal(1)[0]
	require.Equal(t, webhook.Delivered, final.Outcome, final.Reason)
}

func TestBareQueryTokenIsRedactedInATemplatedURL(t *testing.T) {
	const token = "tk51d0a9e3c7b24f18"
	got := make(chan string, 4)
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { got <- r.URL.RawQuery }))
	defer rcv.Close()
	d := webhooktest.NewDispatcher(t)
	w := webhook.Webhook{Name: "bare", Active: true, URL: rcv.URL + "/{{data.friendly_id}}?" + token + "&{{data.id}}", Triggers: []event.Trigger{accessrequest.Created}}
	require.NotContains(t, fmt.Sprint(w), token)
	require.Contains(t, fmt.Sprint(w), "{{data.friendly_id}}?REDACTED\\u0026{{data.id}}")

	acme := d.Tenant("acme")
	created, err := acme.Create(context.Background(), w, "alice")
	require.NoError(t, err)
	require.NotContains(t, created.URL, token)
	created.TimeoutInSec = 5
	_, err = acme.Update(context.Background(), created, "alice")
	require.NoError(t, err)
	e, _ := accessrequest.Mock(accessrequest.Created)
	_, err = acme.Publish(context.Background(), e)
	require.NoError(t, err)
	require.Equal(t, token+"&3b7e9d14-6c2a-4f81-a0d5-7e19c4b2f863", <-got, "the update kept the token")
	final := d.WaitFinal(1)[0]
	require.Equal(t, webhook.Delivered, final.Outcome, final.Reason)
}
