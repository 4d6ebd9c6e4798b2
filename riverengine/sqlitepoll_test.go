package riverengine_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/webhook"
)

// SQLite has no notifications: a delivery snoozed over its webhook's
// concurrency is fetched at the next poll, which on SQLite comes every
// 100 ms by default (DefaultSQLitePollInterval), not every second: a
// backlog to a webhook of concurrency 1, snoozed and fetched again in
// rounds, is delivered in a few of them.
func TestSQLiteBacklogIsPolledOften(t *testing.T) {
	_, eng := newSQLiteEngine(t)
	rc := newReceiver(t, time.Millisecond, nil)
	d, err := webhook.New(dispatcherOptions(eng)...)
	require.NoError(t, err)
	closeDispatcher(t, d)
	h := hook("one", rc.URL)
	h.Delivery = &webhook.DeliverySettings{Concurrency: 1}
	_, err = d.Add(h)
	require.NoError(t, err)

	const events = 60
	start := time.Now()
	for n := range events {
		_, err := d.Publish(context.Background(), newEvent(t, n))
		require.NoError(t, err)
	}
	eventually(t, time.Minute, "every delivery", func() bool { n, _ := rc.pairs(); return n == events })
	took := time.Since(start)
	t.Logf("%d deliveries at concurrency 1 in %s", events, took.Round(time.Millisecond))
	require.Less(t, took, 8*time.Second)
}
