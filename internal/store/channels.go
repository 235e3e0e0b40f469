package store

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/jkhhc/artisanbridge/internal/apperr"
	"github.com/jkhhc/artisanbridge/internal/channels"
	"github.com/jkhhc/artisanbridge/internal/effects"
	"github.com/jkhhc/artisanbridge/internal/exceptions"
	"github.com/jkhhc/artisanbridge/internal/ids"
	"github.com/jkhhc/artisanbridge/internal/listing"
	"github.com/jkhhc/artisanbridge/internal/paging"
)

type channelRow struct {
	ID                string `gorm:"primaryKey"`
	Kind              string
	Name              string
	BaseURL           string `gorm:"column:base_url"`
	TokenURL          string `gorm:"column:token_url"`
	Enabled           bool
	CredentialsSealed string
	Settings          string
	LastSuccessAt     *time.Time
	LastError         string
	LastErrorAt       *time.Time
	Version           int64
	CreatedAt         time.Time
	UpdatedAt         time.Time
}

func (channelRow) TableName() string { return "channels" }

func (r channelRow) domain() channels.Channel {
	c := channels.Channel{ID: r.ID, Kind: r.Kind, Name: r.Name, BaseURL: r.BaseURL, TokenURL: r.TokenURL, Enabled: r.Enabled,
		CredentialsSet: r.CredentialsSealed != "", Version: r.Version, CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(),
		Health: channels.Health{LastSuccessAt: utcPtr(r.LastSuccessAt), LastError: r.LastError, LastErrorAt: utcPtr(r.LastErrorAt)}}
	_ = json.Unmarshal([]byte(r.Settings), &c.Settings) // written only from channels.Settings
	if c.Settings.Locations == nil {
		c.Settings.Locations = []channels.LocationMap{}
	}
	c.Effective = c.Settings.Effective()
	return c
}

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

// Channels implements channels.Store.
type Channels struct{ db *DB }

func (db *DB) Channels() *Channels { return &Channels{db: db} }

var _ channels.Store = (*Channels)(nil)

func (s *Channels) List(ctx context.Context) ([]channels.Channel, error) {
	var rows []channelRow
	if err := s.db.gorm.WithContext(ctx).Order("name").Find(&rows).Error; err != nil {
		return nil, err
	}
	out := mapRows(rows, channelRow.domain)
	for i := range out {
		if err := s.queueDepth(ctx, &out[i]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (s *Channels) queueDepth(ctx context.Context, c *channels.Channel) error {
	return s.db.gorm.WithContext(ctx).Model(&listingRow{}).Where("channel_id = ? AND dirty_seq > synced_seq", c.ID).Count(&c.Health.QueueDepth).Error
}

func (s *Channels) Get(ctx context.Context, id string) (channels.Channel, error) {
	var row channelRow
	if err := s.db.gorm.WithContext(ctx).Where("id = ?", id).Take(&row).Error; err != nil {
		return channels.Channel{}, notFound(err, "channel %s not found", id)
	}
	c := row.domain()
	return c, s.queueDepth(ctx, &c)
}

func (s *Channels) Update(ctx context.Context, c channels.Channel, sealed *string, fx effects.Set) error {
	settings, _ := json.Marshal(c.Settings)
	cols := map[string]any{"base_url": c.BaseURL, "token_url": c.TokenURL, "enabled": c.Enabled, "settings": string(settings),
		"version": c.Version, "updated_at": c.UpdatedAt.UTC()}
	if sealed != nil {
		cols["credentials_sealed"] = *sealed
	}
	return s.db.inTx(ctx, time.Time{}, func(tx *Tx) error {
		tx.Add(fx)
		res := tx.Model(&channelRow{}).Where("id = ? AND version = ?", c.ID, c.Version-1).Updates(cols)
		if res.Error == nil && res.RowsAffected == 0 {
			return apperr.New(apperr.Conflict, "channel %s was changed by someone else: reload and retry", c.ID)
		}
		if res.Error != nil {
			return res.Error
		}
		// A changed channel may change what every listing on it should offer.
		return tx.Exec("UPDATE listings SET dirty_seq = dirty_seq + 1 WHERE channel_id = ?", c.ID).Error
	})
}

func (s *Channels) SealedCredentials(ctx context.Context, id string) (string, error) {
	var row channelRow
	if err := s.db.gorm.WithContext(ctx).Select("credentials_sealed").Where("id = ?", id).Take(&row).Error; err != nil {
		return "", notFound(err, "channel %s not found", id)
	}
	return row.CredentialsSealed, nil
}

func (s *Channels) Ensure(ctx context.Context, c channels.Channel, sealed string) error {
	settings, _ := json.Marshal(c.Settings)
	row := channelRow{ID: c.ID, Kind: c.Kind, Name: c.Name, BaseURL: c.BaseURL, TokenURL: c.TokenURL, Enabled: c.Enabled,
		CredentialsSealed: sealed, Settings: string(settings), Version: 1, CreatedAt: c.CreatedAt.UTC(), UpdatedAt: c.UpdatedAt.UTC()}
	return s.db.gorm.WithContext(ctx).Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "name"}}, DoNothing: true}).Create(&row).Error
}

