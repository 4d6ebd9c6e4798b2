package console

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/outhook/outhook/defstore"
	"github.com/outhook/outhook/event"
	"github.com/outhook/outhook/internal/redact"
	"github.com/outhook/outhook/webhook"
)

type listPage struct {
	pageData
	Webhooks []webhookRow
	Next     string // cursor of the next page
	Cursor   string // cursor of this page, "" for the first
}

type webhookRow struct {
	ID, Name string
	Version  int64
	Active   bool
	Triggers []event.Trigger
	Host     string
	// Summary is nil when the store keeps none.
	Summary *webhook.Summary
}

// Day is the summary's window of 24 hours, the success rate the table
// shows.
func (r webhookRow) Day() webhook.WindowSummary { return r.Summary.Windows[len(r.Summary.Windows)-1] }

// percent shows a success rate.
func percent(rate float64) string {
	return strings.TrimSuffix(fmt.Sprintf("%.1f", 100*rate), ".0") + "%"
}

func (h *Handler) list(c *request) error {
	cursor := c.r.URL.Query().Get("cursor")
	page, err := c.tenant.List(c.ctx(), defstore.ListOptions{After: cursor, Limit: h.cfg.pageSize})
	if errors.Is(err, webhook.ErrInvalidCursor) || errors.Is(err, defstore.ErrInvalidCursor) {
		return badInput("the page asked for does not exist; start from the first page")
	}
	if err != nil {
		return err
	}
	data := listPage{pageData: pageData{Title: "Webhooks", Base: c.base, Nav: "webhooks", Notice: notice(c.r)}, Next: page.Next, Cursor: cursor}
	ids := make([]string, len(page.Webhooks))
	for i, w := range page.Webhooks {
		ids[i] = w.ID
		data.Webhooks = append(data.Webhooks, webhookRow{ID: w.ID, Name: w.Name, Version: w.Version, Active: w.Active, Triggers: w.Triggers, Host: host(w.URL)})
	}
	if err := h.summaries(c, data.Webhooks, ids); err != nil {
		return err
	}
	h.render(c, http.StatusOK, "list", data)
	return nil
}

// summaries reads the rows' summaries, in one call of the store. A
// webhook this instance has not loaded yet (another wrote it since its
// last sync) fails that call: the rows are then read one by one, and its
// own goes without. A store that keeps no summary leaves them all
// without.
func (h *Handler) summaries(c *request, rows []webhookRow, ids []string) error {
	list, err := c.tenant.Summaries(c.ctx(), ids)
	switch {
	case errors.Is(err, webhook.ErrSummaryUnsupported):
		return nil
	case errors.Is(err, webhook.ErrNotFound):
		for i := range rows {
			s, err := c.tenant.Summary(c.ctx(), ids[i])
			if errors.Is(err, webhook.ErrNotFound) {
				continue
			}
			if err != nil {
				return err
			}
			rows[i].Summary = &s
		}
		return nil
	case err != nil:
		return err
	}
	for i := range rows {
		rows[i].Summary = &list[i]
	}
	return nil
}

func host(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	return u.Host
}

// notice is the message a redirect after a change carries.
func notice(r *http.Request) string {
	switch r.URL.Query().Get("done") {
	case "created":
		return "The webhook was saved."
	case "updated":
		return "The webhook was updated."
	case "deleted":
		return "The webhook was deleted."
	case "activated":
		return "The webhook is active."
	case "deactivated":
		return "The webhook is inactive."
	case "reset":
		return "The breaker was reset: deliveries go again."
	case "redelivered":
		return "The dead letter was queued again."
	case "recovered":
		return "The dead letters were queued again."
	}
	return ""
}

// editPage is the Add Webhook and edit page.
type editPage struct {
	pageData
	Form form
	New  bool
	Kind kindView
	// Kinds, when set, are the kinds a new webhook may be of: the page
	// asks which.
	Kinds []kindView
	// Actions are the service's actions a webhook may run instead of
	// sending a request.
	Actions    []string
	Errors     []fieldError
	EventTypes []eventTypeView
	Dimensions []dimension
	Operators  []string
	Methods    []string
	Breaker    webhook.BreakerState
	// Summary is the webhook's, nil when the store keeps none.
	Summary *webhook.Summary
	Test    *testResult
	Gate    *gateResult
	// SecretsAgain says secrets typed into the form were not sent back,
	// and must be typed again.
	SecretsAgain bool
}

