// Package testenv gives tests real backends: PostgreSQL and Redis from this
// machine (a fresh database per test, a Redis database of its own), and the
// embedded SQLite file and miniredis. A missing service fails the test: it
// is never skipped, so CI cannot pass without testing both backends.
package testenv

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/jackc/pgx/v5"
	"github.com/redis/go-redis/v9"

	"github.com/jkhhc/artisanbridge/internal/store"
)

// Backend names one storage backend and opens a fresh, migrated database on it.
type Backend struct {
	Name string
	// URL is the PostgreSQL URL of a fresh database, empty for SQLite.
	Open func(t testing.TB) (*store.DB, string)
}

// Backends returns SQLite and PostgreSQL.
func Backends() []Backend {
	return []Backend{
		{Name: "sqlite", Open: func(t testing.TB) (*store.DB, string) {
			t.Helper()
			return openSQLite(t), ""
		}},
		{Name: "postgres", Open: func(t testing.TB) (*store.DB, string) {
			t.Helper()
			u := NewMigratedPostgresDatabase(t)
			return openMigrated(t, store.Options{PostgresURL: u}), u
		}},
	}
}

// Quiet is a logger for tests that discards output.
func Quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func openSQLite(t testing.TB) *store.DB {
	t.Helper()
	path := filepath.Join(t.TempDir(), "test.db")
	MigratedSQLiteFile(t, path)
	return openMigrated(t, store.Options{SQLitePath: path})
}

func openMigrated(t testing.TB, o store.Options) *store.DB {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, o)
	if err != nil {
		t.Fatalf("open %v: %v", o.PostgresURL != "", err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Migrate(ctx, Quiet()); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	return db
}

// PostgresAdminURL is the server tests create databases on.
func PostgresAdminURL() string {
	if u := os.Getenv("ARTISANBRIDGE_TEST_POSTGRES_URL"); u != "" {
		return u
	}
	return "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
}

// NewPostgresDatabase creates an empty database for one test, drops it
// afterwards, and returns its URL.
func NewPostgresDatabase(t testing.TB) string {
	t.Helper()
	return newPostgresDatabase(t, "")
}

// KeptPostgresDatabase is the URL of the database called name, created if
// it does not exist and never dropped: for a benchmark run by hand again
// and again over data that takes minutes to generate (see
// ARTISANBRIDGE_BENCH_KEEP_DB). Tests never use it.
func KeptPostgresDatabase(t testing.TB, name string) string {
	t.Helper()
	withAdmin(t, func(ctx context.Context, conn *pgx.Conn) {
		var exists bool
		if err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name).Scan(&exists); err != nil {
			t.Fatal(err)
		}
		if !exists {
			if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
				t.Fatalf("create database: %v", err)
			}
		}
	})
	return databaseURL(name)
}

// DropPostgresDatabase drops the database called name, if it exists.
func DropPostgresDatabase(t testing.TB, name string) {
	t.Helper()
	withAdmin(t, func(ctx context.Context, conn *pgx.Conn) {
		if err := dropDatabase(ctx, conn, name); err != nil {
			t.Fatal(err)
		}
	})
}

// newPostgresDatabase creates a database (CREATE DATABASE name + with),
// drops it after the test, and returns its URL.
func newPostgresDatabase(t testing.TB, with string) string {
	t.Helper()
	name := "ab_test_" + randomHex(6)
	withAdmin(t, func(ctx context.Context, conn *pgx.Conn) {
		if _, err := conn.Exec(ctx, "CREATE DATABASE "+name+with); err != nil {
			t.Fatalf("create database: %v", err)
		}
	})
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		c, err := pgx.Connect(ctx, PostgresAdminURL())
		if err != nil {
			t.Errorf("drop database %s: %v", name, err)
			return
		}
		defer c.Close(ctx)
		if err := dropDatabase(ctx, c, name); err != nil {
			t.Errorf("drop database %s: %v", name, err)
		}
	})
	return databaseURL(name)
}

