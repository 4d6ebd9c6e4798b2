package webhook

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/outhook/outhook/accessrequest"
	"github.com/outhook/outhook/defstore"
	"github.com/outhook/outhook/engine"
	"github.com/outhook/outhook/event"
	"github.com/outhook/outhook/internal/bodysecrets"
	"github.com/outhook/outhook/internal/ratelimit"
	"github.com/outhook/outhook/internal/redact"
	"github.com/outhook/outhook/keyring"
	"github.com/outhook/outhook/operational"
	"github.com/outhook/outhook/template"
)

// Tenant is one tenant's view of a Dispatcher: its webhooks, its events,
// its records. Nothing reached through it belongs to another tenant; an
// id of another tenant's webhook or delivery is not found. The
// single-tenant service's methods of the Dispatcher (Add, Publish …)
// are Tenant("")'s.
//
// Every write takes the actor to record as its author, and is stored in
// the Dispatcher's definition store, which every instance following it
// loads (see WithDefinitionStore). Webhooks read through a Tenant have
// their secrets masked, as records show them: they are for a tenant's
// admins to see. A Tenant is a small value; make one per request.
type Tenant struct {
	d  *Dispatcher
	id string
}

// Tenant returns the view of the tenant id, which the host chooses (an
// account or organization id): any UTF-8 of at most 256 bytes without
// control characters. Calls through a Tenant with another id fail with
// an error wrapping ErrInvalidTenant.
func (d *Dispatcher) Tenant(id string) *Tenant { return &Tenant{d: d, id: id} }

// ID returns the tenant's id.
func (t *Tenant) ID() string { return t.id }

// ErrConflict is what a *defstore.ConflictError is: an update or deletion
// given a version other than the webhook's current one.
var ErrConflict = defstore.ErrConflict

// Create checks w, stores it as the tenant's with actor as its author,
// and returns it as stored (ID and Version set, secrets masked). Errors
// are as Add's, and a *TenantLimitError when the tenant has as many
// webhooks as its limits allow. A secret given as the mask the tenant's
// reads show (a header, a body secret, a segment or query value of the
// URL, the OAuth client secret, that is exactly "REDACTED")
// has nothing to keep: it is a *DefinitionError, in a DefinitionErrors,
// wrapping ErrSecretRequired, rather than the mask stored as the secret.
func (t *Tenant) Create(ctx context.Context, w Webhook, actor string) (Webhook, error) {
	added, err := t.d.create(ctx, t.id, []Webhook{w}, actor)
	if err != nil {
		return Webhook{}, err
	}
	return added[0].redacted(), nil
}

// Update replaces the tenant's webhook w.ID by w, if it is still at
// w.Version (zero: whatever version), and returns it as stored, secrets
// masked. Secrets are write-only, so w may leave them as Get showed
// them: a nil Headers keeps every header, a header whose value is the
// masked one keeps its value, a nil Secrets keeps every body secret, a
// body secret whose value is the masked one keeps its value (another name
// is a new secret, and a name left out is dropped), a nil SigningSecrets
// keeps them all, a signing secret given masked keeps the one at its position, and a URL
// given masked keeps the URL (as secret as it was: SecretURLPath may not
// be turned off for it), a nil Authentication keeps it, and an OAuth
// client secret given masked keeps it while the token endpoint's URL
// stays the same (else a *DefinitionError wrapping ErrSecretRequired).
// Secrets are kept only while the URL stays the same: a webhook given another URL must be given its secrets again, or
// none, and each it is not given is a *DefinitionError, in a
// DefinitionErrors, wrapping ErrSecretRequired. A conflict is a
// *defstore.ConflictError (errors.Is(err, ErrConflict)); an unknown id
// wraps ErrNotFound. A mask that keeps nothing (a header or a body
// secret of another name, a URL that is not the one shown) is refused as
// Create refuses it.
// What is kept is what the webhook holds when the update is written,
// never a secret another writer replaced meanwhile: at whatever version,
// an update overtaken by another reads the webhook again, up to five
// times.
func (t *Tenant) Update(ctx context.Context, w Webhook, actor string) (Webhook, error) {
	return t.rewrite(ctx, w.ID, w.Version, actor, func(old Webhook) (Webhook, error) {
		kept, err := keepSecrets(w, old)
		if err != nil {
			return Webhook{}, err
		}
		if errs := maskedLeft(kept, old); errs != nil {
			return Webhook{}, errs
		}
		return kept, nil
	})
}

// SetActive switches the tenant's webhook id on or off, if it is still at
// version (zero: whatever version, as Update writes at it), and returns
// it as stored.
func (t *Tenant) SetActive(ctx context.Context, id string, active bool, version int64, actor string) (Webhook, error) {
	return t.rewrite(ctx, id, version, actor, func(old Webhook) (Webhook, error) {
		old.Active = active
		return old, nil
	})
}

// rewriteTries bounds how often a write at any version reads the webhook
// again after another writer moved it.
const rewriteTries = 5

// rewrite stores change(the tenant's webhook id as stored) over it, if it
// is still at version (zero: whatever version). The write is made at the
// version change read, so that what change took from it (its secrets
// above all) is what it replaces; at any version, a write that another
// overtook reads the webhook again.
func (t *Tenant) rewrite(ctx context.Context, id string, version int64, actor string, change func(old Webhook) (Webhook, error)) (Webhook, error) {
	for try := 1; ; try++ {
		old, err := t.full(ctx, id)
		if err != nil {
			return Webhook{}, err
		}
		if version != defstore.AnyVersion && old.Version != version {
			return Webhook{}, &defstore.ConflictError{Tenant: t.id, ID: id, Expected: version, Current: old.Version}
		}
		w, err := change(old)
		if err != nil {
			return Webhook{}, err
		}
		w.ID, w.Version = id, old.Version
		updated, err := t.d.update(ctx, t.id, w, actor)
		if version == defstore.AnyVersion && errors.Is(err, ErrConflict) && try < rewriteTries {
			continue
		}
		if err != nil {
			return Webhook{}, err
		}
		return updated.redacted(), nil
	}
}

