// Package catalog is the corporation's master catalogue: craft clusters, the
// artisans who make the goods (and are paid for them), and the products.
package catalog

import (
	"context"
	"strings"
	"time"

	"github.com/jkhhc/artisanbridge/internal/effects"
	"github.com/jkhhc/artisanbridge/internal/paging"
	"github.com/jkhhc/artisanbridge/internal/search"
)

// Artisan statuses: an inactive artisan stays on record (their pieces,
// earnings and statements) but is sent nothing.
const (
	ArtisanActive   = "active"
	ArtisanInactive = "inactive"
)

// Cluster is a group of artisans of one craft in one place.
type Cluster struct {
	ID string `json:"id"`
	// Code names the cluster's public page, /clusters/{code} (optional).
	Code      string    `json:"code"`
	Name      string    `json:"name"`
	Craft     string    `json:"craft"`
	District  string    `json:"district"`
	Lat       *float64  `json:"lat"`
	Lon       *float64  `json:"lon"`
	CreatedAt time.Time `json:"created_at"`
}

// NewCluster is the input to register a cluster.
type NewCluster struct {
	Code     string   `json:"code"`
	Name     string   `json:"name"`
	Craft    string   `json:"craft"`
	District string   `json:"district"`
	Lat      *float64 `json:"lat"`
	Lon      *float64 `json:"lon"`
}

// Artisan is a maker and a payee. The bank account number is never part of
// this type: it is sealed on the way in and only its last 4 digits come out.
type Artisan struct {
	ID                 string    `json:"id"`
	Code               string    `json:"code"`
	Name               string    `json:"name"`
	Craft              string    `json:"craft"`
	ClusterID          *string   `json:"cluster_id"`
	District           string    `json:"district"`
	Phone              string    `json:"phone"`
	Language           string    `json:"language"`
	PehchanCardNo      string    `json:"pehchan_card_no"`
	GIAuthorisedUserNo string    `json:"gi_authorised_user_no"`
	BankAccountMasked  string    `json:"bank_account_masked"`
	BankIFSC           string    `json:"bank_ifsc"`
	Status             string    `json:"status"`
	Version            int64     `json:"version"`
	CreatedAt          time.Time `json:"created_at"`
	UpdatedAt          time.Time `json:"updated_at"`
}

// SealedAccount is how a bank account number is stored.
type SealedAccount struct {
	Sealed string
	Last4  string
}

// ArtisanInput is the body of a create (every required field set) or a
// patch (only the fields to change, plus version).
type ArtisanInput struct {
	Code               *string `json:"code"`
	Name               *string `json:"name"`
	Craft              *string `json:"craft"`
	ClusterID          *string `json:"cluster_id"`
	District           *string `json:"district"`
	Phone              *string `json:"phone"`
	Language           *string `json:"language"`
	PehchanCardNo      *string `json:"pehchan_card_no"`
	GIAuthorisedUserNo *string `json:"gi_authorised_user_no"`
	BankAccountNumber  *string `json:"bank_account_number"`
	BankIFSC           *string `json:"bank_ifsc"`
	Status             *string `json:"status"`
	Version            *int64  `json:"version"`
}

// Product is one catalogue item. A product is paid to its maker either at a
// fixed artisan price per unit or as a share of what is realised.
type Product struct {
	ID                string `json:"id"`
	SKU               string `json:"sku"`
	Title             string `json:"title"`
	Description       string `json:"description"`
	Craft             string `json:"craft"`
	HSNCode           string `json:"hsn_code"`
	GSTRateBP         int64  `json:"gst_rate_bp"`
	MRPPaise          int64  `json:"mrp_paise"`
	PricePaise        int64  `json:"price_paise"`
	ArtisanID         string `json:"artisan_id"`
	ArtisanPricePaise *int64 `json:"artisan_price_paise"`
	ArtisanShareBP    *int64 `json:"artisan_share_bp"`
	// GI is the registered Geographical Indication the piece is sold
	// under (GIs' keys), empty for none; GITag says whether there is one.
	GI    string `json:"gi"`
	GITag bool   `json:"gi_tag"`
	// GICertificateNo is the GI label or certificate number: the maker's
	// authorised-user registration, printed on the piece's tag.
	GICertificateNo string `json:"gi_certificate_no"`
	OneOfAKind      bool   `json:"one_of_a_kind"`
	// MadeToOrder: when no stock covers an order, the maker makes another
	// (a make task) instead of the line being oversold.
	MadeToOrder bool `json:"made_to_order"`
	// AllocatedChannelID, for a one-of-a-kind piece, is the only channel
	// that offers it; nil offers it everywhere (faster to sell, with a small
	// window in which two marketplaces can sell it).
	AllocatedChannelID *string  `json:"allocated_channel_id"`
	WeightG            int64    `json:"weight_g"`
	LengthMM           int64    `json:"length_mm"`
	WidthMM            int64    `json:"width_mm"`
	HeightMM           int64    `json:"height_mm"`
	Images             []string `json:"images"`
	// Photos are uploaded photos (POST /api/v1/media), by SHA-256; each
	// marketplace is sent them resized for its rules, before Images.
	Photos     []string          `json:"photos"`
	Attributes map[string]string `json:"attributes"`
	Status     string            `json:"status"`
	Version    int64             `json:"version"`
	CreatedAt  time.Time         `json:"created_at"`
	UpdatedAt  time.Time         `json:"updated_at"`
}