// withAdmin runs fn on a connection to the server tests create databases
// on, within 30 s; an unreachable server fails t.
func withAdmin(t testing.TB, fn func(ctx context.Context, conn *pgx.Conn)) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	admin := PostgresAdminURL()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		t.Fatalf("PostgreSQL is required for this test and is unreachable at %s: %v "+
			"(start it, or run .ci/run which starts or installs it)", redacted(admin), err)
	}
	defer conn.Close(ctx)
	fn(ctx, conn)
}

// dropDatabase drops the database called name, if it exists, closing
// whatever is still connected to it.
func dropDatabase(ctx context.Context, conn *pgx.Conn, name string) error {
	_, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)")
	return err
}

// databaseURL is the URL of the database called name on the admin server.
func databaseURL(name string) string {
	u, _ := url.Parse(PostgresAdminURL())
	u.Path = "/" + name
	return u.String()
}

func redacted(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	return u.Redacted()
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// RedisBackend names one Redis and connects a client to an empty database on it.
type RedisBackend struct {
	Name string
	// Open returns a client and the redis:// URL it is connected to.
	Open func(t testing.TB) (redis.UniversalClient, string)
}

// RedisBackends returns real Redis and miniredis.
func RedisBackends() []RedisBackend {
	return []RedisBackend{
		{Name: "miniredis", Open: func(t testing.TB) (redis.UniversalClient, string) {
			t.Helper()
			m := miniredis.RunT(t)
			stop := make(chan struct{})
			go func() { // miniredis expires keys only when its clock is moved (STACK.md)
				tk := time.NewTicker(100 * time.Millisecond)
				defer tk.Stop()
				for {
					select {
					case <-stop:
						return
					case <-tk.C:
						m.FastForward(100 * time.Millisecond)
					}
				}
			}()
			t.Cleanup(func() { close(stop) })
			c := redis.NewClient(&redis.Options{Addr: m.Addr()})
			t.Cleanup(func() { c.Close() })
			return c, "redis://" + m.Addr() + "/0"
		}},
		{Name: "redis", Open: func(t testing.TB) (redis.UniversalClient, string) {
			t.Helper()
			return RealRedis(t)
		}},
	}
}

// RedisAddr is the real Redis tests use.
func RedisAddr() string {
	if a := os.Getenv("ARTISANBRIDGE_TEST_REDIS_ADDR"); a != "" {
		return a
	}
	return "127.0.0.1:6379"
}

// RealRedis leases one of Redis's numbered databases (1-15) for the test,
// so that test packages running in parallel never see each other's keys,
// and empties it before and after.
func RealRedis(t testing.TB) (redis.UniversalClient, string) {
	t.Helper()
	ctx := context.Background()
	admin := redis.NewClient(&redis.Options{Addr: RedisAddr()})
	t.Cleanup(func() { admin.Close() })
	if err := admin.Ping(ctx).Err(); err != nil {
		t.Fatalf("Redis is required for this test and is unreachable at %s: %v (start it, or run .ci/run)", RedisAddr(), err)
	}
	owner := randomHex(8)
	deadline := time.Now().Add(2 * time.Minute)
	for {
		for n := 1; n <= 15; n++ {
			key := "artisanbridge:testlease:" + strconv.Itoa(n)
			ok, err := admin.SetNX(ctx, key, owner, 10*time.Minute).Result()
			if err != nil {
				t.Fatalf("lease redis db: %v", err)
			}
			if !ok {
				continue
			}
			c := redis.NewClient(&redis.Options{Addr: RedisAddr(), DB: n})
			if err := c.FlushDB(ctx).Err(); err != nil {
				t.Fatalf("flush redis db %d: %v", n, err)
			}
			t.Cleanup(func() {
				c.FlushDB(context.Background())
				c.Close()
				if v, _ := admin.Get(context.Background(), key).Result(); v == owner {
					admin.Del(context.Background(), key)
				}
			})
			return c, fmt.Sprintf("redis://%s/%d", RedisAddr(), n)
		}
		if time.Now().After(deadline) {
			t.Fatalf("no free Redis test database in 2 minutes")
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// SyncBuffer collects log output written from many goroutines.
type SyncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *SyncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *SyncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
