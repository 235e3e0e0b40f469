// Package flipkart is the Flipkart Marketplace Seller API (v3) adapter:
// the client, the mapping between the domain and Flipkart's wire shapes,
// and (in sim/) a simulator of the same contract.
package flipkart

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/jkhhc/artisanbridge/adapters"
)

// Wire shapes of Listings v3 (MARKETPLACES.md 1.2). Prices are whole
// rupees; field names are Flipkart's, snake_case.

type Price struct {
	MRP          int64  `json:"mrp"`
	SellingPrice int64  `json:"selling_price"`
	Currency     string `json:"currency"`
}

type Tax struct {
	HSN     string `json:"hsn"`
	TaxCode string `json:"tax_code,omitempty"`
}

type Location struct {
	ID        string `json:"id"`
	Status    string `json:"status,omitempty"` // ENABLED | DISABLED
	Inventory int64  `json:"inventory"`
}

type Fulfillment struct {
	DispatchSLA      int    `json:"dispatch_sla"`
	ShippingProvider string `json:"shipping_provider"`
	ProcurementType  string `json:"procurement_type"`
}

type Dimensions struct {
	Length  float64 `json:"length"`
	Breadth float64 `json:"breadth"`
	Height  float64 `json:"height"`
}

type Package struct {
	ID         string     `json:"id"`
	Name       string     `json:"name"`
	Dimensions Dimensions `json:"dimensions"`
	Weight     float64    `json:"weight"`
}

// ListingRequest is CreateListingRequest / UpdateListingRequest.
type ListingRequest struct {
	ProductID          string       `json:"product_id"`
	Price              *Price       `json:"price,omitempty"`
	Tax                *Tax         `json:"tax,omitempty"`
	ListingStatus      string       `json:"listing_status,omitempty"`
	FulfillmentProfile string       `json:"fulfillment_profile,omitempty"`
	Fulfillment        *Fulfillment `json:"fulfillment,omitempty"`
	Packages           []Package    `json:"packages,omitempty"`
	Locations          []Location   `json:"locations,omitempty"`
}

// PriceRequest is one SKU of POST /listings/v3/update/price.
type PriceRequest struct {
	ProductID string `json:"product_id"`
	Price     Price  `json:"price"`
}

// InventoryRequest is one SKU of POST /listings/v3/update/inventory.
type InventoryRequest struct {
	ProductID string     `json:"product_id"`
	Locations []Location `json:"locations"`
}

// ChangeError is an entry of errors or attribute_errors.
type ChangeError struct {
	Severity    string `json:"severity"`
	Code        int    `json:"code"`
	Description string `json:"description"`
	Attribute   string `json:"attribute,omitempty"`
	Path        string `json:"path,omitempty"`
}

// ChangeResult is one SKU of a ListingChangeResponse.
type ChangeResult struct {
	Status          string        `json:"status"`
	Errors          []ChangeError `json:"errors"`
	AttributeErrors []ChangeError `json:"attribute_errors"`
}

// ListingDetail is one SKU of GET /listings/v3/{skus}.
type ListingDetail struct {
	ListingID     string     `json:"listing_id"`
	ProductID     string     `json:"product_id"`
	Price         Price      `json:"price"`
	Tax           Tax        `json:"tax"`
	ListingStatus string     `json:"listing_status"`
	Locations     []Location `json:"locations"`
}

// GetResponse is the answer of GET /listings/v3/{skus}.
type GetResponse struct {
	Available   map[string]ListingDetail `json:"available"`
	Unavailable []string                 `json:"unavailable"`
	Invalid     []string                 `json:"invalid"`
}

// TokenResponse is the answer of the token endpoint.
type TokenResponse struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int64  `json:"expires_in"`
	Scope       string `json:"scope"`
}

// maxBatch is Flipkart's documented limit for create, update, price and
// inventory calls.
const maxBatch = 10

// DecodeChangeResponse reads a ListingChangeResponse and turns it into one
// result per SKU asked about, in the order asked. A SKU the answer does not
// mention is reported as refused, never silently taken as done. Statuses
// are compared case-insensitively (the older docs show lower case).
// CodeListingNotFound is Flipkart's error code for a change to a listing
// it does not hold.
const CodeListingNotFound = 2001

func DecodeChangeResponse(body []byte, asked []string) ([]adapters.ItemResult, error) {
	var raw map[string]ChangeResult
	if err := json.Unmarshal(body, &raw); err != nil {
		return nil, fmt.Errorf("flipkart: unreadable listing change response: %w", err)
	}
	out := make([]adapters.ItemResult, 0, len(asked))
	for _, sku := range asked {
		r, ok := raw[sku]
		if !ok {
			out = append(out, adapters.ItemResult{SKU: sku, Status: "MISSING", Issues: []adapters.Issue{{
				Severity: "ERROR", Code: "missing_in_response", Message: "Flipkart's answer did not mention this SKU"}}})
			continue
		}
		status := strings.ToUpper(strings.TrimSpace(r.Status))
		res := adapters.ItemResult{SKU: sku, Status: status, Accepted: status == "SUCCESS" || status == "WARNING"}
		for _, e := range r.Errors {
			res.Issues = append(res.Issues, issue(e))
			res.Missing = res.Missing || e.Code == CodeListingNotFound
		}
		for _, e := range r.AttributeErrors {
			res.Issues = append(res.Issues, issue(e))
		}
		if !res.Accepted && len(res.Issues) == 0 {
			res.Issues = []adapters.Issue{{Severity: "ERROR", Code: "status", Message: "Flipkart answered status " + truncate(r.Status, 40)}}
		}
		out = append(out, res)
	}
	return out, nil
}

func issue(e ChangeError) adapters.Issue {
	return adapters.Issue{Severity: strings.ToUpper(truncate(e.Severity, 20)), Code: fmt.Sprint(e.Code),
		Message: truncate(e.Description, 1000), Attribute: truncate(e.Attribute, 200)}
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// DecodeGetResponse reads GET /listings/v3/{skus}.
func DecodeGetResponse(body []byte) ([]adapters.RemoteListing, error) {
	var raw GetResponse
	if err := json.Unmarshal(body, &raw); err != nil {
		return nil, fmt.Errorf("flipkart: unreadable listing details: %w", err)
	}
	out := make([]adapters.RemoteListing, 0, len(raw.Available))
	for sku, d := range raw.Available {
		var qty int64
		for _, l := range d.Locations {
			if l.Inventory > 0 && !strings.EqualFold(l.Status, "DISABLED") {
				qty += l.Inventory
			}
		}
		out = append(out, adapters.RemoteListing{SKU: sku, ExternalID: d.ProductID, Status: strings.ToUpper(d.ListingStatus),
			MRPPaise: d.Price.MRP * 100, PricePaise: d.Price.SellingPrice * 100, Quantity: qty})
	}
	return out, nil
}

// DecodeToken reads the token endpoint's answer.
func DecodeToken(body []byte) (TokenResponse, error) {
	var t TokenResponse
	if err := json.Unmarshal(body, &t); err != nil {
		return TokenResponse{}, fmt.Errorf("flipkart: unreadable token response: %w", err)
	}
	if t.AccessToken == "" || !strings.EqualFold(t.TokenType, "bearer") || t.ExpiresIn <= 0 {
		return TokenResponse{}, fmt.Errorf("flipkart: token response without a bearer token")
	}
	return t, nil
}
