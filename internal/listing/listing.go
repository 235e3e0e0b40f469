// Package listing decides what each channel should offer of each product:
// the desired state (price, quantity, content) against what was last
// pushed, so that only changes travel. It knows nothing of HTTP, of the
// database or of any marketplace's wire format.
package listing

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"sort"
	"time"

	"github.com/jkhhc/artisanbridge/internal/apperr"
	"github.com/jkhhc/artisanbridge/internal/audit"
	"github.com/jkhhc/artisanbridge/internal/catalog"
	"github.com/jkhhc/artisanbridge/internal/clock"
	"github.com/jkhhc/artisanbridge/internal/effects"
	"github.com/jkhhc/artisanbridge/internal/ids"
	"github.com/jkhhc/artisanbridge/internal/outbox"
	"github.com/jkhhc/artisanbridge/internal/paging"
)

// Statuses of a listing (API.md).
const (
	StatusPending        = "pending"
	StatusLive           = "live"
	StatusRejected       = "rejected"
	StatusPaused         = "paused"
	StatusError          = "error"
	StatusAwaitingUpload = "awaiting_upload"
)

// Statuses lists every status a listing can be in.
var Statuses = []string{StatusPending, StatusLive, StatusRejected, StatusPaused, StatusError, StatusAwaitingUpload}

// Listing is one product offered on one channel.
type Listing struct {
	ID               string     `json:"id"`
	ProductID        string     `json:"product_id"`
	ChannelID        string     `json:"channel_id"`
	Enabled          bool       `json:"enabled"`
	PricePaise       *int64     `json:"price_paise"`
	Buffer           int64      `json:"buffer"`
	MaxQty           *int64     `json:"max_qty"`
	ExternalID       string     `json:"external_id"`
	Status           string     `json:"status"`
	LastError        string     `json:"last_error"`
	PushedQuantity   *int64     `json:"pushed_quantity"`
	PushedPricePaise *int64     `json:"pushed_price_paise"`
	InSync           bool       `json:"in_sync"`
	Attempts         int64      `json:"attempts"`
	LastSyncedAt     *time.Time `json:"last_synced_at"`
	Version          int64      `json:"version"`
	CreatedAt        time.Time  `json:"created_at"`
	UpdatedAt        time.Time  `json:"updated_at"`
}

// Input is the body of PUT /products/{id}/listings/{channel_id}.
type Input struct {
	PricePaise *int64  `json:"price_paise"`
	Buffer     *int64  `json:"buffer"`
	MaxQty     *int64  `json:"max_qty"`
	Enabled    *bool   `json:"enabled"`
	ExternalID *string `json:"external_id"`
	Version    *int64  `json:"version"`
}

// Filter narrows GET /listings.
type Filter struct {
	ChannelID string
	ProductID string
	Status    string
}

// Store keeps listings.
type Store interface {
	// Upsert creates the listing or, when it exists at l.Version-1, updates
	// it; either way it is marked for sync.
	Upsert(ctx context.Context, l Listing, fx effects.Set) (Listing, error)
	Find(ctx context.Context, productID, channelID string) (Listing, bool, error)
	List(ctx context.Context, f Filter, p paging.Request) (paging.Page[Listing], error)
	ProductPrice(ctx context.Context, productID string) (pricePaise, mrpPaise int64, err error)
	ChannelExists(ctx context.Context, channelID string) (bool, error)
	Get(ctx context.Context, id string) (Listing, error)
	// Retry marks the listing, if still at l.Version-1, for a full push
	// (as if never pushed), with l's status and version.
	Retry(ctx context.Context, l Listing, fx effects.Set) (Listing, error)
}

// TopicListingChanged announces that a listing must be synced.
const TopicListingChanged = "listing.changed"

// Changed is the payload of TopicListingChanged.
type Changed struct {
	ListingID string `json:"listing_id"`
	ChannelID string `json:"channel_id"`
}

// Service applies the publishing rules.
type Service struct {
	store Store
	now   func() time.Time
}

func NewService(store Store, now func() time.Time) *Service {
	return &Service{store: store, now: clock.Or(now)}
}

