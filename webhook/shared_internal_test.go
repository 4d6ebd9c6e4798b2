package webhook

import (
	"context"
	"fmt"
	"maps"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"
	"unsafe"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/accessrequest"
	"github.com/outhook/outhook/defstore"
	"github.com/outhook/outhook/event"
	"github.com/outhook/outhook/filter"
	"github.com/outhook/outhook/template"
)

func bodyHook(name, body string) Webhook {
	return Webhook{Name: name, Active: true, URL: "https://hooks.example/" + name, BodyTemplate: body,
		Headers: map[string]string{"Authorization": "Bearer " + name}, Triggers: []event.Trigger{accessrequest.Created}}
}

const torqBody = `{"body":{"event":"New Apono {{event_type}} request made by {{data.requester.name}}"}}`

// Webhooks of a Dispatcher with the same body share its compiled
// template, whichever tenant they belong to and however many compile it
// at once; another body, or another Dispatcher's options, get their own.
func TestBodyTemplatesSharedBySource(t *testing.T) {
	d, err := New()
	require.NoError(t, err)
	defer d.Close(context.Background())
	ctx := context.Background()
	for i, tenant := range []string{"acme", "globex", "initech"} {
		_, err := d.Tenant(tenant).Create(ctx, bodyHook(fmt.Sprint("torq-", i), torqBody), "test")
		require.NoError(t, err)
	}
	_, err = d.Tenant("acme").Create(ctx, bodyHook("own", `{"text":"{{data.id}}"}`), "test")
	require.NoError(t, err)
	bodies := map[*template.Template][]string{}
	d.mu.RLock()
	for key, e := range d.byKey {
		h, err := d.compiled(e)
		require.NoError(t, err)
		bodies[h.body] = append(bodies[h.body], key)
	}
	d.mu.RUnlock()
	require.Len(t, bodies, 2, "one template per source: %v", bodies)

	// Compiled at once from many goroutines: one template.
	var wg sync.WaitGroup
	got := make([]*template.Template, 16)
	for i := range got {
		wg.Go(func() {
			h, errs := d.compile(bodyHook(fmt.Sprint("race-", i), `{"race":"{{event_type}}"}`))
			require.Nil(t, errs)
			got[i] = h.body
		})
	}
	wg.Wait()
	for _, tmpl := range got {
		require.Same(t, got[0], tmpl)
	}

	// Another Dispatcher may parse with other options.
	other, err := New(WithTemplateOptions(template.WithStrict()))
	require.NoError(t, err)
	defer other.Close(context.Background())
	h1, errs := d.compile(bodyHook("a", torqBody))
	require.Nil(t, errs)
	h2, errs := other.compile(bodyHook("a", torqBody))
	require.Nil(t, errs)
	require.NotSame(t, h1.body, h2.body)
}

// A template no webhook uses any more is collected, and its source
// forgotten; a body that does not parse is reported at each compile, with
// its position, and never kept.
func TestBodyTemplatesForgetUnused(t *testing.T) {
	d, err := New()
	require.NoError(t, err)
	defer d.Close(context.Background())
	for range 2 {
		_, errs := d.compile(bodyHook("bad", `{"a":"{{#each data}}"}`))
		require.NotEmpty(t, errs)
		require.Contains(t, errs.Error(), "body_template")
	}
	h, errs := d.compile(bodyHook("once", `{"once":"{{event_type}}"}`))
	require.Nil(t, errs)
	require.Equal(t, 1, d.cfg.shared.bodies.size())
	runtime.KeepAlive(h)
	require.Eventually(t, func() bool {
		runtime.GC()
		return d.cfg.shared.bodies.size() == 0
	}, 5*time.Second, 10*time.Millisecond)
}

// filterHook is a webhook whose filter is decoded from raw, as a
// definition store hands it over.
func filterHook(t *testing.T, name, raw string) Webhook {
	t.Helper()
	w := bodyHook(name, torqBody)
	f, err := filter.Parse([]byte(raw))
	require.NoError(t, err)
	w.Filters = f
	w.ResponseValidators = []ResponseValidator{{JSONPath: "$.data.status", ExpectedValues: []string{"ok", "done"}}}
	return w
}

