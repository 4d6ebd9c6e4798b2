// Package storetest is the conformance suite of webhook.QueryStore: every
// store (the memory store, riverengine's on PostgreSQL and on SQLite) runs
// the same tests, so that they page, filter, isolate tenants and refuse
// cursors alike.
package storetest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/event"
	"github.com/outhook/outhook/webhook"
)

// Run runs the suite; newStore returns an empty store, which must keep
// every record and dead letter the tests add (a MemoryStore's bounds set
// high enough).
func Run(t *testing.T, newStore func(t *testing.T) webhook.QueryStore) {
	for _, tc := range []struct {
		name string
		test func(*testing.T, webhook.QueryStore)
	}{
		{"RoundTrip", testRoundTrip},
		{"Order", testOrder},
		{"Filters", testFilters},
		{"TenantIsolation", testTenantIsolation},
		{"PagesWhileRecordsArrive", testPagesWhileRecordsArrive},
		{"PagesWhileWritersRun", testPagesWhileWritersRun},
		{"HostileQueries", testHostileQueries},
		{"Limits", testLimits},
		{"TimeBoundsOfReturnedRecords", testTimeBoundsOfReturnedRecords},
		{"DeadLetterTenants", testDeadLetterTenants},
		{"LegacyMethodsSeeTheEmptyTenant", testLegacy},
	} {
		t.Run(tc.name, func(t *testing.T) { tc.test(t, newStore(t)) })
	}
}

// base is the time of the records; a PostgreSQL store keeps microseconds,
// so record times are whole microseconds unless a test says otherwise.
var base = time.Date(2026, 3, 10, 9, 15, 0, 0, time.UTC)

var outcomes = []webhook.Outcome{webhook.Delivered, webhook.Retrying, webhook.Failed, webhook.ValidationFailed, webhook.Filtered, webhook.Skipped}

var (
	evMu sync.Mutex
	ev   *event.Event
)

// testEvent is the event of every dead letter.
func testEvent(t testing.TB) *event.Event {
	evMu.Lock()
	defer evMu.Unlock()
	if ev == nil {
		e, err := event.Parse([]byte(`{"event_type":"test.event","event_time":1773134100,"event_id":"e-1","data":{"n":1}}`))
		require.NoError(t, err)
		ev = e
	}
	return ev
}

func inv(tenant, hook, id string, at time.Time, o webhook.Outcome) webhook.Invocation {
	return webhook.Invocation{
		ID: id, Tenant: tenant, DeliveryID: "d-" + id, WebhookID: hook, WebhookName: hook,
		EventType: "test.event", Attempt: 1, Outcome: o, StartedAt: at,
	}
}

func dead(t testing.TB, tenant, hook, id string, at time.Time) webhook.DeadLetter {
	return webhook.DeadLetter{DeliveryID: id, Tenant: tenant, WebhookID: hook, Event: testEvent(t), Outcome: webhook.Failed, Reason: "503", Attempts: 3, FailedAt: at}
}

func record(t testing.TB, s webhook.QueryStore, invs ...webhook.Invocation) {
	t.Helper()
	for _, x := range invs {
		require.NoError(t, s.Record(context.Background(), x))
	}
}

func addDead(t testing.TB, s webhook.QueryStore, dls ...webhook.DeadLetter) {
	t.Helper()
	for _, x := range dls {
		require.NoError(t, s.AddDeadLetter(context.Background(), x))
	}
}

// allInvocations walks every page of q and returns the records' ids; it
// fails on a repeated id or a page out of order.
func allInvocations(t testing.TB, s webhook.QueryStore, tenant string, q webhook.InvocationQuery) []string {
	t.Helper()
	var ids []string
	seen := map[string]bool{}
	var last *webhook.Position
	for pages := 0; ; pages++ {
		require.Less(t, pages, 10000, "pages never end")
		p, err := s.QueryInvocations(context.Background(), tenant, q)
		require.NoError(t, err)
		require.LessOrEqual(t, len(p.Invocations), limitOf(q.Limit))
		if p.Next != "" {
			require.Len(t, p.Invocations, limitOf(q.Limit), "a page before the last is full")
		}
		for _, x := range p.Invocations {
			require.Equal(t, tenant, x.Tenant, "record %s of another tenant", x.ID)
			require.False(t, seen[x.ID], "record %s twice", x.ID)
			seen[x.ID] = true
			at := webhook.Position{Time: x.StartedAt, ID: x.ID}
			if last != nil {
				require.True(t, last.Before(at), "%v then %v: not newest first", *last, at)
			}
			last = &at
			ids = append(ids, x.ID)
		}
		if p.Next == "" {
			return ids
		}
		q.Cursor = p.Next
	}
}

