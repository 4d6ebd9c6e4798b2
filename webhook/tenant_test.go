package webhook_test

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/accessrequest"
	"github.com/outhook/outhook/defstore"
	"github.com/outhook/outhook/event"
	"github.com/outhook/outhook/keyring"
	"github.com/outhook/outhook/webhook"
)

// tenantHook is a webhook of a tenant that sends to rc under path.
func tenantHook(rc *receiver, name string, triggers ...event.Trigger) webhook.Webhook {
	return webhook.Webhook{
		Name: name, Active: true, URL: rc.URL + "/" + strings.ReplaceAll(name, " ", "_"),
		Triggers: triggers,
	}
}

// TestTenantIsolationProperty publishes random events of random tenants to
// random webhooks, and checks that each event reached exactly the webhooks
// of its own tenant that subscribe to its type, whatever ids and names the
// tenants chose (the same ones in several tenants included).
func TestTenantIsolationProperty(t *testing.T) {
	for seed := range uint64(8) {
		t.Run(fmt.Sprint("seed=", seed), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, 16))
			rc := newReceiver(t, nil)
			d, _ := newDispatcher(t)
			ctx := context.Background()
			tenants := []string{"", "acme", "globex", "initech", "ümlaut tenant", "a/b", "1:x"}
			triggers := accessrequest.Triggers()
			// want[tenant][trigger] lists the paths of the webhooks that
			// must get an event of that tenant and type.
			want := map[string]map[event.Trigger][]string{}
			for i := range 30 {
				tenant := tenants[rng.IntN(len(tenants))]
				// Ids and names repeat across tenants on purpose.
				id := fmt.Sprintf("hook-%d", rng.IntN(6))
				name := fmt.Sprintf("hook %d", i)
				// Two triggers, never the same twice, which is refused.
				first := rng.IntN(len(triggers))
				second := (first + 1 + rng.IntN(len(triggers)-1)) % len(triggers)
				trs := []event.Trigger{triggers[first], triggers[second]}
				w := tenantHook(rc, name, trs...)
				w.ID = id
				w.URL = fmt.Sprintf("%s/%d/%s", rc.URL, i, id)
				if _, err := d.Tenant(tenant).Create(ctx, w, "test"); err != nil {
					require.ErrorIs(t, err, webhook.ErrDuplicateID, "the only refusal: an id taken in the same tenant")
					continue
				}
				if want[tenant] == nil {
					want[tenant] = map[event.Trigger][]string{}
				}
				for _, tr := range distinct(trs) {
					want[tenant][tr] = append(want[tenant][tr], fmt.Sprintf("/%d/%s", i, id))
				}
			}
			expected := map[string]int{} // path -> deliveries
			for n := range 40 {
				tenant := tenants[rng.IntN(len(tenants))]
				tr := triggers[rng.IntN(len(triggers))]
				e, err := event.New(tr, map[string]any{"n": n}, event.WithID(fmt.Sprint("ev-", n)))
				require.NoError(t, err)
				pub, err := d.Tenant(tenant).Publish(ctx, e)
				require.NoError(t, err)
				require.Len(t, pub.Deliveries, len(want[tenant][tr]), "tenant %q, %s", tenant, tr)
				for _, p := range want[tenant][tr] {
					expected[p]++
				}
			}
			total := 0
			for _, n := range expected {
				total += n
			}
			require.Eventually(t, func() bool { return len(rc.got()) == total }, 10*time.Second, 5*time.Millisecond)
			got := map[string]int{}
			for _, r := range rc.got() {
				got[r.path]++
			}
			require.Equal(t, expected, got)
		})
	}
}

func distinct(ts []event.Trigger) []event.Trigger {
	var out []event.Trigger
	for _, t := range ts {
		dup := false
		for _, o := range out {
			dup = dup || o == t
		}
		if !dup {
			out = append(out, t)
		}
	}
	return out
}

