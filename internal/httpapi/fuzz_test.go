package httpapi_test

import (
	"testing"

	"github.com/jkhhc/artisanbridge/internal/auth"
	"github.com/jkhhc/artisanbridge/internal/testenv"
)

// FuzzRequestBodies: no request body makes a handler panic or answer 500,
// and anything refused leaves every table as it was.
func FuzzRequestBodies(f *testing.F) {
	seeds := []string{
		`{"sku":"FZ-1","title":"t","craft":"namda","hsn_code":"5704","gst_rate_bp":500,"mrp_paise":100,"price_paise":90,"artisan_code":"X","artisan_price_paise":50}`,
		`{"sku":"FZ-1","mrp_paise":1e400}`,
		`{"images":[1,2,3]}`,
		`{"attributes":{"colour":"red"}}`,
		`{"version":-1}`,
		`nul`, `{}`, `[]`, `"x"`, `{"a":`,
	}
	for _, s := range seeds {
		f.Add(s, uint8(0))
	}
	paths := []string{"/api/v1/products", "/api/v1/artisans", "/api/v1/clusters", "/api/v1/locations", "/api/v1/stock/movements", "/api/v1/users"}
	ts := newTestServer(f, testenv.Backends()[0])
	f.Fuzz(func(t *testing.T, body string, route uint8) {
		ts.t = t
		path := paths[int(route)%len(paths)]
		before := ts.rowCounts()
		r := ts.do(auth.RoleAdmin, "POST", path, body)
		if r.Status >= 500 {
			t.Fatalf("%s answered %d to %q: %s", path, r.Status, body, r.Body)
		}
		if r.Status >= 400 {
			after := ts.rowCounts()
			for tb, n := range before {
				if after[tb] != n {
					t.Fatalf("%s: refused request changed %s", path, tb)
				}
			}
		}
	})
}
