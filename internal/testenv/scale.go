package testenv

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
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

// GenerateScale fills a migrated, empty PostgreSQL database with a
// realistic business of size s, set-based with generate_series (a million
// products in well under a minute), through the same triggers as any
// write (search documents) except the ledger's balance check, which is
// lifted for the load: every generated entry balances by construction.
// It ends with ANALYZE, so that the planner sees the sizes.
func GenerateScale(ctx context.Context, db *sql.DB, s Scale) error {
	conn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	now := ScaleTime
	lines := s.Orders + s.Orders/4
	locations := s.Artisans/10 + 3
	stmts := []string{
		`SET synchronous_commit = off`,
		`CREATE FUNCTION pg_temp.gid(t int, i bigint) RETURNS text LANGUAGE sql IMMUTABLE AS
$body$ SELECT lpad(to_hex(t), 8, '0') || '-0000-7000-8000-' || lpad(to_hex(i), 12, '0') $body$`,
		`CREATE FUNCTION pg_temp.pick(a text[], i bigint) RETURNS text LANGUAGE sql IMMUTABLE AS
$body$ SELECT a[1 + (i % array_length(a, 1))] $body$`,
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
FROM generate_series(0, %d) i`, ScaleArtisans, ScaleClusters, s.Artisans-1),
		fmt.Sprintf(`INSERT INTO locations (id, code, name, kind, district, artisan_id, created_at)
SELECT pg_temp.gid(%[1]d, i), 'LOC-' || i, 'Location ' || i, CASE WHEN i < 3 THEN (ARRAY['showroom', 'warehouse', 'showroom'])[i + 1] ELSE 'artisan' END,
 pg_temp.pick($3, i), CASE WHEN i < 3 THEN NULL ELSE pg_temp.gid(%[2]d, (i - 3) * 10) END, $1
FROM generate_series(0, %[3]d) i`, ScaleLocations, ScaleArtisans, locations-1),
		fmt.Sprintf(`INSERT INTO products (id, sku, title, craft, hsn_code, gst_rate_bp, mrp_paise, price_paise, artisan_id, artisan_price_paise,
gi_tag, gi_certificate_no, status, created_at, updated_at)
SELECT pg_temp.gid(%[1]d, i), 'SKU-' || lpad(i::text, 7, '0'), pg_temp.pick($7, i) || ' ' || pg_temp.pick($8, i / 11) || ' ' || pg_temp.pick($9, i / 5),
 pg_temp.pick($2, i), '62142010', 500, 500000 + (i %% 100) * 1000, 450000 + (i %% 100) * 1000, pg_temp.gid(%[2]d, i %% %[3]d), 300000,
 i %% 4 = 0, CASE WHEN i %% 4 = 0 THEN 'GI-' || (i %% 400) ELSE '' END,
 CASE WHEN i %% 20 < 16 THEN 'active' WHEN i %% 20 < 19 THEN 'draft' ELSE 'archived' END, $1, $1
FROM generate_series(0, %[4]d) i`, ScaleProducts, ScaleArtisans, s.Artisans, s.Products-1),
		fmt.Sprintf(`INSERT INTO stock_levels (product_id, location_id, on_hand, reserved, updated_at)
SELECT pg_temp.gid(%d, i), pg_temp.gid(%d, i %% 3), 5 + i %% 7, 0, $1 FROM generate_series(0, %d) i`, ScaleProducts, ScaleLocations, s.Products-1),
		fmt.Sprintf(`INSERT INTO stock_movements (id, product_id, location_id, kind, quantity, reason, created_at)
SELECT pg_temp.gid(%d, i), pg_temp.gid(%d, i), pg_temp.gid(%d, i %% 3), 'intake', 5 + i %% 7, 'opening stock', $1 FROM generate_series(0, %d) i`,
			ScaleMovements, ScaleProducts, ScaleLocations, s.Products-1),
		fmt.Sprintf(`INSERT INTO listings (id, product_id, channel_id, external_id, status, dirty_seq, synced_seq, created_at, updated_at)
SELECT pg_temp.gid(%[1]d, i), pg_temp.gid(%[2]d, i / 2), pg_temp.gid(%[3]d, i %% 2), 'EXT' || i,
 CASE WHEN i %% 40 = 0 THEN 'rejected' WHEN i %% 40 = 1 THEN 'error' ELSE 'live' END, 1, 1, $1, $1
FROM generate_series(0, %[4]d) i`, ScaleListings, ScaleProducts, ScaleChannels, 2*s.Products-1),
		fmt.Sprintf(`INSERT INTO orders (id, channel_id, external_order_id, status, ordered_at, external_updated_at, created_at, updated_at)
SELECT pg_temp.gid(%[1]d, i), pg_temp.gid(%[2]d, i %% 3), 'ORD-' || i,
 CASE WHEN i %% 100 < 85 THEN 'delivered' WHEN i %% 100 < 93 THEN 'shipped' WHEN i %% 100 < 97 THEN 'open' WHEN i %% 100 < 99 THEN 'cancelled' ELSE 'returned' END,
 $1::timestamp - (i || ' minutes')::interval, $1, $1, $1
FROM generate_series(0, %[3]d) i`, ScaleOrders, ScaleChannels, s.Orders-1),
		// Line j belongs to order j mod orders (a quarter of the orders have two);
		// one line in a thousand waits for its SKU.
		fmt.Sprintf(`INSERT INTO order_lines (id, order_id, channel_id, external_order_id, external_line_id, sku, product_id, artisan_id, quantity,
unit_price_paise, status, location_id, created_at, updated_at)
SELECT pg_temp.gid(%[1]d, j), pg_temp.gid(%[2]d, j %% %[3]d), pg_temp.gid(%[4]d, (j %% %[3]d) %% 3), 'ORD-' || (j %% %[3]d), (j / %[3]d + 1)::text,
 CASE WHEN j %% 1000 = 7 THEN 'NEW-' || (j %% 500) ELSE 'SKU-' || lpad((j %% %[5]d)::text, 7, '0') END,
 CASE WHEN j %% 1000 = 7 THEN NULL ELSE pg_temp.gid(%[6]d, j %% %[5]d) END,
 CASE WHEN j %% 1000 = 7 THEN NULL ELSE pg_temp.gid(%[7]d, (j %% %[5]d) %% %[8]d) END, 1, 450000,
 CASE WHEN j %% 1000 = 7 THEN 'awaiting_mapping' WHEN (j %% %[3]d) %% 100 < 85 THEN 'delivered' WHEN (j %% %[3]d) %% 100 < 93 THEN 'shipped'
      WHEN (j %% %[3]d) %% 100 < 97 THEN 'reserved' WHEN (j %% %[3]d) %% 100 < 99 THEN 'cancelled' ELSE 'returned' END,
 CASE WHEN j %% 1000 = 7 THEN NULL ELSE pg_temp.gid(%[9]d, (j %% %[5]d) %% 3) END, $1, $1
FROM generate_series(0, %[10]d) j`, ScaleLines, ScaleOrders, s.Orders, ScaleChannels, s.Products, ScaleProducts, ScaleArtisans, s.Artisans, ScaleLocations, lines-1),
		fmt.Sprintf(`INSERT INTO fulfilment_tasks (id, line_id, kind, location_id, artisan_id, status, created_at, updated_at)
SELECT pg_temp.gid(%[1]d, j), pg_temp.gid(%[2]d, j), CASE WHEN j %% 10 = 0 THEN 'collect' WHEN j %% 10 = 1 THEN 'make' ELSE 'pick' END,
 pg_temp.gid(%[3]d, j %% %[4]d), NULL,
 CASE WHEN (j %% %[5]d) %% 100 < 85 THEN 'delivered' WHEN (j %% %[5]d) %% 100 < 93 THEN 'dispatched' WHEN (j %% %[5]d) %% 100 < 95 THEN 'open'
      WHEN (j %% %[5]d) %% 100 < 97 THEN 'packed' ELSE 'cancelled' END, $1, $1
FROM generate_series(0, %[6]d) j WHERE j %% 1000 <> 7`, ScaleTasks, ScaleLines, ScaleLocations, locations, s.Orders, lines-1),
		fmt.Sprintf(`INSERT INTO exceptions (id, kind, cause_key, status, summary, channel_id, created_at, updated_at)
SELECT pg_temp.gid(%d, i), pg_temp.pick(ARRAY['unmapped_sku', 'oversold', 'listing_rejected', 'sync_failing', 'settlement_mismatch', 'missed_order', 'stock_drift'], i),
 'scale:' || i, CASE WHEN i %% 10 = 0 THEN 'open' ELSE 'resolved' END, 'generated', pg_temp.gid(%d, i %% 3), $1::timestamp - (i || ' minutes')::interval, $1
FROM generate_series(0, %d) i`, ScaleExceptions, ScaleChannels, max(s.Orders/10, 1)-1),
		fmt.Sprintf(`INSERT INTO audit_log (id, actor_id, actor_name, action, resource, resource_id, created_at)
SELECT pg_temp.gid(%d, i), 'importer', 'importer', 'create', 'product', pg_temp.gid(%d, i), $1 FROM generate_series(0, %d) i`,
			ScaleAudit, ScaleProducts, s.Products-1),
		`ALTER TABLE ledger_postings DISABLE TRIGGER ledger_postings_balance`,
		fmt.Sprintf(`INSERT INTO ledger_entries (id, source_ref, kind, occurred_at, created_at)
SELECT pg_temp.gid(%d, e), 'scale:' || e, 'settlement', $1, $1 FROM generate_series(0, %d) e`, ScaleEntries, s.Postings/2-1),
		// Entry e owes its artisan e mod artisans what the bank received.
		fmt.Sprintf(`INSERT INTO ledger_postings (id, entry_id, account, artisan_id, amount_paise, created_at, account_kind)
SELECT pg_temp.gid(%[1]d, 2 * e + side), pg_temp.gid(%[2]d, e),
 CASE WHEN side = 0 THEN 'bank' ELSE 'artisan_payable:' || pg_temp.gid(%[3]d, e %% %[4]d) END,
 CASE WHEN side = 0 THEN NULL ELSE pg_temp.gid(%[3]d, e %% %[4]d) END,
 CASE WHEN side = 0 THEN 30000 + e %% 5000 ELSE -(30000 + e %% 5000) END, $1,
 CASE WHEN side = 0 THEN 'bank' ELSE 'artisan_payable' END
FROM generate_series(0, %[5]d) e, (VALUES (0), (1)) AS s (side)`, ScalePostings, ScaleEntries, ScaleArtisans, s.Artisans, s.Postings/2-1),
		`ALTER TABLE ledger_postings ENABLE TRIGGER ledger_postings_balance`,
		`ANALYZE`,
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
		"$4", lit(first), "$5", lit(middle), "$6", lit(last), "$7", lit(adjectives), "$8", lit(materials), "$9", lit(things))
	for _, q := range stmts {
		if _, err := conn.ExecContext(ctx, params.Replace(q)); err != nil {
			return fmt.Errorf("testenv: generating %.60q: %w", q, err)
		}
	}
	return nil
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
