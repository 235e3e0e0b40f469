package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/jkhhc/artisanbridge/internal/opsmetrics"
)

// OpsMetrics reads what /metrics reports about the database. Every query
// is read-only and answered from an index over the rows it counts, so a
// scrape costs the same with a million orders as with ten (each query names
// its index below, and a test checks both databases' plans use it).
// Predicates that match a partial index are written as literals: neither
// SQLite nor a generic PostgreSQL plan can prove a bound parameter matches
// an index's WHERE.
type OpsMetrics struct{ db *DB }

// OpsMetrics returns the metrics reader.
func (db *DB) OpsMetrics() *OpsMetrics { return &OpsMetrics{db: db} }

var _ opsmetrics.Source = (*OpsMetrics)(nil)

// OpsSnapshot implements opsmetrics.Source.
func (m *OpsMetrics) OpsSnapshot(ctx context.Context, now time.Time, ageBounds []time.Duration, smsWindow time.Duration) (opsmetrics.Snapshot, error) {
	now = now.UTC()
	g := m.db.gorm.WithContext(ctx)
	var (
		snap opsmetrics.Snapshot
		err  error
	)
	if snap.OutboxUnsent, snap.OutboxOldestUnsent, err = outboxBacklog(g); err != nil {
		return snap, fmt.Errorf("outbox backlog: %w", err)
	}
	if snap.Listings, err = listingCounts(g); err != nil {
		return snap, fmt.Errorf("listings by status: %w", err)
	}
	if snap.ListingsWaiting, err = listingsWaiting(g); err != nil {
		return snap, fmt.Errorf("listings waiting: %w", err)
	}
	if snap.OpenExceptions, err = openExceptions(g, now, ageBounds); err != nil {
		return snap, fmt.Errorf("open exceptions: %w", err)
	}
	if snap.PullCursors, err = pullCursors(g); err != nil {
		return snap, fmt.Errorf("pull cursors: %w", err)
	}
	if snap.SMS, err = smsCounts(g, now.Add(-smsWindow)); err != nil {
		return snap, fmt.Errorf("sms: %w", err)
	}
	return snap, nil
}

// opsQuery is one read of OpsSnapshot with the index that answers it
// ("a or b": either; "" for the per-channel tables, which hold a row or two
// per channel).
type opsQuery struct{ name, index, sql string }

var (
	qOutboxUnsent = opsQuery{"outbox unsent", "outbox_unsent_idx",
		`SELECT count(*) FROM outbox WHERE sent_at IS NULL`}
	// ids are UUIDv7, so the index's first entry is the oldest event.
	qOutboxOldest = opsQuery{"outbox oldest unsent", "outbox_unsent_idx",
		`SELECT created_at FROM outbox WHERE sent_at IS NULL ORDER BY id LIMIT 1`}
	qListings = opsQuery{"listings by channel and status", "listings_status_channel_idx",
		`SELECT l.channel_id, c.name, c.kind, l.status, l.n FROM
(SELECT channel_id, status, count(*) AS n FROM listings WHERE status IN (` + quotedList(opsmetrics.ReportedListingStatuses()) + `)
 GROUP BY status, channel_id) l
JOIN channels c ON c.id = l.channel_id ORDER BY c.name, l.status`}
	qListingsWaiting = opsQuery{"listings waiting per channel", "listings_channel_dirty_idx",
		`SELECT c.id, c.name, c.kind,
(SELECT count(*) FROM listings l WHERE l.channel_id = c.id AND l.dirty_seq > l.synced_seq) AS n
FROM channels c ORDER BY c.name`}
	qPullCursors = opsQuery{"pull cursors", "",
		`SELECT c.id, c.name, c.kind, p.orders_since FROM pull_cursors p JOIN channels c ON c.id = p.channel_id ORDER BY c.name`}
	qSMSPending = opsQuery{"sms pending and failing", "artisan_notifications_pending_idx",
		`SELECT count(*) AS pending, COALESCE(SUM(CASE WHEN attempts > 0 THEN 1 ELSE 0 END), 0) AS failing
FROM artisan_notifications WHERE status = 'pending'`}
	qSMSOldest = opsQuery{"sms oldest pending", "artisan_notifications_pending_idx",
		`SELECT created_at FROM artisan_notifications WHERE status = 'pending' ORDER BY created_at LIMIT 1`}
	qSMSSent = opsQuery{"sms sent recently", "artisan_notifications_sent_idx",
		`SELECT count(*) FROM artisan_notifications WHERE status = 'sent' AND sent_at >= ?`}
)

// qOpenExceptions counts open exceptions per kind, and how many of them are
// older than each of n bounds (one timestamp parameter per bound).
// Each of its indexes reaches the open rows only: resolved exceptions, which grow
// for ever, are never read.
func qOpenExceptions(n int) opsQuery {
	cols := []string{"kind", "count(*) AS n_open"}
	for i := 0; i < n; i++ {
		cols = append(cols, fmt.Sprintf("SUM(CASE WHEN created_at < ? THEN 1 ELSE 0 END) AS older%d", i))
	}
	return opsQuery{"open exceptions by kind and age", "exceptions_kind_idx or exceptions_open_cause_key or exceptions_status_idx",
		`SELECT ` + strings.Join(cols, ", ") + ` FROM exceptions WHERE status = 'open' GROUP BY kind ORDER BY kind`}
}

