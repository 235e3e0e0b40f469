package store_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/jkhhc/artisanbridge/adapters"
	"github.com/jkhhc/artisanbridge/adapters/flipkart"
	flipkartsim "github.com/jkhhc/artisanbridge/adapters/flipkart/sim"
	"github.com/jkhhc/artisanbridge/adapters/httpx"
	"github.com/jkhhc/artisanbridge/internal/apperr"
	"github.com/jkhhc/artisanbridge/internal/catalog"
	"github.com/jkhhc/artisanbridge/internal/channels"
	"github.com/jkhhc/artisanbridge/internal/civil"
	"github.com/jkhhc/artisanbridge/internal/finance"
	"github.com/jkhhc/artisanbridge/internal/fulfilment"
	"github.com/jkhhc/artisanbridge/internal/orderpull"
	"github.com/jkhhc/artisanbridge/internal/orders"
	"github.com/jkhhc/artisanbridge/internal/paging"
	"github.com/jkhhc/artisanbridge/internal/store"
	"github.com/jkhhc/artisanbridge/internal/testenv"
)

func simPost(t *testing.T, url, body string) []byte {
	t.Helper()
	resp, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 300 {
		t.Fatalf("POST %s: %d %s", url, resp.StatusCode, b)
	}
	return b
}

// TestFlipkartSettlementPaysTheArtisan is the finance issue's acceptance
// 1: a Flipkart order delivered and settled through the simulator's
// settlement file makes the artisan's payable exactly their agreed price
// once the return window closes, and the ledger balances. A repeated file
// changes nothing; a short payment is classified with an exception.
func TestFlipkartSettlementPaysTheArtisan(t *testing.T) {
	eachBackend(t, func(t *testing.T, b testenv.Backend, f *fixture) {
		ctx := context.Background()
		sim := flipkartsim.New(flipkartsim.Config{Seed: 5, Limits: map[adapters.Operation]adapters.Limit{}})
		srv := httptest.NewServer(sim)
		defer srv.Close()
		chans := channels.NewService(f.db.Channels(), mustRing(t), nil)
		if err := chans.Ensure(ctx, "flipkart", "fk", srv.URL+"/sellers", srv.URL+"/oauth-service/oauth/token", true,
			map[string]string{"app_id": flipkartsim.AppID, "app_secret": flipkartsim.AppSecret},
			channels.Settings{ReturnWindowDays: channels.Days(7), Locations: []channels.LocationMap{{LocationID: f.showroom.ID, ExternalLocationID: "LOC1"}}}); err != nil {
			t.Fatal(err)
		}
		list, _ := chans.List(ctx)
		ch := list[0]
		intake(t, f, f.product.ID, f.showroom, 5)
		client := flipkart.New(flipkart.Config{BaseURL: srv.URL + "/sellers", TokenURL: srv.URL + "/oauth-service/oauth/token",
			AppID: flipkartsim.AppID, AppSecret: flipkartsim.AppSecret, Account: ch.ID}, &httpx.Client{MaxAttempts: 3, BaseDelay: time.Millisecond})
		if res, err := client.PushListings(ctx, []adapters.Listing{{SKU: f.product.SKU, ExternalID: "SHWKANI000000001", HSNCode: "62142010", GSTRateBP: 500,
			MRPPaise: 9_500_000, PricePaise: 8_900_000, Locations: []adapters.LocationQuantity{{LocationID: "LOC1", Quantity: 5}}}}); err != nil || !res[0].Accepted {
			t.Fatalf("listing: %+v %v", res, err)
		}
		fin := finance.NewService(f.db.Finance(), nil)
		fees := flipkartsim.SettlementFees
		fees.ChannelID, fees.EffectiveFrom = ch.ID, civil.New(2020, time.January, 1)
		if _, err := fin.CreateFeeSchedule(ctx, fees); err != nil {
			t.Fatal(err)
		}
		puller := &orderpull.Puller{Channels: chans, Orders: orders.NewService(f.db.Orders(), nil), Cursors: f.db.Orders(),
			Factory: func(channels.Channel, map[string]string) (adapters.Channel, error) { return client, nil }}
		tasks := fulfilment.NewService(f.db.Fulfilment(), nil)
		sell := func() {
			t.Helper()
			var placed struct{ ID string }
			mustJSON(t, simPost(t, srv.URL+"/_sim/orders", `{"sku":"KANI-001","quantity":1}`), &placed)
			if _, err := puller.Pull(ctx, ch.ID); err != nil {
				t.Fatal(err)
			}
			o, err := orders.NewService(f.db.Orders(), nil).List(ctx, orders.Filter{ChannelID: ch.ID}, pageOf(100))
			if err != nil {
				t.Fatal(err)
			}
			for _, ord := range o.Items {
				if ord.ExternalOrderID != placed.ID {
					continue
				}
				for _, to := range []fulfilment.Transition{{To: "packed"}, {To: "dispatched", TrackingNo: "FMPC1"}} {
					if _, err := tasks.Transition(ctx, *ord.Lines[0].TaskID, to); err != nil {
						t.Fatal(err)
					}
				}
			}
			simPost(t, srv.URL+"/_sim/orders/"+placed.ID+"/deliver", "")
			if _, err := puller.Pull(ctx, ch.ID); err != nil {
				t.Fatal(err)
			}
		}
		sell()
		file := simPost(t, srv.URL+"/_sim/settlements", "")
		sum, err := fin.ImportSettlement(ctx, ch.ID, "settlement.csv", file)
		if err != nil || sum.Settled != 1 || sum.New != 1 {
			t.Fatalf("import: %+v %v\n%s", sum, err, file)
		}
		st, _ := fin.ArtisanStatement(ctx, f.artisan.ID)
		if st.HeldPaise != 6_000_000 || st.PayablePaise != 0 {
			t.Fatalf("inside the return window: %+v", st)
		}
		store := f.db.Finance()
		if n, _ := store.ReleaseDue(ctx, time.Now().Add(6*24*time.Hour)); n != 0 {
			t.Fatalf("released %d inside the window", n)
		}
		if n, err := store.ReleaseDue(ctx, time.Now().Add(8*24*time.Hour)); n != 1 || err != nil {
			t.Fatalf("released %d after the window: %v", n, err)
		}
		st, _ = fin.ArtisanStatement(ctx, f.artisan.ID)
		if st.PayablePaise != 6_000_000 || st.HeldPaise != 0 {
			t.Fatalf("payable %d held %d, want exactly the agreed 6000000 paise", st.PayablePaise, st.HeldPaise)
		}
		tb, _ := fin.TrialBalance(ctx)
		if !tb.Balanced || tb.DebitsPaise == 0 {
			t.Fatalf("trial balance %+v", tb)
		}
		// The same file again changes nothing.
		if sum, err := fin.ImportSettlement(ctx, ch.ID, "settlement.csv", file); err != nil || sum.Repeated != 1 || sum.New != 0 {
			t.Fatalf("repeated import: %+v %v", sum, err)
		}
		if tb2, _ := fin.TrialBalance(ctx); tb2.DebitsPaise != tb.DebitsPaise {
			t.Fatalf("a repeated file posted again: %d then %d", tb.DebitsPaise, tb2.DebitsPaise)
		}
		// A short payment is classified, with the difference per component.
		sell()
		short := simPost(t, srv.URL+"/_sim/settlements", `{"short_pay_paise": 2500}`)
		if sum, err := fin.ImportSettlement(ctx, ch.ID, "short.csv", short); err != nil || sum.ShortPaid != 1 {
			t.Fatalf("short import: %+v %v", sum, err)
		}
		var detail string
		f.db.Gorm().Table("exceptions").Where("kind = 'settlement_mismatch' AND status = 'open'").Pluck("detail", &detail)
		if !strings.Contains(detail, `"component":"shipping_fee"`) || !strings.Contains(detail, `"component":"net"`) {
			t.Fatalf("exception detail %q", detail)
		}
		// A malformed file is refused whole and posts nothing.
		before, _ := fin.TrialBalance(ctx)
		bad := bytes.Replace(file, []byte("DELIVERED"), nil, 1)
		bad = append(bad, []byte("NEFT9,2026-11-20,OD9,9,10.00,x,0,0,0,0,0,0,10.00\n")...)
		if _, err := fin.ImportSettlement(ctx, ch.ID, "bad.csv", bad); !apperr.Is(err, apperr.Unprocessable) || !strings.Contains(err.Error(), "row") {
			t.Fatalf("malformed file: %v", err)
		}
		if after, _ := fin.TrialBalance(ctx); after.DebitsPaise != before.DebitsPaise {
			t.Fatal("a refused file posted")
		}
		// An advance nets against later earnings; a return after the
		// earning became payable claws it back, and the negative balance
		// is carried forward (no payout batch picks it up).
		if st, err := fin.Advance(ctx, f.artisan.ID, finance.AdvanceInput{AmountPaise: 1_000_000, Reason: "loom repair"}); err != nil || st.PayablePaise != 5_000_000 {
			t.Fatalf("advance: %+v %v", st, err)
		}
		if _, err := fin.Advance(ctx, f.artisan.ID, finance.AdvanceInput{AmountPaise: -5, Reason: "x"}); !apperr.Is(err, apperr.Unprocessable) {
			t.Fatalf("a negative advance: %v", err)
		}
		var first struct{ ID, OrderID string }
		f.db.Gorm().Raw(`SELECT l.id, l.order_id FROM order_lines l JOIN artisan_earnings e ON e.line_id = l.id WHERE e.status = 'payable'`).Scan(&first)
		if _, err := orders.NewService(f.db.Orders(), nil).RecordReturn(ctx, first.OrderID, orders.ReturnRequest{LineID: first.ID, Quantity: 1,
			Source: "customer", Disposition: orders.Restock, LocationID: f.showroom.ID}); err != nil {
			t.Fatal(err)
		}
		for range 2 { // the consumer may run twice; the ledger claws back once
			if err := store.ClawbackLine(ctx, first.ID, time.Now()); err != nil {
				t.Fatal(err)
			}
		}
		if st, _ := fin.ArtisanStatement(ctx, f.artisan.ID); st.PayablePaise != -1_000_000 {
			t.Fatalf("after the clawback: payable %d, want -1000000", st.PayablePaise)
		}
		if tb, _ := fin.TrialBalance(ctx); !tb.Balanced {
			t.Fatalf("trial balance after the clawback: %+v", tb)
		}
		// Goods back before the money: the settlement's earning is clawed back at once.
		heldBefore, _ := fin.ArtisanStatement(ctx, f.artisan.ID)
		sell()
		var third struct{ ID, OrderID string }
		f.db.Gorm().Raw(`SELECT l.id, l.order_id FROM order_lines l WHERE l.status = 'delivered' AND NOT EXISTS
(SELECT 1 FROM artisan_earnings e WHERE e.line_id = l.id)`).Scan(&third)
		if _, err := orders.NewService(f.db.Orders(), nil).RecordReturn(ctx, third.OrderID, orders.ReturnRequest{LineID: third.ID, Quantity: 1,
			Source: "courier", Disposition: orders.Restock, LocationID: f.showroom.ID}); err != nil {
			t.Fatal(err)
		}
		if sum, err := fin.ImportSettlement(ctx, ch.ID, "third.csv", simPost(t, srv.URL+"/_sim/settlements", "")); err != nil || sum.New != 1 {
			t.Fatalf("third settlement: %+v %v", sum, err)
		}
		var status string
		f.db.Gorm().Table("artisan_earnings").Where("line_id = ?", third.ID).Pluck("status", &status)
		if st, _ := fin.ArtisanStatement(ctx, f.artisan.ID); st.HeldPaise != heldBefore.HeldPaise || status != "clawed_back" {
			t.Fatalf("held %d (was %d), earning %s", st.HeldPaise, heldBefore.HeldPaise, status)
		}
		// The channel's statement: what it sold, kept and paid, and what it owes.
		sell() // delivered, not settled
		cs, err := fin.ChannelStatement(ctx, ch.ID)
		var net int64
		f.db.Gorm().Raw(`SELECT SUM(net_paise) FROM settlement_lines`).Scan(&net)
		if err != nil || cs.SalesPaise != 4*8_900_000 || cs.SettledGrossPaise != 3*8_900_000 || cs.SettledNetPaise != net || cs.ShortPaidLines != 1 ||
			cs.OutstandingLines != 1 || cs.OutstandingPaise != 8_900_000 || cs.OverdueLines != 0 {
			t.Fatalf("channel statement: %+v %v", cs, err)
		}
		later := finance.NewService(f.db.Finance(), func() time.Time { return time.Now().Add(16 * 24 * time.Hour) })
		if cs, _ := later.ChannelStatement(ctx, ch.ID); cs.OverdueLines != 1 || cs.OverduePaise != 8_900_000 {
			t.Fatalf("16 days later: %+v", cs)
		}
		// Ledger rows are evidence: no update, no delete.
		for _, q := range []string{`UPDATE ledger_postings SET amount_paise = 1`, `DELETE FROM ledger_postings`, `UPDATE ledger_entries SET memo = 'x'`, `DELETE FROM ledger_entries`} {
			if err := f.db.Gorm().Exec(q).Error; err == nil {
				t.Errorf("%s was allowed", q)
			}
		}
	})
}

