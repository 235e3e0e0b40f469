package amazon

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/jkhhc/artisanbridge/adapters"
	"github.com/jkhhc/artisanbridge/adapters/httpx"
)

// Production endpoints (MARKETPLACES.md 2.1).
const (
	ProductionBaseURL  = "https://sellingpartnerapi-eu.amazon.com"
	ProductionTokenURL = "https://api.amazon.com/auth/o2/token"
)

// DefaultLimits are the usage plans in listingsItems_2021-08-01.json; one
// SKU per call.
var DefaultLimits = map[adapters.Operation]adapters.Limit{
	adapters.OpCreateListings: {BatchSize: 1, Rate: 5, Burst: 10},
	adapters.OpUpdatePrices:   {BatchSize: 1, Rate: 5, Burst: 5},
	adapters.OpUpdateStock:    {BatchSize: 1, Rate: 5, Burst: 5},
	adapters.OpGetListings:    {BatchSize: 1, Rate: 5, Burst: 10},
	OpSearchListings:          {BatchSize: 20, Rate: 5, Burst: 5},
}

// OpSearchListings is searchListingsItems: every listing the seller holds,
// twenty a page (a stock reconciliation's search for unknown SKUs).
const OpSearchListings adapters.Operation = "listings.search"

// ListListings reads one page of every listing Amazon holds for the seller
// (searchListingsItems); next is empty on the last page.
func (c *Client) ListListings(ctx context.Context, pageToken string) ([]adapters.RemoteListing, string, error) {
	q := url.Values{"marketplaceIds": {c.cfg.MarketplaceID}, "pageSize": {"20"}, "includedData": {"summaries,offers,fulfillmentAvailability"}}
	if pageToken != "" {
		q.Set("pageToken", pageToken)
	}
	body, err := c.call(ctx, OpSearchListings, http.MethodGet, "/listings/2021-08-01/items/"+url.PathEscape(c.cfg.SellerID)+"?"+q.Encode(), nil)
	if err != nil {
		return nil, "", err
	}
	return DecodeSearchListings(body, c.cfg.MarketplaceID)
}

// SearchOrdersLimit is searchOrders' published usage plan.
var SearchOrdersLimit = adapters.Limit{BatchSize: 100, Rate: 0.0056, Burst: 20}

// Config is one Amazon seller account.
type Config struct {
	BaseURL       string
	TokenURL      string
	ClientID      string
	ClientSecret  string
	RefreshToken  string
	SellerID      string
	MarketplaceID string
	Account       string // keys the shared rate limiter
	Limits        map[adapters.Operation]adapters.Limit
	// ProductType is the SP-API product type new listings are created as;
	// HOME_DECOR fits most of the corporation's crafts (shawls and rugs
	// may want their own, set per channel once confirmed with Amazon).
	ProductType string
	Brand       string
	// FeedPoll is how often a submitted feed, or a requested report, is
	// checked (default 30 s; getFeed and getReport allow 2 a second, the
	// processing takes minutes).
	FeedPoll time.Duration
	// ReportThreshold is the catalogue size from which a stock
	// reconciliation reads the merchant listings report (default
	// ListingsReportThreshold).
	ReportThreshold int
}

// Client calls Amazon for one seller account; safe for concurrent use.
type Client struct {
	cfg    Config
	http   *httpx.Client
	now    func() time.Time
	tokens *httpx.TokenCache
}

var _ adapters.Channel = (*Client)(nil)

// New returns a client; hc carries the shared limiter and retry policy.
func New(cfg Config, hc *httpx.Client) *Client {
	if cfg.Limits == nil {
		cfg.Limits = map[adapters.Operation]adapters.Limit{}
		for op, l := range DefaultLimits {
			cfg.Limits[op] = l
		}
		for op, l := range FeedLimits {
			cfg.Limits[op] = l
		}
		cfg.Limits[OpSearchOrders] = SearchOrdersLimit
		cfg.Limits[OpGetOrder] = GetOrderLimit
		cfg.Limits[OpConfirmShipment] = ConfirmShipmentLimit
		for op, l := range ReportLimits {
			cfg.Limits[op] = l
		}
	}
	if cfg.MarketplaceID == "" {
		cfg.MarketplaceID = MarketplaceIndia
	}
	if cfg.ProductType == "" {
		cfg.ProductType = "HOME_DECOR"
	}
	if cfg.Brand == "" {
		cfg.Brand = "JKHHC"
	}
	cfg.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	c := &Client{cfg: cfg, http: hc, now: time.Now}
	c.tokens = &httpx.TokenCache{Fetch: c.fetchToken, Now: func() time.Time { return c.now() }}
	return c
}

