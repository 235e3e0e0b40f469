package finance

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jkhhc/artisanbridge/internal/apperr"
	"github.com/jkhhc/artisanbridge/internal/exceptions"
	"github.com/jkhhc/artisanbridge/internal/money"
)

// GeMPaymentColumns are the columns of GeM's payment records (as staff
// download them from the portal), read by header name.
var GeMPaymentColumns = []string{"Contract No", "Invoice No", "CRAC Date", "Payment Date", "Invoice Amount (Rs.)",
	"Transaction Charges (Rs.)", "TDS (Rs.)", "TCS (Rs.)", "Amount Paid (Rs.)"}

// GeMPaymentDays is when a GeM buyer must pay: 10 days after the
// consignee's receipt and acceptance certificate (CRAC).
const GeMPaymentDays = 10

// GeMPayment is one invoice of a contract: paid, or still due.
type GeMPayment struct {
	Row         int
	ContractNo  string
	InvoiceNo   string
	CRACDate    time.Time
	PaymentDate *time.Time
	Paid        Components // Fees are GeM's transaction charges (as commission)
}

// ParseGeMPayments reads the payment records; any bad row refuses the file.
func ParseGeMPayments(data []byte) ([]GeMPayment, error) {
	t, err := readTable(data, MaxSettlementRows, GeMPaymentColumns)
	if err != nil {
		return nil, err
	}
	fe := apperr.FieldErrors{}
	var out []GeMPayment
	seen := map[string]int{}
	for _, r := range t.rows {
		row := r.line
		get := func(c string) string { return t.get(r, c) }
		var problems []string
		p := GeMPayment{Row: row, ContractNo: get("Contract No"), InvoiceNo: get("Invoice No")}
		if p.ContractNo == "" || len(p.ContractNo) > 128 || p.InvoiceNo == "" || len(p.InvoiceNo) > 128 {
			problems = append(problems, "Contract No and Invoice No are required (at most 128 characters)")
		}
		if p.CRACDate, err = parseDate(get("CRAC Date")); err != nil {
			problems = append(problems, "CRAC Date: "+err.Error())
		}
		money := func(c string) int64 {
			v, err := money.ParseSheet(get(c))
			if err != nil {
				problems = append(problems, fmt.Sprintf("%s: %v", c, err))
			}
			return v
		}
		p.Paid.GrossPaise = money("Invoice Amount (Rs.)")
		if d := get("Payment Date"); d != "" {
			t, err := parseDate(d)
			if err != nil {
				problems = append(problems, "Payment Date: "+err.Error())
			}
			p.PaymentDate = &t
			p.Paid.CommissionPaise, p.Paid.TDSPaise, p.Paid.TCSPaise = money("Transaction Charges (Rs.)"), money("TDS (Rs.)"), money("TCS (Rs.)")
			p.Paid.NetPaise = money("Amount Paid (Rs.)")
			if len(problems) == 0 && p.Paid.NetPaise != p.Paid.GrossPaise-p.Paid.Fees()-p.Paid.TCSPaise-p.Paid.TDSPaise {
				problems = append(problems, "Amount Paid does not equal the invoice less charges and taxes")
			}
		} else if get("Amount Paid (Rs.)") != "" && get("Amount Paid (Rs.)") != "0" {
			problems = append(problems, "an amount paid needs its Payment Date")
		}
		if len(problems) == 0 && p.Paid.GrossPaise <= 0 {
			problems = append(problems, "Invoice Amount must be above zero")
		}
		key := p.ContractNo + "\x00" + p.InvoiceNo
		if first, dup := seen[key]; dup {
			problems = append(problems, fmt.Sprintf("repeats row %d", first))
		}
		seen[key] = row
		if len(problems) > 0 {
			fe.Add(fmt.Sprintf("row %d", row), "%s", strings.Join(problems, "; "))
			continue
		}
		out = append(out, p)
	}
	if err := fe.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// ContractLine is one line of a GeM contract as we hold it.
type ContractLine struct {
	ExternalLineID string
	GrossPaise     int64
}

// Lines spreads a paid invoice over its contract's lines in proportion to
// their value, every component to the paisa.
func (p GeMPayment) Lines(contract []ContractLine) ([]SettlementLine, error) {
	if len(contract) == 0 {
		return []SettlementLine{{Row: p.Row, SettlementRef: "GEM:" + p.InvoiceNo, SettledOn: *p.PaymentDate, ExternalOrderID: p.ContractNo,
			ExternalLineID: "*", Paid: p.Paid}}, nil
	}
	weights := make([]int64, len(contract))
	for i, c := range contract {
		weights[i] = c.GrossPaise
	}
	split := func(total int64) ([]int64, error) { return Allocate(total, weights) }
	gross, err := split(p.Paid.GrossPaise)
	if err != nil {
		return nil, apperr.FieldErrors{fmt.Sprintf("row %d", p.Row): "contract " + p.ContractNo + "'s lines have no value to spread the payment over"}.Err()
	}
	fees, _ := split(p.Paid.CommissionPaise)
	tds, _ := split(p.Paid.TDSPaise)
	tcs, _ := split(p.Paid.TCSPaise)
	out := make([]SettlementLine, len(contract))
	for i, c := range contract {
		comp := Components{GrossPaise: gross[i], CommissionPaise: fees[i], TDSPaise: tds[i], TCSPaise: tcs[i]}
		comp.NetPaise = comp.GrossPaise - comp.CommissionPaise - comp.TDSPaise - comp.TCSPaise
		out[i] = SettlementLine{Row: p.Row, SettlementRef: "GEM:" + p.InvoiceNo, SettledOn: *p.PaymentDate, ExternalOrderID: p.ContractNo,
			ExternalLineID: c.ExternalLineID, Paid: comp}
	}
	return out, nil
}

// GeMStore reads contracts and raises exceptions.
type GeMStore interface {
	ChannelKind(ctx context.Context, channelID string) (string, error)
	ContractLines(ctx context.Context, channelID, contractNo string) ([]ContractLine, error)
	Raise(ctx context.Context, e exceptions.Exception) error
}

// importGeM turns payment records into settlement lines and opens an
// exception for every invoice unpaid past its due date.
func (s *Service) importGeM(ctx context.Context, channelID, fileName string, data []byte) (ImportSummary, error) {
	payments, err := ParseGeMPayments(data)
	if err != nil {
		return ImportSummary{}, err
	}
	now := s.now().UTC()
	var lines []SettlementLine
	overdue := 0
	for _, p := range payments {
		if p.PaymentDate == nil {
			due := p.CRACDate.AddDate(0, 0, GeMPaymentDays)
			if now.After(due) {
				overdue++
				if err := s.store.Raise(ctx, exceptions.Exception{Kind: exceptions.SettlementMismatch, CauseKey: "gem_overdue:" + channelID + ":" + p.InvoiceNo,
					Summary:  fmt.Sprintf("GeM contract %s invoice %s is unpaid %d days after its CRAC", p.ContractNo, p.InvoiceNo, int(now.Sub(p.CRACDate).Hours()/24)),
					Detail:   fmt.Sprintf("payment was due on %s (10 days after the CRAC of %s); invoice %s paise", due.In(IST).Format("2006-01-02"), p.CRACDate.In(IST).Format("2006-01-02"), rupees(p.Paid.GrossPaise)),
					Action:   "Raise the delayed payment with the buyer's paying authority on the GeM portal (incident management).",
					Resource: "channel", ResourceID: channelID}); err != nil {
					return ImportSummary{}, err
				}
			}
			continue
		}
		contract, err := s.store.ContractLines(ctx, channelID, p.ContractNo)
		if err != nil {
			return ImportSummary{}, err
		}
		ls, err := p.Lines(contract)
		if err != nil {
			return ImportSummary{}, err
		}
		lines = append(lines, ls...)
	}
	// Imported even with no paid line, so that the import is on record.
	sum, err := s.store.ImportSettlement(ctx, channelID, fileName, lines, now)
	if err != nil {
		return ImportSummary{}, err
	}
	if err := s.releaseNow(ctx); err != nil {
		return sum, err
	}
	sum.Overdue, sum.Lines = overdue, len(payments)
	return sum, nil
}
