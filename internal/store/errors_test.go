package store_test

import (
	"context"
	"errors"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/jkhhc/artisanbridge/internal/apperr"
	"github.com/jkhhc/artisanbridge/internal/audit"
	"github.com/jkhhc/artisanbridge/internal/catalog"
	"github.com/jkhhc/artisanbridge/internal/effects"
	"github.com/jkhhc/artisanbridge/internal/ids"
	"github.com/jkhhc/artisanbridge/internal/store"
	"github.com/jkhhc/artisanbridge/internal/testenv"
)

// TestEveryConstraintIsNamed lists every unique index and CHECK constraint
// of the migrated schema, on both backends, and fails for one the
// constraint table of errors.go does not name (a violation would reach the
// caller without its field), and for an entry no constraint matches any
// more (the table drifted from migrations/).
func TestEveryConstraintIsNamed(t *testing.T) {
	pgUnique, pgCheck, liteUnique, liteCheck := store.ConstraintKeys()
	for _, b := range testenv.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			db, _ := b.Open(t)
			var unique, check, knownUnique, knownCheck []string
			if b.Name == "postgres" {
				unique, check = postgresConstraints(t, db.Gorm())
				knownUnique, knownCheck = pgUnique, pgCheck
			} else {
				unique, check = sqliteConstraints(t, db.Gorm())
				knownUnique, knownCheck = liteUnique, liteCheck
			}
			if len(unique) < 20 || len(check) < 50 {
				t.Fatalf("found only %d unique and %d check constraints: the listing is broken", len(unique), len(check))
			}
			for _, c := range [][3]any{{"unique index", unique, knownUnique}, {"CHECK", check, knownCheck}} {
				kind, inSchema, inTable := c[0].(string), c[1].([]string), c[2].([]string)
				for _, name := range inSchema {
					if !slices.Contains(inTable, name) {
						t.Errorf("%s %q has no entry in internal/store/errors.go: name its API field and what to do", kind, name)
					}
				}
				for _, name := range inTable {
					if !slices.Contains(inSchema, name) {
						t.Errorf("errors.go names %s %q, which the schema does not have", kind, name)
					}
				}
			}
		})
	}
}

// postgresConstraints lists unique constraints and indexes (primary keys
// on a plain id excepted: one rule covers them) and CHECK constraints.
func postgresConstraints(t *testing.T, g *gorm.DB) (unique, check []string) {
	t.Helper()
	type row struct{ Name, Kind, Def string }
	var rows []row
	err := g.Raw(`SELECT c.conname AS name, c.contype::text AS kind, pg_get_constraintdef(c.oid) AS def
FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid
WHERE c.connamespace = current_schema()::regnamespace AND c.contype IN ('c', 'u', 'p') AND t.relname <> 'goose_db_version'
UNION ALL
SELECT i.relname, 'u', pg_get_indexdef(i.oid) FROM pg_index x
JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
WHERE x.indisunique AND t.relnamespace = current_schema()::regnamespace
AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)`).Scan(&rows).Error
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		switch {
		case r.Kind == "c":
			check = append(check, r.Name)
		case r.Kind == "p" && r.Def == "PRIMARY KEY (id)":
		default:
			unique = append(unique, r.Name)
		}
	}
	return unique, check
}

// sqliteConstraints lists unique indexes as SQLite reports them
// ("t.a, t.b"; a plain id primary key excepted) and CHECK expressions (or
// names) read from each table's SQL.
func sqliteConstraints(t *testing.T, g *gorm.DB) (unique, check []string) {
	t.Helper()
	var tables []struct{ Name, SQL string }
	if err := g.Raw(`SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> 'goose_db_version'
AND name NOT IN (SELECT name FROM pragma_table_list WHERE type IN ('shadow', 'virtual'))`).
		Scan(&tables).Error; err != nil {
		t.Fatal(err)
	}
	for _, tb := range tables {
		var idx []struct {
			Name   string
			Unique int
		}
		if err := g.Raw(`SELECT name, "unique" FROM pragma_index_list(?)`, tb.Name).Scan(&idx).Error; err != nil {
			t.Fatal(err)
		}
		for _, ix := range idx {
			if ix.Unique == 0 {
				continue
			}
			var cols []string
			if err := g.Raw(`SELECT name FROM pragma_index_info(?) ORDER BY seqno`, ix.Name).Scan(&cols).Error; err != nil {
				t.Fatal(err)
			}
			for i := range cols {
				cols[i] = tb.Name + "." + cols[i]
			}
			if key := strings.Join(cols, ", "); key != tb.Name+".id" {
				unique = append(unique, key)
			}
		}
		check = append(check, checkExpressions(tb.SQL)...)
	}
	return unique, check
}

var checkKeyword = regexp.MustCompile(`(?i)(?:\bCONSTRAINT\s+("?)(\w+)("?)\s+)?\bCHECK\s*\(`)

// checkExpressions returns what SQLite reports for each CHECK of a CREATE
// TABLE: its name if it has one, else its expression, whitespace collapsed.
func checkExpressions(sql string) []string {
	var out []string
	for _, m := range checkKeyword.FindAllStringSubmatchIndex(sql, -1) {
		if m[4] >= 0 {
			out = append(out, sql[m[4]:m[5]])
			continue
		}
		depth, start, quoted := 1, m[1], false
		for i := start; i < len(sql); i++ {
			switch c := sql[i]; {
			case c == '\'':
				quoted = !quoted
			case quoted:
			case c == '(':
				depth++
			case c == ')':
				depth--
			}
			if depth == 0 {
				out = append(out, store.NormalizeSQL(sql[start:i]))
				break
			}
		}
	}
	return out
}

