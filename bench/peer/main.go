// Command peer measures Outhook's durable engine (riverengine on
// PostgreSQL) and Hookdeck Outpost side by side, on this machine, in one
// run: the same receiver (a Go HTTP server in another process answering
// 200), the same 1.7 KB event, the same publishers. See README.md.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	_ "net/http/pprof" // -pprof
	"os"
	"os/exec"
	"runtime"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

func main() {
	if os.Getenv(receiverEnv) == "1" {
		runReceiver()
		return
	}
	var cfg config
	flag.StringVar(&cfg.pgURL, "pg", os.Getenv("PEER_PG_URL"), "PostgreSQL URL for Outhook (default $PEER_PG_URL)")
	flag.StringVar(&cfg.outpost, "outpost", os.Getenv("PEER_OUTPOST_URL"), "Outpost's API base URL (default $PEER_OUTPOST_URL)")
	flag.StringVar(&cfg.outpostKey, "outpost-key", os.Getenv("PEER_OUTPOST_KEY"), "Outpost's API key (default $PEER_OUTPOST_KEY)")
	flag.StringVar(&cfg.eventPath, "event", "../../template/testdata/events/request-created.json", "the event, compacted before use")
	flag.IntVar(&cfg.rounds, "rounds", 3, "rounds; each runs every system's trials once, in turn")
	flag.IntVar(&cfg.n, "n", 4000, "events per throughput trial")
	flag.IntVar(&cfg.publishers, "publishers", 32, "publishing goroutines")
	flag.IntVar(&cfg.rate, "rate", 200, "events per second in the latency trials")
	flag.DurationVar(&cfg.duration, "duration", 10*time.Second, "length of each latency trial")
	flag.IntVar(&cfg.poolConns, "pool", 0, "also run Outhook with a pool of this many connections (0: only the README's default pool)")
	flag.IntVar(&cfg.concurrency, "concurrency", 0, "with -pool, that run's webhook concurrency (0: webhook.DefaultConcurrency)")
	flag.StringVar(&cfg.only, "systems", "", "comma-separated names of the systems to run (default all)")
	flag.StringVar(&cfg.pprofAddr, "pprof", "", "serve net/http/pprof on this address (for goroutine and block profiles during a run)")
	flag.StringVar(&cfg.cpuProfile, "cpuprofile", "", "write a CPU profile of each throughput trial of Outhook and river-by-hand to PREFIX-SYSTEM-rN.pprof")
	flag.Parse()
	if cfg.pprofAddr != "" {
		runtime.SetBlockProfileRate(int(time.Millisecond))
		go func() { fmt.Fprintln(os.Stderr, "pprof:", http.ListenAndServe(cfg.pprofAddr, nil)) }()
	}
	if err := run(context.Background(), cfg); err != nil {
		fmt.Fprintln(os.Stderr, "peer:", err)
		os.Exit(1)
	}
}

type config struct {
	pgURL, outpost, outpostKey string
	eventPath                  string
	rounds, n, publishers      int
	rate                       int
	duration                   time.Duration
	poolConns, concurrency     int
	cpuProfile                 string
	only                       string
	pprofAddr                  string
}

