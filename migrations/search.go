package migrations

import "fmt"

// Search (version 66, issue 11): one search document per product and per
// artisan, kept by the database itself (triggers), so that every way a row
// is written (the API, an import, a bulk SQL load) is searchable at once.
//
//   - A product's document: title, SKU, craft, GI certificate number, the
//     word "gi" when GI-tagged, and its maker's name and code.
//   - An artisan's document: name, code, phone (and its last ten digits),
//     Pehchan card number and cluster name.
//
// The documents live in product_search and artisan_search on both
// backends. PostgreSQL stores them lower-cased with punctuation turned into
// spaces and indexes to_tsvector('simple', doc) with GIN; SQLite indexes
// them with an FTS5 external-content table (unicode61, which splits on the
// same characters). internal/search turns ?q= into a query for either.
func searchUp(dialect Dialect) []string {
	if dialect == Postgres {
		return searchUpPostgres()
	}
	return searchUpSQLite()
}

func searchDown(dialect Dialect) []string {
	if dialect == Postgres {
		return []string{
			`DROP TRIGGER IF EXISTS clusters_search_au ON clusters`,
			`DROP TRIGGER IF EXISTS artisans_search_au ON artisans`,
			`DROP TRIGGER IF EXISTS artisans_search_ai ON artisans`,
			`DROP TRIGGER IF EXISTS products_search_au ON products`,
			`DROP TRIGGER IF EXISTS products_search_ai ON products`,
			`DROP FUNCTION IF EXISTS artisanbridge_clusters_search()`,
			`DROP FUNCTION IF EXISTS artisanbridge_artisans_search()`,
			`DROP FUNCTION IF EXISTS artisanbridge_products_search()`,
			`DROP FUNCTION IF EXISTS artisanbridge_search_text(text)`,
			`DROP TABLE IF EXISTS artisan_search`,
			`DROP TABLE IF EXISTS product_search`,
		}
	}
	return []string{
		`DROP TRIGGER IF EXISTS clusters_search_au`,
		`DROP TRIGGER IF EXISTS artisans_search_au`,
		`DROP TRIGGER IF EXISTS artisans_search_ai`,
		`DROP TRIGGER IF EXISTS products_search_au`,
		`DROP TRIGGER IF EXISTS products_search_ai`,
		`DROP TRIGGER IF EXISTS artisan_search_fts_au`,
		`DROP TRIGGER IF EXISTS artisan_search_fts_ad`,
		`DROP TRIGGER IF EXISTS artisan_search_fts_ai`,
		`DROP TRIGGER IF EXISTS product_search_fts_au`,
		`DROP TRIGGER IF EXISTS product_search_fts_ad`,
		`DROP TRIGGER IF EXISTS product_search_fts_ai`,
		`DROP TABLE IF EXISTS artisan_search_fts`,
		`DROP TABLE IF EXISTS product_search_fts`,
		`DROP TABLE IF EXISTS artisan_search`,
		`DROP TABLE IF EXISTS product_search`,
	}
}

// The documents, as SQL over p (products), a (artisans) and c (clusters).
const (
	productDocSQL = `p.title || ' ' || p.sku || ' ' || p.craft || ' ' || p.gi_certificate_no ||
 CASE WHEN p.gi_tag THEN ' gi' ELSE '' END || ' ' || COALESCE(a.name, '') || ' ' || COALESCE(a.code, '')`
	artisanDocSQL = `a.name || ' ' || a.code || ' ' || a.phone || ' ' || %s || ' ' || a.pehchan_card_no || ' ' || COALESCE(c.name, '')`
)

