package presetopt_test

import (
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/accessrequest"
	"github.com/outhook/outhook/event"
	"github.com/outhook/outhook/internal/presetopt"
	"github.com/outhook/outhook/webhook"
)

var errInvalid = errors.New("test: invalid option")

const target = "https://hooks.example.com/v1/in"

// build applies opts to a Config made with d, and returns its definition
// for raw and its error.
func build(t *testing.T, d presetopt.Defaults, raw string, opts ...presetopt.Option) (webhook.Webhook, error) {
	t.Helper()
	c := presetopt.New(errInvalid)
	for _, o := range opts {
		o(&c)
	}
	u, err := url.Parse(raw)
	require.NoError(t, err)
	return c.Webhook(d, raw, u), c.Err()
}

func TestDefaults(t *testing.T) {
	for _, tt := range []struct {
		name     string
		defaults presetopt.Defaults
		timeout  int
	}{
		{"zero", presetopt.Defaults{}, 0},
		{"whole seconds", presetopt.Defaults{Name: "n", Body: "{}", Timeout: 30 * time.Second}, 30},
		{"rounded up", presetopt.Defaults{Name: "n", Timeout: 1500 * time.Millisecond}, 2},
	} {
		t.Run(tt.name, func(t *testing.T) {
			w, err := build(t, tt.defaults, target)
			require.NoError(t, err)
			require.Equal(t, webhook.Webhook{
				Name:         tt.defaults.Name,
				Active:       true,
				Method:       "POST",
				URL:          target,
				BodyTemplate: tt.defaults.Body,
				Triggers:     accessrequest.Triggers(),
				TimeoutInSec: tt.timeout,
			}, w)
		})
	}
}

// TestTriggersAreFresh checks that a caller changing one definition's
// triggers in place changes neither the next definition nor the package's.
func TestTriggersAreFresh(t *testing.T) {
	w, err := build(t, presetopt.Defaults{}, target)
	require.NoError(t, err)
	w.Triggers[0] = event.Trigger("custom")
	w, err = build(t, presetopt.Defaults{}, target)
	require.NoError(t, err)
	require.Equal(t, accessrequest.Triggers(), w.Triggers)
}

func TestBaseURL(t *testing.T) {
	for _, tt := range []struct {
		name, base, raw, want string
	}{
		{"no base: the URL as the preset gives it", "", "https://HOOKS.example.com/v1/in/", "https://HOOKS.example.com/v1/in/"},
		{"host only", "http://127.0.0.1:8080", target, "http://127.0.0.1:8080/v1/in"},
		{"a path before the URL's", "http://127.0.0.1:8080/stand-in/", target, "http://127.0.0.1:8080/stand-in/v1/in"},
		{"https", "https://stand-in.test", target, "https://stand-in.test/v1/in"},
		{"the query is kept", "http://127.0.0.1:9", "https://acme.example.com/api/flo/f1/invoke?clientToken=t0k", "http://127.0.0.1:9/api/flo/f1/invoke?clientToken=t0k"},
		{"the escaped path is kept", "http://127.0.0.1:9", "https://acme.example.com/a%20b/c", "http://127.0.0.1:9/a%20b/c"},
		{"a trailing slash is kept", "http://127.0.0.1:9", "https://acme.example.com/in/", "http://127.0.0.1:9/in/"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var opts []presetopt.Option
			if tt.base != "" {
				opts = append(opts, presetopt.BaseURL(tt.base))
			}
			w, err := build(t, presetopt.Defaults{}, tt.raw, opts...)
			require.NoError(t, err)
			require.Equal(t, tt.want, w.URL)
		})
	}
}

func TestFailures(t *testing.T) {
	for _, tt := range []struct {
		name string
		opt  presetopt.Option
		msg  string
	}{
		{"base URL of another scheme", presetopt.BaseURL("ftp://127.0.0.1"), "WithBaseURL needs"},
		{"base URL without a host", presetopt.BaseURL("/local"), "WithBaseURL needs"},
		{"base URL with a query", presetopt.BaseURL("http://127.0.0.1:1/?x=1"), "WithBaseURL needs"},
		{"base URL with a fragment", presetopt.BaseURL("http://127.0.0.1:1/#x"), "WithBaseURL needs"},
		{"base URL that does not parse", presetopt.BaseURL("http://[::1"), "WithBaseURL needs"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			w, err := build(t, presetopt.Defaults{Timeout: time.Minute}, target, tt.opt)
			require.ErrorIs(t, err, errInvalid)
			require.True(t, strings.HasPrefix(err.Error(), errInvalid.Error()+": "+tt.msg), err.Error())
			require.Equal(t, 60, w.TimeoutInSec, "a failed option changes nothing")
			require.Equal(t, target, w.URL, "a failed option changes nothing")
		})
	}
}

// TestFail checks that failures are kept in order and wrap the sentinel,
// and that a Config without any has no error.
func TestFail(t *testing.T) {
	c := presetopt.New(errInvalid)
	require.NoError(t, c.Err())
	c.Fail("first %d", 1)
	c.Fail("second")
	err := c.Err()
	require.ErrorIs(t, err, errInvalid)
	require.Equal(t, "test: invalid option: first 1\ntest: invalid option: second", err.Error())
}
