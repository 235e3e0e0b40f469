package store

import (
	"slices"
	"strings"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/jkhhc/artisanbridge/internal/paging"
)

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
	// One set of scan targets serves every row: Scan overwrites each field
	// (a pointer field gets a fresh value or nil), and the row is copied
	// out. The rows grow in two steps: room for a few, then, past them,
	// for all the LIMIT lets through. Doubling from one, and a []any of
	// targets per row, were most of what a page of exceptions allocated;
	// room for the whole LIMIT at once tripled what a list of two rows
	// did (BenchmarkScaleRequestCost in internal/app).
	limit := pageCapacity(q)
	out := make([]R, 0, min(limit, firstRows))
	var r R
	targets := P(&r).fields()
	for rows.Next() {
		if err := rows.Scan(targets...); err != nil {
			return nil, err
		}
		if len(out) == cap(out) && limit > len(out) {
			out = slices.Grow(out, limit-len(out))
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// firstRows is how many rows a list has room for before it grows to its
// LIMIT: most lists filtered by a product or a resource have fewer.
const firstRows = 4

// pageCapacity is how many rows q's LIMIT lets through, for sizing the
// slice they are scanned into: none without a LIMIT, and never more than
// the largest page (paging.MaxLimit and its one row that proves a next
// page), so that a large LIMIT reserves nothing it may not fill.
func pageCapacity(q *gorm.DB) int {
	c, ok := q.Statement.Clauses[clause.Limit{}.Name()]
	if !ok {
		return 0
	}
	l, ok := c.Expression.(clause.Limit)
	if !ok || l.Limit == nil || *l.Limit <= 0 {
		return 0
	}
	return min(*l.Limit, paging.MaxLimit+1)
}
