package webhook_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/accessrequest"
	"github.com/outhook/outhook/event"
	"github.com/outhook/outhook/filter"
	"github.com/outhook/outhook/webhook"
	"github.com/outhook/outhook/webhooktest"
)

// A definition is stored as JSON, which cannot hold a string that is not
// valid UTF-8: stored, each bad byte would become U+FFFD, and another
// instance, or this one after a restart, would send another header or
// URL than the one added. Add refuses such a string, naming its field.
func TestAddRefusesInvalidUTF8(t *testing.T) {
	r := webhooktest.NewReceiver()
	defer r.Close()
	d := webhooktest.NewDispatcher(t)
	tests := []struct {
		field string
		set   func(*webhook.Webhook)
	}{
		{"headers.X-Token", func(w *webhook.Webhook) { w.Headers = map[string]string{"X-Token": "s3cr\xffet"} }},
		{"url", func(w *webhook.Webhook) { w.URL += "/p?a=\xff" }},
		{"custom_validation_error_message", func(w *webhook.Webhook) { w.CustomValidationErrorMessage = "no\xff" }},
		{"response_validators[1].expected_values[0]", func(w *webhook.Webhook) {
			w.ResponseValidators = []webhook.ResponseValidator{{Status: []string{"2xx"}}, {JSONPath: "$.a", ExpectedValues: []string{"\xff"}}}
		}},
		// A filter built in Go holds its operands as given: stored, its
		// JSON would compare with U+FFFD.
		{"filters", func(w *webhook.Webhook) {
			w.Filters = mustFilter(filter.New(filter.Eq("data.access_groups[].integration.type", "x\xff")))
		}},
		{"filters", func(w *webhook.Webhook) {
			w.Filters = mustFilter(filter.FromFilters(filter.Filters{Integrations: []string{"s3cr\xff"}}))
		}},
	}
	for _, tt := range tests {
		t.Run(tt.field, func(t *testing.T) {
			w := webhook.Webhook{Name: "a", Active: true, URL: r.URL, Triggers: []event.Trigger{accessrequest.Created}}
			tt.set(&w)
			_, err := d.Add(w)
			require.ErrorIs(t, err, webhook.ErrInvalidUTF8)
			var de *webhook.DefinitionError
			require.ErrorAs(t, err, &de)
			require.Equal(t, tt.field, de.Field)
			require.NotContains(t, err.Error(), "s3cr", "a value is not shown")
		})
	}
	require.Empty(t, d.List())
}

func mustFilter(f *filter.Filter, err error) *filter.Filter {
	if err != nil {
		panic(err)
	}
	return f
}
