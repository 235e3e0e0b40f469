package store

import (
	"context"
	"io"
	"log/slog"
	"math/bits"
	"strings"
	"time"

	"github.com/jkhhc/artisanbridge/internal/apperr"
	"github.com/jkhhc/artisanbridge/internal/catalog"
	"github.com/jkhhc/artisanbridge/internal/effects"
	"github.com/jkhhc/artisanbridge/internal/imports"
	"github.com/jkhhc/artisanbridge/internal/outbox"
	"github.com/jkhhc/artisanbridge/migrations"
)

// Imports implements imports.Store.
type Imports struct{ db *DB }

// Rows per statement of an import: one INSERT writes a whole batch of
// products (29 columns: 29,000 parameters, under PostgreSQL's 65,535) and
// one SELECT looks up a whole batch of keys. Every statement costs a round
// trip and, on products and artisans, a run of the search triggers (they
// are statement-level): fewer, bigger statements do the same work in
// less time.
const (
	importInsertRows = 1000
	importLookupKeys = 1000
	importKeyRows    = 2000
)

// Imports returns the bulk import repository.
func (db *DB) Imports() *Imports { return &Imports{db: db} }

var _ imports.Store = (*Imports)(nil)

type importRow struct {
	ID             string `gorm:"primaryKey"`
	Kind           string
	Status         string
	FileName       string
	Format         string
	FileBytes      int64
	RowsTotal      int64
	RowsValidated  int64
	BytesValidated int64
	RowsApplied    int64
	CreatedCount   int64
	UpdatedCount   int64
	UnchangedCount int64
	FailedCount    int64
	ErrorCount     int64
	Message        string
	CreatedBy      string
	CreatedByName  string
	RequestID      string
	CreatedAt      time.Time
	UpdatedAt      time.Time
	FinishedAt     *time.Time
}

func (importRow) TableName() string { return "imports" }

func (r importRow) domain() imports.Import {
	i := imports.Import{ID: r.ID, Kind: r.Kind, Status: r.Status, FileName: r.FileName, Format: r.Format, Bytes: r.FileBytes,
		RowsTotal: r.RowsTotal, RowsValidated: r.RowsValidated, BytesValidated: r.BytesValidated, RowsApplied: r.RowsApplied,
		Created: r.CreatedCount, Updated: r.UpdatedCount, Unchanged: r.UnchangedCount, Failed: r.FailedCount,
		ErrorCount: r.ErrorCount, Message: r.Message, CreatedBy: r.CreatedBy, CreatedByName: r.CreatedByName,
		RequestID: r.RequestID, CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC()}
	if r.FinishedAt != nil {
		t := r.FinishedAt.UTC()
		i.FinishedAt = &t
	}
	return i
}

type importChunkRow struct {
	ImportID string `gorm:"primaryKey"`
	Seq      int64  `gorm:"primaryKey"`
	Data     []byte
}

func (importChunkRow) TableName() string { return "import_chunks" }

type importErrorRow struct {
	ImportID   string `gorm:"primaryKey"`
	Seq        int64  `gorm:"primaryKey"`
	Line       int64
	ColumnName string
	Value      string
	Reason     string
}

func (importErrorRow) TableName() string { return "import_errors" }

type importKeyRow struct {
	ImportID string `gorm:"primaryKey"`
	RowKey   string `gorm:"primaryKey"`
	Line     int64
}

func (importKeyRow) TableName() string { return "import_keys" }

func (s *Imports) Create(ctx context.Context, imp imports.Import) error {
	row := importRow{ID: imp.ID, Kind: imp.Kind, Status: imp.Status, FileName: imp.FileName, Format: imp.Format,
		CreatedBy: imp.CreatedBy, CreatedByName: imp.CreatedByName, RequestID: imp.RequestID,
		CreatedAt: imp.CreatedAt.UTC(), UpdatedAt: imp.UpdatedAt.UTC()}
	return translate(s.db.gorm.WithContext(ctx).Create(&row).Error)
}

// AppendChunk writes one piece on its own: an upload never holds a write
// transaction open while the client sends (SQLite has one writer).
func (s *Imports) AppendChunk(ctx context.Context, id string, seq int64, data []byte) error {
	return translate(s.db.gorm.WithContext(ctx).Create(&importChunkRow{ImportID: id, Seq: seq, Data: data}).Error)
}

