// Package simkit is what every marketplace simulator shares: per-operation
// token buckets, injected faults drawn from a seeded source (so a run can
// be replayed), call counters, and the /_sim/faults and /_sim/calls
// control endpoints (API.md, "Marketplace simulators").
package simkit

import (
	"encoding/json"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"sync"
	"time"

	"github.com/jkhhc/artisanbridge/adapters"
)

// Faults are injected into answers (POST /_sim/faults).
type Faults struct {
	Rate429         float64 `json:"rate_429"`
	Rate5xx         float64 `json:"rate_5xx"`
	LatencyMS       int     `json:"latency_ms"`
	RepeatPages     bool    `json:"repeat_pages"`
	RateItemFailure float64 `json:"rate_item_failure"`
	ExpireTokens    bool    `json:"expire_tokens"`
	// CorruptItems makes the next n order items placed unreadable on the
	// wire (a quantity no marketplace sends) for as long as the fault
	// stands; setting the faults again without it mends them.
	CorruptItems int `json:"corrupt_items"`
	// LateIndexed makes the next n orders placed late to show in searches:
	// a search by change time starting less than LateIndexLag before an
	// order's change does not find it (an incremental pull misses it),
	// a wider one (a reconciliation's window) does.
	LateIndexed int `json:"late_indexed"`
}

// LateIndexLag is how far back a search must start to find a late-indexed
// order.
const LateIndexLag = time.Hour

// Calls counts what one operation saw (GET /_sim/calls).
type Calls struct {
	Calls      int `json:"calls"`
	Throttled  int `json:"throttled"`
	Items      int `json:"items"`
	MaxBatch   int `json:"max_batch"`
	Failures5x int `json:"failures_5xx"`
}

type bucket struct {
	tokens float64
	last   time.Time
}

// Kit holds one simulator's limits, faults, counters and random source.
// Its mutex also guards the simulator's own state (Lock/Unlock).
type Kit struct {
	sync.Mutex
	limits  map[adapters.Operation]adapters.Limit
	now     func() time.Time
	rnd     *rand.Rand
	faults  Faults
	calls   map[string]*Calls
	buckets map[string]*bucket
	// OnExpireTokens runs (under the lock) when a test asks for tokens to expire.
	OnExpireTokens func()
	corruptLeft    int
	corrupt        map[string]bool
	lateLeft       int
	// Images fetches and records the picture URLs sellers send.
	Images *Images
}

// TickAfter is the clock for one order's changes: whole seconds, as
// marketplaces' last-update times are, and strictly after that order's
// previous change (prev; zero for a new order), so that a later change is
// never taken for a repeat. Orders changed in the same second share it, as
// on a marketplace: one strictly increasing clock for every order ran
// ahead of the wall clock at more than one change a second (two a second
// for eight minutes put it four minutes ahead, past a search's end).
func (k *Kit) TickAfter(prev time.Time) time.Time {
	now := k.now().UTC().Truncate(time.Second)
	if !now.After(prev) {
		now = prev.UTC().Truncate(time.Second).Add(time.Second)
	}
	return now
}

// New returns a kit; now may be nil.
func New(limits map[adapters.Operation]adapters.Limit, seed uint64, now func() time.Time) *Kit {
	if now == nil {
		now = time.Now
	}
	return &Kit{limits: limits, now: now, rnd: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
		calls: map[string]*Calls{}, buckets: map[string]*bucket{}, Images: newImages(now)}
}

// Now is the simulator's clock.
func (k *Kit) Now() time.Time { return k.now() }

// Rand returns the seeded source; callers hold the lock.
func (k *Kit) Rand() *rand.Rand { return k.rnd }

// Verdict is what Admit decided about a call.
type Verdict int

const (
	Proceed Verdict = iota
	Throttle
	Fail5xx
)

// Sleep applies injected latency; call it without holding the lock.
func (k *Kit) Sleep() {
	k.Lock()
	ms := k.faults.LatencyMS
	k.Unlock()
	if ms > 0 {
		time.Sleep(time.Duration(ms) * time.Millisecond)
	}
}

