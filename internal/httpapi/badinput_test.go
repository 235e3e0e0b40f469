package httpapi_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/jkhhc/artisanbridge/internal/auth"
	"github.com/jkhhc/artisanbridge/internal/ids"
	"github.com/jkhhc/artisanbridge/internal/testenv"
)

func validProduct(artisanID string) map[string]any {
	return map[string]any{
		"sku": "NAMDA-100", "title": "Namda rug, hand felted", "craft": "namda", "hsn_code": "57049000",
		"gst_rate_bp": 500, "mrp_paise": 450000, "price_paise": 399900, "artisan_id": artisanID,
		"artisan_price_paise": 250000,
	}
}

func with(base map[string]any, kv ...any) map[string]any {
	out := map[string]any{}
	for k, v := range base {
		out[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == nil {
			delete(out, kv[i].(string))
			continue
		}
		out[kv[i].(string)] = kv[i+1]
	}
	return out
}

// TestBadInput is acceptance 6: each bad request gets 400 (malformed:
// invalid_argument) or 422 (unacceptable values: unprocessable) in the API's
// error shape and changes no row anywhere.
func TestBadInput(t *testing.T) {
	for _, b := range testenv.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			testBadInput(t, b)
		})
	}
}

func testBadInput(t *testing.T, b testenv.Backend) {
	ts := newTestServer(t, b)
	cluster := ts.mustCreate("/api/v1/clusters", map[string]any{"name": "Kanihama", "craft": "kani_shawl", "district": "Budgam"})
	artisan := ts.mustCreate("/api/v1/artisans", map[string]any{"code": "KH-7", "name": "Fatima", "craft": "kani_shawl",
		"cluster_id": cluster["id"], "bank_account_number": "001122334455", "bank_ifsc": "JAKA0KANIHM"})
	aid := artisan["id"].(string)
	product := ts.mustCreate("/api/v1/products", validProduct(aid))
	pid := product["id"].(string)
	loc := ts.mustCreate("/api/v1/locations", map[string]any{"code": "SRG-1", "name": "Srinagar showroom", "kind": "showroom"})
	lid := loc["id"].(string)
	vp := validProduct(aid)
	vp["sku"] = "NAMDA-101"
	validArtisan := map[string]any{"code": "KH-8", "name": "Rafiq", "craft": "kani_shawl"}
	mv := map[string]any{"product_id": pid, "location_id": lid, "kind": "intake", "quantity": 5}

	cases := []struct {
		name   string
		method string
		path   string
		body   any
		want   int
		field  string // a field the error must name, if any
	}{
		{"malformed JSON", "POST", "/api/v1/products", `{"sku": "X`, 400, ""},
		{"not an object", "POST", "/api/v1/products", `[1,2,3]`, 400, ""},
		{"empty body", "POST", "/api/v1/clusters", ``, 400, ""},
		{"trailing data", "POST", "/api/v1/clusters", `{"name":"a","craft":"namda","district":"x"} {}`, 400, ""},
		{"unknown field", "POST", "/api/v1/clusters", `{"name":"a","craft":"namda","district":"x","colour":"red"}`, 400, "colour"},
		{"oversized body", "POST", "/api/v1/products", `{"description":"` + strings.Repeat("a", 2<<20) + `"}`, 400, ""},
		{"wrong type", "POST", "/api/v1/products", with(vp, "mrp_paise", "450000"), 400, "mrp_paise"},
		{"float paise", "POST", "/api/v1/products", with(vp, "price_paise", 3999.5), 400, "price_paise"},
		{"bad sku", "POST", "/api/v1/products", with(vp, "sku", "no spaces allowed"), 422, "sku"},
		{"short sku", "POST", "/api/v1/products", with(vp, "sku", "A"), 422, "sku"},
		{"hsn 5 digits", "POST", "/api/v1/products", with(vp, "hsn_code", "57049"), 422, "hsn_code"},
		{"hsn letters", "POST", "/api/v1/products", with(vp, "hsn_code", "5704ABCD"), 422, "hsn_code"},
		{"illegal gst rate", "POST", "/api/v1/products", with(vp, "gst_rate_bp", 700), 422, "gst_rate_bp"},
		{"price above mrp", "POST", "/api/v1/products", with(vp, "price_paise", 450001), 422, "price_paise"},
		{"zero price", "POST", "/api/v1/products", with(vp, "price_paise", 0), 422, "price_paise"},
		{"negative mrp", "POST", "/api/v1/products", with(vp, "mrp_paise", -1), 422, "mrp_paise"},
		{"unknown craft", "POST", "/api/v1/products", with(vp, "craft", "plastic_toys"), 422, "craft"},
		{"unknown artisan", "POST", "/api/v1/products", with(vp, "artisan_id", ids.New()), 422, "artisan_id"},
		{"both payout terms", "POST", "/api/v1/products", with(vp, "artisan_share_bp", 6000), 422, "artisan_price_paise"},
		{"no payout terms", "POST", "/api/v1/products", with(vp, "artisan_price_paise", nil), 422, "artisan_price_paise"},
		{"share above 100%", "POST", "/api/v1/products", with(vp, "artisan_price_paise", nil, "artisan_share_bp", 10001), 422, "artisan_share_bp"},
		{"artisan price above price", "POST", "/api/v1/products", with(vp, "artisan_price_paise", 500000), 422, "artisan_price_paise"},
		{"missing title", "POST", "/api/v1/products", with(vp, "title", nil), 422, "title"},
		{"allocation of a common piece", "POST", "/api/v1/products", with(vp, "allocated_channel_id", ids.New()), 422, "allocated_channel_id"},
		{"allocation to no channel", "POST", "/api/v1/products", with(vp, "one_of_a_kind", true, "allocated_channel_id", ids.New()), 422, "allocated_channel_id"},
		{"publish on no channel", "PUT", "/api/v1/products/" + pid + "/listings/" + ids.New(), map[string]any{"buffer": 1}, 404, ""},
		{"publish negative buffer", "PUT", "/api/v1/products/" + pid + "/listings/CHANNEL", map[string]any{"buffer": -1}, 422, "buffer"},
		{"patch channel without version", "PATCH", "/api/v1/channels/CHANNEL", map[string]any{"enabled": true}, 422, "version"},
		{"channel over plain http", "PATCH", "/api/v1/channels/CHANNEL", map[string]any{"version": 1, "base_url": "http://example.com/sellers"}, 422, "base_url"},
		{"channel unknown credential", "PATCH", "/api/v1/channels/CHANNEL", map[string]any{"version": 1, "credentials": map[string]string{"app_id": "a", "app_secret": "b", "pin": "1"}}, 422, "credentials.pin"},
		{"counter sale without price", "POST", "/api/v1/showroom-sales", map[string]any{"product_id": pid, "location_id": lid, "quantity": 1}, 422, "price_paise"},
		{"counter sale beyond stock", "POST", "/api/v1/showroom-sales", map[string]any{"product_id": pid, "location_id": lid, "quantity": 1, "price_paise": 100}, 409, ""},
		{"transition to nowhere", "POST", "/api/v1/fulfilment-tasks/" + ids.New() + "/transition", map[string]any{"to": "packed"}, 404, ""},
		{"order import without a file", "POST", "/api/v1/channels/CHANNEL/orders/import", `{}`, 400, ""},
		{"resolve without words", "POST", "/api/v1/exceptions/" + ids.New() + "/resolve", map[string]any{"resolution": ""}, 422, "resolution"},
		{"resolve with a wrong field", "POST", "/api/v1/exceptions/" + ids.New() + "/resolve", map[string]any{"note": "fixed"}, 400, "note"},
		{"assign to nobody", "POST", "/api/v1/exceptions/" + ids.New() + "/assign", map[string]any{}, 422, "user_id"},
		{"exceptions older than soon", "GET", "/api/v1/exceptions?older_than=soon", nil, 422, "older_than"},
		{"a misspelt channel setting", "PATCH", "/api/v1/channels/CHANNEL", map[string]any{"version": 1, "settings": map[string]any{"dispatch_day": 2}}, 422, "settings.dispatch_day"},
		{"bad image URL", "POST", "/api/v1/products", with(vp, "images", []string{"javascript:alert(1)"}), 422, "images"},
		{"duplicate sku", "POST", "/api/v1/products", validProduct(aid), 409, ""},
		{"patch without version", "PATCH", "/api/v1/products/" + pid, map[string]any{"price_paise": 1000}, 422, "version"},
		{"patch stale version", "PATCH", "/api/v1/products/" + pid, map[string]any{"price_paise": 1000, "version": 7}, 409, ""},
		{"patch sku", "PATCH", "/api/v1/products/" + pid, map[string]any{"sku": "OTHER-1", "version": 1}, 422, "sku"},
		{"patch price above mrp", "PATCH", "/api/v1/products/" + pid, map[string]any{"price_paise": 999999, "version": 1}, 422, "price_paise"},
		{"bad IFSC", "POST", "/api/v1/artisans", with(validArtisan, "bank_account_number", "123456789", "bank_ifsc", "JAKA1234567"), 422, "bank_ifsc"},
		{"IFSC fifth not zero", "POST", "/api/v1/artisans", with(validArtisan, "bank_account_number", "123456789", "bank_ifsc", "JAKA1SRNGAR"), 422, "bank_ifsc"},
		{"account without IFSC", "POST", "/api/v1/artisans", with(validArtisan, "bank_account_number", "123456789"), 422, "bank_ifsc"},
		{"account letters", "POST", "/api/v1/artisans", with(validArtisan, "bank_account_number", "12345ABC9", "bank_ifsc", "JAKA0SRNGAR"), 422, "bank_account_number"},
		{"landline phone", "POST", "/api/v1/artisans", with(validArtisan, "phone", "0194-2452345"), 422, "phone"},
		{"phone too short", "POST", "/api/v1/artisans", with(validArtisan, "phone", "98765"), 422, "phone"},
		{"unknown cluster", "POST", "/api/v1/artisans", with(validArtisan, "cluster_id", ids.New()), 422, "cluster_id"},
		{"unknown language", "POST", "/api/v1/artisans", with(validArtisan, "language", "xx"), 422, "language"},
		{"artisan without code", "POST", "/api/v1/artisans", with(validArtisan, "code", nil), 422, "code"},
		{"cluster bad lat", "POST", "/api/v1/clusters", map[string]any{"name": "x", "craft": "namda", "district": "y", "lat": 91, "lon": 74}, 422, "lat"},
		{"location bad kind", "POST", "/api/v1/locations", map[string]any{"code": "X-1", "name": "x", "kind": "garage"}, 422, "kind"},
		{"artisan location without artisan", "POST", "/api/v1/locations", map[string]any{"code": "X-2", "name": "x", "kind": "artisan"}, 422, "artisan_id"},
		{"movement zero", "POST", "/api/v1/stock/movements", with(mv, "quantity", 0), 422, "quantity"},
		{"movement negative sale", "POST", "/api/v1/stock/movements", with(mv, "kind", "sale", "quantity", -2), 422, "quantity"},
		{"movement bad kind", "POST", "/api/v1/stock/movements", with(mv, "kind", "teleport"), 422, "kind"},
		{"transfer without target", "POST", "/api/v1/stock/movements", with(mv, "kind", "transfer"), 422, "to_location_id"},
		{"adjustment without reason", "POST", "/api/v1/stock/movements", with(mv, "kind", "adjustment"), 422, "reason"},
		{"sale beyond stock", "POST", "/api/v1/stock/movements", with(mv, "kind", "sale", "quantity", 1), 409, ""},
		{"movement unknown product", "POST", "/api/v1/stock/movements", with(mv, "product_id", ids.New()), 404, ""},
		{"user bad role", "POST", "/api/v1/users", map[string]any{"name": "x", "role": "superuser"}, 422, "role"},
		{"list bad limit", "GET", "/api/v1/products?limit=abc", nil, 400, "limit"},
		{"list limit too big", "GET", "/api/v1/products?limit=100000", nil, 422, "limit"},
		{"list bad cursor", "GET", "/api/v1/products?cursor=bm90LWEtY3Vyc29y", nil, 422, "cursor"},
		{"list cursor not base64", "GET", "/api/v1/products?cursor=!!!", nil, 422, "cursor"},
		{"import without file", "POST", "/api/v1/products/import", `{}`, 400, ""},
		{"NUL in a query value", "GET", "/api/v1/products?sku=%00", nil, 400, "sku"},
		{"bad UTF-8 in a query value", "GET", "/api/v1/products?craft=%ff", nil, 400, "craft"},
		{"unknown query parameter", "GET", "/api/v1/products?colour=red", nil, 400, "colour"},
		{"query parameter twice", "GET", "/api/v1/products?sku=A-1&sku=B-2", nil, 400, "sku"},
		{"search without a word", "GET", "/api/v1/products?q=---", nil, 422, "q"},
		{"artisan search of too many words", "GET", "/api/v1/artisans?q=a+b+c+d+e+f+g+h+i", nil, 422, "q"},
		{"unknown query parameter on artisans", "GET", "/api/v1/artisans?name=x", nil, 400, "name"},
		{"malformed query string", "GET", "/api/v1/products?sku=%zz", nil, 400, ""},
		{"value outside the allowed ones", "GET", "/api/v1/products?status=sold", nil, 422, "status"},
		{"huge limit", "GET", "/api/v1/products?limit=99999999999999999999", nil, 400, "limit"},
		{"query on a route that takes none", "POST", "/api/v1/clusters?dry_run=1", map[string]any{"name": "x", "craft": "namda", "district": "y"}, 400, "dry_run"},
		{"required query parameter missing", "POST", "/api/v1/settlements/pull", nil, 422, "channel_id"},
		{"NUL in a path id", "GET", "/api/v1/products/%00", nil, 400, "id"},
		{"bad UTF-8 in a path id", "PATCH", "/api/v1/products/%ff%fe", map[string]any{"version": 1}, 400, "id"},
		{"NUL in a body field", "POST", "/api/v1/clusters", `{"name":"Kani\u0000hama","craft":"namda","district":"x"}`, 400, "name"},
		{"bad UTF-8 in a body field", "POST", "/api/v1/artisans", "{\"code\":\"KH-9\",\"name\":\"Rafi\xffq\",\"craft\":\"kani_shawl\"}", 400, "name"},
		{"NUL in a nested body field", "PATCH", "/api/v1/channels/CHANNEL", `{"version":1,"credentials":{"app_id":"\u0000","app_secret":"x"}}`, 400, "credentials.app_id"},
		{"NUL in an array element", "POST", "/api/v1/products", with(vp, "images", []string{"https://img.example/a.jpg", "https://img.example/\x00.jpg"}), 400, "images[1]"},
		{"deeply nested body", "POST", "/api/v1/clusters", strings.Repeat("[", 20000) + strings.Repeat("]", 20000), 400, ""},
	}
	if len(cases) < 30 {
		t.Fatalf("only %d cases", len(cases))
	}
	channelID := ts.channel()
	for _, tc := range cases {
		tc.path = strings.ReplaceAll(tc.path, "CHANNEL", channelID)
		t.Run(tc.name, func(t *testing.T) {
			before := ts.rowCounts()
			r := ts.do(auth.RoleAdmin, tc.method, tc.path, tc.body, "Idempotency-Key", "bad-input-"+ids.New())
			if r.Status != tc.want {
				t.Fatalf("status %d, want %d: %s", r.Status, tc.want, r.Body)
			}
			e, ok := r.json(t)["error"].(map[string]any)
			if !ok || e["code"] == "" || e["message"] == "" {
				t.Fatalf("not the error shape: %s", r.Body)
			}
			if want := map[int]string{400: "invalid_argument", 422: "unprocessable"}[tc.want]; want != "" && e["code"] != want {
				t.Fatalf("code %v, want %s", e["code"], want)
			}
			if tc.field != "" {
				fields, _ := e["fields"].(map[string]any)
				if _, ok := fields[tc.field]; !ok {
					t.Fatalf("error does not name field %s: %s", tc.field, r.Body)
				}
			}
			after := ts.rowCounts()
			for tb, n := range before {
				if after[tb] != n {
					t.Fatalf("%s: %d rows before, %d after a refused request", tb, n, after[tb])
				}
			}
		})
	}
	if r := ts.do(auth.RoleAdmin, "GET", "/api/v1/products/"+pid, nil); r.Status != http.StatusOK || fmt.Sprint(r.json(t)["version"]) != "1" {
		t.Fatalf("product changed by refused requests: %s", r.Body)
	}
}
