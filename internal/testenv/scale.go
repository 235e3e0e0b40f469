package testenv

import (
	"context"
	"database/sql"
	"fmt"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Scale is how much of the corporation's business GenerateScale writes.
// Lines, tasks, listings, stock, audit entries and exceptions follow from
// these counts.
type Scale struct {
	Artisans int
	Products int
	Orders   int
	Postings int
}

// CorporationScale is the corporation's normal size (issue 11): 2.35 lakh
// artisans, a million pieces, a million orders and five million postings.
var CorporationScale = Scale{Artisans: 235_000, Products: 1_000_000, Orders: 1_000_000, Postings: 5_000_000}

// Every generated order line sells one piece at ScaleUnitPricePaise, and
// every product is taxed at ScaleGSTRateBP: what a settlement of them
// should pay follows.
const (
	ScaleUnitPricePaise = 450_000
	ScaleGSTRateBP      = 500
)

// ScaleTime is when every generated row was written.
var ScaleTime = time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)

// ScaleID is the id GenerateScale gives row i of the table numbered table:
// a UUID in form (ids.Valid accepts it, so cursors work), ordered by i.
func ScaleID(table, i int) string { return fmt.Sprintf("%08x-0000-7000-8000-%012x", table, i) }

// Table numbers of ScaleID.
const (
	ScaleClusters = 1 + iota
	ScaleArtisans
	ScaleLocations
	ScaleProducts
	ScaleMovements
	ScaleListings
	ScaleOrders
	ScaleLines
	ScaleTasks
	ScaleExceptions
	ScaleAudit
	ScaleEntries
	ScalePostings
	ScaleChannels
)

// ScaleStep is one step of GenerateScale and how long it took.
type ScaleStep struct {
	Name string
	Took time.Duration
}

// scaleChunk bounds the rows one generating statement (one transaction)
// writes: a failure or a cancel loses at most that much work, and no
// transaction holds millions of rows.
const scaleChunk = 250_000

// scaleTables are the tables GenerateScale fills, whose secondary indexes
// are built once after the load rather than row by row during it.
var scaleTables = []string{"channels", "clusters", "artisans", "artisan_search", "locations", "products", "product_search", "stock_levels",
	"stock_movements", "listings", "orders", "order_lines", "fulfilment_tasks", "exceptions", "audit_log", "ledger_entries", "ledger_postings"}

// GenerateScale fills a migrated, empty PostgreSQL database with a
// realistic business of size s; see GenerateScaleSteps.
func GenerateScale(ctx context.Context, db *sql.DB, s Scale) error {
	_, err := GenerateScaleSteps(ctx, db, s)
	return err
}

