package webhook_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
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

// opsClock is a clock the test moves by hand.
type opsClock struct {
	mu  sync.Mutex
	now time.Time
}

func newOpsClock() *opsClock {
	return &opsClock{now: time.Date(2026, 3, 27, 10, 0, 0, 0, time.UTC)}
}

func (c *opsClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *opsClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// opsEvents collects what the Hook is given.
type opsEvents struct {
	in     atomic.Int32 // calls under way: the Hook is never called twice at once
	mu     sync.Mutex
	events []operational.Event
}

func (c *opsEvents) hook(ev operational.Event) {
	if c.in.Add(1) != 1 {
		panic("the Hook was called while a call was under way")
	}
	defer c.in.Add(-1)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.events = append(c.events, ev)
}

func (c *opsEvents) all() []operational.Event {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]operational.Event(nil), c.events...)
}

func (c *opsEvents) triggers() []event.Trigger {
	var out []event.Trigger
	for _, ev := range c.all() {
		out = append(out, ev.EventType)
	}
	return out
}

func (c *opsEvents) count(t event.Trigger) (n int) {
	for _, ev := range c.all() {
		if ev.EventType == t {
			n++
		}
	}
	return n
}

// closeNow closes d, after which every event detected was handed to the
// Hook.
func closeNow(t *testing.T, d *webhook.Dispatcher) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), webhooktest.WaitTimeout)
	defer cancel()
	require.NoError(t, d.Close(ctx))
}

var oneAttempt = webhook.WithRetryPolicy(webhook.RetryPolicy{MaxAttempts: 1})

// publishOne publishes one access-request mock event to tenant and
// waits for its delivery to end.
func publishOne(t *testing.T, d *webhooktest.Dispatcher, tenant string, final *int) {
	t.Helper()
	_, err := d.Tenant(tenant).Publish(context.Background(), mockEvent(t))
	require.NoError(t, err)
	*final++
	d.WaitFinal(*final)
}

func mockEvent(t *testing.T) *event.Event {
	t.Helper()
	e, err := event.New("RequestCreated", map[string]any{"request_id": "r-1"})
	require.NoError(t, err)
	return e
}

func createHook(t *testing.T, d *webhook.Dispatcher, tenant, id, url string, triggers ...event.Trigger) {
	t.Helper()
	if len(triggers) == 0 {
		triggers = []event.Trigger{"RequestCreated"}
	}
	_, err := d.Tenant(tenant).Create(context.Background(),
		webhook.Webhook{ID: id, Name: "Zürich " + id, Active: true, URL: url, Triggers: triggers}, "ops-test")
	require.NoError(t, err)
}

