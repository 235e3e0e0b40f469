package main

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	flipkartsim "github.com/jkhhc/artisanbridge/adapters/flipkart/sim"
	"github.com/jkhhc/artisanbridge/internal/auth"
	"github.com/jkhhc/artisanbridge/internal/testenv"
)

// The valley's link: 256 kbps each way, 400 ms of latency.
const (
	slowLatencyMS  = 400
	slowBytesPerS  = 256 * 1000 / 8
	stepTimeout    = 90 * time.Second
	consoleShotDir = "console"
)

// emulateNetwork is Network.emulateNetworkConditions (deprecated in the
// protocol in favour of emulateNetworkConditionsByRule, which is tried when
// the browser no longer takes it).
type emulateNetwork struct {
	Offline            bool    `json:"offline"`
	Latency            float64 `json:"latency"`
	DownloadThroughput float64 `json:"downloadThroughput"`
	UploadThroughput   float64 `json:"uploadThroughput"`
}

var emulateNetworkConditions = cdp.Command[emulateNetwork, cdp.Empty]{Method: "Network.emulateNetworkConditions"}

// tab is one person's browser: its own cookies (a browser context of its
// own), throttled, taking a screenshot of every step.
type tab struct {
	t     *testing.T
	ctx   context.Context
	base  string
	who   string
	dir   string
	shots int
}

func newTab(t *testing.T, browser context.Context, base, who string) *tab {
	t.Helper()
	ctx, cancel := chromedp.NewContext(browser, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
		t.Fatalf("%s: network domain: %v", who, err)
	}
	// Network.emulateNetworkConditions throttles the whole tab (and what
	// navigator.connection says); the rule-based command, its successor,
	// is sent too for browsers where the old one no longer throttles.
	slow := emulateNetwork{Latency: slowLatencyMS, DownloadThroughput: slowBytesPerS, UploadThroughput: slowBytesPerS}
	_, errOld := chromedp.Call(ctx, emulateNetworkConditions, slow)
	_, errRule := chromedp.Call(ctx, network.EmulateNetworkConditionsByRule, network.EmulateNetworkConditionsByRuleParams{
		MatchedNetworkConditions: []*network.Conditions{{Latency: slowLatencyMS, DownloadThroughput: slowBytesPerS, UploadThroughput: slowBytesPerS}},
	})
	if errOld != nil && errRule != nil {
		t.Fatalf("%s: throttling: %v; by rule: %v", who, errOld, errRule)
	}
	return &tab{t: t, ctx: ctx, base: base, who: who, dir: testenv.ArtifactDir(t, consoleShotDir)}
}

func (b *tab) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		b.shot("failed-" + what)
		b.t.Fatalf("%s: %s: %v", b.who, what, err)
	}
}

func (b *tab) eval(expr string) any {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[any](expr))
	if err != nil {
		b.t.Fatalf("%s: %s: %v", b.who, expr, err)
	}
	return v
}

func (b *tab) text(sel string) string {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		b.t.Fatalf("%s: text of %s: %v", b.who, sel, err)
	}
	return s
}

// shot keeps a screenshot of the tab as <who>-<n>-<name>.png.
func (b *tab) shot(name string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		b.t.Errorf("%s: screenshot %s: %v", b.who, name, err)
		return
	}
	b.shots++
	file := filepath.Join(b.dir, fmt.Sprintf("%s-%02d-%s.png", b.who, b.shots, name))
	if err := os.WriteFile(file, png, 0o644); err != nil {
		b.t.Fatal(err)
	}
}