func (s *Imports) Discard(ctx context.Context, id string) error {
	return s.db.inTx(ctx, time.Time{}, func(tx *Tx) error {
		if err := tx.Where("import_id = ?", id).Delete(&importChunkRow{}).Error; err != nil {
			return err
		}
		return tx.Where("id = ? AND status = ?", id, imports.StatusUploading).Delete(&importRow{}).Error
	})
}

func (s *Imports) Queue(ctx context.Context, id string, bytes int64, at time.Time, run outbox.Message, fx effects.Set) error {
	return s.db.inTx(ctx, at, func(tx *Tx) error {
		res := tx.Model(&importRow{}).Where("id = ? AND status = ?", id, imports.StatusUploading).
			Updates(map[string]any{"status": imports.StatusValidating, "file_bytes": bytes, "updated_at": tx.Now})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return apperr.New(apperr.Conflict, "import %s is no longer being uploaded", id)
		}
		tx.Add(fx)
		tx.Emit(run)
		return nil
	})
}

func (s *Imports) Get(ctx context.Context, id string) (imports.Import, error) {
	var row importRow
	if err := s.db.gorm.WithContext(ctx).Where("id = ?", id).Take(&row).Error; err != nil {
		return imports.Import{}, notFound(err, "import %s not found", id)
	}
	return row.domain(), nil
}

// File reads the pieces one at a time, in order.
func (s *Imports) File(ctx context.Context, id string) io.ReadCloser {
	return &chunkReader{ctx: ctx, db: s.db, id: id}
}

type chunkReader struct {
	ctx  context.Context
	db   *DB
	id   string
	seq  int64
	buf  []byte
	done bool
}

func (c *chunkReader) Read(p []byte) (int, error) {
	for len(c.buf) == 0 {
		if c.done {
			return 0, io.EOF
		}
		var rows []importChunkRow
		if err := c.db.gorm.WithContext(c.ctx).Where("import_id = ? AND seq = ?", c.id, c.seq).Limit(1).Find(&rows).Error; err != nil {
			return 0, err
		}
		if len(rows) == 0 {
			c.done = true
			continue
		}
		c.buf = rows[0].Data
		c.seq++
	}
	n := copy(p, c.buf)
	c.buf = c.buf[n:]
	return n, nil
}

func (c *chunkReader) Close() error { c.done, c.buf = true, nil; return nil }

func (s *Imports) SeenKeys(ctx context.Context, id string, keys []string) (map[string]int64, error) {
	out := map[string]int64{}
	for start := 0; start < len(keys); start += importKeyRows {
		var rows []importKeyRow
		if err := s.db.gorm.WithContext(ctx).Where("import_id = ? AND row_key IN ?", id, keys[start:min(start+importKeyRows, len(keys))]).Find(&rows).Error; err != nil {
			return nil, err
		}
		for _, r := range rows {
			out[r.RowKey] = r.Line
		}
	}
	return out, nil
}

// SaveValidated moves rows_validated only from where the caller read it:
// of two runs of one import, the second finds the cursor moved and writes
// nothing.
func (s *Imports) SaveValidated(ctx context.Context, v imports.Validated) (ok bool, err error) {
	err = s.db.inTx(ctx, time.Time{}, func(tx *Tx) error {
		res := tx.Exec(`UPDATE imports SET rows_validated = ?, bytes_validated = ?, failed_count = failed_count + ?,
error_count = error_count + ?, updated_at = ? WHERE id = ? AND status = ? AND rows_validated = ? AND error_count = ?`,
			v.To, v.BytesRead, v.FailedRows, len(v.Errors), tx.Now, v.ImportID, imports.StatusValidating, v.From, v.ErrorsBefore)
		if res.Error != nil || res.RowsAffected == 0 {
			return res.Error
		}
		ok = true
		if len(v.Keys) > 0 {
			keys := make([]importKeyRow, len(v.Keys))
			for i, k := range v.Keys {
				keys[i] = importKeyRow{ImportID: v.ImportID, RowKey: k.Key, Line: k.Line}
			}
			if err := tx.CreateInBatches(&keys, importKeyRows).Error; err != nil {
				return err
			}
		}
		return insertCellErrors(tx, v.ImportID, v.Errors)
	})
	if err != nil {
		return false, err
	}
	if ok {
		s.analyzeGrown(ctx, v.From, v.To, "import_keys")
	}
	return ok, nil
}

