package chaos

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/outhook/outhook/event"
	"github.com/outhook/outhook/webhook"
)

func TestMix(t *testing.T) {
	total := 0
	for _, f := range mix {
		total += f.percent
	}
	if total != 100 {
		t.Fatalf("the mix adds up to %d%%, want 100%%", total)
	}
	for roll, want := range map[int]string{0: "500", 29: "500", 30: "reset", 39: "reset", 40: "no answer", 65: "200", 99: "200"} {
		if got := draw(roll).kind; got != want {
			t.Errorf("roll %d draws %q, want %q", roll, got, want)
		}
	}
}

// recorder is a testing.TB that keeps the errors reported to it.
type recorder struct {
	testing.TB
	errs []string
}

func (r *recorder) Helper() {}

func (r *recorder) Errorf(format string, args ...any) {
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}

// TestCheck checks that Check passes a sound run and catches each broken
// invariant in a run that is sound but for it.
func TestCheck(t *testing.T) {
	cases := []struct {
		name  string
		spoil func(l *Ledger, rcv *Receiver)
		want  string // part of the error
	}{
		{"sound", func(*Ledger, *Receiver) {}, ""},
		{"lost", func(l *Ledger, _ *Receiver) { l.deliveries["d1"].Finals = 0 }, "never ended: lost"},
		{"ended twice", func(l *Ledger, _ *Receiver) { l.deliveries["d1"].Finals = 2 }, "ended 2 times"},
		{"delivered unanswered", func(l *Ledger, rcv *Receiver) {
			p := rcv.pairs[pairKey{"chaos-a", "ev-0"}]
			p.Answers, p.Answered = 0, []Answer{{"500", false, 2 * time.Millisecond}}
			l.deliveries["d1"].tried = []tried{{1, webhook.Delivered, 200, "", `{"ok":true}`, 3 * time.Millisecond}}
		}, `never answered it in full: invocations [#1 delivered status 200 "" body "{\"ok\":true}" in 3ms]; receiver answers [500 (full false, 2ms)]`},
		{"another webhook-id", func(_ *Ledger, rcv *Receiver) {
			p := rcv.pairs[pairKey{"chaos-b", "ev-0"}]
			p.IDs = append(p.IDs, "d9")
		}, `under webhook-id ["d2" "d9"]`},
		{"no reason", func(l *Ledger, _ *Receiver) { l.deliveries["d3"].Reason = "" }, "failed without a reason"},
		{"not a dead letter", func(l *Ledger, _ *Receiver) { l.deliveries["d2"].Outcome = webhook.Failed }, "2 deliveries failed"},
		{"never sent", func(_ *Ledger, rcv *Receiver) { delete(rcv.pairs, pairKey{"chaos-c", "ev-0"}) }, "never reached the receiver"},
		{"unexpected pair", func(_ *Ledger, rcv *Receiver) { rcv.pairs[pairKey{"chaos-a", "ev-7"}] = &Pair{} }, "saw 4 pairs"},
		{"skipped", func(l *Ledger, _ *Receiver) { l.deliveries["d1"].Outcome = webhook.Skipped }, "want Delivered or Failed"},
		{"another tenant's event", func(_ *Ledger, rcv *Receiver) {
			rcv.pairs[pairKey{"acme/chaos-a", "ev-0"}] = rcv.pairs[pairKey{"chaos-a", "ev-0"}]
			delete(rcv.pairs, pairKey{"chaos-a", "ev-0"})
		}, `webhook acme/chaos-a of tenant "acme" got event ev-0 of tenant ""`},
		{"recorded for another tenant", func(l *Ledger, _ *Receiver) { l.deliveries["d2"].recordedFor = []string{"acme"} }, `recorded for tenants ["acme"]`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			// One event to the three webhooks: two delivered, one dead-lettered.
			l := NewLedger()
			l.events[""] = 1
			rcv := NewReceiver(1)
			for i, id := range webhookIDs {
				del := &Delivery{WebhookID: id, EventID: "ev-0", Invocations: 1, Finals: 1, Outcome: webhook.Delivered}
				p := &Pair{IDs: []string{fmt.Sprintf("d%d", i+1)}, Attempts: 1, Answers: 1}
				if i == 2 {
					del.Invocations, del.Outcome, del.Reason = 5, webhook.Failed, "status 500"
					p.Attempts, p.Answers = 5, 0
				}
				l.deliveries[p.IDs[0]] = del
				rcv.pairs[pairKey{id, "ev-0"}] = p
			}
			store := webhook.NewMemoryStore(0, 0)
			e, err := event.Parse([]byte(`{"event_type":"chaos.tick","event_time":1774526412.108349211,"event_id":"ev-0"}`))
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			if err := store.AddDeadLetter(ctx, webhook.DeadLetter{DeliveryID: "d3", WebhookID: "chaos-c", Event: e, Outcome: webhook.Failed, Reason: "status 500"}); err != nil {
				t.Fatal(err)
			}
			d, err := webhook.New(webhook.WithInvocationStore(store))
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close(ctx)

			c.spoil(l, rcv)
			r := &recorder{TB: t}
			sum := Check(ctx, r, d, l, rcv)
			got := strings.Join(r.errs, "\n")
			switch {
			case c.want == "" && got != "":
				t.Errorf("Check of a sound run failed:\n%s", got)
			case c.want != "" && !strings.Contains(got, c.want):
				t.Errorf("Check reported %q, want an error saying %q", got, c.want)
			}
			if c.want == "" && (sum.Delivered != 2 || sum.DeadLettered != 1 || sum.Invocations != 7) {
				t.Errorf("summary %+v, want 2 delivered, 1 dead-lettered, 7 invocations", sum)
			}
		})
	}
}

