package demo

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"net/http"
	"net/url"
	"strings"

	amazonsim "github.com/jkhhc/artisanbridge/adapters/amazon/sim"
	flipkartsim "github.com/jkhhc/artisanbridge/adapters/flipkart/sim"
	gemsim "github.com/jkhhc/artisanbridge/adapters/gem/sim"
	"github.com/jkhhc/artisanbridge/internal/finance"
)

// The shapes the demo reads from the admin API (only the fields it uses).
type (
	idVersion struct {
		ID      string `json:"id"`
		Version int64  `json:"version"`
	}
	apiChannel struct {
		ID      string `json:"id"`
		Kind    string `json:"kind"`
		Name    string `json:"name"`
		BaseURL string `json:"base_url"`
		Enabled bool   `json:"enabled"`
		Version int64  `json:"version"`
	}
	apiCluster struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	}
	apiArtisan struct {
		ID   string `json:"id"`
		Code string `json:"code"`
	}
	apiLocation struct {
		ID        string  `json:"id"`
		Code      string  `json:"code"`
		Kind      string  `json:"kind"`
		ArtisanID *string `json:"artisan_id"`
	}
	apiProduct struct {
		ID          string `json:"id"`
		SKU         string `json:"sku"`
		OneOfAKind  bool   `json:"one_of_a_kind"`
		MadeToOrder bool   `json:"made_to_order"`
		ArtisanID   string `json:"artisan_id"`
	}
	apiListing struct {
		ID         string `json:"id"`
		ProductID  string `json:"product_id"`
		ChannelID  string `json:"channel_id"`
		ExternalID string `json:"external_id"`
		Status     string `json:"status"`
		Version    int64  `json:"version"`
	}
)

// showroomCode is the demo's one showroom: the corporation's emporium on
// Residency Road, which every channel sells and dispatches from.
const showroomCode = "SRG-RR"

// homeCode is the location of a maker's home, where their one-of-a-kind
// pieces wait to be sold.
func homeCode(artisanCode string) string { return "HOME-" + artisanCode }

// ErrNotDemo says the data folder holds a catalogue the demo did not seed.
var ErrNotDemo = errors.New("this data folder holds artisans the demo did not register: run the demo on a fresh " +
	"folder (ARTISANBRIDGE_DATA_DIR / --data-dir), never on a showroom's data")

// world is what the demo has seeded, by code.
type world struct {
	channels  map[string]apiChannel // by kind
	showroom  string
	homes     map[string]string // artisan id -> location id
	products  []apiProduct
	bySKU     map[string]apiProduct
	artisans  map[string]string // code -> id
	seededNow bool
}

