package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/jkhhc/artisanbridge/internal/apperr"
	"github.com/jkhhc/artisanbridge/internal/channels"
	"github.com/jkhhc/artisanbridge/internal/exceptions"
	"github.com/jkhhc/artisanbridge/internal/finance"
	"github.com/jkhhc/artisanbridge/internal/ids"
	"github.com/jkhhc/artisanbridge/internal/orders"
)

// Finance implements finance.Store.
type Finance struct{ db *DB }

func (db *DB) Finance() *Finance { return &Finance{db: db} }

var _ finance.Store = (*Finance)(nil)

type feeScheduleRow struct {
	ID                    string `gorm:"primaryKey"`
	ChannelID             string
	Category              string
	EffectiveFrom         time.Time
	EffectiveTo           *time.Time
	CommissionBP          int64 `gorm:"column:commission_bp"`
	FixedFeeSlabs         string
	CollectionFeeBP       int64 `gorm:"column:collection_fee_bp"`
	ShippingFeePaise      int64
	CommissionWaivedUntil *time.Time
	CreatedAt             time.Time
}

func (feeScheduleRow) TableName() string { return "fee_schedules" }

func (r feeScheduleRow) domain() finance.FeeSchedule {
	f := finance.FeeSchedule{ID: r.ID, ChannelID: r.ChannelID, Category: r.Category, EffectiveFrom: r.EffectiveFrom.UTC(),
		EffectiveTo: utcPtr(r.EffectiveTo), CommissionBP: r.CommissionBP, CollectionFeeBP: r.CollectionFeeBP,
		ShippingFeePaise: r.ShippingFeePaise, CommissionWaivedUntil: utcPtr(r.CommissionWaivedUntil), CreatedAt: r.CreatedAt.UTC()}
	_ = json.Unmarshal([]byte(r.FixedFeeSlabs), &f.FixedFeeSlabs)
	if f.FixedFeeSlabs == nil {
		f.FixedFeeSlabs = []finance.Slab{}
	}
	return f
}

// CreateFeeSchedule adds a schedule, audited.
func (s *Finance) CreateFeeSchedule(ctx context.Context, f finance.FeeSchedule) (finance.FeeSchedule, error) {
	var out finance.FeeSchedule
	err := s.db.inTx(ctx, f.CreatedAt, func(tx *Tx) error {
		var n int64
		if err := tx.Table("channels").Where("id = ?", f.ChannelID).Count(&n).Error; err != nil {
			return err
		}
		if n == 0 {
			return apperr.FieldErrors{"channel_id": "no such channel"}.Err()
		}
		slabs, _ := json.Marshal(f.FixedFeeSlabs)
		f.ID = ids.New()
		row := feeScheduleRow{ID: f.ID, ChannelID: f.ChannelID, Category: f.Category, EffectiveFrom: f.EffectiveFrom.UTC(), EffectiveTo: utcPtr(f.EffectiveTo),
			CommissionBP: f.CommissionBP, FixedFeeSlabs: string(slabs), CollectionFeeBP: f.CollectionFeeBP, ShippingFeePaise: f.ShippingFeePaise,
			CommissionWaivedUntil: utcPtr(f.CommissionWaivedUntil), CreatedAt: tx.Now}
		if err := tx.Create(&row).Error; err != nil {
			return err
		}
		out = row.domain()
		tx.AuditChange("create", "fee_schedule", out.ID, nil, out)
		return nil
	})
	return out, err
}

func (s *Finance) ListFeeSchedules(ctx context.Context, channelID string) ([]finance.FeeSchedule, error) {
	var rows []feeScheduleRow
	q := whereIf(s.db.gorm.WithContext(ctx), "channel_id = ?", channelID)
	if err := q.Order("channel_id, effective_from, id").Find(&rows).Error; err != nil {
		return nil, err
	}
	return mapRows(rows, feeScheduleRow.domain), nil
}

