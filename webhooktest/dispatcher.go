package webhooktest

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/outhook/outhook/webhook"
)

// FastRetries is a retry policy under which retries take no time: five
// attempts, every delay a nanosecond, and Retry-After honoured but capped at
// a nanosecond. The retry decisions are the Dispatcher's as usual.
var FastRetries = webhook.RetryPolicy{
	MaxAttempts:     5,
	InitialInterval: webhook.Duration(time.Nanosecond),
	MaxInterval:     webhook.Duration(time.Nanosecond),
	MaxRetryAfter:   webhook.Duration(time.Nanosecond),
}

// WaitTimeout bounds how long WaitFinal waits before it fails the test.
const WaitTimeout = 10 * time.Second

// Dispatcher is a webhook.Dispatcher for tests that collects every
// invocation it records.
type Dispatcher struct {
	*webhook.Dispatcher

	t       testing.TB
	mu      sync.Mutex
	all     []webhook.Invocation
	changed chan struct{} // closed and replaced on every invocation
}

// NoBreaker turns the circuit breaker off, as NewDispatcher does unless
// its options include webhook.WithBreaker: a breaker open for its
// cool-down (30s by default) would hold the deliveries of a test of a
// failing endpoint past WaitTimeout. With it off, 410 Gone does not
// disable a webhook either; pass webhook.WithBreaker to test the breaker.
var NoBreaker = webhook.BreakerSettings{Threshold: -1}

// NewDispatcher returns a started Dispatcher for receivers on the loopback
// interface, such as a Receiver: the SSRF guard allows 127.0.0.1 and ::1,
// http URLs and custom ports are accepted, retries follow FastRetries, the
// circuit breaker is off (NoBreaker), and filtered and skipped events are
// recorded too (webhook.WithRecordFiltered). opts come after these and may
// change them. The Dispatcher's own invocation hook, which collects for
// Recorded and WaitFinal, runs after any given with
// webhook.WithInvocationHook. The Dispatcher is closed when the test ends,
// and the test fails if Close cannot drain it within WaitTimeout.
func NewDispatcher(t testing.TB, opts ...webhook.Option) *Dispatcher {
	t.Helper()
	d := &Dispatcher{t: t, changed: make(chan struct{})}
	all := []webhook.Option{
		webhook.WithAllowedTargets("127.0.0.1", "::1"),
		webhook.WithURLPolicy(webhook.URLPolicy{AllowHTTP: true, AllowCustomPorts: true}),
		webhook.WithRetryPolicy(FastRetries),
		webhook.WithBreaker(NoBreaker),
		webhook.WithRecordFiltered(true),
	}
	all = append(all, opts...)
	all = append(all, webhook.WithInvocationHook(d.collect)) // hooks chain: the user's run too
	wd, err := webhook.New(all...)
	if err != nil {
		t.Fatalf("webhooktest: %v", err)
	}
	d.Dispatcher = wd
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), WaitTimeout)
		defer cancel()
		if err := wd.Close(ctx); err != nil {
			t.Errorf("webhooktest: closing the dispatcher: %v", err)
		}
	})
	return d
}

func (d *Dispatcher) collect(inv webhook.Invocation) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.all = append(d.all, inv)
	close(d.changed)
	d.changed = make(chan struct{})
}

// Recorded returns every invocation recorded so far, in order.
func (d *Dispatcher) Recorded() []webhook.Invocation {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]webhook.Invocation(nil), d.all...)
}

// WaitFinal waits until at least n invocations with a final outcome (every
// outcome but Retrying) have been recorded, and returns all of those
// recorded by then, in order. It fails the test when WaitTimeout passes
// first.
func (d *Dispatcher) WaitFinal(n int) []webhook.Invocation {
	d.t.Helper()
	timeout := time.NewTimer(WaitTimeout)
	defer timeout.Stop()
	for {
		d.mu.Lock()
		var final []webhook.Invocation
		for _, inv := range d.all {
			if inv.Outcome.Final() {
				final = append(final, inv)
			}
		}
		changed := d.changed
		d.mu.Unlock()
		if len(final) >= n {
			return final
		}
		select {
		case <-changed:
		case <-timeout.C:
			d.t.Fatalf("webhooktest: %d of %d final invocations after %s", len(final), n, WaitTimeout)
			return nil
		}
	}
}
