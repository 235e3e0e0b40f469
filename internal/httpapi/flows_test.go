package httpapi_test

import (
	"bytes"
	"context"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/jkhhc/artisanbridge/internal/auth"
	"github.com/jkhhc/artisanbridge/internal/idempotency"
	"github.com/jkhhc/artisanbridge/internal/ids"
	"github.com/jkhhc/artisanbridge/internal/testenv"
)

func (ts *testServer) upload(path, filename string, data []byte, as ...auth.Role) response {
	ts.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, err := mw.CreateFormFile("file", filename)
	if err != nil {
		ts.t.Fatal(err)
	}
	fw.Write(data)
	mw.Close()
	req := httptest.NewRequest("POST", path, &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	role := auth.RoleShowroom
	if len(as) > 0 {
		role = as[0]
	}
	req.Header.Set("Authorization", "Bearer "+ts.tokens[role])
	return ts.serve(req)
}

const importHeader = "sku,title,craft,hsn_code,gst_rate_bp,mrp_paise,price_paise,artisan_code,artisan_price_paise\n"

// runImports does what the worker does with the imports the API queued.
func (ts *testServer) runImport(id string) {
	ts.t.Helper()
	for range 1000 {
		done, err := ts.imports.Run(context.Background(), id)
		if err != nil {
			ts.t.Fatalf("import %s: %v", id, err)
		}
		if done {
			return
		}
	}
	ts.t.Fatalf("import %s never finished", id)
}

// importFile uploads a sheet (202), runs its job and returns the import
// as GET /imports/{id} shows it.
func (ts *testServer) importFile(path, filename string, data []byte) map[string]any {
	ts.t.Helper()
	r := ts.upload(path, filename, data)
	if r.Status != 202 {
		ts.t.Fatalf("upload %s: %d %s", path, r.Status, r.Body)
	}
	id := r.json(ts.t)["id"].(string)
	if loc := r.Header.Get("Location"); loc != "/api/v1/imports/"+id {
		ts.t.Fatalf("Location %q", loc)
	}
	ts.runImport(id)
	got := ts.do(auth.RoleShowroom, "GET", "/api/v1/imports/"+id, nil)
	if got.Status != 200 {
		ts.t.Fatalf("GET import: %d %s", got.Status, got.Body)
	}
	return got.json(ts.t)
}

func TestProductImport(t *testing.T) {
	for _, b := range testenv.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			ts := newTestServer(t, b)
			ts.mustCreate("/api/v1/artisans", map[string]any{"code": "PM-9", "name": "Shabir", "craft": "papier_mache"})
			csv := importHeader +
				"PM-BOX-1,Papier-mache box,papier_mache,4823,500,120000,99000,PM-9,60000\n" +
				"PM-BOX-2,Papier-mache vase,papier_mache,4823,700,120000,99000,PM-9,60000\n" + // illegal GST rate
				"PM-BOX-3,Papier-mache bowl,papier_mache,4823,500,120000,130000,NOBODY,60000\n" + // price > MRP, unknown artisan
				"PM-BOX-1,Papier-mache box again,papier_mache,4823,500,120000,99000,PM-9,60000\n" // repeated SKU
			before := ts.rowCounts()
			imp := ts.importFile("/api/v1/products/import", "catalogue.csv", []byte(csv))
			if imp["status"] != "rejected" || imp["failed"].(float64) != 3 || imp["created"].(float64) != 0 {
				t.Fatalf("invalid file: %v", imp)
			}
			report := ts.do(auth.RoleShowroom, "GET", imp["errors_url"].(string), nil)
			if report.Status != 200 || !strings.HasPrefix(report.Header.Get("Content-Type"), "text/csv") {
				t.Fatalf("error report: %d %s", report.Status, report.Body)
			}
			for _, want := range []string{"3,gst_rate_bp,700,", "4,price_paise,130000,", "4,artisan_code,NOBODY,", "5,sku,PM-BOX-1,repeats the sku of row 2"} {
				if !strings.Contains(string(report.Body), want) {
					t.Errorf("report does not name %s:\n%s", want, report.Body)
				}
			}
			after := ts.rowCounts()
			for tb, n := range before {
				if after[tb] != n && tb != "imports" && tb != "import_errors" && tb != "audit_log" && tb != "outbox" {
					t.Fatalf("%s changed by a refused import", tb)
				}
			}
			// XLSX, read by header names in another order; then the same
			// SKU again with a new price is an update.
			f := excelize.NewFile()
			rows := [][]any{
				{"title", "sku", "artisan_code", "craft", "hsn_code", "gst_rate_bp", "mrp_paise", "price_paise", "artisan_share_bp"},
				{"Papier-mache tray", "PM-TRAY-1", "PM-9", "papier_mache", "4823", 500, 80000, 70000, 6000},
			}
			for i, row := range rows {
				cell, _ := excelize.CoordinatesToCellName(1, i+1)
				f.SetSheetRow("Sheet1", cell, &row)
			}
			var buf bytes.Buffer
			f.Write(&buf)
			if imp := ts.importFile("/api/v1/products/import", "catalogue.xlsx", buf.Bytes()); imp["status"] != "done" || imp["created"].(float64) != 1 {
				t.Fatalf("xlsx import: %v", imp)
			}
			list := ts.do(auth.RoleShowroom, "GET", "/api/v1/products?sku=PM-TRAY-1", nil)
			if items := list.json(t)["items"].([]any); len(items) != 1 || items[0].(map[string]any)["artisan_share_bp"].(float64) != 6000 {
				t.Fatalf("imported product: %s", list.Body)
			}
			again := "sku,price_paise\nPM-TRAY-1,65000\n"
			if imp := ts.importFile("/api/v1/products/import", "prices.csv", []byte(again)); imp["status"] != "done" || imp["updated"].(float64) != 1 {
				t.Fatalf("price update: %v", imp)
			}
			list = ts.do(auth.RoleShowroom, "GET", "/api/v1/products?sku=PM-TRAY-1", nil)
			if p := list.json(t)["items"].([]any)[0].(map[string]any); p["price_paise"].(float64) != 65000 || p["version"].(float64) != 2 {
				t.Fatalf("updated product: %s", list.Body)
			}
		})
	}
}

