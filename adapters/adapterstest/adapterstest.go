// Package adapterstest holds what the order decoders' tests share: the
// conservation check every decoder of marketplace orders must pass (each
// item in is a line out, an unreadable entry, or a verbatim repeat) and a
// counter of items read from the raw answer, independently of the decoder.
package adapterstest

import (
	"bytes"
	"encoding/json"
	"io"
	"strings"
	"testing"

	"github.com/jkhhc/artisanbridge/adapters"
	"github.com/jkhhc/artisanbridge/internal/orders"
)

// Items is what the raw answer holds, counted without the decoder.
type Items struct {
	// Units are the items, plus one for every container (shipment, order)
	// that is not an object with a non-empty list of items.
	Units int
	// IDs are the items whose order and item ids are text at their exact keys.
	IDs []adapters.LineRef
}

// Count reads body as {listKey: [container...]} where each container holds
// its items under itemsKey; the order id is read at orderKey of the item,
// or of the container when orderInContainer; the item id at lineKey. ok is
// false when body is not such an object (the decoder must then refuse it).
func Count(body []byte, listKey, itemsKey, orderKey, lineKey string, orderInContainer bool) (Items, bool) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var top map[string]any
	if err := dec.Decode(&top); err != nil || top == nil {
		return Items{}, false
	}
	if _, err := dec.Token(); err != io.EOF { // anything after the object
		return Items{}, false
	}
	var got Items
	raw, present := top[listKey]
	if !present || raw == nil {
		return got, true
	}
	list, ok := raw.([]any)
	if !ok {
		return Items{}, false
	}
	for _, c := range list {
		m, _ := c.(map[string]any)
		items, _ := m[itemsKey].([]any)
		if len(items) == 0 {
			got.Units++
			continue
		}
		got.Units += len(items)
		for _, it := range items {
			im, _ := it.(map[string]any)
			order, _ := im[orderKey].(string)
			if orderInContainer {
				order, _ = m[orderKey].(string)
			}
			line, _ := im[lineKey].(string)
			order, line = strings.TrimSpace(order), strings.TrimSpace(line)
			if im != nil && adapters.ID(order) != "" && adapters.ID(line) != "" {
				got.IDs = append(got.IDs, adapters.LineRef{OrderID: order, LineID: line})
			}
		}
	}
	return got, true
}

// CheckConserved fails t unless every unit of want is a line of an order,
// an unreadable entry or a repeat; every order passes ingestion's
// validation; every unreadable entry has a reason and a payload; and every
// item whose ids could be read is found under them.
func CheckConserved(t testing.TB, want Items, got []orders.Incoming, unreadable []orders.Unreadable, repeats []adapters.LineRef) {
	t.Helper()
	lines := 0
	found := map[adapters.LineRef]bool{}
	for _, o := range got {
		lines += len(o.Lines)
		o.ChannelID = "ch"
		if err := o.Validate(); err != nil {
			t.Fatalf("decoded an order ingestion refuses: %+v: %v", o, err)
		}
		for _, l := range o.Lines {
			if l.Status == "" || l.UpdatedAt.IsZero() {
				t.Fatalf("line without its own state: %+v", l)
			}
			found[adapters.LineRef{OrderID: o.ExternalOrderID, LineID: l.ExternalLineID}] = true
		}
	}
	for _, u := range unreadable {
		if strings.TrimSpace(u.Reason) == "" || len(u.Payload) == 0 {
			t.Fatalf("unreadable entry without a reason or payload: %+v", u)
		}
		found[adapters.LineRef{OrderID: u.ExternalOrderID, LineID: u.ExternalLineID}] = true
	}
	for _, r := range repeats {
		if !found[r] {
			t.Fatalf("repeat %+v of an item that is not a line", r)
		}
	}
	if n := lines + len(unreadable) + len(repeats); n != want.Units {
		t.Fatalf("%d items in, %d lines + %d unreadable + %d repeats out", want.Units, lines, len(unreadable), len(repeats))
	}
	seen := map[adapters.LineRef]int{}
	for _, id := range want.IDs {
		seen[id]++
		if !found[id] {
			t.Fatalf("item %+v is neither a line nor unreadable", id)
		}
	}
	for _, r := range repeats {
		if seen[r] < 2 {
			t.Fatalf("item %+v counted as a repeat but met %d times", r, seen[r])
		}
		seen[r]--
	}
}
