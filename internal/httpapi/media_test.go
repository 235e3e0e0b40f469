package httpapi_test

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"strconv"
	"strings"
	"testing"

	"github.com/jkhhc/artisanbridge/internal/auth"
	"github.com/jkhhc/artisanbridge/internal/testenv"
)

// testPublicURL is where the test server says it is reached.
const testPublicURL = "http://shop.test"

// walkPhoto is a 640×480 JPEG, the same bytes for the same seed.
func walkPhoto(t testing.TB, seed uint8) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 640, 480))
	for y := 0; y < 480; y++ {
		for x := 0; x < 640; x++ {
			img.SetRGBA(x, y, color.RGBA{uint8(x/5) + seed, uint8(y / 4), seed * 40, 255})
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 80}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestPhotoUploads: a photo sent twice is stored once; it is served to
// anyone with a year's caching and its ETag; a resumable upload survives
// a lost answer (the chunk sent again is refused naming the offset
// reached) and ends with the photo stored.
func TestPhotoUploads(t *testing.T) {
	for _, b := range testenv.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			ts := newTestServer(t, b)
			data := walkPhoto(t, 9)
			first := ts.do(auth.RoleShowroom, "POST", "/api/v1/media", data, "Content-Type", "image/jpeg")
			again := ts.do(auth.RoleShowroom, "POST", "/api/v1/media", data, "Content-Type", "image/jpeg")
			if first.Status != 201 || again.Status != 201 || first.json(t)["created"] != true || again.json(t)["created"] != false {
				t.Fatalf("first %d %s, again %d %s", first.Status, first.Body, again.Status, again.Body)
			}
			sha := first.json(t)["sha256"].(string)
			if u := first.json(t)["url"]; u != testPublicURL+"/media/"+sha {
				t.Fatalf("url = %v", u)
			}
			if r := ts.do(auth.RoleShowroom, "POST", "/api/v1/media", walkPhoto(t, 11), "Content-Type", "image/gif"); r.Status != 422 || !strings.Contains(string(r.Body), "image/jpeg") {
				t.Errorf("a GIF: %d %s", r.Status, r.Body)
			}
			for _, path := range []string{"/media/" + sha, "/media/" + sha + "/amazon", "/media/" + sha + "/flipkart", "/media/" + sha + "/web"} {
				r := ts.do("", "GET", path, nil)
				if r.Status != 200 || !strings.HasPrefix(r.Header.Get("Content-Type"), "image/jpeg") || r.Header.Get("Cache-Control") != "public, max-age=31536000, immutable" || r.Header.Get("ETag") == "" {
					t.Fatalf("GET %s: %d %v", path, r.Status, r.Header)
				}
				if _, _, err := image.Decode(bytes.NewReader(r.Body)); err != nil {
					t.Fatalf("GET %s: %v", path, err)
				}
				if r2 := ts.do("", "GET", path, nil, "If-None-Match", r.Header.Get("ETag")); r2.Status != 304 || len(r2.Body) != 0 {
					t.Errorf("GET %s with its ETag: %d", path, r2.Status)
				}
			}
			if r := ts.do("", "GET", "/media/"+sha+"/thumbnail", nil); r.Status != 404 {
				t.Errorf("unknown variant: %d", r.Status)
			}
			if r := ts.do("", "GET", "/media/"+strings.Repeat("0", 64), nil); r.Status != 404 {
				t.Errorf("unknown photo: %d", r.Status)
			}

			other := walkPhoto(t, 10)
			start := ts.do(auth.RoleShowroom, "POST", "/api/v1/media/uploads", map[string]any{"content_type": "image/jpeg", "length": len(other)})
			if start.Status != 201 || start.Header.Get("Upload-Offset") != "0" || start.Header.Get("Tus-Resumable") != "1.0.0" {
				t.Fatalf("start: %d %s %v", start.Status, start.Body, start.Header)
			}
			loc := start.Header.Get("Location")
			half := len(other) / 2
			chunk := func(offset int, part []byte) response {
				return ts.do(auth.RoleShowroom, "PATCH", loc, part, "Content-Type", "application/offset+octet-stream", "Upload-Offset", strconv.Itoa(offset))
			}
			if r := chunk(0, other[:half]); r.Status != 200 || r.Header.Get("Upload-Offset") != strconv.Itoa(half) {
				t.Fatalf("first half: %d %s", r.Status, r.Body)
			}
			// The answer was lost on the way: the client sends the half again.
			if r := chunk(0, other[:half]); r.Status != 409 || !strings.Contains(string(r.Body), strconv.Itoa(half)) {
				t.Fatalf("the first half again: %d %s", r.Status, r.Body)
			}
			if r := ts.do(auth.RoleShowroom, "GET", loc, nil); r.Status != 200 || r.Header.Get("Upload-Offset") != strconv.Itoa(half) {
				t.Fatalf("status: %d %v", r.Status, r.Header)
			}
			if r := ts.do(auth.RoleAdmin, "GET", loc, nil); r.Status != 404 {
				t.Errorf("another user's upload: %d", r.Status)
			}
			last := chunk(half, other[half:])
			if last.Status != 200 || last.json(t)["sha256"] == nil {
				t.Fatalf("last half: %d %s", last.Status, last.Body)
			}
			if r := ts.do("", "GET", "/media/"+last.json(t)["sha256"].(string), nil); r.Status != 200 || !bytes.Equal(r.Body, other) {
				t.Fatalf("the uploaded photo: %d, %d bytes", r.Status, len(r.Body))
			}
			var n int64
			if err := ts.db.Gorm().Table("media").Count(&n).Error; err != nil || n != 2 {
				t.Fatalf("%d photos stored (%v), want 2", n, err)
			}
		})
	}
}

