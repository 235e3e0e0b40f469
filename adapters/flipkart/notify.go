package flipkart

// Flipkart order notifications (MARKETPLACES.md 1.4 and 5.1; Flipkart's
// "Order Management Notification Service" page, NotifIntro / the
// fk-api-platform-docs order-management-notifications page).
//
// What Flipkart documents, and what we assumed where it does not:
//   - Every notification carries X_Date: <date_timestamp> and
//     X_Authorization: FKLOGIN Base64(<appid>:<fk_signature>), where
//     fk_signature is the lowercase hex SHA-1 of date_timestamp +
//     notification URL + HTTP method + the application's OAuth secret,
//     concatenated without separators. Plain SHA-1, not an HMAC; the body
//     is not covered. The prose calls date_timestamp the HTTP-Date, the
//     worked example hashes its Unix seconds: both forms are accepted
//     (TestSignatureDocumentedExample checks the published vector).
//   - The headers have underscores: a proxy in front of the service must
//     pass them (nginx drops them unless underscores_in_headers is on).
//   - Because the body is not signed, a notification is only a hint: the
//     worker reads the shipment from Flipkart's API and takes that in, so a
//     forged or altered body can at most cause one read of a real shipment.
//   - Flipkart documents no event id and no retry schedule. The event's
//     identity here is its type, shipment (or return, order item) and
//     timestamp; a notification seen before is acknowledged and ignored.
//     We assume Flipkart signs every delivery attempt when it sends it, so
//     X_Date is fresh on a retry; one older than MaxSkew is refused.
//   - Flipkart expects 200 for every event it sends (a failed delivery holds
//     back later events of the same group), so a notification that is
//     signed but cannot be read is acknowledged and kept for a person.

import (
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/jkhhc/artisanbridge/adapters"
	"github.com/jkhhc/artisanbridge/internal/orders"
)

// Notification headers, as Flipkart spells them.
const (
	HeaderDate          = "X_Date"
	HeaderAuthorization = "X_Authorization"
	authScheme          = "FKLOGIN "
)

// DefaultMaxSkew is how far X_Date may be from our clock either way: the
// tolerance Stripe's SDK uses for its signed timestamps (RELIABILITY.md 4.1);
// Flipkart publishes none.
const DefaultMaxSkew = 5 * time.Minute

// Notification refusals.
var (
	ErrUnsigned     = errors.New("flipkart notification: X_Date or X_Authorization is missing or malformed")
	ErrUnknownApp   = errors.New("flipkart notification: signed by an application id no Flipkart channel here has")
	ErrBadSignature = errors.New("flipkart notification: the signature does not match")
	ErrStale        = errors.New("flipkart notification: X_Date is outside the accepted window")
)

// Signature is fk_signature: lowercase hex SHA-1 of date + url + method +
// secret.
func Signature(date, url, method, secret string) string {
	sum := sha1.Sum([]byte(date + url + method + secret))
	return hex.EncodeToString(sum[:])
}

// Authorization is the X_Authorization value Flipkart sends.
func Authorization(appID, signature string) string {
	return authScheme + base64.StdEncoding.EncodeToString([]byte(appID+":"+signature))
}

// SignHeaders sets the two headers on h as Flipkart would at instant at
// (X_Date as HTTP-Date, the signature over its Unix seconds, as the
// documented example does).
func SignHeaders(h http.Header, appID, secret, url, method string, at time.Time) {
	h[HeaderDate] = []string{at.UTC().Format(http.TimeFormat)}
	h[HeaderAuthorization] = []string{Authorization(appID, Signature(strconv.FormatInt(at.Unix(), 10), url, method, secret))}
}

// header reads a header by Flipkart's spelling or its canonical form.
func header(h http.Header, name string) string {
	if v := h[name]; len(v) > 0 {
		return v[0]
	}
	return h.Get(name)
}

// SignedBy reads the application id and signature from X_Authorization.
func SignedBy(h http.Header) (appID, signature string, err error) {
	v, ok := strings.CutPrefix(strings.TrimSpace(header(h, HeaderAuthorization)), authScheme)
	if !ok {
		return "", "", ErrUnsigned
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(v))
	if err != nil {
		return "", "", ErrUnsigned
	}
	appID, signature, ok = strings.Cut(string(raw), ":")
	if !ok || !adapters.Text(appID, 200) || len(signature) != 2*sha1.Size {
		return "", "", ErrUnsigned
	}
	return appID, signature, nil
}

