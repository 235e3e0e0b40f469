package adapters_test

import (
	"strings"
	"testing"
	"time"

	"github.com/jkhhc/artisanbridge/adapters"
	"github.com/jkhhc/artisanbridge/internal/orders"
)

func TestSummarise(t *testing.T) {
	t1 := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name  string
		lines []string
		want  string
	}{
		{"one item cancelled, one open", []string{orders.StatusCancelled, orders.StatusOpen}, orders.StatusOpen},
		{"shipped and cancelled", []string{orders.StatusShipped, orders.StatusCancelled}, orders.StatusShipped},
		{"delivered and returned", []string{orders.StatusReturned, orders.StatusDelivered}, orders.StatusDelivered},
		{"open and shipped", []string{orders.StatusShipped, orders.StatusOpen}, orders.StatusOpen},
		{"all cancelled", []string{orders.StatusCancelled, orders.StatusCancelled}, orders.StatusCancelled},
		{"returned and cancelled", []string{orders.StatusCancelled, orders.StatusReturned}, orders.StatusReturned},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := orders.Incoming{}
			for i, s := range tc.lines {
				o.Lines = append(o.Lines, orders.IncomingLine{Status: s, UpdatedAt: t1.Add(time.Duration(i) * time.Minute)})
			}
			adapters.Summarise(&o)
			if o.Status != tc.want || !o.UpdatedAt.Equal(t1.Add(time.Duration(len(tc.lines)-1)*time.Minute)) {
				t.Fatalf("%s at %v, want %s at the latest line", o.Status, o.UpdatedAt, tc.want)
			}
		})
	}
}

func TestText(t *testing.T) {
	for _, tc := range []struct {
		s    string
		want bool
	}{
		{"OD123", true}, {" OD1 ", true}, {"", false}, {"  ", false}, {"a\x00b", false}, {"a\nb", false}, {"\xff", false},
		{"कानी", true}, {string(make([]byte, 129)), false},
	} {
		if got := adapters.Text(tc.s, adapters.MaxIDBytes); got != tc.want {
			t.Errorf("Text(%q) = %v", tc.s, got)
		}
	}
}

// TestIntake: what an adapter is given ends as a line, an unreadable
// entry or a repeat; an order ingestion would refuse is unreadable.
func TestIntake(t *testing.T) {
	t1 := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	facts := adapters.OrderFacts{ExternalOrderID: "OD1", OrderedAt: t1}
	line := func(id string, qty int64) orders.IncomingLine {
		return orders.IncomingLine{ExternalLineID: id, SKU: "A", Quantity: qty, Status: orders.StatusOpen, UpdatedAt: t1}
	}
	var in adapters.Intake
	in.Add(facts, line("1", 1), []byte(`1`))
	in.Add(facts, line(" 1", 1), []byte(`1`)) // the same item once trimmed
	in.Add(facts, line("1", 2), []byte(`1b`))
	in.Add(facts, line("2", 0), []byte(`2`))
	bad := line("3", 1)
	bad.Status = "lost"
	in.Add(facts, bad, []byte(`3`))
	in.Add(adapters.OrderFacts{ExternalOrderID: "OD2"}, line("1", 1), []byte(`4`)) // no order time
	got, unreadable := in.Page()
	if len(got) != 1 || len(got[0].Lines) != 1 || len(in.Repeats()) != 1 || len(unreadable) != 4 {
		t.Fatalf("orders %+v, unreadable %+v, repeats %v", got, unreadable, in.Repeats())
	}
	for i, want := range []string{"appears twice", "quantity 0", `state "lost"`, "order and update times"} {
		if u := unreadable[i]; !strings.Contains(u.Reason, want) || len(u.Payload) == 0 {
			t.Errorf("unreadable %d: %+v, want %q", i, u, want)
		}
	}
}