func TestArtisanImportAPI(t *testing.T) {
	ts := newTestServer(t, testenv.Backends()[0])
	sheet := "code,name,craft,phone,bank_account_number,bank_ifsc\nKN-7,Ghulam Nabi,kani_shawl,9419012345,987654321098,JAKA0KANIHM\n"
	imp := ts.importFile("/api/v1/artisans/import", "survey.csv", []byte(sheet))
	if imp["status"] != "done" || imp["created"].(float64) != 1 {
		t.Fatalf("artisan import: %v", imp)
	}
	list := ts.do(auth.RoleShowroom, "GET", "/api/v1/artisans", nil)
	if strings.Contains(string(list.Body), "987654321098") || !strings.Contains(string(list.Body), "KN-7") {
		t.Fatalf("artisans: %s", list.Body)
	}
	if r := ts.upload("/api/v1/artisans/import", "survey.csv", []byte(sheet), auth.RoleFinance); r.Status != 403 {
		t.Fatalf("finance imported artisans: %d", r.Status)
	}
	if r := ts.do(auth.RoleShowroom, "GET", "/api/v1/imports/"+ids.New(), nil); r.Status != 404 {
		t.Fatalf("unknown import: %d", r.Status)
	}
}

func TestIdempotencyKey(t *testing.T) {
	ts := newTestServer(t, testenv.Backends()[0])
	body := map[string]any{"name": "Khrew", "craft": "walnut_wood_carving", "district": "Pulwama"}
	first := ts.do(auth.RoleShowroom, "POST", "/api/v1/clusters", body, "Idempotency-Key", "key-cluster-0001")
	if first.Status != 201 {
		t.Fatalf("first: %d %s", first.Status, first.Body)
	}
	for i := 0; i < 5; i++ {
		again := ts.do(auth.RoleShowroom, "POST", "/api/v1/clusters", body, "Idempotency-Key", "key-cluster-0001")
		if again.Status != 201 || !bytes.Equal(again.Body, first.Body) || again.Header.Get("Idempotency-Replayed") != "true" {
			t.Fatalf("replay %d: %d %s", i, again.Status, again.Body)
		}
	}
	if n := ts.rowCounts()["clusters"]; n != 1 {
		t.Fatalf("%d clusters after replays", n)
	}
	other := ts.do(auth.RoleShowroom, "POST", "/api/v1/clusters", map[string]any{"name": "Other", "craft": "namda", "district": "x"},
		"Idempotency-Key", "key-cluster-0001")
	if other.Status != 422 {
		t.Fatalf("same key, other body: %d %s", other.Status, other.Body)
	}
	// Another user's identical key is independent.
	if r := ts.do(auth.RoleAdmin, "POST", "/api/v1/clusters", map[string]any{"name": "Admin's", "craft": "namda", "district": "x"},
		"Idempotency-Key", "key-cluster-0001"); r.Status != 201 {
		t.Fatalf("other principal: %d %s", r.Status, r.Body)
	}
	// A request still running under the key gets 409.
	var showroomID string
	users := ts.do(auth.RoleAdmin, "GET", "/api/v1/users", nil).json(t)["items"].([]any)
	for _, u := range users {
		if u.(map[string]any)["role"] == "showroom" {
			showroomID = u.(map[string]any)["id"].(string)
		}
	}
	raw := []byte(`{"name":"Busy","craft":"namda","district":"x"}`)
	_, _, err := ts.db.Idempotency().Claim(context.Background(), idempotency.Record{PrincipalID: showroomID, Key: "key-busy-00001",
		Method: "POST", Path: "/api/v1/clusters", RequestHash: idempotency.Hash("POST", "/api/v1/clusters", raw), CreatedAt: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	if r := ts.do(auth.RoleShowroom, "POST", "/api/v1/clusters", raw, "Idempotency-Key", "key-busy-00001"); r.Status != 409 {
		t.Fatalf("in progress: %d %s", r.Status, r.Body)
	}
	// A request cut (kill -9) before it committed leaves its key in
	// progress; once stale, the retry takes it over and runs, once.
	cut := []byte(`{"name":"Cut","craft":"namda","district":"x"}`)
	if _, _, err := ts.db.Idempotency().Claim(context.Background(), idempotency.Record{PrincipalID: showroomID, Key: "key-cut-000001", ClaimID: "dead-run",
		Method: "POST", Path: "/api/v1/clusters", RequestHash: idempotency.Hash("POST", "/api/v1/clusters", cut),
		CreatedAt: time.Now().Add(-idempotency.StaleAfter - time.Second)}); err != nil {
		t.Fatal(err)
	}
	retried := ts.do(auth.RoleShowroom, "POST", "/api/v1/clusters", cut, "Idempotency-Key", "key-cut-000001")
	if retried.Status != 201 {
		t.Fatalf("retry of a request cut before its commit: %d %s", retried.Status, retried.Body)
	}
	if r := ts.do(auth.RoleShowroom, "POST", "/api/v1/clusters", cut, "Idempotency-Key", "key-cut-000001"); r.Status != 201 ||
		r.Header.Get("Idempotency-Replayed") != "true" || !bytes.Equal(r.Body, retried.Body) {
		t.Fatalf("replay after the take-over: %d %s", r.Status, r.Body)
	}
	// A refused request does not burn its key: fixed, it goes through.
	bad := ts.do(auth.RoleShowroom, "POST", "/api/v1/clusters", map[string]any{"name": "Fixed", "craft": "unknown", "district": "x"},
		"Idempotency-Key", "key-fixme-0001")
	if bad.Status != 422 {
		t.Fatalf("bad: %d", bad.Status)
	}
	if r := ts.do(auth.RoleShowroom, "POST", "/api/v1/clusters", map[string]any{"name": "Fixed", "craft": "namda", "district": "x"},
		"Idempotency-Key", "key-fixme-0001"); r.Status != 201 {
		t.Fatalf("corrected retry: %d %s", r.Status, r.Body)
	}
	if r := ts.do(auth.RoleShowroom, "POST", "/api/v1/clusters", body, "Idempotency-Key", "short"); r.Status != 400 {
		t.Fatalf("malformed key: %d", r.Status)
	}
}

// TestIdempotencyConcurrent: the same key sent many times at once runs once.
func TestIdempotencyConcurrent(t *testing.T) {
	for _, b := range testenv.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			ts := newTestServer(t, b)
			loc := ts.mustCreate("/api/v1/locations", map[string]any{"code": "SRG-2", "name": "Lal Chowk", "kind": "showroom"})
			art := ts.mustCreate("/api/v1/artisans", map[string]any{"code": "CU-1", "name": "Nazir", "craft": "copperware"})
			prod := ts.mustCreate("/api/v1/products", map[string]any{"sku": "CU-SAMOVAR", "title": "Copper samovar", "craft": "copperware",
				"hsn_code": "7418", "gst_rate_bp": 1200, "mrp_paise": 900000, "price_paise": 850000, "artisan_id": art["id"], "artisan_price_paise": 500000})
			mv := map[string]any{"product_id": prod["id"], "location_id": loc["id"], "kind": "intake", "quantity": 3}
			var wg sync.WaitGroup
			codes := make(chan int, 10)
			for i := 0; i < 10; i++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					codes <- ts.do(auth.RoleShowroom, "POST", "/api/v1/stock/movements", mv, "Idempotency-Key", "intake-samovar-1").Status
				}()
			}
			wg.Wait()
			close(codes)
			seen := map[int]int{}
			for c := range codes {
				seen[c]++
			}
			if seen[201]+seen[409] != 10 || seen[201] < 1 {
				t.Fatalf("statuses %v", seen)
			}
			if n := ts.rowCounts()["stock_movements"]; n != 1 {
				t.Fatalf("%d movements from one key (statuses %v)", n, seen)
			}
			st := ts.do(auth.RoleShowroom, "GET", fmt.Sprintf("/api/v1/stock?product_id=%s", prod["id"]), nil).json(t)
			if st["items"].([]any)[0].(map[string]any)["on_hand"].(float64) != 3 {
				t.Fatalf("stock %v", st)
			}
		})
	}
}