// ParseDate reads X_Date: an HTTP-Date (RFC 7231, or the older forms
// net/http accepts) or Unix seconds.
func ParseDate(v string) (time.Time, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return time.Time{}, false
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n <= 0 || n > 1<<40 {
			return time.Time{}, false
		}
		return time.Unix(n, 0).UTC(), true
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return time.Time{}, false
	}
	return t.UTC(), true
}

// Verified is a notification whose signature and date were accepted.
type Verified struct {
	AppID string
	At    time.Time
}

// VerifyRequest checks a notification's headers: the application id is
// known (secret returns its secrets, the current one first), the
// signature matches over url and method with date_timestamp either as sent
// or as its Unix seconds (compared in constant time, every secret tried),
// and X_Date is within maxSkew of now. Errors are the Err values above.
func VerifyRequest(h http.Header, url, method string, now time.Time, maxSkew time.Duration, secrets func(appID string) []string) (Verified, error) {
	rawDate := strings.TrimSpace(header(h, HeaderDate))
	at, ok := ParseDate(rawDate)
	if !ok {
		return Verified{}, ErrUnsigned
	}
	appID, sig, err := SignedBy(h)
	if err != nil {
		return Verified{}, err
	}
	keys := secrets(appID)
	if len(keys) == 0 {
		return Verified{}, ErrUnknownApp
	}
	got := []byte(strings.ToLower(sig))
	forms := []string{rawDate, strconv.FormatInt(at.Unix(), 10)}
	match := false
	for _, key := range keys {
		if key == "" {
			continue
		}
		for _, d := range forms {
			if hmac.Equal(got, []byte(Signature(d, url, method, key))) {
				match = true // keep comparing: the time taken says nothing of which matched
			}
		}
	}
	if !match {
		return Verified{}, ErrBadSignature
	}
	if maxSkew <= 0 {
		maxSkew = DefaultMaxSkew
	}
	if d := now.Sub(at); d > maxSkew || d < -maxSkew {
		return Verified{}, fmt.Errorf("%w: X_Date %s, our clock %s", ErrStale, at.Format(time.RFC3339), now.UTC().Format(time.RFC3339))
	}
	return Verified{AppID: appID, At: at}, nil
}

// Notification is one event, read. Refs say what to read again from
// Flipkart: the shipment when the event names it, else the orders (or the
// order items) it names.
type Notification struct {
	EventType    string
	ShipmentID   string
	OrderIDs     []string
	OrderItemIDs []string
	Timestamp    string
	// EventID is the event's identity (see the package notes): its type,
	// what it is about and its timestamp, hashed.
	EventID string
}

// maxRefs bounds the ids one notification may name (a shipment holds a
// handful of items; GET /v3/shipments takes at most 100 ids).
const maxRefs = 100

