package browser

import (
	"bytes"
	"fmt"
	"image"
	"image/png"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	goruntime "runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/internal/testkit/leakcheck"
)

// pages serves each page at its path; /slow never answers before the test
// ends.
func pages(t *testing.T, html map[string]string) *httptest.Server {
	t.Helper()
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			<-release
			return
		}
		body, ok := html[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, `<!doctype html><html lang="en"><head><title>test</title></head><body><main>`+body+`</main></body></html>`)
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) }) // runs first, letting Close finish
	return srv
}

// recorder stands in for the test that a Browser reports to, so that the
// tests can see the harness fail a test, skip it, and clean up after it.
type recorder struct {
	testing.TB // the real test, for Helper, Logf, ArtifactDir

	mu       sync.Mutex
	errors   []string
	skipped  string
	cleanups []func()
}

func newRecorder(t *testing.T) *recorder {
	r := &recorder{TB: t}
	t.Cleanup(r.finish) // in case the test stops early
	return r
}

func (r *recorder) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}

func (r *recorder) Fatalf(format string, args ...any) {
	r.Errorf(format, args...)
	goruntime.Goexit()
}

func (r *recorder) Skipf(format string, args ...any) {
	r.mu.Lock()
	r.skipped = fmt.Sprintf(format, args...)
	r.mu.Unlock()
	goruntime.Goexit()
}

func (r *recorder) Cleanup(f func()) { r.cleanups = append(r.cleanups, f) }

// finish runs the cleanups, last registered first, as a test's end does.
func (r *recorder) finish() {
	for len(r.cleanups) > 0 {
		f := r.cleanups[len(r.cleanups)-1]
		r.cleanups = r.cleanups[:len(r.cleanups)-1]
		f()
	}
}

// do runs f on a goroutine of its own, as the testing package runs a test,
// so that Fatalf and Skipf end f and not the calling test.
func (r *recorder) do(f func()) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		f()
	}()
	<-done
}

func (r *recorder) failures() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.errors...)
}

func TestAxePassesALabelledForm(t *testing.T) {
	leakcheck.Check(t)
	srv := pages(t, map[string]string{"/": `<h1>Add webhook</h1>
		<form><label for="name">Name</label><input id="name" name="name">
		<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=" alt="status"><button type="submit">Save</button></form>`})
	b := New(t)
	b.Run(chromedp.Navigate(srv.URL))
	b.Axe()
	for _, v := range b.AxeViolations() {
		require.False(t, v.Serious(), "%s", v)
	}
}

func TestAxeFailsAnUnlabelledInputAndAnImageWithoutAlt(t *testing.T) {
	leakcheck.Check(t)
	axeSource(t, axePath()) // without axe-core, this test skips (fails under CI), not the recorder's
	srv := pages(t, map[string]string{"/": `<h1>Add webhook</h1>
		<form><input id="name" name="name"><img id="dot" src="data:image/gif;base64,R0lGODlhAQABAAAAACw="></form>`})
	r := newRecorder(t)
	var b *Browser
	r.do(func() {
		b = New(r)
		b.Run(chromedp.Navigate(srv.URL))
		b.Axe()
	})
	fails := r.failures()
	require.Len(t, fails, 1, "Axe fails the test once, listing every violation")
	msg := fails[0]
	for _, want := range []string{
		"2 serious or critical", srv.URL,
		"label (critical)", "#name", `<input id="name" name="name">`,
		"image-alt (critical)", "Images must have alternative text", "#dot", `<img id="dot"`,
	} {
		require.Contains(t, msg, want)
	}

	rules := map[string]Violation{}
	for _, v := range b.AxeViolations() {
		rules[v.Rule] = v
	}
	require.Contains(t, rules, "label")
	require.Equal(t, []string{"#name"}, rules["label"].Nodes[0].Target)
	require.Contains(t, rules, "image-alt")
	r.finish()
	require.Len(t, r.failures(), 1, "no JavaScript error besides")
}