// TestLedgerProperties: thousands of random settlements (some repeated),
// releases, advances, returns and payouts keep the trial balance at zero and every
// artisan's statement equal to the sum of their postings; an unbalanced
// entry is refused.
func TestLedgerProperties(t *testing.T) {
	eachBackend(t, func(t *testing.T, b testenv.Backend, f *fixture) {
		ctx := context.Background()
		store := f.db.Finance()
		rng := rand.New(rand.NewPCG(7, 11))
		artisans := []string{f.artisan.ID}
		for i := 0; i < 3; i++ {
			a, err := f.cat.CreateArtisan(ctx, catalogArtisan(fmt.Sprintf("PR-%d", i)))
			if err != nil {
				t.Fatal(err)
			}
			artisans = append(artisans, a.ID)
		}
		ops := 2000
		if testing.Short() {
			ops = 300
		}
		var posted []finance.Entry
		for i := 0; i < ops; i++ {
			var e finance.Entry
			switch r := rng.IntN(10); {
			case r < 2 && len(posted) > 0: // a repeat of an earlier source
				e = posted[rng.IntN(len(posted))]
			case r < 8:
				gross := 1 + rng.Int64N(10_000_000)
				fee := rng.Int64N(gross / 4)
				gst := finance.BasisPoints(fee, 1800)
				tcs, tds := finance.BasisPoints(gross, 50), finance.BasisPoints(gross, 10)
				l := finance.SettlementLine{SettlementRef: "R", SettledOn: time.Now(), ExternalOrderID: fmt.Sprint("O", i), ExternalLineID: "1",
					Paid: finance.Components{GrossPaise: gross, CommissionPaise: fee, GSTOnFeesPaise: gst, TCSPaise: tcs, TDSPaise: tds,
						NetPaise: gross - fee - gst - tcs - tds}}
				price := rng.Int64N(gross)
				e = finance.SettlementEntry("CH", l, finance.Match{ArtisanID: artisans[rng.IntN(len(artisans))], Quantity: 1, ArtisanPricePaise: &price})
			default:
				a := artisans[rng.IntN(len(artisans))]
				amount := 1 + rng.Int64N(100_000)
				line := finance.PayoutLine{ID: fmt.Sprint("L", i), ArtisanID: a, AmountPaise: amount, Reference: fmt.Sprint("JK", i)}
				switch rng.IntN(6) {
				case 0:
					e = finance.ReleaseEntry(fmt.Sprint("E", i), a, amount, time.Now())
				case 1:
					e = finance.AdvanceEntry(fmt.Sprint("A", i), a, amount, "advance", time.Now())
				case 2:
					e = finance.ClawbackEntry(fmt.Sprint("R", i), finance.Payable(a), a, amount, time.Now())
				case 3:
					e = finance.PayoutEntry(line, time.Now())
				case 4:
					e = finance.PaidEntry(line, "UTR1", time.Now())
				default:
					e = finance.FailedEntry(line, "closed", time.Now())
				}
			}
			if _, err := store.Post(ctx, e); err != nil {
				t.Fatalf("op %d: %v", i, err)
			}
			posted = append(posted, e)
		}
		tb, _ := finance.NewService(store, nil).TrialBalance(ctx)
		if !tb.Balanced || tb.DebitsPaise == 0 {
			t.Fatalf("trial balance %d debits, %d credits", tb.DebitsPaise, tb.CreditsPaise)
		}
		// Each kind's line, totalled here over the entries posted (a
		// repeated source is posted once): its distinct accounts, and the
		// debits and credits of its postings.
		want := map[string]finance.KindBalance{}
		seen, accounts := map[string]bool{}, map[string]bool{}
		for _, e := range posted {
			if seen[e.SourceRef] {
				continue
			}
			seen[e.SourceRef] = true
			for _, p := range e.Postings {
				k := finance.AccountKind(p.Account)
				line := want[k]
				line.AccountKind = k
				if !accounts[p.Account] {
					accounts[p.Account] = true
					line.Accounts++
				}
				if p.AmountPaise > 0 {
					line.DebitsPaise += p.AmountPaise
				} else {
					line.CreditsPaise -= p.AmountPaise
				}
				line.BalancePaise += p.AmountPaise
				want[k] = line
			}
		}
		if len(tb.Kinds) != len(want) {
			t.Fatalf("trial balance has %d kinds, want %d: %+v", len(tb.Kinds), len(want), tb.Kinds)
		}
		for i, k := range tb.Kinds {
			if k != want[k.AccountKind] || (i > 0 && tb.Kinds[i-1].AccountKind >= k.AccountKind) {
				t.Errorf("trial balance line %d %+v, want %+v (in kind order)", i, k, want[k.AccountKind])
			}
		}
		for _, a := range artisans {
			st, err := store.ArtisanStatement(ctx, a)
			if err != nil {
				t.Fatal(err)
			}
			var sum int64
			f.db.Gorm().Raw(`SELECT COALESCE(SUM(amount_paise), 0) FROM ledger_postings WHERE artisan_id = ?`, a).Scan(&sum)
			if st.HeldPaise+st.PayablePaise != -sum {
				t.Fatalf("artisan %s: held %d + payable %d, postings sum to %d", a, st.HeldPaise, st.PayablePaise, sum)
			}
		}
		unbalanced := finance.Entry{SourceRef: "bad", Postings: []finance.Posting{{Account: "bank", AmountPaise: 5}, {Account: "margin", AmountPaise: -4}}}
		if _, err := store.Post(ctx, unbalanced); err == nil {
			t.Fatal("an unbalanced entry was posted")
		}
		if b.Name == "postgres" { // the database refuses it even past the Go check
			err := f.db.Gorm().Transaction(func(tx *gorm.DB) error {
				if err := tx.Exec(`INSERT INTO ledger_entries (id, source_ref, kind, occurred_at, created_at) VALUES ('x', 'raw', 'raw', now(), now())`).Error; err != nil {
					return err
				}
				return tx.Exec(`INSERT INTO ledger_postings (id, entry_id, account, amount_paise, created_at) VALUES ('p', 'x', 'bank', 5, now())`).Error
			})
			if err == nil {
				t.Fatal("PostgreSQL committed an unbalanced entry")
			}
		}
	})
}

