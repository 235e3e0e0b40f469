package search

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/jkhhc/artisanbridge/internal/apperr"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name  string
		q     string
		terms []string
		field string // refused naming this field
	}{
		{name: "absent", q: "", terms: nil},
		{name: "blank", q: "   \t", terms: nil},
		{name: "one word lower-cased", q: "Pashmina", terms: []string{"pashmina"}},
		{name: "SKU split as documents are", q: "LAT-001", terms: []string{"lat", "001"}},
		{name: "phone", q: "+91 99060 00002", terms: []string{"91", "99060", "00002"}},
		{name: "card number with slashes", q: "JK/PCH/2019", terms: []string{"jk", "pch", "2019"}},
		{name: "repeated word once", q: "namda Namda rug", terms: []string{"namda", "rug"}},
		{name: "operators are words", q: `sozni AND "kani" OR*`, terms: []string{"sozni", "and", "kani", "or"}},
		{name: "Urdu name kept whole", q: "غلام نبی", terms: []string{"غلام", "نبی"}},
		{name: "Devanagari with marks kept whole", q: "कश्मीर", terms: []string{"कश्मीर"}},
		{name: "punctuation only", q: "--- / ***", field: "q"},
		{name: "too many words", q: "a b c d e f g h i", field: "q"},
		{name: "too long", q: strings.Repeat("x", MaxLength+1), field: "q"},
		{name: "longest taken", q: strings.Repeat("x", MaxLength), terms: []string{strings.Repeat("x", MaxLength)}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Parse(tc.q)
			if tc.field != "" {
				var e *apperr.Error
				if !errors.As(err, &e) || e.Fields[tc.field] == "" || e.Code != apperr.Unprocessable {
					t.Fatalf("Parse(%q) = %v, %v; want a refusal naming %s", tc.q, got, err, tc.field)
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse(%q): %v", tc.q, err)
			}
			if !slices.Equal(got.Terms, tc.terms) || got.Empty() != (len(tc.terms) == 0) {
				t.Fatalf("Parse(%q) = %q, want %q", tc.q, got.Terms, tc.terms)
			}
		})
	}
}

func TestRender(t *testing.T) {
	tests := []struct {
		q        string
		ts, fts5 string
	}{
		{q: "pashmina", ts: "pashmina:*", fts5: `"pashmina"*`},
		{q: "Ghulam Nabi LAT-001", ts: "ghulam:* & nabi:* & lat:* & 001:*", fts5: `"ghulam"* AND "nabi"* AND "lat"* AND "001"*`},
		{q: "near not", ts: "near:* & not:*", fts5: `"near"* AND "not"*`},
	}
	for _, tc := range tests {
		q, err := Parse(tc.q)
		if err != nil {
			t.Fatal(err)
		}
		if got := q.TSQuery(); got != tc.ts {
			t.Errorf("%q TSQuery = %q, want %q", tc.q, got, tc.ts)
		}
		if got := q.FTS5(); got != tc.fts5 {
			t.Errorf("%q FTS5 = %q, want %q", tc.q, got, tc.fts5)
		}
	}
}

// FuzzParse: whatever arrives, a query is either refused naming q or made
// of words that hold no character either query language treats specially.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"", "pashmina", "LAT-001", `a"b`, "x:*&!|()", "غلام", "\x00\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		q, err := Parse(s)
		if err != nil {
			var e *apperr.Error
			if !errors.As(err, &e) || e.Fields["q"] == "" {
				t.Fatalf("Parse(%q) refused without naming q: %v", s, err)
			}
			return
		}
		if len(q.Terms) > MaxTerms {
			t.Fatalf("Parse(%q) gave %d words", s, len(q.Terms))
		}
		for _, term := range q.Terms {
			if term == "" || strings.ContainsAny(term, `"*:&|!()' `+"\x00") {
				t.Fatalf("Parse(%q) gave word %q", s, term)
			}
		}
	})
}
