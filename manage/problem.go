package manage

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/outhook/outhook/template"
	"github.com/outhook/outhook/webhook"
)

// ProblemBase prefixes the type URI of every problem document the Handler
// writes: ProblemBase + "definition-invalid", and so on. The URIs are
// stable, for clients to branch on; the document's Problem schema lists
// them all.
const ProblemBase = "https://outhook.dev/problems/"

// kind is one type of problem: its URI's last segment, its title (the same
// for every problem of the type, as RFC 9457 asks) and its status.
type kind struct {
	slug   string
	title  string
	status int
}

var (
	kindUnauthenticated     = kind{"unauthenticated", "Authentication required", http.StatusUnauthorized}
	kindForbidden           = kind{"forbidden", "Forbidden", http.StatusForbidden}
	kindCrossOrigin         = kind{"cross-origin", "Cross-origin request refused", http.StatusForbidden}
	kindNotFound            = kind{"not-found", "Not found", http.StatusNotFound}
	kindMethodNotAllowed    = kind{"method-not-allowed", "Method not allowed", http.StatusMethodNotAllowed}
	kindMalformedJSON       = kind{"malformed-json", "Malformed JSON", http.StatusBadRequest}
	kindInvalidRequest      = kind{"invalid-request", "Invalid request", http.StatusBadRequest}
	kindBodyTooLarge        = kind{"body-too-large", "Request body too large", http.StatusRequestEntityTooLarge}
	kindUnsupportedMedia    = kind{"unsupported-media-type", "Unsupported media type", http.StatusUnsupportedMediaType}
	kindDefinitionInvalid   = kind{"definition-invalid", "Invalid webhook definition", http.StatusUnprocessableEntity}
	kindTemplateInvalid     = kind{"template-invalid", "Invalid body template", http.StatusUnprocessableEntity}
	kindEventInvalid        = kind{"event-invalid", "Invalid event", http.StatusUnprocessableEntity}
	kindVersionConflict     = kind{"version-conflict", "Version conflict", http.StatusPreconditionFailed}
	kindNameTaken           = kind{"name-taken", "Name already used", http.StatusConflict}
	kindIDTaken             = kind{"id-taken", "Id already used", http.StatusConflict}
	kindLimitReached        = kind{"limit-reached", "Webhook limit reached", http.StatusConflict}
	kindPreconditionMissing = kind{"precondition-required", "If-Match required", http.StatusPreconditionRequired}
	kindRateLimited         = kind{"rate-limited", "Too many requests", http.StatusTooManyRequests}
	kindInternal            = kind{"internal-error", "Internal error", http.StatusInternalServerError}
	kindUnavailable         = kind{"unavailable", "Service unavailable", http.StatusServiceUnavailable}
	kindNotImplemented      = kind{"not-implemented", "Not implemented", http.StatusNotImplemented}
)

// FieldError is one problem with a request, where it is: the member of the
// body or the parameter at fault and, inside a template or a JSON body,
// the line and column.
type FieldError struct {
	Field   string `json:"field,omitempty"`
	Line    int    `json:"line,omitempty"`
	Column  int    `json:"column,omitempty"`
	Message string `json:"message"`
}

// problem is an RFC 9457 problem document, and the error a route returns
// to answer with one.
type problem struct {
	kind   kind
	detail string
	errors []FieldError
	// currentVersion is set for a version conflict; -1 leaves it out.
	currentVersion int64
	retryAfter     time.Duration
}

func newProblem(k kind, format string, args ...any) *problem {
	return &problem{kind: k, detail: fmt.Sprintf(format, args...), currentVersion: -1}
}

func (p *problem) Error() string { return p.kind.slug + ": " + p.detail }

// Problem is the problem document (RFC 9457) of every error the Handler
// answers with, as application/problem+json, for clients written in Go to
// decode.
type Problem struct {
	// Type is ProblemBase followed by the problem's name, such as
	// "definition-invalid"; stable, to branch on.
	Type string `json:"type"`
	// Title is the same for every problem of a Type.
	Title  string `json:"title"`
	Status int    `json:"status"`
	// Detail says what went wrong this time.
	Detail string `json:"detail,omitempty"`
	// Instance is the request's path as the Handler saw it, as a URI
	// reference: percent-encoded, as requested.
	Instance string `json:"instance,omitempty"`
	// Errors lists each problem found in a definition, a template, an
	// event or a request.
	Errors []FieldError `json:"errors,omitempty"`
	// CurrentVersion is, for a version conflict, the webhook's version
	// now: 0 when it was deleted.
	CurrentVersion *int64 `json:"current_version,omitempty"`
}