// TestTenantRefusesAnotherTenantsWebhook checks every call that names a
// webhook or a delivery: another tenant's is not found, and nothing of it
// changes.
func TestTenantRefusesAnotherTenantsWebhook(t *testing.T) {
	rc := newReceiver(t, nil)
	d, _ := newDispatcher(t)
	ctx := context.Background()
	a, b := d.Tenant("a"), d.Tenant("b")
	w := tenantHook(rc, "only a", accessrequest.Created)
	w.Headers = map[string]string{"Authorization": "Bearer secret-of-a"}
	mine, err := a.Create(ctx, w, "alice")
	require.NoError(t, err)

	_, err = b.Get(ctx, mine.ID)
	require.ErrorIs(t, err, webhook.ErrNotFound)
	_, err = b.Update(ctx, webhook.Webhook{ID: mine.ID, Name: "stolen", Active: true, URL: rc.URL, Triggers: []event.Trigger{accessrequest.Created}}, "mallory")
	require.ErrorIs(t, err, webhook.ErrNotFound)
	_, err = b.SetActive(ctx, mine.ID, false, 0, "mallory")
	require.ErrorIs(t, err, webhook.ErrNotFound)
	require.ErrorIs(t, b.Delete(ctx, mine.ID, 0, "mallory"), webhook.ErrNotFound)
	_, err = b.Test(ctx, mine.ID, mustMock(t, accessrequest.Created))
	require.ErrorIs(t, err, webhook.ErrNotFound)
	_, err = b.Breaker(mine.ID)
	require.ErrorIs(t, err, webhook.ErrNotFound)
	require.ErrorIs(t, b.ResetBreaker(mine.ID), webhook.ErrNotFound)
	_, err = b.History(ctx, mine.ID, 0)
	require.ErrorIs(t, err, webhook.ErrNotFound)
	page, err := b.List(ctx, defstore.ListOptions{})
	require.NoError(t, err)
	require.Empty(t, page.Webhooks)
	// TestDefinition with a's id takes no secret of a's.
	leak := newReceiver(t, nil)
	probe := webhook.Webhook{ID: mine.ID, Name: "probe", Active: true, URL: leak.URL, Triggers: []event.Trigger{accessrequest.Created}}
	_, err = b.TestDefinition(ctx, probe, mustMock(t, accessrequest.Created))
	require.NoError(t, err)
	require.Len(t, leak.got(), 1)
	require.Empty(t, leak.got()[0].header.Get("Authorization"))

	got, err := a.Get(ctx, mine.ID)
	require.NoError(t, err)
	require.Equal(t, "only a", got.Name)
	require.True(t, got.Active)
	require.Equal(t, int64(1), got.Version)
}