func allDeadLetters(t testing.TB, s webhook.QueryStore, tenant string, q webhook.DeadLetterQuery) []string {
	t.Helper()
	var ids []string
	seen := map[string]bool{}
	var last *webhook.Position
	for pages := 0; ; pages++ {
		require.Less(t, pages, 10000, "pages never end")
		p, err := s.QueryDeadLetters(context.Background(), tenant, q)
		require.NoError(t, err)
		require.LessOrEqual(t, len(p.DeadLetters), limitOf(q.Limit))
		if p.Next != "" {
			require.Len(t, p.DeadLetters, limitOf(q.Limit), "a page before the last is full")
		}
		for _, x := range p.DeadLetters {
			require.Equal(t, tenant, x.Tenant, "dead letter %s of another tenant", x.DeliveryID)
			require.False(t, seen[x.DeliveryID], "dead letter %s twice", x.DeliveryID)
			seen[x.DeliveryID] = true
			at := webhook.Position{Time: x.FailedAt, ID: x.DeliveryID}
			if last != nil {
				require.True(t, last.Before(at), "%v then %v: not newest first", *last, at)
			}
			last = &at
			ids = append(ids, x.DeliveryID)
		}
		if p.Next == "" {
			return ids
		}
		q.Cursor = p.Next
	}
}

func limitOf(limit int) int {
	if limit <= 0 {
		return webhook.DefaultPageLimit
	}
	return min(limit, webhook.MaxPageLimit)
}

// matchInvocations is the brute-force answer to q: the ids of the records
// of tenant among all that q keeps, newest first.
func matchInvocations(all []webhook.Invocation, tenant string, q webhook.InvocationQuery) []string {
	var keep []webhook.Invocation
	for _, x := range all {
		if x.Tenant == tenant && (q.WebhookID == "" || x.WebhookID == q.WebhookID) &&
			(q.Outcome == "" || x.Outcome == q.Outcome) && within(x.StartedAt, q.Since, q.Until) {
			keep = append(keep, x)
		}
	}
	slices.SortFunc(keep, func(a, b webhook.Invocation) int {
		return comparePositions(webhook.Position{Time: a.StartedAt, ID: a.ID}, webhook.Position{Time: b.StartedAt, ID: b.ID})
	})
	ids := make([]string, len(keep))
	for i, x := range keep {
		ids[i] = x.ID
	}
	return ids
}

func matchDeadLetters(all map[string]webhook.DeadLetter, tenant string, q webhook.DeadLetterQuery) []string {
	var keep []webhook.DeadLetter
	for _, x := range all {
		if x.Tenant == tenant && (q.WebhookID == "" || x.WebhookID == q.WebhookID) && within(x.FailedAt, q.Since, q.Until) {
			keep = append(keep, x)
		}
	}
	slices.SortFunc(keep, func(a, b webhook.DeadLetter) int {
		return comparePositions(webhook.Position{Time: a.FailedAt, ID: a.DeliveryID}, webhook.Position{Time: b.FailedAt, ID: b.DeliveryID})
	})
	ids := make([]string, len(keep))
	for i, x := range keep {
		ids[i] = x.DeliveryID
	}
	return ids
}

// comparePositions orders newest first by time, then by id, both
// descending, written apart from Position.Before.
func comparePositions(a, b webhook.Position) int {
	if c := b.Time.Compare(a.Time); c != 0 {
		return c
	}
	return strings.Compare(b.ID, a.ID)
}

func within(t, since, until time.Time) bool {
	return (since.IsZero() || !t.Before(since)) && (until.IsZero() || t.Before(until))
}

// nonEmpty turns a nil list into an empty one, for comparisons.
func nonEmpty(ids []string) []string {
	if ids == nil {
		return []string{}
	}
	return ids
}

