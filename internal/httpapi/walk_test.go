package httpapi_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	razorpayxsim "github.com/jkhhc/artisanbridge/adapters/razorpayx/sim"

	"github.com/jkhhc/artisanbridge/adapters/flipkart"
	"github.com/jkhhc/artisanbridge/adapters/razorpayx"
	"github.com/jkhhc/artisanbridge/internal/auth"
	"github.com/jkhhc/artisanbridge/internal/channels"
	"github.com/jkhhc/artisanbridge/internal/exceptions"
	"github.com/jkhhc/artisanbridge/internal/finance"
	"github.com/jkhhc/artisanbridge/internal/orderpull"
	"github.com/jkhhc/artisanbridge/internal/reqctx"
	"github.com/jkhhc/artisanbridge/internal/testenv"
)

// world is a test server holding one of everything the routes act on:
// clusters, artisans with bank accounts, products with stock, a Flipkart
// and a GeM channel, GeM orders (one open, one delivered, one to pack, one
// of an unknown SKU that opened an exception), a GeM file for upload and
// payable balances for a payout batch. Ids are kept by name in id.
type world struct {
	*testServer
	id map[string]string
}

func newWorld(t testing.TB, b testenv.Backend) *world {
	t.Helper()
	w := &world{testServer: newTestServer(t, b), id: map[string]string{}}
	ctx := context.Background()
	w.id["flipkart"] = w.channel()
	if err := channels.NewService(w.db.Channels(), nil, nil).Ensure(ctx, "gem", "gem", "https://gem.example.invalid/", "", true, nil, channels.Settings{}); err != nil {
		t.Fatal(err)
	}
	for _, c := range w.mustGet("/api/v1/channels").items() {
		w.id[c["kind"].(string)] = c["id"].(string)
	}
	w.id["cluster"] = w.mustCreate("/api/v1/clusters", map[string]any{"name": "Kanihama", "craft": "kani_shawl", "district": "Budgam"})["id"].(string)
	for i, code := range []string{"KH-1", "KH-2"} {
		a := w.mustCreate("/api/v1/artisans", map[string]any{"code": code, "name": "Maker " + code, "craft": "kani_shawl", "cluster_id": w.id["cluster"],
			"bank_account_number": fmt.Sprintf("50100%07d", 1234567+i), "bank_ifsc": "JAKA0KANIHM"})
		w.id["artisan"+fmt.Sprint(i+1)] = a["id"].(string)
	}
	w.id["product"] = w.mustCreate("/api/v1/products", map[string]any{"sku": "KANI-1", "title": "Kani shawl", "craft": "kani_shawl", "hsn_code": "62142010",
		"gst_rate_bp": 500, "mrp_paise": 9_500_000, "price_paise": 8_900_000, "artisan_id": w.id["artisan1"], "artisan_price_paise": 6_000_000})["id"].(string)
	w.id["showroom"] = w.mustCreate("/api/v1/locations", map[string]any{"code": "SRG-1", "name": "Srinagar showroom", "kind": "showroom"})["id"].(string)
	w.mustCreate("/api/v1/stock/movements", map[string]any{"product_id": w.id["product"], "location_id": w.id["showroom"], "kind": "intake", "quantity": 20})
	if r := w.do(auth.RoleAdmin, "PATCH", "/api/v1/channels/"+w.id["gem"], map[string]any{"version": 1,
		"settings": map[string]any{"locations": []any{map[string]any{"location_id": w.id["showroom"]}}}}); r.Status != 200 {
		t.Fatalf("gem locations: %d %s", r.Status, r.Body)
	}
	day := time.Now().UTC().Format("2006-01-02")
	file := "Order ID,Item ID,Order Date,Last Updated,Model/SKU,Quantity,Unit Price (INR),Status\n"
	for _, o := range []string{"GEMC-CANCEL", "GEMC-RETURN", "GEMC-PACK"} {
		file += o + ",1," + day + "," + day + ",KANI-1,1,89000.00,New\n"
	}
	file += "GEMC-UNKNOWN,1," + day + "," + day + ",NO-SUCH-SKU,1,100.00,New\n"
	if r := w.upload("/api/v1/channels/"+w.id["gem"]+"/orders/import", "orders.csv", []byte(file), auth.RoleOperations); r.Status != 200 {
		t.Fatalf("gem orders: %d %s", r.Status, r.Body)
	}
	for _, o := range w.mustGet("/api/v1/orders?channel_id=" + w.id["gem"]).items() {
		w.id[o["external_order_id"].(string)] = o["id"].(string)
		if lines, _ := o["lines"].([]any); len(lines) > 0 {
			l := lines[0].(map[string]any)
			w.id[o["external_order_id"].(string)+"/line"] = l["id"].(string)
		}
	}
	for _, task := range w.mustGet("/api/v1/fulfilment-tasks").items() {
		for _, o := range []string{"GEMC-RETURN", "GEMC-PACK"} {
			if task["order_id"] == w.id[o] {
				w.id[o+"/task"] = task["id"].(string)
			}
		}
	}
	for _, step := range []map[string]any{{"to": "packed"}, {"to": "dispatched", "tracking_no": "GEMTRK1"}, {"to": "delivered"}} {
		if r := w.do(auth.RoleOperations, "POST", "/api/v1/fulfilment-tasks/"+w.id["GEMC-RETURN/task"]+"/transition", step); r.Status != 200 {
			t.Fatalf("move the returned order on: %d %s", r.Status, r.Body)
		}
	}
	if ex := w.mustGet("/api/v1/exceptions").items(); len(ex) > 0 {
		w.id["exception"] = ex[0]["id"].(string)
	}
	// A Flipkart item that could not be read when it was pulled, mended
	// since (its SKU is in the catalogue now): a missed order to retry.
	if r := w.do(auth.RoleAdmin, "PATCH", "/api/v1/channels/"+w.id["flipkart"], map[string]any{"version": 1, "enabled": true,
		"credentials": map[string]any{"app_id": "walk-app", "app_secret": "walk-secret"},
		"settings":    map[string]any{"locations": []any{map[string]any{"location_id": w.id["showroom"], "external_location_id": "LOC1"}}}}); r.Status != 200 {
		t.Fatalf("enable flipkart: %d %s", r.Status, r.Body)
	}
	stamp := time.Now().UTC().Format(time.RFC3339)
	shipment := `{"shipmentId":"SHIP-WALK","dispatchByDate":"` + stamp + `","updatedAt":"` + stamp + `","locationId":"LOC1","orderItems":[` +
		`{"orderItemId":"ITEM-WALK","orderId":"OD-WALK","orderDate":"` + stamp + `","status":"APPROVED","quantity":1,"fsn":"FSNWALK000000001",` +
		`"sku":"KANI-1","priceComponents":{"sellingPrice":89000,"totalPrice":89000}}]}`
	if err := w.db.Exceptions().Raise(ctx, exceptions.Exception{Kind: exceptions.MissedOrder,
		CauseKey: orderpull.CauseKey(w.id["flipkart"], "OD-WALK", "ITEM-WALK", nil), Summary: "Flipkart order OD-WALK could not be read",
		Detail: "the SKU was not valid when it was pulled", Action: "retry once the SKU is right", Resource: "channel", ResourceID: w.id["flipkart"],
		Payload: shipment}); err != nil {
		t.Fatal(err)
	}
	for _, e := range w.mustGet("/api/v1/exceptions?kind=missed_order").items() {
		w.id["missed"] = e["id"].(string)
	}
	fileID, err := w.db.ChannelFiles().Put(ctx, w.id["gem"], "gem-catalogue.csv", "text/csv", 1, []byte("Model/SKU,Title\nKANI-1,Kani shawl\n"))
	if err != nil {
		t.Fatal(err)
	}
	w.id["file"] = fileID
	// A third artisan's balance in a batch approved already, to be sent
	// through the payout provider (the walk's own batch goes as the bank file).
	w.id["artisan3"] = w.mustCreate("/api/v1/artisans", map[string]any{"code": "KH-9", "name": "Maker KH-9", "craft": "kani_shawl",
		"cluster_id": w.id["cluster"], "bank_account_number": "501009999999", "bank_ifsc": "JAKA0KANIHM"})["id"].(string)
	for i, a := range []string{"artisan1", "artisan2", "artisan3"} {
		artisan := w.id[a]
		e := finance.Entry{SourceRef: "walk-earning-" + fmt.Sprint(i), Kind: "test", OccurredAt: time.Now(), Postings: []finance.Posting{
			{Account: finance.AccountMargin, AmountPaise: 500_000}, {Account: finance.Payable(artisan), ArtisanID: &artisan, AmountPaise: -500_000}}}
		if _, err := w.db.Finance().Post(ctx, e); err != nil {
			t.Fatal(err)
		}
	} // Only artisan3's balance goes into it: the others stay for the walk's batch.
	pay := finance.NewPayouts(w.db.Finance(), nil, nil)
	for _, a := range []string{"artisan1", "artisan2"} {
		w.db.Gorm().Exec(`UPDATE artisans SET bank_ifsc = '' WHERE id = ?`, w.id[a])
	}
	sendable, err := pay.Create(reqctx.WithActor(ctx, reqctx.Actor{ID: "world-maker"}), finance.CreateBatchInput{})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range []string{"artisan1", "artisan2"} {
		w.db.Gorm().Exec(`UPDATE artisans SET bank_ifsc = 'JAKA0KANIHM' WHERE id = ?`, w.id[a])
	}
	if _, err := pay.Approve(reqctx.WithActor(ctx, reqctx.Actor{ID: "world-checker"}), sendable.ID, struct{}{}); err != nil {
		t.Fatal(err)
	}
	w.id["sendable"], w.id["sendable/line"], w.id["sendable/reference"] = sendable.ID, sendable.Lines[0].ID, sendable.Lines[0].Reference

	for _, name := range []string{"flipkart", "gem", "cluster", "artisan1", "artisan2", "product", "showroom", "GEMC-CANCEL", "GEMC-RETURN",
		"GEMC-RETURN/line", "GEMC-PACK/task", "exception", "file"} {
		if w.id[name] == "" {
			t.Fatalf("the world has no %s: %v", name, w.id)
		}
	}
	return w
}

