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
	"regexp"
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
		goose.NewGoMigration(11,
			&goose.GoFunc{RunTx: func(ctx context.Context, tx *sql.Tx) error {
				return execAll(ctx, tx, append(appendOnlyUp(dialect, ledgerTables), ledgerBalanceUp(dialect)...))
			}},
			&goose.GoFunc{RunTx: func(ctx context.Context, tx *sql.Tx) error {
				return execAll(ctx, tx, append(ledgerBalanceDown(dialect), ledgerTriggersDown(dialect)...))
			}},
		),
		goose.NewGoMigration(20,
			&goose.GoFunc{RunTx: func(ctx context.Context, tx *sql.Tx) error { return execAll(ctx, tx, ledgerAtScaleUp(dialect)) }},
			&goose.GoFunc{RunTx: func(ctx context.Context, tx *sql.Tx) error { return execAll(ctx, tx, ledgerAtScaleDown(dialect)) }},
		),
		goose.NewGoMigration(21,
			&goose.GoFunc{RunDB: func(ctx context.Context, db *sql.DB) error { return payoutsAndMessagesUp(ctx, db, dialect) }},
			&goose.GoFunc{RunDB: func(ctx context.Context, db *sql.DB) error { return payoutsAndMessagesDown(ctx, db, dialect) }},
		),
		goose.NewGoMigration(36,
			&goose.GoFunc{RunDB: func(ctx context.Context, db *sql.DB) error {
				return rebuildForCheck(ctx, db, dialect, "settlement_lines", "status", settlementStatusesV10, settlementStatusesV36)
			}},
			&goose.GoFunc{RunDB: func(ctx context.Context, db *sql.DB) error {
				if err := inTx(ctx, db, []string{`UPDATE settlement_lines SET status = 'short_paid' WHERE status = 'unchecked'`}); err != nil {
					return err
				}
				return rebuildForCheck(ctx, db, dialect, "settlement_lines", "status", settlementStatusesV36, settlementStatusesV10)
			}},
		),
		goose.NewGoMigration(50,
			&goose.GoFunc{RunTx: func(ctx context.Context, tx *sql.Tx) error { return execAll(ctx, tx, oneOfAKindUp(dialect)) }},
			&goose.GoFunc{RunTx: func(ctx context.Context, tx *sql.Tx) error { return execAll(ctx, tx, oneOfAKindDown(dialect)) }},
		),
		goose.NewGoMigration(69,
			&goose.GoFunc{RunTx: func(ctx context.Context, tx *sql.Tx) error { return execAll(ctx, tx, importChunksUp(dialect)) }},
			&goose.GoFunc{RunTx: func(ctx context.Context, tx *sql.Tx) error { return execAll(ctx, tx, importChunksDown(dialect)) }},
		),
		goose.NewGoMigration(60,
			&goose.GoFunc{RunDB: func(ctx context.Context, db *sql.DB) error { return mediaUp(ctx, db, dialect) }},
			&goose.GoFunc{RunDB: func(ctx context.Context, db *sql.DB) error { return mediaDown(ctx, db, dialect) }},
		),
		goose.NewGoMigration(66,
			&goose.GoFunc{RunTx: func(ctx context.Context, tx *sql.Tx) error { return execAll(ctx, tx, searchUp(dialect)) }},
			&goose.GoFunc{RunTx: func(ctx context.Context, tx *sql.Tx) error { return execAll(ctx, tx, searchDown(dialect)) }},
		),
		goose.NewGoMigration(77,
			&goose.GoFunc{RunTx: func(ctx context.Context, tx *sql.Tx) error { return execAll(ctx, tx, searchVectorUp(dialect)) }},
			&goose.GoFunc{RunTx: func(ctx context.Context, tx *sql.Tx) error { return execAll(ctx, tx, searchVectorDown(dialect)) }},
		),
		goose.NewGoMigration(82,
			&goose.GoFunc{RunTx: func(ctx context.Context, tx *sql.Tx) error { return execAll(ctx, tx, ledgerBalanceOnceUp(dialect)) }},
			&goose.GoFunc{RunTx: func(ctx context.Context, tx *sql.Tx) error { return execAll(ctx, tx, ledgerBalanceOnceDown(dialect)) }},
		),
		goose.NewGoMigration(8,
			&goose.GoFunc{RunDB: func(ctx context.Context, db *sql.DB) error { return lineStatuses(ctx, db, dialect, lineStatusesV8) }},
			&goose.GoFunc{RunDB: func(ctx context.Context, db *sql.DB) error { return lineStatuses(ctx, db, dialect, lineStatusesV6) }},
		),
	}
}

