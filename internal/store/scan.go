package store

import (
	"database/sql"
	"slices"
	"strings"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/jkhhc/artisanbridge/internal/paging"
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
	limit := pageCapacity(q)
	rows, err := q.Model(&zero).Select(strings.Join(cols, ", ")).Rows()
	if err != nil {
		return nil, err
	}
	return scanRows[R, P](rows, limit)
}

// pagedRow is a fieldsRow that also names its table, for findPage.
type pagedRow[R any] interface {
	fieldsRow[R]
	TableName() string
}

// pageQuery is the conditions of one keyset-paged list, written as SQL
// for findPage: each with ? for its arguments, all of them required.
type pageQuery struct {
	conds []string
	args  []any
}

// where adds a condition.
func (q *pageQuery) where(cond string, args ...any) {
	q.conds = append(q.conds, cond)
	q.args = append(q.args, args...)
}

// whereIf adds cond (one ?) with v, unless v is empty: an optional filter.
func (q *pageQuery) whereIf(cond, v string) {
	if v != "" {
		q.where(cond, v)
	}
}

// findPage reads one page of R's table: q's conditions after p's cursor,
// in id order, one row more than the page (which only tells whether a
// next page exists, as keyset does), scanned as findRows does. The
// statement is written here and handed to gorm as Raw, so it still goes
// through gorm's row callbacks like any other, without gorm building it:
// gorm's chain (a clone of the statement, parsing each condition,
// building the clauses and the column list) cost 30 of the 172
// allocations of a products?sku page, 29 of listings?product_id's 150
// (BenchmarkListPages), and about 15 us of the 74 us of CPU the store
// spent on a products?sku request whose query takes 100 us (BenchmarkScale
// in internal/app, profiled): a fixed cost that weighs most on the small
// pages.
func findPage[R any, P pagedRow[R]](g *gorm.DB, q pageQuery, p paging.Request) ([]R, error) {
	var zero R
	table := P(&zero).TableName()
	if p.After != "" {
		q.where("id > ?", p.After)
	}
	var stmt strings.Builder
	stmt.WriteString("SELECT ")
	stmt.WriteString(strings.Join(P(&zero).columns(), ", "))
	stmt.WriteString(" FROM ")
	stmt.WriteString(table)
	for i, c := range q.conds {
		if i == 0 {
			stmt.WriteString(" WHERE ")
		} else {
			stmt.WriteString(" AND ")
		}
		stmt.WriteString(c)
	}
	stmt.WriteString(" ORDER BY id LIMIT ?")
	// Table names the statement's table for the callbacks that look.
	rows, err := g.Table(table).Raw(stmt.String(), append(q.args, p.Limit+1)...).Rows()
	if err != nil {
		return nil, err
	}
	return scanRows[R, P](rows, min(max(p.Limit+1, 0), paging.MaxLimit+1))
}

// scanRows scans every row of rows into R and closes them; limit is how
// many rows the statement lets through at most (0: not known).
func scanRows[R any, P fieldsRow[R]](rows *sql.Rows, limit int) ([]R, error) {
	defer rows.Close()
	// One set of scan targets serves every row: Scan overwrites each field
	// (a pointer field gets a fresh value or nil), and the row is copied
	// out. The rows grow in two steps: room for a few, then, past them,
	// for all the LIMIT lets through. Doubling from one, and a []any of
	// targets per row, were most of what a page of exceptions allocated;
	// room for the whole LIMIT at once tripled what a list of two rows
	// did (BenchmarkScaleRequestCost in internal/app).
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
