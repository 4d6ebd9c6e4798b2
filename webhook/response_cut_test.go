package webhook_test

import (
	"context"
	"math"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/accessrequest"
	"github.com/outhook/outhook/webhook"
)

// A receiver that echoes the request's Authorization header and drops the
// connection in the middle of the token: the record keeps what was read,
// and not the token's start, which the end of a body cut short may be.
func TestResponseCutMidSecretKeepsNoPartOfIt(t *testing.T) {
	const token = "s3cr3t-token"
	rc := newReceiver(t, func(n int, w http.ResponseWriter, r *http.Request) {
		echo := `{"echo":"` + r.Header.Get("Authorization") + `"}`
		cut := strings.Index(echo, token) + len(token) - 3 // "s3cr3t-to"
		w.Header().Set("Content-Length", strconv.Itoa(len(echo)))
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write([]byte(echo[:cut]))
		w.(http.Flusher).Flush()
		conn, _, err := http.NewResponseController(w).Hijack()
		if err == nil {
			conn.Close()
		}
	})
	d, invs := newDispatcher(t)
	_, err := d.Add(torqLike(rc.URL))
	require.NoError(t, err)
	_, err = d.Publish(context.Background(), mock(t, accessrequest.Created))
	require.NoError(t, err)
	inv := waitFinal(t, invs, 1)[0]
	require.Equal(t, webhook.Failed, inv.Outcome)
	require.Contains(t, inv.Reason, "reading the response body")
	require.NotNil(t, inv.Response)
	require.Equal(t, `{"echo":"REDACTED`, inv.Response.Body)
	require.NotContains(t, inv.Response.Body, token[:len(token)-3], "the record keeps the start of the token")
}

// A receiver announcing the largest Content-Length there is, and sending a
// few bytes, fails the attempt with what it read: the announced length
// sizes no buffer.
func TestResponseAnnouncingTheLargestLength(t *testing.T) {
	rc := newReceiver(t, func(n int, w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "9223372036854775807")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write([]byte(`{"ok":true}`))
	})
	d, invs := newDispatcher(t)
	h := torqLike(rc.URL)
	h.ResponseValidators = []webhook.ResponseValidator{{JSONPath: "$.ok"}}
	_, err := d.Add(h)
	require.NoError(t, err)
	_, err = d.Publish(context.Background(), mock(t, accessrequest.Created))
	require.NoError(t, err)
	inv := waitFinal(t, invs, 1)[0]
	require.Equal(t, webhook.Failed, inv.Outcome)
	require.Contains(t, inv.Reason, "reading the response body")
	require.Equal(t, `{"ok":true}`, inv.Response.Body)
}

// A Dispatcher told to keep responses of any length keeps them whole.
func TestMaxResponseBytesOfTheLargestLength(t *testing.T) {
	rc := newReceiver(t, func(n int, w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(`{"ok":true}`))
	})
	d, invs := newDispatcher(t, webhook.WithMaxResponseBytes(math.MaxInt64))
	_, err := d.Add(torqLike(rc.URL))
	require.NoError(t, err)
	_, err = d.Publish(context.Background(), mock(t, accessrequest.Created))
	require.NoError(t, err)
	inv := waitFinal(t, invs, 1)[0]
	require.Equal(t, webhook.Delivered, inv.Outcome, inv.Reason)
	require.Equal(t, `{"ok":true}`, inv.Response.Body)
	require.False(t, inv.Response.BodyTruncated)
}

// What a validator found in a large answer is kept in the record no
// further than the body is, WithMaxResponseBytes: the validators read up
// to a megabyte, and a path to the whole of it would otherwise make every
// record of a hostile receiver hold that much.
func TestValidationFoundIsCutAsTheBodyIs(t *testing.T) {
	const limit = 1000
	big := `{"items":["` + strings.Repeat("é", 100_000) + `"]}`
	rc := newReceiver(t, func(n int, w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Big", strings.Repeat("y", 50_000))
		_, _ = w.Write([]byte(big))
	})
	d, invs := newDispatcher(t, webhook.WithMaxResponseBytes(limit))
	w := torqLike(rc.URL)
	w.ResponseValidators = []webhook.ResponseValidator{
		{JSONPath: "$.data.items", ExpectedValues: []string{"nope"}},
		{Header: "X-Big", ExpectedValues: []string{"nope"}},
		{JSONPath: "$.data.items[0]"},
	}
	_, err := d.Add(w)
	require.NoError(t, err)
	_, err = d.Publish(context.Background(), mock(t, accessrequest.Created))
	require.NoError(t, err)
	inv := waitFinal(t, invs, 1)[0]
	require.Equal(t, webhook.ValidationFailed, inv.Outcome, inv.Reason)
	require.Len(t, inv.Validation, 3)
	for _, res := range inv.Validation {
		require.LessOrEqual(t, len(res.Found), limit+len("…"), res.Validator)
		require.True(t, strings.HasSuffix(res.Found, "…"), "%s: a cut value says it is cut: %q", res.Validator, res.Found[len(res.Found)-10:])
		require.True(t, utf8.ValidString(res.Found), "%s: cut inside a character", res.Validator)
	}
	require.True(t, inv.Validation[2].Passed, "the cut is the record's: the validator compared the whole value")
}
