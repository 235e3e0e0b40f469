package paging

import (
	"testing"

	"github.com/jkhhc/artisanbridge/internal/ids"
)

func TestParse(t *testing.T) {
	id := ids.New()
	tests := []struct {
		limit  int
		cursor string
		ok     bool
		want   int
	}{
		{0, "", true, DefaultLimit},
		{10, Cursor(id), true, 10},
		{MaxLimit, Cursor(id + "," + ids.New()), true, MaxLimit},
		{MaxLimit + 1, "", false, 0},
		{-1, "", false, 0},
		{10, "not-base64!", false, 0},
		{10, Cursor("not an id"), false, 0},
	}
	for i, tc := range tests {
		r, err := Parse(tc.limit, tc.cursor)
		if (err == nil) != tc.ok || (tc.ok && r.Limit != tc.want) {
			t.Errorf("%d: %+v %v", i, r, err)
		}
	}
}

func TestBuild(t *testing.T) {
	rows := []string{"a", "b", "c"}
	p := Build(rows, 2, func(s string) string { return s })
	if len(p.Items) != 2 || p.NextCursor != Cursor("b") {
		t.Fatalf("%+v", p)
	}
	p = Build(rows[:2], 2, func(s string) string { return s })
	if p.NextCursor != "" {
		t.Fatalf("last page has a cursor: %+v", p)
	}
	if e := Build[string](nil, 2, func(s string) string { return s }); e.Items == nil {
		t.Fatal("an empty page must encode as [] not null")
	}
}

// FuzzParse: a cursor from outside never panics the parser, and what it
// accepts decodes to ids only.
func FuzzParse(f *testing.F) {
	f.Add(10, Cursor(ids.New()))
	f.Add(0, "")
	f.Add(-5, "%%%")
	f.Fuzz(func(t *testing.T, limit int, cursor string) {
		r, err := Parse(limit, cursor)
		if err == nil && (r.Limit < 1 || r.Limit > MaxLimit || (r.After != "" && !validCursor(r.After))) {
			t.Fatalf("accepted %d %q as %+v", limit, cursor, r)
		}
	})
}