// Publish creates or changes the listing of a product on a channel.
func (s *Service) Publish(ctx context.Context, productID, channelID string, in Input) (_ Listing, err error) {
	defer apperr.Annotate(&err, "listing.Publish(%q, %q)", productID, channelID)
	fe := apperr.FieldErrors{}
	ok, err := s.store.ChannelExists(ctx, channelID)
	if err != nil {
		return Listing{}, err
	}
	if !ok {
		return Listing{}, apperr.New(apperr.NotFound, "channel %s not found", channelID)
	}
	_, mrp, err := s.store.ProductPrice(ctx, productID)
	if err != nil {
		return Listing{}, err
	}
	before, exists, err := s.store.Find(ctx, productID, channelID)
	if err != nil {
		return Listing{}, err
	}
	now := s.now().UTC()
	l := before
	if !exists {
		l = Listing{ID: ids.New(), ProductID: productID, ChannelID: channelID, Enabled: true, Status: StatusPending, Version: 0, CreatedAt: now}
		if in.Version != nil {
			fe.Add("version", "must not be set when publishing for the first time")
		}
	} else if err := apperr.CheckVersion(in.Version, before.Version, "listing", before.ID); err != nil {
		return Listing{}, err
	}
	if in.PricePaise != nil {
		v := *in.PricePaise
		l.PricePaise = &v
		if v <= 0 {
			fe.Add("price_paise", "must be > 0")
		} else if v > mrp {
			fe.Add("price_paise", "must not exceed the product's mrp_paise (%d)", mrp)
		}
	}
	if in.Buffer != nil {
		l.Buffer = *in.Buffer
		if l.Buffer < 0 || l.Buffer > 1_000_000 {
			fe.Add("buffer", "must be between 0 and 1000000")
		}
	}
	if in.MaxQty != nil {
		v := *in.MaxQty
		l.MaxQty = &v
		if v < 0 {
			fe.Add("max_qty", "must be >= 0")
		}
	}
	if in.Enabled != nil {
		l.Enabled = *in.Enabled
	}
	if in.ExternalID != nil {
		l.ExternalID = *in.ExternalID
		if len(l.ExternalID) > 64 {
			fe.Add("external_id", "must be at most 64 characters")
		}
	}
	if err := fe.Err(); err != nil {
		return Listing{}, err
	}
	if !l.Enabled {
		l.Status = StatusPaused
	} else if l.Status == StatusPaused || l.Status == StatusRejected {
		l.Status = StatusPending // published again: the whole listing goes
	}
	l.Version++
	l.UpdatedAt = now
	var beforeAudit any
	if exists {
		beforeAudit = before
	}
	fx := effects.Set{
		Audit:  []audit.Entry{audit.New(ctx, now, "publish", "listing", l.ID, beforeAudit, l)},
		Events: []outbox.Message{outbox.New(now, TopicListingChanged, l.ChannelID, Changed{ListingID: l.ID, ChannelID: l.ChannelID})},
	}
	return s.store.Upsert(ctx, l, fx)
}

// Unpublish takes a product off a channel: the listing stays, paused,
// and zero is pushed as its quantity.
func (s *Service) Unpublish(ctx context.Context, productID, channelID string) (_ Listing, err error) {
	defer apperr.Annotate(&err, "listing.Unpublish(%q, %q)", productID, channelID)
	l, exists, err := s.store.Find(ctx, productID, channelID)
	if err != nil {
		return Listing{}, err
	}
	if !exists {
		return Listing{}, apperr.New(apperr.NotFound, "product %s is not listed on channel %s", productID, channelID)
	}
	enabled := false
	v := l.Version
	return s.Publish(ctx, productID, channelID, Input{Enabled: &enabled, Version: &v})
}

// CheckRetry says whether a listing may be published again by hand (POST
// /listings/{id}/retry): a paused listing is enabled by publishing it, and
// a GeM listing awaiting upload waits for staff at the portal, not for us.
func CheckRetry(l Listing) error {
	switch {
	case !l.Enabled:
		return apperr.New(apperr.PreconditionFailed, "listing %s is paused: publish it with enabled true instead", l.ID)
	case l.Status == StatusAwaitingUpload:
		return apperr.New(apperr.PreconditionFailed,
			"listing %s awaits its upload in the marketplace's portal: upload the file, then record the catalogue id with PUT", l.ID)
	}
	return nil
}

