package store

import (
	"encoding/json"
	"time"

	"github.com/jkhhc/artisanbridge/internal/auth"
	"github.com/jkhhc/artisanbridge/internal/catalog"
	"github.com/jkhhc/artisanbridge/internal/inventory"
	"github.com/jkhhc/artisanbridge/internal/outbox"
	"github.com/jkhhc/artisanbridge/internal/secrets"
)

// Rows mirror the tables of migrations/; conversion to domain types lives
// next to each row so that no gorm tag leaks into the domain.

type userRow struct {
	ID        string `gorm:"primaryKey"`
	Name      string
	Role      string
	Status    string
	CreatedAt time.Time
	UpdatedAt time.Time
}

func (userRow) TableName() string { return "users" }

func (r userRow) domain() auth.User {
	return auth.User{ID: r.ID, Name: r.Name, Role: auth.Role(r.Role), Status: r.Status,
		CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC()}
}

type tokenRow struct {
	ID        string `gorm:"primaryKey"`
	UserID    string
	TokenHash string
	CreatedAt time.Time
	RevokedAt *time.Time
}

func (tokenRow) TableName() string { return "api_tokens" }

type clusterRow struct {
	ID        string `gorm:"primaryKey"`
	Code      string
	Name      string
	Craft     string
	District  string
	Lat       *float64
	Lon       *float64
	CreatedAt time.Time
}

func (clusterRow) TableName() string { return "clusters" }

func (r clusterRow) domain() catalog.Cluster {
	return catalog.Cluster{ID: r.ID, Code: r.Code, Name: r.Name, Craft: r.Craft, District: r.District, Lat: r.Lat, Lon: r.Lon, CreatedAt: r.CreatedAt.UTC()}
}

type artisanRow struct {
	ID                 string `gorm:"primaryKey"`
	Code               string
	Name               string
	Craft              string
	ClusterID          *string
	District           string
	Phone              string
	Language           string
	PehchanCardNo      string
	GIAuthorisedUserNo string `gorm:"column:gi_authorised_user_no"`
	BankAccountSealed  string
	BankAccountLast4   string `gorm:"column:bank_account_last4"`
	BankIFSC           string `gorm:"column:bank_ifsc"`
	Status             string
	Version            int64
	CreatedAt          time.Time
	UpdatedAt          time.Time
}

func (artisanRow) TableName() string { return "artisans" }

// artisanShown are the columns a read of artisans answers (domain): every
// one but bank_account_sealed, which only the payout bank file and the
// import's comparison load, so a list never carries the sealed account.
var artisanShown = []string{"id", "code", "name", "craft", "cluster_id", "district", "phone", "language", "pehchan_card_no",
	"gi_authorised_user_no", "bank_account_last4", "bank_ifsc", "status", "version", "created_at", "updated_at"}

// columns are what a listed artisan shows: artisanShown.
func (*artisanRow) columns() []string { return artisanShown }

func (r *artisanRow) fields() []any {
	return []any{&r.ID, &r.Code, &r.Name, &r.Craft, &r.ClusterID, &r.District, &r.Phone, &r.Language, &r.PehchanCardNo,
		&r.GIAuthorisedUserNo, &r.BankAccountLast4, &r.BankIFSC, &r.Status, &r.Version, &r.CreatedAt, &r.UpdatedAt}
}

func (r artisanRow) domain() catalog.Artisan {
	a := catalog.Artisan{ID: r.ID, Code: r.Code, Name: r.Name, Craft: r.Craft, ClusterID: r.ClusterID,
		District: r.District, Phone: r.Phone, Language: r.Language, PehchanCardNo: r.PehchanCardNo,
		GIAuthorisedUserNo: r.GIAuthorisedUserNo, BankIFSC: r.BankIFSC, Status: r.Status,
		Version: r.Version, CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC()}
	if r.BankAccountLast4 != "" {
		a.BankAccountMasked = secrets.MaskedLast4(r.BankAccountLast4)
	}
	return a
}

func artisanRowFrom(a catalog.Artisan, acct catalog.SealedAccount) artisanRow {
	return artisanRow{ID: a.ID, Code: a.Code, Name: a.Name, Craft: a.Craft, ClusterID: a.ClusterID,
		District: a.District, Phone: a.Phone, Language: a.Language, PehchanCardNo: a.PehchanCardNo,
		GIAuthorisedUserNo: a.GIAuthorisedUserNo, BankAccountSealed: acct.Sealed, BankAccountLast4: acct.Last4,
		BankIFSC: a.BankIFSC, Status: a.Status, Version: a.Version, CreatedAt: a.CreatedAt.UTC(), UpdatedAt: a.UpdatedAt.UTC()}
}

