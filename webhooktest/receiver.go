package webhooktest

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"time"

	"github.com/outhook/outhook/signature"
)

// Response is one scripted answer of a Receiver. The zero Response answers
// 200 with an empty body.
type Response struct {
	// Status is the status code; zero means 200.
	Status int
	// Header is added to the response.
	Header http.Header
	// Body is the response body.
	Body string
	// RetryAfter, when positive, sets the Retry-After header to this many
	// seconds, rounded up.
	RetryAfter time.Duration
	// Delay is how long to wait before answering at all, as a slow
	// receiver does. The wait ends early when the request is cancelled or
	// the Receiver closed.
	Delay time.Duration
	// SlowBody, when positive, sends the status and headers at once and
	// then the body one byte at a time, waiting SlowBody before each byte.
	SlowBody time.Duration
	// Reset drops the connection with a TCP reset instead of answering.
	Reset bool
}

// Request is a request a Receiver got.
type Request struct {
	// Method is the HTTP method, such as POST.
	Method string
	// Path is the URL path; Query the raw query string.
	Path, Query string
	// Header holds the request's headers, secrets in clear: this is what
	// the receiver got, not a record.
	Header http.Header
	// Body is the request body.
	Body string
	// Verified reports that the Receiver checked the Standard Webhooks
	// signature and it matched. Zero when the Receiver has no secrets.
	Verified bool
	// SignatureErr is the error of a signature check that failed: it wraps
	// signature.ErrInvalidHeader, ErrTimestampOutOfRange or
	// ErrInvalidSignature. Nil when the check passed or there was none.
	SignatureErr error
	// Answer is the scripted response the Receiver gave, or the 401 it
	// gave for a bad signature.
	Answer Response
	// Received is when the request's body had been read, by the
	// Receiver's clock (WithClock).
	Received time.Time
}

// ReceiverOption configures NewReceiver. A nil ReceiverOption is ignored.
type ReceiverOption interface {
	apply(*Receiver)
}

type receiverOptionFunc func(*Receiver)

func (f receiverOptionFunc) apply(r *Receiver) { f(r) }

// Respond sets the script of every path that has no Route of its own:
// requests get the responses in order, and once they are used up the last
// one again. The default script is a single zero Response: 200, empty body.
func Respond(responses ...Response) ReceiverOption {
	return receiverOptionFunc(func(r *Receiver) { r.scripts[""] = &script{responses: responses} })
}

// Route sets the script of requests whose URL path is path, as Respond
// does for the others.
func Route(path string, responses ...Response) ReceiverOption {
	return receiverOptionFunc(func(r *Receiver) { r.scripts[path] = &script{responses: responses} })
}

// WithSecrets makes the Receiver verify each request's Standard Webhooks
// signature against secrets (whsec_ secrets, whpk_ public keys or whsk_
// private keys, as signature.ParseVerifier takes them), record the result, and
// answer 401 to a request whose signature does not verify, without
// consuming its script. NewReceiver panics when a secret is malformed, as
// regexp.MustCompile does: secrets in tests are constants or come from
// signature.NewSecret.
func WithSecrets(secrets ...string) ReceiverOption {
	return receiverOptionFunc(func(r *Receiver) {
		v, err := signature.ParseVerifier(0, secrets...)
		if err != nil {
			panic(fmt.Sprintf("webhooktest: WithSecrets: %v", err))
		}
		r.verifier = v
	})
}

// WithClock makes the Receiver read the time from now instead of
// time.Now: when each request was received, and the time its signature's
// timestamp is checked against. Give it the clock given to the
// Dispatcher with webhook.WithClock, whose signatures carry that clock's
// time. A nil now keeps time.Now.
func WithClock(now func() time.Time) ReceiverOption {
	return receiverOptionFunc(func(r *Receiver) {
		if now != nil {
			r.now = now
		}
	})
}

type script struct {
	responses []Response
	next      int
}

// answer returns the script's next response.
func (s *script) answer() Response {
	if len(s.responses) == 0 {
		return Response{}
	}
	i := min(s.next, len(s.responses)-1)
	s.next++
	return s.responses[i]
}