// seed registers the catalogue on first start and completes a seed an
// earlier start left half done: every step looks for what exists first,
// so running it again changes nothing.
func (d *Demo) seed(ctx context.Context) (*world, error) {
	admin, fin := d.users["admin"], d.users["finance"]
	w := &world{channels: map[string]apiChannel{}, homes: map[string]string{}, bySKU: map[string]apiProduct{}, artisans: map[string]string{}}
	artisans, products := layout()
	known := map[string]bool{}
	for _, a := range artisans {
		known[a.Code] = true
	}
	existing, err := all[apiArtisan](ctx, admin, "/api/v1/artisans", 1<<20)
	if err != nil {
		return nil, err
	}
	for _, a := range existing {
		if !known[a.Code] {
			return nil, ErrNotDemo
		}
		w.artisans[a.Code] = a.ID
	}
	w.seededNow = len(existing) < len(artisans)

	var chanList page[apiChannel]
	if err := admin.call(ctx, http.MethodGet, "/api/v1/channels", nil, &chanList); err != nil {
		return nil, err
	}
	chans := chanList.Items
	for _, c := range chans {
		if strings.HasSuffix(c.Name, "(simulator)") {
			w.channels[c.Kind] = c
		}
	}
	for _, kind := range []string{"flipkart", "amazon", "gem"} {
		if _, ok := w.channels[kind]; !ok {
			return nil, fmt.Errorf("no %s simulator channel: the demo runs on the embedded default only", kind)
		}
	}

	// Clusters and locations.
	cl, err := all[apiCluster](ctx, admin, "/api/v1/clusters", 1000)
	if err != nil {
		return nil, err
	}
	clusterIDs := map[string]string{}
	for _, c := range cl {
		clusterIDs[c.Name] = c.ID
	}
	for _, c := range clusters {
		if clusterIDs[c.Name] != "" {
			continue
		}
		var got apiCluster
		lat, lon := c.Lat, c.Lon
		if err := admin.call(ctx, http.MethodPost, "/api/v1/clusters", map[string]any{"code": c.Code, "name": c.Name, "craft": c.Crafts[0],
			"district": c.District, "lat": lat, "lon": lon}, &got); err != nil {
			return nil, err
		}
		clusterIDs[c.Name] = got.ID
	}
	locs, err := all[apiLocation](ctx, admin, "/api/v1/locations", 1000)
	if err != nil {
		return nil, err
	}
	locByCode := map[string]apiLocation{}
	for _, l := range locs {
		locByCode[l.Code] = l
	}
	ensureLocation := func(body map[string]any) (string, error) {
		code := body["code"].(string)
		if l, ok := locByCode[code]; ok {
			return l.ID, nil
		}
		var got apiLocation
		if err := admin.call(ctx, http.MethodPost, "/api/v1/locations", body, &got); err != nil {
			return "", err
		}
		locByCode[code] = got
		return got.ID, nil
	}
	if w.showroom, err = ensureLocation(map[string]any{"code": showroomCode, "name": "JKHHC Emporium, Residency Road", "kind": "showroom",
		"district": "Srinagar", "address": "Residency Road, Srinagar 190001"}); err != nil {
		return nil, err
	}

	// Artisans, and the homes of those who keep one-of-a-kind pieces.
	for _, a := range artisans {
		if w.artisans[a.Code] == "" {
			body := map[string]any{"code": a.Code, "name": a.Name, "craft": a.Craft, "cluster_id": clusterIDs[a.Cluster.Name],
				"district": a.Cluster.District, "phone": a.Phone, "language": a.Language, "status": "active",
				"bank_account_number": fmt.Sprintf("0%03d%08d", 100+len(w.artisans), hash(a.Code)%1e8),
				"bank_ifsc":           "JAKA0" + a.Cluster.Code + "BRN",
				"pehchan_card_no":     fmt.Sprintf("JKH/%s/%05d", a.Cluster.Code, hash(a.Name)%1e5)}
			if hasGI(a.Cluster) {
				body["gi_authorised_user_no"] = fmt.Sprintf("AU/%s/%04d", a.Cluster.Code, 1+a.Index)
			}
			var got apiArtisan
			if err := admin.call(ctx, http.MethodPost, "/api/v1/artisans", body, &got); err != nil {
				return nil, err
			}
			w.artisans[a.Code] = got.ID
		}
	}
	for _, p := range products {
		if !p.Piece.OneOfAKind {
			continue
		}
		id := w.artisans[p.Maker.Code]
		if _, done := w.homes[id]; done {
			continue
		}
		if w.homes[id], err = ensureLocation(map[string]any{"code": homeCode(p.Maker.Code), "name": p.Maker.Name + "'s home, " + p.Maker.Cluster.Name,
			"kind": "artisan", "district": p.Maker.Cluster.District, "artisan_id": id}); err != nil {
			return nil, err
		}
	}

	// Products, their photos and the stock picked up from their makers.
	have, err := all[apiProduct](ctx, admin, "/api/v1/products", 1<<20)
	if err != nil {
		return nil, err
	}
	for _, p := range have {
		w.bySKU[p.SKU] = p
	}
	for _, p := range products {
		if _, ok := w.bySKU[p.SKU]; ok {
			continue
		}
		got, err := d.addProduct(ctx, admin, p, w)
		if err != nil {
			return nil, fmt.Errorf("product %s: %w", p.SKU, err)
		}
		w.bySKU[p.SKU] = got
	}
	for _, p := range products {
		w.products = append(w.products, w.bySKU[p.SKU])
	}

	// Channels: short return windows (a 0 means 0: earnings are payable
	// as soon as the marketplace settles), sold from the showroom.
	for _, kind := range []string{"flipkart", "amazon", "gem"} {
		ch := w.channels[kind]
		loc := map[string]any{"location_id": w.showroom}
		if kind != "gem" {
			loc["external_location_id"] = "LOCSRGRR01"
		}
		var got apiChannel
		if err := admin.call(ctx, http.MethodPatch, "/api/v1/channels/"+ch.ID, map[string]any{"version": ch.Version, "enabled": true,
			"settings": map[string]any{"return_window_days": 0, "dispatch_days": 2, "settlement_days": 7, "locations": []any{loc}}}, &got); err != nil {
			return nil, fmt.Errorf("%s settings: %w", kind, err)
		}
		w.channels[kind] = got
	}
	// The fees each marketplace charges (the simulators charge the same).
	for kind, fees := range map[string]finance.FeeSchedule{"flipkart": flipkartsim.SettlementFees, "amazon": amazonsim.SettlementFees,
		"gem": gemsim.SettlementFees} {
		ch := w.channels[kind]
		var sched page[struct{ ID string }]
		if err := fin.call(ctx, http.MethodGet, "/api/v1/fee-schedules?channel_id="+url.QueryEscape(ch.ID), nil, &sched); err != nil {
			return nil, err
		}
		if len(sched.Items) > 0 {
			continue
		}
		slabs := fees.FixedFeeSlabs
		if slabs == nil {
			slabs = []finance.Slab{}
		}
		if err := fin.call(ctx, http.MethodPost, "/api/v1/fee-schedules", map[string]any{"channel_id": ch.ID, "effective_from": "2024-04-01",
			"commission_bp": fees.CommissionBP, "fixed_fee_slabs": slabs, "collection_fee_bp": fees.CollectionFeeBP,
			"shipping_fee_paise": fees.ShippingFeePaise}, nil); err != nil {
			return nil, fmt.Errorf("%s fees: %w", kind, err)
		}
	}
	return w, d.publish(ctx, w)
}

