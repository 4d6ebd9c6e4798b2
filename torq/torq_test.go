package torq_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/accessrequest"
	"github.com/outhook/outhook/event"
	"github.com/outhook/outhook/filter"
	"github.com/outhook/outhook/torq"
	"github.com/outhook/outhook/webhook"
	"github.com/outhook/outhook/webhooktest"
)

const hookURL = "https://hooks.torq.io/v1/webhooks/0f9a1c"

func TestNewDefaults(t *testing.T) {
	w, err := torq.New(hookURL, "s3cr3t")
	require.NoError(t, err)
	require.Equal(t, webhook.Webhook{
		Name:         "torq",
		Active:       true,
		Method:       "POST",
		URL:          hookURL,
		Headers:      map[string]string{"Authorization": "Bearer s3cr3t"},
		BodyTemplate: `{"body":{"event":"New Apono {{event_type}} request made by {{data.requester.name}}"}}`,
		Triggers:     accessrequest.Triggers(),
		TimeoutInSec: 30,
	}, w)

	// The definition is valid: a Dispatcher with Apono's rules accepts it.
	d, err := webhook.New()
	require.NoError(t, err)
	t.Cleanup(func() { _ = d.Close(t.Context()) })
	_, err = d.Add(w)
	require.NoError(t, err)
}

func TestNewOptions(t *testing.T) {
	for _, tt := range []struct {
		name  string
		url   string
		opts  []torq.Option
		check func(t *testing.T, w webhook.Webhook)
	}{
		{
			name: "sync URLs wait longer",
			url:  "https://hooks.eu.torq.io/v1/webhooks/wh/workflows/wf/sync",
			check: func(t *testing.T, w webhook.Webhook) {
				require.Equal(t, 120, w.TimeoutInSec)
			},
		},
		{
			name: "async workflow URLs keep the default",
			url:  "https://hooks.torq.io/v1/webhooks/wh/workflows/wf",
			check: func(t *testing.T, w webhook.Webhook) {
				require.Equal(t, 30, w.TimeoutInSec)
			},
		},
		{
			name: "custom header",
			opts: []torq.Option{torq.WithAuthHeader("X-Torq-Token")},
			check: func(t *testing.T, w webhook.Webhook) {
				require.Equal(t, map[string]string{"X-Torq-Token": "s3cr3t"}, w.Headers)
			},
		},
		{
			name: "nil options are ignored",
			opts: []torq.Option{nil},
			check: func(t *testing.T, w webhook.Webhook) {
				require.Equal(t, map[string]string{"Authorization": "Bearer s3cr3t"}, w.Headers)
			},
		},
		{
			name: "base URL for a stand-in",
			url:  "https://hooks.torq.io/v1/webhooks/wh/workflows/wf/sync",
			opts: []torq.Option{torq.WithBaseURL("http://127.0.0.1:8080/torq/")},
			check: func(t *testing.T, w webhook.Webhook) {
				require.Equal(t, "http://127.0.0.1:8080/torq/v1/webhooks/wh/workflows/wf/sync", w.URL)
				require.Equal(t, 120, w.TimeoutInSec)
			},
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			url := tt.url
			if url == "" {
				url = hookURL
			}
			w, err := torq.New(url, "s3cr3t", tt.opts...)
			require.NoError(t, err)
			tt.check(t, w)
		})
	}
}

func TestNewErrors(t *testing.T) {
	for _, tt := range []struct {
		name  string
		url   string
		token string
		opts  []torq.Option
		err   error
	}{
		{"bad URL", "https://hooks.torq.io/v1/hooks/x", "t", nil, torq.ErrPath},
		{"no token", hookURL, "", nil, torq.ErrMissingToken},
		{"empty header name", hookURL, "t", []torq.Option{torq.WithAuthHeader("")}, torq.ErrInvalidOption},
		{"base URL without host", hookURL, "t", []torq.Option{torq.WithBaseURL("/local")}, torq.ErrInvalidOption},
		{"base URL with query", hookURL, "t", []torq.Option{torq.WithBaseURL("http://127.0.0.1:1/?x=1")}, torq.ErrInvalidOption},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := torq.New(tt.url, tt.token, tt.opts...)
			require.ErrorIs(t, err, tt.err)
			require.NotContains(t, err.Error(), "0f9a1c", "errors never quote the URL")
			if tt.err == torq.ErrInvalidOption {
				require.True(t, strings.HasPrefix(err.Error(), "torq: invalid option: With"), err.Error())
			}
		})
	}
}

