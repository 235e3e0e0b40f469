// Package showcase renders the public pages: each artisan's virtual
// showroom (/artisans/{code}), a cluster's makers (/clusters/{code}), each
// piece's provenance page (/pieces/{sku}) and the printed tag whose QR
// code leads to it. The views are built from the public fields only (a
// maker's name, craft, cluster, GI registration; a piece's title, photo,
// price and live listings): no phone, bank account, earnings or Pehchan
// card number ever reaches a template.
package showcase

import (
	"bytes"
	"context"
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"encoding/hex"
	"html/template"
	"net/url"
	"regexp"
	"slices"
	"strings"

	qrcode "github.com/skip2/go-qrcode"

	"github.com/jkhhc/artisanbridge/internal/apperr"
	"github.com/jkhhc/artisanbridge/internal/catalog"
	"github.com/jkhhc/artisanbridge/internal/channels"
	"github.com/jkhhc/artisanbridge/internal/listing"
	"github.com/jkhhc/artisanbridge/internal/media"
	"github.com/jkhhc/artisanbridge/internal/money"
	"github.com/jkhhc/artisanbridge/internal/paging"
)

//go:embed pages.html.tmpl
var pagesText string

// pages is parsed with stand-in label functions; each render clones it
// with the visitor's language (see render).
var pages = template.Must(template.New("pages").Funcs(template.FuncMap{"rupees": money.FormatINR,
	"T": func(string) string { return "" }, "lang": func() string { return "" }, "dir": func() string { return "" },
	"languages": func() []string { return nil }, "self": func() string { return "" }}).Parse(pagesText))

// Labels is the message catalogue the pages speak from: the console's one
// catalogue, in English, Urdu (right to left) and Hindi.
type Labels interface {
	Translate(lang, key string) string
	Dir(lang string) string
	ChooseLanguage(query, remembered, acceptLanguage string) string
}

// LangCookie remembers a visitor's language, for the public pages and
// the console alike.
const LangCookie = "ab_lang"

// Languages are the pages' languages, in the order their links are shown.
var Languages = []string{"en", "ur", "hi"}

type langKey struct{}

// WithLang carries the visitor's language to the renderers.
func WithLang(ctx context.Context, lang string) context.Context {
	return context.WithValue(ctx, langKey{}, lang)
}

func langOf(ctx context.Context) string {
	if l, ok := ctx.Value(langKey{}).(string); ok && l != "" {
		return l
	}
	return "en"
}

// Catalogue is what the pages read of the catalogue.
type Catalogue interface {
	ArtisanByCode(ctx context.Context, code string) (catalog.Artisan, error)
	GetCluster(ctx context.Context, ref string) (catalog.Cluster, error)
	GetArtisan(ctx context.Context, id string) (catalog.Artisan, error)
	ListArtisans(ctx context.Context, f catalog.ArtisanFilter, p paging.Request) (paging.Page[catalog.Artisan], error)
	ListProducts(ctx context.Context, f catalog.ProductFilter, p paging.Request) (paging.Page[catalog.Product], error)
}

// Listings says where a piece is on sale.
type Listings interface {
	List(ctx context.Context, f listing.Filter, p paging.Request) (paging.Page[listing.Listing], error)
}

// Channels names the marketplaces.
type Channels interface {
	List(ctx context.Context) ([]channels.Channel, error)
}

// Site renders the public pages.
type Site struct {
	Catalogue Catalogue
	Listings  Listings
	Channels  Channels
	// Public is the service's public base URL (QR codes, photo URLs).
	Public func() string
	// Labels translates the pages (nil: English keys only, for tests
	// that do not read the labels).
	Labels Labels
}

// Page is a rendered page with its validator.
type Page struct {
	HTML []byte
	ETag string
}

// Maker is an artisan as the public sees them.
type Maker struct {
	Code, Name, Craft, District string
	Cluster                     *Place
	// GIAuthorisedUser says the maker is a registered GI authorised user
	// (the number itself is printed on each piece's tag).
	GIAuthorisedUser bool
	// GIs are the registered GIs the maker's pieces on show are sold under.
	GIs    []catalog.GI
	Pieces []Piece
}

