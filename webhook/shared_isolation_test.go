package webhook_test

import (
	"context"
	"io"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/accessrequest"
	"github.com/outhook/outhook/webhook"
)

// Webhooks of two tenants with the same response validator share its
// compiled form; what one tenant's invocation record holds of it is the
// record's own, so that code handling that record (sorting or editing the
// expected values, say) changes nothing of another tenant's deliveries.
func TestInvocationRecordsShareNothingWithOtherWebhooks(t *testing.T) {
	rc := newReceiver(t, func(_ int, w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"status":"accepted"}`)
	})
	d, invs := newDispatcher(t)
	ctx := context.Background()
	for _, tenant := range []string{"acme", "globex"} {
		w := torqLike(rc.URL)
		w.ResponseValidators = []webhook.ResponseValidator{{JSONPath: "$.data.status", ExpectedValues: []string{"accepted", "queued"}}}
		_, err := d.Tenant(tenant).Create(ctx, w, "test")
		require.NoError(t, err)
	}

	_, err := d.Tenant("acme").Publish(ctx, mock(t, accessrequest.Created))
	require.NoError(t, err)
	inv := waitFinal(t, invs, 1)[0]
	require.Equal(t, webhook.Delivered, inv.Outcome, inv.Reason)
	require.Equal(t, []string{"accepted", "queued"}, inv.Validation[0].Expected)
	inv.Validation[0].Expected[0] = "edited by acme's handler"

	_, err = d.Tenant("globex").Publish(ctx, mock(t, accessrequest.Created))
	require.NoError(t, err)
	inv = waitFinal(t, invs, 1)[0]
	require.Equal(t, "globex", inv.Tenant)
	require.Equal(t, webhook.Delivered, inv.Outcome, inv.Reason)
	require.Equal(t, []string{"accepted", "queued"}, inv.Validation[0].Expected)
}
