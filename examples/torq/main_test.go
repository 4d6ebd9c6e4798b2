package main

import (
	"bytes"
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/torq"
)

// TestRunRefusesAWrongURL checks the path that runs without a Torq
// account; a real delivery needs TORQ_WEBHOOK_URL and TORQ_TOKEN.
func TestRunRefusesAWrongURL(t *testing.T) {
	var out bytes.Buffer
	ok, err := run(context.Background(), &out, "https://example.com/v1/webhooks/x", "token", "")
	require.False(t, ok)
	require.ErrorIs(t, err, torq.ErrHost)
	require.Empty(t, out.String())
}
