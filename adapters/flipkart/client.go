package flipkart

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/jkhhc/artisanbridge/adapters"
	"github.com/jkhhc/artisanbridge/adapters/httpx"
)

// Production hosts (MARKETPLACES.md 1.1).
const (
	ProductionBaseURL  = "https://api.flipkart.net/sellers"
	ProductionTokenURL = "https://api.flipkart.net/oauth-service/oauth/token"
)

// Flipkart recommends client timeouts of at least 10 s for listing APIs
// and 60 s for order APIs.
const (
	listingTimeout = 15 * time.Second
	tokenTimeout   = 15 * time.Second
)

// DefaultLimits: Flipkart publishes no rate limits (MARKETPLACES.md 1.5), so
// these are our own conservative assumption, configurable per channel.
var DefaultLimits = map[adapters.Operation]adapters.Limit{
	adapters.OpCreateListings: {BatchSize: maxBatch, Rate: 5, Burst: 10},
	adapters.OpUpdatePrices:   {BatchSize: maxBatch, Rate: 5, Burst: 10},
	adapters.OpUpdateStock:    {BatchSize: maxBatch, Rate: 5, Burst: 10},
	adapters.OpGetListings:    {BatchSize: maxBatch, Rate: 5, Burst: 10},
	OpSearchListings:          {BatchSize: SearchPageSize, Rate: 5, Burst: 10},
	OpFilterShipments:         {BatchSize: 20, Rate: 5, Burst: 10},
	OpGetShipments:            {BatchSize: 100, Rate: 5, Burst: 10},
	OpShipmentLabels:          {BatchSize: 25, Rate: 5, Burst: 10},
	OpShipmentDispatch:        {BatchSize: 25, Rate: 5, Burst: 10},
	OpShipmentCancel:          {BatchSize: 25, Rate: 5, Burst: 10},
}

// Config is one Flipkart seller account.
type Config struct {
	BaseURL   string // .../sellers
	TokenURL  string // .../oauth-service/oauth/token
	AppID     string
	AppSecret string
	// Account keys the shared rate limiter, so that every worker calling
	// this account shares one bucket per operation.
	Account string
	Limits  map[adapters.Operation]adapters.Limit
	// DispatchDays is the dispatch SLA told to Flipkart for new listings.
	DispatchDays int
}

// Client calls Flipkart for one seller account. It is safe for concurrent use.
type Client struct {
	cfg    Config
	http   *httpx.Client
	tokens *httpx.TokenCache
	now    func() time.Time
}

var _ adapters.Channel = (*Client)(nil)

// New returns a client; hc carries the shared limiter and retry policy.
func New(cfg Config, hc *httpx.Client) *Client {
	if cfg.Limits == nil {
		cfg.Limits = DefaultLimits
	}
	if cfg.DispatchDays <= 0 {
		cfg.DispatchDays = 3
	}
	cfg.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	c := &Client{cfg: cfg, http: hc, now: time.Now}
	c.tokens = &httpx.TokenCache{Fetch: c.fetchToken, Now: func() time.Time { return c.now() }}
	return c
}

func (c *Client) Kind() adapters.Kind                           { return adapters.Flipkart }
func (c *Client) Limits() map[adapters.Operation]adapters.Limit { return c.cfg.Limits }

// fetchToken is the OAuth 2 client-credentials grant as Flipkart documents
// it: a GET with the grant in the query and the app id and secret as
// Basic auth (golang.org/x/oauth2/clientcredentials would POST a form,
// which Flipkart's documentation and SDK do not use). Tokens live about
// 60 days; the client's TokenCache renews one a minute before it expires
// or after a 401.
func (c *Client) fetchToken(ctx context.Context) (*oauth2.Token, error) {
	u, err := url.Parse(c.cfg.TokenURL)
	if err != nil {
		return nil, fmt.Errorf("flipkart: token url: %w", err)
	}
	q := u.Query()
	q.Set("grant_type", "client_credentials")
	q.Set("scope", "Seller_Api")
	u.RawQuery = q.Encode()
	_, body, err := c.http.Do(ctx, httpx.Request{
		Op: "token", Key: "flipkart:" + c.cfg.Account + ":token", Limit: adapters.Limit{Rate: 1, Burst: 5},
		Timeout: tokenTimeout,
		Build: func(ctx context.Context) (*http.Request, error) {
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
			if err != nil {
				return nil, err
			}
			req.SetBasicAuth(c.cfg.AppID, c.cfg.AppSecret)
			req.Header.Set("Accept", "application/json")
			return req, nil
		},
	})
	if err != nil {
		return nil, fmt.Errorf("flipkart: token: %w", err)
	}
	t, err := DecodeToken(body)
	if err != nil {
		return nil, err
	}
	return httpx.ExpiresIn(t.AccessToken, t.ExpiresIn, c.now()), nil
}

