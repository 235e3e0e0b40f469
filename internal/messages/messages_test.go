package messages

import (
	"bytes"
	"log/slog"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/jkhhc/artisanbridge/internal/civil"
)

// samples are the notices the golden files show: one per event.
func samples() []Notice {
	due := civil.MustParse("2026-11-25")
	return []Notice{
		Task{Kind: TaskPick, Channel: "amazon", OrderRef: "403-1234567-1234567", SKU: "NAMDA-014", Title: "Namda rug, chain-stitch", Quantity: 1},
		Task{Kind: TaskCollect, Channel: "flipkart", OrderRef: "OD432187654321", SKU: "KANI-007", Title: "Kani shawl", Quantity: 1, Due: &due},
		Task{Kind: TaskCollect, Channel: "flipkart", OrderRef: "OD432187654321", SKU: "KANI-007", Title: "Kani shawl", Quantity: 1},
		Task{Kind: TaskMake, Channel: "gem", OrderRef: "GEMC-511687", SKU: "BOX-021", Title: "Walnut wood box", Quantity: 3, Due: &due, Place: "Srinagar showroom"},
		Task{Kind: TaskMake, Channel: "gem", OrderRef: "GEMC-511687", SKU: "BOX-021", Title: "Walnut wood box", Quantity: 3, Place: "Srinagar showroom"},
		Cancellation{Channel: "flipkart", OrderRef: "OD432187654321", SKU: "KANI-007", Title: "Kani shawl", Quantity: 1},
		PaymentSent{AmountPaise: 1_80_000_00, On: civil.MustParse("2026-12-01"), UTR: "HDFCN52026120112345"},
		PaymentFailed{AmountPaise: 45_050_50},
		StatementSummary{Name: "Ghulam Nabi Dar", AsOf: civil.MustParse("2026-11-30"), PayablePaise: 1_80_000_00, HeldPaise: 4_500_00, PaidPaise: 12_34_567_00},
	}
}

func TestBuiltinIsComplete(t *testing.T) {
	c := Default(nil)
	if got, want := len(c.Templates()), len(Events)*len(Languages); got != want {
		t.Fatalf("%d templates, want %d (every event in every language)", got, want)
	}
	for _, tmpl := range c.Templates() {
		if tmpl.NeedsReview != (tmpl.Language != English) {
			t.Errorf("%s.%s: needs_review=%v; every non-English text is marked for a native speaker, English is not", tmpl.Event, tmpl.Language, tmpl.NeedsReview)
		}
		if tmpl.DLTTemplateID != PlaceholderID(tmpl.Event, tmpl.Language) || !IsPlaceholder(tmpl.DLTTemplateID) {
			t.Errorf("%s.%s: id %q, want the placeholder", tmpl.Event, tmpl.Language, tmpl.DLTTemplateID)
		}
		if !strings.HasPrefix(tmpl.Text, "JKHHC: ") {
			t.Errorf("%s.%s does not start with the corporation's name", tmpl.Event, tmpl.Language)
		}
		if tmpl.Language == English {
			if c := CountSegments(strings.ReplaceAll(tmpl.Text, Var, "")); c.Encoding != GSM7 {
				t.Errorf("%s.en is not GSM-7", tmpl.Event)
			}
		}
	}
	seen := map[Event]bool{}
	for _, n := range samples() {
		seen[n.Event()] = true
	}
	for _, e := range Events {
		if !seen[e] {
			t.Errorf("no sample notice for %s", e)
		}
	}
}

// Every filled message matches its own registered template, and only it,
// as the operator's DLT scrubbing would check.
func TestFilledMessagesMatchTheirTemplates(t *testing.T) {
	c := Default(nil)
	for _, n := range samples() {
		for _, l := range Languages {
			m, err := c.Compose(l, n)
			if err != nil {
				t.Fatalf("%s in %s: %v", n.Event(), l, err)
			}
			tmpl, _, _ := c.Template(n.Event(), l)
			if !tmpl.Pattern(c.MaxVarLength()).MatchString(m.Text) {
				t.Errorf("%s.%s: %q does not match %q", n.Event(), l, m.Text, tmpl.Text)
			}
			got, ok := c.Match(m.Text)
			if !ok || got.Event != n.Event() || got.Language != l {
				t.Errorf("%s.%s: %q is scrubbed as %s.%s (found %v)", n.Event(), l, m.Text, got.Event, got.Language, ok)
			}
			if m.Language != l || m.FellBack || m.DLTTemplateID != tmpl.DLTTemplateID || len(m.Values) != len(tmpl.Vars) {
				t.Errorf("%s.%s: %+v", n.Event(), l, m)
			}
			if (l == English) != (m.Encoding == GSM7) {
				t.Errorf("%s.%s goes as %s", n.Event(), l, m.Encoding)
			}
		}
	}
}

