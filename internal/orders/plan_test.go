package orders

import (
	"slices"
	"testing"
	"time"

	"github.com/jkhhc/artisanbridge/internal/apperr"
)

var t0 = time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)

func at(min int) time.Time { return t0.Add(time.Duration(min) * time.Minute) }

func stored(id string, st LineStatus, mst string, updated time.Time, held bool) StoredLine {
	return StoredLine{ID: "L" + id, ExternalLineID: id, Status: st, MarketplaceStatus: mst, MarketplaceUpdatedAt: updated, Held: held}
}

func kinds(as []LineAction) []ActionKind {
	out := make([]ActionKind, len(as))
	for i, a := range as {
		out[i] = a.Kind
	}
	return out
}

func TestPlan(t *testing.T) {
	cases := []struct {
		name   string
		snap   Snapshot
		in     Incoming
		want   []ActionKind
		wantTo []LineStatus
	}{
		{
			name: "a new order is routed line by line; an unknown SKU waits",
			snap: Snapshot{Mapped: map[string]bool{"SKU-A": true}},
			in: Incoming{Status: StatusOpen, UpdatedAt: at(0), Lines: []IncomingLine{
				{ExternalLineID: "1", SKU: "SKU-A", Quantity: 1}, {ExternalLineID: "2", SKU: "SKU-X", Quantity: 1}}},
			want:   []ActionKind{ActInsertRoute, ActInsertAwaiting},
			wantTo: []LineStatus{LineReserved, LineAwaitingMapping},
		},
		{
			name: "a new line already cancelled holds nothing, mapped or not",
			snap: Snapshot{Mapped: map[string]bool{"SKU-A": true}},
			in: Incoming{Status: StatusOpen, UpdatedAt: at(0), Lines: []IncomingLine{
				{ExternalLineID: "1", SKU: "SKU-A", Status: StatusCancelled}, {ExternalLineID: "2", SKU: "SKU-X", Status: StatusCancelled}}},
			want:   []ActionKind{ActInsertCancelled, ActInsertCancelled},
			wantTo: []LineStatus{LineCancelled, LineCancelled},
		},
		{
			name: "first seen past dispatch: fulfilled elsewhere",
			snap: Snapshot{Mapped: map[string]bool{"SKU-A": true}},
			in: Incoming{Status: StatusDelivered, UpdatedAt: at(0), Lines: []IncomingLine{
				{ExternalLineID: "1", SKU: "SKU-A"}, {ExternalLineID: "2", SKU: "SKU-A", Status: StatusShipped}}},
			want:   []ActionKind{ActInsertElsewhere, ActInsertElsewhere},
			wantTo: []LineStatus{LineDelivered, LineShipped},
		},
		{
			name: "one item of a two-item shipment cancelled: only that line is released",
			snap: Snapshot{Lines: map[string]StoredLine{
				"1": stored("1", LineReserved, StatusOpen, at(0), true), "2": stored("2", LineReserved, StatusOpen, at(0), true)}},
			in: Incoming{Status: StatusOpen, UpdatedAt: at(5), Lines: []IncomingLine{
				{ExternalLineID: "1", Status: StatusCancelled, UpdatedAt: at(5)}, {ExternalLineID: "2", Status: StatusOpen, UpdatedAt: at(0)}}},
			want:   []ActionKind{ActRelease, ActStale},
			wantTo: []LineStatus{LineCancelled, LineReserved},
		},
		{
			name: "an item cancelled earlier than another item's later update is still applied",
			snap: Snapshot{Lines: map[string]StoredLine{
				"1": stored("1", LineReserved, StatusOpen, at(0), true), "2": stored("2", LineShipped, StatusShipped, at(10), false)}},
			in: Incoming{Status: StatusShipped, UpdatedAt: at(10), Lines: []IncomingLine{
				{ExternalLineID: "1", Status: StatusCancelled, UpdatedAt: at(3)}, {ExternalLineID: "2", Status: StatusShipped, UpdatedAt: at(10)}}},
			want:   []ActionKind{ActRelease, ActStale},
			wantTo: []LineStatus{LineCancelled, LineShipped},
		},
		{
			name: "an older report of a line changes nothing",
			snap: Snapshot{Lines: map[string]StoredLine{"1": stored("1", LineCancelled, StatusCancelled, at(5), false)}},
			in:   Incoming{Status: StatusOpen, UpdatedAt: at(1), Lines: []IncomingLine{{ExternalLineID: "1"}}},
			want: []ActionKind{ActStale}, wantTo: []LineStatus{LineCancelled},
		},
		{
			name: "the same time moves a line on, never back",
			snap: Snapshot{Lines: map[string]StoredLine{
				"1": stored("1", LineReserved, StatusOpen, at(5), true), "2": stored("2", LineShipped, StatusShipped, at(5), false)}},
			in: Incoming{Status: StatusShipped, UpdatedAt: at(5), Lines: []IncomingLine{
				{ExternalLineID: "1", Status: StatusShipped}, {ExternalLineID: "2", Status: StatusOpen}}},
			want:   []ActionKind{ActShip, ActStale},
			wantTo: []LineStatus{LineShipped, LineShipped},
		},
		{
			name: "shipped by the marketplace: held units leave; an oversold line left from elsewhere",
			snap: Snapshot{Lines: map[string]StoredLine{
				"1": stored("1", LineReserved, StatusOpen, at(0), true), "2": stored("2", LineOversold, StatusOpen, at(0), false)}},
			in:     Incoming{Status: StatusShipped, UpdatedAt: at(5), Lines: []IncomingLine{{ExternalLineID: "1"}, {ExternalLineID: "2"}}},
			want:   []ActionKind{ActShip, ActShipUnheld},
			wantTo: []LineStatus{LineShipped, LineShipped},
		},
		{
			name:   "delivered: a shipped line is delivered, a reserved one ships first",
			snap:   Snapshot{Lines: map[string]StoredLine{"1": stored("1", LineShipped, StatusShipped, at(0), false), "2": stored("2", LineReserved, StatusOpen, at(0), true)}},
			in:     Incoming{Status: StatusDelivered, UpdatedAt: at(5), Lines: []IncomingLine{{ExternalLineID: "1"}, {ExternalLineID: "2"}}},
			want:   []ActionKind{ActDeliver, ActShip, ActDeliver},
			wantTo: []LineStatus{LineDelivered, LineShipped, LineDelivered},
		},
		{
			name:   "returned after delivery",
			snap:   Snapshot{Lines: map[string]StoredLine{"1": stored("1", LineDelivered, StatusDelivered, at(0), false)}},
			in:     Incoming{Status: StatusReturned, UpdatedAt: at(5), Lines: []IncomingLine{{ExternalLineID: "1"}}},
			want:   []ActionKind{ActReturn},
			wantTo: []LineStatus{LineReturned},
		},
		{
			name:   "cancelled after dispatch: the parcel comes back as a return, nothing is released",
			snap:   Snapshot{Lines: map[string]StoredLine{"1": stored("1", LineShipped, StatusShipped, at(0), false)}},
			in:     Incoming{Status: StatusCancelled, UpdatedAt: at(5), Lines: []IncomingLine{{ExternalLineID: "1"}}},
			want:   []ActionKind{ActRecord},
			wantTo: []LineStatus{LineShipped},
		},
		{
			name:   "a cancelled line is never revived",
			snap:   Snapshot{Lines: map[string]StoredLine{"1": stored("1", LineCancelled, StatusCancelled, at(0), false)}},
			in:     Incoming{Status: StatusOpen, UpdatedAt: at(5), Lines: []IncomingLine{{ExternalLineID: "1"}}},
			want:   []ActionKind{ActRecord},
			wantTo: []LineStatus{LineCancelled},
		},
		{
			name:   "an unmapped line cancelled by the buyer is released",
			snap:   Snapshot{Lines: map[string]StoredLine{"1": stored("1", LineAwaitingMapping, StatusOpen, at(0), false)}},
			in:     Incoming{Status: StatusCancelled, UpdatedAt: at(5), Lines: []IncomingLine{{ExternalLineID: "1"}}},
			want:   []ActionKind{ActRelease},
			wantTo: []LineStatus{LineCancelled},
		},
		{
			name: "a new line of a known order is routed beside the stored one",
			snap: Snapshot{Lines: map[string]StoredLine{"1": stored("1", LineReserved, StatusOpen, at(0), true)}, Mapped: map[string]bool{"B": true}},
			in: Incoming{Status: StatusOpen, UpdatedAt: at(5), Lines: []IncomingLine{
				{ExternalLineID: "1", UpdatedAt: at(0)}, {ExternalLineID: "2", SKU: "B"}}},
			want:   []ActionKind{ActStale, ActInsertRoute},
			wantTo: []LineStatus{LineReserved, LineReserved},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := Plan(tc.snap, tc.in)
			if !slices.Equal(kinds(got), tc.want) {
				t.Fatalf("actions %v, want %v", kinds(got), tc.want)
			}
			for i, a := range got {
				if a.To != tc.wantTo[i] {
					t.Errorf("action %d (%s) to %s, want %s", i, a.Kind, a.To, tc.wantTo[i])
				}
				if a.Line.Status == "" || a.Line.UpdatedAt.IsZero() {
					t.Errorf("action %d carries no effective status or time: %+v", i, a.Line)
				}
			}
		})
	}
}

