package notify_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/jkhhc/artisanbridge/internal/messages"
	"github.com/jkhhc/artisanbridge/internal/notify"
)

func TestTaskText(t *testing.T) {
	due := time.Date(2026, 11, 24, 20, 0, 0, 0, time.UTC) // 25 Nov in the valley
	long := strings.Repeat("Kani shawl with hand-woven paisley border ", 10)
	tests := []struct {
		name string
		task notify.Task
		want []string
	}{
		{"collect", notify.Task{Kind: "collect", Channel: "flipkart", OrderRef: "OD1234", SKU: "KANI-1", Title: "Kani shawl", Quantity: 1, DueAt: &due},
			[]string{"FLIPKART order OD1234", "collect 1 x Kani shawl (KANI-1)", "by 25 Nov"}},
		{"make", notify.Task{Kind: "make", Channel: "gem", OrderRef: "GEMC-9", SKU: "BOX-2", Title: "Walnut box", Quantity: 3, PlaceName: "Srinagar showroom"},
			[]string{"make 3 x Walnut box (BOX-2)", "bring it to Srinagar showroom"}},
		{"pick", notify.Task{Kind: "pick", Channel: "amazon", OrderRef: "403-1-2", SKU: "NAMDA-1", Title: "Namda rug", Quantity: 1},
			[]string{"your 1 x Namda rug (NAMDA-1) sold", "AMAZON order 403-1-2"}},
		{"long title is shortened", notify.Task{Kind: "collect", Channel: "flipkart", OrderRef: "OD1", SKU: "K-1", Title: long, Quantity: 1, DueAt: &due},
			[]string{"..", "by 25 Nov"}},
		{"non-ASCII is dropped", notify.Task{Kind: "pick", Channel: "amazon", OrderRef: "1", SKU: "S", Title: "कश्मीरी शॉल Pashmina", Quantity: 1},
			[]string{"1 x Pashmina (S)"}},
	}
	for _, tc := range tests {
		got := notify.TaskText(tc.task)
		if len(got) > notify.SMSLength {
			t.Errorf("%s: %d characters: %q", tc.name, len(got), got)
		}
		for _, r := range got {
			if r > 127 {
				t.Errorf("%s: non-ASCII %q in %q", tc.name, r, got)
			}
		}
		for _, w := range tc.want {
			if !strings.Contains(got, w) {
				t.Errorf("%s: %q lacks %q", tc.name, got, w)
			}
		}
		// What is stored and sent must pass the operator's DLT scrubbing.
		if tmpl, ok := messages.Default(nil).Match(got); !ok || tmpl.Language != messages.English {
			t.Errorf("%s: %q matches no registered English template", tc.name, got)
		}
	}
}

type memStore struct {
	n        notify.Notification
	failures []string
	sentAt   *time.Time
	sent     notify.Sent
}

func (m *memStore) GetNotification(context.Context, string) (notify.Notification, error) {
	return m.n, nil
}
func (m *memStore) MarkSent(_ context.Context, _ string, at time.Time, sent notify.Sent) error {
	m.n.Status, m.sentAt, m.sent = "sent", &at, sent
	return nil
}
func (m *memStore) RecordFailure(_ context.Context, _ string, reason string) error {
	m.failures = append(m.failures, reason)
	return nil
}

type flakySender struct {
	fails int
	sent  []notify.Message
}

func (f *flakySender) Send(_ context.Context, m notify.Message) error {
	if f.fails > 0 {
		f.fails--
		return errors.New("gateway timeout")
	}
	f.sent = append(f.sent, m)
	return nil
}

// TestDeliver: a failed send is recorded and returned (the job retries),
// a sent message is never sent again, and a message to an artisan with no
// phone is recorded as undeliverable.
func TestDeliver(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	ctx := context.Background()
	st := &memStore{n: notify.Notification{ID: "n1", ArtisanID: "a1", Phone: "+919906012345", Text: "hello", Status: "pending"}}
	sender := &flakySender{fails: 2}
	svc := notify.NewService(st, sender, nil, log, nil)
	for i := 0; i < 2; i++ {
		if err := svc.Deliver(ctx, "n1"); err == nil {
			t.Fatal("a failed send reported success")
		}
	}
	if err := svc.Deliver(ctx, "n1"); err != nil || len(sender.sent) != 1 || st.sentAt == nil || len(st.failures) != 2 {
		t.Fatalf("third try: %v, sent %d, failures %v", err, len(sender.sent), st.failures)
	}
	if err := svc.Deliver(ctx, "n1"); err != nil || len(sender.sent) != 1 {
		t.Fatalf("a sent message went again: %v", err)
	}
	nophone := &memStore{n: notify.Notification{ID: "n2", ArtisanID: "a2", Text: "hello", Status: "pending"}}
	if err := notify.NewService(nophone, sender, nil, log, nil).Deliver(ctx, "n2"); !errors.Is(err, notify.ErrUndeliverable) || len(nophone.failures) != 1 {
		t.Fatalf("no phone: %v %v", err, nophone.failures)
	}
}

func TestMaskPhone(t *testing.T) {
	for in, want := range map[string]string{"+919906012345": "**********345", "12": "***", "": "***"} {
		if got := notify.MaskPhone(in); got != want {
			t.Errorf("MaskPhone(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestDeliverInTheArtisansLanguage: a stored notice is written when it is
// sent, in the artisan's language, with its template id, encoding and
// segments recorded; a language without templates falls back to English.
func TestDeliverInTheArtisansLanguage(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	ctx := context.Background()
	notice := notify.Notice{PaymentFailed: &messages.PaymentFailed{AmountPaise: 180_000_00}}
	for _, tc := range []struct {
		lang     string
		wantLang messages.Language
		unicode  bool
	}{
		{"ur", messages.Urdu, true}, {"hi", messages.Hindi, true}, {"en", messages.English, false}, {"", messages.English, false}, {"fr", messages.English, false},
	} {
		st := &memStore{n: notify.Notification{ID: "n", ArtisanID: "a", Phone: "+919906012345", Notice: notice, Language: tc.lang, Text: notice.English(), Status: "pending"}}
		sender := &flakySender{}
		if err := notify.NewService(st, sender, nil, log, nil).Deliver(ctx, "n"); err != nil {
			t.Fatalf("%q: %v", tc.lang, err)
		}
		m := sender.sent[0]
		tmpl, ok := messages.Default(nil).Match(m.Text)
		if !ok || tmpl.Language != tc.wantLang || tmpl.Event != messages.EventPayoutFailed || m.TemplateID != tmpl.DLTTemplateID || m.Unicode != tc.unicode {
			t.Errorf("%q: sent %+v (template %+v, matched %v)", tc.lang, m, tmpl, ok)
		}
		if st.sent.Language != string(tc.wantLang) || st.sent.Segments < 1 || st.sent.Text != m.Text {
			t.Errorf("%q: recorded %+v", tc.lang, st.sent)
		}
		if !strings.Contains(m.Text, "1,80,000") {
			t.Errorf("%q: %q does not carry the amount", tc.lang, m.Text)
		}
	}
}