func (p *Problem) Error() string {
	if p.Detail == "" {
		return fmt.Sprintf("%s (%d)", p.Title, p.Status)
	}
	return fmt.Sprintf("%s (%d): %s", p.Title, p.Status, p.Detail)
}

func (p *problem) write(w http.ResponseWriter, r *http.Request) {
	body := Problem{Type: ProblemBase + p.kind.slug, Title: p.kind.title, Status: p.kind.status, Detail: p.detail, Instance: r.URL.EscapedPath(), Errors: p.errors}
	if p.currentVersion >= 0 {
		body.CurrentVersion = &p.currentVersion
	}
	if p.retryAfter > 0 {
		w.Header().Set("Retry-After", strconv.FormatInt(int64((p.retryAfter+time.Second-1)/time.Second), 10))
	}
	writeJSON(w, "application/problem+json", p.kind.status, body)
}

// writeJSON answers with v as JSON. Answers are never cached: they are a
// tenant's, and may change at any moment.
func writeJSON(w http.ResponseWriter, contentType string, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		// Only values of this package are written; none fails to encode.
		b, status, contentType = []byte(`{"type":"`+ProblemBase+kindInternal.slug+`","title":"`+kindInternal.title+`","status":500}`), http.StatusInternalServerError, "application/problem+json"
	}
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}

// fieldProblem is an invalid-request problem with one field at fault.
func fieldProblem(field, msg string) *problem {
	p := newProblem(kindInvalidRequest, "%s", msg)
	p.errors = []FieldError{{Field: field, Message: msg}}
	return p
}

func notFound(what, id string) *problem {
	return newProblem(kindNotFound, "the tenant has no %s %q", what, id)
}

// fieldErrors lists a definition's problems as FieldErrors, the first
// maxFieldErrors of them: a definition may have one per element of a long
// list, and the answer would be many times the request.
func fieldErrors(defs webhook.DefinitionErrors) []FieldError {
	out := make([]FieldError, min(len(defs), maxFieldErrors))
	for i := range out {
		e := defs[i]
		out[i] = FieldError{Field: e.Field, Line: e.Line, Column: e.Column, Message: e.Err.Error()}
	}
	return out
}

// definitionProblem is the problem of a definition the Dispatcher refused:
// 409 when every problem is a name or an id that another webhook of the
// tenant has (id-taken when the id is, as a create sent twice finds it),
// 422 otherwise.
func definitionProblem(defs webhook.DefinitionErrors) *problem {
	k := kindDefinitionInvalid
	switch {
	case all(defs, webhook.ErrDuplicateName):
		k = kindNameTaken
	case all(defs, webhook.ErrDuplicateID, webhook.ErrDuplicateName):
		k = kindIDTaken
	}
	p := newProblem(k, "%s", defs[0].Error())
	if len(defs) > 1 {
		p.detail = fmt.Sprintf("%d problems with the definition, the first: %s", len(defs), defs[0].Error())
	}
	p.errors = fieldErrors(defs)
	return p
}

// all reports whether each of defs is one of targets.
func all(defs webhook.DefinitionErrors, targets ...error) bool {
	for _, e := range defs {
		if !slices.ContainsFunc(targets, func(t error) bool { return errors.Is(e, t) }) {
			return false
		}
	}
	return len(defs) > 0
}

// templateProblem is the problem of a template that does not compile or
// render, each position in errors.
func templateProblem(err error) error {
	var list template.ErrorList
	var one *template.Error
	switch {
	case errors.As(err, &list):
	case errors.As(err, &one):
		list = template.ErrorList{one}
	default:
		return err
	}
	p := newProblem(kindTemplateInvalid, "%s", list[0].Error())
	if len(list) > 1 {
		p.detail = fmt.Sprintf("%d problems with the template, the first: %s", len(list), list[0].Error())
	}
	for _, te := range list[:min(len(list), maxFieldErrors)] {
		p.errors = append(p.errors, FieldError{Field: "body_template", Line: te.Line, Column: te.Column, Message: te.Msg})
	}
	return p
}