// RecordOutcome keeps a channel's health: the last success or the last error.
func (s *Channels) RecordOutcome(ctx context.Context, id string, at time.Time, errText string) error {
	cols := map[string]any{"last_success_at": at.UTC()}
	if errText != "" {
		cols = map[string]any{"last_error": truncateText(errText), "last_error_at": at.UTC()}
	}
	return s.db.gorm.WithContext(ctx).Model(&channelRow{}).Where("id = ?", id).Updates(cols).Error
}

// ClaimPresence starts or continues a channel's presence check when one is
// due: a pass under way, or the last check before dueBefore. The database
// decides (one conditional UPDATE, which also stamps the check), so two
// sweeps never both start one; it returns the listing the pass continues
// after ("" from the start).
func (s *Channels) ClaimPresence(ctx context.Context, id string, at, dueBefore time.Time) (string, bool, error) {
	g := s.db.gorm.WithContext(ctx)
	res := g.Model(&channelRow{}).Where("id = ? AND (presence_after <> '' OR presence_checked_at IS NULL OR presence_checked_at < ?)", id, dueBefore.UTC()).
		UpdateColumns(map[string]any{"presence_checked_at": at.UTC()})
	if res.Error != nil || res.RowsAffected == 0 {
		return "", false, res.Error
	}
	var after []string
	if err := g.Model(&channelRow{}).Where("id = ?", id).Pluck("presence_after", &after).Error; err != nil || len(after) == 0 {
		return "", false, err
	}
	return after[0], true, nil
}

// PresenceAfter moves a presence pass's checkpoint: "" ends the pass.
func (s *Channels) PresenceAfter(ctx context.Context, id, after string) error {
	return s.db.gorm.WithContext(ctx).Model(&channelRow{}).Where("id = ?", id).UpdateColumns(map[string]any{"presence_after": after}).Error
}

func truncateText(s string) string {
	if len(s) > maxErrorText {
		return s[:maxErrorText]
	}
	return s
}

type listingRow struct {
	ID               string `gorm:"primaryKey"`
	ProductID        string
	ChannelID        string
	Enabled          bool
	PricePaise       *int64
	Buffer           int64
	MaxQty           *int64
	ExternalID       string
	Status           string
	PushedContent    string
	PushedPricePaise *int64
	PushedMRPPaise   *int64 `gorm:"column:pushed_mrp_paise"`
	PushedQuantity   *int64
	DirtySeq         int64
	SyncedSeq        int64
	Attempts         int64
	LastError        string
	LastSyncedAt     *time.Time
	Version          int64
	CreatedAt        time.Time
	UpdatedAt        time.Time
}

func (listingRow) TableName() string { return "listings" }

// columns are what a listed listing shows: not pushed_content (the whole
// content last sent, the largest column) nor pushed_mrp_paise.
func (*listingRow) columns() []string {
	return []string{"id", "product_id", "channel_id", "enabled", "price_paise", "buffer", "max_qty", "external_id", "status",
		"last_error", "pushed_quantity", "pushed_price_paise", "dirty_seq", "synced_seq", "attempts", "last_synced_at",
		"version", "created_at", "updated_at"}
}

func (r *listingRow) fields() []any {
	return []any{&r.ID, &r.ProductID, &r.ChannelID, &r.Enabled, &r.PricePaise, &r.Buffer, &r.MaxQty, &r.ExternalID, &r.Status,
		&r.LastError, &r.PushedQuantity, &r.PushedPricePaise, &r.DirtySeq, &r.SyncedSeq, &r.Attempts, &r.LastSyncedAt,
		&r.Version, &r.CreatedAt, &r.UpdatedAt}
}

func (r listingRow) domain() listing.Listing {
	return listing.Listing{ID: r.ID, ProductID: r.ProductID, ChannelID: r.ChannelID, Enabled: r.Enabled, PricePaise: r.PricePaise,
		Buffer: r.Buffer, MaxQty: r.MaxQty, ExternalID: r.ExternalID, Status: r.Status, LastError: r.LastError,
		PushedQuantity: r.PushedQuantity, PushedPricePaise: r.PushedPricePaise, InSync: r.SyncedSeq >= r.DirtySeq,
		Attempts: r.Attempts, LastSyncedAt: utcPtr(r.LastSyncedAt), Version: r.Version, CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC()}
}

// Listings implements listing.Store and the sync engine's queries.
type Listings struct{ db *DB }

func (db *DB) Listings() *Listings { return &Listings{db: db} }

var _ listing.Store = (*Listings)(nil)