// Delete deletes the tenant's webhook id, if it is still at version
// (zero: whatever version); see Dispatcher.Remove for its deliveries.
func (t *Tenant) Delete(ctx context.Context, id string, version int64, actor string) error {
	return t.d.remove(ctx, t.id, id, version, actor)
}

// full reads the tenant's webhook id from the store, secrets included,
// for a write to build on.
func (t *Tenant) full(ctx context.Context, id string) (Webhook, error) {
	rec, err := t.record(ctx, id)
	if err != nil {
		return Webhook{}, err
	}
	return t.d.openDefinition(rec)
}

func (t *Tenant) record(ctx context.Context, id string) (defstore.Record, error) {
	if err := checkTenant(t.id); err != nil {
		return defstore.Record{}, err
	}
	if !validID(id) {
		return defstore.Record{}, fmt.Errorf("webhook %q: %w", id, ErrNotFound)
	}
	rec, err := t.d.defs.Get(ctx, t.id, id)
	if err != nil {
		return defstore.Record{}, t.d.storeError(t.id, Webhook{ID: id}, 0, err)
	}
	return rec, nil
}

// Get returns the tenant's webhook id as stored, secrets masked.
func (t *Tenant) Get(ctx context.Context, id string) (Webhook, error) {
	rec, err := t.record(ctx, id)
	if err != nil {
		return Webhook{}, err
	}
	return masked(rec)
}

// WebhookPage is a page of a tenant's webhooks.
type WebhookPage struct {
	Webhooks []Webhook
	// Next is the cursor of the next page (ListOptions.After), "" after
	// the last.
	Next string
}

// List returns a page of the tenant's webhooks in id order, secrets
// masked. A cursor (opts.After) that is no cursor of the store's, or not
// text, gives a *QueryError for the field "cursor", wrapping
// ErrInvalidCursor.
func (t *Tenant) List(ctx context.Context, opts defstore.ListOptions) (WebhookPage, error) {
	if err := checkTenant(t.id); err != nil {
		return WebhookPage{}, err
	}
	badCursor := func(why string) error {
		return &QueryError{Field: "cursor", Err: fmt.Errorf("%w: %s", ErrInvalidCursor, why)}
	}
	if !utf8.ValidString(opts.After) || strings.ContainsFunc(opts.After, unicode.IsControl) {
		return WebhookPage{}, badCursor("not text") // which no store is asked about
	}
	page, err := t.d.defs.List(ctx, t.id, opts)
	if errors.Is(err, defstore.ErrInvalidCursor) {
		return WebhookPage{}, badCursor("not a cursor of the list")
	}
	if err != nil {
		return WebhookPage{}, fmt.Errorf("webhook: listing the definitions: %w", err)
	}
	out := WebhookPage{Webhooks: make([]Webhook, 0, len(page.Records)), Next: page.Next}
	for _, rec := range page.Records {
		w, err := masked(rec)
		if err != nil {
			return WebhookPage{}, err
		}
		out.Webhooks = append(out.Webhooks, w)
	}
	return out, nil
}

// History returns the changes of the tenant's webhook id, newest first,
// at most limit (zero: 100): who made each and when; a deleted webhook's
// too, while the store keeps them. An id the tenant never had (another
// tenant's included) wraps ErrNotFound, as Get's does.
func (t *Tenant) History(ctx context.Context, id string, limit int) ([]defstore.Revision, error) {
	if err := checkTenant(t.id); err != nil {
		return nil, err
	}
	if !validID(id) {
		return nil, fmt.Errorf("webhook %q: %w", id, ErrNotFound)
	}
	revs, err := t.d.defs.History(ctx, t.id, id, limit)
	if err != nil {
		return nil, fmt.Errorf("webhook: reading the history of %q: %w", id, err)
	}
	if len(revs) == 0 {
		// Every webhook stored has a revision at least: an empty list
		// would set an id of another tenant's apart from none.
		return nil, fmt.Errorf("webhook %q: %w", id, ErrNotFound)
	}
	return revs, nil
}

// Validate checks w as Create would, without storing it: nil, or a
// DefinitionErrors listing every problem with its field (and line and
// column for the body template). A secret given as the mask is refused
// as Create refuses it, wrapping ErrSecretRequired, unless w.ID is a
// webhook of the tenant's this Dispatcher holds: then w is an edit,
// whose masks Update keeps and checks against the stored secrets.
func (t *Tenant) Validate(w Webhook) error {
	if err := checkTenant(t.id); err != nil {
		return err
	}
	edit := w.ID != "" && t.d.holds(t.id, w.ID)
	if w.ID == "" {
		w.ID = "validate"
	}
	if !validID(w.ID) {
		return DefinitionErrors{{Webhook: w.Name, Field: "id", Err: fmt.Errorf("%w: %q", ErrInvalidID, w.ID)}}
	}
	var errs DefinitionErrors
	if !edit {
		errs = maskedLeft(w, Webhook{})
	}
	if _, bad := t.d.compile(w); bad != nil {
		errs = append(errs, bad...)
	}
	if errs != nil {
		return errs
	}
	return nil
}

