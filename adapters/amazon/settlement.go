package amazon

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/jkhhc/artisanbridge/adapters"
	"github.com/jkhhc/artisanbridge/adapters/httpx"
	"github.com/jkhhc/artisanbridge/internal/apperr"
	"github.com/jkhhc/artisanbridge/internal/finance"
)

// Settlement reports (MARKETPLACES.md 2.5): Amazon generates one per
// settlement period; it cannot be requested, only listed (getReports) and
// downloaded (getReportDocument, then the pre-signed URL).
const (
	ReportTypeSettlement                    = "GET_V2_SETTLEMENT_REPORT_DATA_FLAT_FILE_V2"
	OpGetReports         adapters.Operation = "reports.getReports"
	OpGetReportDocument  adapters.Operation = "reports.getReportDocument"
	opDownload           adapters.Operation = "reports.download" // the pre-signed URL, outside SP-API's plans
	maxReportBytes                          = 64 << 20
)

// ReportLimits are the Reports API's published usage plans.
var ReportLimits = map[adapters.Operation]adapters.Limit{
	OpGetReports:        {BatchSize: 100, Rate: 0.0222, Burst: 10},
	OpGetReportDocument: {BatchSize: 1, Rate: 0.0167, Burst: 15},
	opDownload:          {BatchSize: 1, Rate: 10, Burst: 10},
	OpCreateReport:      {BatchSize: 1, Rate: 0.0167, Burst: 15},
	OpGetReport:         {BatchSize: 1, Rate: 2, Burst: 15},
}

// Reports API wire shapes (reports_2021-06-30.json).
type (
	Report struct {
		ReportID         string   `json:"reportId"`
		ReportType       string   `json:"reportType"`
		ProcessingStatus string   `json:"processingStatus"`
		CreatedTime      string   `json:"createdTime"`
		DataStartTime    string   `json:"dataStartTime,omitempty"`
		DataEndTime      string   `json:"dataEndTime,omitempty"`
		ReportDocumentID string   `json:"reportDocumentId,omitempty"`
		MarketplaceIDs   []string `json:"marketplaceIds,omitempty"`
	}
	GetReportsResponse struct {
		Reports   []Report `json:"reports"`
		NextToken string   `json:"nextToken,omitempty"`
	}
	ReportDocument struct {
		ReportDocumentID     string `json:"reportDocumentId"`
		URL                  string `json:"url"`
		CompressionAlgorithm string `json:"compressionAlgorithm,omitempty"`
	}
)

// SettlementReports lists the settlement reports Amazon made since a time.
func (c *Client) SettlementReports(ctx context.Context, since time.Time) ([]Report, error) {
	var out []Report
	q := url.Values{}
	q.Set("reportTypes", ReportTypeSettlement)
	q.Set("processingStatuses", "DONE")
	q.Set("marketplaceIds", c.cfg.MarketplaceID)
	q.Set("pageSize", "100")
	q.Set("createdSince", since.UTC().Format(time.RFC3339))
	for page := 0; page < 50; page++ {
		body, err := c.call(ctx, OpGetReports, http.MethodGet, "/reports/2021-06-30/reports?"+q.Encode(), nil)
		if err != nil {
			return nil, err
		}
		var r GetReportsResponse
		if err := json.Unmarshal(body, &r); err != nil {
			return nil, fmt.Errorf("amazon: unreadable getReports answer: %w", err)
		}
		for _, rep := range r.Reports {
			if rep.ReportType == ReportTypeSettlement && rep.ProcessingStatus == "DONE" && rep.ReportDocumentID != "" && fits(rep.ReportID, 128) {
				out = append(out, rep)
			}
		}
		if r.NextToken == "" {
			return out, nil
		}
		q = url.Values{}
		q.Set("nextToken", r.NextToken) // the token is the only parameter of a next page
	}
	return out, nil
}

// SettlementFile downloads a report's document (decompressing it).
func (c *Client) SettlementFile(ctx context.Context, documentID string) ([]byte, error) {
	body, err := c.call(ctx, OpGetReportDocument, http.MethodGet, "/reports/2021-06-30/documents/"+url.PathEscape(documentID), nil)
	if err != nil {
		return nil, err
	}
	var doc ReportDocument
	if err := json.Unmarshal(body, &doc); err != nil || doc.URL == "" {
		return nil, fmt.Errorf("amazon: unreadable report document answer")
	}
	_, data, err := c.http.Do(ctx, httpx.Request{Op: opDownload, Key: "amazon:" + c.cfg.Account + ":download", Limit: ReportLimits[opDownload], Timeout: 2 * time.Minute,
		Build: func(ctx context.Context) (*http.Request, error) {
			return http.NewRequestWithContext(ctx, http.MethodGet, doc.URL, nil)
		}})
	if err != nil {
		return nil, fmt.Errorf("amazon: report download: %w", err)
	}
	if strings.EqualFold(doc.CompressionAlgorithm, "GZIP") {
		zr, err := gzip.NewReader(bytes.NewReader(data))
		if err != nil {
			return nil, fmt.Errorf("amazon: report is not gzip: %w", err)
		}
		if data, err = io.ReadAll(io.LimitReader(zr, maxReportBytes)); err != nil {
			return nil, fmt.Errorf("amazon: report is not gzip: %w", err)
		}
	}
	return data, nil
}

// SettlementColumns are the flat file V2 columns we read (by name). The
// published column list is not in our sources (MARKETPLACES.md 2.5); these
// are the ones sellers' tools read.
var SettlementColumns = []string{"settlement-id", "order-id", "order-item-code", "amount-type", "amount-description", "amount", "posted-date"}

