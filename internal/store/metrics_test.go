package store_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/jkhhc/artisanbridge/internal/ids"
	"github.com/jkhhc/artisanbridge/internal/opsmetrics"
	"github.com/jkhhc/artisanbridge/internal/store"
	"github.com/jkhhc/artisanbridge/internal/testenv"
	"github.com/jkhhc/artisanbridge/migrations"
)

// sqlExec runs one statement of the metrics fixture.
func sqlExec(t *testing.T, g *gorm.DB, sql string, args ...any) {
	t.Helper()
	if err := g.Exec(sql, args...).Error; err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

// metricsFixture writes, row by row, one of everything OpsSnapshot counts,
// with times relative to now, and returns the two channels' ids.
func metricsFixture(t *testing.T, db *store.DB, now time.Time) (fk, amz string) {
	t.Helper()
	g := db.Gorm()
	ago := func(d time.Duration) time.Time { return now.Add(-d) }
	fk, amz = ids.New(), ids.New()
	for _, c := range []struct{ id, kind, name string }{{fk, "flipkart", "flipkart-test"}, {amz, "amazon", "amazon-test"}} {
		sqlExec(t, g, `INSERT INTO channels (id, kind, name, base_url, created_at, updated_at) VALUES (?, ?, ?, 'https://example.invalid', ?, ?)`,
			c.id, c.kind, c.name, now, now)
	}
	artisan := ids.New()
	sqlExec(t, g, `INSERT INTO artisans (id, code, name, craft, created_at, updated_at) VALUES (?, 'M-1', 'Maker', 'namda', ?, ?)`, artisan, now, now)
	products := make([]string, 3)
	for i := range products {
		products[i] = ids.New()
		sqlExec(t, g, `INSERT INTO products (id, sku, title, craft, hsn_code, gst_rate_bp, mrp_paise, price_paise, artisan_id, artisan_share_bp, created_at, updated_at)
VALUES (?, ?, 'Namda', 'namda', '5704', 500, 1000, 900, ?, 5000, ?, ?)`, products[i], fmt.Sprintf("M-%d", i), artisan, now, now)
	}
	// Listings: status, and whether a change waits to be pushed.
	for _, l := range []struct {
		product, channel, status string
		dirty                    bool
	}{
		{products[0], fk, "live", true}, {products[1], fk, "rejected", false}, {products[2], fk, "pending", true},
		{products[0], amz, "error", true}, {products[1], amz, "awaiting_upload", false}, {products[2], amz, "paused", false},
	} {
		synced := 1
		if l.dirty {
			synced = 0
		}
		sqlExec(t, g, `INSERT INTO listings (id, product_id, channel_id, status, dirty_seq, synced_seq, created_at, updated_at) VALUES (?, ?, ?, ?, 1, ?, ?, ?)`,
			ids.New(), l.product, l.channel, l.status, synced, now, now)
	}
	// Outbox: two unsent, the older written ten minutes ago; one sent.
	for _, o := range []struct {
		at   time.Duration
		sent bool
	}{{10 * time.Minute, false}, {5 * time.Minute, false}, {time.Minute, true}} {
		var sentAt *time.Time
		if o.sent {
			sentAt = &now
		}
		sqlExec(t, g, `INSERT INTO outbox (id, topic, event_key, payload, created_at, sent_at) VALUES (?, 't', 'k', '{}', ?, ?)`, ids.New(), ago(o.at), sentAt)
	}
	// Exceptions: open ones of every age, and a resolved one not counted.
	for i, e := range []struct {
		kind, status string
		age          time.Duration
	}{
		{"unmapped_sku", "open", 30 * time.Minute}, {"oversold", "open", 2 * time.Hour}, {"oversold", "open", 3 * 24 * time.Hour},
		{"sync_failing", "open", 10 * 24 * time.Hour}, {"unmapped_sku", "resolved", time.Hour},
	} {
		sqlExec(t, g, `INSERT INTO exceptions (id, kind, cause_key, status, summary, created_at, updated_at) VALUES (?, ?, ?, ?, 's', ?, ?)`,
			ids.New(), e.kind, fmt.Sprint("cause-", i), e.status, ago(e.age), now)
	}
	sqlExec(t, g, `INSERT INTO pull_cursors (channel_id, orders_since, updated_at) VALUES (?, ?, ?)`, fk, ago(90*time.Second), now)
	// Messages to the maker: one new, one failed twice, one sent within
	// the hour and one sent before it.
	order := ids.New()
	sqlExec(t, g, `INSERT INTO orders (id, channel_id, external_order_id, status, ordered_at, external_updated_at, created_at, updated_at)
VALUES (?, ?, 'OD1', 'open', ?, ?, ?, ?)`, order, fk, now, now, now, now)
	for i, n := range []struct {
		status   string
		attempts int
		created  time.Duration
		sent     time.Duration
	}{{"pending", 0, 5 * time.Minute, 0}, {"pending", 2, 20 * time.Minute, 0}, {"sent", 1, 15 * time.Minute, 10 * time.Minute}, {"sent", 1, 4 * time.Hour, 3 * time.Hour}} {
		line, task := ids.New(), ids.New()
		sqlExec(t, g, `INSERT INTO order_lines (id, order_id, channel_id, external_order_id, external_line_id, sku, quantity, unit_price_paise, status, created_at, updated_at)
VALUES (?, ?, ?, 'OD1', ?, 'M-0', 1, 900, 'reserved', ?, ?)`, line, order, fk, fmt.Sprint("L", i), now, now)
		sqlExec(t, g, `INSERT INTO fulfilment_tasks (id, line_id, kind, artisan_id, status, created_at, updated_at) VALUES (?, ?, 'make', ?, 'open', ?, ?)`,
			task, line, artisan, now, now)
		var sentAt *time.Time
		if n.sent > 0 {
			at := ago(n.sent)
			sentAt = &at
		}
		sqlExec(t, g, `INSERT INTO artisan_notifications (id, artisan_id, task_id, message, status, attempts, created_at, sent_at) VALUES (?, ?, ?, 'm', ?, ?, ?, ?)`,
			ids.New(), artisan, task, n.status, n.attempts, ago(n.created), sentAt)
	}
	return fk, amz
}

// TestOpsSnapshot: every figure /metrics shows, read from rows written
// for it, on each backend.
func TestOpsSnapshot(t *testing.T) {
	for _, b := range testenv.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			db, _ := b.Open(t)
			now := time.Now().UTC().Truncate(time.Second)
			fk, amz := metricsFixture(t, db, now)
			snap, err := db.OpsMetrics().OpsSnapshot(context.Background(), now, opsmetrics.AgeBounds(), time.Hour)
			if err != nil {
				t.Fatal(err)
			}
			if snap.OutboxUnsent != 2 || snap.OutboxOldestUnsent == nil || !snap.OutboxOldestUnsent.Equal(now.Add(-10*time.Minute)) {
				t.Errorf("outbox: %d unsent, oldest %v", snap.OutboxUnsent, snap.OutboxOldestUnsent)
			}
			listings := map[string]int64{}
			for _, l := range snap.Listings {
				listings[l.Channel.Name+"/"+l.Status] = l.Count
			}
			if want := map[string]int64{"flipkart-test/rejected": 1, "flipkart-test/pending": 1, "amazon-test/error": 1,
				"amazon-test/awaiting_upload": 1}; fmt.Sprint(listings) != fmt.Sprint(want) {
				t.Errorf("listings by status: %v, want %v", listings, want)
			}
			waiting := map[string]int64{}
			for _, w := range snap.ListingsWaiting {
				waiting[w.Channel.ID] = w.Count
			}
			if waiting[fk] != 2 || waiting[amz] != 1 || len(waiting) != 2 {
				t.Errorf("listings waiting: %v", waiting)
			}
			got := opsmetrics.ExceptionBuckets(snap.OpenExceptions)
			for kind, want := range map[string][]int64{"unmapped_sku": {1, 0, 0, 0}, "oversold": {0, 1, 1, 0}, "sync_failing": {0, 0, 0, 1}, "missed_order": {0, 0, 0, 0}} {
				if fmt.Sprint(got[kind]) != fmt.Sprint(want) {
					t.Errorf("open %s by age: %v, want %v", kind, got[kind], want)
				}
			}
			if len(snap.PullCursors) != 1 || snap.PullCursors[0].Channel.ID != fk || snap.PullCursors[0].Channel.Kind != "flipkart" ||
				!snap.PullCursors[0].Since.Equal(now.Add(-90*time.Second)) {
				t.Errorf("pull cursors: %+v", snap.PullCursors)
			}
			sms := snap.SMS
			if sms.Pending != 2 || sms.Failing != 1 || sms.SentRecently != 1 || sms.OldestPending == nil || !sms.OldestPending.Equal(now.Add(-20*time.Minute)) {
				t.Errorf("sms: %+v", sms)
			}
		})
	}
}