func searchUpPostgres() []string {
	artisanDoc := fmt.Sprintf(artisanDocSQL, `right(a.phone, 10)`)
	productRows := func(from string) string {
		return `INSERT INTO product_search (product_id, doc)
SELECT p.id, artisanbridge_search_text(` + productDocSQL + `)
FROM ` + from + ` p LEFT JOIN artisans a ON a.id = p.artisan_id
ON CONFLICT (product_id) DO UPDATE SET doc = excluded.doc WHERE product_search.doc <> excluded.doc`
	}
	artisanRows := func(from string) string {
		return `INSERT INTO artisan_search (artisan_id, doc)
SELECT a.id, artisanbridge_search_text(` + artisanDoc + `)
FROM ` + from + ` a LEFT JOIN clusters c ON c.id = a.cluster_id
ON CONFLICT (artisan_id) DO UPDATE SET doc = excluded.doc WHERE artisan_search.doc <> excluded.doc`
	}
	return []string{
		`CREATE TABLE product_search (
    product_id  TEXT PRIMARY KEY REFERENCES products (id) ON DELETE CASCADE,
    doc         TEXT NOT NULL
)`,
		`CREATE TABLE artisan_search (
    artisan_id  TEXT PRIMARY KEY REFERENCES artisans (id) ON DELETE CASCADE,
    doc         TEXT NOT NULL
)`,
		// Lower case, punctuation and spaces as one space: the parser then
		// sees plain words (never a file path, e-mail or hyphenated word).
		`CREATE FUNCTION artisanbridge_search_text(t text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
SELECT btrim(regexp_replace(lower(t), '[[:punct:][:space:]]+', ' ', 'g'))
$$`,
		`CREATE INDEX product_search_doc_idx ON product_search USING gin (to_tsvector('simple', doc))`,
		`CREATE INDEX artisan_search_doc_idx ON artisan_search USING gin (to_tsvector('simple', doc))`,
		// Statement triggers with transition tables: a bulk load of a
		// million rows is one set-based insert, not a million calls.
		`CREATE FUNCTION artisanbridge_products_search() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    ` + productRows(`new_rows`) + `;
    RETURN NULL;
END
$$`,
		`CREATE FUNCTION artisanbridge_artisans_search() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    ` + artisanRows(`new_rows`) + `;
    IF TG_OP = 'UPDATE' THEN
        ` + productRows(`(SELECT p.* FROM products p JOIN new_rows n ON n.id = p.artisan_id JOIN old_rows o ON o.id = n.id
 WHERE n.name <> o.name OR n.code <> o.code)`) + `;
    END IF;
    RETURN NULL;
END
$$`,
		`CREATE FUNCTION artisanbridge_clusters_search() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    ` + artisanRows(`(SELECT a.* FROM artisans a JOIN new_rows n ON n.id = a.cluster_id JOIN old_rows o ON o.id = n.id
 WHERE n.name <> o.name)`) + `;
    RETURN NULL;
END
$$`,
		`CREATE TRIGGER products_search_ai AFTER INSERT ON products REFERENCING NEW TABLE AS new_rows
FOR EACH STATEMENT EXECUTE FUNCTION artisanbridge_products_search()`,
		`CREATE TRIGGER products_search_au AFTER UPDATE ON products REFERENCING NEW TABLE AS new_rows
FOR EACH STATEMENT EXECUTE FUNCTION artisanbridge_products_search()`,
		`CREATE TRIGGER artisans_search_ai AFTER INSERT ON artisans REFERENCING NEW TABLE AS new_rows
FOR EACH STATEMENT EXECUTE FUNCTION artisanbridge_artisans_search()`,
		`CREATE TRIGGER artisans_search_au AFTER UPDATE ON artisans REFERENCING NEW TABLE AS new_rows OLD TABLE AS old_rows
FOR EACH STATEMENT EXECUTE FUNCTION artisanbridge_artisans_search()`,
		`CREATE TRIGGER clusters_search_au AFTER UPDATE ON clusters REFERENCING NEW TABLE AS new_rows OLD TABLE AS old_rows
FOR EACH STATEMENT EXECUTE FUNCTION artisanbridge_clusters_search()`,
		artisanRows(`artisans`),
		productRows(`products`),
	}
}