func run(ctx context.Context, cfg config) error {
	if cfg.pgURL == "" {
		return errors.New("-pg is required (eval \"$(bench/peer/outpost.sh env)\")")
	}
	if cfg.rounds < 1 || cfg.n < 1 || cfg.publishers < 1 || cfg.rate < 1 || cfg.duration < time.Second {
		return errors.New("-rounds, -n, -publishers and -rate must be positive, -duration at least 1s")
	}
	raw, err := os.ReadFile(cfg.eventPath)
	if err != nil {
		return err
	}
	ev, err := newEventTemplate(raw)
	if err != nil {
		return err
	}
	target, stopReceiver, err := startReceiver()
	if err != nil {
		return err
	}
	defer stopReceiver()
	rc := &receiverClient{base: target}

	systems := []system{
		&outhookSystem{pgURL: cfg.pgURL, target: target},
		newOutpost(cfg.outpost, cfg.outpostKey, target),
		&riverHand{pgURL: cfg.pgURL, target: target},
	}
	if cfg.poolConns > 0 {
		systems = append(systems, &outhookSystem{pgURL: cfg.pgURL, target: target, maxConns: cfg.poolConns, concurrency: cfg.concurrency})
	}
	if cfg.only != "" {
		names := strings.Split(cfg.only, ",")
		systems = slices.DeleteFunc(systems, func(s system) bool { return !slices.Contains(names, s.Name()) })
	}
	if cfg.outpost == "" && slices.ContainsFunc(systems, func(s system) bool { return s.Name() == "outpost" }) {
		return errors.New("-outpost is required unless -systems leaves Outpost out (eval \"$(bench/peer/outpost.sh env)\")")
	}
	b := &bench{cfg: cfg, ev: ev, rc: rc}
	fmt.Printf("event %d bytes, %d publishers, %d rounds: %d events per throughput trial, %d/s for %s per latency trial\n",
		ev.size(), cfg.publishers, cfg.rounds, cfg.n, cfg.rate, cfg.duration)

	// Warm up each system (connections, caches, Outpost's tenant) unmeasured.
	for _, s := range systems {
		if _, err := b.trial(ctx, s, trialThroughput, 200, ""); err != nil {
			return fmt.Errorf("%s: warm-up: %w", s.Name(), err)
		}
	}
	var results []result
	for r := range cfg.rounds {
		order := rotate(systems, r)
		for _, kind := range []trialKind{trialThroughput, trialLatency} {
			for _, s := range order {
				prof := ""
				if cfg.cpuProfile != "" && kind == trialThroughput && s.Name() != "outpost" {
					prof = fmt.Sprintf("%s-%s-r%d.pprof", cfg.cpuProfile, s.Name(), r+1)
				}
				res, err := b.trial(ctx, s, kind, cfg.n, prof)
				if err != nil {
					return fmt.Errorf("%s: round %d: %w", s.Name(), r+1, err)
				}
				res.round = r + 1
				fmt.Println(res)
				results = append(results, res)
			}
		}
	}
	report(os.Stdout, systems, results)
	return nil
}

// rotate returns systems starting at the r-th, so that no system always
// runs first in a round.
func rotate(systems []system, r int) []system {
	i := r % len(systems)
	return append(slices.Clone(systems[i:]), systems[:i]...)
}

// eventTemplate is the compacted event split around the value of its
// friendly_id, where each publish writes its marker.
type eventTemplate struct{ head, tail []byte }

func newEventTemplate(raw []byte) (*eventTemplate, error) {
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil {
		return nil, err
	}
	const field = `"friendly_id":"`
	i := bytes.Index(buf.Bytes(), []byte(field))
	if i < 0 {
		return nil, errors.New("event: no friendly_id to carry the marker")
	}
	head := buf.Bytes()[:i+len(field)]
	rest := buf.Bytes()[i+len(field):]
	j := bytes.IndexByte(rest, '"')
	if j < 0 {
		return nil, errors.New("event: unterminated friendly_id")
	}
	return &eventTemplate{head: slices.Clone(head), tail: slices.Clone(rest[j:])}, nil
}

func (e *eventTemplate) render(seq int, due time.Time) []byte {
	b := make([]byte, 0, e.size())
	b = append(b, e.head...)
	b = appendMarker(b, seq, due)
	return append(b, e.tail...)
}

func (e *eventTemplate) size() int { return len(e.head) + markerLen + len(e.tail) }

type trialKind string

const (
	trialThroughput trialKind = "throughput"
	trialLatency    trialKind = "latency"
)

type result struct {
	system     string
	kind       trialKind
	round      int
	published  int
	received   int
	duplicates int
	perSec     float64         // throughput: received / (last received - first publish)
	p50, p99   time.Duration   // latency, from when each event was due
	worst      time.Duration   // latency
	load       [2][3]float64   // /proc/loadavg before and after
	elapsed    time.Duration   // from the first publish to the last delivery
	published0 time.Duration   // how long publishing took
	latencies  []time.Duration // sorted
}

func (r result) String() string {
	s := fmt.Sprintf("round %d %-9s %-16s received %d/%d (dup %d) in %.2fs, load %.2f→%.2f",
		r.round, r.kind, r.system, r.received, r.published, r.duplicates, r.elapsed.Seconds(), r.load[0][0], r.load[1][0])
	if r.kind == trialThroughput {
		return s + fmt.Sprintf(": %.0f deliveries/s (publishing took %.2fs)", r.perSec, r.published0.Seconds())
	}
	return s + fmt.Sprintf(": p50 %s p99 %s worst %s", ms(r.p50), ms(r.p99), ms(r.worst))
}

type bench struct {
	cfg config
	ev  *eventTemplate
	rc  *receiverClient
	seq atomic.Int64 // unique across the run: Outpost deduplicates by event id
}

