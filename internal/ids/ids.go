// Package ids makes the application-generated identifiers every table uses.
// UUIDv7 sorts by creation time, which gives keyset pagination a stable,
// index-friendly order on both databases.
package ids

import "github.com/google/uuid"

// New returns a new UUIDv7 string.
func New() string { return uuid.Must(uuid.NewV7()).String() }

// Valid reports whether s is a canonical UUID string.
func Valid(s string) bool {
	if len(s) != 36 {
		return false
	}
	_, err := uuid.Parse(s)
	return err == nil
}