type jsonPage map[string]any

func (p jsonPage) items() []map[string]any {
	var out []map[string]any
	items, _ := p["items"].([]any)
	for _, it := range items {
		out = append(out, it.(map[string]any))
	}
	return out
}

func (w *world) mustGet(path string) jsonPage {
	w.t.Helper()
	r := w.do(auth.RoleAdmin, "GET", path, nil)
	if r.Status != 200 {
		w.t.Fatalf("GET %s: %d %s", path, r.Status, r.Body)
	}
	return r.json(w.t)
}

// step is one valid request of one route of the table, run in order: a
// step may use what an earlier one created (after keeps its ids).
type step struct {
	route  string // "METHOD /path" as in the route table
	as     auth.Role
	path   func(w *world) string
	body   func(w *world) any
	raw    func(w *world) ([]byte, map[string]string) // a body sent as it is, with its headers (a signed webhook)
	upload func(w *world) (name string, data []byte)
	want   int
	after  func(w *world, r response)
}

func fixed(s string) func(*world) string { return func(*world) string { return s } }

func object(v map[string]any) func(*world) any { return func(*world) any { return v } }

// steps walks every route of the API once, each with a valid request.
func steps() []step {
	p := "/api/v1"
	id := func(path string, names ...string) func(*world) string {
		return func(w *world) string {
			args := make([]any, len(names))
			for i, n := range names {
				args[i] = w.id[n]
			}
			return fmt.Sprintf(path, args...)
		}
	}
	keep := func(name string) func(w *world, r response) {
		return func(w *world, r response) { w.id[name], _ = r.json(w.t)["id"].(string) }
	}
	since := time.Now().Add(-2 * time.Hour).UTC().Format(time.RFC3339)
	return []step{
		{route: "GET /healthz", path: fixed("/healthz"), want: 200},
		{route: "GET /readyz", path: fixed("/readyz"), want: 200},
		{route: "GET /api/v1/openapi.json", path: fixed(p + "/openapi.json"), want: 200},
		{route: "GET /api/v1/crafts", as: auth.RoleShowroom, path: fixed(p + "/crafts"), want: 200},
		{route: "GET /api/v1/gis", as: auth.RoleFinance, path: fixed(p + "/gis"), want: 200},

		{route: "POST /api/v1/users", as: auth.RoleAdmin, path: fixed(p + "/users"), body: object(map[string]any{"name": "Walk User", "role": "operations"}),
			want: 201, after: keep("user")},
		{route: "GET /api/v1/users", as: auth.RoleAdmin, path: fixed(p + "/users?limit=10"), want: 200},
		{route: "POST /api/v1/users/:id/tokens", as: auth.RoleAdmin, path: id(p+"/users/%s/tokens", "user"), want: 201},
		{route: "DELETE /api/v1/users/:id/tokens", as: auth.RoleAdmin, path: id(p+"/users/%s/tokens", "user"), want: 200},

		{route: "POST /api/v1/clusters", as: auth.RoleShowroom, path: fixed(p + "/clusters"),
			body: object(map[string]any{"name": "Khrew", "craft": "walnut_wood_carving", "district": "Pulwama", "lat": 34.0, "lon": 74.9}), want: 201},
		{route: "GET /api/v1/clusters", as: auth.RoleOperations, path: fixed(p + "/clusters"), want: 200},
		{route: "POST /api/v1/artisans", as: auth.RoleShowroom, path: fixed(p + "/artisans"),
			body: object(map[string]any{"code": "KH-3", "name": "Rafiq", "craft": "kani_shawl", "phone": "9906123456", "bank_account_number": "001122334455",
				"bank_ifsc": "JAKA0KANIHM"}), want: 201},
		{route: "GET /api/v1/artisans", as: auth.RoleFinance, path: id(p+"/artisans?cluster_id=%s&craft=kani_shawl&status=active&limit=5", "cluster"), want: 200},
		{route: "GET /api/v1/artisans/:id", as: auth.RoleOperations, path: id(p+"/artisans/%s", "artisan1"), want: 200},
		{route: "PATCH /api/v1/artisans/:id", as: auth.RoleShowroom, path: id(p+"/artisans/%s", "artisan1"),
			body: object(map[string]any{"phone": "+919906000001", "version": 1}), want: 200},
		{route: "POST /api/v1/products", as: auth.RoleShowroom, path: fixed(p + "/products"),
			body: func(w *world) any {
				return map[string]any{"sku": "PM-BOX-1", "title": "Papier-mache box", "craft": "papier_mache", "hsn_code": "4823", "gst_rate_bp": 1200,
					"mrp_paise": 120000, "price_paise": 99000, "artisan_id": w.id["artisan2"], "artisan_share_bp": 6000, "images": []string{"https://img.example/box.jpg"},
					"attributes": map[string]string{"colour": "red"}}
			}, want: 201},
		{route: "GET /api/v1/products", as: auth.RoleFinance, path: fixed(p + "/products?sku=KANI-1&status=draft&craft=kani_shawl"), want: 200},
		{route: "GET /api/v1/products/:id", as: auth.RoleOperations, path: id(p+"/products/%s", "product"), want: 200},
		{route: "POST /api/v1/media", as: auth.RoleShowroom, path: fixed(p + "/media"), want: 201, raw: func(w *world) ([]byte, map[string]string) {
			return walkPhoto(w.t, 1), map[string]string{"Content-Type": "image/jpeg"}
		}, after: func(w *world, r response) { w.id["photo"], _ = r.json(w.t)["sha256"].(string) }},
		{route: "GET /api/v1/media/:sha", as: auth.RoleOperations, path: id(p+"/media/%s", "photo"), want: 200},
		{route: "GET /media/:sha", path: id("/media/%s", "photo"), want: 200},
		{route: "GET /media/:sha/:variant", path: id("/media/%s/amazon", "photo"), want: 200},
		{route: "POST /api/v1/media/uploads", as: auth.RoleShowroom, path: fixed(p + "/media/uploads"), want: 201,
			body: func(w *world) any {
				return map[string]any{"content_type": "image/jpeg", "length": len(walkPhoto(w.t, 2))}
			}, after: keep("upload")},
		{route: "PATCH /api/v1/media/uploads/:id", as: auth.RoleShowroom, path: id(p+"/media/uploads/%s", "upload"), want: 200,
			raw: func(w *world) ([]byte, map[string]string) {
				return walkPhoto(w.t, 2), map[string]string{"Content-Type": "application/offset+octet-stream", "Upload-Offset": "0"}
			}},
		{route: "GET /api/v1/media/uploads/:id", as: auth.RoleShowroom, path: id(p+"/media/uploads/%s", "upload"), want: 200},
		{route: "PATCH /api/v1/products/:id", as: auth.RoleShowroom, path: id(p+"/products/%s", "product"),
			body: object(map[string]any{"title": "Kani shawl, pure pashmina", "status": "active", "version": 1}), want: 200},
		{route: "GET /artisans/:code", path: fixed("/artisans/KH-1"), want: 200},
		{route: "GET /clusters/:code", path: id("/clusters/%s", "cluster"), want: 200},
		{route: "GET /pieces/:sku", path: fixed("/pieces/KANI-1"), want: 200},
		{route: "GET /api/v1/products/:id/tag", as: auth.RoleShowroom, path: id(p+"/products/%s/tag", "product"), want: 200},
		{route: "POST /api/v1/products/import", as: auth.RoleShowroom, path: fixed(p + "/products/import"),
			upload: func(*world) (string, []byte) {
				return "catalogue.csv", []byte(importHeader + "PM-TRAY-1,Papier-mache tray,papier_mache,4823,500,80000,70000,KH-2,50000\n")
			}, want: 202, after: func(w *world, r response) { keep("import")(w, r); w.runImport(w.id["import"]) }},
		{route: "POST /api/v1/artisans/import", as: auth.RoleShowroom, path: fixed(p + "/artisans/import"),
			upload: func(*world) (string, []byte) {
				return "survey.csv", []byte("code,name,craft,cluster,phone\nKH-9,Bashir,walnut_wood_carving,,9419012345\n")
			}, want: 202, after: func(w *world, r response) { w.runImport(r.json(w.t)["id"].(string)) }},
		{route: "GET /api/v1/imports/:id", as: auth.RoleOperations, path: id(p+"/imports/%s", "import"), want: 200},
		{route: "GET /api/v1/imports/:id/errors", as: auth.RoleShowroom, path: id(p+"/imports/%s/errors", "import"), want: 200},
		{route: "POST /api/v1/locations", as: auth.RoleAdmin, path: fixed(p + "/locations"),
			body: object(map[string]any{"code": "JMU-1", "name": "Jammu warehouse", "kind": "warehouse", "district": "Jammu"}), want: 201, after: keep("warehouse")},
		{route: "GET /api/v1/locations", as: auth.RoleShowroom, path: fixed(p + "/locations"), want: 200},
		{route: "GET /api/v1/stock", as: auth.RoleShowroom, path: id(p+"/stock?product_id=%s&location_id=%s", "product", "showroom"), want: 200},
		{route: "POST /api/v1/stock/movements", as: auth.RoleShowroom, path: fixed(p + "/stock/movements"),
			body: func(w *world) any {
				return map[string]any{"product_id": w.id["product"], "location_id": w.id["showroom"], "to_location_id": w.id["warehouse"], "kind": "transfer", "quantity": 2}
			}, want: 201},
		{route: "GET /api/v1/stock/movements", as: auth.RoleOperations, path: id(p+"/stock/movements?product_id=%s&kind=transfer", "product"), want: 200},

		{route: "GET /api/v1/channels", as: auth.RoleFinance, path: fixed(p + "/channels"), want: 200},
		{route: "GET /api/v1/channels/:id", as: auth.RoleOperations, path: id(p+"/channels/%s", "flipkart"), want: 200},
		{route: "PATCH /api/v1/channels/:id", as: auth.RoleAdmin, path: id(p+"/channels/%s", "flipkart"),
			body: object(map[string]any{"version": 2, "credentials": map[string]string{"app_id": "walk-app", "app_secret": "walk-secret-0001"},
				"settings": map[string]any{"dispatch_days": 2, "return_window_days": 10, "settlement_days": 15}}), want: 200},
		{route: "GET /api/v1/channels/:id/files", as: auth.RoleShowroom, path: id(p+"/channels/%s/files", "gem"), want: 200},
		{route: "GET /api/v1/channels/:id/files/:file_id", as: auth.RoleShowroom, path: id(p+"/channels/%s/files/%s", "gem", "file"), want: 200},
		{route: "POST /api/v1/channels/:id/orders/import", as: auth.RoleOperations, path: id(p+"/channels/%s/orders/import", "gem"),
			upload: func(*world) (string, []byte) {
				day := time.Now().UTC().Format("2006-01-02")
				return "orders.csv", []byte("Order ID,Item ID,Order Date,Last Updated,Model/SKU,Quantity,Unit Price (INR),Status\nGEMC-WALK,1," + day + "," + day + ",KANI-1,1,89000.00,New\n")
			}, want: 200},
		{route: "POST /api/v1/channels/:id/listings/import", as: auth.RoleOperations, path: id(p+"/channels/%s/listings/import", "gem"),
			upload: func(*world) (string, []byte) {
				return "export.csv", []byte("Catalogue ID,Model/SKU,Offer Price,Stock,Status\nGEM-WALK-1,KANI-1,89000.00,1,Active\n")
			}, want: 201},
		{route: "GET /api/v1/orders", as: auth.RoleShowroom, path: id(p+"/orders?channel_id=%s", "gem"), want: 200},
		{route: "GET /api/v1/orders/:id", as: auth.RoleFinance, path: id(p+"/orders/%s", "GEMC-CANCEL"), want: 200},
		{route: "POST /api/v1/orders/:id/cancel", as: auth.RoleOperations, path: id(p+"/orders/%s/cancel", "GEMC-CANCEL"),
			body: object(map[string]any{"reason": "the buyer asked on the phone"}), want: 200},
		{route: "POST /api/v1/orders/:id/returns", as: auth.RoleOperations, path: id(p+"/orders/%s/returns", "GEMC-RETURN"),
			body: func(w *world) any {
				return map[string]any{"line_id": w.id["GEMC-RETURN/line"], "quantity": 1, "source": "customer", "disposition": "restock",
					"location_id": w.id["showroom"], "reason": "colour not as pictured"}
			}, want: 201},
		{route: "GET /api/v1/fulfilment-tasks", as: auth.RoleShowroom, path: id(p+"/fulfilment-tasks?status=open&kind=pick&location_id=%s", "showroom"), want: 200},
		{route: "POST /api/v1/fulfilment-tasks/:id/transition", as: auth.RoleShowroom, path: id(p+"/fulfilment-tasks/%s/transition", "GEMC-PACK/task"),
			body: object(map[string]any{"to": "packed"}), want: 200},
		{route: "POST /api/v1/showroom-sales", as: auth.RoleShowroom, path: fixed(p + "/showroom-sales"),
			body: func(w *world) any {
				return map[string]any{"product_id": w.id["product"], "location_id": w.id["showroom"], "quantity": 1, "price_paise": 8_500_000}
			}, want: 201},
		{route: "POST /api/v1/channels/:id/orders/rescan", as: auth.RoleOperations, path: id(p+"/channels/%s/orders/rescan", "flipkart"),
			body: object(map[string]any{"since": since}), want: 202},
		{route: "PUT /api/v1/products/:id/listings/:channel_id", as: auth.RoleShowroom, path: id(p+"/products/%s/listings/%s", "product", "flipkart"),
			body: object(map[string]any{"buffer": 1, "max_qty": 5}), want: 200,
			after: func(w *world, r response) { w.id["listing"] = r.json(w.t)["id"].(string) }},
		{route: "POST /api/v1/listings/:id/retry", as: auth.RoleShowroom, path: id(p+"/listings/%s/retry", "listing"), body: object(map[string]any{}), want: 200},
		{route: "DELETE /api/v1/products/:id/listings/:channel_id", as: auth.RoleShowroom, path: id(p+"/products/%s/listings/%s", "product", "flipkart"), want: 200},
		{route: "GET /api/v1/listings", as: auth.RoleOperations, path: id(p+"/listings?channel_id=%s&status=paused", "flipkart"), want: 200},

		{route: "POST /api/v1/fee-schedules", as: auth.RoleFinance, path: fixed(p + "/fee-schedules"),
			body: func(w *world) any {
				return map[string]any{"channel_id": w.id["flipkart"], "effective_from": "2026-01-01", "commission_bp": 800,
					"fixed_fee_slabs": []any{map[string]any{"up_to_paise": 100000, "fee_paise": 1000}, map[string]any{"up_to_paise": 0, "fee_paise": 2000}}}
			}, want: 201},
		{route: "GET /api/v1/fee-schedules", as: auth.RoleFinance, path: id(p+"/fee-schedules?channel_id=%s", "flipkart"), want: 200},
		{route: "POST /api/v1/settlements/import", as: auth.RoleFinance, path: id(p+"/settlements/import?channel_id=%s", "flipkart"),
			upload: func(*world) (string, []byte) { return "settlement.csv", settlementFile("NEFT-WALK-1") }, want: 200},
		{route: "GET /api/v1/channels/:id/statement", as: auth.RoleFinance, path: id(p+"/channels/%s/statement", "flipkart"), want: 200},
		{route: "POST /api/v1/settlements/pull", as: auth.RoleFinance, path: id(p+"/settlements/pull?channel_id=%s", "flipkart"), want: 200},
		{route: "GET /api/v1/ledger/trial-balance", as: auth.RoleFinance, path: fixed(p + "/ledger/trial-balance"), want: 200},
		{route: "GET /api/v1/ledger/accounts", as: auth.RoleFinance, path: fixed(p + "/ledger/accounts?kind=artisan_payable&limit=1"), want: 200},
		{route: "PUT /api/v1/products/:id/earning-shares", as: auth.RoleShowroom, path: id(p+"/products/%s/earning-shares", "product"),
			body: func(w *world) any {
				return map[string]any{"shares": []any{map[string]any{"artisan_id": w.id["artisan1"], "weight": 60}, map[string]any{"artisan_id": w.id["artisan2"], "weight": 40}}}
			}, want: 200},
		{route: "GET /api/v1/products/:id/earning-shares", as: auth.RoleFinance, path: id(p+"/products/%s/earning-shares", "product"), want: 200},
		{route: "POST /api/v1/artisans/:id/advances", as: auth.RoleFinance, path: id(p+"/artisans/%s/advances", "artisan1"),
			body: object(map[string]any{"amount_paise": 10_000, "reason": "wool for the next shawl"}), want: 201},
		{route: "GET /api/v1/artisans/:id/statement", as: auth.RoleFinance, path: id(p+"/artisans/%s/statement?format=json", "artisan1"), want: 200},
		{route: "POST /api/v1/payout-batches", as: auth.RoleFinance, path: fixed(p + "/payout-batches"), body: object(map[string]any{"min_paise": 100}),
			want: 201, after: keep("batch")},
		{route: "GET /api/v1/payout-batches", as: auth.RoleFinance, path: fixed(p + "/payout-batches"), want: 200},
		{route: "GET /api/v1/payout-batches/:id", as: auth.RoleFinance, path: id(p+"/payout-batches/%s", "batch"), want: 200,
			after: func(w *world, r response) {
				var refs []string
				for _, l := range r.json(w.t)["lines"].([]any) {
					refs = append(refs, l.(map[string]any)["reference"].(string))
				}
				w.id["batch/references"] = strings.Join(refs, ",")
			}},
		{route: "GET /api/v1/payout-batches/:id/lines", as: auth.RoleFinance, path: id(p+"/payout-batches/%s/lines?limit=1", "batch"), want: 200},
		{route: "POST /api/v1/payout-batches/:id/send", as: auth.RoleFinance, path: id(p+"/payout-batches/%s/send", "sendable"), want: 202},
		{route: "POST /webhooks/payouts/:provider", path: fixed("/webhooks/payouts/razorpayx"), want: 200, raw: func(w *world) ([]byte, map[string]string) {
			body := mustJSON(w.t, map[string]any{"entity": "event", "event": "payout.processed", "created_at": time.Now().Unix(),
				"payload": map[string]any{"payout": map[string]any{"entity": map[string]any{"id": "pout_Walk000000001", "entity": "payout",
					"amount": 500_000, "currency": "INR", "status": "processed", "utr": "JAKAN26335000001", "mode": "NEFT", "purpose": "payout",
					"reference_id": w.id["sendable/reference"], "notes": map[string]string{"line_id": w.id["sendable/line"]}, "created_at": time.Now().Unix()}}}})
			return body, map[string]string{"X-Razorpay-Signature": razorpayx.SignHex([]byte(razorpayxsim.WebhookSecret), body), "X-Razorpay-Event-Id": "evt_Walk0000000001"}
		}},
		{route: "POST /webhooks/flipkart", path: fixed("/webhooks/flipkart"), want: 200, raw: func(w *world) ([]byte, map[string]string) {
			body := mustJSON(w.t, map[string]any{"shipmentId": "SH-WALK", "eventType": "shipment_created", "source": "flipkart", "version": "v3",
				"timestamp": time.Now().Format(time.RFC3339), "attributes": map[string]any{"orderItems": []any{map[string]any{"orderItemId": "ITEM-WALK", "orderId": "OD-WALK"}}}})
			h := http.Header{}
			flipkart.SignHeaders(h, "walk-app", "walk-secret-0001", "http://example.com/webhooks/flipkart", "POST", time.Now())
			return body, map[string]string{flipkart.HeaderDate: h[flipkart.HeaderDate][0], flipkart.HeaderAuthorization: h[flipkart.HeaderAuthorization][0]}
		}},
		{route: "POST /api/v1/payout-batches/:id/approve", as: auth.RoleAdmin, path: id(p+"/payout-batches/%s/approve", "batch"), body: object(map[string]any{}), want: 200},
		{route: "GET /api/v1/payout-batches/:id/bank-file", as: auth.RoleFinance, path: id(p+"/payout-batches/%s/bank-file", "batch"), want: 200},
		{route: "POST /api/v1/payout-batches/:id/mark-paid", as: auth.RoleFinance, path: id(p+"/payout-batches/%s/mark-paid", "batch"),
			upload: func(w *world) (string, []byte) {
				var buf bytes.Buffer
				cw := csv.NewWriter(&buf)
				_ = cw.Write([]string{"Reference", "UTR", "Status", "Reason"})
				for i, ref := range strings.Split(w.id["batch/references"], ",") {
					if i == 0 {
						_ = cw.Write([]string{ref, "JAKAN26335000001", "paid", ""})
					} else {
						_ = cw.Write([]string{ref, "", "failed", "account closed"})
					}
				}
				cw.Flush()
				return "bank-answer.csv", buf.Bytes()
			}, want: 200},
		{route: "GET /api/v1/exceptions", as: auth.RoleOperations, path: fixed(p + "/exceptions?kind=unmapped_sku&status=open"), want: 200},
		{route: "POST /api/v1/exceptions/:id/retry", as: auth.RoleOperations, path: id(p+"/exceptions/%s/retry", "missed"), body: object(map[string]any{}), want: 200},
		{route: "POST /api/v1/exceptions/:id/assign", as: auth.RoleOperations, path: id(p+"/exceptions/%s/assign", "exception"),
			body: func(w *world) any { return map[string]any{"user_id": w.users[auth.RoleOperations]} }, want: 200},
		{route: "GET /api/v1/exceptions", as: auth.RoleOperations, path: id(p+"/exceptions?assignee=none&older_than=0d&channel_id=%s", "flipkart"), want: 200},
		{route: "POST /api/v1/exceptions/:id/resolve", as: auth.RoleOperations, path: id(p+"/exceptions/%s/resolve", "exception"),
			body: object(map[string]any{"resolution": "the SKU was a typo on the portal; corrected there"}), want: 200},
		{route: "POST /api/v1/reconciliations", as: auth.RoleOperations, path: fixed(p + "/reconciliations"),
			body: func(w *world) any {
				return map[string]any{"channel_id": w.id["flipkart"], "kind": "stock", "auto_correct": true}
			},
			want: 202, after: keep("reconciliation")},
		{route: "GET /api/v1/reconciliations/:id", as: auth.RoleOperations, path: id(p+"/reconciliations/%s?limit=10", "reconciliation"), want: 200},
		{route: "GET /api/v1/audit", as: auth.RoleAdmin, path: id(p+"/audit?resource=artisan&resource_id=%s", "artisan1"), want: 200},
		{route: "GET /api/v1/jobs/queues", as: auth.RoleOperations, path: fixed(p + "/jobs/queues"), want: 200},
	}
}