// Upsert answers the listing as it was written, read inside the same
// transaction: a write that committed is never answered with an error.
func (s *Listings) Upsert(ctx context.Context, l listing.Listing, fx effects.Set) (listing.Listing, error) {
	var written listingRow
	err := s.db.inTx(ctx, time.Time{}, func(tx *Tx) error {
		tx.Add(fx)
		if l.Version == 1 {
			row := listingRow{ID: l.ID, ProductID: l.ProductID, ChannelID: l.ChannelID, Enabled: l.Enabled, PricePaise: l.PricePaise,
				Buffer: l.Buffer, MaxQty: l.MaxQty, ExternalID: l.ExternalID, Status: l.Status, DirtySeq: 1, Version: 1,
				CreatedAt: l.CreatedAt.UTC(), UpdatedAt: l.UpdatedAt.UTC()}
			if err := tx.Create(&row).Error; err != nil {
				return err
			}
		} else {
			res := tx.Model(&listingRow{}).Where("id = ? AND version = ?", l.ID, l.Version-1).Updates(map[string]any{
				"enabled": l.Enabled, "price_paise": l.PricePaise, "buffer": l.Buffer, "max_qty": l.MaxQty, "external_id": l.ExternalID,
				"status": l.Status, "version": l.Version, "updated_at": l.UpdatedAt.UTC(), "dirty_seq": gorm.Expr("dirty_seq + 1"), "attempts": 0})
			if res.Error != nil {
				return res.Error
			}
			if res.RowsAffected == 0 {
				return apperr.New(apperr.Conflict, "listing %s was changed by someone else: reload and retry", l.ID)
			}
		}
		return tx.Where("id = ?", l.ID).Take(&written).Error
	})
	if err != nil {
		return listing.Listing{}, err
	}
	return written.domain(), nil
}

func (s *Listings) Get(ctx context.Context, id string) (listing.Listing, error) {
	var row listingRow
	if err := s.db.gorm.WithContext(ctx).Where("id = ?", id).Take(&row).Error; err != nil {
		return listing.Listing{}, notFound(err, "listing %s not found", id)
	}
	return row.domain(), nil
}

// Retry forgets what was pushed, so that the next sync sends the whole
// listing, if the listing is still enabled at the version read.
func (s *Listings) Retry(ctx context.Context, l listing.Listing, fx effects.Set) (listing.Listing, error) {
	var written listingRow
	err := s.db.inTx(ctx, time.Time{}, func(tx *Tx) error {
		tx.Add(fx)
		res := tx.Model(&listingRow{}).Where("id = ? AND version = ? AND enabled", l.ID, l.Version-1).Updates(map[string]any{
			"status": l.Status, "version": l.Version, "updated_at": l.UpdatedAt.UTC(), "pushed_content": "",
			"dirty_seq": gorm.Expr("dirty_seq + 1"), "attempts": 0})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return apperr.New(apperr.Conflict, "listing %s was changed meanwhile: reload it and retry", l.ID)
		}
		return tx.Where("id = ?", l.ID).Take(&written).Error
	})
	if err != nil {
		return listing.Listing{}, err
	}
	return written.domain(), nil
}

func (s *Listings) Find(ctx context.Context, productID, channelID string) (listing.Listing, bool, error) {
	var row listingRow
	err := s.db.gorm.WithContext(ctx).Where("product_id = ? AND channel_id = ?", productID, channelID).Take(&row).Error
	if err == gorm.ErrRecordNotFound {
		return listing.Listing{}, false, nil
	}
	if err != nil {
		return listing.Listing{}, false, err
	}
	return row.domain(), true, nil
}

func (s *Listings) List(ctx context.Context, f listing.Filter, p paging.Request) (paging.Page[listing.Listing], error) {
	var q pageQuery
	q.whereIf("channel_id = ?", f.ChannelID)
	q.whereIf("product_id = ?", f.ProductID)
	q.whereIf("status = ?", f.Status)
	rows, err := findPage[listingRow](s.db.gorm.WithContext(ctx), q, p)
	if err != nil {
		return paging.Page[listing.Listing]{}, err
	}
	return paging.Build(mapRows(rows, listingRow.domain), p.Limit, func(l listing.Listing) string { return l.ID }), nil
}

func (s *Listings) ProductPrice(ctx context.Context, productID string) (int64, int64, error) {
	var row productRow
	if err := s.db.gorm.WithContext(ctx).Select("price_paise", "mrp_paise").Where("id = ?", productID).Take(&row).Error; err != nil {
		return 0, 0, notFound(err, "product %s not found", productID)
	}
	return row.PricePaise, row.MRPPaise, nil
}

func (s *Listings) ChannelExists(ctx context.Context, channelID string) (bool, error) {
	var n int64
	err := s.db.gorm.WithContext(ctx).Model(&channelRow{}).Where("id = ?", channelID).Count(&n).Error
	return n > 0, err
}

// MarkProductDirty flags every listing of a product for sync and returns
// the channels concerned.
func (s *Listings) MarkProductDirty(ctx context.Context, productID string) ([]string, error) {
	var chans []string
	err := s.db.inTx(ctx, time.Time{}, func(tx *Tx) error {
		if err := tx.Exec("UPDATE listings SET dirty_seq = dirty_seq + 1 WHERE product_id = ?", productID).Error; err != nil {
			return err
		}
		return tx.Model(&listingRow{}).Where("product_id = ?", productID).Distinct().Pluck("channel_id", &chans).Error
	})
	return chans, err
}

// SyncItem is listing.SyncItem: what one changed listing needs pushed.
type SyncItem = listing.SyncItem

// Dirty returns up to limit listings of a channel that changed since their
// last successful push, with their product and the channel's stock.
// dirtyListings is the condition of a listing changed since its last
// settled push.
const dirtyListings = "channel_id = ? AND dirty_seq > synced_seq"