// Webhooks whose filters have one JSON form share one compiled filter
// (all but the first to have it, which has its own), and those with one
// path and expected values one JSON path validator; the copy of the
// definition holds the shared filter, so the one decoded for it is not
// kept. Another form, path or list gets its own, and what was shared
// matches exactly as the original did.
func TestFiltersAndValidatorsSharedByContent(t *testing.T) {
	d, err := New()
	require.NoError(t, err)
	defer d.Close(context.Background())
	const prod = `{"data.access_groups[].integration.type":{"$in":["Postgresql","Mysql"]},"data.requester.email":{"$glob":"*@example.com"}}`
	hooks := []*hook{}
	for i := range 3 {
		w := filterHook(t, fmt.Sprint("prod-", i), prod)
		h, errs := d.compile(w)
		require.Nil(t, errs)
		require.NotSame(t, w.Filters, h.filter, "the first decoded filter is not the one kept")
		require.Same(t, w.Filters, h.def.Filters, "the caller's filter stays in its definition")
		hooks = append(hooks, h)
	}
	require.NotSame(t, hooks[0].filter, hooks[1].filter, "the first has its own")
	require.Same(t, hooks[1].filter, hooks[2].filter)
	other := filterHook(t, "dev", `{"data.access_groups[].integration.type":{"$in":["Postgresql"]}}`)
	other.ResponseValidators[0].ExpectedValues = []string{"ok"}
	h, errs := d.compile(other)
	require.Nil(t, errs)
	require.NotSame(t, hooks[1].filter, h.filter)
	// Three webhooks, one JSON path validator; then another list.
	require.Equal(t, 2, d.cfg.shared.jsonPaths.size())
	rv := ResponseValidator{JSONPath: "$.data.status", ExpectedValues: []string{"ok", "done"}}
	v1, _, err := d.cfg.compileValidator(rv)
	require.NoError(t, err)
	v2, _, err := d.cfg.compileValidator(rv)
	require.NoError(t, err)
	require.Same(t, v1, v2)
	// The list of expected values is part of the key, element by element.
	rv.ExpectedValues = []string{"okd", "one"}
	v3, _, err := d.cfg.compileValidator(rv)
	require.NoError(t, err)
	require.NotSame(t, v1, v3)
	require.Equal(t, 3, d.cfg.shared.jsonPaths.size())
	runtime.KeepAlive(h)

	original, err := filter.Parse([]byte(prod))
	require.NoError(t, err)
	for _, e := range accessrequest.Mocks() {
		require.Equal(t, original.Match(e.Document()), hooks[0].filter.Match(e.Document()), e.Type())
		require.Equal(t, original.Match(e.Document()), hooks[1].filter.Match(e.Document()), e.Type())
	}
	require.Equal(t, 1, d.cfg.shared.filters.size(), "only the form seen twice is held")

	// Once no webhook holds them, they are collected and forgotten.
	runtime.KeepAlive(hooks)
	hooks, h = nil, nil
	require.Eventually(t, func() bool {
		runtime.GC()
		return d.cfg.shared.filters.size() == 0 && d.cfg.shared.jsonPaths.size() == 0
	}, 5*time.Second, 10*time.Millisecond)
}

// A definition loaded from the store keeps the shared filter in its copy
// of the definition, so that the one decoded for it is collected. The
// first compiled with that filter has its own.
func TestStoredDefinitionsHoldTheSharedFilter(t *testing.T) {
	store := defstore.NewMemory()
	writer, err := New(WithDefinitionStore(store))
	require.NoError(t, err)
	defer writer.Close(context.Background())
	const prod = `{"data.access_groups[].integration.type":{"$in":["Postgresql","Mysql"]}}`
	for i, tenant := range []string{"acme", "globex", "initech"} {
		_, err := writer.Tenant(tenant).Create(context.Background(), filterHook(t, fmt.Sprint("prod-", i), prod), "test")
		require.NoError(t, err)
	}
	reader, err := New(WithDefinitionStore(store))
	require.NoError(t, err)
	defer reader.Close(context.Background())
	var filters []*filter.Filter
	reader.mu.RLock()
	entries := slices.Collect(maps.Values(reader.byKey))
	reader.mu.RUnlock()
	require.Len(t, entries, 3)
	for _, e := range entries {
		h, err := reader.compiled(e)
		require.NoError(t, err)
		require.Same(t, h.filter, h.def.Filters)
		filters = append(filters, h.filter)
	}
	require.NotSame(t, filters[0], filters[1], "the first has its own")
	require.Same(t, filters[1], filters[2], "two tenants, one filter")
}

