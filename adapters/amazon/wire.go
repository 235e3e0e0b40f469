// Package amazon is the Amazon Selling Partner API adapter for Amazon.in:
// Login with Amazon token exchange, the Listings Items API 2021-08-01
// (putListingsItem for a listing, patchListingsItem for price and
// quantity), the mapping to and from the domain, and (in sim/) a simulator
// of the same contract. Requests and answers are validated against
// Amazon's published models in tests.
package amazon

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/jkhhc/artisanbridge/adapters"
	"github.com/jkhhc/artisanbridge/internal/money"
)

// MarketplaceIndia is Amazon.in's marketplace id; India is served by the
// Europe endpoint (MARKETPLACES.md 2.1).
const MarketplaceIndia = "A21TJRUUN4KGV"

// TokenResponse is Login with Amazon's answer.
type TokenResponse struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int64  `json:"expires_in"`
	RefreshToken string `json:"refresh_token,omitempty"`
}

// PutRequest is the body of putListingsItem.
type PutRequest struct {
	ProductType  string         `json:"productType"`
	Requirements string         `json:"requirements,omitempty"`
	Attributes   map[string]any `json:"attributes"`
}

// PatchOperation is one JSON Patch operation of patchListingsItem.
type PatchOperation struct {
	Op    string `json:"op"`
	Path  string `json:"path"`
	Value []any  `json:"value,omitempty"`
}

// PatchRequest is the body of patchListingsItem.
type PatchRequest struct {
	ProductType string           `json:"productType"`
	Patches     []PatchOperation `json:"patches"`
}

// Issue is an issue of a submission or an item.
type Issue struct {
	Code           string   `json:"code"`
	Message        string   `json:"message"`
	Severity       string   `json:"severity"`
	AttributeNames []string `json:"attributeNames,omitempty"`
	Categories     []string `json:"categories"`
}

// SubmissionResponse is ListingsItemSubmissionResponse.
type SubmissionResponse struct {
	SKU          string  `json:"sku"`
	Status       string  `json:"status"`
	SubmissionID string  `json:"submissionId"`
	Issues       []Issue `json:"issues,omitempty"`
}

// Money is the model's Money: a decimal string amount.
type Money struct {
	CurrencyCode string `json:"currencyCode"`
	Amount       string `json:"amount"`
}

// Summary, Offer and Availability are parts of Item (getListingsItem).
type Summary struct {
	MarketplaceID   string   `json:"marketplaceId"`
	ASIN            string   `json:"asin,omitempty"`
	ProductType     string   `json:"productType"`
	Status          []string `json:"status"`
	ItemName        string   `json:"itemName,omitempty"`
	CreatedDate     string   `json:"createdDate"`
	LastUpdatedDate string   `json:"lastUpdatedDate"`
}

type Offer struct {
	MarketplaceID string `json:"marketplaceId"`
	OfferType     string `json:"offerType"`
	Price         Money  `json:"price"`
}

type Availability struct {
	FulfillmentChannelCode string `json:"fulfillmentChannelCode"`
	Quantity               *int64 `json:"quantity,omitempty"`
}

// Item is the answer of getListingsItem.
type Item struct {
	SKU                     string         `json:"sku"`
	Summaries               []Summary      `json:"summaries,omitempty"`
	Offers                  []Offer        `json:"offers,omitempty"`
	FulfillmentAvailability []Availability `json:"fulfillmentAvailability,omitempty"`
}

// ErrorList is SP-API's error body.
type ErrorList struct {
	Errors []struct {
		Code    string `json:"code"`
		Message string `json:"message"`
		Details string `json:"details,omitempty"`
	} `json:"errors"`
}

// Rupees renders paise as the exact decimal Amazon's attributes take.
func Rupees(paise int64) json.Number { return json.Number(money.Format(paise)) }

// ParsePaise reads an amount Amazon sent.
func ParsePaise(s string) (int64, error) { return money.Parse(s) }

// DecodeSubmission reads a ListingsItemSubmissionResponse into a result.
// ACCEPTED (and VALID, in validation preview) is accepted; anything else is
// refused with Amazon's issues kept verbatim.
func DecodeSubmission(body []byte, sku string) (adapters.ItemResult, error) {
	var r SubmissionResponse
	if err := json.Unmarshal(body, &r); err != nil {
		return adapters.ItemResult{}, fmt.Errorf("amazon: unreadable submission response: %w", err)
	}
	status := strings.ToUpper(strings.TrimSpace(r.Status))
	res := adapters.ItemResult{SKU: sku, Status: status, Accepted: status == "ACCEPTED" || status == "VALID"}
	for _, is := range r.Issues {
		attr := ""
		if len(is.AttributeNames) > 0 {
			attr = is.AttributeNames[0]
		}
		res.Issues = append(res.Issues, adapters.Issue{Severity: cut(is.Severity, 20), Code: cut(is.Code, 40),
			Message: cut(is.Message, 1000), Attribute: cut(attr, 200)})
	}
	if !res.Accepted && len(res.Issues) == 0 {
		res.Issues = []adapters.Issue{{Severity: "ERROR", Code: "status", Message: "Amazon answered status " + cut(r.Status, 40)}}
	}
	return res, nil
}

func cut(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// DecodeItem reads getListingsItem for the India marketplace.
func DecodeItem(body []byte, marketplaceID string) (adapters.RemoteListing, error) {
	var it Item
	if err := json.Unmarshal(body, &it); err != nil {
		return adapters.RemoteListing{}, fmt.Errorf("amazon: unreadable listings item: %w", err)
	}
	out := adapters.RemoteListing{SKU: it.SKU}
	for _, s := range it.Summaries {
		if s.MarketplaceID == marketplaceID {
			out.ExternalID = s.ASIN
			out.Status = strings.Join(s.Status, ",")
		}
	}
	for _, o := range it.Offers {
		if o.MarketplaceID == marketplaceID && o.OfferType == "B2C" {
			p, err := ParsePaise(o.Price.Amount)
			if err != nil {
				return adapters.RemoteListing{}, err
			}
			out.PricePaise = p
		}
	}
	for _, a := range it.FulfillmentAvailability {
		if a.FulfillmentChannelCode == "DEFAULT" && a.Quantity != nil {
			out.Quantity = *a.Quantity
		}
	}
	return out, nil
}

// SearchListingsResponse is searchListingsItems' answer.
type SearchListingsResponse struct {
	NumberOfResults int               `json:"numberOfResults"`
	Pagination      *Pagination       `json:"pagination,omitempty"`
	Items           []json.RawMessage `json:"items"`
}

// DecodeSearchListings reads one page of searchListingsItems; an item
// without a SKU is refused (the page cannot be trusted).
func DecodeSearchListings(body []byte, marketplaceID string) ([]adapters.RemoteListing, string, error) {
	var resp SearchListingsResponse
	if err := json.Unmarshal(body, &resp); err != nil {
		return nil, "", fmt.Errorf("amazon: unreadable searchListingsItems answer: %w", err)
	}
	out := make([]adapters.RemoteListing, 0, len(resp.Items))
	for i, raw := range resp.Items {
		r, err := DecodeItem(raw, marketplaceID)
		if err != nil {
			return nil, "", err
		}
		if r.SKU == "" {
			return nil, "", fmt.Errorf("amazon: searchListingsItems item %d has no sku", i)
		}
		out = append(out, r)
	}
	next := ""
	if resp.Pagination != nil {
		next = resp.Pagination.NextToken
	}
	return out, next, nil
}
