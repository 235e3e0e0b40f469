package reconcile

import (
	"context"
	"fmt"
	"hash/fnv"
	"slices"

	"github.com/jkhhc/artisanbridge/adapters"
	"github.com/jkhhc/artisanbridge/internal/channels"
	"github.com/jkhhc/artisanbridge/internal/exceptions"
	"github.com/jkhhc/artisanbridge/internal/listing"
)

// A large catalogue is read from the marketplace's own report of what it
// holds (Amazon's merchant listings report) instead of one read a SKU. The
// report comes in the marketplace's order, not ours, so the run takes it
// in two passes, both flat in memory: the report's rows, a batch at a
// time, each looked up among our listings by SKU (what matches is
// classified, what does not is an unknown SKU); then our listings, page by
// page, where each one the report did not hold is classified as held
// nowhere. Between the passes only an 8-byte hash of each SKU seen is
// kept (800 KB for 100,000 SKUs); two SKUs sharing a hash (odds about one
// in 10^9 at that size) would hide one missing listing for one run.

// SKUReader looks listings up by SKU, with what each should offer.
type SKUReader interface {
	BySKUs(ctx context.Context, channelID string, locations []channels.LocationMap, skus []string) ([]listing.SyncItem, error)
}

// UseReport says whether a catalogue of total listings is read from the
// marketplace's report (threshold listings or more) or item by item.
func UseReport(total int64, threshold int) bool {
	return threshold > 0 && total >= int64(threshold)
}

func skuHash(sku string) uint64 {
	h := fnv.New64a()
	_, _ = h.Write([]byte(sku))
	return h.Sum64()
}

// fromReport runs a stock reconciliation from the marketplace's report,
// from checkpoint (ReportResume); it returns how many differences it
// corrected. Every batch records the count of report rows taken with it,
// every page of the second pass the listing it ended at, so a run taken
// over counts nothing twice. Read again, the report is a new one: a row
// the marketplace added or dropped meanwhile before the checkpoint shifts
// it by that row (one row counted twice or not at all, not the report).
func (r *Runner) fromReport(ctx context.Context, ch channels.Channel, run Reconciliation, rep adapters.ListingsReporter, lookup SKUReader, size int, checkpoint string) (int64, error) {
	skip, after := ReportResume(checkpoint)
	var seen []uint64
	var corrected, rows int64
	batch := make([]adapters.RemoteListing, 0, size)
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		skus := make([]string, len(batch))
		for i, b := range batch {
			skus[i] = b.SKU
		}
		items, err := lookup.BySKUs(ctx, ch.ID, ch.Settings.Locations, skus)
		if err != nil {
			return err
		}
		ours := make(map[string]listing.SyncItem, len(items))
		for _, it := range items {
			ours[it.Product.SKU] = it
		}
		var diffs []Difference
		var checked, fixed int64
		for _, b := range batch {
			remote := Remote{SKU: b.SKU, Quantity: b.Quantity, PricePaise: b.PricePaise}
			it, known := ours[b.SKU]
			var found []Difference
			if known {
				seen = append(seen, skuHash(b.SKU))
				checked++
				found = Classify(expected(it), &remote)
			} else {
				found = []Difference{Unknown(remote)}
			}
			if diffs, fixed, err = r.actAll(ctx, ch, run, found, diffs, fixed); err != nil {
				return err
			}
		}
		corrected += fixed
		rows += int64(len(batch))
		batch = batch[:0]
		return r.Runs.Record(ctx, run.ID, run.ClaimID, Page{Diffs: diffs, Checked: checked, Corrected: fixed, Checkpoint: ReportCheckpoint(rows)}, r.now())
	}
	err := rep.ListingsReport(ctx, func(l adapters.RemoteListing) error {
		if skip < 0 || rows < skip {
			// Counted before the takeover: only seen, for the second pass
			// (an unknown SKU's hash there matches none of ours).
			seen = append(seen, skuHash(l.SKU))
			rows++
			return nil
		}
		batch = append(batch, l)
		if len(batch) >= size {
			return flush()
		}
		return nil
	}, func(b adapters.BadRow) error { return r.unreadableRow(ctx, ch, run, b) })
	if err == nil {
		err = flush()
	}
	if err != nil {
		return corrected, fmt.Errorf("reading %s's listings report: %w", ch.Name, err)
	}
	slices.Sort(seen)
	for {
		items, err := r.Listings.Page(ctx, ch.ID, ch.Settings.Locations, after, size)
		if err != nil || len(items) == 0 {
			return corrected, err
		}
		after = items[len(items)-1].Listing.ID
		var diffs []Difference
		var checked, fixed int64
		for _, it := range items {
			if _, held := slices.BinarySearch(seen, skuHash(it.Product.SKU)); held {
				continue
			}
			checked++
			if diffs, fixed, err = r.actAll(ctx, ch, run, Classify(expected(it), nil), diffs, fixed); err != nil {
				return corrected, err
			}
		}
		corrected += fixed
		// The checkpoint moves with every page, differences or not.
		if err := r.Runs.Record(ctx, run.ID, run.ClaimID, Page{Diffs: diffs, Checked: checked, Corrected: fixed, Checkpoint: MissingCheckpoint(after)}, r.now()); err != nil {
			return corrected, err
		}
		if len(items) < size {
			return corrected, nil
		}
	}
}

// unreadableRow opens a stock_drift exception for a report row that could
// not be read, with the row as the marketplace wrote it: what it says that
// SKU holds is unknown until someone looks.
func (r *Runner) unreadableRow(ctx context.Context, ch channels.Channel, run Reconciliation, b adapters.BadRow) error {
	key := b.SKU
	if key == "" {
		key = fmt.Sprintf("line %d", b.Line)
	}
	return r.Exceptions.Raise(ctx, exceptions.Exception{Kind: exceptions.StockDrift, CauseKey: "stock_drift:" + ch.ID + ":unreadable:" + key,
		Summary:  fmt.Sprintf("%s on %s: a row of the marketplace's listings report could not be read", key, ch.Name),
		Detail:   fmt.Sprintf("line %d: %s (reconciliation %s)", b.Line, b.Reason, run.ID),
		Guidance: "The marketplace's report has a row artisanbridge cannot read. Check that listing in the seller portal.",
		Action:   "Look the row up in the seller portal and correct the listing there or here; then resolve this exception.",
		Resource: "channel", ResourceID: ch.ID, ChannelID: ch.ID, Payload: b.Raw})
}
