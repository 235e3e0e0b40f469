package main

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/jkhhc/artisanbridge/internal/auth"
	"github.com/jkhhc/artisanbridge/internal/console"
)

// pageBudget is the most a page may weigh on first load: its HTML and
// every asset it loads, as sent (gzip), in bytes.
const pageBudget = 60 << 10

// seedConsole registers what the pages show: an artisan with a bank
// account, a product, a showroom with stock. It returns their ids.
func seedConsole(t *testing.T, in *instance, admin string) (artisanID, productID, locationID string) {
	t.Helper()
	code, art := in.call(admin, "POST", "/api/v1/artisans", map[string]any{
		"code": "WW-7", "name": "Ghulam Rasool", "craft": "walnut_wood_carving", "phone": "+91 94190 55555",
		"bank_account_number": account, "bank_ifsc": "JAKA0BATMAL"})
	if code != 201 {
		t.Fatalf("artisan: %d %v", code, art)
	}
	code, prod := in.call(admin, "POST", "/api/v1/products", map[string]any{
		"sku": "WAL-TRAY-7", "title": "Walnut tray, chinar leaves", "craft": "walnut_wood_carving", "hsn_code": "44209090",
		"gst_rate_bp": 500, "mrp_paise": 450000, "price_paise": 420000, "artisan_id": art["id"], "artisan_price_paise": 260000})
	if code != 201 {
		t.Fatalf("product: %d %v", code, prod)
	}
	code, loc := in.call(admin, "POST", "/api/v1/locations", map[string]any{"code": "SRG-RES", "name": "Srinagar, Residency Road", "kind": "showroom"})
	if code != 201 {
		t.Fatalf("location: %d %v", code, loc)
	}
	if code, m := in.call(admin, "POST", "/api/v1/stock/movements", map[string]any{
		"product_id": prod["id"], "location_id": loc["id"], "kind": "intake", "quantity": 3}); code != 201 {
		t.Fatalf("intake: %d %v", code, m)
	}
	return fmt.Sprint(art["id"]), fmt.Sprint(prod["id"]), fmt.Sprint(loc["id"])
}

var (
	linkAttr    = regexp.MustCompile(`(?i)\b(?:href|src|action)="([^"]*)"`)
	assetLink   = regexp.MustCompile(`(?i)<link[^>]+href="(/static/[^"]+)"`)
	foreignLink = regexp.MustCompile(`(?i)^(?:[a-z][a-z0-9+.-]*:)?//`)
)

// weigh measures a page's first load: the HTML as sent plus each asset it
// loads, and fails on any address of another host. It checks too that an
// asset asked for again with its ETag is not sent again.
func weigh(t *testing.T, v *visitor, path string, a answer) int {
	t.Helper()
	for _, m := range linkAttr.FindAllStringSubmatch(a.body, -1) {
		if foreignLink.MatchString(m[1]) {
			t.Errorf("%s refers to another host: %s", path, m[1])
		}
	}
	if csp := a.header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") {
		t.Errorf("%s: no content security policy keeping it to this host: %q", path, csp)
	}
	total := a.wire
	for _, m := range assetLink.FindAllStringSubmatch(a.body, -1) {
		asset := v.get(m[1])
		if asset.status != 200 || asset.header.Get("ETag") == "" || !strings.Contains(asset.header.Get("Cache-Control"), "max-age=31536000") {
			t.Errorf("%s: asset %s: %d, ETag %q, Cache-Control %q", path, m[1], asset.status, asset.header.Get("ETag"), asset.header.Get("Cache-Control"))
		}
		total += asset.wire
		req, _ := http.NewRequest("GET", v.base+m[1], nil)
		req.Header.Set("If-None-Match", asset.header.Get("ETag"))
		if again := v.do(req); again.status != 304 || again.wire != 0 {
			t.Errorf("%s: asset %s asked again with its ETag: %d, %d bytes", path, m[1], again.status, again.wire)
		}
	}
	return total
}

