package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/jkhhc/artisanbridge/internal/apperr"
	"github.com/jkhhc/artisanbridge/internal/channels"
	"github.com/jkhhc/artisanbridge/internal/civil"
	"github.com/jkhhc/artisanbridge/internal/exceptions"
	"github.com/jkhhc/artisanbridge/internal/finance"
	"github.com/jkhhc/artisanbridge/internal/ids"
	"github.com/jkhhc/artisanbridge/internal/orders"
	"github.com/jkhhc/artisanbridge/internal/paging"
	"github.com/jkhhc/artisanbridge/migrations"
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
	f := finance.FeeSchedule{ID: r.ID, ChannelID: r.ChannelID, Category: r.Category, EffectiveFrom: civil.Of(r.EffectiveFrom),
		EffectiveTo: dayOf(r.EffectiveTo), CommissionBP: r.CommissionBP, CollectionFeeBP: r.CollectionFeeBP,
		ShippingFeePaise: r.ShippingFeePaise, CommissionWaivedUntil: dayOf(r.CommissionWaivedUntil), CreatedAt: r.CreatedAt.UTC()}
	_ = json.Unmarshal([]byte(r.FixedFeeSlabs), &f.FixedFeeSlabs)
	if f.FixedFeeSlabs == nil {
		f.FixedFeeSlabs = []finance.Slab{}
	}
	return f
}

// A plain day is stored as the instant it starts in India.
func startOf(d *civil.Date) *time.Time {
	if d == nil {
		return nil
	}
	t := d.Start()
	return &t
}