// AnyDirty says whether a channel has a listing waiting for a push.
func (s *Listings) AnyDirty(ctx context.Context, channelID string) (bool, error) {
	var ids []string
	err := s.db.gorm.WithContext(ctx).Model(&listingRow{}).Where(dirtyListings, channelID).Limit(1).Pluck("id", &ids).Error
	return len(ids) > 0, err
}

func (s *Listings) Dirty(ctx context.Context, channelID string, locations []channels.LocationMap, limit int) ([]SyncItem, error) {
	var rows []listingRow
	if err := s.db.gorm.WithContext(ctx).Where(dirtyListings, channelID).Order("id").Limit(limit).Find(&rows).Error; err != nil {
		return nil, err
	}
	return s.syncItems(ctx, rows, locations)
}

// Page returns up to limit listings of a channel after afterID, in id
// order, each with its product and the channel's stock (a reconciliation
// reads them all this way, one page at a time).
func (s *Listings) Page(ctx context.Context, channelID string, locations []channels.LocationMap, afterID string, limit int) ([]SyncItem, error) {
	var rows []listingRow
	if err := s.db.gorm.WithContext(ctx).Where("channel_id = ? AND id > ?", channelID, afterID).Order("id").Limit(limit).Find(&rows).Error; err != nil {
		return nil, err
	}
	return s.syncItems(ctx, rows, locations)
}

// CountListings counts a channel's listings.
func (s *Listings) CountListings(ctx context.Context, channelID string) (int64, error) {
	var n int64
	err := s.db.gorm.WithContext(ctx).Model(&listingRow{}).Where("channel_id = ?", channelID).Count(&n).Error
	return n, err
}

// KnownSKUs returns which of skus a listing of the channel is for.
func (s *Listings) KnownSKUs(ctx context.Context, channelID string, skus []string) (map[string]bool, error) {
	out := map[string]bool{}
	if len(skus) == 0 {
		return out, nil
	}
	var found []string
	err := s.db.gorm.WithContext(ctx).Table("listings l").Joins("JOIN products p ON p.id = l.product_id").
		Where("l.channel_id = ? AND p.sku IN ?", channelID, skus).Pluck("p.sku", &found).Error
	for _, sku := range found {
		out[sku] = true
	}
	return out, err
}

// BySKUs returns the channel's listings for skus, each with its product
// and the channel's stock (a reconciliation reading a marketplace's report
// looks its rows up this way, a batch at a time).
func (s *Listings) BySKUs(ctx context.Context, channelID string, locations []channels.LocationMap, skus []string) ([]SyncItem, error) {
	if len(skus) == 0 {
		return nil, nil
	}
	var rows []listingRow
	if err := s.db.gorm.WithContext(ctx).Table("listings").Joins("JOIN products p ON p.id = listings.product_id").
		Where("listings.channel_id = ? AND p.sku IN ?", channelID, skus).Order("listings.id").Select("listings.*").Find(&rows).Error; err != nil {
		return nil, err
	}
	return s.syncItems(ctx, rows, locations)
}

// Repush makes the next sync push again what a marketplace lost or
// changed: the whole listing (missing there), the quantity, or the price,
// by forgetting that it was pushed. It re-queues only what still needs it,
// in the UPDATE's condition: an enabled listing whose value is still known
// as pushed (a live one, for a listing missing there). A listing withdrawn,
// refused or already waiting for that push since the difference was read
// is left alone, and Repush answers false.
func (s *Listings) Repush(ctx context.Context, listingID, class string) (bool, error) {
	cols := map[string]any{"dirty_seq": gorm.Expr("dirty_seq + 1"), "attempts": 0}
	var still string
	switch class {
	case "missing_there":
		cols["pushed_content"] = ""
		cols["status"] = listing.StatusPending
		still = "status = '" + listing.StatusLive + "' AND pushed_content <> ''"
	case "edited_on_marketplace":
		cols["pushed_quantity"] = nil
		// A push in flight, computed before, must not record it back (RecordPush).
		cols["quantity_unknown_seq"] = gorm.Expr("dirty_seq + 1")
		still = "pushed_quantity IS NOT NULL"
	case "price_differs":
		cols["pushed_price_paise"] = nil
		still = "pushed_price_paise IS NOT NULL"
	default:
		return false, apperr.New(apperr.Internal, "nothing to push again for a %s difference", class)
	}
	res := s.db.gorm.WithContext(ctx).Model(&listingRow{}).Where("id = ? AND enabled AND "+still, listingID).Updates(cols)
	return res.RowsAffected > 0, res.Error
}