func (c *Client) call(ctx context.Context, op adapters.Operation, method, path string, payload any) ([]byte, error) {
	return c.callTimeout(ctx, op, method, path, payload, listingTimeout)
}

func (c *Client) callTimeout(ctx context.Context, op adapters.Operation, method, path string, payload any, timeout time.Duration) ([]byte, error) {
	var body []byte
	if payload != nil {
		var err error
		if body, err = json.Marshal(payload); err != nil {
			return nil, err
		}
	}
	resp, err := c.tokens.WithToken(ctx, func(token string) ([]byte, error) {
		_, resp, err := c.http.Do(ctx, httpx.Request{
			Op: op, Key: "flipkart:" + c.cfg.Account + ":" + string(op), Limit: c.cfg.Limits[op], Timeout: timeout,
			Build: func(ctx context.Context) (*http.Request, error) {
				req, err := http.NewRequestWithContext(ctx, method, c.cfg.BaseURL+path, bytes.NewReader(body))
				if err != nil {
					return nil, err
				}
				req.Header.Set("Authorization", "Bearer "+token)
				req.Header.Set("Content-Type", "application/json; charset=utf-8")
				req.Header.Set("Accept", "application/json")
				return req, nil
			},
		})
		return resp, err
	}, http.StatusUnauthorized)
	if err != nil {
		return nil, fmt.Errorf("flipkart %s: %w", op, err)
	}
	return resp, nil
}

// wirePrice converts paise to the whole rupees Flipkart's schema takes; a
// price with paise cannot be expressed and is refused before it travels.
func wirePrice(mrpPaise, pricePaise int64) (Price, *adapters.Issue) {
	if mrpPaise <= 0 || mrpPaise%100 != 0 {
		return Price{}, wholeRupees("mrp_paise")
	}
	if pricePaise <= 0 || pricePaise%100 != 0 {
		return Price{}, wholeRupees("price_paise")
	}
	return Price{MRP: mrpPaise / 100, SellingPrice: pricePaise / 100, Currency: "INR"}, nil
}

// batches runs fn over items in groups of the operation's batch size, each
// group's results appended in order; refused items found locally (a price
// Flipkart cannot express) never travel.
func batches[T any](ctx context.Context, c *Client, op adapters.Operation, items []T,
	prepare func(T) (string, any, *adapters.Issue), path string) ([]adapters.ItemResult, error) {
	size := c.cfg.Limits[op].BatchSize
	if size <= 0 || size > maxBatch {
		size = maxBatch
	}
	var out []adapters.ItemResult
	for start := 0; start < len(items); start += size {
		group := items[start:min(start+size, len(items))]
		payload := map[string]any{}
		var asked []string
		for _, it := range group {
			sku, req, problem := prepare(it)
			if problem != nil {
				out = append(out, adapters.ItemResult{SKU: sku, Status: "NOT_SENT", Issues: []adapters.Issue{*problem}})
				continue
			}
			payload[sku] = req
			asked = append(asked, sku)
		}
		if len(asked) == 0 {
			continue
		}
		body, err := c.call(ctx, op, http.MethodPost, path, payload)
		if err != nil {
			return out, err
		}
		res, err := DecodeChangeResponse(body, asked)
		if err != nil {
			return out, err
		}
		out = append(out, res...)
	}
	return out, nil
}

func needsFSN(sku string) *adapters.Issue {
	return &adapters.Issue{Severity: "ERROR", Code: "fsn_required",
		Message: "Flipkart lists a SKU against a catalogue product (FSN); record the FSN for " + sku + " first"}
}

func wholeRupees(field string) *adapters.Issue {
	return &adapters.Issue{Severity: "ERROR", Code: "whole_rupees", Attribute: field,
		Message: "Flipkart takes prices in whole rupees; " + field + " has paise"}
}

// PushListings creates new listings (POST /listings/v3) and fully updates
// existing ones (POST /listings/v3/update), each in batches of ten.
func (c *Client) PushListings(ctx context.Context, items []adapters.Listing) ([]adapters.ItemResult, error) {
	var fresh, existing []adapters.Listing
	for _, l := range items {
		if l.Existing {
			existing = append(existing, l)
		} else {
			fresh = append(fresh, l)
		}
	}
	out, err := c.pushListings(ctx, fresh, "/listings/v3")
	if err != nil {
		return out, err
	}
	more, err := c.pushListings(ctx, existing, "/listings/v3/update")
	return append(out, more...), err
}

