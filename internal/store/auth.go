package store

import (
	"context"
	"time"

	"github.com/jkhhc/artisanbridge/internal/apperr"
	"github.com/jkhhc/artisanbridge/internal/auth"
	"github.com/jkhhc/artisanbridge/internal/effects"
	"github.com/jkhhc/artisanbridge/internal/ids"
	"github.com/jkhhc/artisanbridge/internal/paging"
)

// Users implements auth.Store.
type Users struct{ db *DB }

// Users returns the user repository.
func (db *DB) Users() *Users { return &Users{db: db} }

var _ auth.Store = (*Users)(nil)

// CreateUser stores u, its first token hash and fx in one transaction.
func (s *Users) CreateUser(ctx context.Context, u auth.User, tokenHash string, fx effects.Set) error {
	return s.db.inTx(ctx, time.Time{}, func(tx *Tx) error {
		tx.Add(fx)
		row := userRow{ID: u.ID, Name: u.Name, Role: string(u.Role), Status: u.Status, CreatedAt: u.CreatedAt.UTC(), UpdatedAt: u.UpdatedAt.UTC()}
		if err := tx.Create(&row).Error; err != nil {
			return err
		}
		return tx.Create(&tokenRow{ID: ids.New(), UserID: u.ID, TokenHash: tokenHash, CreatedAt: u.CreatedAt.UTC()}).Error
	})
}

func (s *Users) UserByTokenHash(ctx context.Context, hash string) (auth.User, error) {
	var row userRow
	err := s.db.gorm.WithContext(ctx).
		Joins("JOIN api_tokens t ON t.user_id = users.id").
		Where("t.token_hash = ? AND t.revoked_at IS NULL AND users.status = ?", hash, "active").
		Take(&row).Error
	if err != nil {
		return auth.User{}, notFound(err, "no such token")
	}
	return row.domain(), nil
}

func (s *Users) ListUsers(ctx context.Context, p paging.Request) (paging.Page[auth.User], error) {
	var rows []userRow
	if err := keyset(s.db.gorm.WithContext(ctx), p).Find(&rows).Error; err != nil {
		return paging.Page[auth.User]{}, err
	}
	return paging.Build(mapRows(rows, userRow.domain), p.Limit, func(u auth.User) string { return u.ID }), nil
}

func (s *Users) AddToken(ctx context.Context, userID, tokenHash string, at time.Time, fx effects.Set) error {
	return s.db.inTx(ctx, time.Time{}, func(tx *Tx) error {
		tx.Add(fx)
		var n int64
		if err := tx.Model(&userRow{}).Where("id = ?", userID).Count(&n).Error; err != nil {
			return err
		}
		if n == 0 {
			return apperr.New(apperr.NotFound, "user %s not found", userID)
		}
		return tx.Create(&tokenRow{ID: ids.New(), UserID: userID, TokenHash: tokenHash, CreatedAt: at.UTC()}).Error
	})
}

func (s *Users) RevokeTokens(ctx context.Context, userID string, at time.Time, fx effects.Set) (int64, error) {
	var revoked int64
	err := s.db.inTx(ctx, time.Time{}, func(tx *Tx) error {
		tx.Add(fx)
		res := tx.Model(&tokenRow{}).Where("user_id = ? AND revoked_at IS NULL", userID).Update("revoked_at", at.UTC())
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return apperr.New(apperr.NotFound, "user %s has no live token", userID)
		}
		revoked = res.RowsAffected
		return nil
	})
	return revoked, err
}
