package console

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"sort"
	"time"

	"github.com/jkhhc/artisanbridge/internal/apperr"
	"github.com/jkhhc/artisanbridge/internal/catalog"
	"github.com/jkhhc/artisanbridge/internal/channels"
	"github.com/jkhhc/artisanbridge/internal/civil"
	"github.com/jkhhc/artisanbridge/internal/exceptions"
	"github.com/jkhhc/artisanbridge/internal/finance"
	"github.com/jkhhc/artisanbridge/internal/opsmetrics"
	"github.com/jkhhc/artisanbridge/internal/orders"
	"github.com/jkhhc/artisanbridge/internal/paging"
	"github.com/jkhhc/artisanbridge/internal/reconcile"
	"github.com/jkhhc/artisanbridge/internal/reqctx"
	"github.com/jkhhc/artisanbridge/internal/statements"
)

func actorRole(r *http.Request) string { return reqctx.ActorFrom(r.Context()).Role }

// --- operations ---

// kindCount is how many exceptions of a kind are open, by age: under an
// hour, up to a day, up to a week, older (opsmetrics.AgeBuckets).
type kindCount struct {
	Kind  string
	Open  int64
	ByAge []int64
}

type dashboardData struct {
	Channels    []channels.Channel
	Queues      []QueueDepth
	Exceptions  []kindCount
	OrdersToday int64
	StockDrift  int64
}

func (c *Console) dashboard(r *http.Request) (any, error) {
	ctx := r.Context()
	now := c.Now().UTC()
	d := dashboardData{}
	var err error
	if d.Channels, err = c.Channels.List(ctx); err != nil {
		return nil, err
	}
	if c.Queues != nil {
		if d.Queues, err = c.Queues(ctx); err != nil {
			return nil, err
		}
	}
	if c.Ops != nil {
		snap, err := c.Ops.OpsSnapshot(ctx, now, opsmetrics.AgeBounds(), opsmetrics.SMSWindow)
		if err != nil {
			return nil, err
		}
		buckets := opsmetrics.ExceptionBuckets(snap.OpenExceptions)
		for _, e := range snap.OpenExceptions {
			if e.Kind == exceptions.StockDrift {
				d.StockDrift = e.Open
			}
			d.Exceptions = append(d.Exceptions, kindCount{Kind: e.Kind, Open: e.Open, ByAge: buckets[e.Kind]})
		}
		sort.Slice(d.Exceptions, func(i, j int) bool { return d.Exceptions[i].Kind < d.Exceptions[j].Kind })
	}
	if c.OrdersSince != nil {
		// Today is the corporation's day, in India.
		n := now.In(civil.IST)
		midnight := time.Date(n.Year(), n.Month(), n.Day(), 0, 0, 0, 0, civil.IST)
		if d.OrdersToday, err = c.OrdersSince(ctx, midnight); err != nil {
			return nil, err
		}
	}
	return d, nil
}

type ordersData struct {
	Orders   []orders.Order
	Channels map[string]string
	Status   string
	Next     string
}

func (c *Console) channelNames(r *http.Request) (map[string]string, error) {
	chs, err := c.Channels.List(r.Context())
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, ch := range chs {
		out[ch.ID] = ch.Name
	}
	return out, nil
}

func (c *Console) ordersPage(r *http.Request) (any, error) {
	p, err := firstPage(r, 50)
	if err != nil {
		return nil, err
	}
	d := ordersData{Status: r.URL.Query().Get("status")}
	page, err := c.Orders.List(r.Context(), orders.Filter{Status: d.Status, ChannelID: r.URL.Query().Get("channel_id")}, p)
	if err != nil {
		return nil, err
	}
	d.Orders, d.Next = page.Items, page.NextCursor
	d.Channels, err = c.channelNames(r)
	return d, err
}

type orderData struct {
	Order   orders.Order
	Channel string
	Makers  map[string]string
}

