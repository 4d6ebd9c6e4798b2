package webhook

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/outhook/outhook/event"
	"github.com/outhook/outhook/validate"
)

// Outcome is how an invocation ended.
type Outcome string

// The outcomes. Delivered, Failed and ValidationFailed end a delivery;
// Retrying is an attempt that will be followed by another; Filtered and
// Skipped are recorded at publish time, when WithRecordFiltered is on.
const (
	// Delivered: the receiver answered 2xx and every validator passed. A
	// body longer than the read limit does not change that when no
	// validator needs it: the receiver accepted the event, and the record
	// says BodyTruncated. Validators fail on a truncated body.
	Delivered Outcome = "delivered"
	// Retrying: this attempt failed and another is scheduled.
	Retrying Outcome = "retrying"
	// Failed: the last attempt failed and no other will be made; the
	// delivery is a dead letter, listable and redeliverable.
	Failed Outcome = "failed"
	// ValidationFailed: the receiver answered 2xx but a response validator
	// failed, and the retry policy does not retry that; a dead letter too.
	ValidationFailed Outcome = "validation_failed"
	// Filtered: the webhook's filters did not match the event; Reason says
	// which clause and what value.
	Filtered Outcome = "filtered"
	// Skipped: the webhook is inactive, or was removed before the delivery
	// ended (it is then no dead letter).
	Skipped Outcome = "skipped"
)

// Final reports whether the outcome ends its delivery.
func (o Outcome) Final() bool { return o != Retrying }

// Invocation is the record of one delivery attempt, or of a decision not
// to deliver: Apono's "invocation data". Secrets are redacted before a
// record is made, so it can be shown, logged and stored as it is.
type Invocation struct {
	// ID identifies this record.
	ID string `json:"id"`
	// Tenant is the tenant of the webhook; empty for the empty tenant, the
	// one of a Dispatcher used without tenants.
	Tenant string `json:"tenant,omitempty"`
	// DeliveryID identifies the delivery, the same across its attempts and
	// sent as the webhook-id header: the receiver's idempotency key.
	DeliveryID  string        `json:"delivery_id"`
	WebhookID   string        `json:"webhook_id"`
	WebhookName string        `json:"webhook_name"`
	EventType   event.Trigger `json:"event_type"`
	EventID     string        `json:"event_id,omitempty"`
	// SubjectEventID is, on a record of an operational event about
	// another event (a WebhookDeadLettered's dead_letter.event_id), that
	// event's id: erasing it (Tenant.Erase) erases this record too.
	SubjectEventID string `json:"subject_event_id,omitempty"`
	// Attempt counts from 1; it is 0 for Filtered and Skipped.
	Attempt int     `json:"attempt"`
	Outcome Outcome `json:"outcome"`
	// Reason says why the invocation did not succeed; empty when it did.
	Reason string `json:"reason,omitempty"`
	// Request is the request as sent, headers redacted; nil when none was.
	Request *RecordedRequest `json:"request,omitempty"`
	// Response is what came back; nil when nothing did.
	Response *RecordedResponse `json:"response,omitempty"`
	// Validation holds each response validator's result. The record has
	// its own copy of each result's Expected, which a reader may change.
	// What a validator found is kept redacted, and, past the record's
	// bound on the body (WithMaxResponseBytes), cut and ended with "…".
	Validation []validate.Result `json:"validation,omitempty"`
	StartedAt  time.Time         `json:"started_at"`
	Duration   time.Duration     `json:"duration"`
	// NextAttemptAt is when the next attempt is due, for Retrying.
	NextAttemptAt time.Time `json:"next_attempt_at,omitzero"`
	// TokenRefetched says the target refused the webhook's OAuth access
	// token with 401, and the attempt fetched another and sent the request
	// again: Request and Response are the second sending's.
	TokenRefetched bool `json:"token_refetched,omitempty"`
}

// Succeeded reports whether the invocation delivered its event.
func (inv *Invocation) Succeeded() bool { return inv.Outcome == Delivered }

// RecordedRequest is a request as it was sent, with secrets redacted. The
// body is as sent, with every secret of the webhook REDACTED wherever it
// stands in it when the webhook has body secrets (Webhook.Secrets): where
// the template put each, and in any other text.
type RecordedRequest struct {
	Method string      `json:"method"`
	URL    string      `json:"url"`
	Header http.Header `json:"header"`
	Body   string      `json:"body"`
}

