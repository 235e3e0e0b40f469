package reconcile_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jkhhc/artisanbridge/adapters"
	"github.com/jkhhc/artisanbridge/adapters/gem"
	gemsim "github.com/jkhhc/artisanbridge/adapters/gem/sim"
	"github.com/jkhhc/artisanbridge/adapters/simkit"
	"github.com/jkhhc/artisanbridge/internal/channels"
	"github.com/jkhhc/artisanbridge/internal/exceptions"
	"github.com/jkhhc/artisanbridge/internal/paging"
	"github.com/jkhhc/artisanbridge/internal/reconcile"
	"github.com/jkhhc/artisanbridge/internal/testenv"
)

// gemFiles keeps a GeM channel's workbooks and imported exports in memory.
type gemFiles struct {
	mu    sync.Mutex
	names []string
	data  [][]byte
}

func (f *gemFiles) Put(_ context.Context, file gem.File) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.names, f.data = append(f.names, file.Name), append(f.data, file.Data)
	return fmt.Sprint(len(f.names)), nil
}

func (f *gemFiles) latest(prefix string) ([]byte, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i := len(f.names) - 1; i >= 0; i-- {
		if strings.HasPrefix(f.names[i], prefix) {
			return f.data[i], true
		}
	}
	return nil, false
}

func (f *gemFiles) LastExport(context.Context) ([]byte, time.Time, bool, error) {
	data, ok := f.latest(gem.ExportNamePrefix)
	return data, time.Now(), ok, nil
}

// TestStockDriftOnGeM: GeM is read from the last catalogue export staff
// imported (what the portal confirmed we hold). Drift made in the portal
// (an edited stock, an edited price, an offering ended, an offering made
// there by hand) is reported with its cause; auto_correct writes the
// update workbook with our values for staff to upload, and once uploaded
// and exported again only the hand-made offering is left.
func TestStockDriftOnGeM(t *testing.T) {
	for _, b := range testenv.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			w := newWorld(t, b, map[adapters.Operation]adapters.Limit{})
			ctx := context.Background()
			portal := gemsim.New(gemsim.Config{Seed: 3})
			files := &gemFiles{}
			if err := w.chans.Ensure(ctx, "gem", "gem", "https://gem.gov.in", "", true, nil,
				channels.Settings{Locations: []channels.LocationMap{{LocationID: w.loc.ID, ExternalLocationID: "GEM"}}}); err != nil {
				t.Fatal(err)
			}
			list, _ := w.chans.List(ctx)
			for _, c := range list {
				if c.Kind == "gem" {
					w.channel = c
				}
			}
			factory := func(ch channels.Channel, _ map[string]string) (adapters.Channel, error) {
				if ch.Kind != "gem" {
					return nil, fmt.Errorf("only gem here")
				}
				return gem.New(gem.Config{Store: files, Confirmed: files}), nil
			}
			w.engine.Factory = factory
			w.runner.Factory = reconcile.Factory(factory)
			w.publish(t, 12, 3)
			// Staff uploaded the workbook: the portal holds what we published.
			three, ours := int64(3), int64(250000)
			for i := 0; i < 12; i++ {
				portal.Drift(fmt.Sprintf("WAL-%06d", i), simkit.Edit{Quantity: &three, PricePaise: &ours})
			}
			imported := func() {
				t.Helper()
				data, err := portal.Export()
				if err != nil {
					t.Fatal(err)
				}
				if _, err := files.Put(ctx, gem.File{Name: gem.ExportNamePrefix + time.Now().Format("150405.000000") + ".xlsx", Data: data}); err != nil {
					t.Fatal(err)
				}
			}

			r := w.reconcile(t, false)
			if r.Status != reconcile.StatusFailed || !strings.Contains(r.Error, "no catalogue export") {
				t.Fatalf("without an export: %+v", r)
			}
			imported()
			if r := w.reconcile(t, false); r.Status != reconcile.StatusDone || r.Differences != 0 || r.Checked != 12 {
				t.Fatalf("a clean channel: %+v %v", r, classes(r))
			}

			fifty, price, one := int64(50), int64(199900), int64(1)
			portal.Drift("WAL-000001", simkit.Edit{Quantity: &fifty})
			portal.Drift("WAL-000002", simkit.Edit{PricePaise: &price})
			portal.Delete("WAL-000003")
			portal.Drift("OLD-PORTAL-9", simkit.Edit{Quantity: &one, PricePaise: &price})
			imported()
			want := map[string]string{"WAL-000001": "edited_on_marketplace/reported ", "WAL-000002": "price_differs/reported ",
				"WAL-000003": "missing_there/reported ", "OLD-PORTAL-9": "unknown_sku/reported "}
			r = w.reconcile(t, false)
			if got := classes(r); fmt.Sprint(got) != fmt.Sprint(want) || r.Checked != 12 {
				t.Fatalf("report only: %v %+v", got, r)
			}
			drift, _ := w.db.Exceptions().List(ctx, exceptions.Filter{Kind: exceptions.StockDrift, ChannelID: w.channel.ID}, paging.Request{Limit: 10})
			if len(drift.Items) != 4 {
				t.Fatalf("stock_drift exceptions: %d", len(drift.Items))
			}
			filesBefore := len(files.names)
			r = w.reconcile(t, true)
			want = map[string]string{"WAL-000001": "edited_on_marketplace/corrected ", "WAL-000002": "price_differs/corrected ",
				"WAL-000003": "missing_there/corrected ", "OLD-PORTAL-9": "unknown_sku/reported "}
			if got := classes(r); fmt.Sprint(got) != fmt.Sprint(want) || r.Corrected != 3 || len(files.names) != filesBefore {
				t.Fatalf("auto_correct: %v %+v", got, r)
			}
			if _, err := w.engine.SyncChannel(ctx, w.channel.ID); err != nil {
				t.Fatal(err)
			}
			// The sync wrote our values in update workbooks for staff.
			rows := map[string]string{}
			for i := filesBefore; i < len(files.names); i++ {
				tab, err := gem.ReadTable(files.data[i], 1000, "model/sku", "stock", "offer_price_incl._gst_(inr)")
				if err != nil {
					t.Fatalf("%s: %v", files.names[i], err)
				}
				for _, row := range tab.Rows {
					rows[tab.Get(row, "model/sku")] += tab.Get(row, "stock") + "@" + tab.Get(row, "offer_price_incl._gst_(inr)") + " "
				}
			}
			// A stock update carries the stock, a price update the price, a
			// lost offering both.
			for sku, row := range map[string]string{"WAL-000001": "3@", "WAL-000002": "@2500.00", "WAL-000003": "3@2500.00"} {
				if !strings.HasPrefix(rows[sku], row) {
					t.Errorf("%s in the correcting workbooks: %q, want %q (all: %v)", sku, rows[sku], row, rows)
				}
			}
			if _, listed := rows["OLD-PORTAL-9"]; listed {
				t.Error("a workbook touches the offering made in the portal")
			}
			// Staff upload them and export again.
			for _, sku := range []string{"WAL-000001", "WAL-000002", "WAL-000003"} {
				portal.Drift(sku, simkit.Edit{Quantity: &three, PricePaise: &ours})
			}
			imported()
			if got := classes(w.reconcile(t, false)); fmt.Sprint(got) != fmt.Sprint(map[string]string{"OLD-PORTAL-9": "unknown_sku/reported "}) {
				t.Fatalf("after the upload: %v", got)
			}
		})
	}
}
