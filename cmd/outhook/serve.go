package main

import (
	"context"
	"database/sql"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/user"
	"strings"
	"time"

	_ "modernc.org/sqlite" // the database/sql driver "sqlite"

	"github.com/outhook/outhook/audit"
	"github.com/outhook/outhook/console"
	"github.com/outhook/outhook/integration"
	"github.com/outhook/outhook/keyring"
	"github.com/outhook/outhook/manage"
	"github.com/outhook/outhook/riverengine"
	"github.com/outhook/outhook/webhook"
)

var serveCommand = &command{
	name:     "serve",
	synopsis: "serve the console and the management API on an embedded SQLite store, for local use",
	usage: `
Usage: outhook serve -db FILE [-addr 127.0.0.1:8080] [-key ID:BASE64]
                     [-allow-target ADDR]... [-allow-http] [-allow-custom-ports]

Serves the Webhooks console (package console) and the management API
(package manage) for local use, on the SQLite database FILE, created and
migrated when needed. Webhooks may take the access-request, integration
and audit triggers (outhook schema lists them), not the operational ones,
which nothing here publishes. Webhooks are delivered
by riverengine's durable engine, and their definitions, invocation records,
dead letters and queued deliveries are kept in FILE, so they outlive the
process.

The console is at http://ADDR/, the API at http://ADDR/api/ and its
OpenAPI document at /api/openapi.json. Both serve a single tenant (the
default one) and record every change as made by $USER. They have no
authentication: they answer only requests from this machine (a loopback
peer, with a Host header naming localhost or a loopback address, which
also keeps web pages from reaching them through DNS rebinding), and the
address is on loopback unless -addr says otherwise; the console also
refuses forms posted from another origin. To offer them to others, mount
packages console and manage in a service behind your own authentication.

Definitions' secrets (header values, signing secrets, secret URL parts) are
sealed in FILE with a key: -key, or $OUTHOOK_KEY, written ID:BASE64 as
keyring.ParseKey reads it; otherwise the key in FILE.key, generated when
FILE is created and written with permissions 0600. Keep FILE.key with FILE:
without it the secrets in FILE cannot be opened. serve refuses a FILE.key
that other users may read, and an existing FILE whose key is missing.

SIGINT or SIGTERM stops it: it stops taking requests and lets deliveries in
flight finish for up to 10 s; what is left stays queued in FILE for the
next start.
`,
	setup: func(fs *flag.FlagSet) runFunc {
		var cfg serveConfig
		fs.StringVar(&cfg.db, "db", "", "the SQLite database `FILE` (required)")
		fs.StringVar(&cfg.addr, "addr", "127.0.0.1:8080", "listen on `ADDR` (port 0 picks a free one)")
		fs.StringVar(&cfg.key, "key", "", "seal secrets with `ID:BASE64` (default $OUTHOOK_KEY, else FILE.key)")
		var policy urlPolicyFlags
		policy.declare(fs)
		var targets stringList
		fs.Var(&targets, "allow-target", "let deliveries reach `ADDR` despite the SSRF guard (repeatable)")
		return func(ctx context.Context, c *cli, args []string) error {
			if len(args) > 0 {
				return usagef("serve takes no arguments, got %q", args)
			}
			if cfg.db == "" {
				return usagef("-db is required")
			}
			if strings.ContainsAny(cfg.db, "?#") {
				return usagef("-db: a file name with '?' or '#' cannot be passed to SQLite")
			}
			if cfg.key == "" {
				cfg.key = c.getenv("OUTHOOK_KEY")
			}
			cfg.options = policy.options()
			if len(targets) > 0 {
				cfg.options = append(cfg.options, webhook.WithAllowedTargets(splitList(targets)...))
			}
			cfg.actor = localActor(c.getenv)
			return serve(ctx, c, cfg)
		}
	},
}

type serveConfig struct {
	db, addr, key string
	actor         string
	options       []webhook.Option
}

