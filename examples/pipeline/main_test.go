package main

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestPipeline(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), &out))
	require.Contains(t, out.String(), "did you mean data.amount_cents?")
	require.Contains(t, out.String(), "evt-1 finance-large-invoices: delivered\n")
	require.Contains(t, out.String(), "evt-2 finance-large-invoices: filtered")
	require.Contains(t, out.String(), `"skus": ["SEATS-ENT", "SUPPORT-24x7"]`)
	require.Contains(t, out.String(), `{"text": "Contoso \"Labs\" paid 4,900.00 USD (INV-2026-0043)"}`)
	// The helper reaches the Dispatcher's templates: both events are
	// delivered to the chat with its output.
	require.Contains(t, out.String(), "evt-1 finance-chat: delivered\n")
	require.Contains(t, out.String(), "evt-2 finance-chat: delivered\n")
	require.Contains(t, out.String(), `{"text": "Northwind Traders paid 12,345.50 EUR (INV-2026-0042)"}`)
}

func TestMoney(t *testing.T) {
	for _, tt := range []struct {
		cents string
		want  string
	}{
		{"0", "0.00 EUR"}, {"5", "0.05 EUR"}, {"100000", "1,000.00 EUR"}, {"123456789", "1,234,567.89 EUR"},
		{"-5", "-0.05 EUR"}, {"-123456789", "-1,234,567.89 EUR"}, {"-9223372036854775808", "-92,233,720,368,547,758.08 EUR"},
	} {
		got, err := money([]any{jsonNumber(tt.cents), "eur"})
		require.NoError(t, err)
		require.Equal(t, tt.want, got)
	}
	_, err := money([]any{"12", "eur"})
	require.Error(t, err)
}

func jsonNumber(s string) any { return json.Number(s) }
