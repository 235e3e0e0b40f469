package exceptions

import (
	"strings"
	"testing"
	"time"
)

func TestGuide(t *testing.T) {
	for _, tc := range []struct {
		name        string
		marketplace string
		in          []Refusal
		want        []string // each must appear
		not         string
	}{
		{"Amazon required attribute", "Amazon", []Refusal{{Code: "90220", Attribute: "hsn_code", Message: "'hsn_code' is required but not supplied."}},
			[]string{"Amazon needs the HSN code (hsn_code)"}, "90220"},
		{"Amazon invalid price", "Amazon", []Refusal{{Code: "4000001", Attribute: "purchasable_offer", Message: "The offer price may not exceed the list price (MRP)."}},
			[]string{"the selling price (price_paise)", "never above the MRP"}, ""},
		{"Amazon ASIN conflict", "Amazon", []Refusal{{Code: "8541"}}, []string{"ASIN on the listing is this very piece"}, ""},
		{"Flipkart attribute error", "Flipkart", []Refusal{{Code: "1004", Attribute: "hsn", Message: "hsn is mandatory"}}, []string{"hsn_code on the product"}, ""},
		{"Flipkart FSN", "Flipkart", []Refusal{{Code: "1002", Attribute: "product_id"}}, []string{"record the FSN"}, ""},
		{"our own check", "Flipkart", []Refusal{{Code: "whole_rupees", Attribute: "price_paise"}}, []string{"change the selling price (price_paise) to a price without paise"}, ""},
		{"unknown code with an attribute", "Amazon", []Refusal{{Code: "123", Attribute: "wool_type", Message: "not allowed"}},
			[]string{"Amazon refused the wool type (not allowed)"}, ""},
		{"unknown code without one", "Flipkart", []Refusal{{Code: "77", Message: "Seller tier does not allow this."}},
			[]string{"Flipkart said: Seller tier does not allow this."}, ""},
		{"repeats said once", "Flipkart", []Refusal{{Code: "1003"}, {Code: "1003"}}, []string{"cannot accept the price"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := Guide(tc.marketplace, tc.in)
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Errorf("guide %q lacks %q", got, w)
				}
			}
			if tc.not != "" && strings.Contains(got, tc.not) {
				t.Errorf("guide %q shows the code %q to staff", got, tc.not)
			}
			if strings.Count(got, "cannot accept the price") > 1 {
				t.Errorf("repeated: %q", got)
			}
		})
	}
}

func TestMayWork(t *testing.T) {
	for _, tc := range []struct {
		role, kind string
		want       bool
	}{
		{"finance", SettlementMismatch, true},
		{"operations", SettlementMismatch, false},
		{"admin", SettlementMismatch, true},
		{"showroom", SettlementMismatch, false},
		{"finance", StockDrift, false},
		{"operations", StockDrift, true},
		{"operations", MissedOrder, true},
		{"admin", ListingRejected, true},
		{"showroom", ListingRejected, false},
	} {
		if got := MayWork(tc.role, tc.kind); got != tc.want {
			t.Errorf("MayWork(%s, %s) = %v", tc.role, tc.kind, got)
		}
	}
	for _, k := range Kinds {
		if !MayWork("admin", k) || MayWork("finance", k) == MayWork("operations", k) {
			t.Errorf("kind %s must be worked by exactly one of finance and operations, and by admin", k)
		}
	}
}

func TestOlderThan(t *testing.T) {
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		in   string
		want time.Time
		bad  bool
	}{
		{"3d", now.Add(-72 * time.Hour), false},
		{"36h", now.Add(-36 * time.Hour), false},
		{"0d", now, false},
		{"-1h", time.Time{}, true},
		{"soon", time.Time{}, true},
		{"xd", time.Time{}, true},
	} {
		got, err := OlderThan(tc.in, now)
		if tc.bad != (err != nil) || (!tc.bad && !got.Equal(tc.want)) {
			t.Errorf("OlderThan(%q) = %v, %v", tc.in, got, err)
		}
	}
	if got, err := OlderThan("", now); got != nil || err != nil {
		t.Errorf("absent: %v %v", got, err)
	}
}
