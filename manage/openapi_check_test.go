package manage

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/pb33f/jsonschema/v6"
	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"
	vconfig "github.com/pb33f/libopenapi-validator/config"
	liberrors "github.com/pb33f/libopenapi-validator/errors"
	"github.com/pb33f/libopenapi-validator/schema_validation"
	"github.com/pb33f/libopenapi/datamodel/high/base"

	"github.com/outhook/outhook/webhook"
)

// Every Handler the tests make (the Example's included) is wrapped by
// docCheck, which validates each request and each response against the
// OpenAPI document with libopenapi-validator. A violation is recorded, and
// the response carries it in the X-Openapi-Violation header, so that
// the test's client fails at once (see CheckedClient); TestMain fails the
// run on any violation that no client looked at.

// ExpectInvalid, as a request header, says the test sends a request that
// the document does not allow, on purpose (a body with an unknown member,
// say): the check then requires the request to be invalid, and still
// validates the response against the operation's responses.
const ExpectInvalid = "X-Test-Expect-Invalid-Request"

const violationHeader = "X-Openapi-Violation"

type docCheck struct {
	v       validator.Validator
	problem *base.Schema
	schemas schema_validation.SchemaValidator

	mu         sync.Mutex
	violations []string
}

var check = sync.OnceValue(func() *docCheck {
	doc, err := libopenapi.NewDocument(document)
	if err != nil {
		panic(err)
	}
	v, errs := validator.NewValidator(doc, vconfig.WithFormatAssertions())
	if errs != nil {
		panic(fmt.Sprint(errs))
	}
	model, err := doc.BuildV3Model()
	if err != nil {
		panic(err)
	}
	problem := model.Model.Components.Schemas.GetOrZero("Problem").Schema()
	return &docCheck{v: v, problem: problem, schemas: schema_validation.NewSchemaValidator(vconfig.WithFormatAssertions())}
})

func TestMain(m *testing.M) {
	wrapForTest = check().wrap
	code := m.Run()
	if v := check().all(); len(v) > 0 && code == 0 {
		fmt.Fprintf(os.Stderr, "OpenAPI violations:\n%s\n", strings.Join(v, "\n"))
		code = 1
	}
	os.Exit(code)
}

func (dc *docCheck) all() []string {
	dc.mu.Lock()
	defer dc.mu.Unlock()
	return append([]string(nil), dc.violations...)
}

func (dc *docCheck) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		invalid := r.Header.Get(ExpectInvalid) != ""
		r.Header.Del(ExpectInvalid)
		var body []byte
		if r.Body != nil {
			body, _ = io.ReadAll(r.Body)
			r.Body = io.NopCloser(bytes.NewReader(body))
		}
		vreq := r.Clone(r.Context())
		vreq.Body = io.NopCloser(bytes.NewReader(body))
		reqOK, reqErrs := dc.v.ValidateHttpRequestSync(vreq)

		rec := httptest.NewRecorder()
		next.ServeHTTP(rec, r)
		resp := rec.Result()
		respBody := rec.Body.Bytes()

		var problems []string
		switch {
		case unrouted(reqErrs):
			// Not an operation of the document: only a problem of the
			// catch-all may answer it.
			if s := resp.StatusCode; s != http.StatusNotFound && s != http.StatusMethodNotAllowed {
				problems = append(problems, fmt.Sprintf("an undocumented route answered %d", s))
			}
			if ct := resp.Header.Get("Content-Type"); ct != "application/problem+json" {
				problems = append(problems, "an undocumented route answered "+ct)
			}
			if ok, errs := dc.schemas.ValidateSchemaBytes(dc.problem, respBody); !ok {
				problems = append(problems, describe("problem", errs)...)
			}
		default:
			if invalid && reqOK {
				problems = append(problems, "the request was sent as invalid, but the document allows it")
			}
			if !invalid && !reqOK {
				problems = append(problems, describe("request", reqErrs)...)
			}
			vreq := r.Clone(r.Context())
			vreq.Body = io.NopCloser(bytes.NewReader(body))
			resp.Body = io.NopCloser(bytes.NewReader(respBody))
			if ok, errs := dc.v.ValidateHttpResponse(vreq, resp); !ok {
				problems = append(problems, describe("response", errs)...)
			}
		}
		if len(problems) > 0 {
			msg := fmt.Sprintf("%s %s -> %d: %s", r.Method, r.URL.RequestURI(), resp.StatusCode, strings.Join(problems, "; "))
			dc.mu.Lock()
			dc.violations = append(dc.violations, msg)
			dc.mu.Unlock()
			w.Header().Set(violationHeader, strings.NewReplacer("\n", " ", "\r", " ").Replace(msg))
		}
		for k, vs := range rec.Header() {
			w.Header()[k] = vs
		}
		w.WriteHeader(rec.Code)
		_, _ = w.Write(respBody)
	})
}

