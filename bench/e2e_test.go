package bench

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
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/outhook/outhook/accessrequest"
	"github.com/outhook/outhook/event"
	"github.com/outhook/outhook/internal/testkit/heappeak"
	"github.com/outhook/outhook/webhook"
)

// receiverEnv makes the test binary run as a webhook receiver instead of
// running tests, so that the end-to-end benchmarks post to another process,
// as a real endpoint is.
const receiverEnv = "OUTHOOK_BENCH_RECEIVER"

func TestMain(m *testing.M) {
	if os.Getenv(receiverEnv) == "1" {
		runReceiver()
		return
	}
	os.Exit(m.Run())
}

// runReceiver answers every request with a small JSON body, except on
// /stall, where it never answers (it waits for the client to give up),
// until its standard input closes.
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
		if r.URL.Path == "/stall" {
			<-r.Context().Done()
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"status":"ok"}`)
	}))
}

// startReceiver runs the receiver process and returns its base URL and
// process id.
func startReceiver(b *testing.B) (string, int) {
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
	return "http://" + strings.TrimSpace(line), cmd.Process.Pid
}

// torqBody is the Torq body rendered over the benchmark event: what the raw
// clients post.
func torqBody(b *testing.B) []byte {
	e, err := event.Parse(eventJSON(b))
	if err != nil {
		b.Fatal(err)
	}
	body, err := torqTemplate().Append(nil, e.Document())
	if err != nil {
		b.Fatal(err)
	}
	return body
}

// dialNoLinger dials TCP connections that close with a reset, leaving no
// TIME_WAIT behind.
func dialNoLinger(ctx context.Context, network, addr string) (net.Conn, error) {
	c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	return c, err
}

// cpuTime returns the CPU time (user and system) this process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// clockTicks is the unit of the CPU times in /proc/<pid>/stat.
const clockTicks = 100

// processCPU returns the CPU time (user and system) process pid has used,
// to the hundredth of a second, or false where there is no /proc.
func processCPU(pid int) (time.Duration, bool) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, false
	}
	// utime and stime are the 12th and 13th fields after the command
	// name, which is in parentheses and may hold spaces.
	fields := strings.Fields(string(data[bytes.LastIndexByte(data, ')')+1:]))
	if len(fields) < 13 {
		return 0, false
	}
	user, err1 := strconv.ParseInt(fields[11], 10, 64)
	sys, err2 := strconv.ParseInt(fields[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, false
	}
	return time.Duration(user+sys) * time.Second / clockTicks, true
}

// cpuMeter measures the CPU time the sender (this process) and the
// receiver spend per request. Sender and receiver share the machine's
// cores, so the two together decide the throughput: a sender that costs
// more leaves less to the receiver.
type cpuMeter struct {
	receiver       int
	sender, recvAt time.Duration
}

func startCPU(receiver int) cpuMeter {
	m := cpuMeter{receiver: receiver, sender: cpuTime()}
	m.recvAt, _ = processCPU(receiver)
	return m
}

func (m cpuMeter) report(b *testing.B) {
	b.ReportMetric(float64(cpuTime()-m.sender)/float64(b.N)/1e3, "sender-cpu-µs/op")
	if now, ok := processCPU(m.receiver); ok {
		b.ReportMetric(float64(now-m.recvAt)/float64(b.N)/1e3, "receiver-cpu-µs/op")
	}
}

// postAll posts body b.N times with inFlight goroutines and reports req/s.
func postAll(b *testing.B, client *http.Client, url string, receiver int, body []byte, inFlight int) {
	cpu, start := startCPU(receiver), time.Now()
	postN(b, client, url, body, inFlight, b.N)
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "req/s")
	cpu.report(b)
}

// postN posts body n times with inFlight goroutines.
func postN(b *testing.B, client *http.Client, url string, body []byte, inFlight, n int) {
	var next atomic.Int64
	var wg sync.WaitGroup
	for range inFlight {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(n) {
				req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
				// The headers Outhook sends, so that the receiver has the
				// same work either way.
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Authorization", "Bearer token")
				req.Header.Set("User-Agent", "Outhook/1")
				req.Header.Set("Webhook-Id", "9f3c2a7b5e1d4c8a9b0f6e2d1c3a5b7e")
				req.Header.Set("Webhook-Timestamp", "1795435200")
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
}

// BenchmarkDelivery measures end-to-end deliveries per second to a receiver
// in another process at 8, 64 and 256 in flight:
//
//   - anchor=tuned-client: a bare http.Client whose pool keeps a connection
//     per request in flight, posting the already rendered Torq body with
//     the headers Outhook sends (Content-Type, Authorization, User-Agent,
//     Webhook-Id, Webhook-Timestamp);
//   - default-client: the same with http.DefaultTransport's settings (two
//     idle connections per host, so it redials);
//   - by-hand: the work the outhook side does, written by hand on the
//     anchor's client (see byHand): the floor of that work's cost;
//   - outhook: Publish of the 3 KB event to one webhook, which matches it,
//     renders the Torq body, signs nothing, sends it with the Dispatcher's own
//     guarded client, reads and validates the response ($.data.status) and
//     records the invocation.
//
// Target (issue 21): outhook's sender CPU at most 1.1 times the anchor's,
// and 90% of its req/s or more.
func BenchmarkDelivery(b *testing.B) {
	url, receiver := startReceiver(b)
	body := torqBody(b)
	ev, err := event.Parse(eventJSON(b))
	if err != nil {
		b.Fatal(err)
	}
	for _, inFlight := range []int{8, 64, 256} {
		prefix := fmt.Sprintf("inflight=%d/", inFlight)
		b.Run(prefix+"anchor=tuned-client", func(b *testing.B) {
			client := tunedClient(inFlight)
			defer client.CloseIdleConnections()
			postAll(b, client, url, receiver, body, inFlight)
		})
		b.Run(prefix+"default-client", func(b *testing.B) {
			// http.DefaultClient's settings, on a transport of its own so
			// that its pool does not carry over from one run to the next.
			// Its connections close with a reset: the tens of thousands it
			// redials would otherwise sit in TIME_WAIT for a minute, nearly
			// exhausting the ephemeral ports, and slow every run after it.
			t := http.DefaultTransport.(*http.Transport).Clone()
			t.DialContext = dialNoLinger
			client := &http.Client{Transport: t}
			defer client.CloseIdleConnections()
			postAll(b, client, url, receiver, body, inFlight)
		})
		b.Run(prefix+"by-hand", func(b *testing.B) {
			h := newByHand(url, inFlight, webhook.DefaultQueueSize)
			defer h.close()
			cpu, start := startCPU(receiver), time.Now()
			h.publishN(b, ev, b.N)
			b.StopTimer()
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "req/s")
			cpu.report(b)
		})
		b.Run(prefix+"outhook", func(b *testing.B) {
			d, delivered := newDeliveryDispatcher(b, url, inFlight)
			defer d.Close(context.Background())
			cpu, start := startCPU(receiver), time.Now()
			publishN(b, d, ev, delivered, b.N)
			b.StopTimer() // Close is not part of the measure
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "req/s")
			cpu.report(b)
		})
	}
}

// tunedClient is the anchor's client: its pool keeps a connection per
// request in flight.
func tunedClient(inFlight int) *http.Client {
	return &http.Client{Transport: &http.Transport{
		MaxIdleConns: inFlight, MaxIdleConnsPerHost: inFlight, IdleConnTimeout: time.Minute,
	}}
}

// deliveredCount counts a Dispatcher's deliveries, and signals done when
// the count reaches want.
type deliveredCount struct {
	n, want atomic.Int64
	done    chan struct{}
}

// newDeliveryDispatcher returns the Dispatcher of BenchmarkDelivery's
// outhook, with the Torq webhook to url added, and its count of
// deliveries.
func newDeliveryDispatcher(b *testing.B, url string, inFlight int) (*webhook.Dispatcher, *deliveredCount) {
	c := &deliveredCount{done: make(chan struct{}, 1)}
	d, err := webhook.New(
		webhook.WithURLPolicy(webhook.URLPolicy{AllowHTTP: true, AllowCustomPorts: true}),
		webhook.WithAllowedTargets("127.0.0.1"),
		webhook.WithWorkers(inFlight), webhook.WithConcurrency(inFlight),
		// Publishing outruns delivering: the publisher waits for room.
		webhook.WithQueue(webhook.DefaultQueueSize, webhook.QueueBlock),
		webhook.WithInvocationHook(func(inv webhook.Invocation) {
			if inv.Outcome != webhook.Delivered {
				b.Errorf("%s: %s", inv.Outcome, inv.Reason)
			}
			if c.n.Add(1) == c.want.Load() {
				c.done <- struct{}{}
			}
		}),
	)
	if err != nil {
		b.Fatal(err)
	}
	_, err = d.Add(webhook.Webhook{
		Name: "torq", Active: true, URL: url, BodyTemplate: torqOuthook,
		Headers:            map[string]string{"Authorization": "Bearer token"},
		Triggers:           []event.Trigger{accessrequest.Created},
		ResponseValidators: []webhook.ResponseValidator{{JSONPath: "$.data.status", ExpectedValues: []string{"ok"}}},
	})
	if err != nil {
		b.Fatal(err)
	}
	return d, c
}

// publishN publishes ev n times to d and waits for its n deliveries.
func publishN(b *testing.B, d *webhook.Dispatcher, ev *event.Event, c *deliveredCount, n int) {
	c.want.Store(c.n.Load() + int64(n))
	ctx := context.Background()
	for range n {
		if _, err := d.Publish(ctx, ev); err != nil {
			b.Fatal(err)
		}
	}
	<-c.done
}

// BenchmarkDeliveryPaired measures what BenchmarkDelivery's anchor, its
// by-hand side and outhook do, at 8, 64 and 256 in flight, in rounds of
// 5,000 deliveries taken in turn (each round changing which goes first,
// each starting on a collected heap), so that all three see the same load
// on a shared machine; b.N deliveries each. It reports each side's
// sender-cpu-µs/op and, summed over the rounds:
//
//   - cpu-ratio and req/s-ratio: outhook's sender CPU over the anchor's,
//     and its deliveries per second over the anchor's; the goal of issue
//     21 is cpu-ratio <= 1.1 and req/s-ratio >= 0.9;
//   - hand-cpu-ratio and hand-req/s-ratio: the same of the by-hand side,
//     what the work itself costs over the bare client;
//   - over-hand-cpu-ratio: outhook's sender CPU over the by-hand side's,
//     what Outhook costs beyond doing the same work by hand.
func BenchmarkDeliveryPaired(b *testing.B) {
	url, _ := startReceiver(b)
	body := torqBody(b)
	ev, err := event.Parse(eventJSON(b))
	if err != nil {
		b.Fatal(err)
	}
	for _, inFlight := range []int{8, 64, 256} {
		b.Run(fmt.Sprintf("inflight=%d", inFlight), func(b *testing.B) {
			client := tunedClient(inFlight)
			defer client.CloseIdleConnections()
			d, delivered := newDeliveryDispatcher(b, url, inFlight)
			defer d.Close(context.Background())
			hand := newByHand(url, inFlight, webhook.DefaultQueueSize)
			defer hand.close()
			const anchor, outhook, byHand, sides = 0, 1, 2, 3
			var cpu, took [sides]time.Duration
			const round = 5000
			for i, left := 0, b.N; left > 0; i, left = i+1, left-round {
				n := min(round, left)
				for j := range sides {
					side := (i + j) % sides
					// Each side starts on a collected heap, so that no
					// garbage of another side's round is charged to it.
					runtime.GC()
					c, t := cpuTime(), time.Now()
					switch side {
					case anchor:
						postN(b, client, url, body, inFlight, n)
					case outhook:
						publishN(b, d, ev, delivered, n)
					case byHand:
						hand.publishN(b, ev, n)
					}
					cpu[side] += cpuTime() - c
					took[side] += time.Since(t)
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(cpu[outhook])/float64(cpu[anchor]), "cpu-ratio")
			b.ReportMetric(float64(took[anchor])/float64(took[outhook]), "req/s-ratio")
			b.ReportMetric(float64(cpu[byHand])/float64(cpu[anchor]), "hand-cpu-ratio")
			b.ReportMetric(float64(took[anchor])/float64(took[byHand]), "hand-req/s-ratio")
			b.ReportMetric(float64(cpu[outhook])/float64(cpu[byHand]), "over-hand-cpu-ratio")
			b.ReportMetric(float64(cpu[anchor])/float64(b.N)/1e3, "anchor-cpu-µs/op")
			b.ReportMetric(float64(cpu[byHand])/float64(b.N)/1e3, "hand-cpu-µs/op")
			b.ReportMetric(float64(cpu[outhook])/float64(b.N)/1e3, "outhook-cpu-µs/op")
		})
	}
}

// BenchmarkStalledNeighbour measures a healthy webhook's deliveries per
// second alone (the anchor) and beside a webhook whose endpoint accepts the
// request and never answers (its timeout is 10 minutes), both on the
// receiver process. Each webhook may have 32 deliveries in flight of the 64
// workers; the stalled one's queue holds 1,000. Target: 90% of the anchor
// or more. It reports the process's peak heap (live and unswept objects,
// sampled every 5 ms), which the stalled webhook's bounds keep flat.
//
// beside-stalled has the default queue policy, QueueReject: the stalled
// webhook's overflow becomes dead letters. beside-stalled-block has
// QueueBlock, each Publish given 10 ms to find room: once the stalled queue
// is full, every Publish waits out its deadline, so the publisher, not the
// work, sets the pace; it measures what gets through in a fixed 2 s,
// whatever b.N. With context.Background() Publish would never return.
func BenchmarkStalledNeighbour(b *testing.B) {
	url, receiver := startReceiver(b)
	ev, err := event.Parse(eventJSON(b))
	if err != nil {
		b.Fatal(err)
	}
	for _, name := range []string{"anchor=alone", "beside-stalled", "beside-stalled-block"} {
		neighbour, block := name != "anchor=alone", name == "beside-stalled-block"
		b.Run(name, func(b *testing.B) {
			var delivered atomic.Int64
			done := make(chan struct{})
			want := int64(b.N)
			opts := []webhook.Option{
				webhook.WithURLPolicy(webhook.URLPolicy{AllowHTTP: true, AllowCustomPorts: true}),
				webhook.WithAllowedTargets("127.0.0.1"),
				webhook.WithWorkers(64), webhook.WithConcurrency(32),
				webhook.WithRetryPolicy(webhook.RetryPolicy{MaxAttempts: 1}),
				webhook.WithInvocationHook(func(inv webhook.Invocation) {
					if inv.WebhookName == "healthy" && delivered.Add(1) == want && !block {
						close(done)
					}
				}),
			}
			if block {
				opts = append(opts, webhook.WithQueue(webhook.DefaultQueueSize, webhook.QueueBlock)) // each webhook sets its own size below
			}
			d, err := webhook.New(opts...)
			if err != nil {
				b.Fatal(err)
			}
			defer func() {
				ctx, cancel := context.WithTimeout(context.Background(), time.Second)
				defer cancel()
				_ = d.Close(ctx)
			}()
			add := func(name, url string, timeout int, settings *webhook.DeliverySettings) {
				_, err := d.Add(webhook.Webhook{Name: name, Active: true, URL: url, TimeoutInSec: timeout, Delivery: settings,
					BodyTemplate: torqOuthook, Triggers: []event.Trigger{accessrequest.Created}})
				if err != nil {
					b.Fatal(err)
				}
			}
			// The healthy queue holds every event, so that only the stalled
			// webhook is ever full.
			add("healthy", url, 30, &webhook.DeliverySettings{QueueSize: max(b.N+1, 1<<20)})
			if neighbour {
				add("stalled", url+"/stall", 600, &webhook.DeliverySettings{QueueSize: 1000})
			}
			if block {
				stalledNeighbourBlocked(b, d, ev, &delivered)
				return
			}
			runtime.GC()
			stop := heappeak.Sample(5 * time.Millisecond)
			ctx := context.Background()
			cpu, start := startCPU(receiver), time.Now()
			for range b.N {
				if _, err := d.Publish(ctx, ev); err != nil && !neighbour {
					b.Fatal(err)
				}
			}
			<-done
			elapsed := time.Since(start)
			// Close waits out the stalled attempts (a second): not part of
			// the measure, and it would stop b.N from growing.
			b.StopTimer()
			peak := stop()
			b.ReportMetric(float64(b.N)/elapsed.Seconds(), "req/s")
			b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
			cpu.report(b)
		})
	}
}

// stalledNeighbourBlocked fills the stalled webhook's queue, then publishes
// for 2 s with a 10 ms deadline per Publish, and reports the healthy
// webhook's deliveries per second over that window.
func stalledNeighbourBlocked(b *testing.B, d *webhook.Dispatcher, ev *event.Event, delivered *atomic.Int64) {
	const window, deadline = 2 * time.Second, 10 * time.Millisecond
	publish := func(ctx context.Context) error {
		ctx, cancel := context.WithTimeout(ctx, deadline)
		defer cancel()
		_, err := d.Publish(ctx, ev)
		return err
	}
	filled := int64(1) // the Publish that found the stalled queue full
	for publish(context.Background()) == nil {
		filled++
	}
	for delivered.Load() < filled { // the filling's deliveries are not part of the measure
		time.Sleep(time.Millisecond)
	}
	runtime.GC()
	stop := heappeak.Sample(5 * time.Millisecond)
	from, start := delivered.Load(), time.Now()
	for time.Since(start) < window {
		_ = publish(context.Background())
	}
	elapsed := time.Since(start)
	n := delivered.Load() - from
	b.StopTimer()
	peak := stop()
	b.ReportMetric(float64(n)/elapsed.Seconds(), "req/s")
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
}
