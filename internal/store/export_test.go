package store

import (
	"context"
	"sync"
	"time"

	"gorm.io/gorm/logger"

	"github.com/jkhhc/artisanbridge/internal/finance"
)

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

// Translate is translate, for the tests of the constraint table.
var Translate = translate

// ConstraintKeys returns the keys of the constraint table: PostgreSQL
// names and SQLite reports, of unique indexes and of CHECKs.
func ConstraintKeys() (pgUnique, pgCheck, sqliteUnique, sqliteCheck []string) {
	for k := range uniqueByPG {
		pgUnique = append(pgUnique, k)
	}
	for k := range checkByPG {
		pgCheck = append(pgCheck, k)
	}
	for k := range uniqueBySQLite {
		sqliteUnique = append(sqliteUnique, k)
	}
	for k := range checkBySQLite {
		sqliteCheck = append(sqliteCheck, k)
	}
	return pgUnique, pgCheck, sqliteUnique, sqliteCheck
}

// NormalizeSQL is normalizeSQL, for the same tests.
var NormalizeSQL = normalizeSQL

// SetSearchWindow shrinks how many documents a search walks in id order
// before it asks the index (matching), so that a test with a few rows
// goes through both parts.
func (db *DB) SetSearchWindow(n int) { db.searchWindow = n }

// PostAll posts entries in one transaction through postAll, the path a
// settlement file's entries take, and answers how many it wrote.
func PostAll(ctx context.Context, db *DB, entries []finance.Entry) (int, error) {
	var n int
	err := db.inTx(ctx, time.Time{}, func(tx *Tx) error {
		wrote, err := postAll(tx, entries)
		n = len(wrote)
		return err
	})
	return n, err
}

// RecordStatements makes the store note every statement it runs (BEGIN and
// COMMIT excepted: database/sql sends those); the returned function stops
// and returns them.
func (db *DB) RecordStatements() func() []string {
	rec := &statementRecorder{Interface: db.gorm.Logger}
	db.gorm.Logger = rec
	return func() []string {
		db.gorm.Logger = rec.Interface
		rec.mu.Lock()
		defer rec.mu.Unlock()
		return rec.sql
	}
}

type statementRecorder struct {
	logger.Interface
	mu  sync.Mutex
	sql []string
}

func (r *statementRecorder) Trace(_ context.Context, _ time.Time, fc func() (string, int64), _ error) {
	s, _ := fc()
	r.mu.Lock()
	r.sql = append(r.sql, s)
	r.mu.Unlock()
}
