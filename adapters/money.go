package adapters

import (
	"fmt"
	"strconv"
	"strings"
)

// FormatRupees renders paise as rupees with exactly two decimals
// (199950 -> "1999.50") by integer arithmetic: marketplaces that take
// decimal rupees get the exact amount, never a float's approximation.
func FormatRupees(paise int64) string {
	sign := ""
	if paise < 0 {
		sign, paise = "-", -paise
	}
	return fmt.Sprintf("%s%d.%02d", sign, paise/100, paise%100)
}

// ParseRupees reads a decimal rupee amount ("1999.5", "1999.50", "12") as
// paise without floating point; more than two decimals, exponents,
// separators or amounts beyond 2^53 paise are errors.
func ParseRupees(s string) (int64, error) {
	s = strings.TrimSpace(s)
	whole, frac, _ := strings.Cut(s, ".")
	neg := strings.HasPrefix(whole, "-")
	whole = strings.TrimPrefix(whole, "-")
	if whole == "" || len(frac) > 2 || !digits(whole) || (frac != "" && !digits(frac)) {
		return 0, fmt.Errorf("%q is not an amount in rupees", s)
	}
	frac += strings.Repeat("0", 2-len(frac))
	w, err := strconv.ParseInt(whole, 10, 64)
	if err != nil || w > 1<<53/100 {
		return 0, fmt.Errorf("%q is not an amount in rupees", s)
	}
	f, _ := strconv.ParseInt(frac, 10, 64)
	v := w*100 + f
	if neg {
		v = -v
	}
	return v, nil
}

func digits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}