func TestAuditLog(t *testing.T) {
	ts := newTestServer(t, testenv.Backends()[0])
	art := ts.mustCreate("/api/v1/artisans", map[string]any{"code": "SZ-1", "name": "Mehmooda", "craft": "sozni_embroidery",
		"bank_account_number": "5566778899001", "bank_ifsc": "SBIN0004321"})
	id := art["id"].(string)
	r := ts.do(auth.RoleShowroom, "PATCH", "/api/v1/artisans/"+id, map[string]any{"phone": "9906123456", "version": 1})
	if r.Status != 200 {
		t.Fatalf("patch: %d %s", r.Status, r.Body)
	}
	page := ts.do(auth.RoleAdmin, "GET", "/api/v1/audit?resource=artisan&resource_id="+id, nil)
	items := page.json(t)["items"].([]any)
	if page.Status != 200 || len(items) != 2 {
		t.Fatalf("audit: %d %s", page.Status, page.Body)
	}
	upd := items[1].(map[string]any)
	if upd["action"] != "update" || upd["actor_name"] != "user-showroom" || upd["before"].(map[string]any)["phone"] != "" ||
		upd["after"].(map[string]any)["phone"] != "+919906123456" || upd["request_id"] == "" {
		t.Fatalf("update entry: %v", upd)
	}
	if bytes.Contains(page.Body, []byte("5566778899001")) {
		t.Fatal("the audit log holds a full account number")
	}
	if r := ts.do(auth.RoleShowroom, "GET", "/api/v1/audit", nil); r.Status != http.StatusForbidden {
		t.Fatalf("showroom reading audit: %d", r.Status)
	}
}

