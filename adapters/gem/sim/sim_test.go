package sim

import (
	"testing"

	"github.com/jkhhc/artisanbridge/adapters/gem"
)

// FuzzCheckCatalogue: whatever staff upload, the portal's checks never
// panic, and what they accept is a sane offering.
func FuzzCheckCatalogue(f *testing.F) {
	wb, _ := gem.Workbook(gem.CatalogueColumns, [][]any{{"Shawls", "Kani shawl", "JKHHC", "K-1", "6214", "5.00", "100.00", "90.00", 2, 1, 15, "India", "", "No", "", ""}})
	f.Add(wb)
	f.Add([]byte("Category,Product Name\nShawls,x\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		offers, _, err := checkCatalogue(data, func(string) bool { return false })
		if err != nil {
			return
		}
		for _, o := range offers {
			if o.sku == "" || o.price <= 0 || o.price >= o.mrp || o.stock < 0 {
				t.Fatalf("accepted %+v", o)
			}
		}
	})
}
