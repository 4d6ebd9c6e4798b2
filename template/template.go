package template

import (
	"encoding/json"
	"io"
	"strconv"
	"sync"
)

// Template is a parsed template. It is immutable: a template may be
// executed safely in parallel.
type Template struct {
	name   string
	mode   Mode
	strict bool
	nodes  []node
	// verify makes Append check that its output is JSON: the analysis
	// relied on a path giving the same value at each read (see
	// analyzer.factsUsed).
	verify bool
	// sameLevels makes a context equal to the one below it no level for
	// ../, as in handlebars.js: the Handlebars dialect.
	sameLevels bool
	// limit bounds a rendering's output plus work (WithRenderLimit); 0
	// means none.
	limit int
	bufs  sync.Pool // *[]byte: Execute's buffers
}

// Parse parses src. Any returned error is an *Error with the position of the
// problem, or an ErrorList when WithSchema finds unknown fields. Of several
// errors in the tags, the first in the text is the one returned.
func Parse(src string, opts ...Option) (*Template, error) {
	return parse(src, "", opts)
}

// parse is Parse; a non-empty mark is written at the start of the content
// of every string read as an embedded document on every path, so that the
// fuzz tests find and decode them in the output.
func parse(src, mark string, opts []Option) (*Template, error) {
	cfg := &config{}
	for _, o := range opts {
		if o != nil {
			o.apply(cfg)
		}
	}
	if cfg.left == "" || cfg.right == "" {
		cfg.left, cfg.right = "{{", "}}"
	}
	if cfg.mode > Text {
		return nil, &Error{Name: cfg.name, Msg: "unknown mode " + cfg.mode.String()}
	}
	if cfg.dialect > Mustache {
		return nil, &Error{Name: cfg.name, Msg: "unknown dialect " + strconv.Itoa(int(cfg.dialect))}
	}
	p := &parser{cfg: cfg, helpers: builtins(cfg.helpers), partials: make(map[string]*partial)}
	s := &source{name: cfg.name, text: src}
	nodes, err := p.parseSource(s, cfg.left, cfg.right)
	if err == nil {
		err = p.checkUnused()
	}
	if err != nil {
		return nil, err
	}
	verify := false
	if cfg.mode == JSON {
		a, err := analyzeJSON(nodes)
		if err != nil {
			return nil, err
		}
		if mark != "" {
			markDocuments(nodes, a, mark)
		}
		verify = a.factsUsed
	}
	nodes = optimize(nodes, cfg, make(map[*partial]bool))
	t := &Template{name: cfg.name, mode: cfg.mode, strict: cfg.strict, nodes: nodes, verify: verify, sameLevels: cfg.dialect == Handlebars, limit: cfg.limit}
	if cfg.schema != nil {
		if err := t.Check(cfg.schema); err != nil {
			return nil, err
		}
	}
	return t, nil
}

// MustParse is like Parse but panics if src cannot be parsed. It simplifies
// the initialization of package-level templates.
func MustParse(src string, opts ...Option) *Template {
	t, err := Parse(src, opts...)
	if err != nil {
		panic(err)
	}
	return t
}

// Name returns the name given with WithName.
func (t *Template) Name() string { return t.name }

// Mode returns the escaping mode the template was parsed with.
func (t *Template) Mode() Mode { return t.mode }

// Append renders the template over data and appends the result to dst.
// Data is a JSON-like Go value (map[string]any, []any, string, json.Number,
// float64, bool, nil and the like) or a document parsed by Outhook's
// webhook package. On error, Append returns dst unchanged in length and an
// *Error; nothing half-rendered is left behind. Rendering a document parsed
// by the webhook package into a reused dst does not allocate, unless the
// template calls helpers or passes hash arguments to a partial.
func (t *Template) Append(dst []byte, data any) ([]byte, error) {
	s := state{t: t, limit: t.limit, start: len(dst)}
	s.push(ctxFrame{v: data})
	out, err := s.run(dst, t.nodes)
	if err != nil {
		return dst, err
	}
	if t.verify && !json.Valid(out[len(dst):]) {
		return dst, &Error{Name: t.name, Err: ErrUnstableValue,
			Msg: "a value changed between two reads of one field (a Go value whose MarshalJSON is not stable), and the body would not be JSON"}
	}
	return out, nil
}

// Execute renders the template over data and writes the result to w in a
// single Write call. Data is as for Append. Nothing is written when
// rendering fails.
func (t *Template) Execute(w io.Writer, data any) error {
	bp, _ := t.bufs.Get().(*[]byte)
	if bp == nil {
		bp = new([]byte)
	}
	out, err := t.Append((*bp)[:0], data)
	if err == nil {
		_, err = w.Write(out)
	}
	if cap(out) <= maxPooledBuffer {
		*bp = out[:0]
		t.bufs.Put(bp)
	}
	return err
}

// maxPooledBuffer keeps an occasional huge body from pinning memory.
const maxPooledBuffer = 64 << 10