// Place is a cluster as the public sees it.
type Place struct {
	Code, Name, Craft, District, Path string
}

// Piece is a product as the public sees it.
type Piece struct {
	SKU, Title, Description, Craft, Path string
	PricePaise                           int64
	Photo                                string // the web variant's URL, empty without a photo
	Thumb                                string // the thumb variant's, for a card
	PhotoLarge                           string
	GI                                   *catalog.GI
	GICertificateNo                      string
	MakerName, MakerPath                 string
	Cluster                              *Place
	Buy                                  []Offer
	OneOfAKind                           bool
	// OnSale is false for a piece not (or no longer) offered.
	OnSale bool
}

// Offer is a live listing on a marketplace.
type Offer struct {
	Marketplace, URL string
}

// CraftName is a craft key as people write it.
func CraftName(key string) string {
	s := strings.ReplaceAll(key, "_", " ")
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

var (
	fsnPattern  = regexp.MustCompile(`^[A-Z0-9]{13,16}$`)
	asinPattern = regexp.MustCompile(`^[A-Z0-9]{10}$`)
)

// OfferURL is the public address of a live listing on a marketplace, or ""
// when the marketplace has none the service knows: a Flipkart listing by
// its FSN, an Amazon.in one by its ASIN; GeM's catalogue is for buyers of
// the government, signed in.
func OfferURL(kind, externalID string) string {
	switch {
	case kind == "flipkart" && fsnPattern.MatchString(externalID):
		return "https://www.flipkart.com/product/p/itme?pid=" + url.QueryEscape(externalID)
	case kind == "amazon" && asinPattern.MatchString(externalID):
		return "https://www.amazon.in/dp/" + url.PathEscape(externalID)
	}
	return ""
}

var marketplaceNames = map[string]string{"flipkart": "Flipkart", "amazon": "Amazon.in", "gem": "GeM"}

// PiecePath, ArtisanPath and ClusterPath are the public pages' paths.
func PiecePath(sku string) string    { return "/pieces/" + url.PathEscape(sku) }
func ArtisanPath(code string) string { return "/artisans/" + url.PathEscape(code) }

// ClusterPath is a cluster's page, by code when it has one.
func ClusterPath(c catalog.Cluster) string {
	if c.Code != "" {
		return "/clusters/" + url.PathEscape(c.Code)
	}
	return "/clusters/" + c.ID
}

func notFound(what string) error {
	return apperr.New(apperr.NotFound, "no %s here: check the address on the tag or card", what)
}

// Artisan renders a maker's virtual showroom.
func (s *Site) Artisan(ctx context.Context, code string) (Page, error) {
	a, err := s.Catalogue.ArtisanByCode(ctx, code)
	if err != nil || a.Status != catalog.ArtisanActive {
		return Page{}, hide(err, "showroom")
	}
	m, err := s.maker(ctx, a, true)
	if err != nil {
		return Page{}, err
	}
	return s.render(ctx, "artisan", ArtisanPath(m.Code), map[string]any{"Maker": m, "Public": s.Public()})
}

// Cluster renders a cluster's page: its makers, each with a piece.
func (s *Site) Cluster(ctx context.Context, ref string) (Page, error) {
	c, err := s.Catalogue.GetCluster(ctx, ref)
	if err != nil {
		return Page{}, hide(err, "cluster")
	}
	var makers []Maker
	for cursor := ""; ; {
		req, err := paging.Parse(paging.MaxLimit, cursor)
		if err != nil {
			return Page{}, err
		}
		page, err := s.Catalogue.ListArtisans(ctx, catalog.ArtisanFilter{ClusterID: c.ID, Status: catalog.ArtisanActive}, req)
		if err != nil {
			return Page{}, err
		}
		for _, a := range page.Items {
			m, err := s.maker(ctx, a, false)
			if err != nil {
				return Page{}, err
			}
			makers = append(makers, m)
		}
		if page.NextCursor == "" {
			break
		}
		cursor = page.NextCursor
	}
	return s.render(ctx, "cluster", ClusterPath(c), map[string]any{"Place": place(c), "Makers": makers, "Public": s.Public()})
}

// Piece renders a piece's provenance page.
func (s *Site) Piece(ctx context.Context, sku string) (Page, error) {
	p, a, err := s.product(ctx, sku)
	if err != nil {
		return Page{}, err
	}
	pc, err := s.piece(ctx, p, a, true)
	if err != nil {
		return Page{}, err
	}
	return s.render(ctx, "piece", pc.Path, map[string]any{"Piece": pc, "Public": s.Public()})
}

// Tag renders the printable tag of a product (by id) for staff: what the
// piece is, its maker and GI label number, and a QR code of its public
// page. Archived and draft pieces print too (a tag is made at intake).
func (s *Site) Tag(ctx context.Context, p catalog.Product) (Page, error) {
	a, err := s.Catalogue.GetArtisan(ctx, p.ArtisanID)
	if err != nil {
		return Page{}, err
	}
	pc, err := s.piece(ctx, p, a, false)
	if err != nil {
		return Page{}, err
	}
	link := strings.TrimRight(s.Public(), "/") + PiecePath(p.SKU)
	png, err := QR(link)
	if err != nil {
		return Page{}, apperr.Wrap(err, apperr.Internal, "could not draw the QR code")
	}
	return s.render(ctx, "tag", "", map[string]any{"Piece": pc, "Link": link,
		"QR": template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(png))})
}

