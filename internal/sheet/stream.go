package sheet

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
)

// Format names a spreadsheet format told apart by content.
type Format string

const (
	CSV  Format = "csv"
	XLSX Format = "xlsx"
)

// Sniff tells an XLSX file (a zip) from CSV text by its first bytes.
func Sniff(head []byte) Format {
	if bytes.HasPrefix(head, []byte("PK\x03\x04")) {
		return XLSX
	}
	return CSV
}

// Rows reads a sheet one record at a time, whatever its size: Next
// returns io.EOF after the last record. A record is valid until the next
// call of Next.
type Rows interface {
	Next() ([]string, error)
	Close() error
}

// NewCSV streams the records of CSV text (a leading BOM, as Excel writes
// it, is skipped). A record that is not UTF-8 or not well-formed CSV is an
// error naming its record number.
func NewCSV(r io.Reader) Rows {
	br := bufio.NewReaderSize(r, 64<<10)
	if head, err := br.Peek(3); err == nil && bytes.Equal(head, []byte("\xef\xbb\xbf")) {
		br.Discard(3) //nolint:errcheck // Peek just saw the three bytes
	}
	cr := csv.NewReader(br)
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	cr.ReuseRecord = true
	return &csvRows{r: cr}
}

type csvRows struct {
	r *csv.Reader
	n int
}

func (c *csvRows) Next() ([]string, error) {
	rec, err := c.r.Read()
	if errors.Is(err, io.EOF) {
		return nil, io.EOF
	}
	c.n++
	if err != nil {
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			return nil, fmt.Errorf("the CSV file is malformed at row %d: %v", c.n, pe.Err)
		}
		return nil, fmt.Errorf("the CSV file could not be read at row %d: %v", c.n, err)
	}
	for _, v := range rec {
		if !utf8.ValidString(v) {
			return nil, fmt.Errorf("row %d of the CSV file is not UTF-8 text: save the sheet as CSV UTF-8", c.n)
		}
	}
	return rec, nil
}

func (c *csvRows) Close() error { return nil }

// OpenXLSX streams the rows of the first sheet of the XLSX file at path
// with excelize's row reader: the worksheet XML is unpacked to a temporary
// file past a few MiB instead of into memory, and read row by row (the zip
// itself, compressed, is held by excelize while the file is open).
// excelize parses untrusted zip and XML: a panic in it is a bad file.
func OpenXLSX(path string) (_ Rows, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = errors.New("the XLSX file could not be read")
		}
	}()
	f, err := excelize.OpenFile(path, excelize.Options{UnzipSizeLimit: 4 << 30, UnzipXMLSizeLimit: 4 << 20})
	if err != nil {
		return nil, errors.New("the XLSX file could not be read")
	}
	sheets := f.GetSheetList()
	if len(sheets) == 0 {
		f.Close()
		return nil, errors.New("the XLSX file has no sheet")
	}
	rows, err := f.Rows(sheets[0])
	if err != nil {
		f.Close()
		return nil, errors.New("the first sheet of the XLSX file could not be read")
	}
	return &xlsxRows{f: f, rows: rows}, nil
}

type xlsxRows struct {
	f    *excelize.File
	rows *excelize.Rows
	n    int
}

func (x *xlsxRows) Next() (rec []string, err error) {
	defer func() {
		if r := recover(); r != nil {
			rec, err = nil, fmt.Errorf("the XLSX file could not be read after row %d", x.n)
		}
	}()
	if !x.rows.Next() {
		if err := x.rows.Error(); err != nil {
			return nil, fmt.Errorf("the XLSX file could not be read after row %d", x.n)
		}
		return nil, io.EOF
	}
	x.n++
	rec, err = x.rows.Columns()
	if err != nil {
		return nil, fmt.Errorf("row %d of the XLSX file could not be read", x.n)
	}
	return rec, nil
}

func (x *xlsxRows) Close() error {
	err := x.rows.Close()
	return errors.Join(err, x.f.Close())
}
