package main

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// server is a running `outhook serve`.
type server struct {
	cmd  *exec.Cmd
	url  string // the API's root, ending in /api/
	mu   sync.Mutex
	logs strings.Builder
	done chan struct{}
}

var servingAt = regexp.MustCompile(`the management API at (http://\S+/api/)`)

// startServe starts outhook serve with args and waits until it listens.
func startServe(t *testing.T, args ...string) *server {
	t.Helper()
	cmd := exec.Command(binary(t), append([]string{"serve", "-addr", "127.0.0.1:0"}, args...)...)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "USER=tester"}
	stderr, err := cmd.StderrPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	s := &server{cmd: cmd, done: make(chan struct{})}
	found := make(chan string, 1)
	go func() {
		defer close(s.done)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			s.mu.Lock()
			s.logs.WriteString(sc.Text() + "\n")
			s.mu.Unlock()
			if m := servingAt.FindStringSubmatch(sc.Text()); m != nil {
				found <- m[1]
			}
		}
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-s.done
		_ = cmd.Wait()
	})
	select {
	case s.url = <-found:
		return s
	case <-s.done:
		require.NoError(t, cmd.Wait())
		t.Fatalf("outhook serve stopped before listening:\n%s", s.log())
	case <-time.After(60 * time.Second):
		t.Fatalf("outhook serve did not listen:\n%s", s.log())
	}
	return nil
}

func (s *server) log() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.logs.String()
}

// stop interrupts the server, as Ctrl-C does, and returns its exit code.
func (s *server) stop(t *testing.T) int {
	t.Helper()
	require.NoError(t, s.cmd.Process.Signal(os.Interrupt))
	select {
	case <-s.done:
	case <-time.After(30 * time.Second):
		t.Fatalf("outhook serve did not stop:\n%s", s.log())
	}
	err := s.cmd.Wait()
	var ee *exec.ExitError
	if err != nil {
		require.ErrorAs(t, err, &ee)
		return ee.ExitCode()
	}
	return 0
}

// call makes a request to the API and decodes a JSON answer into out.
func (s *server) call(t *testing.T, method, path, body string, header http.Header, out any) *http.Response {
	t.Helper()
	if body != "" {
		header = header.Clone()
		if header == nil {
			header = http.Header{}
		}
		header.Set("Content-Type", "application/json")
	}
	resp, b := s.do(t, method, s.url+strings.TrimPrefix(path, "/"), body, header)
	if out != nil {
		require.NoError(t, json.Unmarshal(b, out), "%s %s: %d %s", method, path, resp.StatusCode, b)
	}
	return resp
}

// page makes a request to the console at path ("/", "/webhooks/ID"),
// sending form when it is not nil, and returns the answer and its body.
// Redirects are not followed.
func (s *server) page(t *testing.T, method, path string, form url.Values, header http.Header) (*http.Response, string) {
	t.Helper()
	var body string
	if form != nil {
		header = header.Clone()
		if header == nil {
			header = http.Header{}
		}
		header.Set("Content-Type", "application/x-www-form-urlencoded")
		body = form.Encode()
	}
	resp, b := s.do(t, method, strings.TrimSuffix(s.url, "api/")+strings.TrimPrefix(path, "/"), body, header)
	return resp, string(b)
}

func (s *server) do(t *testing.T, method, url, body string, header http.Header) (*http.Response, []byte) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, url, strings.NewReader(body))
	require.NoError(t, err)
	for k, v := range header {
		req.Header[k] = v
	}
	if h := header.Get("Host"); h != "" {
		req.Host = h
	}
	resp, err := http.DefaultTransport.RoundTrip(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp, b
}

