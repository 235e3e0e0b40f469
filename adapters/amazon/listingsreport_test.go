package amazon

import (
	"bytes"
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/jkhhc/artisanbridge/adapters"
)

func parseAll(t testing.TB, doc string) ([]adapters.RemoteListing, []BadRow, error) {
	t.Helper()
	var rows []adapters.RemoteListing
	var bad []BadRow
	err := ParseListingsReport(strings.NewReader(doc), func(l adapters.RemoteListing) error { rows = append(rows, l); return nil },
		func(b BadRow) error { bad = append(bad, b); return nil })
	return rows, bad, err
}

func TestParseListingsReport(t *testing.T) {
	const head = "item-name\tlisting-id\tseller-sku\tprice\tquantity\tasin1\tfulfillment-channel\tstatus\r\n"
	for _, tc := range []struct {
		name    string
		doc     string
		want    string // sku:quantity@paise of each row read
		bad     []int  // lines refused
		refused bool
	}{
		{"rows", head + "Box\t1\tWAL-1\t2500.00\t3\tB01\tDEFAULT\tActive\r\nShawl \"kani\"\t2\tKANI-9\t19999.5\t0\tB02\tDEFAULT\tActive\r\n", "WAL-1:3@250000 KANI-9:0@1999950 ", nil, false},
		{"columns in another order, LF ends, no final end", "quantity\tprice\tseller-sku\n7\t10\tA\n1\t1.01\tB", "A:7@1000 B:1@101 ", nil, false},
		{"a byte order mark", "\ufeffseller-sku\tprice\tquantity\nA\t1\t2\n", "A:2@100 ", nil, false},
		{"empty quantity is none offered by us", head + "x\t1\tFBA-1\t100\t\tB0\tAMAZON_IN\tActive\n", "FBA-1:0@10000 ", nil, false},
		{"bad rows named, the rest read", head + "x\t1\t\t100\t1\t\t\t\nx\t2\tB\tabc\t1\t\t\t\nx\t3\tC\t100\t-1\t\t\t\nx\t4\tD\t100\t1\t\t\t\n\n", "D:1@10000 ", []int{2, 3, 4}, false},
		{"a short row", head + "x\t1\tE\n", "", []int{2}, false},
		{"no sku column", "sku\tprice\tquantity\nA\t1\t1\n", "", nil, true},
		{"empty", "", "", nil, true},
		{"header only", head, "", nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rows, bad, err := parseAll(t, tc.doc)
			if (err != nil) != tc.refused {
				t.Fatalf("err %v, refused %v", err, tc.refused)
			}
			var got strings.Builder
			for _, r := range rows {
				got.WriteString(r.SKU + ":" + itoa(r.Quantity) + "@" + itoa(r.PricePaise) + " ")
			}
			if got.String() != tc.want {
				t.Errorf("read %q, want %q", got.String(), tc.want)
			}
			if len(bad) != len(tc.bad) {
				t.Fatalf("bad rows %+v, want lines %v", bad, tc.bad)
			}
			for i, b := range bad {
				if b.Line != tc.bad[i] || b.Reason == "" || b.Raw == "" {
					t.Errorf("bad row %d: %+v, want line %d", i, b, tc.bad[i])
				}
			}
		})
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// A row beyond 64 KiB is refused alone; the rows after it are read.
func TestParseListingsReportLongRow(t *testing.T) {
	doc := "seller-sku\tprice\tquantity\n" + "A\t1\t1\t" + strings.Repeat("x", 200<<10) + "\nB\t2\t2\n"
	rows, bad, err := parseAll(t, doc)
	if err != nil || len(rows) != 1 || rows[0].SKU != "B" || len(bad) != 1 || bad[0].Line != 2 || len(bad[0].Raw) > 2048 {
		t.Fatalf("rows %+v bad %d %v", rows, len(bad), err)
	}
}

// The caller's refusal stops the stream.
func TestParseListingsReportStops(t *testing.T) {
	stop := errors.New("stop")
	n := 0
	err := ParseListingsReport(strings.NewReader("seller-sku\tprice\tquantity\nA\t1\t1\nB\t1\t1\n"),
		func(adapters.RemoteListing) error { n++; return stop }, func(BadRow) error { return nil })
	if !errors.Is(err, stop) || n != 1 {
		t.Fatalf("%v after %d rows", err, n)
	}
}

// FuzzParseListingsReport: whatever the document, every non-blank line
// after the header is either read or named bad, never dropped; what is
// read has a SKU and no negative figure.
func FuzzParseListingsReport(f *testing.F) {
	f.Add([]byte("seller-sku\tprice\tquantity\nA\t1.00\t3\n"))
	f.Fuzz(func(t *testing.T, doc []byte) {
		var rows, bad int
		err := ParseListingsReport(bytes.NewReader(doc), func(l adapters.RemoteListing) error {
			if l.SKU == "" || l.Quantity < 0 || l.PricePaise < 0 {
				t.Fatalf("read %+v", l)
			}
			rows++
			return nil
		}, func(b BadRow) error {
			if b.Reason == "" {
				t.Fatalf("bad row without a reason: %+v", b)
			}
			bad++
			return nil
		})
		if err != nil {
			return
		}
		lines := 0
		for i, l := range strings.Split(strings.ReplaceAll(string(doc), "\r\n", "\n"), "\n") {
			if i > 0 && strings.TrimSpace(strings.TrimRight(l, "\r")) != "" {
				lines++
			}
		}
		if rows+bad != lines {
			t.Fatalf("%d lines, %d read and %d bad", lines, rows, bad)
		}
	})
}