// Order line statuses: version 8 adds to_make, a line waiting for its
// maker to make the piece (made-to-order routing).
const (
	lineStatusesV6 = `'awaiting_mapping', 'reserved', 'oversold', 'cancelled', 'shipped', 'delivered', 'returned'`
	lineStatusesV8 = `'awaiting_mapping', 'reserved', 'to_make', 'oversold', 'cancelled', 'shipped', 'delivered', 'returned'`
)

// lineStatuses replaces order_lines' status CHECK. PostgreSQL alters the
// constraint; SQLite cannot, so the table is rebuilt the way SQLite's
// documentation prescribes (foreign keys off on one pinned connection,
// copy, drop, rename, check the keys, commit). Going down, to_make lines
// become oversold: they hold no stock either.
func lineStatuses(ctx context.Context, db *sql.DB, dialect Dialect, statuses string) error {
	stmts := []string{}
	if statuses == lineStatusesV6 { // going down
		stmts = append(stmts, `UPDATE order_lines SET status = 'oversold' WHERE status = 'to_make'`)
	}
	if dialect == Postgres {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		defer tx.Rollback() //nolint:errcheck // a no-op after commit
		stmts = append(stmts, `ALTER TABLE order_lines DROP CONSTRAINT IF EXISTS order_lines_status_check`,
			`ALTER TABLE order_lines ADD CONSTRAINT order_lines_status_check CHECK (status IN (`+statuses+`))`)
		if err := execAll(ctx, tx, stmts); err != nil {
			return err
		}
		return tx.Commit()
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `PRAGMA foreign_keys = OFF`); err != nil {
		return err
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), `PRAGMA foreign_keys = ON`) //nolint:errcheck // restores the connection's default
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after commit
	stmts = append(stmts, `CREATE TABLE order_lines_rebuilt (
    id                  TEXT PRIMARY KEY,
    order_id            TEXT NOT NULL REFERENCES orders (id),
    channel_id          TEXT NOT NULL,
    external_order_id   TEXT NOT NULL,
    external_line_id    TEXT NOT NULL,
    sku                 TEXT NOT NULL,
    product_id          TEXT REFERENCES products (id),
    artisan_id          TEXT REFERENCES artisans (id),
    quantity            BIGINT NOT NULL CHECK (quantity > 0),
    unit_price_paise    BIGINT NOT NULL CHECK (unit_price_paise >= 0),
    status              TEXT NOT NULL CHECK (status IN (`+statuses+`)),
    location_id         TEXT REFERENCES locations (id),
    created_at          TIMESTAMP NOT NULL,
    updated_at          TIMESTAMP NOT NULL
)`,
		`INSERT INTO order_lines_rebuilt (id, order_id, channel_id, external_order_id, external_line_id, sku, product_id, artisan_id,
quantity, unit_price_paise, status, location_id, created_at, updated_at)
SELECT id, order_id, channel_id, external_order_id, external_line_id, sku, product_id, artisan_id,
quantity, unit_price_paise, status, location_id, created_at, updated_at FROM order_lines`,
		`DROP TABLE order_lines`,
		`ALTER TABLE order_lines_rebuilt RENAME TO order_lines`,
		`CREATE UNIQUE INDEX order_lines_external_key ON order_lines (channel_id, external_order_id, external_line_id)`,
		`CREATE INDEX order_lines_order_idx ON order_lines (order_id, id)`)
	if err := execAll(ctx, tx, stmts); err != nil {
		return err
	}
	rows, err := tx.QueryContext(ctx, `PRAGMA foreign_key_check`)
	if err != nil {
		return err
	}
	broken := rows.Next()
	rows.Close()
	if broken {
		return fmt.Errorf("migrations: rebuilding order_lines broke a foreign key")
	}
	return tx.Commit()
}

// ledgerTables are append-only like movements: a correction is a new,
// reversing entry.
var ledgerTables = []string{"ledger_entries", "ledger_postings"}

// ledgerBalanceUp makes PostgreSQL itself refuse, at commit, an entry
// whose postings do not sum to zero. SQLite has no deferred triggers; the
// finance package refuses such an entry before it is written, on both.
func ledgerBalanceUp(dialect Dialect) []string {
	if dialect != Postgres {
		return nil
	}
	return []string{`CREATE OR REPLACE FUNCTION artisanbridge_entry_balances() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF (SELECT COALESCE(SUM(amount_paise), 0) FROM ledger_postings WHERE entry_id = NEW.entry_id) <> 0 THEN
        RAISE EXCEPTION 'ledger entry % does not balance', NEW.entry_id USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END
$$`, `CREATE CONSTRAINT TRIGGER ledger_postings_balance AFTER INSERT ON ledger_postings
DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION artisanbridge_entry_balances()`}
}

