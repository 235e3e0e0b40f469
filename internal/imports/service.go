package imports

import (
	"bufio"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/jkhhc/artisanbridge/internal/apperr"
	"github.com/jkhhc/artisanbridge/internal/audit"
	"github.com/jkhhc/artisanbridge/internal/catalog"
	"github.com/jkhhc/artisanbridge/internal/clock"
	"github.com/jkhhc/artisanbridge/internal/effects"
	"github.com/jkhhc/artisanbridge/internal/ids"
	"github.com/jkhhc/artisanbridge/internal/outbox"
	"github.com/jkhhc/artisanbridge/internal/reqctx"
	"github.com/jkhhc/artisanbridge/internal/sheet"
)

// ChunkSize is the size of the pieces a file is stored in.
const ChunkSize = 1 << 20

// Options tune the job; zero values take the defaults.
type Options struct {
	// ValidateBatch and ApplyBatch are rows per validated stretch and per
	// applied transaction (defaults 1000 and 1000: every applied batch
	// pays its round trips and statements whatever its size, which at a
	// million rows is minutes on a busy database; 2,000 rows validated at
	// once measured no faster and held more memory).
	ValidateBatch int
	ApplyBatch    int
	// Slice is how long one run of the job works before it hands the rest
	// to the next run (default 60 s; an event task may run 2 minutes).
	Slice time.Duration
	// MaxCSVBytes and MaxXLSXBytes bound an upload (defaults 2 GiB and
	// 256 MiB: excelize holds an XLSX file's zip, compressed, in memory).
	MaxCSVBytes  int64
	MaxXLSXBytes int64
	// TempDir is where an XLSX file is unpacked to be read (default the
	// system's).
	TempDir string
}

func (o Options) withDefaults() Options {
	if o.ValidateBatch <= 0 {
		o.ValidateBatch = 1000
	}
	if o.ApplyBatch <= 0 {
		o.ApplyBatch = 1000
	}
	if o.Slice <= 0 {
		o.Slice = time.Minute
	}
	if o.MaxCSVBytes <= 0 {
		o.MaxCSVBytes = 2 << 30
	}
	if o.MaxXLSXBytes <= 0 {
		o.MaxXLSXBytes = 256 << 20
	}
	return o
}

// Service uploads, runs and reports imports.
type Service struct {
	store   Store
	catalog *catalog.Service
	now     func() time.Time
	log     *slog.Logger
	o       Options
}

// NewService returns the import service; now and log may be nil.
func NewService(store Store, cat *catalog.Service, now func() time.Time, log *slog.Logger, o Options) *Service {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Service{store: store, catalog: cat, now: clock.Or(now), log: log, o: o.withDefaults()}
}

// Upload stores the file read from r as it arrives, in pieces, and queues
// its import: the answer is the import, validating. A file that cannot be
// stored leaves nothing behind.
func (s *Service) Upload(ctx context.Context, kind, fileName string, r io.Reader) (_ Import, err error) {
	defer apperr.Annotate(&err, "imports.Upload(%s, %q)", kind, fileName)
	if kind != KindArtisans && kind != KindProducts {
		return Import{}, apperr.New(apperr.Invalid, "kind must be artisans or products")
	}
	br := bufio.NewReaderSize(r, 64<<10)
	head, _ := br.Peek(4)
	if len(head) == 0 {
		return Import{}, &apperr.Error{Code: apperr.Invalid, Message: "the file is empty: send the sheet as multipart/form-data field \"file\"",
			Fields: map[string]string{"file": "is empty"}}
	}
	format := sheet.Sniff(head)
	limit := s.o.MaxCSVBytes
	if format == sheet.XLSX {
		limit = s.o.MaxXLSXBytes
	}
	now := s.now().UTC()
	actor := reqctx.ActorFrom(ctx)
	imp := Import{ID: ids.New(), Kind: kind, Status: StatusUploading, FileName: cleanName(fileName), Format: string(format),
		CreatedBy: actor.ID, CreatedByName: actor.Name, RequestID: reqctx.RequestID(ctx), CreatedAt: now, UpdatedAt: now}
	if err := s.store.Create(ctx, imp); err != nil {
		return Import{}, err
	}
	discard := func(cause error) error {
		if err := s.store.Discard(context.WithoutCancel(ctx), imp.ID); err != nil {
			s.log.ErrorContext(ctx, "import upload not discarded", "import_id", imp.ID, "err", err)
		}
		return cause
	}
	buf := make([]byte, ChunkSize)
	var total int64
	for seq := int64(0); ; seq++ {
		n, rerr := io.ReadFull(br, buf)
		if n > 0 {
			total += int64(n)
			if total > limit {
				return Import{}, discard(&apperr.Error{Code: apperr.Invalid,
					Message: fmt.Sprintf("the %s file is larger than %d MiB: split it, or send CSV (up to %d MiB)", format, limit>>20, s.o.MaxCSVBytes>>20),
					Fields:  map[string]string{"file": "too large"}})
			}
			if err := s.store.AppendChunk(ctx, imp.ID, seq, buf[:n]); err != nil {
				return Import{}, discard(err)
			}
		}
		if errors.Is(rerr, io.EOF) || errors.Is(rerr, io.ErrUnexpectedEOF) {
			break
		}
		if rerr != nil {
			var tooBig *http.MaxBytesError
			if errors.As(rerr, &tooBig) {
				return Import{}, discard(apperr.New(apperr.Invalid, "the upload is larger than %d MiB", tooBig.Limit>>20))
			}
			return Import{}, discard(apperr.New(apperr.Invalid, "the upload was cut off: send the file again"))
		}
	}
	imp.Status, imp.Bytes = StatusValidating, total
	run := outbox.New(now, TopicRun, imp.ID, Run{ImportID: imp.ID})
	fx := effects.Set{Audit: []audit.Entry{audit.New(ctx, now, "create", "import", imp.ID, nil, imp)}}
	if err := s.store.Queue(ctx, imp.ID, total, now, run, fx); err != nil {
		return Import{}, discard(err)
	}
	return present(imp), nil
}