// TestOpsQueriesUseTheirIndexes reads each query's plan: SQLite's
// EXPLAIN QUERY PLAN, and PostgreSQL's EXPLAIN with sequential scans
// priced out (on a table this small the planner would rightly scan; the
// point is that the index can answer the query at any size).
func TestOpsQueriesUseTheirIndexes(t *testing.T) {
	for _, b := range testenv.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			db, _ := b.Open(t)
			for _, q := range store.OpsQueries() {
				if q.Index == "" {
					continue
				}
				args := make([]any, strings.Count(q.SQL, "?"))
				for i := range args {
					args[i] = time.Now().UTC()
				}
				var plan []string
				err := db.Gorm().Transaction(func(tx *gorm.DB) error {
					explain := "EXPLAIN QUERY PLAN "
					if db.Dialect() == migrations.Postgres {
						explain = "EXPLAIN "
						if err := tx.Exec("SET LOCAL enable_seqscan = off").Error; err != nil {
							return err
						}
					}
					rows, err := tx.Raw(explain+q.SQL, args...).Rows()
					if err != nil {
						return err
					}
					defer rows.Close()
					cols, _ := rows.Columns()
					for rows.Next() {
						vals := make([]any, len(cols))
						ptrs := make([]any, len(cols))
						for i := range vals {
							ptrs[i] = &vals[i]
						}
						if err := rows.Scan(ptrs...); err != nil {
							return err
						}
						plan = append(plan, fmt.Sprint(vals[len(vals)-1]))
					}
					return rows.Err()
				})
				if err != nil {
					t.Fatalf("%s: %v", q.Name, err)
				}
				text := strings.Join(plan, "\n")
				used := false
				for _, index := range strings.Split(q.Index, " or ") {
					used = used || strings.Contains(text, index)
				}
				if !used {
					t.Errorf("%s does not use %s:\n%s", q.Name, q.Index, text)
				}
			}
		})
	}
}
