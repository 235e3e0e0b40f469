package amazon

import (
	"bufio"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/jkhhc/artisanbridge/adapters"
)

// The merchant listings report (GET_MERCHANT_LISTINGS_ALL_DATA) is how a
// large catalogue is read: searchListingsItems pages through at most 1,000
// items and getListingsItem costs a call a SKU (MARKETPLACES.md 5.6), while
// one report holds every listing. It is requested (createReport), waited
// for (getReport) and downloaded (getReportDocument, then the pre-signed
// URL), and read as a stream, row by row, so memory does not grow with the
// catalogue.
const (
	ReportTypeMerchantListings                    = "GET_MERCHANT_LISTINGS_ALL_DATA"
	OpCreateReport             adapters.Operation = "reports.createReport"
	OpGetReport                adapters.Operation = "reports.getReport"
)

// ListingsReportThreshold is the catalogue size from which a stock
// reconciliation reads the report instead of one getListingsItem a SKU
// and searchListingsItems for SKUs we do not know: that search pages
// through at most 1,000 items, and 1,000 reads at 5 a second take under
// four minutes, while the report costs three calls however large the
// catalogue (Amazon takes minutes to build it).
const ListingsReportThreshold = 1000

// Reports API request and answer of createReport.
type (
	CreateReportSpecification struct {
		ReportType     string   `json:"reportType"`
		MarketplaceIDs []string `json:"marketplaceIds"`
	}
	CreateReportResponse struct {
		ReportID string `json:"reportId"`
	}
)

// ListingsReportColumns are the report's columns we read, by name (the
// report has many more, in an order Amazon may change).
var ListingsReportColumns = []string{"seller-sku", "price", "quantity"}

// ReportThreshold says from how many listings the report is worth it.
func (c *Client) ReportThreshold() int {
	if c.cfg.ReportThreshold > 0 {
		return c.cfg.ReportThreshold
	}
	return ListingsReportThreshold
}

// ListingsReport requests a merchant listings report, waits for Amazon to
// build it, and streams its rows to each; rows it cannot read go to bad
// with the line as Amazon wrote it. A report Amazon cancels (it does so
// when there is no data) has no rows.
func (c *Client) ListingsReport(ctx context.Context, each func(adapters.RemoteListing) error, bad func(BadRow) error) error {
	body, err := c.call(ctx, OpCreateReport, http.MethodPost, "/reports/2021-06-30/reports",
		CreateReportSpecification{ReportType: ReportTypeMerchantListings, MarketplaceIDs: []string{c.cfg.MarketplaceID}})
	if err != nil {
		return err
	}
	var created CreateReportResponse
	if err := json.Unmarshal(body, &created); err != nil || created.ReportID == "" {
		return errors.New("amazon: unreadable createReport answer")
	}
	poll := c.cfg.FeedPoll
	if poll <= 0 {
		poll = 30 * time.Second
	}
	var rep Report
	for {
		body, err := c.call(ctx, OpGetReport, http.MethodGet, "/reports/2021-06-30/reports/"+url.PathEscape(created.ReportID), nil)
		if err != nil {
			return err
		}
		if err := json.Unmarshal(body, &rep); err != nil {
			return fmt.Errorf("amazon: unreadable getReport answer: %w", err)
		}
		switch rep.ProcessingStatus {
		case "DONE":
		case "CANCELLED":
			return nil
		case "FATAL":
			return fmt.Errorf("amazon: the listings report %s failed (FATAL): request another later", rep.ReportID)
		default:
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(poll):
			}
			continue
		}
		break
	}
	if rep.ReportDocumentID == "" {
		return fmt.Errorf("amazon: the listings report %s is done without a document", rep.ReportID)
	}
	body, err = c.call(ctx, OpGetReportDocument, http.MethodGet, "/reports/2021-06-30/documents/"+url.PathEscape(rep.ReportDocumentID), nil)
	if err != nil {
		return err
	}
	var doc ReportDocument
	if err := json.Unmarshal(body, &doc); err != nil || doc.URL == "" {
		return errors.New("amazon: unreadable report document answer")
	}
	// The document is streamed, not read whole: the limiter paces the
	// request, and the body goes row by row to the parser.
	hc := &http.Client{Timeout: 10 * time.Minute,
		Transport: c.http.Transport(opDownload, "amazon:"+c.cfg.Account+":download", ReportLimits[opDownload])}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, doc.URL, nil)
	if err != nil {
		return err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return fmt.Errorf("amazon: listings report download: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("amazon: listings report download: HTTP %d", resp.StatusCode)
	}
	var rd io.Reader = resp.Body
	if strings.EqualFold(doc.CompressionAlgorithm, "GZIP") {
		zr, err := gzip.NewReader(resp.Body)
		if err != nil {
			return fmt.Errorf("amazon: listings report is not gzip: %w", err)
		}
		defer zr.Close()
		rd = zr
	}
	return ParseListingsReport(rd, each, bad)
}

