package chaos

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/outhook/outhook/defstore"
	"github.com/outhook/outhook/event"
	"github.com/outhook/outhook/webhook"
	"github.com/outhook/outhook/webhooktest"
)

// EventType is the type of the events of a chaos run.
const EventType event.Trigger = "chaos.tick"

// webhookIDs are the IDs, and names, of a chaos run's webhooks.
var webhookIDs = []string{"chaos-a", "chaos-b", "chaos-c"}

// Webhooks returns the three webhooks of a chaos run, with IDs and names
// chaos-a, chaos-b and chaos-c, posting to baseURL + "/" + ID with the
// TimeoutInSec timeout and a body that names the event.
func Webhooks(baseURL string) []webhook.Webhook { return TenantWebhooks(baseURL, "") }

// TenantWebhooks returns Webhooks for tenant, which every tenant of a run
// has with the same IDs and names: they post to baseURL + "/" + tenant +
// "/" + ID (Webhooks' URLs for the empty tenant), so that the Receiver
// tells them apart. tenant must not hold a slash.
func TenantWebhooks(baseURL, tenant string) []webhook.Webhook {
	var out []webhook.Webhook
	for _, id := range webhookIDs {
		out = append(out, webhook.Webhook{
			ID: id, Name: id, Active: true, URL: baseURL + "/" + Path(tenant, id), TimeoutInSec: TimeoutInSec,
			BodyTemplate: `{"event":"{{event_id}}","n":{{data.n}}}`,
			Triggers:     []event.Trigger{EventType},
		})
	}
	return out
}

// Path is where tenant's webhook webhookID posts, below the Receiver's
// URL and without the leading slash: what the Receiver knows it by, and
// what Receiver.Pair takes.
func Path(tenant, webhookID string) string {
	if tenant == "" {
		return webhookID
	}
	return tenant + "/" + webhookID
}

// EventID is the event_id of the n-th event published for tenant:
// ev-000042 for the empty tenant, acme:ev-000042 for acme, so that an
// event that reached another tenant's webhook shows whose it was.
func EventID(tenant string, n int) string {
	if tenant == "" {
		return fmt.Sprintf("ev-%06d", n)
	}
	return fmt.Sprintf("%s:ev-%06d", tenant, n)
}

// Ledger is the sender's side of a chaos run: the deliveries Publish
// queued and the invocations the Dispatchers recorded for them, as their
// invocation hooks reported them. Several Dispatchers (instances of a
// service on one durable engine) may share it. It is safe for concurrent
// use.
type Ledger struct {
	mu         sync.Mutex
	events     map[string]int       // published, by tenant
	deliveries map[string]*Delivery // by delivery id
	ended      int                  // deliveries with a final invocation
}

// Delivery is one delivery as the Ledger saw it.
type Delivery struct {
	Tenant, WebhookID, EventID string
	// Invocations counts the invocations recorded for it, retries
	// included; Finals those with a final outcome (1 once it ended).
	Invocations, Finals int
	// Outcome and Reason are the last final invocation's.
	Outcome webhook.Outcome
	Reason  string
	// recordedFor lists the tenants its invocations were recorded for.
	recordedFor []string
	// tried lists its invocations, in the order recorded: what a failed
	// check shows of the delivery.
	tried []tried
}

// tried is what the Ledger keeps of one invocation.
type tried struct {
	attempt  int
	outcome  webhook.Outcome
	status   int // 0 without a response
	reason   string
	body     string // of the response, as recorded
	duration time.Duration
}

func (t tried) String() string {
	return fmt.Sprintf("#%d %s status %d %q body %q in %s", t.attempt, t.outcome, t.status, t.reason, t.body, t.duration.Round(time.Millisecond))
}

// NewLedger returns an empty Ledger.
func NewLedger() *Ledger {
	return &Ledger{events: map[string]int{}, deliveries: map[string]*Delivery{}}
}

// Options returns the Dispatcher options of a chaos run, to which the
// engine's are added: loopback targets over plain HTTP, the chaos event
// type, webhooktest.FastRetries (five attempts, retries take no time), the
// circuit breaker off so that each pair's fate is its own five dice, and
// the invocation hook that fills l.
func (l *Ledger) Options() []webhook.Option {
	return []webhook.Option{
		webhook.WithAllowedTargets("127.0.0.1"),
		webhook.WithURLPolicy(webhook.URLPolicy{AllowHTTP: true, AllowCustomPorts: true}),
		webhook.WithEventType(EventType, nil),
		webhook.WithRetryPolicy(webhooktest.FastRetries),
		webhook.WithBreaker(webhook.BreakerSettings{Threshold: -1}),
		webhook.WithInvocationHook(l.record),
	}
}

