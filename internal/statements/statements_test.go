package statements_test

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jkhhc/artisanbridge/internal/civil"
	"github.com/jkhhc/artisanbridge/internal/finance"
	"github.com/jkhhc/artisanbridge/internal/statements"
)

func sample(lang string) statements.Input {
	at := func(s string) time.Time { return civil.MustParse(s).Start().Add(11 * time.Hour) }
	return statements.Input{
		Statement: finance.Statement{ArtisanID: "a1", PayablePaise: 1_80_000_00, HeldPaise: 4_500_50, PaidPaise: 1_00_00_000_00,
			Lines: []finance.StatementLine{
				{At: at("2026-11-03"), Kind: "settlement", Memo: "FLIPKART OD432187654321 KANI-007", AmountPaise: 1_85_000_00},
				{At: at("2026-11-13"), Kind: "release", Memo: "return window closed", AmountPaise: 0},
				{At: at("2026-11-20"), Kind: "clawback", Memo: "goods returned: earning clawed back", AmountPaise: -5_000_00},
				{At: at("2026-11-25"), Kind: "payout", Memo: "payout JK7B4E9A103C5D7E", AmountPaise: -1_00_00_000_00},
				{At: at("2026-11-26"), Kind: "mystery", Memo: "", AmountPaise: 1},
			}},
		Name: "Ghulam Nabi Dar <script>alert(1)</script>", Code: "ART-0042", Language: lang, AsOf: civil.MustParse("2026-11-30"),
		Generated: time.Date(2026, 12, 1, 4, 30, 0, 0, time.UTC),
	}
}

func TestPages(t *testing.T) {
	tests := []struct {
		lang, pageLang, dir string
		want                []string
	}{
		{"en", "en", "ltr", []string{"Statement of account", "Sale: your earning", "30 Nov 2026", "Printed on", "1 Dec 2026 10:00 IST"}},
		{"hi", "hi", "ltr", []string{"खाता विवरण", "बिक्री: आपकी कमाई", "30 नवंबर 2026", "कारीगर"}},
		{"ur", "ur", "rtl", []string{"کھاتے کی تفصیل", "فروخت: آپ کی کمائی", "30 نومبر 2026", "کاریگر"}},
		{"ks", "ur", "rtl", []string{"کھاتے کی تفصیل"}}, // Kashmiri readers get the Urdu page
		{"fr", "en", "ltr", []string{"Statement of account"}},
		{"", "en", "ltr", []string{"Statement of account"}},
	}
	for _, tc := range tests {
		out, err := statements.HTML(sample(tc.lang))
		if err != nil {
			t.Fatal(err)
		}
		page := string(out)
		if !strings.Contains(page, `<html lang="`+tc.pageLang+`" dir="`+tc.dir+`">`) {
			t.Errorf("%s: the html element does not say lang=%s dir=%s", tc.lang, tc.pageLang, tc.dir)
		}
		for _, w := range append(tc.want, "₹1,80,000.00", "₹4,500.50", "₹1,00,00,000.00", "-₹1,00,00,000.00", "-₹5,000.00", "₹1,85,000.00", "₹0.01",
			"ART-0042", "FLIPKART OD432187654321 KANI-007", "@page { size: A4;") {
			if !strings.Contains(page, w) {
				t.Errorf("%s: the page lacks %q", tc.lang, w)
			}
		}
		if strings.Contains(page, "<script>") || !strings.Contains(page, "&lt;script&gt;") {
			t.Errorf("%s: the artisan's name is not escaped", tc.lang)
		}
		if regexp.MustCompile(`(?i)(https?:|\bsrc=|@import|url\(|//[a-z])`).MatchString(page) {
			t.Errorf("%s: the page reaches for another host or file", tc.lang)
		}
		if !strings.Contains(page, ">mystery<") {
			t.Errorf("%s: an unknown kind is not shown as it is", tc.lang)
		}
	}
	empty := sample("ur")
	empty.Statement.Lines = nil
	out, _ := statements.HTML(empty)
	if !strings.Contains(string(out), "ابھی کچھ نہیں۔") {
		t.Error("an empty Urdu statement does not say so")
	}
}

func TestEveryLedgerKindHasLabels(t *testing.T) {
	for _, lang := range []string{"en", "hi", "ur"} {
		v := statements.NewView(sample(lang))
		for _, kind := range []string{"settlement", "release", "payout", "payout_paid", "payout_failed", "clawback", "advance"} {
			if v.L.Kinds[kind] == "" {
				t.Errorf("%s: no words for %s", lang, kind)
			}
		}
	}
}
