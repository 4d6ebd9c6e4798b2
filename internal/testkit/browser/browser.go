// Package browser drives headless Chromium from Go tests: each test gets its
// own browser, steps that fail the test with the step and the page's URL
// instead of returning errors, full-page screenshots kept as test artifacts,
// an accessibility check with axe-core, and a failure when the page reports a
// JavaScript error.
//
// It is a test helper, imported only by _test.go files:
//
//	b := browser.New(t)
//	b.Run(chromedp.Navigate(srv.URL + "/webhooks"))
//	b.WaitText("#status", "Test successful")
//	b.Screenshot("webhooks")
//	b.Axe()
//
// Chromium is found at $OUTHOOK_CHROMIUM, else /usr/bin/chromium, else as
// chromium, chromium-browser or google-chrome on $PATH; axe-core is the copy
// pinned by testdata/axe/package-lock.json (npm ci --prefix
// internal/testkit/browser/testdata/axe). When either is missing the test
// skips with a message saying how to install it, or fails when CI=true, so
// the browser tests cannot silently stop running in CI.
package browser

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"
)

// EnvChromium names the environment variable that gives the path of the
// Chromium binary, overriding the search.
const EnvChromium = "OUTHOOK_CHROMIUM"

// DefaultTimeout bounds the start of the browser and each call on it, so that
// a page that hangs fails the test instead of hanging it.
const DefaultTimeout = 20 * time.Second

// Width and Height are the size of the viewport in CSS pixels, fixed so that
// screenshots are the same from one run to the next.
const (
	Width  = 1280
	Height = 900
)

// Browser is one headless Chromium with one tab, owned by a test. It is not
// safe for concurrent use: the calls of a test drive one page in order.
type Browser struct {
	t       testing.TB
	ctx     context.Context // the tab; the browser lives as long as it
	timeout time.Duration   // of each call
	start   time.Duration   // of the browser's start

	mu       sync.Mutex
	jsErrors []string // reported by the page and not yet taken
}

// Option changes how New sets up a Browser.
type Option interface{ apply(*Browser) }

type optionFunc func(*Browser)

func (f optionFunc) apply(b *Browser) { f(b) }

// Timeout sets how long each call may take (Run counts each step
// separately). The default is DefaultTimeout; a value of zero or less keeps
// the default.
func Timeout(d time.Duration) Option {
	return optionFunc(func(b *Browser) {
		if d > 0 {
			b.timeout = d
		}
	})
}

// StartTimeout sets how long the browser may take to start, DefaultTimeout
// by default: apart from the calls' timeout, since a loaded machine may be
// slow to start a browser that then answers each call at once.
func StartTimeout(d time.Duration) Option {
	return optionFunc(func(b *Browser) {
		if d > 0 {
			b.start = d
		}
	})
}

// New starts a headless Chromium for t and opens a blank tab whose viewport
// is Width by Height. The browser, its processes and its temporary profile
// are removed when t ends; before that, the test fails if the page reported
// a JavaScript error that TakeJSErrors did not take. Nil options are ignored.
func New(t testing.TB, opts ...Option) *Browser {
	t.Helper()
	b := &Browser{t: t, timeout: DefaultTimeout, start: DefaultTimeout}
	for _, o := range opts {
		if o != nil {
			o.apply(b)
		}
	}
	exe := chromium(t)
	var output startOutput

	// The first call on a chromedp context binds the browser's life to that
	// call's context, so it cannot carry the start's deadline; the watchdog
	// kills the browser through base instead.
	base, kill := context.WithCancel(context.Background())
	alloc, stopAlloc := chromedp.NewExecAllocator(base,
		chromedp.ExecPath(exe),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.WindowSize(Width, Height),
		// The machines that run the tests have no network: no background
		// fetches, updates or sync that could wait on it.
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-default-apps", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("force-color-profile", "srgb"),
		chromedp.Flag("password-store", "basic"),
		chromedp.CombinedOutput(&output),
	)
	ctx, closeTab := chromedp.NewContext(alloc, chromedp.WithListener(b.listen))
	b.ctx = ctx
	t.Cleanup(func() {
		b.reportJSErrors()
		closeTab() // the tab is the browser's first: this ends the process
		kill()
		stopAlloc()
	})

	start := time.Now()
	watchdog := time.AfterFunc(b.start, kill)
	// chromedp gives the browser a fresh temporary --user-data-dir and
	// removes it, and any process left using it, when the browser ends.
	err := chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, tab *chromedp.Target) error {
		_, err := cdp.Call(ctx, tab, emulation.SetDeviceMetricsOverride, emulation.SetDeviceMetricsOverrideParams{
			Width: Width, Height: Height, DeviceScaleFactor: 1,
		})
		return err
	}))
	if !watchdog.Stop() {
		t.Fatalf("browser: %s did not start within %v", exe, b.start)
	}
	if err != nil {
		t.Fatalf("browser: starting %s: %v; its output began:\n%s", exe, err, output.String())
	}
	t.Logf("browser: %s started in %v", exe, time.Since(start).Round(time.Millisecond))
	return b
}