func mustJSON(t *testing.T, b []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", b, err)
	}
}

func pageOf(n int) paging.Request { return paging.Request{Limit: n} }

func catalogArtisan(code string) catalog.ArtisanInput {
	return catalog.ArtisanInput{Code: ptr(code), Name: ptr("Artisan " + code), Craft: ptr("namda")}
}

// TestGeMPayments: GeM's payment records are spread over each contract's
// lines to the paisa and posted; an invoice unpaid ten days after its CRAC
// is overdue, with an exception; a bad file is refused whole.
func TestGeMPayments(t *testing.T) {
	eachBackend(t, func(t *testing.T, b testenv.Backend, f *fixture) {
		ctx := context.Background()
		ch := gemChannel(t, f)
		second := mustProduct(t, f, "KANI-002")
		intake(t, f, f.product.ID, f.showroom, 2)
		intake(t, f, second.ID, f.showroom, 2)
		at := time.Now().UTC().Add(-30 * 24 * time.Hour).Truncate(time.Second)
		svc := orders.NewService(f.db.Orders(), nil)
		o := order(ch, 77, at, orders.StatusDelivered, orders.IncomingLine{ExternalLineID: "1", SKU: f.product.SKU, Quantity: 1, UnitPricePaise: 100_000},
			orders.IncomingLine{ExternalLineID: "2", SKU: second.SKU, Quantity: 2, UnitPricePaise: 100_000})
		o.ExternalOrderID = "GEMC-511687"
		if _, err := svc.Ingest(ctx, o); err != nil {
			t.Fatal(err)
		}
		fin := finance.NewService(f.db.Finance(), nil)
		crac := time.Now().In(finance.IST).AddDate(0, 0, -15).Format("2006-01-02")
		file := "Contract No,Invoice No,CRAC Date,Payment Date,Invoice Amount (Rs.),Transaction Charges (Rs.),TDS (Rs.),TCS (Rs.),Amount Paid (Rs.)\n" +
			"GEMC-511687,INV-1," + crac + ",2026-11-20,3000.00,0.01,3.00,15.00,2981.99\n" +
			"GEMC-511688,INV-2," + crac + ",,5000.00,,,,\n"
		sum, err := fin.ImportSettlement(ctx, ch, "gem.csv", []byte(file))
		if err != nil || sum.Overdue != 1 || sum.New != 2 || sum.Lines != 2 {
			t.Fatalf("import: %+v %v", sum, err)
		}
		var parts []struct {
			GrossPaise, FeesPaise, NetPaise int64
		}
		f.db.Gorm().Raw(`SELECT gross_paise, fees_paise, net_paise FROM settlement_lines ORDER BY external_line_id`).Scan(&parts)
		if len(parts) != 2 || parts[0].GrossPaise != 100_000 || parts[1].GrossPaise != 200_000 || parts[0].FeesPaise+parts[1].FeesPaise != 1 ||
			parts[0].NetPaise+parts[1].NetPaise != 298_199 {
			t.Fatalf("spread over the contract: %+v", parts)
		}
		var overdue int64
		f.db.Gorm().Table("exceptions").Where("kind = 'settlement_mismatch' AND summary LIKE ?", "%INV-2%").Count(&overdue)
		if overdue != 1 {
			t.Fatal("no exception for the overdue invoice")
		}
		if tb, _ := fin.TrialBalance(ctx); !tb.Balanced || tb.DebitsPaise == 0 {
			t.Fatalf("trial balance %+v", tb)
		}
		bad := strings.Replace(file, "2981.99", "2900.00", 1)
		if _, err := fin.ImportSettlement(ctx, ch, "bad.csv", []byte(bad)); !apperr.Is(err, apperr.Unprocessable) || !strings.Contains(err.Error(), "row 2") {
			t.Fatalf("a file that does not add up: %v", err)
		}
	})
}

