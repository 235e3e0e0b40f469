package orderpull_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/jkhhc/artisanbridge/adapters"
	"github.com/jkhhc/artisanbridge/internal/apperr"
	"github.com/jkhhc/artisanbridge/internal/channels"
	"github.com/jkhhc/artisanbridge/internal/exceptions"
	"github.com/jkhhc/artisanbridge/internal/orderpull"
	"github.com/jkhhc/artisanbridge/internal/orders"
)

func TestCauseKeyReadsBack(t *testing.T) {
	for _, tc := range []struct {
		name        string
		order, line string
		payload     string
		want        orderpull.Cause
		prefixOfKey string
	}{
		{name: "order and item", order: "OD1", line: "4001", want: orderpull.Cause{ChannelID: "ch", OrderID: "OD1", LineID: "4001"},
			prefixOfKey: "missed_order:ch:OD1:4001"},
		{name: "order only", order: "403-1234567-1234567", want: orderpull.Cause{ChannelID: "ch", OrderID: "403-1234567-1234567"},
			prefixOfKey: "missed_order:ch:403-1234567-1234567"},
		{name: "ids with separators", order: "a:b%c", line: "x y:#", want: orderpull.Cause{ChannelID: "ch", OrderID: "a:b%c", LineID: "x y:#"}},
		{name: "no id", payload: `{"x":1}`, want: orderpull.Cause{ChannelID: "ch", Hashed: true}, prefixOfKey: "missed_order:ch:#"},
		{name: "an item without its order", line: "7", payload: `{}`, want: orderpull.Cause{ChannelID: "ch", Hashed: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			key := orderpull.CauseKey("ch", tc.order, tc.line, []byte(tc.payload))
			if !strings.HasPrefix(key, tc.prefixOfKey) {
				t.Fatalf("key %q", key)
			}
			got, ok := orderpull.ParseCauseKey(key)
			if !ok || got != tc.want {
				t.Fatalf("%q read back as %+v %v", key, got, ok)
			}
		})
	}
	for _, key := range []string{"fulfilled_elsewhere:01J", "missed_order:", "missed_order:ch", "missed_order:ch:#", "missed_order:ch:a:b:c", "missed_order:ch:%zz"} {
		if c, ok := orderpull.ParseCauseKey(key); ok {
			t.Errorf("%q read as %+v", key, c)
		}
	}
	if orderpull.CauseKey("ch", "", "", []byte("a")) == orderpull.CauseKey("ch", "", "", []byte("b")) {
		t.Error("two payloads share a key")
	}
}

// fakes: the use case's small interfaces, in memory.

type fakeChannels struct{ ch channels.Channel }

func (f fakeChannels) Get(context.Context, string) (channels.Channel, error) { return f.ch, nil }
func (f fakeChannels) Credentials(context.Context, string) (map[string]string, error) {
	return map[string]string{}, nil
}

type fakeOrders struct {
	ingested []orders.Incoming
	refuse   error
	stored   map[string][]string // order id -> its line ids
}

func (f *fakeOrders) Ingest(_ context.Context, in orders.Incoming) (orders.Result, error) {
	if f.refuse != nil {
		return orders.Result{}, f.refuse
	}
	f.ingested = append(f.ingested, in)
	if f.stored == nil {
		f.stored = map[string][]string{}
	}
	for _, l := range in.Lines {
		f.stored[in.ExternalOrderID] = append(f.stored[in.ExternalOrderID], l.ExternalLineID)
	}
	return orders.Result{OrderID: in.ExternalOrderID, Created: true, NewLines: len(in.Lines), Reserved: len(in.Lines)}, nil
}

func (f *fakeOrders) Get(_ context.Context, id string) (orders.Order, error) {
	o := orders.Order{ID: id}
	for _, l := range f.stored[id] {
		o.Lines = append(o.Lines, orders.Line{ExternalLineID: l})
	}
	return o, nil
}

type fakeExceptions struct {
	byKey    map[string]*exceptions.Exception
	raises   int
	failWith error
}