func cleanName(name string) string {
	name = filepath.Base(strings.ReplaceAll(name, "\\", "/"))
	if !utf8.ValidString(name) || name == "." || name == "/" {
		name = "upload"
	}
	name = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, name)
	if r := []rune(name); len(r) > 200 {
		name = string(r[:200])
	}
	return name
}

// Get returns an import with its progress.
func (s *Service) Get(ctx context.Context, id string) (Import, error) {
	if !ids.Valid(id) {
		return Import{}, apperr.New(apperr.NotFound, "import %s not found", id)
	}
	imp, err := s.store.Get(ctx, id)
	if err != nil {
		return Import{}, err
	}
	return present(imp), nil
}

func present(imp Import) Import {
	imp.ProgressPct = Progress(imp)
	imp.ErrorsURL = "/api/v1/imports/" + imp.ID + "/errors"
	if imp.Finished() && imp.Message == "" {
		imp.Message = Describe(imp)
	}
	return imp
}

// WriteErrors writes the import's error report as CSV: one line per bad
// cell, in the order of the file. Cells that a spreadsheet would run as a
// formula are written as text.
func (s *Service) WriteErrors(ctx context.Context, id string, w io.Writer) error {
	if _, err := s.Get(ctx, id); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	if err := cw.Write([]string{"line", "column", "value", "reason"}); err != nil {
		return err
	}
	var after int64
	for {
		errs, last, err := s.store.Errors(ctx, id, after, 1000)
		if err != nil {
			return err
		}
		for _, e := range errs {
			if err := cw.Write([]string{fmt.Sprint(e.Line), textCell(e.Column), textCell(e.Value), textCell(e.Reason)}); err != nil {
				return err
			}
		}
		cw.Flush()
		if err := cw.Error(); err != nil {
			return err
		}
		if len(errs) < 1000 {
			return nil
		}
		after = last
	}
}

func textCell(v string) string {
	if v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0])) {
		return "'" + v
	}
	return v
}

// Run works on an import for one slice of time: it validates the file
// whole, then applies it batch by batch, each batch committing with the
// cursor. It returns done when nothing is left for another run (finished,
// or another run is ahead of this one).
func (s *Service) Run(ctx context.Context, id string) (done bool, err error) {
	defer apperr.Annotate(&err, "imports.Run(%s)", id)
	imp, err := s.store.Get(ctx, id)
	if err != nil {
		if apperr.Is(err, apperr.NotFound) {
			return true, nil
		}
		return false, err
	}
	if imp.Finished() || imp.Status == StatusUploading {
		return true, nil
	}
	// The rows' audit entries name the person who uploaded the file.
	ctx = reqctx.WithActor(ctx, reqctx.Actor{ID: imp.CreatedBy, Name: imp.CreatedByName, Role: "import"})
	ctx = reqctx.WithRequestID(ctx, imp.RequestID)
	deadline := s.now().Add(s.o.Slice)
	if imp.Status == StatusValidating {
		finished, err := s.validate(ctx, imp, deadline)
		if err != nil || !finished {
			return false, err
		}
		if imp, err = s.store.Get(ctx, id); err != nil {
			return false, err
		}
	}
	if imp.Status != StatusApplying {
		return true, nil
	}
	return s.apply(ctx, imp, deadline)
}