func testRoundTrip(t *testing.T, s webhook.QueryStore) {
	ctx := context.Background()
	in := inv("acme", "w1", "r1", base, webhook.Failed)
	in.Reason = "HTTP 503"
	in.EventID = "e-1"
	record(t, s, in)
	p, err := s.QueryInvocations(ctx, "acme", webhook.InvocationQuery{})
	require.NoError(t, err)
	require.Len(t, p.Invocations, 1)
	got := p.Invocations[0]
	require.Equal(t, "acme", got.Tenant)
	require.Equal(t, in.ID, got.ID)
	require.Equal(t, in.DeliveryID, got.DeliveryID)
	require.Equal(t, in.WebhookID, got.WebhookID)
	require.Equal(t, in.Outcome, got.Outcome)
	require.Equal(t, in.Reason, got.Reason)
	require.True(t, in.StartedAt.Equal(got.StartedAt))
	require.Empty(t, p.Next)

	dl := dead(t, "acme", "w1", "del-1", base)
	addDead(t, s, dl)
	dp, err := s.QueryDeadLetters(ctx, "acme", webhook.DeadLetterQuery{})
	require.NoError(t, err)
	require.Len(t, dp.DeadLetters, 1)
	gotDL := dp.DeadLetters[0]
	require.Equal(t, "acme", gotDL.Tenant)
	require.Equal(t, dl.DeliveryID, gotDL.DeliveryID)
	require.Equal(t, dl.WebhookID, gotDL.WebhookID)
	require.Equal(t, dl.Outcome, gotDL.Outcome)
	require.Equal(t, dl.Attempts, gotDL.Attempts)
	require.True(t, dl.FailedAt.Equal(gotDL.FailedAt))
	require.Equal(t, string(dl.Event.JSON()), string(gotDL.Event.JSON()))

	taken, err := s.TakeDeadLetterFor(ctx, "acme", "del-1")
	require.NoError(t, err)
	require.Equal(t, "acme", taken.Tenant)
}

// Pages are newest first; records of the same time go by id, descending,
// whatever order they were added in; the order of pages is the same for
// every limit.
func testOrder(t *testing.T, s webhook.QueryStore) {
	var all []webhook.Invocation
	dls := map[string]webhook.DeadLetter{}
	for i, id := range rand.Perm(30) {
		at := base.Add(time.Duration(id/3) * time.Second) // three of each time
		// Ids of mixed case and length: byte order is not a locale's.
		name := fmt.Sprintf("%c%02d", "aBc"[id%3], id)
		all = append(all, inv("", "w", name, at, outcomes[i%len(outcomes)]))
		dls[name] = dead(t, "", "w", name, at)
	}
	record(t, s, all...)
	for _, dl := range dls {
		addDead(t, s, dl)
	}
	want := matchInvocations(all, "", webhook.InvocationQuery{})
	wantDL := matchDeadLetters(dls, "", webhook.DeadLetterQuery{})
	for _, limit := range []int{1, 2, 3, 7, 29, 30, 31, 0} {
		require.Equal(t, want, allInvocations(t, s, "", webhook.InvocationQuery{Limit: limit}), "limit %d", limit)
		require.Equal(t, wantDL, allDeadLetters(t, s, "", webhook.DeadLetterQuery{Limit: limit}), "limit %d", limit)
	}
	// A page exactly as long as what is left has no next page.
	p, err := s.QueryInvocations(context.Background(), "", webhook.InvocationQuery{Limit: 30})
	require.NoError(t, err)
	require.Len(t, p.Invocations, 30)
	require.Empty(t, p.Next)
}

