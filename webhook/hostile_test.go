package webhook_test

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/outhook/outhook/accessrequest"
	"github.com/outhook/outhook/event"
	"github.com/outhook/outhook/internal/testkit/heappeak"
	"github.com/outhook/outhook/internal/testkit/leakcheck"
	"github.com/outhook/outhook/webhook"
)

// hostileServer is a TCP server that hands each connection to serve, after
// reading the request's head, and keeps count of its connections so that a
// test can check that the client closed every one of them.
type hostileServer struct {
	ln    net.Listener
	serve func(c net.Conn)
	wg    sync.WaitGroup
	open  atomic.Int64
	mu    sync.Mutex
	conns []net.Conn
}

func newHostileServer(t *testing.T, serve func(c net.Conn)) *hostileServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &hostileServer{ln: ln, serve: serve}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s.open.Add(1)
			s.mu.Lock()
			s.conns = append(s.conns, c)
			s.mu.Unlock()
			s.wg.Add(1)
			go func() {
				defer s.wg.Done()
				defer s.open.Add(-1)
				defer c.Close()
				// Read the request (head and body) so that the client is
				// waiting for the answer, then misbehave.
				req, err := http.ReadRequest(bufio.NewReader(c))
				if err != nil {
					return
				}
				_, _ = io.Copy(io.Discard, req.Body)
				s.serve(c)
			}()
		}
	}()
	t.Cleanup(s.close)
	return s
}

func (s *hostileServer) url() string { return "http://" + s.ln.Addr().String() }

// waitClientClosed waits until every connection's peer has closed it: each
// serve function ends by reading until the client goes away.
func (s *hostileServer) waitClientClosed(t *testing.T, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for s.open.Load() > 0 {
		if time.Now().After(deadline) {
			t.Errorf("%d connection(s) still open on the receiver %s after the Dispatcher closed", s.open.Load(), within)
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (s *hostileServer) close() {
	s.ln.Close()
	s.mu.Lock()
	for _, c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
}

// untilClosed blocks until the client closes c (or c is closed).
func untilClosed(c net.Conn) {
	_, _ = io.Copy(io.Discard, c)
}

// hostileRun registers one webhook with a 1 s timeout and one attempt,
// publishes an event to it, and returns the final invocation and how long
// the delivery took. The Dispatcher is closed before it returns.
func hostileRun(t *testing.T, url string, opts ...webhook.Option) (webhook.Invocation, time.Duration, *webhook.Dispatcher) {
	t.Helper()
	final := make(chan webhook.Invocation, 1)
	all := append([]webhook.Option{
		webhook.WithAllowedTargets("127.0.0.1"),
		webhook.WithURLPolicy(webhook.URLPolicy{AllowHTTP: true, AllowCustomPorts: true}),
		webhook.WithRetryPolicy(webhook.RetryPolicy{MaxAttempts: 1}),
		webhook.WithInvocationHook(func(inv webhook.Invocation) {
			if inv.Outcome.Final() {
				final <- inv
			}
		}),
	}, opts...)
	d, err := webhook.New(all...)
	if err != nil {
		t.Fatal(err)
	}
	_, err = d.Add(webhook.Webhook{
		Name: "hostile", Active: true, URL: url, TimeoutInSec: 1,
		Triggers: []event.Trigger{accessrequest.Created},
	})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if _, err := d.Publish(context.Background(), mustMock(t, accessrequest.Created)); err != nil {
		t.Fatal(err)
	}
	var inv webhook.Invocation
	select {
	case inv = <-final:
	case <-time.After(10 * time.Second):
		t.Fatal("no final invocation within 10s")
	}
	took := time.Since(start)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := d.Close(ctx); err != nil {
		t.Fatalf("Close: %v", err)
	}
	return inv, took, d
}

// TestHostileReceivers checks that a receiver that misbehaves at each stage
// of the answer costs one typed failure (Outcome Failed, a reason and a
// dead letter) within the webhook's timeout, and leaves no goroutine and
// no connection behind.
func TestHostileReceivers(t *testing.T) {
	const timeout = time.Second
	// Slack for a loaded machine and the race detector.
	const slack = 1500 * time.Millisecond
	cases := []struct {
		name       string
		serve      func(c net.Conn)
		maxTook    time.Duration
		reason     string // a part of the failure reason
		response   bool   // whether the headers arrived
		bodyPrefix string
	}{
		{
			name:    "accepts and never answers",
			serve:   untilClosed,
			maxTook: timeout + slack,
			reason:  "no response within the 1s timeout",
		},
		{
			name: "answers the headers, then stalls the body",
			serve: func(c net.Conn) {
				_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"sta")
				untilClosed(c)
			},
			maxTook:    timeout + slack,
			reason:     "response body not read within the 1s timeout",
			response:   true,
			bodyPrefix: `{"sta`,
		},
		{
			name: "closes mid-body",
			serve: func(c net.Conn) {
				_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"sta")
			},
			maxTook:    slack, // no need to wait for the timeout
			reason:     "unexpected EOF",
			response:   true,
			bodyPrefix: `{"sta`,
		},
		{
			name: "resets mid-body",
			serve: func(c net.Conn) {
				_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"sta")
				time.Sleep(50 * time.Millisecond)
				if tc, ok := c.(*net.TCPConn); ok {
					_ = tc.SetLinger(0)
				}
			},
			maxTook:  slack,
			reason:   "reading the response",
			response: true,
		},
		{
			// A record keeps the response's headers: unbounded, a hundred
			// records of such answers would hold gigabytes.
			name: "answers two megabytes of headers",
			serve: func(c net.Conn) {
				w := bufio.NewWriter(c)
				_, _ = w.WriteString("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n")
				for range (2 << 20) / len("X: a\r\n") {
					_, _ = w.WriteString("X: a\r\n")
				}
				_, _ = w.WriteString("Content-Length: 2\r\n\r\n{}")
				_ = w.Flush()
				untilClosed(c)
			},
			maxTook: slack,
			reason:  "server response headers exceeded 65536 bytes",
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			leakcheck.Check(t)
			srv := newHostileServer(t, c.serve)
			inv, took, d := hostileRun(t, srv.url())
			if inv.Outcome != webhook.Failed {
				t.Fatalf("outcome %s (%s), want Failed", inv.Outcome, inv.Reason)
			}
			if !strings.Contains(inv.Reason, c.reason) {
				t.Errorf("reason %q, want it to say %q", inv.Reason, c.reason)
			}
			if took > c.maxTook {
				t.Errorf("the delivery took %s, want at most %s", took, c.maxTook)
			}
			if c.response != (inv.Response != nil) {
				t.Errorf("response recorded: %v, want %v", inv.Response != nil, c.response)
			}
			if inv.Response != nil && !strings.HasPrefix(inv.Response.Body, c.bodyPrefix) {
				t.Errorf("recorded body %q, want the part received, %q", inv.Response.Body, c.bodyPrefix)
			}
			letters, err := d.DeadLetters(context.Background(), "", 10)
			if err != nil || len(letters) != 1 || letters[0].Reason != inv.Reason {
				t.Errorf("dead letters %+v (%v), want one with the reason %q", letters, err, inv.Reason)
			}
			srv.waitClientClosed(t, 2*time.Second)
		})
	}
}

