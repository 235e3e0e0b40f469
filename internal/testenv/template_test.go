package testenv

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/jkhhc/artisanbridge/internal/store"
)

// TestTemplateIsTheMigratedSchema: a test's database copied from the
// template holds the very schema (tables, columns, constraints, indexes,
// triggers, functions, the migration history) that migrating an empty
// database writes, on both backends.
func TestTemplateIsTheMigratedSchema(t *testing.T) {
	for _, b := range Backends() {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			copied, _ := b.Open(t)
			var fresh *store.DB
			if b.Name == "postgres" {
				fresh = openMigrated(t, store.Options{PostgresURL: NewPostgresDatabase(t)})
			} else {
				fresh = openMigrated(t, store.Options{SQLitePath: filepath.Join(t.TempDir(), "fresh.db")})
			}
			want, got := schemaOf(t, fresh), schemaOf(t, copied)
			if len(want) < 50 {
				t.Fatalf("the migrated schema reads as only %d lines: the query is broken", len(want))
			}
			for _, w := range want {
				if !slices.Contains(got, w) {
					t.Errorf("the template's copy lacks: %s", w)
				}
			}
			for _, g := range got {
				if !slices.Contains(want, g) {
					t.Errorf("the template's copy has what migrating does not write: %s", g)
				}
			}
		})
	}
}

func schemaOf(t *testing.T, db *store.DB) []string {
	t.Helper()
	queries := []string{
		`SELECT type || ' ' || name || ' ' || tbl_name || ' ' || COALESCE(sql, '') FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'`,
		`SELECT 'migration ' || version_id || ' ' || is_applied FROM goose_db_version`,
	}
	if db.Dialect() == "postgres" {
		queries = []string{
			`SELECT 'column ' || table_name || '.' || column_name || ' ' || data_type || ' ' || is_nullable || ' ' || COALESCE(column_default, '')
			 FROM information_schema.columns WHERE table_schema = 'public'`,
			`SELECT 'constraint ' || conrelid::regclass::text || ' ' || conname || ' ' || pg_get_constraintdef(oid) FROM pg_constraint
			 WHERE connamespace = 'public'::regnamespace`,
			`SELECT 'index ' || indexdef FROM pg_indexes WHERE schemaname = 'public'`,
			`SELECT 'trigger ' || tgrelid::regclass::text || ' ' || tgname || ' ' || pg_get_triggerdef(oid) FROM pg_trigger WHERE NOT tgisinternal`,
			`SELECT 'function ' || proname || ' ' || md5(prosrc) FROM pg_proc WHERE pronamespace = 'public'::regnamespace`,
			`SELECT 'migration ' || version_id || ' ' || is_applied FROM goose_db_version`,
		}
	}
	var out []string
	for _, q := range queries {
		rows, err := db.SQL().QueryContext(context.Background(), q)
		if err != nil {
			t.Fatalf("%s: %v", strings.Fields(q)[1], err)
		}
		out = append(out, scanStrings(t, rows)...)
	}
	return out
}

func scanStrings(t *testing.T, rows *sql.Rows) []string {
	t.Helper()
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(fmt.Errorf("rows: %w", err))
	}
	return out
}