// Admit counts a call of op and decides, from the op's token bucket and
// the injected faults, whether it proceeds. Callers hold the lock.
func (k *Kit) Admit(op adapters.Operation) Verdict {
	c := k.Counter(op)
	c.Calls++
	if !k.take(op) || k.rnd.Float64() < k.faults.Rate429 {
		c.Throttled++
		return Throttle
	}
	if k.rnd.Float64() < k.faults.Rate5xx {
		c.Failures5x++
		return Fail5xx
	}
	return Proceed
}

// RepeatPage draws whether a page is answered again (repeat_pages: a third
// of the time when on).
func (k *Kit) RepeatPage() bool { return k.faults.RepeatPages && k.rnd.Float64() < 0.34 }

// Placed tells the kit of an order item just placed: while corrupt_items
// has some left, the item is one of them. Callers hold the lock.
func (k *Kit) Placed(itemID string) {
	if k.corruptLeft <= 0 {
		return
	}
	if k.corrupt == nil {
		k.corrupt = map[string]bool{}
	}
	k.corrupt[itemID] = true
	k.corruptLeft--
}

// TakeLate reports whether the order being placed is indexed late
// (late_indexed). Callers hold the lock.
func (k *Kit) TakeLate() bool {
	if k.lateLeft <= 0 {
		return false
	}
	k.lateLeft--
	return true
}

// Corrupt reports whether an item is served unreadable (corrupt_items).
// Callers hold the lock.
func (k *Kit) Corrupt(itemID string) bool { return k.corrupt[itemID] }

// ItemFails draws whether one item of a batch fails (rate_item_failure).
func (k *Kit) ItemFails() bool { return k.rnd.Float64() < k.faults.RateItemFailure }

// OpToken counts the token endpoint's calls (GET /_sim/calls shows them
// as "token"), so tests can tell how often a client fetched a token.
const OpToken adapters.Operation = "token"

// CountToken counts one call of the token endpoint.
func (k *Kit) CountToken() {
	k.Lock()
	defer k.Unlock()
	k.Counter(OpToken).Calls++
}

// Counter returns op's counters; callers hold the lock.
func (k *Kit) Counter(op adapters.Operation) *Calls {
	c := k.calls[string(op)]
	if c == nil {
		c = &Calls{}
		k.calls[string(op)] = c
	}
	return c
}

// Batch records a call's item count.
func (k *Kit) Batch(op adapters.Operation, n int) {
	c := k.Counter(op)
	c.Items += n
	c.MaxBatch = max(c.MaxBatch, n)
}

func (k *Kit) take(op adapters.Operation) bool {
	l, ok := k.limits[op]
	if !ok || l.Rate <= 0 {
		return true
	}
	now := k.now()
	b := k.buckets[string(op)]
	burst := float64(max(l.Burst, 1))
	if b == nil {
		b = &bucket{tokens: burst, last: now}
		k.buckets[string(op)] = b
	}
	b.tokens = math.Min(burst, b.tokens+now.Sub(b.last).Seconds()*l.Rate)
	b.last = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

// Limit returns op's configured limit.
func (k *Kit) Limit(op adapters.Operation) adapters.Limit { return k.limits[op] }

// SetFaults replaces the injected faults.
func (k *Kit) SetFaults(f Faults) {
	k.Lock()
	defer k.Unlock()
	k.faults = f
	k.corruptLeft = f.CorruptItems
	k.lateLeft = f.LateIndexed
	if f.CorruptItems == 0 {
		k.corrupt = nil
	}
	if f.ExpireTokens && k.OnExpireTokens != nil {
		k.OnExpireTokens()
	}
	k.faults.ExpireTokens = false
}

// CallCounts returns a copy of the counters.
func (k *Kit) CallCounts() map[string]Calls {
	k.Lock()
	defer k.Unlock()
	out := map[string]Calls{}
	for name, c := range k.calls {
		out[name] = *c
	}
	return out
}

// WriteJSON answers v with status.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// Register adds POST /_sim/faults and GET /_sim/calls to mux; refuse writes
// a refusal in the marketplace's own error shape.
func (k *Kit) Register(mux *http.ServeMux, refuse func(w http.ResponseWriter, status int, msg string)) {
	mux.HandleFunc("POST /_sim/faults", func(w http.ResponseWriter, r *http.Request) {
		var f Faults
		dec := json.NewDecoder(io.LimitReader(r.Body, 1<<16))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&f); err != nil || f.Rate429 < 0 || f.Rate429 > 1 || f.Rate5xx < 0 || f.Rate5xx > 1 ||
			f.RateItemFailure < 0 || f.RateItemFailure > 1 || f.LatencyMS < 0 || f.LatencyMS > 120000 || f.CorruptItems < 0 || f.CorruptItems > 1000 {
			refuse(w, http.StatusBadRequest, "faults: rates between 0 and 1, latency_ms between 0 and 120000, corrupt_items between 0 and 1000")
			return
		}
		k.SetFaults(f)
		WriteJSON(w, http.StatusOK, f)
	})
	mux.HandleFunc("GET /_sim/calls", func(w http.ResponseWriter, r *http.Request) {
		WriteJSON(w, http.StatusOK, k.CallCounts())
	})
	mux.HandleFunc("GET /_sim/images", func(w http.ResponseWriter, r *http.Request) {
		WriteJSON(w, http.StatusOK, map[string]any{"items": k.Images.Fetched()})
	})
}

