package manage

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/outhook/outhook/accessrequest"
	"github.com/outhook/outhook/defstore"
	"github.com/outhook/outhook/event"
	"github.com/outhook/outhook/internal/tenantrate"
	"github.com/outhook/outhook/webhook"
)

// routes are the operations of the document, in its order.
var routes = []route{
	{method: http.MethodGet, path: "/openapi.json", public: true, serve: (*Handler).openAPI},
	{method: http.MethodGet, path: "/webhooks", query: []string{"cursor", "limit"}, serve: (*Handler).listWebhooks},
	{method: http.MethodPost, path: "/webhooks", serve: (*Handler).createWebhook},
	{method: http.MethodGet, path: "/webhooks/{id}", serve: (*Handler).getWebhook},
	{method: http.MethodPut, path: "/webhooks/{id}", serve: (*Handler).updateWebhook},
	{method: http.MethodDelete, path: "/webhooks/{id}", serve: (*Handler).deleteWebhook},
	{method: http.MethodPost, path: "/webhooks/{id}/activate", serve: (*Handler).activate},
	{method: http.MethodPost, path: "/webhooks/{id}/deactivate", serve: (*Handler).deactivate},
	{method: http.MethodGet, path: "/webhooks/{id}/history", query: []string{"limit"}, serve: (*Handler).history},
	{method: http.MethodPost, path: "/webhooks/{id}/test", serve: (*Handler).test},
	{method: http.MethodPost, path: "/webhooks/{id}/gate", serve: (*Handler).gate},
	{method: http.MethodGet, path: "/webhooks/{id}/breaker", serve: (*Handler).breaker},
	{method: http.MethodPost, path: "/webhooks/{id}/breaker/reset", serve: (*Handler).resetBreaker},
	{method: http.MethodGet, path: "/webhooks/{id}/summary", serve: (*Handler).summary},
	{method: http.MethodGet, path: "/summaries", query: []string{"id"}, repeated: "id", serve: (*Handler).summaries},
	{method: http.MethodPost, path: "/webhooks/{id}/recover", serve: (*Handler).recoverDeadLetters},
	{method: http.MethodPost, path: "/webhooks/{id}/dead-letters/discard", serve: (*Handler).discardDeadLetters},
	{method: http.MethodPost, path: "/validate", serve: (*Handler).validate},
	{method: http.MethodPost, path: "/test", serve: (*Handler).testDefinition},
	{method: http.MethodPost, path: "/preview", serve: (*Handler).preview},
	{method: http.MethodGet, path: "/event-types", serve: (*Handler).eventTypes},
	{method: http.MethodGet, path: "/event-types/{trigger}", serve: (*Handler).eventType},
	{method: http.MethodGet, path: "/invocations", query: []string{"webhook_id", "outcome", "since", "until", "cursor", "limit"}, serve: (*Handler).invocations},
	{method: http.MethodGet, path: "/dead-letters", query: []string{"webhook_id", "since", "until", "cursor", "limit"}, serve: (*Handler).deadLetters},
	{method: http.MethodPost, path: "/dead-letters/{delivery_id}/redeliver", serve: (*Handler).redeliver},
	{method: http.MethodPost, path: "/erasures", serve: (*Handler).erase},
	{method: http.MethodGet, path: "/erasures", query: []string{"limit"}, serve: (*Handler).erasures},
}

func (h *Handler) openAPI(c *call) error {
	hd := c.w.Header()
	hd.Set("Content-Type", "application/json")
	hd.Set("X-Content-Type-Options", "nosniff")
	_, _ = c.w.Write(document) // an error is the client's going away
	return nil
}

// Page sizes of GET /webhooks (those of invocations and dead letters are
// webhook.DefaultPageLimit and webhook.MaxPageLimit).
const (
	defaultWebhookPage = 100
	maxWebhookPage     = 1000
)

// webhookItem is a webhook as listed.
type webhookItem struct {
	webhook.Webhook
	LastInvocation *lastInvocation `json:"last_invocation,omitempty"`
}

