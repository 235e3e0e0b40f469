package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/jkhhc/artisanbridge/internal/auth"
	"github.com/jkhhc/artisanbridge/internal/store"
	"github.com/jkhhc/artisanbridge/internal/testenv"
)

// linkProxy stands between the browser and the service as the valley's
// link does: while cut, every connection is dropped and new ones are
// closed as soon as they open (the browser's own offline emulation does
// not fail a fetch in flight).
type linkProxy struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	down   bool
	conns  map[net.Conn]bool
}

func newLinkProxy(t *testing.T, target string) *linkProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &linkProxy{ln: ln, target: target, conns: map[net.Conn]bool{}}
	t.Cleanup(func() { ln.Close(); p.cut() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go p.serve(c)
		}
	}()
	return p
}

func (p *linkProxy) base() string { return "http://" + p.ln.Addr().String() }

func (p *linkProxy) serve(c net.Conn) {
	p.mu.Lock()
	if p.down {
		p.mu.Unlock()
		c.Close()
		return
	}
	p.conns[c] = true
	p.mu.Unlock()
	up, err := net.Dial("tcp", p.target)
	if err != nil {
		c.Close()
		return
	}
	p.mu.Lock()
	p.conns[up] = true
	p.mu.Unlock()
	go func() { io.Copy(up, c); up.Close() }()
	io.Copy(c, up)
	c.Close()
}

// cut drops the link; restore gives it back.
func (p *linkProxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = true
	for c := range p.conns {
		c.Close()
	}
	p.conns = map[net.Conn]bool{}
}

func (p *linkProxy) restore() {
	p.mu.Lock()
	p.down = false
	p.mu.Unlock()
}