func ledgerBalanceDown(dialect Dialect) []string {
	if dialect != Postgres {
		return nil
	}
	return []string{`DROP TRIGGER IF EXISTS ledger_postings_balance ON ledger_postings`, `DROP FUNCTION IF EXISTS artisanbridge_entry_balances()`}
}

// ledgerTriggersDown drops only the ledger's append-only triggers: the
// shared function stays for migration 2's tables.
func ledgerTriggersDown(dialect Dialect) []string {
	var stmts []string
	for _, t := range ledgerTables {
		if dialect == Postgres {
			stmts = append(stmts, fmt.Sprintf(`DROP TRIGGER IF EXISTS %[1]s_append_only ON %[1]s`, t))
			continue
		}
		stmts = append(stmts, fmt.Sprintf(`DROP TRIGGER IF EXISTS %s_no_update`, t), fmt.Sprintf(`DROP TRIGGER IF EXISTS %s_no_delete`, t))
	}
	return stmts
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

// ledgerAtScaleUp (version 20) gives every posting its account's kind
// (artisan_payable, artisan_held, bank, fees, ...), so that balances per
// artisan and the trial balance by kind are read from an index instead of
// matching account strings; the kind is filled in for existing postings
// with the append-only triggers lifted for that one statement. Payout
// batches record when drafting finished and how far it got (drafting runs
// in bounded transactions and resumes; an unfinished batch cannot be
// approved).
func ledgerAtScaleUp(dialect Dialect) []string {
	kind := `CASE WHEN instr(account, ':') > 0 THEN substr(account, 1, instr(account, ':') - 1) ELSE account END`
	if dialect == Postgres {
		kind = `split_part(account, ':', 1)`
	}
	stmts := ledgerTriggersDown(dialect)
	stmts = append(stmts,
		`ALTER TABLE ledger_postings ADD COLUMN account_kind TEXT NOT NULL DEFAULT ''`,
		`UPDATE ledger_postings SET account_kind = `+kind,
		`CREATE INDEX ledger_postings_kind_artisan_idx ON ledger_postings (account_kind, artisan_id, amount_paise)`,
		`CREATE INDEX ledger_postings_kind_account_idx ON ledger_postings (account_kind, account, amount_paise)`,
		`ALTER TABLE payout_batches ADD COLUMN drafted_at TIMESTAMP`,
		`ALTER TABLE payout_batches ADD COLUMN drafting_cursor TEXT NOT NULL DEFAULT ''`,
		`UPDATE payout_batches SET drafted_at = created_at`,
	)
	return append(stmts, appendOnlyUp(dialect, ledgerTables)...)
}

func ledgerAtScaleDown(dialect Dialect) []string {
	var stmts []string
	stmts = append(stmts, ledgerTriggersDown(dialect)...)
	stmts = append(stmts,
		`DROP INDEX ledger_postings_kind_account_idx`,
		`DROP INDEX ledger_postings_kind_artisan_idx`,
		`ALTER TABLE ledger_postings DROP COLUMN account_kind`,
		`ALTER TABLE payout_batches DROP COLUMN drafting_cursor`,
		`ALTER TABLE payout_batches DROP COLUMN drafted_at`,
	)
	return append(stmts, appendOnlyUp(dialect, ledgerTables)...)
}

// Settlement line statuses before and after version 36: a line no fee
// schedule covers is unchecked (paid and posted; nothing to compare its
// fees with), no longer short_paid with a made-up component.
const (
	settlementStatusesV10 = `'settled', 'short_paid', 'unmatched'`
	settlementStatusesV36 = `'settled', 'short_paid', 'unmatched', 'unchecked'`
)

// Payout batch statuses before and after version 21: a batch sent through
// a payout provider is sending, then sent, and ends paid, partly_paid or
// failed as its lines do.
const (
	batchStatusesV12 = `'draft', 'approved', 'exported', 'paid'`
	batchStatusesV21 = `'draft', 'approved', 'exported', 'sending', 'sent', 'paid', 'partly_paid', 'failed'`
)

// payoutsAndMessagesUp (version 21): payout lines record what a payout
// provider said of them; webhook events are kept once per provider and
// event id (replays refused); messages to artisans are about anything (a
// task, a cancellation, a payout, a statement), keep what to tell (the
// notice) and, once sent, the text, template, language, segments and cost.
func payoutsAndMessagesUp(ctx context.Context, db *sql.DB, dialect Dialect) error {
	if err := rebuildForCheck(ctx, db, dialect, "payout_batches", "status", batchStatusesV12, batchStatusesV21); err != nil {
		return err
	}
	if err := nullable(ctx, db, dialect, "artisan_notifications", "task_id", "task_id     TEXT NOT NULL REFERENCES fulfilment_tasks (id)",
		"task_id     TEXT REFERENCES fulfilment_tasks (id)"); err != nil {
		return err
	}
	return inTx(ctx, db, []string{
		`ALTER TABLE payout_lines ADD COLUMN provider TEXT NOT NULL DEFAULT ''`,
		`ALTER TABLE payout_lines ADD COLUMN provider_payout_id TEXT NOT NULL DEFAULT ''`,
		`ALTER TABLE payout_lines ADD COLUMN provider_status TEXT NOT NULL DEFAULT ''`,
		`ALTER TABLE payout_lines ADD COLUMN submitted_at TIMESTAMP`,
		`ALTER TABLE payout_lines ADD COLUMN settled_at TIMESTAMP`,
		`CREATE INDEX payout_lines_in_flight_idx ON payout_lines (status, submitted_at) WHERE provider <> ''`,
		`CREATE TABLE provider_events (
    provider     TEXT NOT NULL,
    event_id     TEXT NOT NULL,
    received_at  TIMESTAMP NOT NULL,
    PRIMARY KEY (provider, event_id)
)`,
		`ALTER TABLE artisan_notifications ADD COLUMN subject TEXT NOT NULL DEFAULT ''`,
		`ALTER TABLE artisan_notifications ADD COLUMN notice TEXT NOT NULL DEFAULT ''`,
		`ALTER TABLE artisan_notifications ADD COLUMN language TEXT NOT NULL DEFAULT ''`,
		`ALTER TABLE artisan_notifications ADD COLUMN template_id TEXT NOT NULL DEFAULT ''`,
		`ALTER TABLE artisan_notifications ADD COLUMN segments BIGINT NOT NULL DEFAULT 0`,
		`ALTER TABLE artisan_notifications ADD COLUMN cost_paise BIGINT NOT NULL DEFAULT 0`,
		`UPDATE artisan_notifications SET subject = 'task:' || task_id WHERE task_id IS NOT NULL`,
		`CREATE UNIQUE INDEX artisan_notifications_subject_key ON artisan_notifications (subject) WHERE subject <> ''`,
	})
}

func payoutsAndMessagesDown(ctx context.Context, db *sql.DB, dialect Dialect) error {
	if err := inTx(ctx, db, []string{
		`DROP INDEX artisan_notifications_subject_key`,
		`DELETE FROM artisan_notifications WHERE task_id IS NULL`,
		`ALTER TABLE artisan_notifications DROP COLUMN cost_paise`,
		`ALTER TABLE artisan_notifications DROP COLUMN segments`,
		`ALTER TABLE artisan_notifications DROP COLUMN template_id`,
		`ALTER TABLE artisan_notifications DROP COLUMN language`,
		`ALTER TABLE artisan_notifications DROP COLUMN notice`,
		`ALTER TABLE artisan_notifications DROP COLUMN subject`,
		`DROP TABLE provider_events`,
		`DROP INDEX payout_lines_in_flight_idx`,
		`ALTER TABLE payout_lines DROP COLUMN settled_at`,
		`ALTER TABLE payout_lines DROP COLUMN submitted_at`,
		`ALTER TABLE payout_lines DROP COLUMN provider_status`,
		`ALTER TABLE payout_lines DROP COLUMN provider_payout_id`,
		`ALTER TABLE payout_lines DROP COLUMN provider`,
		`UPDATE payout_batches SET status = 'exported' WHERE status IN ('sending', 'sent')`,
		`UPDATE payout_batches SET status = 'paid' WHERE status IN ('partly_paid', 'failed')`,
	}); err != nil {
		return err
	}
	if err := nullable(ctx, db, dialect, "artisan_notifications", "task_id", "task_id     TEXT REFERENCES fulfilment_tasks (id)",
		"task_id     TEXT NOT NULL REFERENCES fulfilment_tasks (id)"); err != nil {
		return err
	}
	return rebuildForCheck(ctx, db, dialect, "payout_batches", "status", batchStatusesV21, batchStatusesV12)
}

func inTx(ctx context.Context, db *sql.DB, stmts []string) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after commit
	if err := execAll(ctx, tx, stmts); err != nil {
		return err
	}
	return tx.Commit()
}

