// Command console serves the Webhooks console (package console) and the
// management API (package manage) on this machine, with no setup and no
// network: the Dispatcher keeps its definitions and records in memory,
// a local HTTP receiver stands in for Torq, the quickstart's three
// webhooks are registered, and the six built-in access-request events are
// published, so the pages have history to show.
//
//	go run ./examples/console            # then open http://127.0.0.1:8080/
//
// Webhooks may be pointed at the stand-in (its address is printed), which
// answers {"status":"ok"}, or at any https URL. The console and the API
// have no authentication and answer on loopback only; a service mounts
// them behind its own. Interrupt to stop.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/outhook/outhook/accessrequest"
	"github.com/outhook/outhook/audit"
	"github.com/outhook/outhook/console"
	"github.com/outhook/outhook/event"
	"github.com/outhook/outhook/filter"
	"github.com/outhook/outhook/integration"
	"github.com/outhook/outhook/manage"
	"github.com/outhook/outhook/torq"
	"github.com/outhook/outhook/webhook"
	"github.com/outhook/outhook/webhooktest"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "listen on `ADDR` (port 0 picks a free one)")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, *addr, os.Stdout, nil); err != nil {
		fmt.Fprintln(os.Stderr, "console:", err)
		os.Exit(1)
	}
}

const (
	torqWebhook = "https://hooks.torq.io/v1/webhooks/console"
	torqToken   = "console-demo-torq-token"
)

// run serves until ctx ends; ready, when not nil, is sent the console's
// URL once it answers.
func run(ctx context.Context, addr string, out io.Writer, ready chan<- string) error {
	ok := webhooktest.Response{Body: `{"status":"ok"}`, Header: http.Header{"Content-Type": {"application/json"}}}
	standIn := webhooktest.NewReceiver(
		webhooktest.Respond(ok),
		webhooktest.Route("/v1/webhooks/console/workflows/escalate/sync", webhooktest.Response{Status: http.StatusServiceUnavailable, Body: `{"status":"busy"}`}),
	)
	defer standIn.Close()

	d, err := webhook.New(
		// Apono's other kinds beside access requests, for Add Webhook.
		webhook.WithEventKind(integration.Kind()),
		webhook.WithEventKind(audit.Kind()),
		webhook.WithAllowedTargets("127.0.0.1"),
		webhook.WithURLPolicy(webhook.URLPolicy{AllowHTTP: true, AllowCustomPorts: true}),
		webhook.WithRecordFiltered(true),
		webhook.WithRetryPolicy(webhook.RetryPolicy{MaxAttempts: 2, InitialInterval: webhook.Duration(100 * time.Millisecond)}),
	)
	if err != nil {
		return err
	}
	defer d.Close(context.Background())

	if err := seed(ctx, d, standIn.URL); err != nil {
		return err
	}

	// Only this machine: a loopback peer that names a loopback host, so
	// that a web page whose domain resolves to 127.0.0.1 (DNS rebinding)
	// is refused too.
	local := func(r *http.Request) (string, string, error) {
		if !loopback(r.RemoteAddr) || !loopbackHost(r.Host) {
			return "", "", manage.ErrForbidden
		}
		return "", "console-demo", nil
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	ui, err := console.New(d, local, console.WithLogger(logger))
	if err != nil {
		return err
	}
	api, err := manage.New(d, local, manage.WithLogger(logger))
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.Handle("/api/", http.StripPrefix("/api", api))
	mux.Handle("/", ui)

	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	url := "http://" + ln.Addr().String() + "/"
	fmt.Fprintf(out, "The console is at %s (the API at %sapi/).\nThe stand-in for Torq is at %s; point webhooks at it, or at any https URL.\nInterrupt to stop.\n", url, url, standIn.URL)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	if ready != nil {
		ready <- url
	}
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return nil
}

// seed registers the quickstart's webhooks, pointed at the stand-in, and
// publishes the six mock events.
func seed(ctx context.Context, d *webhook.Dispatcher, standIn string) error {
	everything, err := torq.New(torqWebhook, torqToken, torq.WithBaseURL(standIn))
	if err != nil {
		return err
	}
	everything.ResponseValidators = []webhook.ResponseValidator{{JSONPath: "$.data.status", ExpectedValues: []string{"ok"}}}

	awsOnly, err := torq.New(torqWebhook+"/workflows/aws-access", torqToken, torq.WithBaseURL(standIn))
	if err != nil {
		return err
	}
	awsOnly.Name = "torq-aws-only"
	awsOnly.Triggers = []event.Trigger{accessrequest.Granted}
	awsOnly.Filters = filter.Must(filter.FromFilters(filter.Filters{IntegrationTypes: []string{"AWS"}}))

	escalate, err := torq.New(torqWebhook+"/workflows/escalate/sync", torqToken, torq.WithBaseURL(standIn), torq.WithAuthHeader("X-Torq-Token"))
	if err != nil {
		return err
	}
	escalate.Name = "torq-escalate"
	escalate.Triggers = []event.Trigger{accessrequest.Failed}

	added, err := d.AddAll([]webhook.Webhook{everything, awsOnly, escalate})
	if err != nil {
		return err
	}
	for _, e := range accessrequest.Mocks() {
		if _, err := d.Publish(ctx, e); err != nil {
			return err
		}
	}
	// One inactive webhook, for the table's white dot.
	_, err = d.Tenant("").SetActive(ctx, added[1].ID, false, 0, "console-demo")
	return err
}

func loopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	return err == nil && net.ParseIP(host).IsLoopback()
}

func loopbackHost(host string) bool {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
}
