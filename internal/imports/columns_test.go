package imports

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/jkhhc/artisanbridge/internal/apperr"
	"github.com/jkhhc/artisanbridge/internal/sheet"
)

func TestParseHeader(t *testing.T) {
	tests := []struct {
		name    string
		kind    string
		header  []string
		columns []string // what each position reads as
		errs    []string // "column: reason fragment"
	}{
		{"products in any order and case", KindProducts, []string{"Title ", " SKU", "HSN Code"}, []string{"title", "sku", "hsn_code"}, nil},
		{"survey sheet names", KindArtisans, []string{"Artisan Code", "Name", "Pehchan Card", "Bank Account", "IFSC", "Mobile", "Cluster Name"},
			[]string{"code", "name", "pehchan_card_no", "bank_account_number", "bank_ifsc", "phone", "cluster"}, nil},
		{"blank header cells are skipped", KindProducts, []string{"sku", "", "title"}, []string{"sku", "", "title"}, nil},
		{"unknown column", KindProducts, []string{"sku", "titel"}, nil, []string{"column B: unknown column"}},
		{"repeated column", KindArtisans, []string{"code", "Mobile", "phone"}, nil, []string{"column C: appears twice"}},
		{"key column missing", KindProducts, []string{"title"}, nil, []string{"sku: is required"}},
		{"aliases are the artisans' only", KindProducts, []string{"sku", "mobile"}, nil, []string{"column B: unknown column"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h, errs := ParseHeader(tc.kind, tc.header)
			var got []string
			for _, e := range errs {
				if e.Line != 1 {
					t.Errorf("header error on line %d", e.Line)
				}
				got = append(got, e.Column+": "+e.Reason)
			}
			if len(got) != len(tc.errs) {
				t.Fatalf("errors %q, want %q", got, tc.errs)
			}
			for i, want := range tc.errs {
				col, frag, _ := strings.Cut(want, ": ")
				if !strings.HasPrefix(got[i], col+": ") || !strings.Contains(got[i], frag) {
					t.Errorf("error %q, want %q", got[i], want)
				}
			}
			if tc.columns != nil && !slices.Equal(h.names, tc.columns) {
				t.Errorf("columns %q, want %q", h.names, tc.columns)
			}
		})
	}
}

func TestReadRow(t *testing.T) {
	h, _ := ParseHeader(KindProducts, []string{"sku", "mrp_paise", "gi_tag", "images", ""})
	tests := []struct {
		name   string
		rec    []string
		blank  bool
		errs   []string
		fields []string // field errors of ProductInput
	}{
		{"a row", []string{"A-1", "1000", "yes", "https://a/1.jpg | https://a/2.jpg"}, false, nil, nil},
		{"blank", []string{" ", "", ""}, true, nil, nil},
		{"value under no header", []string{"A-1", "", "", "", "stray"}, false, []string{"column E"}, nil},
		{"value past the header", []string{"A-1", "", "", "", "", "x"}, false, []string{"column F"}, nil},
		{"bad cells", []string{"A-1", "1,000.50", "perhaps"}, false, nil, []string{"gi_tag", "mrp_paise"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			row, blank, errs := h.ReadRow(7, tc.rec)
			if blank != tc.blank {
				t.Fatalf("blank %v", blank)
			}
			var cols []string
			for _, e := range errs {
				cols = append(cols, e.Column)
			}
			if !slices.Equal(cols, tc.errs) {
				t.Fatalf("errors in %q, want %q", cols, tc.errs)
			}
			fe := apperr.FieldErrors{}
			in := row.ProductInput(fe)
			var fields []string
			for _, e := range row.CellErrors(fe) {
				if e.Line != 7 || e.Value != row.Cells[e.Column] {
					t.Errorf("cell error %+v does not name row 7 and the value", e)
				}
				fields = append(fields, e.Column)
			}
			if !slices.Equal(fields, tc.fields) {
				t.Fatalf("field errors %q, want %q", fields, tc.fields)
			}
			if tc.name == "a row" && (*in.SKU != "A-1" || *in.MRPPaise != 1000 || !*in.GITag || len(*in.Images) != 2) {
				t.Fatalf("read wrongly: %+v", in)
			}
		})
	}
}

func TestBankNumbersAreMasked(t *testing.T) {
	row := Row{Line: 3, Cells: map[string]string{"bank_account_number": "1234567890123456789"}}
	errs := row.CellErrors(apperr.FieldErrors{"bank_account_number": "must be 9-18 digits"})
	if len(errs) != 1 || strings.Contains(errs[0].Value, "12345") || !strings.HasSuffix(errs[0].Value, "6789") {
		t.Fatalf("bank number echoed: %+v", errs)
	}
}