type lastInvocation struct {
	ID         string          `json:"id"`
	DeliveryID string          `json:"delivery_id,omitempty"`
	Outcome    webhook.Outcome `json:"outcome"`
	Reason     string          `json:"reason,omitempty"`
	StartedAt  time.Time       `json:"started_at"`
}

func (h *Handler) listWebhooks(c *call) error {
	q := c.r.URL.Query()
	limit, err := limitParam(q, defaultWebhookPage, maxWebhookPage)
	if err != nil {
		return err
	}
	page, err := c.tenant.List(c.r.Context(), defstore.ListOptions{After: q.Get("cursor"), Limit: limit})
	if err != nil {
		return err
	}
	out := struct {
		Webhooks []webhookItem `json:"webhooks"`
		Next     string        `json:"next_cursor,omitempty"`
	}{Webhooks: make([]webhookItem, 0, len(page.Webhooks)), Next: page.Next}
	ids := make([]string, len(page.Webhooks))
	for i, w := range page.Webhooks {
		ids[i] = w.ID
	}
	// One query for the page's newest records where the store can (a
	// page holds up to 1000 webhooks); a store that cannot query: the
	// list goes without.
	latest, err := c.tenant.LatestInvocations(c.r.Context(), ids)
	if err != nil && !errors.Is(err, webhook.ErrQueryUnsupported) {
		return err
	}
	for i, w := range page.Webhooks {
		item := webhookItem{Webhook: w}
		if i < len(latest) && latest[i].ID != "" {
			inv := latest[i]
			item.LastInvocation = &lastInvocation{ID: inv.ID, DeliveryID: inv.DeliveryID, Outcome: inv.Outcome, Reason: inv.Reason, StartedAt: inv.StartedAt}
		}
		out.Webhooks = append(out.Webhooks, item)
	}
	writeJSON(c.w, "application/json", http.StatusOK, out)
	return nil
}

func (h *Handler) createWebhook(c *call) error {
	var w webhook.Webhook
	if err := decodeBody(c.r, c.w, h.cfg.maxBody, &w); err != nil {
		return err
	}
	switch {
	case w.Version != 0:
		return fieldProblem("version", "a new webhook has no version; leave version out")
	case w.ID == "." || w.ID == "..":
		return fieldProblem("id", fmt.Sprintf("%q cannot be a path segment", w.ID))
	}
	created, err := c.tenant.Create(c.r.Context(), w, c.actor)
	if err != nil {
		return err
	}
	c.w.Header().Set("Location", "webhooks/"+url.PathEscape(created.ID))
	writeWebhook(c, http.StatusCreated, created)
	return nil
}

func writeWebhook(c *call, status int, w webhook.Webhook) {
	c.w.Header().Set("ETag", etag(w.Version))
	writeJSON(c.w, "application/json", status, w)
}

func etag(version int64) string { return `"` + strconv.FormatInt(version, 10) + `"` }

func (h *Handler) getWebhook(c *call) error {
	w, err := c.tenant.Get(c.r.Context(), c.r.PathValue("id"))
	if err != nil {
		return err
	}
	writeWebhook(c, http.StatusOK, w)
	return nil
}

func (h *Handler) updateWebhook(c *call) error {
	version, err := ifMatch(c.r)
	if err != nil {
		return err
	}
	var w webhook.Webhook
	if err := decodeBody(c.r, c.w, h.cfg.maxBody, &w); err != nil {
		return err
	}
	id := c.r.PathValue("id")
	switch {
	case w.ID != "" && w.ID != id:
		return fieldProblem("id", fmt.Sprintf("the body's id %q is not the path's %q", w.ID, id))
	case w.Version != 0 && w.Version != version && version != defstore.AnyVersion:
		// * matches any current version (RFC 9110): the body's is what
		// was read, not a second precondition.
		return fieldProblem("version", fmt.Sprintf("the body's version %d is not If-Match's %s", w.Version, c.r.Header.Get("If-Match")))
	}
	w.ID, w.Version = id, version
	updated, err := c.tenant.Update(c.r.Context(), w, c.actor)
	if err != nil {
		return err
	}
	writeWebhook(c, http.StatusOK, updated)
	return nil
}

