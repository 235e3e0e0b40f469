package imports

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/jkhhc/artisanbridge/internal/apperr"
	"github.com/jkhhc/artisanbridge/internal/catalog"
	"github.com/jkhhc/artisanbridge/internal/secrets"
	"github.com/jkhhc/artisanbridge/internal/sheet"
)

// Columns are the headers a sheet of each kind may carry, in any order and
// case ("Pehchan Card No" reads as pehchan_card_no). The key column (code,
// sku) is required; the others are required of a row that creates.
var Columns = map[string][]string{
	KindArtisans: {"code", "name", "craft", "cluster", "district", "phone", "pehchan_card_no",
		"gi_authorised_user_no", "bank_account_number", "bank_ifsc", "language", "status"},
	KindProducts: {"sku", "title", "description", "craft", "hsn_code", "gst_rate_bp", "mrp_paise", "price_paise",
		"artisan_id", "artisan_code", "artisan_price_paise", "artisan_share_bp", "gi", "gi_tag",
		"gi_certificate_no", "one_of_a_kind", "made_to_order", "weight_g", "length_mm", "width_mm", "height_mm",
		"images", "status"},
}

// KeyColumn is the column that matches a row to what is stored.
var KeyColumn = map[string]string{KindArtisans: "code", KindProducts: "sku"}

// aliases are the other names the department's survey sheets use.
var aliases = map[string]string{
	"artisan_code": "code", "artisan_name": "name", "cluster_name": "cluster", "cluster_id": "cluster",
	"mobile": "phone", "mobile_no": "phone", "phone_no": "phone",
	"pehchan_card": "pehchan_card_no", "pehchan_card_number": "pehchan_card_no", "pehchan_no": "pehchan_card_no",
	"gi_authorised_user_number": "gi_authorised_user_no", "gi_authorized_user_no": "gi_authorised_user_no", "gi_au_no": "gi_authorised_user_no",
	"bank_account": "bank_account_number", "account_number": "bank_account_number", "bank_account_no": "bank_account_number",
	"ifsc": "bank_ifsc", "ifsc_code": "bank_ifsc",
}

// secretColumns are never echoed: an error report shows them masked.
var secretColumns = map[string]bool{"bank_account_number": true}

// Header is a sheet's header row, read: the column name of each position
// ("" for a blank header cell).
type Header struct {
	Kind  string
	names []string
}

// ParseHeader reads a header row of kind. Every problem is a cell error of
// row 1: an unknown or repeated column, or a missing key column.
func ParseHeader(kind string, rec []string) (Header, []CellError) {
	known := Columns[kind]
	h := Header{Kind: kind, names: make([]string, len(rec))}
	var errs []CellError
	seen := map[string]bool{}
	for i, raw := range rec {
		name := sheet.Header(raw)
		if kind == KindArtisans {
			if a, ok := aliases[name]; ok {
				name = a
			}
		}
		switch {
		case name == "":
			continue
		case !slices.Contains(known, name):
			errs = append(errs, CellError{Line: 1, Column: columnName(i), Value: clip(raw),
				Reason: "unknown column; the columns are " + strings.Join(known, ", ")})
			continue
		case seen[name]:
			errs = append(errs, CellError{Line: 1, Column: columnName(i), Value: clip(raw), Reason: "this column appears twice"})
			continue
		}
		seen[name] = true
		h.names[i] = name
	}
	if key := KeyColumn[kind]; !seen[key] {
		errs = append(errs, CellError{Line: 1, Column: key, Reason: "the " + key + " column is required (it matches each row to what is registered)"})
	}
	return h, errs
}

// columnName is a column's letter as a spreadsheet shows it (A, B, ... AA).
func columnName(i int) string {
	name := ""
	for i++; i > 0; i = (i - 1) / 26 {
		name = string(rune('A'+(i-1)%26)) + name
	}
	return "column " + name
}

// Row is one data row: its number in the sheet and its cells by column.
type Row struct {
	Line  int64
	Cells map[string]string
}

// ReadRow maps a record to its columns. A value under no header is a cell
// error; a row with no value at all is blank (skipped, not an error).
func (h Header) ReadRow(line int64, rec []string) (row Row, blank bool, errs []CellError) {
	row = Row{Line: line, Cells: make(map[string]string, len(h.names))}
	blank = true
	for i, v := range rec {
		v = strings.TrimSpace(v)
		if v == "" {
			continue
		}
		blank = false
		if i >= len(h.names) || h.names[i] == "" {
			errs = append(errs, CellError{Line: line, Column: columnName(i), Value: clip(v), Reason: "a value in a column with no (known) header: add the header or clear the cell"})
			continue
		}
		row.Cells[h.names[i]] = v
	}
	return row, blank, errs
}