// TestProductGIAndPhotos: a product names a registered GI (free text is
// refused naming the keys) and uploaded photos (one never uploaded is
// refused by the database's reference).
func TestProductGIAndPhotos(t *testing.T) {
	for _, b := range testenv.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			ts := newTestServer(t, b)
			artisan := ts.mustCreate("/api/v1/artisans", map[string]any{"code": "KH-9", "name": "Maker", "craft": "kani_shawl"})["id"]
			sha := ts.do(auth.RoleShowroom, "POST", "/api/v1/media", walkPhoto(t, 3), "Content-Type", "image/jpeg").json(t)["sha256"]
			product := func(sku string, extra map[string]any) map[string]any {
				body := map[string]any{"sku": sku, "title": "Kani shawl", "craft": "kani_shawl", "hsn_code": "62142010", "gst_rate_bp": 500,
					"mrp_paise": 9_500_000, "price_paise": 8_900_000, "artisan_id": artisan, "artisan_price_paise": 6_000_000}
				for k, v := range extra {
					body[k] = v
				}
				return body
			}
			fields := func(r response) map[string]any {
				e, _ := r.json(t)["error"].(map[string]any)
				f, _ := e["fields"].(map[string]any)
				return f
			}
			ok := ts.do(auth.RoleShowroom, "POST", "/api/v1/products", product("KANI-GI-1", map[string]any{"gi": "kani_shawl", "gi_certificate_no": "AU/KNH/0001", "photos": []any{sha}}))
			if ok.Status != 201 || ok.json(t)["gi_tag"] != true || ok.json(t)["gi"] != "kani_shawl" || len(ok.json(t)["photos"].([]any)) != 1 {
				t.Fatalf("create: %d %s", ok.Status, ok.Body)
			}
			for _, c := range []struct {
				name  string
				extra map[string]any
				field string
				says  string
			}{
				{"free-text GI", map[string]any{"gi": "Kani (genuine)"}, "gi", "kashmir_pashmina, kani_shawl"},
				{"another craft's GI", map[string]any{"gi": "kashmir_paper_machie"}, "gi", "kani_shawl"},
				{"a certificate without a GI", map[string]any{"gi_certificate_no": "AU/KNH/0001"}, "gi_certificate_no", "kani_shawl"},
				{"a photo never uploaded", map[string]any{"photos": []any{strings.Repeat("ab", 32)}}, "photos", "never uploaded"},
				{"not a hash", map[string]any{"photos": []any{"http://example.com/a.jpg"}}, "photos", "sha256"},
			} {
				r := ts.do(auth.RoleShowroom, "POST", "/api/v1/products", product("KANI-BAD", c.extra))
				if r.Status != 422 || !strings.Contains(fmt.Sprint(fields(r)[c.field]), c.says) {
					t.Errorf("%s: %d %s, want 422 naming %s with %q", c.name, r.Status, r.Body, c.field, c.says)
				}
			}
			id := ok.json(t)["id"].(string)
			r := ts.do(auth.RoleShowroom, "PATCH", "/api/v1/products/"+id, map[string]any{"version": 1, "photos": []any{}, "gi_tag": false})
			if r.Status != 422 { // gi_tag false while the certificate number stays
				t.Fatalf("clear the GI keeping its certificate: %d %s", r.Status, r.Body)
			}
			r = ts.do(auth.RoleShowroom, "PATCH", "/api/v1/products/"+id, map[string]any{"version": 1, "photos": []any{}, "gi": "", "gi_certificate_no": ""})
			if r.Status != 200 || r.json(t)["gi_tag"] != false || len(r.json(t)["photos"].([]any)) != 0 {
				t.Fatalf("clear: %d %s", r.Status, r.Body)
			}
			var n int64
			if err := ts.db.Gorm().Table("product_photos").Count(&n).Error; err != nil || n != 0 {
				t.Fatalf("%d product photos left (%v)", n, err)
			}
		})
	}
}