func (c *Client) Kind() adapters.Kind                           { return adapters.Amazon }
func (c *Client) Limits() map[adapters.Operation]adapters.Limit { return c.cfg.Limits }

// fetchToken is Login with Amazon's refresh-token grant through
// golang.org/x/oauth2 (client id and secret in the form, as LWA takes
// them), sent through the shared limiter; the token lives an hour and the
// client's TokenCache renews it a minute before, or after a refusal.
func (c *Client) fetchToken(ctx context.Context) (*oauth2.Token, error) {
	conf := oauth2.Config{ClientID: c.cfg.ClientID, ClientSecret: c.cfg.ClientSecret,
		Endpoint: oauth2.Endpoint{TokenURL: c.cfg.TokenURL, AuthStyle: oauth2.AuthStyleInParams}}
	hc := &http.Client{Timeout: 15 * time.Second,
		Transport: c.http.Transport("token", "amazon:"+c.cfg.Account+":token", adapters.Limit{Rate: 1, Burst: 5})}
	// A token without an access token makes the source refresh at once;
	// the cache, not the source, decides when to ask again.
	tok, err := conf.TokenSource(context.WithValue(ctx, oauth2.HTTPClient, hc), &oauth2.Token{RefreshToken: c.cfg.RefreshToken}).Token()
	if err != nil {
		return nil, fmt.Errorf("amazon: token: %w", err)
	}
	if !strings.EqualFold(tok.Type(), "bearer") || tok.Expiry.IsZero() {
		return nil, errors.New("amazon: token response without a bearer token that expires")
	}
	return tok, nil
}

// call sends one request with x-amz-access-token; an expired token (403 or
// 401 from SP-API) is renewed once. It returns the status and body of any
// 2xx answer; 404 comes back as a StatusError for the caller to read.
func (c *Client) call(ctx context.Context, op adapters.Operation, method, path string, payload any) ([]byte, error) {
	var body []byte
	if payload != nil {
		var err error
		if body, err = json.Marshal(payload); err != nil {
			return nil, err
		}
	}
	resp, err := c.tokens.WithToken(ctx, func(token string) ([]byte, error) {
		_, resp, err := c.http.Do(ctx, httpx.Request{
			Op: op, Key: "amazon:" + c.cfg.Account + ":" + usagePlan(op), Limit: c.cfg.Limits[op], Timeout: 30 * time.Second,
			Build: func(ctx context.Context) (*http.Request, error) {
				var rd io.Reader
				if body != nil {
					rd = bytes.NewReader(body)
				}
				req, err := http.NewRequestWithContext(ctx, method, c.cfg.BaseURL+path, rd)
				if err != nil {
					return nil, err
				}
				req.Header.Set("x-amz-access-token", token)
				req.Header.Set("Accept", "application/json")
				if body != nil {
					req.Header.Set("Content-Type", "application/json")
				}
				return req, nil
			},
		})
		return resp, err
	}, http.StatusUnauthorized, http.StatusForbidden) // SP-API answers an expired token with 403
	if err != nil {
		return nil, fmt.Errorf("amazon %s: %w", op, err)
	}
	return resp, nil
}

func (c *Client) itemPath(sku string, query url.Values) string {
	query.Set("marketplaceIds", c.cfg.MarketplaceID)
	return "/listings/2021-08-01/items/" + url.PathEscape(c.cfg.SellerID) + "/" + url.PathEscape(sku) + "?" + query.Encode()
}

// perItem runs one call per SKU (Amazon's listings calls take one SKU);
// the shared limiter paces them. A transport failure stops the run and is
// returned with the results so far.
func perItem[T any](ctx context.Context, c *Client, op adapters.Operation, items []T,
	prepare func(T) (string, any, *adapters.Issue), method string) ([]adapters.ItemResult, error) {
	var out []adapters.ItemResult
	for _, it := range items {
		sku, payload, problem := prepare(it)
		if problem != nil {
			out = append(out, adapters.ItemResult{SKU: sku, Status: "NOT_SENT", Issues: []adapters.Issue{*problem}})
			continue
		}
		body, err := c.call(ctx, op, method, c.itemPath(sku, url.Values{}), payload)
		var se *httpx.StatusError
		if errors.As(err, &se) && se.Status == http.StatusBadRequest {
			// A 400 names what is wrong with this item; the others go on.
			out = append(out, adapters.ItemResult{SKU: sku, Status: "INVALID", Issues: errorIssues(se.Body)})
			continue
		}
		if errors.As(err, &se) && se.Status == http.StatusNotFound && method == http.MethodPatch {
			// Amazon does not hold the SKU: a patch cannot apply, a put recreates it.
			out = append(out, adapters.ItemResult{SKU: sku, Status: "NOT_FOUND", Issues: errorIssues(se.Body), Missing: true})
			continue
		}
		if err != nil {
			return out, err
		}
		res, err := DecodeSubmission(body, sku)
		if err != nil {
			return out, err
		}
		out = append(out, res)
	}
	return out, nil
}

