// Package adapters holds what every marketplace adapter has in common: the
// Channel interface and its types. One package per marketplace implements
// it (flipkart, amazon, gem), each with its client, the mapping between the
// domain and the marketplace's wire shapes, and a simulator under sim/.
// Adapters import the domain; the domain never imports adapters.
package adapters

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jkhhc/artisanbridge/internal/finance"
	"github.com/jkhhc/artisanbridge/internal/orders"
)

// Kind names a marketplace.
type Kind string

const (
	Flipkart Kind = "flipkart"
	Amazon   Kind = "amazon"
	GeM      Kind = "gem"
)

// Operation names one marketplace call with its own limits.
type Operation string

const (
	OpCreateListings Operation = "listings.create"
	OpUpdatePrices   Operation = "listings.price"
	OpUpdateStock    Operation = "listings.inventory"
	OpGetListings    Operation = "listings.get"
)

// Limit is what a marketplace allows for one operation: items per call,
// calls per second and the burst its token bucket holds.
type Limit struct {
	BatchSize int
	Rate      float64
	Burst     int
}

// Period returns the time one call costs at this rate.
func (l Limit) Period() time.Duration { return time.Duration(float64(time.Second) / l.Rate) }

// Listing is what a channel is told to offer: the product as the
// marketplace should show it, its prices and how many are available.
type Listing struct {
	SKU        string
	ExternalID string // FSN on Flipkart, ASIN on Amazon, catalogue id on GeM
	// Existing says the marketplace already holds this listing (it was
	// pushed before), for marketplaces with separate create and update calls.
	Existing        bool
	Title           string
	Description     string
	Brand           string
	Craft           string
	HSNCode         string
	GSTRateBP       int64
	MRPPaise        int64
	PricePaise      int64
	Quantity        int64
	DispatchDays    int
	CountryOfOrigin string
	GITag           bool
	GICertificateNo string
	Images          []string
	WeightG         int64
	LengthMM        int64
	WidthMM         int64
	HeightMM        int64
	// Locations splits Quantity over the marketplace's own location ids
	// (Flipkart); empty means one quantity for the whole channel.
	Locations []LocationQuantity
}

// LocationQuantity is the quantity offered from one marketplace location.
type LocationQuantity struct {
	LocationID string
	Quantity   int64
}

// PriceUpdate changes a live listing's prices.
type PriceUpdate struct {
	SKU        string
	ExternalID string
	MRPPaise   int64
	PricePaise int64
}

// StockUpdate sets a live listing's available quantity.
type StockUpdate struct {
	SKU        string
	ExternalID string
	Quantity   int64
	Locations  []LocationQuantity
}

// Issue is a marketplace's own complaint about one item, kept verbatim so
// that staff see what the marketplace said.
type Issue struct {
	Severity  string
	Code      string
	Message   string
	Attribute string
}

func (i Issue) String() string {
	if i.Attribute != "" {
		return fmt.Sprintf("%s %s (%s): %s", i.Severity, i.Code, i.Attribute, i.Message)
	}
	return fmt.Sprintf("%s %s: %s", i.Severity, i.Code, i.Message)
}

// ItemResult is the outcome for one SKU of a batch call. Accepted false
// with Issues is the marketplace refusing the item; such an item must not
// be retried unchanged.
type ItemResult struct {
	SKU        string
	Accepted   bool
	Status     string // the marketplace's own word (SUCCESS, WARNING, ACCEPTED, INVALID...)
	ExternalID string
	Issues     []Issue
	// Missing says the marketplace does not hold this listing (any more):
	// it was deleted there, or the marketplace lost it. The listing is
	// created again, not refused.
	Missing bool
}

// RemoteListing is what the marketplace says it holds for a SKU.
type RemoteListing struct {
	SKU        string
	ExternalID string
	Status     string
	MRPPaise   int64
	PricePaise int64
	Quantity   int64
}

// Channel is one marketplace. Push methods send at most Limits()[op].BatchSize
// items per call; a transport failure (after the adapter's own retries) is
// returned as an error, and per-item refusals come back in the results.
type Channel interface {
	Kind() Kind
	Limits() map[Operation]Limit
	PushListings(ctx context.Context, items []Listing) ([]ItemResult, error)
	PushPrices(ctx context.Context, items []PriceUpdate) ([]ItemResult, error)
	PushStock(ctx context.Context, items []StockUpdate) ([]ItemResult, error)
	FetchListings(ctx context.Context, skus []string) ([]RemoteListing, error)
}

// ListingsReporter is a channel that hands over everything it holds in one
// report (Amazon's merchant listings report), streamed: cheaper than one
// read a SKU for a catalogue of ReportThreshold listings or more. Rows it
// cannot read go to bad, never dropped.
type ListingsReporter interface {
	ReportThreshold() int
	ListingsReport(ctx context.Context, each func(RemoteListing) error, bad func(BadRow) error) error
}