func (l *Ledger) record(inv webhook.Invocation) {
	if inv.EventType != EventType {
		return // another delivery of the run, such as an operational event's
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	del := l.delivery(inv.DeliveryID)
	del.Invocations++
	tr := tried{attempt: inv.Attempt, outcome: inv.Outcome, reason: inv.Reason, duration: inv.Duration}
	if inv.Response != nil {
		tr.status, tr.body = inv.Response.StatusCode, inv.Response.Body
	}
	del.tried = append(del.tried, tr)
	if !slices.Contains(del.recordedFor, inv.Tenant) {
		del.recordedFor = append(del.recordedFor, inv.Tenant)
	}
	if inv.Outcome.Final() {
		if del.Finals == 0 {
			l.ended++
		}
		del.Finals++
		del.Outcome, del.Reason = inv.Outcome, inv.Reason
	}
}

// delivery returns the delivery with id, new if need be: Publish returns
// after the deliveries are queued, and an engine may report on one before.
func (l *Ledger) delivery(id string) *Delivery {
	del := l.deliveries[id]
	if del == nil {
		del = &Delivery{}
		l.deliveries[id] = del
	}
	return del
}

// Publish publishes n events to d, whose webhooks are Webhooks', and
// fails unless each queued a delivery to every one of them: the
// empty tenant's PublishTenant.
func (l *Ledger) Publish(ctx context.Context, d *webhook.Dispatcher, n int) error {
	return l.PublishTenant(ctx, d, "", n)
}

// PublishTenant publishes n events for tenant through d, whose webhooks
// for tenant on EventType are TenantWebhooks', and fails unless each
// queued a delivery to every one of them. The events are the tenant's next n (see EventID):
// runs that publish through several Dispatchers, or several times, number
// them on.
func (l *Ledger) PublishTenant(ctx context.Context, d *webhook.Dispatcher, tenant string, n int) error {
	hooks := 0
	for page := (webhook.WebhookPage{}); ; {
		var err error
		if page, err = d.Tenant(tenant).List(ctx, defstore.ListOptions{After: page.Next}); err != nil {
			return err
		}
		for _, w := range page.Webhooks {
			if slices.Contains(w.Triggers, EventType) { // not an admin webhook of the run's operational events
				hooks++
			}
		}
		if page.Next == "" {
			break
		}
	}
	l.mu.Lock()
	first := l.events[tenant]
	l.events[tenant] += n
	l.mu.Unlock()
	for i := first; i < first+n; i++ {
		id := EventID(tenant, i)
		e, err := event.Parse(fmt.Appendf(nil, `{"event_type":%q,"event_time":1774526412.108349211,"event_id":%q,"data":{"n":%d}}`, EventType, id, i))
		if err != nil {
			return err
		}
		pub, err := d.Tenant(tenant).Publish(ctx, e)
		if err != nil {
			return fmt.Errorf("publishing event %s: %w", id, err)
		}
		if len(pub.Deliveries) != hooks {
			return fmt.Errorf("event %s queued %d deliveries, want %d", id, len(pub.Deliveries), hooks)
		}
		l.mu.Lock()
		for _, q := range pub.Deliveries {
			del := l.delivery(q.DeliveryID)
			del.Tenant, del.WebhookID, del.EventID = tenant, q.WebhookID, id
		}
		l.mu.Unlock()
	}
	return nil
}

// Pending counts the queued deliveries that have not ended yet.
func (l *Ledger) Pending() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.deliveries) - l.ended
}

// Deliveries returns a copy of what the Ledger saw, by delivery id.
func (l *Ledger) Deliveries() map[string]Delivery {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make(map[string]Delivery, len(l.deliveries))
	for id, del := range l.deliveries {
		cp := *del
		cp.recordedFor = slices.Clone(del.recordedFor)
		cp.tried = slices.Clone(del.tried)
		out[id] = cp
	}
	return out
}

// Summary is how a chaos run ended.
type Summary struct {
	// Tenants counts the tenants events were published for.
	Tenants                                     int
	Events, Deliveries, Delivered, DeadLettered int
	// Invocations counts every invocation recorded, retries included.
	Invocations int
	// Duplicates counts the full 200s the receiver gave beyond the first
	// of a pair: the pair was delivered again after it was delivered.
	Duplicates int
	// Reasons counts the dead letters by the kind of their reason.
	Reasons map[string]int
	// Faults counts the receiver's answers by kind.
	Faults map[string]int
}

func (s Summary) String() string {
	tenants := ""
	if s.Tenants > 1 {
		tenants = fmt.Sprintf(" across %d tenants", s.Tenants)
	}
	return fmt.Sprintf("%d events x %d webhooks%s: %d delivered, %d dead-lettered %v; %d invocations, %d duplicates; receiver answers %v",
		s.Events, len(webhookIDs), tenants, s.Delivered, s.DeadLettered, s.Reasons, s.Invocations, s.Duplicates, s.Faults)
}

