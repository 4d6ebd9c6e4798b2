package webhook

import (
	"net/url"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/outhook/outhook/event"
)

// FuzzTemplatedURLKeepsItsStructure renders a templated URL over hostile
// values: whatever they hold, the request goes to the registered host,
// with the same path segments and query keys, and each value decodes back
// whole; or the delivery is refused.
func FuzzTemplatedURLKeepsItsStructure(f *testing.F) {
	for _, seed := range [][2]string{
		{"../../admin?x=1#", "t&x=1"}, {"..", "."}, {"a\r\nX-Evil: 1", "ü/%2F"}, {"@evil.example:80", "=&=#?"}, {"", ""},
	} {
		f.Add(seed[0], seed[1])
	}
	c := newConfig([]Option{WithEventType("T", nil)})
	h, errs := c.compile(Webhook{Name: "f", Triggers: []event.Trigger{"T"},
		URL: "https://h.example/a/{{data.id}}/b?k={{data.tenant}}&{{data.tenant}}=v"})
	if errs != nil {
		f.Fatal(errs)
	}
	f.Fuzz(func(t *testing.T, id, tenant string) {
		if !utf8.ValidString(id) || !utf8.ValidString(tenant) {
			t.Skip() // an event's JSON holds U+FFFD instead
		}
		e, err := event.New("T", map[string]any{"id": id, "tenant": tenant})
		if err != nil {
			t.Skip() // not an event
		}
		tg, err := h.target.render(e, h.redactorOf(), h.parsedURL())
		if err != nil {
			if id != "." && id != ".." {
				t.Fatalf("refused %q: %v", id, err)
			}
			return
		}
		u := tg.url
		if u.Host != "h.example" || u.Scheme != "https" || u.Fragment != "" {
			t.Fatalf("host or scheme changed: %s", u)
		}
		segs := strings.Split(u.EscapedPath(), "/")
		if len(segs) != 4 || segs[1] != "a" || segs[3] != "b" {
			t.Fatalf("path changed: %s", u.EscapedPath())
		}
		if got, _ := url.PathUnescape(segs[2]); got != id {
			t.Fatalf("segment %q, want %q", got, id)
		}
		q, err := url.ParseQuery(u.RawQuery)
		if err != nil {
			t.Fatalf("query does not parse: %s (%v)", u.RawQuery, err)
		}
		want := url.Values{"k": {tenant}}
		want[tenant] = append(want[tenant], "v") // a tenant of "k" makes one key of both
		if !reflect.DeepEqual(q, want) {
			t.Fatalf("query changed: %s", u.RawQuery)
		}
	})
}