func TestServe(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	db := filepath.Join(dir, "outhook.db")
	rc := newReceiver(t, http.StatusOK, `{"status":"ok"}`)
	flags := []string{"-db", db, "-allow-target", "127.0.0.1", "-allow-http", "-allow-custom-ports"}
	s := startServe(t, flags...)

	// The OpenAPI document, and a first look at the root.
	var doc map[string]any
	resp := s.call(t, http.MethodGet, "/openapi.json", "", nil, &doc)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "3.1.0", doc["openapi"])
	require.Contains(t, doc["paths"], "/webhooks")
	resp, html := s.page(t, http.MethodGet, "/", nil, nil)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, html, "<h1>Webhooks</h1>")
	require.Contains(t, html, "No webhooks yet.")

	// The key was generated beside the database, for its owner only.
	fi, err := os.Stat(db + ".key")
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), fi.Mode().Perm())

	// Create, then list.
	def := `{"name": "local receiver", "active": true, "url": "` + rc.URL + `/hook",
		"headers": {"Authorization": "Bearer ` + receiverToken + `"}, "triggers": ["RequestCreated"]}`
	var created struct {
		ID      string            `json:"id"`
		Version int64             `json:"version"`
		Headers map[string]string `json:"headers"`
	}
	resp = s.call(t, http.MethodPost, "/webhooks", def, nil, &created)
	require.Equal(t, http.StatusCreated, resp.StatusCode, s.log())
	require.NotEmpty(t, created.ID)
	require.EqualValues(t, 1, created.Version)
	require.Equal(t, map[string]string{"Authorization": "REDACTED"}, created.Headers)

	type listed struct {
		Webhooks []struct {
			ID     string `json:"id"`
			Name   string `json:"name"`
			Active bool   `json:"active"`
		} `json:"webhooks"`
	}
	var list listed
	resp = s.call(t, http.MethodGet, "/webhooks", "", nil, &list)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Len(t, list.Webhooks, 1)
	require.Equal(t, "local receiver", list.Webhooks[0].Name)
	require.True(t, list.Webhooks[0].Active)

	var history struct {
		Revisions []struct {
			Actor string `json:"actor"`
		} `json:"revisions"`
	}
	s.call(t, http.MethodGet, "/webhooks/"+created.ID+"/history", "", nil, &history)
	require.Len(t, history.Revisions, 1)
	require.Equal(t, "tester", history.Revisions[0].Actor, "the actor is $USER")

	// The console lists it, and changes it from its own pages only.
	resp, html = s.page(t, http.MethodGet, "/", nil, nil)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, html, `<a href="/webhooks/`+created.ID+`">local receiver</a>`)
	require.Contains(t, html, "dot-active")
	deactivate := url.Values{"version": {"1"}, "active": {"false"}}
	for _, h := range []http.Header{
		{"Sec-Fetch-Site": {"cross-site"}},
		{"Origin": {"https://evil.example"}},
	} {
		resp, html = s.page(t, http.MethodPost, "/webhooks/"+created.ID+"/active", deactivate, h)
		require.Equal(t, http.StatusForbidden, resp.StatusCode, "%v: %s", h, html)
	}
	var state struct {
		Active  bool  `json:"active"`
		Version int64 `json:"version"`
	}
	s.call(t, http.MethodGet, "/webhooks/"+created.ID, "", nil, &state)
	require.True(t, state.Active, "a cross-origin form changed nothing")
	require.EqualValues(t, 1, state.Version)
	resp, html = s.page(t, http.MethodPost, "/webhooks/"+created.ID+"/active", deactivate, http.Header{"Sec-Fetch-Site": {"same-origin"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode, html)
	s.call(t, http.MethodGet, "/webhooks/"+created.ID, "", nil, &state)
	require.False(t, state.Active)
	reactivate := url.Values{"version": {"2"}, "active": {"true"}}
	resp, html = s.page(t, http.MethodPost, "/webhooks/"+created.ID+"/active", reactivate, http.Header{"Origin": {strings.TrimSuffix(strings.TrimSuffix(s.url, "api/"), "/")}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode, html)
	s.call(t, http.MethodGet, "/webhooks/"+created.ID+"/history", "", nil, &history)
	require.Len(t, history.Revisions, 3)
	for _, r := range history.Revisions {
		require.Equal(t, "tester", r.Actor)
	}

	// Only this machine, by name or loopback address, is answered.
	for _, host := range []string{"evil.example", "evil.example:8080", "10.0.0.1"} {
		resp = s.call(t, http.MethodGet, "/webhooks", "", http.Header{"Host": {host}}, nil)
		require.Equal(t, http.StatusForbidden, resp.StatusCode, host)
		resp, html = s.page(t, http.MethodGet, "/", nil, http.Header{"Host": {host}})
		require.Equal(t, http.StatusForbidden, resp.StatusCode, host)
		require.NotContains(t, html, "local receiver")
	}
	for _, host := range []string{"localhost", "localhost:1234", "127.0.0.1", "[::1]:80"} {
		resp = s.call(t, http.MethodGet, "/webhooks", "", http.Header{"Host": {host}}, nil)
		require.Equal(t, http.StatusOK, resp.StatusCode, host)
		resp, html = s.page(t, http.MethodGet, "/", nil, http.Header{"Host": {host}})
		require.Equal(t, http.StatusOK, resp.StatusCode, host)
		require.Contains(t, html, "local receiver")
	}

	require.Equal(t, 0, s.stop(t), s.log())
	require.Contains(t, s.log(), "outhook serve: stopping")

	// After a restart the webhook is there, and its secret opens: a test
	// delivery carries it.
	s = startServe(t, flags...)
	list = listed{}
	s.call(t, http.MethodGet, "/webhooks", "", nil, &list)
	require.Len(t, list.Webhooks, 1)
	var inv struct {
		Outcome string `json:"outcome"`
	}
	resp = s.call(t, http.MethodPost, "/webhooks/"+created.ID+"/test", "{}", nil, &inv)
	require.Equal(t, http.StatusOK, resp.StatusCode, s.log())
	require.Equal(t, "delivered", inv.Outcome)
	got := rc.got()
	require.Len(t, got, 1)
	require.Equal(t, "Bearer "+receiverToken, got[0].header.Get("Authorization"))
	require.Equal(t, 0, s.stop(t))

	// The database file holds the token sealed only.
	for _, name := range []string{db, db + "-wal"} {
		b, err := os.ReadFile(name)
		if err == nil {
			require.NotContains(t, string(b), receiverToken, name)
		}
	}
}

func TestServeKeys(t *testing.T) {
	t.Parallel()

	t.Run("a database without its key is refused", func(t *testing.T) {
		db := filepath.Join(t.TempDir(), "o.db")
		s := startServe(t, "-db", db)
		require.Equal(t, 0, s.stop(t))
		require.NoError(t, os.Remove(db+".key"))
		r := outhook(t, runOpts{}, "serve", "-addr", "127.0.0.1:0", "-db", db)
		require.Equal(t, 3, r.code)
		require.Contains(t, r.stderr, db+".key is missing")
	})

	t.Run("a key others may read is refused", func(t *testing.T) {
		db := filepath.Join(t.TempDir(), "o.db")
		s := startServe(t, "-db", db)
		require.Equal(t, 0, s.stop(t))
		require.NoError(t, os.Chmod(db+".key", 0o644))
		r := outhook(t, runOpts{}, "serve", "-addr", "127.0.0.1:0", "-db", db)
		require.Equal(t, 3, r.code)
		require.Contains(t, r.stderr, "may be read by other users")
	})

	t.Run("a key given", func(t *testing.T) {
		db := filepath.Join(t.TempDir(), "o.db")
		key := "2026-01:" + base64.StdEncoding.EncodeToString([]byte(strings.Repeat("k", 32)))
		s := startServe(t, "-db", db, "-key", key)
		require.Equal(t, 0, s.stop(t))
		require.NoFileExists(t, db+".key")

		r := outhook(t, runOpts{}, "serve", "-db", db, "-key", "2026-01:short")
		require.Equal(t, 2, r.code)
		require.NotContains(t, r.stderr, "short", "a key is never repeated")
	})

	t.Run("usage", func(t *testing.T) {
		r := outhook(t, runOpts{}, "serve")
		require.Equal(t, 2, r.code)
		require.Contains(t, r.stderr, "-db is required")
		r = outhook(t, runOpts{}, "serve", "-db", "a?b.db")
		require.Equal(t, 2, r.code)
	})
}
