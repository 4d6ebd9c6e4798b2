package console

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"

	"github.com/outhook/outhook/internal/tenantrate"
	"github.com/outhook/outhook/manage"
	"github.com/outhook/outhook/webhook"
)

//go:embed templates/*.html
var templateFiles embed.FS

//go:embed assets
var assetFiles embed.FS

// ErrInvalidConfig is wrapped by the error New returns for arguments or
// options it cannot use.
var ErrInvalidConfig = errors.New("console: invalid configuration")

// Handler serves the console of one Dispatcher's webhooks, every request
// on behalf of the tenant its TenantFunc names. It is safe for concurrent
// use.
type Handler struct {
	d        *webhook.Dispatcher
	tenantOf manage.TenantFunc
	cfg      config
	pages    *template.Template
	mux      *http.ServeMux
	root     http.Handler
	tests    *tenantrate.Rates
	previews *tenantrate.Rates
}

// New returns the console of d's webhooks, asking tenantOf whose each
// request is; the TenantFunc's errors mean what they mean to package
// manage (ErrUnauthenticated answers 401, ErrForbidden 403, any other 500).
// New fails, with an error wrapping ErrInvalidConfig, on a nil d or
// tenantOf and on options it cannot use.
func New(d *webhook.Dispatcher, tenantOf manage.TenantFunc, opts ...Option) (*Handler, error) {
	cfg := defaultConfig()
	for _, o := range opts {
		if o != nil {
			o.apply(&cfg)
		}
	}
	if d == nil {
		cfg.reject("New", "nil Dispatcher")
	}
	if tenantOf == nil {
		cfg.reject("New", "nil TenantFunc")
	}
	cop := http.NewCrossOriginProtection()
	for _, o := range cfg.trustedOrigins {
		if err := cop.AddTrustedOrigin(o); err != nil {
			cfg.reject("WithTrustedOrigins", "%v", err)
		}
	}
	if len(cfg.errs) > 0 {
		return nil, errors.Join(cfg.errs...)
	}
	pages, err := template.New("console").Funcs(funcs).ParseFS(templateFiles, "templates/*.html")
	if err != nil {
		return nil, fmt.Errorf("console: parsing the page templates: %w", err)
	}
	h := &Handler{
		d: d, tenantOf: tenantOf, cfg: cfg, pages: pages, mux: http.NewServeMux(),
		tests:    tenantrate.New(cfg.testRate),
		previews: tenantrate.New(cfg.previewRate),
	}
	h.routes()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.errorPage(w, r, http.StatusForbidden, "A change sent from another site was refused.")
	}))
	h.root = cop.Handler(http.HandlerFunc(h.serve))
	return h, nil
}

// ServeHTTP serves one request of the console.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.root.ServeHTTP(w, r)
}

// securityHeaders are set on every answer: the console's own script and
// style only, no framing by other sites, nothing cached.
func securityHeaders(w http.ResponseWriter) {
	hd := w.Header()
	hd.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'self'")
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Referrer-Policy", "same-origin")
	hd.Set("X-Frame-Options", "SAMEORIGIN")
}

func (h *Handler) serve(w http.ResponseWriter, r *http.Request) {
	securityHeaders(w)
	if r.URL.Path == "" {
		// Mounted with http.StripPrefix("/console", …) and asked for
		// /console: the pages' links are relative to /console/.
		http.Redirect(w, r, basePath(r)+"/", http.StatusMovedPermanently)
		return
	}
	if p := r.URL.EscapedPath(); path.Clean(p) != p && p != "/" {
		h.errorPage(w, r, http.StatusNotFound, "There is no such page.")
		return
	}
	h.mux.ServeHTTP(w, r)
}

// request is one request of a page, with the tenant it is served for.
type request struct {
	w      http.ResponseWriter
	r      *http.Request
	tenant *webhook.Tenant
	actor  string
	base   string // the prefix the console is mounted under, without a trailing /
}

func (c *request) ctx() context.Context { return c.r.Context() }

// link is the URL of the console's page p ("/webhooks/new").
func (c *request) link(p string) string { return c.base + p }