func TestProgress(t *testing.T) {
	tests := []struct {
		imp  Import
		want int
	}{
		{Import{Status: StatusValidating, Bytes: 1000, BytesValidated: 500}, 25},
		{Import{Status: StatusValidating, Bytes: 1000, BytesValidated: 1000}, 49},
		{Import{Status: StatusApplying, RowsTotal: 200, RowsApplied: 100}, 75},
		{Import{Status: StatusRejected}, 100},
		{Import{Status: StatusUploading}, 0},
	}
	for _, tc := range tests {
		if got := Progress(tc.imp); got != tc.want {
			t.Errorf("Progress(%+v) = %d, want %d", tc.imp, got, tc.want)
		}
	}
}

// readSheet reads a whole file as the job does, header then rows.
func readSheet(t *testing.T, kind string, data []byte) (rows []Row, errs []CellError, err error) {
	t.Helper()
	var rd sheet.Rows
	if sheet.Sniff(data) == sheet.XLSX {
		path := filepath.Join(t.TempDir(), "f.xlsx")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		if rd, err = sheet.OpenXLSX(path); err != nil {
			return nil, nil, err
		}
	} else {
		rd = sheet.NewCSV(bytes.NewReader(data))
	}
	defer rd.Close()
	rec, err := rd.Next()
	if err != nil {
		return nil, nil, err
	}
	h, errs := ParseHeader(kind, rec)
	for line := int64(2); ; line++ {
		rec, err := rd.Next()
		if errors.Is(err, io.EOF) {
			return rows, errs, nil
		}
		if err != nil {
			return rows, errs, err
		}
		row, blank, rowErrs := h.ReadRow(line, rec)
		errs = append(errs, rowErrs...)
		if !blank {
			rows = append(rows, row)
		}
	}
}

func xlsxFile(t testing.TB, rows [][]any) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	for i, r := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow("Sheet1", cell, &r); err != nil {
			t.Fatal(err)
		}
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestReadSheets(t *testing.T) {
	tests := []struct {
		name    string
		data    []byte
		rows    int
		wantErr string
	}{
		{"csv", []byte("sku,title\nA-1,Shawl\nA-2,Box\n"), 2, ""},
		{"bom and blank lines", []byte("\xef\xbb\xbfsku,title\n\n,\nA-1,Shawl\n"), 1, ""},
		{"quoted newline", []byte("sku,title\nA-1,\"Shawl,\nlong\"\n"), 1, ""},
		{"broken quote", []byte("sku,title\n\"A-1,Shawl\n"), 0, "malformed"},
		{"not utf-8", []byte("sku,title\nA-1,\xff\xfe\n"), 0, "UTF-8"},
		{"zip that is no xlsx", []byte("PK\x03\x04garbage"), 0, "XLSX"},
		{"xlsx", xlsxFile(t, [][]any{{"title", "sku"}, {"Willow basket", "WIL-1"}, {}, {"Tray", "WIL-2"}}), 2, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rows, _, err := readSheet(t, KindProducts, tc.data)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || len(rows) != tc.rows {
				t.Fatalf("%d rows, err %v", len(rows), err)
			}
			if rows[0].Cells["sku"] == "" || rows[0].Line != 2 && tc.name != "bom and blank lines" {
				t.Fatalf("first row %+v", rows[0])
			}
		})
	}
}

// FuzzSheet: no file, however malformed, panics the readers; whatever is
// read has rows numbered after the header, in order, with known columns.
func FuzzSheet(f *testing.F) {
	f.Add([]byte("sku,title,mrp_paise\nA-1,Shawl,1000\n"))
	f.Add([]byte("code,name,Bank Account\n\"unterminated"))
	f.Add([]byte("PK\x03\x04\x14\x00\x00\x00"))
	f.Add(xlsxFile(f, [][]any{{"code", "name"}, {"A", "B"}}))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, kind := range []string{KindArtisans, KindProducts} {
			rows, _, err := readSheet(t, kind, data)
			if err != nil {
				continue
			}
			last := int64(1)
			for _, r := range rows {
				if r.Line <= last {
					t.Fatalf("row %d after row %d", r.Line, last)
				}
				last = r.Line
				for k := range r.Cells {
					if !slices.Contains(Columns[kind], k) {
						t.Fatalf("unknown column %q read", k)
					}
				}
				fe := apperr.FieldErrors{}
				if kind == KindProducts {
					r.ProductInput(fe)
				} else {
					r.ArtisanInput(fe, map[string]string{"kanihama": "c-1"})
				}
				r.CellErrors(fe)
			}
		}
	})
}
