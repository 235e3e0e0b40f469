package gem

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/jkhhc/artisanbridge/adapters"
	"github.com/jkhhc/artisanbridge/internal/apperr"
	"github.com/jkhhc/artisanbridge/internal/money"
	"github.com/jkhhc/artisanbridge/internal/sheet"
)

// MaxExportRows bounds a portal export.
const MaxExportRows = 20000

// RowError is what is wrong with one row of a file.
type RowError struct {
	Line    int    `json:"row"`
	Column  string `json:"column"`
	Message string `json:"message"`
}

// FileError rejects a whole file, listing every bad row.
type FileError struct {
	Problem string
	Rows    []RowError
}

func (e *FileError) Error() string {
	if len(e.Rows) == 0 {
		return "gem: " + e.Problem
	}
	return fmt.Sprintf("gem: %s (%d bad rows; first: row %d, %s: %s)", e.Problem, len(e.Rows), e.Rows[0].Line, e.Rows[0].Column, e.Rows[0].Message)
}

// Table is a sheet read by header names.
type Table struct {
	Header map[string]int
	Rows   []Row
}

// Row is one data row with its line number in the sheet.
type Row struct {
	Line  int
	Cells []string
}

// Get returns the cell of column name ("" when absent).
func (t Table) Get(r Row, name string) string {
	i, ok := t.Header[name]
	if !ok || i >= len(r.Cells) {
		return ""
	}
	return strings.TrimSpace(r.Cells[i])
}

// ReadTable reads a CSV or XLSX file by header names: every column in
// required must be there (aliases separated by |, first found wins).
func ReadTable(data []byte, maxRows int, required ...string) (Table, error) {
	records, err := sheet.Read(data, maxRows)
	if err != nil {
		return Table{}, &FileError{Problem: err.Error()}
	}
	if len(records) == 0 {
		return Table{}, &FileError{Problem: "the file has no header row"}
	}
	t := Table{Header: map[string]int{}}
	for i, h := range records[0] {
		if name := sheet.Header(h); name != "" {
			if _, dup := t.Header[name]; dup {
				return Table{}, &FileError{Problem: "column " + h + " appears twice"}
			}
			t.Header[name] = i
		}
	}
	for _, req := range required {
		found := false
		for _, alias := range strings.Split(req, "|") {
			if i, ok := t.Header[alias]; ok {
				t.Header[strings.Split(req, "|")[0]] = i
				found = true
				break
			}
		}
		if !found {
			return Table{}, &FileError{Problem: "required column " + strings.Split(req, "|")[0] + " is missing"}
		}
	}
	for i, rec := range records[1:] {
		if !sheet.Blank(rec) {
			t.Rows = append(t.Rows, Row{Line: i + 2, Cells: rec})
		}
	}
	return t, nil
}

// refusal is the answer to a person who uploaded a file with bad rows
// (422), each bad cell named as "row N.Column" for them to mend it.
func (e *FileError) refusal() error {
	r := apperr.New(apperr.Unprocessable, "%s", e.Problem)
	r.Fields = map[string]string{}
	for _, row := range e.Rows {
		r.Fields[fmt.Sprintf("row %d.%s", row.Line, row.Column)] = row.Message
	}
	return r
}

// CheckCatalogueExport reads an export a person uploaded and answers how
// many listings it holds; a bad file is refused (422) with each bad cell
// named, and nothing of it is kept.
func CheckCatalogueExport(data []byte) (int, error) {
	listings, err := ParseCatalogueExport(data)
	var fe *FileError
	if errors.As(err, &fe) {
		return 0, fe.refusal()
	}
	return len(listings), err
}

// ParseCatalogueExport reads the portal's catalogue export (CSV or XLSX,
// columns by name in any order): catalogue id, SKU, offer price, stock and
// status. A malformed row rejects the whole file with every bad row named.
func ParseCatalogueExport(data []byte) ([]adapters.RemoteListing, error) {
	t, err := ReadTable(data, MaxExportRows, "catalogue_id|gem_catalogue_id", "model/sku|sku", "offer_price|offer_price_incl._gst_(inr)", "stock", "status")
	if err != nil {
		return nil, err
	}
	var out []adapters.RemoteListing
	var bad []RowError
	seen := map[string]int{}
	for _, r := range t.Rows {
		sku := t.Get(r, "model/sku")
		l := adapters.RemoteListing{SKU: sku, ExternalID: t.Get(r, "catalogue_id"), Status: strings.ToUpper(t.Get(r, "status"))}
		if sku == "" {
			bad = append(bad, RowError{r.Line, "Model/SKU", "is empty"})
		} else if first, dup := seen[sku]; dup {
			bad = append(bad, RowError{r.Line, "Model/SKU", fmt.Sprintf("repeats row %d", first)})
		}
		seen[sku] = r.Line
		if l.ExternalID == "" {
			bad = append(bad, RowError{r.Line, "Catalogue ID", "is empty"})
		}
		price, err := money.Parse(t.Get(r, "offer_price"))
		if err != nil || price <= 0 {
			bad = append(bad, RowError{r.Line, "Offer Price", "must be a positive amount in rupees"})
		}
		l.PricePaise = price
		stock, err := strconv.ParseInt(t.Get(r, "stock"), 10, 64)
		if err != nil || stock < 0 {
			bad = append(bad, RowError{r.Line, "Stock", "must be a whole number >= 0"})
		}
		l.Quantity = stock
		if !slices.Contains([]string{"ACTIVE", "INACTIVE", "PENDING", "REJECTED"}, l.Status) {
			bad = append(bad, RowError{r.Line, "Status", "must be Active, Inactive, Pending or Rejected"})
		}
		out = append(out, l)
	}
	if len(bad) > 0 {
		sort.SliceStable(bad, func(i, j int) bool { return bad[i].Line < bad[j].Line })
		return nil, &FileError{Problem: "the export has malformed rows; nothing was read", Rows: bad}
	}
	return out, nil
}
