// Package notify tells artisans what an order needs of them: most have a
// basic phone and little internet, so the message is one short plain SMS
// (order reference, product, quantity, due date), kept in the database and
// retried until the gateway takes it.
package notify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/jkhhc/artisanbridge/internal/civil"
	"github.com/jkhhc/artisanbridge/internal/clock"
	"github.com/jkhhc/artisanbridge/internal/messages"
)

// SMSLength is one GSM-7 SMS; a longer text costs two and may arrive split.
const SMSLength = messages.GSM7Single

// Statuses of a message to an artisan (the CHECK of
// artisan_notifications.status lists the same).
const (
	StatusPending = "pending"
	StatusSent    = "sent"
)

// TopicArtisanNotify is the outbox topic of a stored notification to send.
const TopicArtisanNotify = "notify.artisan"

// Event is its payload.
type Event struct {
	NotificationID string `json:"notification_id"`
}

// Message is one SMS to one phone.
type Message struct {
	To   string
	Text string
}

// Sender hands a message to a gateway. An error means "not taken, try
// again"; ErrUndeliverable means trying again cannot help.
type Sender interface {
	Send(ctx context.Context, m Message) error
}

// ErrUndeliverable marks a message no retry will deliver (no phone number,
// a number the gateway rejects).
var ErrUndeliverable = errors.New("notify: undeliverable")

// Task is what a message is about: a fulfilment task of one order line.
type Task struct {
	Kind      string // pick, collect, make
	Channel   string // flipkart, amazon, gem
	OrderRef  string
	SKU       string
	Title     string
	Quantity  int64
	DueAt     *time.Time
	PlaceName string // where the piece goes (the showroom)
}

// TaskText writes the SMS for a task from the English DLT template of its
// event (internal/messages): GSM-7, one SMS where shortening the title can
// make it one. Nothing else is cut, because a message that no longer
// matches its registered template is blocked by the operators; so a task
// whose order reference and SKU alone overflow goes as two segments.
// Blank fields are written "-" (a DLT variable is never empty).
func TaskText(t Task) string {
	n := messages.Task{Kind: t.Kind, Channel: orDash(t.Channel), OrderRef: orDash(t.OrderRef), SKU: orDash(t.SKU),
		Title: orDash(t.Title), Quantity: t.Quantity, Place: t.PlaceName}
	if strings.TrimSpace(n.Place) == "" {
		n.Place = "the showroom"
	}
	if t.DueAt != nil {
		d := civil.Of(*t.DueAt)
		n.Due = &d
	}
	m, err := englishTexts.ComposeWithin(messages.English, n, 1)
	if err != nil {
		// Unreachable with every field filled; say so plainly rather than send nothing.
		return "JKHHC: order " + orDash(t.OrderRef) + " needs you. Please call the showroom."
	}
	return m.Text
}

// englishTexts are the built-in templates; TaskText needs no fallback log.
var englishTexts = messages.Default(nil)

func orDash(s string) string {
	if strings.TrimSpace(s) == "" {
		return "-"
	}
	return s
}

// IST is India Standard Time: due dates are read by artisans in the valley.
var IST = civil.IST

// Notification is one stored message.
type Notification struct {
	ID        string
	ArtisanID string
	Phone     string
	Text      string
	Status    string // pending, sent
}

// Store keeps notifications.
type Store interface {
	GetNotification(ctx context.Context, id string) (Notification, error)
	MarkSent(ctx context.Context, id string, at time.Time) error
	RecordFailure(ctx context.Context, id, reason string) error
}

// Service delivers stored notifications through a Sender.
type Service struct {
	store  Store
	sender Sender
	log    *slog.Logger
	now    func() time.Time
}

// NewService returns a notification service; now may be nil.
func NewService(store Store, sender Sender, log *slog.Logger, now func() time.Time) *Service {
	return &Service{store: store, sender: sender, log: log, now: clock.Or(now)}
}

// Deliver sends one notification unless it was sent already. A failure is
// recorded on the notification (for operations to see) and returned, so
// the job retries it; an undeliverable one is recorded and not retried.
func (s *Service) Deliver(ctx context.Context, id string) error {
	n, err := s.store.GetNotification(ctx, id)
	if err != nil {
		return err
	}
	if n.Status == StatusSent {
		return nil
	}
	if strings.TrimSpace(n.Phone) == "" {
		err = fmt.Errorf("artisan %s has no phone number: %w", n.ArtisanID, ErrUndeliverable)
	} else {
		err = s.sender.Send(ctx, Message{To: n.Phone, Text: n.Text})
	}
	if err != nil {
		if rerr := s.store.RecordFailure(ctx, id, truncate(err.Error(), 500)); rerr != nil {
			return errors.Join(err, rerr)
		}
		return err
	}
	s.log.InfoContext(ctx, "artisan notified", "notification_id", id, "artisan_id", n.ArtisanID, "phone", MaskPhone(n.Phone))
	return s.store.MarkSent(ctx, id, s.now().UTC())
}

// MaskPhone keeps the last three digits: enough for staff to tell numbers
// apart in logs, not enough to call anyone.
func MaskPhone(p string) string {
	if len(p) <= 3 {
		return "***"
	}
	return strings.Repeat("*", len(p)-3) + p[len(p)-3:]
}

// LogSender is the default Sender: it writes the message to the log, with
// the number masked, for installations without an SMS gateway.
type LogSender struct{ Log *slog.Logger }

// Send logs the message.
func (l LogSender) Send(ctx context.Context, m Message) error {
	l.Log.InfoContext(ctx, "sms (no gateway configured)", "to", MaskPhone(m.To), "text", m.Text)
	return nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}