// RecordedResponse is a response as it was received, its body cut at the
// Dispatcher's limit. A receiver may echo the request back, so the
// webhook's secrets are redacted from it as from the request: the values
// of headers that are not safe, and, in the body and in the safe headers'
// values, every known secret and every URL's credentials and query
// values (a body cut through a secret, at the limit or where reading it
// failed, ends in REDACTED instead of the secret's start). The validators see the response before it is redacted; their
// results (Invocation.Validation) are redacted the same way.
type RecordedResponse struct {
	StatusCode    int         `json:"status_code"`
	Header        http.Header `json:"header"`
	Body          string      `json:"body"`
	BodyTruncated bool        `json:"body_truncated,omitempty"`
}

// DeadLetter is a delivery that ended Failed or ValidationFailed, kept with
// its event so that it can be redelivered.
type DeadLetter struct {
	DeliveryID string `json:"delivery_id"`
	// Tenant is the tenant of the webhook, as in Invocation.
	Tenant    string       `json:"tenant,omitempty"`
	WebhookID string       `json:"webhook_id"`
	Event     *event.Event `json:"event"`
	Outcome   Outcome      `json:"outcome"`
	Reason    string       `json:"reason"`
	Attempts  int          `json:"attempts"`
	FailedAt  time.Time    `json:"failed_at"`
}

// InvocationStore keeps invocation records and dead letters. The default is
// an in-memory store (NewMemoryStore); a durable engine brings its own.
// Implementations must be safe for concurrent use, and return once ctx is
// done: Close, Publish and Redeliver bound the writes they wait for by
// their own ctx (see Close and Publish).
//
// Invocations and DeadLetters list the empty tenant's records only, so
// that a Dispatcher used without tenants sees what it always saw and
// never another tenant's; QueryStore lists any tenant's.
type InvocationStore interface {
	// Record keeps inv.
	Record(ctx context.Context, inv Invocation) error
	// Invocations lists up to limit records of one webhook of the empty
	// tenant, newest first.
	Invocations(ctx context.Context, webhookID string, limit int) ([]Invocation, error)
	// AddDeadLetter keeps a delivery that failed for good. A dead letter
	// of the same delivery id replaces the one kept, in the same tenant;
	// delivery ids are unique across tenants, and one kept for another
	// tenant is left alone with an error wrapping ErrTenantMismatch.
	AddDeadLetter(ctx context.Context, dl DeadLetter) error
	// DeadLetters lists up to limit dead letters of one webhook of the
	// empty tenant, newest first; an empty webhookID lists them for every
	// webhook of the empty tenant.
	DeadLetters(ctx context.Context, webhookID string, limit int) ([]DeadLetter, error)
	// TakeDeadLetter removes and returns one dead letter, of any tenant,
	// for redelivery. It returns an error wrapping ErrNotFound when there
	// is none.
	TakeDeadLetter(ctx context.Context, deliveryID string) (DeadLetter, error)
}

// QueryStore is an InvocationStore that pages through one tenant's
// records and dead letters, for a management API. MemoryStore and
// riverengine's Store are QueryStores.
//
// A query sees the records of its tenant only: the empty tenant is a
// tenant like any other. Pages are newest first, by time (StartedAt,
// FailedAt) and then by id, both descending; a cursor marks the last
// record of a page, so records that arrive between two pages, newer than
// the first, neither repeat nor push others out of the pages that follow.
// Implementations read a query with its Page method and make the next
// cursor with its NextCursor method, so that every store accepts the same
// cursors and refuses the same ones. A cursor is opaque but no secret: it
// holds the time and id of a record of the page before.
type QueryStore interface {
	InvocationStore
	// QueryInvocations returns a page of tenant's invocation records.
	// An error for a query it refuses is a *QueryError.
	QueryInvocations(ctx context.Context, tenant string, q InvocationQuery) (InvocationPage, error)
	// QueryDeadLetters returns a page of tenant's dead letters. An error
	// for a query it refuses is a *QueryError.
	QueryDeadLetters(ctx context.Context, tenant string, q DeadLetterQuery) (DeadLetterPage, error)
	// TakeDeadLetterFor is TakeDeadLetter for a dead letter of tenant: one
	// of another tenant is left where it is, and the error wraps
	// ErrNotFound as for none.
	TakeDeadLetterFor(ctx context.Context, tenant, deliveryID string) (DeadLetter, error)
}

