package messages

import (
	"strconv"
	"strings"
	"time"

	"github.com/jkhhc/artisanbridge/internal/civil"
	"github.com/jkhhc/artisanbridge/internal/money"
)

// Notice is something to tell an artisan: its event and its variables as
// written in a language (dates and amounts are written per language).
type Notice interface {
	Event() Event
	Vars(l Language) Vars
}

// Compose writes n in l (English if l has no template).
func (c *Catalog) Compose(l Language, n Notice) (Message, error) {
	return c.Fill(n.Event(), l, n.Vars(l))
}

// ComposeWithin writes n in l in at most maxSegments SMS if shortening the
// piece's title (never below 8 characters) can do it; otherwise it returns
// the shortest it could write. Nothing else is cut: the order reference,
// the SKU and amounts are what the artisan acts on.
func (c *Catalog) ComposeWithin(l Language, n Notice, maxSegments int) (Message, error) {
	vars := n.Vars(l)
	m, err := c.Fill(n.Event(), l, vars)
	if err != nil || m.Segments <= maxSegments {
		return m, err
	}
	title, ok := vars["title"]
	if !ok {
		return m, nil
	}
	full := []rune(clean(title, m.Language == English, c.maxVar))
	for keep := len(full) - 1; keep >= 8; keep-- {
		vars["title"] = strings.TrimSpace(string(full[:keep-2])) + ".."
		shorter, err := c.Fill(n.Event(), l, vars)
		if err != nil {
			return Message{}, err
		}
		m = shorter
		if m.Segments <= maxSegments {
			break
		}
	}
	return m, nil
}

// Task kinds, as fulfilment names them.
const (
	TaskPick    = "pick"
	TaskCollect = "collect"
	TaskMake    = "make"
)

// Task tells the maker what an order needs: a piece sold from a showroom
// (pick), one to be collected from them (collect) or one to make (make).
type Task struct {
	Kind     string
	Channel  string // flipkart, amazon, gem: written in capitals
	OrderRef string
	SKU      string
	Title    string
	Quantity int64
	Due      *civil.Date // collect and make: the day it is needed by, if set
	Place    string      // make: where the piece goes (a showroom's name)
}

// Event is the task's template: pick, or collect and make with or without a date.
func (t Task) Event() Event {
	switch t.Kind {
	case TaskCollect:
		if t.Due != nil {
			return EventOrderCollect
		}
		return EventOrderCollectUndated
	case TaskMake:
		if t.Due != nil {
			return EventOrderMake
		}
		return EventOrderMakeUndated
	}
	return EventOrderPick
}

// Vars are the task's variables in l.
func (t Task) Vars(l Language) Vars {
	v := orderVars(t.Channel, t.OrderRef, t.SKU, t.Title, t.Quantity)
	if t.Due != nil {
		v["due"] = DayMonth(*t.Due, l)
	}
	v["place"] = t.Place
	return v
}

// Cancellation tells the maker an order line will not be wanted.
type Cancellation struct {
	Channel  string
	OrderRef string
	SKU      string
	Title    string
	Quantity int64
}

func (Cancellation) Event() Event { return EventOrderCancelled }

func (c Cancellation) Vars(Language) Vars {
	return orderVars(c.Channel, c.OrderRef, c.SKU, c.Title, c.Quantity)
}

func orderVars(channel, ref, sku, title string, qty int64) Vars {
	return Vars{"channel": strings.ToUpper(channel), "order_ref": ref, "sku": sku, "title": title, "quantity": strconv.FormatInt(qty, 10)}
}

// PaymentSent tells the artisan money went to their bank: how much, on
// which day and the bank's reference (UTR) to ask their bank about.
type PaymentSent struct {
	AmountPaise int64
	On          civil.Date
	UTR         string
}

func (PaymentSent) Event() Event { return EventPayoutSent }

func (p PaymentSent) Vars(l Language) Vars {
	return Vars{"amount": money.FormatRupeesShort(p.AmountPaise), "date": DayMonth(p.On, l), "utr": p.UTR}
}

// PaymentFailed tells the artisan a transfer failed and the money is still theirs.
type PaymentFailed struct {
	AmountPaise int64
}

func (PaymentFailed) Event() Event { return EventPayoutFailed }

func (p PaymentFailed) Vars(Language) Vars {
	return Vars{"amount": money.FormatRupeesShort(p.AmountPaise)}
}

// StatementSummary is the monthly statement in one message: what is due,
// what is held until the return window closes, and what was paid, up to a day.
type StatementSummary struct {
	Name         string
	AsOf         civil.Date
	PayablePaise int64
	HeldPaise    int64
	PaidPaise    int64
}

func (StatementSummary) Event() Event { return EventStatementSummary }

func (s StatementSummary) Vars(l Language) Vars {
	return Vars{"name": s.Name, "date": DayMonth(s.AsOf, l), "payable": money.FormatRupeesShort(s.PayablePaise),
		"held": money.FormatRupeesShort(s.HeldPaise), "paid": money.FormatRupeesShort(s.PaidPaise)}
}

// monthNames are the Gregorian months as each language writes them. The
// Kashmiri spellings follow Urdu's and need a native speaker's review.
var monthNames = map[Language][12]string{
	English:  {"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"},
	Hindi:    {"जनवरी", "फ़रवरी", "मार्च", "अप्रैल", "मई", "जून", "जुलाई", "अगस्त", "सितंबर", "अक्टूबर", "नवंबर", "दिसंबर"},
	Urdu:     {"جنوری", "فروری", "مارچ", "اپریل", "مئی", "جون", "جولائی", "اگست", "ستمبر", "اکتوبر", "نومبر", "دسمبر"},
	Kashmiri: {"جنوری", "فروری", "مارٕچ", "اپریل", "مئی", "جوٗن", "جوٗلایی", "اگست", "ستمبر", "اکتوٗبر", "نومبر", "دسمبر"},
}

// DayMonth writes a day as the day and the month's name ("25 Nov",
// "25 नवंबर", "25 نومبر"), with Western digits in every language: the
// international form of Indian numerals is the official one (Constitution
// of India, article 343), and basic phones show it everywhere.
func DayMonth(d civil.Date, l Language) string {
	names, ok := monthNames[l]
	if !ok {
		names = monthNames[English]
	}
	if d.Month < time.January || d.Month > time.December {
		return d.String()
	}
	return strconv.Itoa(d.Day) + " " + names[d.Month-1]
}
