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

// FuzzUploadMetadata feeds tus's Upload-Metadata header, as the upload
// script (or anyone) sends it, to its reader: it never panics, and what
// it reads is only ever a decoded value of the key asked for.
func FuzzUploadMetadata(f *testing.F) {
	f.Add("filetype aW1hZ2UvanBlZw==", "filetype")
	f.Add("filename Ym94LmpwZw==,filetype aW1hZ2UvcG5n", "filetype")
	f.Add("filetype", "filetype")
	f.Add("filetype !!!, ,,", "filetype")
	f.Fuzz(func(t *testing.T, header, key string) {
		got := metadata(header, key)
		if got != "" && !strings.Contains(header, key) {
			t.Fatalf("metadata(%q, %q) = %q for a key the header does not hold", header, key, got)
		}
	})
}

func TestUploadMetadata(t *testing.T) {
	for _, tc := range []struct{ header, want string }{
		{"filetype aW1hZ2UvanBlZw==", "image/jpeg"},
		{"filename Ym94LmpwZw==, filetype aW1hZ2UvcG5n", "image/png"},
		{"filename Ym94LmpwZw==", ""},
		{"filetype not-base64!", ""},
		{"", ""},
	} {
		if got := metadata(tc.header, "filetype"); got != tc.want {
			t.Errorf("metadata(%q) = %q, want %q", tc.header, got, tc.want)
		}
	}
}
