package money

import "strings"

// GroupIndian writes a whole number with Indian digit grouping: the last
// three digits, then pairs (1,80,000; 12,34,56,789), as amounts are read in
// India. Negative numbers keep their sign in front.
func GroupIndian(n int64) string {
	sign := ""
	u := uint64(n)
	if n < 0 {
		sign, u = "-", uint64(-n) // -MinInt64 wraps to its own magnitude as uint64
	}
	digits := uitoa(u)
	if len(digits) <= 3 {
		return sign + digits
	}
	head, tail := digits[:len(digits)-3], digits[len(digits)-3:]
	var b strings.Builder
	b.WriteString(sign)
	if len(head)%2 == 1 {
		b.WriteString(head[:1])
		b.WriteByte(',')
		head = head[1:]
	}
	for i := 0; i < len(head); i += 2 {
		b.WriteString(head[i : i+2])
		b.WriteByte(',')
	}
	b.WriteString(tail)
	return b.String()
}

// FormatINR writes paise as rupees the way an Indian statement prints them:
// ₹1,80,000.00, -₹2,500.50, ₹1,00,00,000.00 (one crore).
func FormatINR(paise int64) string {
	sign, rupees, frac := split(paise)
	return sign + "₹" + rupees + "." + frac
}

// FormatRupees is FormatINR without the symbol, for text that names the
// currency in its own words ("Rs 1,80,000.00", "1,80,000.00 روپے").
func FormatRupees(paise int64) string {
	sign, rupees, frac := split(paise)
	return sign + rupees + "." + frac
}

// FormatRupeesShort drops ".00" from whole rupees (1,80,000 but 1,80,000.50):
// shorter for an SMS an artisan reads on a basic phone.
func FormatRupeesShort(paise int64) string {
	sign, rupees, frac := split(paise)
	if frac == "00" {
		return sign + rupees
	}
	return sign + rupees + "." + frac
}

func split(paise int64) (sign, rupees, frac string) {
	u := uint64(paise)
	if paise < 0 {
		sign, u = "-", uint64(-paise)
	}
	f := u % 100
	return sign, groupUnsigned(u / 100), string([]byte{byte('0' + f/10), byte('0' + f%10)})
}

func groupUnsigned(u uint64) string {
	if u <= 1<<63-1 {
		return GroupIndian(int64(u))
	}
	return uitoa(u) // beyond int64: never an amount, but never wrong either
}

func uitoa(u uint64) string {
	if u == 0 {
		return "0"
	}
	var buf [20]byte
	i := len(buf)
	for u > 0 {
		i--
		buf[i] = byte('0' + u%10)
		u /= 10
	}
	return string(buf[i:])
}