// Receiver is a webhook receiver for tests: an httptest server on the
// loopback interface that records every request and answers from a script.
// It is safe for concurrent use. Close it when done.
type Receiver struct {
	// URL is the receiver's base URL, http://127.0.0.1:<port>, with no
	// trailing slash.
	URL string

	srv      *httptest.Server
	verifier *signature.Verifier
	now      func() time.Time
	closing  chan struct{}
	once     sync.Once

	mu       sync.Mutex
	scripts  map[string]*script
	requests []Request
	changed  chan struct{} // closed and replaced on every request
}

// NewReceiver starts a Receiver.
func NewReceiver(opts ...ReceiverOption) *Receiver {
	r := &Receiver{scripts: map[string]*script{}, closing: make(chan struct{}), changed: make(chan struct{}), now: time.Now}
	for _, o := range opts {
		if o != nil {
			o.apply(r)
		}
	}
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	r.URL = r.srv.URL
	return r
}

// Close stops the receiver: it drops the connections of requests still
// waiting out a Delay or a SlowBody, and blocks until every handler has
// returned. Calling it again does nothing.
func (r *Receiver) Close() {
	r.once.Do(func() {
		r.srv.CloseClientConnections()
		close(r.closing)
		r.srv.Close()
	})
}

// Requests returns the requests received so far, in the order their bodies
// were read.
func (r *Receiver) Requests() []Request {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Request(nil), r.requests...)
}

// Wait waits until the Receiver has received n requests, and returns them
// all; when ctx ends first it returns those received and ctx.Err().
func (r *Receiver) Wait(ctx context.Context, n int) ([]Request, error) {
	for {
		r.mu.Lock()
		got, changed := len(r.requests), r.changed
		r.mu.Unlock()
		if got >= n {
			return r.Requests(), nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return r.Requests(), ctx.Err()
		}
	}
}

func (r *Receiver) serve(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	rec := Request{
		Method: req.Method, Path: req.URL.Path, Query: req.URL.RawQuery,
		Header: req.Header.Clone(), Body: string(body), Received: r.now(),
	}
	if r.verifier != nil {
		rec.SignatureErr = r.verifier.Verify(req.Header, body, rec.Received)
		rec.Verified = rec.SignatureErr == nil
	}

	r.mu.Lock()
	if rec.SignatureErr != nil {
		rec.Answer = Response{Status: http.StatusUnauthorized, Body: rec.SignatureErr.Error()}
	} else {
		s := r.scripts[req.URL.Path]
		if s == nil {
			s = r.scripts[""]
		}
		if s == nil {
			s = &script{}
			r.scripts[""] = s
		}
		rec.Answer = s.answer()
	}
	r.requests = append(r.requests, rec)
	close(r.changed)
	r.changed = make(chan struct{})
	r.mu.Unlock()

	r.answer(w, req, rec.Answer)
}

// answer writes a scripted response.
func (r *Receiver) answer(w http.ResponseWriter, req *http.Request, a Response) {
	if !r.wait(req.Context(), a.Delay) {
		panic(http.ErrAbortHandler) // drop the connection, unanswered
	}
	if a.Reset {
		reset(w)
		return
	}
	for k, vs := range a.Header {
		w.Header()[http.CanonicalHeaderKey(k)] = append([]string(nil), vs...)
	}
	if a.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.FormatInt(int64((a.RetryAfter+time.Second-1)/time.Second), 10))
	}
	status := a.Status
	if status == 0 {
		status = http.StatusOK
	}
	if a.SlowBody <= 0 {
		w.WriteHeader(status)
		_, _ = io.WriteString(w, a.Body)
		return
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(a.Body)))
	w.WriteHeader(status)
	rc := http.NewResponseController(w)
	_ = rc.Flush()
	for i := range len(a.Body) {
		if !r.wait(req.Context(), a.SlowBody) {
			panic(http.ErrAbortHandler)
		}
		if _, err := io.WriteString(w, a.Body[i:i+1]); err != nil {
			return
		}
		_ = rc.Flush()
	}
}

// wait waits d, and reports false when the request ended or the Receiver
// closed first.
func (r *Receiver) wait(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
	case <-r.closing:
	}
	return false
}

// reset drops the connection under w with a TCP RST rather than a FIN.
func reset(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		return
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	_ = conn.Close()
}
