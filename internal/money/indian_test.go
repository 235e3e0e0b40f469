package money

import (
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
)

func TestGroupIndian(t *testing.T) {
	for _, tc := range []struct {
		in   int64
		want string
	}{
		{0, "0"}, {7, "7"}, {999, "999"}, {1000, "1,000"}, {9999, "9,999"}, {10000, "10,000"},
		{99999, "99,999"}, {100000, "1,00,000"}, {180000, "1,80,000"}, {1234567, "12,34,567"},
		{10000000, "1,00,00,000"}, {123456789, "12,34,56,789"}, {1000000000, "1,00,00,00,000"},
		{-1, "-1"}, {-1000, "-1,000"}, {-180000, "-1,80,000"}, {-10000000, "-1,00,00,000"},
		{math.MaxInt64, "92,23,37,20,36,85,47,75,807"}, {math.MinInt64, "-92,23,37,20,36,85,47,75,808"},
	} {
		if got := GroupIndian(tc.in); got != tc.want {
			t.Errorf("GroupIndian(%d) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestFormatINR(t *testing.T) {
	for _, tc := range []struct {
		paise          int64
		inr, rs, short string
	}{
		{0, "₹0.00", "0.00", "0"},
		{5, "₹0.05", "0.05", "0.05"},
		{99, "₹0.99", "0.99", "0.99"},
		{100, "₹1.00", "1.00", "1"},
		{1_80_000_00, "₹1,80,000.00", "1,80,000.00", "1,80,000"},
		{1_80_000_50, "₹1,80,000.50", "1,80,000.50", "1,80,000.50"},
		{99_999_99, "₹99,999.99", "99,999.99", "99,999.99"},
		{1_00_00_000_00, "₹1,00,00,000.00", "1,00,00,000.00", "1,00,00,000"}, // one crore
		{12_34_56_789_01, "₹12,34,56,789.01", "12,34,56,789.01", "12,34,56,789.01"},
		{MaxLinePaise, "₹1,00,00,00,00,000.00", "1,00,00,00,00,000.00", "1,00,00,00,00,000"}, // ten thousand crore
		{-1, "-₹0.01", "-0.01", "-0.01"},
		{-2_500_50, "-₹2,500.50", "-2,500.50", "-2,500.50"},
		{-1_00_00_000_00, "-₹1,00,00,000.00", "-1,00,00,000.00", "-1,00,00,000"},
		{math.MinInt64, "-₹92,23,37,20,36,85,47,758.08", "-92,23,37,20,36,85,47,758.08", "-92,23,37,20,36,85,47,758.08"},
	} {
		if got := FormatINR(tc.paise); got != tc.inr {
			t.Errorf("FormatINR(%d) = %q, want %q", tc.paise, got, tc.inr)
		}
		if got := FormatRupees(tc.paise); got != tc.rs {
			t.Errorf("FormatRupees(%d) = %q, want %q", tc.paise, got, tc.rs)
		}
		if got := FormatRupeesShort(tc.paise); got != tc.short {
			t.Errorf("FormatRupeesShort(%d) = %q, want %q", tc.paise, got, tc.short)
		}
	}
}

// Removing the separators and the symbol gives back Format's plain rupees,
// and the groups are 3 then 2s, for any amount.
func TestFormatINRAgreesWithFormat(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 13))
	for i := 0; i < 50_000; i++ {
		v := r.Int64N(2*MaxLinePaise+1) - MaxLinePaise
		got := FormatINR(v)
		plain := strings.ReplaceAll(strings.Replace(got, "₹", "", 1), ",", "")
		if plain != Format(v) {
			t.Fatalf("FormatINR(%d) = %q, but Format gives %q", v, got, Format(v))
		}
		whole := strings.TrimPrefix(strings.SplitN(strings.Replace(got, "₹", "", 1), ".", 2)[0], "-")
		groups := strings.Split(whole, ",")
		for j, g := range groups {
			want := 2
			if j == len(groups)-1 && len(groups) > 1 {
				want = 3
			}
			if len(groups) == 1 || (j == 0 && len(g) <= want) {
				continue
			}
			if len(g) != want {
				t.Fatalf("FormatINR(%d) = %q: group %q", v, got, g)
			}
		}
		if _, err := strconv.ParseInt(strings.Join(groups, ""), 10, 64); err != nil {
			t.Fatalf("FormatINR(%d) = %q: %v", v, got, err)
		}
	}
}
