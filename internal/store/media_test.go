package store_test

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/jpeg"
	"sync"
	"testing"
	"time"

	"github.com/jkhhc/artisanbridge/internal/apperr"
	"github.com/jkhhc/artisanbridge/internal/ids"
	"github.com/jkhhc/artisanbridge/internal/media"
	"github.com/jkhhc/artisanbridge/internal/reqctx"
	"github.com/jkhhc/artisanbridge/internal/testenv"
	"github.com/jkhhc/artisanbridge/migrations"
)

// photo is a w×h JPEG whose pixels depend on seed.
func photo(t *testing.T, w, h int, seed uint8) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y += 8 {
		for x := 0; x < w; x += 8 {
			c := color.RGBA{uint8(x) ^ seed, uint8(y) + seed, seed, 255}
			for dy := 0; dy < 8 && y+dy < h; dy++ {
				for dx := 0; dx < 8 && x+dx < w; dx++ {
					img.SetRGBA(x+dx, y+dy, c)
				}
			}
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, nil); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestMediaStoredOnce: the same bytes, sent again or by several uploads
// at once, are one stored photo; its variants come back as stored.
func TestMediaStoredOnce(t *testing.T) {
	for _, b := range testenv.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			db, _ := b.Open(t)
			ctx := reqctx.WithActor(context.Background(), reqctx.Actor{ID: "staff-1", Name: "staff", Role: "showroom"})
			svc := media.NewService(db.Media(), func() string { return "http://shop.example" }, nil)
			data := photo(t, 1200, 900, 7)

			first, err := svc.Put(ctx, "image/jpeg", data)
			if err != nil {
				t.Fatal(err)
			}
			if !first.Created || first.URL != "http://shop.example/media/"+first.SHA256 || first.Variants["amazon"] != first.URL+"/amazon" {
				t.Fatalf("first put = %+v", first)
			}
			again, err := svc.Put(ctx, "image/jpeg", data)
			if err != nil || again.Created || again.SHA256 != first.SHA256 {
				t.Fatalf("second put = %+v, %v: want the stored photo, not created", again, err)
			}
			other := photo(t, 900, 1200, 99)
			var wg sync.WaitGroup
			created := make(chan bool, 6)
			for range 6 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					m, err := svc.Put(ctx, "image/png", other) // refused: the bytes are a JPEG
					if err == nil {
						t.Errorf("a JPEG sent as PNG was stored: %+v", m)
					}
					m, err = svc.Put(ctx, "image/jpeg", other)
					if err != nil {
						t.Error(err)
						return
					}
					created <- m.Created
				}()
			}
			wg.Wait()
			close(created)
			n := 0
			for c := range created {
				if c {
					n++
				}
			}
			if n != 1 {
				t.Errorf("%d of 6 concurrent puts of the same bytes say they created the photo, want 1", n)
			}
			count, err := db.Media().CountMedia(ctx)
			if err != nil || count != 2 {
				t.Fatalf("stored %d photos (%v), want 2", count, err)
			}
			for _, name := range media.VariantNames() {
				v, err := svc.Variant(ctx, first.SHA256, name)
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				if name == media.Original && !bytes.Equal(v.Data, data) {
					t.Error("the original does not come back as uploaded")
				}
				if _, _, err := image.Decode(bytes.NewReader(v.Data)); err != nil {
					t.Errorf("%s does not decode: %v", name, err)
				}
			}
			if _, err := svc.Variant(ctx, first.SHA256, "thumbnail"); !apperr.Is(err, apperr.NotFound) {
				t.Errorf("unknown variant: %v", err)
			}
			if _, err := svc.Get(ctx, media.SHA256([]byte("never uploaded"))); !apperr.Is(err, apperr.NotFound) {
				t.Errorf("unknown photo: %v", err)
			}
		})
	}
}