// QR draws link as a QR code PNG, with medium error correction (a tag
// gets scuffed) and a quiet zone, 256 px: about 3 cm printed.
func QR(link string) ([]byte, error) {
	q, err := qrcode.New(link, qrcode.Medium)
	if err != nil {
		return nil, err
	}
	return q.PNG(256)
}

// hide turns a lookup's failure into NotFound without saying why (an
// inactive maker is not announced), and passes other failures on.
func hide(err error, what string) error {
	if err == nil || apperr.Is(err, apperr.NotFound) {
		return notFound(what)
	}
	return err
}

func (s *Site) product(ctx context.Context, sku string) (catalog.Product, catalog.Artisan, error) {
	sku = strings.TrimSpace(sku)
	if !catalog.ValidSKU(sku) {
		return catalog.Product{}, catalog.Artisan{}, notFound("piece")
	}
	req, _ := paging.Parse(1, "")
	page, err := s.Catalogue.ListProducts(ctx, catalog.ProductFilter{SKU: sku}, req)
	if err != nil {
		return catalog.Product{}, catalog.Artisan{}, err
	}
	// Every recorded piece has its provenance page, on sale or not: a tag
	// is printed at intake (draft) and a buyer scans it long after the
	// piece was sold (archived). Only active pieces are offered for sale.
	if len(page.Items) == 0 {
		return catalog.Product{}, catalog.Artisan{}, notFound("piece")
	}
	p := page.Items[0]
	a, err := s.Catalogue.GetArtisan(ctx, p.ArtisanID)
	if err != nil {
		return catalog.Product{}, catalog.Artisan{}, err
	}
	return p, a, nil
}

func (s *Site) maker(ctx context.Context, a catalog.Artisan, withPieces bool) (Maker, error) {
	m := Maker{Code: a.Code, Name: a.Name, Craft: CraftName(a.Craft), District: a.District, GIAuthorisedUser: a.GIAuthorisedUserNo != ""}
	if a.ClusterID != nil {
		c, err := s.Catalogue.GetCluster(ctx, *a.ClusterID)
		if err != nil {
			return Maker{}, err
		}
		pl := place(c)
		m.Cluster = &pl
	}
	limit := paging.MaxLimit
	if !withPieces {
		limit = 1 // the cluster page shows one piece of each maker
	}
	for cursor := ""; ; {
		req, err := paging.Parse(limit, cursor)
		if err != nil {
			return Maker{}, err
		}
		page, err := s.Catalogue.ListProducts(ctx, catalog.ProductFilter{ArtisanID: a.ID, Status: "active"}, req)
		if err != nil {
			return Maker{}, err
		}
		for _, p := range page.Items {
			pc, err := s.piece(ctx, p, a, withPieces)
			if err != nil {
				return Maker{}, err
			}
			pc.MakerName, pc.MakerPath, pc.Cluster = m.Name, ArtisanPath(m.Code), m.Cluster
			m.Pieces = append(m.Pieces, pc)
			if pc.GI != nil && !slices.ContainsFunc(m.GIs, func(g catalog.GI) bool { return g.Key == pc.GI.Key }) {
				m.GIs = append(m.GIs, *pc.GI)
			}
		}
		if page.NextCursor == "" || !withPieces {
			break
		}
		cursor = page.NextCursor
	}
	return m, nil
}

