package manage

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"path"
	"strings"

	"github.com/outhook/outhook/defstore"
	"github.com/outhook/outhook/internal/tenantrate"
	"github.com/outhook/outhook/webhook"
)

//go:embed openapi.json
var document []byte

// OpenAPI returns the OpenAPI 3.1 document of the API, as JSON: what the
// Handler serves at GET /openapi.json, and openapi.json in the
// repository. The slice is the caller's.
func OpenAPI() []byte {
	return append([]byte(nil), document...)
}

// TenantFunc says whose request r is: the tenant whose webhooks it may
// manage, and the actor recorded as the author of the changes it makes (a
// user id or an e-mail address, say). It is the service's authentication
// and authorization: the Handler asks it for every request but GET
// /openapi.json, and decides nothing else about who may do what. The
// empty tenant is the Dispatcher's default one, that of d.Add and
// d.Publish.
//
// An error that wraps ErrUnauthenticated is answered with 401, one that
// wraps ErrForbidden with 403, the error's message as the problem's
// detail, so it must say nothing the caller may not know. Any other error
// is answered with 500 and logged (WithLogger), its message not shown.
type TenantFunc func(r *http.Request) (tenant, actor string, err error)

// The errors a TenantFunc returns, wrapped or not, to refuse a request.
// Their messages have no package prefix, since they become the detail of
// the problem the caller reads.
var (
	ErrUnauthenticated = errors.New("not authenticated")
	ErrForbidden       = errors.New("forbidden")
)

// wrapForTest, when set, wraps every Handler's root: the package's tests
// check every request and response against the document through it.
var wrapForTest func(http.Handler) http.Handler

// Handler serves the management API of one Dispatcher's webhooks, every
// request on behalf of the tenant its TenantFunc names. It is safe for
// concurrent use.
type Handler struct {
	d        *webhook.Dispatcher
	tenantOf TenantFunc
	cfg      config
	mux      *http.ServeMux
	root     http.Handler
	tests    *tenantrate.Rates
	gates    *tenantrate.Rates
	previews *tenantrate.Rates
}

// New returns the Handler of d's webhooks, asking tenantOf whose each
// request is. A service mounts it where it likes, with
// http.StripPrefix for a prefix, behind whatever else it puts in front of
// its handlers. New fails, with an error wrapping ErrInvalidConfig, on a
// nil d or tenantOf and on options it cannot use.
func New(d *webhook.Dispatcher, tenantOf TenantFunc, opts ...Option) (*Handler, error) {
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
	h := &Handler{
		d: d, tenantOf: tenantOf, cfg: cfg, mux: http.NewServeMux(),
		tests:    tenantrate.New(cfg.testRate),
		gates:    tenantrate.New(cfg.gateRate),
		previews: tenantrate.New(cfg.previewRate),
	}
	for _, rt := range routes {
		h.mux.Handle(rt.method+" "+rt.path, h.handle(rt))
	}
	h.mux.HandleFunc("/", h.unrouted)
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		newProblem(kindCrossOrigin, "a cross-origin %s is refused; the service may trust its origin", r.Method).write(w, r)
	}))
	h.root = cop.Handler(http.HandlerFunc(h.route))
	if wrapForTest != nil {
		h.root = wrapForTest(h.root)
	}
	return h, nil
}

// ServeHTTP serves one request of the API.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.root.ServeHTTP(w, r)
}

// route serves r through the mux, unless its path has empty or dot
// segments, which no operation has: the mux would redirect those to the
// path cleaned, with an HTML page, and to a path that is wrong under a
// prefix.
func (h *Handler) route(w http.ResponseWriter, r *http.Request) {
	if p := r.URL.EscapedPath(); path.Clean(p) != p {
		newProblem(kindNotFound, "no operation of the API has the path %s", r.URL.Path).write(w, r)
		return
	}
	if r.Method == http.MethodHead {
		w = headWriter{w}
	}
	h.mux.ServeHTTP(w, r)
}

// headWriter answers HEAD as GET but for the body, which it drops: a
// server drops it, but not a recorder or a middleware that reads it.
type headWriter struct{ http.ResponseWriter }

func (w headWriter) Write(p []byte) (int, error) { return len(p), nil }

// route is one operation of the document: its method and path, in the
// document's syntax, which net/http's patterns share.
type route struct {
	method, path string
	// public routes are served without asking the TenantFunc.
	public bool
	// query lists the query parameters the operation takes; any other
	// is refused (see checkQuery).
	query []string
	// repeated names the one parameter that may be given more than once.
	repeated string
	serve    func(h *Handler, c *call) error
}

// call is one request being served.
type call struct {
	w        http.ResponseWriter
	r        *http.Request
	tenantID string
	actor    string
	tenant   *webhook.Tenant
}

