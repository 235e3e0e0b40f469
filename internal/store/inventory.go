package store

import (
	"context"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/jkhhc/artisanbridge/internal/apperr"
	"github.com/jkhhc/artisanbridge/internal/effects"
	"github.com/jkhhc/artisanbridge/internal/inventory"
	"github.com/jkhhc/artisanbridge/internal/paging"
)

// Inventory implements inventory.Store.
type Inventory struct{ db *DB }

// Inventory returns the stock repository.
func (db *DB) Inventory() *Inventory { return &Inventory{db: db} }

var _ inventory.Store = (*Inventory)(nil)

func (s *Inventory) CreateLocation(ctx context.Context, l inventory.Location, fx effects.Set) error {
	row := locationRow{ID: l.ID, Code: l.Code, Name: l.Name, Kind: l.Kind, District: l.District,
		Address: l.Address, ArtisanID: l.ArtisanID, CreatedAt: l.CreatedAt.UTC()}
	return s.db.inTx(ctx, time.Time{}, func(tx *Tx) error {
		tx.Add(fx)
		return tx.Create(&row).Error
	})
}

func (s *Inventory) ListLocations(ctx context.Context, p paging.Request) (paging.Page[inventory.Location], error) {
	var rows []locationRow
	if err := keyset(s.db.gorm.WithContext(ctx), p).Find(&rows).Error; err != nil {
		return paging.Page[inventory.Location]{}, err
	}
	return paging.Build(mapRows(rows, locationRow.domain), p.Limit, func(x inventory.Location) string { return x.ID }), nil
}

// ApplyMovement records a movement with its deltas (stock.go: each one
// conditional UPDATE whose WHERE clause is the rule).
func (s *Inventory) ApplyMovement(ctx context.Context, m inventory.Movement, fx effects.Set) error {
	return s.db.inTx(ctx, m.CreatedAt, func(tx *Tx) error {
		tx.Add(fx)
		if err := mustExist(tx, m); err != nil {
			return err
		}
		return applyMovement(tx, m)
	})
}

func mustExist(tx *Tx, m inventory.Movement) error {
	var n int64
	if err := tx.Model(&productRow{}).Where("id = ?", m.ProductID).Count(&n).Error; err != nil {
		return err
	}
	if n == 0 {
		return apperr.New(apperr.NotFound, "product %s not found", m.ProductID)
	}
	locs := []string{m.LocationID}
	if m.ToLocationID != nil {
		locs = append(locs, *m.ToLocationID)
	}
	if err := tx.Model(&locationRow{}).Where("id IN ?", locs).Count(&n).Error; err != nil {
		return err
	}
	if int(n) != len(locs) {
		return apperr.New(apperr.NotFound, "location %s not found", strings.Join(locs, " or "))
	}
	return nil
}

func (s *Inventory) ListLevels(ctx context.Context, f inventory.LevelFilter, p paging.Request) (paging.Page[inventory.Level], error) {
	q := s.db.gorm.WithContext(ctx)
	q = whereIf(q, "product_id = ?", f.ProductID)
	q = whereIf(q, "location_id = ?", f.LocationID)
	if p.After != "" {
		parts := strings.SplitN(p.After, ",", 2)
		if len(parts) != 2 {
			return paging.Page[inventory.Level]{}, apperr.New(apperr.Invalid, "cursor is not a stock cursor")
		}
		q = q.Where("product_id > ? OR (product_id = ? AND location_id > ?)", parts[0], parts[0], parts[1])
	}
	rows, err := findRows[stockLevelRow](q.Order("product_id, location_id").Limit(p.Limit + 1))
	if err != nil {
		return paging.Page[inventory.Level]{}, err
	}
	return paging.Build(mapRows(rows, stockLevelRow.domain), p.Limit, func(l inventory.Level) string {
		return l.ProductID + "," + l.LocationID
	}), nil
}

func (s *Inventory) ListMovements(ctx context.Context, f inventory.MovementFilter, p paging.Request) (paging.Page[inventory.Movement], error) {
	q := keyset(s.db.gorm.WithContext(ctx), p)
	q = whereIf(q, "product_id = ?", f.ProductID)
	if f.LocationID != "" {
		q = q.Where("location_id = ? OR to_location_id = ?", f.LocationID, f.LocationID)
	}
	q = whereIf(q, "kind = ?", f.Kind)
	rows, err := findRows[movementRow](q)
	if err != nil {
		return paging.Page[inventory.Movement]{}, err
	}
	return paging.Build(mapRows(rows, movementRow.domain), p.Limit, func(x inventory.Movement) string { return x.ID }), nil
}

// Level returns one stock level (zero if the product never had stock there).
func (s *Inventory) Level(ctx context.Context, productID, locationID string) (inventory.Level, error) {
	var row stockLevelRow
	err := s.db.gorm.WithContext(ctx).Where("product_id = ? AND location_id = ?", productID, locationID).Take(&row).Error
	if err == gorm.ErrRecordNotFound {
		return inventory.Level{ProductID: productID, LocationID: locationID}, nil
	}
	if err != nil {
		return inventory.Level{}, err
	}
	return row.domain(), nil
}
