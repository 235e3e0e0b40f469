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
	"unicode"

	"github.com/jkhhc/artisanbridge/internal/clock"
)

// SMSLength is one GSM-7 SMS; a longer text costs two and may arrive split.
const SMSLength = 160

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

// TaskText writes the SMS for a task: plain ASCII so it stays one GSM-7
// message, at most SMSLength characters, the title shortened first.
func TaskText(t Task) string {
	due := ""
	if t.DueAt != nil {
		due = " by " + t.DueAt.In(IST).Format("2 Jan")
	}
	place := ascii(t.PlaceName)
	if place == "" {
		place = "the showroom"
	}
	ref := fmt.Sprintf("%s order %s", strings.ToUpper(ascii(t.Channel)), ascii(t.OrderRef))
	build := func(title string) string {
		item := fmt.Sprintf("%d x %s (%s)", t.Quantity, title, ascii(t.SKU))
		switch t.Kind {
		case "collect":
			return fmt.Sprintf("JKHHC: %s sold. We will collect %s from you%s. Keep it ready.", ref, item, due)
		case "make":
			return fmt.Sprintf("JKHHC: %s. Please make %s and bring it to %s%s.", ref, item, place, due)
		default:
			return fmt.Sprintf("JKHHC: your %s sold, %s. Payment follows after delivery.", item, ref)
		}
	}
	title := ascii(t.Title)
	text := build(title)
	if over := len(text) - SMSLength; over > 0 {
		keep := max(len(title)-over-2, 0)
		title = strings.TrimSpace(title[:keep]) + ".."
		text = build(title)
	}
	if len(text) > SMSLength {
		text = text[:SMSLength]
	}
	return text
}

// IST is India Standard Time: due dates are read by artisans in the valley.
var IST = time.FixedZone("IST", 5*3600+1800)

// ascii keeps printable ASCII and turns anything else into a space, so no
// character forces the message into UCS-2 (70 characters an SMS).
func ascii(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r < 128 && unicode.IsPrint(r) {
			b.WriteRune(r)
		} else {
			b.WriteByte(' ')
		}
	}
	return strings.Join(strings.Fields(b.String()), " ")
}

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
