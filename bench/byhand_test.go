package bench

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/outhook/outhook/event"
	"github.com/outhook/outhook/template"
)

// byHand is the work BenchmarkDelivery's outhook side does for each
// delivery, written by hand on the anchor's tuned client with none of
// Outhook's machinery: the floor of what that work costs in Go. A
// publisher waits for room in a queue of DefaultQueueSize events; a worker
// per request in flight takes one, renders the Torq body with the template
// package, sends it with the outhook side's headers (a fresh id and
// timestamp each time), reads the response up to 1 MiB, parses its JSON
// and compares $.data.status with "ok", and keeps a record of the exchange
// (its request headers copied with Authorization redacted, both bodies,
// the status, the response headers, when and how long) in a ring of the
// latest 100, the MemoryStore's default per webhook.
//
// What it leaves out is what a delivery of Outhook has beyond that work:
// definitions that may change under it, filters, retries and their
// schedule, ordering, rate and concurrency limits per webhook, breakers,
// the SSRF guard, redaction of secrets wherever they may show, telemetry,
// and the records' queries.
type byHand struct {
	client *http.Client
	url    string
	body   *template.Template
	queue  chan *event.Event
	wg     sync.WaitGroup

	delivered atomic.Int64
	want      atomic.Int64
	done      chan struct{}
	failed    atomic.Value // error of the first delivery that failed

	mu      sync.Mutex
	records [100]handRecord
	next    int
}

// handRecord is byHand's record of a delivery.
type handRecord struct {
	id             string
	started        time.Time
	took           time.Duration
	requestHeader  http.Header
	requestBody    string
	status         int
	responseHeader http.Header
	responseBody   string
	valid          bool
}

func newByHand(url string, inFlight, queueSize int) *byHand {
	h := &byHand{
		client: tunedClient(inFlight), url: url, body: torqTemplate(),
		queue: make(chan *event.Event, queueSize), done: make(chan struct{}, 1),
	}
	h.wg.Add(inFlight)
	for range inFlight {
		go h.work()
	}
	return h
}

func (h *byHand) close() {
	close(h.queue)
	h.wg.Wait()
	h.client.CloseIdleConnections()
}

// publishN queues ev n times and waits for its n deliveries.
func (h *byHand) publishN(b *testing.B, ev *event.Event, n int) {
	h.want.Store(h.delivered.Load() + int64(n))
	for range n {
		h.queue <- ev
	}
	<-h.done
	if err, ok := h.failed.Load().(error); ok {
		b.Fatal(err)
	}
}

func (h *byHand) work() {
	defer h.wg.Done()
	var buf, answer []byte
	for ev := range h.queue {
		if err := h.deliver(ev, &buf, &answer); err != nil {
			h.failed.CompareAndSwap(nil, err)
		}
		if h.delivered.Add(1) == h.want.Load() {
			h.done <- struct{}{}
		}
	}
}

func (h *byHand) deliver(ev *event.Event, buf, answerBuf *[]byte) error {
	started := time.Now()
	rendered, err := h.body.Append((*buf)[:0], ev.Document())
	if err != nil {
		return err
	}
	*buf = rendered
	body := string(rendered)
	var raw [16]byte
	for i := range raw {
		raw[i] = byte(rand.Uint32())
	}
	id := hex.EncodeToString(raw[:])
	req, err := http.NewRequest(http.MethodPost, h.url, strings.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer token")
	req.Header.Set("User-Agent", "Outhook/1")
	req.Header.Set("Webhook-Id", id)
	req.Header.Set("Webhook-Timestamp", strconv.FormatInt(started.Unix(), 10))
	resp, err := h.client.Do(req)
	if err != nil {
		return err
	}
	answer, err := readAnswer(resp.Body, answerBuf)
	resp.Body.Close()
	if err != nil {
		return err
	}
	// The cheapest check of the one path in the standard library: a struct
	// of that one field.
	var doc struct {
		Status string `json:"status"`
	}
	valid := json.Unmarshal(answer, &doc) == nil && doc.Status == "ok"
	if !valid {
		return errInvalidAnswer
	}
	header := req.Header.Clone()
	header.Set("Authorization", "REDACTED")
	rec := handRecord{
		id: id, started: started, took: time.Since(started),
		requestHeader: header, requestBody: body,
		status: resp.StatusCode, responseHeader: resp.Header, responseBody: string(answer), valid: valid,
	}
	h.mu.Lock()
	h.records[h.next%len(h.records)] = rec
	h.next++
	h.mu.Unlock()
	return nil
}

// readAnswer reads body, up to 1 MiB, into *buf, which it keeps for the
// next answer.
func readAnswer(body io.Reader, buf *[]byte) ([]byte, error) {
	b := (*buf)[:0]
	for len(b) < 1<<20 {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		n, err := body.Read(b[len(b):min(cap(b), 1<<20)])
		b = b[:len(b)+n]
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
	}
	*buf = b
	return b, nil
}

var errInvalidAnswer = errors.New("by-hand: the answer's $.data.status is not ok")