// GenerateScaleSteps fills a migrated, empty PostgreSQL database with a
// realistic business of size s, set-based with generate_series in
// statements of at most scaleChunk values of the series (each its own
// transaction), over one connection per core, and answers how long each
// step took (summed over its chunks). The load runs as a replica
// (session_replication_role, which needs a superuser, as the tests have):
// no per-row foreign key or ledger balance check and no trigger, since
// every generated key exists and every entry balances by construction;
// the search documents are then written by the very statements the
// catalogue's triggers run (read from the database, see searchDocJobs),
// over the whole catalogue. The secondary indexes of the filled tables
// (those that back no constraint) are dropped first and built again,
// exactly as defined, once the rows are in: building an index over all
// its rows at once is many times faster than growing it row by row. It
// ends with ANALYZE, so that the planner sees the sizes. All of it is one
// run of jobs, each started as soon as what it reads or locks is done (a
// table's indexes after its rows, say), not in phases that leave a
// connection idle while another finishes the phase's last job; and an
// index is sorted in up to 1 GB of memory, which keeps the full size's
// largest (five million postings) from sorting on disk.
func GenerateScaleSteps(ctx context.Context, db *sql.DB, s Scale) ([]ScaleStep, error) {
	now := ScaleTime
	lines := s.Orders + s.Orders/4
	locations := s.Artisans/10 + 3
	// In any order: no foreign key is checked during the load.
	stmts := []string{
		fmt.Sprintf(`INSERT INTO channels (id, kind, name, base_url, enabled, created_at, updated_at)
SELECT pg_temp.gid(%d, k.n), k.kind, 'scale-' || k.kind, 'http://127.0.0.1:1', TRUE, $1, $1
FROM (VALUES (0, 'flipkart'), (1, 'amazon'), (2, 'gem')) AS k (n, kind)`, ScaleChannels),
		fmt.Sprintf(`INSERT INTO clusters (id, name, craft, district, created_at)
SELECT pg_temp.gid(%d, i), 'Cluster ' || i, pg_temp.pick($2, i), pg_temp.pick($3, i), $1 FROM generate_series(0, 69) i`, ScaleClusters),
		fmt.Sprintf(`INSERT INTO artisans (id, code, name, craft, cluster_id, district, phone, pehchan_card_no, gi_authorised_user_no,
bank_account_sealed, bank_account_last4, bank_ifsc, status, created_at, updated_at)
SELECT pg_temp.gid(%d, i), 'JK-' || lpad(i::text, 6, '0'), pg_temp.pick($4, i) || ' ' || pg_temp.pick($5, i / 7) || ' ' || pg_temp.pick($6, i / 53),
 pg_temp.pick($2, i), pg_temp.gid(%d, i %% 70), pg_temp.pick($3, i), '+9199' || lpad(i::text, 8, '0'),
 'JK/PCH/' || (2015 + i %% 10) || '/' || lpad(i::text, 6, '0'), CASE WHEN i %% 3 = 0 THEN 'GI-AU-' || i ELSE '' END,
 'generated', lpad((i %% 10000)::text, 4, '0'), 'JAKA0SRNGAR', CASE WHEN i %% 50 = 0 THEN 'inactive' ELSE 'active' END, $1, $1
FROM generate_series(GREATEST(0, :lo), LEAST(%d, :hi)) i`, ScaleArtisans, ScaleClusters, s.Artisans-1),
		fmt.Sprintf(`INSERT INTO locations (id, code, name, kind, district, artisan_id, created_at)
SELECT pg_temp.gid(%[1]d, i), 'LOC-' || i, 'Location ' || i, CASE WHEN i < 3 THEN (ARRAY['showroom', 'warehouse', 'showroom'])[i + 1] ELSE 'artisan' END,
 pg_temp.pick($3, i), CASE WHEN i < 3 THEN NULL ELSE pg_temp.gid(%[2]d, (i - 3) * 10) END, $1
FROM generate_series(GREATEST(0, :lo), LEAST(%[3]d, :hi)) i`, ScaleLocations, ScaleArtisans, locations-1),
		fmt.Sprintf(`INSERT INTO products (id, sku, title, craft, hsn_code, gst_rate_bp, mrp_paise, price_paise, artisan_id, artisan_price_paise,
gi_tag, gi_certificate_no, status, created_at, updated_at)
SELECT pg_temp.gid(%[1]d, i), 'SKU-' || lpad(i::text, 7, '0'), pg_temp.pick($7, i) || ' ' || pg_temp.pick($8, i / 11) || ' ' || pg_temp.pick($9, i / 5),
 pg_temp.pick($2, i), '62142010', :gst, 500000 + (i %% 100) * 1000, 450000 + (i %% 100) * 1000, pg_temp.gid(%[2]d, i %% %[3]d), 300000,
 i %% 4 = 0, CASE WHEN i %% 4 = 0 THEN 'GI-' || (i %% 400) ELSE '' END,
 CASE WHEN i %% 20 < 16 THEN 'active' WHEN i %% 20 < 19 THEN 'draft' ELSE 'archived' END, $1, $1
FROM generate_series(GREATEST(0, :lo), LEAST(%[4]d, :hi)) i`, ScaleProducts, ScaleArtisans, s.Artisans, s.Products-1),
		fmt.Sprintf(`INSERT INTO stock_levels (product_id, location_id, on_hand, reserved, updated_at)
SELECT pg_temp.gid(%d, i), pg_temp.gid(%d, i %% 3), 5 + i %% 7, 0, $1 FROM generate_series(GREATEST(0, :lo), LEAST(%d, :hi)) i`, ScaleProducts, ScaleLocations, s.Products-1),
		fmt.Sprintf(`INSERT INTO stock_movements (id, product_id, location_id, kind, quantity, reason, created_at)
SELECT pg_temp.gid(%d, i), pg_temp.gid(%d, i), pg_temp.gid(%d, i %% 3), 'intake', 5 + i %% 7, 'opening stock', $1 FROM generate_series(GREATEST(0, :lo), LEAST(%d, :hi)) i`,
			ScaleMovements, ScaleProducts, ScaleLocations, s.Products-1),
		fmt.Sprintf(`INSERT INTO listings (id, product_id, channel_id, external_id, status, dirty_seq, synced_seq, created_at, updated_at)
SELECT pg_temp.gid(%[1]d, i), pg_temp.gid(%[2]d, i / 2), pg_temp.gid(%[3]d, i %% 2), 'EXT' || i,
 CASE WHEN i %% 40 = 0 THEN 'rejected' WHEN i %% 40 = 1 THEN 'error' ELSE 'live' END, 1, 1, $1, $1
FROM generate_series(GREATEST(0, :lo), LEAST(%[4]d, :hi)) i`, ScaleListings, ScaleProducts, ScaleChannels, 2*s.Products-1),
		fmt.Sprintf(`INSERT INTO orders (id, channel_id, external_order_id, status, ordered_at, external_updated_at, created_at, updated_at)
SELECT pg_temp.gid(%[1]d, i), pg_temp.gid(%[2]d, i %% 3), 'ORD-' || i,
 CASE WHEN i %% 100 < 85 THEN 'delivered' WHEN i %% 100 < 93 THEN 'shipped' WHEN i %% 100 < 97 THEN 'open' WHEN i %% 100 < 99 THEN 'cancelled' ELSE 'returned' END,
 $1::timestamp - (i || ' minutes')::interval, $1, $1, $1
FROM generate_series(GREATEST(0, :lo), LEAST(%[3]d, :hi)) i`, ScaleOrders, ScaleChannels, s.Orders-1),
		// Line j belongs to order j mod orders (a quarter of the orders have two);
		// one line in a thousand waits for its SKU.
		fmt.Sprintf(`INSERT INTO order_lines (id, order_id, channel_id, external_order_id, external_line_id, sku, product_id, artisan_id, quantity,
unit_price_paise, status, location_id, created_at, updated_at)
SELECT pg_temp.gid(%[1]d, j), pg_temp.gid(%[2]d, j %% %[3]d), pg_temp.gid(%[4]d, (j %% %[3]d) %% 3), 'ORD-' || (j %% %[3]d), (j / %[3]d + 1)::text,
 CASE WHEN j %% 1000 = 7 THEN 'NEW-' || (j %% 500) ELSE 'SKU-' || lpad((j %% %[5]d)::text, 7, '0') END,
 CASE WHEN j %% 1000 = 7 THEN NULL ELSE pg_temp.gid(%[6]d, j %% %[5]d) END,
 CASE WHEN j %% 1000 = 7 THEN NULL ELSE pg_temp.gid(%[7]d, (j %% %[5]d) %% %[8]d) END, 1, :price,
 CASE WHEN j %% 1000 = 7 THEN 'awaiting_mapping' WHEN (j %% %[3]d) %% 100 < 85 THEN 'delivered' WHEN (j %% %[3]d) %% 100 < 93 THEN 'shipped'
      WHEN (j %% %[3]d) %% 100 < 97 THEN 'reserved' WHEN (j %% %[3]d) %% 100 < 99 THEN 'cancelled' ELSE 'returned' END,
 CASE WHEN j %% 1000 = 7 THEN NULL ELSE pg_temp.gid(%[9]d, (j %% %[5]d) %% 3) END, $1, $1
FROM generate_series(GREATEST(0, :lo), LEAST(%[10]d, :hi)) j`, ScaleLines, ScaleOrders, s.Orders, ScaleChannels, s.Products, ScaleProducts, ScaleArtisans, s.Artisans, ScaleLocations, lines-1),
		fmt.Sprintf(`INSERT INTO fulfilment_tasks (id, line_id, kind, location_id, artisan_id, status, created_at, updated_at)
SELECT pg_temp.gid(%[1]d, j), pg_temp.gid(%[2]d, j), CASE WHEN j %% 10 = 0 THEN 'collect' WHEN j %% 10 = 1 THEN 'make' ELSE 'pick' END,
 pg_temp.gid(%[3]d, j %% %[4]d), NULL,
 CASE WHEN (j %% %[5]d) %% 100 < 85 THEN 'delivered' WHEN (j %% %[5]d) %% 100 < 93 THEN 'dispatched' WHEN (j %% %[5]d) %% 100 < 95 THEN 'open'
      WHEN (j %% %[5]d) %% 100 < 97 THEN 'packed' ELSE 'cancelled' END, $1, $1
FROM generate_series(GREATEST(0, :lo), LEAST(%[6]d, :hi)) j WHERE j %% 1000 <> 7`, ScaleTasks, ScaleLines, ScaleLocations, locations, s.Orders, lines-1),
		fmt.Sprintf(`INSERT INTO exceptions (id, kind, cause_key, status, summary, channel_id, created_at, updated_at)
SELECT pg_temp.gid(%d, i), pg_temp.pick(ARRAY['unmapped_sku', 'oversold', 'listing_rejected', 'sync_failing', 'settlement_mismatch', 'missed_order', 'stock_drift'], i),
 'scale:' || i, CASE WHEN i %% 10 = 0 THEN 'open' ELSE 'resolved' END, 'generated', pg_temp.gid(%d, i %% 3), $1::timestamp - (i || ' minutes')::interval, $1
FROM generate_series(GREATEST(0, :lo), LEAST(%d, :hi)) i`, ScaleExceptions, ScaleChannels, max(s.Orders/10, 1)-1),
		fmt.Sprintf(`INSERT INTO audit_log (id, actor_id, actor_name, action, resource, resource_id, created_at)
SELECT pg_temp.gid(%d, i), 'importer', 'importer', 'create', 'product', pg_temp.gid(%d, i), $1 FROM generate_series(GREATEST(0, :lo), LEAST(%d, :hi)) i`,
			ScaleAudit, ScaleProducts, s.Products-1),
		fmt.Sprintf(`INSERT INTO ledger_entries (id, source_ref, kind, occurred_at, created_at)
SELECT pg_temp.gid(%d, e), 'scale:' || e, 'settlement', $1, $1 FROM generate_series(GREATEST(0, :lo), LEAST(%d, :hi)) e`, ScaleEntries, s.Postings/2-1),
		// Entry e owes its artisan e mod artisans what the bank received.
		fmt.Sprintf(`INSERT INTO ledger_postings (id, entry_id, account, artisan_id, amount_paise, created_at, account_kind)
SELECT pg_temp.gid(%[1]d, 2 * e + side), pg_temp.gid(%[2]d, e),
 CASE WHEN side = 0 THEN 'bank' ELSE 'artisan_payable:' || pg_temp.gid(%[3]d, e %% %[4]d) END,
 CASE WHEN side = 0 THEN NULL ELSE pg_temp.gid(%[3]d, e %% %[4]d) END,
 CASE WHEN side = 0 THEN 30000 + e %% 5000 ELSE -(30000 + e %% 5000) END, $1,
 CASE WHEN side = 0 THEN 'bank' ELSE 'artisan_payable' END
FROM generate_series(GREATEST(0, :lo), LEAST(%[5]d, :hi)) e, (VALUES (0), (1)) AS s (side)`, ScalePostings, ScaleEntries, ScaleArtisans, s.Artisans, s.Postings/2-1),
	}
	crafts := pgArray("pashmina_shawl", "kani_shawl", "sozni_embroidery", "aari_embroidery", "chain_stitch", "crewel", "tilla_embroidery",
		"carpet", "namda", "gabba", "papier_mache", "walnut_wood_carving", "khatamband", "willow_wicker", "copperware", "silverware")
	districts := pgArray("Srinagar", "Budgam", "Anantnag", "Baramulla", "Kupwara", "Ganderbal", "Pulwama", "Shopian", "Kulgam", "Bandipora")
	first := pgArray("Ghulam", "Mohammad", "Abdul", "Bashir", "Mehraj", "Nazir", "Fayaz", "Shabir", "Rafiq", "Javid", "Shazia", "Rubina",
		"Haleema", "Mubeena", "Nusrat", "Tariq", "Imtiyaz", "Farooq", "Aijaz", "Showkat", "Parveena", "Zahoor", "Manzoor")
	middle := pgArray("Nabi", "Rasool", "Ahmad", "Hassan", "Qadir", "Din", "Ali", "Hussain", "Majeed", "Rashid", "Jan", "Gani", "Bhat")
	last := pgArray("Mir", "Bhat", "Dar", "Wani", "Lone", "Shah", "Sofi", "Malik", "Khan", "Ganai", "Naqash", "Kanth", "Rather", "Parray",
		"Sheikh", "Hajam", "Zargar", "Mattoo", "Kaul", "Wazir", "Chalkoo", "Tramboo", "Dev", "Baba")
	adjectives := pgArray("Hand-woven", "Embroidered", "Carved", "Painted", "Hand-knotted", "Felted", "Engraved", "Fine", "Heirloom", "Antique-finish")
	materials := pgArray("pashmina", "wool", "silk", "walnut", "papier-mâché", "copper", "silver", "willow", "cotton", "felt", "cashmere")
	things := pgArray("shawl", "stole", "rug", "carpet", "box", "tray", "bowl", "lamp", "jewellery box", "coaster set", "samovar", "basket",
		"cushion cover", "wall panel", "pheran", "table", "screen", "vase")
	lit := func(a string) string { return "'" + a + "'::text[]" }
	params := strings.NewReplacer("$1", "'"+now.Format("2006-01-02 15:04:05")+"'::timestamp", "$2", lit(crafts), "$3", lit(districts),
		"$4", lit(first), "$5", lit(middle), "$6", lit(last), "$7", lit(adjectives), "$8", lit(materials), "$9", lit(things),
		":price", strconv.Itoa(ScaleUnitPricePaise), ":gst", strconv.Itoa(ScaleGSTRateBP))
	g := &scaleLoad{db: db, params: params}
	defer g.close()
	if err := g.open(ctx, scaleWorkers()); err != nil {
		return nil, err
	}
	var indexes []string
	if err := g.step("drop secondary indexes", func() error {
		var err error
		indexes, err = dropSecondaryIndexes(ctx, g.conns[0])
		return err
	}); err != nil {
		return g.steps, err
	}
	// One run of every job, each waiting only for what it reads or locks
	// (see scaleJob): the search documents begin once the catalogue is
	// in, a table's indexes once its rows are, its ANALYZE once its
	// indexes are (expression indexes have statistics too), so that no
	// connection idles at the end of a phase while another finishes it.
	jobs := g.chunks(stmts)
	docs, err := searchDocJobs(ctx, g.conns[0], s)
	if err != nil {
		return g.steps, err
	}
	jobs = append(jobs, docs...)
	// The longest builds first, so that no connection is left with one at
	// the end: the text search indexes, then the postings'.
	order := func(def string) int {
		switch {
		case strings.Contains(def, "USING gin"):
			return 0
		case strings.Contains(def, ".ledger_postings USING"):
			return 1
		}
		return 2
	}
	slices.SortStableFunc(indexes, func(a, b string) int { return order(a) - order(b) })
	for _, def := range indexes {
		m := indexOn.FindStringSubmatch(def)
		if m == nil {
			return g.steps, fmt.Errorf("testenv: which table does %q index?", def)
		}
		jobs = append(jobs, scaleJob{step: def, sql: def, tag: "index:" + m[1], after: []string{"rows:" + m[1]}})
	}
	// Every table, filled or empty, so that the planner knows its size.
	tables, err := scaleAllTables(ctx, g.conns[0])
	if err != nil {
		return g.steps, err
	}
	for _, t := range tables {
		jobs = append(jobs, scaleJob{step: "ANALYZE " + t, sql: "ANALYZE " + t, tag: "analyze:" + t, after: []string{"rows:" + t, "index:" + t}})
	}
	for _, c := range g.conns {
		if _, err := c.ExecContext(ctx, `SET session_replication_role = replica`); err != nil {
			return g.steps, err
		}
	}
	if err := g.run(ctx, g.conns, jobs); err != nil {
		return g.steps, err
	}
	for _, c := range g.conns {
		if _, err := c.ExecContext(ctx, `SET session_replication_role = DEFAULT`); err != nil {
			return g.steps, err
		}
	}
	if err := g.step("check search documents", func() error { return checkSearchDocs(ctx, g.conns[0]) }); err != nil {
		return g.steps, err
	}
	return g.steps, nil
}

