package httpapi_test

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"fmt"
	"html"
	"image/png"
	"regexp"
	"strings"
	"testing"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"

	"github.com/jkhhc/artisanbridge/internal/auth"
	"github.com/jkhhc/artisanbridge/internal/console"
	"github.com/jkhhc/artisanbridge/internal/money"
	"github.com/jkhhc/artisanbridge/internal/testenv"
)

// showroomWorld is a cluster, an artisan with every private detail set, a
// live piece with a photo and a GI, and a draft piece.
type showroomWorld struct {
	*testServer
	artisan, product, draft map[string]any
	photo                   string
}

func newShowroomWorld(t *testing.T, ts *testServer) *showroomWorld {
	t.Helper()
	w := &showroomWorld{testServer: ts}
	cluster := ts.mustCreate("/api/v1/clusters", map[string]any{"code": "KNH", "name": "Kanihama", "craft": "kani_shawl", "district": "Budgam"})
	w.artisan = ts.mustCreate("/api/v1/artisans", map[string]any{"code": "KNH-07", "name": "Ghulam Nabi Dar", "craft": "kani_shawl",
		"cluster_id": cluster["id"], "district": "Budgam", "phone": "+91 94190 12345", "pehchan_card_no": "JKPEH/2019/55441",
		"gi_authorised_user_no": "AU/KNH/0042", "bank_account_number": "50100123456789", "bank_ifsc": "JAKA0KANIHM"})
	r := ts.do(auth.RoleShowroom, "POST", "/api/v1/media", walkPhoto(t, 21), "Content-Type", "image/jpeg")
	w.photo = r.json(t)["sha256"].(string)
	w.product = ts.mustCreate("/api/v1/products", map[string]any{"sku": "KANI-GI-7", "title": "Kani shawl, chinar and paisley", "craft": "kani_shawl",
		"hsn_code": "62142010", "gst_rate_bp": 500, "mrp_paise": 9_800_000, "price_paise": 8_900_000, "artisan_id": w.artisan["id"],
		"artisan_price_paise": 6_130_000, "gi": "kani_shawl", "gi_certificate_no": "AU/KNH/0042", "photos": []any{w.photo}, "status": "active",
		"description": "Woven on a kani loom over fourteen months."})
	w.draft = ts.mustCreate("/api/v1/products", map[string]any{"sku": "KANI-DRAFT-1", "title": "Unfinished sample stole", "craft": "kani_shawl",
		"hsn_code": "62142010", "gst_rate_bp": 500, "mrp_paise": 100_000, "price_paise": 90_000, "artisan_id": w.artisan["id"], "artisan_price_paise": 50_000})
	return w
}

var (
	srcAttr = regexp.MustCompile(`(?i)\s(?:src|href)="([^"]*)"`)
	qrImage = regexp.MustCompile(`src="(data:image/png;base64,[^"]+)"`)
	imgSrc  = regexp.MustCompile(`<img src="([^"]+)"`)
)