// SQLite: rid is an INTEGER PRIMARY KEY so that the FTS5 rowids never move
// (VACUUM renumbers the rowids of tables without one).
func searchUpSQLite() []string {
	artisanDoc := fmt.Sprintf(artisanDocSQL, `substr(a.phone, -10)`)
	const tokenize = `tokenize = "unicode61 remove_diacritics 0 categories 'L* N* Co M*'"`
	stmts := []string{
		`CREATE TABLE product_search (
    rid         INTEGER PRIMARY KEY,
    product_id  TEXT NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    doc         TEXT NOT NULL
)`,
		`CREATE UNIQUE INDEX product_search_product_key ON product_search (product_id)`,
		`CREATE TABLE artisan_search (
    rid         INTEGER PRIMARY KEY,
    artisan_id  TEXT NOT NULL REFERENCES artisans (id) ON DELETE CASCADE,
    doc         TEXT NOT NULL
)`,
		`CREATE UNIQUE INDEX artisan_search_artisan_key ON artisan_search (artisan_id)`,
		`CREATE VIRTUAL TABLE product_search_fts USING fts5(doc, content = 'product_search', content_rowid = 'rid', ` + tokenize + `)`,
		`CREATE VIRTUAL TABLE artisan_search_fts USING fts5(doc, content = 'artisan_search', content_rowid = 'rid', ` + tokenize + `)`,
	}
	for _, t := range []string{"product_search", "artisan_search"} {
		stmts = append(stmts,
			fmt.Sprintf(`CREATE TRIGGER %[1]s_fts_ai AFTER INSERT ON %[1]s BEGIN
    INSERT INTO %[1]s_fts (rowid, doc) VALUES (new.rid, new.doc);
END`, t),
			fmt.Sprintf(`CREATE TRIGGER %[1]s_fts_ad AFTER DELETE ON %[1]s BEGIN
    INSERT INTO %[1]s_fts (%[1]s_fts, rowid, doc) VALUES ('delete', old.rid, old.doc);
END`, t),
			fmt.Sprintf(`CREATE TRIGGER %[1]s_fts_au AFTER UPDATE ON %[1]s BEGIN
    INSERT INTO %[1]s_fts (%[1]s_fts, rowid, doc) VALUES ('delete', old.rid, old.doc);
    INSERT INTO %[1]s_fts (rowid, doc) VALUES (new.rid, new.doc);
END`, t))
	}
	return append(stmts,
		`CREATE TRIGGER products_search_ai AFTER INSERT ON products BEGIN
    INSERT INTO product_search (product_id, doc)
    SELECT p.id, `+productDocSQL+` FROM products p LEFT JOIN artisans a ON a.id = p.artisan_id WHERE p.id = new.id;
END`,
		`CREATE TRIGGER products_search_au AFTER UPDATE OF title, sku, craft, gi_tag, gi_certificate_no, artisan_id ON products BEGIN
    UPDATE product_search SET doc = (SELECT `+productDocSQL+` FROM products p LEFT JOIN artisans a ON a.id = p.artisan_id WHERE p.id = new.id)
    WHERE product_id = new.id;
END`,
		`CREATE TRIGGER artisans_search_ai AFTER INSERT ON artisans BEGIN
    INSERT INTO artisan_search (artisan_id, doc)
    SELECT a.id, `+artisanDoc+` FROM artisans a LEFT JOIN clusters c ON c.id = a.cluster_id WHERE a.id = new.id;
END`,
		`CREATE TRIGGER artisans_search_au AFTER UPDATE OF name, code, phone, pehchan_card_no, cluster_id ON artisans BEGIN
    UPDATE artisan_search SET doc = (SELECT `+artisanDoc+` FROM artisans a LEFT JOIN clusters c ON c.id = a.cluster_id WHERE a.id = new.id)
    WHERE artisan_id = new.id;
    UPDATE product_search SET doc = (SELECT `+productDocSQL+` FROM products p LEFT JOIN artisans a ON a.id = p.artisan_id WHERE p.id = product_search.product_id)
    WHERE (new.name <> old.name OR new.code <> old.code) AND product_id IN (SELECT id FROM products WHERE artisan_id = new.id);
END`,
		`CREATE TRIGGER clusters_search_au AFTER UPDATE OF name ON clusters BEGIN
    UPDATE artisan_search SET doc = (SELECT `+artisanDoc+` FROM artisans a LEFT JOIN clusters c ON c.id = a.cluster_id WHERE a.id = artisan_search.artisan_id)
    WHERE artisan_id IN (SELECT id FROM artisans WHERE cluster_id = new.id);
END`,
		`INSERT INTO artisan_search (artisan_id, doc) SELECT a.id, `+artisanDoc+` FROM artisans a LEFT JOIN clusters c ON c.id = a.cluster_id`,
		`INSERT INTO product_search (product_id, doc) SELECT p.id, `+productDocSQL+` FROM products p LEFT JOIN artisans a ON a.id = p.artisan_id`,
	)
}