// Preview renders bodyTemplate over e as a delivery would render it, or
// returns the template's error (a *template.Error with its line and
// column); an empty or blank template gives the event's own JSON. Each body
// secret the template names (secrets.<name>) shows as REDACTED where a
// delivery would send it, and what a helper makes of its stand-in as a
// delivery sends it (see Webhook.Secrets); then a member of e named
// secrets is hidden, as a webhook with body secrets hides it. A nil
// event, or the zero Event, is an error wrapping ErrNoEvent.
func (t *Tenant) Preview(bodyTemplate string, e *event.Event) (string, error) {
	if err := checkEvent("Preview", e); err != nil {
		return "", err
	}
	if strings.TrimSpace(bodyTemplate) == "" { // as a definition's is read
		return string(e.JSON()), nil
	}
	opts := append(t.d.cfg.templateOptions[:len(t.d.cfg.templateOptions):len(t.d.cfg.templateOptions)],
		template.WithName("body_template"), template.WithMode(template.JSON))
	tmpl, err := template.Parse(bodyTemplate, opts...)
	if err != nil {
		return "", err
	}
	out, err := bodysecrets.Shown(tmpl, redact.Redacted).Render(tmpl, e.Document())
	if err != nil {
		return "", err
	}
	return string(out), nil
}

// Test sends e to the tenant's webhook id once, at once, active or not,
// and returns the invocation, as Dispatcher.TestEvent does. The mock
// event of a trigger (EventType.Mock) is what Apono's Test button
// sends.
//
// e is the caller's: when the webhook's URL is templated over the event
// and holds secrets, e must render the URL that the mock event of one of
// the webhook's triggers renders, the one its secrets were stored for;
// else nothing is sent and the error is a *DefinitionError for the field
// "url", in a DefinitionErrors, wrapping ErrSecretRequired (see
// CallerEvent). To test another path, test the definition with its
// secrets given (TestDefinition). A nil event, or the zero Event, is an
// error wrapping ErrNoEvent.
func (t *Tenant) Test(ctx context.Context, id string, e *event.Event) (Invocation, error) {
	// Counted in before the store is read, which after Close may be
	// closed too (test counts the send in again).
	if !t.d.enter() {
		return Invocation{}, ErrClosed
	}
	defer t.d.leave()
	w, err := t.full(ctx, id)
	if err != nil {
		return Invocation{}, err
	}
	return t.test(ctx, w, e, storedSecretFields(w), w.Triggers)
}

// TestDefinition sends e once to w, stored or not: the Test button of a
// form not saved yet. When w.ID is a webhook of the tenant's, secrets
// left masked are taken from it, as Update takes them, and for its URL
// only; and then, as for Test, e must render the URL the stored
// webhook's mock events render. Secrets given in w go wherever e takes
// w's URL. A mask with no stored secret behind it (no stored webhook of
// w.ID, or a header or body secret it does not have) is refused as
// Create and Update refuse it, and nothing is sent: a test never sends
// the mask as the secret.
func (t *Tenant) TestDefinition(ctx context.Context, w Webhook, e *event.Event) (Invocation, error) {
	if !t.d.enter() { // as Test does, before the store is read
		return Invocation{}, ErrClosed
	}
	defer t.d.leave()
	var stored []string
	var triggers []event.Trigger
	var old Webhook
	if w.ID != "" {
		var err error
		old, err = t.full(ctx, w.ID)
		switch {
		case err == nil:
			if w, stored, err = keptSecrets(w, old); err != nil {
				return Invocation{}, err
			}
			// The stored webhook's triggers: the caller does not choose
			// the mock event that decides where its secrets may go.
			triggers = old.Triggers
		case errors.Is(err, ErrNotFound):
			old = Webhook{}
		default:
			return Invocation{}, err
		}
	}
	if errs := maskedLeft(w, old); errs != nil {
		return Invocation{}, errs
	}
	return t.test(ctx, w, e, stored, triggers)
}

// test sends e to w, whose stored secrets are those of the fields stored,
// which go only where the mock events of triggers take them.
func (t *Tenant) test(ctx context.Context, w Webhook, e *event.Event, stored []string, triggers []event.Trigger) (Invocation, error) {
	if err := checkEvent("Test", e); err != nil {
		return Invocation{}, err
	}
	if !t.d.enter() {
		return Invocation{}, ErrClosed
	}
	defer t.d.leave()
	if w.ID == "" {
		w.ID = "test"
	}
	h, errs := t.d.compile(w)
	if errs != nil {
		return Invocation{}, errs
	}
	defer closeIdle(h) // its own transport, if any, serves this attempt only
	h.tenant = t.id
	if err := t.d.checkCallerEvent(h, e, stored, triggers); err != nil {
		return Invocation{}, err
	}
	return t.d.test(ctx, h, e)
}

// storedSecretFields lists the fields of w, as stored, that hold secrets.
func storedSecretFields(w Webhook) []string {
	_, stored, err := keptSecrets(w.redacted(), w)
	if err != nil {
		// Cannot be, w being the webhook shown; counted as secret, to be safe.
		return []string{"url"}
	}
	return stored
}