// TestPublicPagesShowNothingPrivate is acceptance 3's public half: the
// showroom, cluster and piece pages show the maker's public details and
// the piece's provenance, and none of the artisan's private data (phone,
// Pehchan card, bank account, what the maker is paid), nor a draft piece;
// where to buy lists live listings only; each page is cacheable and within
// its weight, and asks no other host for anything.
func TestPublicPagesShowNothingPrivate(t *testing.T) {
	for _, b := range testenv.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			ts := newTestServer(t, b)
			w := newShowroomWorld(t, ts)
			fk := ts.channel()
			if err := ts.db.Gorm().Exec("UPDATE channels SET enabled = ? WHERE id = ?", true, fk).Error; err != nil {
				t.Fatal(err)
			}
			if r := ts.do(auth.RoleShowroom, "PUT", fmt.Sprintf("/api/v1/products/%s/listings/%s", w.product["id"], fk), map[string]any{"external_id": "KNSHF7FW4JKH9Q29"}); r.Status != 200 {
				t.Fatalf("publish: %d %s", r.Status, r.Body)
			}
			private := []string{"9419012345", "94190 12345", "JKPEH/2019/55441", "50100123456789", "JAKA0KANIHM", w.artisan["bank_account_masked"].(string),
				money.FormatINR(6_130_000), "6130000"}
			pages := map[string][]string{
				"/artisans/KNH-07":  {"Ghulam Nabi Dar", "Kanihama", "Budgam", "Kani shawl", "Kani shawl, chinar and paisley", money.FormatINR(8_900_000), "Kani Shawl"},
				"/clusters/KNH":     {"Kanihama", "Budgam", "Ghulam Nabi Dar", "/artisans/KNH-07"},
				"/pieces/KANI-GI-7": {"Kani shawl, chinar and paisley", "Ghulam Nabi Dar", "Kanihama", "Kani Shawl", "AU/KNH/0042", money.FormatINR(8_900_000), "fourteen months"},
			}
			pages["/clusters/"+w.artisan["cluster_id"].(string)] = pages["/clusters/KNH"]
			// A piece not on sale is on no showroom, but keeps its provenance page.
			notListed := []string{"Unfinished sample stole", "KANI-DRAFT-1"}
			check := func(path string, wantLink bool) {
				t.Helper()
				r := ts.do("", "GET", path, nil)
				if r.Status != 200 || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/html") {
					t.Fatalf("GET %s: %d %s", path, r.Status, r.Body)
				}
				page := string(r.Body)
				for _, s := range pages[path] {
					if !strings.Contains(page, htmlEscaped(s)) {
						t.Errorf("%s does not show %q", path, s)
					}
				}
				for _, s := range private {
					if strings.Contains(page, s) || strings.Contains(page, htmlEscaped(s)) {
						t.Errorf("%s shows private %q", path, s)
					}
				}
				for _, s := range notListed {
					if !strings.HasPrefix(path, "/pieces/") && strings.Contains(page, s) {
						t.Errorf("%s shows %q, which is not on sale", path, s)
					}
				}
				if strings.Contains(path, "/clusters/") {
					if !strings.Contains(page, "/media/"+w.photo+"/thumb") {
						t.Errorf("%s shows no photo", path)
					}
				} else if got := strings.Contains(page, "https://www.flipkart.com/product/p/itme?pid=KNSHF7FW4JKH9Q29"); got != wantLink {
					t.Errorf("%s: Flipkart link shown %v, want %v (live listings only)", path, got, wantLink)
				}
				for _, m := range srcAttr.FindAllStringSubmatch(page, -1) {
					u := m[1]
					if strings.HasPrefix(u, "https://www.flipkart.com/") && strings.Contains(m[0], "href") {
						continue
					}
					if !strings.HasPrefix(u, "/") && !strings.HasPrefix(u, testPublicURL+"/") {
						t.Errorf("%s refers to another host: %s", path, m[0])
					}
				}
				for _, bad := range []string{"<script", "@import", "@font-face", "<link"} {
					if strings.Contains(strings.ToLower(page), bad) {
						t.Errorf("%s has %s", path, bad)
					}
				}
				var z bytes.Buffer
				gz := gzip.NewWriter(&z)
				gz.Write(r.Body)
				gz.Close()
				// First load: the page compressed and every picture it shows.
				weight := z.Len()
				for _, m := range imgSrc.FindAllStringSubmatch(page, -1) {
					img := ts.do("", "GET", strings.TrimPrefix(m[1], testPublicURL), nil)
					if img.Status != 200 {
						t.Fatalf("%s shows %s, which answers %d", path, m[1], img.Status)
					}
					weight += len(img.Body)
				}
				if weight > 60<<10 {
					t.Errorf("%s weighs %d bytes on first load, over its 60 KB budget", path, weight)
				}
				if r.Header.Get("Cache-Control") != "public, max-age=300" || r.Header.Get("ETag") == "" || !strings.Contains(r.Header.Get("Content-Security-Policy"), "default-src 'none'") {
					t.Errorf("%s headers: %v", path, r.Header)
				}
				if again := ts.do("", "GET", path, nil, "If-None-Match", r.Header.Get("ETag")); again.Status != 304 || len(again.Body) != 0 {
					t.Errorf("%s revalidated: %d", path, again.Status)
				}
			}
			for path := range pages {
				check(path, false) // the listing is pending: no link yet
			}
			if err := ts.db.Gorm().Exec("UPDATE listings SET status = 'live' WHERE product_id = ?", w.product["id"]).Error; err != nil {
				t.Fatal(err)
			}
			for path := range pages {
				check(path, true)
			}
			draft := ts.do("", "GET", "/pieces/KANI-DRAFT-1", nil)
			if draft.Status != 200 || !strings.Contains(string(draft.Body), "not on sale") || strings.Contains(string(draft.Body), "flipkart.com") {
				t.Errorf("a draft piece's provenance page: %d %s", draft.Status, draft.Body)
			}
			for _, s := range private {
				if strings.Contains(string(draft.Body), s) {
					t.Errorf("the draft piece's page shows private %q", s)
				}
			}
			for _, path := range []string{"/pieces/NO-SUCH-1", "/artisans/NOBODY", "/clusters/NOWHERE"} {
				if r := ts.do("", "GET", path, nil); r.Status != 404 {
					t.Errorf("GET %s: %d, want 404", path, r.Status)
				}
			}
			// An artisan who left shows no showroom.
			if r := ts.do(auth.RoleAdmin, "PATCH", "/api/v1/artisans/"+w.artisan["id"].(string), map[string]any{"version": 1, "status": "inactive"}); r.Status != 200 {
				t.Fatalf("deactivate: %d %s", r.Status, r.Body)
			}
			if r := ts.do("", "GET", "/artisans/KNH-07", nil); r.Status != 404 {
				t.Errorf("an inactive artisan's showroom: %d", r.Status)
			}
		})
	}
}

