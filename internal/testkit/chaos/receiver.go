// Package chaos is the fault-injecting receiver and the end-of-run checks
// of Outhook's chaos tests, which publish events to three webhooks through
// a receiver that fails most attempts in one way or another, once for each
// delivery engine. It is test support: unlike the other internal packages
// it sits above package webhook.
//
// A run registers Webhooks on a Dispatcher made with Options, publishes
// with Ledger.Publish, waits until every delivery ended, closes the
// Receiver's server, and calls Check. A run with tenants registers each
// tenant's TenantWebhooks, all with the same IDs and names, and publishes
// with Ledger.PublishTenant; several Dispatchers on one durable engine
// (instances of a service) may share the Ledger.
package chaos

import (
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// TimeoutInSec is the webhook timeout the fault mix is made for: the slow
// faults answer past it, the drip within it.
const TimeoutInSec = 1

// fault is one kind of answer of the Receiver.
type fault struct {
	kind    string
	percent int // of attempts
	// answer answers r and reports whether it wrote a 200 with its whole
	// body.
	answer func(w http.ResponseWriter, r *http.Request) bool
}

// mix is what the Receiver answers, drawn afresh for every attempt. The
// percents add up to 100.
var mix = []fault{
	{"500", 30, func(w http.ResponseWriter, _ *http.Request) bool {
		w.WriteHeader(http.StatusInternalServerError)
		return false
	}},
	{"reset", 10, reset},
	{"no answer", 5, func(_ http.ResponseWriter, r *http.Request) bool {
		select {
		case <-r.Context().Done():
		case <-time.After(5 * TimeoutInSec * time.Second):
		}
		return false
	}},
	// The headers at once, then a body dripped past the timeout.
	{"stalled body", 5, func(w http.ResponseWriter, r *http.Request) bool {
		drip(w, r, 100*time.Millisecond, 50)
		return false
	}},
	{"429", 5, func(w http.ResponseWriter, _ *http.Request) bool {
		w.Header().Set("Retry-After", "1")
		w.WriteHeader(http.StatusTooManyRequests)
		return false
	}},
	// A slow body that arrives within the timeout: 120 ms.
	{"drip", 10, func(w http.ResponseWriter, r *http.Request) bool {
		return drip(w, r, 10*time.Millisecond, 12)
	}},
	{"200", 35, func(w http.ResponseWriter, _ *http.Request) bool {
		w.Header().Set("Content-Type", "application/json")
		_, err := io.WriteString(w, `{"ok":true}`)
		return err == nil
	}},
}

// Receiver answers webhook requests with faults drawn from its mix (30%
// 500s, 10% connection resets, 5% no answer before the timeout, 5% a body
// that stalls after the headers, 5% 429 with Retry-After: 1, 10% a body
// dripped slowly but in time, and 35% a plain 200), and keeps, for every
// (webhook, event) pair, what Check needs: the webhook-id headers it came
// under, its attempts, how many of them got a full 200, and what each
// attempt was answered. It keeps a few bytes per attempt and nothing else,
// so that a test's memory is the Dispatcher's.
//
// The webhook is the request path without its slash; the event is the
// "event" field of the JSON body, as Webhooks' template renders it.
type Receiver struct {
	mu     sync.Mutex
	rng    *rand.Rand
	pairs  map[pairKey]*Pair
	faults map[string]int // answers given, by kind
}

type pairKey struct{ webhookID, eventID string }

// Pair is what the Receiver saw of one (webhook, event) pair.
type Pair struct {
	// IDs lists the distinct webhook-id headers, in the order seen.
	IDs []string
	// Attempts counts the requests.
	Attempts int
	// Answers counts the requests answered 200 with the whole body.
	Answers int
	// Answered lists what each request was answered, in the order the
	// answers ended: what a failed check shows of the pair.
	Answered []Answer
}

// Answer is what the Receiver answered one request.
type Answer struct {
	Fault string        // the kind of answer drawn
	Full  bool          // a 200 with its whole body
	Took  time.Duration // from the request's read to the answer's end
}

func (a Answer) String() string {
	return fmt.Sprintf("%s (full %t, %s)", a.Fault, a.Full, a.Took.Round(time.Millisecond))
}

// NewReceiver returns a Receiver whose faults follow seed.
func NewReceiver(seed uint64) *Receiver {
	return &Receiver{
		rng:   rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
		pairs: map[pairKey]*Pair{}, faults: map[string]int{},
	}
}

// ServeHTTP answers one attempt.
func (c *Receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	var msg struct {
		Event string `json:"event"`
	}
	if err != nil || json.Unmarshal(body, &msg) != nil || msg.Event == "" {
		http.Error(w, "bad request", http.StatusBadRequest) // a bug of the test: fails the checks
		return
	}
	id := r.Header.Get("webhook-id")

	c.mu.Lock()
	key := pairKey{strings.TrimPrefix(r.URL.Path, "/"), msg.Event}
	p := c.pairs[key]
	if p == nil {
		p = &Pair{}
		c.pairs[key] = p
	}
	p.Attempts++
	seen := false
	for _, x := range p.IDs {
		seen = seen || x == id
	}
	if !seen {
		p.IDs = append(p.IDs, id)
	}
	f := draw(c.rng.IntN(100))
	c.mu.Unlock()

	start := time.Now()
	ok := f.answer(w, r)

	c.mu.Lock()
	c.faults[f.kind]++
	p.Answered = append(p.Answered, Answer{f.kind, ok, time.Since(start)})
	if ok {
		p.Answers++
	}
	c.mu.Unlock()
}

// draw returns the fault of a roll in [0, 100).
func draw(roll int) *fault {
	for i := range mix {
		if roll < mix[i].percent {
			return &mix[i]
		}
		roll -= mix[i].percent
	}
	return &mix[len(mix)-1]
}

// Pair returns a copy of what the Receiver saw of the pair, and whether it
// saw it at all; webhookID is the webhook's Path.
func (c *Receiver) Pair(webhookID, eventID string) (Pair, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	p, ok := c.pairs[pairKey{webhookID, eventID}]
	if !ok {
		return Pair{}, false
	}
	cp := *p
	cp.IDs = append([]string(nil), p.IDs...)
	cp.Answered = append([]Answer(nil), p.Answered...)
	return cp, true
}

// reset closes the connection with a TCP RST instead of answering.
func reset(w http.ResponseWriter, _ *http.Request) bool {
	if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
		if tc, isTCP := conn.(*net.TCPConn); isTCP {
			_ = tc.SetLinger(0)
		}
		_ = conn.Close()
	}
	return false
}

// drip answers 200 with an n-byte JSON body, one byte every gap, and
// reports whether it wrote it all.
func drip(w http.ResponseWriter, r *http.Request, gap time.Duration, n int) bool {
	body := `{"pad":"` + strings.Repeat("x", max(n-10, 1)) + `"}`
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)
	if rc.Flush() != nil {
		return false
	}
	t := time.NewTicker(gap)
	defer t.Stop()
	for i := range len(body) {
		select {
		case <-r.Context().Done():
			return false
		case <-t.C:
		}
		if _, err := io.WriteString(w, body[i:i+1]); err != nil || rc.Flush() != nil {
			return false
		}
	}
	return true
}