// scaleWorkers is how many connections GenerateScale loads through: one
// per core, at most four.
func scaleWorkers() int { return min(max(runtime.NumCPU(), 1), 4) }

// scaleLoad is a running GenerateScale: its connections, each set up
// alike, and the time each step took (summed over its chunks).
type scaleLoad struct {
	db     *sql.DB
	params *strings.Replacer
	conns  []*sql.Conn
	mu     sync.Mutex
	steps  []ScaleStep
}

// scaleJob is one statement of a step: a whole statement, or one chunk of
// a generate_series. Its tag says what it does to which table
// ("rows:products", "index:products", "analyze:products"); it runs only
// once no job tagged with one of after is left to run or running.
type scaleJob struct {
	step, sql, tag string
	after          []string
}

func (g *scaleLoad) open(ctx context.Context, n int) error {
	for range n {
		c, err := g.db.Conn(ctx)
		if err != nil {
			return err
		}
		g.conns = append(g.conns, c)
		for _, q := range []string{
			`SET synchronous_commit = off`,
			`SET maintenance_work_mem = '1GB'`,
			`SET max_parallel_maintenance_workers = 0`,
			`CREATE FUNCTION pg_temp.gid(t int, i bigint) RETURNS text LANGUAGE sql IMMUTABLE AS
$body$ SELECT lpad(to_hex(t), 8, '0') || '-0000-7000-8000-' || lpad(to_hex(i), 12, '0') $body$`,
			`CREATE FUNCTION pg_temp.pick(a text[], i bigint) RETURNS text LANGUAGE sql IMMUTABLE AS
$body$ SELECT a[1 + (i % array_length(a, 1))] $body$`,
		} {
			if _, err := c.ExecContext(ctx, q); err != nil {
				return fmt.Errorf("testenv: setting up a generating connection: %w", err)
			}
		}
	}
	return nil
}

