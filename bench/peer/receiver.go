package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"sync"
	"time"
)

// receiverEnv makes the driver's binary run as the receiver instead, so
// that both systems post to another process, as to a real endpoint.
const receiverEnv = "PEER_RECEIVER"

// marker prefixes the value of the event's friendly_id: the publisher writes
// the event's sequence number and the time it was due there, and the
// receiver reads them back from whatever body each system sends.
const marker = "PB-"

// markerLen is the length of the marker's value: "PB-", 10 digits of
// sequence, "-", 19 digits of Unix nanoseconds.
const markerLen = len(marker) + 10 + 1 + 19

// appendMarker appends the marker for seq, due at due.
func appendMarker(b []byte, seq int, due time.Time) []byte {
	return fmt.Appendf(b, "%s%010d-%019d", marker, seq, due.UnixNano())
}

// parseMarker finds the marker in body.
func parseMarker(body []byte) (seq int, due int64, ok bool) {
	i := bytes.Index(body, []byte(marker))
	if i < 0 || len(body) < i+markerLen {
		return 0, 0, false
	}
	m := body[i+len(marker) : i+markerLen]
	s, err1 := strconv.Atoi(string(m[:10]))
	d, err2 := strconv.ParseInt(string(m[11:]), 10, 64)
	if err1 != nil || err2 != nil || m[10] != '-' {
		return 0, 0, false
	}
	return s, d, true
}

// pathStats is what the receiver saw on one path since the last reset.
type pathStats struct {
	Received   int     `json:"received"`   // requests carrying a marker
	Duplicates int     `json:"duplicates"` // of those, sequence numbers seen before
	Unmarked   int     `json:"unmarked"`   // requests without a marker
	Last       int64   `json:"last"`       // Unix ns of the last
	Latencies  []int64 `json:"latencies"`  // ns from due to received, first delivery of each
	seen       map[int]bool
}

type receiver struct {
	mu    sync.Mutex
	paths map[string]*pathStats
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/_reset":
		rc.mu.Lock()
		rc.paths = map[string]*pathStats{}
		rc.mu.Unlock()
		return
	case "/_stats":
		rc.mu.Lock()
		defer rc.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(rc.paths)
		return
	}
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	now := time.Now().UnixNano()
	seq, due, ok := parseMarker(body)
	rc.mu.Lock()
	s := rc.paths[r.URL.Path]
	if s == nil {
		s = &pathStats{seen: map[int]bool{}}
		rc.paths[r.URL.Path] = s
	}
	switch {
	case !ok:
		s.Unmarked++
	case s.seen[seq]:
		s.Duplicates++
	default:
		s.seen[seq] = true
		s.Received++
		s.Last = now
		s.Latencies = append(s.Latencies, now-due)
	}
	rc.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	_, _ = io.WriteString(w, `{"status":"ok"}`)
}

// runReceiver serves until its standard input closes (the driver ended).
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
	_ = http.Serve(ln, &receiver{paths: map[string]*pathStats{}})
}