func (c *Console) order(r *http.Request) (any, error) {
	ctx := r.Context()
	o, err := c.Orders.Get(ctx, r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	names, err := c.channelNames(r)
	if err != nil {
		return nil, err
	}
	d := orderData{Order: o, Channel: names[o.ChannelID], Makers: map[string]string{}}
	for _, l := range o.Lines {
		if l.ArtisanID != nil {
			if a, err := c.Catalog.GetArtisan(ctx, *l.ArtisanID); err == nil {
				d.Makers[*l.ArtisanID] = a.Name + " (" + a.Code + ")"
			}
		}
	}
	return d, nil
}

type exceptionsData struct {
	Kinds      []string
	Kind       string
	Status     string
	Mine       bool
	Exceptions []exceptions.Exception
	Next       string
}

func (c *Console) exceptionsPage(r *http.Request) (any, error) {
	q := r.URL.Query()
	p, err := firstPage(r, 50)
	if err != nil {
		return nil, err
	}
	d := exceptionsData{Kinds: exceptions.Kinds, Kind: q.Get("kind"), Status: q.Get("status"), Mine: q.Get("mine") == "1"}
	f := exceptions.Filter{Kind: d.Kind, Status: d.Status}
	if d.Mine {
		f.Assignee = reqctx.ActorFrom(r.Context()).ID
	}
	page, err := c.Exceptions.List(r.Context(), f, p)
	if err != nil {
		return nil, err
	}
	d.Exceptions, d.Next = page.Items, page.NextCursor
	return d, nil
}

func (c *Console) resolve(r *http.Request) (string, string, error) {
	by := reqctx.ActorFrom(r.Context()).Name
	if _, err := c.Exceptions.Resolve(r.Context(), r.PostFormValue("exception_id"), exceptions.ResolveInput{Resolution: r.PostFormValue("resolution")}, by); err != nil {
		return "", "", err
	}
	return r.URL.Path + "?" + r.URL.RawQuery, "flash.resolved", nil
}

// retryMissed takes a missed order in again once its cause is fixed (the
// same retry as the API's); a retry that still fails is refused with the
// reason and the exception stays open.
func (c *Console) retryMissed(r *http.Request) (string, string, error) {
	if c.RetryMissedOrder == nil {
		return "", "", apperr.New(apperr.PreconditionFailed, "this process does not retry missed orders: use the API process's console")
	}
	if err := c.RetryMissedOrder(r.Context(), r.PostFormValue("exception_id"), reqctx.ActorFrom(r.Context()).Name); err != nil {
		return "", "", err
	}
	return r.URL.Path + "?" + r.URL.RawQuery, "flash.retried", nil
}

// assign gives an open exception to the person who takes it.
func (c *Console) assign(r *http.Request) (string, string, error) {
	me := reqctx.ActorFrom(r.Context()).ID
	if _, err := c.Exceptions.Assign(r.Context(), r.PostFormValue("exception_id"), exceptions.AssignInput{UserID: me}); err != nil {
		return "", "", err
	}
	return r.URL.Path + "?" + r.URL.RawQuery, "flash.assigned", nil
}

func (c *Console) startReconciliation(r *http.Request) (string, string, error) {
	if c.Reconcile == nil {
		return "", "", apperr.New(apperr.PreconditionFailed, "reconciliations are not configured in this process")
	}
	run, err := c.Reconcile.Start(r.Context(), reconcile.Input{ChannelID: r.PostFormValue("channel_id"), Kind: r.PostFormValue("kind"),
		AutoCorrect: r.PostFormValue("auto_correct") == "1"})
	if err != nil {
		return "", "", err
	}
	return "/operations/reconciliations/" + run.ID, "flash.reconciling", nil
}

type reconciliationData struct {
	Run     reconcile.Reconciliation
	Channel string
	Percent int
	Running bool
}

// Refresh reloads the page while the run goes on.
func (d reconciliationData) Refresh() bool { return d.Running }

// reconciliation shows a run's progress and what it found; the page
// reloads itself (no script: a refresh header) while the run goes on.
func (c *Console) reconciliation(r *http.Request) (any, error) {
	if c.Reconcile == nil {
		return nil, apperr.New(apperr.NotFound, "reconciliations are not configured in this process")
	}
	p, err := firstPage(r, 100)
	if err != nil {
		return nil, err
	}
	run, err := c.Reconcile.Get(r.Context(), r.PathValue("id"), p)
	if err != nil {
		return nil, err
	}
	names, err := c.channelNames(r)
	if err != nil {
		return nil, err
	}
	return reconciliationData{Run: run, Channel: names[run.ChannelID], Percent: int(run.Progress * 100),
		Running: run.Status == reconcile.StatusPending || run.Status == reconcile.StatusRunning}, nil
}

type importsData struct {
	Channels []channels.Channel
}

func (c *Console) imports(r *http.Request) (any, error) {
	chs, err := c.Channels.List(r.Context())
	return importsData{Channels: chs}, err
}

// uploaded reads the form's file field, or a field error.
func uploaded(r *http.Request) ([]byte, error) {
	f, _, err := r.FormFile("file")
	if err != nil {
		return nil, &apperr.Error{Code: apperr.Invalid, Message: "choose a file to import", Fields: map[string]string{"file": "required"}}
	}
	defer f.Close()
	return io.ReadAll(f)
}

func (c *Console) importOrders(r *http.Request) (string, string, error) {
	if c.ImportOrders == nil {
		return "", "", apperr.New(apperr.PreconditionFailed, "order files cannot be imported by this process")
	}
	data, err := uploaded(r)
	if err != nil {
		return "", "", err
	}
	sum, err := c.ImportOrders(r.Context(), r.PostFormValue("channel_id"), data)
	if err != nil {
		return "", "", err
	}
	return fmt.Sprintf("/operations/imports?orders=%d&created=%d&unmapped=%d", sum.Orders, sum.Created, sum.Unmapped), "flash.imported", nil
}

// --- finance ---

type settlementRow struct {
	Channel   channels.Channel
	Statement finance.ChannelStatement
}

type settlementsData struct {
	Rows       []settlementRow
	Mismatches []exceptions.Exception
}

func (c *Console) settlements(r *http.Request) (any, error) {
	ctx := r.Context()
	chs, err := c.Channels.List(ctx)
	if err != nil {
		return nil, err
	}
	d := settlementsData{}
	for _, ch := range chs {
		st, err := c.Finance.ChannelStatement(ctx, ch.ID)
		if err != nil {
			return nil, err
		}
		d.Rows = append(d.Rows, settlementRow{Channel: ch, Statement: st})
	}
	mm, err := c.Exceptions.List(ctx, exceptions.Filter{Kind: "settlement_mismatch"}, paging.Request{Limit: 50})
	if err != nil {
		return nil, err
	}
	d.Mismatches = mm.Items
	return d, nil
}

func (c *Console) importSettlement(r *http.Request) (string, string, error) {
	data, err := uploaded(r)
	if err != nil {
		return "", "", err
	}
	name := "settlement"
	if _, fh, err := r.FormFile("file"); err == nil {
		name = fh.Filename
	}
	if _, err := c.Finance.ImportSettlement(r.Context(), r.PostFormValue("channel_id"), name, data); err != nil {
		return "", "", err
	}
	return "", "flash.imported", nil
}

type statementsData struct {
	Artisans []catalog.Artisan
	Next     string
}

func (c *Console) statements(r *http.Request) (any, error) {
	p, err := firstPage(r, 100)
	if err != nil {
		return nil, err
	}
	page, err := c.Catalog.ListArtisans(r.Context(), catalog.ArtisanFilter{}, p)
	if err != nil {
		return nil, err
	}
	return statementsData{Artisans: page.Items, Next: page.NextCursor}, nil
}

type statementData struct {
	Artisan   catalog.Artisan
	Statement finance.Statement
}

func (c *Console) statement(r *http.Request) (any, error) {
	ctx := r.Context()
	a, err := c.Catalog.GetArtisan(ctx, r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	st, err := c.Finance.ArtisanStatement(ctx, a.ID)
	if err != nil {
		return nil, err
	}
	return statementData{Artisan: a, Statement: st}, nil
}

// printStatement is the artisan's printable A4 statement (package
// statements), in the console's language.
func (c *Console) printStatement(w http.ResponseWriter, r *http.Request, lang string) error {
	ctx := r.Context()
	a, err := c.Catalog.GetArtisan(ctx, r.PathValue("id"))
	if err != nil {
		return err
	}
	st, err := c.Finance.ArtisanStatement(ctx, a.ID)
	if err != nil {
		return err
	}
	now := c.Now()
	page, err := statements.HTML(statements.Input{Statement: st, Name: a.Name, Code: a.Code, Language: lang, AsOf: civil.Of(now), Generated: now})
	if err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	body := page
	if acceptsGzip(r) {
		h.Set("Content-Encoding", "gzip")
		body = gzipBytes(page)
	}
	w.Write(body)
	return nil
}

type payoutsData struct {
	Batches []finance.PayoutBatch
}

func (c *Console) payouts(r *http.Request) (any, error) {
	bs, err := c.Payouts.List(r.Context())
	return payoutsData{Batches: bs}, err
}

func (c *Console) draftBatch(r *http.Request) (string, string, error) {
	f := readForm(r)
	in := finance.CreateBatchInput{MinPaise: f.int("min_paise", "min_paise")}
	if err := f.err(); err != nil {
		return "", "", err
	}
	b, err := c.Payouts.Create(r.Context(), in)
	if err != nil {
		return "", "", err
	}
	return "/finance/payouts/" + b.ID, "flash.drafted", nil
}

type batchData struct {
	Batch    finance.PayoutBatch
	Lines    []finance.PayoutLine
	Artisans map[string]catalog.Artisan
	Next     string
	// Mine is whether the visitor drafted it: the checker is someone else.
	Mine bool
}

func (c *Console) batch(r *http.Request) (any, error) {
	ctx := r.Context()
	b, err := c.Payouts.Get(ctx, r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	p, err := firstPage(r, 100)
	if err != nil {
		return nil, err
	}
	lines, err := c.Payouts.Lines(ctx, b.ID, p)
	if err != nil {
		return nil, err
	}
	d := batchData{Batch: b, Lines: lines.Items, Next: lines.NextCursor, Artisans: map[string]catalog.Artisan{}, Mine: b.CreatedBy == reqctx.ActorFrom(ctx).ID}
	for _, l := range lines.Items {
		if _, ok := d.Artisans[l.ArtisanID]; ok {
			continue
		}
		if a, err := c.Catalog.GetArtisan(ctx, l.ArtisanID); err == nil {
			d.Artisans[l.ArtisanID] = a
		}
	}
	return d, nil
}

func (c *Console) approveBatch(r *http.Request) (string, string, error) {
	if _, err := c.Payouts.Approve(r.Context(), r.PathValue("id"), struct{}{}); err != nil {
		return "", "", err
	}
	return "", "flash.approved", nil
}

// bankFile answers the NEFT file of an approved batch, the one place full
// account numbers go (a download, never a page).
func (c *Console) bankFile(w http.ResponseWriter, r *http.Request) error {
	var buf bytes.Buffer
	if err := c.Payouts.BankFile(r.Context(), r.PathValue("id"), &buf); err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", "text/csv; charset=utf-8")
	h.Set("Content-Disposition", `attachment; filename="payout-`+r.PathValue("id")+`.csv"`)
	h.Set("Cache-Control", "no-store")
	w.Write(buf.Bytes())
	return nil
}

func (c *Console) trialBalance(r *http.Request) (any, error) {
	return c.Finance.TrialBalance(r.Context())
}