// analyzeFrom is the row count from which an import refreshes the
// planner's statistics of the tables it grows.
const analyzeFrom = 4096

// analyzeGrown refreshes PostgreSQL's statistics of tables when an import's
// cursor crosses a power of two from analyzeFrom rows (about twenty times
// for a million rows, each a sampled ANALYZE). A table that grew from
// empty while its statistics still said empty gets generic plans that scan
// it whole for every batch (the SKU and key lookups, the search trigger's
// join), which made an import quadratic wherever autovacuum lags or is
// off. A failed ANALYZE costs only speed: it is logged, never returned.
func (s *Imports) analyzeGrown(ctx context.Context, from, to int64, tables ...string) {
	if s.db.dialect != migrations.Postgres || to < analyzeFrom || bits.Len64(uint64(from)) == bits.Len64(uint64(to)) {
		return
	}
	for _, t := range tables {
		if err := s.db.gorm.WithContext(ctx).Exec("ANALYZE " + t).Error; err != nil {
			slog.WarnContext(ctx, "import: ANALYZE failed", "table", t, "err", err)
		}
	}
}

// insertCellErrors numbers errors after the import's last one; the caller
// holds the import's row (its conditional update), so numbers never clash.
func insertCellErrors(tx *Tx, id string, errs []imports.CellError) error {
	if len(errs) == 0 {
		return nil
	}
	var last int64
	if err := tx.Raw(`SELECT COALESCE(MAX(seq), 0) FROM import_errors WHERE import_id = ?`, id).Scan(&last).Error; err != nil {
		return err
	}
	rows := make([]importErrorRow, len(errs))
	for i, e := range errs {
		rows[i] = importErrorRow{ImportID: id, Seq: last + int64(i) + 1, Line: e.Line, ColumnName: e.Column, Value: e.Value, Reason: e.Reason}
	}
	return tx.CreateInBatches(&rows, 500).Error
}

func (s *Imports) FinishValidation(ctx context.Context, id string, at time.Time) (ok bool, err error) {
	err = s.db.inTx(ctx, at, func(tx *Tx) error {
		res := tx.Exec(`UPDATE imports SET status = CASE WHEN error_count > 0 THEN ? ELSE ? END,
rows_total = rows_validated, bytes_validated = file_bytes, updated_at = ?
WHERE id = ? AND status = ?`, imports.StatusRejected, imports.StatusApplying, tx.Now, id, imports.StatusValidating)
		if res.Error != nil || res.RowsAffected == 0 {
			return res.Error
		}
		ok = true
		if err := tx.Exec(`UPDATE imports SET finished_at = ? WHERE id = ? AND status = ?`, tx.Now, id, imports.StatusRejected).Error; err != nil {
			return err
		}
		// Keys only served validation; a rejected file's pieces serve nothing.
		if err := tx.Where("import_id = ?", id).Delete(&importKeyRow{}).Error; err != nil {
			return err
		}
		return tx.Exec(`DELETE FROM import_chunks WHERE import_id = ? AND EXISTS (SELECT 1 FROM imports WHERE id = ? AND status = ?)`,
			id, id, imports.StatusRejected).Error
	})
	return ok, err
}