// Whatever the values (newlines, {#var#}, emoji, 200 characters, Devanagari
// in an English text), the message still matches its template, every value
// fits a DLT variable, and an English message stays GSM-7.
func TestAnyValuesStillMatch(t *testing.T) {
	c := Default(nil)
	r := rand.New(rand.NewPCG(11, 17))
	pieces := []string{"a", "Z", " ", "\n", "{#var#}", "😀", "क", "ہ", "€", "{", "\t", "..", "\u200f", "x"}
	value := func() string {
		var b strings.Builder
		n := 1 + r.IntN(80)
		for i := 0; i < n; i++ {
			b.WriteString(pieces[r.IntN(len(pieces))])
		}
		return b.String() + "v" // never only blanks
	}
	for i := 0; i < 2000; i++ {
		tmpl := c.Templates()[r.IntN(len(c.Templates()))]
		vars := Vars{}
		for _, name := range tmpl.Vars {
			vars[name] = value()
		}
		m, err := c.Fill(tmpl.Event, tmpl.Language, vars)
		if err != nil {
			t.Fatalf("%s.%s: %v", tmpl.Event, tmpl.Language, err)
		}
		if !tmpl.Pattern(c.MaxVarLength()).MatchString(m.Text) {
			t.Fatalf("%s.%s: %q does not match its template", tmpl.Event, tmpl.Language, m.Text)
		}
		for _, v := range m.Values {
			if n := len([]rune(v)); n > c.MaxVarLength() || n == 0 || strings.Contains(v, Var) || strings.ContainsAny(v, "\n\r") {
				t.Fatalf("%s.%s: value %q", tmpl.Event, tmpl.Language, v)
			}
		}
		if tmpl.Language == English && m.Encoding != GSM7 {
			t.Fatalf("%s.en became %s: %q", tmpl.Event, m.Encoding, m.Text)
		}
	}
}

func TestFallbackToEnglishIsLogged(t *testing.T) {
	var logs bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&logs, nil))
	var partial []Template
	for _, tmpl := range builtin() {
		if !(tmpl.Event == EventPayoutFailed && tmpl.Language == Urdu) {
			partial = append(partial, tmpl)
		}
	}
	c, err := New(partial, log)
	if err != nil {
		t.Fatal(err)
	}
	m, err := c.Compose(Urdu, PaymentFailed{AmountPaise: 2_500_00})
	if err != nil {
		t.Fatal(err)
	}
	if !m.FellBack || m.Language != English || m.Requested != Urdu || !strings.Contains(m.Text, "Rs 2,500") {
		t.Fatalf("fallback: %+v", m)
	}
	line := logs.String()
	if !strings.Contains(line, `"event":"payout_failed"`) || !strings.Contains(line, `"language":"ur"`) || !strings.Contains(line, "missing") {
		t.Fatalf("the fallback was not logged with its event and language: %s", line)
	}
	if strings.Contains(line, "2,500") {
		t.Fatalf("the log holds the message's values: %s", line)
	}
	// A language the catalogue does not know falls back the same way.
	logs.Reset()
	if m, err := c.Compose("fr", PaymentFailed{AmountPaise: 100}); err != nil || !m.FellBack || logs.Len() == 0 {
		t.Fatalf("unknown language: %+v %v %q", m, err, logs.String())
	}
	// A present translation logs nothing.
	logs.Reset()
	if m, err := c.Compose(Hindi, PaymentFailed{AmountPaise: 100}); err != nil || m.FellBack || logs.Len() != 0 {
		t.Fatalf("Hindi: %+v %v %q", m, err, logs.String())
	}
}

