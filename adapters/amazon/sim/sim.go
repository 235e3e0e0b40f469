// Package sim is an Amazon Selling Partner API simulator for Amazon.in:
// Login with Amazon's token endpoint and the Listings Items API 2021-08-01
// on their real paths and shapes, the usage plans of Amazon's model as
// token buckets answering 429 QuotaExceeded, and the /_sim/ control API.
package sim

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jkhhc/artisanbridge/adapters"
	"github.com/jkhhc/artisanbridge/adapters/amazon"
	"github.com/jkhhc/artisanbridge/adapters/simkit"
)

// Fixed simulator credentials (API.md).
const (
	ClientID     = "sim-client"
	ClientSecret = "sim-secret"
	RefreshToken = "sim-refresh"
	SellerID     = "SIMSELLER"
)

// Config tunes a simulator.
type Config struct {
	Limits   map[adapters.Operation]adapters.Limit // default amazon.DefaultLimits
	Seed     uint64
	TokenTTL time.Duration // default one hour, as Login with Amazon
	Now      func() time.Time
	// GSTRateBP is the GST rate of the account's listings (set per listing
	// in Seller Central); settlements compute TCS and TDS net of it.
	// Default 500 (5%, most handicrafts).
	GSTRateBP int64
}

func (c Config) gst() int64 {
	if c.GSTRateBP == 0 {
		return 500
	}
	return c.GSTRateBP
}

type item struct {
	SKU, ASIN, ProductType, Title  string
	PricePaise, MRPPaise, Quantity int64
	Created, Updated               time.Time
}

// Sim is one simulated Amazon.in seller account.
type Sim struct {
	cfg    Config
	kit    *simkit.Kit
	tokens map[string]time.Time
	items  map[string]*item
	docs   map[string]*document
	feeds  map[string]*feed
	orders map[string]*simOrder
	// settled are the order items a settlement report has covered.
	settled       map[string]bool
	reports       []amazon.Report
	requested     map[string]*requested
	settlementSeq int
	seq           int
	mux           *http.ServeMux
}

// New returns a simulator.
func New(cfg Config) *Sim {
	if cfg.Limits == nil {
		cfg.Limits = map[adapters.Operation]adapters.Limit{}
		for op, l := range amazon.DefaultLimits {
			cfg.Limits[op] = l
		}
		for op, l := range amazon.FeedLimits {
			cfg.Limits[op] = l
		}
		cfg.Limits[amazon.OpSearchOrders] = adapters.Limit{Rate: 0.0056, Burst: 20}
		cfg.Limits[amazon.OpGetOrder] = amazon.GetOrderLimit
		cfg.Limits[amazon.OpConfirmShipment] = amazon.ConfirmShipmentLimit
		for op, l := range amazon.ReportLimits {
			cfg.Limits[op] = l
		}
	}
	if cfg.TokenTTL == 0 {
		cfg.TokenTTL = time.Hour
	}
	s := &Sim{cfg: cfg, kit: simkit.New(cfg.Limits, cfg.Seed, cfg.Now), tokens: map[string]time.Time{}, items: map[string]*item{},
		docs: map[string]*document{}, feeds: map[string]*feed{}, orders: map[string]*simOrder{}, settled: map[string]bool{}}
	s.kit.OnExpireTokens = func() { s.tokens = map[string]time.Time{} }
	m := http.NewServeMux()
	m.HandleFunc("POST /auth/o2/token", s.token)
	const p = "/listings/2021-08-01/items/{sellerId}/{sku}"
	m.HandleFunc("PUT "+p, s.api(adapters.OpCreateListings, s.put))
	// One usage plan for patchListingsItem, whether it patches price or stock.
	m.HandleFunc("PATCH "+p, s.api(adapters.OpUpdateStock, s.patch))
	m.HandleFunc("GET "+p, s.api(adapters.OpGetListings, s.get))
	m.HandleFunc("GET /listings/2021-08-01/items/{sellerId}", s.api(amazon.OpSearchListings, s.search))
	s.registerFeeds(m)
	s.registerOrders(m)
	s.registerReports(m)
	s.registerRequestedReports(m)
	m.HandleFunc("GET /_sim/listings", func(w http.ResponseWriter, r *http.Request) {
		simkit.WriteJSON(w, http.StatusOK, map[string]any{"items": s.Listings()})
	})
	m.HandleFunc("PUT /_sim/listings/{sku}", s.edit)
	m.HandleFunc("DELETE /_sim/listings/{sku}", s.remove)
	s.kit.Register(m, func(w http.ResponseWriter, status int, msg string) { apiError(w, status, "InvalidInput", msg, "") })
	s.mux = m
	return s
}

