package console

import (
	"net/http"
	"net/url"

	"github.com/jkhhc/artisanbridge/internal/apperr"
	"github.com/jkhhc/artisanbridge/internal/auth"
	"github.com/jkhhc/artisanbridge/internal/catalog"
	"github.com/jkhhc/artisanbridge/internal/channels"
	"github.com/jkhhc/artisanbridge/internal/fulfilment"
	"github.com/jkhhc/artisanbridge/internal/inventory"
	"github.com/jkhhc/artisanbridge/internal/listing"
	"github.com/jkhhc/artisanbridge/internal/media"
	"github.com/jkhhc/artisanbridge/internal/orders"
	"github.com/jkhhc/artisanbridge/internal/paging"
)

// table is every page of the console, in menu order.
func (c *Console) table() []Page {
	return []Page{
		{Path: "/showroom/products", Permission: auth.ProductsRead, Nav: "nav.products", Template: "products", show: c.products},
		{Path: "/showroom/products/new", Permission: auth.ProductsWrite, Nav: "nav.new_product", Template: "product_new", show: c.productNew,
			Actions: map[string]Action{"create": {Permission: auth.ProductsWrite, run: c.createProduct}}},
		{Path: "/showroom/products/{id}", Permission: auth.ProductsRead, Template: "product", show: c.product,
			Actions: map[string]Action{
				"edit":      {Permission: auth.ProductsWrite, run: c.editProduct},
				"stock":     {Permission: auth.StockWrite, run: c.stockIntake},
				"publish":   {Permission: auth.ListingsWrite, run: c.publish},
				"unpublish": {Permission: auth.ListingsWrite, run: c.unpublish},
				"photo":     {Permission: auth.ProductsWrite, run: c.addPhoto},
			}},
		{Path: "/showroom/board", Permission: auth.TasksRead, Nav: "nav.board", Template: "board", show: c.board,
			Actions: map[string]Action{"move": {Permission: auth.TasksWork, run: c.moveTask}}},
		{Path: "/showroom/slips/{order}", Permission: auth.TasksRead, Template: "slip", show: c.slip},
		{Path: "/showroom/sale", Permission: auth.CounterSales, Nav: "nav.sale", Template: "sale", show: c.saleForm,
			Actions: map[string]Action{"sell": {Permission: auth.CounterSales, run: c.sell}}},
		{Path: "/operations", Permission: auth.ExceptionsRead, Nav: "nav.dashboard", Template: "dashboard", show: c.dashboard},
		{Path: "/operations/orders", Permission: auth.OrdersRead, Nav: "nav.orders", Template: "orders", show: c.ordersPage},
		{Path: "/operations/orders/{id}", Permission: auth.OrdersRead, Template: "order", show: c.order},
		{Path: "/operations/exceptions", Permission: auth.ExceptionsRead, Nav: "nav.exceptions", Template: "exceptions", show: c.exceptionsPage,
			Actions: map[string]Action{"resolve": {Permission: auth.ExceptionsWork, run: c.resolve}, "assign": {Permission: auth.ExceptionsWork, run: c.assign},
				"retry": {Permission: auth.ExceptionsWork, run: c.retryMissed}}},
		{Path: "/operations/reconciliations", Permission: auth.Reconcile, Nav: "nav.reconciliations", Template: "reconciliations", show: c.imports,
			Actions: map[string]Action{"start": {Permission: auth.Reconcile, run: c.startReconciliation}}},
		{Path: "/operations/reconciliations/{id}", Permission: auth.Reconcile, Template: "reconciliation", show: c.reconciliation},
		{Path: "/operations/imports", Permission: auth.OrdersWrite, Nav: "nav.imports", Template: "imports", show: c.imports,
			Actions: map[string]Action{"orders": {Permission: auth.OrdersWrite, run: c.importOrders}}},
		{Path: "/finance/settlements", Permission: auth.FinanceRead, Nav: "nav.settlements", Template: "settlements", show: c.settlements,
			Actions: map[string]Action{"import": {Permission: auth.FinanceWrite, run: c.importSettlement}}},
		{Path: "/finance/statements", Permission: auth.FinanceRead, Nav: "nav.statements", Template: "statements", show: c.statements},
		{Path: "/finance/statements/{id}", Permission: auth.FinanceRead, Template: "statement", show: c.statement, print: c.printStatement},
		{Path: "/finance/payouts", Permission: auth.FinanceRead, Nav: "nav.payouts", Template: "payouts", show: c.payouts,
			Actions: map[string]Action{"draft": {Permission: auth.FinanceWrite, run: c.draftBatch}}},
		{Path: "/finance/payouts/{id}", Permission: auth.FinanceRead, Template: "batch", show: c.batch,
			Actions: map[string]Action{
				"approve":   {Permission: auth.FinanceWrite, run: c.approveBatch},
				"bank_file": {Permission: auth.FinanceWrite, download: c.bankFile},
			}},
		{Path: "/finance/trial-balance", Permission: auth.FinanceRead, Nav: "nav.trial_balance", Template: "trial_balance", show: c.trialBalance},
		{Path: "/account", Everyone: true, Template: "account", show: func(*http.Request) (any, error) { return nil, nil }},
	}
}

