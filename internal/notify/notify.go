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

// Message is one SMS to one phone, with the DLT template it was written
// from (empty for an old message kept as text alone: the gateway then finds
// the template its text matches).
type Message struct {
	To         string
	Text       string
	TemplateID string
	Unicode    bool
}

// Notice is what to tell an artisan, kept with the message until it is
// sent and written then in the artisan's language (one of these is set).
type Notice struct {
	Task          *messages.Task             `json:"task,omitempty"`
	Cancellation  *messages.Cancellation     `json:"cancellation,omitempty"`
	PaymentSent   *messages.PaymentSent      `json:"payment_sent,omitempty"`
	PaymentFailed *messages.PaymentFailed    `json:"payment_failed,omitempty"`
	Statement     *messages.StatementSummary `json:"statement,omitempty"`
}

// Message is the notice as the messages package writes it; false when none is set.
func (n Notice) Message() (messages.Notice, bool) {
	switch {
	case n.Task != nil:
		return *n.Task, true
	case n.Cancellation != nil:
		return *n.Cancellation, true
	case n.PaymentSent != nil:
		return *n.PaymentSent, true
	case n.PaymentFailed != nil:
		return *n.PaymentFailed, true
	case n.Statement != nil:
		return *n.Statement, true
	}
	return nil, false
}

// English writes the notice in English, for staff to read beside it.
func (n Notice) English() string {
	m, ok := n.Message()
	if !ok {
		return ""
	}
	out, err := englishTexts.ComposeWithin(messages.English, m, 1)
	if err != nil {
		return ""
	}
	return out.Text
}

// TaskNotice is the notice of a fulfilment task.
func TaskNotice(t Task) Notice {
	n := messages.Task{Kind: t.Kind, Channel: orDash(t.Channel), OrderRef: orDash(t.OrderRef), SKU: orDash(t.SKU),
		Title: orDash(t.Title), Quantity: t.Quantity, Place: t.PlaceName}
	if strings.TrimSpace(n.Place) == "" {
		n.Place = "the showroom"
	}
	if t.DueAt != nil {
		d := civil.Of(*t.DueAt)
		n.Due = &d
	}
	return Notice{Task: &n}
}

// MaxSegments is how long a message to an artisan may run: one SMS in
// English; Hindi, Urdu and Kashmiri go as UCS-2, whose texts take two.
const MaxSegments = 2

// Sent is what was sent: the text as the artisan got it, its template, the
// language it was written in, and what it cost.
type Sent struct {
	Text       string
	TemplateID string
	Language   string
	Segments   int
	CostPaise  int64
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
	m, err := englishTexts.ComposeWithin(messages.English, *TaskNotice(t).Task, 1)
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
	Text      string // the English text written when it was stored
	Notice    Notice // what to tell (empty for a message kept as text alone)
	Language  string // the artisan's language
	Status    string // pending, sent
}

// Store keeps notifications.
type Store interface {
	GetNotification(ctx context.Context, id string) (Notification, error)
	MarkSent(ctx context.Context, id string, at time.Time, sent Sent) error
	RecordFailure(ctx context.Context, id, reason string) error
}

// Service delivers stored notifications through a Sender, written in each
// artisan's language from the catalogue of registered templates.
type Service struct {
	store   Store
	sender  Sender
	catalog *messages.Catalog
	log     *slog.Logger
	now     func() time.Time
}

// NewService returns a notification service; now may be nil, and catalog
// nil means the built-in templates.
func NewService(store Store, sender Sender, catalog *messages.Catalog, log *slog.Logger, now func() time.Time) *Service {
	if catalog == nil {
		catalog = messages.Default(log)
	}
	return &Service{store: store, sender: sender, catalog: catalog, log: log, now: clock.Or(now)}
}

// compose writes a notification in its artisan's language (English when
// that language has no template: the catalogue logs the fallback).
func (s *Service) compose(n Notification) (Message, Sent, error) {
	notice, ok := n.Notice.Message()
	if !ok {
		c := messages.CountSegments(n.Text)
		return Message{To: n.Phone, Text: n.Text}, Sent{Text: n.Text, Language: string(messages.English), Segments: c.Segments}, nil
	}
	lang := messages.Language(n.Language)
	if lang == "" {
		lang = messages.English
	}
	m, err := s.catalog.ComposeWithin(lang, notice, MaxSegments)
	if err != nil {
		return Message{}, Sent{}, err
	}
	return Message{To: n.Phone, Text: m.Text, TemplateID: m.DLTTemplateID, Unicode: m.Unicode()},
		Sent{Text: m.Text, TemplateID: m.DLTTemplateID, Language: string(m.Language), Segments: m.Segments, CostPaise: m.CostPaise}, nil
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
	var msg Message
	var sent Sent
	if strings.TrimSpace(n.Phone) == "" {
		err = fmt.Errorf("artisan %s has no phone number: %w", n.ArtisanID, ErrUndeliverable)
	} else if msg, sent, err = s.compose(n); err == nil {
		err = s.sender.Send(ctx, msg)
	}
	if err != nil {
		if rerr := s.store.RecordFailure(ctx, id, truncate(err.Error(), 500)); rerr != nil {
			return errors.Join(err, rerr)
		}
		return err
	}
	s.log.InfoContext(ctx, "artisan notified", "notification_id", id, "artisan_id", n.ArtisanID, "phone", MaskPhone(n.Phone),
		"language", sent.Language, "template", sent.TemplateID, "segments", sent.Segments)
	return s.store.MarkSent(ctx, id, s.now().UTC(), sent)
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
