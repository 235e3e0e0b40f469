package store

import (
	"context"
	"time"
)

// OrdersSince counts the orders taken in since a time (the console's
// "orders today").
func (db *DB) OrdersSince(ctx context.Context, since time.Time) (int64, error) {
	var n int64
	err := db.gorm.WithContext(ctx).Table("orders").Where("created_at >= ?", since.UTC()).Count(&n).Error
	return n, err
}
