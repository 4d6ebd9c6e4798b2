package webhook_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/accessrequest"
	"github.com/outhook/outhook/defstore"
	"github.com/outhook/outhook/event"
	"github.com/outhook/outhook/webhook"
	"github.com/outhook/outhook/webhooktest"
)

// After Close a test send returns ErrClosed, as Publish and Gate do, and
// sends nothing: a request then would start connections, and their
// goroutines, after Close stopped every goroutine.
func TestTestAfterCloseIsErrClosed(t *testing.T) {
	r := webhooktest.NewReceiver()
	defer r.Close()
	d, err := webhook.New(webhook.WithAllowedTargets("127.0.0.1"), webhook.WithURLPolicy(webhook.URLPolicy{AllowHTTP: true, AllowCustomPorts: true}))
	require.NoError(t, err)
	w, err := d.Add(webhook.Webhook{Name: "a", Active: true, URL: r.URL, Triggers: []event.Trigger{accessrequest.Created}})
	require.NoError(t, err)
	require.NoError(t, d.Close(context.Background()))

	ctx := context.Background()
	e, err := event.New(accessrequest.Created, map[string]any{})
	require.NoError(t, err)
	tn := d.Tenant("")
	calls := []struct {
		name string
		call func() error
	}{
		{"Dispatcher.Test", func() error { _, err := d.Test(ctx, w, accessrequest.Created); return err }},
		{"Dispatcher.TestEvent", func() error { _, err := d.TestEvent(ctx, w, e); return err }},
		{"Tenant.Test", func() error { _, err := tn.Test(ctx, w.ID, e); return err }},
		{"Tenant.TestDefinition", func() error { _, err := tn.TestDefinition(ctx, w, e); return err }},
	}
	for _, c := range calls {
		t.Run(c.name, func(t *testing.T) {
			require.ErrorIs(t, c.call(), webhook.ErrClosed)
		})
	}
	require.Empty(t, r.Requests())
}

// After Close, ResetBreaker returns ErrClosed, as Update does, rather
// than write a reset to the store and wake a stopped engine.
func TestResetBreakerAfterCloseIsErrClosed(t *testing.T) {
	r := webhooktest.NewReceiver()
	defer r.Close()
	d, err := webhook.New(webhook.WithAllowedTargets("127.0.0.1"), webhook.WithURLPolicy(webhook.URLPolicy{AllowHTTP: true, AllowCustomPorts: true}))
	require.NoError(t, err)
	w, err := d.Add(webhook.Webhook{Name: "a", Active: true, URL: r.URL, Triggers: []event.Trigger{accessrequest.Created}})
	require.NoError(t, err)
	require.NoError(t, d.Close(context.Background()))
	require.ErrorIs(t, d.ResetBreaker(w.ID), webhook.ErrClosed)
	require.ErrorIs(t, d.Tenant("").ResetBreakerBy(context.Background(), w.ID, "alice"), webhook.ErrClosed)
}

// A test send in progress when Close's time runs out is cut short, as an
// erasure is, rather than hold its request open past Close for the rest
// of the webhook's timeout: Close stops every goroutine it started, and
// the connection's among them. The call returns ErrClosed.
func TestTestCutShortByClose(t *testing.T) {
	arrived := make(chan struct{}, 4)
	hungUp := make(chan struct{}, 4)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body) // so that the server notices the hang-up
		arrived <- struct{}{}
		<-r.Context().Done()
		hungUp <- struct{}{}
	}))
	defer srv.Close()
	d, err := webhook.New(webhook.WithAllowedTargets("127.0.0.1"), webhook.WithURLPolicy(webhook.URLPolicy{AllowHTTP: true, AllowCustomPorts: true}))
	require.NoError(t, err)
	w := webhook.Webhook{Name: "a", Active: true, URL: srv.URL, Triggers: []event.Trigger{accessrequest.Created}, TimeoutInSec: 30}
	e, err := event.New(accessrequest.Created, map[string]any{})
	require.NoError(t, err)
	tn := d.Tenant("")
	stored, err := tn.Create(context.Background(), w, "")
	require.NoError(t, err)

	calls := []func() error{
		func() error { _, err := d.TestEvent(context.Background(), w, e); return err },
		func() error { _, err := d.Test(context.Background(), w, accessrequest.Created); return err },
		func() error { _, err := tn.Test(context.Background(), stored.ID, e); return err },
		func() error { _, err := tn.TestDefinition(context.Background(), w, e); return err },
	}
	done := make(chan error, len(calls))
	for _, call := range calls {
		go func() { done <- call() }()
	}
	for range calls {
		<-arrived
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	require.NoError(t, d.Close(ctx))
	for range calls {
		select {
		case err := <-done:
			require.ErrorIs(t, err, webhook.ErrClosed)
		case <-time.After(5 * time.Second):
			t.Fatal("a test send went on past Close")
		}
		<-hungUp
	}
}