// post writes an entry unless its source was posted before. The entry is
// checked first (it must balance); PostgreSQL checks again at commit.
// posted_by names the actor of the transaction: a person, or the job.
func post(tx *Tx, e finance.Entry) (bool, error) {
	if err := e.Validate(); err != nil {
		return false, err
	}
	e.ID = ids.New()
	ins := tx.Exec(`INSERT INTO ledger_entries (id, source_ref, kind, memo, occurred_at, posted_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (source_ref) DO NOTHING`, e.ID, e.SourceRef, e.Kind, e.Memo, e.OccurredAt.UTC(), tx.Actor.ID, tx.Now)
	if ins.Error != nil || ins.RowsAffected == 0 {
		return false, ins.Error
	}
	rows := make([][]any, len(e.Postings))
	for i, p := range e.Postings {
		rows[i] = []any{ids.New(), e.ID, p.Account, p.ArtisanID, p.AmountPaise, tx.Now}
	}
	return true, insertRows(tx, "ledger_postings", []string{"id", "entry_id", "account", "artisan_id", "amount_paise", "created_at"}, rows)
}

func (s *Finance) Post(ctx context.Context, e finance.Entry) (bool, error) {
	var wrote bool
	err := s.db.inTx(ctx, time.Time{}, func(tx *Tx) error {
		var err error
		wrote, err = post(tx, e)
		return err
	})
	return wrote, err
}

// RecordAdvance posts an advance to an artisan, audited, and answers their
// statement as committed.
func (s *Finance) RecordAdvance(ctx context.Context, artisanID string, e finance.Entry, in finance.AdvanceInput) (finance.Statement, error) {
	var st finance.Statement
	err := s.db.inTx(ctx, e.OccurredAt, func(tx *Tx) error {
		if _, err := artisanStatement(tx.DB, artisanID); err != nil {
			return err // NotFound before anything is posted
		}
		if _, err := post(tx, e); err != nil {
			return err
		}
		var err error
		if st, err = artisanStatement(tx.DB, artisanID); err != nil {
			return err
		}
		tx.AuditChange("advance", "artisan", artisanID, nil, map[string]any{"amount_paise": in.AmountPaise, "reason": in.Reason, "entry": e.SourceRef})
		return nil
	})
	return st, err
}

// ImportSettlement runs a whole file in one transaction: each line is
// recorded once (a repeated file changes nothing), matched to its order
// line, compared with what the fee schedule says it should be, and posted.
func (s *Finance) ImportSettlement(ctx context.Context, channelID, fileName string, lines []finance.SettlementLine, now time.Time) (finance.ImportSummary, error) {
	var sum finance.ImportSummary
	err := s.db.inTx(ctx, now, func(tx *Tx) error {
		sum = finance.ImportSummary{Lines: len(lines)}
		var ch channelRow
		if err := tx.Select("id", "kind", "settings").Where("id = ?", channelID).Take(&ch).Error; err != nil {
			return notFound(err, "channel %s not found", channelID)
		}
		var settings channels.Settings
		_ = json.Unmarshal([]byte(ch.Settings), &settings)
		var schedRows []feeScheduleRow
		if err := tx.Where("channel_id = ?", channelID).Find(&schedRows).Error; err != nil {
			return err
		}
		schedules := mapRows(schedRows, feeScheduleRow.domain)
		for _, l := range lines {
			if err := importLine(tx, &sum, ch, settings, schedules, fileName, l); err != nil {
				return err
			}
		}
		tx.AuditChange("import", "settlement_file", channelID, nil, map[string]any{"file_name": fileName, "summary": sum})
		return nil
	})
	return sum, err
}

