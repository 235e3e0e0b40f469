// Package messages writes what artisans are told by SMS, in their own
// language: one template per event and language, each registered on TRAI's
// DLT platform (a content template id, variables written {#var#}) because an
// Indian operator delivers a commercial SMS only if its text matches a
// template registered for the sender. Variables are filled by name in the
// order the template lists them, each cleaned and cut to the length a DLT
// variable holds, so the filled text always matches its template. Every
// message is counted in SMS segments (GSM-7 or UCS-2) and costed.
//
// English texts are the corporation's; the Hindi, Urdu and Kashmiri texts
// are drafts that a native speaker must review before the templates are
// registered (Template.NeedsReview). A language without a template falls
// back to English, and the fallback is logged.
package messages

import (
	"fmt"
	"log/slog"
	"regexp"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Language is an artisan's language code as the catalogue stores it.
type Language string

const (
	English  Language = "en"
	Hindi    Language = "hi"
	Urdu     Language = "ur"
	Kashmiri Language = "ks" // written in Perso-Arabic script, as Kashmiri officially is
)

// Languages lists the languages the catalogue has texts for.
var Languages = []Language{English, Hindi, Urdu, Kashmiri}

// RightToLeft reports whether l is written right to left.
func (l Language) RightToLeft() bool { return l == Urdu || l == Kashmiri }

// Event is what a message is about.
type Event string

const (
	EventOrderPick           Event = "order_pick"            // a piece held in a showroom sold
	EventOrderCollect        Event = "order_collect"         // we collect a sold piece from the artisan by a date
	EventOrderCollectUndated Event = "order_collect_undated" // the same, no date set yet
	EventOrderMake           Event = "order_make"            // a piece to make and bring by a date
	EventOrderMakeUndated    Event = "order_make_undated"    // the same, no date set yet
	EventOrderCancelled      Event = "order_cancelled"       // a sale the buyer or marketplace cancelled
	EventPayoutSent          Event = "payout_sent"           // money sent to the artisan's bank
	EventPayoutFailed        Event = "payout_failed"         // a transfer failed: the money stays in the balance
	EventStatementSummary    Event = "statement_summary"     // the monthly statement in one message
)

// Events lists every event in a fixed order.
var Events = []Event{EventOrderPick, EventOrderCollect, EventOrderCollectUndated, EventOrderMake, EventOrderMakeUndated,
	EventOrderCancelled, EventPayoutSent, EventPayoutFailed, EventStatementSummary}

// Var is DLT's variable placeholder.
const Var = "{#var#}"

// DefaultMaxVarLength is the longest value a DLT variable takes. Registrars
// commonly enforce 30 characters per {#var#}; no first-party source
// confirms it, so it is a setting of the catalogue (WithMaxVarLength).
const DefaultMaxVarLength = 30

// PlaceholderPrefix starts the template id of a template the corporation
// has not registered yet: DLT-PENDING-<event>-<language>, for example
// DLT-PENDING-order_pick-hi. A gateway refuses to send under such an id.
const PlaceholderPrefix = "DLT-PENDING-"

// PlaceholderID is the id a template has until it is registered.
func PlaceholderID(e Event, l Language) string {
	return PlaceholderPrefix + string(e) + "-" + string(l)
}

// IsPlaceholder reports whether id is a placeholder, not a registered id.
func IsPlaceholder(id string) bool { return id == "" || strings.HasPrefix(id, PlaceholderPrefix) }

// Template is one registered (or to-be-registered) DLT content template.
type Template struct {
	Event    Event    `json:"event"`
	Language Language `json:"language"`
	// DLTTemplateID is the content template id the registrar issued, or a
	// placeholder (PlaceholderID) until then.
	DLTTemplateID string `json:"dlt_template_id"`
	// Text is the registered text, each variable written {#var#}.
	Text string `json:"text"`
	// Vars names the variables in the order their {#var#} appear in Text.
	Vars []string `json:"vars"`
	// NeedsReview marks a translation a native speaker has not yet checked.
	NeedsReview bool `json:"needs_review"`
}

// Key names a template: event and language.
type Key struct {
	Event    Event
	Language Language
}

func (k Key) String() string { return string(k.Event) + "." + string(k.Language) }

// Pattern is the template as DLT scrubbing reads it: the fixed text exactly,
// each {#var#} any run of at most maxVar characters on one line.
func (t Template) Pattern(maxVar int) *regexp.Regexp {
	parts := strings.Split(t.Text, Var)
	for i, p := range parts {
		parts[i] = regexp.QuoteMeta(p)
	}
	return regexp.MustCompile(`^` + strings.Join(parts, fmt.Sprintf(`([^\n]{0,%d}?)`, maxVar)) + `$`)
}

// Vars holds variable values by name.
type Vars map[string]string

// Message is a filled template, ready for a gateway.
type Message struct {
	Event Event `json:"event"`
	// Language is the template's; Requested is what the artisan reads.
	// They differ when a translation was missing and English was used.
	Language      Language `json:"language"`
	Requested     Language `json:"requested"`
	FellBack      bool     `json:"fell_back"`
	DLTTemplateID string   `json:"dlt_template_id"`
	Text          string   `json:"text"`
	// Values are the variable values in template order, for gateways that
	// take the template id and its variables rather than the text.
	Values      []string `json:"values"`
	NeedsReview bool     `json:"needs_review"`
	Count
	CostPaise int64 `json:"cost_paise"`
}

// Unicode reports whether the message goes as UCS-2 (a gateway's "unicode" type).
func (m Message) Unicode() bool { return m.Encoding == UCS2 }

// Catalog is the set of templates messages are written from.
type Catalog struct {
	templates        map[Key]Template
	maxVar           int
	segmentCostPaise int64
	log              *slog.Logger
}

// New returns a catalogue of the given templates. Each is checked: known
// event and language, as many names as {#var#}, no name twice, no empty
// text. log may be nil (fallbacks are then not logged).
func New(templates []Template, log *slog.Logger) (*Catalog, error) {
	c := &Catalog{templates: map[Key]Template{}, maxVar: DefaultMaxVarLength, log: log}
	for _, t := range templates {
		if err := t.validate(); err != nil {
			return nil, err
		}
		k := Key{t.Event, t.Language}
		if _, dup := c.templates[k]; dup {
			return nil, fmt.Errorf("messages: template %s given twice", k)
		}
		if t.DLTTemplateID == "" {
			t.DLTTemplateID = PlaceholderID(t.Event, t.Language)
		}
		c.templates[k] = t
	}
	for _, e := range Events {
		if _, ok := c.templates[Key{e, English}]; !ok {
			return nil, fmt.Errorf("messages: no English template for %s: English is the fallback of every language", e)
		}
	}
	return c, nil
}

// Default is the built-in catalogue (texts.go) with placeholder ids.
func Default(log *slog.Logger) *Catalog {
	c, err := New(builtin(), log)
	if err != nil {
		panic(err) // the built-in texts are checked by tests
	}
	return c
}

func (t Template) validate() error {
	k := Key{t.Event, t.Language}
	if !knownEvent(t.Event) {
		return fmt.Errorf("messages: unknown event %q", t.Event)
	}
	if !knownLanguage(t.Language) {
		return fmt.Errorf("messages: unknown language %q (want en, hi, ur or ks)", t.Language)
	}
	if strings.TrimSpace(strings.ReplaceAll(t.Text, Var, "")) == "" {
		return fmt.Errorf("messages: template %s has no fixed text", k)
	}
	if n := strings.Count(t.Text, Var); n != len(t.Vars) {
		return fmt.Errorf("messages: template %s has %d {#var#} but names %d variables", k, n, len(t.Vars))
	}
	seen := map[string]bool{}
	for _, v := range t.Vars {
		if v == "" || seen[v] {
			return fmt.Errorf("messages: template %s names variable %q twice or empty", k, v)
		}
		seen[v] = true
	}
	if strings.Contains(t.Text, "\n") {
		return fmt.Errorf("messages: template %s spans lines", k)
	}
	return nil
}

func knownEvent(e Event) bool {
	for _, x := range Events {
		if x == e {
			return true
		}
	}
	return false
}

func knownLanguage(l Language) bool {
	for _, x := range Languages {
		if x == l {
			return true
		}
	}
	return false
}

// WithTemplateIDs returns a copy whose templates carry the registered ids
// given (keys as ParseTemplateIDs reads them); the others keep theirs.
func (c *Catalog) WithTemplateIDs(ids map[Key]string) (*Catalog, error) {
	out := c.clone()
	for k, id := range ids {
		t, ok := out.templates[k]
		if !ok {
			return nil, fmt.Errorf("messages: no template %s to give the id %s", k, id)
		}
		t.DLTTemplateID = id
		out.templates[k] = t
	}
	return out, nil
}

// WithMaxVarLength returns a copy that cuts variables to n characters.
func (c *Catalog) WithMaxVarLength(n int) *Catalog {
	out := c.clone()
	out.maxVar = max(n, 3)
	return out
}

// WithSegmentCost returns a copy that prices each SMS segment at paise.
func (c *Catalog) WithSegmentCost(paise int64) *Catalog {
	out := c.clone()
	out.segmentCostPaise = paise
	return out
}

func (c *Catalog) clone() *Catalog {
	out := *c
	out.templates = make(map[Key]Template, len(c.templates))
	for k, t := range c.templates {
		out.templates[k] = t
	}
	return &out
}

// MaxVarLength is the longest value a variable is given.
func (c *Catalog) MaxVarLength() int { return c.maxVar }

// Templates lists every template, by event then language.
func (c *Catalog) Templates() []Template {
	out := make([]Template, 0, len(c.templates))
	for _, t := range c.templates {
		out = append(out, t)
	}
	order := func(t Template) (int, int) {
		ei, li := 0, 0
		for i, e := range Events {
			if e == t.Event {
				ei = i
			}
		}
		for i, l := range Languages {
			if l == t.Language {
				li = i
			}
		}
		return ei, li
	}
	sort.Slice(out, func(i, j int) bool {
		ei, li := order(out[i])
		ej, lj := order(out[j])
		return ei < ej || (ei == ej && li < lj)
	})
	return out
}

// Template returns the template for e in l, or English's when l has none
// (fellBack true).
func (c *Catalog) Template(e Event, l Language) (t Template, fellBack bool, err error) {
	if t, ok := c.templates[Key{e, l}]; ok {
		return t, false, nil
	}
	t, ok := c.templates[Key{e, English}]
	if !ok {
		return Template{}, false, fmt.Errorf("messages: unknown event %q", e)
	}
	return t, true, nil
}

// Fill writes a message from the template for e in l and the variable
// values by name. A missing or empty variable is an error; values are
// cleaned (one line, single spaces; GSM-7 characters only in an English
// text, so that it stays GSM-7) and cut to the variable length with "..".
func (c *Catalog) Fill(e Event, l Language, vars Vars) (Message, error) {
	t, fellBack, err := c.Template(e, l)
	if err != nil {
		return Message{}, err
	}
	if fellBack && c.log != nil {
		// Never the phone number or the values: only what is missing.
		c.log.Warn("message template missing: sending English", "event", string(e), "language", string(l))
	}
	values := make([]string, len(t.Vars))
	for i, name := range t.Vars {
		v := clean(vars[name], t.Language == English, c.maxVar)
		if v == "" {
			return Message{}, fmt.Errorf("messages: %s needs a value for %q", Key{e, t.Language}, name)
		}
		values[i] = v
	}
	parts := strings.Split(t.Text, Var)
	var b strings.Builder
	for i, p := range parts {
		b.WriteString(p)
		if i < len(values) {
			b.WriteString(values[i])
		}
	}
	text := b.String()
	count := CountSegments(text)
	return Message{Event: e, Language: t.Language, Requested: l, FellBack: fellBack, DLTTemplateID: t.DLTTemplateID,
		Text: text, Values: values, NeedsReview: t.NeedsReview, Count: count, CostPaise: count.CostPaise(c.segmentCostPaise)}, nil
}

// Match finds the template a text was written from, as DLT scrubbing does
// at the operator: the fixed text exactly, each variable at most the
// variable length. It returns false for a text no template matches.
func (c *Catalog) Match(text string) (Template, bool) {
	for _, t := range c.Templates() {
		if t.Pattern(c.maxVar).MatchString(text) {
			return t, true
		}
	}
	return Template{}, false
}

// clean makes a value safe for a variable: printable, on one line, single
// spaces, no {#var#} marker; for a GSM-7 text only GSM-7 characters; at
// most max characters, a cut value ending "..".
func clean(v string, gsmOnly bool, max int) string {
	v = strings.ReplaceAll(v, Var, " ")
	var b strings.Builder
	for _, r := range v {
		switch {
		case r == '\n' || r == '\r' || r == '\f' || !unicode.IsPrint(r) && r != ' ':
			b.WriteByte(' ')
		case gsmOnly:
			if _, ok := InGSM7(r); ok {
				b.WriteRune(r)
			} else {
				b.WriteByte(' ')
			}
		default:
			b.WriteRune(r)
		}
	}
	v = strings.Join(strings.Fields(b.String()), " ")
	if utf8.RuneCountInString(v) <= max {
		return v
	}
	runes := []rune(v)
	return strings.TrimSpace(string(runes[:max-2])) + ".."
}
