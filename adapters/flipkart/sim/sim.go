// Package sim is a Flipkart Seller API simulator: the token endpoint and
// Listings v3 on their real paths and shapes, the 10-SKU batch limit,
// per-operation token buckets answering 429, and a /_sim/ control API for
// tests and the demo (API.md, "Marketplace simulators"). Faults are drawn
// from a seeded source, so a run can be replayed.
package sim

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jkhhc/artisanbridge/adapters"
	"github.com/jkhhc/artisanbridge/adapters/flipkart"
	"github.com/jkhhc/artisanbridge/adapters/simkit"
)

// Fixed simulator credentials (API.md).
const (
	AppID     = "sim-app"
	AppSecret = "sim-secret"
)

// Config tunes a simulator.
type Config struct {
	Limits   map[adapters.Operation]adapters.Limit // default flipkart.DefaultLimits
	Seed     uint64
	TokenTTL time.Duration // default 60 days, as Flipkart
	// Notifications says where order notifications go (none when its URL
	// is empty; SetNotifications or PUT /_sim/notifications change it).
	Notifications Notifications
	Now           func() time.Time
}

// Faults and Calls are the shared simulator controls.
type (
	Faults = simkit.Faults
	Calls  = simkit.Calls
)

type listing struct {
	SKU       string
	ProductID string
	MRP       int64
	Price     int64
	Status    string
	HSN       string
	GSTRateBP int64 // from tax_code (GST_5 is 500)
	Locations map[string]int64
}

// Sim is one simulated Flipkart seller account.
type Sim struct {
	cfg       Config
	kit       *simkit.Kit
	tokens    map[string]time.Time
	listings  map[string]*listing
	shipments map[string]*shipment // by order id
	orderSeq  int
	itemSeq   int
	// settled are the order items a settlement file has covered.
	settled       map[string]bool
	settlementSeq int
	mux           *http.ServeMux
	notes         *notifier
}

// New returns a simulator.
func New(cfg Config) *Sim {
	if cfg.Limits == nil {
		cfg.Limits = flipkart.DefaultLimits
	}
	if cfg.TokenTTL == 0 {
		cfg.TokenTTL = 60 * 24 * time.Hour
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	s := &Sim{cfg: cfg, kit: simkit.New(cfg.Limits, cfg.Seed, cfg.Now), tokens: map[string]time.Time{}, listings: map[string]*listing{},
		shipments: map[string]*shipment{}, settled: map[string]bool{}, notes: newNotifier(cfg.Seed)}
	s.kit.OnExpireTokens = func() { s.tokens = map[string]time.Time{} }
	m := http.NewServeMux()
	m.HandleFunc("GET /oauth-service/oauth/token", s.token)
	m.HandleFunc("POST /sellers/listings/v3", s.change(adapters.OpCreateListings, s.create))
	m.HandleFunc("POST /sellers/listings/v3/update", s.change(adapters.OpCreateListings, s.update))
	m.HandleFunc("POST /sellers/listings/v3/update/price", s.change(adapters.OpUpdatePrices, s.price))
	m.HandleFunc("POST /sellers/listings/v3/update/inventory", s.change(adapters.OpUpdateStock, s.inventory))
	m.HandleFunc("GET /sellers/listings/v3/{skus}", s.get)
	m.HandleFunc("POST /sellers/listings/v3/search", s.search)
	s.registerOrders(m)
	s.registerActions(m)
	s.registerNotifications(m)
	m.HandleFunc("GET /_sim/listings", s.simListings)
	m.HandleFunc("PUT /_sim/listings/{sku}", s.simEditListing)
	m.HandleFunc("DELETE /_sim/listings/{sku}", s.simDeleteListing)
	m.HandleFunc("POST /_sim/catalogue", s.catalogue)
	s.kit.Register(m, func(w http.ResponseWriter, status int, msg string) { apiError(w, status, status, msg) })
	s.mux = m
	if cfg.Notifications.URL != "" {
		s.SetNotifications(cfg.Notifications)
	}
	return s
}

func (s *Sim) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

var writeJSON = simkit.WriteJSON

// apiError is the shape of Flipkart's listing errors, used for whole-call
// refusals too (the docs show no other body for them).
func apiError(w http.ResponseWriter, status, code int, msg string) {
	writeJSON(w, status, map[string]any{"errors": []flipkart.ChangeError{{Severity: "ERROR", Code: code, Description: msg}}})
}

func (s *Sim) token(w http.ResponseWriter, r *http.Request) {
	s.kit.CountToken()
	id, secret, ok := r.BasicAuth()
	if !ok || id != AppID || secret != AppSecret {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "unauthorized", "error_description": "Bad credentials"})
		return
	}
	if r.URL.Query().Get("grant_type") != "client_credentials" || !strings.Contains(r.URL.Query().Get("scope"), "Seller_Api") {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_request", "error_description": "grant_type client_credentials and scope Seller_Api are required"})
		return
	}
	s.kit.Lock()
	b := make([]byte, 24)
	for i := range b {
		b[i] = byte(s.kit.Rand().Uint32())
	}
	tok := base64.RawURLEncoding.EncodeToString(b)
	s.tokens[tok] = s.kit.Now().Add(s.cfg.TokenTTL)
	s.kit.Unlock()
	writeJSON(w, http.StatusOK, flipkart.TokenResponse{AccessToken: tok, TokenType: "bearer",
		ExpiresIn: int64(s.cfg.TokenTTL / time.Second), Scope: "Seller_Api"})
}