// --- catalogue ---

type productsData struct {
	Query, Status string
	Products      []catalog.Product
	Next          string
}

func (c *Console) products(r *http.Request) (any, error) {
	q := r.URL.Query()
	p, err := firstPage(r, 50)
	if err != nil {
		return nil, err
	}
	d := productsData{Query: q.Get("sku"), Status: q.Get("status")}
	page, err := c.Catalog.ListProducts(r.Context(), catalog.ProductFilter{SKU: d.Query, Status: d.Status, Craft: q.Get("craft")}, p)
	if err != nil {
		return nil, err
	}
	d.Products, d.Next = page.Items, page.NextCursor
	return d, nil
}

type productNewData struct{ Crafts []string }

func (c *Console) productNew(r *http.Request) (any, error) {
	return productNewData{Crafts: c.Catalog.Crafts().Names()}, nil
}

func productInput(f *formReader) catalog.ProductInput {
	return catalog.ProductInput{
		SKU: f.optStr("sku"), Title: f.str("title"), Description: f.str("description"), Craft: f.optStr("craft"),
		HSNCode: f.optStr("hsn_code"), GSTRateBP: f.int("gst_rate_bp", "gst_rate_bp"), MRPPaise: f.int("mrp_paise", "mrp_paise"),
		PricePaise: f.int("price_paise", "price_paise"), ArtisanCode: f.optStr("artisan_code"),
		ArtisanPricePaise: f.int("artisan_price_paise", "artisan_price_paise"), GICertificateNo: f.str("gi_certificate_no"),
		GITag: f.boolean("gi_tag"), OneOfAKind: f.boolean("one_of_a_kind"), MadeToOrder: f.boolean("made_to_order"),
		Images: f.lines("images"), Status: f.optStr("status"), Version: f.int("version", "version"),
	}
}

func (c *Console) createProduct(r *http.Request) (string, string, error) {
	f := readForm(r)
	in := productInput(f)
	if err := f.err(); err != nil {
		return "", "", err
	}
	p, err := c.Catalog.CreateProduct(r.Context(), in)
	if err != nil {
		return "", "", err
	}
	return "/showroom/products/" + url.PathEscape(p.ID), "flash.saved", nil
}

type listingRow struct {
	Channel channels.Channel
	Listing *listing.Listing
}

type productData struct {
	Product   catalog.Product
	Artisan   *catalog.Artisan
	Levels    []inventory.Level
	Locations []inventory.Location
	Listings  []listingRow
	Crafts    []string
}