// startOutput keeps the beginning of the browser's output, which says why
// it did not start when it did not.
type startOutput struct {
	mu  sync.Mutex
	buf []byte
}

func (o *startOutput) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.buf = append(o.buf, p[:min(len(p), 8<<10-len(o.buf))]...)
	return len(p), nil
}

func (o *startOutput) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return string(o.buf)
}

// chromium returns the path of the browser, or skips t (fails it when
// CI=true) saying how to install one.
func chromium(t testing.TB) string {
	t.Helper()
	if p := os.Getenv(EnvChromium); p != "" {
		if _, err := os.Stat(p); err != nil {
			missing(t, fmt.Sprintf("Chromium not found at $%s (%s)", EnvChromium, p), "install it with `apt-get install chromium`, or fix $"+EnvChromium)
		}
		return p
	}
	if _, err := os.Stat("/usr/bin/chromium"); err == nil {
		return "/usr/bin/chromium"
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	missing(t, "Chromium not found (tried $"+EnvChromium+", /usr/bin/chromium, and chromium, chromium-browser, google-chrome on $PATH)",
		"install it with `apt-get install chromium`, or set $"+EnvChromium)
	return ""
}

// missing skips t, or fails it when CI=true, which must run every test.
func missing(t testing.TB, what, fix string) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("browser: %s; CI=true requires it: %s", what, fix)
	}
	t.Skipf("browser: %s; skipping (CI=true makes this a failure): %s", what, fix)
}

// Run runs the steps in order on the tab, each within the timeout. The first
// step that fails or times out fails the test, giving the step's position
// among steps (the failure's line is that of the call to Run) and the URL of
// the page at that moment.
func (b *Browser) Run(steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	for i, step := range steps {
		if _, err := call(b, step); err != nil {
			b.fatal(fmt.Sprintf("step %d of %d", i+1, len(steps)), err)
		}
	}
}

// Get runs one action that returns a value, such as chromedp.Title() or
// chromedp.Evaluate[int](`1+1`), within the timeout, and returns its value;
// an error fails the test as in Run.
func Get[T any](b *Browser, a chromedp.Action[T]) T {
	b.t.Helper()
	v, err := call(b, a)
	if err != nil {
		b.fatal("Get", err)
	}
	return v
}

// call runs a under the per-call timeout. The tab's context has run before
// (in New), so a deadline on a child ends the call, not the browser.
func call[T any](b *Browser, a chromedp.Action[T]) (T, error) {
	ctx, cancel := context.WithTimeout(b.ctx, b.timeout)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil && errors.Is(err, context.DeadlineExceeded) {
		err = fmt.Errorf("did not finish within %v: %w", b.timeout, err)
	}
	return v, err
}

// fatal fails the test with what failed, the error and the page's URL.
func (b *Browser) fatal(what string, err error) {
	b.t.Helper()
	b.t.Fatalf("browser: %s failed on page %s: %v", what, b.url(), err)
}

// url returns the address of the tab's page, asking the browser rather than
// the page so that it answers even when the page's script hangs.
func (b *Browser) url() string {
	c := chromedp.FromContext(b.ctx)
	if c == nil || c.Target == nil {
		return "(no page)"
	}
	ctx, cancel := context.WithTimeout(b.ctx, 2*time.Second)
	defer cancel()
	info, err := chromedp.CallBrowser(ctx, target.GetTargetInfo, target.GetTargetInfoParams{TargetID: c.Target.TargetID})
	if err != nil || info.TargetInfo == nil {
		return "(unknown: " + fmt.Sprint(err) + ")"
	}
	return info.TargetInfo.URL
}

// Text waits within the timeout for an element to match the CSS selector and
// returns its rendered text (innerText).
func (b *Browser) Text(selector string) string {
	b.t.Helper()
	return b.element(selector, "text", `e => e.innerText`)
}

// Value waits within the timeout for an element to match the CSS selector and
// returns its value, as the form would submit it.
func (b *Browser) Value(selector string) string {
	b.t.Helper()
	return b.element(selector, "value", `e => String(e.value ?? "")`)
}

// Visible reports whether an element matches the CSS selector now and is
// rendered (not display:none, visibility:hidden or inside such an element). It
// does not wait.
func (b *Browser) Visible(selector string) bool {
	b.t.Helper()
	v, err := call(b, chromedp.Evaluate[bool](onElement(selector, `e => e.checkVisibility({visibilityProperty: true})`, "false")))
	if err != nil {
		b.fatal(fmt.Sprintf("Visible(%q)", selector), err)
	}
	return v
}

