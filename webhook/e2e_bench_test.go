package webhook_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/outhook/outhook/webhook"
)

// receiverEnv makes the test binary run as a receiver instead of running
// tests, so that benchmarks can post to another process.
const receiverEnv = "OUTHOOK_BENCH_RECEIVER"

func TestMain(m *testing.M) {
	if os.Getenv(receiverEnv) == "1" {
		runReceiver()
		return
	}
	os.Exit(m.Run())
}

// runReceiver answers every request with a small JSON body until its
// standard input closes.
func runReceiver() {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println(ln.Addr().String())
	go func() {
		_, _ = io.Copy(io.Discard, os.Stdin)
		os.Exit(0)
	}()
	_ = http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"status":"ok"}`)
	}))
}

// startReceiver runs the receiver process and returns its URL.
func startReceiver(b *testing.B) string {
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), receiverEnv+"=1")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		stdin.Close()
		_ = cmd.Wait()
	})
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		b.Fatal(err)
	}
	return "http://" + strings.TrimSpace(line)
}

// tunedClient is the anchor: a bare http.Client whose pool keeps a
// connection per request in flight.
func tunedClient(inFlight int) *http.Client {
	return &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: inFlight, MaxIdleConns: inFlight, IdleConnTimeout: time.Minute}}
}

// BenchmarkDelivery measures end-to-end deliveries per second to a receiver
// in another process, 64 in flight: Outhook (matching, rendering the Torq
// body over the 3 KB event, a response validator, recording) against the
// anchor, a bare tuned http.Client posting the same rendered body. The
// target is Outhook at 85% or more of the anchor's req/s.
func BenchmarkDelivery(b *testing.B) {
	url := startReceiver(b)
	const inFlight = 64
	event := mustMock(b, webhook.RequestCreated)
	tmpl := `{"body":{"event":"New Apono {{event_type}} request made by {{data.requester.name}}"}}`
	body := []byte(`{"body":{"event":"New Apono RequestCreated request made by Zoë Ångström-Okafor"}}`)

	b.Run("anchor=tuned-client", func(b *testing.B) {
		client := tunedClient(inFlight)
		defer client.CloseIdleConnections()
		var next atomic.Int64
		var wg sync.WaitGroup
		start := time.Now()
		for range inFlight {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for next.Add(1) <= int64(b.N) {
					req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
					req.Header.Set("Content-Type", "application/json")
					resp, err := client.Do(req)
					if err != nil {
						b.Error(err)
						return
					}
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
			}()
		}
		wg.Wait()
		b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "req/s")
	})

	b.Run("outhook", func(b *testing.B) {
		var delivered atomic.Int64
		done := make(chan struct{})
		want := int64(b.N)
		d, err := webhook.New(
			webhook.WithURLPolicy(webhook.URLPolicy{AllowHTTP: true, AllowCustomPorts: true}),
			webhook.WithAllowedTargets("127.0.0.1"), // the loopback receiver; the SSRF guard blocks it otherwise
			webhook.WithWorkers(inFlight), webhook.WithConcurrency(inFlight),
			webhook.WithInvocationStore(webhook.NewMemoryStore(0, 0)),
			webhook.WithInvocationHook(func(inv webhook.Invocation) {
				if inv.Outcome != webhook.Delivered {
					b.Errorf("%s: %s", inv.Outcome, inv.Reason)
				}
				if delivered.Add(1) == want {
					close(done)
				}
			}),
		)
		if err != nil {
			b.Fatal(err)
		}
		defer d.Close(context.Background())
		_, err = d.Add(webhook.Webhook{
			Name: "torq", Active: true, URL: url, BodyTemplate: tmpl,
			Headers:            map[string]string{"Authorization": "Bearer token"},
			Triggers:           []webhook.Trigger{webhook.RequestCreated},
			ResponseValidators: []webhook.ResponseValidator{{JSONPath: "$.data.status", ExpectedValues: []string{"ok"}}},
		})
		if err != nil {
			b.Fatal(err)
		}
		ctx := context.Background()
		start := time.Now()
		for range b.N {
			if _, err := d.Publish(ctx, event); err != nil {
				b.Fatal(err)
			}
		}
		<-done
		b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "req/s")
	})
}
