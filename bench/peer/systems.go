package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/outhook/outhook/accessrequest"
	"github.com/outhook/outhook/event"
	"github.com/outhook/outhook/riverengine"
	"github.com/outhook/outhook/webhook"
)

// system is one side of the comparison: started before a trial, stopped
// after it, publishing the 1.7 KB event to one endpoint on the receiver.
type system interface {
	Name() string
	// Path is the receiver path the system posts to.
	Path() string
	Start(ctx context.Context) error
	Publish(ctx context.Context, seq int, body []byte) error
	Stop(ctx context.Context) error
}

// outhookSystem is a Dispatcher on riverengine set up as riverengine's
// README shows it: pgxpool.New with the pool riverengine.PoolConns gives
// its default workers (pool_max_conns=35), riverengine.New and webhook.New
// with their defaults. The URL policy admits the loopback receiver, which
// the defaults refuse. maxConns, if set, sizes the pool instead;
// concurrency, if set, is the webhook's concurrency instead of
// webhook.DefaultConcurrency.
type outhookSystem struct {
	pgURL       string
	target      string
	maxConns    int
	concurrency int

	pool *pgxpool.Pool
	eng  *riverengine.Engine
	d    *webhook.Dispatcher
}

func (s *outhookSystem) Name() string {
	name := "outhook"
	if s.maxConns > 0 {
		name += fmt.Sprintf("-pool=%d", s.maxConns)
	}
	if s.concurrency > 0 {
		name += fmt.Sprintf("-concurrency=%d", s.concurrency)
	}
	return name
}

func (s *outhookSystem) Path() string { return "/outhook" }

func (s *outhookSystem) Start(ctx context.Context) error {
	cfg, err := pgxpool.ParseConfig(s.pgURL)
	if err != nil {
		return err
	}
	cfg.MaxConns = riverengine.PoolConns(riverengine.DefaultWorkers)
	if s.maxConns > 0 {
		cfg.MaxConns = int32(s.maxConns)
	}
	if s.pool, err = pgxpool.NewWithConfig(ctx, cfg); err != nil {
		return err
	}
	if err := riverengine.Migrate(ctx, s.pool); err != nil {
		return err
	}
	if s.eng, err = riverengine.New(ctx, s.pool); err != nil {
		return err
	}
	opts := []webhook.Option{webhook.WithEngine(s.eng),
		webhook.WithURLPolicy(webhook.URLPolicy{AllowHTTP: true, AllowCustomPorts: true}),
		webhook.WithAllowedTargets("127.0.0.1")}
	if s.concurrency > 0 {
		opts = append(opts, webhook.WithConcurrency(s.concurrency))
	}
	s.d, err = webhook.New(opts...)
	if err != nil {
		return err
	}
	// No body template: the event is sent as it is, as Outpost sends it.
	_, err = s.d.Add(webhook.Webhook{
		Name: "peer", Active: true, URL: s.target + s.Path(),
		Triggers: []event.Trigger{accessrequest.Created},
	})
	return err
}

func (s *outhookSystem) Publish(ctx context.Context, _ int, body []byte) error {
	ev, err := event.Parse(body)
	if err != nil {
		return err
	}
	_, err = s.d.Publish(ctx, ev)
	return err
}

func (s *outhookSystem) Stop(ctx context.Context) error {
	var errs []error
	if s.d != nil {
		errs = append(errs, s.d.Close(ctx))
	}
	if s.eng != nil {
		errs = append(errs, s.eng.Close(ctx))
	}
	if s.pool != nil {
		s.pool.Close()
	}
	s.d, s.eng, s.pool = nil, nil, nil // the next trial starts afresh
	return errors.Join(errs...)
}

// outpostSystem publishes through Outpost's API (POST /api/v1/publish) to a
// tenant with one webhook destination; Outpost runs as outpost.sh starts it.
type outpostSystem struct {
	api, key string
	target   string
	tenant   string // one per driver run
	client   *http.Client
	ready    bool
}

func newOutpost(api, key, target string) *outpostSystem {
	return &outpostSystem{
		api: api, key: key, target: target,
		tenant: fmt.Sprintf("peer-%d", time.Now().UnixNano()),
		client: &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
			MaxIdleConns: 64, MaxIdleConnsPerHost: 64, IdleConnTimeout: time.Minute,
		}},
	}
}

func (s *outpostSystem) Name() string { return "outpost" }
func (s *outpostSystem) Path() string { return "/outpost" }

func (s *outpostSystem) call(ctx context.Context, method, path string, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, method, s.api+path, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+s.key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := s.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("outpost: %s %s: %s: %s", method, path, resp.Status, msg)
	}
	return nil
}

// Start creates the tenant and its destination once; Outpost itself runs
// throughout.
func (s *outpostSystem) Start(ctx context.Context) error {
	if s.ready {
		return nil
	}
	if err := s.call(ctx, http.MethodPut, "/api/v1/tenants/"+s.tenant, []byte(`{}`)); err != nil {
		return err
	}
	dest := fmt.Sprintf(`{"type":"webhook","topics":["access_request.created"],"config":{"url":%q}}`, s.target+s.Path())
	if err := s.call(ctx, http.MethodPost, "/api/v1/tenants/"+s.tenant+"/destinations", []byte(dest)); err != nil {
		return err
	}
	s.ready = true
	return nil
}

func (s *outpostSystem) Publish(ctx context.Context, seq int, body []byte) error {
	msg := make([]byte, 0, len(body)+160)
	msg = fmt.Appendf(msg, `{"id":"%s-%d","tenant_id":%q,"topic":"access_request.created","eligible_for_retry":true,"data":`,
		s.tenant, seq, s.tenant)
	msg = append(append(msg, body...), '}')
	return s.call(ctx, http.MethodPost, "/api/v1/publish", msg)
}

func (s *outpostSystem) Stop(context.Context) error { return nil }
