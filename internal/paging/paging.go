// Package paging implements keyset pagination: a cursor names the last id a
// page returned, so the next page is an index range scan, never an OFFSET.
package paging

import (
	"encoding/base64"
	"strings"

	"github.com/jkhhc/artisanbridge/internal/apperr"
	"github.com/jkhhc/artisanbridge/internal/ids"
)

const (
	DefaultLimit = 50
	MaxLimit     = 500
)

// Request is what a caller asks for: at most Limit items after the cursor.
type Request struct {
	Limit int
	After string // decoded cursor: the last id of the previous page
}

// Page is one page of items and the cursor of the next, empty at the end.
type Page[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"next_cursor"`
}

// Parse validates limit and cursor as they arrive from a query string.
// limit 0 means the default.
func Parse(limit int, cursor string) (Request, error) {
	fe := apperr.FieldErrors{}
	if limit < 0 || limit > MaxLimit {
		fe.Add("limit", "must be between 1 and %d", MaxLimit)
	}
	if limit == 0 {
		limit = DefaultLimit
	}
	var after string
	if cursor != "" {
		raw, err := base64.RawURLEncoding.DecodeString(cursor)
		if err != nil || !validCursor(string(raw)) {
			fe.Add("cursor", "is not a cursor this API returned")
		}
		after = string(raw)
	}
	if err := fe.Err(); err != nil {
		return Request{}, err
	}
	return Request{Limit: limit, After: after}, nil
}

// validCursor accepts one id, or several joined by "," for composite keys.
func validCursor(s string) bool {
	for _, part := range strings.Split(s, ",") {
		if !ids.Valid(part) {
			return false
		}
	}
	return true
}

// Cursor encodes the id of the last item of a page.
func Cursor(lastID string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(lastID))
}

// Build turns the limit+1 rows a repository fetched into a page: the extra
// row only proves there is a next page.
func Build[T any](rows []T, limit int, id func(T) string) Page[T] {
	p := Page[T]{Items: rows}
	if len(rows) > limit {
		p.Items = rows[:limit]
		p.NextCursor = Cursor(id(rows[limit-1]))
	}
	if p.Items == nil {
		p.Items = []T{}
	}
	return p
}
