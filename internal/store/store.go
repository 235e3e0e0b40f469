// Package store implements every domain repository with gorm, on SQLite (the
// embedded default) and on PostgreSQL, from one code path. Public methods
// are transaction boundaries; a change, its audit entries and its outbox
// events always commit together.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/glebarez/sqlite"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/jkhhc/artisanbridge/internal/effects"
	"github.com/jkhhc/artisanbridge/internal/outbox"
	"github.com/jkhhc/artisanbridge/migrations"
)

// DB is the database of artisanbridge.
type DB struct {
	gorm    *gorm.DB
	dialect migrations.Dialect
	// afterEvents is called after a commit that wrote outbox rows, so the
	// relay can hand them over at once instead of on its next tick.
	afterEvents func()
	// clock is the time of changes whose caller passes none (nil: the wall clock).
	clock func() time.Time
	// searchWindow overrides the search's walk in id order (tests).
	searchWindow int
}

// Options choose and tune the database.
type Options struct {
	// PostgresURL selects PostgreSQL; empty selects SQLite at SQLitePath.
	PostgresURL string
	SQLitePath  string
	MaxConns    int
}

// Open connects and pings; it does not migrate.
func Open(ctx context.Context, o Options) (*DB, error) {
	cfg := &gorm.Config{
		Logger:                 logger.Discard,
		SkipDefaultTransaction: true,
		NowFunc:                func() time.Time { return time.Now().UTC() },
	}
	var (
		g       *gorm.DB
		err     error
		dialect migrations.Dialect
	)
	if o.PostgresURL != "" {
		dialect = migrations.Postgres
		pool, perr := openPostgres(o.PostgresURL)
		if perr != nil {
			return nil, fmt.Errorf("store: open %s: %w", dialect, perr)
		}
		g, err = gorm.Open(postgres.New(postgres.Config{Conn: pool}), cfg)
	} else {
		dialect = migrations.SQLite
		if o.SQLitePath == "" {
			return nil, errors.New("store: no PostgreSQL URL and no SQLite path")
		}
		if err := os.MkdirAll(filepath.Dir(o.SQLitePath), 0o700); err != nil {
			return nil, fmt.Errorf("store: data directory: %w", err)
		}
		g, err = gorm.Open(sqlite.Open(SQLiteDSN(o.SQLitePath)), cfg)
	}
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", dialect, err)
	}
	sqlDB, err := g.DB()
	if err != nil {
		return nil, err
	}
	maxConns := o.MaxConns
	if maxConns <= 0 {
		maxConns = 10
	}
	sqlDB.SetMaxOpenConns(maxConns)
	sqlDB.SetMaxIdleConns(maxConns)
	sqlDB.SetConnMaxIdleTime(5 * time.Minute)
	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := sqlDB.PingContext(pingCtx); err != nil {
		sqlDB.Close()
		return nil, fmt.Errorf("store: %s unreachable: %w", dialect, err)
	}
	return &DB{gorm: g, dialect: dialect}, nil
}

// SQLiteDSN is the embedded database's connection string: WAL for
// concurrent readers, a busy timeout, foreign keys on, and immediate
// transactions so read-then-write transactions queue instead of failing
// with "database is locked" (STACK.md).
func SQLiteDSN(path string) string {
	return "file:" + path + "?_pragma=busy_timeout(15000)&_pragma=journal_mode(WAL)" +
		"&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)&_txlock=immediate"
}

// Dialect says which database this is.
func (db *DB) Dialect() migrations.Dialect { return db.dialect }

// SQL returns the underlying pool (for migrations and health checks).
func (db *DB) SQL() *sql.DB {
	s, _ := db.gorm.DB()
	return s
}

// Migrate applies every pending migration.
func (db *DB) Migrate(ctx context.Context, log *slog.Logger) error {
	return migrations.Up(ctx, db.SQL(), db.dialect, log)
}

// Ping reports whether the database answers.
func (db *DB) Ping(ctx context.Context) error { return db.SQL().PingContext(ctx) }

// Close closes the pool.
func (db *DB) Close() error { return db.SQL().Close() }

// OnEvents registers fn to run after each commit that wrote outbox rows.
func (db *DB) OnEvents(fn func()) { db.afterEvents = fn }

// Gorm exposes the gorm handle to tests of this package's users.
func (db *DB) Gorm() *gorm.DB { return db.gorm }

// writeEffects writes a change's audit entries and outbox events in its
// transaction, one INSERT per table however many rows.
func writeEffects(tx *gorm.DB, fx effects.Set) error {
	audits := make([]auditRow, 0, len(fx.Audit))
	for _, a := range fx.Audit {
		row := auditRow{ID: a.ID, ActorID: a.ActorID, ActorName: a.ActorName, Action: a.Action,
			Resource: a.Resource, ResourceID: a.ResourceID, RequestID: a.RequestID, CreatedAt: a.CreatedAt.UTC()}
		if a.Before != nil {
			s := string(a.Before)
			row.BeforeJSON = &s
		}
		if a.After != nil {
			s := string(a.After)
			row.AfterJSON = &s
		}
		audits = append(audits, row)
	}
	// One INSERT per table, however many rows.
	if len(audits) > 0 {
		if err := tx.Create(&audits).Error; err != nil {
			return err
		}
	}
	for _, w := range outboxInsert(fx.Events) {
		if err := tx.Exec(w.sql, w.args...).Error; err != nil {
			return err
		}
	}
	return nil
}

// outboxInsert is the one INSERT of events into the outbox (the columns
// it leaves out take their defaults: not sent, no attempt), none for no
// events: writeEffects runs it, and Tx.writeAll within its statement.
func outboxInsert(events []outbox.Message) []sqlWrite {
	rows := make([][]any, len(events))
	for i, m := range events {
		rows[i] = []any{m.ID, m.Topic, m.Key, string(m.Payload), m.CreatedAt.UTC()}
	}
	return insertWrite("outbox", []string{"id", "topic", "event_key", "payload", "created_at"}, rows)
}
