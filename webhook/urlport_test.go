package webhook_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/webhook"
)

// A URL whose port no connection can have is refused where it is given,
// rather than accepted and failed, and retried, at every delivery.
func TestURLPortOutOfRangeIsRefused(t *testing.T) {
	d, _ := newDispatcher(t, webhook.WithURLPolicy(webhook.URLPolicy{AllowHTTP: true, AllowCustomPorts: true}))
	for _, port := range []string{"0", "65536", "99999", "4294967297"} {
		w := torqLike("http://127.0.0.1:" + port + "/hook")
		_, err := d.Add(w)
		require.ErrorIs(t, err, webhook.ErrInvalidURL, port)
		var errs webhook.DefinitionErrors
		require.ErrorAs(t, err, &errs, port)
		require.Equal(t, "url", errs[0].Field, port)
		require.Contains(t, err.Error(), "port "+port, port)

		w = torqLike("http://127.0.0.1:8080/hook")
		w.Authentication = &webhook.Authentication{OAuth: &webhook.OAuth{ClientID: "id", ClientSecret: "secret-value", TokenEndpointURL: "http://127.0.0.1:" + port + "/token"}}
		_, err = d.Add(w)
		require.ErrorIs(t, err, webhook.ErrInvalidURL, "token endpoint, port %s", port)
	}
	_, err := d.Add(torqLike("http://127.0.0.1:65535/hook"))
	require.NoError(t, err)
}
