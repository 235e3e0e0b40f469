package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jkhhc/artisanbridge/internal/store"
)

// cameraPhoto is a 1600×1200 JPEG, as a tablet's camera gives one.
func cameraPhoto(t *testing.T) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 1600, 1200))
	for y := 0; y < 1200; y++ {
		for x := 0; x < 1600; x++ {
			img.SetRGBA(x, y, color.RGBA{uint8(120 + x/20), uint8(40 + y/10), 60, 255})
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 85}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// fetched is what a simulator says it downloaded (GET /_sim/images).
func fetched(t *testing.T, simBase string) []map[string]any {
	t.Helper()
	resp, err := http.Get(simBase + "/_sim/images")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		Items []map[string]any `json:"items"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	return body.Items
}

// TestPhotoReachesMarketplaces is issue 14's acceptance 4: a photo
// uploaded once (and once more, by a retry) is fetched by the Flipkart and
// Amazon simulators at its public URLs, resized for each, and is stored
// once.
func TestPhotoReachesMarketplaces(t *testing.T) {
	dir := t.TempDir()
	in := start(t, map[string]string{"ARTISANBRIDGE_DATA_DIR": dir, "ARTISANBRIDGE_RELAY_INTERVAL": "100ms", "ARTISANBRIDGE_PULL_INTERVAL": "1s",
		"ARTISANBRIDGE_SIM_FLIPKART_ADDR": "127.0.0.1:0", "ARTISANBRIDGE_SIM_AMAZON_ADDR": "127.0.0.1:0", "ARTISANBRIDGE_SIM_GEM_ADDR": "127.0.0.1:0"})
	staff := in.addUser("showroom")
	admin := in.addUser("admin")
	photo := cameraPhoto(t)
	upload := func() map[string]any {
		req, _ := http.NewRequest("POST", in.base+"/api/v1/media", bytes.NewReader(photo))
		req.Header.Set("Authorization", "Bearer "+staff)
		req.Header.Set("Content-Type", "image/jpeg")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var m map[string]any
		raw, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 201 || json.Unmarshal(raw, &m) != nil {
			t.Fatalf("upload: %d %s", resp.StatusCode, raw)
		}
		return m
	}
	first, again := upload(), upload()
	if first["created"] != true || again["created"] != false || first["sha256"] != again["sha256"] {
		t.Fatalf("uploads: %v then %v", first, again)
	}
	sha := first["sha256"].(string)
	variants := first["variants"].(map[string]any)
	if !strings.HasPrefix(variants["amazon"].(string), in.base+"/media/"+sha) {
		t.Fatalf("the photo's URLs are not this server's: %v", variants)
	}

	_, loc := in.call(admin, "POST", "/api/v1/locations", map[string]any{"code": "SRG", "name": "Srinagar", "kind": "showroom"})
	_, chans := in.call(admin, "GET", "/api/v1/channels", nil)
	sims := map[string]string{}
	chID := map[string]string{}
	for _, c := range chans["items"].([]any) {
		ch := c.(map[string]any)
		kind := ch["kind"].(string)
		if kind != "flipkart" && kind != "amazon" {
			continue
		}
		sims[kind], chID[kind] = strings.TrimSuffix(ch["base_url"].(string), "/sellers"), ch["id"].(string)
		if code, got := in.call(admin, "PATCH", "/api/v1/channels/"+ch["id"].(string), map[string]any{"version": ch["version"],
			"settings": map[string]any{"locations": []any{map[string]any{"location_id": loc["id"], "external_location_id": "LOCSRG01"}}}}); code != 200 {
			t.Fatalf("configure %s: %d %v", kind, code, got)
		}
	}
	_, art := in.call(staff, "POST", "/api/v1/artisans", map[string]any{"code": "KN-7", "name": "Ghulam Nabi", "craft": "kani_shawl"})
	code, prod := in.call(staff, "POST", "/api/v1/products", map[string]any{"sku": "KANI-PHOTO-1", "title": "Kani shawl, chinar", "craft": "kani_shawl",
		"hsn_code": "62142010", "gst_rate_bp": 500, "mrp_paise": 9_500_000, "price_paise": 8_900_000, "artisan_id": art["id"], "artisan_price_paise": 6_000_000,
		"gi": "kani_shawl", "gi_certificate_no": "AU/KNH/0007", "photos": []any{sha}, "status": "active"})
	if code != 201 {
		t.Fatalf("product: %d %v", code, prod)
	}
	in.call(staff, "POST", "/api/v1/stock/movements", map[string]any{"product_id": prod["id"], "location_id": loc["id"], "kind": "intake", "quantity": 3})

	// Flipkart: the catalogue request in Seller Hub carries the photo and
	// answers the FSN the SKU is listed against.
	body, _ := json.Marshal(map[string]any{"sku": "KANI-PHOTO-1", "title": "Kani shawl, chinar", "image_urls": []any{variants["flipkart"]}})
	resp, err := http.Post(sims["flipkart"]+"/_sim/catalogue", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	var cat map[string]any
	json.NewDecoder(resp.Body).Decode(&cat)
	resp.Body.Close()
	for kind, ext := range map[string]any{"flipkart": cat["fsn"], "amazon": ""} {
		if code, l := in.call(staff, "PUT", fmt.Sprintf("/api/v1/products/%s/listings/%s", prod["id"], chID[kind]), map[string]any{"external_id": ext}); code != 200 {
			t.Fatalf("publish on %s: %d %v", kind, code, l)
		}
	}
	for kind, variant := range map[string]string{"flipkart": "flipkart", "amazon": "amazon"} {
		url := variants[variant].(string)
		var got map[string]any
		eventually(t, kind+" fetched the photo", 30*time.Second, func() (bool, any) {
			for _, f := range fetched(t, sims[kind]) {
				if f["url"] == url && f["status"] == 200.0 {
					got = f
				}
			}
			return got != nil, fetched(t, sims[kind])
		})
		// What the marketplace got is the variant as served, sized for it.
		resp, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		served, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		sum := sha256.Sum256(served)
		side := map[string]float64{"flipkart": 1500, "amazon": 1600}[kind] // the 1600 px photo is never enlarged
		if got["sha256"] != hex.EncodeToString(sum[:]) || got["width"] != side || got["height"] != side || got["error"] != nil {
			t.Errorf("%s fetched %v, want the %s variant (%d bytes), %v px square", kind, got, variant, len(served), side)
		}
	}
	// Amazon gives the listing its ASIN (putListingsItem answers none; the
	// push reads it from getListingsItem's summaries), recorded on our listing.
	asin := fmt.Sprint(simListings(t, sims["amazon"])["KANI-PHOTO-1"]["external_id"])
	if len(asin) != 10 {
		t.Fatalf("the Amazon simulator holds no ASIN for the piece: %v", simListings(t, sims["amazon"]))
	}
	eventually(t, "the Amazon listing records its ASIN", 20*time.Second, func() (bool, any) {
		_, ls := in.call(staff, "GET", "/api/v1/listings?product_id="+fmt.Sprint(prod["id"])+"&channel_id="+chID["amazon"], nil)
		items, _ := ls["items"].([]any)
		return len(items) == 1 && items[0].(map[string]any)["external_id"] == asin, ls
	})
	// The piece's public page shows the photo and, once Flipkart and
	// Amazon have the listing live, where to buy it on each.
	eventually(t, "the piece page links the live Flipkart and Amazon listings", 20*time.Second, func() (bool, any) {
		resp, err := http.Get(in.base + "/pieces/KANI-PHOTO-1")
		if err != nil {
			return false, err
		}
		page, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		ok := resp.StatusCode == 200 && bytes.Contains(page, []byte("https://www.flipkart.com/product/p/itme?pid="+cat["fsn"].(string))) &&
			bytes.Contains(page, []byte("https://www.amazon.in/dp/"+asin)) &&
			bytes.Contains(page, []byte(in.base+"/media/"+sha+"/web")) && bytes.Contains(page, []byte("AU/KNH/0007"))
		return ok, string(page)
	})
	in.stop()
	db, err := store.Open(context.Background(), store.Options{SQLitePath: filepath.Join(dir, "artisanbridge.db")})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if n, err := db.Media().CountMedia(context.Background()); err != nil || n != 1 {
		t.Fatalf("%d photos stored (%v), want 1", n, err)
	}
}
