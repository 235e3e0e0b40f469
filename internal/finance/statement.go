package finance

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"html/template"
)

// StatementCSV is a statement's lines as CSV, amounts in rupees.
func StatementCSV(st Statement) []byte {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	_ = w.Write([]string{"date", "kind", "account", "amount_rupees", "memo"})
	for _, l := range st.Lines {
		_ = w.Write([]string{l.At.In(IST).Format("2006-01-02"), l.Kind, l.Account, rupees(l.AmountPaise), safeCell(l.Memo)})
	}
	_ = w.Write([]string{"", "", "payable", rupees(st.PayablePaise), ""})
	_ = w.Write([]string{"", "", "held", rupees(st.HeldPaise), ""})
	_ = w.Write([]string{"", "", "paid", rupees(st.PaidPaise), ""})
	w.Flush()
	return buf.Bytes()
}

// safeCell keeps a memo from being read as a formula by a spreadsheet.
func safeCell(v string) string {
	if v != "" && bytes.ContainsRune([]byte("=+-@\t\r"), rune(v[0])) {
		return "'" + v
	}
	return v
}

var statementPage = template.Must(template.New("statement").Funcs(template.FuncMap{"rupees": rupees,
	"date": func(l StatementLine) string { return l.At.In(IST).Format("02 Jan 2006") }}).Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Statement: {{.Name}}</title>
<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}td,th{border:1px solid #999;padding:4px 8px}td.n{text-align:right}
@media print{body{margin:0}}</style></head><body>
<h1>Jammu &amp; Kashmir Handicrafts and Handloom Corporation</h1>
<h2>Statement for {{.Name}} ({{.Code}})</h2>
<p>Due to you: <b>Rs {{rupees .St.PayablePaise}}</b>. Held until the return window closes: Rs {{rupees .St.HeldPaise}}. Paid so far: Rs {{rupees .St.PaidPaise}}.</p>
<table><tr><th>Date</th><th>What</th><th>Amount (Rs)</th></tr>
{{range .St.Lines}}<tr><td>{{date .}}</td><td>{{.Memo}}</td><td class="n">{{rupees .AmountPaise}}</td></tr>
{{else}}<tr><td colspan="3">Nothing yet.</td></tr>{{end}}</table>
</body></html>`))

// StatementHTML is a printable statement page (names are escaped).
func StatementHTML(st Statement, name, code string) ([]byte, error) {
	var buf bytes.Buffer
	if err := statementPage.Execute(&buf, struct {
		St         Statement
		Name, Code string
	}{st, name, code}); err != nil {
		return nil, fmt.Errorf("statement page: %w", err)
	}
	return buf.Bytes(), nil
}
