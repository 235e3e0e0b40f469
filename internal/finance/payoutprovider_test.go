package finance_test

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/jkhhc/artisanbridge/internal/finance"
)

type plainOpener struct{ fail string }

func (o plainOpener) Open(sealed string, aad []byte) ([]byte, error) {
	if sealed == o.fail {
		return nil, errors.New("bad key")
	}
	return []byte(strings.TrimPrefix(sealed, "sealed:")), nil
}

func TestPayoutIdempotencyKey(t *testing.T) {
	uuid := "01937a1e-8f2c-7b4e-9a10-3c5d7e9f1a2b"
	if got := finance.PayoutIdempotencyKey(uuid); got != uuid {
		t.Fatalf("a UUID line id is its own key: %q", got)
	}
	long := strings.Repeat("x", 50)
	for _, id := range []string{long, "ab", "line/1", "ü-1234"} {
		k := finance.PayoutIdempotencyKey(id)
		if len(k) < 4 || len(k) > 36 || strings.Trim(k, "abcdefghijklmnopqrstuvwxyz0123456789_") != "" {
			t.Errorf("%q -> %q: not a key RazorpayX takes", id, k)
		}
		if finance.PayoutIdempotencyKey(id) != k {
			t.Errorf("%q: the key changed between calls", id)
		}
	}
	if finance.PayoutIdempotencyKey(long) == finance.PayoutIdempotencyKey(long+"y") {
		t.Error("two lines share a key")
	}
}

