package webhook_test

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/accessrequest"
	"github.com/outhook/outhook/event"
	"github.com/outhook/outhook/integration"
	"github.com/outhook/outhook/webhook"
)

// A misspelt ordering key would leave every event without a value there,
// and so unordered, in silence: it is refused as the body and filters are.
func TestOrderingKeyMustNameAFieldOfTheEvent(t *testing.T) {
	d, err := webhook.New(webhook.WithEventKind(integration.Kind()), webhook.WithEventType("Thing", nil))
	require.NoError(t, err)
	t.Cleanup(func() { _ = d.Close(t.Context()) })
	hook := func(key string, triggers ...event.Trigger) webhook.Webhook {
		return webhook.Webhook{Name: "ordered", Active: true, URL: "https://hooks.example.com/x", Triggers: triggers,
			Delivery: &webhook.DeliverySettings{OrderingKey: key}}
	}
	for _, ok := range []webhook.Webhook{
		hook("data.id", accessrequest.Triggers()...),
		hook("data.requester.email", accessrequest.Created),
		hook("event_id", accessrequest.Created, integration.Error),
		hook("data.id", integration.Error),
		hook("data.anything.at_all", "Thing"), // a type without a schema is not checked
	} {
		require.NoError(t, d.Tenant("").Validate(ok), ok.Delivery.OrderingKey)
	}
	for _, tt := range []struct {
		w    webhook.Webhook
		hint string
	}{
		{hook("data.ID", accessrequest.Created), "did you mean data.id?"},
		{hook("data.requester.mail", accessrequest.Approved), "did you mean data.requester.email?"},
		{hook("data.access_groups", integration.Active), ""},
		{hook("data.requester.id", accessrequest.Created, integration.Error), ""}, // not in the integration events
	} {
		err := d.Tenant("").Validate(tt.w)
		var list webhook.DefinitionErrors
		require.True(t, errors.As(err, &list), "%s: %v", tt.w.Delivery.OrderingKey, err)
		require.Len(t, list, 1)
		require.Equal(t, "delivery.ordering_key", list[0].Field)
		require.ErrorIs(t, err, webhook.ErrInvalidSettings)
		require.Contains(t, err.Error(), tt.w.Delivery.OrderingKey)
		require.Contains(t, err.Error(), tt.hint)
	}
}
