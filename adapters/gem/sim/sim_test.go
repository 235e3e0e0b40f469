package sim

import (
	"bytes"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/jkhhc/artisanbridge/internal/finance"

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

// TestPaymentRecords: a delivered order is paid once, in the portal's
// payment-record columns, with exactly what finance expects of GeM (no
// transaction charge, TCS and TDS at the rates in force), so an import
// settles it rather than finding it short.
func TestPaymentRecords(t *testing.T) {
	s := New(Config{Seed: 7})
	srv := httptest.NewServer(s)
	defer srv.Close()
	wb, _ := gem.Workbook(gem.CatalogueColumns, [][]any{{"Shawls", "Kani stole", "JKHHC", "KNH01-KST", "62142010", "5", "35200.00", "32000.00", 3, 1, 15, "India", "", "Yes", "", ""}})
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, _ := mw.CreateFormFile("file", "catalogue.xlsx")
	fw.Write(wb)
	mw.Close()
	post := func(path, ctype string, r io.Reader) []byte {
		t.Helper()
		resp, err := http.Post(srv.URL+path, ctype, r)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode/100 != 2 {
			t.Fatalf("%s: %d %s", path, resp.StatusCode, b)
		}
		return b
	}
	post("/_sim/catalogue/upload", mw.FormDataContentType(), &body)
	var placed struct{ ID string }
	json.Unmarshal(post("/_sim/orders", "application/json", strings.NewReader(`{"sku":"KNH01-KST","quantity":2}`)), &placed)
	if got := post("/_sim/settlements", "", nil); rows(t, got) != 0 {
		t.Fatalf("an undelivered order was paid")
	}
	post("/_sim/orders/"+placed.ID+"/deliver", "", nil)
	pays := mustPayments(t, post("/_sim/settlements", "", nil))
	if len(pays) != 1 || pays[0].ContractNo != placed.ID || pays[0].PaymentDate == nil {
		t.Fatalf("payments %+v", pays)
	}
	want := finance.Expected(SettlementFees, 6_400_000, 500, time.Now(), time.Now())
	if got := pays[0].Paid; got.GrossPaise != 6_400_000 || got.NetPaise != want.NetPaise || got.TCSPaise != want.TCSPaise || got.TDSPaise != want.TDSPaise || got.Fees() != 0 {
		t.Fatalf("paid %+v, finance expects %+v", got, want)
	}
	if again := rows(t, post("/_sim/settlements", "", nil)); again != 0 {
		t.Fatalf("paid twice: %d rows", again)
	}
}

// rows counts a payment workbook's rows (finance refuses an empty one).
func rows(t *testing.T, data []byte) int {
	t.Helper()
	tab, err := gem.ReadTable(data, 5000, headers(finance.GeMPaymentColumns)...)
	if err != nil {
		t.Fatal(err)
	}
	return len(tab.Rows)
}

func mustPayments(t *testing.T, data []byte) []finance.GeMPayment {
	t.Helper()
	p, err := finance.ParseGeMPayments(data)
	if err != nil {
		t.Fatal(err)
	}
	return p
}