func TestTokenRotation(t *testing.T) {
	ts := newTestServer(t, testenv.Backends()[0])
	created := ts.mustCreate("/api/v1/users", map[string]any{"name": "Bilal", "role": "operations"})
	id, first := created["id"].(string), created["token"].(string)
	call := func(token string) int {
		req := httptest.NewRequest("GET", "/api/v1/stock", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		w := httptest.NewRecorder()
		ts.srv.ServeHTTP(w, req)
		return w.Code
	}
	if call(first) != 200 {
		t.Fatal("new user's token refused")
	}
	r := ts.do(auth.RoleAdmin, "POST", "/api/v1/users/"+id+"/tokens", nil)
	second, _ := r.json(t)["token"].(string)
	if r.Status != 201 || second == "" || call(second) != 200 || call(first) != 200 {
		t.Fatalf("issue: %d %s", r.Status, r.Body)
	}
	r = ts.do(auth.RoleAdmin, "DELETE", "/api/v1/users/"+id+"/tokens", nil)
	if r.Status != 200 || r.json(t)["revoked"].(float64) != 2 {
		t.Fatalf("revoke: %d %s", r.Status, r.Body)
	}
	if call(first) != 401 || call(second) != 401 {
		t.Fatal("a revoked token still works")
	}
	if r := ts.do(auth.RoleAdmin, "POST", "/api/v1/users/"+ids.New()+"/tokens", nil); r.Status != 404 {
		t.Fatalf("unknown user: %d", r.Status)
	}
	if strings.Contains(ts.logs.String(), second) {
		t.Fatal("a token reached the logs")
	}
}

// TestOrderImportRefusesBadFiles: a malformed order file is refused whole
// with each bad cell named, and ingests nothing.
func TestOrderImportRefusesBadFiles(t *testing.T) {
	ts := newTestServer(t, testenv.Backends()[0])
	ch := ts.gemChannel()
	before := ts.rowCounts()
	csv := "Order ID,Item ID,Order Date,Last Updated,Model/SKU,Quantity,Unit Price (INR),Status\n" +
		"GEMC-1,1,2026-11-20,2026-11-20,A,1,10,New\n" +
		"GEMC-2,1,someday,2026-11-20,B,-3,10,New\n"
	r := ts.upload("/api/v1/channels/"+ch+"/orders/import", "orders.csv", []byte(csv), auth.RoleOperations)
	fields, _ := r.json(t)["error"].(map[string]any)["fields"].(map[string]any)
	if r.Status != 422 || fields["row 3.Order Date"] == nil || fields["row 3.Quantity"] == nil {
		t.Fatalf("bad file: %d %s", r.Status, r.Body)
	}
	after := ts.rowCounts()
	for tb, n := range before {
		if after[tb] != n {
			t.Fatalf("%s changed", tb)
		}
	}
	// Flipkart's orders come from its API.
	if r := ts.upload("/api/v1/channels/"+ts.channel()+"/orders/import", "orders.csv", []byte(csv), auth.RoleOperations); r.Status != http.StatusPreconditionFailed {
		t.Fatalf("a Flipkart order file: %d %s", r.Status, r.Body)
	}
}

// TestCatalogueExportImport: GeM's catalogue export is kept among the
// channel's files, where its stock reconciliation reads it; a bad file is
// refused whole with each bad cell named and nothing kept; a channel with
// an API has nothing to import.
func TestCatalogueExportImport(t *testing.T) {
	for _, b := range testenv.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			ts := newTestServer(t, b)
			ch := ts.gemChannel()
			path := "/api/v1/channels/" + ch + "/listings/import"
			bad := "Catalogue ID,Model/SKU,Offer Price,Stock,Status\nGEM-1,A,10.00,3,Active\nGEM-2,B,ten,-1,Active\n"
			before := ts.rowCounts()
			r := ts.upload(path, "export.csv", []byte(bad), auth.RoleOperations)
			fields, _ := r.json(t)["error"].(map[string]any)["fields"].(map[string]any)
			if r.Status != 422 || fields["row 3.Offer Price"] == nil || fields["row 3.Stock"] == nil {
				t.Fatalf("bad export: %d %s", r.Status, r.Body)
			}
			for tb, n := range ts.rowCounts() {
				if before[tb] != n {
					t.Fatalf("a refused export changed %s", tb)
				}
			}
			good := "Catalogue ID,Model/SKU,Offer Price,Stock,Status\nGEM-1,A,10.00,3,Active\nGEM-2,B,12.50,0,Active\n"
			r = ts.upload(path, "export.csv", []byte(good), auth.RoleOperations)
			f := r.json(t)
			if r.Status != 201 || !strings.HasPrefix(f["name"].(string), "gem-catalogue-export-") || f["items"].(float64) != 2 {
				t.Fatalf("export: %d %s", r.Status, r.Body)
			}
			got := ts.do(auth.RoleOperations, "GET", "/api/v1/channels/"+ch+"/files/"+f["id"].(string), nil)
			if got.Status != 200 || string(got.Body) != good {
				t.Fatalf("the kept export: %d %q", got.Status, got.Body)
			}
			audited := ts.do(auth.RoleAdmin, "GET", "/api/v1/audit?resource_id="+f["id"].(string), nil)
			if audited.Status != 200 || !strings.Contains(string(audited.Body), `"import"`) {
				t.Fatalf("the import is not audited: %d %s", audited.Status, audited.Body)
			}
			if r := ts.upload("/api/v1/channels/"+ts.channel()+"/listings/import", "export.csv", []byte(good), auth.RoleOperations); r.Status != http.StatusPreconditionFailed {
				t.Fatalf("a Flipkart export: %d %s", r.Status, r.Body)
			}
			if r := ts.upload(path, "export.csv", []byte(good), auth.RoleShowroom); r.Status != http.StatusForbidden {
				t.Fatalf("showroom staff imported an export: %d", r.Status)
			}
		})
	}
}