func (s *Site) piece(ctx context.Context, p catalog.Product, a catalog.Artisan, offers bool) (Piece, error) {
	pc := Piece{OnSale: p.Status == "active", SKU: p.SKU, Title: p.Title, Description: p.Description, Craft: CraftName(p.Craft), Path: PiecePath(p.SKU),
		PricePaise: p.PricePaise, GICertificateNo: p.GICertificateNo, MakerName: a.Name, MakerPath: ArtisanPath(a.Code), OneOfAKind: p.OneOfAKind}
	if g, ok := catalog.GIByKey(p.GI); ok {
		pc.GI = &g
	} else {
		pc.GICertificateNo = ""
	}
	base := s.Public()
	switch {
	case len(p.Photos) > 0:
		pc.Photo, pc.PhotoLarge = media.URLFor(base, p.Photos[0], "web"), media.URLFor(base, p.Photos[0], media.Original)
		pc.Thumb = media.URLFor(base, p.Photos[0], "thumb")
	case len(p.Images) > 0:
		pc.Photo, pc.PhotoLarge, pc.Thumb = p.Images[0], p.Images[0], p.Images[0]
	}
	if a.ClusterID != nil {
		c, err := s.Catalogue.GetCluster(ctx, *a.ClusterID)
		if err != nil {
			return Piece{}, err
		}
		pl := place(c)
		pc.Cluster = &pl
	}
	if !offers || !pc.OnSale {
		return pc, nil
	}
	chans, err := s.Channels.List(ctx)
	if err != nil {
		return Piece{}, err
	}
	kind := map[string]string{}
	for _, c := range chans {
		if c.Enabled {
			kind[c.ID] = c.Kind
		}
	}
	req, _ := paging.Parse(paging.MaxLimit, "")
	ls, err := s.Listings.List(ctx, listing.Filter{ProductID: p.ID, Status: listing.StatusLive}, req)
	if err != nil {
		return Piece{}, err
	}
	for _, l := range ls.Items {
		k, ok := kind[l.ChannelID]
		if !ok || !l.Enabled {
			continue
		}
		if u := OfferURL(k, l.ExternalID); u != "" {
			pc.Buy = append(pc.Buy, Offer{Marketplace: marketplaceNames[k], URL: u})
		}
	}
	slices.SortFunc(pc.Buy, func(a, b Offer) int { return strings.Compare(a.Marketplace, b.Marketplace) })
	return pc, nil
}

func place(c catalog.Cluster) Place {
	return Place{Code: c.Code, Name: c.Name, Craft: CraftName(c.Craft), District: c.District, Path: ClusterPath(c)}
}

// render draws a page in the language the context carries.
func (s *Site) render(ctx context.Context, name, self string, data any) (Page, error) {
	lang := langOf(ctx)
	t, err := pages.Clone()
	if err != nil {
		return Page{}, apperr.Wrap(err, apperr.Internal, "could not render the page")
	}
	tr := func(key string) string { return key }
	dir := "ltr"
	if s.Labels != nil {
		tr = func(key string) string { return s.Labels.Translate(lang, key) }
		dir = s.Labels.Dir(lang)
	}
	t.Funcs(template.FuncMap{"T": tr, "lang": func() string { return lang }, "dir": func() string { return dir },
		"languages": func() []string { return Languages }, "self": func() string { return self }})
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, name, data); err != nil {
		return Page{}, apperr.Wrap(err, apperr.Internal, "could not render the page")
	}
	sum := sha256.Sum256(buf.Bytes())
	return Page{HTML: buf.Bytes(), ETag: `"` + hex.EncodeToString(sum[:12]) + `"`}, nil
}