func importLine(tx *Tx, sum *finance.ImportSummary, ch channelRow, settings channels.Settings, schedules []finance.FeeSchedule,
	fileName string, l finance.SettlementLine) error {
	var found []struct {
		LineID            string
		ProductID         string
		OrderedAt         time.Time
		Quantity          int64
		Craft             string
		GSTRateBP         int64 `gorm:"column:gst_rate_bp"`
		ArtisanID         string
		ArtisanPricePaise *int64
		ArtisanShareBP    *int64 `gorm:"column:artisan_share_bp"`
		DeliveredAt       *time.Time
	}
	if err := tx.Raw(`SELECT l.id AS line_id, l.product_id, o.ordered_at, l.quantity, p.craft, p.gst_rate_bp, l.artisan_id, p.artisan_price_paise, p.artisan_share_bp,
l.delivered_at
FROM order_lines l JOIN orders o ON o.id = l.order_id JOIN products p ON p.id = l.product_id
WHERE l.channel_id = ? AND l.external_order_id = ? AND l.external_line_id = ? AND l.artisan_id IS NOT NULL`,
		ch.ID, l.ExternalOrderID, l.ExternalLineID).Scan(&found).Error; err != nil {
		return err
	}
	var lineID any
	var m finance.Match
	var deliveredAt *time.Time
	var class finance.Classification
	if len(found) == 1 {
		f := found[0]
		m = finance.Match{LineID: f.LineID, OrderedAt: f.OrderedAt.UTC(), Quantity: f.Quantity, Craft: f.Craft, GSTRateBP: f.GSTRateBP,
			ArtisanID: f.ArtisanID, ArtisanPricePaise: f.ArtisanPricePaise, ArtisanShareBP: f.ArtisanShareBP, ReturnWindow: settings.ReturnWindow()}
		if err := tx.Raw(`SELECT artisan_id, weight FROM earning_shares WHERE product_id = ? ORDER BY artisan_id`, f.ProductID).Scan(&m.Shares).Error; err != nil {
			return err
		}
		lineID, deliveredAt = f.LineID, utcPtr(f.DeliveredAt)
		sched, ok := finance.Pick(schedules, f.Craft, m.OrderedAt)
		class = finance.Classify(true, sched, ok, f.GSTRateBP, m.OrderedAt, l)
	} else {
		class = finance.Classify(false, finance.FeeSchedule{}, false, 0, time.Time{}, l)
	}
	status, diffs, expectedNet := class.Status, class.Differences, class.ExpectedNetPaise
	dj, _ := json.Marshal(diffs)
	ins := tx.Exec(`INSERT INTO settlement_lines (id, channel_id, settlement_ref, external_order_id, external_line_id, line_id, settled_on,
gross_paise, fees_paise, gst_on_fees_paise, tcs_paise, tds_paise, net_paise, expected_net_paise, status, differences, file_name, created_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (channel_id, settlement_ref, external_order_id, external_line_id) DO NOTHING`,
		ids.New(), ch.ID, l.SettlementRef, l.ExternalOrderID, l.ExternalLineID, lineID, l.SettledOn.UTC(), l.Paid.GrossPaise, l.Paid.Fees(),
		l.Paid.GSTOnFeesPaise, l.Paid.TCSPaise, l.Paid.TDSPaise, l.Paid.NetPaise, expectedNet, status, string(dj), fileName, tx.Now)
	if ins.Error != nil {
		return ins.Error
	}
	if ins.RowsAffected == 0 {
		sum.Repeated++
		return nil
	}
	sum.New++
	cause := "settlement:" + ch.ID + ":" + l.SettlementRef + ":" + l.ExternalOrderID + ":" + l.ExternalLineID
	switch status {
	case finance.StatusUnmatched:
		sum.Unmatched++
		return raise(tx.DB, exceptions.Exception{Kind: exceptions.SettlementMismatch, CauseKey: cause,
			Summary:  fmt.Sprintf("%s settled order %s line %s, which matches no order line", ch.Kind, l.ExternalOrderID, l.ExternalLineID),
			Detail:   fmt.Sprintf("settlement %s row %d: sale %d paise, paid %d paise", l.SettlementRef, l.Row, l.Paid.GrossPaise, l.Paid.NetPaise),
			Action:   "Find the order (re-scan the channel's orders, or map its SKU); the money stays unposted until it matches.",
			Resource: "channel", ResourceID: ch.ID})
	case finance.StatusShortPaid:
		sum.ShortPaid++
		if err := raise(tx.DB, exceptions.Exception{Kind: exceptions.SettlementMismatch, CauseKey: cause,
			Summary:  fmt.Sprintf("%s paid order %s line %s differently from its fee schedule", ch.Kind, l.ExternalOrderID, l.ExternalLineID),
			Detail:   "differences (component, expected, paid): " + string(dj),
			Action:   "Raise the difference with the marketplace's seller support, or correct the channel's fee schedule if it changed.",
			Resource: "channel", ResourceID: ch.ID}); err != nil {
			return err
		}
	default:
		sum.Settled++
	}
	if _, err := post(tx, finance.SettlementEntry(ch.ID, l, m)); err != nil {
		return err
	}
	payableAfter := finance.PayableAfter(l.SettledOn, deliveredAt, m.ReturnWindow)
	for _, e := range m.Earnings(l.Paid) {
		if err := tx.Exec(`INSERT INTO artisan_earnings (id, line_id, artisan_id, amount_paise, payable_after, status, created_at, updated_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (line_id, artisan_id) DO NOTHING`, ids.New(), m.LineID, e.ArtisanID, e.AmountPaise, payableAfter,
			finance.EarningHeld, tx.Now, tx.Now).Error; err != nil {
			return err
		}
	}
	return clawbackReturns(tx, m.LineID) // goods that came back before the money
}

