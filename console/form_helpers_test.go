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
