package catalog

import "testing"

func TestValidators(t *testing.T) {
	tests := []struct {
		name string
		fn   func(string) bool
		in   string
		want bool
	}{
		{"ifsc ok", ValidIFSC, "JAKA0SRNGAR", true},
		{"ifsc digits after 0", ValidIFSC, "SBIN0004321", true},
		{"ifsc fifth not 0", ValidIFSC, "SBIN1004321", false},
		{"ifsc lower", ValidIFSC, "sbin0004321", false},
		{"ifsc short", ValidIFSC, "SBIN000432", false},
		{"hsn 4", ValidHSN, "4823", true},
		{"hsn 6", ValidHSN, "621420", true},
		{"hsn 8", ValidHSN, "57019010", true},
		{"hsn 5", ValidHSN, "57019", false},
		{"hsn 7", ValidHSN, "5701901", false},
		{"hsn letters", ValidHSN, "57O1", false},
		{"sku ok", ValidSKU, "KANI-2026.001_a", true},
		{"sku space", ValidSKU, "KANI 1", false},
		{"sku leading dash", ValidSKU, "-KANI", false},
		{"sku too long", ValidSKU, "A234567890123456789012345678901234567890123456789012345678901234X", false},
	}
	for _, tc := range tests {
		if got := tc.fn(tc.in); got != tc.want {
			t.Errorf("%s: %q -> %v", tc.name, tc.in, got)
		}
	}
}

func TestNormalizeMobile(t *testing.T) {
	tests := []struct{ in, want string }{
		{"9419012345", "+919419012345"},
		{"+91 94190 12345", "+919419012345"},
		{"919419012345", "+919419012345"},
		{"09419012345", "+919419012345"},
		{"94190-12345", "+919419012345"},
		{"5419012345", ""}, // mobiles start 6-9
		{"0194245234", ""}, // a landline
		{"+1 4155550100", ""},
		{"94190123456", ""},
	}
	for _, tc := range tests {
		got, ok := NormalizeMobile(tc.in)
		if got != tc.want || ok != (tc.want != "") {
			t.Errorf("NormalizeMobile(%q) = %q %v", tc.in, got, ok)
		}
	}
}

func TestLegalGSTRates(t *testing.T) {
	for bp, want := range map[int64]bool{0: true, 500: true, 300: true, 1800: true, 4000: true, 700: false, 5: false, 10000: false} {
		if LegalGSTRate(bp) != want {
			t.Errorf("LegalGSTRate(%d) != %v", bp, want)
		}
	}
}

func TestCraftsExtend(t *testing.T) {
	c, err := NewCrafts("pottery", " ", "namda")
	if err != nil || !c.Known("pottery") || !c.Known("kani_shawl") || len(c.Names()) != len(DefaultCrafts)+1 {
		t.Fatalf("extend: %v %v", c.Names(), err)
	}
	if _, err := NewCrafts("Bad Craft"); err == nil {
		t.Fatal("a malformed craft name was accepted")
	}
}
