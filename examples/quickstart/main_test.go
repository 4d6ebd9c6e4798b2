package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestQuickstart(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), &out))
	text := out.String()
	require.Contains(t, text, "Published 6 events to 3 webhooks; the receiver got 8 requests.")
	require.Equal(t, 7, strings.Count(text, " delivered "), text)
	require.Contains(t, text, "torq-aws-only  filtered")
	require.Contains(t, text, "status 503 Service Unavailable; retry in 1s")
	require.Contains(t, text, `"REDACTED"`)
	require.NotContains(t, text, torqToken)
}