func TestScreenshotIsAFullPagePNG(t *testing.T) {
	leakcheck.Check(t)
	srv := pages(t, map[string]string{
		"/short": `<p style="font: 48px sans-serif; color: #000">Webhooks</p>`,
		"/tall":  `<div style="height: 2500px; width: 10px">tall</div>`,
	})
	b := New(t)

	b.Run(chromedp.Navigate(srv.URL + "/short"))
	require.Equal(t, []int{Width, Height}, Get(b, chromedp.Evaluate[[]int](`[innerWidth, innerHeight]`)), "the viewport")
	path := b.Screenshot("short")
	require.Equal(t, filepath.Join(t.ArtifactDir(), "short.png"), path)
	img := decodePNG(t, path)
	require.Equal(t, Width, img.Bounds().Dx())
	require.Equal(t, Height, img.Bounds().Dy())
	// The text is drawn: a browser without fonts renders none, or boxes.
	dark := 0
	for y := range 120 {
		for x := range 400 {
			if r, g, bl, _ := img.At(x, y).RGBA(); r+g+bl < 3*0x4000 {
				dark++
			}
		}
	}
	require.Greater(t, dark, 500, "dark pixels of the text in the top-left corner")

	b.Run(chromedp.Navigate(srv.URL + "/tall"))
	height := Get(b, chromedp.Evaluate[int](`document.documentElement.scrollHeight`))
	require.Greater(t, height, 2500)
	img = decodePNG(t, b.Screenshot("tall"))
	require.Equal(t, Width, img.Bounds().Dx())
	require.Equal(t, height, img.Bounds().Dy(), "the whole page, beyond the viewport")
}

func decodePNG(t *testing.T, path string) image.Image {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	img, err := png.Decode(bytes.NewReader(data))
	require.NoError(t, err, "a valid PNG")
	return img
}

func TestJavaScriptErrorsFailTheTest(t *testing.T) {
	leakcheck.Check(t)
	srv := pages(t, map[string]string{"/": `<p>hi</p><img src="/missing.png" alt="missing">
		<script>
		console.error("template", {line: 3});
		console.log("not an error");
		Promise.reject(new Error("rejected"));
		throw new Error("boom");
		</script>`})
	r := newRecorder(t)
	r.do(func() {
		b := New(r)
		b.Run(chromedp.Navigate(srv.URL))
	})
	require.Empty(t, r.failures(), "reported when the test ends")
	r.finish()
	fails := r.failures()
	require.Len(t, fails, 1)
	msg := fails[0]
	for _, want := range []string{
		"4 JavaScript error(s)",
		"console.error at " + srv.URL + "/:3:", "template Object",
		"Uncaught (in promise) Error: rejected",
		"Uncaught Error: boom", srv.URL + "/:6:",
		"network: Failed to load resource: the server responded with a status of 404 (Not Found) (" + srv.URL + "/missing.png)",
	} {
		require.Contains(t, msg, want)
	}
	require.NotContains(t, msg, "not an error")
}

func TestTheBrowsersFaviconRequestIsNotAnError(t *testing.T) {
	leakcheck.Check(t)
	asked := make(chan struct{})
	var once sync.Once
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/":
			fmt.Fprint(w, `<!doctype html><html lang="en"><title>t</title><p>hi</p>`)
		case "/favicon.ico":
			once.Do(func() { close(asked) })
			http.NotFound(w, r)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	b := New(t)
	b.Run(chromedp.Navigate(srv.URL))
	select {
	case <-asked:
	case <-time.After(10 * time.Second):
		t.Fatal("the browser did not ask for /favicon.ico")
	}
	// A 404 asked for after the favicon's is reported after it too.
	b.Run(chromedp.Evaluate[chromedp.Void](`new Image().src = "/after.png"`))
	var errs []string
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(strings.Join(errs, "\n"), "/after.png"); {
		require.True(t, time.Now().Before(deadline), "the 404 of /after.png is reported")
		errs = append(errs, b.TakeJSErrors()...)
	}
	require.Len(t, errs, 1, "%q", errs)
}