// A webhook fails three times in a row (Failing), keeps failing for an
// hour (StillFailing, once), then delivers (Recovered); its dead letters
// are told once per DeadLetterEvery, with the count held back.
func TestOperationalFailingStillFailingRecovered(t *testing.T) {
	leakcheck.Check(t)
	clock, got := newOpsClock(), &opsEvents{}
	r := webhooktest.NewReceiver(webhooktest.Route("/hook",
		webhooktest.Response{Status: 500, Body: "{\"error\": \"db \\\"down\\\"\"}"},
		webhooktest.Response{Status: 500}, webhooktest.Response{Status: 500}, webhooktest.Response{Status: 500},
		webhooktest.Response{Status: 503}, webhooktest.Response{Status: 202}))
	t.Cleanup(r.Close)
	d := webhooktest.NewDispatcher(t, oneAttempt, webhook.WithClock(clock.Now),
		webhook.WithOperationalEvents(webhook.OperationalSettings{FailureThreshold: 3, Hook: got.hook}))
	createHook(t, d.Dispatcher, "acme", "wh-1", r.URL+"/hook?token=s3cret")
	start := clock.Now()

	final := 0
	for range 3 {
		publishOne(t, d, "acme", &final)
	}
	clock.Advance(30 * time.Minute)
	publishOne(t, d, "acme", &final) // a dead letter told, none still failing yet
	clock.Advance(31 * time.Minute)
	publishOne(t, d, "acme", &final) // an hour since Failing
	publishOne(t, d, "acme", &final) // delivered
	closeNow(t, d.Dispatcher)

	require.Equal(t, []event.Trigger{
		operational.DeadLettered, operational.Failing, operational.DeadLettered,
		operational.StillFailing, operational.DeadLettered, operational.Recovered,
	}, got.triggers())
	evs := got.all()
	failing := evs[1].Data
	require.Equal(t, "acme", failing.Tenant)
	require.Equal(t, "wh-1", failing.WebhookID)
	require.Equal(t, "Zürich wh-1", failing.WebhookName)
	require.Equal(t, "127.0.0.1", failing.TargetHost, "the host only: the query holds a secret")
	require.Equal(t, operational.CauseConsecutiveFailures, failing.Cause)
	require.Equal(t, 3, failing.ConsecutiveFailures)
	require.Equal(t, 3, failing.Attempts)
	require.Equal(t, 3, failing.Failures)
	require.Equal(t, 1.0, failing.FailureRate)
	require.EqualValues(t, 600, failing.WindowSeconds)
	require.NotNil(t, failing.FailingSince)
	require.True(t, failing.FailingSince.Time().Equal(start))
	require.Equal(t, 500, *failing.LastStatusCode)
	require.Contains(t, failing.Reason, "500")
	for _, ev := range evs {
		require.NotContains(t, fmt.Sprint(ev), "s3cret")
		require.True(t, strings.HasPrefix(ev.EventID, "op-"), ev.EventID)
	}
	require.Equal(t, []int{0, 2, 0}, []int{evs[0].Data.Suppressed, evs[2].Data.Suppressed, evs[4].Data.Suppressed},
		"the two dead letters after the first are told with the next")
	require.NotNil(t, evs[2].Data.DeadLetter)
	require.Equal(t, event.Trigger("RequestCreated"), evs[2].Data.DeadLetter.EventType)
	require.Equal(t, 1, evs[2].Data.DeadLetter.Attempts)
	require.Equal(t, 503, *evs[3].Data.LastStatusCode)
	require.Equal(t, 5, evs[3].Data.ConsecutiveFailures)
	require.Equal(t, 1, evs[3].Data.Attempts, "the window holds the last ten minutes")
	recovered := evs[5].Data
	require.Equal(t, operational.CauseDelivered, recovered.Cause)
	require.Nil(t, recovered.FailingSince)
	require.Equal(t, 202, *recovered.LastStatusCode)
	require.Equal(t, 0, recovered.ConsecutiveFailures)
	require.Equal(t, clock.Now().Unix(), evs[5].EventTime.Time().Unix(), "events are stamped with the Dispatcher's clock")
}

// A flapping endpoint is judged by its failure rate, and told failing
// once per RepeatEvery, with the failings held back counted.
func TestOperationalFailureRateFlapping(t *testing.T) {
	clock, got := newOpsClock(), &opsEvents{}
	ok, bad := webhooktest.Response{Status: 200}, webhooktest.Response{Status: 500}
	r := webhooktest.NewReceiver(webhooktest.Route("/flap", ok, bad, ok, bad, ok, bad, ok, bad, bad, bad, bad, bad, ok))
	t.Cleanup(r.Close)
	d := webhooktest.NewDispatcher(t, oneAttempt, webhook.WithClock(clock.Now),
		webhook.WithOperationalEvents(webhook.OperationalSettings{
			FailureThreshold: 100, FailureRate: 0.5, MinAttempts: 4, Hook: got.hook, DeadLetterEvery: 1000 * time.Hour}))
	createHook(t, d.Dispatcher, "", "flap", r.URL+"/flap")
	final := 0
	for range 4 { // ok bad ok bad: 2 of 4 failed
		publishOne(t, d, "", &final)
	}
	for range 4 { // ok (recovered) bad (failing again, held back) ok (held back) bad (held back)
		publishOne(t, d, "", &final)
	}
	clock.Advance(61 * time.Minute) // the window forgets, the period ends
	for range 4 {                   // bad bad bad bad: failing, told with what was held
		publishOne(t, d, "", &final)
	}
	publishOne(t, d, "", &final) // ok
	closeNow(t, d.Dispatcher)

	var seq []string
	for _, ev := range got.all() {
		if ev.EventType != operational.DeadLettered {
			seq = append(seq, fmt.Sprintf("%s %s %d", ev.EventType, ev.Data.Cause, ev.Data.Suppressed))
		}
	}
	require.Equal(t, []string{
		"WebhookFailing failure_rate 0",
		"WebhookRecovered delivered 0",
		"WebhookFailing failure_rate 2",
		"WebhookRecovered delivered 1",
	}, seq)
}