// TestFinanceAPI: fee schedules are validated, a bad settlement file is
// refused whole with its rows named and nothing written, and an artisan's
// statement comes as JSON (with an SMS summary), CSV or printable HTML;
// the trial balance says debits and credits.
func TestFinanceAPI(t *testing.T) {
	for _, b := range testenv.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			ts := newTestServer(t, b)
			ch := ts.channel()
			if r := ts.do(auth.RoleFinance, "POST", "/api/v1/fee-schedules", map[string]any{"channel_id": ch, "effective_from": "2026-01-01",
				"commission_bp": 20000}); r.Status != 422 || !strings.Contains(string(r.Body), "commission_bp") {
				t.Fatalf("a 200%% commission: %d %s", r.Status, r.Body)
			}
			if r := ts.do(auth.RoleFinance, "POST", "/api/v1/fee-schedules", map[string]any{"channel_id": ch, "effective_from": "2026-01-01",
				"commission_bp": 800, "fixed_fee_slabs": []any{map[string]any{"up_to_paise": 100000, "fee_paise": 1000}, map[string]any{"up_to_paise": 0, "fee_paise": 2000}}}); r.Status != 201 {
				t.Fatalf("fee schedule: %d %s", r.Status, r.Body)
			}
			if r := ts.do(auth.RoleFinance, "GET", "/api/v1/fee-schedules?channel_id="+ch, nil); r.Status != 200 || len(r.json(t)["items"].([]any)) != 1 {
				t.Fatalf("list: %d %s", r.Status, r.Body)
			}
			before := ts.rowCounts()
			bad := "Settlement Ref No,Settlement Date,Order ID,Order Item ID,Sale Amount (Rs.),Commission (Rs.),Fixed Fee (Rs.),Collection Fee (Rs.),Shipping Fee (Rs.),GST on Fees (Rs.),TCS (Rs.),TDS (Rs.),Bank Settlement Value (Rs.)\n" +
				"N1,2026-11-20,OD1,1,100.00,0,0,0,0,0,0,0,100.00\n" +
				"N1,2026-11-20,OD2,1,100.00,0,0,0,0,0,0,0,90.00\n"
			r := ts.upload("/api/v1/settlements/import?channel_id="+ch, "s.csv", []byte(bad), auth.RoleFinance)
			if fields, _ := r.json(t)["error"].(map[string]any)["fields"].(map[string]any); r.Status != 422 || fields["row 3"] == nil {
				t.Fatalf("bad settlement file: %d %s", r.Status, r.Body)
			}
			after := ts.rowCounts()
			for tb, n := range before {
				if after[tb] != n {
					t.Fatalf("%s changed", tb)
				}
			}
			art := ts.mustCreate("/api/v1/artisans", map[string]any{"code": "ST-1", "name": "Mehmooda <b>Begum</b>", "craft": "crewel"})
			id := art["id"].(string)
			st := ts.do(auth.RoleFinance, "GET", "/api/v1/artisans/"+id+"/statement", nil).json(t)
			if st["payable_paise"] != 0.0 || !strings.HasPrefix(st["sms_summary"].(string), "JKHHC: Mehmooda") {
				t.Fatalf("statement: %v", st)
			}
			if r := ts.do(auth.RoleFinance, "GET", "/api/v1/artisans/"+id+"/statement?format=csv", nil); r.Status != 200 ||
				!strings.HasPrefix(r.Header.Get("Content-Type"), "text/csv") || !strings.HasPrefix(string(r.Body), "date,kind,account,amount_rupees,memo") {
				t.Fatalf("csv: %d %s", r.Status, r.Body)
			}
			if r := ts.do(auth.RoleFinance, "GET", "/api/v1/artisans/"+id+"/statement?format=html", nil); r.Status != 200 ||
				!strings.Contains(string(r.Body), "Mehmooda &lt;b&gt;Begum&lt;/b&gt;") {
				t.Fatalf("html (escaped): %d %s", r.Status, r.Body)
			}
			if r := ts.do(auth.RoleFinance, "GET", "/api/v1/artisans/"+id+"/statement?format=html&lang=ur", nil); r.Status != 200 ||
				!strings.Contains(string(r.Body), `dir="rtl"`) || !strings.Contains(string(r.Body), `lang="ur"`) {
				t.Fatalf("html in Urdu: %d %.300s", r.Status, r.Body)
			}
			if st := ts.do(auth.RoleFinance, "GET", "/api/v1/artisans/"+id+"/statement?lang=hi", nil).json(t); st["sms_language"] != "hi" || st["sms_segments"].(float64) < 1 {
				t.Fatalf("summary in Hindi: %v", st)
			}
			if r := ts.do(auth.RoleFinance, "GET", "/api/v1/artisans/"+id+"/statement?format=pdf", nil); r.Status != 422 {
				t.Fatalf("unknown format: %d", r.Status)
			}
			tb := ts.do(auth.RoleFinance, "GET", "/api/v1/ledger/trial-balance", nil).json(t)
			if tb["debits_paise"] != 0.0 || tb["credits_paise"] != 0.0 || tb["balanced"] != true {
				t.Fatalf("trial balance: %v", tb)
			}
			if r := ts.do(auth.RoleFinance, "POST", "/api/v1/payout-batches", map[string]any{}); r.Status != 409 {
				t.Fatalf("a batch with nobody to pay: %d %s", r.Status, r.Body)
			}
		})
	}
}
