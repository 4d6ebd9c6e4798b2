package console

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/outhook/outhook/defstore"
	"github.com/outhook/outhook/event"
	"github.com/outhook/outhook/internal/tenantrate"
	"github.com/outhook/outhook/template"
	"github.com/outhook/outhook/webhook"
)

func defstoreList(limit int) defstore.ListOptions { return defstore.ListOptions{Limit: limit} }

// testResult is what the Test button shows.
type testResult struct {
	// Sent reports that a request was sent (or its sending was tried).
	Sent       bool
	Successful bool
	Reason     string
	Invocation *webhook.Invocation
	Errors     []fieldError
}

// fragment reports whether the page's script asked for part of a page.
func fragment(r *http.Request) bool { return r.Header.Get("X-Console-Fragment") == "1" }

func (h *Handler) limited(c *request, rates *tenantrate.Rates, what string) (string, bool) {
	ok, wait := rates.Allow(c.tenant.ID(), h.cfg.now())
	if ok {
		return "", false
	}
	wait = (wait + time.Second - 1).Truncate(time.Second) // "in 0s" would be too soon
	c.w.Header().Set("Retry-After", fmt.Sprint(int(wait.Seconds())))
	return fmt.Sprintf("Too many %s; try again in %s.", what, wait), true
}

// test sends the mock event of the form's chosen trigger to the form's
// definition, saved or not, and shows the outcome: as a fragment for the
// page's script, or the whole page again without it.
func (h *Handler) test(c *request) error {
	f := readForm(c.r.PostForm)
	res := h.runTest(c, f)
	if fragment(c.r) {
		// Marks the answer as the console's own fragment: the script inserts
		// nothing else as HTML (a sign-in page a host redirected to, say).
		c.w.Header().Set("X-Console-Fragment", "1")
		h.render(c, http.StatusOK, "test-result", res)
		return nil
	}
	isNew := c.r.PostForm.Get("new") != ""
	if _, err := h.withoutTypedSecrets(c, &f); err != nil {
		return err
	}
	p := h.editPage(c, f, isNew)
	p.Test = res
	if !isNew {
		p.Title = f.Name
		p.Breaker, _ = c.tenant.Breaker(f.ID)
	}
	h.render(c, http.StatusOK, "edit", p)
	return nil
}

func (h *Handler) runTest(c *request, f form) *testResult {
	if msg, limited := h.limited(c, h.tests, "tests"); limited {
		return &testResult{Reason: msg}
	}
	w, errs := f.webhook()
	if len(errs) > 0 {
		return &testResult{Reason: "the definition has errors", Errors: errs}
	}
	e, err := h.mock(c, f.MockTrigger)
	if err != nil {
		return &testResult{Reason: err.Error()}
	}
	inv, err := c.tenant.TestDefinition(c.ctx(), w, e)
	if err != nil {
		if errs, ok := definitionErrors(err); ok {
			return &testResult{Reason: "the definition has errors", Errors: errs}
		}
		h.log(c.ctx(), "console: a test failed", "tenant", c.tenant.ID(), "error", err)
		return &testResult{Reason: "the test could not be run; the error was logged"}
	}
	return &testResult{Sent: true, Successful: inv.Outcome == webhook.Delivered, Reason: inv.Reason, Invocation: &inv}
}

// gateResult is what the Gate button shows: the decision of a gate call.
type gateResult struct {
	// Trigger is the event type whose mock the gate was called with.
	Trigger event.Trigger
	// Called reports that the webhook was asked to decide.
	Called bool
	Passed bool
	// Reason is why no call was made, or what the flow would show when
	// the gate did not pass.
	Reason     string
	Invocation *webhook.Invocation
}

// gate calls the saved webhook as an access flow calls its gate
// (Tenant.Gate), with the mock event of the form's chosen trigger, and
// shows the decision: as a fragment for the page's script, or the page
// again without it. It calls the definition as saved, not the form.
func (h *Handler) gate(c *request) error {
	id := c.r.PathValue("id")
	trigger := event.Trigger(c.r.PostForm.Get("mock_trigger"))
	res, err := h.runGate(c, id, trigger)
	if err != nil {
		return err
	}
	res.Trigger = trigger
	if fragment(c.r) {
		c.w.Header().Set("X-Console-Fragment", "1")
		h.render(c, http.StatusOK, "gate-result", res)
		return nil
	}
	return h.editSaved(c, id, res)
}