// ReleaseDue releases each due earning in its own transaction: what is
// still held of it, less what returns clawed back from the held account.
func (s *Finance) ReleaseDue(ctx context.Context, now time.Time) (int, error) {
	var due []struct {
		ID, ArtisanID, LineID string
		AmountPaise           int64
	}
	if err := s.db.gorm.WithContext(ctx).Raw(`SELECT id, artisan_id, line_id, amount_paise FROM artisan_earnings
WHERE status = ? AND payable_after <= ? ORDER BY payable_after, id LIMIT 1000`, finance.EarningHeld, now.UTC()).Scan(&due).Error; err != nil {
		return 0, err
	}
	released := 0
	for _, d := range due {
		err := s.db.inTx(ctx, now, func(tx *Tx) error {
			upd := tx.Exec(`UPDATE artisan_earnings SET status = ?, updated_at = ? WHERE id = ? AND status = ?`, finance.EarningPayable, tx.Now, d.ID, finance.EarningHeld)
			if upd.Error != nil || upd.RowsAffected == 0 {
				return upd.Error
			}
			var clawed int64
			if err := tx.Raw(`SELECT COALESCE(SUM(p.amount_paise), 0) FROM ledger_postings p JOIN ledger_entries e ON e.id = p.entry_id
JOIN order_returns r ON e.source_ref = 'clawback:' || r.id || ':' || ? WHERE r.line_id = ? AND p.account = ?`,
				d.ArtisanID, d.LineID, finance.Held(d.ArtisanID)).Scan(&clawed).Error; err != nil {
				return err
			}
			if left := d.AmountPaise - clawed; left > 0 {
				_, err := post(tx, finance.ReleaseEntry(d.ID, d.ArtisanID, left, tx.Now))
				return err
			}
			return nil
		})
		if err != nil {
			return released, err
		}
		released++
	}
	return released, nil
}

func (s *Finance) TrialBalance(ctx context.Context) ([]finance.Balance, error) {
	var out []finance.Balance
	err := s.db.gorm.WithContext(ctx).Raw(`SELECT account,
COALESCE(SUM(CASE WHEN amount_paise > 0 THEN amount_paise ELSE 0 END), 0) AS debits_paise,
COALESCE(SUM(CASE WHEN amount_paise < 0 THEN -amount_paise ELSE 0 END), 0) AS credits_paise,
COALESCE(SUM(amount_paise), 0) AS balance_paise
FROM ledger_postings GROUP BY account ORDER BY account`).Scan(&out).Error
	return out, err
}