func (s *Listings) syncItems(ctx context.Context, rows []listingRow, locations []channels.LocationMap) ([]SyncItem, error) {
	if len(rows) == 0 {
		return nil, nil
	}
	pids := make([]string, len(rows))
	for i, r := range rows {
		pids[i] = r.ProductID
	}
	var products []productRow
	if err := s.db.gorm.WithContext(ctx).Where("id IN ?", pids).Find(&products).Error; err != nil {
		return nil, err
	}
	byID := map[string]productRow{}
	for _, p := range products {
		byID[p.ID] = p
	}
	locIDs := make([]string, len(locations))
	ext := map[string]string{}
	for i, l := range locations {
		locIDs[i] = l.LocationID
		ext[l.LocationID] = l.ExternalLocationID
	}
	stock := map[string]map[string]stockLevelRow{}
	if len(locIDs) > 0 {
		levels, err := offeredLevels(s.db.gorm.WithContext(ctx), pids, locIDs)
		if err != nil {
			return nil, err
		}
		for _, l := range levels {
			if stock[l.ProductID] == nil {
				stock[l.ProductID] = map[string]stockLevelRow{}
			}
			stock[l.ProductID][l.LocationID] = l
		}
	}
	out := make([]SyncItem, 0, len(rows))
	for _, r := range rows {
		item := SyncItem{Listing: r.domain(), Product: byID[r.ProductID].domain(), Seq: r.DirtySeq,
			PushedContent: r.PushedContent, PushedMRPPaise: r.PushedMRPPaise}
		for _, lid := range locIDs {
			lv := stock[r.ProductID][lid]
			item.Stock = append(item.Stock, listing.LocationStock{ExternalLocationID: ext[lid], OnHand: lv.OnHand, Reserved: lv.Reserved})
		}
		out = append(out, item)
	}
	return out, nil
}

// offeredLevels reads the stock a channel selling from locIDs may offer of
// each product: only those locations' levels, and at an artisan's home only
// that artisan's own pieces (another maker's piece left there is not for
// sale from it). The rule is in the query, so no caller can count it.
func offeredLevels(q *gorm.DB, productIDs, locIDs []string) ([]stockLevelRow, error) {
	var levels []stockLevelRow
	err := q.Raw(`SELECT s.* FROM stock_levels s
JOIN locations l ON l.id = s.location_id
JOIN products p ON p.id = s.product_id
WHERE s.product_id IN ? AND s.location_id IN ? AND (l.kind <> 'artisan' OR l.artisan_id = p.artisan_id)`, productIDs, locIDs).Scan(&levels).Error
	return levels, err
}

// PushOutcome is listing.PushOutcome: what a push achieved.
type PushOutcome = listing.PushOutcome

// RecordPush stores the outcome. A change that arrived during the push
// raised dirty_seq above Seq, so the listing stays dirty for it. The
// listing only moves forward: an outcome computed from an older state than
// the one already settled (a late, detached recording of an earlier push)
// changes nothing, neither synced_seq nor the pushed values, which a newer
// push has replaced. Nor does it bring back a quantity forgotten after the
// push was computed (a sale on the marketplace: quantity_unknown_seq above
// Seq). The UPDATE's conditions guard it, not a read.
func (s *Listings) RecordPush(ctx context.Context, o PushOutcome) error {
	cols := map[string]any{"status": o.Status, "last_error": truncateText(o.Error), "updated_at": o.At.UTC()}
	if o.ExternalID != "" {
		cols["external_id"] = o.ExternalID
	}
	if o.Settled {
		cols["synced_seq"] = o.Seq
		cols["attempts"] = 0
		cols["last_synced_at"] = o.At.UTC()
	} else {
		cols["attempts"] = gorm.Expr("attempts + 1")
	}
	if o.Quantity != nil {
		// Unless the quantity was made unknown after this push was computed.
		cols["pushed_quantity"] = gorm.Expr("CASE WHEN quantity_unknown_seq > ? THEN pushed_quantity ELSE ? END", o.Seq, *o.Quantity)
	}
	if o.PricePaise != nil {
		cols["pushed_price_paise"] = *o.PricePaise
		cols["pushed_mrp_paise"] = *o.MRPPaise
	}
	if o.Content != "" {
		cols["pushed_content"] = o.Content
	}
	const forward = "id = ? AND synced_seq <= ?"
	if o.Fence == 0 {
		return s.db.gorm.WithContext(ctx).Model(&listingRow{}).Where(forward, o.ListingID, o.Seq).Updates(cols).Error
	}
	// Under a lease: only while its fencing token is the channel's.
	superseded := false
	err := s.db.inTx(ctx, time.Time{}, func(tx *Tx) error {
		superseded = false
		res := tx.Model(&listingRow{}).Where(forward+" AND EXISTS (SELECT 1 FROM channels c WHERE c.id = listings.channel_id AND c.sync_fence = ?)",
			o.ListingID, o.Seq, o.Fence).Updates(cols)
		if res.Error != nil || res.RowsAffected > 0 {
			return res.Error
		}
		// Superseded: what this late push left on the marketplace is not
		// known, so the listing is pushed again by the current holder. (Not
		// superseded, the outcome was only older than the settled state.)
		res = tx.Exec("UPDATE listings SET dirty_seq = dirty_seq + 1 WHERE id = ? AND NOT EXISTS (SELECT 1 FROM channels c WHERE c.id = listings.channel_id AND c.sync_fence = ?)",
			o.ListingID, o.Fence)
		superseded = res.RowsAffected > 0
		return res.Error
	})
	if err == nil && superseded {
		return listing.ErrSuperseded
	}
	return err
}

