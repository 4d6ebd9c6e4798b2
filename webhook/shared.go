package webhook

import (
	"cmp"
	"encoding/binary"
	"hash/maphash"
	"runtime"
	"strings"
	"sync"
	"weak"

	"github.com/outhook/outhook/event"
	"github.com/outhook/outhook/filter"
	"github.com/outhook/outhook/template"
	"github.com/outhook/outhook/validate"
)

// compiledValues shares the compiled parts of a Dispatcher's webhooks by
// content: the tenants of a service mostly use one of a few bodies (their
// integration's preset), filters and response validators, and each compiled
// copy costs hundreds of bytes to kilobytes, which a million webhooks would
// each pay. The values are immutable, so sharing them is safe. The zero
// value is ready to use.
type compiledValues struct {
	bodies    sharedValues[template.Template]          // by source; the options are the Dispatcher's
	filters   sharedValues[filter.Filter]              // by JSON form, once seen twice (see filterSeen)
	jsonPaths sharedValues[validate.JSONPathValidator] // by path and expected values
	checks    sharedValues[responseChecks]             // by response validators and message

	// triggers holds the list of each known trigger alone, as spelled,
	// which most definitions have: held strongly, since the Dispatcher's
	// event types bound them.
	triggers sync.Map // event.Trigger -> []event.Trigger

	// filterSeen holds the JSON forms of filters compiled once: most
	// filters are a webhook's own, and holding one weakly costs objects
	// the collector follows at every cycle (a weak pointer, a cleanup and
	// its arguments, a key), as many as its compiled form has, for
	// nothing. Only a form seen before is shared.
	filterSeen sightings
}

// oneTrigger returns a list of t alone, shared by every definition with
// that list, which must not change it.
func (c *compiledValues) oneTrigger(t event.Trigger) []event.Trigger {
	if l, ok := c.triggers.Load(t); ok {
		return l.([]event.Trigger)
	}
	l, _ := c.triggers.LoadOrStore(t, []event.Trigger{event.Trigger(strings.Clone(string(t)))})
	return l.([]event.Trigger)
}

// responseChecks are a definition's response validators, as given and
// compiled into a Set, shared by the webhooks that have the same ones
// and the same message. A hook holds &set, which keeps them.
type responseChecks struct {
	set  validate.Set
	defs []ResponseValidator
}

// responseChecks returns the checks of definitions with validators given
// as defs and compiled as set, with message msg: those held, or else
// those made of set and defs.
func (c *compiledValues) responseChecks(defs []ResponseValidator, msg string, set *validate.Set) *responseChecks {
	key := appendString(nil, msg)
	for _, rv := range defs {
		key = appendString(key, rv.JSONPath)
		key = appendStrings(key, rv.Status)
		key = appendString(key, rv.Header)
		key = appendStrings(key, rv.ExpectedValues)
	}
	rc, _ := c.checks.get(string(key), func() (*responseChecks, error) {
		return &responseChecks{set: *set, defs: defs}, nil
	})
	return rc
}

// appendString appends s, length-prefixed so that no two lists make one
// key.
func appendString(key []byte, s string) []byte {
	key = binary.AppendUvarint(key, uint64(len(s)))
	return append(key, s...)
}

func appendStrings(key []byte, list []string) []byte {
	key = binary.AppendUvarint(key, uint64(len(list)))
	for _, s := range list {
		key = appendString(key, s)
	}
	return key
}

// body returns the template of src parsed with opts, which must be the
// same at every call, and the copy of src kept with it, for the
// definitions that have it to hold rather than one each.
func (c *compiledValues) body(src string, opts []template.Option) (*template.Template, string, error) {
	return c.bodies.getKeyed(src, func() (*template.Template, error) { return template.Parse(src, opts...) })
}

// filter returns a filter that matches as f does: the one compiled from
// f's JSON form, shared with every webhook whose filter has that form,
// except the first webhook to have it, which gets one of its own. The
// form is the one a definition store keeps: an error here is a definition
// that could be stored but not read back, and never the caller's f, which
// the caller may change.
func (c *compiledValues) filter(f *filter.Filter) (*filter.Filter, error) {
	key, err := f.MarshalJSON()
	if err != nil {
		return nil, err
	}
	if v, _ := c.filters.find(string(key)); v != nil {
		return v, nil
	}
	if !c.filterSeen.again(key) {
		return filter.Parse(key)
	}
	return c.filters.get(string(key), func() (*filter.Filter, error) { return filter.Parse(key) })
}

