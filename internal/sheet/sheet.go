// Package sheet reads the spreadsheets people exchange with the
// corporation (catalogue imports, marketplace exports and settlement
// files): CSV or XLSX, told apart by content, read whole with a row cap,
// and untrusted, so a malformed file is an error, never a panic.
package sheet

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
)

// ErrTooManyRows is returned when a file has more data rows than allowed.
var ErrTooManyRows = errors.New("too many rows")

// Read returns the records of a CSV file or of an XLSX file's first sheet,
// header included, refusing more than maxRows data rows.
func Read(data []byte, maxRows int) ([][]string, error) {
	if len(data) == 0 {
		return nil, errors.New("the file is empty")
	}
	if bytes.HasPrefix(data, []byte("PK\x03\x04")) {
		return readXLSX(data, maxRows)
	}
	return readCSV(data, maxRows)
}

func readCSV(data []byte, maxRows int) ([][]string, error) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")) // Excel writes a BOM
	if !utf8.Valid(data) {
		return nil, errors.New("the CSV file is not UTF-8 text")
	}
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord = -1
	r.TrimLeadingSpace = true
	var records [][]string
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			return records, nil
		}
		if err != nil {
			return nil, fmt.Errorf("the CSV file is malformed: %v", err)
		}
		records = append(records, rec)
		if len(records) > maxRows+1 {
			return nil, fmt.Errorf("the file has more than %d rows: %w", maxRows, ErrTooManyRows)
		}
	}
}

func readXLSX(data []byte, maxRows int) (records [][]string, err error) {
	defer func() {
		// excelize parses untrusted zip and XML; a panic in it is a bad file.
		if r := recover(); r != nil {
			records, err = nil, errors.New("the XLSX file could not be read")
		}
	}()
	f, err := excelize.OpenReader(bytes.NewReader(data), excelize.Options{UnzipSizeLimit: 64 << 20, UnzipXMLSizeLimit: 32 << 20})
	if err != nil {
		return nil, errors.New("the XLSX file could not be read")
	}
	defer f.Close()
	sheets := f.GetSheetList()
	if len(sheets) == 0 {
		return nil, errors.New("the XLSX file has no sheet")
	}
	rows, err := f.Rows(sheets[0])
	if err != nil {
		return nil, errors.New("the first sheet could not be read")
	}
	defer rows.Close()
	for rows.Next() {
		rec, err := rows.Columns()
		if err != nil {
			return nil, errors.New("the first sheet could not be read")
		}
		records = append(records, rec)
		if len(records) > maxRows+1 {
			return nil, fmt.Errorf("the file has more than %d rows: %w", maxRows, ErrTooManyRows)
		}
	}
	return records, nil
}

// Header normalises a header cell: trimmed, lower case, inner spaces as _.
func Header(h string) string { return strings.ToLower(strings.Join(strings.Fields(h), "_")) }

// Blank reports whether every cell of a record is empty.
func Blank(rec []string) bool {
	for _, v := range rec {
		if strings.TrimSpace(v) != "" {
			return false
		}
	}
	return true
}
