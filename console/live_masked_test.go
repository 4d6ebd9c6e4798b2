package console_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
)

// The live check of an edit form, its header shown masked, checks it as
// Save (an update, which keeps the stored value) would: valid. The same
// form as a new webhook, with nothing stored behind the mask, is not.
func TestTheLiveCheckOfAnEditFormKeepsItsMasks(t *testing.T) {
	s := newSite(t)
	status, _, _ := s.do(t, "acme", http.MethodPost, "/webhooks/new", s.torqForm("torq-acme", "tok"))
	require.Equal(t, http.StatusSeeOther, status)
	page, err := s.d.Tenant("acme").List(context.Background(), webhookListAll)
	require.NoError(t, err)
	w := page.Webhooks[0]

	form := s.torqForm("torq-acme", "")
	form.Set("id", w.ID)
	form.Set("headers.0.value", w.Headers["Authorization"])
	status, _, body := s.do(t, "acme", http.MethodPost, "/live/validate", form)
	require.Equal(t, http.StatusOK, status)
	require.Contains(t, body, `"ok":true`)

	form.Del("id")
	form.Set("name", "torq-copy")
	_, _, body = s.do(t, "acme", http.MethodPost, "/live/validate", form)
	require.Contains(t, body, `"ok":false`)
	require.Contains(t, body, "headers.Authorization")
}
