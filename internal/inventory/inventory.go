// Package inventory keeps stock per product and location. Stock changes only
// by movements (each one recorded, never edited) and reservations, and the
// database refuses any change that would take on_hand below zero or below
// what is reserved (DESIGN.md invariant 2).
package inventory

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/jkhhc/artisanbridge/internal/apperr"
	"github.com/jkhhc/artisanbridge/internal/audit"
	"github.com/jkhhc/artisanbridge/internal/clock"
	"github.com/jkhhc/artisanbridge/internal/effects"
	"github.com/jkhhc/artisanbridge/internal/ids"
	"github.com/jkhhc/artisanbridge/internal/outbox"
	"github.com/jkhhc/artisanbridge/internal/paging"
	"github.com/jkhhc/artisanbridge/internal/reqctx"
)

// Location kinds: a showroom or warehouse of the corporation, or the home of
// an artisan who still holds the goods.
const (
	LocationShowroom  = "showroom"
	LocationWarehouse = "warehouse"
	LocationArtisan   = "artisan"
)

var LocationKinds = []string{LocationShowroom, LocationWarehouse, LocationArtisan}

// Location is a place stock is held.
type Location struct {
	ID        string    `json:"id"`
	Code      string    `json:"code"`
	Name      string    `json:"name"`
	Kind      string    `json:"kind"`
	District  string    `json:"district"`
	Address   string    `json:"address"`
	ArtisanID *string   `json:"artisan_id"`
	CreatedAt time.Time `json:"created_at"`
}

// NewLocation is the input to create a location.
type NewLocation struct {
	Code      string  `json:"code"`
	Name      string  `json:"name"`
	Kind      string  `json:"kind"`
	District  string  `json:"district"`
	Address   string  `json:"address"`
	ArtisanID *string `json:"artisan_id"`
}

// Level is the stock of one product at one location.
type Level struct {
	ProductID  string    `json:"product_id"`
	LocationID string    `json:"location_id"`
	OnHand     int64     `json:"on_hand"`
	Reserved   int64     `json:"reserved"`
	Available  int64     `json:"available"`
	UpdatedAt  time.Time `json:"updated_at"`
}

// Movement kinds and the sign they apply to the location's on_hand.
const (
	KindIntake     = "intake"
	KindAdjustment = "adjustment"
	KindTransfer   = "transfer"
	KindDamage     = "damage"
	KindSale       = "sale"
	KindReturn     = "return"
)

var MovementKinds = []string{KindIntake, KindAdjustment, KindTransfer, KindDamage, KindSale, KindReturn}

// Movement is one recorded change of stock.
type Movement struct {
	ID           string    `json:"id"`
	ProductID    string    `json:"product_id"`
	LocationID   string    `json:"location_id"`
	ToLocationID *string   `json:"to_location_id"`
	Kind         string    `json:"kind"`
	Quantity     int64     `json:"quantity"`
	Reason       string    `json:"reason"`
	ActorID      string    `json:"actor_id"`
	CreatedAt    time.Time `json:"created_at"`
}

// Delta is a change to on_hand at one location.
type Delta struct {
	LocationID string
	OnHand     int64
}

// Deltas returns what m does to on_hand, location by location. Decreases
// come first so that a transfer's source is checked before anything else.
func (m Movement) Deltas() []Delta {
	switch m.Kind {
	case KindIntake, KindReturn, KindAdjustment:
		return []Delta{{m.LocationID, m.Quantity}}
	case KindDamage, KindSale:
		return []Delta{{m.LocationID, -m.Quantity}}
	case KindTransfer:
		return []Delta{{m.LocationID, -m.Quantity}, {*m.ToLocationID, m.Quantity}}
	}
	return nil
}

// CheckReturnLocation says whether goods coming back may be received at a
// location of this kind (kinds holds it, or nothing when there is no such
// location): a showroom or a warehouse, never an artisan's home.
func CheckReturnLocation(kinds []string) error {
	if len(kinds) == 0 || kinds[0] == LocationArtisan {
		return apperr.FieldErrors{"location_id": "must be a showroom or warehouse of ours"}.Err()
	}
	return nil
}