func TestTakeJSErrorsTakesExpectedErrors(t *testing.T) {
	leakcheck.Check(t)
	srv := pages(t, map[string]string{"/": `<button onclick="throw new Error('clicked')">Go</button>`})
	r := newRecorder(t)
	r.do(func() {
		b := New(r)
		b.Run(chromedp.Navigate(srv.URL))
		require.Empty(t, b.TakeJSErrors())
		b.Run(chromedp.Click(chromedp.CSS("button")))
		errs := b.TakeJSErrors()
		require.Len(t, errs, 1)
		require.Contains(t, errs[0], "Uncaught Error: clicked")
	})
	r.finish()
	require.Empty(t, r.failures())
}

func TestRunFailsOnTimeoutNamingTheStepAndPage(t *testing.T) {
	leakcheck.Check(t)
	srv := pages(t, map[string]string{"/": `<p>hi</p>`})

	r := newRecorder(t)
	start := time.Now()
	r.do(func() {
		b := New(r, Timeout(time.Second))
		b.Run(chromedp.Navigate(srv.URL), chromedp.WaitVisible(chromedp.CSS("#never")))
		t.Error("Run returned after a failed step")
	})
	require.Less(t, time.Since(start), 10*time.Second)
	fails := r.failures()
	require.Len(t, fails, 1)
	require.Contains(t, fails[0], "step 2 of 2")
	require.Contains(t, fails[0], "on page "+srv.URL+"/")
	require.Contains(t, fails[0], "did not finish within 1s")

	// A page that never loads: the navigation itself times out.
	r = newRecorder(t)
	r.do(func() {
		b := New(r, Timeout(time.Second))
		b.Run(chromedp.Navigate(srv.URL + "/slow"))
	})
	fails = r.failures()
	require.Len(t, fails, 1)
	require.Contains(t, fails[0], "step 1 of 1 failed on page "+srv.URL+"/slow")
	require.Contains(t, fails[0], "did not finish within 1s")
	r.finish()
}

func TestWaitsAcrossNavigation(t *testing.T) {
	leakcheck.Check(t)
	srv := pages(t, map[string]string{
		"/": `<form action="/saved"><label for="name">Name</label>
			<input id="name" name="name" value="torq"><p id="hidden" hidden>secret</p>
			<button id="save" type="submit">Save</button></form>`,
		"/saved": `<p id="status">Saving…</p>
			<script>setTimeout(() => { document.getElementById("status").textContent = "Saved " + location.search }, 200)</script>`,
	})
	b := New(t)
	b.Run(chromedp.Navigate(srv.URL))
	require.Equal(t, "torq", b.Value("#name"))
	require.Equal(t, "Save", b.Text("#save"))
	require.True(t, b.Visible("#save"))
	require.False(t, b.Visible("#hidden"))
	require.False(t, b.Visible("#absent"))

	b.Run(chromedp.Click(chromedp.CSS("#save")))
	b.WaitText("#status", "Saved ?name=torq")
	b.WaitVisible("#status")
	require.Equal(t, srv.URL+"/saved?name=torq", b.url())
}

func TestWaitTextFailsShowingTheTextSeen(t *testing.T) {
	leakcheck.Check(t)
	srv := pages(t, map[string]string{"/": `<p id="status">Test failed: 500</p>`})
	r := newRecorder(t)
	r.do(func() {
		b := New(r, Timeout(5*time.Second))
		b.Run(chromedp.Navigate(srv.URL))
		b.WaitText("#status", "Test successful")
	})
	fails := r.failures()
	require.Len(t, fails, 1)
	require.Contains(t, fails[0], `WaitText("#status", "Test successful")`)
	require.Contains(t, fails[0], `its text was "Test failed: 500"`)
	r.finish()
}