func (s *Finance) ArtisanStatement(ctx context.Context, artisanID string) (finance.Statement, error) {
	return artisanStatement(s.db.gorm.WithContext(ctx), artisanID)
}

func artisanStatement(q *gorm.DB, artisanID string) (finance.Statement, error) {
	var n int64
	if err := q.Table("artisans").Where("id = ?", artisanID).Count(&n).Error; err != nil {
		return finance.Statement{}, err
	}
	if n == 0 {
		return finance.Statement{}, apperr.New(apperr.NotFound, "artisan %s not found", artisanID)
	}
	st := finance.Statement{ArtisanID: artisanID, Lines: []finance.StatementLine{}}
	var rows []struct {
		OccurredAt  time.Time
		Kind, Memo  string
		Account     string
		AmountPaise int64
	}
	if err := q.Raw(`SELECT e.occurred_at, e.kind, e.memo, p.account, p.amount_paise
FROM ledger_postings p JOIN ledger_entries e ON e.id = p.entry_id
WHERE p.artisan_id = ? ORDER BY e.occurred_at, e.id, p.account`, artisanID).Scan(&rows).Error; err != nil {
		return finance.Statement{}, err
	}
	for _, r := range rows {
		// The artisan's accounts are liabilities: a credit is money owed to them.
		switch r.Account {
		case finance.Held(artisanID):
			st.HeldPaise -= r.AmountPaise
		case finance.Payable(artisanID):
			st.PayablePaise -= r.AmountPaise
		}
		if r.Kind == "release" && r.Account == finance.Held(artisanID) {
			continue // a move between the artisan's own accounts shows once
		}
		st.Lines = append(st.Lines, finance.StatementLine{At: r.OccurredAt.UTC(), Kind: r.Kind, Memo: r.Memo, Account: r.Account, AmountPaise: -r.AmountPaise})
	}
	err := q.Raw(`SELECT COALESCE(SUM(amount_paise), 0) FROM payout_lines WHERE artisan_id = ? AND status = ?`, artisanID, finance.PayoutPaid).
		Scan(&st.PaidPaise).Error
	return st, err
}

// clawbackReturns claws back, once per return and maker, the earning of
// the units that came back: each maker's earning from the line is split
// per unit (leftover paise deterministically) and each return takes the
// shares of its units, in the order the returns were recorded.
func clawbackReturns(tx *Tx, lineID string) error {
	var earnings []struct {
		ID, ArtisanID, Status string
		AmountPaise           int64
		Quantity              int64
	}
	if err := tx.Raw(`SELECT e.id, e.artisan_id, e.status, e.amount_paise, l.quantity FROM artisan_earnings e JOIN order_lines l ON l.id = e.line_id
WHERE e.line_id = ? ORDER BY e.artisan_id`, lineID).Scan(&earnings).Error; err != nil || len(earnings) == 0 {
		return err // not settled yet: the import claws back
	}
	var returns []struct {
		ID       string
		Quantity int64
	}
	if err := tx.Raw(`SELECT id, quantity FROM order_returns WHERE line_id = ? ORDER BY created_at, id`, lineID).Scan(&returns).Error; err != nil {
		return err
	}
	for _, e := range earnings {
		shares, err := finance.Split(e.AmountPaise, int(max(e.Quantity, 1)))
		if err != nil {
			return err
		}
		account := finance.Payable(e.ArtisanID)
		if e.Status == finance.EarningHeld {
			account = finance.Held(e.ArtisanID)
		}
		unit, clawed := 0, int64(0)
		for _, r := range returns {
			var amount int64
			for i := int64(0); i < r.Quantity && unit < len(shares); i++ {
				amount += shares[unit]
				unit++
			}
			clawed += r.Quantity
			if amount == 0 {
				continue
			}
			if _, err := post(tx, finance.ClawbackEntry(r.ID, account, e.ArtisanID, amount, tx.Now)); err != nil {
				return err
			}
		}
		if e.Status == finance.EarningHeld && clawed >= e.Quantity {
			if err := tx.Exec(`UPDATE artisan_earnings SET status = ?, updated_at = ? WHERE id = ? AND status = ?`,
				finance.EarningClawedBack, tx.Now, e.ID, finance.EarningHeld).Error; err != nil {
				return err
			}
		}
	}
	return nil
}

