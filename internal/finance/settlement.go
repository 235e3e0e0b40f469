package finance

import (
	"fmt"
	"strings"
	"time"

	"github.com/jkhhc/artisanbridge/internal/apperr"
	"github.com/jkhhc/artisanbridge/internal/money"
)

// SettlementLine is one order line a marketplace says it settled, with
// what it kept and what it paid, normalised from its file.
type SettlementLine struct {
	Row             int        `json:"row"`
	SettlementRef   string     `json:"settlement_ref"`
	SettledOn       time.Time  `json:"settled_on"`
	ExternalOrderID string     `json:"external_order_id"`
	ExternalLineID  string     `json:"external_line_id"`
	Paid            Components `json:"paid"`
}

// Settlement statuses (the finance issue): settled as expected, paid less
// than expected, or matched to no order line.
const (
	StatusSettled   = "settled"
	StatusShortPaid = "short_paid"
	StatusUnmatched = "unmatched"
	// StatusUnchecked: matched and posted, but no fee schedule covers the
	// line, so what the marketplace kept could not be checked.
	StatusUnchecked = "unchecked"
)

// SettlementColumns are the Flipkart settlement report's columns we read,
// by header name (any order; spaces, case and the "(Rs.)" suffix do not
// matter). Amounts are rupees with up to two decimals.
var SettlementColumns = []string{"Settlement Ref No", "Settlement Date", "Order ID", "Order Item ID", "Sale Amount (Rs.)",
	"Commission (Rs.)", "Fixed Fee (Rs.)", "Collection Fee (Rs.)", "Shipping Fee (Rs.)", "GST on Fees (Rs.)", "TCS (Rs.)",
	"TDS (Rs.)", "Bank Settlement Value (Rs.)"}

// MaxSettlementRows bounds one file.
const MaxSettlementRows = 50_000

// ParseSettlementFile reads a Flipkart settlement report (CSV or XLSX) by
// its header names. Every row must be complete and add up (sale less
// fees, GST and taxes is what the bank got); a file with any bad row is
// refused whole, every bad row named, so nothing is half-imported.
func ParseSettlementFile(data []byte) ([]SettlementLine, error) {
	t, err := readTable(data, MaxSettlementRows, SettlementColumns)
	if err != nil {
		return nil, err
	}
	fe := apperr.FieldErrors{}
	var out []SettlementLine
	seen := map[string]int{}
	for _, r := range t.rows {
		row := r.line
		get := func(c string) string { return t.get(r, c) }
		var problems []string
		money := func(c string) int64 {
			p, err := money.ParseSheet(get(c))
			if err != nil {
				problems = append(problems, fmt.Sprintf("%s: %v", c, err))
			}
			return p
		}
		l := SettlementLine{Row: row, SettlementRef: get("Settlement Ref No"), ExternalOrderID: get("Order ID"), ExternalLineID: get("Order Item ID")}
		for name, v := range map[string]string{"Settlement Ref No": l.SettlementRef, "Order ID": l.ExternalOrderID, "Order Item ID": l.ExternalLineID} {
			if v == "" || len(v) > 128 {
				problems = append(problems, name+" is required (at most 128 characters)")
			}
		}
		var err error
		if l.SettledOn, err = parseDate(get("Settlement Date")); err != nil {
			problems = append(problems, "Settlement Date: "+err.Error())
		}
		p := &l.Paid
		p.GrossPaise, p.CommissionPaise, p.FixedFeePaise = money("Sale Amount (Rs.)"), money("Commission (Rs.)"), money("Fixed Fee (Rs.)")
		p.CollectionFeePaise, p.ShippingFeePaise, p.GSTOnFeesPaise = money("Collection Fee (Rs.)"), money("Shipping Fee (Rs.)"), money("GST on Fees (Rs.)")
		p.TCSPaise, p.TDSPaise, p.NetPaise = money("TCS (Rs.)"), money("TDS (Rs.)"), money("Bank Settlement Value (Rs.)")
		if len(problems) == 0 {
			if p.GrossPaise <= 0 {
				problems = append(problems, "Sale Amount must be above zero")
			}
			for _, v := range []int64{p.CommissionPaise, p.FixedFeePaise, p.CollectionFeePaise, p.ShippingFeePaise, p.GSTOnFeesPaise, p.TCSPaise, p.TDSPaise} {
				if v < 0 || v > p.GrossPaise {
					problems = append(problems, "fees and taxes must be between zero and the sale amount")
					break
				}
			}
			if want := p.GrossPaise - p.Fees() - p.GSTOnFeesPaise - p.TCSPaise - p.TDSPaise; p.NetPaise != want {
				problems = append(problems, fmt.Sprintf("Bank Settlement Value %s does not equal the sale less fees, GST and taxes (%s)", rupees(p.NetPaise), rupees(want)))
			}
		}
		key := l.SettlementRef + "\x00" + l.ExternalOrderID + "\x00" + l.ExternalLineID
		if first, dup := seen[key]; dup {
			problems = append(problems, fmt.Sprintf("repeats row %d", first))
		}
		seen[key] = row
		if len(problems) > 0 {
			fe.Add(fmt.Sprintf("row %d", row), "%s", strings.Join(problems, "; "))
			if len(fe) >= 50 {
				break
			}
			continue
		}
		out = append(out, l)
	}
	if err := fe.Err(); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, apperr.FieldErrors{"file": "the file has no settlement rows"}.Err()
	}
	return out, nil
}

// parseDate reads YYYY-MM-DD (an Indian date) or RFC 3339.
func parseDate(v string) (time.Time, error) {
	if t, err := time.ParseInLocation("2006-01-02", v, IST); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("%q is not a date (YYYY-MM-DD)", v)
}

// Difference is one component paid differently from what was expected.
type Difference struct {
	Component     string `json:"component"`
	ExpectedPaise int64  `json:"expected_paise"`
	PaidPaise     int64  `json:"paid_paise"`
}

// Compare lists the components that differ between what was expected and
// what was paid, and says whether the line was paid short.
func Compare(expected, paid Components) ([]Difference, bool) {
	var out []Difference
	for _, c := range []struct {
		name     string
		exp, got int64
	}{
		{"gross", expected.GrossPaise, paid.GrossPaise}, {"commission", expected.CommissionPaise, paid.CommissionPaise},
		{"fixed_fee", expected.FixedFeePaise, paid.FixedFeePaise}, {"collection_fee", expected.CollectionFeePaise, paid.CollectionFeePaise},
		{"shipping_fee", expected.ShippingFeePaise, paid.ShippingFeePaise}, {"gst_on_fees", expected.GSTOnFeesPaise, paid.GSTOnFeesPaise},
		{"tcs", expected.TCSPaise, paid.TCSPaise}, {"tds", expected.TDSPaise, paid.TDSPaise}, {"net", expected.NetPaise, paid.NetPaise},
	} {
		if c.exp != c.got {
			out = append(out, Difference{Component: c.name, ExpectedPaise: c.exp, PaidPaise: c.got})
		}
	}
	return out, paid.NetPaise < expected.NetPaise
}