func (f *fakeExceptions) Raise(_ context.Context, e exceptions.Exception) error {
	if f.failWith != nil {
		return f.failWith
	}
	f.raises++
	if f.byKey == nil {
		f.byKey = map[string]*exceptions.Exception{}
	}
	if old := f.byKey[e.CauseKey]; old != nil && old.Status == "open" {
		old.Detail, old.Summary, old.Payload = e.Detail, e.Summary, e.Payload
		old.Occurrences++
		return nil
	}
	e.ID, e.Status, e.Occurrences = "EX-"+e.CauseKey, "open", 1
	f.byKey[e.CauseKey] = &e
	return nil
}

func (f *fakeExceptions) Get(_ context.Context, id string) (exceptions.Exception, error) {
	for _, e := range f.byKey {
		if e.ID == id {
			return *e, nil
		}
	}
	return exceptions.Exception{}, apperr.New(apperr.NotFound, "no exception %s", id)
}

func (f *fakeExceptions) Resolve(_ context.Context, id string, in exceptions.ResolveInput, by string) (exceptions.Exception, error) {
	for _, e := range f.byKey {
		if e.ID == id {
			e.Status, e.Resolution, e.ResolvedBy = "resolved", in.Resolution, by
			return *e, nil
		}
	}
	return exceptions.Exception{}, apperr.New(apperr.NotFound, "no exception %s", id)
}

func (f *fakeExceptions) only(t *testing.T) *exceptions.Exception {
	t.Helper()
	if len(f.byKey) != 1 {
		t.Fatalf("%d exceptions: %+v", len(f.byKey), f.byKey)
	}
	for _, e := range f.byKey {
		return e
	}
	return nil
}

type fakeCursors struct {
	at     time.Time
	resume orders.PullResume
}

func (f *fakeCursors) PullCursor(context.Context, string) (time.Time, error) { return f.at, nil }
func (f *fakeCursors) AdvancePullCursor(_ context.Context, _ string, t time.Time) error {
	if t.After(f.at) {
		f.at = t
	}
	f.resume = orders.PullResume{}
	return nil
}
func (f *fakeCursors) PullResume(context.Context, string) (orders.PullResume, error) {
	return f.resume, nil
}
func (f *fakeCursors) SavePullResume(_ context.Context, _ string, cursor time.Time, r orders.PullResume) error {
	if f.at.IsZero() {
		f.at = cursor
	}
	f.resume = r
	return nil
}

// fakeMarketplace serves one page of orders and, by id, the order as it
// stands now; reader re-reads payloads as {"order": id, "bad": reason}.
type fakeMarketplace struct {
	adapters.Channel
	page    adapters.OrderPage
	byID    map[string]adapters.OrderPage
	fetches int
}

func (m *fakeMarketplace) Kind() adapters.Kind { return adapters.Flipkart }
func (m *fakeMarketplace) FetchOrders(context.Context, adapters.OrderCursor) (adapters.OrderPage, error) {
	return m.page, nil
}
func (m *fakeMarketplace) FetchOrder(_ context.Context, id string) (adapters.OrderPage, error) {
	m.fetches++
	return m.byID[id], nil
}

// payloadOnly is a channel that cannot be asked by id (GeM-like) but can
// read its payloads again.
type payloadOnly struct {
	adapters.Channel
	read func([]byte) (adapters.OrderPage, error)
}

func (p payloadOnly) Kind() adapters.Kind                              { return adapters.GeM }
func (p payloadOnly) ReadPayload(b []byte) (adapters.OrderPage, error) { return p.read(b) }
func (p payloadOnly) FetchOrders(context.Context, adapters.OrderCursor) (adapters.OrderPage, error) {
	return adapters.OrderPage{}, nil
}

var (
	t1 = time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	t2 = t1.Add(time.Hour)
)