func TestCheckExpressions(t *testing.T) {
	got := checkExpressions(`CREATE TABLE x (
    a TEXT CHECK (a IN ('(', 'b')),
    b BIGINT CHECK (b > 0 AND
                    b < 10),
    CONSTRAINT named_rule CHECK (a <> b),
    CHECK ((a IS NULL) <> (b IS NULL))
)`)
	want := []string{`a IN ('(', 'b')`, `b > 0 AND b < 10`, `named_rule`, `(a IS NULL) <> (b IS NULL)`}
	if !slices.Equal(got, want) {
		t.Fatalf("got %q\nwant %q", got, want)
	}
}

// TestConstraintViolations: real violations on both backends reach the
// caller with the code and the field of their entry.
func TestConstraintViolations(t *testing.T) {
	for _, b := range testenv.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			db, _ := b.Open(t)
			ctx := context.Background()
			cat := db.Catalog()
			now := time.Now().UTC()
			cl := catalog.Cluster{ID: ids.New(), Name: "Kanihama", Craft: "kani_shawl", District: "Budgam", CreatedAt: now}
			if err := cat.CreateCluster(ctx, cl, effects.Set{Audit: []audit.Entry{audit.New(ctx, now, "create", "cluster", cl.ID, nil, cl)}}); err != nil {
				t.Fatal(err)
			}
			art := catalog.Artisan{ID: ids.New(), Code: "KH-1", Name: "Fatima", Craft: "kani_shawl", Status: "active", Language: "ks",
				Version: 1, CreatedAt: now, UpdatedAt: now}
			if err := cat.CreateArtisan(ctx, art, catalog.SealedAccount{}, effects.Set{}); err != nil {
				t.Fatal(err)
			}
			share := int64(5000)
			product := func(mut func(*catalog.Product)) catalog.Product {
				p := catalog.Product{ID: ids.New(), SKU: "KS-" + ids.New()[28:], Title: "Kani shawl", Craft: "kani_shawl", HSNCode: "6214",
					GSTRateBP: 500, MRPPaise: 1000, PricePaise: 900, ArtisanID: art.ID, ArtisanShareBP: &share, Status: "draft",
					Version: 1, CreatedAt: now, UpdatedAt: now}
				mut(&p)
				return p
			}
			dup := cl
			dup.ID = ids.New()
			cases := []struct {
				name  string
				err   error
				code  apperr.Code
				field string
			}{
				{"unique name", cat.CreateCluster(ctx, dup, effects.Set{}), apperr.Conflict, "name"},
				{"unique sku", func() error {
					p := product(func(*catalog.Product) {})
					if err := cat.CreateProducts(ctx, []catalog.Product{p}, effects.Set{}); err != nil {
						return err
					}
					p.ID = ids.New()
					return cat.CreateProducts(ctx, []catalog.Product{p}, effects.Set{})
				}(), apperr.Conflict, "sku"},
				{"repeated id", cat.CreateCluster(ctx, catalog.Cluster{ID: cl.ID, Name: "Other", Craft: "namda", District: "x", CreatedAt: now}, effects.Set{}),
					apperr.Conflict, "id"},
				{"price above mrp", cat.CreateProducts(ctx, []catalog.Product{product(func(p *catalog.Product) { p.PricePaise = 2000 })}, effects.Set{}),
					apperr.Unprocessable, "price_paise"},
				{"negative weight", cat.CreateProducts(ctx, []catalog.Product{product(func(p *catalog.Product) { p.WeightG = -1 })}, effects.Set{}),
					apperr.Unprocessable, "weight_g"},
				{"raw check", store.Translate(db.Gorm().Exec(`INSERT INTO users (id, name, role, status, created_at, updated_at)
VALUES (?, 'x', 'superuser', 'active', ?, ?)`, ids.New(), now, now).Error), apperr.Unprocessable, "role"},
				{"multi-line check", store.Translate(db.Gorm().Exec(`INSERT INTO exceptions (id, kind, cause_key, status, summary, detail, action,
resource, resource_id, occurrences, created_at, updated_at) VALUES (?, 'nonsense', 'k', 'open', '', '', '', '', '', 1, ?, ?)`, ids.New(), now, now).Error),
					apperr.Unprocessable, "kind"},
			}
			fk := cat.CreateProducts(ctx, []catalog.Product{product(func(p *catalog.Product) { p.ArtisanID = ids.New() })}, effects.Set{})
			if b.Name == "postgres" {
				cases = append(cases, struct {
					name  string
					err   error
					code  apperr.Code
					field string
				}{"unknown maker", fk, apperr.Unprocessable, "artisan_id"}, struct {
					name  string
					err   error
					code  apperr.Code
					field string
				}{"NUL byte", cat.CreateCluster(ctx, catalog.Cluster{ID: ids.New(), Name: "a\x00b", Craft: "namda", District: "x", CreatedAt: now}, effects.Set{}),
					apperr.Invalid, ""})
			} else if !apperr.Is(fk, apperr.Unprocessable) {
				// SQLite does not say which reference failed: unprocessable, no field.
				t.Errorf("unknown maker: %v", fk)
			}
			for _, tc := range cases {
				var ae *apperr.Error
				if !errors.As(tc.err, &ae) || ae.Code != tc.code {
					t.Errorf("%s: %v, want %s", tc.name, tc.err, tc.code)
					continue
				}
				if tc.field != "" && ae.Fields[tc.field] == "" {
					t.Errorf("%s: %v names no field %s", tc.name, ae, tc.field)
				}
			}
			// A trigger's refusal is a bug, not input: it stays internal.
			err := store.Translate(db.Gorm().Exec(`UPDATE audit_log SET actor_name = 'x'`).Error)
			if err == nil || apperr.CodeOf(err) != apperr.Internal {
				t.Errorf("append-only refusal: %v", err)
			}
		})
	}
}