// ParseSettlementFile reads a settlement flat file (tab-separated): one
// row per amount of each order item, summed into one settlement line per
// item: the price and promotions are the sale, fees are split by kind,
// their GST apart, TCS and TDS withheld; what is left is what was paid.
// A row that cannot be read refuses the file, every bad row named.
func ParseSettlementFile(data []byte) ([]finance.SettlementLine, error) {
	r := csv.NewReader(bytes.NewReader(data))
	r.Comma, r.LazyQuotes, r.FieldsPerRecord = '\t', true, -1
	records, err := r.ReadAll()
	if err != nil || len(records) < 2 {
		return nil, apperr.FieldErrors{"file": "not a tab-separated settlement report with rows"}.Err()
	}
	col := map[string]int{}
	for i, h := range records[0] {
		col[strings.ToLower(strings.TrimSpace(h))] = i
	}
	fe := apperr.FieldErrors{}
	for _, c := range SettlementColumns {
		if _, ok := col[c]; !ok {
			fe.Add("file", "required column %q is missing", c)
		}
	}
	if err := fe.Err(); err != nil {
		return nil, err
	}
	type key struct{ ref, order, item string }
	byItem := map[key]*finance.SettlementLine{}
	var order []key
	for i, rec := range records[1:] {
		row := i + 2
		get := func(c string) string {
			if j := col[c]; j < len(rec) {
				return strings.TrimSpace(rec[j])
			}
			return ""
		}
		if get("order-id") == "" || get("amount-type") == "" {
			continue // the settlement's summary row, or an account-level amount
		}
		k := key{get("settlement-id"), get("order-id"), get("order-item-code")}
		if !fits(k.ref, 128) || !fits(k.order, 128) || !fits(k.item, 128) {
			fe.Add(fmt.Sprintf("row %d", row), "settlement-id, order-id and order-item-code are required")
			continue
		}
		amount, err := ParsePaise(get("amount"))
		if err == nil && (amount > 1e13 || amount < -1e13) {
			err = fmt.Errorf("%s is beyond any sale", get("amount"))
		}
		if err != nil {
			fe.Add(fmt.Sprintf("row %d", row), "amount: %v", err)
			continue
		}
		posted, err := parsePosted(get("posted-date"))
		if err != nil {
			fe.Add(fmt.Sprintf("row %d", row), "posted-date: %v", err)
			continue
		}
		l := byItem[k]
		if l == nil {
			l = &finance.SettlementLine{Row: row, SettlementRef: k.ref, SettledOn: posted, ExternalOrderID: k.order, ExternalLineID: k.item}
			byItem[k] = l
			order = append(order, k)
		}
		c := &l.Paid
		desc := strings.ToLower(get("amount-description"))
		switch typ := strings.ToLower(get("amount-type")); {
		case typ == "itemprice" || typ == "promotion":
			c.GrossPaise += amount
		case strings.Contains(desc, "tcs"):
			c.TCSPaise -= amount
		case strings.Contains(desc, "tds"):
			c.TDSPaise -= amount
		case strings.Contains(desc, "gst") || strings.Contains(desc, "tax"):
			c.GSTOnFeesPaise -= amount
		case strings.Contains(desc, "commission"):
			c.CommissionPaise -= amount
		case strings.Contains(desc, "closing"):
			c.FixedFeePaise -= amount
		case strings.Contains(desc, "shipping"):
			c.ShippingFeePaise -= amount
		default:
			c.CollectionFeePaise -= amount // any other fee Amazon keeps
		}
		c.NetPaise += amount
	}
	if err := fe.Err(); err != nil {
		return nil, err
	}
	var out []finance.SettlementLine
	for _, k := range order {
		l := byItem[k]
		if l.Paid.GrossPaise <= 0 {
			fe.Add(fmt.Sprintf("row %d", l.Row), "order %s item %s has no positive sale amount", k.order, k.item)
			continue
		}
		out = append(out, *l)
	}
	if err := fe.Err(); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, apperr.FieldErrors{"file": "the report settles no order item"}.Err()
	}
	return out, nil
}

// parsePosted reads posted-date as Amazon writes it (dd.mm.yyyy in some
// marketplaces, yyyy-mm-dd or RFC 3339 in others).
func parsePosted(v string) (time.Time, error) {
	for _, layout := range []string{"2006-01-02", "02.01.2006", time.RFC3339} {
		if t, err := time.ParseInLocation(layout, v, finance.IST); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a date", v)
}

var _ adapters.SettlementSource = (*Client)(nil)

// ListSettlements lists settlement reports since a time.
func (c *Client) ListSettlements(ctx context.Context, since time.Time) ([]adapters.SettlementReport, error) {
	reps, err := c.SettlementReports(ctx, since)
	if err != nil {
		return nil, err
	}
	out := make([]adapters.SettlementReport, 0, len(reps))
	for _, r := range reps {
		created, _ := time.Parse(time.RFC3339, r.CreatedTime)
		out = append(out, adapters.SettlementReport{ID: r.ReportID, DocumentID: r.ReportDocumentID, Created: created})
	}
	return out, nil
}

// FetchSettlement downloads and reads one settlement report.
func (c *Client) FetchSettlement(ctx context.Context, r adapters.SettlementReport) ([]finance.SettlementLine, error) {
	data, err := c.SettlementFile(ctx, r.DocumentID)
	if err != nil {
		return nil, err
	}
	return ParseSettlementFile(data)
}

func fits(s string, n int) bool { return strings.TrimSpace(s) != "" && len(s) <= n }
