package console

import (
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"time"

	"github.com/outhook/outhook/webhook"
)

// timeLayout is how the history's filters read and show times: the
// browser's datetime-local input, in UTC.
const timeLayout = "2006-01-02T15:04"

type invocationsPage struct {
	pageData
	Query       invocationFilter
	Invocations []webhook.Invocation
	Outcomes    []webhook.Outcome
	Webhooks    []webhookChoice
	Next        string
	Unsupported bool
	Errors      []fieldError
}

type webhookChoice struct{ ID, Name string }

// invocationFilter is the history's filters as the page shows them.
type invocationFilter struct {
	Webhook, Outcome, Since, Until, Cursor string
}

// Query is the URL query of the filters, cursor left out.
func (f invocationFilter) Query() template.URL {
	v := url.Values{}
	for k, s := range map[string]string{"webhook": f.Webhook, "outcome": f.Outcome, "since": f.Since, "until": f.Until} {
		if s != "" {
			v.Set(k, s)
		}
	}
	return template.URL(v.Encode()) // encoded: safe in a URL
}

var outcomes = []webhook.Outcome{webhook.Delivered, webhook.Retrying, webhook.Failed, webhook.ValidationFailed, webhook.Filtered, webhook.Skipped}

func readFilter(q url.Values) (invocationFilter, time.Time, time.Time, []fieldError) {
	f := invocationFilter{Webhook: q.Get("webhook"), Outcome: q.Get("outcome"), Since: q.Get("since"), Until: q.Get("until"), Cursor: q.Get("cursor")}
	var errs []fieldError
	parse := func(field, s string) time.Time {
		if s == "" {
			return time.Time{}
		}
		t, err := time.Parse(timeLayout, s)
		if err != nil {
			errs = append(errs, fieldError{Field: field, Message: "give a date and time, such as 2026-12-05T09:30 (UTC)"})
		}
		return t
	}
	since, until := parse("since", f.Since), parse("until", f.Until)
	return f, since, until, errs
}

func (h *Handler) webhookChoices(c *request) ([]webhookChoice, error) {
	var out []webhookChoice
	page, err := c.tenant.List(c.ctx(), defstoreList(webhook.MaxPageLimit))
	if err != nil {
		return nil, err
	}
	for _, w := range page.Webhooks {
		out = append(out, webhookChoice{ID: w.ID, Name: w.Name})
	}
	return out, nil
}

func (h *Handler) invocations(c *request) error {
	f, since, until, errs := readFilter(c.r.URL.Query())
	p := invocationsPage{pageData: pageData{Title: "Invocations", Base: c.base, Nav: "invocations"}, Query: f, Outcomes: outcomes, Errors: errs}
	var err error
	if p.Webhooks, err = h.webhookChoices(c); err != nil {
		return err
	}
	if len(errs) == 0 {
		page, err := c.tenant.Invocations(c.ctx(), webhook.InvocationQuery{
			WebhookID: f.Webhook, Outcome: webhook.Outcome(f.Outcome), Since: since, Until: until,
			Cursor: f.Cursor, Limit: h.cfg.pageSize,
		})
		ok, err := pageRead(err, &p.Unsupported, &p.Errors)
		if err != nil {
			return err
		}
		if ok {
			p.Invocations, p.Next = page.Invocations, page.Next
		}
	}
	h.render(c, http.StatusOK, "invocations", p)
	return nil
}

// pageRead sorts the error of a records query: a store that cannot query
// sets unsupported, a query it refuses is one of errs, with its field;
// anything else is returned. ok reports that the page was read.
func pageRead(err error, unsupported *bool, errs *[]fieldError) (ok bool, _ error) {
	var qe *webhook.QueryError
	switch {
	case errors.Is(err, webhook.ErrQueryUnsupported):
		*unsupported = true
	case errors.As(err, &qe):
		*errs = append(*errs, fieldError{Field: qe.Field, Message: qe.Error()})
	case err != nil:
		return false, err
	default:
		return true, nil
	}
	return false, nil
}

type deadLettersPage struct {
	pageData
	Query       invocationFilter
	DeadLetters []webhook.DeadLetter
	Outcomes    []webhook.Outcome // none: a dead letter's outcome is not filtered on
	Webhooks    []webhookChoice
	Next        string
	Unsupported bool
	Errors      []fieldError
	Recovered   *webhook.Recovered
}

func (h *Handler) deadLetters(c *request) error {
	f, since, until, errs := readFilter(c.r.URL.Query())
	p := deadLettersPage{pageData: pageData{Title: "Dead letters", Base: c.base, Nav: "dead-letters", Notice: notice(c.r)}, Query: f, Errors: errs}
	var err error
	if p.Webhooks, err = h.webhookChoices(c); err != nil {
		return err
	}
	if len(errs) == 0 {
		page, err := c.tenant.DeadLetters(c.ctx(), webhook.DeadLetterQuery{
			WebhookID: f.Webhook, Since: since, Until: until, Cursor: f.Cursor, Limit: h.cfg.pageSize,
		})
		ok, err := pageRead(err, &p.Unsupported, &p.Errors)
		if err != nil {
			return err
		}
		if ok {
			p.DeadLetters, p.Next = page.DeadLetters, page.Next
		}
	}
	h.render(c, http.StatusOK, "dead-letters", p)
	return nil
}

func (h *Handler) redeliver(c *request) error {
	id := c.r.PostForm.Get("delivery_id")
	if id == "" {
		return badInput("no dead letter was chosen")
	}
	if err := c.tenant.Redeliver(c.ctx(), id); err != nil {
		if errors.Is(err, webhook.ErrNotFound) {
			return notFoundError{"dead letter"}
		}
		return err
	}
	c.redirect(back(c, "/dead-letters") + sep(back(c, "/dead-letters")) + "done=redelivered")
	return nil
}

func (h *Handler) recoverSince(c *request) error {
	id := c.r.PathValue("id")
	since, err := time.Parse(timeLayout, c.r.PostForm.Get("since"))
	if err != nil {
		return badInput("give the time from which to redeliver, such as 2026-12-05T09:30 (UTC)")
	}
	p := deadLettersPage{pageData: pageData{Title: "Dead letters", Base: c.base, Nav: "dead-letters"}, Query: invocationFilter{Webhook: id}}
	rec, err := c.tenant.Recover(c.ctx(), id, since)
	switch {
	case errors.Is(err, webhook.ErrQueryUnsupported):
		// Nothing was redelivered: the page says the store cannot list them.
	case err != nil:
		return err
	default:
		p.Recovered = &rec
	}
	if p.Webhooks, err = h.webhookChoices(c); err != nil {
		return err
	}
	page, err := c.tenant.DeadLetters(c.ctx(), webhook.DeadLetterQuery{WebhookID: id, Limit: h.cfg.pageSize})
	switch {
	case errors.Is(err, webhook.ErrQueryUnsupported):
		p.Unsupported = true
	case err != nil:
		return err
	default:
		p.DeadLetters, p.Next = page.DeadLetters, page.Next
	}
	h.render(c, http.StatusOK, "dead-letters", p)
	return nil
}

func sep(u string) string {
	for i := 0; i < len(u); i++ {
		if u[i] == '?' {
			return "&"
		}
	}
	return "?"
}
