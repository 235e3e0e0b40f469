package razorpayx

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/jkhhc/artisanbridge/internal/finance"
)

// Webhook errors. A handler answers ErrDuplicate with 200 (RazorpayX
// retries until it gets a 2xx; a duplicate was handled already) and the
// others with 400, keeping the body for a person (nothing is dropped unseen).
var (
	ErrBadSignature = errors.New("razorpayx webhook: the signature does not match")
	ErrStale        = errors.New("razorpayx webhook: the event is outside the accepted window")
	ErrDuplicate    = errors.New("razorpayx webhook: this event was handled already")
	ErrUnreadable   = errors.New("razorpayx webhook: the body is not a payout event")
)

// ReplayGuard remembers the events already taken. The store backs it with
// a table whose unique key is the event id (written in the transaction that
// applies the event); MemoryReplayGuard serves tests and the embedded default.
type ReplayGuard interface {
	// FirstDelivery records id and reports whether it is new. Records may
	// be forgotten after expires.
	FirstDelivery(ctx context.Context, id string, expires time.Time) (bool, error)
}

// WebhookVerifier checks a RazorpayX webhook delivery.
type WebhookVerifier struct {
	// Secrets are the webhook secrets set on the RazorpayX dashboard, the
	// current one first. After a change the old one still signs retries of
	// events made before it, so it stays until those retries are over.
	Secrets [][]byte
	// MaxAge is how old an event may be: RazorpayX retries a failed delivery
	// for 24 hours, so the default is 25 hours. Events from more than five
	// minutes in the future are refused too.
	MaxAge time.Duration
	Guard  ReplayGuard
	Now    func() time.Time
}

// Delivery is a verified webhook.
type Delivery struct {
	EventID string
	Event   Event
	Outcome finance.PayoutOutcome
}

// Verify checks the signature over the raw body (HMAC-SHA256, hex, in
// X-Razorpay-Signature, compared in constant time), reads the payout
// event, refuses one outside the window, and records its id (the
// X-Razorpay-Event-Id header; the payout id and status when absent, as
// RazorpayX advises deduplicating) so a replay is ErrDuplicate.
func (v *WebhookVerifier) Verify(ctx context.Context, h http.Header, body []byte) (Delivery, error) {
	if !v.signed(h.Get("X-Razorpay-Signature"), body) {
		return Delivery{}, ErrBadSignature
	}
	var ev Event
	if err := json.Unmarshal(body, &ev); err != nil || ev.Entity != "event" || ev.Payload.Payout == nil || !strings.HasPrefix(ev.Event, "payout.") {
		return Delivery{}, ErrUnreadable
	}
	now := time.Now
	if v.Now != nil {
		now = v.Now
	}
	maxAge := v.MaxAge
	if maxAge <= 0 {
		maxAge = 25 * time.Hour
	}
	at := time.Unix(ev.CreatedAt, 0)
	if ev.CreatedAt <= 0 || now().Sub(at) > maxAge || at.Sub(now()) > 5*time.Minute {
		return Delivery{}, fmt.Errorf("%w: created %s", ErrStale, at.UTC().Format(time.RFC3339))
	}
	po := ev.Payload.Payout.Entity
	id := h.Get("X-Razorpay-Event-Id")
	if id == "" {
		id = po.ID + ":" + po.Status
	}
	outcome, err := Outcome(po)
	if err != nil {
		return Delivery{}, fmt.Errorf("%w: %v", ErrUnreadable, err)
	}
	if v.Guard != nil {
		first, err := v.Guard.FirstDelivery(ctx, id, at.Add(maxAge))
		if err != nil {
			return Delivery{}, err
		}
		if !first {
			return Delivery{EventID: id, Event: ev, Outcome: outcome}, ErrDuplicate
		}
	}
	outcome.At = at.UTC()
	return Delivery{EventID: id, Event: ev, Outcome: outcome}, nil
}

func (v *WebhookVerifier) signed(sig string, body []byte) bool {
	got, err := hex.DecodeString(strings.TrimSpace(sig))
	if err != nil || len(got) != sha256.Size {
		return false
	}
	ok := false
	for _, secret := range v.Secrets {
		if len(secret) == 0 {
			continue
		}
		if hmac.Equal(got, Sign(secret, body)) {
			ok = true // keep comparing: the time taken does not say which secret matched
		}
	}
	return ok
}

// Sign is the signature RazorpayX sends: HMAC-SHA256 of the raw body.
func Sign(secret, body []byte) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write(body)
	return m.Sum(nil)
}

// SignHex is Sign as the header carries it.
func SignHex(secret, body []byte) string { return hex.EncodeToString(Sign(secret, body)) }

// MemoryReplayGuard is a ReplayGuard in memory (one process only).
type MemoryReplayGuard struct {
	mu   sync.Mutex
	seen map[string]time.Time
	Now  func() time.Time
}

// FirstDelivery records id until expires.
func (g *MemoryReplayGuard) FirstDelivery(_ context.Context, id string, expires time.Time) (bool, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	now := time.Now()
	if g.Now != nil {
		now = g.Now()
	}
	if g.seen == nil {
		g.seen = map[string]time.Time{}
	}
	for k, exp := range g.seen {
		if now.After(exp) {
			delete(g.seen, k)
		}
	}
	if _, ok := g.seen[id]; ok {
		return false, nil
	}
	g.seen[id] = expires
	return true, nil
}
