package manage_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/manage"
	"github.com/outhook/outhook/webhook"
)

// api calls a Handler served by a real HTTP server, through a client that
// fails the test on any request or response the OpenAPI document does
// not allow.
type api struct {
	t      *testing.T
	srv    *httptest.Server
	client *http.Client
	// header is sent with every request: the credentials, say.
	header http.Header
	// secrets must appear in no response.
	secrets []string
}

func newAPI(t *testing.T, h http.Handler) *api {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &api{t: t, srv: srv, client: manage.CheckedClient(t, srv), header: http.Header{}}
}

// as returns a copy of a that sends header with every request.
func (a *api) as(name, value string) *api {
	c := *a
	c.header = a.header.Clone()
	c.header.Set(name, value)
	return &c
}

// do sends a request; body is sent as it is when it is a string or
// []byte, as JSON otherwise, and header holds name, value pairs.
func (a *api) do(method, path string, body any, header ...string) (*http.Response, []byte) {
	a.t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		r = strings.NewReader(b)
	case []byte:
		r = bytes.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		require.NoError(a.t, err)
		r = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, a.srv.URL+path, r)
	require.NoError(a.t, err)
	for k, vs := range a.header {
		req.Header[k] = vs
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := a.client.Do(req)
	require.NoError(a.t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(a.t, err)
	for _, secret := range a.secrets {
		require.NotContains(a.t, string(raw), secret, "%s %s shows a secret", method, path)
		for _, vs := range resp.Header {
			require.NotContains(a.t, strings.Join(vs, " "), secret, "%s %s shows a secret", method, path)
		}
	}
	return resp, raw
}

// ok sends a request that must answer status, and decodes its body into
// out when out is not nil.
func (a *api) ok(status int, out any, method, path string, body any, header ...string) *http.Response {
	a.t.Helper()
	resp, raw := a.do(method, path, body, header...)
	require.Equal(a.t, status, resp.StatusCode, "%s %s: %s", method, path, raw)
	if out != nil {
		require.NoError(a.t, json.Unmarshal(raw, out), "%s", raw)
	}
	return resp
}

// problem sends a request that must fail with status and the problem type
// named, and returns the problem.
func (a *api) problem(status int, typ, method, path string, body any, header ...string) manage.Problem {
	a.t.Helper()
	resp, raw := a.do(method, path, body, header...)
	require.Equal(a.t, status, resp.StatusCode, "%s %s: %s", method, path, raw)
	require.Equal(a.t, "application/problem+json", resp.Header.Get("Content-Type"))
	var p manage.Problem
	require.NoError(a.t, json.Unmarshal(raw, &p), "%s", raw)
	require.Equal(a.t, manage.ProblemBase+typ, p.Type, "%s", raw)
	require.Equal(a.t, status, p.Status)
	require.NotEmpty(a.t, p.Title)
	return p
}

// receiver is a webhook endpoint that records what it gets.
type receiver struct {
	*httptest.Server
	status atomic.Int32 // what it answers; 200 when zero
	mu     sync.Mutex
	got    []*http.Request
	bodies []string
}

func newReceiver(t *testing.T) *receiver {
	rc := &receiver{}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		rc.mu.Lock()
		rc.got = append(rc.got, r.Clone(context.Background()))
		rc.bodies = append(rc.bodies, string(body))
		rc.mu.Unlock()
		if s := rc.status.Load(); s != 0 {
			w.WriteHeader(int(s))
		}
	}))
	t.Cleanup(rc.Close)
	return rc
}

func (rc *receiver) requests() ([]*http.Request, []string) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]*http.Request(nil), rc.got...), append([]string(nil), rc.bodies...)
}

// service is a service that mounts the Handler behind a toy
// authentication: "Authorization: Bearer T" is tenant T, acting as
// "admin@T"; the tokens "forbidden" and "broken" are refused with
// ErrForbidden and with another error.
type service struct {
	d     *webhook.Dispatcher
	h     *manage.Handler
	store *webhook.MemoryStore
	rc    *receiver
	anon  *api
}

func bearer(r *http.Request) (string, string, error) {
	token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	switch {
	case !ok:
		return "", "", fmt.Errorf("%w: send a bearer token", manage.ErrUnauthenticated)
	case token == "forbidden":
		return "", "", fmt.Errorf("%w: this token may not manage webhooks", manage.ErrForbidden)
	case token == "broken":
		return "", "", errors.New("the token database is down at 10.1.2.3")
	}
	return token, "admin@" + token, nil
}

func newService(t *testing.T, dopts []webhook.Option, mopts ...manage.Option) *service {
	t.Helper()
	s := &service{store: webhook.NewMemoryStore(100, 100), rc: newReceiver(t)}
	opts := append([]webhook.Option{
		webhook.WithAllowedTargets("127.0.0.1"),
		webhook.WithURLPolicy(webhook.URLPolicy{AllowHTTP: true, AllowCustomPorts: true}),
		webhook.WithInvocationStore(s.store),
		webhook.WithRetryPolicy(webhook.RetryPolicy{MaxAttempts: 1}),
	}, dopts...)
	s.d = newDispatcher(t, opts...)
	h, err := manage.New(s.d, bearer, mopts...)
	require.NoError(t, err)
	s.h = h
	s.anon = newAPI(t, h)
	return s
}

// as is the API as tenant's admin.
func (s *service) as(tenant string) *api {
	return s.anon.as("Authorization", "Bearer "+tenant)
}

// hook is a definition sending to the service's receiver.
func (s *service) hook(name string) map[string]any {
	return map[string]any{
		"name": name, "active": true, "url": s.rc.URL + "/" + name,
		"triggers": []string{"RequestCreated", "RequestApproved"},
	}
}