func errorIssues(body []byte) []adapters.Issue {
	var el ErrorList
	if json.Unmarshal(body, &el) != nil || len(el.Errors) == 0 {
		return []adapters.Issue{{Severity: "ERROR", Code: "400", Message: cut(string(body), 500)}}
	}
	out := make([]adapters.Issue, 0, len(el.Errors))
	for _, e := range el.Errors {
		out = append(out, adapters.Issue{Severity: "ERROR", Code: cut(e.Code, 40), Message: cut(e.Message+" "+e.Details, 1000)})
	}
	return out
}

func (c *Client) mp() map[string]any { return map[string]any{"marketplace_id": c.cfg.MarketplaceID} }

func (c *Client) text(v string) []any {
	return []any{map[string]any{"value": v, "language_tag": "en_IN", "marketplace_id": c.cfg.MarketplaceID}}
}

func (c *Client) offer(pricePaise int64) []any {
	return []any{map[string]any{"marketplace_id": c.cfg.MarketplaceID, "currency": "INR", "audience": "ALL",
		"our_price": []any{map[string]any{"schedule": []any{map[string]any{"value_with_tax": Rupees(pricePaise)}}}}}}
}

func (c *Client) listPrice(mrpPaise int64) []any {
	return []any{map[string]any{"marketplace_id": c.cfg.MarketplaceID, "currency": "INR", "value_with_tax": Rupees(mrpPaise)}}
}

func availability(q int64) []any {
	return []any{map[string]any{"fulfillment_channel_code": "DEFAULT", "quantity": max(q, 0)}}
}

// attributes maps a listing to the attributes putListingsItem takes. GI
// details travel in the description and a bullet point, where buyers read
// them; HSN goes in hsn_code.
func (c *Client) attributes(l adapters.Listing) map[string]any {
	attrs := map[string]any{
		"item_name":                c.text(l.Title),
		"brand":                    c.text(l.Brand),
		"condition_type":           []any{map[string]any{"value": "new_new", "marketplace_id": c.cfg.MarketplaceID}},
		"country_of_origin":        []any{map[string]any{"value": orDefault(l.CountryOfOrigin, "IN"), "marketplace_id": c.cfg.MarketplaceID}},
		"hsn_code":                 []any{map[string]any{"value": l.HSNCode, "marketplace_id": c.cfg.MarketplaceID}},
		"list_price":               c.listPrice(l.MRPPaise),
		"purchasable_offer":        c.offer(l.PricePaise),
		"fulfillment_availability": availability(l.Quantity),
	}
	if l.Brand == "" {
		attrs["brand"] = c.text(c.cfg.Brand)
	}
	if l.Description != "" {
		attrs["product_description"] = c.text(l.Description)
	}
	if l.GITag {
		bullet := "Geographical Indication (GI) tagged handicraft of Jammu & Kashmir"
		if l.GICertificateNo != "" {
			bullet += ", GI certificate " + l.GICertificateNo
		}
		attrs["bullet_point"] = c.text(bullet)
	}
	if l.ExternalID != "" {
		attrs["merchant_suggested_asin"] = []any{map[string]any{"value": l.ExternalID, "marketplace_id": c.cfg.MarketplaceID}}
	}
	if len(l.Images) > 0 {
		attrs["main_product_image_locator"] = []any{map[string]any{"media_location": l.Images[0], "marketplace_id": c.cfg.MarketplaceID}}
	}
	// Further photos go in the product type's eight other-image slots.
	for i, u := range l.Images[min(1, len(l.Images)):min(9, len(l.Images))] {
		attrs[fmt.Sprintf("other_product_image_locator_%d", i+1)] = []any{map[string]any{"media_location": u, "marketplace_id": c.cfg.MarketplaceID}}
	}
	return attrs
}

func orDefault(v, d string) string {
	if v == "" {
		return d
	}
	return v
}

func validPrices(mrp, price int64) *adapters.Issue {
	if price <= 0 || mrp <= 0 || price > mrp {
		return &adapters.Issue{Severity: "ERROR", Code: "price", Message: "price must be positive and not above the MRP"}
	}
	return nil
}

