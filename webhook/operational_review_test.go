package webhook_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/event"
	"github.com/outhook/outhook/internal/testkit/leakcheck"
	"github.com/outhook/outhook/internal/testkit/schematest"
	"github.com/outhook/outhook/operational"
	"github.com/outhook/outhook/webhook"
	"github.com/outhook/outhook/webhooktest"
)

// A Hook that panics neither kills the process nor stops the events
// after it: the panic is logged and each event handed over on its own.
func TestOperationalHookPanicIsContained(t *testing.T) {
	leakcheck.Check(t)
	clock, got := newOpsClock(), &opsEvents{}
	var calls atomic.Int32
	var logs bytes.Buffer
	var logMu sync.Mutex
	r := webhooktest.NewReceiver(webhooktest.Respond(webhooktest.Response{Status: 500}))
	t.Cleanup(r.Close)
	d := webhooktest.NewDispatcher(t, oneAttempt, webhook.WithClock(clock.Now),
		webhook.WithLogger(slog.New(slog.NewTextHandler(lockedWriter{&logs, &logMu}, nil))),
		webhook.WithOperationalEvents(webhook.OperationalSettings{FailureThreshold: 1, Hook: func(ev operational.Event) {
			if calls.Add(1) == 1 {
				panic("the host's hook is broken")
			}
			got.hook(ev)
		}}))
	createHook(t, d.Dispatcher, "acme", "wh-1", r.URL+"/hook")
	final := 0
	publishOne(t, d, "acme", &final) // Failing (the Hook panics), DeadLettered
	clock.Advance(time.Hour)
	publishOne(t, d, "acme", &final) // StillFailing, DeadLettered
	closeNow(t, d.Dispatcher)
	require.Equal(t, []event.Trigger{operational.DeadLettered, operational.StillFailing, operational.DeadLettered}, got.triggers())
	logMu.Lock()
	defer logMu.Unlock()
	require.Contains(t, logs.String(), "the host's hook is broken")
}