func (h *Handler) handle(rt route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c := &call{w: w, r: r}
		if !rt.public {
			tenant, actor, err := h.tenantOf(r)
			if err != nil {
				h.fail(c, h.refusal(r, err))
				return
			}
			c.tenantID, c.actor, c.tenant = tenant, actor, h.d.Tenant(tenant)
		}
		if !rt.public {
			if err := checkQuery(r.URL.RawQuery, rt); err != nil {
				h.fail(c, err)
				return
			}
		}
		if err := rt.serve(h, c); err != nil {
			h.fail(c, err)
		}
	})
}

// refusal turns the TenantFunc's error into the problem to answer with.
func (h *Handler) refusal(r *http.Request, err error) *problem {
	switch {
	case errors.Is(err, ErrUnauthenticated):
		return newProblem(kindUnauthenticated, "%s", err.Error())
	case errors.Is(err, ErrForbidden):
		return newProblem(kindForbidden, "%s", err.Error())
	}
	h.log(r.Context(), "manage: the tenant function failed", "path", r.URL.Path, "error", err)
	return newProblem(kindInternal, "the request could not be authenticated")
}

// fail answers with the problem err is or maps to.
func (h *Handler) fail(c *call, err error) {
	p := h.problemOf(c, err)
	if p.kind == kindUnauthenticated && h.cfg.challenge != "" {
		c.w.Header().Set("WWW-Authenticate", h.cfg.challenge)
	}
	p.write(c.w, c.r)
}

// problemOf maps an error of the Dispatcher to its problem; an error it
// does not know is a 500, logged with the tenant, its message not shown.
func (h *Handler) problemOf(c *call, err error) *problem {
	var (
		p        *problem
		defs     webhook.DefinitionErrors
		conflict *defstore.ConflictError
		query    *webhook.QueryError
		selector *webhook.EraseSelectorError
	)
	switch {
	case errors.As(err, &p):
		return p
	case errors.As(err, &defs) && len(defs) > 0:
		return definitionProblem(defs)
	case errors.As(err, &conflict):
		p := newProblem(kindVersionConflict, "the webhook is at version %d, not %d as read; read it again", conflict.Current, conflict.Expected)
		if conflict.Current == 0 {
			p.detail = fmt.Sprintf("the webhook was deleted after version %d was read", conflict.Expected)
		}
		p.currentVersion = conflict.Current
		return p
	case errors.Is(err, webhook.ErrTenantLimit):
		return newProblem(kindLimitReached, "the tenant has as many webhooks as it may")
	case errors.Is(err, webhook.ErrNotFound):
		return newProblem(kindNotFound, "%s", strings.TrimPrefix(err.Error(), "webhook: "))
	case errors.As(err, &query):
		return fieldProblem(query.Field, query.Err.Error())
	case errors.As(err, &selector):
		return fieldProblem(selector.Field, selector.Reason)
	case errors.Is(err, webhook.ErrQueryUnsupported):
		return newProblem(kindNotImplemented, "the service keeps invocation records where they cannot be queried")
	case errors.Is(err, webhook.ErrSummaryUnsupported):
		return newProblem(kindNotImplemented, "the service's invocation store keeps no summary")
	case errors.Is(err, webhook.ErrEraseUnsupported):
		return newProblem(kindNotImplemented, "the service's store or engine cannot erase on request")
	case errors.Is(err, webhook.ErrClosed):
		return newProblem(kindUnavailable, "the service is shutting down")
	case errors.Is(err, webhook.ErrQueueFull):
		return newProblem(kindUnavailable, "the webhook has as many deliveries waiting as it may; try again later")
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return newProblem(kindUnavailable, "the request ran out of time")
	}
	h.log(c.r.Context(), "manage: request failed", "tenant", c.tenantID, "method", c.r.Method, "path", c.r.URL.Path, "error", err)
	return newProblem(kindInternal, "the request failed inside the service")
}

func (h *Handler) log(ctx context.Context, msg string, args ...any) {
	if h.cfg.logger != nil {
		h.cfg.logger.Log(ctx, slog.LevelError, msg, args...)
	}
}

// unrouted answers a request no route matched: 405 with Allow when the
// path has routes for other methods, 404 otherwise.
func (h *Handler) unrouted(w http.ResponseWriter, r *http.Request) {
	var allow []string
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodDelete} {
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, pattern := h.mux.Handler(probe); pattern != "" && pattern != "/" {
			allow = append(allow, m)
		}
	}
	if len(allow) == 0 {
		newProblem(kindNotFound, "no operation of the API has the path %s", r.URL.Path).write(w, r)
		return
	}
	w.Header().Set("Allow", strings.Join(allow, ", "))
	newProblem(kindMethodNotAllowed, "%s is not allowed here; %s is", r.Method, strings.Join(allow, ", ")).write(w, r)
}