// Key is the row's match key: the code (upper case, as codes are stored)
// or the SKU.
func (r Row) Key(kind string) string {
	v := strings.TrimSpace(r.Cells[KeyColumn[kind]])
	if kind == KindArtisans {
		return strings.ToUpper(v)
	}
	return v
}

// CellErrors turns a row's field problems into cell errors naming the
// value found (masked for a bank account), in column order.
func (r Row) CellErrors(fe apperr.FieldErrors) []CellError {
	out := make([]CellError, 0, len(fe))
	for field, reason := range fe {
		col := field
		switch field {
		case "cluster_id":
			col = "cluster"
		case "artisan_id":
			if _, ok := r.Cells["artisan_id"]; !ok {
				col = "artisan_code"
			}
		}
		v := r.Cells[col]
		if secretColumns[col] && v != "" {
			v = secrets.Mask(v)
		}
		out = append(out, CellError{Line: r.Line, Column: col, Value: clip(v), Reason: reason})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Column < out[j].Column })
	return out
}

// clip keeps an echoed value short: the report names the cell, it need not
// carry a pasted essay.
func clip(v string) string {
	if r := []rune(v); len(r) > 200 {
		return string(r[:200]) + "…"
	}
	return v
}

func (r Row) str(name string) *string {
	if v, ok := r.Cells[name]; ok && v != "" {
		return &v
	}
	return nil
}

func (r Row) num(fe apperr.FieldErrors, name string) *int64 {
	v, ok := r.Cells[name]
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

func (r Row) boolean(fe apperr.FieldErrors, name string) *bool {
	v, ok := r.Cells[name]
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

// ArtisanInput reads an artisan row. The cluster cell names a cluster by
// name (as survey sheets do) or by id; clusters maps lower-case names to
// ids.
func (r Row) ArtisanInput(fe apperr.FieldErrors, clusters map[string]string) catalog.ArtisanInput {
	in := catalog.ArtisanInput{
		Code: r.str("code"), Name: r.str("name"), Craft: r.str("craft"), District: r.str("district"),
		Phone: r.str("phone"), Language: r.str("language"), PehchanCardNo: r.str("pehchan_card_no"),
		GIAuthorisedUserNo: r.str("gi_authorised_user_no"), BankAccountNumber: r.str("bank_account_number"),
		BankIFSC: r.str("bank_ifsc"), Status: r.str("status"),
	}
	if c := r.str("cluster"); c != nil {
		id, ok := clusters[strings.ToLower(*c)]
		if !ok {
			for _, known := range clusters {
				if known == *c {
					id, ok = known, true
					break
				}
			}
		}
		if !ok {
			fe.Add("cluster", "no cluster of this name: register it first (POST /api/v1/clusters) or correct the name")
		} else {
			in.ClusterID = &id
		}
	}
	return in
}

// ProductInput reads a product row.
func (r Row) ProductInput(fe apperr.FieldErrors) catalog.ProductInput {
	var in catalog.ProductInput
	in.SKU, in.Title, in.Description, in.Craft = r.str("sku"), r.str("title"), r.str("description"), r.str("craft")
	in.HSNCode, in.ArtisanID, in.ArtisanCode = r.str("hsn_code"), r.str("artisan_id"), r.str("artisan_code")
	in.GI, in.GICertificateNo, in.Status = r.str("gi"), r.str("gi_certificate_no"), r.str("status")
	in.GSTRateBP, in.MRPPaise, in.PricePaise = r.num(fe, "gst_rate_bp"), r.num(fe, "mrp_paise"), r.num(fe, "price_paise")
	in.ArtisanPricePaise, in.ArtisanShareBP = r.num(fe, "artisan_price_paise"), r.num(fe, "artisan_share_bp")
	in.WeightG, in.LengthMM = r.num(fe, "weight_g"), r.num(fe, "length_mm")
	in.WidthMM, in.HeightMM = r.num(fe, "width_mm"), r.num(fe, "height_mm")
	in.GITag, in.OneOfAKind, in.MadeToOrder = r.boolean(fe, "gi_tag"), r.boolean(fe, "one_of_a_kind"), r.boolean(fe, "made_to_order")
	if v := r.str("images"); v != nil {
		imgs := []string{}
		for _, u := range strings.Split(*v, "|") {
			if u = strings.TrimSpace(u); u != "" {
				imgs = append(imgs, u)
			}
		}
		in.Images = &imgs
	}
	return in
}

// Describe says in a sentence what a finished import did.
func Describe(i Import) string {
	switch i.Status {
	case StatusRejected:
		return fmt.Sprintf("%d cells in %d rows are invalid; nothing was imported: fix them (see errors_url) and upload the file again", i.ErrorCount, i.Failed)
	case StatusDone:
		return fmt.Sprintf("%d created, %d updated, %d unchanged, %d failed", i.Created, i.Updated, i.Unchanged, i.Failed)
	}
	return i.Message
}