// rebuildForCheck replaces the IN list of a column's CHECK. PostgreSQL
// alters the constraint (named <table>_<column>_check); SQLite cannot, so
// its table is rebuilt from its own definition with the list replaced.
func rebuildForCheck(ctx context.Context, db *sql.DB, dialect Dialect, table, column, from, to string) error {
	if dialect == Postgres {
		name := table + "_" + column + "_check"
		return inTx(ctx, db, []string{`ALTER TABLE ` + table + ` DROP CONSTRAINT IF EXISTS ` + name,
			`ALTER TABLE ` + table + ` ADD CONSTRAINT ` + name + ` CHECK (` + column + ` IN (` + to + `))`})
	}
	return sqliteRebuild(ctx, db, table, func(def string) (string, error) {
		old := "CHECK (" + column + " IN (" + from + "))"
		if !strings.Contains(def, old) {
			return "", fmt.Errorf("migrations: %s has no %s", table, old)
		}
		return strings.Replace(def, old, "CHECK ("+column+" IN ("+to+"))", 1), nil
	})
}

// nullable changes a column's definition between NOT NULL and nullable
// (PostgreSQL alters it; SQLite rebuilds the table with its definition
// replaced, from and to as the table's own text writes them).
func nullable(ctx context.Context, db *sql.DB, dialect Dialect, table, column, from, to string) error {
	if dialect == Postgres {
		op := "DROP NOT NULL"
		if strings.Contains(to, "NOT NULL") {
			op = "SET NOT NULL"
		}
		return inTx(ctx, db, []string{`ALTER TABLE ` + table + ` ALTER COLUMN ` + column + ` ` + op})
	}
	return sqliteRebuild(ctx, db, table, func(def string) (string, error) {
		if !strings.Contains(def, from) {
			return "", fmt.Errorf("migrations: %s has no %q", table, from)
		}
		return strings.Replace(def, from, to, 1), nil
	})
}

