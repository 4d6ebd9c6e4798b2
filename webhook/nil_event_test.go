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

// Every call that takes an event refuses a nil one, and the zero Event,
// which event.Parse and event.New never make (it has no event_type, and
// no JSON to send: a struct field decoded from null holds one), with
// ErrNoEvent rather than panic, drop it silently or send it; nothing is
// queued, sent or recorded.
func TestNoEventIsAnError(t *testing.T) {
	r := webhooktest.NewReceiver()
	defer r.Close()
	d := webhooktest.NewDispatcher(t)
	w, err := d.Add(webhook.Webhook{Name: "a", Active: true, URL: r.URL, Triggers: []event.Trigger{accessrequest.Created}})
	require.NoError(t, err)
	ctx := context.Background()
	tn := d.Tenant("")
	for name, e := range map[string]*event.Event{"nil": nil, "zero": {}} {
		calls := []struct {
			name string
			call func() error
		}{
			{"Dispatcher.Publish", func() error { _, err := d.Publish(ctx, e); return err }},
			{"Dispatcher.PublishTx", func() error { _, err := d.PublishTx(ctx, struct{}{}, e); return err }},
			{"Tenant.Publish", func() error { _, err := d.Tenant("t1").Publish(ctx, e); return err }},
			{"Tenant.PublishTx", func() error { _, err := d.Tenant("t1").PublishTx(ctx, struct{}{}, e); return err }},
			{"Tenant.Preview", func() error { _, err := tn.Preview(`{"a":1}`, e); return err }},
			{"Tenant.Preview of no template", func() error { _, err := tn.Preview("", e); return err }},
			{"Dispatcher.Gate", func() error { _, err := d.Gate(ctx, w.ID, e); return err }},
			{"Tenant.Test", func() error { _, err := tn.Test(ctx, w.ID, e); return err }},
			{"Tenant.TestDefinition", func() error { _, err := tn.TestDefinition(ctx, w, e); return err }},
			{"Dispatcher.TestEvent", func() error { _, err := d.TestEvent(ctx, w, e); return err }},
		}
		for _, c := range calls {
			t.Run(name+"/"+c.name, func(t *testing.T) {
				var err error
				require.NotPanics(t, func() { err = c.call() })
				require.ErrorIs(t, err, webhook.ErrNoEvent)
			})
		}
	}
	require.Empty(t, r.Requests())
	require.Empty(t, d.Recorded())
}
