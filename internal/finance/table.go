package finance

import (
	"strings"

	"github.com/jkhhc/artisanbridge/internal/apperr"
	"github.com/jkhhc/artisanbridge/internal/sheet"
)

// table is an uploaded CSV or XLSX file read by its header names (any
// order; case, spacing and a "(Rs.)" suffix do not matter).
type table struct {
	col  map[string]int
	rows []tableRow
}

type tableRow struct {
	line  int
	cells []string
}

// readTable reads data, refusing a file without rows or without one of
// the required columns, with every missing column named.
func readTable(data []byte, maxRows int, required []string) (table, error) {
	records, err := sheet.Read(data, maxRows+1)
	if err != nil {
		return table{}, apperr.FieldErrors{"file": err.Error()}.Err()
	}
	if len(records) < 2 {
		return table{}, apperr.FieldErrors{"file": "the file has no rows under its header"}.Err()
	}
	if len(records) > maxRows+1 {
		return table{}, apperr.FieldErrors{"file": "too many rows in one file"}.Err()
	}
	t := table{col: map[string]int{}}
	for i, h := range records[0] {
		if k := columnKey(h); k != "" {
			if _, dup := t.col[k]; dup {
				return table{}, apperr.FieldErrors{"file": "column " + h + " appears twice"}.Err()
			}
			t.col[k] = i
		}
	}
	fe := apperr.FieldErrors{}
	for _, c := range required {
		if _, ok := t.col[columnKey(c)]; !ok {
			fe.Add("file", "required column %q is missing", c)
		}
	}
	if err := fe.Err(); err != nil {
		return table{}, err
	}
	for i, rec := range records[1:] {
		if !sheet.Blank(rec) {
			t.rows = append(t.rows, tableRow{line: i + 2, cells: rec})
		}
	}
	return t, nil
}

// get returns a row's trimmed cell under a column ("" if absent).
func (t table) get(r tableRow, column string) string {
	if j, ok := t.col[columnKey(column)]; ok && j < len(r.cells) {
		return strings.TrimSpace(r.cells[j])
	}
	return ""
}

// columnKey normalises a header: lower case, words joined, "(rs.)" dropped.
func columnKey(h string) string {
	h = strings.ReplaceAll(strings.ToLower(h), "(rs.)", "")
	h = strings.ReplaceAll(h, "(inr)", "")
	return sheet.Header(h)
}
