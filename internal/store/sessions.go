package store

import (
	"context"
	"time"

	"github.com/jkhhc/artisanbridge/internal/apperr"
	"github.com/jkhhc/artisanbridge/internal/auth"
	"github.com/jkhhc/artisanbridge/internal/effects"
)

// Sessions implements auth.SessionStore: passwords, the lockout counter and
// console sessions.
type Sessions struct{ db *DB }

// Sessions returns the console session repository.
func (db *DB) Sessions() *Sessions { return &Sessions{db: db} }

var _ auth.SessionStore = (*Sessions)(nil)

type credentialRow struct {
	ID           string
	Name         string
	Role         string
	Status       string
	CreatedAt    time.Time
	UpdatedAt    time.Time
	PasswordHash string
	LockedUntil  *time.Time
	Language     string
}

func (s *Sessions) Credentials(ctx context.Context, name string) (auth.Credentials, error) {
	var row credentialRow
	err := s.db.gorm.WithContext(ctx).Table("users").
		Select("id, name, role, status, created_at, updated_at, password_hash, locked_until, language").
		Where("name = ?", name).Take(&row).Error
	if err != nil {
		return auth.Credentials{}, notFound(err, "no user named %q", name)
	}
	return auth.Credentials{User: userRow{ID: row.ID, Name: row.Name, Role: row.Role, Status: row.Status, CreatedAt: row.CreatedAt, UpdatedAt: row.UpdatedAt}.domain(), PasswordHash: row.PasswordHash, LockedUntil: utcPtr(row.LockedUntil), Language: row.Language}, nil
}

func (s *Sessions) SetPassword(ctx context.Context, name, hash string, at time.Time, fx effects.Set) (auth.User, error) {
	var u auth.User
	err := s.db.inTx(ctx, at, func(tx *Tx) error {
		tx.Add(fx)
		res := tx.Table("users").Where("name = ?", name).
			Updates(map[string]any{"password_hash": hash, "failed_signins": 0, "locked_until": nil, "updated_at": tx.Now})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return apperr.New(apperr.NotFound, "no user named %q: create it first (artisanbridge users add)", name)
		}
		var row userRow
		if err := tx.Where("name = ?", name).Take(&row).Error; err != nil {
			return err
		}
		u = row.domain()
		return tx.Table("console_sessions").Where("user_id = ? AND revoked_at IS NULL", row.ID).Update("revoked_at", tx.Now).Error
	})
	return u, err
}

func (s *Sessions) RecordFailure(ctx context.Context, userID string, at time.Time, policy auth.Lockout, fx effects.Set) (*time.Time, error) {
	var until *time.Time
	err := s.db.inTx(ctx, at, func(tx *Tx) error {
		tx.Add(fx)
		lock := tx.Now.Add(policy.For)
		// One statement counts the failure and, at the limit, locks and
		// starts the count again: concurrent guesses cannot slip past it.
		res := tx.Exec(`UPDATE users SET
    locked_until = CASE WHEN failed_signins + 1 >= ? THEN ? ELSE locked_until END,
    failed_signins = CASE WHEN failed_signins + 1 >= ? THEN 0 ELSE failed_signins + 1 END
WHERE id = ?`, policy.MaxFailures, lock, policy.MaxFailures, userID)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return apperr.New(apperr.NotFound, "user %s not found", userID)
		}
		var row struct{ LockedUntil *time.Time }
		if err := tx.Table("users").Select("locked_until").Where("id = ?", userID).Take(&row).Error; err != nil {
			return err
		}
		if auth.Locked(row.LockedUntil, tx.Now) {
			until = utcPtr(row.LockedUntil)
		}
		return nil
	})
	return until, err
}

type sessionRow struct {
	ID        string `gorm:"primaryKey"`
	UserID    string
	TokenHash string
	CreatedAt time.Time
	ExpiresAt time.Time
	RevokedAt *time.Time
}

func (sessionRow) TableName() string { return "console_sessions" }

func (s *Sessions) StartSession(ctx context.Context, sess auth.Session, replacing string, fx effects.Set) error {
	return s.db.inTx(ctx, sess.CreatedAt, func(tx *Tx) error {
		tx.Add(fx)
		res := tx.Exec(`UPDATE users SET failed_signins = 0
WHERE id = ? AND status = 'active' AND password_hash <> '' AND (locked_until IS NULL OR locked_until <= ?)`, sess.UserID, tx.Now)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return apperr.New(apperr.Unauthenticated, "the user is locked or disabled")
		}
		if replacing != "" {
			if err := tx.Model(&sessionRow{}).Where("token_hash = ? AND revoked_at IS NULL", replacing).Update("revoked_at", tx.Now).Error; err != nil {
				return err
			}
		}
		return tx.Create(&sessionRow{ID: sess.ID, UserID: sess.UserID, TokenHash: sess.TokenHash, CreatedAt: tx.Now, ExpiresAt: sess.ExpiresAt.UTC()}).Error
	})
}

func (s *Sessions) SessionUser(ctx context.Context, hash string, at time.Time) (auth.Session, auth.User, string, error) {
	var row struct {
		ID        string
		UserID    string
		TokenHash string
		CreatedAt time.Time
		ExpiresAt time.Time
		Name      string
		Role      string
		Status    string
		UCreated  time.Time
		UUpdated  time.Time
		Language  string
	}
	err := s.db.gorm.WithContext(ctx).Table("console_sessions s").
		Select("s.id, s.user_id, s.token_hash, s.created_at, s.expires_at, u.name, u.role, u.status, u.created_at AS u_created, u.updated_at AS u_updated, u.language").
		Joins("JOIN users u ON u.id = s.user_id").
		Where("s.token_hash = ? AND s.revoked_at IS NULL AND s.expires_at > ? AND u.status = 'active'", hash, at.UTC()).
		Take(&row).Error
	if err != nil {
		return auth.Session{}, auth.User{}, "", notFound(err, "no such session")
	}
	u := auth.User{ID: row.UserID, Name: row.Name, Role: auth.Role(row.Role), Status: row.Status, CreatedAt: row.UCreated.UTC(), UpdatedAt: row.UUpdated.UTC()}
	sess := auth.Session{ID: row.ID, UserID: row.UserID, TokenHash: row.TokenHash, CreatedAt: row.CreatedAt.UTC(), ExpiresAt: row.ExpiresAt.UTC()}
	return sess, u, row.Language, nil
}

func (s *Sessions) EndSession(ctx context.Context, hash string, at time.Time, fx effects.Set) error {
	return s.db.inTx(ctx, at, func(tx *Tx) error {
		tx.Add(fx)
		return tx.Model(&sessionRow{}).Where("token_hash = ? AND revoked_at IS NULL", hash).Update("revoked_at", tx.Now).Error
	})
}

func (s *Sessions) EndSessions(ctx context.Context, userID string, at time.Time, fx effects.Set) (int64, error) {
	var n int64
	err := s.db.inTx(ctx, at, func(tx *Tx) error {
		tx.Add(fx)
		res := tx.Model(&sessionRow{}).Where("user_id = ? AND revoked_at IS NULL", userID).Update("revoked_at", tx.Now)
		n = res.RowsAffected
		return res.Error
	})
	return n, err
}

func (s *Sessions) SetLanguage(ctx context.Context, userID, lang string, fx effects.Set) error {
	return s.db.inTx(ctx, time.Time{}, func(tx *Tx) error {
		tx.Add(fx)
		res := tx.Table("users").Where("id = ?", userID).Update("language", lang)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return apperr.New(apperr.NotFound, "user %s not found", userID)
		}
		return nil
	})
}