func incoming(id string, updated time.Time, lines ...string) orders.Incoming {
	in := orders.Incoming{ExternalOrderID: id, Status: orders.StatusOpen, OrderedAt: t1, UpdatedAt: updated}
	for _, l := range lines {
		in.Lines = append(in.Lines, orders.IncomingLine{ExternalLineID: l, SKU: "A", Quantity: 1, Status: orders.StatusOpen, UpdatedAt: updated})
	}
	return in
}

type rig struct {
	p   *orderpull.Puller
	ex  *fakeExceptions
	ord *fakeOrders
	cur *fakeCursors
}

func newRig(ad adapters.Channel) rig {
	r := rig{ex: &fakeExceptions{}, ord: &fakeOrders{}, cur: &fakeCursors{at: t1.Add(-time.Hour)}}
	r.p = &orderpull.Puller{Channels: fakeChannels{ch: channels.Channel{ID: "ch", Name: "flipkart", Enabled: true}}, Orders: r.ord,
		Cursors: r.cur, Exceptions: r.ex, Resolver: r.ex,
		Factory: func(channels.Channel, map[string]string) (adapters.Channel, error) { return ad, nil }}
	return r
}

// TestPullRaisesWhatCannotBeRead: each unreadable entry opens one
// missed_order with its payload, reason and a retry action, and does not
// hold the cursor; an order ingestion refuses opens one with the
// normalised order and holds it; a raise that fails stops the pull before
// the cursor moves.
func TestPullRaisesWhatCannotBeRead(t *testing.T) {
	mk := &fakeMarketplace{page: adapters.OrderPage{
		Orders: []orders.Incoming{incoming("OD1", t2, "1")},
		Unreadable: []orders.Unreadable{{ExternalOrderID: "OD1", ExternalLineID: "2", Reason: "quantity 0 is not between 1 and 10000", Payload: []byte(`{"q":0}`)},
			{Reason: "a shipment is not a JSON object", Payload: []byte(`42`)}}}}
	r := newRig(mk)
	rep, err := r.p.Pull(context.Background(), "ch")
	if err != nil || rep.Unreadable != 2 || rep.Orders.Created != 1 {
		t.Fatalf("%+v %v", rep, err)
	}
	e := r.ex.byKey["missed_order:ch:OD1:2"]
	if e == nil || e.Kind != exceptions.MissedOrder || e.Payload != `{"q":0}` || !strings.Contains(e.Detail, "quantity 0") ||
		!strings.Contains(e.Action, "/retry") || !strings.Contains(e.Summary, "OD1 item 2") || e.Resource != "channel" || e.ResourceID != "ch" {
		t.Fatalf("exception %+v of %v", e, r.ex.byKey)
	}
	if len(r.ex.byKey) != 2 {
		t.Fatalf("exceptions %v", r.ex.byKey)
	}
	if !r.cur.at.Equal(t2) {
		t.Fatalf("cursor at %v: unreadable items must not hold it", r.cur.at)
	}
	// Again: the same exceptions, counted again.
	if _, err := r.p.Pull(context.Background(), "ch"); err != nil || len(r.ex.byKey) != 2 || r.ex.byKey["missed_order:ch:OD1:2"].Occurrences != 2 {
		t.Fatalf("second pull: %v %+v", err, r.ex.byKey)
	}

	refused := newRig(&fakeMarketplace{page: adapters.OrderPage{Orders: []orders.Incoming{incoming("OD2", t2, "1")}}})
	refused.ord.refuse = apperr.FieldErrors{"lines.sku": "is required"}.Err()
	if _, err := refused.p.Pull(context.Background(), "ch"); err != nil {
		t.Fatal(err)
	}
	e = refused.ex.only(t)
	var held struct {
		Order *orders.Incoming `json:"normalised_order"`
	}
	if e.CauseKey != "missed_order:ch:OD2" || json.Unmarshal([]byte(e.Payload), &held) != nil || held.Order == nil || held.Order.ExternalOrderID != "OD2" ||
		!strings.Contains(e.Detail, "lines.sku") {
		t.Fatalf("exception %+v", e)
	}
	if !refused.cur.at.Before(t2) {
		t.Fatalf("cursor %v passed the refused order", refused.cur.at)
	}

	broken := newRig(mk)
	broken.ex.failWith = errors.New("database gone")
	before := broken.cur.at
	if _, err := broken.p.Pull(context.Background(), "ch"); err == nil || !broken.cur.at.Equal(before) {
		t.Fatalf("a raise that failed: %v, cursor %v", err, broken.cur.at)
	}
	broken.p.Exceptions = nil
	if _, err := broken.p.Pull(context.Background(), "ch"); err == nil || !broken.cur.at.Equal(before) {
		t.Fatalf("nowhere to raise: %v, cursor %v", err, broken.cur.at)
	}
}