// admit checks auth, the token bucket and injected faults; it writes the
// refusal itself and reports whether the call may go on.
func (s *Sim) admit(w http.ResponseWriter, r *http.Request, op adapters.Operation) bool {
	s.kit.Sleep()
	s.kit.Lock()
	defer s.kit.Unlock()
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	exp, known := s.tokens[tok]
	if !ok || !known || !s.kit.Now().Before(exp) {
		s.kit.Counter(op).Calls++
		apiError(w, http.StatusUnauthorized, 401, "invalid or expired access token")
		return false
	}
	switch s.kit.Admit(op) {
	case simkit.Throttle:
		w.Header().Set("Retry-After", "1")
		apiError(w, http.StatusTooManyRequests, 429, "request rate exceeded for "+string(op))
		return false
	case simkit.Fail5xx:
		apiError(w, http.StatusServiceUnavailable, 503, "service unavailable")
		return false
	}
	return true
}

var (
	fsnPattern = regexp.MustCompile(`^[A-Z0-9]{13,16}$`)
	hsnPattern = regexp.MustCompile(`^\d{4,8}$`)
)

// change handles the four batch calls: decode strictly, enforce the batch
// limit, apply fn per SKU, answer a ListingChangeResponse.
func (s *Sim) change(op adapters.Operation, fn func(sku string, raw json.RawMessage) flipkart.ChangeResult) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !s.admit(w, r, op) {
			return
		}
		var req map[string]json.RawMessage
		if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&req); err != nil {
			apiError(w, http.StatusBadRequest, 400, "malformed request body")
			return
		}
		if len(req) == 0 || len(req) > 10 {
			apiError(w, http.StatusBadRequest, 400, fmt.Sprintf("Max batch size allowed is 10, got %d", len(req)))
			return
		}
		s.kit.Lock()
		defer s.kit.Unlock()
		s.kit.Batch(op, len(req))
		out := map[string]flipkart.ChangeResult{}
		for sku, raw := range req {
			if s.kit.ItemFails() {
				out[sku] = fail(9999, "", "internal error for this SKU; retry")
				continue
			}
			out[sku] = fn(sku, raw)
		}
		writeJSON(w, http.StatusOK, out)
	}
}

func fail(code int, attr, msg string) flipkart.ChangeResult {
	e := flipkart.ChangeError{Severity: "ERROR", Code: code, Description: msg, Attribute: attr}
	if attr != "" {
		return flipkart.ChangeResult{Status: "FAILURE", AttributeErrors: []flipkart.ChangeError{e}}
	}
	return flipkart.ChangeResult{Status: "FAILURE", Errors: []flipkart.ChangeError{e}}
}