type eventTypeView struct {
	Trigger  event.Trigger
	Selected bool
	Fields   []event.SchemaField
	HasMock  bool
}

// FieldErrors lists the messages about field (and the fields under it).
func (p editPage) FieldErrors(field string) []fieldError {
	var out []fieldError
	for _, e := range p.Errors {
		if e.Field == field || hasFieldPrefix(e.Field, field) {
			out = append(out, e)
		}
	}
	return out
}

func hasFieldPrefix(f, prefix string) bool {
	return len(f) > len(prefix) && f[:len(prefix)] == prefix && (f[len(prefix)] == '.' || f[len(prefix)] == '[')
}

func (h *Handler) editPage(c *request, f form, isNew bool) editPage {
	types := c.tenant.EventTypes()
	kind, ok := kindBySlug(types, f.Kind)
	if !ok {
		kind = kindOfTriggers(types, f.Triggers)
	}
	p := editPage{
		pageData:  pageData{Title: "Edit webhook", Base: c.base, Nav: "webhooks", Notice: notice(c.r)},
		Form:      f,
		New:       isNew,
		Kind:      kind,
		Operators: operators,
		Methods:   methods,
	}
	p.Form.Kind = kind.Slug
	p.Actions = c.tenant.Actions()
	if f.Action != "" && !slices.Contains(p.Actions, f.Action) {
		p.Actions = append(p.Actions, f.Action) // unknown here: kept, and refused with its field
	}
	switch ds, ok := conditionDimensions[kind.Name]; {
	case ok:
		p.Form.liftConditions(ds)
		p.Dimensions = ds
	case kind.Name == accessRequests || len(f.Filters) > 0 || f.Approval != "":
		p.Dimensions = dimensions // rows a form has are kept, whatever its kind
	}
	if isNew {
		p.Title = "Add Webhook"
	}
	// The kind's event types, and any other the webhook has, so that a
	// form sent back keeps every trigger.
	var offered []webhook.EventType
	for _, et := range types {
		selected := slices.Contains(f.Triggers, et.Trigger)
		if et.Kind != kind.Name && !selected {
			continue
		}
		offered = append(offered, et)
		v := eventTypeView{Trigger: et.Trigger, Selected: selected, HasMock: et.Mock != nil}
		if et.Schema != nil {
			v.Fields = et.Schema.Fields()
		}
		p.EventTypes = append(p.EventTypes, v)
	}
	if p.Form.MockTrigger == "" {
		p.Form.MockTrigger = defaultMock(offered, f.Triggers)
	}
	return p
}

// defaultMock is the first of triggers with a mock event, else the first
// of types with one.
func defaultMock(types []webhook.EventType, triggers []event.Trigger) event.Trigger {
	for _, t := range triggers {
		for _, et := range types {
			if et.Trigger == t && et.Mock != nil {
				return t
			}
		}
	}
	for _, et := range types {
		if et.Mock != nil {
			return et.Trigger
		}
	}
	return ""
}

func (h *Handler) mock(c *request, t event.Trigger) (*event.Event, error) {
	for _, et := range c.tenant.EventTypes() {
		if et.Trigger == t && et.Mock != nil {
			return et.Mock, nil
		}
	}
	if t == "" {
		return nil, badInput("choose the event type whose mock event to use")
	}
	return nil, badInput("event type %q has no mock event", string(t))
}

func (h *Handler) newWebhook(c *request) error {
	// Inactive until its author turns it on, as the guide's Status toggle
	// expects: a half-made webhook receives no events.
	f := form{Method: "POST"}
	types := c.tenant.EventTypes()
	k, ok := kindBySlug(types, c.r.URL.Query().Get("kind"))
	if !ok {
		p := editPage{pageData: pageData{Title: "Add Webhook", Base: c.base, Nav: "webhooks"}, New: true, Kinds: kinds(types)}
		h.render(c, http.StatusOK, "edit", p)
		return nil
	}
	f.Kind = k.Slug
	p := h.editPage(c, f, true)
	h.render(c, http.StatusOK, "edit", p)
	return nil
}

