package store_test

import (
	"context"
	"slices"
	"testing"

	"github.com/jkhhc/artisanbridge/internal/catalog"
	"github.com/jkhhc/artisanbridge/internal/paging"
	"github.com/jkhhc/artisanbridge/internal/search"
	"github.com/jkhhc/artisanbridge/internal/testenv"
)

// testSearch is the contract of ?q= on both backends: what a product and
// an artisan are found by, that every word must match (as a word's start),
// that the documents follow changes of the product, its maker and the
// maker's cluster, and that a search pages by keyset like any list.
func testSearch(t *testing.T, b testenv.Backend) {
	f := newFixture(t, b) // Ghulam Nabi (GH-001), KANI-001 "Kani shawl, pure pashmina"
	ctx := context.Background()
	cl, err := f.cat.CreateCluster(ctx, catalog.NewCluster{Name: "Kanihama", Craft: "kani_shawl", District: "Budgam"})
	if err != nil {
		t.Fatal(err)
	}
	mir, err := f.cat.CreateArtisan(ctx, catalog.ArtisanInput{Code: ptr("PM-077"), Name: ptr("Mehraj-ud-Din Mir"), Craft: ptr("papier_mache"),
		ClusterID: ptr(cl.ID), Phone: ptr("+919906012345"), PehchanCardNo: ptr("JK/PCH/2019/00123")})
	if err != nil {
		t.Fatal(err)
	}
	box, err := f.cat.CreateProduct(ctx, catalog.ProductInput{SKU: ptr("PM-BOX-12"), Title: ptr("Papier-mâché jewellery box"), Craft: ptr("papier_mache"),
		HSNCode: ptr("48239090"), GSTRateBP: ptr[int64](1200), MRPPaise: ptr[int64](350_000), PricePaise: ptr[int64](300_000),
		ArtisanID: ptr(mir.ID), ArtisanPricePaise: ptr[int64](200_000), GITag: ptr(true), GICertificateNo: ptr("GI-186")})
	if err != nil {
		t.Fatal(err)
	}
	products := func(q string) []string {
		t.Helper()
		s, err := search.Parse(q)
		if err != nil {
			t.Fatal(err)
		}
		page, err := f.cat.ListProducts(ctx, catalog.ProductFilter{Search: s}, paging.Request{Limit: 50})
		if err != nil {
			t.Fatalf("search products %q: %v", q, err)
		}
		var out []string
		for _, p := range page.Items {
			out = append(out, p.SKU)
		}
		return out
	}
	artisans := func(q string) []string {
		t.Helper()
		s, err := search.Parse(q)
		if err != nil {
			t.Fatal(err)
		}
		page, err := f.cat.ListArtisans(ctx, catalog.ArtisanFilter{Search: s}, paging.Request{Limit: 50})
		if err != nil {
			t.Fatalf("search artisans %q: %v", q, err)
		}
		var out []string
		for _, a := range page.Items {
			out = append(out, a.Code)
		}
		return out
	}
	for _, tc := range []struct {
		q    string
		want []string
	}{
		{"pashmina", []string{"KANI-001"}},          // title
		{"KANI-001", []string{"KANI-001"}},          // SKU
		{"pm-box", []string{"PM-BOX-12"}},           // SKU start
		{"papier_mache", []string{"PM-BOX-12"}},     // craft
		{"GI", []string{"PM-BOX-12"}},               // GI tag
		{"gi 186", []string{"PM-BOX-12"}},           // GI certificate
		{"ghulam", []string{"KANI-001"}},            // maker's name
		{"PM-077 box", []string{"PM-BOX-12"}},       // maker's code and a title word
		{"mehraj jewellery", []string{"PM-BOX-12"}}, // words from two sources
		{"ghulam jewellery", nil},                   // every word must match
		{"shawl", []string{"KANI-001"}},             // no false friend
		{"mâché", []string{"PM-BOX-12"}},            // accents kept
		{"nowhere", nil},
	} {
		if got := products(tc.q); !slices.Equal(got, tc.want) {
			t.Errorf("products ?q=%s = %v, want %v", tc.q, got, tc.want)
		}
	}
	for _, tc := range []struct {
		q    string
		want []string
	}{
		{"ghulam nabi", []string{"GH-001"}}, // name
		{"mir", []string{"PM-077"}},
		{"pm-077", []string{"PM-077"}},            // code
		{"9906012345", []string{"PM-077"}},        // phone without +91
		{"+919906012345", []string{"PM-077"}},     // phone as stored
		{"JK/PCH/2019/00123", []string{"PM-077"}}, // Pehchan card
		{"kanihama", []string{"PM-077"}},          // cluster
		{"kanihama ghulam", nil},
	} {
		if got := artisans(tc.q); !slices.Equal(got, tc.want) {
			t.Errorf("artisans ?q=%s = %v, want %v", tc.q, got, tc.want)
		}
	}

	// The documents follow changes: a product retitled, a maker renamed
	// (its products follow), a cluster renamed.
	if _, err := f.cat.UpdateProduct(ctx, box.ID, catalog.ProductInput{Title: ptr("Papier-mâché pen case"), Version: ptr(box.Version)}); err != nil {
		t.Fatal(err)
	}
	if got := products("jewellery"); got != nil {
		t.Errorf("after retitling, jewellery finds %v", got)
	}
	if got := products("pen case"); !slices.Equal(got, []string{"PM-BOX-12"}) {
		t.Errorf("after retitling, pen case finds %v", got)
	}
	if _, err := f.cat.UpdateArtisan(ctx, mir.ID, catalog.ArtisanInput{Name: ptr("Mehraj Shah"), Version: ptr(mir.Version)}); err != nil {
		t.Fatal(err)
	}
	if got := products("shah pen"); !slices.Equal(got, []string{"PM-BOX-12"}) {
		t.Errorf("after renaming the maker, shah pen finds %v", got)
	}
	if got := artisans("mir"); got != nil {
		t.Errorf("after renaming, mir finds %v", got)
	}
	if err := f.db.Gorm().Exec(`UPDATE clusters SET name = ? WHERE id = ?`, "Kanihama Village", cl.ID).Error; err != nil {
		t.Fatal(err)
	}
	if got := artisans("village"); !slices.Equal(got, []string{"PM-077"}) {
		t.Errorf("after renaming the cluster, village finds %v", got)
	}

	// A search pages by keyset and combines with the filters.
	for i := range 5 {
		mustProduct(t, f, "KANI-10"+string(rune('0'+i)))
	}
	s, _ := search.Parse("kani pashmina")
	var seen []string
	var cursor string
	for range 10 {
		req, err := paging.Parse(2, cursor)
		if err != nil {
			t.Fatal(err)
		}
		page, err := f.cat.ListProducts(ctx, catalog.ProductFilter{Search: s, Craft: "kani_shawl"}, req)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range page.Items {
			seen = append(seen, p.SKU)
		}
		if cursor = page.NextCursor; cursor == "" {
			break
		}
	}
	slices.Sort(seen)
	if want := []string{"KANI-001", "KANI-100", "KANI-101", "KANI-102", "KANI-103", "KANI-104"}; !slices.Equal(seen, want) {
		t.Errorf("paged search = %v, want %v", seen, want)
	}
	// A search alone pages the same whether its page comes from the walk
	// of the id order, from the index, or from both (PostgreSQL: matching).
	all, err := f.cat.ListProducts(ctx, catalog.ProductFilter{Search: s}, paging.Request{Limit: 50})
	if err != nil || len(all.Items) < 6 {
		t.Fatalf("search alone: %d products, %v; want at least 6", len(all.Items), err)
	}
	var want []string
	for _, p := range all.Items {
		want = append(want, p.ID)
	}
	for _, window := range []int{1, 2, 3, 5, 1000} {
		f.db.SetSearchWindow(window)
		var got []string
		cursor := ""
		for range 20 {
			req, err := paging.Parse(2, cursor)
			if err != nil {
				t.Fatal(err)
			}
			page, err := f.cat.ListProducts(ctx, catalog.ProductFilter{Search: s}, req)
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range page.Items {
				got = append(got, p.ID)
			}
			if cursor = page.NextCursor; cursor == "" {
				break
			}
		}
		if !slices.Equal(got, want) {
			t.Errorf("window %d: paged search alone = %v, want %v", window, got, want)
		}
	}
	f.db.SetSearchWindow(0)
	page, err := f.cat.ListProducts(ctx, catalog.ProductFilter{Search: s, Craft: "papier_mache"}, paging.Request{Limit: 50})
	if err != nil || len(page.Items) != 0 {
		t.Errorf("search and another craft = %v %v, want none", page.Items, err)
	}
}