func htmlEscaped(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&#34;", "'", "&#39;").Replace(s)
}

// TestTagQRDecodesToThePiecePage is acceptance 5: the printed tag's QR
// code, read back by a QR decoder, is the piece's public page.
func TestTagQRDecodesToThePiecePage(t *testing.T) {
	ts := newTestServer(t, testenv.Backends()[0])
	w := newShowroomWorld(t, ts)
	for _, c := range []struct {
		id, sku string
	}{{w.product["id"].(string), "KANI-GI-7"}, {w.draft["id"].(string), "KANI-DRAFT-1"}} {
		r := ts.do(auth.RoleShowroom, "GET", "/api/v1/products/"+c.id+"/tag", nil)
		if r.Status != 200 {
			t.Fatalf("tag: %d %s", r.Status, r.Body)
		}
		m := qrImage.FindSubmatch(r.Body)
		if m == nil {
			t.Fatalf("the tag has no QR image: %s", r.Body)
		}
		raw, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(html.UnescapeString(string(m[1])), "data:image/png;base64,"))
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(bytes.NewReader(raw))
		if err != nil {
			t.Fatal(err)
		}
		bmp, err := gozxing.NewBinaryBitmapFromImage(img)
		if err != nil {
			t.Fatal(err)
		}
		res, err := qrcode.NewQRCodeReader().Decode(bmp, nil)
		if err != nil {
			t.Fatalf("the QR code does not decode: %v", err)
		}
		if want := testPublicURL + "/pieces/" + c.sku; res.GetText() != want {
			t.Errorf("the QR code reads %q, want %q", res.GetText(), want)
		}
		for _, s := range []string{"Ghulam Nabi Dar", c.sku} {
			if !bytes.Contains(r.Body, []byte(s)) {
				t.Errorf("the tag does not show %q", s)
			}
		}
	}
	if r := ts.do(auth.RoleShowroom, "GET", "/api/v1/products/"+w.product["id"].(string)+"/tag", nil); !bytes.Contains(r.Body, []byte("AU/KNH/0042")) || !bytes.Contains(r.Body, []byte("Kani Shawl")) {
		t.Errorf("the GI piece's tag does not carry its GI and label number")
	}
}

// TestClusterCodes: a cluster's code names its page; a second cluster
// with the same code, or a code that is not one, is refused naming code.
func TestClusterCodes(t *testing.T) {
	for _, b := range testenv.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			ts := newTestServer(t, b)
			first := ts.do(auth.RoleShowroom, "POST", "/api/v1/clusters", map[string]any{"code": "bdp", "name": "Bandipora", "craft": "namda", "district": "Bandipora"})
			if first.Status != 201 || first.json(t)["code"] != "BDP" {
				t.Fatalf("create: %d %s", first.Status, first.Body)
			}
			for _, c := range []struct {
				code string
				want int
			}{{"BDP", 409}, {"no spaces here", 422}} {
				r := ts.do(auth.RoleShowroom, "POST", "/api/v1/clusters", map[string]any{"code": c.code, "name": "Another " + c.code, "craft": "namda", "district": "Bandipora"})
				e, _ := r.json(t)["error"].(map[string]any)
				f, _ := e["fields"].(map[string]any)
				if r.Status != c.want || f["code"] == nil {
					t.Errorf("code %q: %d %s, want %d naming code", c.code, r.Status, r.Body, c.want)
				}
			}
			// Clusters without a code are fine, and found by id.
			none := ts.mustCreate("/api/v1/clusters", map[string]any{"name": "Ganderbal", "craft": "willow_wicker", "district": "Ganderbal"})
			none2 := ts.mustCreate("/api/v1/clusters", map[string]any{"name": "Kupwara", "craft": "willow_wicker", "district": "Kupwara"})
			for _, path := range []string{"/clusters/BDP", "/clusters/bdp", "/clusters/" + none["id"].(string), "/clusters/" + none2["id"].(string)} {
				if r := ts.do("", "GET", path, nil); r.Status != 200 {
					t.Errorf("GET %s: %d", path, r.Status)
				}
			}
		})
	}
}

