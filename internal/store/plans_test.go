package store_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/jkhhc/artisanbridge/internal/audit"
	"github.com/jkhhc/artisanbridge/internal/catalog"
	"github.com/jkhhc/artisanbridge/internal/exceptions"
	"github.com/jkhhc/artisanbridge/internal/fulfilment"
	"github.com/jkhhc/artisanbridge/internal/inventory"
	"github.com/jkhhc/artisanbridge/internal/listing"
	"github.com/jkhhc/artisanbridge/internal/orders"
	"github.com/jkhhc/artisanbridge/internal/paging"
	"github.com/jkhhc/artisanbridge/internal/search"
	"github.com/jkhhc/artisanbridge/internal/store"
	"github.com/jkhhc/artisanbridge/internal/testenv"
)

// planScale is big enough that PostgreSQL's planner prefers an index
// wherever one can answer (it rightly scans small tables).
var planScale = testenv.Scale{Artisans: 60_000, Products: 100_000, Orders: 100_000, Postings: 200_000}

// largeTable is the row count above which a sequential scan fails the test.
const largeTable = 5_000

type captured struct {
	sql  string
	vars []any
}

// capture records every query the store sends through gorm.
func capture(t *testing.T, g *gorm.DB) func() []captured {
	t.Helper()
	var mu sync.Mutex
	var got []captured
	record := func(db *gorm.DB) {
		if db.Statement == nil || db.Statement.SQL.Len() == 0 {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		got = append(got, captured{sql: db.Statement.SQL.String(), vars: append([]any(nil), db.Statement.Vars...)})
	}
	if err := g.Callback().Query().After("gorm:query").Register("plans:capture", record); err != nil {
		t.Fatal(err)
	}
	if err := g.Callback().Row().After("gorm:row").Register("plans:capture", record); err != nil {
		t.Fatal(err)
	}
	return func() []captured {
		mu.Lock()
		defer mu.Unlock()
		out := got
		got = nil
		return out
	}
}

// TestListQueriesUseIndexes is issue 11's guard: every list query the store
// issues for the API (each filter, first and later pages, search) and the
// hot-path reads, run on PostgreSQL at a realistic size, must not scan a
// large table sequentially (EXPLAIN, FORMAT JSON).
func TestListQueriesUseIndexes(t *testing.T) {
	t.Parallel()
	var pg testenv.Backend
	for _, b := range testenv.Backends() {
		if b.Name == "postgres" {
			pg = b
		}
	}
	db, _ := pg.Open(t)
	ctx := context.Background()
	if err := testenv.GenerateScale(ctx, db.SQL(), planScale); err != nil {
		t.Fatal(err)
	}
	batch := planPayoutBatches(t, db)
	large := map[string]bool{}
	rows, err := db.SQL().QueryContext(ctx, `SELECT relname FROM pg_class WHERE relkind = 'r' AND reltuples > $1`, largeTable)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		large[n] = true
	}
	rows.Close()
	for _, want := range []string{"products", "artisans", "orders", "order_lines", "fulfilment_tasks", "listings", "ledger_postings", "product_search", "artisan_search", "payout_lines"} {
		if !large[want] {
			t.Fatalf("%s is not large after generating: the test would prove nothing (%v)", want, large)
		}
	}

	id := testenv.ScaleID
	product, artisan, cluster := id(testenv.ScaleProducts, 4242), id(testenv.ScaleArtisans, 777), id(testenv.ScaleClusters, 5)
	showroom, artisanHome := id(testenv.ScaleLocations, 0), id(testenv.ScaleLocations, 100)
	channel := id(testenv.ScaleChannels, 1)
	cursor := func(table, i int) paging.Request { return paging.Request{Limit: 50, After: id(table, i)} }
	first := paging.Request{Limit: 50}
	q := func(s string) search.Query {
		out, err := search.Parse(s)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	cat, inv, fx, ord := db.Catalog(), db.Inventory(), db.Fulfilment(), db.Orders()
	calls := []struct {
		name string
		call func() error
	}{}
	add := func(name string, call func() error) {
		calls = append(calls, struct {
			name string
			call func() error
		}{name, call})
	}
	for _, p := range []paging.Request{first, cursor(testenv.ScaleArtisans, 9000)} {
		for _, f := range []catalog.ArtisanFilter{{}, {ClusterID: cluster}, {Craft: "namda"}, {Status: "inactive"}, {Search: q("ghulam nabi")},
			{Search: q("JK-000777")}, {Search: q("9906")}, {Search: q("cluster 5")}, {Search: q("mir"), Craft: "carpet"}} {
			add(fmt.Sprintf("artisans %+v", f), func() error { _, err := cat.ListArtisans(ctx, f, p); return err })
		}
	}
	for _, p := range []paging.Request{first, cursor(testenv.ScaleProducts, 60000)} {
		for _, f := range []catalog.ProductFilter{{}, {ArtisanID: artisan}, {Craft: "papier_mache"}, {Status: "archived"}, {SKU: "SKU-0004242"},
			{Craft: "namda", Status: "draft"}, {Search: q("pashmina shawl")}, {Search: q("SKU-00042")}, {Search: q("gi")}, {Search: q("JK-000777")},
			{Search: q("ghulam")}, {Search: q("walnut"), Status: "active"}} {
			add(fmt.Sprintf("products %+v", f), func() error { _, err := cat.ListProducts(ctx, f, p); return err })
		}
	}
	for _, p := range []paging.Request{first, cursor(testenv.ScaleOrders, 50000)} {
		for _, f := range []orders.Filter{{}, {ChannelID: channel}, {Status: "open"}, {ChannelID: channel, Status: "cancelled"}} {
			add(fmt.Sprintf("orders %+v", f), func() error { _, err := ord.ListOrders(ctx, f, p); return err })
		}
	}
	for _, p := range []paging.Request{first, cursor(testenv.ScaleTasks, 50000)} {
		for _, f := range []fulfilment.Filter{{}, {Status: "open"}, {Kind: "make"}, {LocationID: artisanHome}, {LocationID: showroom, Status: "packed"}} {
			add(fmt.Sprintf("tasks %+v", f), func() error { _, err := fx.ListTasks(ctx, f, p); return err })
		}
	}
	for _, p := range []paging.Request{first, cursor(testenv.ScaleListings, 50000)} {
		for _, f := range []listing.Filter{{}, {ChannelID: channel}, {ProductID: product}, {Status: "rejected"}} {
			add(fmt.Sprintf("listings %+v", f), func() error { _, err := db.Listings().List(ctx, f, p); return err })
		}
	}
	for _, p := range []paging.Request{first, cursor(testenv.ScaleExceptions, 2000)} {
		for _, f := range []exceptions.Filter{{}, {Status: "open"}, {Kind: "oversold"}, {Kind: "oversold", Status: "open"}, {Status: "open", ChannelID: channel},
			{Status: "open", Assignee: exceptions.Unassigned}, {Status: "open", CreatedBefore: &olderThan}} {
			add(fmt.Sprintf("exceptions %+v", f), func() error { _, err := db.Exceptions().List(ctx, f, p); return err })
		}
	}
	for _, p := range []paging.Request{first, cursor(testenv.ScaleAudit, 50000)} {
		for _, f := range []audit.Filter{{}, {Resource: "product"}, {ResourceID: product}, {Resource: "product", ResourceID: product}, {ActorID: "importer"}} {
			add(fmt.Sprintf("audit %+v", f), func() error { _, err := db.Audit().ListAudit(ctx, f, p); return err })
		}
		for _, f := range []inventory.MovementFilter{{}, {ProductID: product}, {LocationID: showroom}, {Kind: "adjustment"}} {
			add(fmt.Sprintf("movements %+v", f), func() error { _, err := inv.ListMovements(ctx, f, p); return err })
		}
	}
	for _, f := range []inventory.LevelFilter{{}, {ProductID: product}, {LocationID: showroom}} {
		add(fmt.Sprintf("stock %+v", f), func() error {
			_, err := inv.ListLevels(ctx, f, first)
			if err == nil {
				_, err = inv.ListLevels(ctx, f, paging.Request{Limit: 50, After: product + "," + showroom})
			}
			return err
		})
	}
	add("locations", func() error { _, err := inv.ListLocations(ctx, cursor(testenv.ScaleLocations, 1000)); return err })
	add("clusters", func() error { _, err := cat.ListClusters(ctx, first); return err })
	add("ledger accounts", func() error {
		_, err := db.Finance().Accounts(ctx, "artisan_payable", first)
		if err == nil {
			_, err = db.Finance().Accounts(ctx, "artisan_payable", paging.Request{Limit: 50, After: "artisan_payable:" + artisan})
		}
		return err
	})
	add("payout batch with its first lines", func() error { _, err := db.Finance().GetBatch(ctx, batch); return err })
	add("payout batch lines", func() error {
		page, err := db.Finance().BatchLines(ctx, batch, first)
		if err == nil {
			_, err = db.Finance().BatchLines(ctx, batch, paging.Request{Limit: 50, After: page.NextCursor})
		}
		return err
	})
	add("order lines waiting for a SKU", func() error { _, err := ord.ResumeUnmapped(ctx, product, planTime); return err })

	take := capture(t, db.Gorm())
	for _, c := range calls {
		if err := c.call(); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		stmts := take()
		if len(stmts) == 0 {
			t.Fatalf("%s sent no query through gorm: the guard sees nothing", c.name)
		}
		for _, s := range stmts {
			// A search matches the stored vector (migration 77): computing
			// to_tsvector per row read is what made a common word slow.
			if strings.Contains(s.sql, "to_tsvector") {
				t.Errorf("%s computes the search vector per row instead of matching the stored one:\n%s", c.name, s.sql)
			}
			scans, plan := seqScans(t, db, s)
			for _, rel := range scans {
				if large[rel] {
					t.Errorf("%s scans %s sequentially:\n%s\n%s", c.name, rel, s.sql, plan)
				}
			}
		}
	}
}

// planPayoutBatches drafts, as SQL, a paid batch and a pending one with a
// line for every artisan each (the generator makes no payouts), so that
// paging a batch's lines reads a large payout_lines; it returns the
// pending batch.
func planPayoutBatches(t *testing.T, db *store.DB) string {
	t.Helper()
	ctx := context.Background()
	at := testenv.ScaleTime
	for i, b := range []struct{ id, status, line string }{{"plan-batch-paid", "paid", "paid"}, {"plan-batch-draft", "draft", "pending"}} {
		stmts := []struct {
			sql  string
			args []any
		}{
			{`INSERT INTO payout_batches (id, status, created_by, min_paise, total_paise, line_count, created_at, updated_at)
VALUES ($1, $2, 'planner', 1, 0, 0, $3, $3)`, []any{b.id, b.status, at}},
			{`INSERT INTO payout_lines (id, batch_id, artisan_id, amount_paise, reference, status, created_at, updated_at)
SELECT $1 || '-' || a.id, $1, a.id, 100 + length(a.id), $2 || a.code, $3, $4, $4 FROM artisans a`, []any{b.id, fmt.Sprintf("PB%d-", i), b.line, at}},
		}
		for _, st := range stmts {
			if _, err := db.SQL().ExecContext(ctx, st.sql, st.args...); err != nil {
				t.Fatalf("payout batch %s: %v", b.id, err)
			}
		}
	}
	if _, err := db.SQL().ExecContext(ctx, `ANALYZE payout_batches, payout_lines`); err != nil {
		t.Fatal(err)
	}
	return "plan-batch-draft"
}

var (
	planTime  = testenv.ScaleTime
	olderThan = testenv.ScaleTime.Add(-24 * time.Hour)
)

// seqScans explains one statement and returns the relations it scans
// sequentially, with the plan.
func seqScans(t *testing.T, db *store.DB, s captured) ([]string, string) {
	t.Helper()
	var raw string
	if err := db.SQL().QueryRowContext(context.Background(), "EXPLAIN (FORMAT JSON) "+s.sql, s.vars...).Scan(&raw); err != nil {
		t.Fatalf("explain %s: %v", s.sql, err)
	}
	var plans []struct{ Plan planNode }
	if err := json.Unmarshal([]byte(raw), &plans); err != nil {
		t.Fatal(err)
	}
	var out []string
	var walk func(n planNode)
	walk = func(n planNode) {
		if strings.EqualFold(n.NodeType, "Seq Scan") {
			out = append(out, n.Relation)
		}
		for _, c := range n.Plans {
			walk(c)
		}
	}
	for _, p := range plans {
		walk(p.Plan)
	}
	return out, raw
}

type planNode struct {
	NodeType string     `json:"Node Type"`
	Relation string     `json:"Relation Name"`
	Plans    []planNode `json:"Plans"`
}
