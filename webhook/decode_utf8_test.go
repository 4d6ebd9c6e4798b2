package webhook_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/webhook"
)

// A definition file whose strings are not valid UTF-8 (a stray byte, or
// the escape of a lone surrogate) is refused at the line and column of the
// bad byte or escape, as malformed JSON is, rather than decoded with U+FFFD in their
// place: a header's credential changed so would be sent, and refused by
// its receiver, with nothing to say why.
func TestDecodeWebhooksRefusesInvalidUTF8(t *testing.T) {
	tests := []struct {
		name, src    string
		line, column int
	}{
		{"a stray byte in a header value", "[{\"name\": \"a\", \"url\": \"https://x.example\", \"triggers\": [\"RequestCreated\"],\n \"headers\": {\"X-Token\": \"s3cr\xffet\"}}]", 2, 30},
		{"a lone surrogate in a header value", "{\"webhooks\": [{\"name\": \"a\", \"url\": \"https://x.example\", \"triggers\": [\"RequestCreated\"],\n \"headers\": {\"X-Token\": \"s3cr\\ud800et\"}}]}", 2, 30},
		{"a stray byte in a key", "[{\"name\": \"a\", \"url\": \"https://x.example\", \"triggers\": [\"RequestCreated\"],\n \"headers\": {\"X-\xffToken\": \"t\"}}]", 2, 17},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hooks, err := webhook.DecodeWebhooks(strings.NewReader(tt.src))
			require.Nil(t, hooks)
			require.ErrorIs(t, err, webhook.ErrInvalidDefinitions)
			var de *webhook.DefinitionError
			require.True(t, errors.As(err, &de), "%T", err)
			require.Equal(t, tt.line, de.Line)
			require.Equal(t, tt.column, de.Column)
			require.Contains(t, err.Error(), "UTF-8")
		})
	}
}
