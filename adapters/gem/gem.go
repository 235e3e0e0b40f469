// Package gem is the GeM (Government e-Marketplace) channel. GeM offers
// sellers no API (MARKETPLACES.md 3), so it is an assisted channel:
// publishing writes the portal-ready catalogue workbook staff upload by
// hand, a listing waits in awaiting_upload until staff record its GeM
// catalogue id, and price and stock changes of live listings produce
// update workbooks the same way. The Channel interface stays, so an API
// client can replace the files if GeM ever opens one.
package gem

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/jkhhc/artisanbridge/adapters"
	"github.com/jkhhc/artisanbridge/internal/money"
)

// File is a workbook for staff.
type File struct {
	Name        string
	ContentType string
	Items       int
	Data        []byte
}

// FileStore keeps the files; Put returns the reference staff download by.
type FileStore interface {
	Put(ctx context.Context, f File) (ref string, err error)
}

// Config is the corporation's GeM seller account.
type Config struct {
	Store FileStore
	// DeliveryDays is the delivery period offered to buyers.
	DeliveryDays int
	Brand        string
	// Categories maps our crafts to GeM categories. The defaults are
	// placeholders to confirm with the corporation's GeM team.
	Categories map[string]string
	// Confirmed gives the last catalogue export imported, which a stock
	// reconciliation reads (ListingsReport).
	Confirmed ConfirmedSource
}

// DefaultCategories are placeholders (see Config.Categories).
var DefaultCategories = map[string]string{
	"pashmina_shawl": "Shawls", "kani_shawl": "Shawls", "sozni_embroidery": "Shawls", "aari_embroidery": "Handicraft - Embroidery",
	"chain_stitch": "Handicraft - Rugs", "crewel": "Handicraft - Furnishing", "tilla_embroidery": "Handicraft - Embroidery",
	"carpet": "Hand Knotted Carpets", "namda": "Handicraft - Rugs", "gabba": "Handicraft - Rugs",
	"papier_mache": "Handicraft - Papier Mache", "walnut_wood_carving": "Handicraft - Wood Carving",
	"khatamband": "Handicraft - Wood Carving", "willow_wicker": "Handicraft - Wicker", "copperware": "Handicraft - Metal Ware",
	"silverware": "Handicraft - Metal Ware",
}

// Catalogue and update workbook columns, as the portal's forms ask for them.
var (
	CatalogueColumns = []string{"Category", "Product Name", "Brand", "Model/SKU", "HSN Code", "GST Rate (%)", "MRP (INR)",
		"Offer Price incl. GST (INR)", "Stock", "Minimum Order Quantity", "Delivery Period (days)", "Country of Origin",
		"Image URLs", "GI Tag", "GI Certificate No", "Description"}
	UpdateColumns = []string{"GeM Catalogue ID", "Model/SKU", "MRP (INR)", "Offer Price incl. GST (INR)", "Stock"}
)

// AwaitingUpload is the status of an item waiting for staff in the portal.
const AwaitingUpload = "AWAITING_UPLOAD"

// Client writes GeM files.
type Client struct {
	cfg Config
	now func() time.Time
}

var _ adapters.Channel = (*Client)(nil)

// New returns a GeM channel.
func New(cfg Config) *Client {
	if cfg.DeliveryDays <= 0 {
		cfg.DeliveryDays = 15
	}
	if cfg.Brand == "" {
		cfg.Brand = "JKHHC"
	}
	if cfg.Categories == nil {
		cfg.Categories = DefaultCategories
	}
	return &Client{cfg: cfg, now: time.Now}
}

func (c *Client) Kind() adapters.Kind { return adapters.GeM }

// Limits: files have no remote limit; a workbook holds up to 500 rows.
func (c *Client) Limits() map[adapters.Operation]adapters.Limit {
	l := adapters.Limit{BatchSize: 500, Rate: 1000, Burst: 1000}
	return map[adapters.Operation]adapters.Limit{adapters.OpCreateListings: l, adapters.OpUpdatePrices: l,
		adapters.OpUpdateStock: l, adapters.OpGetListings: l}
}

func problem(sku, code, msg string) adapters.ItemResult {
	return adapters.ItemResult{SKU: sku, Status: "NOT_SENT", Issues: []adapters.Issue{{Severity: "ERROR", Code: code, Message: msg}}}
}

// GeM requires an offer below MRP (a minimum discount) and tax-inclusive
// prices; our price_paise is already tax-inclusive.
func checkPrices(sku string, mrp, price int64) *adapters.ItemResult {
	if price <= 0 || mrp <= 0 || price >= mrp {
		r := problem(sku, "price", "GeM needs an offer price above zero and below the MRP")
		return &r
	}
	return nil
}