type productRow struct {
	ID                 string `gorm:"primaryKey"`
	SKU                string `gorm:"column:sku"`
	Title              string
	Description        string
	Craft              string
	HSNCode            string `gorm:"column:hsn_code"`
	GSTRateBP          int64  `gorm:"column:gst_rate_bp"`
	MRPPaise           int64  `gorm:"column:mrp_paise"`
	PricePaise         int64
	ArtisanID          string
	ArtisanPricePaise  *int64
	ArtisanShareBP     *int64 `gorm:"column:artisan_share_bp"`
	GI                 string `gorm:"column:gi"`
	GITag              bool   `gorm:"column:gi_tag"`
	GICertificateNo    string `gorm:"column:gi_certificate_no"`
	OneOfAKind         bool
	MadeToOrder        bool
	AllocatedChannelID *string
	WeightG            int64 `gorm:"column:weight_g"`
	LengthMM           int64 `gorm:"column:length_mm"`
	WidthMM            int64 `gorm:"column:width_mm"`
	HeightMM           int64 `gorm:"column:height_mm"`
	Images             string
	Photos             string
	Attributes         string
	Status             string
	Version            int64
	CreatedAt          time.Time
	UpdatedAt          time.Time
}

func (productRow) TableName() string { return "products" }

func (*productRow) columns() []string {
	return []string{"id", "sku", "title", "description", "craft", "hsn_code", "gst_rate_bp", "mrp_paise", "price_paise",
		"artisan_id", "artisan_price_paise", "artisan_share_bp", "gi", "gi_tag", "gi_certificate_no", "one_of_a_kind",
		"made_to_order", "allocated_channel_id", "weight_g", "length_mm", "width_mm", "height_mm", "images", "photos",
		"attributes", "status", "version", "created_at", "updated_at"}
}

func (r *productRow) fields() []any {
	return []any{&r.ID, &r.SKU, &r.Title, &r.Description, &r.Craft, &r.HSNCode, &r.GSTRateBP, &r.MRPPaise, &r.PricePaise,
		&r.ArtisanID, &r.ArtisanPricePaise, &r.ArtisanShareBP, &r.GI, &r.GITag, &r.GICertificateNo, &r.OneOfAKind,
		&r.MadeToOrder, &r.AllocatedChannelID, &r.WeightG, &r.LengthMM, &r.WidthMM, &r.HeightMM, &r.Images, &r.Photos,
		&r.Attributes, &r.Status, &r.Version, &r.CreatedAt, &r.UpdatedAt}
}

func (r productRow) domain() catalog.Product {
	p := catalog.Product{ID: r.ID, SKU: r.SKU, Title: r.Title, Description: r.Description, Craft: r.Craft,
		HSNCode: r.HSNCode, GSTRateBP: r.GSTRateBP, MRPPaise: r.MRPPaise, PricePaise: r.PricePaise,
		ArtisanID: r.ArtisanID, ArtisanPricePaise: r.ArtisanPricePaise, ArtisanShareBP: r.ArtisanShareBP,
		GI: r.GI, GITag: r.GITag, GICertificateNo: r.GICertificateNo, OneOfAKind: r.OneOfAKind, MadeToOrder: r.MadeToOrder, WeightG: r.WeightG,
		AllocatedChannelID: r.AllocatedChannelID,
		LengthMM:           r.LengthMM, WidthMM: r.WidthMM, HeightMM: r.HeightMM, Status: r.Status, Version: r.Version,
		CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(), Images: []string{}, Photos: []string{}, Attributes: map[string]string{}}
	// The columns are written only by productRowFrom from typed values;
	// most are empty ([] or {}), which needs no decoding.
	if r.Images != "[]" {
		_ = json.Unmarshal([]byte(r.Images), &p.Images)
	}
	if r.Photos != "[]" {
		_ = json.Unmarshal([]byte(r.Photos), &p.Photos)
	}
	if r.Attributes != "{}" {
		_ = json.Unmarshal([]byte(r.Attributes), &p.Attributes)
	}
	return p
}