// TestRetry: a missed order is read again (from the marketplace by id, or
// its payload), ingested, and resolved by the person who retried; one that
// still cannot be read answers 422 and stays open with the reason.
func TestRetry(t *testing.T) {
	ctx := context.Background()
	open := func(r rig, key, payload string) string {
		t.Helper()
		if err := r.ex.Raise(ctx, exceptions.Exception{Kind: exceptions.MissedOrder, CauseKey: key, Payload: payload, Detail: "first"}); err != nil {
			t.Fatal(err)
		}
		return r.ex.byKey[key].ID
	}
	still := adapters.OrderPage{Orders: []orders.Incoming{incoming("OD1", t2, "1")},
		Unreadable: []orders.Unreadable{{ExternalOrderID: "OD1", ExternalLineID: "2", Reason: "quantity 0 is not between 1 and 10000", Payload: []byte(`{}`)}}}
	mended := adapters.OrderPage{Orders: []orders.Incoming{incoming("OD1", t2, "1", "2")}}

	t.Run("from the marketplace", func(t *testing.T) {
		mk := &fakeMarketplace{byID: map[string]adapters.OrderPage{"OD1": still}}
		r := newRig(mk)
		id := open(r, orderpull.CauseKey("ch", "OD1", "2", nil), `{}`)
		_, err := r.p.Retry(ctx, id, "ops")
		var ae *apperr.Error
		if !errors.As(err, &ae) || ae.Code != apperr.Unprocessable || !strings.Contains(ae.Message, "quantity 0") {
			t.Fatalf("retry while still unreadable: %v", err)
		}
		if e := r.ex.only(t); e.Status != "open" || !strings.Contains(e.Detail, "retried by ops") || !strings.Contains(e.Detail, "quantity 0") {
			t.Fatalf("exception after a failed retry: %+v", e)
		}
		mk.byID["OD1"] = mended
		res, err := r.p.Retry(ctx, id, "ops")
		if err != nil || res.Source != orderpull.FromMarketplace || res.Summary.NewLines != 2 || res.Exception.Status != "resolved" ||
			res.Exception.ResolvedBy != "ops" || len(res.Orders) != 1 || res.Orders[0].ExternalOrderID != "OD1" {
			t.Fatalf("retry: %+v %v", res, err)
		}
		if _, err := r.p.Retry(ctx, id, "ops"); !apperr.Is(err, apperr.Conflict) {
			t.Fatalf("a second retry: %v", err)
		}
	})
	t.Run("the item is gone", func(t *testing.T) {
		r := newRig(&fakeMarketplace{byID: map[string]adapters.OrderPage{"OD1": {Orders: []orders.Incoming{incoming("OD1", t2, "1")}}}})
		id := open(r, orderpull.CauseKey("ch", "OD1", "2", nil), `{}`)
		if _, err := r.p.Retry(ctx, id, "ops"); err == nil || !strings.Contains(err.Error(), "no longer lists item 2") {
			t.Fatalf("retry: %v", err)
		}
	})
	t.Run("the item judged stale", func(t *testing.T) {
		r := newRig(&fakeMarketplace{byID: map[string]adapters.OrderPage{"OD1": mended}})
		id := open(r, orderpull.CauseKey("ch", "OD1", "2", nil), `{}`)
		r.ord.stored = map[string][]string{"OD1": {"1"}}
		stale := &staleOrders{r.ord}
		r.p.Orders = stale
		if _, err := r.p.Retry(ctx, id, "ops"); err == nil || !strings.Contains(err.Error(), "still not one of its lines") {
			t.Fatalf("retry: %v", err)
		}
	})
	t.Run("from the normalised payload", func(t *testing.T) {
		r := newRig(payloadOnly{read: func([]byte) (adapters.OrderPage, error) { return adapters.OrderPage{}, errors.New("not used") }})
		b, _ := json.Marshal(map[string]any{"normalised_order": incoming("GEMC-1", t2, "1")})
		id := open(r, orderpull.CauseKey("ch", "GEMC-1", "", nil), string(b))
		res, err := r.p.Retry(ctx, id, "ops")
		if err != nil || res.Source != orderpull.FromPayload || res.Summary.Created != 1 || r.ord.ingested[0].ChannelID != "ch" {
			t.Fatalf("retry: %+v %v", res, err)
		}
	})
	t.Run("from the raw payload", func(t *testing.T) {
		r := newRig(payloadOnly{read: func(b []byte) (adapters.OrderPage, error) {
			return adapters.OrderPage{Orders: []orders.Incoming{incoming("X9", t2, "1")}}, nil
		}})
		id := open(r, orderpull.CauseKey("ch", "", "", []byte(`[1]`)), `[1]`)
		if res, err := r.p.Retry(ctx, id, "ops"); err != nil || res.Summary.Orders != 1 {
			t.Fatalf("retry: %+v %v", res, err)
		}
	})
	t.Run("refused by ingestion", func(t *testing.T) {
		r := newRig(&fakeMarketplace{byID: map[string]adapters.OrderPage{"OD1": mended}})
		r.ord.refuse = apperr.FieldErrors{"lines.sku": "is required"}.Err()
		id := open(r, orderpull.CauseKey("ch", "OD1", "", nil), `{}`)
		var ae *apperr.Error
		if _, err := r.p.Retry(ctx, id, "ops"); !errors.As(err, &ae) || ae.Code != apperr.Unprocessable || !strings.Contains(ae.Message, "lines.sku") {
			t.Fatalf("retry: %v", err)
		}
		r.ord.refuse = errors.New("connection reset")
		if _, err := r.p.Retry(ctx, id, "ops"); err == nil || apperr.CodeOf(err) != apperr.Internal {
			t.Fatalf("an internal failure: %v", err)
		}
		if e := r.ex.only(t); e.Status != "open" || !strings.Contains(e.Detail, "connection reset") {
			t.Fatalf("exception %+v", e)
		}
	})
	t.Run("not retryable", func(t *testing.T) {
		r := newRig(&fakeMarketplace{})
		other := open(r, "fulfilled_elsewhere:01J", `{}`)
		if _, err := r.p.Retry(ctx, other, "ops"); !apperr.Is(err, apperr.PreconditionFailed) {
			t.Fatalf("retry of another missed_order: %v", err)
		}
		r.ex.byKey["x"] = &exceptions.Exception{ID: "EX-x", Kind: exceptions.Oversold, Status: "open", CauseKey: "x"}
		if _, err := r.p.Retry(ctx, "EX-x", "ops"); !apperr.Is(err, apperr.Conflict) {
			t.Fatalf("retry of an oversold exception: %v", err)
		}
		if _, err := r.p.Retry(ctx, "EX-none", "ops"); !apperr.Is(err, apperr.NotFound) {
			t.Fatalf("retry of no exception: %v", err)
		}
	})
}

// staleOrders takes nothing new in, as a store judging the update stale.
type staleOrders struct{ *fakeOrders }

func (s *staleOrders) Ingest(_ context.Context, in orders.Incoming) (orders.Result, error) {
	return orders.Result{OrderID: in.ExternalOrderID, Stale: true}, nil
}
