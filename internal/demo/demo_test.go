package demo

import (
	"bytes"
	"image/jpeg"
	"regexp"
	"testing"

	"github.com/jkhhc/artisanbridge/internal/catalog"
)

// TestCatalogueIsTheValley: the seed is the corporation's real size for a
// demo (issue 15: at least 30 artisans and 100 products), every piece is
// one the API accepts, and every GI a piece names is a registered one.
func TestCatalogueIsTheValley(t *testing.T) {
	artisans, products := layout()
	if len(artisans) < 30 || len(products) < 100 {
		t.Fatalf("%d artisans, %d products", len(artisans), len(products))
	}
	crafts, err := catalog.NewCrafts()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Noorbagh", "Downtown Srinagar", "Zadibal", "Bandipora", "Ganderbal", "Kanihama"} {
		found := false
		for _, c := range clusters {
			found = found || c.Name == want
		}
		if !found {
			t.Errorf("no %s cluster", want)
		}
	}
	codes, skus := map[string]bool{}, map[string]bool{}
	for _, a := range artisans {
		if codes[a.Code] || !crafts.Known(a.Craft) || !regexp.MustCompile(`^[A-Z0-9][A-Z0-9-]{1,31}$`).MatchString(a.Code) {
			t.Errorf("artisan %+v", a)
		}
		codes[a.Code] = true
		if _, ok := catalog.NormalizeMobile(a.Phone); !ok {
			t.Errorf("%s's phone %q", a.Code, a.Phone)
		}
	}
	gis := 0
	for _, p := range products {
		if skus[p.SKU] || !catalog.ValidSKU(p.SKU) || !catalog.ValidHSN(p.Piece.HSN) || !crafts.Known(p.Craft) {
			t.Errorf("product %+v", p)
		}
		skus[p.SKU] = true
		if p.Piece.ArtisanPricePaise >= p.Piece.PricePaise || p.Piece.PricePaise <= 0 {
			t.Errorf("%s: maker's price %d, showroom's %d", p.SKU, p.Piece.ArtisanPricePaise, p.Piece.PricePaise)
		}
		if p.Piece.GI != "" {
			gis++
		}
		if !regexp.MustCompile(`^[A-Z0-9]{13,16}$`).MatchString(fsn(p.SKU)) {
			t.Errorf("%s: FSN %q", p.SKU, fsn(p.SKU))
		}
	}
	if !catalog.LegalGSTRate(gstRateBP) || gis == 0 {
		t.Fatalf("GST %d, %d GI pieces", gstRateBP, gis)
	}
}

// TestPhotosAreDrawnOnce: each piece's photo is a JPEG, the same for the
// same SKU and different between pieces.
func TestPhotosAreDrawnOnce(t *testing.T) {
	_, products := layout()
	seen := map[string]string{}
	for _, p := range products[:20] {
		a, err := drawPhoto(p)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := drawPhoto(p)
		if !bytes.Equal(a, b) {
			t.Fatalf("%s drawn twice differs", p.SKU)
		}
		img, err := jpeg.Decode(bytes.NewReader(a))
		if err != nil || img.Bounds().Dx() != photoSize {
			t.Fatalf("%s: %v", p.SKU, err)
		}
		if other, dup := seen[string(a)]; dup {
			t.Fatalf("%s and %s have the same photo", p.SKU, other)
		}
		seen[string(a)] = p.SKU
	}
}

func TestNextStep(t *testing.T) {
	for _, c := range []struct{ kind, status, want string }{
		{"pick", "open", "packed"}, {"pick", "acknowledged", "packed"}, {"pick", "packed", "dispatched"},
		{"collect", "open", "acknowledged"}, {"collect", "acknowledged", "collected"}, {"collect", "collected", "packed"},
		{"make", "open", "acknowledged"}, {"make", "acknowledged", "collected"}, {"make", "packed", "dispatched"},
		{"pick", "dispatched", ""}, {"pick", "cancelled", ""},
	} {
		if got, wait := nextStep(apiTask{Kind: c.kind, Status: c.status}); got != c.want || (got != "" && wait <= 0) {
			t.Errorf("%s %s: %q after %v, want %q", c.kind, c.status, got, wait, c.want)
		}
	}
}

func TestTrackingNumbers(t *testing.T) {
	got := trackingNo("01a23156-1f2b-7b0a-a0b5-15e2e92d32cc")
	if got != "JKHC15E2E92D32CC" || len(got) > 64 {
		t.Fatalf("%q", got)
	}
}