// NextSyncFence takes the next fencing token of a channel's sync lease.
func (s *Channels) NextSyncFence(ctx context.Context, channelID string) (int64, error) {
	var fence int64
	err := s.db.inTx(ctx, time.Time{}, func(tx *Tx) error {
		res := tx.Exec("UPDATE channels SET sync_fence = sync_fence + 1 WHERE id = ?", channelID)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return apperr.New(apperr.NotFound, "channel %s not found", channelID)
		}
		return tx.Raw("SELECT sync_fence FROM channels WHERE id = ?", channelID).Scan(&fence).Error
	})
	return fence, err
}

// SyncFence reads the current fencing token of a channel's sync lease.
func (s *Channels) SyncFence(ctx context.Context, channelID string) (int64, error) {
	var fence []int64
	if err := s.db.gorm.WithContext(ctx).Raw("SELECT sync_fence FROM channels WHERE id = ?", channelID).Scan(&fence).Error; err != nil {
		return 0, err
	}
	if len(fence) == 0 {
		return 0, apperr.New(apperr.NotFound, "channel %s not found", channelID)
	}
	return fence[0], nil
}

// ChannelsWithDirty returns enabled channels with listings waiting.
func (s *Listings) ChannelsWithDirty(ctx context.Context) ([]string, error) {
	var out []string
	err := s.db.gorm.WithContext(ctx).Model(&listingRow{}).
		Joins("JOIN channels c ON c.id = listings.channel_id").
		Where("c.enabled AND listings.dirty_seq > listings.synced_seq").Distinct().Pluck("listings.channel_id", &out).Error
	return out, err
}

type exceptionRow struct {
	ID          string `gorm:"primaryKey"`
	Kind        string
	CauseKey    string
	Status      string
	Summary     string
	Detail      string
	Action      string
	Resource    string
	ResourceID  string
	ChannelID   string
	Guidance    string
	AssigneeID  *string
	AssignedAt  *time.Time
	Occurrences int64
	Payload     string
	Resolution  string
	ResolvedBy  string
	CreatedAt   time.Time
	UpdatedAt   time.Time
	ResolvedAt  *time.Time
}

func (exceptionRow) TableName() string { return "exceptions" }

func (*exceptionRow) columns() []string {
	return []string{"id", "kind", "cause_key", "status", "summary", "detail", "action", "resource", "resource_id", "channel_id",
		"guidance", "assignee_id", "assigned_at", "occurrences", "payload", "resolution", "resolved_by", "created_at", "updated_at", "resolved_at"}
}

func (r *exceptionRow) fields() []any {
	return []any{&r.ID, &r.Kind, &r.CauseKey, &r.Status, &r.Summary, &r.Detail, &r.Action, &r.Resource, &r.ResourceID, &r.ChannelID,
		&r.Guidance, &r.AssigneeID, &r.AssignedAt, &r.Occurrences, &r.Payload, &r.Resolution, &r.ResolvedBy, &r.CreatedAt, &r.UpdatedAt, &r.ResolvedAt}
}

func (r exceptionRow) domain() exceptions.Exception {
	return exceptions.Exception{ID: r.ID, Kind: r.Kind, CauseKey: r.CauseKey, Status: r.Status, Summary: r.Summary, Detail: r.Detail,
		Action: r.Action, Resource: r.Resource, ResourceID: r.ResourceID, ChannelID: r.ChannelID, Guidance: r.Guidance,
		AssigneeID: r.AssigneeID, AssignedAt: utcPtr(r.AssignedAt), Payload: r.Payload, Occurrences: r.Occurrences, Resolution: r.Resolution,
		ResolvedBy: r.ResolvedBy, CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(), ResolvedAt: utcPtr(r.ResolvedAt)}
}

// Exceptions implements exceptions.Store.
type Exceptions struct{ db *DB }

func (db *DB) Exceptions() *Exceptions { return &Exceptions{db: db} }

var _ exceptions.Store = (*Exceptions)(nil)

// Raise relies on the partial unique index on open cause keys: a second
// raise of the same cause updates the open exception instead.
func (s *Exceptions) Raise(ctx context.Context, e exceptions.Exception) error {
	return raise(s.db.gorm.WithContext(ctx), e)
}

// capPayload keeps at most exceptions.MaxPayloadBytes of a payload, cut at
// a rune boundary and made valid UTF-8 without NUL bytes (PostgreSQL's text
// refuses both), so that whatever a marketplace sent can be stored.
func capPayload(p string) string {
	p = strings.ToValidUTF8(strings.ReplaceAll(p, "\x00", ""), "\uFFFD")
	if len(p) <= exceptions.MaxPayloadBytes {
		return p
	}
	cut := exceptions.MaxPayloadBytes
	for cut > 0 && !utf8.RuneStart(p[cut]) {
		cut--
	}
	return p[:cut]
}

// raise opens or counts an exception inside tx.
func raise(tx *gorm.DB, e exceptions.Exception) error {
	now := time.Now().UTC()
	if e.ChannelID == "" && e.Resource == "channel" {
		e.ChannelID = e.ResourceID
	}
	return tx.Exec(`INSERT INTO exceptions
(id, kind, cause_key, status, summary, detail, action, resource, resource_id, channel_id, guidance, payload, occurrences, created_at, updated_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?)
ON CONFLICT (cause_key) WHERE status = 'open'
DO UPDATE SET occurrences = exceptions.occurrences + 1, detail = excluded.detail, summary = excluded.summary,
guidance = excluded.guidance, payload = excluded.payload, updated_at = excluded.updated_at`,
		ids.New(), e.Kind, e.CauseKey, exceptions.StatusOpen, e.Summary, truncateText(e.Detail), e.Action, e.Resource, e.ResourceID,
		e.ChannelID, truncateText(e.Guidance), capPayload(e.Payload), now, now).Error
}