// TestResumableUpload: chunks count once each, a chunk at the wrong
// offset is refused naming the offset reached, and the last chunk stores
// the photo, once.
func TestResumableUpload(t *testing.T) {
	for _, b := range testenv.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			db, _ := b.Open(t)
			ctx := reqctx.WithActor(context.Background(), reqctx.Actor{ID: "staff-1", Name: "staff", Role: "showroom"})
			stranger := reqctx.WithActor(context.Background(), reqctx.Actor{ID: "staff-2", Name: "other", Role: "showroom"})
			svc := media.NewService(db.Media(), func() string { return "http://shop.example" }, nil)
			data := photo(t, 1000, 1000, 3)
			third := len(data) / 3

			if _, err := svc.StartUpload(ctx, "image/gif", int64(len(data))); !apperr.Is(err, apperr.Unprocessable) {
				t.Fatalf("a GIF upload: %v", err)
			}
			u, err := svc.StartUpload(ctx, "image/jpeg", int64(len(data)))
			if err != nil {
				t.Fatal(err)
			}
			steps := []struct {
				name   string
				ctx    context.Context
				offset int
				chunk  []byte
				code   apperr.Code
				after  int64
			}{
				{"first third", ctx, 0, data[:third], "", int64(third)},
				{"the first third again (a retry)", ctx, 0, data[:third], apperr.Conflict, int64(third)},
				{"a gap", ctx, 2 * third, data[2*third:], apperr.Conflict, int64(third)},
				{"someone else's upload", stranger, third, data[third : 2*third], apperr.NotFound, int64(third)},
				{"past the end", ctx, third, append(append([]byte{}, data[third:]...), 1, 2, 3), apperr.Unprocessable, int64(third)},
				{"second third", ctx, third, data[third : 2*third], "", int64(2 * third)},
				{"the rest", ctx, 2 * third, data[2*third:], "", int64(len(data))},
				{"after the end", ctx, len(data), []byte{1}, apperr.Conflict, int64(len(data))},
			}
			for _, s := range steps {
				got, err := svc.Append(s.ctx, u.ID, int64(s.offset), s.chunk)
				if s.code == "" && err != nil || s.code != "" && !apperr.Is(err, s.code) {
					t.Fatalf("%s: err = %v, want %q", s.name, err, s.code)
				}
				st, err := svc.UploadStatus(ctx, u.ID)
				if err != nil || st.Offset != s.after {
					t.Fatalf("%s: offset %d (%v), want %d", s.name, st.Offset, err, s.after)
				}
				if s.code == "" && got.Complete() && (got.Media == nil || got.Media.SHA256 != media.SHA256(data)) {
					t.Fatalf("%s: complete upload without its photo: %+v", s.name, got)
				}
			}
			st, err := svc.UploadStatus(ctx, u.ID)
			if err != nil || st.SHA256 != media.SHA256(data) || st.Media == nil {
				t.Fatalf("status = %+v, %v", st, err)
			}
			// The same photo uploaded again, whole, stores nothing new.
			if m, err := svc.Put(ctx, "image/jpeg", data); err != nil || m.Created {
				t.Fatalf("put after upload: %+v, %v", m, err)
			}
			if n, _ := db.Media().CountMedia(ctx); n != 1 {
				t.Fatalf("%d photos stored, want 1", n)
			}
		})
	}
}

// TestAbandonedUploadsAreDropped: an upload untouched for a day is
// dropped, with its chunks, when the next upload starts.
func TestAbandonedUploadsAreDropped(t *testing.T) {
	for _, b := range testenv.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			db, _ := b.Open(t)
			ctx := reqctx.WithActor(context.Background(), reqctx.Actor{ID: "staff-1", Name: "staff", Role: "showroom"})
			now := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
			svc := media.NewService(db.Media(), func() string { return "http://shop.example" }, func() time.Time { return now })
			data := photo(t, 800, 800, 5)
			old, err := svc.StartUpload(ctx, "image/jpeg", int64(len(data)))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := svc.Append(ctx, old.ID, 0, data[:100]); err != nil {
				t.Fatal(err)
			}
			now = now.Add(media.UploadLifetime - time.Minute)
			recent, err := svc.StartUpload(ctx, "image/jpeg", int64(len(data)))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := svc.UploadStatus(ctx, old.ID); err != nil {
				t.Fatalf("an upload a minute short of its lifetime was dropped: %v", err)
			}
			now = now.Add(2 * time.Minute)
			if _, err := svc.StartUpload(ctx, "image/jpeg", int64(len(data))); err != nil {
				t.Fatal(err)
			}
			if _, err := svc.UploadStatus(ctx, old.ID); !apperr.Is(err, apperr.NotFound) {
				t.Fatalf("the abandoned upload: %v, want NotFound", err)
			}
			if _, err := svc.UploadStatus(ctx, recent.ID); err != nil {
				t.Fatalf("the recent upload: %v", err)
			}
			var chunks int64
			if err := db.Gorm().Table("media_upload_chunks").Count(&chunks).Error; err != nil || chunks != 0 {
				t.Fatalf("%d chunks left (%v)", chunks, err)
			}
		})
	}
}

