package testenv

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/chromedp/chromedp"
)

// ChromiumPath is Debian's Chromium; .ci/run installs it.
const ChromiumPath = "/usr/bin/chromium"

// BrowserRequired says whether a missing Chromium must fail a test: under
// CI (CI=1) or when ARTISANBRIDGE_REQUIRE_BROWSER=1.
func BrowserRequired() bool {
	return os.Getenv("CI") != "" && os.Getenv("CI") != "0" && os.Getenv("CI") != "false" || os.Getenv("ARTISANBRIDGE_REQUIRE_BROWSER") == "1"
}

// RequireChromium fails the test when Chromium is missing and required
// is true, and otherwise skips it, saying so: a missing browser never
// passes silently.
func RequireChromium(t testing.TB, required bool) {
	t.Helper()
	if _, err := os.Stat(ChromiumPath); err != nil {
		msg := "Chromium is missing (" + err.Error() + "): install Debian's chromium package (apt-get install -y chromium; .ci/run does)"
		if required {
			t.Fatal(msg)
		}
		t.Skip(msg + "; set ARTISANBRIDGE_REQUIRE_BROWSER=1 to make this a failure")
	}
}

// Browser starts headless Chromium for the test (window w x h) and returns
// a chromedp context on its first tab, the browser already running (the
// first call of a chromedp context must have no deadline of its own).
func Browser(t testing.TB, w, h int) context.Context {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(ChromiumPath), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck, chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("disable-quic", true), chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(w, h),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("Chromium: %v", err)
	}
	return ctx
}

// ArtifactDir is where a test keeps what it rendered (screenshots,
// printouts): $ARTISANBRIDGE_TEST_ARTIFACTS/sub, else test-artifacts/sub at
// the module's root (gitignored).
func ArtifactDir(t testing.TB, sub string) string {
	t.Helper()
	base := os.Getenv("ARTISANBRIDGE_TEST_ARTIFACTS")
	if base == "" {
		dir, err := os.Getwd()
		if err != nil {
			t.Fatal(err)
		}
		for {
			if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
				break
			}
			parent := filepath.Dir(dir)
			if parent == dir {
				t.Fatal("no go.mod above the test's directory")
			}
			dir = parent
		}
		base = filepath.Join(dir, "test-artifacts")
	}
	out := filepath.Join(base, sub)
	if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatal(err)
	}
	return out
}
