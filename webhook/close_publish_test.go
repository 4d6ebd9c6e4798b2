package webhook_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/accessrequest"
	"github.com/outhook/outhook/internal/testkit/leakcheck"
	"github.com/outhook/outhook/webhook"
)

// slowStore is a MemoryStore whose dead letters of full queues take a while
// to write, honouring ctx, as a remote database's would.
type slowStore struct {
	*webhook.MemoryStore
	delay time.Duration
}

func (s slowStore) AddDeadLetter(ctx context.Context, dl webhook.DeadLetter) error {
	if strings.HasPrefix(dl.Reason, "queue full") {
		select {
		case <-time.After(s.delay):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return s.MemoryStore.AddDeadLetter(ctx, dl)
}

// A Publish waiting for room under QueueBlock, with no deadline of its own,
// is woken by Close: it returns ErrClosed (in a *QueueFullError) and its
// copy is a dead letter, kept before Close returns, even by a slow store and
// a Close whose ctx has ended (the store has a second past it).
func TestCloseWaitsForThePublishItWoke(t *testing.T) {
	leakcheck.Check(t)
	stalled, release := stalledReceiver(t)
	defer release()
	store := slowStore{webhook.NewMemoryStore(0, 0), 200 * time.Millisecond}
	d, err := webhook.New(
		webhook.WithURLPolicy(webhook.URLPolicy{AllowHTTP: true, AllowCustomPorts: true}),
		webhook.WithAllowedTargets("127.0.0.1"),
		webhook.WithInvocationStore(store),
		webhook.WithQueue(100, webhook.QueueBlock),
	)
	require.NoError(t, err)
	a := addNamed(t, d, "a", stalled.URL, &webhook.DeliverySettings{QueueSize: 1, Concurrency: 1})
	_, err = d.Publish(context.Background(), mock(t, accessrequest.Created))
	require.NoError(t, err)
	published := make(chan error, 1)
	go func() {
		_, err := d.Publish(context.Background(), mock(t, accessrequest.Created))
		published <- err
	}()
	select {
	case err := <-published:
		t.Fatalf("Publish did not wait for room: %v", err)
	case <-time.After(50 * time.Millisecond):
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	closeErr := d.Close(ctx)
	dead, err := store.DeadLetters(context.Background(), a.ID, 0)
	require.NoError(t, err)
	var reasons []string
	for _, dl := range dead {
		reasons = append(reasons, dl.Reason)
	}
	require.Len(t, dead, 2, "the attempt cut by Close and the copy Publish could not queue, when Close returns: %q", reasons)
	require.ErrorIs(t, closeErr, context.Canceled)
	var lost *webhook.DeadLetterError
	require.False(t, errors.As(closeErr, &lost), "%v", closeErr)

	err = <-published
	require.ErrorIs(t, err, webhook.ErrClosed)
	var qf *webhook.QueueFullError
	require.ErrorAs(t, err, &qf)
	require.Equal(t, []string{a.ID}, qf.WebhookIDs)
	require.False(t, errors.As(err, &lost), "%v", err)
}

// A second Close, say from a signal handler beside a deferred one, returns
// only once the first has drained: a program that exits when either
// returns loses nothing.
func TestSecondCloseWaitsForTheFirst(t *testing.T) {
	leakcheck.Check(t)
	rc, free := heldReceiver(t)
	var ended atomic.Int32
	d, err := webhook.New(
		webhook.WithURLPolicy(webhook.URLPolicy{AllowHTTP: true, AllowCustomPorts: true}),
		webhook.WithAllowedTargets("127.0.0.1"),
		webhook.WithInvocationHook(func(inv webhook.Invocation) {
			if inv.Outcome.Final() {
				ended.Add(1)
			}
		}),
	)
	require.NoError(t, err)
	addNamed(t, d, "a", rc.URL, nil)
	_, err = d.Publish(context.Background(), mock(t, accessrequest.Created))
	require.NoError(t, err)
	require.Eventually(t, func() bool { return len(rc.got()) == 1 }, 5*time.Second, time.Millisecond)

	first := make(chan error, 1)
	go func() { first <- d.Close(context.Background()) }()
	require.Eventually(t, func() bool { // the first Close has begun
		_, err := d.Add(webhook.Webhook{})
		return errors.Is(err, webhook.ErrClosed)
	}, 5*time.Second, time.Millisecond)
	time.AfterFunc(100*time.Millisecond, func() { close(free) })

	require.NoError(t, d.Close(context.Background()))
	require.EqualValues(t, 1, ended.Load(), "the delivery ended before the second Close returned")
	require.NoError(t, <-first)

	expired, cancel := context.WithCancel(context.Background())
	cancel()
	require.NoError(t, d.Close(expired), "closed already: nothing to wait for")
}