// WaitVisible waits within the timeout for an element matching the CSS
// selector to be rendered, across navigations.
func (b *Browser) WaitVisible(selector string) {
	b.t.Helper()
	check := onElement(selector, `e => e.checkVisibility({visibilityProperty: true})`, "false")
	if _, ok := b.poll(check, func(raw json.RawMessage) bool { return string(raw) == "true" }); !ok {
		b.fatal(fmt.Sprintf("WaitVisible(%q)", selector), fmt.Errorf("no visible element within %v", b.timeout))
	}
}

// WaitText waits within the timeout, across navigations, for the rendered
// text of the first element matching the CSS selector to contain text. On
// timeout the failure shows the text the element had last.
func (b *Browser) WaitText(selector, text string) {
	b.t.Helper()
	last, ok := b.poll(onElement(selector, `e => e.innerText`, "null"), func(raw json.RawMessage) bool {
		var s *string
		return json.Unmarshal(raw, &s) == nil && s != nil && strings.Contains(*s, text)
	})
	if !ok {
		seen := "no element matched"
		if last != nil && string(last) != "null" {
			seen = "its text was " + string(last)
		}
		b.fatal(fmt.Sprintf("WaitText(%q, %q)", selector, text), fmt.Errorf("not there within %v; %s", b.timeout, seen))
	}
}

// element polls for an element and returns fn(element) as a string.
func (b *Browser) element(selector, what, fn string) string {
	b.t.Helper()
	raw, ok := b.poll(onElement(selector, fn, "null"), func(raw json.RawMessage) bool { return string(raw) != "null" })
	if !ok {
		b.fatal(fmt.Sprintf("reading the %s of %q", what, selector), fmt.Errorf("no element matched within %v", b.timeout))
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		b.fatal(fmt.Sprintf("reading the %s of %q", what, selector), err)
	}
	return s
}

// onElement is a JavaScript expression applying fn to the first element that
// matches selector, or giving none when nothing matches.
func onElement(selector, fn, none string) string {
	sel, _ := json.Marshal(selector)
	return fmt.Sprintf(`(() => { const e = document.querySelector(%s); return e ? (%s)(e) : %s; })()`, sel, fn, none)
}

// pollEvery is how often poll evaluates its expression again.
const pollEvery = 25 * time.Millisecond

// poll evaluates expr until done accepts its JSON value or the timeout ends,
// and returns the last value seen. It polls from Go, not in the page, so
// that it carries on across a navigation (an evaluation that fails while the
// page changes is tried again).
func (b *Browser) poll(expr string, done func(json.RawMessage) bool) (json.RawMessage, bool) {
	ctx, cancel := context.WithTimeout(b.ctx, b.timeout)
	defer cancel()
	tick := time.NewTicker(pollEvery)
	defer tick.Stop()
	var last json.RawMessage
	for {
		raw, err := chromedp.Run(ctx, chromedp.Evaluate[[]byte](expr))
		if err == nil {
			last = raw
			if done(raw) {
				return raw, true
			}
		}
		select {
		case <-ctx.Done():
			return last, false
		case <-tick.C:
		}
	}
}

// Screenshot saves a PNG of the whole page (not only the viewport) as
// name.png in the test's artifact directory (kept by go test -artifacts
// -outputdir DIR), logs its path and returns it. name must be a plain file
// name without extension.
func (b *Browser) Screenshot(name string) string {
	b.t.Helper()
	if name == "" || strings.ContainsAny(name, `/\`) || name == "." || name == ".." {
		b.t.Fatalf("browser: Screenshot(%q): the name must be a plain file name", name)
	}
	png, err := call(b, func(ctx context.Context, tab *chromedp.Target) ([]byte, error) {
		m, err := cdp.Call(ctx, tab, page.GetLayoutMetrics, cdp.Empty{})
		if err != nil {
			return nil, err
		}
		w, h := float64(Width), float64(Height)
		if m.CSSContentSize != nil {
			w, h = max(w, m.CSSContentSize.Width), max(h, m.CSSContentSize.Height)
		}
		r, err := cdp.Call(ctx, tab, page.CaptureScreenshot, page.CaptureScreenshotParams{
			Format:                page.CaptureScreenshotFormatPng,
			Clip:                  &page.Viewport{Width: w, Height: h, Scale: 1},
			CaptureBeyondViewport: new(true),
			FromSurface:           new(true),
		})
		if err != nil {
			return nil, err
		}
		return r.Data, nil
	})
	if err != nil {
		b.fatal(fmt.Sprintf("Screenshot(%q)", name), err)
	}
	path := filepath.Join(b.t.ArtifactDir(), name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		b.t.Fatalf("browser: Screenshot(%q): %v", name, err)
	}
	b.t.Logf("browser: screenshot %s", path)
	return path
}
