package finance

import (
	"bytes"
	"encoding/csv"
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
