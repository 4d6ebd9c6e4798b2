package main

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/signature"
)

// readmeCommands returns the install command and the example commands of
// the README's "Command line" section, comments cut off.
func readmeCommands(t *testing.T) (install string, examples []string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	require.NoError(t, err)
	_, section, ok := strings.Cut(string(b), "\n## Command line\n")
	require.True(t, ok, "the README has a Command line section")
	section, _, _ = strings.Cut(section, "\n## ")
	m := regexp.MustCompile("`(cd cmd/outhook && go install \\.)`").FindStringSubmatch(section)
	require.NotNil(t, m, "the section says how to install outhook")
	block := regexp.MustCompile("(?ms)^```sh\n(.*?)^```").FindStringSubmatch(section)
	require.NotNil(t, block, "the section has a sh block of examples")
	comment := regexp.MustCompile(`\s+#\s.*$`)
	for _, line := range strings.Split(strings.TrimSpace(block[1]), "\n") {
		examples = append(examples, comment.ReplaceAllString(line, ""))
	}
	return m[1], examples
}

// TestReadmeCommandLineExamples installs outhook as the README says and
// runs each of its examples as written, by sh, in a directory holding
// the files they name: each must do what its comment says. An example
// this test does not know fails it, so that a new one gets a check.
func TestReadmeCommandLineExamples(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go install")
	}
	install, examples := readmeCommands(t)
	gobin := t.TempDir()
	cmd := exec.Command("sh", "-c", install)
	cmd.Dir = filepath.Join("..", "..")
	cmd.Env = append(os.Environ(), "GOBIN="+gobin)
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s: %s", install, out)
	require.FileExists(t, filepath.Join(gobin, "outhook"))

	dir := t.TempDir()
	writeFile(t, dir, "body.hbs", torqBody)
	writeFile(t, dir, "hooks.json", `[
  {"name": "torq", "url": "https://hooks.torq.example/v1/webhooks/abc/", "triggers": ["RequestCreated", "RequestApproved"],
   "body_template": "{\"body\":{\"event\":\"{{event_type}} by {{data.requester.name}}\"}}"},
  {"name": "integrations", "url": "https://hooks.example.com/integrations", "triggers": ["IntegrationError"],
   "body_template": "{\"text\":\"{{data.name}} is {{data.status}}\"}"}
]`)
	rc := newReceiver(t, http.StatusOK, `{"status":"ok"}`)
	writeFile(t, dir, "hook.json", `{"name": "local", "url": "`+rc.URL+`/hook", "triggers": ["RequestCreated"]}`)
	secret := signature.NewSecret()
	writeFile(t, dir, "request.http", dumpOut(t, signedRequest(t, secret, time.Now(), `{"event_type":"RequestCreated"}`)))
	env := []string{"PATH=" + gobin + string(os.PathListSeparator) + os.Getenv("PATH"), "HOME=" + dir, "USER=reader", "SECRET=" + secret}

	sh := func(line string) result {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, "sh", "-c", line)
		cmd.Dir, cmd.Env = dir, env
		var stdout, stderr strings.Builder
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else {
			require.NoError(t, err, line)
		}
		return result{stdout.String(), stderr.String(), code}
	}

	seen := map[string]bool{}
	for _, line := range examples {
		fields := strings.Fields(line)
		require.GreaterOrEqual(t, len(fields), 2, line)
		require.Equal(t, "outhook", fields[0], "an example runs outhook: %s", line)
		seen[fields[1]] = true
		t.Run(fields[1], func(t *testing.T) {
			if fields[1] == "serve" {
				readmeServe(t, line, dir, env)
				return
			}
			r := sh(line)
			require.Equal(t, 0, r.code, "%s\nstdout: %s\nstderr: %s", line, r.stdout, r.stderr)
			switch fields[1] {
			case "render":
				require.Contains(t, r.stdout, `"event":"New Apono RequestApproved request made by`)
				// "errors as body.hbs:3:14": the same line over a template
				// with a mistake.
				require.NoError(t, os.WriteFile(filepath.Join(dir, "body.hbs"), []byte("{\n  \"who\": \"{{data.requester.nam}}\"\n}"), 0o644))
				bad := sh(line)
				require.NoError(t, os.WriteFile(filepath.Join(dir, "body.hbs"), []byte(torqBody), 0o644))
				require.Equal(t, 1, bad.code, bad.stderr)
				require.True(t, strings.HasPrefix(bad.stderr, "body.hbs:2:13: "), bad.stderr)
			case "lint":
				require.Equal(t, "hooks.json: 2 definitions, no problems\n", r.stdout)
			case "test":
				require.True(t, strings.HasPrefix(r.stdout, "Test successful"), r.stdout)
				require.Regexp(t, `(?m)^Request\n  POST http://127\.0\.0\.1:\d+/hook$`, r.stdout, "the invocation data")
				require.Regexp(t, `(?m)^Response\n  200 OK$`, r.stdout, "the invocation data")
				require.Len(t, rc.got(), 1)
			case "schema":
				if len(fields) == 2 {
					for _, kind := range []string{"access request", "integration", "audit", "operational"} {
						require.Regexp(t, `(?m)^\w+ +`+kind+` +yes$`, r.stdout)
					}
					break
				}
				require.True(t, strings.HasPrefix(r.stdout, "Payload schema of "), r.stdout)
				require.Contains(t, r.stdout, "data.")
			case "verify":
				require.Contains(t, r.stdout, "valid")
				require.NotContains(t, r.stdout, "invalid")
			default:
				t.Fatalf("the README's example %q has no check here: add one", line)
			}
		})
	}
	for _, name := range []string{"render", "lint", "test", "schema", "verify", "serve"} {
		require.True(t, seen[name], "the README shows outhook %s", name)
	}

	// The examples in the commands' help, after their usage lines, are
	// the README's, which ran above.
	for _, c := range commands {
		r := sh("outhook " + c.name + " -h")
		require.Equal(t, 0, r.code, r.stderr)
		_, rest, _ := strings.Cut(r.stdout, "\n\n")
		for _, l := range strings.Split(rest, "\n") {
			if strings.HasPrefix(strings.TrimSpace(l), "outhook ") {
				require.Contains(t, examples, strings.TrimSpace(l), "outhook %s -h shows an example the README does not", c.name)
			}
		}
	}
}

