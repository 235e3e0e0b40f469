// Package statements prints an artisan's statement: an HTML page (A4 print
// CSS, ready to save as PDF from any browser) in English, Hindi or Urdu,
// right to left for Urdu, amounts as ₹1,80,000.00 with Indian grouping. It
// renders from finance.Statement and adds only what a printout needs (the
// artisan's name and code, the day it is as of, labels in the language).
//
// Digits are Western (0-9) in every language: the Constitution of India
// (article 343) makes the international form of Indian numerals the
// official one, Indian banks print statements with it in Urdu and Hindi
// alike, and it keeps amounts identical to the ledger's. In the Urdu page
// each amount and date is an isolated left-to-right run, so its sign and
// grouping read correctly inside right-to-left text.
//
// Kashmiri readers get the Urdu page (Urdu is J&K's official language and
// the script is the same); a Kashmiri page waits for a reviewed translation.
// The Hindi and Urdu labels need a native speaker's review.
package statements

import (
	"bytes"
	_ "embed"
	"fmt"
	"html/template"
	"strconv"
	"time"

	"github.com/jkhhc/artisanbridge/internal/civil"
	"github.com/jkhhc/artisanbridge/internal/finance"
	"github.com/jkhhc/artisanbridge/internal/messages"
	"github.com/jkhhc/artisanbridge/internal/money"
)

//go:embed statement.html.tmpl
var pageSource string

var page = template.Must(template.New("statement").Parse(pageSource))

// Input is what a printout needs beside the statement itself.
type Input struct {
	Statement finance.Statement
	Name      string
	Code      string
	// Language is the artisan's (en, hi, ur, ks); see PageLanguage.
	Language string
	// AsOf is the day the statement is drawn up to.
	AsOf civil.Date
	// Generated is when the page was made.
	Generated time.Time
}

// View is the page's data, every string already written in the language.
type View struct {
	Lang, Dir           string
	L                   Labels
	Name, Code, AsOf    string
	Payable, Held, Paid string
	Lines               []ViewLine
	Generated           string
}

// ViewLine is one row.
type ViewLine struct {
	Date, What, Detail, Amount string
	Negative                   bool
}

// Labels are the page's fixed words in one language.
type Labels struct {
	Corporation, Title, Artisan, Code, AsOf string
	Payable, Held, Paid                     string
	Date, What, Amount, Nothing, Footer     string
	Kinds                                   map[string]string
}

// PageLanguage is the language a page is printed in for an artisan's
// language: en, hi and ur as they are, ks as Urdu, anything else English.
func PageLanguage(lang string) messages.Language {
	switch messages.Language(lang) {
	case messages.Hindi:
		return messages.Hindi
	case messages.Urdu, messages.Kashmiri:
		return messages.Urdu
	}
	return messages.English
}

// NewView writes the statement's page data.
func NewView(in Input) View {
	lang := PageLanguage(in.Language)
	l := labels[lang]
	v := View{Lang: string(lang), Dir: "ltr", L: l, Name: in.Name, Code: in.Code, AsOf: day(in.AsOf, lang),
		Payable: money.FormatINR(in.Statement.PayablePaise), Held: money.FormatINR(in.Statement.HeldPaise), Paid: money.FormatINR(in.Statement.PaidPaise),
		Generated: day(civil.Of(in.Generated), lang) + " " + in.Generated.In(civil.IST).Format("15:04") + " IST"}
	if lang.RightToLeft() {
		v.Dir = "rtl"
	}
	for _, line := range in.Statement.Lines {
		what, ok := l.Kinds[line.Kind]
		if !ok {
			what = line.Kind
		}
		v.Lines = append(v.Lines, ViewLine{Date: day(civil.Of(line.At), lang), What: what, Detail: line.Memo,
			Amount: money.FormatINR(line.AmountPaise), Negative: line.AmountPaise < 0})
	}
	return v
}

// HTML renders the printable page. Names and memos are escaped.
func HTML(in Input) ([]byte, error) {
	var buf bytes.Buffer
	if err := page.Execute(&buf, NewView(in)); err != nil {
		return nil, fmt.Errorf("statement page: %w", err)
	}
	return buf.Bytes(), nil
}

func day(d civil.Date, l messages.Language) string {
	if d.IsZero() {
		return ""
	}
	return messages.DayMonth(d, l) + " " + strconv.Itoa(d.Year)
}

// labels: NEEDS REVIEW by a native speaker for Hindi and Urdu.
var labels = map[messages.Language]Labels{
	messages.English: {
		Corporation: "Jammu & Kashmir Handicrafts and Handloom Corporation", Title: "Statement of account",
		Artisan: "Artisan", Code: "Code", AsOf: "As of",
		Payable: "Due to you", Held: "Held until the return window closes", Paid: "Paid so far",
		Date: "Date", What: "What", Amount: "Amount", Nothing: "Nothing yet.", Footer: "Printed on",
		Kinds: map[string]string{"settlement": "Sale: your earning", "release": "Return window closed: now payable",
			"payout": "Payment sent to your bank", "payout_paid": "Bank confirmed the payment", "payout_failed": "Payment failed: back in your balance",
			"clawback": "Goods returned: earning taken back", "advance": "Advance paid to you"},
	},
	messages.Hindi: {
		Corporation: "जम्मू और कश्मीर हस्तशिल्प एवं हथकरघा निगम", Title: "खाता विवरण",
		Artisan: "कारीगर", Code: "कोड", AsOf: "इस तारीख तक",
		Payable: "आपको देय", Held: "वापसी अवधि समाप्त होने तक रोका गया", Paid: "अब तक भुगतान",
		Date: "तारीख", What: "विवरण", Amount: "राशि", Nothing: "अभी कुछ नहीं।", Footer: "छपाई की तारीख",
		Kinds: map[string]string{"settlement": "बिक्री: आपकी कमाई", "release": "वापसी अवधि समाप्त: अब देय",
			"payout": "आपके बैंक में भुगतान भेजा गया", "payout_paid": "बैंक ने भुगतान की पुष्टि की", "payout_failed": "भुगतान विफल: राशि आपके शेष में वापस",
			"clawback": "माल वापस आया: कमाई वापस ली गई", "advance": "आपको दिया गया अग्रिम"},
	},
	messages.Urdu: {
		Corporation: "جموں و کشمیر ہینڈی کرافٹس اینڈ ہینڈلوم کارپوریشن", Title: "کھاتے کی تفصیل",
		Artisan: "کاریگر", Code: "کوڈ", AsOf: "اس تاریخ تک",
		Payable: "آپ کے واجب", Held: "واپسی کی مدت ختم ہونے تک روکا گیا", Paid: "اب تک ادا شدہ",
		Date: "تاریخ", What: "تفصیل", Amount: "رقم", Nothing: "ابھی کچھ نہیں۔", Footer: "چھپائی کی تاریخ",
		Kinds: map[string]string{"settlement": "فروخت: آپ کی کمائی", "release": "واپسی کی مدت ختم: اب واجب",
			"payout": "آپ کے بینک میں ادائیگی بھیجی گئی", "payout_paid": "بینک نے ادائیگی کی تصدیق کی", "payout_failed": "ادائیگی ناکام: رقم آپ کے بقایا میں واپس",
			"clawback": "مال واپس آیا: کمائی واپس لی گئی", "advance": "آپ کو دی گئی پیشگی"},
	},
}
