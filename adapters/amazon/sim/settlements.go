package sim

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"time"

	"github.com/jkhhc/artisanbridge/adapters/amazon"
	"github.com/jkhhc/artisanbridge/adapters/simkit"
	"github.com/jkhhc/artisanbridge/internal/finance"
)

// SettlementFees is what the simulated Amazon.in account is charged: a
// referral fee of 6%, a closing fee of ₹12 up to ₹1,000 and ₹30 above,
// and ₹60 of Easy Ship per item, 18% GST on them.
var SettlementFees = finance.FeeSchedule{CommissionBP: 600, ShippingFeePaise: 6000,
	FixedFeeSlabs: []finance.Slab{{UpToPaise: 100000, FeePaise: 1200}, {UpToPaise: 0, FeePaise: 3000}}}

// settlementColumns is the flat file V2 header the simulator writes.
var settlementColumns = []string{"settlement-id", "settlement-start-date", "settlement-end-date", "deposit-date", "total-amount", "currency",
	"transaction-type", "order-id", "merchant-order-id", "adjustment-id", "shipment-id", "marketplace-name", "amount-type",
	"amount-description", "amount", "fulfillment-id", "posted-date", "posted-date-time", "order-item-code", "merchant-order-item-id",
	"merchant-adjustment-item-id", "sku", "quantity-purchased", "promotion-id"}

func (s *Sim) registerReports(m *http.ServeMux) {
	m.HandleFunc("POST /_sim/settlements", s.closeSettlement)
	m.HandleFunc("GET /reports/2021-06-30/reports", s.api(amazon.OpGetReports, s.getReports))
	m.HandleFunc("GET /reports/2021-06-30/documents/{reportDocumentId}", s.api(amazon.OpGetReportDocument, s.getReportDocument))
}

// closeSettlement ends a settlement period: every shipped order item not
// settled before goes into a new settlement report, listed by getReports;
// the answer is the flat file itself.
func (s *Sim) closeSettlement(w http.ResponseWriter, r *http.Request) {
	s.kit.Lock()
	defer s.kit.Unlock()
	now := s.kit.Now()
	s.settlementSeq++
	id := strconv.Itoa(10_000_000 + s.settlementSeq)
	var buf bytes.Buffer
	cw := csv.NewWriter(&buf)
	cw.Comma = '\t'
	_ = cw.Write(settlementColumns)
	var rows [][]string
	var total int64
	ids := make([]string, 0, len(s.orders))
	for oid := range s.orders {
		ids = append(ids, oid)
	}
	sort.Strings(ids)
	posted := now.In(finance.IST).Format("02.01.2006")
	for _, oid := range ids {
		o := s.orders[oid]
		if o.Fulfillment.FulfillmentStatus != "SHIPPED" {
			continue
		}
		for _, it := range o.OrderItems {
			if s.settled[it.OrderItemID] || it.Cancellation != nil {
				continue
			}
			s.settled[it.OrderItemID] = true
			var unit int64
			if it.Product.Price != nil && it.Product.Price.UnitPrice != nil {
				unit, _ = amazon.ParsePaise(it.Product.Price.UnitPrice.Amount)
			}
			ordered, _ := time.Parse(time.RFC3339, o.CreatedTime)
			c := finance.Expected(SettlementFees, unit*it.QuantityOrdered, s.cfg.gst(), ordered, now)
			for _, a := range []struct {
				typ, desc string
				paise     int64
			}{
				{"ItemPrice", "Principal", c.GrossPaise}, {"ItemFees", "Commission", -c.CommissionPaise},
				{"ItemFees", "FixedClosingFee", -c.FixedFeePaise}, {"ItemFees", "ShippingHB", -c.ShippingFeePaise},
				{"ItemFees", "Tax on fees (IGST)", -c.GSTOnFeesPaise}, {"ItemWithheldTax", "TCS-IGST", -c.TCSPaise},
				{"ItemWithheldTax", "TDS (Section 194-O)", -c.TDSPaise},
			} {
				if a.paise == 0 {
					continue
				}
				total += a.paise
				rows = append(rows, []string{id, "", "", "", "", "", "Order", o.OrderID, "", "", "", "Amazon.in", a.typ, a.desc,
					string(amazon.Rupees(a.paise)), "MFN", posted, now.Format(time.RFC3339), it.OrderItemID, "", "", it.Product.SellerSKU,
					strconv.FormatInt(it.QuantityOrdered, 10), ""})
			}
		}
	}
	start := now.AddDate(0, 0, -7)
	_ = cw.Write([]string{id, start.Format(time.RFC3339), now.Format(time.RFC3339), now.AddDate(0, 0, 2).Format(time.RFC3339),
		string(amazon.Rupees(total)), "INR", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", ""})
	for _, row := range rows {
		_ = cw.Write(row)
	}
	cw.Flush()
	docID := fmt.Sprintf("amzn1.spdoc.1.4.sim.%s", id)
	s.docs[docID] = &document{contentType: "text/tab-separated-values", data: buf.Bytes(), uploaded: true}
	s.reports = append(s.reports, amazon.Report{ReportID: id, ReportType: amazon.ReportTypeSettlement, ProcessingStatus: "DONE",
		CreatedTime: now.Format(time.RFC3339), DataStartTime: start.Format(time.RFC3339), DataEndTime: now.Format(time.RFC3339),
		ReportDocumentID: docID, MarketplaceIDs: []string{amazon.MarketplaceIndia}})
	w.Header().Set("Content-Type", "text/tab-separated-values")
	_, _ = w.Write(buf.Bytes())
}

// getReports lists settlement reports created since createdSince, a page
// of pageSize at a time; nextToken is the offset of the next page.
func (s *Sim) getReports(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	s.kit.Lock()
	defer s.kit.Unlock()
	offset, size := 0, 10
	if tok := q.Get("nextToken"); tok != "" {
		n, err := strconv.Atoi(tok)
		if err != nil || n < 0 || len(q) != 1 {
			apiError(w, http.StatusBadRequest, "InvalidInput", "nextToken must be the only parameter", "")
			return
		}
		offset, size = n, 100
	} else {
		if q.Get("reportTypes") == "" {
			apiError(w, http.StatusBadRequest, "InvalidInput", "reportTypes or nextToken is required", "")
			return
		}
		if v, err := strconv.Atoi(q.Get("pageSize")); err == nil && v >= 1 && v <= 100 {
			size = v
		}
	}
	var since time.Time
	if v := q.Get("createdSince"); v != "" {
		since, _ = time.Parse(time.RFC3339, v)
	}
	var match []amazon.Report
	for _, rep := range s.reports {
		if t, _ := time.Parse(time.RFC3339, rep.CreatedTime); !t.Before(since) {
			match = append(match, rep)
		}
	}
	resp := amazon.GetReportsResponse{Reports: []amazon.Report{}}
	if offset < len(match) {
		end := min(offset+size, len(match))
		resp.Reports = match[offset:end]
		if end < len(match) {
			resp.NextToken = strconv.Itoa(end)
		}
	}
	simkit.WriteJSON(w, http.StatusOK, resp)
}

func (s *Sim) getReportDocument(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("reportDocumentId")
	if !s.hasDoc(w, id) {
		return
	}
	simkit.WriteJSON(w, http.StatusOK, amazon.ReportDocument{ReportDocumentID: id, URL: s.docURL(r, id)})
}