func (h *Handler) routes() {
	page := func(pattern string, serve func(*Handler, *request) error) {
		h.mux.Handle(pattern, h.page(serve))
	}
	page("GET /{$}", (*Handler).list)
	page("GET /webhooks/new", (*Handler).newWebhook)
	page("POST /webhooks/new", (*Handler).create)
	page("GET /webhooks/{id}", (*Handler).edit)
	page("POST /webhooks/{id}", (*Handler).update)
	page("POST /webhooks/{id}/delete", (*Handler).remove)
	page("POST /webhooks/{id}/active", (*Handler).setActive)
	page("POST /webhooks/{id}/breaker/reset", (*Handler).resetBreaker)
	page("POST /webhooks/{id}/recover", (*Handler).recoverSince)
	page("GET /invocations", (*Handler).invocations)
	page("GET /dead-letters", (*Handler).deadLetters)
	page("POST /dead-letters/redeliver", (*Handler).redeliver)
	page("POST /test", (*Handler).test)
	page("POST /webhooks/{id}/gate", (*Handler).gate)
	page("POST /live/preview", (*Handler).livePreview)
	page("POST /live/explain", (*Handler).liveExplain)
	page("POST /live/validate", (*Handler).liveValidate)
	assets, _ := fs.Sub(assetFiles, "assets")
	files := http.FileServerFS(assets)
	h.mux.Handle("GET /assets/", http.StripPrefix("/assets", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=300")
		files.ServeHTTP(w, r)
	})))
	h.mux.Handle("/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.errorPage(w, r, http.StatusNotFound, "There is no such page.")
	}))
}

// page wraps a page's function: the tenant first, then the page, and an
// error page for what it returns.
func (h *Handler) page(serve func(*Handler, *request) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		tenant, actor, err := h.tenantOf(r)
		if err != nil {
			h.refuse(w, r, err)
			return
		}
		if r.Method == http.MethodPost {
			r.Body = http.MaxBytesReader(w, r.Body, h.cfg.maxForm)
			if err := r.ParseForm(); err != nil {
				var tooLarge *http.MaxBytesError
				if errors.As(err, &tooLarge) {
					h.errorPage(w, r, http.StatusRequestEntityTooLarge, fmt.Sprintf("The form is larger than the %d bytes the console reads.", tooLarge.Limit))
					return
				}
				h.errorPage(w, r, http.StatusBadRequest, "The form could not be read: it is malformed, or has too many fields.")
				return
			}
		}
		c := &request{w: w, r: r, tenant: h.d.Tenant(tenant), actor: actor, base: basePath(r)}
		if err := serve(h, c); err != nil {
			h.fail(c, err)
		}
	})
}

// basePath is the prefix the request's path had before http.StripPrefix
// (or a router like it) took it: the request URI's path less the path
// the console sees.
func basePath(r *http.Request) string {
	uri := r.RequestURI
	if i := strings.IndexAny(uri, "?#"); i >= 0 {
		uri = uri[:i]
	}
	if strings.HasPrefix(uri, "http://") || strings.HasPrefix(uri, "https://") {
		if u, err := r.URL.Parse(uri); err == nil {
			uri = u.EscapedPath()
		}
	}
	seen := r.URL.EscapedPath()
	if !strings.HasSuffix(uri, seen) {
		return ""
	}
	base := strings.TrimSuffix(uri[:len(uri)-len(seen)], "/")
	if base != "" && (base[0] != '/' || strings.HasPrefix(base, "//") || strings.HasPrefix(base, "/\\")) {
		return "" // links must stay on this host
	}
	return base
}

func (h *Handler) refuse(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, manage.ErrUnauthenticated):
		if h.cfg.challenge != "" {
			w.Header().Set("WWW-Authenticate", h.cfg.challenge)
		}
		h.errorPage(w, r, http.StatusUnauthorized, "Sign in to see this page.")
	case errors.Is(err, manage.ErrForbidden):
		h.errorPage(w, r, http.StatusForbidden, err.Error())
	default:
		h.log(r.Context(), "console: the tenant function failed", "path", r.URL.Path, "error", err)
		h.errorPage(w, r, http.StatusInternalServerError, "The request could not be authenticated.")
	}
}

// notFoundError is a page's "no such webhook or record".
type notFoundError struct{ what string }

func (e notFoundError) Error() string { return e.what + " not found" }

// fail answers a page's error: not found, refused input, or a 500 whose
// cause is logged and not shown.
func (h *Handler) fail(c *request, err error) {
	var nf notFoundError
	switch {
	case errors.As(err, &nf), errors.Is(err, webhook.ErrNotFound), errors.Is(err, webhook.ErrInvalidID):
		h.errorPage(c.w, c.r, http.StatusNotFound, "There is no such webhook or record.")
	case errors.Is(err, webhook.ErrConflict):
		h.errorPage(c.w, c.r, http.StatusConflict, "The webhook was changed by someone else since this page was loaded. Load it again.")
	case errors.Is(err, errBadInput):
		h.errorPage(c.w, c.r, http.StatusBadRequest, err.Error())
	default:
		h.log(c.ctx(), "console: a page failed", "path", c.r.URL.Path, "tenant", c.tenant.ID(), "error", err)
		h.errorPage(c.w, c.r, http.StatusInternalServerError, "Something went wrong; the error was logged.")
	}
}

