// Package tenantrate is a token bucket per tenant, for what a tenant may
// ask for at a bounded rate whatever its rights: tests that send requests
// to its endpoints, previews that render its templates.
package tenantrate

import (
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Rates holds a bucket per tenant. A bucket that has filled up again is
// the same as a new one, so buckets are dropped once full, and the map
// holds only the tenants that asked lately. It is safe for concurrent use.
type Rates struct {
	limit rate.Limit
	burst int

	mu      sync.Mutex
	buckets map[string]*rate.Limiter
	sweepAt int // sweep when the map grows to this size
}

const minSweep = 1024

// New lets each tenant take n tokens per period, n at once at most; n and
// per must be positive.
func New(n int, per time.Duration) *Rates {
	return &Rates{
		limit:   rate.Every(per / time.Duration(n)),
		burst:   n,
		buckets: make(map[string]*rate.Limiter),
		sweepAt: minSweep,
	}
}

// Allow takes a token from tenant's bucket at now, or reports how long to
// wait for one.
func (t *Rates) Allow(tenant string, now time.Time) (ok bool, wait time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	b, found := t.buckets[tenant]
	if !found {
		if len(t.buckets) >= t.sweepAt {
			t.sweep(now)
		}
		b = rate.NewLimiter(t.limit, t.burst)
		t.buckets[tenant] = b
	}
	r := b.ReserveN(now, 1)
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return false, d
	}
	return true, 0
}

// sweep drops the full buckets; the next sweep comes when the map has
// doubled, so that sweeping costs a constant per new tenant.
func (t *Rates) sweep(now time.Time) {
	for tenant, b := range t.buckets {
		if b.TokensAt(now) >= float64(t.burst) {
			delete(t.buckets, tenant)
		}
	}
	t.sweepAt = max(minSweep, 2*len(t.buckets))
}