// closedPoolDefs is the memory definition store, as a database's whose
// pool the service closes once the Dispatcher's Close returned.
type closedPoolDefs struct {
	*defstore.Memory
	closed *atomic.Bool
}

func (s closedPoolDefs) Get(ctx context.Context, tenant, id string) (defstore.Record, error) {
	if s.closed.Load() {
		return defstore.Record{}, errors.New("sql: database is closed")
	}
	return s.Memory.Get(ctx, tenant, id)
}

// Tenant.Test and TestDefinition of a stored webhook return ErrClosed
// after Close, as the other tests do, rather than read the store first
// and return its error about a pool closed after the Dispatcher.
func TestTestOfStoredWebhookAfterCloseIsErrClosed(t *testing.T) {
	r := webhooktest.NewReceiver()
	defer r.Close()
	var closed atomic.Bool
	d, err := webhook.New(webhook.WithAllowedTargets("127.0.0.1"), webhook.WithURLPolicy(webhook.URLPolicy{AllowHTTP: true, AllowCustomPorts: true}),
		webhook.WithDefinitionStore(closedPoolDefs{defstore.NewMemory(), &closed}))
	require.NoError(t, err)
	tn := d.Tenant("acme")
	w, err := tn.Create(context.Background(), webhook.Webhook{Name: "a", Active: true, URL: r.URL, Triggers: []event.Trigger{accessrequest.Created}}, "")
	require.NoError(t, err)
	require.NoError(t, d.Close(context.Background()))
	closed.Store(true)

	e, err := event.New(accessrequest.Created, map[string]any{})
	require.NoError(t, err)
	_, err = tn.Test(context.Background(), w.ID, e)
	require.ErrorIs(t, err, webhook.ErrClosed)
	_, err = tn.TestDefinition(context.Background(), w, e)
	require.ErrorIs(t, err, webhook.ErrClosed)
	require.Empty(t, r.Requests())
}

// closedPoolStore is the memory invocation store, as a database's whose
// pool the service closes once the Dispatcher's Close returned.
type closedPoolStore struct {
	*webhook.MemoryStore
	closed *atomic.Bool
}

func (s closedPoolStore) QueryDeadLetters(ctx context.Context, tenant string, q webhook.DeadLetterQuery) (webhook.DeadLetterPage, error) {
	if s.closed.Load() {
		return webhook.DeadLetterPage{}, errors.New("sql: database is closed")
	}
	return s.MemoryStore.QueryDeadLetters(ctx, tenant, q)
}

// Recover and RedeliverDeadLetters return ErrClosed after Close, as
// Redeliver does, rather than read the store for dead letters first.
func TestRecoverAfterCloseIsErrClosed(t *testing.T) {
	r := webhooktest.NewReceiver()
	defer r.Close()
	var closed atomic.Bool
	d, err := webhook.New(webhook.WithAllowedTargets("127.0.0.1"), webhook.WithURLPolicy(webhook.URLPolicy{AllowHTTP: true, AllowCustomPorts: true}),
		webhook.WithInvocationStore(closedPoolStore{webhook.NewMemoryStore(100, 100), &closed}))
	require.NoError(t, err)
	tn := d.Tenant("acme")
	w, err := tn.Create(context.Background(), webhook.Webhook{Name: "a", Active: true, URL: r.URL, Triggers: []event.Trigger{accessrequest.Created}}, "")
	require.NoError(t, err)
	require.NoError(t, d.Close(context.Background()))
	closed.Store(true)

	_, err = tn.Recover(context.Background(), w.ID, time.Time{})
	require.ErrorIs(t, err, webhook.ErrClosed)
	_, err = tn.RedeliverDeadLetters(context.Background(), w.ID, time.Time{}, time.Time{})
	require.ErrorIs(t, err, webhook.ErrClosed)
}
