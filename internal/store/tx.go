package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"gorm.io/gorm"

	"github.com/jkhhc/artisanbridge/internal/audit"
	"github.com/jkhhc/artisanbridge/internal/effects"
	"github.com/jkhhc/artisanbridge/internal/idempotency"
	"github.com/jkhhc/artisanbridge/internal/outbox"
	"github.com/jkhhc/artisanbridge/internal/reqctx"
	"github.com/jkhhc/artisanbridge/migrations"
)

// Tx is one transaction of the store: the gorm handle, the instant the
// change happens at, who makes it, and the effects (audit entries, outbox
// events) written just before it commits. A change and its effects commit
// together or not at all. Every write of the store goes through one (an
// architecture test forbids transactions opened anywhere else).
type Tx struct {
	*gorm.DB
	// Now is the change's one clock: every row it writes carries it.
	Now time.Time
	// Actor is who the change is attributed to (reqctx.System for jobs).
	Actor   reqctx.Actor
	ctx     context.Context
	dialect migrations.Dialect
	fx      effects.Set
	// xid is the transaction's id on PostgreSQL when a statement of fn
	// returned it already (writeAll), saving inTx its own SELECT.
	xid int64
	// wroteEvents says a statement of fn wrote outbox events itself
	// (writeAll), which inTx announces after the commit all the same.
	wroteEvents bool
}

// sqlWrite is one data-modifying statement and its arguments.
type sqlWrite struct {
	sql  string
	args []any
}

// writeAll runs writes that are independent of one another (none reads
// what another writes; the database still checks every constraint, the
// references among them included, at the end). On PostgreSQL they are one
// statement of data-modifying CTEs, which also writes the outbox events
// gathered so far and hands inTx the transaction's id: one round trip for
// what was a statement each, the cost BenchmarkIngestVsPgbench measures.
// On SQLite, in-process, each runs on its own and inTx writes the events.
func (t *Tx) writeAll(writes []sqlWrite) error {
	if t.dialect != migrations.Postgres {
		for _, w := range writes {
			if err := t.Exec(w.sql, w.args...).Error; err != nil {
				return err
			}
		}
		return nil
	}
	if len(t.fx.Events) > 0 {
		writes = append(writes, outboxInsert(t.fx.Events)...)
		t.fx.Events, t.wroteEvents = nil, true
	}
	var q strings.Builder
	var args []any
	for i, w := range writes {
		if i == 0 {
			q.WriteString("WITH ")
		} else {
			q.WriteString(",\n")
		}
		fmt.Fprintf(&q, "w%d AS (%s)", i, w.sql)
		args = append(args, w.args...)
	}
	q.WriteString("\nSELECT txid_current()")
	return scanRaw(t.DB, q.String(), args, func(rows *sql.Rows) error { return rows.Scan(&t.xid) })
}

// Audit records who did what, written with the change.
func (t *Tx) Audit(entries ...audit.Entry) { t.fx.Audit = append(t.fx.Audit, entries...) }

// Emit announces the change through the outbox, written with it.
func (t *Tx) Emit(events ...outbox.Message) { t.fx.Events = append(t.fx.Events, events...) }

// Add takes the effects a domain service decided.
func (t *Tx) Add(fx effects.Set) {
	t.Audit(fx.Audit...)
	t.Emit(fx.Events...)
}

// AuditChange records the actor's change of a resource at the
// transaction's time: the store's own audit entries name the same actor and
// request as the domain's.
func (t *Tx) AuditChange(action, resource, id string, before, after any) {
	t.Audit(audit.New(t.ctx, t.Now, action, resource, id, before, after))
}

// lock takes a row lock on one row of table on PostgreSQL, so that every
// change of that row's children (an order's lines, a batch's lines) is
// serialised by the database; SQLite serialises every write transaction
// already (immediate transactions), and has no row locks. It returns
// NotFound when the row does not exist.
func (t *Tx) lock(table, id string) (bool, error) {
	q := "SELECT id FROM " + table + " WHERE id = ?"
	if t.dialect == migrations.Postgres {
		q += " FOR UPDATE"
	}
	var got []string
	if err := t.Raw(q, id).Scan(&got).Error; err != nil {
		return false, err
	}
	return len(got) == 1, nil
}