func dayOf(t *time.Time) *civil.Date {
	if t == nil {
		return nil
	}
	d := civil.Of(*t)
	return &d
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
		row := feeScheduleRow{ID: f.ID, ChannelID: f.ChannelID, Category: f.Category, EffectiveFrom: f.EffectiveFrom.Start(), EffectiveTo: startOf(f.EffectiveTo),
			CommissionBP: f.CommissionBP, FixedFeeSlabs: string(slabs), CollectionFeeBP: f.CollectionFeeBP, ShippingFeePaise: f.ShippingFeePaise,
			CommissionWaivedUntil: startOf(f.CommissionWaivedUntil), CreatedAt: tx.Now}
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
func (s *Finance) ImportSettlement(ctx context.Context, channelID, fileName string, lines []finance.SettlementLine, now time.Time) (_ finance.ImportSummary, err error) {
	defer apperr.Annotate(&err, "Finance.ImportSettlement(%s, %d lines)", channelID, len(lines))
	var sum finance.ImportSummary
	err = s.db.inTx(ctx, now, func(tx *Tx) error {
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
		for start := 0; start < len(lines); start += settlementChunk {
			if err := importChunk(tx, &sum, ch, settings, schedules, fileName, lines[start:min(start+settlementChunk, len(lines))]); err != nil {
				return err
			}
		}
		tx.AuditChange("import", "settlement_file", channelID, nil, map[string]any{"file_name": fileName, "summary": sum})
		return nil
	})
	return sum, err
}

// settlementChunk is how many settlement lines are matched, recorded and
// posted together: a handful of statements per chunk, whatever its size.
const settlementChunk = 500

// settlementMatch is what a settlement line is matched to.
type settlementMatch struct {
	LineID            string
	ExternalOrderID   string
	ExternalLineID    string
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

type settlementKey struct{ ref, order, line string }

// importChunk matches a chunk of settlement lines in one query, classifies
// each (finance.Classify), records them in one INSERT whose unique key
// leaves out what was imported before, and posts the new ones' entries and
// earnings in a few multi-row INSERTs.
func importChunk(tx *Tx, sum *finance.ImportSummary, ch channelRow, settings channels.Settings, schedules []finance.FeeSchedule,
	fileName string, lines []finance.SettlementLine) error {
	// The chunk's keys are a VALUES list joined to the order lines by their
	// unique key, one index probe per line; a row-value IN list of the
	// same keys was planned as an OR of hundreds of conditions.
	conds := make([]string, 0, len(lines))
	args := make([]any, 0, 2*len(lines)+1)
	for _, l := range lines {
		conds = append(conds, "(?, ?)")
		args = append(args, l.ExternalOrderID, l.ExternalLineID)
	}
	args = append(args, ch.ID)
	var found []settlementMatch
	if err := tx.Raw(`SELECT l.id AS line_id, l.external_order_id, l.external_line_id, l.product_id, o.ordered_at, l.quantity, p.craft, p.gst_rate_bp,
l.artisan_id, p.artisan_price_paise, p.artisan_share_bp, l.delivered_at
FROM (VALUES `+strings.Join(conds, ", ")+`) AS k
JOIN order_lines l ON l.external_order_id = k.column1 AND l.external_line_id = k.column2
JOIN orders o ON o.id = l.order_id JOIN products p ON p.id = l.product_id
WHERE l.channel_id = ? AND l.artisan_id IS NOT NULL`, args...).
		Scan(&found).Error; err != nil {
		return err
	}
	byLine := make(map[[2]string]settlementMatch, len(found))
	products := make([]string, 0, len(found))
	for _, f := range found {
		byLine[[2]string{f.ExternalOrderID, f.ExternalLineID}] = f
		products = append(products, f.ProductID)
	}
	shares := map[string][]finance.Share{}
	if len(products) > 0 {
		var rows []struct {
			ProductID string
			finance.Share
		}
		if err := tx.Raw(`SELECT product_id, artisan_id, weight FROM earning_shares WHERE product_id IN ? ORDER BY product_id, artisan_id`, products).
			Scan(&rows).Error; err != nil {
			return err
		}
		for _, r := range rows {
			shares[r.ProductID] = append(shares[r.ProductID], r.Share)
		}
	}

	type classified struct {
		l       finance.SettlementLine
		class   finance.Classification
		m       finance.Match
		matched bool
		dj      string
		deliv   *time.Time
	}
	seen := map[settlementKey]bool{}
	var todo []classified
	var rows [][]any
	for _, l := range lines {
		k := settlementKey{l.SettlementRef, l.ExternalOrderID, l.ExternalLineID}
		if seen[k] {
			sum.Repeated++ // the same line twice in one file
			continue
		}
		seen[k] = true
		c := classified{l: l}
		var lineID any
		if f, ok := byLine[[2]string{l.ExternalOrderID, l.ExternalLineID}]; ok {
			c.matched, lineID, c.deliv = true, f.LineID, utcPtr(f.DeliveredAt)
			c.m = finance.Match{LineID: f.LineID, OrderedAt: f.OrderedAt.UTC(), Quantity: f.Quantity, Craft: f.Craft, GSTRateBP: f.GSTRateBP,
				ArtisanID: f.ArtisanID, ArtisanPricePaise: f.ArtisanPricePaise, ArtisanShareBP: f.ArtisanShareBP, ReturnWindow: settings.ReturnWindow(),
				Shares: shares[f.ProductID]}
			sched, has := finance.Pick(schedules, f.Craft, c.m.OrderedAt)
			c.class = finance.Classify(true, sched, has, f.GSTRateBP, c.m.OrderedAt, l)
		} else {
			c.class = finance.Classify(false, finance.FeeSchedule{}, false, 0, time.Time{}, l)
		}
		dj, _ := json.Marshal(c.class.Differences)
		c.dj = string(dj)
		todo = append(todo, c)
		rows = append(rows, []any{ids.New(), ch.ID, l.SettlementRef, l.ExternalOrderID, l.ExternalLineID, lineID, l.SettledOn.UTC(), l.Paid.GrossPaise,
			l.Paid.Fees(), l.Paid.GSTOnFeesPaise, l.Paid.TCSPaise, l.Paid.TDSPaise, l.Paid.NetPaise, c.class.ExpectedNetPaise, c.class.Status, c.dj, fileName, tx.Now})
	}
	if len(rows) == 0 {
		return nil
	}
	var inserted []struct{ SettlementRef, ExternalOrderID, ExternalLineID string }
	if err := tx.Raw(insertSQL("settlement_lines", []string{"id", "channel_id", "settlement_ref", "external_order_id", "external_line_id", "line_id",
		"settled_on", "gross_paise", "fees_paise", "gst_on_fees_paise", "tcs_paise", "tds_paise", "net_paise", "expected_net_paise", "status",
		"differences", "file_name", "created_at"}, len(rows),
		"ON CONFLICT (channel_id, settlement_ref, external_order_id, external_line_id) DO NOTHING RETURNING settlement_ref, external_order_id, external_line_id"),
		flatten(rows)...).Scan(&inserted).Error; err != nil {
		return err
	}
	isNew := make(map[settlementKey]bool, len(inserted))
	for _, r := range inserted {
		isNew[settlementKey{r.SettlementRef, r.ExternalOrderID, r.ExternalLineID}] = true
	}
	var entries []finance.Entry
	var earnings [][]any
	var settledLines []string
	for _, c := range todo {
		l := c.l
		if !isNew[settlementKey{l.SettlementRef, l.ExternalOrderID, l.ExternalLineID}] {
			sum.Repeated++
			continue
		}
		sum.New++
		cause := "settlement:" + ch.ID + ":" + l.SettlementRef + ":" + l.ExternalOrderID + ":" + l.ExternalLineID
		switch c.class.Status {
		case finance.StatusUnmatched:
			sum.Unmatched++
			if err := raise(tx.DB, exceptions.Exception{Kind: exceptions.SettlementMismatch, CauseKey: cause,
				Summary:  fmt.Sprintf("%s settled order %s line %s, which matches no order line", ch.Kind, l.ExternalOrderID, l.ExternalLineID),
				Detail:   fmt.Sprintf("settlement %s row %d: sale %d paise, paid %d paise", l.SettlementRef, l.Row, l.Paid.GrossPaise, l.Paid.NetPaise),
				Action:   "Find the order (re-scan the channel's orders, or map its SKU); the money stays unposted until it matches.",
				Resource: "channel", ResourceID: ch.ID}); err != nil {
				return err
			}
			continue // the money stays unposted until it matches
		case finance.StatusShortPaid:
			sum.ShortPaid++
			if err := raise(tx.DB, exceptions.Exception{Kind: exceptions.SettlementMismatch, CauseKey: cause,
				Summary:  fmt.Sprintf("%s paid order %s line %s differently from its fee schedule", ch.Kind, l.ExternalOrderID, l.ExternalLineID),
				Detail:   "differences (component, expected, paid): " + c.dj,
				Action:   "Raise the difference with the marketplace's seller support, or correct the channel's fee schedule if it changed.",
				Resource: "channel", ResourceID: ch.ID}); err != nil {
				return err
			}
		case finance.StatusUnchecked:
			sum.Unchecked++
			if err := raise(tx.DB, exceptions.Exception{Kind: exceptions.SettlementMismatch, CauseKey: "no_fee_schedule:" + ch.ID + ":" + c.m.Craft,
				Summary:  fmt.Sprintf("%s settled %s lines that no fee schedule covers, so their fees could not be checked", ch.Kind, c.m.Craft),
				Detail:   fmt.Sprintf("first seen: settlement %s, order %s line %s, ordered %s", l.SettlementRef, l.ExternalOrderID, l.ExternalLineID, civil.Of(c.m.OrderedAt)),
				Action:   "Add the channel's fee schedule for this craft (POST /fee-schedules) from the day it applied; the money was posted as paid.",
				Resource: "channel", ResourceID: ch.ID}); err != nil {
				return err
			}
		default:
			sum.Settled++
		}
		entries = append(entries, finance.SettlementEntry(ch.ID, l, c.m))
		payableAfter := finance.PayableAfter(l.SettledOn, c.deliv, c.m.ReturnWindow)
		for _, e := range c.m.Earnings(l.Paid) {
			earnings = append(earnings, []any{ids.New(), c.m.LineID, e.ArtisanID, e.AmountPaise, payableAfter, finance.EarningHeld, tx.Now, tx.Now})
		}
		settledLines = append(settledLines, c.m.LineID)
	}
	if _, err := postAll(tx, entries); err != nil {
		return err
	}
	for start := 0; start < len(earnings); start += entriesPerInsert {
		if err := insertRowsResult(tx, "artisan_earnings", []string{"id", "line_id", "artisan_id", "amount_paise", "payable_after", "status", "created_at", "updated_at"},
			earnings[start:min(start+entriesPerInsert, len(earnings))], "ON CONFLICT (line_id, artisan_id) DO NOTHING").Error; err != nil {
			return err
		}
	}
	if len(settledLines) == 0 {
		return nil
	}
	// Goods that came back before the money are clawed back now.
	var returned []string
	if err := tx.Raw(`SELECT DISTINCT line_id FROM order_returns WHERE line_id IN ?`, settledLines).Scan(&returned).Error; err != nil {
		return err
	}
	for _, lineID := range returned {
		if err := clawbackReturns(tx, lineID); err != nil {
			return err
		}
	}
	return nil
}

// releaseBatch is how many earnings one transaction releases.
var releaseBatch = 500

// ReleaseDue makes payable every held earning whose window has closed, in
// transactions of releaseBatch, until none is due: no cap per run. On
// PostgreSQL each transaction takes its earnings FOR UPDATE SKIP LOCKED, so
// replicas releasing at once share the work instead of waiting on or
// doubling it (the status moves held to payable by conditional UPDATE, and
// each release is posted once by its source, on SQLite too).
func (s *Finance) ReleaseDue(ctx context.Context, now time.Time) (int, error) {
	total := 0
	for {
		n, err := s.releaseSome(ctx, now)
		total += n
		if err != nil || n < releaseBatch || ctx.Err() != nil {
			return total, err
		}
	}
}

func (s *Finance) releaseSome(ctx context.Context, now time.Time) (int, error) {
	released := 0
	err := s.db.inTx(ctx, now, func(tx *Tx) error {
		released = 0
		q := `SELECT id, artisan_id, line_id, amount_paise FROM artisan_earnings WHERE status = ? AND payable_after <= ? ORDER BY payable_after, id LIMIT ?`
		if tx.dialect == migrations.Postgres {
			q += ` FOR UPDATE SKIP LOCKED`
		}
		var due []struct {
			ID, ArtisanID, LineID string
			AmountPaise           int64
		}
		if err := tx.Raw(q, finance.EarningHeld, tx.Now, releaseBatch).Scan(&due).Error; err != nil || len(due) == 0 {
			return err
		}
		idsOf, lines := make([]string, len(due)), make([]string, len(due))
		for i, d := range due {
			idsOf[i], lines[i] = d.ID, d.LineID
		}
		upd := tx.Exec(`UPDATE artisan_earnings SET status = ?, updated_at = ? WHERE id IN ? AND status = ?`, finance.EarningPayable, tx.Now, idsOf, finance.EarningHeld)
		if upd.Error != nil {
			return upd.Error
		}
		if int(upd.RowsAffected) != len(due) {
			return apperr.New(apperr.Conflict, "earnings changed while being released; run again")
		}
		// What returns already clawed back out of the held account is not
		// released: one query for the whole batch, by the clawbacks' sources.
		var returns []struct{ ID, LineID string }
		if err := tx.Raw(`SELECT id, line_id FROM order_returns WHERE line_id IN ?`, lines).Scan(&returns).Error; err != nil {
			return err
		}
		clawed := map[string]int64{}
		if len(returns) > 0 {
			refOf := map[string]string{} // clawback source -> earning
			for _, d := range due {
				for _, r := range returns {
					if r.LineID == d.LineID {
						refOf[finance.ClawbackSource(r.ID, d.ArtisanID)] = d.ID
					}
				}
			}
			refs := make([]string, 0, len(refOf))
			for r := range refOf {
				refs = append(refs, r)
			}
			var got []struct {
				SourceRef   string
				AmountPaise int64
			}
			if err := tx.Raw(`SELECT e.source_ref, p.amount_paise FROM ledger_entries e JOIN ledger_postings p ON p.entry_id = e.id
WHERE e.source_ref IN ? AND p.account_kind = ?`, refs, finance.KindArtisanHeld).Scan(&got).Error; err != nil {
				return err
			}
			for _, g := range got {
				clawed[refOf[g.SourceRef]] += g.AmountPaise
			}
		}
		var entries []finance.Entry
		for _, d := range due {
			if left := d.AmountPaise - clawed[d.ID]; left > 0 {
				entries = append(entries, finance.ReleaseEntry(d.ID, d.ArtisanID, left, tx.Now))
			}
		}
		if _, err := postAll(tx, entries); err != nil {
			return err
		}
		released = len(due)
		return nil
	})
	return released, err
}

// TrialBalance totals the ledger by kind of account: a handful of rows
// however many artisans there are. It totals each account first and then
// the accounts of each kind, so that counting the accounts is counting
// groups: COUNT(DISTINCT account) over the postings sorted every posting's
// account again (PostgreSQL sorts a DISTINCT aggregate's input itself),
// on disk at five million postings. The sums are the same, posting by
// posting.
func (s *Finance) TrialBalance(ctx context.Context) ([]finance.KindBalance, error) {
	var out []finance.KindBalance
	err := s.db.gorm.WithContext(ctx).Raw(`SELECT account_kind, COUNT(*) AS accounts, SUM(debits_paise) AS debits_paise,
SUM(credits_paise) AS credits_paise, SUM(balance_paise) AS balance_paise
FROM (SELECT account_kind, account,
 SUM(CASE WHEN amount_paise > 0 THEN amount_paise ELSE 0 END) AS debits_paise,
 SUM(CASE WHEN amount_paise < 0 THEN -amount_paise ELSE 0 END) AS credits_paise,
 SUM(amount_paise) AS balance_paise
 FROM ledger_postings GROUP BY account_kind, account) per_account
GROUP BY account_kind ORDER BY account_kind`).Scan(&out).Error
	return out, err
}

// Accounts pages through the accounts of one kind in account order.
func (s *Finance) Accounts(ctx context.Context, kind string, p paging.Request) (paging.Page[finance.Balance], error) {
	q, args := `SELECT account, account_kind,
COALESCE(SUM(CASE WHEN amount_paise > 0 THEN amount_paise ELSE 0 END), 0) AS debits_paise,
COALESCE(SUM(CASE WHEN amount_paise < 0 THEN -amount_paise ELSE 0 END), 0) AS credits_paise,
COALESCE(SUM(amount_paise), 0) AS balance_paise
FROM ledger_postings WHERE account_kind = ?`, []any{kind}
	if p.After != "" {
		q += ` AND account > ?`
		args = append(args, p.After)
	}
	q += fmt.Sprintf(` GROUP BY account_kind, account ORDER BY account LIMIT %d`, p.Limit+1)
	var rows []finance.Balance
	if err := s.db.gorm.WithContext(ctx).Raw(q, args...).Scan(&rows).Error; err != nil {
		return paging.Page[finance.Balance]{}, err
	}
	return paging.Build(rows, p.Limit, func(b finance.Balance) string { return b.Account }), nil
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