// 410 Gone disables the webhook: one WebhookDisabled, cause gone, whatever
// number of deliveries the disabled webhook then refuses.
func TestOperationalDisabledGone(t *testing.T) {
	clock, got := newOpsClock(), &opsEvents{}
	r := webhooktest.NewReceiver(webhooktest.Route("/gone", webhooktest.Response{Status: 410, Body: "channel \"archived\"\n\\bye"}))
	t.Cleanup(r.Close)
	d := webhooktest.NewDispatcher(t, oneAttempt, webhook.WithClock(clock.Now),
		webhook.WithBreaker(webhook.BreakerSettings{Threshold: 3, FailFast: true}),
		webhook.WithOperationalEvents(webhook.OperationalSettings{Hook: got.hook}))
	createHook(t, d.Dispatcher, "acme", "gone", r.URL+"/gone")
	final := 0
	for range 5 {
		publishOne(t, d, "acme", &final)
	}
	closeNow(t, d.Dispatcher)
	require.Len(t, r.Requests(), 1)
	require.Equal(t, 1, got.count(operational.Disabled))
	for _, ev := range got.all() {
		if ev.EventType == operational.Disabled {
			require.Equal(t, operational.CauseGone, ev.Data.Cause)
			require.Equal(t, "disabled", ev.Data.BreakerState)
			require.Equal(t, 410, *ev.Data.LastStatusCode)
		}
	}
	require.Zero(t, got.count(operational.Failing), "one failed attempt is no run of failures")
}

// The breaker opening disables the webhook after it was told failing;
// the probe that succeeds after the cool-down recovers it, once.
func TestOperationalBreakerOpenThenRecovered(t *testing.T) {
	clock, got := newOpsClock(), &opsEvents{}
	bad := webhooktest.Response{Status: 502}
	r := webhooktest.NewReceiver(webhooktest.Route("/b", bad, bad, bad, webhooktest.Response{Status: 200}))
	t.Cleanup(r.Close)
	d := webhooktest.NewDispatcher(t, oneAttempt, webhook.WithClock(clock.Now),
		webhook.WithBreaker(webhook.BreakerSettings{Threshold: 3, Cooldown: time.Minute, FailFast: true}),
		webhook.WithOperationalEvents(webhook.OperationalSettings{FailureThreshold: 3, Hook: got.hook, DeadLetterEvery: 1000 * time.Hour}))
	createHook(t, d.Dispatcher, "acme", "b", r.URL+"/b")
	final := 0
	for range 6 { // three failed attempts, three refused by the open breaker
		publishOne(t, d, "acme", &final)
	}
	clock.Advance(2 * time.Minute)
	publishOne(t, d, "acme", &final) // the probe, delivered
	publishOne(t, d, "acme", &final)
	closeNow(t, d.Dispatcher)

	require.Equal(t, []event.Trigger{operational.DeadLettered, operational.Failing, operational.Disabled, operational.Recovered}, got.triggers())
	dis := got.all()[2].Data
	require.Equal(t, operational.CauseBreaker, dis.Cause)
	require.Equal(t, "open", dis.BreakerState)
	require.Contains(t, dis.Reason, "502")
	require.Len(t, r.Requests(), 5)
}

