package webhook_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/accessrequest"
	"github.com/outhook/outhook/event"
	"github.com/outhook/outhook/webhook"
)

// An action's answer is a Go value: its header names may be written in
// lower case, and the header validators find them as they would in an
// HTTP response.
func TestActionHeaderInLowerCaseIsValidated(t *testing.T) {
	d, _ := newDispatcher(t, webhook.WithAction("lower", func(context.Context, *webhook.ActionRequest) (*webhook.ActionResponse, error) {
		return &webhook.ActionResponse{Header: http.Header{"x-result": {"accepted"}}, Body: []byte(`{}`)}, nil
	}))
	w := webhook.Webhook{
		Name: "lower", Active: true, Action: "lower",
		Triggers:           []event.Trigger{accessrequest.Created},
		ResponseValidators: []webhook.ResponseValidator{{Header: "X-Result", ExpectedValues: []string{"accepted"}}},
	}
	inv, err := d.Test(context.Background(), w, accessrequest.Created)
	require.NoError(t, err)
	require.Equal(t, webhook.Delivered, inv.Outcome, inv.Reason)
}