func (s *Sim) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

func apiError(w http.ResponseWriter, status int, code, msg, details string) {
	simkit.WriteJSON(w, status, map[string]any{"errors": []map[string]string{{"code": code, "message": msg, "details": details}}})
}

// token is Login with Amazon's refresh-token grant.
func (s *Sim) token(w http.ResponseWriter, r *http.Request) {
	s.kit.CountToken()
	if err := r.ParseForm(); err != nil {
		simkit.WriteJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_request", "error_description": "malformed form"})
		return
	}
	switch {
	case r.PostForm.Get("client_id") != ClientID || r.PostForm.Get("client_secret") != ClientSecret:
		simkit.WriteJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_client", "error_description": "Client authentication failed"})
		return
	case r.PostForm.Get("grant_type") != "refresh_token":
		simkit.WriteJSON(w, http.StatusBadRequest, map[string]string{"error": "unsupported_grant_type", "error_description": "grant_type must be refresh_token"})
		return
	case r.PostForm.Get("refresh_token") != RefreshToken:
		simkit.WriteJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_grant", "error_description": "The request has an invalid grant parameter : refresh_token"})
		return
	}
	s.kit.Lock()
	b := make([]byte, 24)
	for i := range b {
		b[i] = byte(s.kit.Rand().Uint32())
	}
	tok := "Atza|" + hex.EncodeToString(b)
	s.tokens[tok] = s.kit.Now().Add(s.cfg.TokenTTL)
	s.kit.Unlock()
	simkit.WriteJSON(w, http.StatusOK, amazon.TokenResponse{AccessToken: tok, TokenType: "bearer",
		ExpiresIn: int64(s.cfg.TokenTTL / time.Second), RefreshToken: RefreshToken})
}

// api wraps a listings operation with the checks SP-API makes first:
// token, seller, marketplace, usage plan.
func (s *Sim) api(op adapters.Operation, fn func(w http.ResponseWriter, r *http.Request)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		l := s.cfg.Limits[op]
		w.Header().Set("x-amzn-RateLimit-Limit", fmt.Sprint(l.Rate))
		w.Header().Set("x-amzn-RequestId", fmt.Sprintf("sim-%d", time.Now().UnixNano()))
		s.kit.Sleep()
		s.kit.Lock()
		exp, known := s.tokens[r.Header.Get("x-amz-access-token")]
		if !known || !s.kit.Now().Before(exp) {
			s.kit.Counter(op).Calls++
			s.kit.Unlock()
			apiError(w, http.StatusForbidden, "Unauthorized", "Access to requested resource is denied.", "The access token you provided is revoked, malformed or invalid.")
			return
		}
		verdict := s.kit.Admit(op)
		s.kit.Unlock()
		switch verdict {
		case simkit.Throttle:
			apiError(w, http.StatusTooManyRequests, "QuotaExceeded", "You exceeded your quota for the requested resource.", "")
			return
		case simkit.Fail5xx:
			apiError(w, http.StatusServiceUnavailable, "ServiceUnavailable", "Service temporarily unavailable.", "")
			return
		}
		if sid := r.PathValue("sellerId"); sid != "" && sid != SellerID {
			apiError(w, http.StatusForbidden, "Unauthorized", "Access to requested resource is denied.", "sellerId does not match the token")
			return
		}
		if r.PathValue("sku") != "" && r.URL.Query().Get("marketplaceIds") != amazon.MarketplaceIndia {
			apiError(w, http.StatusBadRequest, "InvalidInput", "marketplaceIds must be "+amazon.MarketplaceIndia, "")
			return
		}
		fn(w, r)
	}
}

func (s *Sim) submission(w http.ResponseWriter, sku, status string, issues []amazon.Issue) {
	s.seq++
	if issues == nil {
		issues = []amazon.Issue{}
	}
	simkit.WriteJSON(w, http.StatusOK, amazon.SubmissionResponse{SKU: sku, Status: status,
		SubmissionID: fmt.Sprintf("sim-%08d", s.seq), Issues: issues})
}

func missing(attr string) amazon.Issue {
	return amazon.Issue{Code: "90220", Message: fmt.Sprintf("'%s' is required but not supplied.", attr), Severity: "ERROR",
		AttributeNames: []string{attr}, Categories: []string{"MISSING_ATTRIBUTE"}}
}