// Retry publishes a rejected or lost listing again: the whole listing is
// pushed at the next sync, as if it had never been.
func (s *Service) Retry(ctx context.Context, id string) (_ Listing, err error) {
	defer apperr.Annotate(&err, "listing.Retry(%q)", id)
	before, err := s.store.Get(ctx, id)
	if err != nil {
		return Listing{}, err
	}
	if err := CheckRetry(before); err != nil {
		return Listing{}, err
	}
	now := s.now().UTC()
	l := before
	l.Status, l.Version, l.UpdatedAt = StatusPending, before.Version+1, now
	fx := effects.Set{
		Audit:  []audit.Entry{audit.New(ctx, now, "retry", "listing", l.ID, before, l)},
		Events: []outbox.Message{outbox.New(now, TopicListingChanged, l.ChannelID, Changed{ListingID: l.ID, ChannelID: l.ChannelID})},
	}
	return s.store.Retry(ctx, l, fx)
}

// List lists listings.
func (s *Service) List(ctx context.Context, f Filter, p paging.Request) (paging.Page[Listing], error) {
	return s.store.List(ctx, f, p)
}

// LocationStock is what one of a channel's locations can offer.
type LocationStock struct {
	ExternalLocationID string
	OnHand             int64
	Reserved           int64
}

// Offer is what a channel should show for a listing.
type Offer struct {
	Quantity   int64
	ByLocation []LocationQuantity
	PricePaise int64
	MRPPaise   int64
}

// LocationQuantity is the part of an offer at one marketplace location.
type LocationQuantity struct {
	ExternalLocationID string
	Quantity           int64
}

// Terms are what of the product decides an offer.
type Terms struct {
	PricePaise         int64
	MRPPaise           int64
	OneOfAKind         bool
	AllocatedChannelID *string
}

// Desired computes the offer (DESIGN.md, "Stock, in one place"):
// max(0, sum over the channel's locations of (on_hand - reserved) - buffer),
// capped by max_qty, and zero when the listing is paused or the piece is
// one of a kind allocated to another channel. The buffer and the cap are
// taken from the locations with the most stock first, so the per-location
// quantities always add up to the total.
func Desired(l Listing, p Terms, stock []LocationStock) Offer {
	o := Offer{PricePaise: p.PricePaise, MRPPaise: p.MRPPaise}
	if l.PricePaise != nil {
		o.PricePaise = *l.PricePaise
	}
	parts := make([]LocationQuantity, len(stock))
	var total int64
	for i, s := range stock {
		q := max(s.OnHand-s.Reserved, 0)
		parts[i] = LocationQuantity{ExternalLocationID: s.ExternalLocationID, Quantity: q}
		total += q
	}
	want := max(total-l.Buffer, 0)
	if l.MaxQty != nil {
		want = min(want, *l.MaxQty)
	}
	if !l.Enabled || (p.OneOfAKind && p.AllocatedChannelID != nil && *p.AllocatedChannelID != l.ChannelID) {
		want = 0
	}
	order := make([]int, len(parts))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return parts[order[a]].Quantity > parts[order[b]].Quantity })
	excess := total - want
	for _, i := range order {
		take := min(excess, parts[i].Quantity)
		parts[i].Quantity -= take
		excess -= take
	}
	o.Quantity, o.ByLocation = want, parts
	return o
}

// ContentHash fingerprints what a full listing push sends besides price
// and quantity, so a title or HSN change is pushed and nothing else is.
func ContentHash(v any) string {
	b, _ := json.Marshal(v)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:16])
}

// SyncItem is everything the sync engine needs about one changed listing.
type SyncItem struct {
	Listing        Listing
	Product        catalog.Product
	Stock          []LocationStock
	Seq            int64 // the change this item reflects
	PushedContent  string
	PushedMRPPaise *int64
}

// PushOutcome is what one sync did to one listing.
type PushOutcome struct {
	ListingID string
	Seq       int64 // the dirty_seq the push was computed from
	// Settled marks the listing synced up to Seq: pushed, or refused by the
	// marketplace in a way that only a new change can fix. Unsettled
	// listings stay dirty and are tried again; sync never switches off.
	Settled    bool
	Status     string
	ExternalID string
	Error      string
	// Pushed values, recorded only when the marketplace took them.
	Quantity   *int64
	PricePaise *int64
	MRPPaise   *int64
	Content    string
	At         time.Time
	// Fence is the sync lease's fencing token the push ran under (0: a
	// push outside any lease, recorded as it is). An outcome under a
	// token that is no longer the channel's current one is refused with
	// ErrSuperseded, and the listing is marked to be pushed again, since
	// what the late push left on the marketplace is not known.
	Fence int64
}

// ErrSuperseded refuses the outcome of a sync whose lease went to another
// run (its fencing token is no longer the channel's).
var ErrSuperseded = errors.New("another sync of the channel took over")