func (h *Handler) deleteWebhook(c *call) error {
	version, err := ifMatch(c.r)
	if err != nil {
		return err
	}
	if err := c.tenant.Delete(c.r.Context(), c.r.PathValue("id"), version, c.actor); err != nil {
		return err
	}
	c.w.Header().Set("Cache-Control", "no-store")
	c.w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *Handler) activate(c *call) error   { return h.setActive(c, true) }
func (h *Handler) deactivate(c *call) error { return h.setActive(c, false) }

func (h *Handler) setActive(c *call, active bool) error {
	version, err := ifMatch(c.r)
	if err != nil {
		return err
	}
	w, err := c.tenant.SetActive(c.r.Context(), c.r.PathValue("id"), active, version, c.actor)
	if err != nil {
		return err
	}
	writeWebhook(c, http.StatusOK, w)
	return nil
}

// ifMatch reads the version a write was given: "N" (or N), or * for any.
// A weak ETag never matches, as If-Match compares strongly, and a list is
// refused rather than read in part.
func ifMatch(r *http.Request) (int64, error) {
	values := r.Header.Values("If-Match")
	if len(values) == 0 {
		return 0, newProblem(kindPreconditionMissing, "send the ETag of the version read in If-Match, or * to apply the change whatever the version")
	}
	v := strings.TrimSpace(values[0])
	if len(values) > 1 || strings.Contains(v, ",") {
		return 0, fieldProblem("If-Match", "give one version")
	}
	if v == "*" {
		return defstore.AnyVersion, nil
	}
	digits := v
	if len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' {
		digits = v[1 : len(v)-1]
	}
	n, err := strconv.ParseInt(digits, 10, 64)
	if err != nil || n < 1 || digits[0] == '0' || strings.Trim(digits, "0123456789") != "" {
		return 0, fieldProblem("If-Match", fmt.Sprintf("%q is not the ETag of a version, such as \"3\"", v))
	}
	return n, nil
}

type revisionJSON struct {
	Version int64           `json:"version"`
	Action  defstore.Action `json:"action"`
	Actor   string          `json:"actor"`
	At      time.Time       `json:"at"`
	Name    string          `json:"name"`
}

func (h *Handler) history(c *call) error {
	limit, err := limitParam(c.r.URL.Query(), defaultWebhookPage, maxWebhookPage)
	if err != nil {
		return err
	}
	id := c.r.PathValue("id")
	revs, err := c.tenant.History(c.r.Context(), id, limit)
	if err != nil {
		return err // an id the tenant never had is not found
	}
	out := struct {
		Revisions []revisionJSON `json:"revisions"`
	}{Revisions: make([]revisionJSON, len(revs))}
	for i, r := range revs {
		out.Revisions[i] = revisionJSON{Version: r.Version, Action: r.Action, Actor: r.Actor, At: r.At, Name: r.Name}
	}
	writeJSON(c.w, "application/json", http.StatusOK, out)
	return nil
}

// eventChoice names the event to preview or test with: the mock event of
// Trigger, or Event.
type eventChoice struct {
	Trigger event.Trigger   `json:"trigger"`
	Event   json.RawMessage `json:"event"`
}

// event returns the event chosen, or nil when neither is given.
func (ec eventChoice) event(t *webhook.Tenant) (*event.Event, error) {
	switch {
	case ec.Trigger != "" && ec.Event != nil:
		return nil, fieldProblem("event", "give trigger or event, not both")
	case ec.Trigger != "":
		e, ok := mockOf(t, ec.Trigger)
		if !ok {
			p := newProblem(kindEventInvalid, "event type %q has no mock event; send an event", ec.Trigger)
			p.errors = []FieldError{{Field: "trigger", Message: p.detail}}
			return nil, p
		}
		return e, nil
	case ec.Event != nil:
		e, err := event.Parse(ec.Event)
		if err != nil {
			fe := FieldError{Field: "event", Message: err.Error()}
			var ee *event.Error
			if errors.As(err, &ee) {
				fe.Message = ee.Err.Error()
				if ee.Field != "" { // "" is the event as a whole
					fe.Field = join("event", ee.Field)
				}
			}
			p := newProblem(kindEventInvalid, "%s", err.Error())
			p.errors = []FieldError{fe}
			return nil, p
		}
		return e, nil
	}
	return nil, nil
}

