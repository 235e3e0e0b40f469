package console

import (
	"io/fs"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/jkhhc/artisanbridge/internal/showcase"
)

// TestCatalogueIsComplete: every key a template, a page or a handler uses
// is in the one catalogue, in English, Urdu and Hindi.
func TestCatalogueIsComplete(t *testing.T) {
	used := map[string]bool{}
	keyRef := regexp.MustCompile(`\.T "([a-z_]+\.[a-z0-9_]+)"|"((?:nav|page|error|flash|text|field|action|status|lang|age)\.[a-z0-9_]+)"`)
	scan := func(name, text string) {
		for _, m := range keyRef.FindAllStringSubmatch(text, -1) {
			k := m[1] + m[2]
			used[k] = true
		}
	}
	if err := fs.WalkDir(files, "templates", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, _ := files.ReadFile(p)
		scan(p, string(b))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	goFiles, _ := filepath.Glob("*.go")
	for _, f := range goFiles {
		if strings.HasSuffix(f, "_test.go") || f == "i18n.go" {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		scan(f, string(b))
	}
	for _, p := range New(Deps{}).Pages() {
		if p.Nav != "" {
			used[p.Nav] = true
		} else {
			used["page."+p.Template] = true
		}
	}
	for _, s := range []string{"pending", "live", "rejected", "paused", "error", "awaiting_upload"} {
		used["status."+s] = true
	}
	if len(used) < 50 {
		t.Fatalf("found only %d keys: the scan is broken", len(used))
	}
	for k := range used {
		m, ok := catalogue[k]
		switch {
		case !ok:
			t.Errorf("key %q is used but not in the catalogue", k)
		case m.en == "" || m.ur == "" || m.hi == "":
			t.Errorf("key %q lacks a language: %+v", k, m)
		}
	}
}

func TestMaskAccount(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"918273645501234", "XXXX1234"},
		{"XXXXXXXX1234", "XXXX1234"},
		{"12", "XXXX12"},
		{"", ""},
	} {
		if got := maskAccount(tc.in); got != tc.want {
			t.Errorf("maskAccount(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestSafeNext(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"/showroom/products?sku=A", "/showroom/products?sku=A"},
		{"", "/"},
		{"https://evil.example/", "/"},
		{"//evil.example/", "/"},
		{"/\\evil.example", "/"},
		{"/api/v1/users", "/"},
	} {
		if got := safeNext(tc.in); got != tc.want {
			t.Errorf("safeNext(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestLanguageChoice(t *testing.T) {
	for _, tc := range []struct{ header, want string }{
		{"ur-PK,ur;q=0.9,en;q=0.8", "ur"},
		{"hi-IN", "hi"},
		{"ks-IN,en;q=0.5", "ur"},
		{"fr-FR,de", "en"},
		{"", "en"},
	} {
		if got := fromAcceptLanguage(tc.header); got != tc.want {
			t.Errorf("fromAcceptLanguage(%q) = %q, want %q", tc.header, got, tc.want)
		}
	}
	if dirOf("ur") != "rtl" || dirOf("hi") != "ltr" || dirOf("en") != "ltr" {
		t.Error("Urdu is right to left, the others left to right")
	}
}

func TestOwns(t *testing.T) {
	for _, tc := range []struct {
		path string
		want bool
	}{
		{"/", true}, {"/signin", true}, {"/static/console.css", true}, {"/showroom/products/1", true}, {"/finance", true},
		{"/api/v1/products", false}, {"/healthz", false}, {"/webhooks/payouts/razorpayx", false}, {"/admin/queues", false},
		{"/artisans/WW-1", false}, {"/pieces/SKU-1", false}, {"/showroomx", false},
	} {
		if got := Owns(tc.path); got != tc.want {
			t.Errorf("Owns(%q) = %v, want %v", tc.path, got, tc.want)
		}
	}
}

func TestSameOrigin(t *testing.T) {
	for _, tc := range []struct {
		name                     string
		origin, referer, fwdHost string
		want                     bool
	}{
		{"same origin", "http://console.example", "", "", true},
		{"another site", "https://evil.example", "", "", false},
		{"opaque origin", "null", "", "", false},
		{"no origin, same referer", "", "http://console.example/showroom/sale", "", true},
		{"no origin, foreign referer", "", "https://evil.example/", "", false},
		{"neither (not a browser)", "", "", "", true},
		{"behind a proxy", "https://shop.jkhhc.in", "", "shop.jkhhc.in", true},
		{"behind a proxy, another site", "https://evil.example", "", "shop.jkhhc.in", false},
	} {
		r := httptest.NewRequest("POST", "http://console.example/showroom/sale", nil)
		if tc.origin != "" {
			r.Header.Set("Origin", tc.origin)
		}
		if tc.referer != "" {
			r.Header.Set("Referer", tc.referer)
		}
		if tc.fwdHost != "" {
			r.Header.Set("X-Forwarded-Host", tc.fwdHost)
		}
		if got := sameOrigin(r); got != tc.want {
			t.Errorf("%s: sameOrigin = %v, want %v", tc.name, got, tc.want)
		}
	}
}

// TestPublicPagesSpeakFromTheCatalogue: every label the public pages
// (package showcase) use is in the one catalogue in all three languages,
// and both remember the language in the same cookie.
func TestPublicPagesSpeakFromTheCatalogue(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "showcase", "pages.html.tmpl"))
	if err != nil {
		t.Fatal(err)
	}
	keys := regexp.MustCompile(`\{\{T "([a-z_]+\.[a-z0-9_]+)"\}\}`).FindAllStringSubmatch(string(b), -1)
	if len(keys) < 15 {
		t.Fatalf("found only %d labels in the public pages: the scan is broken", len(keys))
	}
	for _, k := range append(keys, []string{"", "lang.en"}, []string{"", "lang.ur"}, []string{"", "lang.hi"}) {
		m, ok := catalogue[k[1]]
		if !ok || m.en == "" || m.ur == "" || m.hi == "" {
			t.Errorf("public label %q: %+v (in the catalogue: %v)", k[1], m, ok)
		}
	}
	if showcase.LangCookie != LangCookie {
		t.Errorf("the public pages remember the language in %q, the console in %q", showcase.LangCookie, LangCookie)
	}
	for _, tc := range []struct{ query, cookie, accept, want string }{
		{"ur", "hi", "en", "ur"}, {"", "hi", "ur", "hi"}, {"xx", "", "hi-IN,en;q=0.5", "hi"}, {"", "", "ks", "ur"}, {"", "", "", "en"},
	} {
		if got := ChooseLanguage(tc.query, tc.cookie, tc.accept); got != tc.want {
			t.Errorf("ChooseLanguage(%q, %q, %q) = %q, want %q", tc.query, tc.cookie, tc.accept, got, tc.want)
		}
	}
}
