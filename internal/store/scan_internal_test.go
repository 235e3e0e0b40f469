package store

import (
	"reflect"
	"slices"
	"sync"
	"testing"

	"gorm.io/gorm/schema"
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
}
