package finance_test

import (
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/jkhhc/artisanbridge/internal/apperr"
	"github.com/jkhhc/artisanbridge/internal/civil"
	"github.com/jkhhc/artisanbridge/internal/finance"
)

// TestSplitsSumExactly is the finance issue's property: a million random
// splits and allocations hand out every paisa, no more, deterministically.
func TestSplitsSumExactly(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 1_000_000; i++ {
		total := rng.Int64N(2_000_000_000_00) - 1_000_000_000_00
		n := 1 + rng.IntN(7)
		weights := make([]int64, n)
		for j := range weights {
			weights[j] = rng.Int64N(100_000)
		}
		weights[rng.IntN(n)]++ // at least one positive weight
		parts, err := finance.Allocate(total, weights)
		if err != nil {
			t.Fatal(err)
		}
		var sum int64
		for _, p := range parts {
			sum += p
		}
		if sum != total {
			t.Fatalf("Allocate(%d, %v) = %v sums to %d", total, weights, parts, sum)
		}
		if i%1000 == 0 {
			again, _ := finance.Allocate(total, weights)
			for j := range parts {
				if again[j] != parts[j] {
					t.Fatalf("Allocate is not deterministic: %v then %v", parts, again)
				}
			}
		}
	}
	got, _ := finance.Split(100, 3)
	if got[0] != 34 || got[1] != 33 || got[2] != 33 {
		t.Fatalf("Split(100, 3) = %v, want 34 33 33", got)
	}
	if _, err := finance.Allocate(100, []int64{0, 0}); err == nil {
		t.Fatal("allocated to weights summing to zero")
	}
}

func TestBasisPoints(t *testing.T) {
	for _, tc := range []struct{ amount, bp, want int64 }{
		{10000, 50, 50}, {199, 50, 1}, {99, 50, 0}, {100, 50, 1}, {-100, 50, -1}, {4_50_000, 1800, 81_000},
	} {
		if got := finance.BasisPoints(tc.amount, tc.bp); got != tc.want {
			t.Errorf("BasisPoints(%d, %d) = %d, want %d", tc.amount, tc.bp, got, tc.want)
		}
	}
}

// TestExpected checks fees, GST on fees and the tax rates around the dates
// they changed.
func TestExpected(t *testing.T) {
	s := finance.FeeSchedule{CommissionBP: 800, CollectionFeeBP: 200, ShippingFeePaise: 5000,
		FixedFeeSlabs: []finance.Slab{{UpToPaise: 100000, FeePaise: 1000}, {UpToPaise: 0, FeePaise: 2000}}}
	ordered := time.Date(2026, 11, 1, 10, 0, 0, 0, finance.IST)
	c := finance.Expected(s, 4_50_000, 500, ordered, time.Date(2026, 11, 20, 0, 0, 0, 0, finance.IST))
	// taxable 428571 (4,50,000 less 5% GST); TCS 0.5% 2143; TDS 0.1% 429
	want := finance.Components{GrossPaise: 450000, CommissionPaise: 36000, FixedFeePaise: 2000, CollectionFeePaise: 9000, ShippingFeePaise: 5000,
		GSTOnFeesPaise: 9360, TCSPaise: 2143, TDSPaise: 429}
	want.NetPaise = 450000 - 36000 - 2000 - 9000 - 5000 - 9360 - 2143 - 429
	if c != want {
		t.Fatalf("Expected = %+v\nwant      %+v", c, want)
	}
	old := finance.Expected(s, 4_50_000, 500, ordered, time.Date(2024, 7, 9, 12, 0, 0, 0, finance.IST))
	if old.TCSPaise != 4286 || old.TDSPaise != 4286 {
		t.Fatalf("rates before July 2024: TCS %d TDS %d, want 1%% each", old.TCSPaise, old.TDSPaise)
	}
	waived := s
	until := civil.Of(ordered).AddDays(1) // orders placed before this day
	waived.CommissionWaivedUntil = &until
	if w := finance.Expected(waived, 4_50_000, 500, ordered, ordered); w.CommissionPaise != 0 {
		t.Fatalf("commission during a waiver: %d", w.CommissionPaise)
	}
	cheap := finance.Expected(s, 50_000, 500, ordered, ordered)
	if cheap.FixedFeePaise != 1000 {
		t.Fatalf("fixed fee for a ₹500 sale: %d", cheap.FixedFeePaise)
	}
}

