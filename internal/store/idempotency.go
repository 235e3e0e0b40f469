package store

import (
	"context"
	"time"

	"github.com/jkhhc/artisanbridge/internal/apperr"
	"github.com/jkhhc/artisanbridge/internal/idempotency"
)

// Idempotency implements idempotency.Store.
type Idempotency struct{ db *DB }

// Idempotency returns the idempotency-key repository.
func (db *DB) Idempotency() *Idempotency { return &Idempotency{db: db} }

var _ idempotency.Store = (*Idempotency)(nil)

// Claim relies on the primary key: of two concurrent claims exactly one
// inserts, and the other reads the winner's record.
func (s *Idempotency) Claim(ctx context.Context, r idempotency.Record) (_ idempotency.Record, _ bool, err error) {
	defer apperr.Annotate(&err, "Idempotency.Claim(%q)", r.Key)
	row := idempotencyRow{PrincipalID: r.PrincipalID, IdemKey: r.Key, Method: r.Method, Path: r.Path,
		RequestHash: r.RequestHash, State: "in_progress", CreatedAt: r.CreatedAt.UTC()}
	res := s.db.gorm.WithContext(ctx).Exec(`INSERT INTO idempotency_keys
(principal_id, idem_key, method, path, request_hash, state, response_status, response_body, created_at)
VALUES (?, ?, ?, ?, ?, 'in_progress', 0, '', ?) ON CONFLICT (principal_id, idem_key) DO NOTHING`,
		row.PrincipalID, row.IdemKey, row.Method, row.Path, row.RequestHash, row.CreatedAt)
	if res.Error != nil {
		return idempotency.Record{}, false, res.Error
	}
	if res.RowsAffected == 1 {
		return r, true, nil
	}
	var stored idempotencyRow
	if err := s.db.gorm.WithContext(ctx).Where("principal_id = ? AND idem_key = ?", r.PrincipalID, r.Key).Take(&stored).Error; err != nil {
		return idempotency.Record{}, false, err
	}
	return idempotency.Record{PrincipalID: stored.PrincipalID, Key: stored.IdemKey, Method: stored.Method, Path: stored.Path,
		RequestHash: stored.RequestHash, Done: stored.State == "done", ResponseStatus: int(stored.ResponseStatus),
		ResponseBody: []byte(stored.ResponseBody), CreatedAt: stored.CreatedAt.UTC()}, false, nil
}

// Complete stores the answer of a key still in progress (a released or
// pruned key stays gone).
func (s *Idempotency) Complete(ctx context.Context, principalID, key string, status int, body []byte) (err error) {
	defer apperr.Annotate(&err, "Idempotency.Complete(%q)", key)
	return s.db.gorm.WithContext(ctx).Model(&idempotencyRow{}).Where("principal_id = ? AND idem_key = ? AND state = ?", principalID, key, "in_progress").
		Updates(map[string]any{"state": "done", "response_status": status, "response_body": string(body)}).Error
}

func (s *Idempotency) Release(ctx context.Context, principalID, key string) (err error) {
	defer apperr.Annotate(&err, "Idempotency.Release(%q)", key)
	return s.db.gorm.WithContext(ctx).Where("principal_id = ? AND idem_key = ? AND state = ?", principalID, key, "in_progress").
		Delete(&idempotencyRow{}).Error
}

func (s *Idempotency) Prune(ctx context.Context, before time.Time) (_ int64, err error) {
	defer apperr.Annotate(&err, "Idempotency.Prune(%s)", before.UTC().Format(time.RFC3339))
	res := s.db.gorm.WithContext(ctx).Where("created_at < ?", before.UTC()).Delete(&idempotencyRow{})
	return res.RowsAffected, res.Error
}
