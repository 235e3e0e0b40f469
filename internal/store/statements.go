package store

import (
	"context"
	"encoding/json"
	"time"

	"github.com/jkhhc/artisanbridge/internal/catalog"
	"github.com/jkhhc/artisanbridge/internal/civil"
	"github.com/jkhhc/artisanbridge/internal/finance"
	"github.com/jkhhc/artisanbridge/internal/ids"
	"github.com/jkhhc/artisanbridge/internal/messages"
	"github.com/jkhhc/artisanbridge/internal/notify"
	"github.com/jkhhc/artisanbridge/internal/outbox"
)

// summaryChunk is how many artisans' statement summaries one transaction
// stores.
var summaryChunk = 1000

// QueueStatementSummaries stores, once per artisan and month, the SMS
// summary of the statement of every artisan with money held, payable or
// paid in that month, as of a day, in artisan order and bounded
// transactions (the subject makes a run again harmless). Balances are read
// from the (kind, artisan, amount) index in one pass per chunk.
func (s *Finance) QueueStatementSummaries(ctx context.Context, asOf civil.Date, now time.Time) (int, error) {
	month := asOf.String()[:7]
	from, to := civil.New(asOf.Year, asOf.Month, 1).Start(), asOf.End()
	queued, after := 0, ""
	for {
		var rows []struct {
			ArtisanID, Name, Language string
			Payable, Held, Paid       int64
		}
		if err := s.db.gorm.WithContext(ctx).Raw(`SELECT a.id AS artisan_id, a.name, a.language,
COALESCE((SELECT -SUM(p.amount_paise) FROM ledger_postings p WHERE p.account_kind = ? AND p.artisan_id = a.id), 0) AS payable,
COALESCE((SELECT -SUM(p.amount_paise) FROM ledger_postings p WHERE p.account_kind = ? AND p.artisan_id = a.id), 0) AS held,
COALESCE((SELECT SUM(l.amount_paise) FROM payout_lines l WHERE l.artisan_id = a.id AND l.status = ? AND l.settled_at >= ? AND l.settled_at < ?), 0) AS paid
FROM artisans a WHERE a.id > ? AND a.status = ? AND EXISTS (SELECT 1 FROM ledger_postings p WHERE p.artisan_id = a.id)
ORDER BY a.id LIMIT ?`, finance.KindArtisanPayable, finance.KindArtisanHeld, finance.PayoutPaid, from, to, after, catalog.ArtisanActive, summaryChunk).
			Scan(&rows).Error; err != nil {
			return queued, err
		}
		if len(rows) == 0 {
			return queued, nil
		}
		after = rows[len(rows)-1].ArtisanID
		stored := 0
		err := s.db.inTx(ctx, now, func(tx *Tx) error {
			stored = 0
			var notes [][]any
			for _, r := range rows {
				if r.Payable == 0 && r.Held == 0 && r.Paid == 0 {
					continue
				}
				n := notify.Notice{Statement: &messages.StatementSummary{Name: r.Name, AsOf: asOf, PayablePaise: r.Payable, HeldPaise: r.Held, PaidPaise: r.Paid}}
				raw, _ := json.Marshal(n)
				id := ids.New()
				notes = append(notes, []any{id, r.ArtisanID, "statement:" + r.ArtisanID + ":" + month, string(raw), r.Language, n.English(), notify.StatusPending, tx.Now})
			}
			if len(notes) == 0 {
				return nil
			}
			var inserted []string
			if err := tx.Raw(insertSQL("artisan_notifications", []string{"id", "artisan_id", "subject", "notice", "language", "message", "status", "created_at"},
				len(notes), "ON CONFLICT (subject) WHERE subject <> '' DO NOTHING RETURNING id"), flatten(notes)...).Scan(&inserted).Error; err != nil {
				return err
			}
			for _, id := range inserted {
				tx.Emit(outbox.New(tx.Now, notify.TopicArtisanNotify, id, notify.Event{NotificationID: id}))
			}
			stored = len(inserted)
			return nil
		})
		if err != nil {
			return queued, err
		}
		queued += stored
	}
}