// A dead endpoint under a fake three hours of traffic, 10,000 deliveries
// that all fail, yields a handful of events: one Failing, at most three
// StillFailing and Disabled (one per RepeatEvery), at most twelve
// DeadLettered (one per DeadLetterEvery) whose suppressed counts, with
// the one told after, add up to every dead letter.
func TestOperationalDeadEndpointStorm(t *testing.T) {
	leakcheck.Check(t)
	const n = 10000
	clock, got := newOpsClock(), &opsEvents{}
	r := webhooktest.NewReceiver(webhooktest.Route("/dead", webhooktest.Response{Status: 500}))
	t.Cleanup(r.Close)
	var ended atomic.Int64
	allEnded := make(chan struct{})
	d := webhooktest.NewDispatcher(t, oneAttempt, webhook.WithClock(clock.Now),
		webhook.WithBreaker(webhook.BreakerSettings{FailFast: true}),
		webhook.WithInvocationHook(func(inv webhook.Invocation) {
			if inv.Outcome.Final() && ended.Add(1) == n {
				close(allEnded)
			}
		}),
		webhook.WithOperationalEvents(webhook.OperationalSettings{Hook: got.hook, QueueSize: n}))
	createHook(t, d.Dispatcher, "acme", "dead", r.URL+"/dead")
	ctx, start := context.Background(), clock.Now()
	step := 3 * time.Hour / n
	for i := range n { // within three hours, the last one a step short
		if i > 0 {
			clock.Advance(step)
		}
		_, err := d.Tenant("acme").Publish(ctx, mockEvent(t))
		require.NoError(t, err)
	}
	select {
	case <-allEnded:
	case <-time.After(time.Minute):
		t.Fatalf("%d of %d deliveries ended", ended.Load(), n)
	}
	clock.Advance(15 * time.Minute)
	_, err := d.Tenant("acme").Publish(ctx, mockEvent(t))
	require.NoError(t, err)
	d.WaitFinal(n + 1)
	closeNow(t, d.Dispatcher)

	// The storm's events are stamped before its end; the last dead letter's
	// after (a probe may then fail, and be told too).
	end := start.Add(3 * time.Hour)
	counts, after := map[event.Trigger]int{}, map[event.Trigger]int{}
	told := 0
	for _, ev := range got.all() {
		if ev.EventTime.Time().Before(end) {
			counts[ev.EventType]++
		} else {
			after[ev.EventType]++
		}
		if ev.EventType == operational.DeadLettered {
			told += 1 + ev.Data.Suppressed
		}
	}
	t.Logf("%d attempts reached the endpoint; events: %v, then %v", len(r.Requests()), counts, after)
	require.Equal(t, 1, counts[operational.Failing])
	require.LessOrEqual(t, counts[operational.StillFailing], 3)
	require.GreaterOrEqual(t, counts[operational.StillFailing], 1, "probes keep failing for hours")
	require.LessOrEqual(t, counts[operational.Disabled], 3, "the breaker opens again at every failed probe: told once an hour")
	require.GreaterOrEqual(t, counts[operational.Disabled], 1)
	require.Zero(t, counts[operational.Recovered]+after[operational.Recovered])
	require.LessOrEqual(t, counts[operational.DeadLettered], 12)
	require.Equal(t, 1, after[operational.DeadLettered])
	require.Equal(t, n+1, told, "every dead letter told or counted as held back")
	require.Zero(t, counts[operational.TenantLimited]+after[operational.TenantLimited])
}

