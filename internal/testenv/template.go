package testenv

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/jkhhc/artisanbridge/internal/store"
)

// Migrating a fresh database runs the whole schema history (some eighty
// versions, SQLite's table rebuilds among them) and is most of what opening
// a test's database costs, every test over again. Instead the history is
// applied once into a template, named by a fingerprint of the migrations
// (their files and go.mod, so that any change to the history or to goose
// makes a new one), and each test's database is a copy of it: PostgreSQL's
// CREATE DATABASE ... TEMPLATE, a file copy for SQLite. A copy holds exactly
// what migrating would have written, and each test still has a database of
// its own.

var (
	fingerprintOnce sync.Once
	fingerprint     string
	fingerprintErr  error

	pgTemplateOnce sync.Once
	pgTemplate     string
	pgTemplateErr  error

	sqliteTemplateOnce sync.Once
	sqliteTemplate     string
	sqliteTemplateErr  error
)

// migrationsFingerprint hashes every file of migrations/ and go.mod, read
// from the module this file was compiled in.
func migrationsFingerprint() (string, error) {
	fingerprintOnce.Do(func() {
		_, self, _, ok := runtime.Caller(0)
		if !ok {
			fingerprintErr = errors.New("testenv: cannot locate its own source file")
			return
		}
		root := filepath.Join(filepath.Dir(self), "..", "..")
		dir := filepath.Join(root, "migrations")
		entries, err := os.ReadDir(dir)
		if err != nil {
			fingerprintErr = fmt.Errorf("testenv: the migrations at %s: %w", dir, err)
			return
		}
		var files []string
		for _, e := range entries {
			if !e.IsDir() {
				files = append(files, filepath.Join(dir, e.Name()))
			}
		}
		slices.Sort(files)
		files = append(files, filepath.Join(root, "go.mod"))
		h := sha256.New()
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				fingerprintErr = fmt.Errorf("testenv: fingerprint: %w", err)
				return
			}
			fmt.Fprintf(h, "%s %d\n", filepath.Base(f), len(b))
			h.Write(b)
		}
		fingerprint = hex.EncodeToString(h.Sum(nil))[:16]
	})
	return fingerprint, fingerprintErr
}

// postgresTemplateDB returns the name of the migrated template database,
// building it if no test process built it before. Builders on this server
// take turns under an advisory lock; a template appears under its name only
// once fully migrated (it is built under another name and renamed), and it
// accepts no connections, so that nothing can change it and CREATE DATABASE
// never finds it in use.
func postgresTemplateDB() (string, error) {
	pgTemplateOnce.Do(func() { pgTemplate, pgTemplateErr = buildPostgresTemplate() })
	return pgTemplate, pgTemplateErr
}

func buildPostgresTemplate() (string, error) {
	fp, err := migrationsFingerprint()
	if err != nil {
		return "", err
	}
	name := "ab_tmpl_" + fp
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	admin := PostgresAdminURL()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		return "", fmt.Errorf("PostgreSQL is required for this test and is unreachable at %s: %v "+
			"(start it, or run .ci/run which starts or installs it)", redacted(admin), err)
	}
	defer conn.Close(context.Background())
	// Session lock: released when conn closes, whatever happens.
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock(hashtext('artisanbridge test template'))`); err != nil {
		return "", fmt.Errorf("testenv: template lock: %w", err)
	}
	var exists bool
	if err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name).Scan(&exists); err != nil {
		return "", fmt.Errorf("testenv: template lookup: %w", err)
	}
	if exists {
		return name, nil
	}
	building := name + "_" + randomHex(4)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+building); err != nil {
		return "", fmt.Errorf("testenv: create template: %w", err)
	}
	migrate := func() error {
		u, _ := url.Parse(admin)
		u.Path = "/" + building
		db, err := store.Open(ctx, store.Options{PostgresURL: u.String()})
		if err != nil {
			return err
		}
		defer db.Close()
		return db.Migrate(ctx, Quiet())
	}
	if err := migrate(); err != nil {
		_, _ = conn.Exec(context.Background(), "DROP DATABASE IF EXISTS "+building+" WITH (FORCE)")
		return "", fmt.Errorf("testenv: migrate template: %w", err)
	}
	for _, stmt := range []string{"ALTER DATABASE " + building + " RENAME TO " + name, "ALTER DATABASE " + name + " WITH ALLOW_CONNECTIONS false"} {
		if _, err := conn.Exec(ctx, stmt); err != nil {
			_, _ = conn.Exec(context.Background(), "DROP DATABASE IF EXISTS "+building+" WITH (FORCE)")
			return "", fmt.Errorf("testenv: finish template: %w", err)
		}
	}
	return name, nil
}

// NewMigratedPostgresDatabase creates a database for one test holding the
// whole schema history (a copy of the template), drops it afterwards, and
// returns its URL.
func NewMigratedPostgresDatabase(t testing.TB) string {
	t.Helper()
	tmpl, err := postgresTemplateDB()
	if err != nil {
		t.Fatal(err)
	}
	return newPostgresDatabase(t, " TEMPLATE "+tmpl)
}

// sqliteTemplateFile returns the path of a migrated SQLite database file
// (in the temporary directory, named by the fingerprint), building it if no
// test process built it before. It is written whole by VACUUM INTO under
// another name and renamed, so a reader never sees it half-made.
func sqliteTemplateFile() (string, error) {
	sqliteTemplateOnce.Do(func() { sqliteTemplate, sqliteTemplateErr = buildSQLiteTemplate() })
	return sqliteTemplate, sqliteTemplateErr
}

func buildSQLiteTemplate() (string, error) {
	fp, err := migrationsFingerprint()
	if err != nil {
		return "", err
	}
	path := filepath.Join(os.TempDir(), "artisanbridge-test-template-"+fp+".db")
	if _, err := os.Stat(path); err == nil {
		return path, nil
	}
	work, err := os.MkdirTemp("", "artisanbridge-test-template-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(work)
	ctx := context.Background()
	db, err := store.Open(ctx, store.Options{SQLitePath: filepath.Join(work, "migrating.db")})
	if err != nil {
		return "", fmt.Errorf("testenv: sqlite template: %w", err)
	}
	defer db.Close()
	if err := db.Migrate(ctx, Quiet()); err != nil {
		return "", fmt.Errorf("testenv: migrate sqlite template: %w", err)
	}
	whole := filepath.Join(work, "whole.db")
	if _, err := db.SQL().ExecContext(ctx, `VACUUM INTO ?`, whole); err != nil {
		return "", fmt.Errorf("testenv: sqlite template: %w", err)
	}
	// Same filesystem as the final name: rename it there from a unique name.
	staged := path + "." + randomHex(4)
	if err := copyFile(whole, staged); err != nil {
		return "", err
	}
	if err := os.Rename(staged, path); err != nil {
		os.Remove(staged)
		return "", err
	}
	return path, nil
}

func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// MigratedSQLiteFile writes at path a SQLite database holding the whole
// schema history (a copy of the template), for a test that opens its
// database itself, as the application does from its data folder.
func MigratedSQLiteFile(t testing.TB, path string) {
	t.Helper()
	tmpl, err := sqliteTemplateFile()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := copyFile(tmpl, path); err != nil {
		t.Fatalf("copy the migrated template: %v", err)
	}
}
