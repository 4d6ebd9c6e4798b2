package riverengine_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/webhook"
)

// An erasure reaches the jobs of deliveries already made, whose River
// rows keep the event until River's cleaner deletes them (a day after
// completion, by default): those the selector picks go, another tenant's
// and other events' stay, and none counts as a queued delivery erased.
func TestEraseDeletesFinishedJobs(t *testing.T) {
	eachSharedDatabase(t, func(t *testing.T, db sharedDatabase) {
		ctx := context.Background()
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
		t.Cleanup(srv.Close)
		a := startInstance(t, db, testKeyring(t), "a", instanceConfig{})
		acme, globex := a.d.Tenant("acme"), a.d.Tenant("globex")
		for _, tn := range []*webhook.Tenant{acme, globex} {
			for _, id := range []string{"h", "g"} {
				_, err := tn.Create(ctx, hook(id, srv.URL), "alice")
				require.NoError(t, err)
			}
			for i := range 5 {
				_, err := tn.Publish(ctx, newEvent(t, i))
				require.NoError(t, err)
			}
		}
		completed := func() int {
			states, err := db.jobs(ctx)
			require.NoError(t, err)
			return states["completed"]
		}
		eventually(t, 20*time.Second, "every delivery made", func() bool { return completed() == 20 })

		er, err := acme.Erase(ctx, webhook.EraseSelector{EventID: "e-2"}, "dpo")
		require.NoError(t, err)
		require.Zero(t, er.Deliveries, "none was queued")
		require.Equal(t, 18, completed(), "acme's two jobs of e-2 go, globex's stay")
		_, err = acme.Erase(ctx, webhook.EraseSelector{WebhookID: "h"}, "dpo")
		require.NoError(t, err)
		require.Equal(t, 14, completed(), "acme's h's other four go")
		_, err = globex.Erase(ctx, webhook.EraseSelector{All: true}, "dpo")
		require.NoError(t, err)
		require.Equal(t, 4, completed(), "acme's g's four stay")
	})
}
