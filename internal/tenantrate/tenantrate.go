// Package tenantrate is a token bucket per tenant, for what a tenant may
// ask for at a bounded rate whatever its rights: tests that send requests
// to its endpoints, previews that render its templates.
package tenantrate

import (
	"fmt"
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

// Rate is N tokens per Per, N at once at most.
type Rate struct {
	N   int
	Per time.Duration
}

// Check says what is wrong with r, which New needs positive.
func (r Rate) Check() error {
	if r.N < 1 || r.Per <= 0 {
		return fmt.Errorf("%d per %s: want at least 1 per positive period", r.N, r.Per)
	}
	return nil
}

// New lets each tenant take r.N tokens per r.Per, r.N at once at most; r
// must pass Check.
func New(r Rate) *Rates {
	return &Rates{
		limit:   rate.Every(r.Per / time.Duration(r.N)),
		burst:   r.N,
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
