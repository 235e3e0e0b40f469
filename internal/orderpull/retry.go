package orderpull

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/jkhhc/artisanbridge/adapters"
	"github.com/jkhhc/artisanbridge/internal/apperr"
	"github.com/jkhhc/artisanbridge/internal/exceptions"
	"github.com/jkhhc/artisanbridge/internal/orders"
)

const causePrefix = "missed_order:"

// CauseKey names what a missed_order is about, one open exception each:
// the channel and order, and the item when one item alone could not be
// read; a hash of the payload when no id could be read. Ids are escaped, so
// that the key reads back exactly (ParseCauseKey).
func CauseKey(channelID, orderID, lineID string, payload []byte) string {
	switch {
	case orderID != "" && lineID != "":
		return causePrefix + channelID + ":" + url.QueryEscape(orderID) + ":" + url.QueryEscape(lineID)
	case orderID != "":
		return causePrefix + channelID + ":" + url.QueryEscape(orderID)
	}
	sum := sha256.Sum256(payload)
	return causePrefix + channelID + ":#" + hex.EncodeToString(sum[:16])
}

// Cause is a missed order's cause key, read back.
type Cause struct {
	ChannelID, OrderID, LineID string
	// Hashed says no id could be read: only the payload says what it was.
	Hashed bool
}

// ParseCauseKey reads a key CauseKey wrote; ok is false for any other key
// (a missed_order about stock fulfilled elsewhere, say).
func ParseCauseKey(key string) (Cause, bool) {
	rest, ok := strings.CutPrefix(key, causePrefix)
	if !ok {
		return Cause{}, false
	}
	parts := strings.Split(rest, ":")
	if len(parts) < 2 || len(parts) > 3 || parts[0] == "" {
		return Cause{}, false
	}
	c := Cause{ChannelID: parts[0]}
	if len(parts) == 2 && strings.HasPrefix(parts[1], "#") {
		c.Hashed = len(parts[1]) > 1
		return c, c.Hashed
	}
	var err1, err2 error
	c.OrderID, err1 = url.QueryUnescape(parts[1])
	if len(parts) == 3 {
		c.LineID, err2 = url.QueryUnescape(parts[2])
	}
	if err1 != nil || err2 != nil || c.OrderID == "" || (len(parts) == 3 && c.LineID == "") {
		return Cause{}, false
	}
	return c, true
}

// normalised is the payload of a missed order that was read but could not
// be taken in: the order as the adapter normalised it, marked as ours.
type normalised struct {
	Order *orders.Incoming `json:"normalised_order"`
}

func encodeNormalised(in orders.Incoming) ([]byte, error) {
	return json.Marshal(normalised{Order: &in})
}

func decodeNormalised(payload string) (orders.Incoming, bool) {
	var n normalised
	if err := json.Unmarshal([]byte(payload), &n); err != nil || n.Order == nil {
		return orders.Incoming{}, false
	}
	return *n.Order, true
}

// Where a retry read the order from.
const (
	FromMarketplace = "marketplace" // read again by its id, as it stands now
	FromPayload     = "payload"     // the payload the exception keeps, read again
)

// RetryResult is what a retry took in.
type RetryResult struct {
	Exception exceptions.Exception `json:"exception"`
	Source    string               `json:"source"`
	Orders    []RetriedOrder       `json:"orders"`
	Summary   orders.ImportSummary `json:"summary"`
}

// RetriedOrder is one order a retry ingested.
type RetriedOrder struct {
	OrderID         string `json:"order_id"`
	ExternalOrderID string `json:"external_order_id"`
	Created         bool   `json:"created"`
	Stale           bool   `json:"stale"`
	NewLines        int    `json:"new_lines"`
	Reserved        int    `json:"reserved"`
	Oversold        int    `json:"oversold"`
	Unmapped        int    `json:"unmapped"`
	ToMake          int    `json:"to_make"`
	Released        int    `json:"released"`
}