func serve(ctx context.Context, c *cli, cfg serveConfig) error {
	logger := slog.New(slog.NewTextHandler(c.stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	_, statErr := os.Stat(cfg.db)
	ring, err := loadKeyring(cfg.key, cfg.db+".key", errors.Is(statErr, os.ErrNotExist))
	if err != nil {
		return err
	}

	db, err := sql.Open("sqlite", "file:"+cfg.db+"?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)")
	if err != nil {
		return err
	}
	defer db.Close()
	if err := riverengine.MigrateSQLite(ctx, db); err != nil {
		return fmt.Errorf("migrating %s: %w", cfg.db, err)
	}
	eng, err := riverengine.NewSQLite(ctx, db, riverengine.WithLogger(logger))
	if err != nil {
		return err
	}
	d, err := webhook.New(append([]webhook.Option{
		webhook.WithEngine(eng),
		webhook.WithDefinitionStore(eng.DefinitionStore()),
		webhook.WithKeyring(ring),
		webhook.WithLogger(logger),
		// Apono's other kinds, whose mock events the console's Test
		// sends; the operational kind is left to a service that turns
		// on WithOperationalEvents, as nothing here would publish it.
		webhook.WithEventKind(integration.Kind()),
		webhook.WithEventKind(audit.Kind()),
	}, cfg.options...)...)
	if err != nil {
		var ce *webhook.ConfigError
		if errors.As(err, &ce) {
			return usagef("%v", err)
		}
		return err
	}
	// Closed last: it drains the deliveries in flight and closes the engine.
	defer func() {
		closeCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := d.Close(closeCtx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
			logger.Error("closing the dispatcher", "err", err)
		}
	}()

	handler, err := newHandler(d, localTenant(cfg.actor), logger)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	fmt.Fprintf(c.stderr, "outhook serve: the console is at http://%[1]s/, the management API at http://%[1]s/api/ (database %[2]s, changes made as %[3]q)\n", ln.Addr(), cfg.db, cfg.actor)

	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	fmt.Fprintln(c.stderr, "outhook serve: stopping")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return err
	}
	return nil
}

// newHandler builds what serve serves: the console at / and the
// management API under /api/, both asking tenantOf whose a request is,
// and every request first checked by localOnly.
func newHandler(d *webhook.Dispatcher, tenantOf manage.TenantFunc, logger *slog.Logger) (http.Handler, error) {
	api, err := manage.New(d, tenantOf, manage.WithLogger(logger))
	if err != nil {
		return nil, err
	}
	ui, err := console.New(d, tenantOf, console.WithLogger(logger))
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.Handle("/api/", http.StripPrefix("/api", api))
	mux.Handle("/", ui)
	return localOnly(mux), nil
}

// localTenant is serve's tenant function: the single, default tenant,
// for requests from this machine only, with actor as the author of every
// change.
func localTenant(actor string) manage.TenantFunc {
	return func(r *http.Request) (string, string, error) {
		if err := checkLocal(r); err != nil {
			return "", "", fmt.Errorf("%w: %w", manage.ErrForbidden, err)
		}
		return "", actor, nil
	}
}

// localOnly refuses, with 403, every request checkLocal refuses.
func localOnly(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := checkLocal(r); err != nil {
			http.Error(w, "403 forbidden: "+err.Error(), http.StatusForbidden)
			return
		}
		next.ServeHTTP(w, r)
	})
}

var errNotLocal = errors.New("outhook serve answers only requests from this machine to a loopback address or localhost")

// checkLocal accepts a request from a loopback address whose Host names
// localhost or a loopback address. The Host check stops a web page whose
// name an attacker points at 127.0.0.1 (DNS rebinding) from reaching the
// API from the user's browser as a same-origin page.
func checkLocal(r *http.Request) error {
	peer, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil || !peer.Addr().Unmap().IsLoopback() {
		return errNotLocal
	}
	host := r.Host
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return nil
	}
	if a, err := netip.ParseAddr(strings.Trim(host, "[]")); err == nil && a.Unmap().IsLoopback() {
		return nil
	}
	return errNotLocal
}

// localActor is who serve records as the author of changes: $USER, else
// the account running it.
func localActor(getenv func(string) string) string {
	if u := getenv("USER"); u != "" {
		return u
	}
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	return "local"
}

// loadKeyring returns the keyring of the key given (ID:BASE64), or of the
// key in keyFile, which it creates, 0600, with a new key when newDB says
// the database does not exist yet.
func loadKeyring(given, keyFile string, newDB bool) (*keyring.Keyring, error) {
	var key keyring.Key
	var err error
	switch {
	case given != "":
		key, err = keyring.ParseKey(given)
		if err != nil {
			return nil, usagef("-key: %v", err)
		}
	default:
		key, err = readKeyFile(keyFile)
		if errors.Is(err, os.ErrNotExist) {
			if !newDB {
				return nil, fmt.Errorf("%s is missing: the database's secrets are sealed with the key it held; give the key with -key or $OUTHOOK_KEY", keyFile)
			}
			key, err = writeKeyFile(keyFile)
		}
		if err != nil {
			return nil, err
		}
	}
	return keyring.New(key)
}

func readKeyFile(name string) (keyring.Key, error) {
	fi, err := os.Stat(name)
	if err != nil {
		return keyring.Key{}, err
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return keyring.Key{}, fmt.Errorf("%s may be read by other users (permissions %v): make it 0600 (chmod 600 %s)", name, fi.Mode().Perm(), name)
	}
	b, err := os.ReadFile(name)
	if err != nil {
		return keyring.Key{}, err
	}
	key, err := keyring.ParseKey(strings.TrimSpace(string(b)))
	if err != nil {
		return keyring.Key{}, fmt.Errorf("%s: %w", name, err)
	}
	return key, nil
}

// writeKeyFile generates a key and writes it to name, which must not
// exist, readable by its owner only.
func writeKeyFile(name string) (keyring.Key, error) {
	key, err := keyring.GenerateKey("local-" + time.Now().UTC().Format("20060102"))
	if err != nil {
		return keyring.Key{}, err
	}
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return keyring.Key{}, err
	}
	_, err = fmt.Fprintf(f, "%s:%s\n", key.ID, base64.StdEncoding.EncodeToString(key.Secret))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		_ = os.Remove(name)
		return keyring.Key{}, fmt.Errorf("writing %s: %w", name, err)
	}
	return key, nil
}
