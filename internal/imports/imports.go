// Package imports registers artisans and products in bulk from the sheets
// people keep (the department's survey sheets, showroom catalogues): CSV or
// XLSX, uploaded once and stored, then read row by row by a background job
// so that memory stays flat whatever the size. The whole file is validated
// first, every bad cell named (row, column, value, reason); only a file
// without one is applied, in batches that each commit with the job's
// cursor, so a job killed half way resumes where its last batch ended,
// with no row applied twice and none missed.
package imports

import (
	"context"
	"io"
	"time"

	"github.com/jkhhc/artisanbridge/internal/catalog"
	"github.com/jkhhc/artisanbridge/internal/effects"
	"github.com/jkhhc/artisanbridge/internal/outbox"
)

// Kinds of import.
const (
	KindArtisans = "artisans"
	KindProducts = "products"
)

// Statuses of an import: uploading while the file arrives, validating
// while the job reads it whole, then rejected (bad cells: nothing was
// applied) or applying, and done. failed means the file could not be
// stored or read at all.
const (
	StatusUploading  = "uploading"
	StatusValidating = "validating"
	StatusApplying   = "applying"
	StatusDone       = "done"
	StatusRejected   = "rejected"
	StatusFailed     = "failed"
)

// TopicRun asks the worker to run (or go on running) an import; its key is
// the import's id.
const TopicRun = "imports.run"

// Run is the payload of a TopicRun event.
type Run struct {
	ImportID string `json:"import_id"`
}

// Import is one bulk import, as GET /imports/{id} shows it.
type Import struct {
	ID       string `json:"id"`
	Kind     string `json:"kind"`
	Status   string `json:"status"`
	FileName string `json:"file_name"`
	Format   string `json:"format"`
	Bytes    int64  `json:"file_bytes"`
	// RowsTotal is the number of data rows, known once the file is validated.
	RowsTotal     int64 `json:"rows_total"`
	RowsValidated int64 `json:"rows_validated"`
	// BytesValidated is how much of a CSV file validation has read.
	BytesValidated int64 `json:"-"`
	RowsApplied    int64 `json:"rows_applied"`
	// ProgressPct is how far the job is: validation is the first half,
	// applying the second.
	ProgressPct int   `json:"progress_pct"`
	Created     int64 `json:"created"`
	Updated     int64 `json:"updated"`
	Unchanged   int64 `json:"unchanged"`
	// Failed counts the rows with at least one bad cell; ErrorCount the cells.
	Failed     int64  `json:"failed"`
	ErrorCount int64  `json:"error_count"`
	Message    string `json:"message"`
	// ErrorsURL is the error report, a CSV file of every bad cell.
	ErrorsURL  string     `json:"errors_url"`
	CreatedBy  string     `json:"created_by"`
	CreatedAt  time.Time  `json:"created_at"`
	UpdatedAt  time.Time  `json:"updated_at"`
	FinishedAt *time.Time `json:"finished_at"`

	// Who uploaded it, for the audit entries of the rows it applies.
	CreatedByName string `json:"-"`
	RequestID     string `json:"-"`
}

// Finished reports whether the import's job has nothing left to do.
func (i Import) Finished() bool {
	return i.Status == StatusDone || i.Status == StatusRejected || i.Status == StatusFailed
}

// Progress is how far an import is, in percent: validating counts up to
// 50 (against the file's bytes read when the row count is not known yet),
// applying from 50 to 100.
func Progress(i Import) int {
	switch i.Status {
	case StatusDone, StatusRejected, StatusFailed:
		return 100
	case StatusValidating:
		if i.Bytes > 0 {
			return int(min(49, 50*i.BytesValidated/i.Bytes))
		}
	case StatusApplying:
		if i.RowsTotal == 0 {
			return 100
		}
		return 50 + int(50*i.RowsApplied/i.RowsTotal)
	}
	return 0
}