// Check fails t for every broken invariant of a chaos run:
//
//   - every queued delivery ended exactly once, delivered or dead-lettered
//     with a reason, and nothing else: nothing lost;
//   - every invocation of a delivery was recorded for its tenant;
//   - every delivered pair was answered in full by the receiver;
//   - every attempt of a pair, retries and duplicates included, carried
//     the same webhook-id, the delivery's id;
//   - the receiver saw no pair that was not queued: in particular, no
//     tenant's webhook got another tenant's event;
//   - every failed delivery is one of its tenant's dead letters, with its
//     reason, as d's Tenant queries list them;
//   - the run both delivered and dead-lettered, or it proved little.
//
// Call it once every delivery ended and the receiver's server is closed,
// so that neither side changes any more.
func Check(ctx context.Context, t testing.TB, d *webhook.Dispatcher, l *Ledger, rcv *Receiver) Summary {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	rcv.mu.Lock()
	defer rcv.mu.Unlock()
	s := Summary{Tenants: len(l.events), Reasons: map[string]int{}, Faults: maps.Clone(rcv.faults)}
	for _, n := range l.events {
		s.Events += n
	}
	queued := map[pairKey]bool{}
	for id, del := range l.deliveries {
		s.Invocations += del.Invocations
		if del.EventID == "" {
			t.Errorf("delivery %s (%s) ended %s but was never queued", id, del.WebhookID, del.Outcome)
			continue
		}
		s.Deliveries++
		key := pairKey{Path(del.Tenant, del.WebhookID), del.EventID}
		queued[key] = true
		what := fmt.Sprintf("delivery %s (%s %s)", id, key.webhookID, del.EventID)
		if len(del.recordedFor) > 1 || len(del.recordedFor) == 1 && del.recordedFor[0] != del.Tenant {
			t.Errorf("%s of tenant %q was recorded for tenants %q", what, del.Tenant, del.recordedFor)
		}
		switch {
		case del.Finals == 0:
			t.Errorf("%s never ended: lost", what)
			continue
		case del.Finals != 1:
			t.Errorf("%s ended %d times", what, del.Finals)
		}
		rp := rcv.pairs[key]
		switch del.Outcome {
		case webhook.Delivered:
			s.Delivered++
			if rp == nil || rp.Answers == 0 {
				var answered []Answer
				if rp != nil {
					answered = rp.Answered
				}
				t.Errorf("%s is Delivered but the receiver never answered it in full: invocations %v; receiver answers %v", what, del.tried, answered)
			}
		case webhook.Failed:
			s.DeadLettered++
			if del.Reason == "" {
				t.Errorf("%s failed without a reason", what)
			}
			s.Reasons[reasonKind(del.Reason)]++
		default:
			t.Errorf("%s ended %s (%s), want Delivered or Failed", what, del.Outcome, del.Reason)
		}
		if rp == nil {
			t.Errorf("%s never reached the receiver", what)
			continue
		}
		s.Duplicates += max(rp.Answers-1, 0)
		if len(rp.IDs) != 1 || rp.IDs[0] != id {
			t.Errorf("pair %s %s was sent under webhook-id %q, want only %q", key.webhookID, del.EventID, rp.IDs, id)
		}
	}
	for key := range rcv.pairs {
		if queued[key] {
			continue
		}
		to, _, _ := strings.Cut(key.webhookID, "/")
		if !strings.Contains(key.webhookID, "/") {
			to = ""
		}
		from, _, _ := strings.Cut(key.eventID, ":")
		if !strings.Contains(key.eventID, ":") {
			from = ""
		}
		if to != from {
			t.Errorf("webhook %s of tenant %q got event %s of tenant %q", key.webhookID, to, key.eventID, from)
		} else {
			t.Errorf("webhook %s got event %s, which was not queued to it", key.webhookID, key.eventID)
		}
	}
	if len(rcv.pairs) != s.Deliveries {
		t.Errorf("the receiver saw %d pairs, %d deliveries were queued", len(rcv.pairs), s.Deliveries)
	}
	if want := s.Events * len(webhookIDs); s.Deliveries != want {
		t.Errorf("%d deliveries queued, want %d", s.Deliveries, want)
	}

	letters := 0
	for tenant := range l.events {
		for q := (webhook.DeadLetterQuery{Limit: webhook.MaxPageLimit}); ; {
			page, err := d.Tenant(tenant).DeadLetters(ctx, q)
			if err != nil {
				t.Errorf("DeadLetters of tenant %q: %v", tenant, err)
				break
			}
			for _, dl := range page.DeadLetters {
				letters++
				if del := l.deliveries[dl.DeliveryID]; del == nil || del.Tenant != tenant || del.Outcome != webhook.Failed || dl.Reason != del.Reason {
					t.Errorf("dead letter %s (tenant %q, %q) does not match a failed delivery", dl.DeliveryID, tenant, dl.Reason)
				}
			}
			if q.Cursor = page.Next; q.Cursor == "" {
				break
			}
		}
	}
	if letters != s.DeadLettered {
		t.Errorf("%d dead letters, %d deliveries failed", letters, s.DeadLettered)
	}
	if s.Delivered == 0 || s.DeadLettered == 0 {
		t.Errorf("the run should both deliver and dead-letter: %d and %d", s.Delivered, s.DeadLettered)
	}
	return s
}

// reasonKind shortens a failure reason to its kind, for the summary.
func reasonKind(r string) string {
	for _, k := range []string{"timeout", "status 500", "status 429", "reset", "EOF"} {
		if strings.Contains(r, k) {
			return k
		}
	}
	return "other"
}