// BadRow is a row of a marketplace's report that could not be read, kept
// as the marketplace wrote it.
type BadRow struct {
	Line   int
	SKU    string
	Raw    string
	Reason string
}

// BulkStocker is a channel with a cheaper way to push many stock changes
// at once (Amazon's listings feed) than its per-item calls.
type BulkStocker interface {
	BulkThreshold() int
	PushStockBulk(ctx context.Context, items []StockUpdate) ([]ItemResult, error)
}

// OrderCursor says where an order pull resumes: orders changed since
// Since, or the page a previous call pointed to.
type OrderCursor struct {
	Since     time.Time
	PageToken string
}

// OrderPage is one page of orders a marketplace reported, normalised.
type OrderPage struct {
	Orders []orders.Incoming
	// Unreadable lists what the page held that could not be read: every
	// one becomes a missed_order exception, never silently skipped.
	Unreadable []orders.Unreadable
	// NextPageToken is empty on the last page.
	NextPageToken string
}

// OrderSource is a channel whose orders are pulled from its API.
type OrderSource interface {
	FetchOrders(ctx context.Context, cursor OrderCursor) (OrderPage, error)
}

// OrderFetcher is a channel that reads one order again by its id, as it
// stands at the marketplace now: a missed order is retried from there once
// its cause is fixed. The page holds the order's readable items and what
// still cannot be read; an order the marketplace does not know is an empty
// page.
type OrderFetcher interface {
	FetchOrder(ctx context.Context, externalOrderID string) (OrderPage, error)
}

// NoticeFetcher is a channel that pushes notifications: it reads what one
// names again from the marketplace, as it stands now (the notification is
// a hint; the marketplace's answer is what is taken in). The page holds the
// orders read and what could not be read.
type NoticeFetcher interface {
	FetchNoticed(ctx context.Context, ref orders.NoticeRef) (OrderPage, error)
}

// PayloadReader reads again the payload the channel put in an Unreadable
// entry (an item inside its shipment or order, a file row): a missed order
// whose marketplace cannot be asked by id is retried from what it sent.
type PayloadReader interface {
	ReadPayload(payload []byte) (OrderPage, error)
}

// Fulfilment steps a marketplace is told of.
const (
	StepPacked     = "packed"
	StepDispatched = "dispatched"
	StepCancelled  = "cancelled"
)

// FulfilmentLine is one order line a step concerns.
type FulfilmentLine struct {
	ExternalLineID     string
	ExternalShipmentID string
	SKU                string
	Quantity           int64
	GSTRateBP          int64
}

// FulfilmentUpdate tells a marketplace what happened to an order's lines.
type FulfilmentUpdate struct {
	Step            string
	ExternalOrderID string
	// LocationID is the marketplace's own location id the order ships from
	// (Flipkart needs it to pack, dispatch and cancel).
	LocationID string
	Lines      []FulfilmentLine
	TrackingNo string
	Carrier    string
	At         time.Time
	Reason     string
}

// Fulfiller is a channel that is told of packing, dispatch and seller
// cancellations. A step the marketplace has nothing for returns nil.
type Fulfiller interface {
	PushFulfilment(ctx context.Context, u FulfilmentUpdate) error
}

// Refusal is the marketplace answering and refusing a step: sending it
// again unchanged cannot help, so it goes to staff as an exception.
type Refusal struct {
	Code    string
	Message string
}

func (r *Refusal) Error() string {
	return fmt.Sprintf("marketplace refused: %s: %s", r.Code, r.Message)
}

// ManualStep is a step the marketplace offers no API for: staff do it in
// the marketplace's portal, as Action says.
type ManualStep struct{ Action string }

func (m *ManualStep) Error() string {
	return "to be done by staff in the marketplace's portal: " + m.Action
}

// ErrRateLimited says the marketplace's rate limit has no call free within
// the wait the caller allowed (WithMaxWait); the caller tries later.
var ErrRateLimited = errors.New("the marketplace's rate limit has no call free now")

type maxWaitKey struct{}

// WithMaxWait bounds how long a call waits for the rate limiter. A
// periodic job that will run again anyway (an order pull) uses it so that
// it never holds a worker for minutes waiting for its turn.
func WithMaxWait(ctx context.Context, d time.Duration) context.Context {
	return context.WithValue(ctx, maxWaitKey{}, d)
}

// MaxWait returns the bound WithMaxWait set, if any.
func MaxWait(ctx context.Context) (time.Duration, bool) {
	d, ok := ctx.Value(maxWaitKey{}).(time.Duration)
	return d, ok
}

// SettlementReport is one settlement a marketplace published.
type SettlementReport = finance.SettlementReport

// SettlementSource is a channel whose settlements are pulled from its API
// (Amazon's Reports API); the others' are imported as files.
type SettlementSource = finance.SettlementReports
