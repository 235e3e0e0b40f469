package console

import (
	"strings"
	"testing"
	"unicode"
)

// FuzzConsoleInputs feeds what a browser sends outside the forms' fields
// (Accept-Language, a sign-in's next address, an account number to mask)
// to the console's readers of it: none panics, the language is always one
// of ours, the next address always stays on the console, and a masked
// account never shows more than four digits.
func FuzzConsoleInputs(f *testing.F) {
	f.Add("ur-PK,ur;q=0.9", "/showroom/products?sku=A", "918273645501234")
	f.Add("", "//evil.example/", "")
	f.Add("ks;q=1,,;", "/\\evil", "XXXX-1234-5678")
	f.Fuzz(func(t *testing.T, acceptLanguage, next, account string) {
		if l := fromAcceptLanguage(acceptLanguage); !validLang(l) {
			t.Fatalf("fromAcceptLanguage(%q) = %q", acceptLanguage, l)
		}
		n := safeNext(next)
		if !strings.HasPrefix(n, "/") || strings.HasPrefix(n, "//") || strings.HasPrefix(n, "/\\") || !Owns(strings.SplitN(n, "?", 2)[0]) {
			t.Fatalf("safeNext(%q) = %q leaves the console", next, n)
		}
		masked := maskAccount(account)
		digits := 0
		for _, r := range strings.TrimPrefix(masked, "XXXX") {
			if unicode.IsDigit(r) {
				digits++
			}
		}
		if strings.HasPrefix(masked, "XXXX") && digits > 4 {
			t.Fatalf("maskAccount(%q) = %q shows %d digits", account, masked, digits)
		}
	})
}
