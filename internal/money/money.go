// Package money holds what every layer agrees on about amounts: integer
// paise, the upper bounds every adapter can represent exactly, and the one
// reader and writer of decimal rupee strings. A domain package, so that the
// API, the finance rules and the marketplace adapters share it.
package money

import (
	"fmt"
	"strconv"
	"strings"
)

// Upper bounds. Every marketplace takes amounts as decimal rupees (Flipkart
// and Amazon JSON numbers or strings, GeM workbook cells) and some read them
// as IEEE doubles, which hold integers exactly only up to 2^53; the bounds
// keep every amount and every line total far inside that, and far above any
// piece the corporation sells (its dearest carpets cost a few lakh rupees).
const (
	// MaxPricePaise bounds one unit's price, MRP or agreed artisan price:
	// ₹1,00,00,000 (one crore).
	MaxPricePaise int64 = 1_000_000_000
	// MaxQuantity bounds the units of one order line, movement or sale.
	MaxQuantity int64 = 10_000
	// MaxLinePaise bounds price × quantity (₹1,00,00,00,00,000): 10^13 paise,
	// about a thousandth of 2^53.
	MaxLinePaise = MaxPricePaise * MaxQuantity
	// MaxAdvancePaise bounds one advance to an artisan: ₹10,00,000 (ten lakh).
	MaxAdvancePaise int64 = 100_000_000
)

// PriceOK reports whether p is a unit price within bounds (0 allowed).
func PriceOK(p int64) bool { return p >= 0 && p <= MaxPricePaise }

// QuantityOK reports whether q is a quantity within bounds (at least 1).
func QuantityOK(q int64) bool { return q >= 1 && q <= MaxQuantity }

// Format renders paise as rupees with exactly two decimals (199950 ->
// "1999.50") by integer arithmetic: a marketplace that takes decimal rupees
// gets the exact amount, never a float's approximation.
func Format(paise int64) string {
	sign := ""
	u := uint64(paise)
	if paise < 0 {
		sign, u = "-", uint64(-paise)
	}
	return fmt.Sprintf("%s%d.%02d", sign, u/100, u%100)
}

// Parse reads a decimal rupee amount as a marketplace API sends it
// ("1999.5", "1999.50", "12", "-3.00") as paise without floating point.
// More than two decimals, exponents, separators or amounts beyond 2^53 paise
// are errors.
func Parse(s string) (int64, error) {
	s = strings.TrimSpace(s)
	whole, frac, _ := strings.Cut(s, ".")
	neg := strings.HasPrefix(whole, "-")
	whole = strings.TrimPrefix(whole, "-")
	if whole == "" || len(frac) > 2 || !digits(whole) || (frac != "" && !digits(frac)) || len(whole) > 16 {
		return 0, fmt.Errorf("%q is not an amount in rupees", s)
	}
	frac += strings.Repeat("0", 2-len(frac))
	w, err := strconv.ParseInt(whole, 10, 64)
	if err != nil || w > 1<<53/100 {
		return 0, fmt.Errorf("%q is not an amount in rupees", s)
	}
	f, _ := strconv.ParseInt(frac, 10, 64)
	v := w*100 + f
	if v > 1<<53 {
		return 0, fmt.Errorf("%q is beyond any amount a marketplace sends", s)
	}
	if neg {
		v = -v
	}
	return v, nil
}

// ParseSheet reads a non-negative amount as people write it in a sheet
// ("1234.5", "1,234.50", "₹1234"); signs and anything else are refused.
func ParseSheet(s string) (int64, error) {
	s = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(s), "₹"))
	s = strings.ReplaceAll(s, ",", "")
	if s == "" {
		return 0, fmt.Errorf("is empty")
	}
	if strings.HasPrefix(s, "-") || strings.HasPrefix(s, "+") {
		return 0, fmt.Errorf("%q is not an amount in rupees", s)
	}
	return Parse(s)
}

func digits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}