// MovementInput is the body of POST /stock/movements.
type MovementInput struct {
	ProductID    string  `json:"product_id"`
	LocationID   string  `json:"location_id"`
	Kind         string  `json:"kind"`
	Quantity     int64   `json:"quantity"`
	Reason       string  `json:"reason"`
	ToLocationID *string `json:"to_location_id"`
}

// MaxMovementQuantity bounds one movement; no showroom moves a million pieces.
const MaxMovementQuantity = 1_000_000

// Validate reports every problem with in.
func (in *MovementInput) Validate() error {
	in.Reason = strings.TrimSpace(in.Reason)
	fe := apperr.FieldErrors{}
	if !ids.Valid(in.ProductID) {
		fe.Add("product_id", "is required and must be an id")
	}
	if !ids.Valid(in.LocationID) {
		fe.Add("location_id", "is required and must be an id")
	}
	if !slices.Contains(MovementKinds, in.Kind) {
		fe.Add("kind", "must be one of %s", strings.Join(MovementKinds, ", "))
	}
	switch {
	case in.Quantity == 0:
		fe.Add("quantity", "must not be 0")
	case in.Quantity < 0 && in.Kind != KindAdjustment:
		fe.Add("quantity", "must be > 0 for %s (only an adjustment may be negative)", in.Kind)
	case in.Quantity > MaxMovementQuantity || in.Quantity < -MaxMovementQuantity:
		fe.Add("quantity", "must be at most %d in size", MaxMovementQuantity)
	}
	if in.Kind == KindTransfer {
		switch {
		case in.ToLocationID == nil || !ids.Valid(*in.ToLocationID):
			fe.Add("to_location_id", "is required for a transfer and must be an id")
		case *in.ToLocationID == in.LocationID:
			fe.Add("to_location_id", "must differ from location_id")
		}
	} else if in.ToLocationID != nil {
		fe.Add("to_location_id", "is only for a transfer")
	}
	if (in.Kind == KindAdjustment || in.Kind == KindDamage) && in.Reason == "" {
		fe.Add("reason", "is required for an %s", in.Kind)
	}
	if len(in.Reason) > 500 {
		fe.Add("reason", "must be at most 500 characters")
	}
	return fe.Err()
}

// LevelFilter narrows GET /stock.
type LevelFilter struct {
	ProductID  string
	LocationID string
}

// MovementFilter narrows GET /stock/movements.
type MovementFilter struct {
	ProductID  string
	LocationID string
	Kind       string
}

// Store persists locations and stock.
type Store interface {
	CreateLocation(ctx context.Context, l Location, fx effects.Set) error
	ListLocations(ctx context.Context, p paging.Request) (paging.Page[Location], error)
	// ApplyMovement records m and applies its deltas with conditional updates
	// in one transaction. Returns Conflict (and writes nothing) if any delta
	// would take on_hand below zero or below reserved; NotFound for an unknown
	// product or location.
	ApplyMovement(ctx context.Context, m Movement, fx effects.Set) error
	ListLevels(ctx context.Context, f LevelFilter, p paging.Request) (paging.Page[Level], error)
	ListMovements(ctx context.Context, f MovementFilter, p paging.Request) (paging.Page[Movement], error)
}

// Service holds the stock rules.
type Service struct {
	store Store
	now   func() time.Time
}

// NewService returns an inventory service; now may be nil.
func NewService(store Store, now func() time.Time) *Service {
	return &Service{store: store, now: clock.Or(now)}
}

var locationCode = regexp.MustCompile(`^[A-Z0-9][A-Z0-9-]{1,31}$`)

