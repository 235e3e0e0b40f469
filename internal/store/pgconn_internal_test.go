package store

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

func TestConnLost(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want bool
	}{
		{"nil", nil, false},
		{"terminated by an administrator", &pgconn.PgError{Severity: "FATAL", Code: "57P01"}, true},
		{"server crashed", fmt.Errorf("wrapped: %w", &pgconn.PgError{Code: "57P02"}), true},
		{"server starting", &pgconn.PgError{Code: "57P03"}, true},
		{"connection failure", &pgconn.PgError{Code: "08006"}, true},
		{"bad connection", driver.ErrBadConn, true},
		{"socket closed", io.ErrUnexpectedEOF, true},
		{"unique violation", &pgconn.PgError{Code: "23505"}, false},
		{"deadlock", &pgconn.PgError{Code: "40P01"}, false},
		{"cancelled", context.Canceled, false},
		{"deadline", fmt.Errorf("query: %w", context.DeadlineExceeded), false},
		{"anything else", errors.New("boom"), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := connLost(tc.err); got != tc.want {
				t.Fatalf("connLost(%v) = %v, want %v", tc.err, got, tc.want)
			}
		})
	}
}

// TestLostConnectionsAreRetried terminates the pool's connections on
// PostgreSQL (as the fault suite does): a read right after, and a
// transaction whose connection is terminated before it commits, both
// succeed, the transaction having run again once.
func TestLostConnectionsAreRetried(t *testing.T) {
	admin := os.Getenv("ARTISANBRIDGE_TEST_POSTGRES_URL")
	if admin == "" {
		admin = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
	}
	ctx := context.Background()
	killer, err := pgx.Connect(ctx, admin)
	if err != nil {
		t.Fatalf("PostgreSQL is required for this test and is unreachable: %v", err)
	}
	defer killer.Close(ctx)
	u, _ := url.Parse(admin)
	q := u.Query()
	app := fmt.Sprintf("store-lostconn-%d", time.Now().UnixNano())
	q.Set("application_name", app)
	u.RawQuery = q.Encode()
	db, err := Open(ctx, Options{PostgresURL: u.String(), MaxConns: 4})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	terminate := func() int {
		t.Helper()
		var n int
		if err := killer.QueryRow(ctx, `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = $1`, app).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	for round := 0; round < 3; round++ {
		// Connections in the pool, then every one of them terminated.
		for i := 0; i < 4; i++ {
			if err := db.gorm.WithContext(ctx).Exec("SELECT 1").Error; err != nil {
				t.Fatal(err)
			}
		}
		if n := terminate(); n == 0 {
			t.Fatal("no connection of the pool to terminate")
		}
		var one int
		if err := db.gorm.WithContext(ctx).Raw("SELECT 1").Scan(&one).Error; err != nil || one != 1 {
			t.Fatalf("round %d: a read after the connections were terminated: %v", round, err)
		}
		attempts := 0
		err := db.inTx(ctx, time.Time{}, func(tx *Tx) error {
			attempts++
			if attempts == 1 {
				// This transaction's own backend is terminated mid-way.
				return tx.Exec("SELECT pg_terminate_backend(pg_backend_pid())").Error
			}
			return tx.Exec("SELECT 1").Error
		})
		if err != nil || attempts != 2 {
			t.Fatalf("round %d: a transaction whose connection was lost: %v after %d attempts", round, err, attempts)
		}
	}
}

// TestTxOutcome: the outcome of a transaction whose COMMIT lost its
// connection is read back by its id.
func TestTxOutcome(t *testing.T) {
	admin := os.Getenv("ARTISANBRIDGE_TEST_POSTGRES_URL")
	if admin == "" {
		admin = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
	}
	ctx := context.Background()
	db, err := Open(ctx, Options{PostgresURL: admin, MaxConns: 2})
	if err != nil {
		t.Fatalf("PostgreSQL is required for this test and is unreachable: %v", err)
	}
	defer db.Close()
	xidOf := func(commit bool) int64 {
		t.Helper()
		var xid int64
		g := db.gorm.WithContext(ctx).Begin()
		if err := g.Raw("SELECT txid_current()").Scan(&xid).Error; err != nil {
			t.Fatal(err)
		}
		if commit {
			g.Commit()
		} else {
			g.Rollback()
		}
		return xid
	}
	for _, tc := range []struct {
		name string
		xid  int64
		want string
	}{
		{"committed", xidOf(true), "committed"},
		{"rolled back", xidOf(false), "aborted"},
		{"no id", 0, ""},
	} {
		if got := db.txOutcome(ctx, tc.xid); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}