// readmeServe runs the serve example as written, checks the console and
// the API answer where its comment says, and stops it as Ctrl-C does.
// The address is the default 127.0.0.1:8080: when another program holds
// it, the same line runs again with -addr 127.0.0.1:0 added, and the
// test says so.
func readmeServe(t *testing.T, line, dir string, env []string) {
	url, stop := startReadmeServe(t, line, dir, env)
	if url == "" {
		t.Logf("127.0.0.1:8080 is taken on this machine; running %q on a free port instead", line)
		url, stop = startReadmeServe(t, line+" -addr 127.0.0.1:0", dir, env)
		require.NotEmpty(t, url)
	} else {
		require.Equal(t, "http://127.0.0.1:8080/", url, "the address the README's comment names")
	}
	for path, want := range map[string]string{"": "<h1>Webhooks</h1>", "api/openapi.json": `"openapi"`} {
		resp, err := http.Get(url + path)
		require.NoError(t, err)
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, resp.StatusCode, path)
		require.Contains(t, string(b), want, path)
	}
	require.Equal(t, 0, stop(), "stopped by an interrupt")
	require.FileExists(t, filepath.Join(dir, "outhook.db"))
}

var consoleAt = regexp.MustCompile(`the console is at (http://\S+/),`)

// startReadmeServe starts line and returns the console's URL and the
// function that interrupts it and returns its exit code; the URL is ""
// when the address was taken.
func startReadmeServe(t *testing.T, line, dir string, env []string) (string, func() int) {
	t.Helper()
	// exec, so that the interrupt reaches outhook and not only sh.
	cmd := exec.Command("sh", "-c", "exec "+line)
	cmd.Dir, cmd.Env = dir, env
	stderr, err := cmd.StderrPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	lines := make(chan string, 64)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	var stopped bool
	t.Cleanup(func() {
		if !stopped {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	})
	stop := func() int {
		stopped = true
		require.NoError(t, cmd.Process.Signal(syscall.SIGINT))
		for range lines {
		}
		err := cmd.Wait()
		if ee, ok := err.(*exec.ExitError); ok {
			return ee.ExitCode()
		}
		require.NoError(t, err)
		return 0
	}
	var log strings.Builder
	timeout := time.After(60 * time.Second)
	for {
		select {
		case l, ok := <-lines:
			if !ok {
				stopped = true
				_ = cmd.Wait()
				if strings.Contains(log.String(), "address already in use") {
					return "", nil
				}
				t.Fatalf("%s stopped before listening:\n%s", line, log.String())
			}
			log.WriteString(l + "\n")
			if m := consoleAt.FindStringSubmatch(l); m != nil {
				go func() {
					for range lines {
					}
				}()
				return m[1], stop
			}
		case <-timeout:
			t.Fatalf("%s did not listen:\n%s", line, log.String())
		}
	}
}