// loaded checks the page the tab shows: nothing from another host, and
// within the weight budget as the browser itself counted it (transfer
// sizes of the document and every resource).
func (b *tab) loaded(name string) {
	b.t.Helper()
	v := b.eval(`(() => {
		const entries = [...performance.getEntriesByType("navigation"), ...performance.getEntriesByType("resource")];
		const foreign = entries.map(e => e.name).filter(n => new URL(n).host !== location.host);
		const bytes = entries.reduce((s, e) => s + (e.transferSize || 0), 0);
		const nav = performance.getEntriesByType("navigation")[0];
		return {foreign, bytes, wait: nav ? nav.responseEnd - nav.requestStart : -1};
	})()`)
	m, _ := v.(map[string]any)
	if f, _ := m["foreign"].([]any); len(f) > 0 {
		b.t.Errorf("%s: %s requested other hosts: %v", b.who, name, f)
	}
	if n, _ := m["bytes"].(float64); n > pageBudget {
		b.t.Errorf("%s: %s transferred %.0f bytes, over %d", b.who, name, n, pageBudget)
	}
	// The throttle is on: Chromium holds each answer for the latency
	// (the document ends at least 400 ms after it was asked for).
	if w, _ := m["wait"].(float64); w >= 0 && w < slowLatencyMS*0.9 {
		b.t.Errorf("%s: %s arrived in %.0f ms: the 400 ms latency is not emulated", b.who, name, w)
	}
	b.shot(name)
}

func (b *tab) open(path, name string) {
	b.t.Helper()
	b.do("open "+path, chromedp.Navigate(b.base+path), chromedp.WaitReady(chromedp.CSS("main")))
	b.loaded(name)
}

// send fills a form's fields (by name), presses its button and waits for
// the next page's message; a refusal fails the test with its text.
func (b *tab) send(form string, fields map[string]string, name string) string {
	b.t.Helper()
	// The page is marked, so that only the next page's message is waited for.
	steps := []chromedp.Action[chromedp.Void]{chromedp.WaitVisible(chromedp.CSS(form)), mark}
	for k, v := range fields {
		if box, ok := strings.CutPrefix(k, "!"); ok { // a checkbox, ticked
			steps = append(steps, chromedp.Click(chromedp.CSS(form+` [name="`+box+`"]`)))
			continue
		}
		steps = append(steps, chromedp.SetValue(chromedp.CSS(form+` [name="`+k+`"]`), v))
	}
	steps = append(steps, chromedp.Click(chromedp.CSS(form+" button")), chromedp.WaitVisible(chromedp.CSS(nextMessage)))
	b.do("send "+name, steps...)
	b.loaded(name)
	if b.eval(`!!document.querySelector("div.problem")`) == true {
		b.t.Fatalf("%s: %s was refused: %s", b.who, name, b.text("div.problem"))
	}
	return b.text("p.flash")
}

func (b *tab) signIn(name, lang string) {
	b.t.Helper()
	b.open("/signin?lang="+lang, "signin")
	b.do("sign in", chromedp.SetValue(chromedp.CSS(`input[name="name"]`), name),
		chromedp.SetValue(chromedp.CSS(`input[name="password"]`), consolePassword),
		chromedp.Click(chromedp.CSS("form.card button")), chromedp.WaitVisible(chromedp.CSS("header nav")))
	b.loaded("signed-in")
	if got := b.eval(`document.documentElement.lang + " " + getComputedStyle(document.body).direction`); got != lang+" "+map[bool]string{true: "rtl", false: "ltr"}[lang == "ur"] {
		b.t.Errorf("%s: the console is %v, want %s", b.who, got, lang)
	}
}

// mark tags the page shown, and nextMessage is the message of a page
// that is not it (the answer to a form).
var mark = chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
	_, err := chromedp.Evaluate[any](`document.body.dataset.before = "1"`)(ctx, t)
	return err
})

const nextMessage = "body:not([data-before]) p.flash, body:not([data-before]) div.problem"

func formWith(do string) string { return `form:has(input[name="do"][value="` + do + `"])` }