// LatestStore is a QueryStore that reads the newest record of many
// webhooks at once: a list of webhooks shows each one's, and a query per
// webhook would be a round trip per row. MemoryStore is one; Tenant's
// LatestInvocations queries a QueryStore that is not one webhook by
// webhook.
type LatestStore interface {
	QueryStore
	// LatestInvocations returns, for each of ids of tenant in the order
	// of ids, the record QueryInvocations would list first for that
	// webhook alone, or the zero Invocation (empty ID) when it has none.
	LatestInvocations(ctx context.Context, tenant string, ids []string) ([]Invocation, error)
}

// The sizes of a page: Limit zero or less means DefaultPageLimit, and a
// Limit above MaxPageLimit means MaxPageLimit.
const (
	DefaultPageLimit = 50
	MaxPageLimit     = 500
)

// InvocationQuery selects a page of invocation records. Its zero value
// asks for the first page of every record, DefaultPageLimit of them.
// Filters combine.
type InvocationQuery struct {
	// WebhookID keeps the records of one webhook; empty keeps all.
	WebhookID string
	// Outcome keeps the records that ended so; empty keeps all. Another
	// value than the Outcome constants is refused.
	Outcome Outcome
	// Since keeps the records that started at or after it, Until those
	// that started before it; zero means no bound.
	Since, Until time.Time
	// Cursor is empty for the first page, and the Next of the page before
	// for the following ones. A cursor made for another query (another
	// tenant or other filters) is refused.
	Cursor string
	// Limit is how many records a page holds at most (see
	// DefaultPageLimit).
	Limit int
}

// InvocationPage is a page of invocation records, newest first.
type InvocationPage struct {
	Invocations []Invocation `json:"invocations"`
	// Next is the cursor of the following page; empty when this page is
	// the last.
	Next string `json:"next,omitempty"`
}

// DeadLetterQuery selects a page of dead letters; its fields mean what
// InvocationQuery's do, FailedAt taking the place of StartedAt.
type DeadLetterQuery struct {
	WebhookID    string
	Since, Until time.Time
	Cursor       string
	Limit        int
}

// DeadLetterPage is a page of dead letters, newest first.
type DeadLetterPage struct {
	DeadLetters []DeadLetter `json:"dead_letters"`
	// Next is as in InvocationPage.
	Next string `json:"next,omitempty"`
}

// Position is where a record stands in the order of pages: its time
// (StartedAt of an Invocation, FailedAt of a DeadLetter) and its id (ID,
// DeliveryID).
type Position struct {
	Time time.Time
	ID   string
}

// Before reports whether p comes before o in a page, newest first: p is
// later, or as late with a greater id.
func (p Position) Before(o Position) bool {
	if c := p.Time.Compare(o.Time); c != 0 {
		return c > 0
	}
	return p.ID > o.ID
}

var (
	// ErrInvalidCursor is wrapped by the *QueryError of a cursor that is
	// not one a store made, or was made for another query.
	ErrInvalidCursor = errors.New("invalid cursor")
	// ErrUnknownOutcome is wrapped by the *QueryError of an Outcome
	// filter that is not one of the Outcome constants.
	ErrUnknownOutcome = errors.New("unknown outcome")
	// ErrTenantMismatch is wrapped by the error of AddDeadLetter for a
	// delivery id whose dead letter is kept for another tenant.
	ErrTenantMismatch = errors.New("webhook: delivery id already used by another tenant")
)

// QueryError reports a query a QueryStore refuses: Field names the field
// of the query (cursor, outcome, webhook_id), and Err wraps
// ErrInvalidCursor, ErrUnknownOutcome or ErrInvalidID.
type QueryError struct {
	Field string
	Err   error
}

func (e *QueryError) Error() string { return "webhook: query: " + e.Field + ": " + e.Err.Error() }
func (e *QueryError) Unwrap() error { return e.Err }

// Page reads q for a QueryStore's QueryInvocations for tenant: how many
// records to return at most, and, after the first page, the position of
// the last record of the page before: the page holds the records that
// come after it (Before). An error is a *QueryError.
func (q InvocationQuery) Page(tenant string) (limit int, after *Position, err error) {
	switch q.Outcome {
	case "", Delivered, Retrying, Failed, ValidationFailed, Filtered, Skipped:
	default:
		return 0, nil, &QueryError{Field: "outcome", Err: fmt.Errorf("%w %q", ErrUnknownOutcome, q.Outcome)}
	}
	if err := checkWebhookFilter(q.WebhookID); err != nil {
		return 0, nil, err
	}
	after, err = decodeCursor(q.Cursor, q.hash(tenant))
	return pageLimit(q.Limit), after, err
}

