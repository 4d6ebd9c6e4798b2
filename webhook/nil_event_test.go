package webhook_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/accessrequest"
	"github.com/outhook/outhook/event"
	"github.com/outhook/outhook/webhook"
	"github.com/outhook/outhook/webhooktest"
)

// Every call that takes an event refuses a nil one with an error, as
// Gate and Test always did, rather than panic in the caller's goroutine;
// nothing is queued or sent.
func TestNilEventIsAnError(t *testing.T) {
	r := webhooktest.NewReceiver()
	defer r.Close()
	d := webhooktest.NewDispatcher(t)
	_, err := d.Add(webhook.Webhook{Name: "a", Active: true, URL: r.URL, Triggers: []event.Trigger{accessrequest.Created}})
	require.NoError(t, err)
	ctx := context.Background()
	tn := d.Tenant("t1")
	calls := []struct {
		name string
		call func() error
	}{
		{"Dispatcher.Publish", func() error { _, err := d.Publish(ctx, nil); return err }},
		{"Dispatcher.PublishTx", func() error { _, err := d.PublishTx(ctx, struct{}{}, nil); return err }},
		{"Tenant.Publish", func() error { _, err := tn.Publish(ctx, nil); return err }},
		{"Tenant.PublishTx", func() error { _, err := tn.PublishTx(ctx, struct{}{}, nil); return err }},
		{"Tenant.Preview", func() error { _, err := tn.Preview(`{"a":1}`, nil); return err }},
		{"Tenant.Preview of no template", func() error { _, err := tn.Preview("", nil); return err }},
	}
	for _, c := range calls {
		t.Run(c.name, func(t *testing.T) {
			var err error
			require.NotPanics(t, func() { err = c.call() })
			require.ErrorContains(t, err, "nil event")
		})
	}
	require.Empty(t, r.Requests())
	require.Empty(t, d.Recorded())
}