// ProductInput is the body of a create or a patch, as ArtisanInput.
// ArtisanCode lets an import name the maker by the code staff know.
type ProductInput struct {
	SKU                *string   `json:"sku"`
	Title              *string   `json:"title"`
	Description        *string   `json:"description"`
	Craft              *string   `json:"craft"`
	HSNCode            *string   `json:"hsn_code"`
	GSTRateBP          *int64    `json:"gst_rate_bp"`
	MRPPaise           *int64    `json:"mrp_paise"`
	PricePaise         *int64    `json:"price_paise"`
	ArtisanID          *string   `json:"artisan_id"`
	ArtisanCode        *string   `json:"artisan_code"`
	ArtisanPricePaise  *int64    `json:"artisan_price_paise"`
	ArtisanShareBP     *int64    `json:"artisan_share_bp"`
	GI                 *string   `json:"gi"`
	GITag              *bool     `json:"gi_tag"`
	GICertificateNo    *string   `json:"gi_certificate_no"`
	OneOfAKind         *bool     `json:"one_of_a_kind"`
	MadeToOrder        *bool     `json:"made_to_order"`
	AllocatedChannelID *string   `json:"allocated_channel_id"`
	WeightG            *int64    `json:"weight_g"`
	LengthMM           *int64    `json:"length_mm"`
	WidthMM            *int64    `json:"width_mm"`
	HeightMM           *int64    `json:"height_mm"`
	Images             *[]string `json:"images"`
	Photos             *[]string `json:"photos"`
	// Attributes is a JSON merge patch (RFC 7396) of the product's
	// attributes on a change: a named attribute is set, a null removes it,
	// and what is left out stays (on create, the attributes themselves).
	Attributes *map[string]*string `json:"attributes"`
	Status     *string             `json:"status"`
	Version    *int64              `json:"version"`
}

// ArtisanFilter and ProductFilter narrow listings.
// Search (?q=) keeps only the rows whose search document holds every
// word: artisans by name, code, phone, Pehchan card and cluster; products
// by title, SKU, craft, GI tag and their maker's name and code.
type ArtisanFilter struct {
	ClusterID string
	Craft     string
	Status    string
	Search    search.Query
}

type ProductFilter struct {
	ArtisanID string
	Craft     string
	Status    string
	SKU       string
	Search    search.Query
}

// Store persists the catalogue. Create and update methods run the given
// side effects (audit entries, outbox messages) in the same transaction.
type Store interface {
	CreateCluster(ctx context.Context, c Cluster, fx Effects) error
	ListClusters(ctx context.Context, p paging.Request) (paging.Page[Cluster], error)
	ClusterExists(ctx context.Context, id string) (bool, error)
	// GetCluster returns a cluster by id, or by code when byCode; NotFound otherwise.
	GetCluster(ctx context.Context, ref string, byCode bool) (Cluster, error)

	CreateArtisan(ctx context.Context, a Artisan, acct SealedAccount, fx Effects) error
	// UpdateArtisan writes a when the stored version equals a.Version-1;
	// acct nil keeps the stored account. Returns Conflict on a stale version.
	UpdateArtisan(ctx context.Context, a Artisan, acct *SealedAccount, fx Effects) error
	GetArtisan(ctx context.Context, id string) (Artisan, error)
	ArtisanIDByCode(ctx context.Context, code string) (string, error)
	ListArtisans(ctx context.Context, f ArtisanFilter, p paging.Request) (paging.Page[Artisan], error)

	// CreateProducts inserts all products or none.
	CreateProducts(ctx context.Context, ps []Product, fx Effects) error
	UpdateProduct(ctx context.Context, p Product, fx Effects) error
	GetProduct(ctx context.Context, id string) (Product, error)
	ListProducts(ctx context.Context, f ProductFilter, p paging.Request) (paging.Page[Product], error)
	// ExistingSKUs returns which of skus are already in the catalogue.
	ExistingSKUs(ctx context.Context, skus []string) (map[string]bool, error)
	ChannelExists(ctx context.Context, id string) (bool, error)
}

// Effects are written in the same transaction as the change.
type Effects = effects.Set

// Sealer encrypts secrets at rest; aad binds a ciphertext to its row.
type Sealer interface {
	Seal(plaintext, aad []byte) (string, error)
}

func trimmed(p *string) string {
	if p == nil {
		return ""
	}
	return strings.TrimSpace(*p)
}
