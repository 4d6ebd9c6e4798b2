package webhook_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/webhook"
)

// A member given twice would be read as its last value in silence: the
// file says two things, and one of them is lost.
func TestDecodeWebhooksRefusesAMemberGivenTwice(t *testing.T) {
	tests := []struct {
		name, src string
		line, col int
	}{
		{"url", "[\n  {\"name\": \"a\", \"url\": \"https://x.example/a\",\n   \"triggers\": [\"RequestCreated\"], \"url\": \"https://evil.example/\"}\n]", 3, 36},
		{"header", "{\"webhooks\": [{\"name\": \"a\", \"url\": \"https://x.example/a\", \"triggers\": [\"RequestCreated\"],\n \"headers\": {\"X-Key\": \"1\", \"X-Key\": \"2\"}}]}", 2, 28},
		{"escaped", `[{"name": "a", "n\u0061me": "b", "url": "https://x.example/a", "triggers": ["RequestCreated"]}]`, 1, 16},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := webhook.DecodeWebhooks(strings.NewReader(tt.src))
			var de *webhook.DefinitionError
			require.True(t, errors.As(err, &de), "%v", err)
			require.ErrorIs(t, err, webhook.ErrInvalidDefinitions)
			require.Contains(t, err.Error(), "given twice")
			require.Equal(t, [2]int{tt.line, tt.col}, [2]int{de.Line, de.Column}, err.Error())
		})
	}
	// The same key in two objects is no duplicate.
	ws, err := webhook.DecodeWebhooks(strings.NewReader(`[{"name": "a", "url": "https://x.example/a", "triggers": ["RequestCreated"], "headers": {"name": "x"}},
		{"name": "b", "url": "https://x.example/b", "triggers": ["RequestCreated"], "delivery": {"retry": {"max_attempts": 2}, "rate_limit": {"requests": 1, "per": "1s"}}}]`))
	require.NoError(t, err)
	require.Len(t, ws, 2)
}