// TestEarningShares: a piece made by three artisans pays each their share
// of the agreed price to the paisa; a return claws back each share; bad
// shares are refused.
func TestEarningShares(t *testing.T) {
	eachBackend(t, func(t *testing.T, b testenv.Backend, f *fixture) {
		ctx := context.Background()
		fin := finance.NewService(f.db.Finance(), nil)
		b2, _ := f.cat.CreateArtisan(ctx, catalogArtisan("CO-2"))
		b3, _ := f.cat.CreateArtisan(ctx, catalogArtisan("CO-3"))
		for name, in := range map[string]finance.SharesInput{
			"zero weight":   {Shares: []finance.Share{{ArtisanID: f.artisan.ID, Weight: 0}}},
			"twice":         {Shares: []finance.Share{{ArtisanID: f.artisan.ID, Weight: 1}, {ArtisanID: f.artisan.ID, Weight: 2}}},
			"unknown maker": {Shares: []finance.Share{{ArtisanID: "01a00000-0000-7000-8000-000000000000", Weight: 1}}},
		} {
			if _, err := fin.SetShares(ctx, f.product.ID, in); !apperr.Is(err, apperr.Unprocessable) {
				t.Errorf("%s: %v", name, err)
			}
		}
		if _, err := fin.SetShares(ctx, f.product.ID, finance.SharesInput{Shares: []finance.Share{
			{ArtisanID: f.artisan.ID, Weight: 3}, {ArtisanID: b2.ID, Weight: 2}, {ArtisanID: b3.ID, Weight: 2}}}); err != nil {
			t.Fatal(err)
		}
		ch := gemChannel(t, f)
		intake(t, f, f.product.ID, f.showroom, 1)
		at := time.Now().UTC().Add(-20 * 24 * time.Hour).Truncate(time.Second)
		o := order(ch, 5, at, orders.StatusDelivered, orders.IncomingLine{ExternalLineID: "1", SKU: f.product.SKU, Quantity: 1, UnitPricePaise: 8_900_000})
		if _, err := orders.NewService(f.db.Orders(), nil).Ingest(ctx, o); err != nil {
			t.Fatal(err)
		}
		file := "Contract No,Invoice No,CRAC Date,Payment Date,Invoice Amount (Rs.),Transaction Charges (Rs.),TDS (Rs.),TCS (Rs.),Amount Paid (Rs.)\n" +
			o.ExternalOrderID + ",INV-9,2026-11-01," + time.Now().In(finance.IST).Format("2006-01-02") + ",89000.00,0,89.00,445.00,88466.00\n"
		if sum, err := fin.ImportSettlement(ctx, ch, "gem.csv", []byte(file)); err != nil || sum.New != 1 {
			t.Fatalf("import: %+v %v", sum, err)
		}
		want := map[string]int64{f.artisan.ID: 2_571_428, b2.ID: 1_714_286, b3.ID: 1_714_286} // the largest remainders take the 2 leftover paise
		var total int64
		for id, paise := range want {
			st, _ := fin.ArtisanStatement(ctx, id)
			if st.HeldPaise != paise {
				t.Errorf("artisan %s holds %d, want %d", id, st.HeldPaise, paise)
			}
			total += st.HeldPaise
		}
		if total != 6_000_000 {
			t.Fatalf("shares sum to %d, not the agreed 6000000", total)
		}
		var line struct{ ID, OrderID string }
		f.db.Gorm().Raw(`SELECT id, order_id FROM order_lines`).Scan(&line)
		f.db.Gorm().Exec(`UPDATE order_lines SET status = 'delivered'`)
		if _, err := orders.NewService(f.db.Orders(), nil).RecordReturn(ctx, line.OrderID, orders.ReturnRequest{LineID: line.ID, Quantity: 1,
			Source: "customer", Disposition: orders.Restock, LocationID: f.showroom.ID}); err != nil {
			t.Fatal(err)
		}
		if err := f.db.Finance().ClawbackLine(ctx, line.ID, time.Now()); err != nil {
			t.Fatal(err)
		}
		for id := range want {
			if st, _ := fin.ArtisanStatement(ctx, id); st.HeldPaise != 0 {
				t.Errorf("artisan %s still holds %d after the return", id, st.HeldPaise)
			}
		}
		if tb, _ := fin.TrialBalance(ctx); !tb.Balanced {
			t.Fatalf("trial balance %+v", tb)
		}
	})
}

