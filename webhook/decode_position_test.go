package webhook_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/filter"
	"github.com/outhook/outhook/webhook"
)

// An error of a member's own decoder (a filter's, a duration's) names the
// member and its line and column, as encoding/json's own errors do.
func TestDecodeWebhooksPlacesErrorsOfFiltersAndDurations(t *testing.T) {
	ok := `{"name": "ok", "url": "https://x.example/a", "triggers": ["RequestCreated"]}`
	tests := []struct {
		name, second string
		field        string
		line, col    int
		is           error
	}{
		{"filter", `{"name": "b", "url": "https://x.example/b", "triggers": ["RequestCreated"],
    "filters": {"data.requester.email": {"$sufix": "@acme.example"}}}`, "filters", 4, 16, filter.ErrOperator},
		{"duration", `{"name": "b", "url": "https://x.example/b", "triggers": ["RequestCreated"],
    "delivery": {"retry": {"max_elapsed": "1 hour"}}}`, "delivery", 4, 17, nil},
		{"duration out of range", `{"name": "b", "url": "https://x.example/b", "triggers": ["RequestCreated"],
    "delivery": {"retry": {"max_elapsed": 1e300}}}`, "delivery", 4, 17, nil},
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
				require.Equal(t, tt.field, de.Field, err.Error())
				require.Equal(t, [2]int{tt.line, tt.col}, [2]int{de.Line, de.Column}, err.Error())
				if tt.is != nil {
					require.ErrorIs(t, err, tt.is)
				}
			}
		})
	}
}

func TestDurationOutOfRangeIsRefused(t *testing.T) {
	for _, text := range []string{"1e300", "-1e300", "9223372037"} {
		var d webhook.Duration
		require.Error(t, d.UnmarshalJSON([]byte(text)), text)
	}
	var d webhook.Duration
	require.NoError(t, d.UnmarshalJSON([]byte("9223372036")))
	require.Positive(t, int64(d))
}