// TestTenantSecretsAreWriteOnly checks that a tenant's webhooks come back
// masked, that an update may leave the masks (or omit the secrets) and
// keeps the secrets, and that deliveries still send them.
func TestTenantSecretsAreWriteOnly(t *testing.T) {
	rc := newReceiver(t, nil)
	d, _ := newDispatcher(t)
	ctx := context.Background()
	ten := d.Tenant("acme")
	w := tenantHook(rc, "secretive", accessrequest.Created)
	w.Headers = map[string]string{"Authorization": "Bearer s3cr3t-token", "X-Team": "t-9f8e7d"}
	w.SigningSecrets = []string{"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}
	created, err := ten.Create(ctx, w, "alice")
	require.NoError(t, err)
	shown := fmt.Sprintf("%#v", created)
	for _, secret := range []string{"s3cr3t-token", "t-9f8e7d", "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"} {
		require.NotContains(t, shown, secret)
	}

	got, err := ten.Get(ctx, created.ID)
	require.NoError(t, err)
	require.NotContains(t, got.Headers["Authorization"], "s3cr3t")
	// Edit the name only, sending back what Get showed.
	got.Name = "renamed"
	updated, err := ten.Update(ctx, got, "bob")
	require.NoError(t, err)
	require.Equal(t, int64(2), updated.Version)
	// And omit the secrets entirely.
	updated.Headers, updated.SigningSecrets = nil, nil
	updated.Name = "renamed again"
	_, err = ten.Update(ctx, updated, "bob")
	require.NoError(t, err)

	_, err = ten.Publish(ctx, mustMock(t, accessrequest.Created))
	require.NoError(t, err)
	require.Eventually(t, func() bool { return len(rc.got()) == 1 }, 5*time.Second, 5*time.Millisecond)
	sent := rc.got()[0].header
	require.Equal(t, "Bearer s3cr3t-token", sent.Get("Authorization"))
	require.Equal(t, "t-9f8e7d", sent.Get("X-Team"))
	require.NotEmpty(t, sent.Get("webhook-signature"))

	revs, err := ten.History(ctx, created.ID, 0)
	require.NoError(t, err)
	require.Len(t, revs, 3)
	require.Equal(t, "bob", revs[0].Actor)
	require.Equal(t, defstore.Updated, revs[0].Action)
	require.Equal(t, "alice", revs[2].Actor)
	require.Equal(t, defstore.Created, revs[2].Action)
}

// TestTenantOptimisticConcurrency checks that an update or a deletion
// from a stale read fails with a conflict and changes nothing.
func TestTenantOptimisticConcurrency(t *testing.T) {
	rc := newReceiver(t, nil)
	d, _ := newDispatcher(t)
	ctx := context.Background()
	ten := d.Tenant("acme")
	v1, err := ten.Create(ctx, tenantHook(rc, "first", accessrequest.Created), "alice")
	require.NoError(t, err)
	v2 := v1
	v2.Name = "second"
	v2, err = ten.Update(ctx, v2, "bob")
	require.NoError(t, err)

	stale := v1
	stale.Name = "stale"
	_, err = ten.Update(ctx, stale, "carol")
	var conflict *defstore.ConflictError
	require.ErrorAs(t, err, &conflict)
	require.ErrorIs(t, err, webhook.ErrConflict)
	require.Equal(t, int64(1), conflict.Expected)
	require.Equal(t, int64(2), conflict.Current)
	require.ErrorIs(t, ten.Delete(ctx, v1.ID, v1.Version, "carol"), webhook.ErrConflict)
	_, err = ten.SetActive(ctx, v1.ID, false, v1.Version, "carol")
	require.ErrorIs(t, err, webhook.ErrConflict)

	now, err := ten.Get(ctx, v1.ID)
	require.NoError(t, err)
	require.Equal(t, "second", now.Name)
	require.True(t, now.Active)
	require.NoError(t, ten.Delete(ctx, v1.ID, v2.Version, "bob"))
	_, err = ten.Get(ctx, v1.ID)
	require.ErrorIs(t, err, webhook.ErrNotFound)
}

// TestTenantWebhookLimit checks that concurrent creations stop exactly at
// the tenant's limit, and that other tenants are not limited by it.
func TestTenantWebhookLimit(t *testing.T) {
	rc := newReceiver(t, nil)
	d, _ := newDispatcher(t, webhook.WithTenantLimits(func(tenant string) webhook.TenantLimits {
		if tenant == "small" {
			return webhook.TenantLimits{MaxWebhooks: 5}
		}
		return webhook.TenantLimits{}
	}))
	ctx := context.Background()
	var ok, limited atomic.Int64
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			_, err := d.Tenant("small").Create(ctx, tenantHook(rc, fmt.Sprint("h", i), accessrequest.Created), "alice")
			switch {
			case err == nil:
				ok.Add(1)
			case assertLimit(t, err):
				limited.Add(1)
			}
		})
	}
	wg.Wait()
	require.Equal(t, int64(5), ok.Load())
	require.Equal(t, int64(15), limited.Load())
	for i := range 20 {
		_, err := d.Tenant("big").Create(ctx, tenantHook(rc, fmt.Sprint("h", i), accessrequest.Created), "alice")
		require.NoError(t, err)
	}
}

func assertLimit(t *testing.T, err error) bool {
	var le *webhook.TenantLimitError
	require.ErrorAs(t, err, &le)
	require.ErrorIs(t, err, webhook.ErrTenantLimit)
	require.Equal(t, "small", le.Tenant)
	require.Equal(t, 5, le.Max)
	return true
}

