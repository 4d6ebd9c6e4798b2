package riverengine

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
)

//go:embed migrations/postgres/*.sql migrations/sqlite/*.sql
var migrationFS embed.FS

// migrateLockKey is the PostgreSQL advisory lock that serializes Migrate
// across processes: 'outhook' in ASCII.
const migrateLockKey = 0x6f7574686f6f6b

// migration is one of Outhook's own schema steps.
type migration struct {
	version int
	name    string
	sql     string
}

// migrations reads the steps for one database, in order.
func migrations(dialect string) ([]migration, error) {
	dir := "migrations/" + dialect
	entries, err := fs.ReadDir(migrationFS, dir)
	if err != nil {
		return nil, err
	}
	var out []migration
	for _, e := range entries {
		prefix, _, ok := strings.Cut(e.Name(), "_")
		v, err := strconv.Atoi(prefix)
		if !ok || err != nil {
			return nil, fmt.Errorf("riverengine: migration file %s has no version prefix", e.Name())
		}
		b, err := fs.ReadFile(migrationFS, path.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		out = append(out, migration{version: v, name: strings.TrimSuffix(e.Name(), ".sql"), sql: string(b)})
	}
	slices.SortFunc(out, func(a, b migration) int { return a.version - b.version })
	for i := 1; i < len(out); i++ {
		// A database records versions, so a second step of one version
		// would be taken for done and never run.
		if out[i].version == out[i-1].version {
			return nil, fmt.Errorf("riverengine: migrations %s and %s share version %d", out[i-1].name, out[i].name, out[i].version)
		}
	}
	return out, nil
}

func latest(ms []migration) int {
	if len(ms) == 0 {
		return 0
	}
	return ms[len(ms)-1].version
}

// Migrate brings a PostgreSQL database up to the schema the engine and the
// store need: River's own migrations (rivermigrate), then Outhook's tables
// for invocation records, dead letters, erasures, the lines of ordering keys,
// the events of batches and webhook definitions. It
// applies only what is missing, so running it again is harmless, and
// concurrent calls from several processes wait for each other on an
// advisory lock. It works on one connection of pool, held until it
// returns, so a pool of one connection is enough.
//
// Nothing applies migrations implicitly: call Migrate at deploy time, or
// from the service before New, which fails with ErrNotMigrated on a
// database Migrate has not brought up to date. The SQL of Outhook's own
// steps is in this module's migrations/postgres directory, for services
// that run migrations with their own tooling; River's can be applied with
// its CLI (river migrate-up).
func Migrate(ctx context.Context, pool *pgxpool.Pool) error {
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("riverengine: migrate: %w", err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", int64(migrateLockKey)); err != nil {
		return fmt.Errorf("riverengine: migrate: taking the migration lock: %w", err)
	}
	defer func() {
		_, _ = conn.Exec(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", int64(migrateLockKey))
	}()

	// River's steps go on the connection that holds the lock: one taken
	// from the pool besides would wait for ever on a pool of one, or on
	// one whose other connections wait for this lock.
	if err := migrateRiverOn(ctx, conn.Conn()); err != nil {
		return err
	}
	ms, err := migrations("postgres")
	if err != nil {
		return err
	}
	if _, err := conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS outhook_migration (
		version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
		return fmt.Errorf("riverengine: migrate: %w", err)
	}
	for _, m := range ms {
		err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			var done bool
			if err := tx.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM outhook_migration WHERE version = $1)", m.version).Scan(&done); err != nil || done {
				return err
			}
			if _, err := tx.Exec(ctx, m.sql); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, "INSERT INTO outhook_migration (version, name) VALUES ($1, $2)", m.version, m.name)
			return err
		})
		if err != nil {
			return fmt.Errorf("riverengine: migrate: %s: %w", m.name, err)
		}
	}
	return nil
}

