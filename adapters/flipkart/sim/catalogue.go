package sim

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"strings"

	"github.com/jkhhc/artisanbridge/adapters/simkit"
)

// Flipkart's Listings API carries no pictures: a product new to Flipkart's
// catalogue is requested in Seller Hub with its title and photo URLs,
// Flipkart fetches the photos for its catalogue check and answers the
// product's FSN, against which the seller then lists the SKU. POST
// /_sim/catalogue plays that Seller Hub step, as PUT /_sim/listings plays
// a portal edit.

// CatalogueRequest is the body of POST /_sim/catalogue.
type CatalogueRequest struct {
	SKU       string   `json:"sku"`
	Title     string   `json:"title"`
	ImageURLs []string `json:"image_urls"`
}

// CatalogueAnswer is its answer: the FSN to list the SKU against.
type CatalogueAnswer struct {
	SKU string `json:"sku"`
	FSN string `json:"fsn"`
}

func (s *Sim) catalogue(w http.ResponseWriter, r *http.Request) {
	var req CatalogueRequest
	dec := json.NewDecoder(io.LimitReader(r.Body, 1<<16))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil || strings.TrimSpace(req.SKU) == "" || strings.TrimSpace(req.Title) == "" ||
		len(req.ImageURLs) == 0 || len(req.ImageURLs) > 10 {
		apiError(w, http.StatusBadRequest, 1001, "a catalogue request needs sku, title and 1 to 10 image_urls")
		return
	}
	s.kit.Images.Fetch(req.SKU, req.ImageURLs)
	simkit.WriteJSON(w, http.StatusOK, CatalogueAnswer{SKU: req.SKU, FSN: CatalogueFSN(req.SKU)})
}

// CatalogueFSN is the FSN the simulator's catalogue gives a SKU.
func CatalogueFSN(sku string) string {
	sum := sha256.Sum256([]byte(sku))
	return "SIM" + strings.ToUpper(hex.EncodeToString(sum[:6]))
}