func TestCatalogRefusesBadTemplates(t *testing.T) {
	good := Template{Event: EventPayoutFailed, Language: English, Text: "JKHHC: Rs {#var#} failed.", Vars: []string{"amount"}}
	english := func(extra ...Template) []Template {
		var out []Template
		for _, tmpl := range builtin() {
			if tmpl.Language == English && tmpl.Event != EventPayoutFailed {
				out = append(out, tmpl)
			}
		}
		return append(out, extra...)
	}
	if _, err := New(english(good), nil); err != nil {
		t.Fatalf("a good catalogue: %v", err)
	}
	bad := map[string][]Template{
		"fewer names than variables": english(Template{Event: EventPayoutFailed, Language: English, Text: "JKHHC: {#var#} {#var#}", Vars: []string{"amount"}}),
		"a name twice":               english(Template{Event: EventPayoutFailed, Language: English, Text: "JKHHC: {#var#} {#var#}", Vars: []string{"a", "a"}}),
		"no English":                 english(),
		"unknown language":           english(good, Template{Event: EventPayoutFailed, Language: "fr", Text: "JKHHC {#var#}", Vars: []string{"amount"}}),
		"unknown event":              english(good, Template{Event: "birthday", Language: English, Text: "JKHHC {#var#}", Vars: []string{"x"}}),
		"twice":                      english(good, good),
		"only a variable":            english(Template{Event: EventPayoutFailed, Language: English, Text: "{#var#}", Vars: []string{"amount"}}),
		"two lines":                  english(Template{Event: EventPayoutFailed, Language: English, Text: "JKHHC\n{#var#}", Vars: []string{"amount"}}),
	}
	for name, ts := range bad {
		if _, err := New(ts, nil); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestMissingValueIsAnError(t *testing.T) {
	c := Default(nil)
	if _, err := c.Fill(EventPayoutSent, Hindi, Vars{"amount": "100", "date": "1 Dec"}); err == nil || !strings.Contains(err.Error(), "utr") {
		t.Fatalf("a missing UTR: %v", err)
	}
	if _, err := c.Compose(English, PaymentSent{AmountPaise: 100, On: civil.MustParse("2026-12-01"), UTR: "  \n "}); err == nil {
		t.Fatal("a blank UTR was sent")
	}
}

func TestTemplateIDs(t *testing.T) {
	ids, err := ParseTemplateIDs(" order_pick.en=1107161234567890123 , payout_failed.ks=1107161234567890999,")
	if err != nil || len(ids) != 2 || ids[Key{EventOrderPick, English}] != "1107161234567890123" {
		t.Fatalf("%v %v", ids, err)
	}
	c, err := Default(nil).WithTemplateIDs(ids)
	if err != nil {
		t.Fatal(err)
	}
	m, _ := c.Compose(Kashmiri, PaymentFailed{AmountPaise: 100})
	if m.DLTTemplateID != "1107161234567890999" {
		t.Fatalf("ks id %q", m.DLTTemplateID)
	}
	if m, _ := c.Compose(Hindi, PaymentFailed{AmountPaise: 100}); !IsPlaceholder(m.DLTTemplateID) {
		t.Fatalf("hi id %q", m.DLTTemplateID)
	}
	if m, _ := Default(nil).Compose(English, PaymentFailed{AmountPaise: 100}); !IsPlaceholder(m.DLTTemplateID) {
		t.Fatal("WithTemplateIDs changed the catalogue it was called on")
	}
	for _, bad := range []string{"order_pick=1107161234567890123", "order_pick.fr=1107161234567890123", "birthday.en=1107161234567890123",
		"order_pick.en=12ab", "order_pick.en=123", "order_pick.en=1107161234567890123,order_pick.en=1107161234567890124", "order_pick.en"} {
		if _, err := ParseTemplateIDs(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestCost(t *testing.T) {
	c := Default(nil).WithSegmentCost(25)
	for _, l := range Languages {
		m, err := c.Compose(l, samples()[6])
		if err != nil {
			t.Fatal(err)
		}
		if m.CostPaise != int64(m.Segments)*25 || m.Segments < 1 {
			t.Errorf("%s: %d segments cost %d", l, m.Segments, m.CostPaise)
		}
	}
	if m, _ := Default(nil).Compose(English, samples()[6]); m.CostPaise != 0 {
		t.Errorf("no price set, yet it cost %d", m.CostPaise)
	}
}

// A long title is shortened until the message fits; the reference is not.
func TestComposeWithin(t *testing.T) {
	c := Default(nil)
	long := Task{Kind: TaskCollect, Channel: "flipkart", OrderRef: "OD4321876543210987654", SKU: "KANI-SHAWL-0007-RED-LARGE",
		Title: "Kani shawl with hand-woven paisley border and fringe", Quantity: 1, Due: ptr(civil.MustParse("2026-11-25"))}
	full, _ := c.Compose(English, long)
	fit, err := c.ComposeWithin(English, long, 1)
	if err != nil || full.Segments < 2 || fit.Segments != 1 || !strings.Contains(fit.Text, "OD4321876543210987654") || !strings.Contains(fit.Text, "..") {
		t.Fatalf("full %d segments, fitted %+v, %v", full.Segments, fit, err)
	}
	if tmpl, _, _ := c.Template(long.Event(), English); !tmpl.Pattern(c.MaxVarLength()).MatchString(fit.Text) {
		t.Fatalf("the shortened text no longer matches: %q", fit.Text)
	}
	short := Task{Kind: TaskPick, Channel: "amazon", OrderRef: "1", SKU: "S", Title: "Rug", Quantity: 1}
	if a, _ := c.ComposeWithin(English, short, 1); !strings.Contains(a.Text, "1 x Rug (S)") {
		t.Fatalf("a short one changed: %q", a.Text)
	}
}

func ptr[T any](v T) *T { return &v }

func TestDayMonth(t *testing.T) {
	d := civil.MustParse("2026-11-05")
	for l, want := range map[Language]string{English: "5 Nov", Hindi: "5 नवंबर", Urdu: "5 نومبر", Kashmiri: "5 نومبر", "fr": "5 Nov"} {
		if got := DayMonth(d, l); got != want {
			t.Errorf("%s: %q, want %q", l, got, want)
		}
	}
}