func (h *Handler) edit(c *request) error {
	return h.editSaved(c, c.r.PathValue("id"), nil)
}

// editSaved shows the saved webhook id, with a gate call's decision when
// there is one.
func (h *Handler) editSaved(c *request, id string, gate *gateResult) error {
	w, err := c.tenant.Get(c.ctx(), id)
	if err != nil {
		return err
	}
	f := formOf(w)
	if gate != nil {
		f.MockTrigger = gate.Trigger // the page shows the mock the gate was called with
	}
	p := h.editPage(c, f, false)
	p.Title = w.Name
	p.Gate = gate
	p.Breaker, err = c.tenant.Breaker(w.ID)
	if err != nil {
		return err
	}
	switch s, err := c.tenant.Summary(c.ctx(), w.ID); {
	case err == nil:
		p.Summary = &s
	case !errors.Is(err, webhook.ErrSummaryUnsupported):
		return err
	}
	h.render(c, http.StatusOK, "edit", p)
	return nil
}

func (h *Handler) create(c *request) error {
	f := readForm(c.r.PostForm)
	f.Version = 0
	w, errs := f.webhook()
	if len(errs) == 0 {
		created, err := c.tenant.Create(c.ctx(), w, c.actor)
		if err == nil {
			c.redirect("/?done=created#webhook-" + url.QueryEscape(created.ID))
			return nil
		}
		var ok bool
		if errs, ok = h.refused(err); !ok {
			return err
		}
	}
	return h.formRefused(c, f, errs, true)
}

func (h *Handler) update(c *request) error {
	f := readForm(c.r.PostForm)
	f.ID = c.r.PathValue("id")
	if f.Version < 1 {
		return badInput("the form has no version; load the webhook again")
	}
	w, errs := f.webhook()
	if len(errs) == 0 {
		stored, err := c.tenant.Get(c.ctx(), f.ID)
		if err != nil {
			return err
		}
		keepSpelling(&w, stored)
		_, err = c.tenant.Update(c.ctx(), w, c.actor)
		if err == nil {
			c.redirect("/?done=updated#webhook-" + url.QueryEscape(f.ID))
			return nil
		}
		var ok bool
		if errs, ok = h.refused(err); !ok {
			return err
		}
	}
	return h.formRefused(c, f, errs, false)
}

// refused turns an error of a write into the form's errors, when it is
// about the definition or a conflict.
func (h *Handler) refused(err error) ([]fieldError, bool) {
	if errs, ok := definitionErrors(err); ok {
		return errs, true
	}
	var limit *webhook.TenantLimitError
	switch {
	case errors.As(err, &limit):
		return []fieldError{{Message: err.Error()}}, true
	case errors.Is(err, webhook.ErrConflict):
		return []fieldError{{Field: "version", Message: "someone changed this webhook since the page was loaded; open it again to see their change, then make yours"}}, true
	case errors.Is(err, defstore.ErrNameTaken), errors.Is(err, defstore.ErrExists):
		return []fieldError{{Field: "name", Message: err.Error()}}, true
	}
	return nil, false
}

// formRefused shows the form again with its errors, secrets typed into it
// left out.
func (h *Handler) formRefused(c *request, f form, errs []fieldError, isNew bool) error {
	again, err := h.withoutTypedSecrets(c, &f)
	if err != nil {
		return err
	}
	p := h.editPage(c, f, isNew)
	p.Errors, p.SecretsAgain = errs, again
	if !isNew {
		p.Title = f.Name
		p.Breaker, _ = c.tenant.Breaker(f.ID)
	}
	h.render(c, http.StatusUnprocessableEntity, "edit", p)
	return nil
}