func (g *scaleLoad) close() {
	for _, c := range g.conns {
		_ = c.Close()
	}
}

// step runs one step on its own and records how long it took.
func (g *scaleLoad) step(name string, run func() error) error {
	t0 := time.Now()
	if err := run(); err != nil {
		return fmt.Errorf("testenv: generating (%s): %w", name, err)
	}
	g.record(name, time.Since(t0))
	return nil
}

func (g *scaleLoad) record(name string, took time.Duration) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for i := range g.steps {
		if g.steps[i].Name == name {
			g.steps[i].Took += took
			return
		}
	}
	g.steps = append(g.steps, ScaleStep{Name: name, Took: took})
}

// chunks splits statements into jobs: a statement over a generate_series
// becomes one job per scaleChunk values of it.
func (g *scaleLoad) chunks(stmts []string) []scaleJob {
	var out []scaleJob
	for _, q := range stmts {
		q = g.params.Replace(q)
		name, tag := fmt.Sprintf("%.40s", q), ""
		if m := insertInto.FindStringSubmatch(q); m != nil {
			name, tag = "insert "+m[1], "rows:"+m[1]
		}
		m := seriesEnd.FindStringSubmatch(q)
		if m == nil {
			out = append(out, scaleJob{step: name, sql: q, tag: tag})
			continue
		}
		last, _ := strconv.Atoi(m[1])
		name = fmt.Sprintf("%s (%d rows of the series)", name, last+1)
		for lo := 0; lo <= last; lo += scaleChunk {
			out = append(out, scaleJob{step: name, tag: tag, sql: strings.NewReplacer(":lo", strconv.Itoa(lo), ":hi", strconv.Itoa(lo+scaleChunk-1)).Replace(q)})
		}
	}
	return out
}