func (s *Finance) ClawbackLine(ctx context.Context, lineID string, now time.Time) error {
	return s.db.inTx(ctx, now, func(tx *Tx) error { return clawbackReturns(tx, lineID) })
}

var _ finance.ChannelStatementStore = (*Finance)(nil)

// ChannelStatement totals a channel's sales, settlements and what is
// still owed, overdue past the channel's settlement period after dispatch.
func (s *Finance) ChannelStatement(ctx context.Context, channelID string, now time.Time) (finance.ChannelStatement, error) {
	var ch channelRow
	if err := s.db.gorm.WithContext(ctx).Select("id", "settings").Where("id = ?", channelID).Take(&ch).Error; err != nil {
		return finance.ChannelStatement{}, notFound(err, "channel %s not found", channelID)
	}
	var settings channels.Settings
	_ = json.Unmarshal([]byte(ch.Settings), &settings)
	var st finance.ChannelStatement
	db := s.db.gorm.WithContext(ctx)
	if err := db.Raw(`SELECT COALESCE(SUM(gross_paise), 0) AS settled_gross_paise, COALESCE(SUM(fees_paise), 0) AS fees_paise,
COALESCE(SUM(gst_on_fees_paise), 0) AS gst_on_fees_paise, COALESCE(SUM(tcs_paise), 0) AS tcs_paise, COALESCE(SUM(tds_paise), 0) AS tds_paise,
COALESCE(SUM(net_paise), 0) AS settled_net_paise,
COALESCE(SUM(CASE WHEN status = ? THEN 1 ELSE 0 END), 0) AS short_paid_lines,
COALESCE(SUM(CASE WHEN status = ? THEN 1 ELSE 0 END), 0) AS unmatched_lines
FROM settlement_lines WHERE channel_id = ?`, finance.StatusShortPaid, finance.StatusUnmatched, channelID).Scan(&st).Error; err != nil {
		return st, err
	}
	st.ChannelID, st.SettlementDaysUsed = channelID, settings.SettlementPeriod()
	// Sales count every line that left us; what is still owed leaves out
	// the lines that came back (nothing is owed for them).
	shipped := `FROM order_lines l JOIN fulfilment_tasks t ON t.line_id = l.id
WHERE l.channel_id = ? AND l.status IN ?`
	unsettled := ` AND l.status <> ? AND NOT EXISTS (SELECT 1 FROM settlement_lines x WHERE x.line_id = l.id)`
	var sales, outstanding, overdue struct {
		Paise int64
		Lines int64
	}
	sum := `SELECT COALESCE(SUM(l.unit_price_paise * l.quantity), 0) AS paise, COUNT(*) AS lines `
	if err := db.Raw(sum+shipped, channelID, orders.Shipped).Scan(&sales).Error; err != nil {
		return st, err
	}
	if err := db.Raw(sum+shipped+unsettled, channelID, orders.Shipped, orders.LineReturned).Scan(&outstanding).Error; err != nil {
		return st, err
	}
	due := now.Add(-time.Duration(st.SettlementDaysUsed) * 24 * time.Hour)
	if err := db.Raw(sum+shipped+unsettled+` AND t.updated_at < ?`, channelID, orders.Shipped, orders.LineReturned, due).Scan(&overdue).Error; err != nil {
		return st, err
	}
	st.SalesPaise, st.OutstandingPaise, st.OutstandingLines, st.OverduePaise, st.OverdueLines = sales.Paise, outstanding.Paise, outstanding.Lines, overdue.Paise, overdue.Lines
	return st, nil
}

var _ finance.GeMStore = (*Finance)(nil)

