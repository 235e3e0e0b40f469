package listing

import "time"

// ShouldBeHeld says whether the marketplace should hold a listing now: it
// was pushed whole and taken (live). A listing refused, paused, waiting for
// its first push or for an upload is not looked for: its next push says
// what becomes of it.
func ShouldBeHeld(it SyncItem) bool {
	return it.PushedContent != "" && it.Listing.Status == StatusLive
}

// PresenceShare is the part of a marketplace's read limit the presence
// checks may use (a quarter), so that reconciliations and people's reads
// keep the rest.
const PresenceShare = 4

// PresencePeriod is how often a channel's listings are looked for on the
// marketplace: as often as the sweep runs (floor), but never so often that
// reading all listings, perCall a call at callsPerSecond, takes more than
// a quarter of the read limit. A small catalogue is checked every sweep; a
// 100,000-listing Flipkart channel (10 a call, 5 calls/s) every 2 h 13 min.
func PresencePeriod(listings int64, perCall int, callsPerSecond float64, floor time.Duration) time.Duration {
	if perCall <= 0 {
		perCall = 1
	}
	if callsPerSecond <= 0 {
		return floor
	}
	calls := (listings + int64(perCall) - 1) / int64(perCall)
	pass := time.Duration(float64(calls) / callsPerSecond * float64(time.Second))
	return max(floor, pass*PresenceShare)
}

// PresenceSlice is how long one page of a presence check may keep a
// channel's sync from its pushes: a check reads between the pushes, a
// page at a time, and stops when something changed meanwhile, so a stock
// change waits at most about this long behind it (a whole page of 100
// Amazon reads, one SKU a call at 5 a second, held pushes for 20 s).
const PresenceSlice = 500 * time.Millisecond

// PresencePage is how many listings one page of a presence check looks
// for: what the marketplace's read limit answers within slice (at least
// one call's worth), at most 100; with no rate known, 100.
func PresencePage(perCall int, callsPerSecond float64, slice time.Duration) int {
	const most = 100
	if perCall <= 0 {
		perCall = 1
	}
	if callsPerSecond <= 0 {
		return most
	}
	calls := int(callsPerSecond * slice.Seconds())
	return min(most, max(perCall, calls*perCall))
}
