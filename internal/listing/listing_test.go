package listing

import "testing"

func TestDesired(t *testing.T) {
	ptr := func(v int64) *int64 { return &v }
	stock := []LocationStock{{"A", 5, 1}, {"B", 2, 0}, {"C", 1, 3}} // C is over-reserved: counts 0
	tests := []struct {
		name  string
		l     Listing
		total int64
		parts []int64
	}{
		{"all", Listing{Enabled: true}, 6, []int64{4, 2, 0}},
		{"buffer from the biggest", Listing{Enabled: true, Buffer: 3}, 3, []int64{1, 2, 0}},
		{"buffer above stock", Listing{Enabled: true, Buffer: 10}, 0, []int64{0, 0, 0}},
		{"max qty", Listing{Enabled: true, MaxQty: ptr(1)}, 1, []int64{0, 1, 0}},
		{"paused", Listing{Enabled: false}, 0, []int64{0, 0, 0}},
	}
	for _, tc := range tests {
		o := Desired(tc.l, Terms{PricePaise: 100, MRPPaise: 200}, stock)
		var sum int64
		for i, p := range o.ByLocation {
			sum += p.Quantity
			if p.Quantity != tc.parts[i] {
				t.Errorf("%s: location %d gets %d, want %d", tc.name, i, p.Quantity, tc.parts[i])
			}
		}
		if o.Quantity != tc.total || sum != o.Quantity {
			t.Errorf("%s: total %d (parts sum %d), want %d", tc.name, o.Quantity, sum, tc.total)
		}
	}
	if o := Desired(Listing{Enabled: true, PricePaise: ptr(150)}, Terms{PricePaise: 100, MRPPaise: 200}, nil); o.PricePaise != 150 || o.MRPPaise != 200 || o.Quantity != 0 {
		t.Errorf("price override: %+v", o)
	}
	one := []LocationStock{{"A", 1, 0}}
	other, mine := "other-channel", "this-channel"
	for _, tc := range []struct {
		to   *string
		want int64
	}{{nil, 1}, {&mine, 1}, {&other, 0}} {
		o := Desired(Listing{Enabled: true, ChannelID: mine}, Terms{PricePaise: 1, MRPPaise: 1, OneOfAKind: true, AllocatedChannelID: tc.to}, one)
		if o.Quantity != tc.want {
			t.Errorf("one of a kind allocated to %v: %d, want %d", tc.to, o.Quantity, tc.want)
		}
	}
}