// CreateLocation adds a location. An artisan location names the artisan.
func (s *Service) CreateLocation(ctx context.Context, in NewLocation) (_ Location, err error) {
	defer apperr.Annotate(&err, "inventory.CreateLocation(%q)", in.Code)
	l := Location{ID: ids.New(), Code: strings.ToUpper(strings.TrimSpace(in.Code)), Name: strings.TrimSpace(in.Name),
		Kind: in.Kind, District: strings.TrimSpace(in.District), Address: strings.TrimSpace(in.Address),
		ArtisanID: in.ArtisanID, CreatedAt: s.now().UTC()}
	fe := apperr.FieldErrors{}
	if !locationCode.MatchString(l.Code) {
		fe.Add("code", "must be 2-32 letters, digits or -")
	}
	if l.Name == "" || len(l.Name) > 120 {
		fe.Add("name", "is required, at most 120 characters")
	}
	if !slices.Contains(LocationKinds, l.Kind) {
		fe.Add("kind", "must be showroom, warehouse or artisan")
	}
	if len(l.District) > 120 || len(l.Address) > 500 {
		fe.Add("address", "district at most 120 and address at most 500 characters")
	}
	switch {
	case l.Kind == LocationArtisan && (l.ArtisanID == nil || !ids.Valid(*l.ArtisanID)):
		fe.Add("artisan_id", "is required for an artisan location")
	case l.Kind != LocationArtisan && l.ArtisanID != nil:
		fe.Add("artisan_id", "is only for an artisan location")
	}
	if err := fe.Err(); err != nil {
		return Location{}, err
	}
	fx := effects.Set{Audit: []audit.Entry{audit.New(ctx, l.CreatedAt, "create", "location", l.ID, nil, l)}}
	if err := s.store.CreateLocation(ctx, l, fx); err != nil {
		return Location{}, err
	}
	return l, nil
}

// ListLocations lists locations by keyset.
func (s *Service) ListLocations(ctx context.Context, p paging.Request) (paging.Page[Location], error) {
	return s.store.ListLocations(ctx, p)
}

// RecordMovement validates and applies a movement and announces the stock
// change to the channels.
func (s *Service) RecordMovement(ctx context.Context, in MovementInput) (Movement, error) {
	if err := in.Validate(); err != nil {
		return Movement{}, err
	}
	now := s.now().UTC()
	m := Movement{ID: ids.New(), ProductID: in.ProductID, LocationID: in.LocationID, ToLocationID: in.ToLocationID,
		Kind: in.Kind, Quantity: in.Quantity, Reason: in.Reason, ActorID: reqctx.ActorFrom(ctx).ID, CreatedAt: now}
	locs := []string{m.LocationID}
	if m.ToLocationID != nil {
		locs = append(locs, *m.ToLocationID)
	}
	fx := effects.Set{
		Audit: []audit.Entry{audit.New(ctx, now, "create", "stock_movement", m.ID, nil, m)},
		Events: []outbox.Message{outbox.New(now, outbox.TopicStockChanged, m.ProductID,
			outbox.StockChanged{ProductID: m.ProductID, LocationIDs: locs, MovementID: m.ID})},
	}
	if err := s.store.ApplyMovement(ctx, m, fx); err != nil {
		return Movement{}, err
	}
	return m, nil
}

// ListLevels lists stock levels.
func (s *Service) ListLevels(ctx context.Context, f LevelFilter, p paging.Request) (paging.Page[Level], error) {
	return s.store.ListLevels(ctx, f, p)
}

// ListMovements lists movements, oldest first.
func (s *Service) ListMovements(ctx context.Context, f MovementFilter, p paging.Request) (paging.Page[Movement], error) {
	return s.store.ListMovements(ctx, f, p)
}

// CounterSaleInput is the body of POST /showroom-sales.
type CounterSaleInput struct {
	ProductID  string `json:"product_id"`
	LocationID string `json:"location_id"`
	Quantity   int64  `json:"quantity"`
	PricePaise int64  `json:"price_paise"`
}

// CounterSale takes units sold at a showroom counter off the shelf at once;
// the stock change reaches every marketplace through the outbox, so the
// one-of-a-kind shawl sold in Srinagar stops being offered online.
func (s *Service) CounterSale(ctx context.Context, in CounterSaleInput) (Movement, error) {
	if in.PricePaise <= 0 {
		return Movement{}, apperr.FieldErrors{"price_paise": "the price paid, in paise, must be > 0"}.Err()
	}
	return s.RecordMovement(ctx, MovementInput{ProductID: in.ProductID, LocationID: in.LocationID, Kind: KindSale,
		Quantity: in.Quantity, Reason: fmt.Sprintf("counter sale at %d paise each", in.PricePaise)})
}