func invalid(attr, msg string) amazon.Issue {
	return amazon.Issue{Code: "4000001", Message: msg, Severity: "ERROR", AttributeNames: []string{attr}, Categories: []string{"INVALID_ATTRIBUTE"}}
}

func decodeBody(r *http.Request, v any) error {
	dec := json.NewDecoder(io.LimitReader(r.Body, 1<<20))
	dec.DisallowUnknownFields()
	dec.UseNumber()
	return dec.Decode(v)
}

func (s *Sim) put(w http.ResponseWriter, r *http.Request) {
	sku := r.PathValue("sku")
	var req amazon.PutRequest
	if err := decodeBody(r, &req); err != nil || req.ProductType == "" || req.Attributes == nil {
		apiError(w, http.StatusBadRequest, "InvalidInput", "body must carry productType and attributes", "")
		return
	}
	s.kit.Lock()
	defer s.kit.Unlock()
	s.kit.Batch(adapters.OpCreateListings, 1)
	if s.kit.ItemFails() {
		s.submission(w, sku, "INVALID", []amazon.Issue{invalid("", "An internal error occurred; retry the submission.")})
		return
	}
	var issues []amazon.Issue
	for _, a := range []string{"item_name", "brand", "purchasable_offer", "list_price", "fulfillment_availability", "country_of_origin"} {
		if _, ok := req.Attributes[a]; !ok {
			issues = append(issues, missing(a))
		}
	}
	it := &item{SKU: sku, ProductType: req.ProductType}
	if len(issues) == 0 {
		var err error
		if it.PricePaise, err = ourPrice(req.Attributes["purchasable_offer"]); err != nil {
			issues = append(issues, invalid("purchasable_offer", err.Error()))
		}
		if it.MRPPaise, err = listPrice(req.Attributes["list_price"]); err != nil {
			issues = append(issues, invalid("list_price", err.Error()))
		}
		if it.Quantity, err = quantity(req.Attributes["fulfillment_availability"]); err != nil {
			issues = append(issues, invalid("fulfillment_availability", err.Error()))
		}
		it.Title = firstValue(req.Attributes["item_name"])
		if it.PricePaise > it.MRPPaise && len(issues) == 0 {
			issues = append(issues, invalid("purchasable_offer", "The offer price may not exceed the list price (MRP)."))
		}
	}
	if len(issues) > 0 {
		s.submission(w, sku, "INVALID", issues)
		return
	}
	now := s.kit.Now().UTC()
	if old, ok := s.items[sku]; ok {
		it.ASIN, it.Created = old.ASIN, old.Created
	} else {
		sum := sha256.Sum256([]byte(sku))
		it.ASIN, it.Created = "B0"+strings.ToUpper(hex.EncodeToString(sum[:4])), now
	}
	it.Updated = now
	s.items[sku] = it
	s.kit.Images.Fetch(sku, imageLocations(req.Attributes))
	s.submission(w, sku, "ACCEPTED", nil)
}

func (s *Sim) patch(w http.ResponseWriter, r *http.Request) {
	sku := r.PathValue("sku")
	var req amazon.PatchRequest
	if err := decodeBody(r, &req); err != nil || req.ProductType == "" || len(req.Patches) == 0 {
		apiError(w, http.StatusBadRequest, "InvalidInput", "body must carry productType and at least one patch", "")
		return
	}
	s.kit.Lock()
	defer s.kit.Unlock()
	s.kit.Batch(adapters.OpUpdateStock, 1)
	it, ok := s.items[sku]
	if !ok {
		// patchListingsItem has no 404 in Amazon's model: an unknown SKU is invalid input.
		apiError(w, http.StatusBadRequest, "InvalidInput", "SKU '"+sku+"' does not exist in marketplace "+amazon.MarketplaceIndia+"; create it with putListingsItem first", "")
		return
	}
	if s.kit.ItemFails() {
		s.submission(w, sku, "INVALID", []amazon.Issue{invalid("", "An internal error occurred; retry the submission.")})
		return
	}
	next := *it
	var issues []amazon.Issue
	for _, p := range req.Patches {
		var err error
		attr := strings.TrimPrefix(p.Path, "/attributes/")
		switch {
		case p.Op != "replace" && p.Op != "merge":
			err = fmt.Errorf("operation %q is not supported here", p.Op)
		case attr == "purchasable_offer":
			next.PricePaise, err = ourPrice(p.Value)
		case attr == "list_price":
			next.MRPPaise, err = listPrice(p.Value)
		case attr == "fulfillment_availability":
			next.Quantity, err = quantity(p.Value)
		default:
			err = fmt.Errorf("path %q cannot be patched in this simulator", p.Path)
		}
		if err != nil {
			issues = append(issues, invalid(attr, err.Error()))
		}
	}
	if len(issues) == 0 && next.PricePaise > next.MRPPaise {
		issues = append(issues, invalid("purchasable_offer", "The offer price may not exceed the list price (MRP)."))
	}
	if len(issues) > 0 {
		s.submission(w, sku, "INVALID", issues)
		return
	}
	next.Updated = s.kit.Now().UTC()
	*it = next
	s.submission(w, sku, "ACCEPTED", nil)
}