// BadRow is a report row that could not be read, kept as Amazon wrote it.
type BadRow = adapters.BadRow

var _ adapters.ListingsReporter = (*Client)(nil)

// maxReportLine bounds one row: a listing's row is a few hundred bytes;
// item-description can be long, 2,000 characters at most in Seller Central.
const maxReportLine = 64 << 10

// ParseListingsReport reads a merchant listings report (tab-separated,
// columns by name) row by row: each readable row goes to each, an
// unreadable one to bad, with its text. A file without the columns, or
// that is not tab-separated text, is refused whole. Memory holds one row.
func ParseListingsReport(r io.Reader, each func(adapters.RemoteListing) error, bad func(BadRow) error) error {
	br := bufio.NewReaderSize(r, 64<<10)
	header, err := readLine(br)
	if err != nil && (err != io.EOF || header == "") {
		return errors.New("amazon: the listings report is empty or unreadable")
	}
	col := map[string]int{}
	for i, h := range strings.Split(strings.TrimPrefix(header, "\ufeff"), "\t") {
		if _, dup := col[strings.ToLower(strings.TrimSpace(h))]; !dup {
			col[strings.ToLower(strings.TrimSpace(h))] = i
		}
	}
	var missing []string
	for _, c := range ListingsReportColumns {
		if _, ok := col[c]; !ok {
			missing = append(missing, c)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("amazon: the listings report lacks the columns %s", strings.Join(missing, ", "))
	}
	for line := 2; ; line++ {
		text, err := readLine(br)
		if err != nil && err != io.EOF {
			if errors.Is(err, errLongLine) {
				if berr := bad(BadRow{Line: line, Raw: cut(text, 2048), Reason: "the row is longer than 64 KiB"}); berr != nil {
					return berr
				}
				continue
			}
			return fmt.Errorf("amazon: listings report line %d: %w", line, err)
		}
		if strings.TrimSpace(text) != "" {
			l, reason := readListingRow(strings.Split(text, "\t"), col)
			if reason != "" {
				if berr := bad(BadRow{Line: line, SKU: l.SKU, Raw: cut(text, 2048), Reason: reason}); berr != nil {
					return berr
				}
			} else if eerr := each(l); eerr != nil {
				return eerr
			}
		}
		if err == io.EOF {
			return nil
		}
	}
}

var errLongLine = errors.New("line too long")

// readLine reads one line without its end (\n or \r\n); a line longer
// than maxReportLine is skipped to its end and returned cut, with
// errLongLine.
func readLine(br *bufio.Reader) (string, error) {
	var sb strings.Builder
	long := false
	for {
		chunk, err := br.ReadSlice('\n')
		if sb.Len()+len(chunk) <= maxReportLine {
			sb.Write(chunk)
		} else {
			long = true
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		s := strings.TrimRight(sb.String(), "\r\n")
		if long && err == nil {
			return s, errLongLine
		}
		return s, err
	}
}

// readListingRow reads one row's SKU, price and quantity; reason says why
// the row cannot be read ("" when it can). Amazon leaves quantity empty on
// a listing it fulfils itself or one without stock: that is 0 offered by
// the merchant.
func readListingRow(f []string, col map[string]int) (adapters.RemoteListing, string) {
	get := func(c string) string {
		if i, ok := col[c]; ok && i < len(f) {
			return strings.TrimSpace(f[i])
		}
		return ""
	}
	l := adapters.RemoteListing{SKU: get("seller-sku"), ExternalID: get("asin1"), Status: strings.ToUpper(get("status"))}
	if l.SKU == "" || len(l.SKU) > 200 {
		return l, "seller-sku is empty or longer than 200 characters"
	}
	price, err := ParsePaise(get("price"))
	if err != nil || price < 0 || price > 1e13 {
		return l, fmt.Sprintf("price %q is not an amount in rupees", cut(get("price"), 40))
	}
	l.PricePaise = price
	if q := get("quantity"); q != "" {
		n, err := strconv.ParseInt(q, 10, 64)
		if err != nil || n < 0 {
			return l, fmt.Sprintf("quantity %q is not a whole number >= 0", cut(q, 40))
		}
		l.Quantity = n
	}
	return l, ""
}