func unrouted(errs []*liberrors.ValidationError) bool {
	for _, e := range errs {
		if e.IsPathMissingError() || e.IsOperationMissingError() {
			return true
		}
	}
	return false
}

func describe(what string, errs []*liberrors.ValidationError) []string {
	var out []string
	for _, e := range errs {
		s := what + ": " + e.Message
		if e.Reason != "" {
			s += " (" + e.Reason + ")"
		}
		for _, f := range e.SchemaValidationErrors {
			s += fmt.Sprintf(" [%s %s: %s]", f.FieldPath, f.KeywordLocation, f.Reason)
		}
		out = append(out, s)
	}
	return out
}

// CheckedClient is srv's client, but every response must have passed the
// document's check: a violation fails t at once.
func CheckedClient(t testing.TB, srv *httptest.Server) *http.Client {
	c := *srv.Client()
	c.Transport = checkedTransport{t: t, next: c.Transport}
	return &c
}

type checkedTransport struct {
	t    testing.TB
	next http.RoundTripper
}

func (c checkedTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := c.next.RoundTrip(r)
	if err == nil {
		if v := resp.Header.Get(violationHeader); v != "" {
			c.t.Errorf("OpenAPI violation: %s", v)
		}
	}
	return resp, err
}

// TestDocumentIsValid checks the document against the OpenAPI 3.1
// specification's schema, and each of its schemas against JSON Schema
// 2020-12, which the former does not look into.
func TestDocumentIsValid(t *testing.T) {
	ok, errs := check().v.ValidateDocument()
	if !ok {
		t.Fatalf("the document is not valid OpenAPI 3.1: %v", describe("document", errs))
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(document))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	const url = "file:///openapi.json"
	if err := c.AddResource(url, doc); err != nil {
		t.Fatal(err)
	}
	var parsed struct {
		Components struct {
			Schemas map[string]any `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(document, &parsed); err != nil {
		t.Fatal(err)
	}
	if len(parsed.Components.Schemas) == 0 {
		t.Fatal("no schemas found")
	}
	for name := range parsed.Components.Schemas {
		if _, err := c.Compile(url + "#/components/schemas/" + name); err != nil {
			t.Errorf("schema %s: %v", name, err)
		}
	}
}

// TestEveryOperationIsServedAndEveryRouteDocumented compares the document's
// operations with the Handler's routes, both ways, and asks the Handler's
// mux which pattern each operation's path reaches.
func TestEveryOperationIsServedAndEveryRouteDocumented(t *testing.T) {
	var parsed struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(document, &parsed); err != nil {
		t.Fatal(err)
	}
	documented := map[string]bool{}
	for path, item := range parsed.Paths {
		for method := range item {
			switch method {
			case "get", "put", "post", "delete", "patch", "head", "options", "trace":
				documented[strings.ToUpper(method)+" "+path] = true
			}
		}
	}
	served := map[string]bool{}
	for _, rt := range routes {
		served[rt.method+" "+rt.path] = true
	}
	for op := range documented {
		if !served[op] {
			t.Errorf("%s is documented but not served", op)
		}
	}
	for op := range served {
		if !documented[op] {
			t.Errorf("%s is served but not documented", op)
		}
	}

	h, err := New(&webhook.Dispatcher{}, func(*http.Request) (string, string, error) { return "", "", nil })
	if err != nil {
		t.Fatal(err)
	}
	fill := strings.NewReplacer("{id}", "some-id", "{trigger}", "RequestCreated", "{delivery_id}", "some-delivery")
	for op := range documented {
		method, path, _ := strings.Cut(op, " ")
		r := httptest.NewRequest(method, fill.Replace(path), nil)
		if _, pattern := h.mux.Handler(r); pattern != op {
			t.Errorf("%s %s reaches %q", method, fill.Replace(path), pattern)
		}
	}
}
