package flipkart

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/jkhhc/artisanbridge/adapters"
)

// Listing search (POST /listings/v3/search, MARKETPLACES.md 1.2): every
// listing the seller holds, 500 a page, by SKU, FSN and listing id only.
// A stock reconciliation pages through it for SKUs listed on Flipkart that
// we have no listing for, then reads those few with GET /listings/v3.

// OpSearchListings is the listing search.
const OpSearchListings adapters.Operation = "listings.search"

// SearchPageSize is how many listings a search page holds.
const SearchPageSize = 500

// Wire shapes of the listing search. The filter's field name is
// misspelled in Flipkart's published schema ("lisitng_status") and is
// sent as published.
type (
	SearchFilters struct {
		ListingStatus string `json:"lisitng_status,omitempty"`
	}
	SearchRequest struct {
		Filters SearchFilters `json:"filters"`
		PageID  *string       `json:"page_id"`
	}
	SearchListing struct {
		ListingID string `json:"listing_id"`
		ProductID string `json:"product_id"`
		SKUID     string `json:"sku_id"`
	}
	SearchResponse struct {
		NextPageID *string         `json:"next_page_id"`
		HasMore    bool            `json:"has_more"`
		Listings   []SearchListing `json:"listings"`
	}
)

// DecodeSearchResponse reads one page of the listing search: the SKUs it
// names and the next page's id ("" on the last). A page that says it has
// more without naming the next one is refused, not taken as the end.
func DecodeSearchResponse(body []byte) ([]adapters.RemoteListing, string, error) {
	var raw SearchResponse
	if err := json.Unmarshal(body, &raw); err != nil {
		return nil, "", fmt.Errorf("flipkart: unreadable listing search page: %w", err)
	}
	next := ""
	if raw.HasMore {
		if raw.NextPageID == nil || strings.TrimSpace(*raw.NextPageID) == "" {
			return nil, "", fmt.Errorf("flipkart: listing search page has more but no next_page_id")
		}
		next = *raw.NextPageID
	}
	out := make([]adapters.RemoteListing, 0, len(raw.Listings))
	for i, l := range raw.Listings {
		if strings.TrimSpace(l.SKUID) == "" {
			return nil, "", fmt.Errorf("flipkart: listing search item %d (listing %q) has no sku_id", i, truncate(l.ListingID, 40))
		}
		out = append(out, adapters.RemoteListing{SKU: l.SKUID, ExternalID: l.ProductID})
	}
	return out, next, nil
}

// ListListings reads one page of the listing search; next is "" on the
// last page. The items name SKUs only (ListsSKUsOnly).
func (c *Client) ListListings(ctx context.Context, pageToken string) ([]adapters.RemoteListing, string, error) {
	req := SearchRequest{}
	if pageToken != "" {
		req.PageID = &pageToken
	}
	body, err := c.call(ctx, OpSearchListings, http.MethodPost, "/listings/v3/search", req)
	if err != nil {
		return nil, "", err
	}
	return DecodeSearchResponse(body)
}

// ListsSKUsOnly says the listing search gives no quantity or price.
func (c *Client) ListsSKUsOnly() {}
