package statements_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/jkhhc/artisanbridge/internal/statements"
	"github.com/jkhhc/artisanbridge/internal/testenv"
)

// TestUrduStatementInChromium renders the Urdu statement in headless
// Chromium, checks that the page is laid out right to left (the body's
// computed direction, and the table's first column on the right) while the
// amounts stay left to right, and keeps a PNG screenshot and the printed A4
// PDF as artifacts. A missing Chromium fails the test: it is never skipped.
func TestUrduStatementInChromium(t *testing.T) {
	// The statement test always needs its browser, CI or not.
	testenv.RequireChromium(t, true)
	out := testenv.ArtifactDir(t, "statements")
	work := t.TempDir()
	pages := map[string]string{}
	for _, lang := range []string{"ur", "en"} {
		html, err := statements.HTML(sample(lang))
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(work, "statement-"+lang+".html")
		if err := os.WriteFile(path, html, 0o644); err != nil {
			t.Fatal(err)
		}
		pages[lang] = "file://" + path
	}
	ctx := testenv.Browser(t, 1240, 1754)
	if err := chromedp.Do(ctx, chromedp.Navigate(pages["ur"])); err != nil {
		t.Fatalf("Chromium: %v", err)
	}
	step, stop := context.WithTimeout(ctx, 90*time.Second)
	defer stop()
	if err := chromedp.Do(step, chromedp.WaitVisible(chromedp.CSS("table"))); err != nil {
		t.Fatalf("Chromium: %v", err)
	}
	eval := func(expr string, out any) {
		t.Helper()
		v, err := chromedp.Run(step, chromedp.Evaluate[any](expr))
		if err != nil {
			t.Fatalf("Chromium: %s: %v", expr, err)
		}
		switch p := out.(type) {
		case *string:
			*p, _ = v.(string)
		case *bool:
			*p, _ = v.(bool)
		}
	}
	var bodyDir, lang, amountDir, amount string
	var firstColumnOnTheRight bool
	eval(`getComputedStyle(document.body).direction`, &bodyDir)
	eval(`document.documentElement.lang`, &lang)
	eval(`getComputedStyle(document.getElementById("payable")).direction`, &amountDir)
	eval(`document.getElementById("payable").textContent`, &amount)
	eval(`(() => { const th = document.querySelectorAll("thead th");
		return th[0].getBoundingClientRect().left > th[2].getBoundingClientRect().left })()`, &firstColumnOnTheRight)
	png, err := chromedp.Run(step, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	pdf, err := chromedp.Run(step, chromedp.PrintToPDF(chromedp.PDFPreferCSSPageSize(), chromedp.PDFPrintBackground()))
	if err != nil {
		t.Fatalf("print: %v", err)
	}
	if bodyDir != "rtl" || lang != "ur" || !firstColumnOnTheRight {
		t.Errorf("the Urdu page is not right to left: body direction %q, lang %q, first column on the right %v", bodyDir, lang, firstColumnOnTheRight)
	}
	if amountDir != "ltr" || amount != "₹1,80,000.00" {
		t.Errorf("the amount inside the Urdu page: direction %q, text %q", amountDir, amount)
	}
	if !bytes.HasPrefix(png, []byte("\x89PNG\r\n\x1a\n")) || len(png) < 10_000 {
		t.Errorf("the screenshot is not a PNG (%d bytes)", len(png))
	}
	if !bytes.HasPrefix(pdf, []byte("%PDF-")) {
		t.Errorf("the printout is not a PDF")
	}
	for name, data := range map[string][]byte{"statement-ur.png": png, "statement-ur.pdf": pdf} {
		if err := os.WriteFile(filepath.Join(out, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("kept %s and %s", filepath.Join(out, "statement-ur.png"), filepath.Join(out, "statement-ur.pdf"))

	// The English page, in the same browser, is left to right.
	if err := chromedp.Do(step, chromedp.Navigate(pages["en"]), chromedp.WaitVisible(chromedp.CSS("table"))); err != nil {
		t.Fatal(err)
	}
	eval(`getComputedStyle(document.body).direction`, &bodyDir)
	if bodyDir != "ltr" {
		t.Errorf("the English page's direction is %q", bodyDir)
	}
}
