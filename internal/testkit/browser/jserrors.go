package browser

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// listen receives the tab's events on chromedp's reader goroutine, before
// the reply to any later command, so an error the page reported before a
// call returned is recorded when it returns.
func (b *Browser) listen(ev any) {
	var msg string
	switch ev := ev.(type) {
	case *runtime.EventExceptionThrown:
		msg = exception(ev.ExceptionDetails)
	case *runtime.EventConsoleAPICalled:
		if ev.Type != runtime.ConsoleAPICalledTypeError && ev.Type != runtime.ConsoleAPICalledTypeAssert {
			return
		}
		msg = "console." + string(ev.Type) + at(ev.StackTrace) + ": " + arguments(ev.Args)
	case *log.EventEntryAdded:
		// The browser's own entries: a resource that failed to load, a
		// request the content security policy blocked, and the like.
		e := ev.Entry
		if e.Level != log.EntryLevelError || favicon(e.URL) {
			return
		}
		msg = string(e.Source) + ": " + e.Text
		if e.URL != "" {
			msg += " (" + e.URL + ")"
		}
	default:
		return
	}
	b.mu.Lock()
	b.jsErrors = append(b.jsErrors, msg)
	b.mu.Unlock()
}

// TakeJSErrors returns the JavaScript errors the page reported since New or
// the last call (uncaught exceptions and promise rejections, console.error
// and failed console.assert calls, and the browser's own error entries such
// as a resource that failed to load), and forgets them: a test that expects
// an error takes it, and the test fails at its end only for those left.
// The browser's request for /favicon.ico is not counted.
func (b *Browser) TakeJSErrors() []string {
	b.sync()
	b.mu.Lock()
	defer b.mu.Unlock()
	errs := b.jsErrors
	b.jsErrors = nil
	return errs
}

// reportJSErrors fails the test for every error left untaken.
func (b *Browser) reportJSErrors() {
	if errs := b.TakeJSErrors(); len(errs) > 0 {
		b.t.Errorf("browser: the page reported %d JavaScript error(s) (take expected ones with TakeJSErrors):\n\t%s",
			len(errs), strings.ReplaceAll(strings.Join(errs, "\n"), "\n", "\n\t"))
	}
}

// sync makes one round trip to the page, so that the events it sent before
// have reached listen. A page whose script hangs gets a short while only.
func (b *Browser) sync() {
	c := chromedp.FromContext(b.ctx)
	if c == nil || c.Target == nil {
		return // the browser never started
	}
	ctx, cancel := context.WithTimeout(b.ctx, min(b.timeout, 2*time.Second))
	defer cancel()
	_, _ = chromedp.Run(ctx, chromedp.Evaluate[chromedp.Void](`0`))
}

func exception(d *runtime.ExceptionDetails) string {
	if d == nil {
		return "uncaught exception"
	}
	msg := d.Text // "Uncaught" or "Uncaught (in promise)"
	if d.Exception != nil && d.Exception.Description != "" {
		msg += " " + d.Exception.Description
	} else if d.Exception != nil && len(d.Exception.Value) > 0 {
		msg += " " + string(d.Exception.Value)
	}
	if d.URL != "" && !strings.Contains(msg, "\n") { // a stack says where already
		msg += fmt.Sprintf(" (%s:%d:%d)", d.URL, d.LineNumber+1, d.ColumnNumber+1)
	}
	return msg
}

// at names where a console call was made, as " at URL:line:col".
func at(s *runtime.StackTrace) string {
	if s == nil || len(s.CallFrames) == 0 {
		return ""
	}
	f := s.CallFrames[0]
	return fmt.Sprintf(" at %s:%d:%d", f.URL, f.LineNumber+1, f.ColumnNumber+1)
}

func arguments(args []*runtime.RemoteObject) string {
	parts := make([]string, 0, len(args))
	for _, a := range args {
		var s string
		switch {
		case a.Type == runtime.RemoteObjectTypeString && json.Unmarshal(a.Value, &s) == nil:
		case a.Description != "":
			s = a.Description
		case len(a.Value) > 0:
			s = string(a.Value)
		default:
			s = string(a.Type)
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, " ")
}

// favicon reports whether u is the icon the browser asks for by itself.
func favicon(u string) bool {
	p, err := url.Parse(u)
	return err == nil && p.Path == "/favicon.ico"
}