// Continue queues the next run of a long import.
func (s *Service) Continue(ctx context.Context, id string) error {
	return s.store.Continue(ctx, outbox.New(s.now(), TopicRun, id, Run{ImportID: id}))
}

// fail ends an import whose file cannot be read at all.
func (s *Service) fail(ctx context.Context, imp Import, cause error) (bool, error) {
	s.log.WarnContext(ctx, "import failed", "import_id", imp.ID, "err", cause)
	_, err := s.store.Finish(ctx, imp.ID, StatusFailed, cause.Error(), s.now())
	return err == nil, err
}

// reader reads an import's stored file row by row.
type reader struct {
	rows   sheet.Rows
	header Header
	// data is the number of data rows read.
	data    int64
	counter *countingReader
	close   func()
}

type countingReader struct {
	r io.Reader
	n atomic.Int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// open opens the stored file and reads its header. headerErrs are the
// header's problems; err means the file cannot be read at all.
func (s *Service) open(ctx context.Context, imp Import) (_ *reader, headerErrs []CellError, err error) {
	rc := s.store.File(ctx, imp.ID)
	rd := &reader{counter: &countingReader{r: rc}}
	if imp.Format == string(sheet.XLSX) {
		tmp, err := os.CreateTemp(s.o.TempDir, "import-*.xlsx")
		if err != nil {
			rc.Close()
			return nil, nil, err
		}
		_, cerr := io.Copy(tmp, rc)
		rc.Close()
		if err := errors.Join(cerr, tmp.Close()); err != nil {
			os.Remove(tmp.Name())
			return nil, nil, err
		}
		rows, err := sheet.OpenXLSX(tmp.Name())
		if err != nil {
			os.Remove(tmp.Name())
			return nil, []CellError{{Line: 1, Reason: err.Error()}}, nil
		}
		rd.rows, rd.close = rows, func() { rows.Close(); os.Remove(tmp.Name()) }
	} else {
		rows := sheet.NewCSV(rd.counter)
		rd.rows, rd.close = rows, func() { rows.Close(); rc.Close() }
	}
	rec, err := rd.rows.Next()
	switch {
	case errors.Is(err, io.EOF):
		rd.close()
		return nil, []CellError{{Line: 1, Reason: "the file is empty: the first row must name the columns"}}, nil
	case err != nil:
		rd.close()
		return nil, []CellError{{Line: 1, Reason: err.Error()}}, nil
	}
	var errs []CellError
	rd.header, errs = ParseHeader(imp.Kind, rec)
	if len(errs) > 0 {
		rd.close()
		return nil, errs, nil
	}
	return rd, nil, nil
}

// skip passes over the first n data rows (those a run before this one has
// dealt with).
func (r *reader) skip(n int64) error {
	for r.data < n {
		if _, err := r.rows.Next(); err != nil {
			if errors.Is(err, io.EOF) {
				return fmt.Errorf("the stored file has %d data rows, fewer than the %d already read", r.data, n)
			}
			return err
		}
		r.data++
	}
	return nil
}

// chunk reads up to n data rows. Blank rows are passed over but counted:
// the cursor counts the file's rows. A row that cannot be read ends the
// file with readErr.
type chunk struct {
	rows      []Row
	consumed  int64
	cellErrs  map[int64][]CellError
	eof       bool
	readErr   error
	errorLine int64
}

func (r *reader) next(n int) chunk {
	c := chunk{cellErrs: map[int64][]CellError{}}
	for len(c.rows) < n {
		rec, err := r.rows.Next()
		if errors.Is(err, io.EOF) {
			c.eof = true
			return c
		}
		line := r.data + 2
		if err != nil {
			c.eof, c.readErr, c.errorLine = true, err, line
			return c
		}
		r.data++
		c.consumed++
		row, blank, errs := r.header.ReadRow(line, rec)
		if blank {
			continue
		}
		if len(errs) > 0 {
			c.cellErrs[line] = errs
		}
		c.rows = append(c.rows, row)
	}
	return c
}

// validate reads the whole file (from where an earlier run stopped),
// naming every bad cell, and ends in applying or rejected.
func (s *Service) validate(ctx context.Context, imp Import, deadline time.Time) (bool, error) {
	rd, headerErrs, err := s.open(ctx, imp)
	if err != nil {
		return false, err
	}
	if headerErrs != nil {
		// Saved once: a run after this one finds them (error_count > 0),
		// and of two at once the store takes one (error_count = 0).
		if imp.ErrorCount == 0 {
			if _, err := s.store.SaveValidated(ctx, Validated{ImportID: imp.ID, Errors: headerErrs, FailedRows: 1}); err != nil {
				return false, err
			}
		}
		_, err := s.store.FinishValidation(ctx, imp.ID, s.now())
		return err == nil, err
	}
	defer rd.close()
	if err := rd.skip(imp.RowsValidated); err != nil {
		return s.fail(ctx, imp, err)
	}
	clusters, err := s.clusters(ctx, imp.Kind)
	if err != nil {
		return false, err
	}
	from, errsBefore := imp.RowsValidated, imp.ErrorCount
	for {
		c := rd.next(s.o.ValidateBatch)
		v := Validated{ImportID: imp.ID, From: from, To: from + c.consumed, ErrorsBefore: errsBefore, BytesRead: rd.counter.n.Load()}
		if err := s.validateChunk(ctx, imp, c, clusters, &v); err != nil {
			return false, err
		}
		if c.readErr != nil {
			v.Errors = append(v.Errors, CellError{Line: c.errorLine, Reason: c.readErr.Error() + "; nothing after this row was read"})
			v.FailedRows++
		}
		ok, err := s.store.SaveValidated(ctx, v)
		if err != nil || !ok {
			return !ok, err // !ok: another run is ahead
		}
		from, errsBefore = v.To, errsBefore+int64(len(v.Errors))
		if c.eof {
			_, err := s.store.FinishValidation(ctx, imp.ID, s.now())
			return err == nil, err
		}
		if s.now().After(deadline) || ctx.Err() != nil {
			return false, ctx.Err()
		}
	}
}

func (s *Service) validateChunk(ctx context.Context, imp Import, c chunk, clusters map[string]string, v *Validated) error {
	lk, err := s.lookup(ctx, imp.Kind, c.rows)
	if err != nil {
		return err
	}
	col := KeyColumn[imp.Kind]
	inChunk := map[string]int64{}
	var keys []string
	for _, r := range c.rows {
		if k := r.Key(imp.Kind); k != "" {
			if _, dup := inChunk[k]; !dup {
				inChunk[k] = r.Line
				keys = append(keys, k)
			}
		}
	}
	seen, err := s.store.SeenKeys(ctx, imp.ID, keys)
	if err != nil {
		return err
	}
	for _, r := range c.rows {
		errs := c.cellErrs[r.Line]
		k := r.Key(imp.Kind)
		switch first, earlier := seen[k]; {
		case k == "":
		case earlier:
			errs = append(errs, CellError{Line: r.Line, Column: col, Value: clip(r.Cells[col]), Reason: fmt.Sprintf("repeats the %s of row %d", col, first)})
		case inChunk[k] != r.Line:
			errs = append(errs, CellError{Line: r.Line, Column: col, Value: clip(r.Cells[col]), Reason: fmt.Sprintf("repeats the %s of row %d", col, inChunk[k])})
		default:
			v.Keys = append(v.Keys, Key{Key: k, Line: r.Line})
		}
		_, _, rowErrs, err := s.decide(ctx, imp.Kind, r, lk, clusters)
		if err != nil {
			return err
		}
		errs = append(errs, rowErrs...)
		if len(errs) > 0 {
			v.Errors = append(v.Errors, errs...)
			v.FailedRows++
		}
	}
	return nil
}

// apply applies the validated file batch by batch from the cursor.
func (s *Service) apply(ctx context.Context, imp Import, deadline time.Time) (bool, error) {
	rd, headerErrs, err := s.open(ctx, imp)
	if err != nil {
		return false, err
	}
	if headerErrs != nil {
		return s.fail(ctx, imp, errors.New("the stored file can no longer be read: "+headerErrs[0].Reason))
	}
	defer rd.close()
	if err := rd.skip(imp.RowsApplied); err != nil {
		return s.fail(ctx, imp, err)
	}
	clusters, err := s.clusters(ctx, imp.Kind)
	if err != nil {
		return false, err
	}
	from := imp.RowsApplied
	for from < imp.RowsTotal {
		c := rd.next(int(min(int64(s.o.ApplyBatch), imp.RowsTotal-from)))
		if c.readErr != nil {
			return s.fail(ctx, imp, fmt.Errorf("the stored file can no longer be read at row %d: %v", c.errorLine, c.readErr))
		}
		if c.consumed == 0 {
			return s.fail(ctx, imp, fmt.Errorf("the stored file ends at row %d, before the %d rows validated", from+1, imp.RowsTotal))
		}
		ok, err := s.applyChunk(ctx, imp, from, c, clusters)
		if err != nil || !ok {
			return !ok, err
		}
		from += c.consumed
		if from < imp.RowsTotal && (s.now().After(deadline) || ctx.Err() != nil) {
			return false, ctx.Err()
		}
	}
	_, err = s.store.Finish(ctx, imp.ID, StatusDone, "", s.now())
	return err == nil, err
}

// applyChunk decides a batch against the catalogue as it is now and writes
// it; a row changed meanwhile by someone else (a Conflict) makes it decide
// again.
func (s *Service) applyChunk(ctx context.Context, imp Import, from int64, c chunk, clusters map[string]string) (bool, error) {
	var err error
	for attempt := 0; attempt < 4; attempt++ {
		var lk Lookups
		if lk, err = s.lookup(ctx, imp.Kind, c.rows); err != nil {
			return false, err
		}
		b := Batch{ImportID: imp.ID, From: from, To: from + c.consumed}
		for _, r := range c.rows {
			ac, pc, errs, derr := s.decide(ctx, imp.Kind, r, lk, clusters)
			if derr != nil {
				return false, derr
			}
			errs = append(errs, c.cellErrs[r.Line]...)
			switch {
			case len(errs) > 0:
				b.Errors = append(b.Errors, errs...)
				b.FailedRows++
			case imp.Kind == KindArtisans && ac.Op != catalog.OpUnchanged:
				b.Artisans = append(b.Artisans, ac)
			case imp.Kind == KindProducts && pc.Op != catalog.OpUnchanged:
				b.Products = append(b.Products, pc)
			default:
				b.Unchanged++
			}
		}
		if imp.Kind == KindArtisans {
			b.Effects = s.catalog.ArtisanEffects(ctx, b.Artisans)
		} else {
			b.Effects = s.catalog.ProductEffects(ctx, b.Products)
		}
		var ok bool
		ok, err = s.store.Apply(ctx, b)
		if !apperr.Is(err, apperr.Conflict) {
			return ok, err
		}
	}
	return false, err
}

// decide validates one row against what is stored.
func (s *Service) decide(ctx context.Context, kind string, r Row, lk Lookups, clusters map[string]string) (catalog.ArtisanChange, catalog.ProductChange, []CellError, error) {
	fe := apperr.FieldErrors{}
	if kind == KindArtisans {
		in := r.ArtisanInput(fe, clusters)
		var stored *catalog.StoredArtisan
		if a, ok := lk.Artisans[r.Key(kind)]; ok {
			stored = &a
		}
		known := make(map[string]bool, len(clusters))
		for _, id := range clusters {
			known[id] = true
		}
		ch, err := s.catalog.DecideArtisan(ctx, in, stored, known, fe)
		return ch, catalog.ProductChange{}, r.CellErrors(fe), err
	}
	in := r.ProductInput(fe)
	var stored *catalog.Product
	if p, ok := lk.Products[r.Key(kind)]; ok {
		stored = &p
	}
	ch, err := s.catalog.DecideProduct(ctx, in, stored, lk.ArtisanIDs, fe)
	return catalog.ArtisanChange{}, ch, r.CellErrors(fe), err
}

// lookup loads what a batch of rows refers to, in a few queries; artisans
// a row names that do not exist are recorded as "" so no row asks again.
func (s *Service) lookup(ctx context.Context, kind string, rows []Row) (Lookups, error) {
	var keys, codes, artisanIDs []string
	for _, r := range rows {
		if k := r.Key(kind); k != "" {
			keys = append(keys, k)
		}
		if v := strings.TrimSpace(r.Cells["artisan_code"]); v != "" && kind == KindProducts {
			codes = append(codes, strings.ToUpper(v))
		}
		if v := strings.TrimSpace(r.Cells["artisan_id"]); v != "" && ids.Valid(v) {
			artisanIDs = append(artisanIDs, v)
		}
	}
	lk, err := s.store.Lookup(ctx, kind, keys, codes, artisanIDs)
	if err != nil {
		return Lookups{}, err
	}
	if lk.ArtisanIDs == nil {
		lk.ArtisanIDs = map[string]string{}
	}
	for _, c := range codes {
		if _, ok := lk.ArtisanIDs[c]; !ok {
			lk.ArtisanIDs[c] = ""
		}
	}
	for _, id := range artisanIDs {
		if _, ok := lk.ArtisanIDs[catalog.ArtisanIDKey(id)]; !ok {
			lk.ArtisanIDs[catalog.ArtisanIDKey(id)] = ""
		}
	}
	return lk, nil
}

func (s *Service) clusters(ctx context.Context, kind string) (map[string]string, error) {
	if kind != KindArtisans {
		return nil, nil
	}
	return s.store.Clusters(ctx)
}