// CellError is one bad cell of a file: the row a person sees in the sheet
// (the header is row 1), the column's header, the value found and why it
// is refused.
type CellError struct {
	Line   int64  `json:"line"`
	Column string `json:"column"`
	Value  string `json:"value"`
	Reason string `json:"reason"`
}

// Key is the code or SKU of a row, kept while the file is validated so that
// a repeat anywhere in the file is found.
type Key struct {
	Key  string
	Line int64
}

// Lookups are what a batch of rows needs from the catalogue, loaded in a
// few queries for the whole batch.
type Lookups struct {
	Artisans map[string]catalog.StoredArtisan // by code
	Products map[string]catalog.Product       // by SKU
	// ArtisanIDs resolves artisan codes, and catalog.ArtisanIDKey(id) ids,
	// to ids ("" for none).
	ArtisanIDs map[string]string
}

// Validated is a validated stretch of rows: their keys, their bad cells
// and how many rows had any, with rows_validated moving from From to To.
type Validated struct {
	ImportID string
	From, To int64
	// ErrorsBefore is the import's error count the caller last saw: with
	// From, it tells a stretch already saved (header errors have no rows).
	ErrorsBefore int64
	BytesRead    int64
	Keys         []Key
	Errors       []CellError
	FailedRows   int64
}

// Batch is what one batch of applied rows writes, with the cursor moving
// from From to To (counted in data rows).
type Batch struct {
	ImportID string
	From, To int64
	Artisans []catalog.ArtisanChange
	Products []catalog.ProductChange
	// Errors are rows that became invalid after the file was validated
	// (someone changed the catalogue meanwhile): counted as failed.
	Errors     []CellError
	FailedRows int64
	Unchanged  int64
	Effects    effects.Set
}

// Store keeps imports, their files and their error reports, and applies
// their batches. Every state change is a conditional write: the one that
// finds the import no longer where its caller last saw it changes nothing
// and reports false.
type Store interface {
	Create(ctx context.Context, imp Import) error
	// AppendChunk stores piece seq of the import's file.
	AppendChunk(ctx context.Context, id string, seq int64, data []byte) error
	// Discard forgets an import whose upload failed, with its pieces.
	Discard(ctx context.Context, id string) error
	// Queue moves an uploaded import to validating and announces its job,
	// in one transaction.
	Queue(ctx context.Context, id string, bytes int64, at time.Time, run outbox.Message, fx effects.Set) error
	Get(ctx context.Context, id string) (Import, error)
	// File reads the stored file back piece by piece.
	File(ctx context.Context, id string) io.ReadCloser
	// SeenKeys returns which of keys earlier rows of the file carried, with
	// the first such row.
	SeenKeys(ctx context.Context, id string, keys []string) (map[string]int64, error)
	// SaveValidated records a validated stretch of rows.
	SaveValidated(ctx context.Context, v Validated) (bool, error)
	// FinishValidation ends the validation of all rows validated: rejected
	// when any cell was bad, else applying.
	FinishValidation(ctx context.Context, id string, at time.Time) (bool, error)
	// Lookup loads what a batch of rows refers to.
	Lookup(ctx context.Context, kind string, keys []string, artisanCodes, artisanIDs []string) (Lookups, error)
	// Clusters returns every cluster's id by its name in lower case.
	Clusters(ctx context.Context) (map[string]string, error)
	// Apply writes a batch: creates, version-guarded updates, the rows
	// that failed, the counters and the cursor, all or nothing. A Conflict
	// says a row changed under the batch (decide it again).
	Apply(ctx context.Context, b Batch) (bool, error)
	// Finish ends an import (done or failed, with a message) and drops its
	// file and keys, which nothing needs any more.
	Finish(ctx context.Context, id, status, message string, at time.Time) (bool, error)
	// Continue hands the rest of a long import to another run of its job.
	Continue(ctx context.Context, run outbox.Message) error
	// Errors returns the import's bad cells after the seq'th, in order.
	Errors(ctx context.Context, id string, after int64, limit int) ([]CellError, int64, error)
}
