package manage_test

import (
	"context"
	"errors"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/accessrequest"
	"github.com/outhook/outhook/defstore"
	"github.com/outhook/outhook/event"
	"github.com/outhook/outhook/webhook"
)

// unreadable is a definition store that, while broken, takes writes but
// fails to list what changed: a database whose connection drops between
// a write's commit and the read after it.
type unreadable struct {
	*defstore.Memory
	broken atomic.Bool
}

func (s *unreadable) Changes(ctx context.Context, after uint64, limit int) ([]defstore.Change, error) {
	if s.broken.Load() {
		return nil, errors.New("store: connection reset by peer")
	}
	return s.Memory.Changes(ctx, after, limit)
}

// TestAWriteTheStoreTookIsAnsweredAsMade: a create, an update and a
// delete the store took are answered as made, and are in effect on the
// instance that made them, though the store then failed to say what
// changed. Before, each was a 500 while the change stood: a client told
// it failed would make it again, and meet a conflict.
func TestAWriteTheStoreTookIsAnsweredAsMade(t *testing.T) {
	store := &unreadable{Memory: defstore.NewMemory()}
	s := newService(t, []webhook.Option{webhook.WithDefinitionStore(store)})
	acme := s.as("acme")
	publish := func() {
		t.Helper()
		_, err := s.d.Tenant("acme").Publish(context.Background(), mustMock(t))
		require.NoError(t, err)
	}
	store.broken.Store(true)

	var w webhook.Webhook
	def := s.hook("made")
	def["id"] = "made"
	acme.ok(http.StatusCreated, &w, http.MethodPost, "/webhooks", def)
	publish()
	require.Eventually(t, func() bool { _, b := s.rc.requests(); return len(b) == 1 }, 5*time.Second, time.Millisecond)
	got, _ := s.rc.requests()
	require.Equal(t, "/made", got[0].URL.Path)

	def["url"] = s.rc.URL + "/moved"
	acme.ok(http.StatusOK, &w, http.MethodPut, "/webhooks/made", def, "If-Match", `"1"`)
	publish()
	require.Eventually(t, func() bool { _, b := s.rc.requests(); return len(b) == 2 }, 5*time.Second, time.Millisecond)
	got, _ = s.rc.requests()
	require.Equal(t, "/moved", got[1].URL.Path, "the update is in effect here")

	acme.ok(http.StatusNoContent, nil, http.MethodDelete, "/webhooks/made", nil, "If-Match", `"2"`)
	pub, err := s.d.Tenant("acme").Publish(context.Background(), mustMock(t))
	require.NoError(t, err)
	require.Empty(t, pub.Deliveries, "the deleted webhook is unloaded here")

	def["id"] = "any"
	def["name"] = "any"
	acme.ok(http.StatusCreated, nil, http.MethodPost, "/webhooks", def)
	acme.ok(http.StatusNoContent, nil, http.MethodDelete, "/webhooks/any", nil, "If-Match", "*")
	pub, err = s.d.Tenant("acme").Publish(context.Background(), mustMock(t))
	require.NoError(t, err)
	require.Empty(t, pub.Deliveries, "the webhook deleted at any version is unloaded here")

	// Once the store reads again, the follower agrees with what was applied.
	store.broken.Store(false)
	acme.problem(http.StatusNotFound, "not-found", http.MethodGet, "/webhooks/made", nil)
	def["id"], def["name"] = "after", "after"
	acme.ok(http.StatusCreated, nil, http.MethodPost, "/webhooks", def)
	pub, err = s.d.Tenant("acme").Publish(context.Background(), mustMock(t))
	require.NoError(t, err)
	require.Len(t, pub.Deliveries, 1)
}

func mustMock(t *testing.T) *event.Event {
	t.Helper()
	mock, ok := accessrequest.Mock(accessrequest.Created)
	require.True(t, ok)
	return mock
}