// Webhooks with the same response validators and message share one
// compiled Set and one copy of the validators; a change in any of them
// (an expected value, the kind, the message) gets its own, and each
// webhook checks responses as its own validators say.
func TestResponseValidatorsSharedBySource(t *testing.T) {
	d, err := New()
	require.NoError(t, err)
	defer d.Close(context.Background())
	with := func(name, msg string, rvs ...ResponseValidator) *hook {
		w := bodyHook(name, torqBody)
		w.ResponseValidators, w.CustomValidationErrorMessage = rvs, msg
		h, errs := d.compile(w)
		require.Nil(t, errs)
		return h
	}
	ok := ResponseValidator{JSONPath: "$.status", ExpectedValues: []string{"ok"}}
	a, b := with("a", "", ok), with("b", "", ok)
	require.Same(t, a.validators, b.validators)
	require.Same(t, &a.def.ResponseValidators[0], &b.def.ResponseValidators[0])
	for _, other := range []*hook{
		with("c", "", ResponseValidator{JSONPath: "$.status", ExpectedValues: []string{"ok", "done"}}),
		with("d", "", ResponseValidator{JSONPath: "$.status", ExpectedValues: []string{"okdone"}}),
		with("e", "", ResponseValidator{Header: "$.status", ExpectedValues: []string{"ok"}}),
		with("f", "refused", ok),
		with("g", ""),
	} {
		require.NotSame(t, a.validators, other.validators, other.def.Name)
	}
	require.Equal(t, []ResponseValidator{ok}, b.def.ResponseValidators)
	require.Equal(t, 1, a.validators.Len())
}

// Definitions loaded from a store hold one copy of what they have in
// common: their body template's source, the list of their one trigger
// (the entry's and the compiled copy's), and each its name once; a
// trigger spelled otherwise keeps its spelling, and Get gives each
// definition back as written.
func TestLoadedDefinitionsShareWhatTheyHaveInCommon(t *testing.T) {
	ctx := context.Background()
	store := defstore.NewMemory()
	writer, err := New(WithDefinitionStore(store))
	require.NoError(t, err)
	defer writer.Close(ctx)
	alias := event.Trigger("Access" + string(accessrequest.Created))
	var written []Webhook
	for i, trigger := range []event.Trigger{accessrequest.Created, accessrequest.Created, alias} {
		w := bodyHook(fmt.Sprint("loaded-", i), torqBody)
		w.Triggers = []event.Trigger{trigger}
		w, err := writer.Add(w)
		require.NoError(t, err)
		written = append(written, w)
	}

	reader, err := New(WithDefinitionStore(store), WithEngine(&collectingEngine{}))
	require.NoError(t, err)
	defer reader.Close(ctx)
	hooks := make([]*hook, len(written))
	entries := make([]*entry, len(written))
	for i, w := range written {
		reader.mu.RLock()
		entries[i] = reader.byKey[queueKey("", w.ID)]
		reader.mu.RUnlock()
		hooks[i], err = reader.compiled(entries[i])
		require.NoError(t, err)
		require.Same(t, unsafe.StringData(entries[i].rec.Name), unsafe.StringData(hooks[i].def.Name), "name of %s", w.Name)
		got, ok := reader.Get(w.ID)
		require.True(t, ok)
		require.Equal(t, w, got)
	}
	require.Same(t, unsafe.StringData(hooks[0].def.BodyTemplate), unsafe.StringData(hooks[1].def.BodyTemplate))
	require.Same(t, unsafe.StringData(hooks[0].def.BodyTemplate), unsafe.StringData(hooks[2].def.BodyTemplate))
	require.Same(t, &hooks[0].def.Triggers[0], &hooks[1].def.Triggers[0])
	require.Same(t, &entries[0].rec.Triggers[0], &entries[1].rec.Triggers[0])
	require.Equal(t, []event.Trigger{alias}, hooks[2].def.Triggers)
	require.Equal(t, []event.Trigger{accessrequest.Created}, entries[2].rec.Triggers, "indexed under the canonical trigger")

	// The shared list is the definitions', not the caller's: changing a
	// definition Get returned changes nothing held.
	got, _ := reader.Get(written[0].ID)
	got.Triggers[0] = accessrequest.Approved
	require.Equal(t, []event.Trigger{accessrequest.Created}, hooks[1].def.Triggers)
	e, ok := accessrequest.Mock(accessrequest.Created)
	require.True(t, ok)
	pub, err := reader.Publish(ctx, e)
	require.NoError(t, err)
	require.Len(t, pub.Deliveries, 3)
}

