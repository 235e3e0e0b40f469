package catalog

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/jkhhc/artisanbridge/internal/apperr"
	"github.com/jkhhc/artisanbridge/internal/sheet"
)

// Limits of one import file; a showroom's catalogue sheet is far smaller.
const (
	MaxImportRows  = 5000
	MaxImportBytes = 10 << 20
)

// ImportRow is one data row of an import file, by header name; Line is the
// row number a person sees in the sheet (the header is line 1).
type ImportRow struct {
	Line   int
	Fields map[string]string
}

// importColumns are the headers an import file may carry; the order in the
// file does not matter, since rows are read by header name.
var importColumns = []string{
	"sku", "title", "description", "craft", "hsn_code", "gst_rate_bp", "mrp_paise", "price_paise",
	"artisan_id", "artisan_code", "artisan_price_paise", "artisan_share_bp", "gi", "gi_tag",
	"gi_certificate_no", "one_of_a_kind", "made_to_order", "weight_g", "length_mm", "width_mm", "height_mm",
	"images", "status",
}

var requiredColumns = []string{"sku", "title", "craft", "hsn_code", "gst_rate_bp", "mrp_paise", "price_paise"}

// ParseImportFile reads a CSV or XLSX file into rows. It rejects the file
// as a whole for unknown or missing headers, too many rows, or bytes that
// are not a spreadsheet.
func ParseImportFile(data []byte) ([]ImportRow, error) {
	if len(data) > MaxImportBytes {
		return nil, apperr.New(apperr.Invalid, "the file is larger than %d MiB", MaxImportBytes>>20)
	}
	records, err := sheet.Read(data, MaxImportRows)
	if err != nil {
		return nil, apperr.New(apperr.Invalid, "%s", err.Error())
	}
	return rowsFromRecords(records)
}

func rowsFromRecords(records [][]string) ([]ImportRow, error) {
	if len(records) == 0 {
		return nil, apperr.New(apperr.Invalid, "the file has no header row")
	}
	header := make([]string, len(records[0]))
	seen := map[string]bool{}
	fe := apperr.FieldErrors{}
	for i, h := range records[0] {
		name := sheet.Header(h)
		header[i] = name
		switch {
		case name == "":
			continue
		case !slices.Contains(importColumns, name):
			fe.Add("header."+name, "unknown column; known columns: %s", strings.Join(importColumns, ", "))
		case seen[name]:
			fe.Add("header."+name, "appears twice")
		}
		seen[name] = true
	}
	for _, req := range requiredColumns {
		if !seen[req] {
			fe.Add("header."+req, "required column is missing")
		}
	}
	if !seen["artisan_id"] && !seen["artisan_code"] {
		fe.Add("header.artisan_code", "artisan_code or artisan_id column is required")
	}
	if err := fe.Err(); err != nil {
		return nil, err
	}
	var rows []ImportRow
	for i, rec := range records[1:] {
		if sheet.Blank(rec) {
			continue
		}
		row := ImportRow{Line: i + 2, Fields: map[string]string{}}
		for j, v := range rec {
			if j < len(header) && header[j] != "" {
				row.Fields[header[j]] = strings.TrimSpace(v)
			} else if strings.TrimSpace(v) != "" {
				return nil, apperr.New(apperr.Invalid, "row %d has a value in column %d, which has no header", i+2, j+1)
			}
		}
		rows = append(rows, row)
	}
	if len(rows) == 0 {
		return nil, apperr.New(apperr.Invalid, "the file has no data rows")
	}
	return rows, nil
}