// Every filter, alone and combined, keeps what a brute-force filter keeps.
func testFilters(t *testing.T, s webhook.QueryStore) {
	rng := rand.New(rand.NewPCG(1, 2))
	var all []webhook.Invocation
	dls := map[string]webhook.DeadLetter{}
	hooks := []string{"w1", "w2", "w3"}
	for i := range 120 {
		at := base.Add(time.Duration(rng.IntN(60)) * time.Second)
		h := hooks[rng.IntN(len(hooks))]
		id := fmt.Sprintf("r%03d", i)
		all = append(all, inv("t", h, id, at, outcomes[rng.IntN(len(outcomes))]))
		if i%2 == 0 {
			dls[id] = dead(t, "t", h, id, at)
		}
	}
	record(t, s, all...)
	for _, dl := range dls {
		addDead(t, s, dl)
	}
	at := func(sec int) time.Time { return base.Add(time.Duration(sec) * time.Second) }
	for _, q := range []webhook.InvocationQuery{
		{},
		{WebhookID: "w2"},
		{WebhookID: "none"},
		{Outcome: webhook.Failed},
		{Outcome: webhook.Skipped, WebhookID: "w1"},
		{Since: at(30)},                // inclusive: records at exactly 30s are in
		{Until: at(30)},                // exclusive: records at exactly 30s are out
		{Since: at(10), Until: at(10)}, // empty
		{Since: at(40), Until: at(10)}, // empty
		{Since: at(10), Until: at(50), WebhookID: "w3", Outcome: webhook.Delivered},
		{Since: at(10).Add(time.Nanosecond), Until: at(50).Add(-time.Nanosecond)},
		{Since: at(20).Add(-time.Nanosecond), Until: at(21).Add(time.Nanosecond)},
		{Since: time.Date(1, 2, 1, 0, 0, 0, 0, time.UTC), Until: time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)},
		{Since: time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC)},
		{Until: time.Date(1000, 1, 1, 0, 0, 0, 0, time.UTC)},
		// Beyond what databases keep, and what int64 nanoseconds hold.
		{Since: time.Date(-10000, 1, 1, 0, 0, 0, 0, time.UTC), Until: time.Date(400000, 1, 1, 0, 0, 0, 0, time.UTC)},
		{Since: time.Date(400000, 1, 1, 0, 0, 0, 0, time.UTC)},
		{Until: time.Date(-10000, 1, 1, 0, 0, 0, 0, time.UTC)},
	} {
		for _, limit := range []int{0, 7} {
			q.Limit = limit
			require.Equal(t, nonEmpty(matchInvocations(all, "t", q)), nonEmpty(allInvocations(t, s, "t", q)), "%+v", q)
			dq := webhook.DeadLetterQuery{WebhookID: q.WebhookID, Since: q.Since, Until: q.Until, Limit: limit}
			require.Equal(t, nonEmpty(matchDeadLetters(dls, "t", dq)), nonEmpty(allDeadLetters(t, s, "t", dq)), "%+v", dq)
		}
	}
}

// tenants of the property test: the empty one, look-alikes, and the same
// webhook ids in each.
var tenants = []string{"", "a", "A", "a ", " a", "ä", "tenant-1", "tenant-10", "'; DROP TABLE outhook_invocation; --", "%", "_"}

// Random records of random tenants: every query of a tenant returns
// exactly that tenant's records that match it.
func testTenantIsolation(t *testing.T, s webhook.QueryStore) {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, seed>>1))
	hooks := []string{"w1", "w2", "w3", "w4"}
	var all []webhook.Invocation
	dls := map[string]webhook.DeadLetter{}
	for i := range 300 {
		tenant := tenants[rng.IntN(len(tenants))]
		// Few distinct times, so that ties are many.
		at := base.Add(time.Duration(rng.IntN(40)) * time.Second)
		h := hooks[rng.IntN(len(hooks))]
		id := fmt.Sprintf("%08x", rng.Uint32()) + fmt.Sprint(i)
		all = append(all, inv(tenant, h, id, at, outcomes[rng.IntN(len(outcomes))]))
		if rng.IntN(3) == 0 {
			dls[id] = dead(t, tenant, h, id, at)
		}
	}
	record(t, s, all...)
	for _, dl := range dls {
		addDead(t, s, dl)
	}
	randTime := func() time.Time {
		if rng.IntN(3) == 0 {
			return time.Time{}
		}
		return base.Add(time.Duration(rng.Int64N(int64(45 * time.Second))))
	}
	for range 60 {
		tenant := tenants[rng.IntN(len(tenants))]
		q := webhook.InvocationQuery{Since: randTime(), Until: randTime(), Limit: 1 + rng.IntN(25)}
		if rng.IntN(2) == 0 {
			q.WebhookID = hooks[rng.IntN(len(hooks))]
		}
		if rng.IntN(3) == 0 {
			q.Outcome = outcomes[rng.IntN(len(outcomes))]
		}
		require.Equal(t, nonEmpty(matchInvocations(all, tenant, q)), nonEmpty(allInvocations(t, s, tenant, q)), "tenant %q %+v", tenant, q)
		dq := webhook.DeadLetterQuery{WebhookID: q.WebhookID, Since: q.Since, Until: q.Until, Limit: q.Limit}
		require.Equal(t, nonEmpty(matchDeadLetters(dls, tenant, dq)), nonEmpty(allDeadLetters(t, s, tenant, dq)), "tenant %q %+v", tenant, dq)
	}
	// Every tenant, unfiltered: together they are every record, once.
	total := 0
	for _, tenant := range tenants {
		got := allInvocations(t, s, tenant, webhook.InvocationQuery{Limit: 37})
		require.Equal(t, nonEmpty(matchInvocations(all, tenant, webhook.InvocationQuery{})), nonEmpty(got))
		total += len(got)
	}
	require.Equal(t, len(all), total)
	// A tenant nobody used sees nothing.
	p, err := s.QueryInvocations(context.Background(), "nobody", webhook.InvocationQuery{})
	require.NoError(t, err)
	require.Empty(t, p.Invocations)
	require.Empty(t, p.Next)
}

