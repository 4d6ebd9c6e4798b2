package riverengine_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"
)

// pgURLEnv names a PostgreSQL server to use instead of starting one; the
// tests create and drop databases on it.
const pgURLEnv = "OUTHOOK_PG_URL"

// pgServer is the server the tests use: a throwaway cluster started by
// TestMain, or the one pgURLEnv names. Empty when there is none; then
// pgSkip says why.
var (
	pgServer string
	pgSkip   string
)

func TestMain(m *testing.M) {
	if mode := os.Getenv(crashChildEnv); mode != "" {
		os.Exit(crashChild(mode))
	}
	stop := startPostgres()
	code := m.Run()
	stop()
	os.Exit(code)
}

// needPostgres returns a fresh database on the test server, dropped at the
// end of the test, or skips the test when there is no server; under CI=true
// it fails instead, so that CI cannot pass without PostgreSQL.
func needPostgres(t testing.TB) string {
	t.Helper()
	if pgServer == "" {
		if os.Getenv("CI") == "true" {
			t.Fatalf("PostgreSQL is required under CI=true: %s", pgSkip)
		}
		t.Skipf("no PostgreSQL: %s (install the server, e.g. apt-get install postgresql, or set %s)", pgSkip, pgURLEnv)
	}
	name := fmt.Sprintf("outhook_test_%d_%d", os.Getpid(), dbSeq.Add(1))
	ctx := context.Background()
	admin, err := pgxpool.New(ctx, pgServer)
	require.NoError(t, err)
	defer admin.Close()
	_, err = admin.Exec(ctx, "CREATE DATABASE "+name)
	require.NoError(t, err)
	t.Cleanup(func() {
		admin, err := pgxpool.New(ctx, pgServer)
		if err != nil {
			return
		}
		defer admin.Close()
		_, _ = admin.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
	})
	return withDatabase(pgServer, name)
}

var dbSeq atomic.Int64

// withDatabase replaces the database of a postgres:// URL.
func withDatabase(url, name string) string {
	base, query, _ := strings.Cut(url, "?")
	i := strings.LastIndex(base, "/")
	if i < len("postgres://") {
		base += "/"
		i = len(base) - 1
	}
	out := base[:i+1] + name
	if query != "" {
		out += "?" + query
	}
	return out
}

// startPostgres starts a throwaway cluster in a temporary directory on a
// free port, unless pgURLEnv names a server, and returns what stops it.
// initdb refuses to run as root: as root, the cluster belongs to the
// postgres user that Debian's package creates, and runs through runuser.
func startPostgres() (stop func()) {
	if url := os.Getenv(pgURLEnv); url != "" {
		pgServer = url
		return func() {}
	}
	bin, err := postgresBin()
	if err != nil {
		pgSkip = err.Error()
		return func() {}
	}
	dir, err := os.MkdirTemp("", "outhook-pg-")
	if err != nil {
		pgSkip = err.Error()
		return func() {}
	}
	run := func(name string, args ...string) *exec.Cmd { return exec.Command(filepath.Join(bin, name), args...) }
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			pgSkip = "running as root and there is no postgres user to own the cluster"
			_ = os.RemoveAll(dir)
			return func() {}
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			pgSkip = err.Error()
			return func() {}
		}
		run = func(name string, args ...string) *exec.Cmd {
			return exec.Command("runuser", append([]string{"-u", "postgres", "--", filepath.Join(bin, name)}, args...)...)
		}
	}
	fail := func(step string, err error, out []byte) func() {
		pgSkip = fmt.Sprintf("%s: %v: %s", step, err, strings.TrimSpace(string(out)))
		_ = os.RemoveAll(dir)
		return func() {}
	}
	data := filepath.Join(dir, "data")
	if out, err := run("initdb", "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync").CombinedOutput(); err != nil {
		return fail("initdb", err, out)
	}
	port, err := freePort()
	if err != nil {
		return fail("finding a free port", err, nil)
	}
	// Durable settings (fsync, synchronous commit) stay PostgreSQL's
	// defaults, so that the benchmark measures what production gets.
	opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c max_connections=300 -c shared_buffers=256MB", port, dir)
	if out, err := run("pg_ctl", "-D", data, "-o", opts, "-l", filepath.Join(dir, "log"), "-w", "-t", "60", "start").CombinedOutput(); err != nil {
		log, _ := os.ReadFile(filepath.Join(dir, "log"))
		return fail("pg_ctl start", err, append(out, log...))
	}
	pgServer = fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", port)
	return func() {
		_ = run("pg_ctl", "-D", data, "-m", "immediate", "-w", "stop").Run()
		_ = os.RemoveAll(dir)
	}
}

// postgresBin finds the directory of initdb and pg_ctl: on PATH, or where
// Debian's packages put them, the newest version first.
func postgresBin() (string, error) {
	if p, err := exec.LookPath("initdb"); err == nil {
		if _, err := exec.LookPath("pg_ctl"); err == nil {
			return filepath.Dir(p), nil
		}
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	slices.SortFunc(dirs, func(a, b string) int { return version(b) - version(a) })
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "initdb")); err == nil {
			return d, nil
		}
	}
	if runtime.GOOS != "linux" {
		return "", errors.New("initdb and pg_ctl are not on PATH")
	}
	return "", errors.New("initdb and pg_ctl are not on PATH nor in /usr/lib/postgresql/*/bin")
}

func version(binDir string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return v
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// newPool connects to url and migrates the database.
func newPool(t testing.TB, url string) *pgxpool.Pool {
	t.Helper()
	cfg, err := pgxpool.ParseConfig(url)
	require.NoError(t, err)
	cfg.MaxConns = 40
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	return pool
}

// eventually polls cond until it holds or timeout passes.
func eventually(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
