package browser

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	goruntime "runtime"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// Violation is one axe-core rule that the page breaks, with the elements that
// break it.
type Violation struct {
	Rule    string // axe-core's rule id, such as "label" or "image-alt"
	Impact  string // "minor", "moderate", "serious" or "critical"
	Help    string // what the rule asks, in one line
	HelpURL string
	Nodes   []ViolationNode
}

// ViolationNode is one element that breaks a rule.
type ViolationNode struct {
	// Target holds the CSS selectors that find the element; more than one
	// when it is inside an iframe or a shadow root, outermost first.
	Target  []string
	HTML    string // the element's opening tag, as axe-core quotes it
	Summary string // how to fix it
}

// Serious reports whether the violation is of impact "serious" or "critical",
// the ones Axe fails on.
func (v Violation) Serious() bool { return v.Impact == "serious" || v.Impact == "critical" }

func (v Violation) String() string {
	var s strings.Builder
	fmt.Fprintf(&s, "%s (%s): %s [%s]", v.Rule, v.Impact, v.Help, v.HelpURL)
	for _, n := range v.Nodes {
		fmt.Fprintf(&s, "\n\t  %s: %s", strings.Join(n.Target, " >>> "), n.HTML)
	}
	return s.String()
}

// Axe runs axe-core's checks over the current page and fails the test, going
// on with it, listing every violation of impact "serious" or "critical": the
// rule, its help, and the selector and HTML of each element that breaks it.
// Lesser ones are logged.
func (b *Browser) Axe() {
	b.t.Helper()
	var serious []string
	for _, v := range b.AxeViolations() {
		if v.Serious() {
			serious = append(serious, v.String())
		} else {
			b.t.Logf("browser: axe-core (not failing): %s", v)
		}
	}
	if len(serious) > 0 {
		b.t.Errorf("browser: axe-core found %d serious or critical accessibility violation(s) on %s:\n\t%s",
			len(serious), b.url(), strings.Join(serious, "\n\t"))
	}
}

// AxeViolations runs axe-core's checks (every rule it enables by default)
// over the current page and returns all the violations, of every impact.
func (b *Browser) AxeViolations() []Violation {
	b.t.Helper()
	// Injected at the top level, where it defines window.axe; a page that
	// has not navigated since keeps it.
	loaded, err := call(b, chromedp.Evaluate[bool](`typeof window.axe !== "undefined"`))
	if err == nil && !loaded {
		_, err = call(b, chromedp.Evaluate[chromedp.Void](axeSource(b.t, axePath())))
	}
	if err != nil {
		b.fatal("loading axe-core", err)
	}
	raw, err := call(b, chromedp.Evaluate[[]byte](
		`axe.run(document, {resultTypes: ["violations"]}).then(r => r.violations)`, chromedp.EvalAwaitPromise))
	if err != nil {
		b.fatal("running axe-core", err)
	}
	vs, err := decodeViolations(raw)
	if err != nil {
		b.fatal("reading axe-core's results", err)
	}
	return vs
}

func decodeViolations(raw []byte) ([]Violation, error) {
	var found []struct {
		ID, Impact, Help, HelpURL string
		Nodes                     []struct {
			Target         []json.RawMessage // a selector, or a list of them across frames and shadow roots
			HTML           string
			FailureSummary string
		}
	}
	if err := json.Unmarshal(raw, &found); err != nil {
		return nil, err
	}
	out := make([]Violation, 0, len(found))
	for _, f := range found {
		v := Violation{Rule: f.ID, Impact: f.Impact, Help: f.Help, HelpURL: f.HelpURL}
		for _, n := range f.Nodes {
			node := ViolationNode{HTML: n.HTML, Summary: n.FailureSummary}
			for _, t := range n.Target {
				var one string
				var many []string
				switch {
				case json.Unmarshal(t, &one) == nil:
					node.Target = append(node.Target, one)
				case json.Unmarshal(t, &many) == nil:
					node.Target = append(node.Target, strings.Join(many, " >>> "))
				default:
					node.Target = append(node.Target, string(t))
				}
			}
			v.Nodes = append(v.Nodes, node)
		}
		out = append(out, v)
	}
	return out, nil
}

// axePath is axe-core as npm ci installs it beside this file, found from the
// source's own path since tests run in their own package's folder.
func axePath() string {
	_, file, _, _ := goruntime.Caller(0)
	return filepath.Join(filepath.Dir(file), "testdata", "axe", "node_modules", "axe-core", "axe.min.js")
}

// axeSource returns axe-core's script at path, or skips t (fails it when
// CI=true) saying how to install it.
func axeSource(t testing.TB, path string) string {
	t.Helper()
	src, err := os.ReadFile(path)
	if err != nil {
		missing(t, "axe-core not found at "+path, "run `npm ci --prefix internal/testkit/browser/testdata/axe` at the repository's root")
		return ""
	}
	return string(src)
}