// Pages walked while records arrive, newer than every page and, late,
// older than the page already read: no record is returned twice, every
// record older than the first page is returned, and the late ones are
// the only others.
func testPagesWhileRecordsArrive(t *testing.T, s webhook.QueryStore) {
	ctx := context.Background()
	var old []webhook.Invocation
	dls := map[string]webhook.DeadLetter{}
	for i := range 40 {
		at := base.Add(time.Duration(i/2) * time.Second)
		id := fmt.Sprintf("old-%02d", i)
		old = append(old, inv("t", "w"+fmt.Sprint(i%3), id, at, webhook.Delivered))
		dls[id] = dead(t, "t", "w"+fmt.Sprint(i%3), id, at)
	}
	record(t, s, old...)
	for _, dl := range dls {
		addDead(t, s, dl)
	}
	want := matchInvocations(old, "t", webhook.InvocationQuery{})
	wantDL := matchDeadLetters(dls, "t", webhook.DeadLetterQuery{})

	var got, gotDL []string
	late := map[string]bool{}
	q := webhook.InvocationQuery{Limit: 6}
	dq := webhook.DeadLetterQuery{Limit: 6}
	for page := 0; ; page++ {
		p, err := s.QueryInvocations(ctx, "t", q)
		require.NoError(t, err)
		dp, err := s.QueryDeadLetters(ctx, "t", dq)
		require.NoError(t, err)
		for _, x := range p.Invocations {
			got = append(got, x.ID)
		}
		for _, x := range dp.DeadLetters {
			gotDL = append(gotDL, x.DeliveryID)
		}
		// New records, newer than every page, and late ones at the time
		// of the oldest record of the page just read.
		newID := fmt.Sprintf("new-%02d", page)
		record(t, s, inv("t", "w0", newID, base.Add(time.Hour+time.Duration(page)), webhook.Delivered))
		addDead(t, s, dead(t, "t", "w1", newID, base.Add(time.Hour+time.Duration(page))))
		if n := len(p.Invocations); n > 0 && len(dp.DeadLetters) > 0 {
			lateID := fmt.Sprintf("late-%02d", page)
			late[lateID] = true
			record(t, s, inv("t", "w2", lateID, p.Invocations[n-1].StartedAt, webhook.Failed))
			addDead(t, s, dead(t, "t", "w2", lateID, dp.DeadLetters[len(dp.DeadLetters)-1].FailedAt))
		}
		// And some of another tenant, at the same times.
		record(t, s, inv("u", "w0", "u-"+newID, base.Add(time.Duration(page)*time.Second), webhook.Delivered))
		if p.Next == "" && dp.Next == "" {
			break
		}
		require.NotEmpty(t, p.Next)
		require.NotEmpty(t, dp.Next)
		q.Cursor, dq.Cursor = p.Next, dp.Next
	}
	for name, c := range map[string]struct{ got, want []string }{"invocations": {got, want}, "dead letters": {gotDL, wantDL}} {
		seen := map[string]bool{}
		var olds []string
		for _, id := range c.got {
			require.False(t, seen[id], "%s: %s twice", name, id)
			seen[id] = true
			switch {
			case strings.HasPrefix(id, "old-"):
				olds = append(olds, id)
			case !late[id]:
				t.Fatalf("%s: %s arrived after the first page and is newer than it", name, id)
			}
		}
		require.Equal(t, c.want, olds, "%s: every old record, in order", name)
	}
}