func (h *Handler) runGate(c *request, id string, trigger event.Trigger) (*gateResult, error) {
	// Known first, so that another tenant's id, or none, is a 404 whether
	// or not the rate or the trigger would refuse the call.
	if _, err := c.tenant.Get(c.ctx(), id); err != nil {
		return nil, err
	}
	if msg, limited := h.limited(c, h.tests, "tests"); limited {
		return &gateResult{Reason: msg}, nil
	}
	e, err := h.mock(c, trigger)
	if err != nil {
		return &gateResult{Reason: err.Error()}, nil
	}
	// The mock is the form's choice, of any trigger: it may not route the
	// webhook's stored secrets to another path (see webhook.CallerEvent).
	d, err := c.tenant.Gate(c.ctx(), id, e, webhook.CallerEvent())
	if err != nil {
		if errors.Is(err, webhook.ErrNotFound) {
			return nil, err
		}
		if errs, ok := definitionErrors(err); ok {
			// Field names and rules only, never a secret's value.
			msgs := make([]string, len(errs))
			for i, fe := range errs {
				msgs[i] = fe.Field + ": " + fe.Message
			}
			return &gateResult{Reason: strings.Join(msgs, "; ")}, nil
		}
		h.log(c.ctx(), "console: a gate call failed", "tenant", c.tenant.ID(), "error", err)
		return &gateResult{Reason: "the gate could not be called; the error was logged"}, nil
	}
	return &gateResult{Called: true, Passed: d.Passed, Reason: d.Message, Invocation: &d.Invocation}, nil
}

// liveAnswer is what the editor's script reads: a preview or an
// explanation, or the errors of the form, each with its field and, in the
// template, its line and column.
type liveAnswer struct {
	OK      bool        `json:"ok"`
	Text    string      `json:"text,omitempty"`
	Matches *bool       `json:"matches,omitempty"`
	Errors  []liveError `json:"errors,omitempty"`
	Limited string      `json:"limited,omitempty"`
}

type liveError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
	Line    int    `json:"line,omitempty"`
	Column  int    `json:"column,omitempty"`
}

func liveErrors(errs []fieldError) []liveError {
	out := make([]liveError, len(errs))
	for i, e := range errs {
		out[i] = liveError(e)
	}
	return out
}

func (h *Handler) answer(c *request, a liveAnswer) error {
	b, err := json.Marshal(a)
	if err != nil {
		return err
	}
	hd := c.w.Header()
	hd.Set("Content-Type", "application/json")
	c.w.WriteHeader(http.StatusOK)
	_, _ = c.w.Write(b)
	return nil
}

// livePreview renders the form's body template over the chosen mock
// event.
func (h *Handler) livePreview(c *request) error {
	if msg, limited := h.limited(c, h.previews, "checks"); limited {
		return h.answer(c, liveAnswer{Limited: msg})
	}
	f := readForm(c.r.PostForm)
	e, err := h.mock(c, f.MockTrigger)
	if err != nil {
		return h.answer(c, liveAnswer{Errors: []liveError{{Field: "mock_trigger", Message: err.Error()}}})
	}
	body, err := c.tenant.Preview(f.BodyTemplate, e)
	if err != nil {
		var te *template.Error
		if errors.As(err, &te) {
			return h.answer(c, liveAnswer{Errors: []liveError{{Field: "body_template", Message: te.Msg, Line: te.Line, Column: te.Column}}})
		}
		return h.answer(c, liveAnswer{Errors: []liveError{{Field: "body_template", Message: err.Error()}}})
	}
	return h.answer(c, liveAnswer{OK: true, Text: body})
}

// liveExplain says whether the chosen mock event passes the form's
// filter, and if not, which clause left it out and why.
func (h *Handler) liveExplain(c *request) error {
	if msg, limited := h.limited(c, h.previews, "checks"); limited {
		return h.answer(c, liveAnswer{Limited: msg})
	}
	f := readForm(c.r.PostForm)
	flt, errs := f.filter()
	if len(errs) > 0 {
		return h.answer(c, liveAnswer{Errors: liveErrors(errs)})
	}
	e, err := h.mock(c, f.MockTrigger)
	if err != nil {
		return h.answer(c, liveAnswer{Errors: []liveError{{Field: "mock_trigger", Message: err.Error()}}})
	}
	matches := true
	text := "No filter: every event of the chosen triggers is sent."
	if flt != nil {
		if m := flt.Explain(e.Document()); m != nil {
			matches, text = false, "This event would not be sent: "+m.String()
		} else {
			text = "This event would be sent: it passes every filter."
		}
	}
	return h.answer(c, liveAnswer{OK: true, Matches: &matches, Text: text})
}

// liveValidate checks the whole form as Save would, without saving.
func (h *Handler) liveValidate(c *request) error {
	if msg, limited := h.limited(c, h.previews, "checks"); limited {
		return h.answer(c, liveAnswer{Limited: msg})
	}
	f := readForm(c.r.PostForm)
	w, errs := f.webhook()
	if len(errs) == 0 {
		if err := c.tenant.Validate(w); err != nil {
			var ok bool
			if errs, ok = definitionErrors(err); !ok {
				return err
			}
		}
	}
	return h.answer(c, liveAnswer{OK: len(errs) == 0, Errors: liveErrors(errs)})
}