// search is searchListingsItems: every listing by SKU, pageSize (at most
// 20) a page, the next page's offset as its token.
func (s *Sim) search(w http.ResponseWriter, r *http.Request) {
	size, err := strconv.Atoi(r.URL.Query().Get("pageSize"))
	if r.URL.Query().Get("pageSize") == "" {
		size, err = 10, nil
	}
	if err != nil || size < 1 || size > 20 {
		apiError(w, http.StatusBadRequest, "InvalidInput", "pageSize must be between 1 and 20", "")
		return
	}
	from := 0
	if tok := r.URL.Query().Get("pageToken"); tok != "" {
		if from, err = strconv.Atoi(tok); err != nil || from < 0 {
			apiError(w, http.StatusBadRequest, "InvalidInput", "invalid pageToken", "")
			return
		}
	}
	s.kit.Lock()
	defer s.kit.Unlock()
	skus := make([]string, 0, len(s.items))
	for sku := range s.items {
		skus = append(skus, sku)
	}
	sort.Strings(skus)
	resp := amazon.SearchListingsResponse{NumberOfResults: len(skus), Items: []json.RawMessage{}}
	for _, sku := range skus[min(from, len(skus)):min(from+size, len(skus))] {
		b, _ := json.Marshal(s.itemOf(s.items[sku]))
		resp.Items = append(resp.Items, b)
	}
	if from+size < len(skus) {
		resp.Pagination = &amazon.Pagination{NextToken: strconv.Itoa(from + size)}
	}
	simkit.WriteJSON(w, http.StatusOK, resp)
}

func (s *Sim) get(w http.ResponseWriter, r *http.Request) {
	sku := r.PathValue("sku")
	s.kit.Lock()
	defer s.kit.Unlock()
	it, ok := s.items[sku]
	if !ok {
		apiError(w, http.StatusNotFound, "NOT_FOUND", "SKU '"+sku+"' not found in marketplace "+amazon.MarketplaceIndia, "")
		return
	}
	simkit.WriteJSON(w, http.StatusOK, s.itemOf(it))
}

// itemOf is an item as getListingsItem answers it.
func (s *Sim) itemOf(it *item) amazon.Item {
	q := it.Quantity
	return amazon.Item{SKU: it.SKU,
		Summaries: []amazon.Summary{{MarketplaceID: amazon.MarketplaceIndia, ASIN: it.ASIN, ProductType: it.ProductType,
			Status: []string{"BUYABLE", "DISCOVERABLE"}, ItemName: it.Title,
			CreatedDate: it.Created.Format(time.RFC3339), LastUpdatedDate: it.Updated.Format(time.RFC3339)}},
		Offers: []amazon.Offer{{MarketplaceID: amazon.MarketplaceIndia, OfferType: "B2C",
			Price: amazon.Money{CurrencyCode: "INR", Amount: string(amazon.Rupees(it.PricePaise))}}},
		FulfillmentAvailability: []amazon.Availability{{FulfillmentChannelCode: "DEFAULT", Quantity: &q}}}
}

// Listings returns what the marketplace now holds, by SKU.
func (s *Sim) Listings() []simkit.Listing {
	s.kit.Lock()
	defer s.kit.Unlock()
	out := make([]simkit.Listing, 0, len(s.items))
	for _, it := range s.items {
		out = append(out, simkit.Listing{SKU: it.SKU, PricePaise: it.PricePaise, Quantity: it.Quantity, Status: "BUYABLE", ExternalID: it.ASIN})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].SKU < out[j].SKU })
	return out
}

func (s *Sim) edit(w http.ResponseWriter, r *http.Request) {
	e, ok := simkit.DecodeEdit(r)
	if !ok {
		apiError(w, http.StatusBadRequest, "InvalidInput", simkit.EditUsage, "")
		return
	}
	simkit.WriteJSON(w, http.StatusOK, s.Drift(r.PathValue("sku"), e))
}