// MigrateSQLite is Migrate for the embedded option: it brings a SQLite
// database, opened with a pure-Go driver such as modernc.org/sqlite, up to
// date with River's SQLite migrations and Outhook's tables. Each step is a
// transaction that holds SQLite's write lock from its first statement and
// only then reads whether the step is applied: concurrent calls, of one
// process or of several (an old and a new process during a restart), take
// turns (waiting up to the busy timeout the database was opened with) and
// never apply a step twice. It needs one connection of db.
func MigrateSQLite(ctx context.Context, db *sql.DB) error {
	if err := whileSQLiteBusy(ctx, func() error {
		_, err := db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS outhook_migration (
			version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP)`)
		return err
	}); err != nil {
		return fmt.Errorf("riverengine: migrate: %w", err)
	}
	migrator, err := rivermigrate.New(riversqlite.New(db), nil)
	if err != nil {
		return fmt.Errorf("riverengine: migrate: %w", err)
	}
	for {
		var applied int
		err := sqliteStep(ctx, db, func(tx *sql.Tx) error {
			//lint:ignore SA1019 one step per transaction, as River's Migrate takes them
			res, err := migrator.MigrateTx(ctx, tx, rivermigrate.DirectionUp, &rivermigrate.MigrateOpts{MaxSteps: 1})
			if err == nil {
				applied = len(res.Versions)
			}
			return err
		})
		if err != nil {
			return fmt.Errorf("riverengine: migrate: River's migrations: %w", err)
		}
		if applied == 0 {
			break
		}
	}
	ms, err := migrations("sqlite")
	if err != nil {
		return err
	}
	for _, m := range ms {
		if err := sqliteStep(ctx, db, func(tx *sql.Tx) error { return applySQLite(ctx, tx, m) }); err != nil {
			return fmt.Errorf("riverengine: migrate: %s: %w", m.name, err)
		}
	}
	return nil
}

// whileSQLiteBusy runs fn until it does not fail with SQLITE_BUSY, for at
// most freshFileWait or until ctx ends. Processes opening a new file at
// once get SQLITE_BUSY at once, whatever their busy timeout, while one of
// them sets the file up (its WAL files, its first schema); a moment later
// the same statement goes through.
func whileSQLiteBusy(ctx context.Context, fn func() error) error {
	deadline := time.Now().Add(freshFileWait)
	for {
		err := fn()
		var coded interface{ Code() int }
		if err == nil || !errors.As(err, &coded) || coded.Code()&0xff != sqliteBusy || time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// freshFileWait bounds whileSQLiteBusy; sqliteBusy is SQLite's primary
// result code SQLITE_BUSY.
const (
	freshFileWait = 10 * time.Second
	sqliteBusy    = 5
)

// sqliteStep runs fn in a transaction that holds SQLite's write lock from
// its start: its first statement writes (nothing), so that what fn reads
// is not a snapshot from before another migration's commit.
func sqliteStep(ctx context.Context, db *sql.DB, fn func(tx *sql.Tx) error) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback() }()
	if _, err := tx.ExecContext(ctx, "UPDATE outhook_migration SET version = version WHERE 0"); err != nil {
		return fmt.Errorf("taking the write lock: %w", err)
	}
	if err := fn(tx); err != nil {
		return err
	}
	return tx.Commit()
}

func applySQLite(ctx context.Context, tx *sql.Tx, m migration) error {
	var n int
	if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM outhook_migration WHERE version = ?", m.version).Scan(&n); err != nil || n > 0 {
		return err
	}
	if _, err := tx.ExecContext(ctx, m.sql); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, "INSERT INTO outhook_migration (version, name) VALUES (?, ?)", m.version, m.name)
	return err
}

// migrateRiverOn applies River's missing migrations on conn, each in a
// transaction of its own, as River's Migrate does: a step may need the one
// before committed (an enum value a function uses).
func migrateRiverOn(ctx context.Context, conn *pgx.Conn) error {
	migrator, err := rivermigrate.New(riverpgxv5.New(nil), nil)
	if err != nil {
		return fmt.Errorf("riverengine: migrate: %w", err)
	}
	for {
		var applied int
		err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			//lint:ignore SA1019 one step per transaction, as River's Migrate takes them
			res, err := migrator.MigrateTx(ctx, tx, rivermigrate.DirectionUp, &rivermigrate.MigrateOpts{MaxSteps: 1})
			if err == nil {
				applied = len(res.Versions)
			}
			return err
		})
		if err != nil {
			return fmt.Errorf("riverengine: migrate: River's migrations: %w", err)
		}
		if applied == 0 {
			return nil
		}
	}
}

// checkRiver fails with ErrNotMigrated when River's migrations are not all
// applied.
func checkRiver[TTx any](ctx context.Context, driver riverdriver.Driver[TTx]) error {
	migrator, err := rivermigrate.New(driver, nil)
	if err != nil {
		return fmt.Errorf("riverengine: checking the schema: %w", err)
	}
	res, err := migrator.Validate(ctx, nil)
	if err != nil {
		return fmt.Errorf("riverengine: checking the schema: %w: %w", ErrNotMigrated, err)
	}
	if !res.OK {
		return fmt.Errorf("riverengine: %w: %s", ErrNotMigrated, strings.Join(res.Messages, "; "))
	}
	return nil
}

// checkOwn fails with ErrNotMigrated when Outhook's own steps are not all
// applied: applied is the highest version recorded, 0 for none.
func checkOwn(dialect string, applied int) error {
	ms, err := migrations(dialect)
	if err != nil {
		return err
	}
	if want := latest(ms); applied < want {
		return fmt.Errorf("riverengine: %w: Outhook's schema is at version %d, want %d", ErrNotMigrated, applied, want)
	}
	return nil
}

func checkPostgres(ctx context.Context, pool *pgxpool.Pool) error {
	if err := checkRiver(ctx, riverpgxv5.New(pool)); err != nil {
		return err
	}
	var exists bool
	if err := pool.QueryRow(ctx, "SELECT to_regclass('outhook_migration') IS NOT NULL").Scan(&exists); err != nil {
		return fmt.Errorf("riverengine: checking the schema: %w", err)
	}
	applied := 0
	if exists {
		if err := pool.QueryRow(ctx, "SELECT coalesce(max(version), 0) FROM outhook_migration").Scan(&applied); err != nil {
			return fmt.Errorf("riverengine: checking the schema: %w", err)
		}
	}
	return checkOwn("postgres", applied)
}

func checkSQLite(ctx context.Context, db *sql.DB) error {
	if err := checkRiver(ctx, riversqlite.New(db)); err != nil {
		return err
	}
	var n int
	if err := db.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'outhook_migration'").Scan(&n); err != nil {
		return fmt.Errorf("riverengine: checking the schema: %w", err)
	}
	applied := 0
	if n > 0 {
		if err := db.QueryRowContext(ctx, "SELECT coalesce(max(version), 0) FROM outhook_migration").Scan(&applied); err != nil {
			return fmt.Errorf("riverengine: checking the schema: %w", err)
		}
	}
	return checkOwn("sqlite", applied)
}
