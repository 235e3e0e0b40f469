package store

// SetBatchSizes shrinks the drafting chunk and the release batch so that
// tests with a few artisans go through many bounded steps; it returns the
// function that restores them.
func SetBatchSizes(draft, release int) func() {
	d, r := draftChunk, releaseBatch
	draftChunk, releaseBatch = draft, release
	return func() { draftChunk, releaseBatch = d, r }
}

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

// SetSummaryChunk shrinks the statement-summary chunk for tests.
func SetSummaryChunk(n int) func() {
	old := summaryChunk
	summaryChunk = n
	return func() { summaryChunk = old }
}
