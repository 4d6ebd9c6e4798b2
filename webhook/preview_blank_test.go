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

// A body template of blanks only is no template: a delivery sends the
// event's own JSON, and Preview shows what the delivery sends.
func TestPreviewOfABlankTemplateIsTheEvent(t *testing.T) {
	r := webhooktest.NewReceiver()
	defer r.Close()
	d := webhooktest.NewDispatcher(t)
	_, err := d.Add(webhook.Webhook{Name: "blank", Active: true, URL: r.URL, BodyTemplate: " \n\t", Triggers: []event.Trigger{accessrequest.Created}})
	require.NoError(t, err)
	e, err := event.New(accessrequest.Created, map[string]any{"a": 1})
	require.NoError(t, err)
	_, err = d.Publish(context.Background(), e)
	require.NoError(t, err)
	d.WaitFinal(1)
	sent := r.Requests()[0].Body
	require.JSONEq(t, string(e.JSON()), sent)

	shown, err := d.Tenant("").Preview(" \n\t", e)
	require.NoError(t, err)
	require.Equal(t, sent, shown)
}