// A tenant's limits: a webhook refused by MaxWebhooks, deliveries held by
// MaxInFlight; each told once per tenant and limit per RepeatEvery.
func TestOperationalTenantLimits(t *testing.T) {
	clock, got := newOpsClock(), &opsEvents{}
	r := webhooktest.NewReceiver(webhooktest.Route("/slow", webhooktest.Response{Delay: time.Minute}))
	t.Cleanup(r.Close)
	d := webhooktest.NewDispatcher(t, webhook.WithClock(clock.Now),
		webhook.WithTenantLimits(func(string) webhook.TenantLimits {
			return webhook.TenantLimits{MaxWebhooks: 1, MaxInFlight: 1}
		}),
		webhook.WithOperationalEvents(webhook.OperationalSettings{Hook: got.hook}))
	createHook(t, d.Dispatcher, "acme", "one", r.URL+"/slow")
	for _, id := range []string{"two", "three"} {
		_, err := d.Tenant("acme").Create(context.Background(),
			webhook.Webhook{ID: id, Name: id, Active: true, URL: r.URL + "/x", Triggers: []event.Trigger{"RequestCreated"}}, "ops-test")
		require.ErrorIs(t, err, webhook.ErrTenantLimit)
	}
	for range 3 {
		_, err := d.Tenant("acme").Publish(context.Background(), mockEvent(t))
		require.NoError(t, err)
	}
	_, err := r.Wait(context.Background(), 1) // one in flight, two held
	require.NoError(t, err)
	waitFor(t, func() bool { return got.count(operational.TenantLimited) == 2 })
	r.Close() // ends the slow answer
	closeNow(t, d.Dispatcher)

	limits := map[string]operational.Data{}
	for _, ev := range got.all() {
		if ev.EventType == operational.TenantLimited {
			limits[ev.Data.Limit.Name] = ev.Data
		}
	}
	require.Len(t, limits, 2)
	w := limits[operational.LimitWebhooks]
	require.Equal(t, 1, w.Limit.Max)
	require.Equal(t, "acme", w.Tenant)
	require.Contains(t, w.Reason, `"two"`)
	f := limits[operational.LimitInFlight]
	require.Equal(t, 1, f.Limit.Max)
	require.Equal(t, "one", f.WebhookID)
	require.Equal(t, 2, got.count(operational.TenantLimited), "the second in-flight hold and the third refusal are held back")
}

// waitFor polls cond, which another goroutine makes true.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(webhooktest.WaitTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met in time")
		}
		time.Sleep(time.Millisecond)
	}
}

// With Publish, the tenant's admin webhook on the operational triggers
// gets each operational event about the tenant's webhooks as a delivery
// whose JSON the operational schema describes, rendered with a template
// that names its fields.
func TestOperationalPublishToAdminWebhook(t *testing.T) {
	leakcheck.Check(t)
	r := webhooktest.NewReceiver(webhooktest.Route("/dead", webhooktest.Response{Status: 500}))
	t.Cleanup(r.Close)
	d := webhooktest.NewDispatcher(t, oneAttempt,
		webhook.WithOperationalEvents(webhook.OperationalSettings{FailureThreshold: 2, Publish: true}))
	createHook(t, d.Dispatcher, "acme", "dead", r.URL+"/dead")
	createHook(t, d.Dispatcher, "acme", "admin", r.URL+"/admin", operational.Failing, operational.Disabled)
	_, err := d.Tenant("acme").Create(context.Background(), webhook.Webhook{
		ID: "slack", Name: "slack", Active: true, URL: r.URL + "/slack", Triggers: []event.Trigger{operational.Failing},
		BodyTemplate: `{"text": "{{data.webhook_name}} on {{data.target_host}} is failing: {{data.reason}}"}`,
	}, "ops-test")
	require.NoError(t, err)
	createHook(t, d.Dispatcher, "globex", "admin", r.URL+"/globex", operational.Failing)

	for range 2 {
		_, err := d.Tenant("acme").Publish(context.Background(), mockEvent(t))
		require.NoError(t, err)
	}
	_, err = r.Wait(context.Background(), 4) // 2 to /dead, 1 to /admin, 1 to /slack
	require.NoError(t, err)
	closeNow(t, d.Dispatcher)
	reqs := r.Requests()
	byPath := map[string][]string{}
	for _, q := range reqs {
		byPath[q.Path] = append(byPath[q.Path], q.Body)
	}
	require.Len(t, byPath["/dead"], 2)
	require.Len(t, byPath["/admin"], 1)
	require.Empty(t, byPath["/globex"], "another tenant's admins hear nothing")
	e, err := event.Parse([]byte(byPath["/admin"][0]))
	require.NoError(t, err)
	require.Equal(t, operational.Failing, e.Type())
	schematest.Covers(t, operational.Schema(), e, operational.Mocks()[4], operational.Mocks()[5])
	var ev operational.Event
	require.NoError(t, e.Decode(&ev))
	require.Equal(t, "dead", ev.Data.WebhookID)
	require.Equal(t, 2, ev.Data.ConsecutiveFailures)
	require.Equal(t, e.ID(), ev.EventID)

	var slack struct{ Text string }
	require.NoError(t, json.Unmarshal([]byte(byPath["/slack"][0]), &slack))
	require.Equal(t, "Zürich dead on 127.0.0.1 is failing: status 500 Internal Server Error", slack.Text)
}