var ok = flipkart.ChangeResult{Status: "SUCCESS", Errors: []flipkart.ChangeError{}, AttributeErrors: []flipkart.ChangeError{}}

func strictDecode(raw json.RawMessage, v any) error {
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}

func (s *Sim) create(sku string, raw json.RawMessage) flipkart.ChangeResult {
	var req flipkart.ListingRequest
	if err := strictDecode(raw, &req); err != nil {
		return fail(1001, "", "malformed listing: "+err.Error())
	}
	if !fsnPattern.MatchString(req.ProductID) {
		return fail(1002, "product_id", "product_id must be the 13-16 character FSN")
	}
	if req.Price == nil || req.Price.SellingPrice <= 0 || req.Price.MRP <= 0 || req.Price.SellingPrice > req.Price.MRP {
		return fail(1003, "selling_price", "selling_price must be positive and not above mrp")
	}
	if req.Tax == nil || !hsnPattern.MatchString(req.Tax.HSN) {
		return fail(1004, "hsn", "hsn is mandatory")
	}
	l := &listing{SKU: sku, ProductID: req.ProductID, MRP: req.Price.MRP, Price: req.Price.SellingPrice,
		Status: strings.ToUpper(req.ListingStatus), HSN: req.Tax.HSN, Locations: map[string]int64{}}
	if rate, err := strconv.Atoi(strings.TrimPrefix(req.Tax.TaxCode, "GST_")); err == nil && rate >= 0 && rate <= 28 {
		l.GSTRateBP = int64(rate) * 100
	}
	if l.Status == "" {
		l.Status = "ACTIVE"
	}
	for _, loc := range req.Locations {
		if loc.Inventory < 0 {
			return fail(1005, "inventory", "inventory must not be negative")
		}
		l.Locations[loc.ID] = loc.Inventory
	}
	s.listings[sku] = l // create on an existing SKU overwrites it
	return ok
}

func (s *Sim) update(sku string, raw json.RawMessage) flipkart.ChangeResult {
	if _, exists := s.listings[sku]; !exists {
		return fail(flipkart.CodeListingNotFound, "", "listing not found for sku "+sku)
	}
	return s.create(sku, raw)
}

func (s *Sim) price(sku string, raw json.RawMessage) flipkart.ChangeResult {
	var req flipkart.PriceRequest
	if err := strictDecode(raw, &req); err != nil {
		return fail(1001, "", "malformed price update: "+err.Error())
	}
	l, exists := s.listings[sku]
	if !exists || l.ProductID != req.ProductID {
		return fail(flipkart.CodeListingNotFound, "", "listing not found for sku "+sku)
	}
	if req.Price.SellingPrice <= 0 || req.Price.SellingPrice > req.Price.MRP {
		return fail(1003, "selling_price", "selling_price must be positive and not above mrp")
	}
	l.MRP, l.Price = req.Price.MRP, req.Price.SellingPrice
	return ok
}

func (s *Sim) inventory(sku string, raw json.RawMessage) flipkart.ChangeResult {
	var req flipkart.InventoryRequest
	if err := strictDecode(raw, &req); err != nil {
		return fail(1001, "", "malformed inventory update: "+err.Error())
	}
	l, exists := s.listings[sku]
	if !exists || l.ProductID != req.ProductID {
		return fail(flipkart.CodeListingNotFound, "", "listing not found for sku "+sku)
	}
	if len(req.Locations) == 0 {
		return fail(1006, "locations", "at least one location is required")
	}
	for _, loc := range req.Locations {
		if loc.Inventory < 0 || loc.ID == "" {
			return fail(1005, "inventory", "inventory must be a non-negative number at a location id")
		}
	}
	for _, loc := range req.Locations {
		l.Locations[loc.ID] = loc.Inventory
	}
	return ok
}