// opsQueries are all of them, for the test that checks each uses its index.
func opsQueries() []opsQuery {
	return []opsQuery{qOutboxUnsent, qOutboxOldest, qListings, qListingsWaiting, qOpenExceptions(len(opsmetrics.AgeBounds())),
		qPullCursors, qSMSPending, qSMSOldest, qSMSSent}
}

// quotedList writes constants (never input) as an SQL list of literals.
func quotedList(values []string) string {
	quoted := make([]string, len(values))
	for i, v := range values {
		quoted[i] = "'" + strings.ReplaceAll(v, "'", "''") + "'"
	}
	return strings.Join(quoted, ", ")
}

func outboxBacklog(g *gorm.DB) (int64, *time.Time, error) {
	var n int64
	if err := g.Raw(qOutboxUnsent.sql).Scan(&n).Error; err != nil {
		return 0, nil, err
	}
	oldest, err := firstTime(g, qOutboxOldest.sql)
	return n, oldest, err
}

func listingCounts(g *gorm.DB) ([]opsmetrics.ListingCount, error) {
	var rows []struct {
		ChannelID, Name, Kind, Status string
		N                             int64
	}
	err := g.Raw(qListings.sql).Scan(&rows).Error
	out := make([]opsmetrics.ListingCount, len(rows))
	for i, r := range rows {
		out[i] = opsmetrics.ListingCount{Channel: opsmetrics.Channel{ID: r.ChannelID, Name: r.Name, Kind: r.Kind}, Status: r.Status, Count: r.N}
	}
	return out, err
}

// listingsWaiting reports every channel, 0 included.
func listingsWaiting(g *gorm.DB) ([]opsmetrics.ChannelCount, error) {
	var rows []struct {
		ID, Name, Kind string
		N              int64
	}
	err := g.Raw(qListingsWaiting.sql).Scan(&rows).Error
	out := make([]opsmetrics.ChannelCount, len(rows))
	for i, r := range rows {
		out[i] = opsmetrics.ChannelCount{Channel: opsmetrics.Channel{ID: r.ID, Name: r.Name, Kind: r.Kind}, Count: r.N}
	}
	return out, err
}

func openExceptions(g *gorm.DB, now time.Time, bounds []time.Duration) ([]opsmetrics.ExceptionAges, error) {
	args := make([]any, len(bounds))
	for i, b := range bounds {
		args[i] = now.Add(-b)
	}
	rows, err := g.Raw(qOpenExceptions(len(bounds)).sql, args...).Rows()
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []opsmetrics.ExceptionAges
	for rows.Next() {
		e := opsmetrics.ExceptionAges{OlderThan: make([]int64, len(bounds))}
		dst := []any{&e.Kind, &e.Open}
		for i := range e.OlderThan {
			dst = append(dst, &e.OlderThan[i])
		}
		if err := rows.Scan(dst...); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

func pullCursors(g *gorm.DB) ([]opsmetrics.PullCursor, error) {
	var rows []struct {
		ID, Name, Kind string
		OrdersSince    time.Time
	}
	err := g.Raw(qPullCursors.sql).Scan(&rows).Error
	out := make([]opsmetrics.PullCursor, len(rows))
	for i, r := range rows {
		out[i] = opsmetrics.PullCursor{Channel: opsmetrics.Channel{ID: r.ID, Name: r.Name, Kind: r.Kind}, Since: r.OrdersSince.UTC()}
	}
	return out, err
}

func smsCounts(g *gorm.DB, sentSince time.Time) (opsmetrics.SMSCounts, error) {
	var c opsmetrics.SMSCounts
	var pending struct{ Pending, Failing int64 }
	if err := g.Raw(qSMSPending.sql).Scan(&pending).Error; err != nil {
		return c, err
	}
	c.Pending, c.Failing = pending.Pending, pending.Failing
	if err := g.Raw(qSMSSent.sql, sentSince).Scan(&c.SentRecently).Error; err != nil {
		return c, err
	}
	var err error
	c.OldestPending, err = firstTime(g, qSMSOldest.sql)
	return c, err
}

// firstTime reads one timestamp column, nil when there is no row. The
// column is selected as it is, not through min(), so that SQLite's driver
// still knows it is a timestamp.
func firstTime(g *gorm.DB, query string) (*time.Time, error) {
	rows, err := g.Raw(query).Rows()
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	if !rows.Next() {
		return nil, rows.Err()
	}
	var t time.Time
	if err := rows.Scan(&t); err != nil {
		return nil, err
	}
	t = t.UTC()
	return &t, rows.Err()
}
