package webhook

import (
	"runtime"
	"strings"
	"sync"
	"weak"

	"github.com/outhook/outhook/template"
)

// bodyTemplates shares compiled body templates among a Dispatcher's
// webhooks by source: the tenants of a service mostly use one of a few
// bodies (their integration's), and a compiled template costs kilobytes,
// which a million webhooks would each pay. A template is immutable, so
// sharing it is safe; it is held weakly, so that one no webhook uses any
// more is collected. The zero value is ready to use.
type bodyTemplates struct {
	mu    sync.Mutex
	bySrc map[string]weak.Pointer[template.Template]
}

// parse returns the template of src parsed with opts, which must be the
// same at every call: a webhook's template compiled already when another
// has the same source.
func (b *bodyTemplates) parse(src string, opts []template.Option) (*template.Template, error) {
	if t := b.find(src); t != nil {
		return t, nil
	}
	t, err := template.Parse(src, opts...)
	if err != nil {
		return nil, err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if old := b.bySrc[src].Value(); old != nil {
		return old, nil // parsed meanwhile by another webhook
	}
	if b.bySrc == nil {
		b.bySrc = map[string]weak.Pointer[template.Template]{}
	}
	entry := bodyEntry{src: strings.Clone(src), ptr: weak.Make(t)}
	b.bySrc[entry.src] = entry.ptr
	runtime.AddCleanup(t, b.forget, entry)
	return t, nil
}

func (b *bodyTemplates) find(src string) *template.Template {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.bySrc[src].Value()
}

type bodyEntry struct {
	src string
	ptr weak.Pointer[template.Template]
}

// forget drops the entry of a template collected, unless src has another
// template by now.
func (b *bodyTemplates) forget(e bodyEntry) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.bySrc[e.src] == e.ptr {
		delete(b.bySrc, e.src)
	}
}

// size returns how many sources have a template.
func (b *bodyTemplates) size() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.bySrc)
}