// DecodeNotification reads a notification body (untrusted input). It
// fails when the body is not a JSON object, has no event type, or names
// nothing that can be read again; every id must be text an id can be.
func DecodeNotification(body []byte) (Notification, error) {
	top, err := adapters.ParseObject(body)
	if err != nil {
		return Notification{}, fmt.Errorf("flipkart notification: %w", err)
	}
	var n Notification
	if err := top.Get("eventType", &n.EventType); err != nil {
		return Notification{}, fmt.Errorf("flipkart notification: %w", err)
	}
	if !adapters.Text(n.EventType, 64) {
		return Notification{}, fmt.Errorf("flipkart notification: eventType %s is not an event type", adapters.Quote(n.EventType, 40))
	}
	_ = top.Get("timestamp", &n.Timestamp) // identity only: a timestamp that is not text leaves it empty
	if !adapters.Text(n.Timestamp, 64) {
		n.Timestamp = ""
	}
	if err := top.Get("shipmentId", &n.ShipmentID); err != nil {
		return Notification{}, fmt.Errorf("flipkart notification: %w", err)
	}
	if n.ShipmentID != "" && !adapters.Text(n.ShipmentID, adapters.MaxIDBytes) {
		return Notification{}, fmt.Errorf("flipkart notification: shipmentId %s is not an id", adapters.Quote(n.ShipmentID, 40))
	}
	var attrs adapters.Object
	if top.Has("attributes") {
		if err := top.Get("attributes", &attrs); err != nil {
			return Notification{}, fmt.Errorf("flipkart notification: %w", err)
		}
	}
	orders, items := map[string]bool{}, map[string]bool{}
	addID := func(set map[string]bool, list *[]string, field, id string) error {
		if id == "" || set[id] {
			return nil
		}
		if !adapters.Text(id, adapters.MaxIDBytes) {
			return fmt.Errorf("flipkart notification: %s %s is not an id", field, adapters.Quote(id, 40))
		}
		if len(*list) >= maxRefs {
			return fmt.Errorf("flipkart notification: more than %d ids in %s", maxRefs, field)
		}
		set[id] = true
		*list = append(*list, id)
		return nil
	}
	readRefs := func(o adapters.Object, where string) error {
		var orderID, itemID string
		if err := o.Get("orderId", &orderID); err != nil {
			return fmt.Errorf("flipkart notification: %s%w", where, err)
		}
		if err := o.Get("orderItemId", &itemID); err != nil {
			return fmt.Errorf("flipkart notification: %s%w", where, err)
		}
		if err := addID(orders, &n.OrderIDs, "orderId", orderID); err != nil {
			return err
		}
		return addID(items, &n.OrderItemIDs, "orderItemId", itemID)
	}
	if attrs != nil {
		if err := readRefs(attrs, "attributes."); err != nil {
			return Notification{}, err
		}
		var list []json.RawMessage
		if err := attrs.Get("orderItems", &list); err != nil {
			return Notification{}, fmt.Errorf("flipkart notification: attributes.%w", err)
		}
		for i, raw := range list {
			var it adapters.Object
			if err := json.Unmarshal(raw, &it); err != nil || it == nil {
				return Notification{}, fmt.Errorf("flipkart notification: attributes.orderItems[%d] is not an object", i)
			}
			if err := readRefs(it, fmt.Sprintf("attributes.orderItems[%d].", i)); err != nil {
				return Notification{}, err
			}
		}
	}
	// A top-level orderItemId (the older order_item_* events) counts too.
	var topItem string
	if err := top.Get("orderItemId", &topItem); err != nil {
		return Notification{}, fmt.Errorf("flipkart notification: %w", err)
	}
	if err := addID(items, &n.OrderItemIDs, "orderItemId", topItem); err != nil {
		return Notification{}, err
	}
	if n.ShipmentID == "" && len(n.OrderIDs) == 0 && len(n.OrderItemIDs) == 0 {
		return Notification{}, fmt.Errorf("flipkart notification: %s names no shipment, order or order item", adapters.Quote(n.EventType, 40))
	}
	n.EventID = eventID(n, body)
	return n, nil
}