// TestTenantInFlightLimit checks that a tenant's deliveries never exceed
// its in-flight limit at the receiver, while another tenant's go through
// beside them.
func TestTenantInFlightLimit(t *testing.T) {
	var inFlight, peak atomic.Int64
	release := make(chan struct{})
	slow := newReceiver(t, func(n int, w http.ResponseWriter, r *http.Request) {
		cur := inFlight.Add(1)
		for {
			p := peak.Load()
			if cur <= p || peak.CompareAndSwap(p, cur) {
				break
			}
		}
		<-release
		inFlight.Add(-1)
		w.WriteHeader(http.StatusOK)
	})
	fast := newReceiver(t, nil)
	d, _ := newDispatcher(t, webhook.WithTenantLimits(func(tenant string) webhook.TenantLimits {
		return webhook.TenantLimits{MaxInFlight: 3}
	}))
	ctx := context.Background()
	for i := range 4 {
		_, err := d.Tenant("noisy").Create(ctx, tenantHook(slow, fmt.Sprint("slow ", i), accessrequest.Created), "x")
		require.NoError(t, err)
	}
	_, err := d.Tenant("quiet").Create(ctx, tenantHook(fast, "fast", accessrequest.Created), "x")
	require.NoError(t, err)
	for range 10 {
		_, err := d.Tenant("noisy").Publish(ctx, mustMock(t, accessrequest.Created))
		require.NoError(t, err)
	}
	require.Eventually(t, func() bool { return inFlight.Load() == 3 }, 5*time.Second, time.Millisecond)
	for range 5 {
		_, err := d.Tenant("quiet").Publish(ctx, mustMock(t, accessrequest.Created))
		require.NoError(t, err)
	}
	require.Eventually(t, func() bool { return len(fast.got()) == 5 }, 5*time.Second, time.Millisecond,
		"the quiet tenant's deliveries go while the noisy one's hang")
	close(release)
	require.Eventually(t, func() bool { return len(slow.got()) == 40 }, 10*time.Second, time.Millisecond)
	require.Equal(t, int64(3), peak.Load())
}

// TestSharedStoreInstances runs three Dispatchers on one definition store,
// as three instances of a service: a change made through one is followed
// by the others, through the store's notifications.
func TestSharedStoreInstances(t *testing.T) {
	store := defstore.NewMemory()
	rc := newReceiver(t, nil)
	var ds []*webhook.Dispatcher
	for range 3 {
		d, _ := newDispatcher(t, webhook.WithDefinitionStore(store), webhook.WithSyncInterval(time.Hour))
		ds = append(ds, d)
	}
	ctx := context.Background()
	w, err := ds[0].Tenant("acme").Create(ctx, tenantHook(rc, "shared", accessrequest.Created), "alice")
	require.NoError(t, err)
	for i, d := range ds {
		require.Eventually(t, func() bool {
			pub, err := d.Tenant("acme").Publish(ctx, mustMock(t, accessrequest.Approved))
			require.NoError(t, err)
			return len(pub.Deliveries) == 0 && published(t, d, "acme") == 1
		}, time.Second, time.Millisecond, "instance %d", i)
	}
	w.Triggers = []event.Trigger{accessrequest.Approved}
	_, err = ds[1].Tenant("acme").Update(ctx, w, "bob")
	require.NoError(t, err)
	for i, d := range ds {
		require.Eventually(t, func() bool {
			pub, err := d.Tenant("acme").Publish(ctx, mustMock(t, accessrequest.Approved))
			require.NoError(t, err)
			return len(pub.Deliveries) == 1
		}, time.Second, time.Millisecond, "instance %d follows the update", i)
	}
	require.NoError(t, ds[2].Tenant("acme").Delete(ctx, w.ID, 0, "carol"))
	for i, d := range ds {
		require.Eventually(t, func() bool {
			pub, err := d.Tenant("acme").Publish(ctx, mustMock(t, accessrequest.Approved))
			require.NoError(t, err)
			return len(pub.Deliveries) == 0
		}, time.Second, time.Millisecond, "instance %d follows the deletion", i)
	}
}

// published returns how many webhooks of tenant an Created event reaches.
func published(t *testing.T, d *webhook.Dispatcher, tenant string) int {
	pub, err := d.Tenant(tenant).Publish(context.Background(), mustMock(t, accessrequest.Created))
	require.NoError(t, err)
	return len(pub.Deliveries)
}