// checkCallerEvent refuses to send h's stored secrets (those of the
// fields stored) with a caller's event e whose URL is not the one the
// mock event of one of triggers renders. A secret is stored for a URL
// (see keepSecrets); a URL templated over the event is many, and a
// caller who chooses the event would choose among them: another
// customer's path on a host that serves every customer, such as another
// webhook id on hooks.torq.io, and be sent the stored header there. The
// mock events of triggers are the host's, so the URL they render is the
// one the secrets' author saw tested.
func (d *Dispatcher) checkCallerEvent(h *hook, e *event.Event, stored []string, triggers []event.Trigger) error {
	if len(stored) == 0 || h.target == nil || h.target.parts == nil {
		return nil
	}
	// No shortcut for a mock event as such: a caller may pick the mock
	// of any trigger, and another trigger's renders another request's path.
	red, u := h.redactorOf(), h.parsedURL()
	got, err := h.target.render(e, red, u)
	if err != nil {
		return nil // nothing is sent, and the invocation says why
	}
	for _, tr := range triggers {
		mock := d.cfg.mocks[accessrequest.Canonical(tr)]
		if mock == nil {
			continue
		}
		if want, err := h.target.render(mock, red, u); err == nil && want.url.String() == got.url.String() {
			return nil
		}
	}
	slices.Sort(stored)
	return DefinitionErrors{{Webhook: h.def.Name, Field: "url", Err: fmt.Errorf(
		"%w: the URL rendered over this event is not the one the mock event of the webhook's triggers renders, and its stored secrets (%s) are sent to that one only; use the mock event, or give the secrets in the definition",
		ErrSecretRequired, strings.Join(stored, ", "))}}
}

// Publish is Dispatcher.Publish for the tenant: e reaches the tenant's
// webhooks only.
func (t *Tenant) Publish(ctx context.Context, e *event.Event) (Published, error) {
	if err := checkTenant(t.id); err != nil {
		return Published{}, err
	}
	return t.d.publish(ctx, t.id, nil, e)
}

// PublishTx is Dispatcher.PublishTx for the tenant.
func (t *Tenant) PublishTx(ctx context.Context, tx engine.Tx, e *event.Event) (Published, error) {
	if err := checkTenant(t.id); err != nil {
		return Published{}, err
	}
	return t.d.publishTx(ctx, t.id, tx, e)
}

// Redeliver is Dispatcher.Redeliver of one of the tenant's dead letters;
// another tenant's is not found.
func (t *Tenant) Redeliver(ctx context.Context, deliveryID string) error {
	if err := checkTenant(t.id); err != nil {
		return err
	}
	return t.d.redeliver(ctx, t.id, deliveryID)
}

// ErrQueryUnsupported is returned by the Tenant's queries of records when
// the Dispatcher's InvocationStore is not a QueryStore.
var ErrQueryUnsupported = errors.New("webhook: the invocation store cannot query records (it is not a QueryStore)")

// Invocations returns a page of the tenant's invocation records, newest
// first (see InvocationQuery). A query the store refuses gives a
// *QueryError.
func (t *Tenant) Invocations(ctx context.Context, q InvocationQuery) (InvocationPage, error) {
	qs, err := t.queries()
	if err != nil {
		return InvocationPage{}, err
	}
	return qs.QueryInvocations(ctx, t.id, q)
}

// DeadLetters returns a page of the tenant's dead letters, newest first.
func (t *Tenant) DeadLetters(ctx context.Context, q DeadLetterQuery) (DeadLetterPage, error) {
	qs, err := t.queries()
	if err != nil {
		return DeadLetterPage{}, err
	}
	return qs.QueryDeadLetters(ctx, t.id, q)
}

// LatestInvocations returns the newest record of each of the tenant's
// webhooks ids, in the order of ids: the zero Invocation (empty ID) for
// one with none. A LatestStore reads them in one query; another
// QueryStore, webhook by webhook. A store that cannot query gives
// ErrQueryUnsupported.
func (t *Tenant) LatestInvocations(ctx context.Context, ids []string) ([]Invocation, error) {
	qs, err := t.queries()
	if err != nil {
		return nil, err
	}
	if ls, ok := qs.(LatestStore); ok {
		out, err := ls.LatestInvocations(ctx, t.id, ids)
		if err == nil && len(out) != len(ids) {
			err = fmt.Errorf("webhook: the store returned %d newest records for %d webhooks", len(out), len(ids))
		}
		if err != nil {
			return nil, err
		}
		return out, nil
	}
	out := make([]Invocation, len(ids))
	for i, id := range ids {
		p, err := qs.QueryInvocations(ctx, t.id, InvocationQuery{WebhookID: id, Limit: 1})
		if err != nil {
			return nil, err
		}
		if len(p.Invocations) > 0 {
			out[i] = p.Invocations[0]
		}
	}
	return out, nil
}

func (t *Tenant) queries() (QueryStore, error) {
	if err := checkTenant(t.id); err != nil {
		return nil, err
	}
	qs, ok := t.d.store.(QueryStore)
	if !ok {
		return nil, ErrQueryUnsupported
	}
	return qs, nil
}

// Recovered says what Recover did.
type Recovered struct {
	// Redelivered counts the dead letters queued again.
	Redelivered int
	// Failed lists the dead letters that could not be, with why; they
	// stay dead letters.
	Failed []error
}

// Recover redelivers every dead letter of the tenant's webhook id that
// failed at or after since, oldest last, a page at a time, as Redeliver
// does each. Several instances may recover at once: each dead letter is
// taken once, and one another took first is passed over. It stops at the
// first error of the store, or when ctx ends, returning what it did.
// After Close it returns ErrClosed, as RedeliverDeadLetters does.
func (t *Tenant) Recover(ctx context.Context, webhookID string, since time.Time) (Recovered, error) {
	return t.redeliverRange(ctx, webhookID, since, time.Time{})
}

