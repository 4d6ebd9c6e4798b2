package webhook_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/accessrequest"
	"github.com/outhook/outhook/webhook"
)

// TestHeaderSpelledTwice gives one header under two spellings, as a caller
// that sets "authorization" on a preset's definition holding
// "Authorization" does: Add refuses it, naming the field, rather than send
// whichever value map order picks.
func TestHeaderSpelledTwice(t *testing.T) {
	d, err := webhook.New()
	require.NoError(t, err)
	t.Cleanup(func() { _ = d.Close(t.Context()) })
	for range 20 { // map order varies between runs of the loop
		_, err = d.Add(webhook.Webhook{
			Name: "twice", URL: "https://example.com/hook", Triggers: accessrequest.Triggers(),
			Headers: map[string]string{"Authorization": "Bearer a", "authorization": "Basic b", "Accept": "application/json"},
		})
		require.ErrorIs(t, err, webhook.ErrInvalidHeader)
		var des webhook.DefinitionErrors
		require.ErrorAs(t, err, &des)
		require.Len(t, des, 1)
		require.Equal(t, "headers.authorization", des[0].Field)
		require.Contains(t, des[0].Error(), `"Authorization" and "authorization" name the same header`)
	}
}