// TestConsoleWorkingDayInChromium walks one working day of each role in
// headless Chromium against the embedded default, over a link throttled to
// 256 kbps with 400 ms of latency, keeping a screenshot of every step:
// showroom staff (in Urdu) take a piece in, stock it, publish it on
// Flipkart and see it go live, pack and dispatch the order that comes,
// print its slip and sell at the counter; operations (in Hindi) read the
// dashboard, the order with its lines and makers, and the exceptions;
// finance reads settlements, prints a statement, drafts a payout batch
// that an admin approves (maker and checker), and checks the trial balance.
func TestConsoleWorkingDayInChromium(t *testing.T) {
	testenv.RequireChromium(t, testenv.BrowserRequired())
	env := embeddedEnv(t)
	env["ARTISANBRIDGE_PULL_INTERVAL"] = "1s"
	in := start(t, env)
	tokens := consoleUsers(in)
	admin := tokens[auth.RoleAdmin]

	// The admin's setup: a showroom, an artisan, Flipkart's location.
	_, loc := in.call(admin, "POST", "/api/v1/locations", map[string]any{"code": "SRG-RES", "name": "Srinagar, Residency Road", "kind": "showroom"})
	locID := fmt.Sprint(loc["id"])
	if code, a := in.call(admin, "POST", "/api/v1/artisans", map[string]any{"code": "WW-9", "name": "Ghulam Mohiuddin", "craft": "walnut_wood_carving",
		"phone": "+91 94190 77777", "bank_account_number": account, "bank_ifsc": "JAKA0BATMAL"}); code != 201 {
		t.Fatalf("artisan: %d %v", code, a)
	}
	fk := &marketplace{kind: "flipkart", externalID: "TRAYWAL9CHINAR01"}
	_, chans := in.call(admin, "GET", "/api/v1/channels", nil)
	for _, c := range chans["items"].([]any) {
		ch := c.(map[string]any)
		if ch["kind"] != "flipkart" {
			continue
		}
		patch := map[string]any{"version": ch["version"],
			"settings": map[string]any{"dispatch_days": 3, "return_window_days": 0, "locations": []any{map[string]any{"location_id": locID, "external_location_id": "LOCSRG01"}}}}
		if ch["enabled"] != true {
			fk.simBase = configureSimulator(t, "flipkart", patch)
		} else {
			fk.simBase = strings.TrimSuffix(ch["base_url"].(string), "/sellers")
		}
		if code, got := in.call(admin, "PATCH", "/api/v1/channels/"+ch["id"].(string), patch); code != 200 {
			t.Fatalf("configure flipkart: %d %v", code, got)
		}
		fk.id = ch["id"].(string)
	}
	fees := flipkartsim.SettlementFees
	if code, got := in.call(admin, "POST", "/api/v1/fee-schedules", map[string]any{"channel_id": fk.id, "effective_from": "2024-04-01",
		"commission_bp": fees.CommissionBP, "fixed_fee_slabs": fees.FixedFeeSlabs, "collection_fee_bp": fees.CollectionFeeBP,
		"shipping_fee_paise": fees.ShippingFeePaise}); code != 201 {
		t.Fatalf("fee schedule: %d %v", code, got)
	}

	if err := os.RemoveAll(testenv.ArtifactDir(t, consoleShotDir)); err != nil {
		t.Fatal(err)
	}
	browser := testenv.Browser(t, 1280, 900)
	const sku = "WAL-TRAY-9"

	if !t.Run("showroom", func(t *testing.T) {
		b := newTab(t, browser, in.base, "showroom")
		b.signIn("e2e-showroom", "ur")
		b.open("/showroom/products/new", "intake-form")
		b.send(formWith("create"), map[string]string{"sku": sku, "title": "Walnut tray, chinar leaves", "craft": "walnut_wood_carving",
			"artisan_code": "WW-9", "hsn_code": "44209090", "mrp_paise": "450000", "price_paise": "420000", "artisan_price_paise": "260000",
			"!gi_tag": "", "gi_certificate_no": "GI-WWC-0042"}, "product-created")
		productPath := b.eval(`location.pathname`).(string)
		// A photo taken on the tablet (here a drawn JPEG), stored once by its hash.
		photo := filepath.Join(t.TempDir(), "tray.jpg")
		img := image.NewRGBA(image.Rect(0, 0, 640, 480))
		for y := 0; y < 480; y++ {
			for x := 0; x < 640; x++ {
				img.Set(x, y, color.RGBA{uint8(90 + x%60), uint8(50 + y%40), 30, 255})
			}
		}
		var jpg bytes.Buffer
		if err := jpeg.Encode(&jpg, img, &jpeg.Options{Quality: 80}); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(photo, jpg.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		b.do("choose a photo", chromedp.SetUploadFiles(chromedp.CSS(formWith("photo")+` [name="file"]`), []string{photo}))
		b.send(formWith("photo"), nil, "photo-added")
		if got := b.text("p.photos"); !strings.Contains(got, "/media/") {
			t.Errorf("the product's photos: %q", got)
		}
		b.send(formWith("stock"), map[string]string{"location_id": locID, "quantity": "3", "reason": "brought by the maker"}, "stock-intake")
		if got := b.text("table:nth-of-type(2) tbody"); !strings.Contains(got, "3") {
			t.Errorf("stock after intake: %q", got)
		}
		b.send(formWith("publish")+`:has(input[name="channel_id"][value="`+fk.id+`"])`,
			map[string]string{"external_id": fk.externalID, "price_paise": "420000"}, "published")
		// The listing goes live once Flipkart has taken it: the page says so in plain words.
		for deadline := time.Now().Add(45 * time.Second); ; {
			b.open(productPath, "listing")
			if b.eval(`!!document.querySelector(".status-live")`) == true {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("the Flipkart listing never showed live: %s", b.text("table"))
			}
			time.Sleep(time.Second)
		}
		b.open("/showroom/products?sku="+sku, "catalogue-search")
		if !strings.Contains(b.text("table"), sku) {
			t.Error("the catalogue search does not find the new piece")
		}

		// A buyer orders it on Flipkart; it reaches the board of the showroom.
		ext := placeSimOrder(t, fk.simBase, sku, 1)
		order := in.ourOrder(admin, fk.id, ext)
		board := "/showroom/board?location_id=" + url.QueryEscape(locID)
		b.open(board, "board")
		row := `tbody tr:has(a[href="/showroom/slips/` + fmt.Sprint(order["id"]) + `"])`
		b.send(row+` form:has(input[name="to"][value="packed"])`, nil, "packed")
		b.open(board, "board-packed")
		b.send(row+` form:has(input[name="to"][value="dispatched"])`, map[string]string{"tracking_no": "FKTRK0009", "carrier": "Ekart"}, "dispatched")
		// The courier delivers (the marketplace says so).
		resp, err := http.Post(fk.simBase+"/_sim/orders/"+ext+"/deliver", "application/json", nil)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		eventually(t, "order "+ext+" delivered", 30*time.Second, func() (bool, any) {
			o := in.orderNow(admin, fk.id, ext)
			return o != nil && o["status"] == "delivered", o
		})
		b.open("/showroom/slips/"+fmt.Sprint(order["id"]), "packing-slip")
		slip := b.text("table")
		if !strings.Contains(slip, sku) || !strings.Contains(slip, "Ghulam Mohiuddin") {
			t.Errorf("the packing slip: %q", slip)
		}
		pdfCtx, cancel := context.WithTimeout(b.ctx, stepTimeout)
		pdf, err := chromedp.Run(pdfCtx, chromedp.PrintToPDF(chromedp.PDFPrintBackground()))
		cancel()
		if err != nil || !strings.HasPrefix(string(pdf), "%PDF-") {
			t.Errorf("printing the slip: %v", err)
		} else if err := os.WriteFile(filepath.Join(b.dir, "showroom-packing-slip.pdf"), pdf, 0o644); err != nil {
			t.Fatal(err)
		}

		b.open("/showroom/sale", "counter-sale")
		b.send(formWith("sell"), map[string]string{"sku": sku, "location_id": locID, "quantity": "1", "price_paise": "400000"}, "sold")
		_, st := in.call(admin, "GET", "/api/v1/stock?product_id="+strings.TrimPrefix(productPath, "/showroom/products/"), nil)
		if items, _ := st["items"].([]any); len(items) != 1 || items[0].(map[string]any)["on_hand"] != float64(1) {
			t.Errorf("stock at the end of the day: %v (3 in, 1 dispatched, 1 sold)", st)
		}
	}) {
		return
	}

	if !t.Run("operations", func(t *testing.T) {
		b := newTab(t, browser, in.base, "operations")
		b.signIn("e2e-operations", "hi")
		b.open("/operations", "dashboard")
		if !strings.Contains(strings.ToLower(b.text("main")), "flipkart") {
			t.Error("the dashboard does not show the Flipkart channel")
		}
		b.open("/operations/orders", "orders")
		b.do("open an order", chromedp.Click(chromedp.CSS(`tbody a[href^="/operations/orders/"]`)), chromedp.WaitVisible(chromedp.CSS(`a[href^="/showroom/slips/"]`)))
		b.loaded("order")
		if got := b.text("table"); !strings.Contains(got, sku) || !strings.Contains(got, "Ghulam Mohiuddin") {
			t.Errorf("the order's lines and makers: %q", got)
		}
		b.open("/operations/exceptions", "exceptions")
		if b.eval(`!!document.querySelector('form:has(input[name="do"][value="resolve"])')`) == true {
			b.send(`section:first-of-type `+formWith("resolve"), map[string]string{"resolution": "checked with the showroom"}, "exception-resolved")
		}
		b.open("/operations/imports", "imports")
		// A stock reconciliation of Flipkart, its progress shown until done.
		b.open("/operations/reconciliations", "reconciliations")
		b.send(formWith("start"), map[string]string{"channel_id": fk.id, "kind": "stock"}, "reconciliation-started")
		for deadline := time.Now().Add(45 * time.Second); ; time.Sleep(time.Second) {
			b.do("reload the run", chromedp.Reload(), chromedp.WaitReady(chromedp.CSS("main")))
			if st := b.text("main p b"); st == "done" {
				break
			} else if st == "failed" || time.Now().After(deadline) {
				t.Fatalf("the reconciliation: %s", b.text("main"))
			}
		}
		b.loaded("reconciliation-done")
	}) {
		return
	}

	var batchPath string
	if !t.Run("finance", func(t *testing.T) {
		b := newTab(t, browser, in.base, "finance")
		b.signIn("e2e-finance", "en")
		b.open("/finance/settlements", "settlements")
		// Flipkart's settlement file, as finance downloads it from the portal.
		resp, err := http.Post(fk.simBase+"/_sim/settlements", "application/json", nil)
		if err != nil {
			t.Fatal(err)
		}
		file, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		path := filepath.Join(t.TempDir(), "flipkart-settlement.csv")
		if err := os.WriteFile(path, file, 0o644); err != nil {
			t.Fatal(err)
		}
		form := formWith("import")
		b.do("choose the settlement file", chromedp.SetValue(chromedp.CSS(form+` [name="channel_id"]`), fk.id),
			chromedp.SetUploadFiles(chromedp.CSS(form+` [name="file"]`), []string{path}))
		b.send(form, nil, "settlement-imported")
		b.open("/finance/statements", "statements")
		b.do("open a statement", chromedp.Click(chromedp.CSS(`a[href^="/finance/statements/"]`)), chromedp.WaitVisible(chromedp.CSS("#payable")))
		b.loaded("statement")
		if strings.Contains(b.text("main"), account) {
			t.Error("the statement page shows the full bank number")
		}
		b.do("print view", chromedp.Click(chromedp.CSS(`a[href="?print=1"]`)), chromedp.WaitVisible(chromedp.CSS("table")))
		b.loaded("statement-print")
		b.open("/finance/payouts", "payouts")
		b.do("draft", chromedp.SetValue(chromedp.CSS(formWith("draft")+` [name="min_paise"]`), "1"), mark,
			chromedp.Click(chromedp.CSS(formWith("draft")+" button")), chromedp.WaitVisible(chromedp.CSS(nextMessage)))
		b.loaded("batch-drafted")
		if b.eval(`!!document.querySelector("div.problem")`) == true {
			t.Fatalf("no batch drafted after the settlement: %s", b.text("div.problem"))
		} else {
			batchPath = b.eval(`location.pathname`).(string)
			if b.eval(`!!document.querySelector('form:has(input[name="do"][value="approve"])')`) == true {
				t.Error("the maker of a batch is offered its approval")
			}
		}
		b.open("/finance/trial-balance", "trial-balance")
		if b.eval(`!!document.querySelector("p.flash")`) != true {
			t.Errorf("the trial balance does not balance: %s", b.text("main"))
		}
	}) {
		return
	}

	t.Run("admin approves the batch (the checker)", func(t *testing.T) {
		if batchPath == "" {
			t.Fatal("finance drafted no batch")
		}
		b := newTab(t, browser, in.base, "admin")
		b.signIn("e2e-admin", "en")
		b.open(batchPath, "batch")
		b.send(formWith("approve"), nil, "approved")
		if strings.Contains(b.text("main"), account) {
			t.Error("the batch page shows the full bank number")
		}
	})
}
