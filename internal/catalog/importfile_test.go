package catalog

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/jkhhc/artisanbridge/internal/apperr"
)

const header = "sku,title,craft,hsn_code,gst_rate_bp,mrp_paise,price_paise,artisan_code,artisan_price_paise\n"

func TestParseImportFile(t *testing.T) {
	tests := []struct {
		name    string
		data    string
		rows    int
		wantErr string
	}{
		{"csv", header + "A-1,Shawl,kani_shawl,6214,500,1000,900,AR-1,500\nA-2,Box,papier_mache,4823,500,200,150,AR-1,100\n", 2, ""},
		{"columns in any order and case", "Title , SKU,craft,HSN Code,gst_rate_bp,mrp_paise,price_paise,artisan_code,artisan_share_bp\nShawl,A-1,kani_shawl,6214,500,1000,900,AR-1,5000\n", 1, ""},
		{"bom and blank lines", "\xef\xbb\xbf" + header + "\n,,,,,,,,\nA-1,Shawl,kani_shawl,6214,500,1000,900,AR-1,500\n", 1, ""},
		{"empty", "", 0, "empty"},
		{"header only", header, 0, "no data rows"},
		{"unknown column", strings.Replace(header, "title", "titel", 1) + "A,B,C,D,E,F,G,H,I\n", 0, "header.titel"},
		{"missing column", strings.Replace(header, "hsn_code,", "", 1) + "A,B,C,E,F,G,H,I\n", 0, "header.hsn_code"},
		{"duplicate column", strings.Replace(header, "title", "sku", 1) + "A,B,C,D,E,F,G,H,I\n", 0, "appears twice"},
		{"value without header", header + "A-1,Shawl,kani_shawl,6214,500,1000,900,AR-1,500,extra\n", 0, "no header"},
		{"broken quote", header + "\"A-1,Shawl\n", 0, "malformed"},
		{"not utf-8", header + "A-1,\xff\xfe,kani_shawl,6214,500,1000,900,AR-1,500\n", 0, "UTF-8"},
		{"zip that is no xlsx", "PK\x03\x04garbage", 0, "XLSX"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rows, err := ParseImportFile([]byte(tc.data))
			if tc.wantErr != "" {
				var ae *apperr.Error
				if !errors.As(err, &ae) || (ae.Code != apperr.Invalid && ae.Code != apperr.Unprocessable) {
					t.Fatalf("err = %v, want a refusal (invalid_argument or unprocessable)", err)
				}
				if !strings.Contains(ae.Error()+strings.Join(keys(ae.Fields), ","), tc.wantErr) {
					t.Fatalf("err = %v (fields %v), want it to mention %q", err, ae.Fields, tc.wantErr)
				}
				return
			}
			if err != nil || len(rows) != tc.rows {
				t.Fatalf("rows %d err %v", len(rows), err)
			}
			if rows[0].Fields["sku"] != "A-1" || rows[0].Fields["title"] != "Shawl" {
				t.Fatalf("first row read wrongly: %v", rows[0].Fields)
			}
		})
	}
}

func keys(m map[string]string) []string {
	out := []string{}
	for k := range m {
		out = append(out, k)
	}
	return out
}

// XLSX builds a workbook the way a spreadsheet program would.
func XLSX(t testing.TB, rows [][]any) []byte {
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

func TestParseImportXLSX(t *testing.T) {
	data := XLSX(t, [][]any{
		{"sku", "title", "craft", "hsn_code", "gst_rate_bp", "mrp_paise", "price_paise", "artisan_code", "artisan_price_paise", "images"},
		{"WIL-1", "Willow basket", "willow_wicker", "4602", 500, 90000, 80000, "AR-1", 50000, "https://img.example/1.jpg | https://img.example/2.jpg"},
	})
	rows, err := ParseImportFile(data)
	if err != nil || len(rows) != 1 {
		t.Fatalf("rows %v err %v", rows, err)
	}
	fe := apperr.FieldErrors{}
	in := rows[0].Input(fe)
	if len(fe) != 0 || *in.SKU != "WIL-1" || *in.MRPPaise != 90000 || len(*in.Images) != 2 || rows[0].Line != 2 {
		t.Fatalf("row read wrongly: %+v %v", rows[0], fe)
	}
}

func TestRowInputErrors(t *testing.T) {
	row := ImportRow{Line: 3, Fields: map[string]string{"sku": "A-1", "mrp_paise": "1,000.50", "gi_tag": "perhaps", "price_paise": "12.5"}}
	fe := apperr.FieldErrors{}
	row.Input(fe)
	for _, f := range []string{"mrp_paise", "gi_tag", "price_paise"} {
		if _, ok := fe[f]; !ok {
			t.Errorf("%s not reported: %v", f, fe)
		}
	}
}

// FuzzParseImportFile: no file, however malformed, panics the parser, and
// whatever it accepts has a row per non-blank line with known columns only.
func FuzzParseImportFile(f *testing.F) {
	f.Add([]byte(header + "A-1,Shawl,kani_shawl,6214,500,1000,900,AR-1,500\n"))
	f.Add([]byte("sku\n\"unterminated"))
	f.Add([]byte("PK\x03\x04\x14\x00\x00\x00"))
	f.Add(XLSX(f, [][]any{{"sku", "title"}, {"A", "B"}}))
	f.Fuzz(func(t *testing.T, data []byte) {
		rows, err := ParseImportFile(data)
		if err != nil {
			var ae *apperr.Error
			if !errors.As(err, &ae) || (ae.Code != apperr.Invalid && ae.Code != apperr.Unprocessable) {
				t.Fatalf("a bad file must be a validation error, got %v", err)
			}
			return
		}
		for _, r := range rows {
			if r.Line < 2 {
				t.Fatalf("row line %d", r.Line)
			}
			for k := range r.Fields {
				known := false
				for _, c := range importColumns {
					known = known || c == k
				}
				if !known {
					t.Fatalf("unknown column %q accepted", k)
				}
			}
		}
	})
}

// TestImportRowGI: an import names a piece's GI by key, as the API does.
func TestImportRowGI(t *testing.T) {
	rows, err := ParseImportFile([]byte("sku,title,craft,hsn_code,gst_rate_bp,mrp_paise,price_paise,artisan_code,gi,gi_certificate_no\n" +
		"KANI-9,Kani shawl,kani_shawl,62142010,500,9500000,8900000,KNH-01,kani_shawl,AU/KNH/0009\n"))
	if err != nil {
		t.Fatal(err)
	}
	fe := apperr.FieldErrors{}
	in := rows[0].Input(fe)
	if len(fe) != 0 || in.GI == nil || *in.GI != "kani_shawl" || *in.GICertificateNo != "AU/KNH/0009" {
		t.Fatalf("row read wrongly: %+v %v", in, fe)
	}
}