func (s *Finance) ChannelKind(ctx context.Context, channelID string) (string, error) {
	var ch channelRow
	if err := s.db.gorm.WithContext(ctx).Select("id", "kind").Where("id = ?", channelID).Take(&ch).Error; err != nil {
		return "", notFound(err, "channel %s not found", channelID)
	}
	return ch.Kind, nil
}

func (s *Finance) ContractLines(ctx context.Context, channelID, contractNo string) ([]finance.ContractLine, error) {
	var out []finance.ContractLine
	err := s.db.gorm.WithContext(ctx).Raw(`SELECT external_line_id, unit_price_paise * quantity AS gross_paise FROM order_lines
WHERE channel_id = ? AND external_order_id = ? AND status <> ? ORDER BY external_line_id`, channelID, contractNo, orders.LineCancelled).Scan(&out).Error
	return out, err
}

func (s *Finance) Raise(ctx context.Context, e exceptions.Exception) error {
	return raise(s.db.gorm.WithContext(ctx), e)
}

// SettlementFileImported says whether lines of a file (or a marketplace
// report, by its name) were imported for the channel before.
func (s *Finance) SettlementFileImported(ctx context.Context, channelID, fileName string) (bool, error) {
	var n int64
	err := s.db.gorm.WithContext(ctx).Table("settlement_lines").Where("channel_id = ? AND file_name = ?", channelID, fileName).Limit(1).Count(&n).Error
	return n > 0, err
}

var _ finance.SharesStore = (*Finance)(nil)

// SetShares replaces a product's earning shares in one transaction.
func (s *Finance) SetShares(ctx context.Context, productID string, shares []finance.Share) ([]finance.Share, error) {
	var out []finance.Share
	err := s.db.inTx(ctx, time.Time{}, func(tx *Tx) error {
		var n int64
		if err := tx.Table("products").Where("id = ?", productID).Count(&n).Error; err != nil {
			return err
		}
		if n == 0 {
			return apperr.New(apperr.NotFound, "product %s not found", productID)
		}
		if len(shares) > 0 {
			ids := make([]string, len(shares))
			for i, sh := range shares {
				ids[i] = sh.ArtisanID
			}
			if err := tx.Table("artisans").Where("id IN ?", ids).Count(&n).Error; err != nil {
				return err
			}
			if int(n) != len(shares) {
				return apperr.FieldErrors{"shares.artisan_id": "no such artisan"}.Err()
			}
		}
		var before []finance.Share
		if err := tx.Raw(`SELECT artisan_id, weight FROM earning_shares WHERE product_id = ? ORDER BY artisan_id`, productID).Scan(&before).Error; err != nil {
			return err
		}
		if err := tx.Exec(`DELETE FROM earning_shares WHERE product_id = ?`, productID).Error; err != nil {
			return err
		}
		rows := make([][]any, len(shares))
		for i, sh := range shares {
			rows[i] = []any{productID, sh.ArtisanID, sh.Weight}
		}
		if err := insertRows(tx, "earning_shares", []string{"product_id", "artisan_id", "weight"}, rows); err != nil {
			return err
		}
		if err := tx.Raw(`SELECT artisan_id, weight FROM earning_shares WHERE product_id = ? ORDER BY artisan_id`, productID).Scan(&out).Error; err != nil {
			return err
		}
		tx.AuditChange("set_earning_shares", "product", productID, before, out)
		return nil
	})
	return out, err
}

func (s *Finance) Shares(ctx context.Context, productID string) ([]finance.Share, error) {
	var n int64
	if err := s.db.gorm.WithContext(ctx).Table("products").Where("id = ?", productID).Count(&n).Error; err != nil {
		return nil, err
	}
	if n == 0 {
		return nil, apperr.New(apperr.NotFound, "product %s not found", productID)
	}
	var out []finance.Share
	err := s.db.gorm.WithContext(ctx).Raw(`SELECT artisan_id, weight FROM earning_shares WHERE product_id = ? ORDER BY artisan_id`, productID).Scan(&out).Error
	return out, err
}