// errBadInput marks an error whose message tells the user what to mend.
var errBadInput = errors.New("bad input")

func badInput(format string, args ...any) error {
	return fmt.Errorf("%w: %s", errBadInput, fmt.Sprintf(format, args...))
}

func (h *Handler) errorPage(w http.ResponseWriter, r *http.Request, status int, message string) {
	securityHeaders(w)
	c := &request{w: w, r: r, base: basePath(r)}
	h.render(c, status, "error", struct {
		pageData
		Status  int
		Message string
	}{pageData: pageData{Title: http.StatusText(status), Base: c.base}, Status: status, Message: message})
}

func (h *Handler) log(ctx context.Context, msg string, args ...any) {
	if h.cfg.logger != nil {
		h.cfg.logger.ErrorContext(ctx, msg, args...)
	}
}

// pageData is what every page's layout reads.
type pageData struct {
	Title  string
	Base   string
	Nav    string // "webhooks", "invocations" or "dead-letters"
	Notice string // a message about what the last action did
}

// render executes the page template name into a buffer first, so that a
// failure answers 500 rather than half a page.
func (h *Handler) render(c *request, status int, name string, data any) {
	var b strings.Builder
	if err := h.pages.ExecuteTemplate(&b, name, data); err != nil {
		h.log(c.r.Context(), "console: rendering a page failed", "page", name, "error", err)
		http.Error(c.w, "the page could not be rendered", http.StatusInternalServerError)
		return
	}
	c.w.Header().Set("Content-Type", "text/html; charset=utf-8")
	c.w.WriteHeader(status)
	_, _ = c.w.Write([]byte(b.String()))
}

// redirect answers a form with 303 to the console's page p.
func (c *request) redirect(p string) {
	http.Redirect(c.w, c.r, c.link(p), http.StatusSeeOther)
}

var funcs = template.FuncMap{
	"ago": func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format("2006-01-02 15:04:05 UTC")
	},
	"duration": func(d time.Duration) string {
		switch {
		case d >= time.Second:
			return d.Round(time.Millisecond).String()
		case d >= time.Millisecond:
			return d.Round(10 * time.Microsecond).String()
		}
		return d.Round(time.Microsecond).String()
	},
	"join":    strings.Join,
	"percent": percent,
	"window": func(d time.Duration) string {
		if d%time.Hour == 0 {
			return fmt.Sprintf("%d h", d/time.Hour)
		}
		return fmt.Sprintf("%d min", d/time.Minute)
	},
	"pathEscape": url.PathEscape,
	"rfc3339":    func(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) },
	"insertion":  insertion,
	"row": func(i any, v any, x ...any) rowData {
		r := rowData{I: i, V: v}
		if len(x) > 0 {
			r.X = x[0]
		}
		return r
	},
	"dimSelected": func(v any, key string) bool {
		r, ok := v.(filterRow)
		return ok && r.Dimension == key
	},
	"opSelected": func(v any, op string) bool {
		r, ok := v.(conditionRow)
		if !ok || r.Operator == "" {
			return op == "eq"
		}
		return r.Operator == op
	},
	"validatorKinds": func() []struct{ Value, Label string } {
		return []struct{ Value, Label string }{{checkJSONPath, "JSON path"}, {checkStatus, "Status"}, {checkHeader, "Header"}}
	},
	"validatorKind": func(v any, kind string) bool {
		r, ok := v.(validatorRow)
		if !ok || r.Kind == "" {
			return kind == checkJSONPath
		}
		return r.Kind == kind
	},
	"webhookName": func(choices []webhookChoice, id string) string {
		for _, c := range choices {
			if c.ID == id {
				return c.Name
			}
		}
		return id
	},
}

// rowData is one row of a list in the editor: its number, its value (nil
// for the template of a new row) and what its controls offer.
type rowData struct {
	I, V, X any
}

// insertion is what the schema panel inserts into the body template for
// a field: {{path}}, or an each block for each array ("[]") or map (a "*"
// key, whose entries show as key: value) the path steps into.
func insertion(path string) string {
	before, after, found := strings.Cut(path, "[]")
	inMap := false
	if i := strings.Index(path, ".*"); i >= 0 && (!found || i < len(before)) && (i+2 == len(path) || path[i+2] == '.') {
		before, after, found, inMap = path[:i], path[i+2:], true, true
	}
	if !found {
		return "{{" + path + "}}"
	}
	after = strings.TrimPrefix(after, ".")
	inner := "{{this}}"
	switch {
	case after != "":
		inner = insertion(after)
	case inMap:
		inner = "{{@key}}: {{this}}"
	}
	return "{{#each " + before + "}}" + inner + "{{/each}}"
}
