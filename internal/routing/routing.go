// Package routing decides where an order line's units come from: the
// channel's own shelves (a pick), the maker's home (a collect, the
// corporation's pickup), or the maker's loom for a made-to-order piece (a
// make). The decision is a list of candidate sources in order; the store
// tries a conditional reservation on each in turn, so the database, not Go,
// decides which one still has the units.
package routing

import "time"

// Kind is where a line's units come from.
type Kind string

const (
	Pick    Kind = "pick"    // from a showroom or warehouse shelf the channel sells from
	Collect Kind = "collect" // from the maker's home, fetched by the corporation
	Make    Kind = "make"    // made to order by the maker
)

// Line is what routing needs of an order line.
type Line struct {
	Quantity   int64
	DispatchBy *time.Time
}

// Places are the locations a line may come from.
type Places struct {
	// Shelves are the channel's selling locations that hold stock (not an
	// artisan's home), the channel's dispatch location first.
	Shelves []string
	// Homes are the locations of kind artisan belonging to the product's
	// maker: stock at an artisan's home serves only that artisan's pieces.
	Homes []string
}

// Source is one candidate: reserve the units at LocationID (when Reserve),
// then bring the piece to Destination by Due.
type Source struct {
	Kind        Kind
	LocationID  string
	Destination string
	Due         *time.Time
	// Reserve says the units must be held by a conditional reservation at
	// LocationID for this source to serve; a make reserves nothing until
	// the piece is brought in.
	Reserve bool
}

// Candidates lists a line's sources in the order they are tried: every
// shelf (the dispatch location first), then every home of the maker, then
// the loom if the piece is made to order. A channel that sells from no
// shelf has nowhere to dispatch from, so nothing routes (the line is
// oversold and an exception says what to do).
func Candidates(l Line, madeToOrder bool, p Places, now time.Time) []Source {
	if len(p.Shelves) == 0 {
		return nil
	}
	dispatch := p.Shelves[0]
	out := make([]Source, 0, len(p.Shelves)+len(p.Homes)+1)
	for _, s := range p.Shelves {
		out = append(out, Source{Kind: Pick, LocationID: s, Destination: s, Due: l.DispatchBy, Reserve: true})
	}
	for _, h := range p.Homes {
		out = append(out, Source{Kind: Collect, LocationID: h, Destination: dispatch, Due: CollectDue(l.DispatchBy, now), Reserve: true})
	}
	if madeToOrder {
		out = append(out, Source{Kind: Make, LocationID: dispatch, Destination: dispatch, Due: l.DispatchBy})
	}
	return out
}

// CollectDue leaves a day between the pickup from the artisan and the
// marketplace's dispatch deadline when there is time for it, half the time
// left otherwise; no deadline, no due date.
func CollectDue(dispatchBy *time.Time, now time.Time) *time.Time {
	if dispatchBy == nil {
		return nil
	}
	due := dispatchBy.Add(-24 * time.Hour)
	if !due.After(now) {
		due = now.Add(dispatchBy.Sub(now) / 2)
	}
	return &due
}