// Retry takes a missed order in again once its cause is fixed: read again
// from the marketplace by id where the adapter can (adapters.OrderFetcher),
// else from the stored payload; ingested through the same idempotent path
// as a pull; the exception resolved by `by` (audited). A retry that still
// cannot read or take the order in answers 422 with the reason, and the
// exception stays open with that reason as its detail.
func (p *Puller) Retry(ctx context.Context, exceptionID, by string) (RetryResult, error) {
	e, err := p.Exceptions.Get(ctx, exceptionID)
	if err != nil {
		return RetryResult{}, err
	}
	if e.Kind != exceptions.MissedOrder {
		return RetryResult{}, apperr.New(apperr.Conflict, "exception %s is %s, not a missed order: only a missed order can be retried", e.ID, e.Kind)
	}
	if e.Status != "open" {
		return RetryResult{}, apperr.New(apperr.Conflict, "exception %s is already resolved", e.ID)
	}
	cause, ok := ParseCauseKey(e.CauseKey)
	if !ok {
		return RetryResult{}, apperr.New(apperr.PreconditionFailed,
			"exception %s is not about an order that could not be read or taken in: do what its action says, then resolve it", e.ID)
	}
	ch, err := p.Channels.Get(ctx, cause.ChannelID)
	if err != nil {
		return RetryResult{}, err
	}
	if !ch.Enabled {
		return RetryResult{}, apperr.New(apperr.PreconditionFailed, "channel %s is disabled: enable it, then retry", ch.Name)
	}
	creds, err := p.Channels.Credentials(ctx, ch.ID)
	if err != nil {
		return RetryResult{}, err
	}
	ad, err := p.Factory(ch, creds)
	if err != nil {
		return RetryResult{}, err
	}
	page, source, err := reread(ctx, ad, cause, e.Payload)
	if err != nil {
		return RetryResult{}, p.retryFailed(ctx, e, by, err)
	}
	found, err := concerned(page, cause, ch.Name)
	if err != nil {
		return RetryResult{}, p.retryFailed(ctx, e, by, err)
	}
	out := RetryResult{Source: source, Orders: []RetriedOrder{}}
	for _, in := range found {
		in.ChannelID = ch.ID
		res, err := p.Orders.Ingest(ctx, in)
		var refused *apperr.Error
		if errors.As(err, &refused) {
			return RetryResult{}, p.retryFailed(ctx, e, by, fmt.Errorf("order %s could not be taken in: %s", in.ExternalOrderID, refused.Message))
		}
		if err != nil {
			// Not a refusal: the reason is for the logs and the exception, not the answer.
			_ = p.retryFailed(ctx, e, by, fmt.Errorf("order %s could not be taken in: %v", in.ExternalOrderID, err))
			return RetryResult{}, fmt.Errorf("retrying %s: %w", e.ID, err)
		}
		if cause.LineID != "" {
			if err := p.hasLine(ctx, res.OrderID, in.ExternalOrderID, cause.LineID); err != nil {
				return RetryResult{}, p.retryFailed(ctx, e, by, err)
			}
		}
		out.Summary.Add(res)
		out.Orders = append(out.Orders, RetriedOrder{OrderID: res.OrderID, ExternalOrderID: in.ExternalOrderID, Created: res.Created, Stale: res.Stale,
			NewLines: res.NewLines, Reserved: res.Reserved, Oversold: res.Oversold, Unmapped: res.Unmapped, ToMake: res.ToMake, Released: res.Released})
	}
	resolution := fmt.Sprintf("taken in on retry, read from the %s: %d orders, %d new lines, %d reserved", source, out.Summary.Orders,
		out.Summary.NewLines, out.Summary.Reserved)
	out.Exception, err = p.Resolver.Resolve(ctx, e.ID, exceptions.ResolveInput{Resolution: resolution}, by)
	return out, err
}