func TestCloseLeavesNoProcess(t *testing.T) {
	leakcheck.Check(t)
	r := newRecorder(t)
	var pid int
	var profile string
	r.do(func() {
		b := New(r)
		pid = chromedp.FromContext(b.ctx).Browser.Process().Pid
		cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
		require.NoError(t, err)
		for arg := range strings.SplitSeq(string(cmdline), "\x00") {
			if dir, ok := strings.CutPrefix(arg, "--user-data-dir="); ok {
				profile = dir
			}
		}
	})
	require.NotEmpty(t, profile)
	r.finish()
	require.Empty(t, r.failures())
	require.ErrorIs(t, syscall.Kill(pid, 0), syscall.ESRCH, "the browser process is gone and reaped")
	_, err := os.Stat(profile)
	require.ErrorIs(t, err, os.ErrNotExist, "the temporary profile is removed")
	entries, err := os.ReadDir("/proc")
	require.NoError(t, err)
	for _, e := range entries {
		cmdline, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err == nil {
			require.NotContains(t, string(cmdline), profile, "process %s still uses the profile", e.Name())
		}
	}
}

func TestMissingChromiumSkipsOrFailsInCI(t *testing.T) {
	t.Setenv(EnvChromium, "/nonexistent/chromium")
	for _, ci := range []string{"", "true"} {
		t.Run("CI="+ci, func(t *testing.T) {
			t.Setenv("CI", ci)
			r := newRecorder(t)
			r.do(func() {
				New(r)
				t.Error("New returned without a browser")
			})
			if ci == "true" {
				require.Len(t, r.failures(), 1)
				require.Contains(t, r.failures()[0], "/nonexistent/chromium")
				require.Contains(t, r.failures()[0], "apt-get install chromium")
				require.Empty(t, r.skipped)
			} else {
				require.Empty(t, r.failures())
				require.Contains(t, r.skipped, "/nonexistent/chromium")
				require.Contains(t, r.skipped, "apt-get install chromium")
			}
		})
	}
}

func TestMissingAxeSkipsOrFailsInCI(t *testing.T) {
	for _, ci := range []string{"", "true"} {
		t.Run("CI="+ci, func(t *testing.T) {
			t.Setenv("CI", ci)
			r := newRecorder(t)
			r.do(func() { axeSource(r, "/nonexistent/axe.min.js") })
			const fix = "npm ci --prefix internal/testkit/browser/testdata/axe"
			if ci == "true" {
				require.Len(t, r.failures(), 1)
				require.Contains(t, r.failures()[0], fix)
			} else {
				require.Contains(t, r.skipped, fix)
			}
		})
	}
}

func TestABrowserThatDoesNotStartFailsTheTest(t *testing.T) {
	leakcheck.Check(t)
	dir := t.TempDir()
	for name, script := range map[string]string{
		"exits": "#!/bin/sh\necho 'no display' >&2\nexit 3\n",
		"hangs": "#!/bin/sh\nexec sleep 60\n",
	} {
		t.Run(name, func(t *testing.T) {
			exe := filepath.Join(dir, name)
			require.NoError(t, os.WriteFile(exe, []byte(script), 0o755))
			t.Setenv(EnvChromium, exe)
			r := newRecorder(t)
			start := time.Now()
			r.do(func() {
				New(r, StartTimeout(time.Second))
				t.Error("New returned without a browser")
			})
			require.Less(t, time.Since(start), 5*time.Second)
			fails := r.failures()
			require.Len(t, fails, 1)
			if name == "hangs" {
				require.Equal(t, "browser: "+exe+" did not start within 1s", fails[0])
			} else {
				require.Contains(t, fails[0], "browser: starting "+exe+": ")
				require.Contains(t, fails[0], "no display", "the browser's output says why")
			}
			r.finish()
		})
	}
}