// Resolve answers the exception as it was written, read inside the same
// transaction: a write that committed is never answered with an error.
func (s *Exceptions) Resolve(ctx context.Context, id, resolution, by string, at time.Time, fx effects.Set) (exceptions.Exception, error) {
	var written exceptionRow
	err := s.db.inTx(ctx, time.Time{}, func(tx *Tx) error {
		tx.Add(fx)
		res := tx.Model(&exceptionRow{}).Where("id = ? AND status = ?", id, exceptions.StatusOpen).
			Updates(map[string]any{"status": exceptions.StatusResolved, "resolution": resolution, "resolved_by": by, "resolved_at": at.UTC(), "updated_at": at.UTC()})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return apperr.New(apperr.Conflict, "exception %s is already resolved", id)
		}
		return tx.Where("id = ?", id).Take(&written).Error
	})
	if err != nil {
		return exceptions.Exception{}, err
	}
	return written.domain(), nil
}

// Assign gives an open exception to an active user whose role is one of
// roles, in one UPDATE whose WHERE clause is the rule: a user disabled or
// of another role meanwhile is refused, and nothing changes.
func (s *Exceptions) Assign(ctx context.Context, id, userID string, roles []string, at time.Time, fx effects.Set) (exceptions.Exception, error) {
	var written exceptionRow
	err := s.db.inTx(ctx, time.Time{}, func(tx *Tx) error {
		tx.Add(fx)
		res := tx.Exec(`UPDATE exceptions SET assignee_id = ?, assigned_at = ?, updated_at = ?
WHERE id = ? AND status = 'open' AND EXISTS (SELECT 1 FROM users u WHERE u.id = ? AND u.status = 'active' AND u.role IN ?)`,
			userID, at.UTC(), at.UTC(), id, userID, roles)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return s.whyNotAssigned(tx, id, userID, roles)
		}
		return tx.Where("id = ?", id).Take(&written).Error
	})
	if err != nil {
		return exceptions.Exception{}, err
	}
	return written.domain(), nil
}

// whyNotAssigned explains a refused assignment (read after the refusal,
// only to word it).
func (s *Exceptions) whyNotAssigned(tx *Tx, id, userID string, roles []string) error {
	var ex []exceptionRow
	if err := tx.Where("id = ?", id).Limit(1).Find(&ex).Error; err != nil {
		return err
	}
	if len(ex) == 0 {
		return apperr.New(apperr.NotFound, "exception %s not found", id)
	}
	if ex[0].Status != exceptions.StatusOpen {
		return apperr.New(apperr.Conflict, "exception %s is resolved: nothing to assign", id)
	}
	var users []userRow
	if err := tx.Where("id = ?", userID).Limit(1).Find(&users).Error; err != nil {
		return err
	}
	switch {
	case len(users) == 0:
		return apperr.FieldErrors{"user_id": "no such user (GET /users lists them)"}.Err()
	case users[0].Status != "active":
		return apperr.FieldErrors{"user_id": "the user is disabled: assign it to an active user"}.Err()
	}
	return apperr.FieldErrors{"user_id": fmt.Sprintf("a %s exception is worked by %s; this user is %s", ex[0].Kind, strings.Join(roles, " or "), users[0].Role)}.Err()
}

func (s *Exceptions) Get(ctx context.Context, id string) (exceptions.Exception, error) {
	var row exceptionRow
	if err := s.db.gorm.WithContext(ctx).Where("id = ?", id).Take(&row).Error; err != nil {
		return exceptions.Exception{}, notFound(err, "exception %s not found", id)
	}
	return row.domain(), nil
}

func (s *Exceptions) List(ctx context.Context, f exceptions.Filter, p paging.Request) (paging.Page[exceptions.Exception], error) {
	q := keyset(s.db.gorm.WithContext(ctx), p)
	q = whereIf(q, "kind = ?", f.Kind)
	q = whereIf(q, "status = ?", f.Status)
	q = whereIf(q, "channel_id = ?", f.ChannelID)
	switch f.Assignee {
	case "":
	case exceptions.Unassigned:
		q = q.Where("assignee_id IS NULL")
	default:
		q = q.Where("assignee_id = ?", f.Assignee)
	}
	if f.CreatedBefore != nil {
		q = q.Where("created_at < ?", f.CreatedBefore.UTC())
	}
	rows, err := findRows[exceptionRow](q)
	if err != nil {
		return paging.Page[exceptions.Exception]{}, err
	}
	return paging.Build(mapRows(rows, exceptionRow.domain), p.Limit, func(e exceptions.Exception) string { return e.ID }), nil
}