// mockOf returns the mock event of trigger t (either spelling of an
// access-request trigger) among the event types the tenant's Dispatcher
// serves.
func mockOf(tenant *webhook.Tenant, t event.Trigger) (*event.Event, bool) {
	t = accessrequest.Canonical(t)
	for _, et := range tenant.EventTypes() {
		if et.Trigger == t && et.Mock != nil {
			return et.Mock, true
		}
	}
	return nil, false
}

func (h *Handler) test(c *call) error {
	if err := h.rateLimit(c, h.tests, "tests"); err != nil {
		return err
	}
	var ec eventChoice
	if err := decodeBody(c.r, c.w, h.cfg.maxBody, &ec); err != nil {
		return err
	}
	id := c.r.PathValue("id")
	e, err := ec.event(c.tenant)
	if err != nil {
		return err
	}
	if e == nil {
		w, err := c.tenant.Get(c.r.Context(), id)
		if err != nil {
			return err
		}
		for _, t := range w.Triggers {
			if m, ok := mockOf(c.tenant, t); ok {
				e = m
				break
			}
		}
		if e == nil {
			p := newProblem(kindEventInvalid, "none of the webhook's triggers has a mock event; send an event")
			p.errors = []FieldError{{Field: "event", Message: p.detail}}
			return p
		}
	}
	inv, err := c.tenant.Test(c.r.Context(), id, e)
	if err != nil {
		return err
	}
	writeJSON(c.w, "application/json", http.StatusOK, inv)
	return nil
}

type testDefinitionRequest struct {
	Webhook *webhook.Webhook `json:"webhook"`
	eventChoice
}

// testDefinition sends an event to a definition that need not be saved:
// the Test button of a form. Masked secrets are taken from the stored
// webhook of the definition's id, for its URL only.
func (h *Handler) testDefinition(c *call) error {
	if err := h.rateLimit(c, h.tests, "tests"); err != nil {
		return err
	}
	var req testDefinitionRequest
	if err := decodeBody(c.r, c.w, h.cfg.maxBody, &req); err != nil {
		return err
	}
	if req.Webhook == nil {
		return fieldProblem("webhook", "give the definition to test")
	}
	e, err := req.event(c.tenant)
	if err != nil {
		return err
	}
	if e == nil {
		for _, t := range req.Webhook.Triggers {
			if m, ok := mockOf(c.tenant, t); ok {
				e = m
				break
			}
		}
		if e == nil {
			p := newProblem(kindEventInvalid, "none of the definition's triggers has a mock event; send an event")
			p.errors = []FieldError{{Field: "event", Message: p.detail}}
			return p
		}
	}
	inv, err := c.tenant.TestDefinition(c.r.Context(), *req.Webhook, e)
	if err != nil {
		return err
	}
	writeJSON(c.w, "application/json", http.StatusOK, inv)
	return nil
}

// gate calls the webhook as a condition of a flow and answers its
// decision. The event is required: a gate decides about a real one.
func (h *Handler) gate(c *call) error {
	if err := h.rateLimit(c, h.gates, "gate calls"); err != nil {
		return err
	}
	var ec eventChoice
	if err := decodeBody(c.r, c.w, h.cfg.maxBody, &ec); err != nil {
		return err
	}
	e, err := ec.event(c.tenant)
	if err != nil {
		return err
	}
	if e == nil {
		p := newProblem(kindEventInvalid, "give the event to decide about, or a trigger for its mock event")
		p.errors = []FieldError{{Field: "event", Message: p.detail}}
		return p
	}
	// The event is the caller's: it may not route the webhook's stored
	// secrets to a path of its choosing (see webhook.CallerEvent).
	d, err := c.tenant.Gate(c.r.Context(), c.r.PathValue("id"), e, webhook.CallerEvent())
	if err != nil {
		return err
	}
	writeJSON(c.w, "application/json", http.StatusOK, d)
	return nil
}

