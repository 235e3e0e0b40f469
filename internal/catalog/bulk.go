package catalog

import (
	"context"
	"errors"
	"reflect"
	"strings"

	"github.com/jkhhc/artisanbridge/internal/apperr"
	"github.com/jkhhc/artisanbridge/internal/audit"
	"github.com/jkhhc/artisanbridge/internal/ids"
	"github.com/jkhhc/artisanbridge/internal/outbox"
)

// What one row of a bulk import does to the catalogue.
const (
	OpCreate    = "create"
	OpUpdate    = "update"
	OpUnchanged = "unchanged"
)

// StoredArtisan is an artisan as an import finds it, with the sealed bank
// account, so that a sheet repeating the account on record changes nothing.
type StoredArtisan struct {
	Artisan
	Sealed string
}

// Opener opens a sealed secret (the keyring does).
type Opener interface {
	Open(sealed string, aad []byte) ([]byte, error)
}

// ArtisanChange is the decision for one row of an artisan import.
type ArtisanChange struct {
	Op     string
	Before Artisan
	After  Artisan
	// Account is the account to store; nil keeps the stored one.
	Account *SealedAccount
}

// ProductChange is the decision for one row of a product import.
type ProductChange struct {
	Op     string
	Before Product
	After  Product
}

// ArtisanIDKey is the key under which an import's artisan lookup map holds
// an artisan id named by an artisan_id cell ("" when no such artisan), next
// to the codes it holds by code.
func ArtisanIDKey(id string) string { return "#id:" + id }

// DecideArtisan validates one import row against the artisan stored under
// its code (nil: none). A new code creates the artisan; a known one is
// updated with the cells the row fills (an empty cell keeps what is
// stored); a row that would change nothing is unchanged. clusters holds
// the cluster ids that exist. Problems with the row's cells go to fe.
func (s *Service) DecideArtisan(ctx context.Context, in ArtisanInput, stored *StoredArtisan, clusters map[string]bool, fe apperr.FieldErrors) (ArtisanChange, error) {
	now := s.now().UTC()
	if stored == nil {
		a := Artisan{ID: ids.New(), Status: ArtisanActive, Language: "ks", Version: 1, CreatedAt: now, UpdatedAt: now}
		for field, v := range map[string]*string{"code": in.Code, "name": in.Name, "craft": in.Craft} {
			if v == nil || strings.TrimSpace(*v) == "" {
				fe.Add(field, "is required")
			}
		}
		acct, err := s.applyArtisan(ctx, &a, in, fe, clusters)
		if err != nil {
			return ArtisanChange{}, err
		}
		if acct == nil {
			acct = &SealedAccount{}
		}
		return ArtisanChange{Op: OpCreate, After: a, Account: acct}, nil
	}
	before := stored.Artisan
	if in.BankAccountNumber != nil && stored.Sealed != "" {
		if op, ok := s.sealer.(Opener); ok {
			num := strings.NewReplacer(" ", "", "-", "").Replace(*in.BankAccountNumber)
			if plain, err := op.Open(stored.Sealed, []byte(before.ID)); err == nil && string(plain) == num {
				in.BankAccountNumber = nil // the account on record
			}
		}
	}
	after := before
	acct, err := s.applyArtisan(ctx, &after, in, fe, clusters)
	if err != nil {
		return ArtisanChange{}, err
	}
	if acct == nil && sameArtisan(before, after) {
		return ArtisanChange{Op: OpUnchanged, Before: before, After: before}, nil
	}
	after.Version = before.Version + 1
	after.UpdatedAt = now
	return ArtisanChange{Op: OpUpdate, Before: before, After: after, Account: acct}, nil
}

func sameArtisan(a, b Artisan) bool {
	ca, cb := a.ClusterID, b.ClusterID
	a.ClusterID, b.ClusterID = nil, nil
	return a == b && (ca == nil) == (cb == nil) && (ca == nil || *ca == *cb)
}

// DecideProduct validates one import row against the product stored under
// its SKU (nil: none), as DecideArtisan does for artisans. byCode resolves
// artisan codes (and ArtisanIDKey ids) loaded for the row's batch.
func (s *Service) DecideProduct(ctx context.Context, in ProductInput, stored *Product, byCode map[string]string, fe apperr.FieldErrors) (ProductChange, error) {
	if stored == nil {
		p, err := s.newProduct(ctx, in, byCode)
		if err != nil {
			var ae *apperr.Error
			if !errors.As(err, &ae) || ae.Code != apperr.Unprocessable {
				return ProductChange{}, err
			}
			for k, v := range ae.Fields {
				fe.Add(k, "%s", v)
			}
		}
		return ProductChange{Op: OpCreate, After: p}, nil
	}
	before := *stored
	after := before
	after.Images = append([]string{}, before.Images...)
	after.Attributes = make(map[string]string, len(before.Attributes))
	for k, v := range before.Attributes {
		after.Attributes[k] = v
	}
	if err := s.applyProduct(ctx, &after, in, fe, byCode); err != nil {
		return ProductChange{}, err
	}
	if sameProduct(before, after) {
		return ProductChange{Op: OpUnchanged, Before: before, After: before}, nil
	}
	after.Version = before.Version + 1
	after.UpdatedAt = s.now().UTC()
	return ProductChange{Op: OpUpdate, Before: before, After: after}, nil
}

func sameProduct(a, b Product) bool {
	norm := func(p *Product) {
		if len(p.Images) == 0 {
			p.Images = nil
		}
		if len(p.Attributes) == 0 {
			p.Attributes = nil
		}
	}
	norm(&a)
	norm(&b)
	return reflect.DeepEqual(a, b)
}

// ArtisanEffects are the audit entries of an import's changes of artisans.
func (s *Service) ArtisanEffects(ctx context.Context, changes []ArtisanChange) Effects {
	var fx Effects
	for _, c := range changes {
		switch c.Op {
		case OpCreate:
			fx.Audit = append(fx.Audit, audit.New(ctx, c.After.CreatedAt, "create", "artisan", c.After.ID, nil, c.After))
		case OpUpdate:
			fx.Audit = append(fx.Audit, audit.New(ctx, c.After.UpdatedAt, "update", "artisan", c.After.ID, c.Before, c.After))
		}
	}
	return fx
}

// ProductEffects are the audit entries and announcements of an import's
// changes of products, as a create or an update through the API writes.
func (s *Service) ProductEffects(ctx context.Context, changes []ProductChange) Effects {
	var fx Effects
	for _, c := range changes {
		switch c.Op {
		case OpCreate:
			created := s.createdEffects(ctx, c.After)
			fx.Audit = append(fx.Audit, created.Audit...)
			fx.Events = append(fx.Events, created.Events...)
		case OpUpdate:
			fx.Audit = append(fx.Audit, audit.New(ctx, c.After.UpdatedAt, "update", "product", c.After.ID, c.Before, c.After))
			fx.Events = append(fx.Events, outbox.New(c.After.UpdatedAt, outbox.TopicProductChanged, c.After.ID,
				outbox.ProductChanged{ProductID: c.After.ID, SKU: c.After.SKU, Version: c.After.Version, Change: "updated"}))
		}
	}
	return fx
}
