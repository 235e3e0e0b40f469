package store_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/jkhhc/artisanbridge/internal/catalog"
	"github.com/jkhhc/artisanbridge/internal/civil"
	"github.com/jkhhc/artisanbridge/internal/messages"
	"github.com/jkhhc/artisanbridge/internal/notify"
	"github.com/jkhhc/artisanbridge/internal/orders"
	"github.com/jkhhc/artisanbridge/internal/store"
	"github.com/jkhhc/artisanbridge/internal/testenv"
)

type recordingSender struct{ sent []notify.Message }

func (r *recordingSender) Send(_ context.Context, m notify.Message) error {
	r.sent = append(r.sent, m)
	return nil
}

// TestMakersToldInTheirLanguage: the message routing stores for a task is
// sent in its maker's language under that language's template, and what was
// sent (text, template, language, segments) is kept; a cancellation tells
// the maker too, once.
func TestMakersToldInTheirLanguage(t *testing.T) {
	eachBackend(t, func(t *testing.T, b testenv.Backend, f *fixture) {
		ctx := context.Background()
		if _, err := f.cat.UpdateArtisan(ctx, f.artisan.ID, catalog.ArtisanInput{Language: ptr("ur"), Phone: ptr("9906012345"), Version: ptr(f.artisan.Version)}); err != nil {
			t.Fatal(err)
		}
		ch := channelsFor(t, f, 1, f.showroom)[0]
		intake(t, f, f.product.ID, f.showroom, 1)
		svc := orders.NewService(f.db.Orders(), nil)
		at := time.Now().UTC().Truncate(time.Second)
		res, err := svc.Ingest(ctx, order(ch, 1, at, orders.StatusOpen, orders.IncomingLine{ExternalLineID: "1", SKU: f.product.SKU, Quantity: 1, UnitPricePaise: 100_000}))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Cancel(ctx, res.OrderID, orders.CancelRequest{Reason: "buyer asked"}); err != nil {
			t.Fatal(err)
		}
		var notes []struct{ ID, Subject, Language, Message string }
		f.db.Gorm().Raw(`SELECT id, subject, language, message FROM artisan_notifications ORDER BY created_at, id`).Scan(&notes)
		if len(notes) != 2 || notes[0].Language != "ur" {
			t.Fatalf("notifications %+v, want the task's and the cancellation's, in Urdu", notes)
		}
		sender := &recordingSender{}
		n := notify.NewService(f.db.Notifications(), sender, nil, slog.New(slog.NewTextHandler(io.Discard, nil)), nil)
		for _, note := range notes {
			if err := n.Deliver(ctx, note.ID); err != nil {
				t.Fatal(err)
			}
		}
		want := []messages.Event{messages.EventOrderPick, messages.EventOrderCancelled}
		for i, m := range sender.sent {
			tmpl, ok := messages.Default(nil).Match(m.Text)
			if !ok || tmpl.Language != messages.Urdu || tmpl.Event != want[i] || m.TemplateID != tmpl.DLTTemplateID || !m.Unicode {
				t.Errorf("message %d: %+v (template %+v)", i, m, tmpl)
			}
		}
		var kept []struct {
			Status, Language, TemplateID, Message string
			Segments                              int
		}
		f.db.Gorm().Raw(`SELECT status, language, template_id, message, segments FROM artisan_notifications ORDER BY created_at, id`).Scan(&kept)
		for i, k := range kept {
			if k.Status != notify.StatusSent || k.Language != "ur" || k.TemplateID == "" || k.Segments < 1 || k.Message != sender.sent[i].Text {
				t.Errorf("kept %+v", k)
			}
		}
		// Sent once: delivering again sends nothing.
		if err := n.Deliver(ctx, notes[0].ID); err != nil || len(sender.sent) != 2 {
			t.Fatalf("a sent message went again: %v", err)
		}
	})
}

// TestStatementSummaries: on the first of the month every artisan with
// money held, payable or paid gets one statement summary, in their
// language; running it again queues nothing.
func TestStatementSummaries(t *testing.T) {
	t.Cleanup(store.SetSummaryChunk(2))
	eachBackend(t, func(t *testing.T, b testenv.Backend, f *fixture) {
		ctx := context.Background()
		var withMoney []string
		for i := 0; i < 5; i++ {
			a, err := f.cat.CreateArtisan(ctx, catalog.ArtisanInput{Code: ptr(fmt.Sprintf("ST-%d", i)), Name: ptr(fmt.Sprintf("Statement %d", i)),
				Craft: ptr("crewel"), Language: ptr([]string{"ur", "hi", "en", "ks", "ur"}[i])})
			if err != nil {
				t.Fatal(err)
			}
			if i < 4 {
				earn(t, f, a.ID, int64(1000*(i+1)), "st-"+a.ID)
				withMoney = append(withMoney, a.ID)
			}
		}
		asOf := civil.New(2026, time.November, 30)
		n, err := f.db.Finance().QueueStatementSummaries(ctx, asOf, time.Now())
		if err != nil || n != len(withMoney) {
			t.Fatalf("queued %d (%v), want %d", n, err, len(withMoney))
		}
		if again, err := f.db.Finance().QueueStatementSummaries(ctx, asOf, time.Now()); err != nil || again != 0 {
			t.Fatalf("a second run queued %d (%v)", again, err)
		}
		var rows []struct{ ArtisanID, Language, Subject, Notice string }
		f.db.Gorm().Raw(`SELECT artisan_id, language, subject, notice FROM artisan_notifications WHERE subject LIKE 'statement:%' ORDER BY artisan_id`).Scan(&rows)
		if len(rows) != len(withMoney) {
			t.Fatalf("%d summaries", len(rows))
		}
		for _, r := range rows {
			if !strings.HasSuffix(r.Subject, ":2026-11") || !strings.Contains(r.Notice, `"statement"`) || r.Language == "" {
				t.Errorf("summary %+v", r)
			}
		}
		var events int64
		f.db.Gorm().Raw(`SELECT COUNT(*) FROM outbox WHERE topic = ?`, notify.TopicArtisanNotify).Scan(&events)
		if events != int64(len(withMoney)) {
			t.Fatalf("%d outbox events for %d summaries", events, len(withMoney))
		}
	})
}