func TestPick(t *testing.T) {
	d0, d1 := civil.New(2026, 1, 1), civil.New(2026, 7, 1)
	t0, t1 := d0.Start(), d1.Start()
	all := finance.FeeSchedule{ID: "all", EffectiveFrom: d0}
	allLater := finance.FeeSchedule{ID: "all-later", EffectiveFrom: d1}
	shawls := finance.FeeSchedule{ID: "shawls", Category: "kani_shawl", EffectiveFrom: d0, EffectiveTo: &d1}
	list := []finance.FeeSchedule{all, allLater, shawls}
	for _, tc := range []struct {
		craft string
		at    time.Time
		want  string
	}{
		{"kani_shawl", t0.AddDate(0, 1, 0), "shawls"}, {"namda", t0.AddDate(0, 1, 0), "all"},
		{"kani_shawl", t1.AddDate(0, 1, 0), "all-later"}, {"namda", t0.AddDate(-1, 0, 0), ""},
		// a day starts in India: half past midnight IST on 1 July is the new schedule's
		{"kani_shawl", t1.Add(30 * time.Minute), "all-later"}, {"kani_shawl", t1.Add(-time.Minute), "shawls"},
	} {
		got, ok := finance.Pick(list, tc.craft, tc.at)
		if (tc.want == "") == ok || (ok && got.ID != tc.want) {
			t.Errorf("Pick(%s, %v) = %s %v, want %q", tc.craft, tc.at, got.ID, ok, tc.want)
		}
	}
}

