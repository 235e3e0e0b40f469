package civil_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/jkhhc/artisanbridge/internal/civil"
)

func TestParse(t *testing.T) {
	tests := []struct {
		in   string
		want civil.Date
		ok   bool
	}{
		{"2026-04-01", civil.Date{Year: 2026, Month: time.April, Day: 1}, true},
		{"2024-02-29", civil.Date{Year: 2024, Month: time.February, Day: 29}, true}, // a leap day
		{"0001-01-01", civil.Date{Year: 1, Month: time.January, Day: 1}, true},
		{"2025-02-29", civil.Date{}, false}, // no such day: refused, not rolled over
		{"2026-02-30", civil.Date{}, false},
		{"2026-13-01", civil.Date{}, false},
		{"2026-4-1", civil.Date{}, false},
		{"2026/04/01", civil.Date{}, false},
		{" 2026-04-01", civil.Date{}, false},
		{"2026-04-01T00:00:00Z", civil.Date{}, false}, // a timestamp where a day is meant
		{"2026-04-01 ", civil.Date{}, false},
		{"01-04-2026", civil.Date{}, false},
		{"", civil.Date{}, false},
		{"२०२६-०४-०१", civil.Date{}, false},
	}
	for _, tc := range tests {
		got, err := civil.Parse(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("Parse(%q) = %v, %v; want %v ok=%v", tc.in, got, err, tc.want, tc.ok)
		}
		if err != nil && !strings.Contains(err.Error(), "YYYY-MM-DD") {
			t.Errorf("Parse(%q): the refusal %q does not name the format", tc.in, err)
		}
	}
}

// A day begins at midnight in India, 18:30 UTC the evening before.
func TestStartAndOf(t *testing.T) {
	d := civil.MustParse("2026-04-01")
	if got, want := d.Start(), time.Date(2026, 3, 31, 18, 30, 0, 0, time.UTC); !got.Equal(want) || got.Location() != time.UTC {
		t.Fatalf("Start = %v, want %v in UTC", got, want)
	}
	if got, want := d.End(), time.Date(2026, 4, 1, 18, 30, 0, 0, time.UTC); !got.Equal(want) {
		t.Fatalf("End = %v, want %v", got, want)
	}
	tests := []struct {
		at   time.Time
		want string
	}{
		{time.Date(2026, 3, 31, 18, 29, 59, 0, time.UTC), "2026-03-31"},
		{time.Date(2026, 3, 31, 18, 30, 0, 0, time.UTC), "2026-04-01"},
		{time.Date(2026, 4, 1, 18, 29, 59, 999, time.UTC), "2026-04-01"},
		{time.Date(2026, 4, 1, 0, 0, 0, 0, time.FixedZone("PST", -8*3600)), "2026-04-01"}, // 13:30 IST
		{time.Date(2026, 12, 31, 19, 0, 0, 0, time.UTC), "2027-01-01"},
	}
	for _, tc := range tests {
		if got := civil.Of(tc.at).String(); got != tc.want {
			t.Errorf("Of(%v) = %s, want %s", tc.at, got, tc.want)
		}
		if !civil.MustParse(tc.want).Contains(tc.at) {
			t.Errorf("%s does not contain %v", tc.want, tc.at)
		}
	}
}

func TestArithmetic(t *testing.T) {
	tests := []struct {
		from string
		n    int
		want string
	}{
		{"2026-01-31", 1, "2026-02-01"}, {"2024-02-28", 1, "2024-02-29"}, {"2025-02-28", 1, "2025-03-01"},
		{"2026-12-31", 1, "2027-01-01"}, {"2026-03-01", -1, "2026-02-28"}, {"2026-04-01", 0, "2026-04-01"},
		{"2026-01-01", 365, "2027-01-01"},
	}
	for _, tc := range tests {
		from := civil.MustParse(tc.from)
		got := from.AddDays(tc.n)
		if got.String() != tc.want {
			t.Errorf("%s + %d = %s, want %s", tc.from, tc.n, got, tc.want)
		}
		if from.DaysUntil(got) != tc.n {
			t.Errorf("%s to %s is %d days, want %d", tc.from, got, from.DaysUntil(got), tc.n)
		}
	}
	a, b := civil.MustParse("2026-04-01"), civil.MustParse("2026-04-02")
	if !a.Before(b) || !b.After(a) || a.Compare(a) != 0 || a.After(b) {
		t.Fatal("ordering")
	}
	if civil.MustParse("2025-12-31").Compare(civil.MustParse("2026-01-01")) >= 0 {
		t.Fatal("a year boundary orders wrongly")
	}
}

func TestJSON(t *testing.T) {
	type body struct {
		EffectiveFrom civil.Date  `json:"effective_from"`
		Until         *civil.Date `json:"until"`
	}
	var b body
	if err := json.Unmarshal([]byte(`{"effective_from":"2020-01-01","until":null}`), &b); err != nil {
		t.Fatal(err)
	}
	if b.EffectiveFrom != civil.New(2020, time.January, 1) || b.Until != nil {
		t.Fatalf("decoded %+v", b)
	}
	out, _ := json.Marshal(b)
	if string(out) != `{"effective_from":"2020-01-01","until":null}` {
		t.Fatalf("encoded %s", out)
	}
	zero, _ := json.Marshal(civil.Date{})
	if string(zero) != "null" {
		t.Fatalf("the zero date encodes as %s", zero)
	}
	for _, bad := range []string{`"2020-01-01T00:00:00Z"`, `20200101`, `"2020-1-1"`, `true`, `"2020-02-30"`} {
		var d civil.Date
		err := json.Unmarshal([]byte(bad), &d)
		if err == nil || !strings.Contains(err.Error(), "YYYY-MM-DD") {
			t.Errorf("%s: %v (want a refusal naming YYYY-MM-DD)", bad, err)
		}
	}
	var d civil.Date
	if err := d.UnmarshalText([]byte("2026-11-30")); err != nil || d.String() != "2026-11-30" {
		t.Fatalf("text: %v %v", d, err)
	}
}

func TestToday(t *testing.T) {
	now := func() time.Time { return time.Date(2026, 11, 30, 20, 0, 0, 0, time.UTC) } // 01:30 IST on 1 Dec
	if got := civil.Today(now).String(); got != "2026-12-01" {
		t.Fatalf("Today = %s", got)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"2026-04-01", "2024-02-29", "2026-02-30", "2026-04-01T00:00:00Z", "9999-12-31"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := civil.Parse(s)
		if err != nil {
			return
		}
		if d.String() != s {
			t.Fatalf("Parse(%q) = %v, which prints differently", s, d)
		}
		if civil.Of(d.Start()) != d || civil.Of(d.End().Add(-time.Nanosecond)) != d {
			t.Fatalf("%v does not span its own day", d)
		}
	})
}