// Input converts a row to a ProductInput, recording unparsable cells in fe.
func (r ImportRow) Input(fe apperr.FieldErrors) ProductInput {
	var in ProductInput
	str := func(name string) *string {
		if v, ok := r.Fields[name]; ok && v != "" {
			return &v
		}
		return nil
	}
	num := func(name string) *int64 {
		v, ok := r.Fields[name]
		if !ok || v == "" {
			return nil
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			fe.Add(name, "must be a whole number (paise and basis points have no decimals)")
			return nil
		}
		return &n
	}
	boolean := func(name string) *bool {
		v, ok := r.Fields[name]
		if !ok || v == "" {
			return nil
		}
		switch strings.ToLower(v) {
		case "true", "yes", "y", "1":
			b := true
			return &b
		case "false", "no", "n", "0":
			b := false
			return &b
		}
		fe.Add(name, "must be yes or no")
		return nil
	}
	in.SKU, in.Title, in.Description, in.Craft = str("sku"), str("title"), str("description"), str("craft")
	in.HSNCode, in.ArtisanID, in.ArtisanCode = str("hsn_code"), str("artisan_id"), str("artisan_code")
	in.GI, in.GICertificateNo, in.Status = str("gi"), str("gi_certificate_no"), str("status")
	in.GSTRateBP, in.MRPPaise, in.PricePaise = num("gst_rate_bp"), num("mrp_paise"), num("price_paise")
	in.ArtisanPricePaise, in.ArtisanShareBP = num("artisan_price_paise"), num("artisan_share_bp")
	in.WeightG, in.LengthMM, in.WidthMM, in.HeightMM = num("weight_g"), num("length_mm"), num("width_mm"), num("height_mm")
	in.GITag, in.OneOfAKind, in.MadeToOrder = boolean("gi_tag"), boolean("one_of_a_kind"), boolean("made_to_order")
	if v := str("images"); v != nil {
		var imgs []string
		for _, u := range strings.Split(*v, "|") {
			if u = strings.TrimSpace(u); u != "" {
				imgs = append(imgs, u)
			}
		}
		in.Images = &imgs
	}
	return in
}

// RowError is what is wrong with one row of an import.
type RowError struct {
	Line   int               `json:"line"`
	SKU    string            `json:"sku"`
	Fields map[string]string `json:"fields"`
}

// ImportResult says what an import did.
type ImportResult struct {
	Rows     int        `json:"rows"`
	Imported int        `json:"imported"`
	Skipped  int        `json:"skipped"`
	Errors   []RowError `json:"errors"`
	Products []Product  `json:"products"`
}

// ImportProducts validates every row, then creates the products in one
// transaction. If any row is invalid nothing is imported, unless validOnly
// asks for the valid rows alone; the result lists every invalid row.
func (s *Service) ImportProducts(ctx context.Context, rows []ImportRow, validOnly bool) (_ ImportResult, err error) {
	defer apperr.Annotate(&err, "catalog.ImportProducts(%d rows)", len(rows))
	res := ImportResult{Rows: len(rows), Errors: []RowError{}, Products: []Product{}}
	byCode := map[string]string{}
	skuLine := map[string]int{}
	var valid []Product
	var skus []string
	for _, row := range rows {
		fe := apperr.FieldErrors{}
		in := row.Input(fe)
		p, err := s.newProduct(ctx, in, byCode)
		if err != nil {
			var ae *apperr.Error
			if !errors.As(err, &ae) || ae.Code != apperr.Unprocessable {
				return ImportResult{}, err
			}
			for k, v := range ae.Fields {
				fe.Add(k, "%s", v)
			}
		}
		if first, dup := skuLine[p.SKU]; dup && p.SKU != "" {
			fe.Add("sku", "repeats the SKU of line %d", first)
		} else if p.SKU != "" {
			skuLine[p.SKU] = row.Line
		}
		if len(fe) > 0 {
			res.Errors = append(res.Errors, RowError{Line: row.Line, SKU: row.Fields["sku"], Fields: fe})
			continue
		}
		valid = append(valid, p)
		skus = append(skus, p.SKU)
	}
	existing, err := s.store.ExistingSKUs(ctx, skus)
	if err != nil {
		return ImportResult{}, err
	}
	kept := valid[:0]
	for _, p := range valid {
		if existing[p.SKU] {
			res.Errors = append(res.Errors, RowError{Line: skuLine[p.SKU], SKU: p.SKU,
				Fields: map[string]string{"sku": "already in the catalogue"}})
			continue
		}
		kept = append(kept, p)
	}
	sort.Slice(res.Errors, func(i, j int) bool { return res.Errors[i].Line < res.Errors[j].Line })
	if len(res.Errors) > 0 && !validOnly {
		return res, importError(res)
	}
	res.Skipped = len(res.Errors)
	if len(kept) > 0 {
		if err := s.store.CreateProducts(ctx, kept, s.createdEffects(ctx, kept...)); err != nil {
			return ImportResult{}, err
		}
	}
	res.Imported = len(kept)
	res.Products = append(res.Products, kept...)
	return res, nil
}

// importError reports every invalid row in the API's error shape:
// fields are keyed "line N.field".
func importError(res ImportResult) error {
	e := apperr.New(apperr.Unprocessable, "%d of %d rows are invalid; nothing was imported (fix them, or import with valid_only=true)", len(res.Errors), res.Rows)
	e.Fields = map[string]string{}
	for _, re := range res.Errors {
		for f, msg := range re.Fields {
			e.Fields[fmt.Sprintf("line %d.%s", re.Line, f)] = msg
		}
	}
	return e
}