// maxAttempts bounds the retries of a transaction PostgreSQL aborted to
// break a deadlock or a serialisation failure: the work is redone from the
// start with fresh reads and fresh effects. A transaction that lost its
// connection may run up to maxLostAttempts times (connections terminated
// over and over, a failover): about two seconds of retries in all.
const (
	maxAttempts     = 4
	maxLostAttempts = 12
)

// inTx runs fn in one transaction at now (the store's clock when zero),
// writes the effects fn gathered, and commits; fn's error rolls everything
// back. A transaction PostgreSQL aborts to break a deadlock is run again,
// and so is one whose connection was lost before it committed; one whose
// connection was lost during COMMIT is looked up by its id
// (txid_status): committed, it succeeded; aborted, it runs again.
func (db *DB) inTx(ctx context.Context, now time.Time, fn func(*Tx) error) error {
	if now.IsZero() {
		now = db.now()
	}
	var t *Tx
	var err error
	conflicts := 0
	for attempt := 1; attempt <= maxLostAttempts; attempt++ {
		t = &Tx{Now: now.UTC(), Actor: reqctx.ActorFrom(ctx), ctx: ctx, dialect: db.dialect}
		committing := false
		var xid int64
		err = db.gorm.WithContext(ctx).Transaction(func(g *gorm.DB) error {
			t.DB = g
			if err := fn(t); err != nil {
				return err
			}
			if c, ok := idempotency.ClaimFrom(ctx); ok {
				if err := markCommitted(t, c); err != nil {
					return err
				}
			}
			if err := writeEffects(g, t.fx); err != nil {
				return err
			}
			if db.dialect == migrations.Postgres {
				// The transaction's id, to learn its outcome should the
				// connection be lost during COMMIT, unless a statement of
				// fn returned it already.
				xid = t.xid
				if xid == 0 {
					if err := g.Raw("SELECT txid_current()").Scan(&xid).Error; err != nil {
						return err
					}
				}
			}
			committing = true
			return nil
		})
		lost := db.dialect == migrations.Postgres && connLost(err)
		if lost && committing {
			// Lost during COMMIT: PostgreSQL knows whether it committed.
			switch db.txOutcome(ctx, xid) {
			case "committed":
				err = nil
			case "aborted":
				// Nothing of it committed: it runs again below.
			default:
				lost = false // unknown: not run again
			}
		}
		// A transaction whose connection was lost before it committed
		// lost everything: it runs again on another connection.
		if err == nil || !(retryable(err) || lost) || ctx.Err() != nil {
			break
		}
		if !lost {
			if conflicts++; conflicts >= maxAttempts {
				break
			}
		}
		time.Sleep(min(time.Duration(attempt*attempt)*5*time.Millisecond, 250*time.Millisecond))
	}
	if err != nil {
		return translate(err)
	}
	if (len(t.fx.Events) > 0 || t.wroteEvents) && db.afterEvents != nil {
		db.afterEvents()
	}
	return nil
}

// txOutcome asks PostgreSQL, on another connection, what became of the
// transaction xid whose COMMIT lost its connection: "committed",
// "aborted", or "" when it cannot tell.
func (db *DB) txOutcome(ctx context.Context, xid int64) string {
	for attempt := 0; attempt < 3 && xid != 0; attempt++ {
		var status *string
		if err := db.gorm.WithContext(ctx).Raw("SELECT txid_status(?)", xid).Scan(&status).Error; err == nil {
			if status != nil && *status != "in progress" {
				return *status
			}
			if status == nil {
				return "" // too old to be known
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	return ""
}

// retryable says PostgreSQL aborted the transaction to resolve a conflict
// with another one (deadlock, serialisation failure): running it again is
// safe because nothing of it committed.
func retryable(err error) bool {
	var pg *pgconn.PgError
	return errors.As(err, &pg) && (pg.Code == "40P01" || pg.Code == "40001")
}

// now is the store's clock for changes whose caller has none.
func (db *DB) now() time.Time {
	if db.clock != nil {
		return db.clock().UTC()
	}
	return time.Now().UTC()
}

// SetClock fixes the store's clock (tests); nil restores the wall clock.
func (db *DB) SetClock(now func() time.Time) { db.clock = now }
