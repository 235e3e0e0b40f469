package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestGeMAssistedFlow: publishing to GeM produces the catalogue workbook
// staff download and upload in the portal; the listing waits in
// awaiting_upload until they record the GeM catalogue id; then it is live
// and stock changes come as update files.
func TestGeMAssistedFlow(t *testing.T) {
	in := start(t, map[string]string{"ARTISANBRIDGE_DATA_DIR": t.TempDir(), "ARTISANBRIDGE_RELAY_INTERVAL": "100ms",
		"ARTISANBRIDGE_SIM_FLIPKART_ADDR": "127.0.0.1:0", "ARTISANBRIDGE_SIM_AMAZON_ADDR": "127.0.0.1:0", "ARTISANBRIDGE_SIM_GEM_ADDR": "127.0.0.1:0"})
	admin := in.addUser("admin")
	_, chans := in.call(admin, "GET", "/api/v1/channels", nil)
	var ch map[string]any
	for _, c := range chans["items"].([]any) {
		if c.(map[string]any)["kind"] == "gem" {
			ch = c.(map[string]any)
		}
	}
	if ch == nil {
		t.Fatalf("no gem channel: %v", chans)
	}
	portal := ch["base_url"].(string)
	_, loc := in.call(admin, "POST", "/api/v1/locations", map[string]any{"code": "JMU", "name": "Jammu", "kind": "warehouse"})
	if code, m := in.call(admin, "PATCH", "/api/v1/channels/"+ch["id"].(string), map[string]any{"version": ch["version"],
		"settings": map[string]any{"dispatch_days": 3, "locations": []any{map[string]any{"location_id": loc["id"]}}}}); code != 200 {
		t.Fatalf("settings: %d %v", code, m)
	}
	_, art := in.call(admin, "POST", "/api/v1/artisans", map[string]any{"code": "WW-3", "name": "Rashid", "craft": "willow_wicker"})
	_, prod := in.call(admin, "POST", "/api/v1/products", map[string]any{"sku": "WICKER-1", "title": "Willow basket", "craft": "willow_wicker",
		"hsn_code": "46021100", "gst_rate_bp": 500, "mrp_paise": 150000, "price_paise": 135000, "artisan_id": art["id"], "artisan_price_paise": 90000})
	in.call(admin, "POST", "/api/v1/stock/movements", map[string]any{"product_id": prod["id"], "location_id": loc["id"], "kind": "intake", "quantity": 6})
	listingPath := fmt.Sprintf("/api/v1/products/%s/listings/%s", prod["id"], ch["id"])
	if code, m := in.call(admin, "PUT", listingPath, map[string]any{}); code != 200 {
		t.Fatalf("publish: %d %v", code, m)
	}
	listing := waitListing(t, in, admin, prod["id"].(string), "awaiting_upload")
	if !strings.Contains(listing["last_error"].(string), "catalogue file") {
		t.Fatalf("the listing does not tell staff about the file: %v", listing)
	}
	file := onlyFile(t, in, admin, ch["id"].(string), "gem-catalogue-")
	code, body := uploadTo(t, portal+"/_sim/catalogue/upload", file)
	if code != 200 {
		t.Fatalf("the portal refused our catalogue: %d %s", code, body)
	}
	// Staff read the catalogue id the portal assigned and record it.
	var assigned struct {
		Items []struct {
			SKU         string `json:"sku"`
			CatalogueID string `json:"catalogue_id"`
		} `json:"items"`
	}
	if err := json.Unmarshal([]byte(body), &assigned); err != nil || len(assigned.Items) != 1 {
		t.Fatalf("portal answer %s: %v", body, err)
	}
	catalogueID := assigned.Items[0].CatalogueID
	if code, m := in.call(admin, "PUT", listingPath, map[string]any{"external_id": catalogueID, "version": listing["version"]}); code != 200 {
		t.Fatalf("record id: %d %v", code, m)
	}
	waitListing(t, in, admin, prod["id"].(string), "live")
	in.call(admin, "POST", "/api/v1/stock/movements", map[string]any{"product_id": prod["id"], "location_id": loc["id"], "kind": "sale", "quantity": 2, "reason": "counter"})
	var stockFile []byte
	for deadline := time.Now().Add(15 * time.Second); stockFile == nil; time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("no stock update file")
		}
		stockFile = maybeFile(t, in, admin, ch["id"].(string), "gem-stock-update-")
	}
	if code, body := uploadTo(t, portal+"/_sim/stock/upload", stockFile); code != 200 {
		t.Fatalf("the portal refused our update: %d %s", code, body)
	}
	if got := simListings(t, portal)["WICKER-1"]; got["quantity"] != 4.0 || got["price_paise"] != 135000.0 {
		t.Fatalf("portal holds %v", got)
	}
}

func waitListing(t *testing.T, in *instance, token, productID, status string) map[string]any {
	t.Helper()
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		_, ls := in.call(token, "GET", "/api/v1/listings?product_id="+productID, nil)
		if items, _ := ls["items"].([]any); len(items) == 1 {
			l := items[0].(map[string]any)
			if l["status"] == status && l["in_sync"] == true {
				return l
			}
			if time.Now().After(deadline) {
				t.Fatalf("listing never %s: %v", status, l)
			}
		}
	}
}