func (c *Client) pushListings(ctx context.Context, items []adapters.Listing, path string) ([]adapters.ItemResult, error) {
	return batches(ctx, c, adapters.OpCreateListings, items, func(l adapters.Listing) (string, any, *adapters.Issue) {
		if l.ExternalID == "" {
			return l.SKU, nil, needsFSN(l.SKU)
		}
		price, problem := wirePrice(l.MRPPaise, l.PricePaise)
		if problem != nil {
			return l.SKU, nil, problem
		}
		return l.SKU, ListingRequest{
			ProductID:          l.ExternalID,
			Price:              &price,
			Tax:                &Tax{HSN: l.HSNCode, TaxCode: taxCode(l.GSTRateBP)},
			ListingStatus:      "ACTIVE",
			FulfillmentProfile: "NON_FBF",
			Fulfillment:        &Fulfillment{DispatchSLA: max(l.DispatchDays, c.cfg.DispatchDays), ShippingProvider: "FLIPKART", ProcurementType: "REGULAR"},
			Packages: []Package{{ID: "PKG1", Name: "PKG1", Weight: float64(l.WeightG) / 1000,
				Dimensions: Dimensions{Length: float64(l.LengthMM) / 10, Breadth: float64(l.WidthMM) / 10, Height: float64(l.HeightMM) / 10}}},
			Locations: locations(l.Locations),
		}, nil
	}, path)
}

// PushPrices updates prices only (POST /listings/v3/update/price).
func (c *Client) PushPrices(ctx context.Context, items []adapters.PriceUpdate) ([]adapters.ItemResult, error) {
	return batches(ctx, c, adapters.OpUpdatePrices, items, func(p adapters.PriceUpdate) (string, any, *adapters.Issue) {
		if p.ExternalID == "" {
			return p.SKU, nil, needsFSN(p.SKU)
		}
		price, problem := wirePrice(p.MRPPaise, p.PricePaise)
		if problem != nil {
			return p.SKU, nil, problem
		}
		return p.SKU, PriceRequest{ProductID: p.ExternalID, Price: price}, nil
	}, "/listings/v3/update/price")
}

// PushStock sets inventory per Flipkart location (POST /listings/v3/update/inventory).
func (c *Client) PushStock(ctx context.Context, items []adapters.StockUpdate) ([]adapters.ItemResult, error) {
	return batches(ctx, c, adapters.OpUpdateStock, items, func(s adapters.StockUpdate) (string, any, *adapters.Issue) {
		if s.ExternalID == "" {
			return s.SKU, nil, needsFSN(s.SKU)
		}
		if len(s.Locations) == 0 {
			return s.SKU, nil, &adapters.Issue{Severity: "ERROR", Code: "location_required",
				Message: "Flipkart keeps stock per location: map one of our locations to a Flipkart location id"}
		}
		return s.SKU, InventoryRequest{ProductID: s.ExternalID, Locations: locations(s.Locations)}, nil
	}, "/listings/v3/update/inventory")
}

// FetchListings reads what Flipkart holds (GET /listings/v3/{skus}).
func (c *Client) FetchListings(ctx context.Context, skus []string) ([]adapters.RemoteListing, error) {
	var out []adapters.RemoteListing
	for start := 0; start < len(skus); start += maxBatch {
		group := skus[start:min(start+maxBatch, len(skus))]
		escaped := make([]string, len(group))
		for i, s := range group {
			escaped[i] = url.PathEscape(s)
		}
		body, err := c.call(ctx, adapters.OpGetListings, http.MethodGet, "/listings/v3/"+strings.Join(escaped, ","), nil)
		if err != nil {
			return out, err
		}
		got, err := DecodeGetResponse(body)
		if err != nil {
			return out, err
		}
		out = append(out, got...)
	}
	return out, nil
}

func locations(in []adapters.LocationQuantity) []Location {
	out := make([]Location, len(in))
	for i, l := range in {
		out[i] = Location{ID: l.LocationID, Inventory: max(l.Quantity, 0), Status: "ENABLED"}
	}
	return out
}

// taxCode names the GST rate as Flipkart's tax_code values do.
func taxCode(bp int64) string {
	if bp%100 != 0 {
		return ""
	}
	return fmt.Sprintf("GST_%d", bp/100)
}