// Breaker returns the state of the circuit breaker of the tenant's
// webhook id, as this instance sees it: each instance keeps its own. A
// webhook this instance has not loaded yet is looked for in the
// definition store first, as Get finds it there. One whose stored
// definition does not compile on this instance has no breaker here:
// BreakerDisabled, as Summaries says.
func (t *Tenant) Breaker(id string) (BreakerState, error) {
	ctx, cancel := context.WithTimeout(t.d.life, wakeTimeout)
	defer cancel()
	t.d.catchUp(ctx, t.id, id)
	if !validID(id) || checkTenant(t.id) != nil {
		return "", fmt.Errorf("webhook %q: %w", id, ErrNotFound)
	}
	h, loaded, _, _ := t.d.lookup(queueKey(t.id, id))
	switch {
	case h == nil && loaded > 0:
		return BreakerDisabled, nil // stored, and not compiled here
	case h == nil:
		return "", fmt.Errorf("webhook %q: %w", id, ErrNotFound)
	case h.breaker == nil:
		return BreakerDisabled, nil
	}
	return BreakerState(h.breaker.State().String()), nil
}

// ResetBreaker is Dispatcher.ResetBreaker for the tenant's webhook id.
func (t *Tenant) ResetBreaker(id string) error {
	return t.ResetBreakerBy(context.Background(), id, "")
}

// ResetBreakerBy is ResetBreaker on behalf of actor, whom a store that
// records resets (defstore.Resetter) names as the reset revision's author
// and the definition's UpdatedBy, as Update does; ctx bounds it too. A
// webhook this instance has not loaded yet is looked for in the
// definition store first.
func (t *Tenant) ResetBreakerBy(ctx context.Context, id, actor string) error {
	if err := checkTenant(t.id); err != nil {
		return err
	}
	return t.d.resetBreaker(ctx, t.id, id, actor)
}

// EventType is an event type a Dispatcher serves: its trigger, the schema
// of its payload ("View payload schema") and its mock event (the Test
// button's).
type EventType struct {
	Trigger event.Trigger
	Schema  *event.Schema
	// Mock is nil for an event type without a built-in mock event.
	Mock *event.Event
	// Kind is the name of the event.Kind that serves the trigger, such
	// as "access request" or "integration", so that a user interface can
	// group triggers; empty for one declared alone with WithEventType.
	Kind string
}

// EventTypes returns the event types webhooks may subscribe to, in
// trigger order.
func (t *Tenant) EventTypes() []EventType {
	out := make([]EventType, 0, len(t.d.cfg.schemas))
	for _, tr := range sortedTriggers(t.d.cfg.schemas) {
		et := EventType{Trigger: tr, Schema: t.d.cfg.schemas[tr]}
		et.Mock, et.Kind = t.d.cfg.mocks[tr], t.d.cfg.kinds[tr]
		out = append(out, et)
	}
	return out
}

// holds reports whether this instance has loaded the tenant's webhook id.
func (d *Dispatcher) holds(tenant, id string) bool {
	if !validID(id) {
		return false
	}
	d.mu.RLock()
	defer d.mu.RUnlock()
	_, known := d.byKey[queueKey(tenant, id)]
	return known
}

// catchUp has this instance read the definition store's changes now when
// it has not loaded the tenant's webhook id and the store has it: one
// created on another instance a moment ago, which the follower has not
// read yet (its notification lost, or still on its way). Every operation
// on a webhook that Get finds in the store then finds it too, on any
// instance. A webhook this instance knows costs nothing, and one the
// store does not have a read of it.
func (d *Dispatcher) catchUp(ctx context.Context, tenant, id string) {
	if !validID(id) || checkTenant(tenant) != nil {
		return
	}
	d.mu.RLock()
	_, known := d.byKey[queueKey(tenant, id)]
	d.mu.RUnlock()
	if known {
		return
	}
	if _, err := d.defs.Get(ctx, tenant, id); err != nil {
		return // not stored (or the store failed): not found, as before
	}
	_ = d.syncNow(ctx) // a failed read leaves it not found, as before
}

func sortedTriggers(m map[event.Trigger]*event.Schema) []event.Trigger {
	ts := make([]event.Trigger, 0, len(m))
	for t := range m {
		ts = append(ts, t)
	}
	slices.Sort(ts)
	return ts
}

// keepSecrets gives w the secrets of old that w leaves masked or omits
// (see Tenant.Update), as long as w's URL and action are old's. A secret is sent (a
// header, a body secret, the URL's credentials) or signs what is sent (a signing secret)
// to the URL it was given for only: were it kept for another, whoever
// may edit the webhook could point it at an endpoint of theirs and be
// sent the stored Authorization header. Another path is no safer than
// another host, since hosts such as hooks.zapier.com or webhook.site
// serve every customer, each on a path, and show them the headers. So
// each secret that would be kept for another URL is a DefinitionError
// wrapping ErrSecretRequired, naming its field. So is a URL sent back
// masked with SecretURLPath turned off, which would show the stored path
// from then on.
func keepSecrets(w, old Webhook) (Webhook, error) {
	w, _, err := keptSecrets(w, old)
	return w, err
}