// PointAt sets where a channel's API is (the embedded simulators listen on
// a new port when configured with :0).
func (s *Channels) PointAt(ctx context.Context, name, baseURL, tokenURL string) error {
	return s.db.gorm.WithContext(ctx).Model(&channelRow{}).Where("name = ?", name).
		Updates(map[string]any{"base_url": baseURL, "token_url": tokenURL}).Error
}

type channelFileRow struct {
	ID          string `gorm:"primaryKey"`
	ChannelID   string
	Name        string
	ContentType string
	SizeBytes   int64
	Items       int64
	Content     string
	CreatedAt   time.Time
}

func (channelFileRow) TableName() string { return "channel_files" }

// ChannelFile describes a stored file (without its content).
type ChannelFile = channels.File

// ChannelFiles keeps the files assisted channels produce.
type ChannelFiles struct{ db *DB }

func (db *DB) ChannelFiles() *ChannelFiles { return &ChannelFiles{db: db} }

// Put stores a file for a channel and returns its id.
func (s *ChannelFiles) Put(ctx context.Context, channelID, name, contentType string, items int, data []byte) (string, error) {
	row := channelFileRow{ID: ids.New(), ChannelID: channelID, Name: name, ContentType: contentType, SizeBytes: int64(len(data)),
		Items: int64(items), Content: base64.StdEncoding.EncodeToString(data), CreatedAt: time.Now().UTC()}
	return row.ID, s.db.gorm.WithContext(ctx).Create(&row).Error
}

// PutAudited stores a file a person brought in (GeM's catalogue export),
// audited in the same transaction, and returns its id.
func (s *ChannelFiles) PutAudited(ctx context.Context, channelID, name, contentType string, items int, data []byte, now time.Time) (string, error) {
	now = now.UTC()
	digest := sha256.Sum256(data)
	row := channelFileRow{ID: ids.New(), ChannelID: channelID, Name: name, ContentType: contentType, SizeBytes: int64(len(data)),
		Items: int64(items), Content: base64.StdEncoding.EncodeToString(data), CreatedAt: now}
	err := s.db.inTx(ctx, now, func(tx *Tx) error {
		if err := tx.Create(&row).Error; err != nil {
			return err
		}
		tx.AuditChange("import", "channel_file", row.ID, nil, map[string]any{"channel_id": channelID, "name": name,
			"items": items, "bytes": len(data), "sha256": hex.EncodeToString(digest[:])})
		return nil
	})
	return row.ID, err
}

// List lists a channel's files, newest last.
func (s *ChannelFiles) List(ctx context.Context, channelID string, p paging.Request) (paging.Page[ChannelFile], error) {
	var rows []channelFileRow
	err := keyset(s.db.gorm.WithContext(ctx), p).Omit("content").Where("channel_id = ?", channelID).Find(&rows).Error
	if err != nil {
		return paging.Page[ChannelFile]{}, err
	}
	return paging.Build(mapRows(rows, func(r channelFileRow) ChannelFile {
		return ChannelFile{ID: r.ID, ChannelID: r.ChannelID, Name: r.Name, ContentType: r.ContentType, SizeBytes: r.SizeBytes,
			Items: r.Items, CreatedAt: r.CreatedAt.UTC()}
	}), p.Limit, func(f ChannelFile) string { return f.ID }), nil
}

// Latest returns the newest of a channel's files whose name starts with
// prefix, with its content; found is false when there is none.
func (s *ChannelFiles) Latest(ctx context.Context, channelID, prefix string) (_ ChannelFile, _ []byte, found bool, _ error) {
	var r channelFileRow
	err := s.db.gorm.WithContext(ctx).Where("channel_id = ? AND SUBSTR(name, 1, ?) = ?", channelID, len(prefix), prefix).
		Order("created_at DESC, id DESC").Limit(1).Find(&r).Error
	if err != nil || r.ID == "" {
		return ChannelFile{}, nil, false, err
	}
	data, err := base64.StdEncoding.DecodeString(r.Content)
	if err != nil {
		return ChannelFile{}, nil, false, err
	}
	return ChannelFile{ID: r.ID, ChannelID: r.ChannelID, Name: r.Name, ContentType: r.ContentType, SizeBytes: r.SizeBytes,
		Items: r.Items, CreatedAt: r.CreatedAt.UTC()}, data, true, nil
}

// Get returns one file with its content.
func (s *ChannelFiles) Get(ctx context.Context, channelID, id string) (ChannelFile, []byte, error) {
	var r channelFileRow
	if err := s.db.gorm.WithContext(ctx).Where("id = ? AND channel_id = ?", id, channelID).Take(&r).Error; err != nil {
		return ChannelFile{}, nil, notFound(err, "file %s not found", id)
	}
	data, err := base64.StdEncoding.DecodeString(r.Content)
	if err != nil {
		return ChannelFile{}, nil, err
	}
	return ChannelFile{ID: r.ID, ChannelID: r.ChannelID, Name: r.Name, ContentType: r.ContentType, SizeBytes: r.SizeBytes,
		Items: r.Items, CreatedAt: r.CreatedAt.UTC()}, data, nil
}

// Presence is what a sync's presence check reads and marks
// (channelsync.PresenceStore): the channel's pass, its listings.
type Presence struct {
	*Channels
	*Listings
}

func (db *DB) Presence() Presence { return Presence{db.Channels(), db.Listings()} }
