package store

import (
	"database/sql"
	"strings"

	"gorm.io/gorm"

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
	return scanRows[R, P](rows)
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
	return scanRows[R, P](rows)
}

// scanRows scans every row of rows into R and closes them.
func scanRows[R any, P fieldsRow[R]](rows *sql.Rows) ([]R, error) {
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
