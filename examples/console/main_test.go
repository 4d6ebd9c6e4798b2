package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/internal/testkit/leakcheck"
)

// row is one webhook of the console's table: its id, state and name.
var row = regexp.MustCompile(`<tr id="webhook-(\w+)">\s*<th scope="row"><span class="dot dot-(active|inactive)"[^>]*></span>.*?<a href="/webhooks/(\w+)">([^<]+)</a>`)

func TestConsole(t *testing.T) {
	leakcheck.Check(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out bytes.Buffer
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- run(ctx, "127.0.0.1:0", &out, ready) }()
	var base string
	select {
	case base = <-ready:
	case err := <-done:
		t.Fatalf("run returned before serving: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("the console did not start")
	}
	client := &http.Client{Transport: &http.Transport{}, Timeout: 30 * time.Second}
	defer client.CloseIdleConnections()
	get := func(path string) string {
		t.Helper()
		resp, err := client.Get(base + strings.TrimPrefix(path, "/"))
		require.NoError(t, err)
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, resp.StatusCode, "%s: %s", path, b)
		return string(b)
	}

	// The table: the quickstart's three webhooks, one switched off.
	page := get("/")
	require.Contains(t, page, "<h1>Webhooks</h1>")
	active := map[string]string{}
	ids := map[string]string{}
	for _, m := range row.FindAllStringSubmatch(page, -1) {
		require.Equal(t, m[1], m[3], "a row links to its own webhook")
		active[m[4]] = m[2]
		ids[m[4]] = m[1]
	}
	require.Equal(t, map[string]string{"torq": "active", "torq-aws-only": "inactive", "torq-escalate": "active"}, active, page)

	// The editor of one, with its secret masked.
	page = get("/webhooks/" + ids["torq-escalate"])
	require.Contains(t, page, "<h1>torq-escalate</h1>")
	require.Contains(t, page, "X-Torq-Token")
	require.NotContains(t, page, torqToken)

	// History: the stand-in refuses every escalation with 503, so after
	// its two attempts the RequestFailed event is a dead letter.
	page = get("/invocations")
	require.Contains(t, page, "<h1>Invocations</h1>")
	require.Contains(t, page, "torq-aws-only")
	deadline := time.Now().Add(20 * time.Second)
	for {
		page = get("/dead-letters?webhook=" + ids["torq-escalate"])
		if strings.Contains(page, "status 503 Service Unavailable") || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	require.Contains(t, page, "<h1>Dead letters</h1>")
	require.Contains(t, page, `<a href="/webhooks/`+ids["torq-escalate"]+`">torq-escalate</a>`)
	require.Contains(t, page, "RequestFailed")
	require.Contains(t, page, "status 503 Service Unavailable")

	cancel()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(30 * time.Second):
		t.Fatal("run did not return after its context ended")
	}
	require.Contains(t, out.String(), "The console is at "+base)
}

func TestConsoleRefusesAnotherHostName(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- run(ctx, "127.0.0.1:0", io.Discard, ready) }()
	var url string
	select {
	case url = <-ready:
	case err := <-done:
		t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodGet, url, nil)
	require.NoError(t, err)
	req.Host = "rebound.example:8080" // a page whose domain points at 127.0.0.1
	client := &http.Client{Transport: &http.Transport{}}
	res, err := client.Do(req)
	require.NoError(t, err)
	res.Body.Close()
	require.Equal(t, http.StatusForbidden, res.StatusCode)
	client.CloseIdleConnections()
	cancel()
	require.NoError(t, <-done)
}
