package money

import (
	"math/rand/v2"
	"testing"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
		ok   bool
	}{
		{"1999.5", 199950, true}, {"1999.50", 199950, true}, {"12", 1200, true}, {"-3.00", -300, true}, {"0.07", 7, true},
		{"1.234", 0, false}, {"1e5", 0, false}, {"1,000", 0, false}, {"", 0, false}, {".5", 0, false}, {"abc", 0, false},
		{"90071992547409.93", 0, false}, {"99999999999999999999", 0, false},
	} {
		got, err := Parse(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("Parse(%q) = %d, %v; want %d ok=%v", tc.in, got, err, tc.want, tc.ok)
		}
	}
}

func TestParseSheet(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
		ok   bool
	}{
		{"1,234.50", 123450, true}, {"₹1234", 123400, true}, {" ₹ 5 ", 500, true},
		{"-5", 0, false}, {"+5", 0, false}, {"", 0, false}, {"₹", 0, false},
	} {
		got, err := ParseSheet(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("ParseSheet(%q) = %d, %v; want %d ok=%v", tc.in, got, err, tc.want, tc.ok)
		}
	}
}

// Every amount within the line bound survives a round trip exactly.
func TestFormatParseRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 100_000; i++ {
		v := r.Int64N(2*MaxLinePaise+1) - MaxLinePaise
		got, err := Parse(Format(v))
		if err != nil || got != v {
			t.Fatalf("Parse(Format(%d)) = %d, %v", v, got, err)
		}
	}
}

func TestBounds(t *testing.T) {
	if MaxLinePaise >= 1<<53 {
		t.Fatalf("MaxLinePaise %d is beyond what a double holds exactly", MaxLinePaise)
	}
	for _, tc := range []struct {
		p  int64
		ok bool
	}{{0, true}, {MaxPricePaise, true}, {MaxPricePaise + 1, false}, {-1, false}} {
		if PriceOK(tc.p) != tc.ok {
			t.Errorf("PriceOK(%d) != %v", tc.p, tc.ok)
		}
	}
	for _, tc := range []struct {
		q  int64
		ok bool
	}{{1, true}, {MaxQuantity, true}, {0, false}, {MaxQuantity + 1, false}} {
		if QuantityOK(tc.q) != tc.ok {
			t.Errorf("QuantityOK(%d) != %v", tc.q, tc.ok)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"1999.50", "-1", "0.5", "1e9", "₹1,000"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := Parse(s)
		if err != nil {
			return
		}
		back, err := Parse(Format(v))
		if err != nil || back != v {
			t.Fatalf("%q -> %d -> %q -> %d, %v", s, v, Format(v), back, err)
		}
	})
}