// A clock before 1970, or past the year 2262 (where UnixNano no longer
// fits), is a clock all the same: the detector counts the attempts and
// tells Failing instead of panicking on a delivery's goroutine.
func TestOperationalClockOutsideUnixNano(t *testing.T) {
	for _, start := range []time.Time{
		time.Date(1960, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(2300, 1, 1, 0, 0, 0, 0, time.UTC),
		{},
	} {
		t.Run(start.String(), func(t *testing.T) {
			leakcheck.Check(t)
			got := &opsEvents{}
			r := webhooktest.NewReceiver(webhooktest.Respond(webhooktest.Response{Status: 500}))
			t.Cleanup(r.Close)
			d := webhooktest.NewDispatcher(t, oneAttempt, webhook.WithClock(func() time.Time { return start }),
				webhook.WithOperationalEvents(webhook.OperationalSettings{FailureThreshold: 2, Hook: got.hook}))
			createHook(t, d.Dispatcher, "", "wh-1", r.URL+"/hook")
			final := 0
			publishOne(t, d, "", &final)
			publishOne(t, d, "", &final)
			closeNow(t, d.Dispatcher)
			require.Equal(t, 1, got.count(operational.Failing), "%v", got.triggers())
			for _, ev := range got.all() {
				if ev.EventType == operational.Failing {
					require.Equal(t, 2, ev.Data.Attempts, "both attempts are in the window")
				}
			}
		})
	}
}

// A clock set back holds the events back for RepeatEvery of the new
// time, not until the old time comes round again.
func TestOperationalClockSetBack(t *testing.T) {
	leakcheck.Check(t)
	clock, got := newOpsClock(), &opsEvents{}
	r := webhooktest.NewReceiver(webhooktest.Route("/hook",
		webhooktest.Response{Status: 500}, webhooktest.Response{Status: 202},
		webhooktest.Response{Status: 500}, webhooktest.Response{Status: 500}))
	t.Cleanup(r.Close)
	d := webhooktest.NewDispatcher(t, oneAttempt, webhook.WithClock(clock.Now),
		webhook.WithOperationalEvents(webhook.OperationalSettings{FailureThreshold: 1, DeadLetterEvery: time.Nanosecond, Hook: got.hook}))
	createHook(t, d.Dispatcher, "", "wh-1", r.URL+"/hook")
	final := 0
	publishOne(t, d, "", &final) // Failing
	publishOne(t, d, "", &final) // Recovered
	clock.Advance(-24 * time.Hour)
	publishOne(t, d, "", &final) // failing again, within RepeatEvery of the clock's new time: held
	clock.Advance(time.Hour)
	publishOne(t, d, "", &final) // an hour later by the clock: told
	closeNow(t, d.Dispatcher)
	require.Equal(t, 2, got.count(operational.Failing), "%v", got.triggers())
}

// An event dropped because the queue was full is not taken as told:
// Failing comes with the webhook's next failed attempt, and Recovered is
// never told about a webhook whose Failing nobody heard. The test waits
// for the Hook to empty the queue before b's later attempts, since a
// full queue drops any event, Recovered too.
func TestOperationalDroppedFailingIsToldLater(t *testing.T) {
	leakcheck.Check(t)
	clock, got := newOpsClock(), &opsEvents{}
	entered, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	r := webhooktest.NewReceiver(
		webhooktest.Route("/b", webhooktest.Response{Status: 500}, webhooktest.Response{Status: 500}, webhooktest.Response{Status: 202}),
		webhooktest.Respond(webhooktest.Response{Status: 500}))
	t.Cleanup(r.Close)
	d := webhooktest.NewDispatcher(t, oneAttempt, webhook.WithClock(clock.Now),
		webhook.WithOperationalEvents(webhook.OperationalSettings{QueueSize: 2, FailureThreshold: 1, DeadLetterEvery: time.Nanosecond, Hook: func(ev operational.Event) {
			once.Do(func() { close(entered); <-release })
			got.hook(ev)
		}}))
	final := 0
	createHook(t, d.Dispatcher, "", "a", r.URL+"/a")
	publishOne(t, d, "", &final)
	<-entered     // the Hook holds a's first event
	for range 3 { // a's dead letters fill the queue
		clock.Advance(time.Second)
		publishOne(t, d, "", &final)
	}
	createHook(t, d.Dispatcher, "", "b", r.URL+"/b", "RequestApproved")
	publishTo := func() {
		clock.Advance(time.Second)
		e, err := event.New("RequestApproved", map[string]any{"request_id": "r-2"})
		require.NoError(t, err)
		_, err = d.Publish(context.Background(), e)
		require.NoError(t, err)
		final++
		d.WaitFinal(final)
	}
	publishTo() // b fails: its Failing is dropped
	close(release)
	told := func(n int) { waitFor(t, func() bool { return len(got.all()) == n }) }
	told(3)     // the event the Hook held and the two queued: the queue is empty
	publishTo() // b fails again: Failing and DeadLettered, room for both
	told(5)
	publishTo() // b delivers
	closeNow(t, d.Dispatcher)
	var b []event.Trigger
	for _, ev := range got.all() {
		if ev.Data.WebhookID == "b" {
			b = append(b, ev.EventType)
		}
	}
	require.Equal(t, []event.Trigger{operational.Failing, operational.DeadLettered, operational.Recovered}, b)
}

// A Hook may call the Dispatcher back, Publish, Get and ResetBreaker
// included, without a deadlock.
func TestOperationalHookCallsBack(t *testing.T) {
	leakcheck.Check(t)
	clock := newOpsClock()
	var backs atomic.Int32
	r := webhooktest.NewReceiver(webhooktest.Respond(webhooktest.Response{Status: 500}))
	t.Cleanup(r.Close)
	var d *webhooktest.Dispatcher
	ready := make(chan struct{})
	d = webhooktest.NewDispatcher(t, oneAttempt, webhook.WithClock(clock.Now),
		webhook.WithBreaker(webhook.BreakerSettings{Threshold: 1}),
		webhook.WithOperationalEvents(webhook.OperationalSettings{FailureThreshold: 1, Hook: func(ev operational.Event) {
			<-ready
			if ev.EventType != operational.Disabled {
				return
			}
			_, err := d.Tenant(ev.Data.Tenant).Get(context.Background(), ev.Data.WebhookID)
			require.NoError(t, err)
			require.NoError(t, d.Tenant(ev.Data.Tenant).ResetBreaker(ev.Data.WebhookID))
			e, err := event.New("RequestApproved", map[string]any{"request_id": "from-hook"})
			require.NoError(t, err)
			_, err = d.Tenant(ev.Data.Tenant).Publish(context.Background(), e)
			require.NoError(t, err)
			backs.Add(1)
		}}))
	close(ready)
	createHook(t, d.Dispatcher, "acme", "wh-1", r.URL+"/hook")
	final := 0
	publishOne(t, d, "acme", &final)
	waitFor(t, func() bool { return backs.Load() == 1 })
	closeNow(t, d.Dispatcher)
}

// Close with a Hook that never returns gives up when its ctx is done.
func TestOperationalCloseWithStalledHook(t *testing.T) {
	leakcheck.Check(t)
	clock := newOpsClock()
	release := make(chan struct{})
	r := webhooktest.NewReceiver(webhooktest.Respond(webhooktest.Response{Status: 500}))
	t.Cleanup(r.Close)
	d := webhooktest.NewDispatcher(t, oneAttempt, webhook.WithClock(clock.Now),
		webhook.WithOperationalEvents(webhook.OperationalSettings{FailureThreshold: 1, Hook: func(operational.Event) { <-release }}))
	createHook(t, d.Dispatcher, "", "wh-1", r.URL+"/hook")
	final := 0
	publishOne(t, d, "", &final)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := d.Close(ctx)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.Less(t, time.Since(start), 5*time.Second)
	close(release)
}

// What an endpoint echoes of the webhook's secrets (its Authorization
// header, its URL's userinfo and query) never reaches an operational
// event, whose reason is redacted as invocation records are.
func TestOperationalReasonEchoingSecretsIsRedacted(t *testing.T) {
	leakcheck.Check(t)
	got := &opsEvents{}
	echo := `{"error": "bad token Bearer tok-S3CRET-1 for ?token=qs-S3CRET-2 user pw-S3CRET-3"}`
	r := webhooktest.NewReceiver(webhooktest.Respond(webhooktest.Response{Status: 401, Body: echo}))
	t.Cleanup(r.Close)
	d := webhooktest.NewDispatcher(t, oneAttempt,
		webhook.WithOperationalEvents(webhook.OperationalSettings{FailureThreshold: 1, Hook: got.hook}))
	u := strings.Replace(r.URL, "http://", "http://ops:pw-S3CRET-3@", 1) + "/hook?token=qs-S3CRET-2"
	_, err := d.Tenant("acme").Create(context.Background(), webhook.Webhook{ID: "wh-1", Name: "echo", Active: true, URL: u,
		Triggers: []event.Trigger{"RequestCreated"}, Headers: map[string]string{"X-Api-Key": "tok-S3CRET-1"}}, "ops-test")
	require.NoError(t, err)
	final := 0
	publishOne(t, d, "acme", &final)
	closeNow(t, d.Dispatcher)
	require.Equal(t, []event.Trigger{operational.Failing, operational.DeadLettered}, got.triggers())
	for _, ev := range got.all() {
		b, err := json.Marshal(ev)
		require.NoError(t, err)
		require.NotContains(t, string(b), "S3CRET", "%s", b)
		require.Equal(t, "127.0.0.1", ev.Data.TargetHost)
	}
}

// Publish with no webhook subscribed to the operational triggers is
// quiet: nothing to deliver is no error to log.
func TestOperationalPublishWithNoSubscriber(t *testing.T) {
	leakcheck.Check(t)
	got := &opsEvents{}
	var logs bytes.Buffer
	var logMu sync.Mutex
	r := webhooktest.NewReceiver(webhooktest.Respond(webhooktest.Response{Status: 500}))
	t.Cleanup(r.Close)
	d := webhooktest.NewDispatcher(t, oneAttempt,
		webhook.WithLogger(slog.New(slog.NewTextHandler(lockedWriter{&logs, &logMu}, nil))),
		webhook.WithOperationalEvents(webhook.OperationalSettings{FailureThreshold: 1, Publish: true, Hook: got.hook}))
	createHook(t, d.Dispatcher, "acme", "wh-1", r.URL+"/hook")
	final := 0
	publishOne(t, d, "acme", &final)
	waitFor(t, func() bool { return len(got.all()) == 2 })
	closeNow(t, d.Dispatcher)
	logMu.Lock()
	defer logMu.Unlock()
	require.NotContains(t, logs.String(), "publishing an operational event")
}

// A webhook subscribed to operational and other triggers alike: its
// operational deliveries failing neither open its breaker nor so cause
// an operational event about itself; its other deliveries still count.
func TestOperationalMixedWebhookBreakerIgnoresItsOperationalDeliveries(t *testing.T) {
	leakcheck.Check(t)
	clock, got := newOpsClock(), &opsEvents{}
	r := webhooktest.NewReceiver(webhooktest.Respond(webhooktest.Response{Status: 500}))
	t.Cleanup(r.Close)
	d := webhooktest.NewDispatcher(t, oneAttempt, webhook.WithClock(clock.Now),
		// The Disabled delivery to mix may meet the open breaker before
		// ResetBreaker, which does not wake what the breaker holds: a
		// cooldown of a millisecond of real time has it look again at once
		// (the fake clock keeps the breaker open until the reset).
		webhook.WithBreaker(webhook.BreakerSettings{Threshold: 2, Cooldown: time.Millisecond, MaxCooldown: time.Millisecond}),
		webhook.WithOperationalEvents(webhook.OperationalSettings{FailureThreshold: 100, Publish: true, Hook: got.hook}))
	createHook(t, d.Dispatcher, "acme", "mix", r.URL+"/mix", "RequestCreated", operational.DeadLettered, operational.Disabled)
	final := 0
	publishOne(t, d, "acme", &final) // fails: the breaker counts 1, and DeadLettered is published to mix
	final++
	d.WaitFinal(final) // the DeadLettered delivery to mix failed too
	state, err := d.Tenant("acme").Breaker("mix")
	require.NoError(t, err)
	require.Equal(t, webhook.BreakerClosed, state, "only the RequestCreated delivery counts")
	publishOne(t, d, "acme", &final) // the second RequestCreated failure opens it
	state, err = d.Tenant("acme").Breaker("mix")
	require.NoError(t, err)
	require.Equal(t, webhook.BreakerOpen, state)
	require.NoError(t, d.Tenant("acme").ResetBreaker("mix"))
	waitFor(t, func() bool { return got.count(operational.Disabled) == 1 })
	closeNow(t, d.Dispatcher)
	require.Equal(t, 1, got.count(operational.Disabled), "%v", got.triggers())
}

// A delivery that ends after its webhook was deleted leaves nothing
// behind in the detector: the webhook created again under its id starts
// afresh, its first failure not the second of a run.
func TestOperationalDeliveryEndingAfterDeleteIsForgotten(t *testing.T) {
	leakcheck.Check(t)
	got := &opsEvents{}
	arrived, release := make(chan struct{}, 1), make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		select {
		case arrived <- struct{}{}:
			<-release // the first request only
		default:
		}
		w.WriteHeader(http.StatusInternalServerError)
	}))
	t.Cleanup(srv.Close)
	d := webhooktest.NewDispatcher(t, oneAttempt,
		webhook.WithOperationalEvents(webhook.OperationalSettings{FailureThreshold: 2, Hook: got.hook}))
	createHook(t, d.Dispatcher, "acme", "w", srv.URL+"/dead")
	_, err := d.Tenant("acme").Publish(context.Background(), mockEvent(t))
	require.NoError(t, err)
	<-arrived
	w, err := d.Tenant("acme").Get(context.Background(), "w")
	require.NoError(t, err)
	require.NoError(t, d.Tenant("acme").Delete(context.Background(), "w", w.Version, "ops-test"))
	close(release)
	d.WaitFinal(1)
	arrived <- struct{}{} // later requests answer at once
	createHook(t, d.Dispatcher, "acme", "w", srv.URL+"/dead")
	final := 1
	publishOne(t, d, "acme", &final)
	closeNow(t, d.Dispatcher)
	require.Zero(t, got.count(operational.Failing), "%v", got.triggers())
}