// request builds a step's request.
func (w *world) request(st step, header ...string) *http.Request {
	w.t.Helper()
	method := strings.SplitN(st.route, " ", 2)[0]
	var req *http.Request
	switch {
	case st.upload != nil:
		name, data := st.upload(w)
		var body bytes.Buffer
		mw := multipart.NewWriter(&body)
		// A fixed boundary makes the same step the same bytes, as a
		// client's retry of an upload is.
		if err := mw.SetBoundary("artisanbridge-walk-boundary"); err != nil {
			w.t.Fatal(err)
		}
		fw, err := mw.CreateFormFile("file", name)
		if err != nil {
			w.t.Fatal(err)
		}
		_, _ = fw.Write(data)
		_ = mw.Close()
		req = httptest.NewRequest(method, st.path(w), &body)
		req.Header.Set("Content-Type", mw.FormDataContentType())
	case st.raw != nil:
		raw, headers := st.raw(w)
		req = httptest.NewRequest(method, st.path(w), bytes.NewReader(raw))
		req.Header.Set("Content-Type", "application/json")
		for k, v := range headers {
			req.Header.Set(k, v)
		}
	case st.body != nil:
		raw := mustJSON(w.t, st.body(w))
		req = httptest.NewRequest(method, st.path(w), bytes.NewReader(raw))
		req.Header.Set("Content-Type", "application/json")
	default:
		req = httptest.NewRequest(method, st.path(w), nil)
	}
	if st.as != "" {
		req.Header.Set("Authorization", "Bearer "+w.tokens[st.as])
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return req
}

// run sends a step and fails the test unless it answers as it should.
func (w *world) run(st step, header ...string) (*http.Request, response) {
	w.t.Helper()
	req := w.request(st, header...)
	r := w.serve(req)
	if r.Status != st.want {
		w.t.Fatalf("%s (%s): %d %.500s, want %d", st.route, req.URL, r.Status, r.Body, st.want)
	}
	if st.after != nil {
		st.after(w, r)
	}
	return req, r
}

// TestStepsCoverEveryRoute: the walk has a step for every route the
// table serves, so the tests built on it cover the whole API.
func TestStepsCoverEveryRoute(t *testing.T) {
	ts := newTestServer(t, testenv.Backends()[0])
	walked := map[string]bool{}
	for _, st := range steps() {
		walked[st.route] = true
	}
	for _, r := range ts.srv.Routes() {
		if !walked[r.Method+" "+r.Path] {
			t.Errorf("no step walks %s %s: add one to steps()", r.Method, r.Path)
		}
	}
}

func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}