// TestEndlessResponseBody checks that a receiver answering with a body that
// never ends is read up to the cap and no further, with flat memory: the
// Dispatcher keeps DefaultMaxResponseBytes of it in the record, reads at
// most the validators' limit and a bounded drain, then drops the
// connection.
func TestEndlessResponseBody(t *testing.T) {
	leakcheck.Check(t)
	var written atomic.Int64
	srv := newHostileServer(t, func(c net.Conn) {
		_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n")
		chunk := []byte("8000\r\n" + `{"a":"` + strings.Repeat("x", 0x8000-6) + "\r\n")
		for {
			n, err := c.Write(chunk)
			written.Add(int64(n))
			if err != nil {
				return
			}
		}
	})
	// Count what the client reads off the network.
	var read atomic.Int64
	dialer := &net.Dialer{Timeout: time.Second}
	transport := &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := dialer.DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return &countingConn{Conn: c, read: &read}, nil
	}}
	defer transport.CloseIdleConnections()
	client := &http.Client{Transport: transport, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

	runtime.GC()
	base := heappeak.Now() // what the package's other tests left live
	stop := heappeak.Sample(10 * time.Millisecond)
	inv, took, _ := hostileRun(t, srv.url(), webhook.WithHTTPClient(client))
	peak := stop()
	peak -= min(base, peak)

	if inv.Response == nil {
		t.Fatalf("no response recorded: %s %s", inv.Outcome, inv.Reason)
	}
	if !inv.Response.BodyTruncated || int64(len(inv.Response.Body)) > webhook.DefaultMaxResponseBytes {
		t.Errorf("recorded body of %d bytes, truncated %v; want at most %d, truncated", len(inv.Response.Body), inv.Response.BodyTruncated, webhook.DefaultMaxResponseBytes)
	}
	// The validators' read limit (validate.DefaultMaxBodyBytes, 1 MiB) plus
	// the drain (256 KiB) plus the transport's buffers.
	const readBound = 1<<20 + 256<<10 + 64<<10
	if got := read.Load(); got > readBound {
		t.Errorf("read %d bytes of the endless body, want at most %d", got, readBound)
	}
	if took > 2*time.Second {
		t.Errorf("the delivery took %s, want well under its 1 s timeout", took)
	}
	if peak > 32<<20 {
		t.Errorf("heap grew by %d MiB at its peak while reading the endless body, want it flat (under 32 MiB)", peak>>20)
	}
	srv.waitClientClosed(t, 2*time.Second)
	t.Logf("outcome %s (%s) in %s; read %d KiB, the receiver wrote %d KiB; recorded %d bytes; peak heap growth %.1f MiB",
		inv.Outcome, inv.Reason, took.Round(time.Millisecond), read.Load()>>10, written.Load()>>10, len(inv.Response.Body), float64(peak)/(1<<20))
}

type countingConn struct {
	net.Conn
	read *atomic.Int64
}

func (c *countingConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.read.Add(int64(n))
	return n, err
}