// The same with writers running while the pages are read.
func testPagesWhileWritersRun(t *testing.T, s webhook.QueryStore) {
	ctx := context.Background()
	var old []webhook.Invocation
	for i := range 60 {
		old = append(old, inv("t", "w", fmt.Sprintf("old-%02d", i), base.Add(time.Duration(i)*time.Second), webhook.Delivered))
	}
	record(t, s, old...)
	want := matchInvocations(old, "t", webhook.InvocationQuery{})

	stop := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		for i := 0; ; i++ {
			select {
			case <-stop:
				done <- nil
				return
			default:
			}
			tenant := []string{"t", "u"}[i%2]
			if err := s.Record(ctx, inv(tenant, "w", fmt.Sprintf("new-%04d", i), base.Add(time.Hour+time.Duration(i)), webhook.Delivered)); err != nil {
				done <- err
				return
			}
		}
	}()
	got := allInvocations(t, s, "t", webhook.InvocationQuery{Limit: 4})
	close(stop)
	require.NoError(t, <-done)
	var olds []string
	for _, id := range got {
		if strings.HasPrefix(id, "old-") {
			olds = append(olds, id)
		}
	}
	require.Equal(t, want, olds)
}

// Cursors that are not a store's, or are another query's, are refused
// with a *QueryError naming the cursor; so is an unknown outcome.
func testHostileQueries(t *testing.T, s webhook.QueryStore) {
	ctx := context.Background()
	for i := range 5 {
		record(t, s, inv("t", "w", fmt.Sprint("r", i), base.Add(time.Duration(i)*time.Second), webhook.Failed))
		record(t, s, inv("u", "w", fmt.Sprint("u", i), base.Add(time.Duration(i)*time.Second), webhook.Failed))
		addDead(t, s, dead(t, "t", "w", fmt.Sprint("d", i), base.Add(time.Duration(i)*time.Second)))
	}
	q := webhook.InvocationQuery{WebhookID: "w", Limit: 2}
	p, err := s.QueryInvocations(ctx, "t", q)
	require.NoError(t, err)
	require.NotEmpty(t, p.Next)
	dp, err := s.QueryDeadLetters(ctx, "t", webhook.DeadLetterQuery{Limit: 2})
	require.NoError(t, err)
	require.NotEmpty(t, dp.Next)
	good := p.Next

	refused := func(what string, err error, field string) {
		t.Helper()
		require.Error(t, err, what)
		var qe *webhook.QueryError
		require.ErrorAs(t, err, &qe, what)
		require.Equal(t, field, qe.Field, what)
	}
	for what, cursor := range map[string]string{
		"garbage":       "!!not a cursor!!",
		"padded":        good + "==",
		"cut":           good[:len(good)-6],
		"short":         "AQ",
		"other version": "Ag" + good[2:],
		"very long":     strings.Repeat("A", 1<<20),
		"dead letters'": dp.Next,
		"NUL":           "\x00",
		"bad utf-8":     "\xff\xfe",
		"flipped hash":  flip(good, 3),
	} {
		cq := q
		cq.Cursor = cursor
		_, err := s.QueryInvocations(ctx, "t", cq)
		refused(what, err, "cursor")
		require.ErrorIs(t, err, webhook.ErrInvalidCursor, what)
		_, err = s.QueryDeadLetters(ctx, "t", webhook.DeadLetterQuery{Cursor: cursor})
		if what != "dead letters'" {
			refused(what+" (dead letters)", err, "cursor")
			require.ErrorIs(t, err, webhook.ErrInvalidCursor, what)
		}
	}
	// Another query's cursor: another tenant, webhook, outcome or bounds.
	for what, other := range map[string]func(*webhook.InvocationQuery) string{
		"another tenant":  func(*webhook.InvocationQuery) string { return "u" },
		"another webhook": func(q *webhook.InvocationQuery) string { q.WebhookID = "v"; return "t" },
		"all webhooks":    func(q *webhook.InvocationQuery) string { q.WebhookID = ""; return "t" },
		"an outcome":      func(q *webhook.InvocationQuery) string { q.Outcome = webhook.Failed; return "t" },
		"a since":         func(q *webhook.InvocationQuery) string { q.Since = base; return "t" },
		"an until":        func(q *webhook.InvocationQuery) string { q.Until = base.Add(time.Hour); return "t" },
	} {
		cq := q
		cq.Cursor = good
		tenant := other(&cq)
		_, err := s.QueryInvocations(ctx, tenant, cq)
		refused(what, err, "cursor")
		require.ErrorIs(t, err, webhook.ErrInvalidCursor, what)
	}
	_, err = s.QueryDeadLetters(ctx, "u", webhook.DeadLetterQuery{Limit: 2, Cursor: dp.Next})
	require.ErrorIs(t, err, webhook.ErrInvalidCursor, "another tenant's dead letters")
	// The limit may change from page to page.
	cq := q
	cq.Cursor, cq.Limit = good, 100
	p2, err := s.QueryInvocations(ctx, "t", cq)
	require.NoError(t, err)
	require.Equal(t, []string{"r2", "r1", "r0"}, invocationIDs(p2.Invocations))

	_, err = s.QueryInvocations(ctx, "t", webhook.InvocationQuery{Outcome: "FAILED"})
	refused("unknown outcome", err, "outcome")
	require.ErrorIs(t, err, webhook.ErrUnknownOutcome)
}