func (c *Console) product(r *http.Request) (any, error) {
	ctx := r.Context()
	p, err := c.Catalog.GetProduct(ctx, r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	d := productData{Product: p, Crafts: c.Catalog.Crafts().Names()}
	if a, err := c.Catalog.GetArtisan(ctx, p.ArtisanID); err == nil {
		d.Artisan = &a
	}
	role := auth.Role(actorRole(r))
	if auth.Allowed(role, auth.StockRead) {
		levels, err := c.Inventory.ListLevels(ctx, inventory.LevelFilter{ProductID: p.ID}, paging.Request{Limit: 100})
		if err != nil {
			return nil, err
		}
		d.Levels = levels.Items
		locs, err := c.Inventory.ListLocations(ctx, paging.Request{Limit: 100})
		if err != nil {
			return nil, err
		}
		d.Locations = locs.Items
	}
	if auth.Allowed(role, auth.ListingsRead) {
		chs, err := c.Channels.List(ctx)
		if err != nil {
			return nil, err
		}
		ls, err := c.Listings.List(ctx, listing.Filter{ProductID: p.ID}, paging.Request{Limit: 100})
		if err != nil {
			return nil, err
		}
		for _, ch := range chs {
			row := listingRow{Channel: ch}
			for i := range ls.Items {
				if ls.Items[i].ChannelID == ch.ID {
					row.Listing = &ls.Items[i]
				}
			}
			d.Listings = append(d.Listings, row)
		}
	}
	return d, nil
}

func (c *Console) editProduct(r *http.Request) (string, string, error) {
	f := readForm(r)
	in := productInput(f)
	if err := f.err(); err != nil {
		return "", "", err
	}
	if _, err := c.Catalog.UpdateProduct(r.Context(), r.PathValue("id"), in); err != nil {
		return "", "", err
	}
	return "", "flash.saved", nil
}

func (c *Console) stockIntake(r *http.Request) (string, string, error) {
	f := readForm(r)
	qty := f.int("quantity", "quantity")
	if err := f.err(); err != nil {
		return "", "", err
	}
	in := inventory.MovementInput{ProductID: r.PathValue("id"), LocationID: r.PostFormValue("location_id"), Kind: r.PostFormValue("kind"),
		Reason: r.PostFormValue("reason")}
	if in.Kind == "" {
		in.Kind = "intake"
	}
	if qty != nil {
		in.Quantity = *qty
	}
	if _, err := c.Inventory.RecordMovement(r.Context(), in); err != nil {
		return "", "", err
	}
	return "", "flash.stock", nil
}

func (c *Console) publish(r *http.Request) (string, string, error) {
	f := readForm(r)
	enabled := true
	in := listing.Input{PricePaise: f.int("price_paise", "price_paise"), Buffer: f.int("buffer", "buffer"), Version: f.int("version", "version"),
		Enabled: &enabled, ExternalID: f.optStr("external_id")}
	if err := f.err(); err != nil {
		return "", "", err
	}
	if _, err := c.Listings.Publish(r.Context(), r.PathValue("id"), r.PostFormValue("channel_id"), in); err != nil {
		return "", "", err
	}
	return "", "flash.published", nil
}

func (c *Console) unpublish(r *http.Request) (string, string, error) {
	if _, err := c.Listings.Unpublish(r.Context(), r.PathValue("id"), r.PostFormValue("channel_id")); err != nil {
		return "", "", err
	}
	return "", "flash.unpublished", nil
}

// addPhoto stores a photo taken on the tablet (once by its content hash,
// resized for each marketplace by the media service) and adds its public
// address to the product's images.
func (c *Console) addPhoto(r *http.Request) (string, string, error) {
	if c.Media == nil {
		return "", "", apperr.New(apperr.PreconditionFailed, "photos cannot be stored by this process")
	}
	ctx := r.Context()
	var m media.Media
	if id := r.PostFormValue("upload_id"); id != "" {
		// The script sent the photo in resumable chunks first.
		var err error
		if m, err = c.uploadedPhoto(r, id); err != nil {
			return "", "", err
		}
	} else {
		data, err := uploaded(r)
		if err != nil {
			return "", "", err
		}
		if m, err = c.Media.Put(ctx, http.DetectContentType(data), data); err != nil {
			return "", "", err
		}
	}
	p, err := c.Catalog.GetProduct(ctx, r.PathValue("id"))
	if err != nil {
		return "", "", err
	}
	images := append(p.Images, m.URL)
	for _, have := range p.Images {
		if have == m.URL {
			images = p.Images
		}
	}
	f := readForm(r)
	if _, err := c.Catalog.UpdateProduct(ctx, p.ID, catalog.ProductInput{Images: &images, Version: f.int("version", "version")}); err != nil {
		return "", "", err
	}
	return "", "flash.photo", nil
}

// --- fulfilment ---

type boardData struct {
	Locations  []inventory.Location
	LocationID string
	Status     string
	Tasks      []fulfilment.Task
	Next       map[string][]string
}

// taskSteps are the buttons of a task in each status, as the domain's
// Check allows them (the domain refuses anything else anyway).
var taskSteps = map[string][]string{
	"open":         {"acknowledged", "collected", "packed"},
	"acknowledged": {"collected", "packed"},
	"collected":    {"packed"},
	"packed":       {"dispatched"},
	"dispatched":   {"delivered"},
}

func (c *Console) board(r *http.Request) (any, error) {
	ctx := r.Context()
	q := r.URL.Query()
	locs, err := c.Inventory.ListLocations(ctx, paging.Request{Limit: 100})
	if err != nil {
		return nil, err
	}
	d := boardData{Locations: locs.Items, LocationID: q.Get("location_id"), Status: q.Get("status"), Next: taskSteps}
	p, err := firstPage(r, 100)
	if err != nil {
		return nil, err
	}
	tasks, err := c.Tasks.List(ctx, fulfilment.Filter{LocationID: d.LocationID, Status: d.Status}, p)
	if err != nil {
		return nil, err
	}
	for _, t := range tasks.Items {
		if d.Status != "" || (t.Status != "delivered" && t.Status != "cancelled") {
			d.Tasks = append(d.Tasks, t)
		}
	}
	return d, nil
}

func (c *Console) moveTask(r *http.Request) (string, string, error) {
	t := fulfilment.Transition{To: r.PostFormValue("to"), TrackingNo: r.PostFormValue("tracking_no"), Carrier: r.PostFormValue("carrier")}
	if _, err := c.Tasks.Transition(r.Context(), r.PostFormValue("task_id"), t); err != nil {
		return "", "", err
	}
	next := r.URL.Path
	if l := r.URL.Query().Get("location_id"); l != "" {
		next += "?location_id=" + url.QueryEscape(l)
	}
	return next, "flash.moved", nil
}

type slipData struct {
	Order    orders.Order
	Products map[string]catalog.Product
	Makers   map[string]catalog.Artisan
}

func (c *Console) slip(r *http.Request) (any, error) {
	ctx := r.Context()
	o, err := c.Orders.Get(ctx, r.PathValue("order"))
	if err != nil {
		return nil, err
	}
	d := slipData{Order: o, Products: map[string]catalog.Product{}, Makers: map[string]catalog.Artisan{}}
	for _, l := range o.Lines {
		if l.ProductID != nil {
			if p, err := c.Catalog.GetProduct(ctx, *l.ProductID); err == nil {
				d.Products[l.ID] = p
			}
		}
		if l.ArtisanID != nil {
			if a, err := c.Catalog.GetArtisan(ctx, *l.ArtisanID); err == nil {
				d.Makers[l.ID] = a
			}
		}
	}
	return d, nil
}

type saleData struct {
	Locations []inventory.Location
	SKU       string
}

func (c *Console) saleForm(r *http.Request) (any, error) {
	locs, err := c.Inventory.ListLocations(r.Context(), paging.Request{Limit: 100})
	if err != nil {
		return nil, err
	}
	return saleData{Locations: locs.Items, SKU: r.URL.Query().Get("sku")}, nil
}

func (c *Console) sell(r *http.Request) (string, string, error) {
	ctx := r.Context()
	f := readForm(r)
	qty, price := f.int("quantity", "quantity"), f.int("price_paise", "price_paise")
	if err := f.err(); err != nil {
		return "", "", err
	}
	sku := r.PostFormValue("sku")
	page, err := c.Catalog.ListProducts(ctx, catalog.ProductFilter{SKU: sku}, paging.Request{Limit: 1})
	if err != nil {
		return "", "", err
	}
	if len(page.Items) == 0 {
		return "", "", &apperr.Error{Code: apperr.NotFound, Message: "no product has the SKU " + sku + ": check the tag", Fields: map[string]string{"sku": "no such SKU"}}
	}
	in := inventory.CounterSaleInput{ProductID: page.Items[0].ID, LocationID: r.PostFormValue("location_id")}
	if qty != nil {
		in.Quantity = *qty
	}
	if price != nil {
		in.PricePaise = *price
	}
	if _, err := c.Inventory.CounterSale(ctx, in); err != nil {
		return "", "", err
	}
	return "", "flash.sold", nil
}