// An operational delivery never causes an operational event about
// itself: the admin webhook's endpoint is dead too, its breaker opens,
// and every event is about the other webhook.
func TestOperationalDeliveriesAreNotObserved(t *testing.T) {
	got := &opsEvents{}
	r := webhooktest.NewReceiver(webhooktest.Route("/dead", webhooktest.Response{Status: 500}),
		webhooktest.Route("/admin", webhooktest.Response{Status: 503}))
	t.Cleanup(r.Close)
	d := webhooktest.NewDispatcher(t, webhook.WithBreaker(webhook.BreakerSettings{Threshold: 2, FailFast: true}),
		webhook.WithOperationalEvents(webhook.OperationalSettings{FailureThreshold: 2, Publish: true, Hook: got.hook}))
	createHook(t, d.Dispatcher, "acme", "dead", r.URL+"/dead")
	createHook(t, d.Dispatcher, "acme", "admin", r.URL+"/admin", operational.Triggers()...)
	for range 3 {
		_, err := d.Tenant("acme").Publish(context.Background(), mockEvent(t))
		require.NoError(t, err)
	}
	waitFor(t, func() bool {
		n := 0
		for _, q := range r.Requests() {
			if q.Path == "/admin" {
				n++
			}
		}
		return n >= 2 // the admin's breaker opened after two
	})
	d.WaitFinal(3 + 3) // the three events, Failing, Disabled and DeadLettered to the admin
	closeNow(t, d.Dispatcher)
	require.NotEmpty(t, got.all())
	for _, ev := range got.all() {
		require.Equal(t, "dead", ev.Data.WebhookID, "%s about %s", ev.EventType, ev.Data.WebhookID)
	}
}

// A Hook slower than the deliveries neither holds them back nor makes
// the Dispatcher wait for ever: the events past QueueSize are dropped and
// logged, and Close hands over those queued.
func TestOperationalQueueOverflowDropsAndLogs(t *testing.T) {
	leakcheck.Check(t)
	clock := newOpsClock()
	var logs bytes.Buffer
	var logMu sync.Mutex
	release := make(chan struct{})
	var handed atomic.Int64
	r := webhooktest.NewReceiver(webhooktest.Respond(webhooktest.Response{Status: 500}))
	t.Cleanup(r.Close)
	d := webhooktest.NewDispatcher(t, oneAttempt, webhook.WithClock(clock.Now),
		webhook.WithLogger(slog.New(slog.NewTextHandler(lockedWriter{&logs, &logMu}, nil))),
		webhook.WithOperationalEvents(webhook.OperationalSettings{
			QueueSize: 1, DeadLetterEvery: time.Nanosecond,
			Hook: func(operational.Event) { <-release; handed.Add(1) }}))
	createHook(t, d.Dispatcher, "", "a", r.URL+"/a")
	final := 0
	for range 20 { // 20 dead letters, each told, while the Hook is stuck on the first
		publishOne(t, d, "", &final)
		clock.Advance(time.Second)
	}
	close(release)
	closeNow(t, d.Dispatcher)
	logMu.Lock()
	defer logMu.Unlock()
	require.Contains(t, logs.String(), "operational events dropped")
	require.GreaterOrEqual(t, handed.Load(), int64(1))
	require.LessOrEqual(t, handed.Load(), int64(2), "the one being handed over and the one queued")
}