// flip changes the character at i of a cursor into another valid one.
func flip(c string, i int) string {
	b := []byte(c)
	if b[i] == 'A' {
		b[i] = 'B'
	} else {
		b[i] = 'A'
	}
	return string(b)
}

func invocationIDs(invs []webhook.Invocation) []string {
	out := make([]string, len(invs))
	for i, x := range invs {
		out[i] = x.ID
	}
	return out
}

// Limit zero or less means DefaultPageLimit; above MaxPageLimit,
// MaxPageLimit.
func testLimits(t *testing.T, s webhook.QueryStore) {
	ctx := context.Background()
	n := webhook.MaxPageLimit + 20
	var all []webhook.Invocation
	for i := range n {
		all = append(all, inv("t", "w", fmt.Sprintf("r%04d", i), base.Add(time.Duration(i)*time.Millisecond), webhook.Delivered))
	}
	record(t, s, all...)
	for limit, want := range map[int]int{0: webhook.DefaultPageLimit, -5: webhook.DefaultPageLimit, 1: 1, webhook.MaxPageLimit: webhook.MaxPageLimit, webhook.MaxPageLimit + 1: webhook.MaxPageLimit, 1 << 40: webhook.MaxPageLimit} {
		p, err := s.QueryInvocations(ctx, "t", webhook.InvocationQuery{Limit: limit})
		require.NoError(t, err)
		require.Len(t, p.Invocations, want, "limit %d", limit)
		require.NotEmpty(t, p.Next)
	}
	got := allInvocations(t, s, "t", webhook.InvocationQuery{Limit: webhook.MaxPageLimit * 2})
	require.Len(t, got, n)
}

// Whatever precision a store keeps, a record it returns is within a
// query whose Since is its StartedAt, and outside one whose Until is.
func testTimeBoundsOfReturnedRecords(t *testing.T, s webhook.QueryStore) {
	ctx := context.Background()
	for i := range 5 {
		at := base.Add(time.Duration(i)*time.Millisecond + time.Duration(i*137+1)) // nanoseconds
		record(t, s, inv("t", "w", fmt.Sprint("r", i), at, webhook.Delivered))
		addDead(t, s, dead(t, "t", "w", fmt.Sprint("d", i), at))
	}
	p, err := s.QueryInvocations(ctx, "t", webhook.InvocationQuery{})
	require.NoError(t, err)
	require.Len(t, p.Invocations, 5)
	for _, x := range p.Invocations {
		in, err := s.QueryInvocations(ctx, "t", webhook.InvocationQuery{Since: x.StartedAt, Until: x.StartedAt.Add(time.Nanosecond)})
		require.NoError(t, err)
		require.Equal(t, []string{x.ID}, invocationIDs(in.Invocations))
		out, err := s.QueryInvocations(ctx, "t", webhook.InvocationQuery{Since: x.StartedAt.Add(-time.Nanosecond), Until: x.StartedAt})
		require.NoError(t, err)
		require.Empty(t, out.Invocations)
	}
	dp, err := s.QueryDeadLetters(ctx, "t", webhook.DeadLetterQuery{})
	require.NoError(t, err)
	require.Len(t, dp.DeadLetters, 5)
	for _, x := range dp.DeadLetters {
		in, err := s.QueryDeadLetters(ctx, "t", webhook.DeadLetterQuery{Since: x.FailedAt, Until: x.FailedAt.Add(time.Nanosecond)})
		require.NoError(t, err)
		require.Len(t, in.DeadLetters, 1)
		require.Equal(t, x.DeliveryID, in.DeadLetters[0].DeliveryID)
	}
}

