package gem_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jkhhc/artisanbridge/adapters"
	"github.com/jkhhc/artisanbridge/adapters/adapterstest"
	"github.com/jkhhc/artisanbridge/adapters/gem"
	"github.com/jkhhc/artisanbridge/adapters/gem/sim"
	"github.com/jkhhc/artisanbridge/internal/apperr"
	"github.com/jkhhc/artisanbridge/internal/money"
	"github.com/jkhhc/artisanbridge/internal/orders"
)

// memStore keeps files in memory.
type memStore struct {
	mu    sync.Mutex
	files map[string]gem.File
}

func (m *memStore) Put(_ context.Context, f gem.File) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	ref := fmt.Sprintf("file-%d", len(m.files)+1)
	m.files[ref] = f
	return ref, nil
}

func (m *memStore) only(t *testing.T, prefix string) gem.File {
	t.Helper()
	m.mu.Lock()
	defer m.mu.Unlock()
	var found []gem.File
	for _, f := range m.files {
		if strings.HasPrefix(f.Name, prefix) {
			found = append(found, f)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%d files named %s*", len(found), prefix)
	}
	return found[0]
}

func upload(t *testing.T, url string, f gem.File) (int, string) {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, _ := mw.CreateFormFile("file", f.Name)
	fw.Write(f.Data)
	mw.Close()
	resp, err := http.Post(url, mw.FormDataContentType(), &body)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func listing(i int) adapters.Listing {
	return adapters.Listing{SKU: fmt.Sprintf("WICKER-%02d", i), Title: "Willow wicker basket", Craft: "willow_wicker", HSNCode: "46021100",
		GSTRateBP: 500, MRPPaise: 120050, PricePaise: 99901, Quantity: 4, GITag: i%2 == 0, GICertificateNo: "GI-77", Description: "Ganderbal"}
}

// TestRoundTrip: a catalogue file staff upload puts the products on the
// portal; once their catalogue ids are recorded, stock changes travel as
// update files; the portal's export reads back what it holds.
func TestRoundTrip(t *testing.T) {
	store := &memStore{files: map[string]gem.File{}}
	c := gem.New(gem.Config{Store: store})
	portal := sim.New(sim.Config{Seed: 5})
	srv := httptest.NewServer(portal)
	defer srv.Close()
	ctx := context.Background()
	bad := listing(99)
	bad.PricePaise = bad.MRPPaise // GeM wants a discount on MRP
	items := []adapters.Listing{listing(1), listing(2), listing(3), bad}
	res, err := c.PushListings(ctx, items)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res {
		switch {
		case r.SKU == bad.SKU && (r.Status != "NOT_SENT" || len(r.Issues) == 0):
			t.Fatalf("bad item: %+v", r)
		case r.SKU != bad.SKU && (r.Accepted || r.Status != gem.AwaitingUpload || !strings.Contains(r.Issues[0].Message, "file-")):
			t.Fatalf("item awaiting upload: %+v", r)
		}
	}
	cat := store.only(t, "gem-catalogue-")
	if cat.Items != 3 {
		t.Fatalf("catalogue has %d rows", cat.Items)
	}
	if code, body := upload(t, srv.URL+"/_sim/catalogue/upload", cat); code != 200 {
		t.Fatalf("portal refused our catalogue: %d %s", code, body)
	}
	held := portal.Listings()
	if len(held) != 3 || held[0].PricePaise != 99901 || held[0].Quantity != 4 {
		t.Fatalf("portal holds %+v", held)
	}
	// Staff record the catalogue ids; stock now goes by update file.
	var upd []adapters.StockUpdate
	for _, h := range held {
		upd = append(upd, adapters.StockUpdate{SKU: h.SKU, ExternalID: portal.CatalogueID(h.SKU), Quantity: 9})
	}
	upd = append(upd, adapters.StockUpdate{SKU: "NOT-YET", Quantity: 1})
	res, err = c.PushStock(ctx, upd)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res {
		if (r.SKU == "NOT-YET") == r.Accepted {
			t.Fatalf("stock result %+v", r)
		}
	}
	if code, body := upload(t, srv.URL+"/_sim/stock/upload", store.only(t, "gem-stock-update-")); code != 200 {
		t.Fatalf("portal refused our update: %d %s", code, body)
	}
	resp, err := http.Get(srv.URL + "/_sim/export")
	if err != nil {
		t.Fatal(err)
	}
	export, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	remote, err := gem.ParseCatalogueExport(export)
	if err != nil || len(remote) != 3 {
		t.Fatalf("export: %+v %v", remote, err)
	}
	for _, r := range remote {
		if r.Quantity != 9 || r.PricePaise != 99901 || r.ExternalID == "" || r.Status != "ACTIVE" {
			t.Fatalf("exported %+v", r)
		}
	}
	// The portal checks a workbook row by row, as staff would see it.
	broken, _ := gem.Workbook(gem.CatalogueColumns, [][]any{{"Shawls", "x", "JKHHC", "S-1", "12", "5.00", "10.00", "20.00", 1, 1, 15, "India", "", "No", "", ""}})
	if code, body := upload(t, srv.URL+"/_sim/catalogue/upload", gem.File{Name: "b.xlsx", Data: broken}); code != 400 ||
		!strings.Contains(body, `"row":2`) || !strings.Contains(body, "HSN Code") {
		t.Fatalf("a broken workbook: %d %s", code, body)
	}
}

func TestMoneyIsExact(t *testing.T) {
	for paise, want := range map[int64]string{1: "0.01", 99: "0.99", 100: "1.00", 123456789: "1234567.89"} {
		if got := money.Format(paise); got != want {
			t.Errorf("FormatRupees(%d) = %s, want %s", paise, got, want)
		}
	}
}

func TestMalformedExportIsRejectedWhole(t *testing.T) {
	csv := "Catalogue ID,Model/SKU,Offer Price,Stock,Status\nGEM-1,A,10.00,3,Active\nGEM-2,B,ten,-1,Active\n,C,5,1,Gone\n"
	_, err := gem.ParseCatalogueExport([]byte(csv))
	fe, ok := err.(*gem.FileError)
	if !ok || len(fe.Rows) != 4 || fe.Rows[0].Line != 3 || fe.Rows[3].Line != 4 {
		t.Fatalf("err = %#v", err)
	}
	if _, err := gem.ParseCatalogueExport([]byte("SKU,Stock\nA,1\n")); err == nil {
		t.Fatal("an export without its columns was read")
	}
}

func FuzzParseCatalogueExport(f *testing.F) {
	f.Add([]byte("Catalogue ID,Model/SKU,Offer Price,Stock,Status\nGEM-1,A,10.00,3,Active\n"))
	f.Add([]byte("Catalogue ID,Model/SKU,Offer Price,Stock,Status\n\"GEM-1,A\n"))
	wb, _ := gem.Workbook([]string{"Catalogue ID", "Model/SKU", "Offer Price", "Stock", "Status"}, [][]any{{"GEM-1", "A", "1.5", 2, "Active"}})
	f.Add(wb)
	f.Fuzz(func(t *testing.T, data []byte) {
		rows, err := gem.ParseCatalogueExport(data)
		if err != nil {
			return
		}
		for _, r := range rows {
			if r.SKU == "" || r.ExternalID == "" || r.PricePaise <= 0 || r.Quantity < 0 {
				t.Fatalf("accepted a bad row %+v", r)
			}
		}
	})
}

// TestParseOrderFile: each row is an order item with its own status and
// last update; the order's status is the least advanced of its lines and
// its time the latest; a row that cannot be read is an unreadable entry
// holding the row, and the file's import is refused with every bad cell.
func TestParseOrderFile(t *testing.T) {
	csv := "Order ID,Item ID,Order Date,Last Updated,Delivery By,Model/SKU,Quantity,Unit Price (INR),Status\n" +
		"GEMC-1,1,2026-11-20,2026-11-20T10:00:00Z,2026-12-05,WICKER-01,2,999.01,New\n" +
		"GEMC-1,2,2026-11-20,2026-11-21T10:00:00Z,,WICKER-02,1,1200,Cancelled\n" +
		"GEMC-2,1,2026-11-21T08:00:00+05:30,2026-11-21T09:00:00+05:30,,WICKER-03,1,50.5,Cancelled\n" +
		"GEMC-2,1,2026-11-21T08:00:00+05:30,2026-11-21T09:00:00+05:30,,WICKER-03,1,50.5,Cancelled\n"
	got, err := gem.ParseOrderFile("ch", []byte(csv))
	if err != nil || len(got.Orders) != 2 || len(got.Unreadable) != 0 || len(got.Repeats) != 1 {
		t.Fatalf("%+v %v", got, err)
	}
	if o := got.Orders[0]; o.ExternalOrderID != "GEMC-1" || len(o.Lines) != 2 || o.Lines[0].UnitPricePaise != 99901 || o.Status != "open" ||
		o.DispatchBy == nil || o.DispatchBy.Format(time.RFC3339) != "2026-12-04T18:30:00Z" || o.UpdatedAt.Format(time.RFC3339) != "2026-11-21T10:00:00Z" ||
		o.Lines[1].Status != "cancelled" || o.Lines[1].MarketplaceStatus != "Cancelled" || o.Lines[0].UpdatedAt.Format(time.RFC3339) != "2026-11-20T10:00:00Z" {
		t.Fatalf("first order %+v", o)
	}
	if o := got.Orders[1]; o.Status != "cancelled" || o.Lines[0].UnitPricePaise != 5050 || o.UpdatedAt.Format(time.RFC3339) != "2026-11-21T03:30:00Z" {
		t.Fatalf("second order %+v", o)
	}
	bad := "Order ID,Item ID,Order Date,Last Updated,Model/SKU,Quantity,Unit Price (INR),Status\n" +
		"GEMC-1,1,yesterday,2026-11-20,A,0,x,Lost\n" +
		"GEMC-2,1,2026-11-20,2026-11-20,,1,5,New\n" +
		"GEMC-3,1,2026-11-20,2026-11-20,B,1,10000000.01,New\n" +
		"GEMC-4,1,2026-11-20,2026-11-20,C,1,5,New\n" +
		"GEMC-4,1,2026-11-20,2026-11-20,C,2,5,New\n"
	got, err = gem.ParseOrderFile("ch", []byte(bad))
	if err != nil || len(got.Unreadable) != 4 || len(got.Orders) != 1 {
		t.Fatalf("bad file: %+v %v", got, err)
	}
	if u := got.Unreadable[0]; u.ExternalOrderID != "GEMC-1" || !strings.Contains(u.Reason, "row 2") || !strings.Contains(string(u.Payload), `"row":2`) {
		t.Fatalf("unreadable row %+v", u)
	}
	problems := got.Problems()
	for _, cell := range []string{"row 2.Order Date", "row 2.Quantity", "row 2.Unit Price (INR)", "row 2.Status", "row 3.Model/SKU", "row 4.Unit Price (INR)", "row 6"} {
		if problems[cell] == "" {
			t.Errorf("%s is not named: %v", cell, problems)
		}
	}
	ingested := 0
	_, err = gem.ImportOrders(context.Background(), "ch", []byte(bad), func(context.Context, orders.Incoming) (orders.Result, error) {
		ingested++
		return orders.Result{}, nil
	})
	if e, ok := err.(*apperr.Error); !ok || e.Fields["row 3.Model/SKU"] == "" || ingested != 0 {
		t.Fatalf("import of a bad file: %v, %d ingested", err, ingested)
	}
}

// FuzzParseOrderFile: no order file panics the parser, and every row of
// it is a line of an order ingestion accepts, an unreadable entry with a
// reason and the row as payload, or a verbatim repeat. Seeds in
// testdata/fuzz/FuzzParseOrderFile.
func FuzzParseOrderFile(f *testing.F) {
	wb, _ := gem.Workbook(gem.OrderColumns, [][]any{{"GEMC-1", "1", "2026-11-20", "2026-11-20", "", "A", 1, "10.00", "New"},
		{"GEMC-1", "2", "2026-11-20", "2026-11-21", "", "B", 20000, "10.00", "Cancelled"}})
	f.Add(wb)
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := gem.ParseOrderFile("ch", data)
		if err != nil {
			return
		}
		table, err := gem.ReadTable(data, gem.MaxOrderRows)
		if err != nil {
			t.Fatalf("parsed a file the table reader refuses: %v", err)
		}
		want := adapterstest.Items{Units: len(table.Rows)}
		for _, r := range table.Rows {
			order, line := strings.TrimSpace(table.Get(r, "order_id")), strings.TrimSpace(table.Get(r, "item_id"))
			if adapters.ID(order) != "" && adapters.ID(line) != "" {
				want.IDs = append(want.IDs, adapters.LineRef{OrderID: order, LineID: line})
			}
		}
		for _, o := range got.Orders {
			if o.ChannelID != "ch" {
				t.Fatalf("order without its channel: %+v", o)
			}
		}
		adapterstest.CheckConserved(t, want, got.Orders, got.Unreadable, got.Repeats)
	})
}

