package exceptions

import (
	"fmt"
	"strings"
)

// Refusal is one thing a marketplace said about an item, as it said it:
// its code, the attribute it names (if any) and its message.
type Refusal struct {
	Code      string
	Attribute string
	Message   string
}

// attributeWords names the marketplace attributes staff meet, as the
// product form calls them.
var attributeWords = map[string]string{
	// Amazon listing attributes.
	"item_name": "the title", "brand": "the brand", "product_description": "the description",
	"list_price": "the MRP (mrp_paise)", "purchasable_offer": "the selling price (price_paise)",
	"fulfillment_availability": "the quantity", "hsn_code": "the HSN code (hsn_code)",
	"country_of_origin": "the country of origin", "main_product_image_locator": "the main photo (images)",
	"merchant_suggested_asin": "the ASIN recorded on the listing (external_id)", "condition_type": "the condition",
	"bullet_point": "the GI line of the description",
	// Flipkart listing attributes.
	"product_id": "the FSN recorded on the listing (external_id)", "selling_price": "the selling price (price_paise)",
	"mrp": "the MRP (mrp_paise)", "hsn": "the HSN code (hsn_code)", "inventory": "the quantity",
	"locations": "the channel's stock locations (settings.locations)",
	// Checks made before anything travels.
	"mrp_paise": "the MRP (mrp_paise)", "price_paise": "the selling price (price_paise)",
}

// guides turns marketplace codes into what staff should do. The key is the
// code as the marketplace sends it; %s is the attribute in plain words.
var guides = map[string]string{
	// Amazon SP-API listings issue codes.
	"90220":     "Amazon needs %s: fill it in on the product and save; the listing is sent again.",
	"4000001":   "Amazon cannot accept %s as it is: correct it on the product (a selling price never above the MRP, whole rupees and paise as numbers).",
	"8541":      "Amazon already has this product with other details: check that the ASIN on the listing is this very piece, or correct the title, brand and size to match Amazon's page.",
	"8542":      "Amazon's catalogue page for this ASIN disagrees with our details: check the ASIN on the listing, or correct the product to match.",
	"8560":      "Amazon needs more details to create a new product page: fill in the title, brand, description, HSN code and a photo.",
	"5665":      "Amazon asks for brand approval before JKHHC can list in this category: the corporation's brand registry contact must apply in Seller Central.",
	"NOT_FOUND": "Amazon no longer holds this listing: it is created again at the next sync; nothing to do unless it keeps coming back.",
	// Flipkart listing API error codes.
	"1001": "Flipkart could not read what we sent: this is ours to fix, not the showroom's; tell operations.",
	"1002": "Flipkart lists a piece against its catalogue product: record the FSN (16 letters and digits from the Flipkart catalogue) on the listing.",
	"1003": "Flipkart cannot accept the price: the selling price must be above 0 and not above the MRP, in whole rupees.",
	"1004": "Flipkart needs the HSN code: fill in hsn_code on the product (4 to 8 digits).",
	"1005": "Flipkart cannot accept the quantity: check the stock of the piece and the channel's locations.",
	"1006": "Flipkart keeps stock per location: operations must map one of our locations to a Flipkart location id (settings.locations).",
	"2001": "Flipkart no longer holds this listing: it is created again at the next sync; nothing to do unless it keeps coming back.",
	"9999": "Flipkart failed on its side for this piece: it is sent again at the next change, or retry the listing.",
	// Refusals made before anything travels.
	"fsn_required":          "Record the FSN (Flipkart's catalogue id) on the listing: Flipkart lists a piece only against its catalogue product.",
	"whole_rupees":          "Flipkart takes whole rupees: change %s to a price without paise.",
	"location_required":     "Flipkart keeps stock per location: operations must map one of our locations to a Flipkart location id (settings.locations).",
	"catalogue_id_required": "Upload the catalogue file in the GeM portal, then record the GeM catalogue id on the listing.",
	"missing_in_response":   "The marketplace's answer did not mention this piece: it is sent again; tell operations if it keeps happening.",
}

// Guide turns a marketplace's refusals of one item into plain guidance for
// showroom staff, one sentence per distinct refusal; what it does not know
// it says as it is, with the attribute in plain words. The marketplace's
// own words stay in Detail.
func Guide(marketplace string, refusals []Refusal) string {
	var out []string
	seen := map[string]bool{}
	for _, r := range refusals {
		what := attributeWords[r.Attribute]
		if what == "" && r.Attribute != "" {
			what = "the " + strings.ReplaceAll(r.Attribute, "_", " ")
		}
		if what == "" {
			what = "the value it names"
		}
		var line string
		if g, ok := guides[r.Code]; ok {
			if strings.Contains(g, "%s") {
				line = fmt.Sprintf(g, what)
			} else {
				line = g
			}
		} else if r.Attribute != "" {
			line = fmt.Sprintf("%s refused %s (%s): correct it on the product or listing and save; it is sent again.", marketplace, what, strings.TrimSpace(r.Message))
		} else {
			line = fmt.Sprintf("%s said: %s. Correct the product or listing as it asks and save; it is sent again.", marketplace, strings.TrimSuffix(strings.TrimSpace(r.Message), "."))
		}
		if !seen[line] {
			seen[line] = true
			out = append(out, line)
		}
	}
	return strings.Join(out, " ")
}
