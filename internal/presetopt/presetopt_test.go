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
	"github.com/outhook/outhook/filter"
	"github.com/outhook/outhook/internal/presetopt"
	"github.com/outhook/outhook/webhook"
)

var errInvalid = errors.New("test: invalid option")

const target = "https://hooks.example.com/v1/in"

// build applies opts to a Config made with d, and returns its definition
// for raw and its error.
func build(t *testing.T, d presetopt.Defaults, raw string, opts ...presetopt.Option) (webhook.Webhook, error) {
	t.Helper()
	c := presetopt.New(errInvalid, d)
	for _, o := range opts {
		o(&c)
	}
	u, err := url.Parse(raw)
	require.NoError(t, err)
	return c.Webhook(raw, u), c.Err()
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

func TestOptions(t *testing.T) {
	prod := filter.Must(filter.New(filter.Environment("production")))
	ok := webhook.ResponseValidator{JSONPath: "$.ok", ExpectedValues: []string{"true"}}
	status := webhook.ResponseValidator{JSONPath: "$.status", ExpectedValues: []string{"done"}}
	for _, tt := range []struct {
		name  string
		opts  []presetopt.Option
		check func(t *testing.T, w webhook.Webhook)
	}{
		{"name", []presetopt.Option{presetopt.Name("custom")}, func(t *testing.T, w webhook.Webhook) {
			require.Equal(t, "custom", w.Name)
		}},
		{"body template", []presetopt.Option{presetopt.BodyTemplate(`{"id":"{{data.id}}"}`)}, func(t *testing.T, w webhook.Webhook) {
			require.Equal(t, `{"id":"{{data.id}}"}`, w.BodyTemplate)
		}},
		{"full event", []presetopt.Option{presetopt.FullEvent()}, func(t *testing.T, w webhook.Webhook) {
			require.Empty(t, w.BodyTemplate)
		}},
		{"full event, then a body", []presetopt.Option{presetopt.FullEvent(), presetopt.BodyTemplate("{}")}, func(t *testing.T, w webhook.Webhook) {
			require.Equal(t, "{}", w.BodyTemplate, "the last option wins")
		}},
		{"triggers replace the default", []presetopt.Option{presetopt.Triggers(accessrequest.Granted)}, func(t *testing.T, w webhook.Webhook) {
			require.Equal(t, []event.Trigger{accessrequest.Granted}, w.Triggers)
		}},
		{"no triggers", []presetopt.Option{presetopt.Triggers()}, func(t *testing.T, w webhook.Webhook) {
			require.Empty(t, w.Triggers)
		}},
		{"filter", []presetopt.Option{presetopt.Filter(prod)}, func(t *testing.T, w webhook.Webhook) {
			require.Same(t, prod, w.Filters)
		}},
		{"nil filter", []presetopt.Option{presetopt.Filter(prod), presetopt.Filter(nil)}, func(t *testing.T, w webhook.Webhook) {
			require.Nil(t, w.Filters)
		}},
		{"validators add up", []presetopt.Option{presetopt.ResponseValidators(ok), presetopt.ResponseValidators(), presetopt.ResponseValidators(status)}, func(t *testing.T, w webhook.Webhook) {
			require.Equal(t, []webhook.ResponseValidator{ok, status}, w.ResponseValidators)
		}},
		{"secrets add up", []presetopt.Option{presetopt.SigningSecrets("whsec_a"), presetopt.SigningSecrets("whsec_b", "whsec_c")}, func(t *testing.T, w webhook.Webhook) {
			require.Equal(t, []string{"whsec_a", "whsec_b", "whsec_c"}, w.SigningSecrets)
		}},
		{"timeout replaces the default", []presetopt.Option{presetopt.Timeout(90 * time.Second)}, func(t *testing.T, w webhook.Webhook) {
			require.Equal(t, 90, w.TimeoutInSec)
		}},
		{"timeout rounded up", []presetopt.Option{presetopt.Timeout(time.Millisecond)}, func(t *testing.T, w webhook.Webhook) {
			require.Equal(t, 1, w.TimeoutInSec)
		}},
		{"the longest timeout", []presetopt.Option{presetopt.Timeout(webhook.MaxTimeout)}, func(t *testing.T, w webhook.Webhook) {
			require.Equal(t, int(webhook.MaxTimeout/time.Second), w.TimeoutInSec)
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			w, err := build(t, presetopt.Defaults{Name: "preset", Body: "{}", Timeout: time.Minute}, target, tt.opts...)
			require.NoError(t, err)
			require.True(t, w.Active)
			require.Equal(t, "POST", w.Method)
			tt.check(t, w)
		})
	}
}

// TestTriggersAreCopied checks that changing the caller's slice later
// does not change the definition.
func TestTriggersAreCopied(t *testing.T) {
	triggers := []event.Trigger{accessrequest.Created, accessrequest.Failed}
	w, err := build(t, presetopt.Defaults{}, target, presetopt.Triggers(triggers...))
	require.NoError(t, err)
	triggers[0] = accessrequest.Expired
	require.Equal(t, []event.Trigger{accessrequest.Created, accessrequest.Failed}, w.Triggers)
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
		{"zero timeout", presetopt.Timeout(0), "WithTimeout(0s) is not between 1s and "},
		{"negative timeout", presetopt.Timeout(-time.Second), "WithTimeout(-1s) is not between 1s and "},
		{"timeout too long", presetopt.Timeout(webhook.MaxTimeout + time.Nanosecond), "WithTimeout(" + (webhook.MaxTimeout + time.Nanosecond).String() + ")"},
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
	c := presetopt.New(errInvalid, presetopt.Defaults{})
	require.NoError(t, c.Err())
	c.Fail("first %d", 1)
	c.Fail("second")
	err := c.Err()
	require.ErrorIs(t, err, errInvalid)
	require.Equal(t, "test: invalid option: first 1\ntest: invalid option: second", err.Error())
}