// TestPublicPagesInEachLanguage: the public pages speak the console's
// catalogue in English, Urdu (right to left) and Hindi, chosen by a
// ?lang= link and remembered in a cookie, else by Accept-Language; they
// stay cacheable, varying by both.
func TestPublicPagesInEachLanguage(t *testing.T) {
	ts := newTestServer(t, testenv.Backends()[0])
	newShowroomWorld(t, ts)
	labels := []string{"public.maker", "public.where_to_buy", "public.craft", "public.footer"}
	for _, lang := range []string{"en", "ur", "hi"} {
		dir := map[bool]string{true: "rtl", false: "ltr"}[lang == "ur"]
		carries := func(what string, r response) {
			t.Helper()
			page := string(r.Body)
			if r.Status != 200 || !strings.Contains(page, `<html lang="`+lang+`" dir="`+dir+`">`) {
				t.Fatalf("%s: %d, not in %s (%s): %.300s", what, r.Status, lang, dir, page)
			}
			for _, k := range labels {
				if l := console.Translate(lang, k); !strings.Contains(page, htmlEscaped(l)) {
					t.Errorf("%s: the %s label %q is missing", what, k, l)
				}
			}
			if v := r.Header.Get("Vary"); !strings.Contains(v, "Accept-Language") || !strings.Contains(v, "Cookie") {
				t.Errorf("%s: Vary %q", what, v)
			}
		}
		chosen := ts.do("", "GET", "/pieces/KANI-GI-7?lang="+lang, nil)
		carries("?lang="+lang, chosen)
		ck := chosen.Header.Get("Set-Cookie")
		if !strings.HasPrefix(ck, "ab_lang="+lang+";") || !strings.Contains(ck, "HttpOnly") || chosen.Header.Get("Cache-Control") != "private, max-age=300" {
			t.Errorf("?lang=%s: cookie %q, Cache-Control %q (an answer that sets a cookie is no shared cache's)", lang, ck, chosen.Header.Get("Cache-Control"))
		}
		remembered := ts.do("", "GET", "/pieces/KANI-GI-7", nil, "Cookie", "ab_lang="+lang, "Accept-Language", "en-GB")
		carries("remembered "+lang, remembered)
		if remembered.Header.Get("Set-Cookie") != "" || remembered.Header.Get("Cache-Control") != "public, max-age=300" {
			t.Errorf("remembered %s: %v", lang, remembered.Header)
		}
		for _, path := range []string{"/artisans/KNH-07", "/clusters/KNH"} {
			r := ts.do("", "GET", path, nil, "Accept-Language", map[string]string{"en": "en-IN,en;q=0.9", "ur": "ur-PK, en;q=0.5", "hi": "hi-IN,hi;q=0.9,en;q=0.8"}[lang])
			if page := string(r.Body); r.Status != 200 || !strings.Contains(page, `<html lang="`+lang+`" dir="`+dir+`">`) ||
				!strings.Contains(page, htmlEscaped(console.Translate(lang, "public.footer"))) {
				t.Errorf("%s by Accept-Language %s: %d %.300s", path, lang, r.Status, page)
			}
		}
	}
	if en, ur := ts.do("", "GET", "/pieces/KANI-GI-7?lang=en", nil), ts.do("", "GET", "/pieces/KANI-GI-7?lang=ur", nil); en.Header.Get("ETag") == ur.Header.Get("ETag") {
		t.Error("the English and Urdu pages share an ETag")
	}
}
