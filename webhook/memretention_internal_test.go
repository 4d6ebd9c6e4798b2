package webhook

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// Retention that deletes every record of a tenant leaves nothing of the
// tenant behind: a service whose tenants come and go does not keep a map
// per tenant that ever recorded.
func TestRetentionForgetsTenantsWithNoRecordLeft(t *testing.T) {
	now := time.Date(2026, 12, 5, 12, 0, 0, 0, time.UTC)
	s := NewMemoryStore(0, 0)
	ctx := context.Background()
	for i := range 100 {
		tenant := fmt.Sprint("tenant-", i)
		require.NoError(t, s.Record(ctx, Invocation{ID: tenant, Tenant: tenant, WebhookID: "h", Outcome: Filtered, StartedAt: now.Add(-2 * time.Hour)}))
	}
	require.NoError(t, s.Record(ctx, Invocation{ID: "kept", Tenant: "kept", WebhookID: "h", Outcome: Filtered, StartedAt: now}))
	pruned, err := s.Enforce(ctx, Retention{RecordAge: time.Hour, Now: func() time.Time { return now }})
	require.NoError(t, err)
	require.Equal(t, int64(100), pruned.Invocations)
	s.mu.Lock()
	defer s.mu.Unlock()
	require.Len(t, s.records, 1, "the tenants whose records all went")
	require.Contains(t, s.records, "kept")
}