// keptSecrets is keepSecrets, and also lists the fields given old's
// secrets.
func keptSecrets(w, old Webhook) (Webhook, []string, error) {
	omitted := w.SigningSecrets == nil // before clone, which makes [] nil
	w = w.clone()
	shown := old.redacted()
	var kept []string // the fields given old's secrets
	// The URL as shown is the stored one parsed and printed again, which
	// may spell it otherwise (a space as %20).
	sameURL := (w.URL == old.URL || w.URL == shown.URL) && w.Action == old.Action // an action is a destination too
	if w.URL == shown.URL && strings.Contains(shown.URL, redact.Redacted) {
		w.URL = old.URL
		kept = append(kept, "url") // its path, or its credentials
		if old.SecretURLPath && !w.SecretURLPath {
			// Shown whole from now on, the path would be read back.
			return Webhook{}, nil, DefinitionErrors{{Webhook: w.Name, Field: "secret_url_path", Err: fmt.Errorf("%w: the URL was sent back masked; give it whole to make its path no secret", ErrSecretRequired)}}
		}
	}
	if w.Headers == nil {
		w.Headers = maps.Clone(old.Headers)
		for name, value := range old.Headers {
			if value != shown.Headers[name] {
				kept = append(kept, "headers."+name)
			}
		}
	} else {
		for _, name := range slices.Sorted(maps.Keys(w.Headers)) {
			value := w.Headers[name]
			for oldName, oldValue := range old.Headers {
				if http.CanonicalHeaderKey(oldName) == http.CanonicalHeaderKey(name) && value == shown.Headers[oldName] {
					w.Headers[name] = oldValue
					if oldValue != value {
						kept = append(kept, "headers."+name)
					}
				}
			}
		}
	}
	if w.Secrets == nil {
		w.Secrets = maps.Clone(old.Secrets)
		for name := range old.Secrets {
			kept = append(kept, "secrets."+name)
		}
	} else {
		for name, value := range w.Secrets {
			if oldValue, ok := old.Secrets[name]; ok && value == shown.Secrets[name] {
				w.Secrets[name] = oldValue
				kept = append(kept, "secrets."+name)
			}
		}
	}
	if omitted {
		w.SigningSecrets = append([]string(nil), old.SigningSecrets...)
		for i := range old.SigningSecrets {
			kept = append(kept, fmt.Sprintf("signing_secrets[%d]", i))
		}
	} else {
		for i, s := range w.SigningSecrets {
			if i < len(old.SigningSecrets) && s == shown.SigningSecrets[i] {
				w.SigningSecrets[i] = old.SigningSecrets[i]
				kept = append(kept, fmt.Sprintf("signing_secrets[%d]", i))
			}
		}
	}
	kept = append(kept, keepTLSSecrets(&w, old)...)
	if keptOAuth, err := keepOAuthSecret(&w, old); err != nil {
		return Webhook{}, nil, DefinitionErrors{err}
	} else if keptOAuth {
		kept = append(kept, "authentication_config.oauth.client_secret")
	}
	if len(kept) == 0 || sameURL {
		return w, kept, nil
	}
	if _, err := url.Parse(w.URL); err != nil {
		return w, kept, nil // compile refuses it, and nothing is sent
	}
	slices.Sort(kept)
	errs := make(DefinitionErrors, len(kept))
	for i, field := range kept {
		errs[i] = &DefinitionError{Webhook: w.Name, Field: field, Err: fmt.Errorf("%w: the URL changed, and a secret is kept for the URL it was given for only; give it again", ErrSecretRequired)}
	}
	return Webhook{}, nil, errs
}