// TestPartialReturnRelease: when one of two units comes back inside the
// return window, the other unit's earning still becomes payable.
func TestPartialReturnRelease(t *testing.T) {
	eachBackend(t, func(t *testing.T, b testenv.Backend, f *fixture) {
		ctx := context.Background()
		fin := finance.NewService(f.db.Finance(), nil)
		ch := gemChannel(t, f)
		intake(t, f, f.product.ID, f.showroom, 2)
		o := order(ch, 6, time.Now().UTC().Add(-20*24*time.Hour).Truncate(time.Second), orders.StatusDelivered,
			orders.IncomingLine{ExternalLineID: "1", SKU: f.product.SKU, Quantity: 2, UnitPricePaise: 8_900_000})
		if _, err := orders.NewService(f.db.Orders(), nil).Ingest(ctx, o); err != nil {
			t.Fatal(err)
		}
		var line struct{ ID, OrderID string }
		f.db.Gorm().Raw(`SELECT id, order_id FROM order_lines`).Scan(&line)
		f.db.Gorm().Exec(`UPDATE order_lines SET status = 'delivered'`)
		file := "Contract No,Invoice No,CRAC Date,Payment Date,Invoice Amount (Rs.),Transaction Charges (Rs.),TDS (Rs.),TCS (Rs.),Amount Paid (Rs.)\n" +
			o.ExternalOrderID + ",INV-1,2026-11-01," + time.Now().In(finance.IST).Format("2006-01-02") + ",178000.00,0,0,0,178000.00\n"
		if _, err := fin.ImportSettlement(ctx, ch, "gem.csv", []byte(file)); err != nil {
			t.Fatal(err)
		}
		if _, err := orders.NewService(f.db.Orders(), nil).RecordReturn(ctx, line.OrderID, orders.ReturnRequest{LineID: line.ID, Quantity: 1,
			Source: "customer", Disposition: orders.Restock, LocationID: f.showroom.ID}); err != nil {
			t.Fatal(err)
		}
		if err := f.db.Finance().ClawbackLine(ctx, line.ID, time.Now()); err != nil {
			t.Fatal(err)
		}
		if n, err := f.db.Finance().ReleaseDue(ctx, time.Now().Add(30*24*time.Hour)); err != nil || n != 1 {
			t.Fatalf("released %d: %v", n, err)
		}
		st, _ := fin.ArtisanStatement(ctx, f.artisan.ID)
		if st.PayablePaise != 6_000_000 || st.HeldPaise != 0 {
			t.Fatalf("after one of two units came back: payable %d held %d, want 6000000 and 0", st.PayablePaise, st.HeldPaise)
		}
	})
}