// withoutTypedSecrets blanks the secrets of f that are not the stored
// ones as masked (the values the page may show), reporting whether any
// was.
func (h *Handler) withoutTypedSecrets(c *request, f *form) (bool, error) {
	var stored webhook.Webhook
	if f.ID != "" {
		w, err := c.tenant.Get(c.ctx(), f.ID)
		switch {
		case err == nil:
			stored = w
		case !errors.Is(err, webhook.ErrNotFound) && !errors.Is(err, webhook.ErrInvalidID):
			return false, err
		}
	}
	blanked := false
	for i := range f.Headers {
		h := &f.Headers[i]
		if h.Value != "" && !slices.ContainsFunc(mapValues(stored.Headers, h.Key), func(v string) bool { return v == h.Value }) {
			h.Value, blanked = "", true
		}
	}
	for i := range f.Secrets {
		s := &f.Secrets[i]
		if shown, ok := stored.Secrets[s.Key]; s.Value != "" && (!ok || s.Value != shown) {
			s.Value, blanked = "", true
		}
	}
	if o := f.OAuth; o != nil && o.ClientSecret != "" {
		a := stored.Authentication
		if a == nil || a.OAuth == nil || a.OAuth.ClientSecret != o.ClientSecret {
			o.ClientSecret, blanked = "", true
		}
	}
	var shownTLS webhook.TLSSettings
	if stored.TLS != nil {
		shownTLS = *stored.TLS
	}
	for _, v := range []struct{ typed, shown *string }{
		{&f.TLS.ClientCertificate, &shownTLS.ClientCertificate},
		{&f.TLS.ClientKey, &shownTLS.ClientKey},
		{&f.TLS.CACertificates, &shownTLS.CACertificates},
	} {
		if *v.typed != "" && *v.typed != *v.shown {
			*v.typed, blanked = "", true
		}
	}
	kept := f.SigningSecrets[:0]
	for i, s := range f.SigningSecrets {
		if i < len(stored.SigningSecrets) && stored.SigningSecrets[i] == s {
			kept = append(kept, s)
		} else {
			blanked = true
		}
	}
	f.SigningSecrets = kept
	if f.URL != stored.URL && urlHasSecrets(f.URL, f.SecretURLPath) {
		f.URL, blanked = "", true
	}
	return blanked, nil
}

// urlHasSecrets reports whether the page would show raw masked: with a
// secret path, userinfo, query values or a fragment, or not parsing.
func urlHasSecrets(raw string, secretPath bool) bool {
	if raw == "" {
		return false
	}
	u, err := url.Parse(raw)
	return secretPath || err != nil || redact.New().URL(u).String() != u.String()
}

// mapValues is the value of header name in h, in any case.
func mapValues(h map[string]string, name string) []string {
	var out []string
	for k, v := range h {
		if http.CanonicalHeaderKey(k) == http.CanonicalHeaderKey(name) {
			out = append(out, v)
		}
	}
	return out
}

func (h *Handler) remove(c *request) error {
	version, err := strconv.ParseInt(c.r.PostForm.Get("version"), 10, 64)
	if err != nil || version < 1 {
		return badInput("the form has no version; load the webhook again")
	}
	if err := c.tenant.Delete(c.ctx(), c.r.PathValue("id"), version, c.actor); err != nil {
		return err
	}
	c.redirect("/?done=deleted")
	return nil
}

func (h *Handler) setActive(c *request) error {
	version, err := strconv.ParseInt(c.r.PostForm.Get("version"), 10, 64)
	if err != nil || version < 1 {
		return badInput("the form has no version; load the page again")
	}
	active := c.r.PostForm.Get("active") == "true"
	id := c.r.PathValue("id")
	if _, err := c.tenant.SetActive(c.ctx(), id, active, version, c.actor); err != nil {
		return err
	}
	done := "deactivated"
	if active {
		done = "activated"
	}
	c.redirect(back(c, "/?done="+done+"#webhook-"+url.QueryEscape(id)))
	return nil
}

// back is the console page a form names in its "back" field, when it is
// one, else fallback: forms on several pages send to one action. A
// browser drops tabs and newlines from a Location and reads \ as /, so
// "/\t/evil.example" is refused with "//evil.example" and "/\evil.example".
func back(c *request, fallback string) string {
	b := c.r.PostForm.Get("back")
	u, err := url.Parse(b) // refuses control characters
	if err != nil || !strings.HasPrefix(b, "/") || strings.Contains(b, `\`) ||
		u.Scheme != "" || u.Host != "" || u.User != nil || strings.HasPrefix(u.Path, "//") {
		return fallback
	}
	return b
}

func (h *Handler) resetBreaker(c *request) error {
	id := c.r.PathValue("id")
	if err := c.tenant.ResetBreakerBy(c.ctx(), id, c.actor); err != nil {
		return err
	}
	c.redirect("/webhooks/" + url.PathEscape(id) + "?done=reset")
	return nil
}