// checkWebhookFilter refuses a WebhookID no webhook can have (a NUL,
// bytes that are not UTF-8), which a database may refuse as text.
func checkWebhookFilter(id string) error {
	if id != "" && !validID(id) {
		return &QueryError{Field: "webhook_id", Err: fmt.Errorf("%w: %q", ErrInvalidID, id)}
	}
	return nil
}

// NextCursor returns the cursor of the page after the one whose last
// record is at last.
func (q InvocationQuery) NextCursor(tenant string, last Position) string {
	return encodeCursor(q.hash(tenant), last)
}

// Page is InvocationQuery.Page for QueryDeadLetters.
func (q DeadLetterQuery) Page(tenant string) (limit int, after *Position, err error) {
	if err := checkWebhookFilter(q.WebhookID); err != nil {
		return 0, nil, err
	}
	after, err = decodeCursor(q.Cursor, q.hash(tenant))
	return pageLimit(q.Limit), after, err
}

// NextCursor is InvocationQuery.NextCursor for QueryDeadLetters.
func (q DeadLetterQuery) NextCursor(tenant string, last Position) string {
	return encodeCursor(q.hash(tenant), last)
}

func pageLimit(limit int) int {
	if limit <= 0 {
		return DefaultPageLimit
	}
	return min(limit, MaxPageLimit)
}

// hash identifies the query a cursor was made for: its kind, tenant and
// filters, but not its limit, which may change from page to page.
func (q InvocationQuery) hash(tenant string) uint64 {
	return queryHash('i', tenant, q.WebhookID, string(q.Outcome), q.Since, q.Until)
}

func (q DeadLetterQuery) hash(tenant string) uint64 {
	return queryHash('d', tenant, q.WebhookID, "", q.Since, q.Until)
}

func queryHash(kind byte, tenant, webhookID, outcome string, since, until time.Time) uint64 {
	h := fnv.New64a()
	b := []byte{kind}
	for _, s := range []string{tenant, webhookID, outcome} {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	for _, t := range []time.Time{since, until} {
		b = binary.AppendVarint(b, t.Unix())
		b = binary.AppendUvarint(b, uint64(t.Nanosecond()))
	}
	_, _ = h.Write(b)
	return h.Sum64()
}

// A cursor is base64url (unpadded) of: a version byte, the query's hash
// (8 bytes), the position's Unix seconds (8 bytes) and nanoseconds (4
// bytes), then its id.
const (
	cursorVersion = 1
	cursorHead    = 1 + 8 + 8 + 4
	// maxCursor bounds the cursors decoded, so that a hostile one costs
	// little; ids longer than about 3 KB cannot be paged past.
	maxCursor = 4096
)

func encodeCursor(hash uint64, p Position) string {
	b := make([]byte, 0, cursorHead+len(p.ID))
	b = append(b, cursorVersion)
	b = binary.BigEndian.AppendUint64(b, hash)
	b = binary.BigEndian.AppendUint64(b, uint64(p.Time.Unix()))
	b = binary.BigEndian.AppendUint32(b, uint32(p.Time.Nanosecond()))
	b = append(b, p.ID...)
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeCursor(c string, hash uint64) (*Position, error) {
	if c == "" {
		return nil, nil
	}
	fail := func(why string) (*Position, error) {
		return nil, &QueryError{Field: "cursor", Err: fmt.Errorf("%w: %s", ErrInvalidCursor, why)}
	}
	if len(c) > maxCursor {
		return fail("too long")
	}
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return fail("not base64url")
	}
	if len(b) < cursorHead || b[0] != cursorVersion {
		return fail("not a cursor")
	}
	if binary.BigEndian.Uint64(b[1:9]) != hash {
		return fail("made for another query")
	}
	nsec := binary.BigEndian.Uint32(b[17:21])
	id := string(b[cursorHead:])
	// Ids are text a database keeps: valid UTF-8 without NUL.
	if nsec >= 1e9 || !utf8.ValidString(id) || strings.ContainsRune(id, 0) {
		return fail("not a cursor")
	}
	return &Position{Time: time.Unix(int64(binary.BigEndian.Uint64(b[9:17])), int64(nsec)), ID: id}, nil
}