// run runs jobs on conns, each connection taking the first job (in the
// order given) whose tags after are all done, as soon as it is free; it
// stops at the first error.
func (g *scaleLoad) run(ctx context.Context, conns []*sql.Conn, jobs []scaleJob) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		mu       sync.Mutex
		changed  = sync.NewCond(&mu)
		left     = map[string]int{}
		taken    = make([]bool, len(jobs))
		running  int
		firstErr error
	)
	for _, j := range jobs {
		left[j.tag]++
	}
	// next answers the next job to run, false when there is none (all
	// taken, or a failure); mu is held.
	next := func() (scaleJob, bool) {
		for {
			if firstErr != nil {
				return scaleJob{}, false
			}
			waiting := false
			for i, j := range jobs {
				if taken[i] {
					continue
				}
				waiting = true
				if !slices.ContainsFunc(j.after, func(t string) bool { return left[t] > 0 }) {
					taken[i] = true
					running++
					return j, true
				}
			}
			if !waiting {
				return scaleJob{}, false
			}
			if running == 0 {
				firstErr = fmt.Errorf("testenv: generating: jobs wait for one another")
				changed.Broadcast()
				return scaleJob{}, false
			}
			changed.Wait()
		}
	}
	var wg sync.WaitGroup
	for _, c := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				mu.Lock()
				j, ok := next()
				mu.Unlock()
				if !ok {
					return
				}
				t0 := time.Now()
				_, err := c.ExecContext(ctx, j.sql)
				if err == nil {
					g.record(j.step, time.Since(t0))
				}
				mu.Lock()
				running--
				left[j.tag]--
				if err != nil && firstErr == nil {
					firstErr = fmt.Errorf("testenv: generating (%s): %w", j.step, err)
					cancel()
				}
				changed.Broadcast()
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	return ctx.Err()
}