// maskedLeft lists the secrets of w that are still the mask once old's
// secrets are kept (old is the zero Webhook for a new one): none of old
// stood behind them, and storing the mask as the secret would send it
// with every delivery. A value old holds as it is, mask or not, is old's
// to keep.
func maskedLeft(w, old Webhook) DefinitionErrors {
	var errs DefinitionErrors
	fail := func(field string) {
		errs = append(errs, &DefinitionError{Webhook: w.Name, Field: field, Err: fmt.Errorf(
			"%w: %s is how a stored secret is shown, and no stored secret stands behind it here; give its value", ErrSecretRequired, redact.Redacted)})
	}
	for _, name := range slices.Sorted(maps.Keys(w.Headers)) {
		if w.Headers[name] == redact.Redacted && old.Headers[name] != redact.Redacted {
			fail("headers." + name)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(w.Secrets)) {
		if w.Secrets[name] == redact.Redacted && old.Secrets[name] != redact.Redacted {
			fail("secrets." + name)
		}
	}
	if w.URL != old.URL && maskedURL(w.URL) {
		fail("url")
	}
	if a := w.Authentication; a != nil && a.OAuth != nil && a.OAuth.ClientSecret == redact.Redacted {
		if was := old.Authentication; was == nil || was.OAuth == nil || was.OAuth.ClientSecret != redact.Redacted {
			fail("authentication_config.oauth.client_secret")
		}
	}
	// A TLS field or a signing secret left as the mask is no PEM or key:
	// compile refuses it.
	return errs
}

// maskedURL reports whether a part of raw that reads may mask (its
// password, a path segment, a query value) is the mask.
func maskedURL(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil {
		return false // compile refuses it
	}
	if p, ok := u.User.Password(); ok && p == redact.Redacted || u.User != nil && u.User.Username() == redact.Redacted {
		return true
	}
	if slices.Contains(strings.Split(u.Path, "/"), redact.Redacted) {
		return true
	}
	for _, values := range u.Query() {
		if slices.Contains(values, redact.Redacted) {
			return true
		}
	}
	return false
}

// TenantLimits bound what one tenant may use, so that one tenant's dead
// endpoints or flood of events do not starve the others. Zero fields mean
// no limit.
type TenantLimits struct {
	// MaxWebhooks bounds how many webhooks the tenant may have.
	MaxWebhooks int
	// MaxInFlight bounds how many of the tenant's deliveries each
	// instance attempts at once (until their request's answer is read),
	// across its webhooks; a delivery over it waits, holding no worker and
	// counting no attempt, in the instance's line, in the order the
	// deliveries first waited there. A delivery that a durable engine
	// rebuilds from its job (riverengine, when another instance runs it,
	// after a restart, or past the deliveries an instance keeps between
	// runs) has no place in the line of the instance running it: it
	// takes one at the end, as a new one does.
	MaxInFlight int
	// Rate caps how fast the tenant's deliveries are attempted, across
	// its webhooks; nil means no cap.
	Rate *RateLimit
}

// DefaultTenantLimits returns the limits of every tenant but "" when
// WithTenantLimits is not given: a quarter of the workers in flight, so
// that a tenant with stalled endpoints leaves three quarters to the rest.
func DefaultTenantLimits(workers int) TenantLimits {
	return TenantLimits{MaxInFlight: max(1, workers/4)}
}

// ErrTenantLimit is what every *TenantLimitError is.
var ErrTenantLimit = errors.New("webhook: tenant limit reached")

// TenantLimitError reports a write refused by a tenant's limits.
type TenantLimitError struct {
	Tenant string
	// Limit names the limit: "webhooks".
	Limit string
	Max   int
}

func (e *TenantLimitError) Error() string {
	return fmt.Sprintf("webhook: tenant %q has %d %s, as many as its limits allow", e.Tenant, e.Max, e.Limit)
}

// Is makes errors.Is(err, ErrTenantLimit) hold.
func (e *TenantLimitError) Is(target error) bool { return target == ErrTenantLimit }

// limits returns tenant's limits.
func (d *Dispatcher) limits(tenant string) TenantLimits {
	if d.cfg.tenantLimits != nil {
		return d.cfg.tenantLimits(tenant)
	}
	if tenant == "" {
		return TenantLimits{}
	}
	return DefaultTenantLimits(d.cfg.workers)
}

// tenantFlow is what a tenant's deliveries share: the count of those in
// flight, the line of those held for room, and the tenant's rate limiter.
type tenantFlow struct {
	inFlight atomic.Int64
	// The engine runs a held delivery again after the wait it is given,
	// and cannot be told that a slot is free: each delivery held for room
	// takes a ticket, and waits about as long as the tickets before it
	// take to be admitted at the pace the tenant's attempts end, so that
	// held deliveries come back as slots free up, spread out, rather than
	// all at once or long after. head is the latest ticket admitted;
	// tickets of deliveries that never came back (their webhook removed,
	// or run elsewhere or rebuilt by a durable engine, which keeps no
	// ticket: numbers of this instance's line mean nothing to another)
	// are passed over once a later one is admitted.
	tickets atomic.Uint64
	head    atomic.Uint64
	attempt atomic.Int64 // moving average of an attempt's time in flight, in nanoseconds
	// moved is when a slot was last taken or freed, in Unix nanoseconds:
	// while the tenant's endpoints stall, the time since then is a better
	// guess of an attempt's time than the average of those that ended.
	moved atomic.Int64

	mu   sync.Mutex
	rate RateLimit // what lim was built for
	lim  *ratelimit.Limiter
}

// Bounds of the wait of a delivery held by its tenant's in-flight limit.
const (
	minTenantWait = time.Millisecond
	maxTenantWait = 500 * time.Millisecond
)

// enterTenant admits del under its tenant's limits: it returns how long
// to wait first, or a release to call once del's run is over, saying
// whether it made an attempt: only attempts count in the pace at which
// the tenant's slots free up.
func (d *Dispatcher) enterTenant(h *hook, del *delivery) (release func(attempted bool), wait time.Duration) {
	lim := d.limits(h.tenant)
	if lim.MaxInFlight <= 0 && lim.Rate == nil {
		return func(bool) {}, 0
	}
	v, _ := d.flows.Load(h.tenant)
	if v == nil {
		v, _ = d.flows.LoadOrStore(h.tenant, &tenantFlow{})
	}
	f := v.(*tenantFlow)
	if lim.Rate != nil && !del.tenantAdmitted {
		// The slot is kept until the attempt is made (see run), whatever
		// holds the delivery back meanwhile: the in-flight limit, the
		// webhook's rate limit, its open breaker.
		now := d.cfg.now()
		wait := f.reserve(*lim.Rate, now)
		del.tenantAdmitted = true
		if wait > 0 || del.held != nil {
			del.hold().tenantSlotAt = now.Add(wait)
		}
		if wait > 0 {
			d.ops.tenantLimited(h.tenant, h, del, operational.LimitRate, lim.Rate.Requests,
				fmt.Sprintf("the tenant's deliveries wait for its rate limit of %d per %s", lim.Rate.Requests, time.Duration(lim.Rate.Per)))
			return nil, wait
		}
	} else if lim.Rate != nil {
		// Run again before its slot (an engine that woke it early): held
		// until then.
		if wait := del.heldForTenant(d.cfg.now()); wait > earlySlot {
			return nil, wait
		}
	}
	if lim.MaxInFlight > 0 {
		for {
			n := f.inFlight.Load()
			// A delivery new to the line does not overtake it.
			if n >= int64(lim.MaxInFlight) || del.ticket() == 0 && f.tickets.Load() > f.head.Load() {
				if del.ticket() == 0 {
					del.hold().tenantTicket = f.tickets.Add(1)
					d.ops.tenantLimited(h.tenant, h, del, operational.LimitInFlight, lim.MaxInFlight,
						fmt.Sprintf("the tenant has %d deliveries in flight, as many as its limits allow; the others wait", lim.MaxInFlight))
				}
				return nil, f.wait(del.held.tenantTicket, lim.MaxInFlight, d.cfg.now())
			}
			if f.inFlight.CompareAndSwap(n, n+1) {
				break
			}
		}
	} else {
		f.inFlight.Add(1) // the limit was lifted, maybe with a line left
	}
	for t, head := del.ticket(), f.head.Load(); t > head && !f.head.CompareAndSwap(head, t); head = f.head.Load() {
	}
	if del.held != nil {
		del.held.tenantTicket = 0
	}
	start := d.cfg.now()
	f.moved.Store(start.UnixNano())
	return func(attempted bool) {
		f.inFlight.Add(-1)
		if !attempted {
			return // held by the webhook's own limits: no time in flight to learn from
		}
		end := d.cfg.now()
		f.moved.Store(end.UnixNano())
		f.observe(end.Sub(start))
	}, 0
}

// wait returns how long the delivery holding ticket waits, at now,
// before it looks for room again under an in-flight limit of limit.
func (f *tenantFlow) wait(ticket uint64, limit int, now time.Time) time.Duration {
	ahead := max(int64(ticket)-int64(f.head.Load()), 1)
	per := f.attempt.Load()
	if moved := f.moved.Load(); moved != 0 {
		per = max(per, now.UnixNano()-moved)
	}
	w := float64(ahead) * float64(per) / float64(limit) // in float: a long stall times a long line overflows
	return min(max(time.Duration(min(w, float64(maxTenantWait))), minTenantWait), maxTenantWait)
}

// observe counts an attempt's time in flight into the moving average.
func (f *tenantFlow) observe(took time.Duration) {
	for {
		old := f.attempt.Load()
		avg := int64(took)
		if old != 0 {
			avg = old + (int64(took)-old)/8
		}
		if f.attempt.CompareAndSwap(old, max(avg, 1)) {
			return
		}
	}
}

// reserve takes a slot of the tenant's rate at now and returns how long
// to wait for it.
func (f *tenantFlow) reserve(r RateLimit, now time.Time) time.Duration {
	f.mu.Lock()
	if f.lim == nil || f.rate != r {
		burst := r.Burst
		if burst == 0 {
			burst = r.Requests
		}
		lim, err := ratelimit.New(r.Requests, time.Duration(r.Per), burst)
		if err != nil {
			f.mu.Unlock()
			return 0 // a limit that is not a rate limits nothing
		}
		f.rate, f.lim = r, lim
	}
	lim := f.lim
	f.mu.Unlock()
	wait, _ := lim.ReserveWithinAt(now, time.Duration(1<<62))
	return wait
}

// Reseal seals again, under the keyring's primary key, the secrets of
// every definition in the store sealed under another: the step that lets
// an old key be dropped once every instance has the new one as primary.
// It returns how many it sealed again; to every instance, a definition
// sealed again is the same webhook, whose breaker and rate limit go on. A
// definition changed meanwhile is read again (up to five times). One whose secrets do not open under the
// keyring's keys is passed over, and the others sealed again: the error
// returned joins one for each such definition (wrapping
// keyring.ErrCorrupt or keyring.ErrUnknownKey), which stays sealed as it
// was. It stops at the first other error (of the store, or ctx's).
// Several instances may run it at once. Without a keyring it does
// nothing.
func (d *Dispatcher) Reseal(ctx context.Context, actor string) (int, error) {
	if d.keyring == nil {
		return 0, nil
	}
	n := 0
	var passed []error
	var after uint64
	for {
		changes, err := d.defs.Changes(ctx, after, syncBatch)
		if err != nil {
			return n, errors.Join(append(passed, fmt.Errorf("webhook: Reseal: reading the definition store: %w", err))...)
		}
		for _, c := range changes {
			after = max(after, c.Seq)
			if c.Deleted || c.Record == nil {
				continue
			}
			sealed, err := d.reseal(ctx, *c.Record, actor)
			switch {
			case err == nil:
			case errors.Is(err, keyring.ErrCorrupt), errors.Is(err, keyring.ErrUnknownKey):
				passed = append(passed, err)
			default:
				return n, errors.Join(append(passed, err)...)
			}
			if sealed {
				n++
			}
		}
		if len(changes) < syncBatch {
			return n, errors.Join(append(passed, d.syncNow(ctx))...)
		}
	}
}

// reseal seals rec's secrets again under the keyring's primary key,
// unless they are under it already, and reports whether it did; a record
// changed meanwhile is read again.
func (d *Dispatcher) reseal(ctx context.Context, rec defstore.Record, actor string) (bool, error) {
	for try := 1; ; try++ {
		if d.keyring.Current(rec.Secrets) {
			return false, nil
		}
		ad := sealedFor(rec.Tenant, rec.ID)
		plain, err := d.keyring.Open(rec.Secrets, ad)
		if err != nil {
			return false, fmt.Errorf("webhook: Reseal: definition %q of tenant %q: %w", rec.ID, rec.Tenant, err)
		}
		sealed, err := d.keyring.Seal(plain, ad)
		if err != nil {
			return false, fmt.Errorf("webhook: Reseal: %w", err)
		}
		err = d.defs.ReplaceSecrets(ctx, rec.Tenant, rec.ID, rec.Version, sealed, actor)
		if errors.Is(err, defstore.ErrConflict) && try < rewriteTries {
			cur, gerr := d.defs.Get(ctx, rec.Tenant, rec.ID)
			if gerr == nil {
				rec = cur
				continue
			}
			err = gerr
		}
		switch {
		case err == nil:
			return true, nil
		case errors.Is(err, defstore.ErrNotFound):
			return false, nil // deleted meanwhile
		}
		return false, fmt.Errorf("webhook: Reseal: definition %q of tenant %q: %w", rec.ID, rec.Tenant, err)
	}
}