// TestConsolePages: every page each role may read, with data in it, stays
// within its weight budget on first load, asks for nothing from another
// host, shows no full bank number, and a form sent twice takes effect once.
func TestConsolePages(t *testing.T) {
	in := start(t, embeddedEnv(t))
	tokens := consoleUsers(in)
	artisanID, productID, locationID := seedConsole(t, in, tokens[auth.RoleAdmin])

	t.Run("a form sent twice takes effect once", func(t *testing.T) {
		v := in.visitor()
		v.signIn("e2e-showroom", consolePassword)
		page := v.get("/showroom/products/" + productID)
		form := url.Values{"csrf": {field(csrfField, page.body)}, "idem": {"form-retry-on-a-dropped-link"}, "do": {"stock"},
			"location_id": {locationID}, "kind": {"intake"}, "quantity": {"2"}, "reason": {"from the maker"}}
		first := v.post("/showroom/products/"+productID, form, in.base)
		second := v.post("/showroom/products/"+productID, form, in.base)
		if first.status != 303 || second.status != 303 || second.location != first.location || second.header.Get("Idempotency-Replayed") != "true" {
			t.Fatalf("first %d %q, second %d %q replayed %q", first.status, first.location, second.status, second.location, second.header.Get("Idempotency-Replayed"))
		}
		code, m := in.call(tokens[auth.RoleAdmin], "GET", "/api/v1/stock?product_id="+productID, nil)
		items, _ := m["items"].([]any)
		if code != 200 || len(items) != 1 || items[0].(map[string]any)["on_hand"] != float64(5) {
			t.Fatalf("stock after a form sent twice: %d %v (want 3+2)", code, m)
		}
		form.Set("quantity", "3")
		if third := v.post("/showroom/products/"+productID, form, in.base); third.status != 422 {
			t.Errorf("the same key with another form: %d", third.status)
		}
		if got := v.get(first.location); got.status != 200 || !strings.Contains(got.body, "Stock recorded.") {
			t.Errorf("after the form: %d", got.status)
		}
	})

	fill := strings.NewReplacer("/showroom/products/{id}", "/showroom/products/"+productID,
		"/finance/statements/{id}", "/finance/statements/"+artisanID)
	pages := console.New(console.Deps{}).Pages()
	for _, role := range auth.Roles {
		t.Run(string(role), func(t *testing.T) {
			v := in.visitor()
			signin := v.get("/signin?lang=ur")
			if w := weigh(t, v, "/signin", signin); w > pageBudget {
				t.Errorf("/signin weighs %d bytes", w)
			}
			if !strings.Contains(signin.body, `dir="rtl"`) {
				t.Error("the Urdu sign-in page is not right to left")
			}
			if a := v.signIn("e2e-"+string(role), consolePassword); a.status != 303 {
				t.Fatalf("sign-in: %d", a.status)
			}
			seen := 0
			for _, p := range pages {
				if !p.Allows(role) {
					continue
				}
				path := fill.Replace(p.Path)
				if strings.Contains(path, "{") {
					continue // needs an order or a batch: the browser test opens those
				}
				a := v.get(path)
				if a.status != 200 {
					t.Errorf("%s: %d\n%s", path, a.status, a.body)
					continue
				}
				seen++
				if w := weigh(t, v, path, a); w > pageBudget {
					t.Errorf("%s weighs %d bytes on first load, over %d", path, w, pageBudget)
				} else {
					t.Logf("%s: %d bytes on first load", path, w)
				}
				if strings.Contains(a.body, account) {
					t.Errorf("%s shows the full bank number", path)
				}
				if !strings.Contains(a.body, `lang="ur" dir="rtl"`) {
					t.Errorf("%s is not in the Urdu chosen before sign-in", path)
				}
			}
			if seen < 3 {
				t.Errorf("only %d pages read", seen)
			}
		})
	}

	t.Run("finance sees the masked account, never the full one", func(t *testing.T) {
		v := in.visitor()
		v.signIn("e2e-finance", consolePassword)
		for _, path := range []string{"/finance/statements", "/finance/statements/" + artisanID} {
			a := v.get(path)
			if a.status != 200 || strings.Contains(a.body, account) || !strings.Contains(a.body, "XXXX"+account[len(account)-4:]) {
				t.Errorf("%s: %d, full number shown %v", path, a.status, strings.Contains(a.body, account))
			}
		}
	})
}