// A dead letter is taken by its tenant only, and a delivery id kept for
// one tenant is not taken over by another.
func testDeadLetterTenants(t *testing.T, s webhook.QueryStore) {
	ctx := context.Background()
	addDead(t, s, dead(t, "a", "w", "d1", base), dead(t, "b", "w", "d2", base))

	_, err := s.TakeDeadLetterFor(ctx, "b", "d1")
	require.ErrorIs(t, err, webhook.ErrNotFound)
	_, err = s.TakeDeadLetterFor(ctx, "", "d1")
	require.ErrorIs(t, err, webhook.ErrNotFound)
	err = s.AddDeadLetter(ctx, dead(t, "b", "v", "d1", base.Add(time.Second)))
	require.ErrorIs(t, err, webhook.ErrTenantMismatch)
	require.Equal(t, []string{"d1"}, allDeadLetters(t, s, "a", webhook.DeadLetterQuery{}), "left alone")
	require.Equal(t, []string{"d2"}, allDeadLetters(t, s, "b", webhook.DeadLetterQuery{}))

	// Its own tenant's replaces it, even under another webhook.
	addDead(t, s, dead(t, "a", "v", "d1", base.Add(time.Second)))
	p, err := s.QueryDeadLetters(ctx, "a", webhook.DeadLetterQuery{})
	require.NoError(t, err)
	require.Len(t, p.DeadLetters, 1)
	require.Equal(t, "v", p.DeadLetters[0].WebhookID)
	require.Empty(t, allDeadLetters(t, s, "a", webhook.DeadLetterQuery{WebhookID: "w"}))

	dl, err := s.TakeDeadLetterFor(ctx, "a", "d1")
	require.NoError(t, err)
	require.Equal(t, "d1", dl.DeliveryID)
	require.Equal(t, "a", dl.Tenant)
	_, err = s.TakeDeadLetterFor(ctx, "a", "d1")
	require.ErrorIs(t, err, webhook.ErrNotFound, "taken once")
	require.Empty(t, allDeadLetters(t, s, "a", webhook.DeadLetterQuery{}))

	// TakeDeadLetter takes any tenant's.
	dl, err = s.TakeDeadLetter(ctx, "d2")
	require.NoError(t, err)
	require.Equal(t, "b", dl.Tenant)
	// Once gone, the id is free for another tenant.
	addDead(t, s, dead(t, "a", "w", "d2", base))
	require.Equal(t, []string{"d2"}, allDeadLetters(t, s, "a", webhook.DeadLetterQuery{}))
}

// Invocations and DeadLetters, without a tenant, list the empty tenant's.
func testLegacy(t *testing.T, s webhook.QueryStore) {
	ctx := context.Background()
	for i, tenant := range []string{"", "x", "", "x"} {
		at := base.Add(time.Duration(i) * time.Second)
		record(t, s, inv(tenant, "w", fmt.Sprint("r", i), at, webhook.Delivered))
		addDead(t, s, dead(t, tenant, "w", fmt.Sprint("d", i), at))
	}
	invs, err := s.Invocations(ctx, "w", 0)
	require.NoError(t, err)
	require.Equal(t, []string{"r2", "r0"}, invocationIDs(invs))
	invs, err = s.Invocations(ctx, "w", 1)
	require.NoError(t, err)
	require.Equal(t, []string{"r2"}, invocationIDs(invs))
	for _, hook := range []string{"w", ""} {
		dls, err := s.DeadLetters(ctx, hook, 0)
		require.NoError(t, err)
		require.Len(t, dls, 2)
		require.Equal(t, "d2", dls[0].DeliveryID)
		require.Equal(t, "d0", dls[1].DeliveryID)
	}
}