// Lookup loads a batch's products by SKU or artisans by code (with their
// sealed accounts), and the artisans its rows name by code or id.
func (s *Imports) Lookup(ctx context.Context, kind string, keys []string, codes, artisanIDs []string) (imports.Lookups, error) {
	lk := imports.Lookups{Artisans: map[string]catalog.StoredArtisan{}, Products: map[string]catalog.Product{}, ArtisanIDs: map[string]string{}}
	q := s.db.gorm.WithContext(ctx)
	for start := 0; start < len(keys); start += importLookupKeys {
		part := keys[start:min(start+importLookupKeys, len(keys))]
		if kind == imports.KindArtisans {
			var rows []artisanRow
			if err := q.Where("code IN ?", part).Find(&rows).Error; err != nil {
				return lk, err
			}
			for _, r := range rows {
				lk.Artisans[r.Code] = catalog.StoredArtisan{Artisan: r.domain(), Sealed: r.BankAccountSealed}
			}
			continue
		}
		var rows []productRow
		if err := q.Where("sku IN ?", part).Find(&rows).Error; err != nil {
			return lk, err
		}
		for _, r := range rows {
			lk.Products[r.SKU] = r.domain()
		}
	}
	for start := 0; start < len(codes); start += importLookupKeys {
		var rows []artisanRow
		if err := q.Select("id", "code").Where("code IN ?", codes[start:min(start+importLookupKeys, len(codes))]).Find(&rows).Error; err != nil {
			return lk, err
		}
		for _, r := range rows {
			lk.ArtisanIDs[r.Code] = r.ID
		}
	}
	for start := 0; start < len(artisanIDs); start += importLookupKeys {
		var found []string
		if err := q.Model(&artisanRow{}).Where("id IN ?", artisanIDs[start:min(start+importLookupKeys, len(artisanIDs))]).Pluck("id", &found).Error; err != nil {
			return lk, err
		}
		for _, id := range found {
			lk.ArtisanIDs[catalog.ArtisanIDKey(id)] = id
		}
	}
	return lk, nil
}

func (s *Imports) Clusters(ctx context.Context) (map[string]string, error) {
	var rows []clusterRow
	if err := s.db.gorm.WithContext(ctx).Select("id", "name").Find(&rows).Error; err != nil {
		return nil, err
	}
	out := make(map[string]string, len(rows))
	for _, r := range rows {
		out[strings.ToLower(r.Name)] = r.ID
	}
	return out, nil
}

// Apply writes one batch in one transaction. The cursor moves first, from
// where the caller read it: a second run of the same import finds it moved
// and writes nothing. Creates meet the unique SKU and code indexes, updates
// the version they were decided on; either failing rolls the batch back.
func (s *Imports) Apply(ctx context.Context, b imports.Batch) (ok bool, err error) {
	err = s.db.inTx(ctx, time.Time{}, func(tx *Tx) error {
		var created, updated int64
		for _, c := range b.Artisans {
			if c.Op == catalog.OpCreate {
				created++
			} else {
				updated++
			}
		}
		for _, c := range b.Products {
			if c.Op == catalog.OpCreate {
				created++
			} else {
				updated++
			}
		}
		res := tx.Exec(`UPDATE imports SET rows_applied = ?, created_count = created_count + ?, updated_count = updated_count + ?,
unchanged_count = unchanged_count + ?, failed_count = failed_count + ?, error_count = error_count + ?, updated_at = ?
WHERE id = ? AND status = ? AND rows_applied = ?`,
			b.To, created, updated, b.Unchanged, b.FailedRows, len(b.Errors), tx.Now, b.ImportID, imports.StatusApplying, b.From)
		if res.Error != nil || res.RowsAffected == 0 {
			return res.Error
		}
		ok = true
		if err := applyArtisans(tx, b.Artisans); err != nil {
			return err
		}
		if err := applyProducts(tx, b.Products); err != nil {
			return err
		}
		tx.Add(b.Effects)
		return insertCellErrors(tx, b.ImportID, b.Errors)
	})
	if err != nil {
		return false, err
	}
	if ok {
		// Only the tables the batch grew: a product import leaves the
		// artisans as they were, and analyzing 2.35 lakh of them (and
		// their search documents) at every crossing bought nothing.
		if len(b.Artisans) > 0 {
			s.analyzeGrown(ctx, b.From, b.To, "artisans", "artisan_search")
		}
		if len(b.Products) > 0 {
			s.analyzeGrown(ctx, b.From, b.To, "products", "product_search")
		}
	}
	return ok, nil
}