// eventID hashes what identifies an event; without a timestamp, the body.
func eventID(n Notification, body []byte) string {
	h := sha256.New()
	if n.Timestamp == "" {
		h.Write([]byte("body\x00"))
		h.Write(body)
	} else {
		for _, part := range append([]string{n.EventType, n.ShipmentID, n.Timestamp}, append(n.OrderIDs, n.OrderItemIDs...)...) {
			h.Write([]byte(part))
			h.Write([]byte{0})
		}
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// Ref is what the notification names, as the worker asks for it again.
func (n Notification) Ref() orders.NoticeRef {
	return orders.NoticeRef{ShipmentID: n.ShipmentID, OrderIDs: n.OrderIDs, OrderItemIDs: n.OrderItemIDs}
}

var _ adapters.NoticeFetcher = (*Client)(nil)

// FetchNoticed reads the shipments a notification names (GET
// /v3/shipments?shipmentIds=, else orderIds= or orderItemIds=: one kind of
// id a call), decoded as a pull's pages are.
func (c *Client) FetchNoticed(ctx context.Context, ref orders.NoticeRef) (adapters.OrderPage, error) {
	kind, ids := "", []string(nil)
	switch {
	case ref.ShipmentID != "":
		kind, ids = "shipmentIds", []string{ref.ShipmentID}
	case len(ref.OrderIDs) > 0:
		kind, ids = "orderIds", ref.OrderIDs
	case len(ref.OrderItemIDs) > 0:
		kind, ids = "orderItemIds", ref.OrderItemIDs
	default:
		return adapters.OrderPage{}, fmt.Errorf("flipkart: the notification names nothing to read")
	}
	if len(ids) > maxRefs {
		return adapters.OrderPage{}, fmt.Errorf("flipkart: %d ids in one notification, at most %d", len(ids), maxRefs)
	}
	for _, id := range ids {
		if !adapters.Text(id, adapters.MaxIDBytes) || strings.Contains(id, ",") {
			return adapters.OrderPage{}, fmt.Errorf("flipkart: %s is not an id", adapters.Quote(id, 40))
		}
	}
	body, err := c.callTimeout(ctx, OpGetShipments, http.MethodGet, "/v3/shipments?"+kind+"="+url.QueryEscape(strings.Join(ids, ",")), nil, orderTimeout)
	if err != nil {
		return adapters.OrderPage{}, err
	}
	resp, err := DecodeShipments(body)
	if err != nil {
		return adapters.OrderPage{}, err
	}
	return adapters.OrderPage{Orders: resp.Orders, Unreadable: resp.Unreadable}, nil
}

// Outcomes of a notification received (Receiver.Receive).
const (
	OutcomeQueued       = "queued"        // new: recorded and queued
	OutcomeRepeat       = "repeat"        // seen before: acknowledged, nothing queued
	OutcomeUnreadable   = "unreadable"    // signed but not readable: acknowledged, kept for a person
	OutcomeUnsigned     = "unsigned"      // refused: headers missing or malformed
	OutcomeUnknownApp   = "unknown_app"   // refused: no channel has the app id
	OutcomeBadSignature = "bad_signature" // refused: the signature does not match
	OutcomeStale        = "stale"         // refused: X_Date outside the window
)

// Signer is the Flipkart channel whose application signed a notification.
type Signer struct {
	ChannelID string
	Secret    string
	// URL is the notification URL registered with Flipkart; empty means
	// the URL the notification arrived at.
	URL string
}

// Receiver takes Flipkart's notifications: verified against the channel
// whose application signed them, read, then recorded once and queued by
// Record (the store, in one transaction). It decides nothing about orders:
// the worker reads what a notice names again from Flipkart.
type Receiver struct {
	// Signer finds the channel of an application id; ok false when none.
	Signer func(ctx context.Context, appID string) (s Signer, ok bool, err error)
	// Record keeps a notice once and queues it; false: seen before.
	Record func(ctx context.Context, n orders.Notice) (bool, error)
	// Unreadable keeps a signed notification that cannot be read.
	Unreadable func(ctx context.Context, channelID string, body []byte, reason string) error
	MaxSkew    time.Duration
	Now        func() time.Time
}

// Received is what became of one notification. A refusal (Refused) is
// answered 400 (as payout webhooks are); everything else 200, as Flipkart expects.
type Received struct {
	Outcome   string
	ChannelID string // empty when no channel could be told
	Refused   error
}

// Receive takes one notification; arrivedAt is the URL it was posted to.
// err is a failure of ours (the store): answered 5xx, Flipkart sends it
// again.
func (r *Receiver) Receive(ctx context.Context, arrivedAt string, h http.Header, body []byte) (Received, error) {
	now := time.Now
	if r.Now != nil {
		now = r.Now
	}
	appID, _, err := SignedBy(h)
	if err != nil {
		return Received{Outcome: OutcomeUnsigned, Refused: err}, nil
	}
	s, ok, err := r.Signer(ctx, appID)
	if err != nil {
		return Received{}, err
	}
	if !ok {
		return Received{Outcome: OutcomeUnknownApp, Refused: ErrUnknownApp}, nil
	}
	target := arrivedAt
	if s.URL != "" {
		target = s.URL
	}
	if _, err := VerifyRequest(h, target, http.MethodPost, now(), r.MaxSkew, func(string) []string { return []string{s.Secret} }); err != nil {
		out := Received{ChannelID: s.ChannelID, Refused: err, Outcome: OutcomeUnsigned}
		switch {
		case errors.Is(err, ErrBadSignature):
			out.Outcome = OutcomeBadSignature
		case errors.Is(err, ErrStale):
			out.Outcome = OutcomeStale
		case errors.Is(err, ErrUnknownApp):
			out.Outcome = OutcomeUnknownApp
		}
		return out, nil
	}
	n, err := DecodeNotification(body)
	if err != nil {
		if err := r.Unreadable(ctx, s.ChannelID, body, err.Error()); err != nil {
			return Received{}, err
		}
		return Received{Outcome: OutcomeUnreadable, ChannelID: s.ChannelID}, nil
	}
	fresh, err := r.Record(ctx, orders.Notice{ChannelID: s.ChannelID, EventID: n.EventID, EventType: n.EventType, Ref: n.Ref()})
	if err != nil {
		return Received{}, err
	}
	if !fresh {
		return Received{Outcome: OutcomeRepeat, ChannelID: s.ChannelID}, nil
	}
	return Received{Outcome: OutcomeQueued, ChannelID: s.ChannelID}, nil
}