// Listing is one item of GET /_sim/listings.
type Listing struct {
	SKU        string `json:"sku"`
	PricePaise int64  `json:"price_paise"`
	Quantity   int64  `json:"quantity"`
	Status     string `json:"status"`
	// ExternalID is the marketplace's own id for the listing (Amazon's
	// ASIN), where the simulator gives one.
	ExternalID string `json:"external_id,omitempty"`
}

// DecodeQuantity reads PUT /_sim/listings/{sku} {"quantity": n}.
func DecodeQuantity(r *http.Request) (int64, bool) {
	var body struct {
		Quantity *int64 `json:"quantity"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<16)).Decode(&body); err != nil || body.Quantity == nil || *body.Quantity < 0 {
		return 0, false
	}
	return *body.Quantity, true
}

// Edit is a seller-portal user's change of a listing, injected as drift
// (PUT /_sim/listings/{sku} {"quantity", "price_paise"}): what it names
// changes. A SKU the marketplace does not hold is created (a listing made
// in the portal, unknown to artisanbridge).
type Edit struct {
	Quantity   *int64 `json:"quantity"`
	PricePaise *int64 `json:"price_paise"`
}

// DecodeEdit reads an Edit; it names at least one field, none negative,
// and a price in whole rupees (every marketplace here takes them).
func DecodeEdit(r *http.Request) (Edit, bool) {
	var e Edit
	dec := json.NewDecoder(io.LimitReader(r.Body, 1<<16))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&e); err != nil || (e.Quantity == nil && e.PricePaise == nil) ||
		(e.Quantity != nil && *e.Quantity < 0) || (e.PricePaise != nil && (*e.PricePaise <= 0 || *e.PricePaise%100 != 0)) {
		return Edit{}, false
	}
	return e, true
}

// EditUsage is the refusal text of a bad edit.
const EditUsage = `body must be {"quantity": n, "price_paise": p} naming at least one, n >= 0 and p > 0 in whole rupees`

// OrderItem is one item a simulated buyer orders.
type OrderItem struct {
	SKU      string `json:"sku"`
	Quantity int64  `json:"quantity"`
}

// MaxOrderItems bounds one simulated order.
const MaxOrderItems = 50

// DecodeOrder reads POST /_sim/orders: {"sku","quantity"} for one item or
// {"items":[{"sku","quantity"}, ...]} for several in one order.
func DecodeOrder(r *http.Request) ([]OrderItem, bool) {
	var body struct {
		OrderItem
		Items []OrderItem `json:"items"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<16)).Decode(&body); err != nil {
		return nil, false
	}
	items := body.Items
	if len(items) == 0 {
		items = []OrderItem{body.OrderItem}
	} else if body.SKU != "" || body.Quantity != 0 {
		return nil, false
	}
	if len(items) > MaxOrderItems {
		return nil, false
	}
	for _, it := range items {
		if it.SKU == "" || it.Quantity <= 0 {
			return nil, false
		}
	}
	return items, true
}
