package store_test

import (
	"context"
	"strings"
	"sync"
	"testing"

	"gorm.io/gorm"

	"github.com/jkhhc/artisanbridge/internal/catalog"
	"github.com/jkhhc/artisanbridge/internal/paging"
	"github.com/jkhhc/artisanbridge/internal/testenv"
)

// TestArtisanReadsLeaveTheSealedAccount: the artisans list and the read
// of one artisan answer the masked account and never load the sealed one
// (secrets stay where only the payout bank file opens them); the query
// names its columns, so a column added later is not read by accident.
func TestArtisanReadsLeaveTheSealedAccount(t *testing.T) {
	eachBackend(t, func(t *testing.T, b testenv.Backend, f *fixture) {
		ctx := context.Background()
		g := f.db.Gorm()
		if err := g.Exec(`UPDATE artisans SET bank_account_sealed = 'v1:sealed-secret', bank_account_last4 = '4321' WHERE id = ?`, f.artisan.ID).Error; err != nil {
			t.Fatal(err)
		}
		var mu sync.Mutex
		var queries []string
		const name = "test:artisan-reads"
		record := func(d *gorm.DB) {
			if d.Statement.Table == "artisans" {
				mu.Lock()
				queries = append(queries, d.Statement.SQL.String())
				mu.Unlock()
			}
		}
		// A list is scanned through gorm's row callbacks (findPage), one
		// artisan through its query callbacks: both are watched.
		if err := g.Callback().Query().After("gorm:query").Register(name, record); err != nil {
			t.Fatal(err)
		}
		defer func() { _ = g.Callback().Query().Remove(name) }()
		if err := g.Callback().Row().After("gorm:row").Register(name, record); err != nil {
			t.Fatal(err)
		}
		defer func() { _ = g.Callback().Row().Remove(name) }()
		page, err := f.db.Catalog().ListArtisans(ctx, catalog.ArtisanFilter{}, paging.Request{Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		one, err := f.db.Catalog().GetArtisan(ctx, f.artisan.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Items) != 1 || page.Items[0].BankAccountMasked == "" || one.BankAccountMasked != page.Items[0].BankAccountMasked ||
			!strings.HasSuffix(one.BankAccountMasked, "4321") {
			t.Fatalf("the masked account is not answered: list %+v, one %+v", page.Items, one)
		}
		mu.Lock()
		defer mu.Unlock()
		if len(queries) != 2 {
			t.Fatalf("%d queries of artisans seen, want 2: %q", len(queries), queries)
		}
		for _, q := range queries {
			if strings.Contains(q, "bank_account_sealed") || strings.Contains(q, "*") {
				t.Fatalf("an artisan read loads the sealed account: %s", q)
			}
		}
	})
}
