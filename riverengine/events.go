package riverengine

import (
	"sync"

	"github.com/outhook/outhook/event"
)

// eventCacheSize bounds the events an instance keeps by row id: enough for
// the batches in flight, with a parsed event of a few KB to some tens.
const eventCacheSize = 256

// eventCache keeps the events of the latest batches by the id of their
// row in outhook_event, so that an instance running a batch's deliveries
// reads and parses its event once, and the instance that published it not
// at all. Deliveries of one batch that miss at once wait for one read.
// The oldest entry goes first once it is full.
type eventCache struct {
	mu      sync.Mutex
	entries map[int64]*cachedEvent
	order   []int64 // ring of the ids, oldest at next once full
	next    int
}

type cachedEvent struct {
	ready chan struct{} // closed once ev or err is set
	ev    *event.Event
	err   error
}

func newEventCache(size int) *eventCache {
	return &eventCache{entries: make(map[int64]*cachedEvent, size), order: make([]int64, 0, size)}
}

// put keeps ev as the event of row ref.
func (c *eventCache) put(ref int64, ev *event.Event) {
	done := make(chan struct{})
	close(done)
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.entries[ref]; !ok {
		c.add(ref, &cachedEvent{ready: done, ev: ev})
	}
}

// get returns the event of row ref, loading it with load unless it is kept
// or being loaded. A failed load is not kept.
func (c *eventCache) get(ref int64, load func() (*event.Event, error)) (*event.Event, error) {
	c.mu.Lock()
	e, ok := c.entries[ref]
	if !ok {
		e = &cachedEvent{ready: make(chan struct{})}
		c.add(ref, e)
	}
	c.mu.Unlock()
	if ok {
		<-e.ready
		if e.err == nil {
			return e.ev, nil
		}
		return load() // the load that failed belonged to another run
	}
	e.ev, e.err = load()
	close(e.ready)
	if e.err != nil {
		c.mu.Lock()
		if c.entries[ref] == e {
			delete(c.entries, ref)
		}
		c.mu.Unlock()
	}
	return e.ev, e.err
}

// add keeps e, evicting the oldest entry when full; c.mu is held.
func (c *eventCache) add(ref int64, e *cachedEvent) {
	if len(c.order) < cap(c.order) {
		c.order = append(c.order, ref)
	} else {
		delete(c.entries, c.order[c.next])
		c.order[c.next] = ref
		c.next = (c.next + 1) % len(c.order)
	}
	c.entries[ref] = e
}
