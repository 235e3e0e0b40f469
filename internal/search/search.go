// Package search turns the one search parameter of the API (?q=) into the
// words a search document must hold: each word of the query is the start of
// a word of the document (so "ghul nab" finds Ghulam Nabi and "LAT-00"
// finds LAT-001). Words are runs of letters, digits and combining marks,
// lower-cased; everything else separates them, as the documents are split
// (migrations/search.go). It renders the words for PostgreSQL full text
// search and for SQLite FTS5.
package search

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/jkhhc/artisanbridge/internal/apperr"
)

const (
	// MaxLength is the longest ?q= taken, in characters.
	MaxLength = 200
	// MaxTerms is the most words a query may have.
	MaxTerms = 8
)

// Query is a parsed search: the words every match holds, in order. The
// zero Query searches nothing (no ?q=).
type Query struct {
	Terms []string
}

// Empty reports whether there is nothing to search for.
func (q Query) Empty() bool { return len(q.Terms) == 0 }

// Parse reads ?q=. An absent or blank q is no search; a q with no letter or
// digit, longer than MaxLength or of more than MaxTerms words is refused,
// naming the field.
func Parse(q string) (Query, error) {
	if strings.TrimSpace(q) == "" {
		return Query{}, nil
	}
	fe := apperr.FieldErrors{}
	if n := utf8.RuneCountInString(q); n > MaxLength {
		fe.Add("q", "is %d characters long; give at most %d", n, MaxLength)
		return Query{}, fe.Err()
	}
	terms := strings.FieldsFunc(strings.ToLower(q), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r) && !unicode.IsMark(r)
	})
	var out []string
	seen := map[string]bool{}
	for _, t := range terms {
		if !seen[t] {
			seen[t] = true
			out = append(out, t)
		}
	}
	switch {
	case len(out) == 0:
		fe.Add("q", "has no letter or digit to search for: give words of a name, title, SKU, code, phone or card number")
	case len(out) > MaxTerms:
		fe.Add("q", "has %d words; give at most %d", len(out), MaxTerms)
	}
	if err := fe.Err(); err != nil {
		return Query{}, err
	}
	return Query{Terms: out}, nil
}

// TSQuery is the query for PostgreSQL's to_tsquery('simple', ...): every
// word as a prefix.
func (q Query) TSQuery() string {
	parts := make([]string, len(q.Terms))
	for i, t := range q.Terms {
		parts[i] = t + ":*"
	}
	return strings.Join(parts, " & ")
}

// FTS5 is the query for an SQLite FTS5 MATCH: every word as a quoted
// prefix (quoting keeps words such as AND, OR, NOT or NEAR literal).
func (q Query) FTS5() string {
	parts := make([]string, len(q.Terms))
	for i, t := range q.Terms {
		parts[i] = `"` + t + `"*`
	}
	return strings.Join(parts, " AND ")
}