// PushListings creates or fully updates listings (putListingsItem), then
// reads each accepted listing's summaries (getListingsItem) for the ASIN
// Amazon gave it: putListingsItem's answer carries none, and the public
// pages link a piece to amazon.in/dp/{ASIN}.
func (c *Client) PushListings(ctx context.Context, items []adapters.Listing) ([]adapters.ItemResult, error) {
	out, err := perItem(ctx, c, adapters.OpCreateListings, items, func(l adapters.Listing) (string, any, *adapters.Issue) {
		if p := validPrices(l.MRPPaise, l.PricePaise); p != nil {
			return l.SKU, nil, p
		}
		return l.SKU, PutRequest{ProductType: c.cfg.ProductType, Requirements: "LISTING", Attributes: c.attributes(l)}, nil
	}, http.MethodPut)
	for i := range out {
		if out[i].Accepted && out[i].ExternalID == "" {
			out[i].ExternalID = c.asinOf(ctx, out[i].SKU)
		}
	}
	return out, err
}

// asinOf is the ASIN of the SKU's summary for our marketplace, or "" when
// Amazon has not matched one yet or the read fails: the listing was taken
// either way, and the next full push asks again.
func (c *Client) asinOf(ctx context.Context, sku string) string {
	body, err := c.call(ctx, adapters.OpGetListings, http.MethodGet, c.itemPath(sku, url.Values{"includedData": {"summaries"}}), nil)
	if err != nil {
		return ""
	}
	r, err := DecodeItem(body, c.cfg.MarketplaceID)
	if err != nil || !validASIN(r.ExternalID) {
		return ""
	}
	return r.ExternalID
}

// validASIN: ten upper-case letters and digits, as Amazon writes them (an
// ASIN goes into a public link, so nothing else is taken).
func validASIN(s string) bool {
	if len(s) != 10 {
		return false
	}
	for _, r := range s {
		if (r < 'A' || r > 'Z') && (r < '0' || r > '9') {
			return false
		}
	}
	return true
}

// PushPrices replaces the offer price (patchListingsItem).
func (c *Client) PushPrices(ctx context.Context, items []adapters.PriceUpdate) ([]adapters.ItemResult, error) {
	return perItem(ctx, c, adapters.OpUpdatePrices, items, func(p adapters.PriceUpdate) (string, any, *adapters.Issue) {
		if pr := validPrices(p.MRPPaise, p.PricePaise); pr != nil {
			return p.SKU, nil, pr
		}
		return p.SKU, PatchRequest{ProductType: c.cfg.ProductType, Patches: []PatchOperation{
			{Op: "replace", Path: "/attributes/purchasable_offer", Value: c.offer(p.PricePaise)},
			{Op: "replace", Path: "/attributes/list_price", Value: c.listPrice(p.MRPPaise)},
		}}, nil
	}, http.MethodPatch)
}

// PushStock sets the merchant-fulfilled quantity (patchListingsItem,
// merge, so lead times set in Seller Central are kept).
func (c *Client) PushStock(ctx context.Context, items []adapters.StockUpdate) ([]adapters.ItemResult, error) {
	return perItem(ctx, c, adapters.OpUpdateStock, items, func(s adapters.StockUpdate) (string, any, *adapters.Issue) {
		return s.SKU, PatchRequest{ProductType: c.cfg.ProductType, Patches: []PatchOperation{
			{Op: "merge", Path: "/attributes/fulfillment_availability", Value: availability(s.Quantity)},
		}}, nil
	}, http.MethodPatch)
}

// FetchListings reads what Amazon holds (getListingsItem); a SKU Amazon
// does not know is left out.
func (c *Client) FetchListings(ctx context.Context, skus []string) ([]adapters.RemoteListing, error) {
	var out []adapters.RemoteListing
	for _, sku := range skus {
		body, err := c.call(ctx, adapters.OpGetListings, http.MethodGet,
			c.itemPath(sku, url.Values{"includedData": {"summaries,offers,fulfillmentAvailability"}}), nil)
		var se *httpx.StatusError
		if errors.As(err, &se) && se.Status == http.StatusNotFound {
			continue
		}
		if err != nil {
			return out, err
		}
		r, err := DecodeItem(body, c.cfg.MarketplaceID)
		if err != nil {
			return out, err
		}
		if r.SKU == "" {
			r.SKU = sku
		}
		out = append(out, r)
	}
	return out, nil
}

// usagePlan names the bucket an operation spends: Amazon's usage plans are
// per API operation, so price and stock patches share patchListingsItem's.
func usagePlan(op adapters.Operation) string {
	if op == adapters.OpUpdatePrices || op == adapters.OpUpdateStock {
		return "patchListingsItem"
	}
	return string(op)
}
