package riverengine

import (
	"context"
	"runtime"
	"slices"
	"sync"

	"github.com/riverqueue/river"

	"github.com/outhook/outhook/engine"
)

// pendingInsert is a batch of jobs to insert: their deliveries, River's
// options, and what the queue keeps of them besides.
type pendingInsert struct {
	batch []deliveryArgs
	opts  *river.InsertOpts
	// jobs is the JSON of each delivery's arguments (SQLite).
	jobs []string
	// row says the batch's event is kept once, in a row of outhook_event
	// (PostgreSQL): eventID and event are its columns, ref its id once
	// inserted.
	row            bool
	eventID, event string
	ref            int64
	done           chan error // the write's result; buffered
}

// finish tells p's caller how its write went.
func (p *pendingInsert) finish(err error) { p.done <- err }

// maxInsertGroup bounds the jobs one transaction of insertGroup writes,
// but for a single batch larger than it.
const maxInsertGroup = 500

// groupWriter writes the groups of an insertGroup.
type groupWriter interface {
	// hold waits, until wait ends, for what writing a group takes (a
	// connection), and returns the function that writes a group with it,
	// telling each of its callers how it went, and then lets it go.
	hold(wait context.Context) (write func(ctx context.Context, group []*pendingInsert), err error)
}

// insertGroup writes the batches of concurrent Enqueue calls outside a
// transaction together, in one transaction and one commit for all that
// arrived while the previous group was being written (group commit):
// otherwise publishers take a connection, and commit, once per Publish
// (on SQLite, its single connection). An idle instance writes each batch
// at once, adding no wait. One group is written at a time, by a goroutine
// that lives as long as batches are queued. It waits for a connection
// before it takes a group, for as long as callers wait: an adopter's
// transaction may hold SQLite's one connection for long, and the workers
// PostgreSQL's pool, and until the group is taken each caller can leave at
// its ctx's end. Once taken, a group's write is bounded by
// detachedTimeout.
type insertGroup struct {
	mu      sync.Mutex
	queue   []*pendingInsert
	writing bool
	stopped bool
	// stopWaiting ends the writer's wait for a connection: set while it
	// waits, called when the last caller queued leaves, and by stop.
	stopWaiting context.CancelFunc
	// writer is running while a flush goroutine is.
	writer sync.WaitGroup
}

// write inserts p with the next group and returns the result. When ctx
// ends first, p is not inserted unless its group was taken, the
// connection in hand: then write waits for that write, so that an error
// never hides jobs written. After stop it returns engine.ErrClosed.
func (g *insertGroup) write(ctx context.Context, w groupWriter, p *pendingInsert) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	p.done = make(chan error, 1)
	g.mu.Lock()
	if g.stopped {
		g.mu.Unlock()
		return engine.ErrClosed
	}
	g.queue = append(g.queue, p)
	if !g.writing {
		g.writing = true
		g.writer.Add(1)
		go g.flush(w)
	}
	g.mu.Unlock()
	select {
	case err := <-p.done:
		return err
	case <-ctx.Done():
	}
	g.mu.Lock()
	i := slices.Index(g.queue, p)
	if i >= 0 {
		g.queue = slices.Delete(g.queue, i, i+1)
		if len(g.queue) == 0 && g.stopWaiting != nil {
			g.stopWaiting() // no one left to write for
		}
	}
	g.mu.Unlock()
	if i >= 0 {
		return ctx.Err()
	}
	return <-p.done
}

// stop fails the batches queued and not taken yet with engine.ErrClosed,
// as it does those of later calls, ends the writer's wait for a
// connection, and waits for the group being written, if any.
func (g *insertGroup) stop() {
	g.mu.Lock()
	g.stopped = true
	for _, p := range g.queue {
		p.finish(engine.ErrClosed)
	}
	g.queue = nil
	if g.stopWaiting != nil {
		g.stopWaiting()
	}
	g.mu.Unlock()
	g.writer.Wait()
}

// flush writes groups of batches, up to maxInsertGroup jobs each, in the
// order queued, until none is queued. Before taking a group it yields, so
// that the callers its last write released, whose goroutines are ready to
// run, queue their next batches first: without it, a busy instance writes
// groups of the one or two batches that came in meanwhile. It then waits
// for a connection, and takes the group once it has one.
func (g *insertGroup) flush(w groupWriter) {
	defer g.writer.Done()
	for {
		runtime.Gosched()
		wait, stopWait := context.WithCancel(context.Background())
		g.mu.Lock()
		if len(g.queue) == 0 {
			g.writing = false
			g.mu.Unlock()
			stopWait()
			return
		}
		g.stopWaiting = stopWait
		g.mu.Unlock()
		write, err := w.hold(wait)
		g.mu.Lock()
		g.stopWaiting = nil
		if err != nil && wait.Err() != nil {
			// Every caller left, or stop; those queued since are served
			// next round.
			g.mu.Unlock()
			stopWait()
			continue
		}
		n, jobs := 0, 0
		for n < len(g.queue) && (n == 0 || jobs+len(g.queue[n].batch) <= maxInsertGroup) {
			jobs += len(g.queue[n].batch)
			n++
		}
		group := slices.Clone(g.queue[:n])
		g.queue = slices.Delete(g.queue, 0, n)
		g.mu.Unlock()
		stopWait()
		switch {
		case err != nil: // the database is closed, say
			for _, p := range group {
				p.finish(err)
			}
		case n > 0:
			ctx, cancel := context.WithTimeout(context.Background(), detachedTimeout)
			write(ctx, group)
			cancel()
		default:
			write(context.Background(), nil) // lets the connection go
		}
	}
}