// TestWindowFromDelivery: the return window runs from delivery, so a line
// delivered three weeks before its settlement is payable at once.
func TestWindowFromDelivery(t *testing.T) {
	eachBackend(t, func(t *testing.T, b testenv.Backend, f *fixture) {
		ctx := context.Background()
		ch := gemChannel(t, f)
		intake(t, f, f.product.ID, f.showroom, 1)
		o := order(ch, 8, time.Now().UTC().Add(-30*24*time.Hour).Truncate(time.Second), orders.StatusOpen,
			orders.IncomingLine{ExternalLineID: "1", SKU: f.product.SKU, Quantity: 1, UnitPricePaise: 8_900_000})
		res, err := orders.NewService(f.db.Orders(), nil).Ingest(ctx, o)
		if err != nil {
			t.Fatal(err)
		}
		_, task := lineOf(t, f, res.OrderID)
		move(t, f, task.ID, fulfilment.Transition{To: fulfilment.Packed}, fulfilment.Transition{To: fulfilment.Dispatched, TrackingNo: "IP1"},
			fulfilment.Transition{To: fulfilment.Delivered})
		f.db.Gorm().Exec(`UPDATE order_lines SET delivered_at = ?`, time.Now().UTC().Add(-21*24*time.Hour))
		file := "Contract No,Invoice No,CRAC Date,Payment Date,Invoice Amount (Rs.),Transaction Charges (Rs.),TDS (Rs.),TCS (Rs.),Amount Paid (Rs.)\n" +
			o.ExternalOrderID + ",INV-1,2026-11-01," + time.Now().In(finance.IST).Format("2006-01-02") + ",89000.00,0,0,0,89000.00\n"
		fin := finance.NewService(f.db.Finance(), nil)
		if _, err := fin.ImportSettlement(ctx, ch, "gem.csv", []byte(file)); err != nil {
			t.Fatal(err)
		}
		// Payable at once: the import releases what is due, no release run is waited for.
		if st, _ := fin.ArtisanStatement(ctx, f.artisan.ID); st.PayablePaise != 6_000_000 || st.HeldPaise != 0 {
			t.Fatalf("payable %d held %d right after the import", st.PayablePaise, st.HeldPaise)
		}
		if n, err := f.db.Finance().ReleaseDue(ctx, time.Now().Add(time.Minute)); err != nil || n != 0 {
			t.Fatalf("released %d more: %v", n, err)
		}
	})
}

