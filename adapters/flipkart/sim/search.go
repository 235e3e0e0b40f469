package sim

import (
	"encoding/json"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/jkhhc/artisanbridge/adapters/flipkart"
)

// search is the listing search (POST /listings/v3/search): every listing
// by SKU, 500 a page, optionally only ACTIVE or INACTIVE ones; the page id
// is opaque to the caller.
func (s *Sim) search(w http.ResponseWriter, r *http.Request) {
	if !s.admit(w, r, flipkart.OpSearchListings) {
		return
	}
	var req flipkart.SearchRequest
	dec := json.NewDecoder(io.LimitReader(r.Body, 1<<16))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		apiError(w, http.StatusBadRequest, 400, "body must be {filters:{lisitng_status?}, page_id}")
		return
	}
	status := strings.ToUpper(req.Filters.ListingStatus)
	if status != "" && status != "ACTIVE" && status != "INACTIVE" {
		apiError(w, http.StatusBadRequest, 400, "lisitng_status must be ACTIVE or INACTIVE")
		return
	}
	from := 0
	if req.PageID != nil && *req.PageID != "" {
		n, err := strconv.Atoi(strings.TrimPrefix(*req.PageID, "pg-"))
		if err != nil || n < 0 || !strings.HasPrefix(*req.PageID, "pg-") {
			apiError(w, http.StatusBadRequest, 400, "invalid page_id")
			return
		}
		from = n
	}
	s.kit.Lock()
	defer s.kit.Unlock()
	skus := make([]string, 0, len(s.listings))
	for sku, l := range s.listings {
		if status == "" || strings.EqualFold(l.Status, status) {
			skus = append(skus, sku)
		}
	}
	sort.Strings(skus)
	resp := flipkart.SearchResponse{Listings: []flipkart.SearchListing{}}
	end := min(from+flipkart.SearchPageSize, len(skus))
	for _, sku := range skus[min(from, len(skus)):end] {
		l := s.listings[sku]
		resp.Listings = append(resp.Listings, flipkart.SearchListing{ListingID: "LST" + l.ProductID, ProductID: l.ProductID, SKUID: sku})
	}
	if end < len(skus) {
		next := "pg-" + strconv.Itoa(end)
		resp.NextPageID, resp.HasMore = &next, true
	}
	writeJSON(w, http.StatusOK, resp)
}