// trial starts s, publishes n events as fast as the publishers go
// (throughput) or rate a second for the configured duration (latency),
// waits until the receiver has them all, and stops s.
func (b *bench) trial(ctx context.Context, s system, kind trialKind, n int, profile string) (res result, err error) {
	res = result{system: s.Name(), kind: kind}
	defer func() { // also after a Start that failed half-way
		stopCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		err = errors.Join(err, s.Stop(stopCtx))
	}()
	if err := s.Start(ctx); err != nil {
		return res, err
	}
	if err := b.rc.reset(ctx); err != nil {
		return res, err
	}
	interval := time.Duration(0)
	if kind == trialLatency {
		n = int(b.cfg.duration.Seconds() * float64(b.cfg.rate))
		interval = time.Second / time.Duration(b.cfg.rate)
	}
	if profile != "" {
		f, err := os.Create(profile)
		if err != nil {
			return res, err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return res, err
		}
		defer pprof.StopCPUProfile()
	}
	res.published = n
	res.load[0] = loadAvg()
	start := time.Now()
	var next atomic.Int64
	var wg sync.WaitGroup
	errc := make(chan error, b.cfg.publishers)
	for range b.cfg.publishers {
		wg.Go(func() {
			for i := int(next.Add(1)) - 1; i < n; i = int(next.Add(1)) - 1 {
				due := time.Now()
				if interval > 0 {
					due = start.Add(time.Duration(i) * interval)
					time.Sleep(time.Until(due))
				}
				seq := int(b.seq.Add(1))
				if err := s.Publish(ctx, seq, b.ev.render(seq, due)); err != nil {
					errc <- err
					return
				}
			}
		})
	}
	wg.Wait()
	res.published0 = time.Since(start)
	close(errc)
	if err := <-errc; err != nil {
		return res, fmt.Errorf("publish: %w", err)
	}
	// Wait for the deliveries: polling the receiver's count only decides
	// when to stop; the times come from the receiver.
	deadline := time.Now().Add(2*time.Minute + time.Duration(n)*10*time.Millisecond)
	var st *pathStats
	for {
		if st, err = b.rc.stats(ctx, s.Path()); err != nil {
			return res, err
		}
		if st.Received >= n || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	res.load[1] = loadAvg()
	res.received, res.duplicates = st.Received, st.Duplicates
	if st.Received < n {
		return res, fmt.Errorf("%d of %d events delivered after %s", st.Received, n, time.Since(start).Round(time.Second))
	}
	res.elapsed = time.Duration(st.Last - start.UnixNano())
	res.perSec = float64(n) / res.elapsed.Seconds()
	for _, l := range st.Latencies {
		res.latencies = append(res.latencies, time.Duration(l))
	}
	slices.Sort(res.latencies)
	res.p50, res.p99, res.worst = quantile(res.latencies, 0.50), quantile(res.latencies, 0.99), res.latencies[len(res.latencies)-1]
	return res, nil
}

// quantile returns the q-quantile of sorted (nearest rank).
func quantile(sorted []time.Duration, q float64) time.Duration {
	i := int(q*float64(len(sorted))+0.5) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1fms", float64(d)/1e6) }

func loadAvg() [3]float64 {
	var l [3]float64
	data, err := os.ReadFile("/proc/loadavg")
	if err == nil {
		_, _ = fmt.Sscan(string(data), &l[0], &l[1], &l[2])
	}
	return l
}

// startReceiver runs this binary again as the receiver and returns its base
// URL and a func that ends it.
func startReceiver() (string, func(), error) {
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), receiverEnv+"=1")
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return "", nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return "", nil, err
	}
	if err := cmd.Start(); err != nil {
		return "", nil, err
	}
	stop := func() { stdin.Close(); _ = cmd.Wait() }
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		stop()
		return "", nil, fmt.Errorf("receiver: %w", err)
	}
	return "http://" + strings.TrimSpace(line), stop, nil
}

type receiverClient struct{ base string }

var receiverHTTP = &http.Client{Timeout: 10 * time.Second}

func (c *receiverClient) reset(ctx context.Context) error {
	_, err := c.do(ctx, "POST", "/_reset")
	return err
}

func (c *receiverClient) stats(ctx context.Context, path string) (*pathStats, error) {
	body, err := c.do(ctx, "GET", "/_stats")
	if err != nil {
		return nil, err
	}
	var all map[string]*pathStats
	if err := json.Unmarshal(body, &all); err != nil {
		return nil, fmt.Errorf("receiver stats: %w", err)
	}
	if st := all[path]; st != nil {
		return st, nil
	}
	return &pathStats{}, nil
}

func (c *receiverClient) do(ctx context.Context, method, path string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, nil)
	if err != nil {
		return nil, err
	}
	resp, err := receiverHTTP.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	return io.ReadAll(resp.Body)
}