type lockedWriter struct {
	b  *bytes.Buffer
	mu *sync.Mutex
}

func (w lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

func TestOperationalSettingsOutOfRange(t *testing.T) {
	for _, s := range []webhook.OperationalSettings{
		{FailureThreshold: -1}, {FailureRate: 1.5}, {FailureRate: -0.1}, {Window: -time.Second},
		{MinAttempts: -1}, {RepeatEvery: -time.Hour}, {DeadLetterEvery: -1}, {QueueSize: -1},
	} {
		_, err := webhook.New(webhook.WithOperationalEvents(s))
		var ce *webhook.ConfigError
		require.True(t, errors.As(err, &ce), "%+v: %v", s, err)
		require.Equal(t, "WithOperationalEvents", ce.Option)
		require.ErrorIs(t, err, webhook.ErrInvalidConfig)
	}
}

// Publish serves the operational kind, so that definitions may name its
// triggers; without it they are unknown.
func TestOperationalPublishServesTheKind(t *testing.T) {
	w := webhook.Webhook{Name: "admin", Active: true, URL: "https://hooks.example.com/x", Triggers: []event.Trigger{operational.Failing}}
	d, err := webhook.New(webhook.WithOperationalEvents(webhook.OperationalSettings{Publish: true}))
	require.NoError(t, err)
	_, err = d.Add(w)
	require.NoError(t, err)
	require.NoError(t, d.Close(context.Background()))

	d, err = webhook.New(webhook.WithOperationalEvents(webhook.OperationalSettings{}))
	require.NoError(t, err)
	_, err = d.Add(w)
	require.ErrorIs(t, err, webhook.ErrUnknownTrigger)
	require.NoError(t, d.Close(context.Background()))
}

// The goroutine publishing operational events waits for room in a full
// queue (QueueBlock) at most OperationalPublishTimeout, and Close wakes
// it: an admin endpoint that stalls holds neither the deliveries nor
// Close past its ctx.
func TestOperationalPublishIntoAFullQueueDoesNotHoldClose(t *testing.T) {
	leakcheck.Check(t)
	clock, got := newOpsClock(), &opsEvents{}
	r := webhooktest.NewReceiver(webhooktest.Route("/admin", webhooktest.Response{Delay: time.Minute}),
		webhooktest.Route("/dead", webhooktest.Response{Status: 500}))
	t.Cleanup(r.Close)
	d, err := webhook.New(webhook.WithAllowedTargets("127.0.0.1"),
		webhook.WithURLPolicy(webhook.URLPolicy{AllowHTTP: true, AllowCustomPorts: true}),
		oneAttempt, webhook.WithClock(clock.Now), webhook.WithQueue(1, webhook.QueueBlock),
		webhook.WithOperationalEvents(webhook.OperationalSettings{DeadLetterEvery: time.Nanosecond, Publish: true, Hook: got.hook}))
	require.NoError(t, err)
	createHook(t, d, "acme", "admin", r.URL+"/admin", operational.DeadLettered)
	createHook(t, d, "acme", "dead", r.URL+"/dead")
	for range 4 { // four dead letters: the first told is in flight at /admin, the next waits for room
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		_, _ = d.Tenant("acme").Publish(ctx, mockEvent(t))
		cancel()
		clock.Advance(time.Second)
	}
	waitFor(t, func() bool { // the admin's first delivery stalls, holding its queue's one slot
		for _, q := range r.Requests() {
			if q.Path == "/admin" {
				return got.count(operational.DeadLettered) >= 2
			}
		}
		return false
	})

	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	err = d.Close(ctx)
	require.ErrorIs(t, err, context.DeadlineExceeded, "the stalled admin delivery outlives ctx")
	require.Less(t, time.Since(start), 3*time.Second, "ctx, then the store's grace, and no more")
}

// A window of a few nanoseconds is a window still.
func TestOperationalTinyWindow(t *testing.T) {
	got := &opsEvents{}
	r := webhooktest.NewReceiver(webhooktest.Route("/dead", webhooktest.Response{Status: 500}))
	t.Cleanup(r.Close)
	d := webhooktest.NewDispatcher(t, oneAttempt,
		webhook.WithOperationalEvents(webhook.OperationalSettings{Window: 3 * time.Nanosecond, MinAttempts: 1, FailureThreshold: 100, Hook: got.hook}))
	createHook(t, d.Dispatcher, "", "dead", r.URL+"/dead")
	final := 0
	publishOne(t, d, "", &final)
	closeNow(t, d.Dispatcher)
	require.Equal(t, 1, got.count(operational.Failing))
}

// A webhook deleted and created again under its id is a new webhook: its
// failing is told, whatever was told of the old one.
func TestOperationalDeletedWebhookStartsAfresh(t *testing.T) {
	got := &opsEvents{}
	r := webhooktest.NewReceiver(webhooktest.Route("/dead", webhooktest.Response{Status: 500}))
	t.Cleanup(r.Close)
	d := webhooktest.NewDispatcher(t, oneAttempt,
		webhook.WithOperationalEvents(webhook.OperationalSettings{FailureThreshold: 2, Hook: got.hook}))
	final := 0
	for range 2 {
		createHook(t, d.Dispatcher, "acme", "w", r.URL+"/dead")
		publishOne(t, d, "acme", &final)
		publishOne(t, d, "acme", &final)
		w, err := d.Tenant("acme").Get(context.Background(), "w")
		require.NoError(t, err)
		require.NoError(t, d.Tenant("acme").Delete(context.Background(), "w", w.Version, "ops-test"))
	}
	closeNow(t, d.Dispatcher)
	require.Equal(t, 2, got.count(operational.Failing))
	require.Equal(t, 2, got.count(operational.DeadLettered))
}

// A tenant's rate holding a delivery back is told, with the rate.
func TestOperationalTenantRateLimit(t *testing.T) {
	leakcheck.Check(t)
	clock, got := newOpsClock(), &opsEvents{}
	r := webhooktest.NewReceiver()
	t.Cleanup(r.Close)
	d, err := webhook.New(webhook.WithAllowedTargets("127.0.0.1"),
		webhook.WithURLPolicy(webhook.URLPolicy{AllowHTTP: true, AllowCustomPorts: true}),
		webhook.WithClock(clock.Now),
		webhook.WithTenantLimits(func(string) webhook.TenantLimits {
			return webhook.TenantLimits{Rate: &webhook.RateLimit{Requests: 1, Per: webhook.Duration(time.Hour)}}
		}),
		webhook.WithOperationalEvents(webhook.OperationalSettings{Hook: got.hook}))
	require.NoError(t, err)
	createHook(t, d, "acme", "paced", r.URL+"/paced")
	for range 3 {
		_, err := d.Tenant("acme").Publish(context.Background(), mockEvent(t))
		require.NoError(t, err)
	}
	waitFor(t, func() bool { return got.count(operational.TenantLimited) == 1 && len(r.Requests()) == 1 })
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_ = d.Close(ctx) // the two held back for an hour become dead letters

	require.Equal(t, 1, got.count(operational.TenantLimited), "the second hold is held back")
	for _, ev := range got.all() {
		if ev.EventType == operational.TenantLimited {
			require.Equal(t, &operational.Limit{Name: operational.LimitRate, Max: 1}, ev.Data.Limit)
			require.Equal(t, "paced", ev.Data.WebhookID)
			require.Contains(t, ev.Data.Reason, "rate limit of 1 per 1h0m0s")
		}
	}
}