// noisyPhoto is a JPEG that does not compress away (about 150 KB): over
// 256 kbps it takes several seconds, time enough to cut the link.
func noisyPhoto(t *testing.T) []byte {
	t.Helper()
	rng := rand.New(rand.NewPCG(14, 14))
	img := image.NewRGBA(image.Rect(0, 0, 560, 420))
	for y := 0; y < 420; y++ {
		for x := 0; x < 560; x++ {
			img.SetRGBA(x, y, color.RGBA{uint8(rng.IntN(256)), uint8(rng.IntN(256)), uint8(100 + x%80), 255})
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 80}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestResumablePhotoUploadInChromium: the product page's photo form, in
// headless Chromium over the throttled link, sends the photo in resumable
// chunks; the link is cut mid-way and given back; the script asks the
// server how far it got and sends the rest; the photo is added to the
// product once and stored once, by its content hash.
func TestResumablePhotoUploadInChromium(t *testing.T) {
	testenv.RequireChromium(t, testenv.BrowserRequired())
	env := embeddedEnv(t)
	in := start(t, env)
	admin := consoleUsers(in)[auth.RoleAdmin]
	code, art := in.call(admin, "POST", "/api/v1/artisans", map[string]any{"code": "PM-3", "name": "Fayaz Ahmad", "craft": "papier_mache"})
	if code != 201 {
		t.Fatalf("artisan: %d %v", code, art)
	}
	artID := art["id"]
	var prod map[string]any
	code, prod = in.call(admin, "POST", "/api/v1/products", map[string]any{"sku": "PM-BOX-3", "title": "Papier-mache box, chinar", "craft": "papier_mache",
		"hsn_code": "48239090", "gst_rate_bp": 1200, "mrp_paise": 250000, "price_paise": 220000, "artisan_id": artID, "artisan_price_paise": 150000})
	if code != 201 {
		t.Fatalf("product: %d %v", code, prod)
	}
	photo := noisyPhoto(t)
	sum := sha256.Sum256(photo)
	sha := hex.EncodeToString(sum[:])
	file := filepath.Join(t.TempDir(), "box.jpg")
	if err := os.WriteFile(file, photo, 0o644); err != nil {
		t.Fatal(err)
	}

	link := newLinkProxy(t, strings.TrimPrefix(in.base, "http://"))
	b := newTab(t, testenv.Browser(t, 1024, 768), link.base(), "upload")
	b.signIn("e2e-showroom", "en")
	b.open("/showroom/products/"+fmt.Sprint(prod["id"]), "product")
	form := formWith("photo")
	b.do("choose the photo and save", chromedp.SetUploadFiles(chromedp.CSS(form+` [name="file"]`), []string{file}), mark,
		chromedp.Click(chromedp.CSS(form+" button")))
	// Cut the link once some chunks have arrived and some have not.
	offset := func() float64 {
		n, _ := b.eval(`+(document.querySelector("form[data-upload]") || {dataset: {}}).dataset.offset || 0`).(float64)
		return n
	}
	deadline := time.Now().Add(stepTimeout)
	for offset() < 64<<10 {
		if time.Now().After(deadline) {
			b.shot("no-progress")
			t.Fatalf("the upload did not get going: offset %v of %d", offset(), len(photo))
		}
		time.Sleep(100 * time.Millisecond)
	}
	cutAt := offset()
	if cutAt >= float64(len(photo)) {
		t.Fatalf("the photo (%d bytes) was sent before the link could be cut: make it larger", len(photo))
	}
	link.cut()
	time.Sleep(4 * time.Second)
	// The script saw the link drop (it counts each time it has to resume).
	resumed := b.eval(`document.querySelector("form[data-upload]").dataset.resumed`)
	b.shot("link-cut")
	link.restore()
	b.do("the upload resumes and the form is saved", chromedp.WaitVisible(chromedp.CSS(nextMessage)))
	b.loaded("photo-added")
	if b.eval(`!!document.querySelector("div.problem")`) == true {
		t.Fatalf("the photo was refused: %s", b.text("div.problem"))
	}
	t.Logf("link cut at %.0f of %d bytes; the script resumed %v times", cutAt, len(photo), resumed)
	if resumed == "0" || resumed == nil {
		t.Errorf("the script never saw the link drop (resumed %v): the test cut nothing", resumed)
	}
	_, p := in.call(admin, "GET", "/api/v1/products/"+fmt.Sprint(prod["id"]), nil)
	images, _ := p["images"].([]any)
	if len(images) != 1 || !strings.Contains(fmt.Sprint(images[0]), "/media/"+sha) {
		t.Fatalf("the product's images after the resumed upload: %v (want one, of sha256 %s)", images, sha)
	}

	// Without JavaScript the same form posts the file whole, and it is stored.
	plain := newTab(t, testenv.Browser(t, 1024, 768), in.base, "upload-no-script")
	if _, err := chromedp.Call(plain.ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true}); err != nil {
		t.Fatalf("scripts off: %v", err)
	}
	plain.signIn("e2e-showroom", "en")
	plain.open("/showroom/products/"+fmt.Sprint(prod["id"]), "product-no-script")
	second := filepath.Join(t.TempDir(), "box-side.jpg")
	if err := os.WriteFile(second, cameraPhoto(t), 0o644); err != nil {
		t.Fatal(err)
	}
	if plain.eval(`document.querySelector("form[data-upload]").dataset.resumed === undefined`) != true {
		t.Fatal("the upload script ran with scripts off")
	}
	plain.do("choose a photo", chromedp.SetUploadFiles(chromedp.CSS(form+` [name="file"]`), []string{second}))
	plain.send(form, nil, "photo-added-no-script")
	if _, p = in.call(admin, "GET", "/api/v1/products/"+fmt.Sprint(prod["id"]), nil); len(p["images"].([]any)) != 2 {
		t.Fatalf("the product's images after a plain upload: %v", p["images"])
	}
	in.stop()
	db, err := store.Open(context.Background(), store.Options{SQLitePath: filepath.Join(env["ARTISANBRIDGE_DATA_DIR"], "artisanbridge.db")})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if n, err := db.Media().CountMedia(context.Background()); err != nil || n != 2 {
		t.Fatalf("%d photos stored (%v), want 2 (the resumed one once, the plain one)", n, err)
	}
}
