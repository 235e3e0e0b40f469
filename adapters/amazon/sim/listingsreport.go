package sim

import (
	"bytes"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jkhhc/artisanbridge/adapters/amazon"
	"github.com/jkhhc/artisanbridge/adapters/simkit"
)

// merchantListingsColumns is the header of GET_MERCHANT_LISTINGS_ALL_DATA
// as Amazon writes it; the adapter reads it by name.
var merchantListingsColumns = []string{"item-name", "item-description", "listing-id", "seller-sku", "price", "quantity", "open-date",
	"image-url", "item-is-marketplace", "product-id-type", "zshop-shipping-fee", "item-note", "item-condition", "zshop-category1",
	"zshop-browse-path", "zshop-storefront-feature", "asin1", "asin2", "asin3", "will-ship-internationally", "expedited-shipping",
	"zshop-boldface", "product-id", "bid-for-featured-placement", "add-delete", "pending-quantity", "fulfillment-channel",
	"merchant-shipping-group", "status"}

// requested is a report asked for with createReport: built from what the
// account holds when it was asked, done after a few getReport polls.
type requested struct {
	amazon.Report
	polls int
}

func (s *Sim) registerRequestedReports(m *http.ServeMux) {
	m.HandleFunc("POST /reports/2021-06-30/reports", s.api(amazon.OpCreateReport, s.createReport))
	m.HandleFunc("GET /reports/2021-06-30/reports/{reportId}", s.api(amazon.OpGetReport, s.getReport))
}

// createReport takes a merchant listings report request (the only report
// type the simulator builds on demand) and snapshots what it holds.
func (s *Sim) createReport(w http.ResponseWriter, r *http.Request) {
	var spec amazon.CreateReportSpecification
	if err := decodeBody(r, &spec); err != nil || spec.ReportType != amazon.ReportTypeMerchantListings ||
		len(spec.MarketplaceIDs) != 1 || spec.MarketplaceIDs[0] != amazon.MarketplaceIndia {
		apiError(w, http.StatusBadRequest, "InvalidInput", "reportType "+amazon.ReportTypeMerchantListings+" for marketplace "+amazon.MarketplaceIndia+" is required", "")
		return
	}
	s.kit.Lock()
	defer s.kit.Unlock()
	s.seq++
	id := strconv.Itoa(70_000_000 + s.seq)
	docID := "amzn1.spdoc.1.4.sim.listings." + id
	s.docs[docID] = &document{contentType: "text/tab-separated-values", data: s.merchantListings(), uploaded: true}
	if s.requested == nil {
		s.requested = map[string]*requested{}
	}
	now := s.kit.Now().UTC().Format(time.RFC3339)
	s.requested[id] = &requested{Report: amazon.Report{ReportID: id, ReportType: spec.ReportType, ProcessingStatus: "IN_QUEUE",
		CreatedTime: now, MarketplaceIDs: spec.MarketplaceIDs, ReportDocumentID: docID}}
	simkit.WriteJSON(w, http.StatusAccepted, amazon.CreateReportResponse{ReportID: id})
}

// getReport moves a requested report along: queued, in progress, done.
func (s *Sim) getReport(w http.ResponseWriter, r *http.Request) {
	s.kit.Lock()
	defer s.kit.Unlock()
	rep := s.requested[r.PathValue("reportId")]
	if rep == nil {
		apiError(w, http.StatusNotFound, "NotFound", "no such report", "")
		return
	}
	rep.polls++
	out := rep.Report
	switch {
	case rep.polls == 1:
		out.ProcessingStatus, out.ReportDocumentID = "IN_QUEUE", ""
	case rep.polls == 2:
		out.ProcessingStatus, out.ReportDocumentID = "IN_PROGRESS", ""
	default:
		out.ProcessingStatus = "DONE"
	}
	simkit.WriteJSON(w, http.StatusOK, out)
}

// merchantListings writes what the account holds as the report, in no
// particular order (Amazon promises none). The caller holds the lock.
func (s *Sim) merchantListings() []byte {
	var buf bytes.Buffer
	buf.WriteString(strings.Join(merchantListingsColumns, "\t") + "\r\n")
	skus := make([]string, 0, len(s.items))
	for sku := range s.items {
		skus = append(skus, sku)
	}
	sort.Strings(skus)
	// Reversed, so that a reader relying on the listings' order is caught.
	for i := len(skus) - 1; i >= 0; i-- {
		it := s.items[skus[i]]
		row := make([]string, len(merchantListingsColumns))
		for j, c := range merchantListingsColumns {
			switch c {
			case "item-name":
				row[j] = strings.NewReplacer("\t", " ", "\n", " ", "\r", " ").Replace(it.Title)
			case "listing-id":
				row[j] = fmt.Sprintf("%010d", i+1)
			case "seller-sku":
				row[j] = it.SKU
			case "price":
				row[j] = string(amazon.Rupees(it.PricePaise))
			case "quantity":
				row[j] = strconv.FormatInt(it.Quantity, 10)
			case "open-date":
				row[j] = it.Created.Format("2006-01-02 15:04:05 MST")
			case "item-is-marketplace":
				row[j] = "y"
			case "product-id-type":
				row[j] = "1"
			case "item-condition":
				row[j] = "11"
			case "asin1", "product-id":
				row[j] = it.ASIN
			case "fulfillment-channel":
				row[j] = "DEFAULT"
			case "status":
				row[j] = "Active"
			}
		}
		buf.WriteString(strings.Join(row, "\t") + "\r\n")
	}
	return buf.Bytes()
}