func TestPayoutOrdersAndNEFTFile(t *testing.T) {
	payees := []finance.Payee{
		{LineID: "01937a1e-8f2c-7b4e-9a10-3c5d7e9f1a2b", ArtisanID: "a1", Name: "  Ghulam   Nabi Dar ", AccountSealed: "sealed:001234567890", IFSC: "JAKA0SRINGR", AmountPaise: 1_80_000_50, Reference: "JK7B4E9A103C5D7E"},
		{LineID: "01937a1e-8f2c-7b4e-9a10-3c5d7e9f1a2c", ArtisanID: "a2", Name: "=Mehmooda " + strings.Repeat("Begum ", 8), AccountSealed: "sealed:99887766", IFSC: "SBIN0000123", AmountPaise: 100_00, Reference: "JK7B4E9A103C5D7F"},
	}
	if _, err := finance.PayoutOrders("b1", payees, plainOpener{fail: "sealed:99887766"}); err == nil {
		t.Fatal("an unreadable account was sent")
	}
	orders, err := finance.PayoutOrders("b1", payees, plainOpener{})
	if err != nil {
		t.Fatal(err)
	}
	if orders[0].Name != "Ghulam Nabi Dar" || orders[0].AccountNumber != "001234567890" || orders[0].IdempotencyKey != payees[0].LineID || orders[0].BatchID != "b1" {
		t.Fatalf("order %+v", orders[0].String())
	}
	for _, shown := range []string{orders[0].String(), fmt.Sprintf("%v", orders[0]), fmt.Sprintf("%+v", orders[0]), fmt.Sprintf("%#v", orders[0])} {
		if strings.Contains(shown, "001234567890") || !strings.Contains(shown, "7890") {
			t.Errorf("the account number shows: %s", shown)
		}
	}
	sub, err := finance.NEFTFile{}.Submit(context.Background(), orders)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(strings.NewReader(string(sub.File.Data))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(rows[0], ",") != strings.Join(finance.BankFileColumns, ",") || len(rows) != 3 {
		t.Fatalf("file %q", sub.File.Data)
	}
	if got := strings.Join(rows[1], "|"); got != "Ghulam Nabi Dar|001234567890|JAKA0SRINGR|180000.50|JK7B4E9A103C5D7E" {
		t.Errorf("row 1: %s", got)
	}
	if name := rows[2][0]; !strings.HasPrefix(name, "'=Mehmooda") || len(name) != 36 {
		t.Errorf("row 2 name %q: a formula is defused and a name cut to 35", name)
	}
	if sub.Provider != finance.ProviderNEFTFile || len(sub.Outcomes) != 2 || sub.File.Name != "payout-b1.csv" {
		t.Fatalf("submission %+v", sub.Outcomes)
	}
	for _, o := range sub.Outcomes {
		if o.State != finance.LineInFlight || o.ProviderPayoutID != "" {
			t.Errorf("a line in a bank file is in flight until the bank answers: %+v", o)
		}
		if _, final := o.BankResult(); final {
			t.Errorf("%+v gave a bank result", o)
		}
	}
}

func TestOutcomeBankResult(t *testing.T) {
	paid, ok := finance.PayoutOutcome{Reference: "JK1", State: finance.LinePaid, UTR: "HDFCN1"}.BankResult()
	if !ok || !paid.Paid || paid.UTR != "HDFCN1" || paid.Reference != "JK1" {
		t.Fatalf("paid: %+v", paid)
	}
	failed, ok := finance.PayoutOutcome{Reference: "JK2", State: finance.LineFailed, ProviderStatus: "reversed", Reason: strings.Repeat("r", 300)}.BankResult()
	if !ok || failed.Paid || len(failed.Reason) != 200 {
		t.Fatalf("failed: %+v", failed)
	}
	if r, _ := (finance.PayoutOutcome{State: finance.LineFailed, ProviderStatus: "cancelled"}).BankResult(); r.Reason != "cancelled" {
		t.Fatalf("a failure without a reason gives the provider's status: %+v", r)
	}
}

func TestDecideOutcome(t *testing.T) {
	inFlight := func(id string) finance.PayoutOutcome {
		return finance.PayoutOutcome{State: finance.LineInFlight, ProviderPayoutID: id}
	}
	paid := func(id, utr string) finance.PayoutOutcome {
		return finance.PayoutOutcome{State: finance.LinePaid, ProviderPayoutID: id, UTR: utr}
	}
	failed := func(id string) finance.PayoutOutcome {
		return finance.PayoutOutcome{State: finance.LineFailed, ProviderPayoutID: id, Reason: "reversed"}
	}
	tests := []struct {
		name               string
		recorded, reported finance.PayoutOutcome
		want               finance.OutcomeChange
	}{
		{"first provider id", inFlight(""), inFlight("pout_1"), finance.OutcomeApply},
		{"in flight again", inFlight("pout_1"), inFlight("pout_1"), finance.OutcomeIgnore},
		{"unsent to paid", inFlight(""), paid("pout_1", "U1"), finance.OutcomeApply},
		{"in flight to paid", inFlight("pout_1"), paid("pout_1", "U1"), finance.OutcomeApply},
		{"in flight to failed", inFlight("pout_1"), failed("pout_1"), finance.OutcomeApply},
		{"paid twice (duplicate webhook)", paid("pout_1", "U1"), paid("pout_1", "U1"), finance.OutcomeIgnore},
		{"processing after processed (reordered webhooks)", paid("pout_1", "U1"), inFlight("pout_1"), finance.OutcomeIgnore},
		{"processing after reversed", failed("pout_1"), inFlight("pout_1"), finance.OutcomeIgnore},
		{"the UTR after processed", paid("pout_1", ""), paid("pout_1", "U1"), finance.OutcomeApply},
		{"failed after paid", paid("pout_1", "U1"), failed("pout_1"), finance.OutcomeConflict},
		{"paid after failed", failed("pout_1"), paid("pout_1", "U1"), finance.OutcomeConflict},
		{"a second payout for the line", inFlight("pout_1"), inFlight("pout_2"), finance.OutcomeConflict},
		{"a second payout paid", inFlight("pout_1"), paid("pout_2", "U2"), finance.OutcomeConflict},
	}
	for _, tc := range tests {
		if got := finance.DecideOutcome(tc.recorded, tc.reported); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}