func (s *Sim) remove(w http.ResponseWriter, r *http.Request) {
	if !s.Delete(r.PathValue("sku")) {
		apiError(w, http.StatusNotFound, "NOT_FOUND", "no such listing", "")
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// Drift applies a Seller Central edit: quantity or price; an unknown SKU
// is created.
func (s *Sim) Drift(sku string, e simkit.Edit) simkit.Listing {
	s.kit.Lock()
	defer s.kit.Unlock()
	it, found := s.items[sku]
	if !found {
		now := s.kit.Now().UTC()
		it = &item{SKU: sku, ASIN: "B0PORTAL00", ProductType: "HOME", Title: sku, PricePaise: 100, MRPPaise: 100, Created: now, Updated: now}
		s.items[sku] = it
	}
	if e.Quantity != nil {
		it.Quantity = *e.Quantity
	}
	if e.PricePaise != nil {
		it.PricePaise = *e.PricePaise
		it.MRPPaise = max(it.MRPPaise, it.PricePaise)
	}
	return simkit.Listing{SKU: it.SKU, PricePaise: it.PricePaise, Quantity: it.Quantity, Status: "BUYABLE"}
}

// Delete removes a listing as if deleted in Seller Central.
func (s *Sim) Delete(sku string) bool {
	s.kit.Lock()
	defer s.kit.Unlock()
	_, ok := s.items[sku]
	delete(s.items, sku)
	return ok
}

// SetFaults replaces the injected faults.
func (s *Sim) SetFaults(f simkit.Faults) { s.kit.SetFaults(f) }

// CallCounts returns the calls per operation.
func (s *Sim) CallCounts() map[string]simkit.Calls { return s.kit.CallCounts() }

// Attribute readers: every attribute is an array of objects.

// imageLocations are the picture URLs of a listing's main and other image
// slots, which Amazon downloads.
func imageLocations(attrs map[string]any) []string {
	var out []string
	for _, name := range []string{"main_product_image_locator", "other_product_image_locator_1", "other_product_image_locator_2",
		"other_product_image_locator_3", "other_product_image_locator_4", "other_product_image_locator_5",
		"other_product_image_locator_6", "other_product_image_locator_7", "other_product_image_locator_8"} {
		if o, err := firstObject(attrs[name]); err == nil {
			if u, ok := o["media_location"].(string); ok {
				out = append(out, u)
			}
		}
	}
	return out
}

func firstObject(v any) (map[string]any, error) {
	arr, ok := v.([]any)
	if !ok || len(arr) == 0 {
		return nil, fmt.Errorf("must be a non-empty array")
	}
	obj, ok := arr[0].(map[string]any)
	if !ok {
		return nil, fmt.Errorf("must hold objects")
	}
	return obj, nil
}

func firstValue(v any) string {
	obj, err := firstObject(v)
	if err != nil {
		return ""
	}
	s, _ := obj["value"].(string)
	return s
}

func paise(v any) (int64, error) {
	n, ok := v.(json.Number)
	if !ok {
		return 0, fmt.Errorf("amount must be a number")
	}
	p, err := amazon.ParsePaise(n.String())
	if err != nil || p <= 0 {
		return 0, fmt.Errorf("amount must be positive with at most two decimals")
	}
	return p, nil
}

func ourPrice(v any) (int64, error) {
	obj, err := firstObject(v)
	if err != nil {
		return 0, err
	}
	if obj["currency"] != "INR" || obj["marketplace_id"] != amazon.MarketplaceIndia {
		return 0, fmt.Errorf("currency INR and marketplace_id %s are required", amazon.MarketplaceIndia)
	}
	op, err := firstObject(obj["our_price"])
	if err != nil {
		return 0, fmt.Errorf("our_price %v", err)
	}
	sched, err := firstObject(op["schedule"])
	if err != nil {
		return 0, fmt.Errorf("schedule %v", err)
	}
	return paise(sched["value_with_tax"])
}

func listPrice(v any) (int64, error) {
	obj, err := firstObject(v)
	if err != nil {
		return 0, err
	}
	return paise(obj["value_with_tax"])
}

func quantity(v any) (int64, error) {
	obj, err := firstObject(v)
	if err != nil {
		return 0, err
	}
	if obj["fulfillment_channel_code"] != "DEFAULT" {
		return 0, fmt.Errorf("fulfillment_channel_code must be DEFAULT for merchant-fulfilled stock")
	}
	n, ok := obj["quantity"].(json.Number)
	q, err := n.Int64()
	if !ok || err != nil || q < 0 {
		return 0, fmt.Errorf("quantity must be a whole number >= 0")
	}
	return q, nil
}
