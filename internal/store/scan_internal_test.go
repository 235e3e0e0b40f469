package store

import (
	"reflect"
	"slices"
	"sync"
	"testing"

	"gorm.io/gorm"
	"gorm.io/gorm/schema"
	"gorm.io/gorm/utils/tests"

	"github.com/jkhhc/artisanbridge/internal/paging"
)

// TestScannedColumns holds each list's column list to its row type: as
// many fields as columns, every column one of the type's, and every one
// of the type's columns listed except those a list leaves out on purpose.
func TestScannedColumns(t *testing.T) {
	check := func(t *testing.T, model any, cols []string, fields []any, leftOut ...string) {
		t.Helper()
		s, err := schema.Parse(model, &sync.Map{}, schema.NamingStrategy{})
		if err != nil {
			t.Fatal(err)
		}
		if len(cols) != len(fields) {
			t.Fatalf("%s: %d columns, %d fields", s.Table, len(cols), len(fields))
		}
		for _, c := range cols {
			if !slices.Contains(s.DBNames, c) {
				t.Errorf("%s: column %s is not one of %v", s.Table, c, s.DBNames)
			}
		}
		for _, c := range s.DBNames {
			if !slices.Contains(cols, c) && !slices.Contains(leftOut, c) {
				t.Errorf("%s: column %s is not scanned", s.Table, c)
			}
		}
		for i, c := range cols {
			// The field scanned at i is the column's own field.
			if f := s.LookUpField(c); f != nil {
				want := f.ReflectValueOf(t.Context(), reflect.ValueOf(model).Elem()).Addr().Interface()
				if fields[i] != want {
					t.Errorf("%s: column %s is scanned into field %d, not %s", s.Table, c, i, f.Name)
				}
			}
		}
	}
	p := &productRow{}
	check(t, p, p.columns(), p.fields())
	a := &auditRow{}
	check(t, a, a.columns(), a.fields())
	m := &movementRow{}
	check(t, m, m.columns(), m.fields())
	e := &exceptionRow{}
	check(t, e, e.columns(), e.fields())
	o := &orderRow{}
	check(t, o, o.columns(), o.fields())
	l := &listingRow{}
	check(t, l, l.columns(), l.fields(), "pushed_content", "pushed_mrp_paise")
	r := &artisanRow{}
	check(t, r, r.columns(), r.fields(), "bank_account_sealed")
	s := &stockLevelRow{}
	check(t, s, s.columns(), s.fields())
}

// TestPageCapacity: a list's rows are reserved for as many as its LIMIT
// lets through, never more than the largest page.
func TestPageCapacity(t *testing.T) {
	g, err := gorm.Open(tests.DummyDialector{}, &gorm.Config{})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		query func(*gorm.DB) *gorm.DB
		want  int
	}{
		{"no limit", func(q *gorm.DB) *gorm.DB { return q.Where("id > ?", "x") }, 0},
		{"a page and its proof of the next", func(q *gorm.DB) *gorm.DB { return q.Order("id").Limit(51) }, 51},
		{"the largest page", func(q *gorm.DB) *gorm.DB { return q.Limit(paging.MaxLimit + 1) }, paging.MaxLimit + 1},
		{"a limit past any page", func(q *gorm.DB) *gorm.DB { return q.Limit(1_000_000) }, paging.MaxLimit + 1},
		{"limit cancelled", func(q *gorm.DB) *gorm.DB { return q.Limit(-1) }, 0},
		{"offset only", func(q *gorm.DB) *gorm.DB { return q.Offset(10) }, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := pageCapacity(tc.query(g.Session(&gorm.Session{}))); got != tc.want {
				t.Errorf("pageCapacity = %d, want %d", got, tc.want)
			}
		})
	}
}
