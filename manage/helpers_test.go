package manage_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/manage"
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