// A filter only one webhook has is its own: the Dispatcher holds nothing
// for it (a weak pointer and its cleanup would cost the collector as much
// as the filter). A second webhook with the same filter shares it with
// any later one, each matching as its filter says, and once they are
// removed the filter is forgotten.
func TestFilterSharedOnceSeenTwice(t *testing.T) {
	d, err := New(WithEngine(&collectingEngine{}))
	require.NoError(t, err)
	defer d.Close(context.Background())
	const n = 100
	for i := range n {
		w := bodyHook(fmt.Sprint("own-", i), torqBody)
		w.ID = fmt.Sprint("own-", i)
		w.Filters = filter.Must(filter.New(filter.Requester(fmt.Sprint("usr-", i))))
		_, err := d.Add(w)
		require.NoError(t, err)
	}
	require.Zero(t, d.cfg.shared.filters.size(), "no filter seen twice")

	same := filter.Must(filter.New(filter.Exists("data.requester")))
	for _, id := range []string{"same-0", "same-1", "same-2"} {
		w := bodyHook(id, torqBody)
		w.ID, w.Filters = id, same
		_, err := d.Add(w)
		require.NoError(t, err)
	}
	require.Equal(t, 1, d.cfg.shared.filters.size())
	i := slices.IndexFunc(accessrequest.Mocks(), func(e *event.Event) bool { return e.Type() == accessrequest.Created })
	pub, err := d.Publish(context.Background(), accessrequest.Mocks()[i])
	require.NoError(t, err)
	var ids []string
	for _, q := range pub.Deliveries {
		ids = append(ids, q.WebhookID)
	}
	require.Equal(t, []string{"same-0", "same-1", "same-2"}, ids)
	require.Equal(t, n, pub.Filtered)

	for _, id := range []string{"same-0", "same-1", "same-2"} {
		require.NoError(t, d.Remove(id))
	}
	require.Eventually(t, func() bool {
		runtime.GC()
		return d.cfg.shared.filters.size() == 0
	}, 5*time.Second, 10*time.Millisecond)
}

// sightings reports a key recorded before, never one that was not, and
// keeps what it records, up to its bound.
func TestSightings(t *testing.T) {
	var s sightings
	var buf []byte
	key := func(i int) []byte {
		buf = fmt.Appendf(buf[:0], `{"data.requester.id":"usr-%d"}`, i)
		return buf
	}
	const n = 10_000
	for i := range n {
		require.False(t, s.again(key(i)), i)
		require.True(t, s.again(key(i)), i)
	}
	for i := range n {
		require.True(t, s.again(key(i)), i)
	}
	for i := n; i < 2*n; i++ {
		require.False(t, s.again(key(i)), i)
	}
	for i := 2 * n; i < 2*n+maxSightings; i++ {
		s.again(key(i))
	}
	require.LessOrEqual(t, len(s.hashes), maxSightings)
}
