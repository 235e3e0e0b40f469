package gem

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"

	"github.com/jkhhc/artisanbridge/adapters"
)

// SupplyColumns are the dispatch details the portal asks of the seller for
// a contract (MARKETPLACES.md 3: enter dispatch details, upload evidence).
var SupplyColumns = []string{"Contract/Order No", "Item No", "Model/SKU", "Quantity Dispatched", "Dispatch Date", "Courier", "Docket/Tracking No"}

// PushFulfilment: GeM has no seller API, so a dispatch becomes a supply
// details file for staff to enter on the portal, and a cancellation is a
// step for staff there. Packing needs nothing.
func (c *Client) PushFulfilment(ctx context.Context, u adapters.FulfilmentUpdate) error {
	switch u.Step {
	case adapters.StepCancelled:
		return &adapters.ManualStep{Action: fmt.Sprintf("reject or cancel contract %s on the GeM portal (before accepting it, or through the buyer) with the reason: %s",
			u.ExternalOrderID, u.Reason)}
	case adapters.StepDispatched:
	default:
		return nil
	}
	if c.cfg.Store == nil {
		return fmt.Errorf("gem: no file store configured")
	}
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	_ = w.Write(SupplyColumns)
	for _, l := range u.Lines {
		_ = w.Write([]string{safeCell(u.ExternalOrderID), safeCell(l.ExternalLineID), safeCell(l.SKU), fmt.Sprint(l.Quantity),
			u.At.In(ist).Format("02-01-2006"), safeCell(u.Carrier), safeCell(u.TrackingNo)})
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return err
	}
	_, err := c.cfg.Store.Put(ctx, File{Name: fmt.Sprintf("gem-supply-%s-%s.csv", fileSafe(u.ExternalOrderID), u.At.UTC().Format("20060102T150405Z")),
		ContentType: "text/csv", Items: len(u.Lines), Data: buf.Bytes()})
	return err
}

// safeCell keeps a value from being read as a formula when staff open the
// file in a spreadsheet (a value from a buyer or a marketplace is untrusted).
func safeCell(v string) string {
	if v != "" && bytes.ContainsRune([]byte("=+-@\t\r"), rune(v[0])) {
		return "'" + v
	}
	return v
}

// fileSafe keeps letters, digits and dashes for a file name.
func fileSafe(v string) string {
	out := []byte{}
	for i := 0; i < len(v) && len(out) < 64; i++ {
		ch := v[i]
		if ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z' || ch >= '0' && ch <= '9' || ch == '-' {
			out = append(out, ch)
		} else {
			out = append(out, '_')
		}
	}
	return string(out)
}
