package presetopt_test

import (
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/internal/presetopt"
)

var errInvalid = errors.New("test: invalid option")

const hooks = "https://hooks.example.com/v1/in"

// target applies opts to a Config and returns its target for raw and its
// error.
func target(t *testing.T, raw string, opts ...presetopt.Option) (string, error) {
	t.Helper()
	c := presetopt.New(errInvalid)
	for _, o := range opts {
		o(&c)
	}
	u, err := url.Parse(raw)
	require.NoError(t, err)
	return c.Target(raw, u), c.Err()
}

func TestSeconds(t *testing.T) {
	require.Equal(t, 0, presetopt.Seconds(0))
	require.Equal(t, 30, presetopt.Seconds(30*time.Second))
	require.Equal(t, 2, presetopt.Seconds(1500*time.Millisecond), "rounded up")
}

func TestBaseURL(t *testing.T) {
	for _, tt := range []struct {
		name, base, raw, want string
	}{
		{"no base: the URL as the preset gives it", "", "https://HOOKS.example.com/v1/in/", "https://HOOKS.example.com/v1/in/"},
		{"host only", "http://127.0.0.1:8080", hooks, "http://127.0.0.1:8080/v1/in"},
		{"a path before the URL's", "http://127.0.0.1:8080/stand-in/", hooks, "http://127.0.0.1:8080/stand-in/v1/in"},
		{"https", "https://stand-in.test", hooks, "https://stand-in.test/v1/in"},
		{"the query is kept", "http://127.0.0.1:9", "https://acme.example.com/api/flo/f1/invoke?clientToken=t0k", "http://127.0.0.1:9/api/flo/f1/invoke?clientToken=t0k"},
		{"the escaped path is kept", "http://127.0.0.1:9", "https://acme.example.com/a%20b/c", "http://127.0.0.1:9/a%20b/c"},
		{"a trailing slash is kept", "http://127.0.0.1:9", "https://acme.example.com/in/", "http://127.0.0.1:9/in/"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var opts []presetopt.Option
			if tt.base != "" {
				opts = append(opts, presetopt.BaseURL(tt.base))
			}
			got, err := target(t, tt.raw, opts...)
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
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
			got, err := target(t, hooks, tt.opt)
			require.ErrorIs(t, err, errInvalid)
			require.True(t, strings.HasPrefix(err.Error(), errInvalid.Error()+": "+tt.msg), err.Error())
			require.Equal(t, hooks, got, "a failed option changes nothing")
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
