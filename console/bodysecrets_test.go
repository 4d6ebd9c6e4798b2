package console_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/accessrequest"
	"github.com/outhook/outhook/presets"
	"github.com/outhook/outhook/webhook"
)

// TestBodySecretsShowMaskedAndAreKept edits a PagerDuty webhook, whose
// routing key is a body secret, in the console: no page shows the key,
// the form sent back as shown keeps it, and a key typed into a refused
// form does not come back in the page.
func TestBodySecretsShowMaskedAndAreKept(t *testing.T) {
	const key = "R0UT1NGKEY0123456789abcdefABCDEF"
	s := newSite(t)
	w, err := presets.PagerDuty("https://events.pagerduty.com/v2/enqueue", key, presets.WithBaseURL(s.receiver.URL))
	require.NoError(t, err)
	created, err := s.d.Tenant("acme").Create(context.Background(), w, "admin@acme")
	require.NoError(t, err)
	_, err = s.d.Tenant("acme").Publish(context.Background(), mustMock(t, accessrequest.Created))
	require.NoError(t, err)
	require.Eventually(t, func() bool { // the record is written once the answer is read
		page, err := s.d.Tenant("acme").Invocations(context.Background(), webhook.InvocationQuery{})
		return err == nil && len(page.Invocations) == 1 && page.Invocations[0].Outcome == webhook.Delivered
	}, 10*time.Second, 5*time.Millisecond)

	var pages []string
	for _, path := range []string{"/", "/webhooks/" + created.ID, "/invocations", "/invocations?webhook=" + created.ID} {
		status, _, page := s.do(t, "acme", http.MethodGet, path, nil)
		require.Equal(t, http.StatusOK, status, path)
		pages = append(pages, page)
	}
	require.Contains(t, pages[3], "routing_key&#34;: &#34;REDACTED", "the record's body shows where the key went")
	require.Contains(t, pages[1], `name="secrets.0.key" value="routing_key"`)
	require.Contains(t, pages[1], `name="secrets.0.value" type="password" value="REDACTED"`)

	form := formOfPage(t, pages[1])
	form.Set("name", "pagerduty-renamed")
	status, _, body := s.do(t, "acme", http.MethodPost, "/webhooks/"+created.ID, form)
	require.Equal(t, http.StatusSeeOther, status, body)
	_, err = s.d.Tenant("acme").Test(context.Background(), created.ID, mustMock(t, accessrequest.Created))
	require.NoError(t, err)
	reqs := s.receiver.Requests()
	require.Contains(t, reqs[len(reqs)-1].Body, `"routing_key": "`+key+`"`, "the stored key was kept")

	form.Set("name", "bad name!")
	form.Set("secrets.0.value", "typed-N3WKEY-value")
	status, _, body = s.do(t, "acme", http.MethodPost, "/webhooks/"+created.ID, form)
	require.Equal(t, http.StatusUnprocessableEntity, status)
	pages = append(pages, body)
	require.NotContains(t, body, "typed-N3WKEY-value")
	for _, page := range pages {
		require.False(t, strings.Contains(page, key), "a page shows the routing key")
	}
}