// addProduct registers one piece with its drawn photo and takes in the
// units its maker brought.
func (d *Demo) addProduct(ctx context.Context, c *client, p productSeed, w *world) (apiProduct, error) {
	pc := p.Piece
	body := map[string]any{"sku": p.SKU, "title": p.Title, "craft": p.Craft, "hsn_code": pc.HSN, "gst_rate_bp": gstRateBP,
		"price_paise": pc.PricePaise, "mrp_paise": pc.PricePaise + pc.PricePaise/10, "artisan_id": w.artisans[p.Maker.Code],
		"artisan_price_paise": pc.ArtisanPricePaise, "one_of_a_kind": pc.OneOfAKind, "made_to_order": pc.MadeToOrder,
		"weight_g": pc.WeightG, "length_mm": pc.LengthMM, "width_mm": pc.WidthMM, "height_mm": pc.HeightMM, "status": "active",
		"description": fmt.Sprintf("%s, made by hand by %s of %s. Every rupee of the maker's share is paid to them directly.",
			p.Title, p.Maker.Name, p.Maker.Cluster.Name)}
	if pc.GI != "" {
		body["gi"] = pc.GI
		body["gi_certificate_no"] = fmt.Sprintf("AU/%s/%04d", p.Maker.Cluster.Code, 1+p.Maker.Index)
	}
	if d.cfg.Photos != nil {
		img, err := drawPhoto(p)
		if err != nil {
			return apiProduct{}, err
		}
		sha, err := d.cfg.Photos.Put(ctx, "image/jpeg", img)
		if err != nil {
			return apiProduct{}, fmt.Errorf("photo: %w", err)
		}
		body["photos"] = []string{sha}
	}
	var got apiProduct
	if err := c.call(ctx, http.MethodPost, "/api/v1/products", body, &got); err != nil {
		return apiProduct{}, err
	}
	loc, qty := w.showroom, int64(2+hash(p.SKU)%5)
	switch {
	case pc.OneOfAKind:
		loc, qty = w.homes[got.ArtisanID], 1
	case pc.MadeToOrder:
		qty = int64(hash(p.SKU) % 2)
	}
	if qty > 0 {
		if err := d.intake(ctx, got.ID, loc, qty, "picked up from "+p.Maker.Name); err != nil {
			return got, err
		}
	}
	return got, nil
}

func (d *Demo) intake(ctx context.Context, productID, locationID string, qty int64, reason string) error {
	return d.users["showroom"].call(ctx, http.MethodPost, "/api/v1/stock/movements", map[string]any{"product_id": productID,
		"location_id": locationID, "kind": "intake", "quantity": qty, "reason": reason}, nil)
}

// publish lists every piece on every marketplace that does not carry it
// yet. Flipkart lists against its catalogue's product id (FSN); GeM's id
// comes back from the portal when staff upload the catalogue file.
func (d *Demo) publish(ctx context.Context, w *world) error {
	showroom := d.users["showroom"]
	for _, kind := range []string{"flipkart", "amazon", "gem"} {
		ch := w.channels[kind]
		listed, err := all[apiListing](ctx, showroom, "/api/v1/listings?channel_id="+url.QueryEscape(ch.ID), 1<<20)
		if err != nil {
			return err
		}
		has := map[string]bool{}
		for _, l := range listed {
			has[l.ProductID] = true
		}
		for _, p := range w.products {
			if has[p.ID] {
				continue
			}
			body := map[string]any{}
			if kind == "flipkart" {
				body["external_id"] = fsn(p.SKU)
			}
			if err := showroom.call(ctx, http.MethodPut, "/api/v1/products/"+p.ID+"/listings/"+ch.ID, body, nil); err != nil {
				return fmt.Errorf("publish %s on %s: %w", p.SKU, kind, err)
			}
		}
	}
	return nil
}

// fsn is the Flipkart catalogue id the demo's pieces are listed against.
func fsn(sku string) string { return fmt.Sprintf("JKHC%012d", hash(sku)%1e12) }

func hash(s string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(s))
	return h.Sum64()
}

func hasGI(c clusterSeed) bool {
	for _, craft := range c.Crafts {
		for _, p := range pieces[craft] {
			if p.GI != "" {
				return true
			}
		}
	}
	return false
}
