package sim

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/jkhhc/artisanbridge/internal/finance"
	"github.com/jkhhc/artisanbridge/internal/money"
)

// SettlementFees is what the simulated marketplace charges (a fee schedule
// the corporation would enter to check settlements against): commission
// 8%, a fixed fee of ₹10 up to ₹1,000 and ₹20 above, collection 2%,
// shipping ₹50 a line.
var SettlementFees = finance.FeeSchedule{CommissionBP: 800, CollectionFeeBP: 200, ShippingFeePaise: 5000,
	FixedFeeSlabs: []finance.Slab{{UpToPaise: 100000, FeePaise: 1000}, {UpToPaise: 0, FeePaise: 2000}}}

// settlements answers POST /_sim/settlements: the settlement report for
// every delivered order line not settled before, as the CSV file a seller
// downloads, with an optional {"short_pay_paise": n} kept back per line.
func (s *Sim) settlements(w http.ResponseWriter, r *http.Request) {
	var body struct {
		ShortPayPaise int64 `json:"short_pay_paise"`
	}
	if raw, _ := io.ReadAll(io.LimitReader(r.Body, 1<<10)); len(bytes.TrimSpace(raw)) > 0 {
		if err := json.Unmarshal(raw, &body); err != nil || body.ShortPayPaise < 0 {
			apiError(w, http.StatusBadRequest, 400, `body must be {"short_pay_paise": n} or empty`)
			return
		}
	}
	s.kit.Lock()
	defer s.kit.Unlock()
	now := s.kit.Now()
	s.settlementSeq++
	ref := fmt.Sprintf("NEFT%010d", s.settlementSeq)
	var buf bytes.Buffer
	cw := csv.NewWriter(&buf)
	_ = cw.Write(finance.SettlementColumns)
	for _, sh := range s.shipments {
		for _, it := range sh.OrderItems {
			if it.Status != "DELIVERED" || s.settled[it.OrderItemID] {
				continue
			}
			s.settled[it.OrderItemID] = true
			gross, _ := money.ParseSheet(it.PriceComponents.SellingPrice.String())
			var gst int64
			if l := s.listings[it.SKU]; l != nil {
				gst = l.GSTRateBP
			}
			ordered, _ := time.Parse(time.RFC3339, it.OrderDate)
			c := finance.Expected(SettlementFees, gross, gst, ordered, now)
			c.ShippingFeePaise += min(body.ShortPayPaise, c.NetPaise)
			c.NetPaise -= min(body.ShortPayPaise, c.NetPaise)
			_ = cw.Write([]string{ref, now.In(finance.IST).Format("2006-01-02"), it.OrderID, it.OrderItemID, rs(c.GrossPaise), rs(c.CommissionPaise),
				rs(c.FixedFeePaise), rs(c.CollectionFeePaise), rs(c.ShippingFeePaise), rs(c.GSTOnFeesPaise), rs(c.TCSPaise), rs(c.TDSPaise), rs(c.NetPaise)})
		}
	}
	cw.Flush()
	w.Header().Set("Content-Type", "text/csv")
	w.Header().Set("Content-Disposition", `attachment; filename="settlement-`+strings.ToLower(ref)+`.csv"`)
	_, _ = w.Write(buf.Bytes())
}

func rs(p int64) string { return fmt.Sprintf("%d.%02d", p/100, p%100) }