func TestEntryValidate(t *testing.T) {
	ok := finance.Entry{SourceRef: "x", Postings: []finance.Posting{{Account: "a", AmountPaise: 5}, {Account: "b", AmountPaise: -5}}}
	if err := ok.Validate(); err != nil {
		t.Fatal(err)
	}
	for name, e := range map[string]finance.Entry{
		"unbalanced":  {SourceRef: "x", Postings: []finance.Posting{{Account: "a", AmountPaise: 5}, {Account: "b", AmountPaise: -4}}},
		"one posting": {SourceRef: "x", Postings: []finance.Posting{{Account: "a", AmountPaise: 0}}},
		"zero":        {SourceRef: "x", Postings: []finance.Posting{{Account: "a", AmountPaise: 0}, {Account: "b", AmountPaise: 0}}},
		"no source":   {Postings: ok.Postings},
	} {
		if err := e.Validate(); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

const header = "Settlement Ref No,Settlement Date,Order ID,Order Item ID,Sale Amount (Rs.),Commission (Rs.),Fixed Fee (Rs.),Collection Fee (Rs.),Shipping Fee (Rs.),GST on Fees (Rs.),TCS (Rs.),TDS (Rs.),Bank Settlement Value (Rs.)\n"

func TestParseSettlementFile(t *testing.T) {
	good := header + "NEFT-1,2026-11-20,OD1,401,4500.00,360.00,20.00,90.00,50.00,93.60,21.43,4.29,3860.68\n"
	lines, err := finance.ParseSettlementFile([]byte(good))
	if err != nil || len(lines) != 1 || lines[0].Paid.NetPaise != 386068 || lines[0].Paid.Fees() != 52000 || lines[0].Row != 2 {
		t.Fatalf("%+v %v", lines, err)
	}
	// Columns in another order, other case and spacing.
	shuffled := "bank settlement value (rs.),ORDER ID,order item id,Settlement  Ref No,settlement date,sale amount (rs.),commission (rs.),fixed fee (rs.),collection fee (rs.),shipping fee (rs.),gst on fees (rs.),tcs (rs.),tds (rs.)\n" +
		"3860.68,OD1,401,NEFT-1,2026-11-20,4500,360,20,90,50,93.6,21.43,4.29\n"
	if l2, err := finance.ParseSettlementFile([]byte(shuffled)); err != nil || l2[0].Paid != lines[0].Paid {
		t.Fatalf("by header names: %+v %v", l2, err)
	}
	for name, body := range map[string]string{
		"missing column":  strings.Replace(header, ",TDS (Rs.)", "", 1) + "x\n",
		"does not add up": header + "NEFT-1,2026-11-20,OD1,401,4500.00,360.00,20.00,90.00,50.00,93.60,21.43,4.29,3900.00\n",
		"bad amount":      header + "NEFT-1,2026-11-20,OD1,401,45OO,360.00,20.00,90.00,50.00,93.60,21.43,4.29,3860.68\n",
		"three decimals":  header + "NEFT-1,2026-11-20,OD1,401,4500.001,360.00,20.00,90.00,50.00,93.60,21.43,4.29,3860.68\n",
		"bad date":        header + "NEFT-1,20/11/2026,OD1,401,4500.00,360.00,20.00,90.00,50.00,93.60,21.43,4.29,3860.68\n",
		"repeated row":    good + "NEFT-1,2026-11-20,OD1,401,4500.00,360.00,20.00,90.00,50.00,93.60,21.43,4.29,3860.68\n",
		"no rows":         header,
		"one bad of two":  good + "NEFT-1,2026-11-20,,402,4500.00,360.00,20.00,90.00,50.00,93.60,21.43,4.29,3860.68\n",
	} {
		_, err := finance.ParseSettlementFile([]byte(body))
		if !apperr.Is(err, apperr.Unprocessable) {
			t.Errorf("%s: %v", name, err)
		}
	}
	_, err = finance.ParseSettlementFile([]byte(good + "NEFT-1,2026-11-20,,402,4500.00,360.00,20.00,90.00,50.00,93.60,21.43,4.29,3860.68\n"))
	if !strings.Contains(err.Error(), "row 3") {
		t.Errorf("the bad row is not named: %v", err)
	}
}

// FuzzParseSettlementFile: any file is refused with an error or read into
// lines that add up; never a panic.
func FuzzParseSettlementFile(f *testing.F) {
	f.Add([]byte(header + "NEFT-1,2026-11-20,OD1,401,4500.00,360.00,20.00,90.00,50.00,93.60,21.43,4.29,3860.68\n"))
	f.Add([]byte(header + "NEFT-1,2026-11-20,OD1,401,99999999999999,0,0,0,0,0,0,0,99999999999999\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		lines, err := finance.ParseSettlementFile(data)
		if err != nil {
			return
		}
		for _, l := range lines {
			p := l.Paid
			if p.NetPaise != p.GrossPaise-p.Fees()-p.GSTOnFeesPaise-p.TCSPaise-p.TDSPaise || p.GrossPaise <= 0 {
				t.Fatalf("accepted a line that does not add up: %+v", l)
			}
		}
	})
}

// FuzzParseBankResults: the bank's answer is untrusted; it is refused or
// read into rows that each have a reference, and a UTR when paid.
func FuzzParseBankResults(f *testing.F) {
	f.Add([]byte("Reference,UTR,Status,Reason\nJK0001,SBIN326000001,paid,\nJK0002,,failed,account closed\n"))
	f.Add([]byte("reference,utr,status\nJK1,,paid\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		rows, err := finance.ParseBankResults(data)
		if err != nil {
			return
		}
		for _, r := range rows {
			if r.Reference == "" || (r.Paid && r.UTR == "") {
				t.Fatalf("accepted %+v", r)
			}
		}
	})
}

// FuzzParseGeMPayments: GeM's payment records are refused or read into
// rows that add up; never a panic.
func FuzzParseGeMPayments(f *testing.F) {
	f.Add([]byte("Contract No,Invoice No,CRAC Date,Payment Date,Invoice Amount (Rs.),Transaction Charges (Rs.),TDS (Rs.),TCS (Rs.),Amount Paid (Rs.)\n" +
		"GEMC-1,INV-1,2026-11-01,2026-11-20,3000.00,0.01,3.00,15.00,2981.99\nGEMC-2,INV-2,2026-11-01,,5000.00,,,,\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		rows, err := finance.ParseGeMPayments(data)
		if err != nil {
			return
		}
		for _, r := range rows {
			p := r.Paid
			if r.PaymentDate != nil && p.NetPaise != p.GrossPaise-p.Fees()-p.TCSPaise-p.TDSPaise {
				t.Fatalf("accepted a row that does not add up: %+v", r)
			}
		}
	})
}

// TestSharedEarning: a piece made by several makers splits its earning by
// weight, every paisa handed out, and the settlement entry still balances.
func TestSharedEarning(t *testing.T) {
	price := int64(1000)
	m := finance.Match{ArtisanID: "a", Quantity: 1, ArtisanPricePaise: &price,
		Shares: []finance.Share{{ArtisanID: "a", Weight: 3}, {ArtisanID: "b", Weight: 2}, {ArtisanID: "c", Weight: 2}}}
	got := m.Earnings(finance.Components{})
	if len(got) != 3 || got[0].AmountPaise != 428 || got[1].AmountPaise != 286 || got[2].AmountPaise != 286 {
		t.Fatalf("earnings %+v", got)
	}
	l := finance.SettlementLine{SettlementRef: "S", SettledOn: time.Now(), ExternalOrderID: "O", ExternalLineID: "1",
		Paid: finance.Components{GrossPaise: 5000, CommissionPaise: 400, NetPaise: 4600}}
	e := finance.SettlementEntry("CH", l, m)
	if err := e.Validate(); err != nil {
		t.Fatal(err)
	}
	held := 0
	for _, p := range e.Postings {
		if strings.HasPrefix(p.Account, "artisan_held:") {
			held++
		}
	}
	if held != 3 {
		t.Fatalf("%d held postings, want one per maker: %+v", held, e.Postings)
	}
}