// TestFieldsSetOnTheDefinition changes every field New has no option for
// on the definition it returns, and checks that a Dispatcher takes the
// changes and checks them.
func TestFieldsSetOnTheDefinition(t *testing.T) {
	aws := filter.Must(filter.New(filter.IntegrationType("AWS")))
	w, err := torq.New(hookURL, "s3cr3t")
	require.NoError(t, err)
	w.Name = "torq-aws"
	w.BodyTemplate = `{"id":"{{data.friendly_id}}"}`
	w.Triggers = []event.Trigger{accessrequest.Granted, accessrequest.Expired}
	w.Filters = aws
	w.ResponseValidators = []webhook.ResponseValidator{{JSONPath: "$.data.status", ExpectedValues: []string{"ok"}}}
	w.SigningSecrets = []string{"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}
	w.TimeoutInSec = 2

	d, err := webhook.New()
	require.NoError(t, err)
	t.Cleanup(func() { _ = d.Close(t.Context()) })
	added, err := d.Add(w)
	require.NoError(t, err)
	require.Equal(t, "torq-aws", added.Name)
	require.Equal(t, `{"id":"{{data.friendly_id}}"}`, added.BodyTemplate)
	require.Equal(t, []event.Trigger{accessrequest.Granted, accessrequest.Expired}, added.Triggers)
	require.Same(t, aws, added.Filters)
	require.Len(t, added.ResponseValidators, 1)
	require.Equal(t, []string{"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}, added.SigningSecrets)
	require.Equal(t, 2, added.TimeoutInSec)

	// What the options checked, the Dispatcher checks: a timeout out of
	// range is refused, naming the field.
	for _, timeout := range []int{-1, int(time.Hour / time.Second)} {
		w, err := torq.New(hookURL, "s3cr3t")
		require.NoError(t, err)
		w.Name, w.TimeoutInSec = "torq-timeout", timeout
		_, err = d.Add(w)
		require.ErrorIs(t, err, webhook.ErrInvalidTimeout)
		var de *webhook.DefinitionError
		require.ErrorAs(t, err, &de)
		require.Equal(t, "timeout_in_sec", de.Field)
	}
}

// TestGolden renders the default body and the full-event body over every
// mock event.
func TestGolden(t *testing.T) {
	w, err := torq.New(hookURL, "s3cr3t")
	require.NoError(t, err)
	out := webhooktest.Render(t, w, webhooktest.Strict(), webhooktest.Golden("testdata"))
	require.Len(t, out, 6)

	w, err = torq.New(hookURL, "s3cr3t")
	require.NoError(t, err)
	w.Name, w.BodyTemplate = "torq-full-event", ""
	for _, r := range webhooktest.Render(t, w) {
		require.Equal(t, string(r.Event.JSON()), string(r.Body))
	}
}

// A caller changing one definition's triggers in place changes neither the
// next definition nor the access-request list.
func TestTriggersAreFresh(t *testing.T) {
	w, err := torq.New("https://hooks.torq.io/v1/webhooks/abc", "token")
	require.NoError(t, err)
	w.Triggers[0] = event.Trigger("custom")
	w, err = torq.New("https://hooks.torq.io/v1/webhooks/abc", "token")
	require.NoError(t, err)
	require.Equal(t, accessrequest.Triggers(), w.Triggers)
	require.Equal(t, 30, w.TimeoutInSec)
	require.Equal(t, "POST", w.Method)
	require.True(t, w.Active)
}
