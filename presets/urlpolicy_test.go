package presets_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/presets"
	"github.com/outhook/outhook/webhook"
)

// The presets on a custom port ask for it in their definition, so that a
// Dispatcher can open that port to them and to no other definition.
func TestCustomPortPresetsAskForTheirPort(t *testing.T) {
	d, err := webhook.New(webhook.WithURLPolicy(webhook.URLPolicy{DefinitionPorts: []int{8088, 8071}}))
	require.NoError(t, err)
	defer d.Close(context.Background())

	splunk, err := presets.SplunkHEC("https://splunk.example.com:8088/services/collector/event", "hec-token")
	require.NoError(t, err)
	require.Equal(t, &webhook.DefinitionURLPolicy{AllowCustomPort: true}, splunk.URLPolicy)
	_, err = d.Add(splunk)
	require.NoError(t, err)

	lz, err := presets.Logzio("https://listener.logz.io:8071", "lz-token")
	require.NoError(t, err)
	_, err = d.Add(lz)
	require.NoError(t, err)

	cloud, err := presets.SplunkHEC("https://http-inputs-acme.splunkcloud.com/services/collector/event", "hec-token")
	require.NoError(t, err)
	require.Nil(t, cloud.URLPolicy, "the default port needs no relaxing")

	// A definition that does not ask is refused the very same port.
	plain := splunk
	plain.Name, plain.URLPolicy = "plain", nil
	_, err = d.Add(plain)
	require.ErrorIs(t, err, webhook.ErrInsecureURL)
	require.ErrorContains(t, err, "url_policy.allow_custom_port")
}