func applyArtisans(tx *Tx, changes []catalog.ArtisanChange) error {
	var creates []artisanRow
	for _, c := range changes {
		if c.Op == catalog.OpCreate {
			acct := catalog.SealedAccount{}
			if c.Account != nil {
				acct = *c.Account
			}
			creates = append(creates, artisanRowFrom(c.After, acct))
			continue
		}
		a := c.After
		cols := map[string]any{
			"name": a.Name, "craft": a.Craft, "cluster_id": a.ClusterID, "district": a.District, "phone": a.Phone,
			"language": a.Language, "pehchan_card_no": a.PehchanCardNo, "gi_authorised_user_no": a.GIAuthorisedUserNo,
			"bank_ifsc": a.BankIFSC, "status": a.Status, "version": a.Version, "updated_at": a.UpdatedAt.UTC(),
		}
		if c.Account != nil {
			cols["bank_account_sealed"] = c.Account.Sealed
			cols["bank_account_last4"] = c.Account.Last4
		}
		res := tx.Model(&artisanRow{}).Where("id = ? AND version = ?", a.ID, c.Before.Version).Updates(cols)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return apperr.New(apperr.Conflict, "artisan %s was changed during the import", a.Code)
		}
	}
	if len(creates) == 0 {
		return nil
	}
	return tx.CreateInBatches(&creates, importInsertRows).Error
}

func applyProducts(tx *Tx, changes []catalog.ProductChange) error {
	var creates []productRow
	for _, c := range changes {
		row := productRowFrom(c.After)
		if c.Op == catalog.OpCreate {
			creates = append(creates, row)
			continue
		}
		res := tx.Model(&productRow{}).Where("id = ? AND version = ?", c.After.ID, c.Before.Version).
			Select("*").Omit("id", "sku", "created_at").Updates(&row)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return apperr.New(apperr.Conflict, "product %s was changed during the import", c.After.SKU)
		}
	}
	if len(creates) == 0 {
		return nil
	}
	return tx.CreateInBatches(&creates, importInsertRows).Error
}

func (s *Imports) Finish(ctx context.Context, id, status, message string, at time.Time) (ok bool, err error) {
	err = s.db.inTx(ctx, at, func(tx *Tx) error {
		res := tx.Model(&importRow{}).Where("id = ? AND status IN ?", id, []string{imports.StatusValidating, imports.StatusApplying}).
			Updates(map[string]any{"status": status, "message": message, "updated_at": tx.Now, "finished_at": tx.Now})
		if res.Error != nil || res.RowsAffected == 0 {
			return res.Error
		}
		ok = true
		if err := tx.Where("import_id = ?", id).Delete(&importKeyRow{}).Error; err != nil {
			return err
		}
		return tx.Where("import_id = ?", id).Delete(&importChunkRow{}).Error
	})
	return ok, err
}

func (s *Imports) Continue(ctx context.Context, run outbox.Message) error {
	return s.db.inTx(ctx, time.Time{}, func(tx *Tx) error {
		tx.Emit(run)
		return nil
	})
}

func (s *Imports) Errors(ctx context.Context, id string, after int64, limit int) ([]imports.CellError, int64, error) {
	var rows []importErrorRow
	if err := s.db.gorm.WithContext(ctx).Where("import_id = ? AND seq > ?", id, after).Order("seq").Limit(limit).Find(&rows).Error; err != nil {
		return nil, after, err
	}
	out := make([]imports.CellError, len(rows))
	for i, r := range rows {
		out[i] = imports.CellError{Line: r.Line, Column: r.ColumnName, Value: r.Value, Reason: r.Reason}
		after = r.Seq
	}
	return out, after, nil
}

// PruneUploads forgets uploads a crashed process left half stored (the
// API discards a failed upload itself), with their pieces.
func (s *Imports) PruneUploads(ctx context.Context, before time.Time) (n int64, err error) {
	err = s.db.inTx(ctx, time.Time{}, func(tx *Tx) error {
		stale := tx.Model(&importRow{}).Select("id").Where("status = ? AND created_at < ?", imports.StatusUploading, before.UTC())
		if err := tx.Where("import_id IN (?)", stale).Delete(&importChunkRow{}).Error; err != nil {
			return err
		}
		res := tx.Where("status = ? AND created_at < ?", imports.StatusUploading, before.UTC()).Delete(&importRow{})
		n = res.RowsAffected
		return res.Error
	})
	return n, err
}
