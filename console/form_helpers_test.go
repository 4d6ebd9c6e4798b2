package console_test

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"golang.org/x/net/html"

	"github.com/outhook/outhook/defstore"
)

func defstoreList() defstore.ListOptions { return defstore.ListOptions{Limit: 1000} }

// formOfPage reads the values the editor's form would send as a browser
// sends them: inputs (checked boxes only), selected options and
// textareas, outside <template> rows.
func formOfPage(t *testing.T, page string) url.Values {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(page))
	require.NoError(t, err)
	var form *html.Node
	var find func(n *html.Node)
	find = func(n *html.Node) {
		if n.Type == html.ElementNode && n.Data == "form" && attr(n, "id") == "webhook-form" {
			form = n
			return
		}
		for c := n.FirstChild; c != nil && form == nil; c = c.NextSibling {
			find(c)
		}
	}
	find(doc)
	require.NotNil(t, form, "the page has the editor's form")
	values := url.Values{}
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			name := attr(n, "name")
			switch n.Data {
			case "template":
				return
			case "input":
				typ := attr(n, "type")
				if name != "" && ((typ != "checkbox" && typ != "radio") || hasAttr(n, "checked")) {
					v := attr(n, "value")
					if !hasAttr(n, "value") && (typ == "checkbox" || typ == "radio") {
						v = "on"
					}
					values.Add(name, v)
				}
			case "textarea":
				if name != "" {
					var b strings.Builder
					for c := n.FirstChild; c != nil; c = c.NextSibling {
						b.WriteString(c.Data)
					}
					values.Add(name, b.String())
				}
			case "select":
				var first, chosen *html.Node
				for o := range n.Descendants() {
					if o.Type == html.ElementNode && o.Data == "option" {
						if first == nil {
							first = o
						}
						if hasAttr(o, "selected") {
							chosen = o
						}
					}
				}
				if chosen == nil {
					chosen = first
				}
				if name != "" && chosen != nil {
					v := attr(chosen, "value")
					if !hasAttr(chosen, "value") && chosen.FirstChild != nil {
						v = chosen.FirstChild.Data
					}
					values.Add(name, v)
				}
				return
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(form)
	return values
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

func hasAttr(n *html.Node, key string) bool {
	for _, a := range n.Attr {
		if a.Key == key {
			return true
		}
	}
	return false
}

func defstoreListOf(n int) defstore.ListOptions { return defstore.ListOptions{Limit: n} }

// readBody copies a response's body into w.
func readBody(w *strings.Builder, res *http.Response) (int64, error) { return io.Copy(w, res.Body) }

// browserless is a client of a console served at url, as a page's forms
// and script reach it: redirects are not followed, and posts ask for the
// script's fragments.
type browserless struct {
	t   *testing.T
	url string
	c   *http.Client
}

func newBrowserless(t *testing.T, url string) *browserless {
	return &browserless{t: t, url: url, c: &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// post sends form to path and returns the status and the body.
func (b *browserless) post(path string, form url.Values) (int, string) {
	b.t.Helper()
	req, err := http.NewRequest(http.MethodPost, b.url+path, strings.NewReader(form.Encode()))
	require.NoError(b.t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Console-Fragment", "1")
	res, err := b.c.Do(req)
	require.NoError(b.t, err)
	defer res.Body.Close()
	var body strings.Builder
	_, _ = readBody(&body, res)
	return res.StatusCode, body.String()
}

// get returns the page at path.
func (b *browserless) get(path string) string {
	b.t.Helper()
	res, err := b.c.Get(b.url + path)
	require.NoError(b.t, err)
	defer res.Body.Close()
	var body strings.Builder
	_, _ = readBody(&body, res)
	return body.String()
}
