// Package civil holds plain calendar days as India reads them: a fee
// schedule takes effect on a day, a statement covers days, and a day starts
// at midnight in Asia/Kolkata whatever the server's time zone. A Date is
// written YYYY-MM-DD, in JSON and in query strings, and nothing else is
// accepted: a timestamp where a day is meant is refused with the format named.
package civil

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"
)

// Layout is the one accepted spelling of a day.
const Layout = "2006-01-02"

// IST is India Standard Time (Asia/Kolkata: +05:30, no daylight saving since
// 1945), fixed so that no host's missing zone database changes a day.
var IST = time.FixedZone("IST", 5*3600+1800)

// Date is a calendar day in India. The zero Date is "no date" (IsZero).
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// New returns the date y-m-d, normalising as time.Date does (31 Nov is 1 Dec).
func New(y int, m time.Month, d int) Date {
	return Of(time.Date(y, m, d, 12, 0, 0, 0, IST))
}

// Of is the day t falls on in India.
func Of(t time.Time) Date {
	y, m, d := t.In(IST).Date()
	return Date{y, m, d}
}

// Today is the current day in India by the given clock.
func Today(now func() time.Time) Date { return Of(now()) }

// Parse reads YYYY-MM-DD exactly: no time, no zone, no other separators,
// and a day that exists (2026-02-30 is refused, not rolled over).
func Parse(s string) (Date, error) {
	if len(s) != len(Layout) {
		return Date{}, formatError(s)
	}
	t, err := time.ParseInLocation(Layout, s, IST)
	if err != nil {
		return Date{}, formatError(s)
	}
	return Of(t), nil
}

// MustParse is Parse for literals in tests and tables; it panics on a bad date.
func MustParse(s string) Date {
	d, err := Parse(s)
	if err != nil {
		panic(err)
	}
	return d
}

func formatError(s string) error {
	if len(s) > 40 {
		s = s[:40] + "…"
	}
	return fmt.Errorf("%q is not a date: write a day as YYYY-MM-DD (for example 2026-04-01), a day in India (Asia/Kolkata)", s)
}

// String is YYYY-MM-DD; the zero Date is "".
func (d Date) String() string {
	if d.IsZero() {
		return ""
	}
	return fmt.Sprintf("%04d-%02d-%02d", d.Year, int(d.Month), d.Day)
}

// IsZero reports whether d is the zero Date.
func (d Date) IsZero() bool { return d == Date{} }

// Start is the instant d begins in India: midnight IST, returned in UTC as
// the database stores instants.
func (d Date) Start() time.Time {
	return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, IST).UTC()
}

// End is the instant the day after d begins: the exclusive end of d, so
// that "during d" is Start() <= t < End().
func (d Date) End() time.Time { return d.AddDays(1).Start() }

// Contains reports whether the instant t falls on d in India.
func (d Date) Contains(t time.Time) bool { return Of(t) == d }

// AddDays returns the date n days after d (before it when n < 0).
func (d Date) AddDays(n int) Date { return New(d.Year, d.Month, d.Day+n) }

// Before, After and Compare order dates.
func (d Date) Before(o Date) bool { return d.Compare(o) < 0 }
func (d Date) After(o Date) bool  { return d.Compare(o) > 0 }
func (d Date) Compare(o Date) int {
	switch {
	case d.Year != o.Year:
		return cmp(d.Year, o.Year)
	case d.Month != o.Month:
		return cmp(int(d.Month), int(o.Month))
	}
	return cmp(d.Day, o.Day)
}

func cmp(a, b int) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// DaysUntil is the number of days from d to o (negative if o is earlier).
func (d Date) DaysUntil(o Date) int {
	return int(o.Start().Sub(d.Start()).Hours() / 24)
}

// MarshalJSON writes "YYYY-MM-DD", or null for the zero Date.
func (d Date) MarshalJSON() ([]byte, error) {
	if d.IsZero() {
		return []byte("null"), nil
	}
	return []byte(`"` + d.String() + `"`), nil
}

// UnmarshalJSON reads "YYYY-MM-DD" or null (the zero Date); anything else,
// a timestamp included, is an error naming the format.
func (d *Date) UnmarshalJSON(b []byte) error {
	if bytes.Equal(bytes.TrimSpace(b), []byte("null")) {
		*d = Date{}
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return formatError(string(b))
	}
	v, err := Parse(s)
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// MarshalText and UnmarshalText let a Date be a query parameter or a map key.
func (d Date) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

func (d *Date) UnmarshalText(b []byte) error {
	v, err := Parse(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}
