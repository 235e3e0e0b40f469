package orders

import "time"

// PullResume is where an order pull that stopped before its last page
// (the marketplace's rate limit had no call free, or it read as many pages
// as one pull may) left off, kept with the channel's cursor so that the
// next pull carries on from the marketplace's next page instead of
// searching again from the cursor. Searching again from the cursor each
// time meant that a backlog of more pages than one pull gets was never
// read to its end. The zero value means no pull is under way.
type PullResume struct {
	// Token is the marketplace's next page; empty: nothing to resume.
	Token string
	// Since is where the interrupted pull's search began: the marketplace
	// pages are of that search, and a resumed walk asks the same.
	Since time.Time
	// Started is when the walk began: the cursor never passes it, so a
	// change made while the walk was under way is read again next time.
	Started time.Time
	// Newest is the newest change the walk took in so far.
	Newest time.Time
	// FailedAt is the oldest order the walk could not take in (zero:
	// none): the cursor stays before it.
	FailedAt time.Time
}