// TestSecretsSealedInTheStore checks that with a keyring the store holds
// no secret in clear, and that a record's sealed secrets moved onto
// another definition do not open there.
func TestSecretsSealedInTheStore(t *testing.T) {
	key, err := keyring.GenerateKey("k1")
	require.NoError(t, err)
	ring, err := keyring.New(key)
	require.NoError(t, err)
	store := defstore.NewMemory()
	rc := newReceiver(t, nil)
	d, _ := newDispatcher(t, webhook.WithDefinitionStore(store), webhook.WithKeyring(ring))
	ctx := context.Background()
	w := tenantHook(rc, "sealed", accessrequest.Created)
	w.URL += "?token=url-secret-42"
	w.Headers = map[string]string{"Authorization": "Bearer header-secret-42"}
	w.SigningSecrets = []string{"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}
	created, err := d.Tenant("acme").Create(ctx, w, "alice")
	require.NoError(t, err)
	other, err := d.Tenant("acme").Create(ctx, tenantHook(rc, "other", accessrequest.Created), "alice")
	require.NoError(t, err)

	rec, err := store.Get(ctx, "acme", created.ID)
	require.NoError(t, err)
	for _, secret := range []string{"url-secret-42", "header-secret-42", "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"} {
		require.False(t, bytes.Contains(rec.Definition, []byte(secret)), secret)
		require.False(t, bytes.Contains(rec.Secrets, []byte(secret)), secret)
	}
	// Deliveries open them.
	_, err = d.Tenant("acme").Publish(ctx, mustMock(t, accessrequest.Created))
	require.NoError(t, err)
	require.Eventually(t, func() bool { return len(rc.got()) == 2 }, 5*time.Second, time.Millisecond)

	// Someone with write access to the store moves the sealed secrets.
	require.NoError(t, store.ReplaceSecrets(ctx, "acme", other.ID, 0, rec.Secrets, "mallory"))
	e, err := event.New(accessrequest.Created, map[string]any{}, event.WithID("moved"))
	require.NoError(t, err)
	d2, invs := newDispatcher(t, webhook.WithDefinitionStore(store), webhook.WithKeyring(ring))
	_, err = d2.Tenant("acme").Publish(ctx, e)
	require.NoError(t, err)
	var sawRefusal bool
	for range 2 {
		select {
		case inv := <-invs:
			if inv.WebhookID == other.ID {
				require.NotEqual(t, webhook.Delivered, inv.Outcome)
				require.Contains(t, inv.Reason, "opening")
				sawRefusal = true
			}
		case <-time.After(5 * time.Second):
			t.Fatal("no invocation")
		}
	}
	require.True(t, sawRefusal)
}

// TestTenantRateLimit checks that a tenant's rate spaces its deliveries
// across all its webhooks, and leaves other tenants' alone.
func TestTenantRateLimit(t *testing.T) {
	rc := newReceiver(t, nil)
	other := newReceiver(t, nil)
	d, _ := newDispatcher(t, webhook.WithTenantLimits(func(tenant string) webhook.TenantLimits {
		if tenant == "metered" {
			return webhook.TenantLimits{Rate: &webhook.RateLimit{Requests: 5, Per: webhook.Duration(time.Second), Burst: 1}}
		}
		return webhook.TenantLimits{}
	}))
	ctx := context.Background()
	for i := range 3 {
		_, err := d.Tenant("metered").Create(ctx, tenantHook(rc, fmt.Sprint("m", i), accessrequest.Created), "x")
		require.NoError(t, err)
	}
	_, err := d.Tenant("free").Create(ctx, tenantHook(other, "f", accessrequest.Created), "x")
	require.NoError(t, err)
	start := time.Now()
	for range 2 {
		_, err := d.Tenant("metered").Publish(ctx, mustMock(t, accessrequest.Created))
		require.NoError(t, err)
	}
	for range 20 {
		_, err := d.Tenant("free").Publish(ctx, mustMock(t, accessrequest.Created))
		require.NoError(t, err)
	}
	require.Eventually(t, func() bool { return len(other.got()) == 20 }, 5*time.Second, time.Millisecond)
	require.Less(t, len(rc.got()), 6, "the metered tenant's 6 deliveries are still being spaced")
	require.Eventually(t, func() bool { return len(rc.got()) == 6 }, 5*time.Second, time.Millisecond)
	// 6 deliveries at 5/s with a burst of 1: at least 5 intervals of 200 ms.
	require.GreaterOrEqual(t, time.Since(start), time.Second)
}

// TestChangeHook checks that every change made through a Dispatcher is
// told to its change hook with its actor, as an audit trail.
func TestChangeHook(t *testing.T) {
	rc := newReceiver(t, nil)
	var mu sync.Mutex
	var revs []defstore.Revision
	d, _ := newDispatcher(t, webhook.WithChangeHook(func(r defstore.Revision) {
		mu.Lock()
		defer mu.Unlock()
		revs = append(revs, r)
	}))
	ctx := context.Background()
	ten := d.Tenant("acme")
	w, err := ten.Create(ctx, tenantHook(rc, "audited", accessrequest.Created), "alice")
	require.NoError(t, err)
	w, err = ten.SetActive(ctx, w.ID, false, w.Version, "bob")
	require.NoError(t, err)
	require.NoError(t, ten.Delete(ctx, w.ID, w.Version, "carol"))
	mu.Lock()
	defer mu.Unlock()
	require.Len(t, revs, 3)
	for i, want := range []struct {
		action  defstore.Action
		actor   string
		version int64
	}{{defstore.Created, "alice", 1}, {defstore.Updated, "bob", 2}, {defstore.Deleted, "carol", 3}} {
		require.Equal(t, want.action, revs[i].Action)
		require.Equal(t, want.actor, revs[i].Actor)
		require.Equal(t, want.version, revs[i].Version)
		require.Equal(t, "acme", revs[i].Tenant)
		require.Equal(t, w.ID, revs[i].ID)
		require.Equal(t, "audited", revs[i].Name)
	}
}

// TestResealRotatesKeys walks the documented rotation: definitions sealed
// under an old key are sealed again under the new primary by Reseal, after
// which a Dispatcher holding only the new key loads and delivers them.
func TestResealRotatesKeys(t *testing.T) {
	oldKey, err := keyring.GenerateKey("2026-01")
	require.NoError(t, err)
	newKey, err := keyring.GenerateKey("2026-12")
	require.NoError(t, err)
	oldRing, err := keyring.New(oldKey)
	require.NoError(t, err)
	store := defstore.NewMemory()
	rc := newReceiver(t, nil)
	ctx := context.Background()

	before, _ := newDispatcher(t, webhook.WithDefinitionStore(store), webhook.WithKeyring(oldRing))
	var ids []string
	for i := range 5 {
		w := tenantHook(rc, fmt.Sprint("rotating ", i), accessrequest.Created)
		w.Headers = map[string]string{"Authorization": fmt.Sprint("Bearer token-", i)}
		created, err := before.Tenant(fmt.Sprint("t", i%2)).Create(ctx, w, "alice")
		require.NoError(t, err)
		ids = append(ids, created.ID)
	}

	both, err := keyring.New(newKey, oldKey)
	require.NoError(t, err)
	during, _ := newDispatcher(t, webhook.WithDefinitionStore(store), webhook.WithKeyring(both))
	n, err := during.Reseal(ctx, "rotation")
	require.NoError(t, err)
	require.Equal(t, 5, n)
	n, err = during.Reseal(ctx, "rotation")
	require.NoError(t, err)
	require.Zero(t, n, "nothing left under the old key")
	for i, id := range ids {
		rec, err := store.Get(ctx, fmt.Sprint("t", i%2), id)
		require.NoError(t, err)
		kid, err := keyring.KeyID(rec.Secrets)
		require.NoError(t, err)
		require.Equal(t, "2026-12", kid)
		require.Equal(t, int64(1), rec.Version, "resealing changes no version")
	}

	newOnly, err := keyring.New(newKey)
	require.NoError(t, err)
	after, _ := newDispatcher(t, webhook.WithDefinitionStore(store), webhook.WithKeyring(newOnly))
	for tenant := range 2 {
		_, err := after.Tenant(fmt.Sprint("t", tenant)).Publish(ctx, mustMock(t, accessrequest.Created))
		require.NoError(t, err)
	}
	require.Eventually(t, func() bool { return len(rc.got()) == 5 }, 5*time.Second, time.Millisecond)
	var tokens []string
	for _, r := range rc.got() {
		tokens = append(tokens, r.header.Get("Authorization"))
	}
	require.ElementsMatch(t, []string{"Bearer token-0", "Bearer token-1", "Bearer token-2", "Bearer token-3", "Bearer token-4"}, tokens)
}
