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
		RequestHash: r.RequestHash, ClaimID: r.ClaimID, State: "in_progress", CreatedAt: r.CreatedAt.UTC()}
	res := s.db.gorm.WithContext(ctx).Exec(`INSERT INTO idempotency_keys
(principal_id, idem_key, method, path, request_hash, claim_id, state, response_status, response_body, created_at)
VALUES (?, ?, ?, ?, ?, ?, 'in_progress', 0, '', ?) ON CONFLICT (principal_id, idem_key) DO NOTHING`,
		row.PrincipalID, row.IdemKey, row.Method, row.Path, row.RequestHash, row.ClaimID, row.CreatedAt)
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
		RequestHash: stored.RequestHash, ClaimID: stored.ClaimID, Committed: stored.CommittedAt != nil,
		Done: stored.State == "done", ResponseStatus: int(stored.ResponseStatus),
		ResponseBody: []byte(stored.ResponseBody), CreatedAt: stored.CreatedAt.UTC()}, false, nil
}

// TakeOver moves a stale claim to another run: only while it is in
// progress, has committed nothing and is still held by fromClaim, so of
// two retries taking it over one wins.
func (s *Idempotency) TakeOver(ctx context.Context, principalID, key, fromClaim, toClaim string, at time.Time) (_ bool, err error) {
	defer apperr.Annotate(&err, "Idempotency.TakeOver(%q)", key)
	res := s.db.gorm.WithContext(ctx).Exec(`UPDATE idempotency_keys SET claim_id = ?, created_at = ?
WHERE principal_id = ? AND idem_key = ? AND state = 'in_progress' AND committed_at IS NULL AND claim_id = ?`,
		toClaim, at.UTC(), principalID, key, fromClaim)
	return res.RowsAffected == 1, res.Error
}

// Complete stores the answer of a key still in progress under claimID (a
// released, pruned or taken-over key is left alone).
func (s *Idempotency) Complete(ctx context.Context, principalID, key, claimID string, status int, body []byte) (err error) {
	defer apperr.Annotate(&err, "Idempotency.Complete(%q)", key)
	return s.db.gorm.WithContext(ctx).Model(&idempotencyRow{}).
		Where("principal_id = ? AND idem_key = ? AND claim_id = ? AND state = ?", principalID, key, claimID, "in_progress").
		Updates(map[string]any{"state": "done", "response_status": status, "response_body": string(body)}).Error
}

// Release forgets a key in progress under claimID: its request was
// answered with a refusal, which changes nothing (a transaction it may
// have committed on the way changed nothing either), so the caller may
// correct the request and retry with the same key.
func (s *Idempotency) Release(ctx context.Context, principalID, key, claimID string) (err error) {
	defer apperr.Annotate(&err, "Idempotency.Release(%q)", key)
	return s.db.gorm.WithContext(ctx).
		Where("principal_id = ? AND idem_key = ? AND claim_id = ? AND state = ?", principalID, key, claimID, "in_progress").
		Delete(&idempotencyRow{}).Error
}

// markCommitted records, in the request's own transaction, that the run
// holding the key committed. A run whose key a retry took over (it was
// stale) must not commit: its transaction is refused and rolls back, and
// the retry's run is the one that counts.
func markCommitted(tx *Tx, c idempotency.Claim) error {
	res := tx.Exec(`UPDATE idempotency_keys SET committed_at = COALESCE(committed_at, ?)
WHERE principal_id = ? AND idem_key = ? AND claim_id = ? AND state = 'in_progress'`, tx.Now, c.PrincipalID, c.Key, c.ID)
	if res.Error != nil || res.RowsAffected == 1 {
		return res.Error
	}
	// Not ours in progress: done already (work the request left running
	// after its answer), released, pruned, or taken over by a retry.
	var taken []string
	if err := tx.Raw(`SELECT claim_id FROM idempotency_keys WHERE principal_id = ? AND idem_key = ? AND state = 'in_progress' AND claim_id <> ?`,
		c.PrincipalID, c.Key, c.ID).Scan(&taken).Error; err != nil {
		return err
	}
	if len(taken) > 0 {
		return apperr.New(apperr.Conflict, "a retry of this request took its Idempotency-Key over: nothing of this run was kept")
	}
	return nil
}

func (s *Idempotency) Prune(ctx context.Context, before time.Time) (_ int64, err error) {
	defer apperr.Annotate(&err, "Idempotency.Prune(%s)", before.UTC().Format(time.RFC3339))
	res := s.db.gorm.WithContext(ctx).Where("created_at < ?", before.UTC()).Delete(&idempotencyRow{})
	return res.RowsAffected, res.Error
}