// TestReceiver sends one pair's attempts under two webhook-ids and checks
// the Receiver's account against the client's: every attempt counted, each
// id kept once, and a full answer for exactly the 200s the client read in
// full within the timeout.
func TestReceiver(t *testing.T) {
	rcv := NewReceiver(7)
	srv := httptest.NewServer(rcv)
	defer srv.Close()
	client := &http.Client{Timeout: TimeoutInSec * time.Second}
	defer client.CloseIdleConnections()
	const n = 40
	var mu sync.Mutex
	read := 0 // 200s read in full
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			req, err := http.NewRequest(http.MethodPost, srv.URL+"/chaos-a", strings.NewReader(`{"event":"ev-1"}`))
			if err != nil {
				t.Error(err)
				return
			}
			req.Header.Set("webhook-id", []string{"x", "y"}[i%2])
			resp, err := client.Do(req)
			if err != nil {
				return // a reset or a timeout
			}
			defer resp.Body.Close()
			if _, err := io.ReadAll(resp.Body); err == nil && resp.StatusCode == http.StatusOK {
				mu.Lock()
				read++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	srv.Close()

	p, ok := rcv.Pair("chaos-a", "ev-1")
	if !ok {
		t.Fatal("the receiver did not see the pair")
	}
	if p.Attempts != n {
		t.Errorf("%d attempts counted, want %d", p.Attempts, n)
	}
	if len(p.IDs) != 2 {
		t.Errorf("webhook-ids %q, want x and y once each", p.IDs)
	}
	if p.Answers != read || read == 0 {
		t.Errorf("%d full answers counted, the client read %d (want equal, and some)", p.Answers, read)
	}
	full := 0
	for _, a := range p.Answered {
		if a.Full {
			full++
		}
	}
	if len(p.Answered) != n || full != p.Answers {
		t.Errorf("%d answers listed, %d of them full; want %d, and %d full", len(p.Answered), full, n, p.Answers)
	}
	answers := 0
	for _, k := range rcv.faults {
		answers += k
	}
	if answers != n {
		t.Errorf("%d answers by kind %v, want %d", answers, rcv.faults, n)
	}
}
