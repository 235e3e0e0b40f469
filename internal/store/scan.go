package store

import (
	"database/sql"
	"strings"

	"gorm.io/gorm"
)

// scanRaw runs a raw query and hands each row to scan, which scans it with
// database/sql's Scan into the caller's fields. gorm's Raw(...).Scan
// formats the statement with its arguments for a logger on every call, even
// with logging off (logger.ExplainSQL, regular expressions over the SQL):
// about a sixth of the ingest's Go time in BenchmarkIngestVsPgbench.
func scanRaw(q *gorm.DB, query string, args []any, scan func(*sql.Rows) error) error {
	rows, err := q.Raw(query, args...).Rows()
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := scan(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

// fieldsRow is a row type that names its columns and the fields they are
// scanned into, in the same order: a list is scanned with database/sql's
// Scan straight into them, without gorm's reflection over the row type
// (measured at about 130 us of a 50-row page of products, more than the
// query itself; BenchmarkScale in internal/app).
type fieldsRow[R any] interface {
	*R
	// columns lists the columns fields scans, in order.
	columns() []string
	// fields answers pointers to the fields the columns are scanned into.
	fields() []any
}

// findRows runs q, a query built with gorm (filters, order, limit), for
// the columns of R and scans its rows into R. The statement goes through
// gorm's row callbacks like any other, with the column list in place of
// *: the same plan, only fewer columns when R leaves some out.
func findRows[R any, P fieldsRow[R]](q *gorm.DB) ([]R, error) {
	var zero R
	cols := P(&zero).columns()
	rows, err := q.Model(&zero).Select(strings.Join(cols, ", ")).Rows()
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []R
	for rows.Next() {
		var r R
		if err := rows.Scan(P(&r).fields()...); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return out, nil
}