// Many dead webhooks of several tenants at once, with retries and
// deliveries refused by full queues: each webhook is told failing once
// and its dead letters once, in its own tenant, and no tenant's storm
// hides another's events.
func TestOperationalStormAcrossTenants(t *testing.T) {
	leakcheck.Check(t)
	got := &opsEvents{}
	r := webhooktest.NewReceiver(webhooktest.Respond(webhooktest.Response{Status: 503}))
	t.Cleanup(r.Close)
	d := webhooktest.NewDispatcher(t, webhook.WithQueue(2, webhook.QueueReject),
		webhook.WithOperationalEvents(webhook.OperationalSettings{Hook: got.hook}))
	tenants := []string{"acme", "globex", "initech", "umbrella"}
	for _, tenant := range tenants {
		for i := range 25 {
			createHook(t, d.Dispatcher, tenant, fmt.Sprintf("%s-%d", tenant, i), r.URL+"/"+tenant)
		}
	}
	for range 20 {
		for _, tenant := range tenants {
			_, err := d.Tenant(tenant).Publish(context.Background(), mockEvent(t))
			var full *webhook.QueueFullError
			if err != nil && !errors.As(err, &full) {
				require.NoError(t, err)
			}
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	require.NoError(t, d.Close(ctx))
	per, limits := map[string]map[event.Trigger]int{}, map[string]int{}
	for _, ev := range got.all() {
		require.True(t, strings.HasPrefix(ev.Data.WebhookID, ev.Data.Tenant+"-"), "%s about %s in tenant %s", ev.EventType, ev.Data.WebhookID, ev.Data.Tenant)
		if ev.EventType == operational.TenantLimited {
			limits[ev.Data.Tenant+" "+ev.Data.Limit.Name]++ // the default in-flight limit
			continue
		}
		if per[ev.Data.WebhookID] == nil {
			per[ev.Data.WebhookID] = map[event.Trigger]int{}
		}
		per[ev.Data.WebhookID][ev.EventType]++
	}
	require.Len(t, per, 100, "every dead webhook is told")
	for id, n := range per {
		require.Equal(t, map[event.Trigger]int{operational.Failing: 1, operational.DeadLettered: 1}, n, id)
	}
	for limit, n := range limits {
		require.Equal(t, 1, n, limit)
	}
}

// The events the detector emits, of all six triggers, agree with
// operational.Schema field by field, nulls included.
func TestOperationalEmittedEventsMatchSchema(t *testing.T) {
	leakcheck.Check(t)
	clock, got := newOpsClock(), &opsEvents{}
	r := webhooktest.NewReceiver(
		webhooktest.Route("/w", webhooktest.Response{Status: 500}, webhooktest.Response{Status: 500},
			webhooktest.Response{Status: 500}, webhooktest.Response{Status: 202}),
		webhooktest.Route("/gone", webhooktest.Response{Status: 410}))
	t.Cleanup(r.Close)
	d := webhooktest.NewDispatcher(t, oneAttempt, webhook.WithClock(clock.Now),
		webhook.WithBreaker(webhook.BreakerSettings{Threshold: 10}),
		webhook.WithTenantLimits(func(tenant string) webhook.TenantLimits {
			if tenant == "acme" {
				return webhook.TenantLimits{MaxWebhooks: 1}
			}
			return webhook.TenantLimits{}
		}),
		webhook.WithOperationalEvents(webhook.OperationalSettings{FailureThreshold: 2, Hook: got.hook}))
	createHook(t, d.Dispatcher, "acme", "w", r.URL+"/w")
	_, err := d.Tenant("acme").Create(context.Background(),
		webhook.Webhook{ID: "two", Name: "two", Active: true, URL: r.URL + "/x", Triggers: []event.Trigger{"RequestCreated"}}, "ops-test")
	require.ErrorIs(t, err, webhook.ErrTenantLimit)
	createHook(t, d.Dispatcher, "b", "gone", r.URL+"/gone")
	final := 0
	publishOne(t, d, "acme", &final)
	publishOne(t, d, "acme", &final) // Failing
	clock.Advance(time.Hour)
	publishOne(t, d, "acme", &final) // StillFailing
	publishOne(t, d, "acme", &final) // Recovered
	publishOne(t, d, "b", &final)    // Disabled
	closeNow(t, d.Dispatcher)

	seen := map[event.Trigger]bool{}
	var events []*event.Event
	for _, ev := range got.all() {
		seen[ev.EventType] = true
		e, err := event.New(ev.EventType, ev.Data, event.WithTime(ev.EventTime), event.WithID(ev.EventID))
		require.NoError(t, err)
		events = append(events, e)
	}
	require.Len(t, seen, 6, "%v", got.triggers())
	schematest.Covers(t, operational.Schema(), events...)
}

// Without tenants (Dispatcher.Add), Publish reaches the service's own
// admin webhook.
func TestOperationalPublishWithoutTenants(t *testing.T) {
	leakcheck.Check(t)
	r := webhooktest.NewReceiver(webhooktest.Route("/dead", webhooktest.Response{Status: 500}))
	t.Cleanup(r.Close)
	d := webhooktest.NewDispatcher(t, oneAttempt,
		webhook.WithOperationalEvents(webhook.OperationalSettings{FailureThreshold: 1, Publish: true}))
	_, err := d.Add(webhook.Webhook{ID: "dead", Name: "dead", Active: true, URL: r.URL + "/dead", Triggers: []event.Trigger{"RequestCreated"}})
	require.NoError(t, err)
	_, err = d.Add(webhook.Webhook{ID: "admin", Name: "admin", Active: true, URL: r.URL + "/admin", Triggers: []event.Trigger{operational.Failing}})
	require.NoError(t, err)
	_, err = d.Publish(context.Background(), mockEvent(t))
	require.NoError(t, err)
	reqs, err := r.Wait(context.Background(), 2)
	require.NoError(t, err)
	closeNow(t, d.Dispatcher)
	require.Equal(t, "/admin", reqs[1].Path)
	e, err := event.Parse([]byte(reqs[1].Body))
	require.NoError(t, err)
	require.Equal(t, operational.Failing, e.Type())
}

// Update and SetActive keep what the detector knows: the admins told a
// webhook was failing hear it recovered once its fixed URL delivers.
func TestOperationalUpdateKeepsTheRun(t *testing.T) {
	leakcheck.Check(t)
	got := &opsEvents{}
	r := webhooktest.NewReceiver(webhooktest.Route("/dead", webhooktest.Response{Status: 500}))
	t.Cleanup(r.Close)
	d := webhooktest.NewDispatcher(t, oneAttempt,
		webhook.WithOperationalEvents(webhook.OperationalSettings{FailureThreshold: 2, Hook: got.hook}))
	createHook(t, d.Dispatcher, "acme", "w", r.URL+"/dead")
	final := 0
	publishOne(t, d, "acme", &final)
	publishOne(t, d, "acme", &final) // Failing
	ctx := context.Background()
	w, err := d.Tenant("acme").SetActive(ctx, "w", false, 1, "ops-test")
	require.NoError(t, err)
	w, err = d.Tenant("acme").SetActive(ctx, "w", true, w.Version, "ops-test")
	require.NoError(t, err)
	w.URL = r.URL + "/fixed"
	_, err = d.Tenant("acme").Update(ctx, w, "ops-test")
	require.NoError(t, err)
	publishOne(t, d, "acme", &final) // Recovered
	closeNow(t, d.Dispatcher)
	require.Equal(t, 1, got.count(operational.Failing), "%v", got.triggers())
	require.Equal(t, 1, got.count(operational.Recovered), "%v", got.triggers())
	for _, ev := range got.all() {
		if ev.EventType == operational.Recovered {
			require.Equal(t, "delivered after 2 failed attempts", ev.Data.Reason, "as the mock says")
		}
	}
}

// Going uncounted is all: a webhook with other triggers too, disabled by
// 410 Gone, is sent no operational event either.
func TestOperationalMixedWebhookDisabledIsSentNothing(t *testing.T) {
	leakcheck.Check(t)
	got := &opsEvents{}
	r := webhooktest.NewReceiver(webhooktest.Respond(webhooktest.Response{Status: 410}))
	t.Cleanup(r.Close)
	d := webhooktest.NewDispatcher(t, oneAttempt,
		webhook.WithBreaker(webhook.BreakerSettings{Threshold: 5}),
		webhook.WithOperationalEvents(webhook.OperationalSettings{Publish: true, Hook: got.hook}))
	createHook(t, d.Dispatcher, "acme", "mix", r.URL+"/mix", "RequestCreated", operational.Disabled)
	final := 0
	publishOne(t, d, "acme", &final) // 410: disabled, and Disabled and DeadLettered published to mix
	final++
	invs := d.WaitFinal(final)
	closeNow(t, d.Dispatcher)
	require.Len(t, r.Requests(), 1, "only the RequestCreated delivery reached the endpoint")
	// The operational delivery's record may land before the 410's own.
	var ops []webhook.Invocation
	for _, inv := range invs {
		if operational.Is(inv.EventType) {
			ops = append(ops, inv)
		}
	}
	require.Len(t, ops, 1, "one operational delivery ended")
	require.Equal(t, webhook.Failed, ops[0].Outcome, "the operational delivery was refused")
	require.ElementsMatch(t, []event.Trigger{operational.Disabled, operational.DeadLettered}, got.triggers())
}
