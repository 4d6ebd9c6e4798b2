package webhook_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/webhook"
)

// encoding/json reads null as a member left out: a header of null in a
// definition file would load as an empty header sent with every
// delivery, and a name or url of null as none. The file is refused,
// naming the member and where it stands, as the management API refuses
// it; only the members that are pointers (filters, delivery, url_policy,
// authentication_config, tls) read null as left out.
func TestDecodeWebhooksRefusesNull(t *testing.T) {
	ok := `{"name": "ok", "url": "https://x.example/a", "triggers": ["RequestCreated"]}`
	tests := []struct {
		name, second string
		webhook      string
		field        string
		line, col    int
	}{
		{"header", `{"name": "b", "url": "https://x.example/b", "triggers": ["RequestCreated"],
    "headers": {"X-Key": null}}`, "b", "headers.X-Key", 4, 26},
		{"body secret", `{"name": "b", "url": "https://x.example/b", "triggers": ["RequestCreated"],
    "secrets": {"k": null}}`, "b", "secrets.k", 4, 22},
		{"name", `{"name": null, "url": "https://x.example/b", "triggers": ["RequestCreated"]}`, "", "name", 3, 12},
		{"url", `{"name": "b", "url": null, "triggers": ["RequestCreated"]}`, "b", "url", 3, 24},
		{"trigger", `{"name": "b", "url": "https://x.example/b", "triggers": [null]}`, "b", "triggers[0]", 3, 60},
		{"triggers", `{"name": "b", "url": "https://x.example/b", "triggers": null}`, "b", "triggers", 3, 59},
		{"signing secrets", `{"name": "b", "url": "https://x.example/b", "triggers": ["RequestCreated"],
    "signing_secrets": null}`, "b", "signing_secrets", 4, 24},
		{"a retry member", `{"name": "b", "url": "https://x.example/b", "triggers": ["RequestCreated"],
    "delivery": {"retry": {"max_attempts": null}}}`, "b", "delivery.retry.max_attempts", 4, 44},
		{"a definition", `null`, "", "", 3, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, src := range []string{
				"[\n  " + ok + ",\n  " + tt.second + "\n]",
				"{\"webhooks\": [\n  " + ok + ",\n  " + tt.second + "\n]}",
			} {
				_, err := webhook.DecodeWebhooks(strings.NewReader(src))
				var de *webhook.DefinitionError
				require.True(t, errors.As(err, &de), "%v", err)
				require.ErrorIs(t, err, webhook.ErrInvalidDefinitions)
				require.Contains(t, err.Error(), "null")
				require.Equal(t, tt.webhook, de.Webhook, err.Error())
				require.Equal(t, tt.field, de.Field, err.Error())
				require.Equal(t, [2]int{tt.line, tt.col}, [2]int{de.Line, de.Column}, err.Error())
			}
		})
	}

	for _, src := range []string{`null`, `{"webhooks": null}`} {
		_, err := webhook.DecodeWebhooks(strings.NewReader(src))
		require.ErrorIs(t, err, webhook.ErrInvalidDefinitions, src)
	}

	// The pointers read null as left out.
	ws, err := webhook.DecodeWebhooks(strings.NewReader(`[{"name": "a", "url": "https://x.example/a", "triggers": ["RequestCreated"],
		"filters": null, "delivery": null, "url_policy": null, "authentication_config": null, "tls": null}]`))
	require.NoError(t, err)
	require.Len(t, ws, 1)
	require.Nil(t, ws[0].Delivery)
}
