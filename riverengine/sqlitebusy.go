package riverengine

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// SQLite's primary result codes that the group writers tell apart.
const (
	sqliteLocked     = 6  // SQLITE_LOCKED: a lock of this process's
	sqliteError      = 1  // SQLITE_ERROR: among others, malformed JSON in a row
	sqliteTooBig     = 18 // SQLITE_TOOBIG: a row past the size limit
	sqliteConstraint = 19 // SQLITE_CONSTRAINT: a constraint, or a trigger's RAISE
	sqliteMismatch   = 20 // SQLITE_MISMATCH: a value of the wrong type
)

// sqliteCode returns err's primary SQLite result code, or 0 when err is
// no SQLite error.
func sqliteCode(err error) int {
	var coded interface{ Code() int }
	if !errors.As(err, &coded) {
		return 0
	}
	return coded.Code() & 0xff
}

// lockHeld says whether err is SQLite's answer to a write lock another
// connection held past the busy timeout: trying the same write again,
// once it lets the lock go, succeeds.
func lockHeld(err error) bool {
	c := sqliteCode(err)
	return c == sqliteBusy || c == sqliteLocked
}

// sqliteRefused says whether err is SQLite refusing what a write holds
// (a constraint, a trigger's RAISE, a value or size it does not take),
// which another batch written with it need not share; any other error
// (a lock, a read-only or full database, an I/O error) would fail every
// batch of the group alike.
func sqliteRefused(err error) bool {
	switch sqliteCode(err) {
	case sqliteError, sqliteTooBig, sqliteConstraint, sqliteMismatch:
		return true
	}
	return false
}

// lockWait bounds how long a SQLite store tries again a record write
// that another connection's write lock keeps failing.
var lockWait = time.Minute

// Backoff between the tries of a write kept out by a lock: doubling from
// lockPauseMin to lockPauseMax. Each try waits the busy timeout besides.
const (
	lockPauseMin = 10 * time.Millisecond
	lockPauseMax = time.Second
)

// whileLocked runs write until it does not fail for a lock another
// connection holds, pausing with backoff between tries, until ctx ends.
// A write the lock kept out to the end fails with an error wrapping
// ErrDatabaseLocked and the last lock error.
func whileLocked(ctx context.Context, write func() error) error {
	pause := lockPauseMin
	var locked error
	for {
		err := write()
		if err != nil && locked != nil && ctx.Err() != nil {
			// Cut short while waiting the busy timeout for the lock.
			return fmt.Errorf("%w: %w", ErrDatabaseLocked, locked)
		}
		if !lockHeld(err) {
			return err
		}
		locked = err
		t := time.NewTimer(pause)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("%w: %w", ErrDatabaseLocked, err)
		case <-t.C:
		}
		pause = min(2*pause, lockPauseMax)
	}
}