// gemChannel makes a GeM channel selling from the fixture's showroom.
func gemChannel(t *testing.T, f *fixture) string {
	t.Helper()
	ctx := context.Background()
	chans := channels.NewService(f.db.Channels(), f.ring, nil)
	if err := chans.Ensure(ctx, "gem", "gem", "", "", true, nil, channels.Settings{Locations: []channels.LocationMap{{LocationID: f.showroom.ID}}}); err != nil {
		t.Fatal(err)
	}
	list, err := chans.List(ctx)
	if err != nil || len(list) != 1 {
		t.Fatalf("channels: %v %v", list, err)
	}
	return list[0].ID
}

// TestPostAllKeepsEntriesWhole posts, in one call, more entries than one
// postings INSERT holds (2,000 postings), each of seven postings like a
// settlement line's: PostgreSQL checks at the end of each INSERT that the
// entries it touched balance (migration 82), so an entry whose postings
// were split between two INSERTs would be refused there.
func TestPostAllKeepsEntriesWhole(t *testing.T) {
	eachBackend(t, func(t *testing.T, b testenv.Backend, f *fixture) {
		ctx := context.Background()
		price := int64(40_000)
		var entries []finance.Entry
		for i := range 600 {
			l := finance.SettlementLine{SettlementRef: "W", SettledOn: time.Now(), ExternalOrderID: fmt.Sprint("O", i), ExternalLineID: "1",
				Paid: finance.Components{GrossPaise: 100_000, CommissionPaise: 9_000, FixedFeePaise: 1_000, GSTOnFeesPaise: 1_800, TCSPaise: 500, TDSPaise: 100,
					NetPaise: 100_000 - 10_000 - 1_800 - 500 - 100}}
			e := finance.SettlementEntry("CH", l, finance.Match{ArtisanID: f.artisan.ID, Quantity: 1, ArtisanPricePaise: &price})
			if len(e.Postings) != 7 {
				t.Fatalf("a settlement entry of %d postings, want 7", len(e.Postings))
			}
			entries = append(entries, e)
		}
		n, err := store.PostAll(ctx, f.db, entries)
		if err != nil || n != len(entries) {
			t.Fatalf("posted %d of %d entries: %v", n, len(entries), err)
		}
		var postings, sum int64
		f.db.Gorm().Raw(`SELECT COUNT(*), COALESCE(SUM(amount_paise), 0) FROM ledger_postings p JOIN ledger_entries e ON e.id = p.entry_id WHERE e.source_ref LIKE 'settlement:CH:W:%'`).
			Row().Scan(&postings, &sum)
		if postings != 7*int64(len(entries)) || sum != 0 {
			t.Fatalf("%d postings summing to %d, want %d summing to 0", postings, sum, 7*len(entries))
		}
	})
}