// scaleAllTables answers every table of the schema, quoted.
func scaleAllTables(ctx context.Context, conn *sql.Conn) ([]string, error) {
	rows, err := conn.QueryContext(ctx, `SELECT quote_ident(tablename) FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var t string
		if err := rows.Scan(&t); err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// searchDocJobs are the statements that write the search documents of the
// generated catalogue, by chunks of ids: the first statement of each
// catalogue trigger's function (artisanbridge_products_search,
// artisanbridge_artisans_search: an INSERT INTO ..._search over the rows
// it is given, new_rows), read from the database and run over a range of
// the table instead, so that the documents are exactly those any write
// gets. A trigger written otherwise fails the load, never leaves the
// documents out (checkSearchDocs).
func searchDocJobs(ctx context.Context, conn *sql.Conn, s Scale) ([]scaleJob, error) {
	var out []scaleJob
	for _, t := range []struct {
		fn, table, alias string
		id, n            int
	}{{"artisanbridge_artisans_search", "artisans", "a", ScaleArtisans, s.Artisans}, {"artisanbridge_products_search", "products", "p", ScaleProducts, s.Products}} {
		// A document reads its product or artisan, the artisan of a
		// product and the cluster of an artisan: all must be in.
		var src string
		if err := conn.QueryRowContext(ctx, `SELECT prosrc FROM pg_proc WHERE proname = $1`, t.fn).Scan(&src); err != nil {
			return nil, fmt.Errorf("testenv: the search trigger %s: %w", t.fn, err)
		}
		from := "FROM new_rows " + t.alias + " "
		begin, end := strings.Index(src, "INSERT INTO "), strings.Index(src, ";")
		if begin < 0 || end < begin || strings.Count(src[begin:end], from) != 1 {
			return nil, fmt.Errorf("testenv: the search trigger %s no longer starts with an INSERT ... %s: teach GenerateScale its new form", t.fn, from)
		}
		q := src[begin:end]
		m := insertInto.FindStringSubmatch(q)
		if m == nil {
			return nil, fmt.Errorf("testenv: the search trigger %s inserts into no table GenerateScale can name", t.fn)
		}
		for lo := 0; lo < t.n; lo += scaleChunk {
			rows := fmt.Sprintf("FROM (SELECT * FROM %s WHERE id BETWEEN '%s' AND '%s') %s ", t.table, ScaleID(t.id, lo), ScaleID(t.id, min(lo+scaleChunk, t.n)-1), t.alias)
			out = append(out, scaleJob{step: fmt.Sprintf("search documents of %d %s", t.n, t.table), sql: strings.Replace(q, from, rows, 1),
				tag: "rows:" + m[1], after: []string{"rows:products", "rows:artisans", "rows:clusters"}})
		}
	}
	return out, nil
}

// checkSearchDocs fails unless every product and artisan has its search
// document.
func checkSearchDocs(ctx context.Context, conn *sql.Conn) error {
	var missing int64
	if err := conn.QueryRowContext(ctx, `SELECT (SELECT COUNT(*) FROM products) - (SELECT COUNT(*) FROM product_search)
 + (SELECT COUNT(*) FROM artisans) - (SELECT COUNT(*) FROM artisan_search)`).Scan(&missing); err != nil {
		return err
	}
	if missing != 0 {
		return fmt.Errorf("testenv: %d products and artisans have no search document", missing)
	}
	return nil
}

var (
	insertInto = regexp.MustCompile(`^INSERT INTO (\w+)`)
	seriesEnd  = regexp.MustCompile(`LEAST\((\d+), :hi\)`)
	indexOn    = regexp.MustCompile(` ON (?:\w+\.)?(\w+) USING `)
)

// dropSecondaryIndexes drops the indexes of the tables GenerateScale fills
// that back no constraint (primary keys and unique constraints stay, and
// with them every foreign key), and answers their definitions to build
// them again.
func dropSecondaryIndexes(ctx context.Context, conn *sql.Conn) ([]string, error) {
	rows, err := conn.QueryContext(ctx, `SELECT quote_ident(ic.relname), pg_get_indexdef(i.indexrelid)
FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid JOIN pg_class t ON t.oid = i.indrelid
WHERE t.relnamespace = current_schema()::regnamespace AND t.relname = ANY($1)
  AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
ORDER BY t.relname, ic.relname`, "{"+strings.Join(scaleTables, ",")+"}")
	if err != nil {
		return nil, err
	}
	var names, defs []string
	for rows.Next() {
		var name, def string
		if err := rows.Scan(&name, &def); err != nil {
			rows.Close()
			return nil, err
		}
		names, defs = append(names, name), append(defs, def)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for _, n := range names {
		if _, err := conn.ExecContext(ctx, `DROP INDEX `+n); err != nil {
			return nil, err
		}
	}
	return defs, nil
}

// pgArray is a text[] literal.
func pgArray(items ...string) string {
	out := "{"
	for i, s := range items {
		if i > 0 {
			out += ","
		}
		out += `"` + s + `"`
	}
	return out + "}"
}
