// Package migrations holds the one versioned schema history of artisanbridge,
// embedded in the binary. SQL files use the subset both SQLite and PostgreSQL
// accept; steps that differ by dialect are Go migrations that branch on it.
package migrations

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"log/slog"
	"strings"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

//go:embed *.sql
var sqlFiles embed.FS

// Dialect names the database a history is applied to.
type Dialect string

const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// appendOnlyTables may only ever be inserted into: movements and the audit
// log are evidence, and a correction is a new row, never an edit.
var appendOnlyTables = []string{"stock_movements", "audit_log"}

// NewProvider returns a goose provider for db. On PostgreSQL it takes a
// session advisory lock so that replicas starting together migrate once.
func NewProvider(db *sql.DB, dialect Dialect, logger *slog.Logger) (*goose.Provider, error) {
	var gd goose.Dialect
	opts := []goose.ProviderOption{
		goose.WithDisableGlobalRegistry(true),
		goose.WithGoMigrations(goMigrations(dialect)...),
	}
	switch dialect {
	case SQLite:
		gd = goose.DialectSQLite3
	case Postgres:
		gd = goose.DialectPostgres
		locker, err := lock.NewPostgresSessionLocker()
		if err != nil {
			return nil, fmt.Errorf("migrations: advisory lock: %w", err)
		}
		opts = append(opts, goose.WithSessionLocker(locker))
	default:
		return nil, fmt.Errorf("migrations: unknown dialect %q", dialect)
	}
	if logger != nil {
		opts = append(opts, goose.WithSlog(logger))
	}
	fsys, err := fs.Sub(sqlFiles, ".")
	if err != nil {
		return nil, err
	}
	return goose.NewProvider(gd, db, fsys, opts...)
}

// Up applies every pending migration.
func Up(ctx context.Context, db *sql.DB, dialect Dialect, logger *slog.Logger) error {
	p, err := NewProvider(db, dialect, logger)
	if err != nil {
		return err
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("migrations: up: %w", err)
	}
	return nil
}

func goMigrations(dialect Dialect) []*goose.Migration {
	return []*goose.Migration{
		goose.NewGoMigration(2,
			&goose.GoFunc{RunTx: func(ctx context.Context, tx *sql.Tx) error {
				return execAll(ctx, tx, appendOnlyUp(dialect, appendOnlyTables))
			}},
			&goose.GoFunc{RunTx: func(ctx context.Context, tx *sql.Tx) error {
				return execAll(ctx, tx, appendOnlyDown(dialect, appendOnlyTables))
			}},
		),
	}
}

func appendOnlyUp(dialect Dialect, tables []string) []string {
	var stmts []string
	if dialect == Postgres {
		stmts = append(stmts, `CREATE OR REPLACE FUNCTION artisanbridge_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'table % is append-only', TG_TABLE_NAME USING ERRCODE = 'restrict_violation';
END
$$`)
		for _, t := range tables {
			stmts = append(stmts, fmt.Sprintf(
				`CREATE TRIGGER %[1]s_append_only BEFORE UPDATE OR DELETE ON %[1]s
FOR EACH ROW EXECUTE FUNCTION artisanbridge_append_only()`, t))
		}
		return stmts
	}
	for _, t := range tables {
		for _, op := range []string{"UPDATE", "DELETE"} {
			stmts = append(stmts, fmt.Sprintf(
				`CREATE TRIGGER %[1]s_no_%[2]s BEFORE %[3]s ON %[1]s
BEGIN SELECT RAISE(ABORT, 'table %[1]s is append-only'); END`, t, strings.ToLower(op), op))
		}
	}
	return stmts
}

func appendOnlyDown(dialect Dialect, tables []string) []string {
	var stmts []string
	for _, t := range tables {
		if dialect == Postgres {
			stmts = append(stmts, fmt.Sprintf(`DROP TRIGGER IF EXISTS %[1]s_append_only ON %[1]s`, t))
			continue
		}
		stmts = append(stmts,
			fmt.Sprintf(`DROP TRIGGER IF EXISTS %s_no_update`, t),
			fmt.Sprintf(`DROP TRIGGER IF EXISTS %s_no_delete`, t))
	}
	if dialect == Postgres {
		stmts = append(stmts, `DROP FUNCTION IF EXISTS artisanbridge_append_only()`)
	}
	return stmts
}

func execAll(ctx context.Context, tx *sql.Tx, stmts []string) error {
	for _, s := range stmts {
		if _, err := tx.ExecContext(ctx, s); err != nil {
			return fmt.Errorf("migrations: %w", err)
		}
	}
	return nil
}