func TestOrderStatus(t *testing.T) {
	for _, tc := range []struct {
		lines []LineStatus
		want  string
	}{
		{nil, StatusOpen},
		{[]LineStatus{LineReserved, LineCancelled}, StatusOpen},
		{[]LineStatus{LineCancelled, LineCancelled}, StatusCancelled},
		{[]LineStatus{LineReserved, LineAwaitingMapping}, StatusAwaitingMapping},
		{[]LineStatus{LineShipped, LineCancelled}, StatusShipped},
		{[]LineStatus{LineShipped, LineReserved}, StatusOpen},
		{[]LineStatus{LineDelivered, LineShipped}, StatusShipped},
		{[]LineStatus{LineDelivered, LineReturned}, StatusDelivered},
		{[]LineStatus{LineReturned, LineCancelled}, StatusReturned},
		{[]LineStatus{LineToMake, LineOversold}, StatusOpen},
	} {
		if got := OrderStatus(tc.lines); got != tc.want {
			t.Errorf("OrderStatus(%v) = %s, want %s", tc.lines, got, tc.want)
		}
	}
}

func TestCanCancel(t *testing.T) {
	for _, tc := range []struct {
		name   string
		status string
		lines  []CancelLine
		ok     bool
	}{
		{"nothing packed", StatusOpen, []CancelLine{{"1", LineReserved, "open"}, {"2", LineToMake, "acknowledged"}, {"3", LineOversold, ""}}, true},
		{"collected is still before packing", StatusOpen, []CancelLine{{"1", LineReserved, "collected"}}, true},
		{"packed", StatusOpen, []CancelLine{{"1", LineReserved, "open"}, {"2", LineReserved, "packed"}}, false},
		{"dispatched", StatusOpen, []CancelLine{{"1", LineShipped, "dispatched"}}, false},
		{"shipped by the marketplace without a task", StatusOpen, []CancelLine{{"1", LineShipped, ""}}, false},
		{"already cancelled", StatusCancelled, []CancelLine{{"1", LineCancelled, "cancelled"}}, false},
	} {
		err := CanCancel(tc.status, tc.lines)
		if (err == nil) != tc.ok {
			t.Errorf("%s: CanCancel = %v, want ok=%v", tc.name, err, tc.ok)
		}
		if err != nil && !apperr.Is(err, apperr.Conflict) {
			t.Errorf("%s: %v is not a conflict", tc.name, err)
		}
	}
}

func TestCheckReturn(t *testing.T) {
	for _, tc := range []struct {
		name string
		line ReturnLine
		qty  int64
		ok   bool
	}{
		{"all of a shipped line", ReturnLine{ID: "l", Status: LineShipped, HasProduct: true, Quantity: 2}, 2, true},
		{"the rest after a partial return", ReturnLine{ID: "l", Status: LineReturned, HasProduct: true, Quantity: 3, ReturnedQuantity: 1}, 2, true},
		{"more than shipped", ReturnLine{ID: "l", Status: LineDelivered, HasProduct: true, Quantity: 1}, 2, false},
		{"more than is left", ReturnLine{ID: "l", Status: LineReturned, HasProduct: true, Quantity: 1, ReturnedQuantity: 1}, 1, false},
		{"never shipped", ReturnLine{ID: "l", Status: LineReserved, HasProduct: true, Quantity: 1}, 1, false},
		{"no product", ReturnLine{ID: "l", Status: LineShipped, Quantity: 1}, 1, false},
	} {
		if err := CheckReturn(tc.line, tc.qty); (err == nil) != tc.ok {
			t.Errorf("%s: CheckReturn = %v, want ok=%v", tc.name, err, tc.ok)
		}
	}
}
