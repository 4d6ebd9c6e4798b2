package torq_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/torq"
)

func TestParseURL(t *testing.T) {
	for _, tt := range []struct {
		url  string
		want torq.Endpoint
		err  error
	}{
		{url: "https://hooks.torq.io/v1/webhooks/0f9a1c", want: torq.Endpoint{Host: torq.HostUS, WebhookID: "0f9a1c"}},
		{url: "https://hooks.torq.io/v1/webhooks/0f9a1c/", want: torq.Endpoint{Host: torq.HostUS, WebhookID: "0f9a1c"}},
		{url: "https://HOOKS.EU.TORQ.IO/v1/webhooks/a-b_c.d~e", want: torq.Endpoint{Host: torq.HostEU, WebhookID: "a-b_c.d~e"}},
		{url: "https://hooks.torq.io/v1/webhooks/wh1/workflows/wf1", want: torq.Endpoint{Host: torq.HostUS, WebhookID: "wh1", WorkflowID: "wf1"}},
		{url: "https://hooks.eu.torq.io/v1/webhooks/wh1/workflows/wf1/sync/", want: torq.Endpoint{Host: torq.HostEU, WebhookID: "wh1", WorkflowID: "wf1", Sync: true}},

		{url: "http://hooks.torq.io/v1/webhooks/wh1", err: torq.ErrScheme},
		{url: "hooks.torq.io/v1/webhooks/wh1", err: torq.ErrScheme},
		{url: "https://hooks.torq.io:8443/v1/webhooks/wh1", err: torq.ErrPort},
		{url: "https://hooks.torq.io:443/v1/webhooks/wh1", err: torq.ErrPort},
		{url: "https://example.com/v1/webhooks/wh1", err: torq.ErrHost},
		{url: "https://hooks.torq.io.evil.example/v1/webhooks/wh1", err: torq.ErrHost},
		{url: "https://user:pw@hooks.torq.io/v1/webhooks/wh1", err: torq.ErrQuery},
		{url: "https://hooks.torq.io/v1/webhooks/wh1?token=x", err: torq.ErrQuery},
		{url: "https://hooks.torq.io/v1/webhooks/wh1#x", err: torq.ErrQuery},
		{url: "https://hooks.torq.io/v1/webhooks", err: torq.ErrPath},
		{url: "https://hooks.torq.io/v1/webhooks/", err: torq.ErrPath},
		{url: "https://hooks.torq.io/v2/webhooks/wh1", err: torq.ErrPath},
		{url: "https://hooks.torq.io/", err: torq.ErrPath},
		{url: "https://hooks.torq.io/v1/webhooks/wh1/workflows", err: torq.ErrPath},
		{url: "https://hooks.torq.io/v1/webhooks/wh1/workflows/", err: torq.ErrPath},
		{url: "https://hooks.torq.io/v1/webhooks/wh1/other/wf1", err: torq.ErrPath},
		{url: "https://hooks.torq.io/v1/webhooks/wh1/workflows/wf1/async", err: torq.ErrPath},
		{url: "https://hooks.torq.io/v1/webhooks/wh1/workflows/wf1/sync/more", err: torq.ErrPath},
		{url: "https://hooks.torq.io/v1/webhooks/w%2Fh1", err: torq.ErrPath},
		{url: "https://hooks.torq.io/v1/webhooks/../admin", err: torq.ErrPath},
		{url: "https://hooks.torq.io//v1/webhooks/wh1", err: torq.ErrPath},
		{url: "://nope", err: torq.ErrMalformedURL},
		{url: "", err: torq.ErrScheme},
	} {
		t.Run(tt.url, func(t *testing.T) {
			got, err := torq.ParseURL(tt.url)
			if tt.err != nil {
				require.ErrorIs(t, err, tt.err)
				var ue *torq.URLError
				require.ErrorAs(t, err, &ue)
				require.Contains(t, err.Error(), "torq: webhook URL: ")
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
}

func FuzzParseURL(f *testing.F) {
	f.Add("https://hooks.torq.io/v1/webhooks/wh1/workflows/wf1/sync")
	f.Add("https://hooks.eu.torq.io/v1/webhooks/wh1/")
	f.Add("http://example.com:80/x?y#z")
	f.Fuzz(func(t *testing.T, raw string) {
		ep, err := torq.ParseURL(raw)
		if err != nil {
			var ue *torq.URLError
			require.ErrorAs(t, err, &ue)
			return
		}
		require.Contains(t, []string{torq.HostUS, torq.HostEU}, ep.Host)
		require.NotEmpty(t, ep.WebhookID)
		require.False(t, ep.Sync && ep.WorkflowID == "")
	})
}