// jsonPath returns the validator of validate.JSONPath(path, expected).
func (c *compiledValues) jsonPath(path string, expected []string) (*validate.JSONPathValidator, error) {
	// Length-prefixed, so that no two lists make one key.
	key := appendString(nil, path)
	for _, e := range expected {
		key = appendString(key, e)
	}
	return c.jsonPaths.get(string(key), func() (*validate.JSONPathValidator, error) {
		return validate.JSONPath(path, expected)
	})
}

// sharedValues holds values by key weakly, so that one no webhook uses any
// more is collected, and its key forgotten. It is safe for concurrent use;
// the zero value is ready to use.
type sharedValues[T any] struct {
	once sync.Once
	tab  *sharedTable[T]
}

// sharedTable is the state of a sharedValues, allocated apart: each
// value's cleanup holds it, and a cleanup that reaches its value keeps
// it forever. The sharedValues sits in the Dispatcher's config, which
// reaches the Dispatcher, and so the values, through the funcs the host
// passed and the operational events' detector; the table reaches nothing
// but keys and weak pointers.
type sharedTable[T any] struct {
	mu    sync.Mutex
	byKey map[string]weak.Pointer[T]
	// keys holds the copy of the key kept for each value getKeyed made;
	// nil until it makes one.
	keys map[weak.Pointer[T]]string
}

func (s *sharedValues[T]) table() *sharedTable[T] {
	s.once.Do(func() { s.tab = &sharedTable[T]{} })
	return s.tab
}

// get returns the value of key: the one held, or else the one build makes.
// An error of build is returned and nothing is kept.
func (s *sharedValues[T]) get(key string, build func() (*T, error)) (*T, error) {
	v, _, err := s.table().getOrBuild(key, build, false)
	return v, err
}

// getKeyed is get, and returns the copy of key kept with the value too,
// for callers to hold rather than a copy of their own. The values of s
// must all be got with it.
func (s *sharedValues[T]) getKeyed(key string, build func() (*T, error)) (*T, string, error) {
	return s.table().getOrBuild(key, build, true)
}

// find returns the value of key and the copy of key kept with it, if any.
func (s *sharedValues[T]) find(key string) (*T, string) {
	return s.table().find(key)
}

// size returns how many keys have a value.
func (s *sharedValues[T]) size() int {
	t := s.table()
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.byKey)
}

func (t *sharedTable[T]) getOrBuild(key string, build func() (*T, error), keep bool) (*T, string, error) {
	if v, held := t.find(key); v != nil {
		return v, cmp.Or(held, key), nil
	}
	v, err := build()
	if err != nil {
		return nil, "", err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	held := t.byKey[key]
	if old := held.Value(); old != nil {
		return old, cmp.Or(t.keys[held], key), nil // built meanwhile for another webhook
	}
	if t.byKey == nil {
		t.byKey = map[string]weak.Pointer[T]{}
	}
	entry := sharedEntry[T]{key: strings.Clone(key), ptr: weak.Make(v)}
	t.byKey[entry.key] = entry.ptr
	if keep {
		if t.keys == nil {
			t.keys = map[weak.Pointer[T]]string{}
		}
		t.keys[entry.ptr] = entry.key
	}
	runtime.AddCleanup(v, t.forget, entry)
	return v, entry.key, nil
}

func (t *sharedTable[T]) find(key string) (*T, string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	ptr := t.byKey[key]
	return ptr.Value(), t.keys[ptr]
}

type sharedEntry[T any] struct {
	key string
	ptr weak.Pointer[T]
}

// forget drops the entry of a value collected, unless its key has another
// value by now.
func (t *sharedTable[T]) forget(e sharedEntry[T]) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.keys, e.ptr)
	if t.byKey[e.key] == e.ptr {
		delete(t.byKey, e.key)
	}
}

// sightings remembers keys by a 64-bit hash, in a map of integers, which
// the collector does not scan, so that remembering costs it nothing. Past
// maxSightings hashes it starts afresh: a key forgotten then is seen as
// new, and a key whose hash another has (one chance in 2^64) as recorded;
// either costs the sharing of a value, never correctness. It is safe for
// concurrent use; the zero value is ready to use.
type sightings struct {
	mu     sync.Mutex
	seed   maphash.Seed
	hashes map[uint64]struct{}
}

// maxSightings bounds the hashes remembered: about 8 MB.
const maxSightings = 1 << 19

// again records key and reports whether it was recorded before.
func (s *sightings) again(key []byte) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.hashes == nil {
		s.seed = maphash.MakeSeed()
		s.hashes = map[uint64]struct{}{}
	}
	h := maphash.Bytes(s.seed, key)
	if _, ok := s.hashes[h]; ok {
		return true
	}
	if len(s.hashes) >= maxSightings {
		clear(s.hashes)
	}
	s.hashes[h] = struct{}{}
	return false
}
