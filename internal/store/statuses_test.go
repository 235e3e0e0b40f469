package store_test

import (
	"regexp"
	"slices"
	"testing"

	"github.com/jkhhc/artisanbridge/internal/exceptions"
	"github.com/jkhhc/artisanbridge/internal/finance"
	"github.com/jkhhc/artisanbridge/internal/fulfilment"
	"github.com/jkhhc/artisanbridge/internal/inventory"
	"github.com/jkhhc/artisanbridge/internal/listing"
	"github.com/jkhhc/artisanbridge/internal/notify"
	"github.com/jkhhc/artisanbridge/internal/orders"
	"github.com/jkhhc/artisanbridge/internal/testenv"
	"github.com/jkhhc/artisanbridge/migrations"
)

// TestStatusesMatchSchema: the statuses Go writes are exactly those the
// database's CHECK constraints allow, on both backends, so a status added
// on one side only fails here rather than at a customer's order.
func TestStatusesMatchSchema(t *testing.T) {
	strs := func(in ...orders.LineStatus) []string {
		out := make([]string, len(in))
		for i, s := range in {
			out[i] = string(s)
		}
		return out
	}
	cases := []struct {
		table, column string
		want          []string
	}{
		{"order_lines", "status", strs(orders.LineStatuses...)},
		{"order_lines", "marketplace_status", append([]string{""}, orders.IncomingStatuses...)},
		{"orders", "status", append([]string{orders.StatusAwaitingMapping}, orders.IncomingStatuses...)},
		{"reservations", "status", []string{"held", "released", "consumed"}},
		{"fulfilment_tasks", "status", []string{fulfilment.Open, fulfilment.Acknowledged, fulfilment.Collected, fulfilment.Packed,
			fulfilment.Dispatched, fulfilment.Delivered, fulfilment.Cancelled}},
		{"fulfilment_tasks", "kind", []string{fulfilment.KindPick, fulfilment.KindCollect, fulfilment.KindMake}},
		{"artisan_notifications", "status", []string{notify.StatusPending, notify.StatusSent}},
		{"artisan_earnings", "status", []string{finance.EarningHeld, finance.EarningPayable, finance.EarningClawedBack}},
		{"payout_lines", "status", []string{finance.PayoutPending, finance.PayoutPaid, finance.PayoutFailed}},
		{"payout_batches", "status", []string{finance.BatchDraft, finance.BatchApproved, finance.BatchExported, finance.BatchSending, finance.BatchSent,
			finance.BatchPaid, finance.BatchPartlyPaid, finance.BatchFailed}},
		{"settlement_lines", "status", []string{finance.StatusSettled, finance.StatusShortPaid, finance.StatusUnmatched, finance.StatusUnchecked}},
		{"exceptions", "status", []string{exceptions.StatusOpen, exceptions.StatusResolved}},
		{"exceptions", "kind", exceptions.Kinds},
		{"listings", "status", []string{listing.StatusPending, listing.StatusLive, listing.StatusRejected, listing.StatusPaused,
			listing.StatusError, listing.StatusAwaitingUpload}},
		{"locations", "kind", inventory.LocationKinds},
		{"stock_movements", "kind", inventory.MovementKinds},
	}
	quoted := regexp.MustCompile(`'([a-z_]*)'`)
	for _, b := range testenv.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			db, _ := b.Open(t)
			for _, c := range cases {
				var allowed []string
				if db.Dialect() == migrations.Postgres {
					var defs []string
					db.Gorm().Raw(`SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = ?::regclass AND contype = 'c'`, c.table).Scan(&defs)
					col := regexp.MustCompile(`\(\(?` + c.column + `\)? = ANY`)
					for _, d := range defs {
						if col.MatchString(d) {
							for _, m := range quoted.FindAllStringSubmatch(d, -1) {
								allowed = append(allowed, m[1])
							}
						}
					}
				} else {
					var sql string
					db.Gorm().Raw(`SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?`, c.table).Scan(&sql)
					in := regexp.MustCompile(`(?is)\b` + c.column + `\b[^,]*?CHECK\s*\(\s*` + c.column + `\s+IN\s*\(([^)]*)\)`).FindStringSubmatch(sql)
					if in != nil {
						for _, m := range quoted.FindAllStringSubmatch(in[1], -1) {
							allowed = append(allowed, m[1])
						}
					}
				}
				slices.Sort(allowed)
				want := slices.Clone(c.want)
				slices.Sort(want)
				if !slices.Equal(slices.Compact(allowed), slices.Compact(want)) {
					t.Errorf("%s.%s: the schema allows %q, Go writes %q", c.table, c.column, allowed, want)
				}
			}
		})
	}
}