func productRowFrom(p catalog.Product) productRow {
	images, _ := json.Marshal(nonNil(p.Images))
	photos, _ := json.Marshal(nonNil(p.Photos))
	attrs, _ := json.Marshal(nonNilMap(p.Attributes))
	return productRow{ID: p.ID, SKU: p.SKU, Title: p.Title, Description: p.Description, Craft: p.Craft,
		HSNCode: p.HSNCode, GSTRateBP: p.GSTRateBP, MRPPaise: p.MRPPaise, PricePaise: p.PricePaise,
		ArtisanID: p.ArtisanID, ArtisanPricePaise: p.ArtisanPricePaise, ArtisanShareBP: p.ArtisanShareBP,
		GI: p.GI, GITag: p.GITag, GICertificateNo: p.GICertificateNo, OneOfAKind: p.OneOfAKind, MadeToOrder: p.MadeToOrder, WeightG: p.WeightG,
		AllocatedChannelID: p.AllocatedChannelID,
		LengthMM:           p.LengthMM, WidthMM: p.WidthMM, HeightMM: p.HeightMM, Images: string(images), Photos: string(photos),
		Attributes: string(attrs), Status: p.Status, Version: p.Version,
		CreatedAt: p.CreatedAt.UTC(), UpdatedAt: p.UpdatedAt.UTC()}
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func nonNilMap(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

type locationRow struct {
	ID        string `gorm:"primaryKey"`
	Code      string
	Name      string
	Kind      string
	District  string
	Address   string
	ArtisanID *string
	CreatedAt time.Time
}

func (locationRow) TableName() string { return "locations" }

func (r locationRow) domain() inventory.Location {
	return inventory.Location{ID: r.ID, Code: r.Code, Name: r.Name, Kind: r.Kind, District: r.District,
		Address: r.Address, ArtisanID: r.ArtisanID, CreatedAt: r.CreatedAt.UTC()}
}

type stockLevelRow struct {
	ProductID  string `gorm:"primaryKey"`
	LocationID string `gorm:"primaryKey"`
	OnHand     int64
	Reserved   int64
	UpdatedAt  time.Time
}

func (stockLevelRow) TableName() string { return "stock_levels" }

func (*stockLevelRow) columns() []string {
	return []string{"product_id", "location_id", "on_hand", "reserved", "updated_at"}
}

func (r *stockLevelRow) fields() []any {
	return []any{&r.ProductID, &r.LocationID, &r.OnHand, &r.Reserved, &r.UpdatedAt}
}

func (r stockLevelRow) domain() inventory.Level {
	return inventory.Level{ProductID: r.ProductID, LocationID: r.LocationID, OnHand: r.OnHand,
		Reserved: r.Reserved, Available: r.OnHand - r.Reserved, UpdatedAt: r.UpdatedAt.UTC()}
}

type movementRow struct {
	ID           string `gorm:"primaryKey"`
	ProductID    string
	LocationID   string
	ToLocationID *string
	Kind         string
	Quantity     int64
	Reason       string
	ActorID      string
	CreatedAt    time.Time
}

func (movementRow) TableName() string { return "stock_movements" }

func (*movementRow) columns() []string {
	return []string{"id", "product_id", "location_id", "to_location_id", "kind", "quantity", "reason", "actor_id", "created_at"}
}

func (r *movementRow) fields() []any {
	return []any{&r.ID, &r.ProductID, &r.LocationID, &r.ToLocationID, &r.Kind, &r.Quantity, &r.Reason, &r.ActorID, &r.CreatedAt}
}

func (r movementRow) domain() inventory.Movement {
	return inventory.Movement{ID: r.ID, ProductID: r.ProductID, LocationID: r.LocationID, ToLocationID: r.ToLocationID,
		Kind: r.Kind, Quantity: r.Quantity, Reason: r.Reason, ActorID: r.ActorID, CreatedAt: r.CreatedAt.UTC()}
}

type auditRow struct {
	ID         string `gorm:"primaryKey"`
	ActorID    string
	ActorName  string
	Action     string
	Resource   string
	ResourceID string
	BeforeJSON *string `gorm:"column:before_json"`
	AfterJSON  *string `gorm:"column:after_json"`
	RequestID  string
	CreatedAt  time.Time
}

func (auditRow) TableName() string { return "audit_log" }

func (*auditRow) columns() []string {
	return []string{"id", "actor_id", "actor_name", "action", "resource", "resource_id", "before_json", "after_json", "request_id", "created_at"}
}

func (r *auditRow) fields() []any {
	return []any{&r.ID, &r.ActorID, &r.ActorName, &r.Action, &r.Resource, &r.ResourceID, &r.BeforeJSON, &r.AfterJSON, &r.RequestID, &r.CreatedAt}
}

type outboxRow struct {
	ID        string `gorm:"primaryKey"`
	Topic     string
	EventKey  string
	Payload   string
	CreatedAt time.Time
	SentAt    *time.Time
	Attempts  int64
	LastError string
}

func (outboxRow) TableName() string { return "outbox" }

func (r outboxRow) domain() outbox.Message {
	return outbox.Message{ID: r.ID, Topic: r.Topic, Key: r.EventKey, Payload: json.RawMessage(r.Payload), CreatedAt: r.CreatedAt.UTC()}
}

type idempotencyRow struct {
	PrincipalID    string `gorm:"primaryKey"`
	IdemKey        string `gorm:"primaryKey"`
	Method         string
	Path           string
	RequestHash    string
	ClaimID        string
	CommittedAt    *time.Time
	State          string
	ResponseStatus int64
	ResponseBody   string
	CreatedAt      time.Time
}

func (idempotencyRow) TableName() string { return "idempotency_keys" }

type processedEventRow struct {
	Consumer    string `gorm:"primaryKey"`
	EventID     string `gorm:"primaryKey"`
	ProcessedAt time.Time
}

func (processedEventRow) TableName() string { return "processed_events" }
