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