// rateLimit takes one of the tenant's tokens from rates, or refuses.
func (h *Handler) rateLimit(c *call, rates *tenantrate.Rates, what string) error {
	ok, wait := rates.Allow(c.tenantID, h.cfg.now())
	if ok {
		return nil
	}
	p := newProblem(kindRateLimited, "too many %s; try again in %s", what, wait.Round(time.Second))
	p.retryAfter = wait
	return p
}

type breakerJSON struct {
	State webhook.BreakerState `json:"state"`
}

func (h *Handler) breaker(c *call) error {
	s, err := c.tenant.Breaker(c.r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(c.w, "application/json", http.StatusOK, breakerJSON{s})
	return nil
}

func (h *Handler) summary(c *call) error {
	s, err := c.tenant.Summary(c.r.Context(), c.r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(c.w, "application/json", http.StatusOK, s)
	return nil
}

// maxSummaries bounds the webhooks of one GET /summaries: a page of the
// console's table.
const maxSummaries = 100

func (h *Handler) summaries(c *call) error {
	ids := c.r.URL.Query()["id"]
	switch {
	case len(ids) == 0:
		return fieldProblem("id", "give the webhooks' ids, as id=…&id=…")
	case len(ids) > maxSummaries:
		return fieldProblem("id", fmt.Sprintf("at most %d ids, not %d", maxSummaries, len(ids)))
	}
	list, err := c.tenant.Summaries(c.r.Context(), ids)
	if err != nil {
		return err
	}
	writeJSON(c.w, "application/json", http.StatusOK, struct {
		Summaries []webhook.Summary `json:"summaries"`
	}{list})
	return nil
}

func (h *Handler) resetBreaker(c *call) error {
	id := c.r.PathValue("id")
	if err := c.tenant.ResetBreakerBy(c.r.Context(), id, c.actor); err != nil {
		return err
	}
	return h.breaker(c)
}

func (h *Handler) validate(c *call) error {
	var w webhook.Webhook
	if err := decodeBody(c.r, c.w, h.cfg.maxBody, &w); err != nil {
		return err
	}
	out := struct {
		Valid  bool         `json:"valid"`
		Errors []FieldError `json:"errors"`
	}{Valid: true, Errors: []FieldError{}}
	if err := c.tenant.Validate(w); err != nil {
		var defs webhook.DefinitionErrors
		if !errors.As(err, &defs) {
			return err
		}
		out.Valid, out.Errors = false, fieldErrors(defs)
	}
	writeJSON(c.w, "application/json", http.StatusOK, out)
	return nil
}

type previewRequest struct {
	BodyTemplate string `json:"body_template"`
	eventChoice
}

func (h *Handler) preview(c *call) error {
	if err := h.rateLimit(c, h.previews, "previews"); err != nil {
		return err
	}
	var req previewRequest
	if err := decodeBody(c.r, c.w, h.cfg.maxBody, &req); err != nil {
		return err
	}
	e, err := req.event(c.tenant)
	if err != nil {
		return err
	}
	if e == nil {
		return fieldProblem("trigger", "give trigger or event")
	}
	body, err := c.tenant.Preview(req.BodyTemplate, e)
	if err != nil {
		return templateProblem(err)
	}
	writeJSON(c.w, "application/json", http.StatusOK, struct {
		Body  string       `json:"body"`
		Event *event.Event `json:"event"`
	}{body, e})
	return nil
}

type eventTypeJSON struct {
	Trigger event.Trigger  `json:"trigger"`
	Schema  json.Marshaler `json:"schema"`
	Mock    *event.Event   `json:"mock,omitempty"`
}

// noFields is the schema of an event type declared without one.
type noFields struct{}

func (noFields) MarshalJSON() ([]byte, error) { return []byte(`{"fields":[]}`), nil }

func eventTypeOf(et webhook.EventType) eventTypeJSON {
	out := eventTypeJSON{Trigger: et.Trigger, Schema: noFields{}, Mock: et.Mock}
	if et.Schema != nil {
		out.Schema = et.Schema
	}
	return out
}

func (h *Handler) eventTypes(c *call) error {
	types := c.tenant.EventTypes()
	out := struct {
		EventTypes []eventTypeJSON `json:"event_types"`
	}{EventTypes: make([]eventTypeJSON, len(types))}
	for i, et := range types {
		out.EventTypes[i] = eventTypeOf(et)
	}
	writeJSON(c.w, "application/json", http.StatusOK, out)
	return nil
}

func (h *Handler) eventType(c *call) error {
	want := accessrequest.Canonical(event.Trigger(c.r.PathValue("trigger")))
	for _, et := range c.tenant.EventTypes() {
		if et.Trigger == want {
			writeJSON(c.w, "application/json", http.StatusOK, eventTypeOf(et))
			return nil
		}
	}
	return notFound("event type", string(want))
}

func (h *Handler) redeliver(c *call) error {
	id := c.r.PathValue("delivery_id")
	if err := c.tenant.Redeliver(c.r.Context(), id); err != nil {
		return err
	}
	writeJSON(c.w, "application/json", http.StatusAccepted, struct {
		DeliveryID string `json:"delivery_id"`
	}{id})
	return nil
}

func (h *Handler) invocations(c *call) error {
	q := c.r.URL.Query()
	limit, since, until, err := recordsPage(q)
	if err != nil {
		return err
	}
	page, err := c.tenant.Invocations(c.r.Context(), webhook.InvocationQuery{
		WebhookID: q.Get("webhook_id"), Outcome: webhook.Outcome(q.Get("outcome")),
		Since: since, Until: until, Cursor: q.Get("cursor"), Limit: limit,
	})
	if err != nil {
		return err
	}
	invs := page.Invocations
	if invs == nil {
		invs = []webhook.Invocation{}
	}
	writeJSON(c.w, "application/json", http.StatusOK, struct {
		Invocations []webhook.Invocation `json:"invocations"`
		Next        string               `json:"next_cursor,omitempty"`
	}{invs, page.Next})
	return nil
}

func (h *Handler) deadLetters(c *call) error {
	q := c.r.URL.Query()
	limit, since, until, err := recordsPage(q)
	if err != nil {
		return err
	}
	page, err := c.tenant.DeadLetters(c.r.Context(), webhook.DeadLetterQuery{
		WebhookID: q.Get("webhook_id"), Since: since, Until: until, Cursor: q.Get("cursor"), Limit: limit,
	})
	if err != nil {
		return err
	}
	dls := page.DeadLetters
	if dls == nil {
		dls = []webhook.DeadLetter{}
	}
	writeJSON(c.w, "application/json", http.StatusOK, struct {
		DeadLetters []webhook.DeadLetter `json:"dead_letters"`
		Next        string               `json:"next_cursor,omitempty"`
	}{dls, page.Next})
	return nil
}

type recoverRequest struct {
	Since time.Time `json:"since"`
	// Until bounds the range (exclusive); zero is none.
	Until time.Time `json:"until"`
}

func (h *Handler) recoverDeadLetters(c *call) error {
	var req recoverRequest
	if err := decodeBody(c.r, c.w, h.cfg.maxBody, &req); err != nil {
		return err
	}
	if req.Since.IsZero() {
		return fieldProblem("since", "since is required: the time from which to redeliver")
	}
	id := c.r.PathValue("id")
	out, err := c.tenant.RedeliverDeadLetters(c.r.Context(), id, req.Since, req.Until)
	for _, f := range out.Failed {
		h.log(c.r.Context(), "manage: a dead letter was not redelivered", "tenant", c.tenantID, "webhook", id, "error", f)
	}
	if err != nil && out.Redelivered == 0 {
		return err
	}
	if err != nil {
		h.log(c.r.Context(), "manage: recovery stopped", "tenant", c.tenantID, "webhook", id, "error", err)
	}
	writeJSON(c.w, "application/json", http.StatusAccepted, struct {
		Redelivered int  `json:"redelivered"`
		Failed      int  `json:"failed"`
		Complete    bool `json:"complete"`
	}{out.Redelivered, len(out.Failed), err == nil})
	return nil
}

type discardRequest struct {
	Since time.Time `json:"since"`
	Until time.Time `json:"until"`
}

func (h *Handler) discardDeadLetters(c *call) error {
	var req discardRequest
	if err := decodeBody(c.r, c.w, h.cfg.maxBody, &req); err != nil {
		return err
	}
	n, err := c.tenant.DiscardDeadLetters(c.r.Context(), c.r.PathValue("id"), req.Since, req.Until)
	if err != nil && n == 0 {
		return err
	}
	if err != nil {
		h.log(c.r.Context(), "manage: discarding stopped", "tenant", c.tenantID, "webhook", c.r.PathValue("id"), "error", err)
	}
	writeJSON(c.w, "application/json", http.StatusOK, struct {
		Discarded int  `json:"discarded"`
		Complete  bool `json:"complete"`
	}{n, err == nil})
	return nil
}

func (h *Handler) erase(c *call) error {
	var sel webhook.EraseSelector
	if err := decodeBody(c.r, c.w, h.cfg.maxBody, &sel); err != nil {
		return err
	}
	er, err := c.tenant.Erase(c.r.Context(), sel, c.actor)
	if err != nil {
		return err
	}
	writeJSON(c.w, "application/json", http.StatusOK, er)
	return nil
}

func (h *Handler) erasures(c *call) error {
	limit, err := limitParam(c.r.URL.Query(), webhook.DefaultPageLimit, webhook.MaxPageLimit)
	if err != nil {
		return err
	}
	list, err := c.tenant.Erasures(c.r.Context(), limit)
	if err != nil {
		return err
	}
	if list == nil {
		list = []webhook.Erasure{}
	}
	writeJSON(c.w, "application/json", http.StatusOK, struct {
		Erasures []webhook.Erasure `json:"erasures"`
	}{list})
	return nil
}

// recordsPage reads what every page of records or dead letters takes: its
// limit and its time range.
func recordsPage(q url.Values) (limit int, since, until time.Time, err error) {
	if limit, err = limitParam(q, webhook.DefaultPageLimit, webhook.MaxPageLimit); err != nil {
		return 0, time.Time{}, time.Time{}, err
	}
	since, until, err = timeRange(q)
	return limit, since, until, err
}

// timeRange reads the since and until query parameters, RFC 3339 times.
func timeRange(q url.Values) (since, until time.Time, err error) {
	for _, p := range []struct {
		name string
		to   *time.Time
	}{{"since", &since}, {"until", &until}} {
		s := q.Get(p.name)
		if s == "" {
			continue
		}
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return time.Time{}, time.Time{}, fieldProblem(p.name, fmt.Sprintf("%s must be an RFC 3339 time such as 2026-03-10T09:00:00Z, not %q", p.name, s))
		}
		*p.to = t
	}
	return since, until, nil
}

// limitParam reads the limit query parameter: def when absent, and 1 to
// max.
func limitParam(q url.Values, def, max int) (int, error) {
	s := q.Get("limit")
	if s == "" {
		return def, nil
	}
	digits, ok := integerDigits(s) // 1e2 and 100.0 are integers, as the document's schema reads them
	n, err := strconv.Atoi(digits)
	if !ok || err != nil || n < 1 || n > max {
		return 0, fieldProblem("limit", fmt.Sprintf("limit must be 1 to %d, not %q", max, s))
	}
	return n, nil
}
