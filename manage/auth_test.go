package manage_test

import (
	"bytes"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/manage"
	"github.com/outhook/outhook/webhook"
)

func TestTheTenantFunctionDecidesWhoTheCallerIs(t *testing.T) {
	var logs bytes.Buffer
	s := newService(t, nil, manage.WithChallenge(`Bearer realm="webhooks"`),
		manage.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))

	resp, _ := s.anon.do(http.MethodGet, "/webhooks", nil)
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	require.Equal(t, `Bearer realm="webhooks"`, resp.Header.Get("WWW-Authenticate"))
	p := s.anon.problem(http.StatusUnauthorized, "unauthenticated", http.MethodPost, "/webhooks", s.hook("x"))
	require.Equal(t, "not authenticated: send a bearer token", p.Detail, "the function's message is the detail")

	p = s.as("forbidden").problem(http.StatusForbidden, "forbidden", http.MethodGet, "/webhooks", nil)
	require.Equal(t, "forbidden: this token may not manage webhooks", p.Detail)

	p = s.as("broken").problem(http.StatusInternalServerError, "internal-error", http.MethodGet, "/event-types", nil)
	require.NotContains(t, p.Detail, "10.1.2.3", "another error's message is not shown")
	require.Contains(t, logs.String(), "10.1.2.3", "but it is logged")

	var list struct {
		Webhooks []webhook.Webhook `json:"webhooks"`
	}
	s.as("acme").ok(http.StatusOK, &list, http.MethodGet, "/webhooks", nil)
}

func TestATenantIDTheDispatcherRefusesIsTheServicesFault(t *testing.T) {
	var logs bytes.Buffer
	d := newDispatcher(t)
	h, err := manage.New(d, func(*http.Request) (string, string, error) { return "bad\ntenant", "x", nil },
		manage.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	require.NoError(t, err)
	newAPI(t, h).problem(http.StatusInternalServerError, "internal-error", http.MethodGet, "/webhooks", nil)
	require.Contains(t, logs.String(), "invalid tenant id")
}

func TestTheDefaultTenantIsTheDispatchersOwn(t *testing.T) {
	s := newService(t, nil)
	h, err := manage.New(s.d, func(*http.Request) (string, string, error) { return "", "root", nil })
	require.NoError(t, err)
	def := s.hook("single")
	def["id"] = "single"
	newAPI(t, h).ok(http.StatusCreated, nil, http.MethodPost, "/webhooks", def)
	w, ok := s.d.Get("single")
	require.True(t, ok, "a webhook made for tenant \"\" is d.Get's")
	require.Equal(t, "single", w.Name)
}

func TestCrossOriginWritesAreRefused(t *testing.T) {
	s := newService(t, nil, manage.WithTrustedOrigins("https://console.example.com"))
	acme := s.as("acme")
	acme.problem(http.StatusForbidden, "cross-origin", http.MethodPost, "/webhooks", s.hook("x"), "Sec-Fetch-Site", "cross-site")
	acme.problem(http.StatusForbidden, "cross-origin", http.MethodPost, "/webhooks", s.hook("x"), "Origin", "https://evil.example")
	acme.ok(http.StatusOK, nil, http.MethodGet, "/webhooks", nil, "Sec-Fetch-Site", "cross-site")
	acme.ok(http.StatusCreated, nil, http.MethodPost, "/webhooks", s.hook("x"),
		"Sec-Fetch-Site", "cross-site", "Origin", "https://console.example.com")
	acme.ok(http.StatusCreated, nil, http.MethodPost, "/webhooks", s.hook("y"), "Sec-Fetch-Site", "same-origin")
}

// TestTheHandlerMountsUnderAPrefix checks that relative Locations resolve
// under the service's own mount point.
func TestTheHandlerMountsUnderAPrefix(t *testing.T) {
	s := newService(t, nil)
	mux := http.NewServeMux()
	mux.Handle("/api/hooks/", http.StripPrefix("/api/hooks", s.h))
	a := newAPI(t, mux).as("Authorization", "Bearer acme")
	var w webhook.Webhook
	resp := a.ok(http.StatusCreated, &w, http.MethodPost, "/api/hooks/webhooks", s.hook("prefixed"))
	loc, err := resp.Request.URL.Parse(resp.Header.Get("Location"))
	require.NoError(t, err)
	require.True(t, strings.HasSuffix(loc.Path, "/api/hooks/webhooks/"+w.ID), loc.String())
	a.ok(http.StatusOK, nil, http.MethodGet, loc.Path, nil)
}