func fileList(t *testing.T, in *instance, token, channelID string) []any {
	t.Helper()
	_, fs := in.call(token, "GET", "/api/v1/channels/"+channelID+"/files", nil)
	items, _ := fs["items"].([]any)
	return items
}

func maybeFile(t *testing.T, in *instance, token, channelID, prefix string) []byte {
	t.Helper()
	for _, f := range fileList(t, in, token, channelID) {
		m := f.(map[string]any)
		if strings.HasPrefix(m["name"].(string), prefix) {
			req, _ := http.NewRequest("GET", in.base+"/api/v1/channels/"+channelID+"/files/"+m["id"].(string), nil)
			req.Header.Set("Authorization", "Bearer "+token)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != 200 || !bytes.HasPrefix(b, []byte("PK")) {
				t.Fatalf("download: %d", resp.StatusCode)
			}
			return b
		}
	}
	return nil
}

func onlyFile(t *testing.T, in *instance, token, channelID, prefix string) []byte {
	t.Helper()
	b := maybeFile(t, in, token, channelID, prefix)
	if b == nil {
		t.Fatalf("no %s file among %v", prefix, fileList(t, in, token, channelID))
	}
	return b
}

func uploadTo(t *testing.T, url string, data []byte) (int, string) {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, _ := mw.CreateFormFile("file", "upload.xlsx")
	fw.Write(data)
	mw.Close()
	resp, err := http.Post(url, mw.FormDataContentType(), &body)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestGeMOrderReachesOtherChannels: a government buyer's order on the GeM
// portal, imported from the portal's order file, is taken in once, holds
// its stock, and Flipkart offers the lowered quantity seconds later. A
// second import of the same file changes nothing.
func TestGeMOrderReachesOtherChannels(t *testing.T) {
	in := start(t, map[string]string{"ARTISANBRIDGE_DATA_DIR": t.TempDir(), "ARTISANBRIDGE_RELAY_INTERVAL": "100ms",
		"ARTISANBRIDGE_SIM_FLIPKART_ADDR": "127.0.0.1:0", "ARTISANBRIDGE_SIM_AMAZON_ADDR": "127.0.0.1:0", "ARTISANBRIDGE_SIM_GEM_ADDR": "127.0.0.1:0"})
	admin := in.addUser("admin")
	_, loc := in.call(admin, "POST", "/api/v1/locations", map[string]any{"code": "SRG", "name": "Srinagar", "kind": "showroom"})
	_, chans := in.call(admin, "GET", "/api/v1/channels", nil)
	byKind := map[string]map[string]any{}
	for _, c := range chans["items"].([]any) {
		ch := c.(map[string]any)
		byKind[ch["kind"].(string)] = ch
		in.call(admin, "PATCH", "/api/v1/channels/"+ch["id"].(string), map[string]any{"version": ch["version"],
			"settings": map[string]any{"dispatch_days": 3, "locations": []any{map[string]any{"location_id": loc["id"], "external_location_id": "LOCSRG01"}}}})
	}
	fk, gm := byKind["flipkart"], byKind["gem"]
	fkSim, gemPortal := strings.TrimSuffix(fk["base_url"].(string), "/sellers"), gm["base_url"].(string)
	_, art := in.call(admin, "POST", "/api/v1/artisans", map[string]any{"code": "PM-4", "name": "Shabir", "craft": "papier_mache"})
	_, prod := in.call(admin, "POST", "/api/v1/products", map[string]any{"sku": "PM-VASE-1", "title": "Papier-mache vase", "craft": "papier_mache",
		"hsn_code": "48239090", "gst_rate_bp": 500, "mrp_paise": 300000, "price_paise": 250000, "artisan_id": art["id"], "artisan_price_paise": 150000})
	in.call(admin, "POST", "/api/v1/stock/movements", map[string]any{"product_id": prod["id"], "location_id": loc["id"], "kind": "intake", "quantity": 5})
	in.call(admin, "PUT", fmt.Sprintf("/api/v1/products/%s/listings/%s", prod["id"], fk["id"]), map[string]any{"external_id": "PMVS123456789012"})
	gemPath := fmt.Sprintf("/api/v1/products/%s/listings/%s", prod["id"], gm["id"])
	in.call(admin, "PUT", gemPath, map[string]any{})
	waitSims(t, []string{fkSim}, "PM-VASE-1", 250000, 5)
	l := waitListingOn(t, in, admin, prod["id"].(string), gm["id"].(string), "awaiting_upload")
	code, body := uploadTo(t, gemPortal+"/_sim/catalogue/upload", onlyFile(t, in, admin, gm["id"].(string), "gem-catalogue-"))
	if code != 200 {
		t.Fatalf("catalogue upload: %d %s", code, body)
	}
	var assigned struct {
		Items []struct {
			CatalogueID string `json:"catalogue_id"`
		} `json:"items"`
	}
	json.Unmarshal([]byte(body), &assigned)
	in.call(admin, "PUT", gemPath, map[string]any{"external_id": assigned.Items[0].CatalogueID, "version": l["version"]})
	waitListingOn(t, in, admin, prod["id"].(string), gm["id"].(string), "live")

	// A buyer orders 2 on GeM; staff import the portal's order file.
	resp, err := http.Post(gemPortal+"/_sim/orders", "application/json", strings.NewReader(`{"sku":"PM-VASE-1","quantity":2}`))
	if err != nil || resp.StatusCode != 201 {
		t.Fatalf("place order: %v %v", resp, err)
	}
	resp.Body.Close()
	orderFile := download(t, gemPortal+"/_sim/orders/export")
	for i, want := range []map[string]float64{{"created": 1, "reserved": 1, "stale": 0}, {"created": 0, "reserved": 0, "stale": 1}} {
		sum := importFile(t, in, admin, gm["id"].(string), orderFile)
		for k, v := range want {
			if sum[k] != v {
				t.Fatalf("import %d: %s = %v, want %v (%v)", i+1, k, sum[k], v, sum)
			}
		}
	}
	waitSims(t, []string{fkSim}, "PM-VASE-1", 250000, 3)
	_, ords := in.call(admin, "GET", "/api/v1/orders?channel_id="+gm["id"].(string), nil)
	items, _ := ords["items"].([]any)
	if len(items) != 1 {
		t.Fatalf("orders: %v", ords)
	}
	line := items[0].(map[string]any)["lines"].([]any)[0].(map[string]any)
	if line["artisan_id"] != art["id"] || line["reservation_status"] != "held" || line["fulfilment_task_id"] == nil || line["location_id"] != loc["id"] {
		t.Fatalf("the order line is not routed to its maker and showroom: %v", line)
	}
	_, stock := in.call(admin, "GET", "/api/v1/stock?product_id="+prod["id"].(string), nil)
	if lvl := stock["items"].([]any)[0].(map[string]any); lvl["on_hand"] != 5.0 || lvl["reserved"] != 2.0 {
		t.Fatalf("stock after the order: %v", lvl)
	}
	// The showroom packs and dispatches it: the units leave the shelf and
	// the reservation with them; steps out of order change nothing.
	task := "/api/v1/fulfilment-tasks/" + line["fulfilment_task_id"].(string) + "/transition"
	for _, step := range []struct {
		body map[string]any
		want int
	}{
		{map[string]any{"to": "dispatched", "tracking_no": "IP123"}, 409}, // not packed yet
		{map[string]any{"to": "packed"}, 200},
		{map[string]any{"to": "packed"}, 409},
		{map[string]any{"to": "dispatched"}, 422}, // no tracking number
		{map[string]any{"to": "dispatched", "tracking_no": "IP123"}, 200},
		{map[string]any{"to": "acknowledged"}, 409},
	} {
		if code, m := in.call(admin, "POST", task, step.body); code != step.want {
			t.Fatalf("%v: %d %v, want %d", step.body, code, m, step.want)
		}
	}
	_, stock = in.call(admin, "GET", "/api/v1/stock?product_id="+prod["id"].(string), nil)
	if lvl := stock["items"].([]any)[0].(map[string]any); lvl["on_hand"] != 3.0 || lvl["reserved"] != 0.0 {
		t.Fatalf("stock after dispatch: %v", lvl)
	}
	// A sale at the counter reaches Flipkart too.
	if code, m := in.call(admin, "POST", "/api/v1/showroom-sales", map[string]any{"product_id": prod["id"], "location_id": loc["id"],
		"quantity": 1, "price_paise": 250000}); code != 201 {
		t.Fatalf("counter sale: %d %v", code, m)
	}
	waitSims(t, []string{fkSim}, "PM-VASE-1", 250000, 2)
}

func waitListingOn(t *testing.T, in *instance, token, productID, channelID, status string) map[string]any {
	t.Helper()
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		_, ls := in.call(token, "GET", "/api/v1/listings?product_id="+productID+"&channel_id="+channelID, nil)
		if items, _ := ls["items"].([]any); len(items) == 1 {
			l := items[0].(map[string]any)
			if l["status"] == status && l["in_sync"] == true {
				return l
			}
			if time.Now().After(deadline) {
				t.Fatalf("listing never %s: %v", status, l)
			}
		}
	}
}

func download(t *testing.T, url string) []byte {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return b
}

func importFile(t *testing.T, in *instance, token, channelID string, data []byte) map[string]float64 {
	t.Helper()
	code, got := in.upload(token, "/api/v1/channels/"+channelID+"/orders/import", "orders.xlsx", data)
	out := map[string]float64{}
	for k, v := range got {
		n, ok := v.(float64)
		if !ok {
			t.Fatalf("import: %d %v", code, got)
		}
		out[k] = n
	}
	if code != 200 {
		t.Fatalf("import: %d %v", code, got)
	}
	return out
}