func (s *Sim) get(w http.ResponseWriter, r *http.Request) {
	if !s.admit(w, r, adapters.OpGetListings) {
		return
	}
	skus := strings.Split(r.PathValue("skus"), ",")
	if len(skus) > 10 {
		apiError(w, http.StatusBadRequest, 400, "at most 10 SKUs")
		return
	}
	s.kit.Lock()
	defer s.kit.Unlock()
	resp := flipkart.GetResponse{Available: map[string]flipkart.ListingDetail{}, Unavailable: []string{}, Invalid: []string{}}
	for _, sku := range skus {
		l, exists := s.listings[sku]
		if !exists {
			resp.Unavailable = append(resp.Unavailable, sku)
			continue
		}
		resp.Available[sku] = flipkart.ListingDetail{ListingID: "LST" + l.ProductID, ProductID: l.ProductID,
			Price: flipkart.Price{MRP: l.MRP, SellingPrice: l.Price, Currency: "INR"}, Tax: flipkart.Tax{HSN: l.HSN},
			ListingStatus: l.Status, Locations: l.locationList()}
	}
	writeJSON(w, http.StatusOK, resp)
}

func (l *listing) locationList() []flipkart.Location {
	ids := make([]string, 0, len(l.Locations))
	for id := range l.Locations {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	out := make([]flipkart.Location, len(ids))
	for i, id := range ids {
		out[i] = flipkart.Location{ID: id, Status: "ENABLED", Inventory: l.Locations[id]}
	}
	return out
}

func (l *listing) quantity() int64 {
	var q int64
	for _, v := range l.Locations {
		q += v
	}
	return q
}

// SimListing is one item of GET /_sim/listings.
type SimListing = simkit.Listing

// Listings returns what the marketplace now holds, by SKU.
func (s *Sim) Listings() []SimListing {
	s.kit.Lock()
	defer s.kit.Unlock()
	out := make([]SimListing, 0, len(s.listings))
	for _, l := range s.listings {
		out = append(out, SimListing{SKU: l.SKU, PricePaise: l.Price * 100, Quantity: l.quantity(), Status: l.Status})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].SKU < out[j].SKU })
	return out
}

func (s *Sim) simListings(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"items": s.Listings()})
}

// simEditListing changes a listing as a seller-portal user would (drift).
func (s *Sim) simEditListing(w http.ResponseWriter, r *http.Request) {
	e, ok := simkit.DecodeEdit(r)
	if !ok {
		apiError(w, http.StatusBadRequest, 400, simkit.EditUsage)
		return
	}
	writeJSON(w, http.StatusOK, s.Drift(r.PathValue("sku"), e))
}

func (s *Sim) simDeleteListing(w http.ResponseWriter, r *http.Request) {
	if !s.Delete(r.PathValue("sku")) {
		apiError(w, http.StatusNotFound, 404, "no such listing")
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// Drift applies a seller-portal edit: the quantity (all at one portal
// location) or the selling price changes; an unknown SKU is created.
func (s *Sim) Drift(sku string, e simkit.Edit) SimListing {
	s.kit.Lock()
	defer s.kit.Unlock()
	l, exists := s.listings[sku]
	if !exists {
		l = &listing{SKU: sku, ProductID: "PORTAL" + strings.Repeat("0", 10), MRP: 1, Price: 1, Status: "ACTIVE", Locations: map[string]int64{}}
		s.listings[sku] = l
	}
	if e.Quantity != nil { // the portal edits the listing's first location's inventory
		where := "PORTAL"
		if locs := l.locationList(); len(locs) > 0 {
			where = locs[0].ID
		}
		l.Locations = map[string]int64{where: *e.Quantity}
	}
	if e.PricePaise != nil {
		l.Price = *e.PricePaise / 100
		l.MRP = max(l.MRP, l.Price)
	}
	return SimListing{SKU: l.SKU, PricePaise: l.Price * 100, Quantity: l.quantity(), Status: l.Status}
}

// Delete removes a listing as if ended in the seller portal.
func (s *Sim) Delete(sku string) bool {
	s.kit.Lock()
	defer s.kit.Unlock()
	_, ok := s.listings[sku]
	delete(s.listings, sku)
	return ok
}

// SetFaults replaces the injected faults.
func (s *Sim) SetFaults(f Faults) { s.kit.SetFaults(f) }

// CallCounts returns the calls per operation.
func (s *Sim) CallCounts() map[string]Calls { return s.kit.CallCounts() }