// TestSupplyDetails: a GeM dispatch becomes a supply details file for
// staff (values that would be formulas in a spreadsheet are defused); a
// cancellation is a step for staff on the portal; packing needs nothing.
func TestSupplyDetails(t *testing.T) {
	store := &memStore{files: map[string]gem.File{}}
	c := gem.New(gem.Config{Store: store})
	ctx := context.Background()
	u := adapters.FulfilmentUpdate{Step: adapters.StepPacked, ExternalOrderID: "GEMC-511687", At: time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC),
		TrackingNo: "=HYPERLINK(\"x\")", Carrier: "India Post", Lines: []adapters.FulfilmentLine{{ExternalLineID: "1", SKU: "NAMDA-7", Quantity: 4}}}
	if err := c.PushFulfilment(ctx, u); err != nil || len(store.files) != 0 {
		t.Fatalf("packing wrote %d files: %v", len(store.files), err)
	}
	u.Step = adapters.StepDispatched
	if err := c.PushFulfilment(ctx, u); err != nil {
		t.Fatal(err)
	}
	f := store.only(t, "gem-supply-GEMC-511687-")
	want := "Contract/Order No,Item No,Model/SKU,Quantity Dispatched,Dispatch Date,Courier,Docket/Tracking No\n" +
		"GEMC-511687,1,NAMDA-7,4,20-11-2026,India Post,\"'=HYPERLINK(\"\"x\"\")\"\n"
	if string(f.Data) != want || f.Items != 1 {
		t.Fatalf("supply file:\n%s\nwant:\n%s", f.Data, want)
	}
	u.Step = adapters.StepCancelled
	var manual *adapters.ManualStep
	if err := c.PushFulfilment(ctx, u); !errors.As(err, &manual) || !strings.Contains(manual.Action, "GEMC-511687") {
		t.Fatalf("cancellation: %v", err)
	}
}