// sqliteRebuild rebuilds a SQLite table from its own definition changed by
// edit, the way SQLite's documentation prescribes for changes ALTER TABLE
// cannot make: foreign keys off on one pinned connection, create the new
// table, copy every row, drop the old one, rename, recreate its indexes and
// triggers, check every foreign key, commit.
func sqliteRebuild(ctx context.Context, db *sql.DB, table string, edit func(def string) (string, error)) error {
	conn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `PRAGMA foreign_keys = OFF`); err != nil {
		return err
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), `PRAGMA foreign_keys = ON`) //nolint:errcheck // restores the connection's default
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after commit
	var def string
	if err := tx.QueryRowContext(ctx, `SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?`, table).Scan(&def); err != nil {
		return fmt.Errorf("migrations: %s: %w", table, err)
	}
	rows, err := tx.QueryContext(ctx, `SELECT sql FROM sqlite_master WHERE tbl_name = ? AND type IN ('index', 'trigger') AND sql IS NOT NULL`, table)
	if err != nil {
		return err
	}
	var extras []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			rows.Close()
			return err
		}
		extras = append(extras, s)
	}
	rows.Close()
	changed, err := edit(def)
	if err != nil {
		return err
	}
	head := regexp.MustCompile(`(?i)^CREATE TABLE\s+"?` + table + `"?`)
	if !head.MatchString(changed) {
		return fmt.Errorf("migrations: %s's definition does not start as expected", table)
	}
	rebuilt := table + "_rebuilt"
	stmts := []string{head.ReplaceAllString(changed, "CREATE TABLE "+rebuilt),
		`INSERT INTO ` + rebuilt + ` SELECT * FROM ` + table,
		`DROP TABLE ` + table,
		`ALTER TABLE ` + rebuilt + ` RENAME TO ` + table}
	if err := execAll(ctx, tx, append(stmts, extras...)); err != nil {
		return err
	}
	check, err := tx.QueryContext(ctx, `PRAGMA foreign_key_check`)
	if err != nil {
		return err
	}
	broken := check.Next()
	check.Close()
	if broken {
		return fmt.Errorf("migrations: rebuilding %s broke a foreign key", table)
	}
	return tx.Commit()
}