// reread reads the order again: from the marketplace by id where the
// adapter can, else from what the exception keeps.
func reread(ctx context.Context, ad adapters.Channel, c Cause, payload string) (adapters.OrderPage, string, error) {
	if f, ok := ad.(adapters.OrderFetcher); ok && c.OrderID != "" {
		page, err := f.FetchOrder(ctx, c.OrderID)
		if err != nil {
			return page, FromMarketplace, fmt.Errorf("%s could not be asked for order %s: %v; try again later", ad.Kind(), c.OrderID, err)
		}
		return page, FromMarketplace, nil
	}
	if in, ok := decodeNormalised(payload); ok {
		return adapters.OrderPage{Orders: []orders.Incoming{in}}, FromPayload, nil
	}
	r, ok := ad.(adapters.PayloadReader)
	if !ok {
		return adapters.OrderPage{}, FromPayload, fmt.Errorf("%s orders cannot be read again from here: take the order in another way "+
			"(for GeM, import the portal's order file again), then resolve this exception", ad.Kind())
	}
	page, err := r.ReadPayload([]byte(payload))
	if err != nil {
		return page, FromPayload, fmt.Errorf("the stored payload cannot be read: %v", err)
	}
	return page, FromPayload, nil
}

// concerned picks the orders of the page the exception is about, and
// fails if its order or item still cannot be read or is no longer there.
func concerned(page adapters.OrderPage, c Cause, marketplace string) ([]orders.Incoming, error) {
	var why []string
	for _, u := range page.Unreadable {
		if c.Hashed || (u.ExternalOrderID == c.OrderID && (c.LineID == "" || u.ExternalLineID == c.LineID || u.ExternalLineID == "")) {
			why = append(why, u.Reason)
		}
	}
	if len(why) > 0 {
		return nil, fmt.Errorf("still cannot be read: %s", strings.Join(slices.Compact(why), "; "))
	}
	var found []orders.Incoming
	for _, o := range page.Orders {
		if c.Hashed || o.ExternalOrderID == c.OrderID {
			found = append(found, o)
		}
	}
	switch {
	case len(found) == 0 && c.OrderID != "":
		return nil, fmt.Errorf("%s no longer lists order %s", marketplace, c.OrderID)
	case len(found) == 0:
		return nil, errors.New("the payload holds no order that can be read")
	}
	if c.LineID != "" && !slices.ContainsFunc(found, func(o orders.Incoming) bool {
		return slices.ContainsFunc(o.Lines, func(l orders.IncomingLine) bool { return l.ExternalLineID == c.LineID })
	}) {
		return nil, fmt.Errorf("%s no longer lists item %s of order %s", marketplace, c.LineID, c.OrderID)
	}
	return found, nil
}

// hasLine checks that the item a retry was for is now a line of its order.
func (p *Puller) hasLine(ctx context.Context, orderID, externalOrderID, lineID string) error {
	o, err := p.Orders.Get(ctx, orderID)
	if err != nil {
		return fmt.Errorf("order %s was taken in but could not be read back; retry again", externalOrderID)
	}
	for _, l := range o.Lines {
		if l.ExternalLineID == lineID {
			return nil
		}
	}
	return fmt.Errorf("order %s was taken in, but item %s is still not one of its lines (the update was judged stale)", externalOrderID, lineID)
}

// retryFailed keeps the exception open with the reason as its detail and
// answers 422 with it.
func (p *Puller) retryFailed(ctx context.Context, e exceptions.Exception, by string, cause error) error {
	reason := cause.Error()
	e.Detail = truncate(fmt.Sprintf("retried by %s at %s: %s", by, time.Now().UTC().Format(time.RFC3339), reason), 1000)
	if err := p.Exceptions.Raise(ctx, e); err != nil {
		p.warn(ctx, "could not record a failed retry", "exception", e.ID, "err", err)
	}
	return apperr.New(apperr.Unprocessable, "the missed order could not be taken in: %s", truncate(reason, 1000))
}
