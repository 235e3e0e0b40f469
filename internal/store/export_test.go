package store

// OpsQuery is one of OpsSnapshot's reads, for the query-plan test.
type OpsQuery struct{ Name, Index, SQL string }

// OpsQueries lists OpsSnapshot's reads with the index each must use.
func OpsQueries() []OpsQuery {
	var out []OpsQuery
	for _, q := range opsQueries() {
		out = append(out, OpsQuery{Name: q.name, Index: q.index, SQL: q.sql})
	}
	return out
}
