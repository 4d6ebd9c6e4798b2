package webhook_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/accessrequest"
	"github.com/outhook/outhook/validate"
	"github.com/outhook/outhook/webhook"
)

// TestResponseErrorIsBoundedByItsPath answers with JSON that is broken
// under a long key, deep down: the validator's error names where, but no
// more of the response than the record keeps of its body.
func TestResponseErrorIsBoundedByItsPath(t *testing.T) {
	body := strings.Repeat(`{"`+strings.Repeat("a-", 100)+`":`, 1002)
	rc := newReceiver(t, func(_ int, w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, body) })
	d, invs := newDispatcher(t, webhook.WithMaxResponseBytes(1024))
	w := torqLike(rc.URL)
	w.ResponseValidators = []webhook.ResponseValidator{{JSONPath: "$.status"}}
	_, err := d.Add(w)
	require.NoError(t, err)
	_, err = d.Publish(context.Background(), mock(t, accessrequest.Created))
	require.NoError(t, err)
	inv := waitFinal(t, invs, 1)[0]
	require.Equal(t, webhook.ValidationFailed, inv.Outcome, inv.Reason)
	require.ErrorIs(t, inv.Validation[0].Err, validate.ErrNotJSON)
	require.Contains(t, inv.Validation[0].Err.Error(), "nesting deeper than")
	require.Less(t, len(inv.Validation[0].Err.Error()), 4096, "%.300s", inv.Validation[0].Err)
}