// TestVariantAddedLater: a photo stored before a variant's rule existed
// gets that variant when it is first asked for, and keeps it.
func TestVariantAddedLater(t *testing.T) {
	for _, b := range testenv.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			db, _ := b.Open(t)
			ctx := context.Background()
			svc := media.NewService(db.Media(), func() string { return "http://shop.example" }, nil)
			m, err := svc.Put(ctx, "image/jpeg", photo(t, 1000, 700, 11))
			if err != nil {
				t.Fatal(err)
			}
			if err := db.Gorm().Exec("DELETE FROM media_variants WHERE media_sha256 = ? AND variant = 'thumb'", m.SHA256).Error; err != nil {
				t.Fatal(err)
			}
			v, err := svc.Variant(ctx, m.SHA256, "thumb")
			if err != nil || v.Width != 320 || v.Height != 224 {
				t.Fatalf("thumb rendered late: %dx%d, %v", v.Width, v.Height, err)
			}
			var n int64
			if err := db.Gorm().Table("media_variants").Where("media_sha256 = ? AND variant = 'thumb'", m.SHA256).Count(&n).Error; err != nil || n != 1 {
				t.Fatalf("thumb stored %d times (%v)", n, err)
			}
		})
	}
}

// TestMigrationGivesTaggedProductsTheirGI: migration 61 gives a product
// tagged GI before it the GI of its craft when one GI covers the craft,
// and leaves untagged products without one.
func TestMigrationGivesTaggedProductsTheirGI(t *testing.T) {
	for _, b := range testenv.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			db, _ := b.Open(t)
			ctx := context.Background()
			p, err := migrations.NewProvider(db.SQL(), db.Dialect(), nil)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := p.DownTo(ctx, 60); err != nil {
				t.Fatal(err)
			}
			now := time.Now().UTC()
			g := db.Gorm()
			if err := g.Exec(`INSERT INTO artisans (id, code, name, craft, created_at, updated_at) VALUES (?, 'ZDB-1', 'Maker', 'papier_mache', ?, ?)`, ids.New(), now, now).Error; err != nil {
				t.Fatal(err)
			}
			var artisan string
			g.Raw(`SELECT id FROM artisans WHERE code = 'ZDB-1'`).Scan(&artisan)
			for _, r := range []struct {
				sku, craft string
				tagged     bool
			}{{"PM-1", "papier_mache", true}, {"PM-2", "papier_mache", false}, {"CU-1", "copperware", true}, {"CP-1", "carpet", true}} {
				if err := g.Exec(`INSERT INTO products (id, sku, title, craft, hsn_code, gst_rate_bp, mrp_paise, price_paise, artisan_id, artisan_price_paise, gi_tag, created_at, updated_at)
VALUES (?, ?, 'Piece', ?, '4823', 500, 1000, 900, ?, 500, ?, ?, ?)`, ids.New(), r.sku, r.craft, artisan, r.tagged, now, now).Error; err != nil {
					t.Fatal(err)
				}
			}
			if _, err := p.Up(ctx); err != nil {
				t.Fatal(err)
			}
			for sku, want := range map[string]string{"PM-1": "kashmir_paper_machie", "PM-2": "", "CU-1": "", "CP-1": "kashmir_hand_knotted_carpet"} {
				var gi string
				if err := g.Raw(`SELECT gi FROM products WHERE sku = ?`, sku).Scan(&gi).Error; err != nil || gi != want {
					t.Errorf("%s: gi %q (%v), want %q", sku, gi, err, want)
				}
			}
		})
	}
}