// PushListings writes a catalogue workbook for listings not yet on GeM
// and an update workbook for those whose GeM catalogue id staff recorded.
func (c *Client) PushListings(ctx context.Context, items []adapters.Listing) ([]adapters.ItemResult, error) {
	var out []adapters.ItemResult
	var fresh, live [][]any
	var freshSKUs, liveSKUs []string
	for _, l := range items {
		if p := checkPrices(l.SKU, l.MRPPaise, l.PricePaise); p != nil {
			out = append(out, *p)
			continue
		}
		if l.HSNCode == "" {
			out = append(out, problem(l.SKU, "hsn", "GeM needs the HSN code"))
			continue
		}
		if l.ExternalID != "" {
			live = append(live, []any{l.ExternalID, l.SKU, money.Format(l.MRPPaise), money.Format(l.PricePaise), l.Quantity})
			liveSKUs = append(liveSKUs, l.SKU)
			continue
		}
		category := c.cfg.Categories[l.Craft]
		if category == "" {
			category = "Handicraft"
		}
		gi, cert := "No", ""
		if l.GITag {
			gi, cert = "Yes", l.GICertificateNo
		}
		fresh = append(fresh, []any{category, l.Title, orDefault(l.Brand, c.cfg.Brand), l.SKU, l.HSNCode,
			money.Format(l.GSTRateBP), money.Format(l.MRPPaise), money.Format(l.PricePaise), l.Quantity, 1,
			max(c.cfg.DeliveryDays, l.DispatchDays), orDefault(l.CountryOfOrigin, "India"), strings.Join(l.Images, " | "), gi, cert, l.Description})
		freshSKUs = append(freshSKUs, l.SKU)
	}
	res, err := c.write(ctx, "catalogue", CatalogueColumns, fresh, freshSKUs, false)
	if err != nil {
		return out, err
	}
	out = append(out, res...)
	res, err = c.write(ctx, "update", UpdateColumns, live, liveSKUs, true)
	return append(out, res...), err
}

// PushPrices and PushStock write update workbooks for live listings; a
// listing without its GeM catalogue id still waits for its catalogue upload.
func (c *Client) PushPrices(ctx context.Context, items []adapters.PriceUpdate) ([]adapters.ItemResult, error) {
	var out []adapters.ItemResult
	var rows [][]any
	var skus []string
	for _, p := range items {
		if r := checkPrices(p.SKU, p.MRPPaise, p.PricePaise); r != nil {
			out = append(out, *r)
			continue
		}
		if p.ExternalID == "" {
			out = append(out, waiting(p.SKU))
			continue
		}
		rows = append(rows, []any{p.ExternalID, p.SKU, money.Format(p.MRPPaise), money.Format(p.PricePaise), ""})
		skus = append(skus, p.SKU)
	}
	res, err := c.write(ctx, "price-update", UpdateColumns, rows, skus, true)
	return append(out, res...), err
}

func (c *Client) PushStock(ctx context.Context, items []adapters.StockUpdate) ([]adapters.ItemResult, error) {
	var out []adapters.ItemResult
	var rows [][]any
	var skus []string
	for _, s := range items {
		if s.ExternalID == "" {
			out = append(out, waiting(s.SKU))
			continue
		}
		rows = append(rows, []any{s.ExternalID, s.SKU, "", "", max(s.Quantity, 0)})
		skus = append(skus, s.SKU)
	}
	res, err := c.write(ctx, "stock-update", UpdateColumns, rows, skus, true)
	return append(out, res...), err
}

func waiting(sku string) adapters.ItemResult {
	return adapters.ItemResult{SKU: sku, Status: AwaitingUpload, Issues: []adapters.Issue{{Severity: "INFO", Code: "catalogue_id_required",
		Message: "upload the catalogue file in the GeM portal and record the GeM catalogue id on this listing"}}}
}

// FetchListings cannot ask GeM: its state comes from a portal export
// (ParseCatalogueExport, ListingsReport).
func (c *Client) FetchListings(ctx context.Context, skus []string) ([]adapters.RemoteListing, error) {
	return nil, errors.New("gem: the portal has no API; import its catalogue export instead")
}

// write stores one workbook and reports each SKU in it. Update files of
// live listings count as accepted (staff upload them; nothing is waiting
// on a catalogue id); catalogue files leave their items awaiting upload.
func (c *Client) write(ctx context.Context, kind string, header []string, rows [][]any, skus []string, live bool) ([]adapters.ItemResult, error) {
	if len(rows) == 0 {
		return nil, nil
	}
	data, err := Workbook(header, rows)
	if err != nil {
		return nil, err
	}
	name := fmt.Sprintf("gem-%s-%s.xlsx", kind, c.now().UTC().Format("20060102-150405.000"))
	ref, err := c.cfg.Store.Put(ctx, File{Name: name, ContentType: XLSXType, Items: len(rows), Data: data})
	if err != nil {
		return nil, fmt.Errorf("gem: storing %s: %w", name, err)
	}
	out := make([]adapters.ItemResult, len(skus))
	for i, sku := range skus {
		if live {
			out[i] = adapters.ItemResult{SKU: sku, Accepted: true, Status: "FILE_READY", Issues: []adapters.Issue{{Severity: "INFO",
				Code: "upload_update", Message: "update file " + ref + " (" + name + ") is ready: upload it in the GeM portal"}}}
			continue
		}
		out[i] = adapters.ItemResult{SKU: sku, Status: AwaitingUpload, Issues: []adapters.Issue{{Severity: "INFO", Code: "awaiting_upload",
			Message: "catalogue file " + ref + " (" + name + ") is ready: upload it in the GeM seller portal and record the GeM catalogue id"}}}
	}
	return out, nil
}

// XLSXType is the media type of the workbooks.
const XLSXType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

// Workbook writes header and rows as the first sheet of an XLSX file.
func Workbook(header []string, rows [][]any) ([]byte, error) {
	f := excelize.NewFile()
	defer f.Close()
	sheet := "Sheet1"
	h := make([]any, len(header))
	for i, v := range header {
		h[i] = v
	}
	if err := f.SetSheetRow(sheet, "A1", &h); err != nil {
		return nil, err
	}
	for i, r := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+2)
		row := r
		if err := f.SetSheetRow(sheet, cell, &row); err != nil {
			return nil, err
		}
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func orDefault(v, d string) string {
	if v == "" {
		return d
	}
	return v
}
