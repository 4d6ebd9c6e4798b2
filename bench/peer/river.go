package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"github.com/outhook/outhook/riverengine"
)

// riverHand is the same durable work written by hand on River, the anchor
// measured in the same run: a River client with Outhook's defaults
// (riverengine.DefaultWorkers workers, its fetch cooldown and poll
// interval, a pool of riverengine.PoolConns of them), one job inserted per
// publish with River's Insert (its own transaction), whose worker POSTs
// the event and returns, River's completer marking the job completed in
// its batches. It writes no invocation record, checks no webhook, renders
// nothing: what River itself costs for the trial, on the same database as
// Outhook (its own queue and job kind).
type riverHand struct {
	pgURL, target string

	pool   *pgxpool.Pool
	client *river.Client[pgx.Tx]
}

// handJob is the anchor's job: the delivery's event, as text so that it
// is posted byte for byte as Outhook posts it (jsonb would reorder keys).
type handJob struct {
	Event string `json:"event"`
}

func (handJob) Kind() string { return "peer_river_by_hand" }

const handQueue = "peer_river_by_hand"

// handWorker POSTs a job's event to the receiver; a status other than 2xx
// is an error, which River retries.
type handWorker struct {
	river.WorkerDefaults[handJob]
	url    string
	client *http.Client
}

func (w *handWorker) Work(ctx context.Context, job *river.Job[handJob]) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.url, strings.NewReader(job.Args.Event))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := w.client.Do(req)
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("job %d: %s", job.ID, resp.Status)
	}
	return nil
}

func (s *riverHand) Name() string { return "river-by-hand" }
func (s *riverHand) Path() string { return "/river-by-hand" }

func (s *riverHand) Start(ctx context.Context) error {
	cfg, err := pgxpool.ParseConfig(s.pgURL)
	if err != nil {
		return err
	}
	cfg.MaxConns = riverengine.PoolConns(riverengine.DefaultWorkers)
	if s.pool, err = pgxpool.NewWithConfig(ctx, cfg); err != nil {
		return err
	}
	// River's tables, as riverengine.Migrate makes them.
	if err := riverengine.Migrate(ctx, s.pool); err != nil {
		return err
	}
	workers := river.NewWorkers()
	river.AddWorker(workers, &handWorker{url: s.target + s.Path(), client: &http.Client{
		Timeout: 30 * time.Second,
		Transport: &http.Transport{MaxIdleConns: riverengine.DefaultWorkers, MaxIdleConnsPerHost: riverengine.DefaultWorkers,
			IdleConnTimeout: time.Minute},
	}})
	s.client, err = river.NewClient(riverpgxv5.New(s.pool), &river.Config{
		Queues:            map[string]river.QueueConfig{handQueue: {MaxWorkers: riverengine.DefaultWorkers}},
		Workers:           workers,
		FetchCooldown:     riverengine.DefaultFetchCooldown,
		FetchPollInterval: riverengine.DefaultPollInterval,
	})
	if err != nil {
		return err
	}
	return s.client.Start(ctx)
}

func (s *riverHand) Publish(ctx context.Context, _ int, body []byte) error {
	_, err := s.client.Insert(ctx, handJob{Event: string(body)}, &river.InsertOpts{Queue: handQueue})
	return err
}

func (s *riverHand) Stop(ctx context.Context) error {
	var err error
	if s.client != nil {
		err = s.client.Stop(ctx)
	}
	if s.pool != nil {
		s.pool.Close()
	}
	s.client, s.pool = nil, nil
	return err
}
