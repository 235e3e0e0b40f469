// Package sim is a RazorpayX Payouts simulator: POST /v1/payouts (the
// composite call and fund_account_id), GET /v1/payouts/{id} and GET
// /v1/payouts?account_number=&reference_id= on their real paths and shapes,
// basic auth with the key id and secret, the mandatory X-Payout-Idempotency
// header honoured as RazorpayX documents it (the same key and body answer
// the same payout, in its latest state, for 7 days; the same key with
// another body is a BAD_REQUEST_ERROR), per-operation token buckets
// answering 429, and signed webhooks (X-Razorpay-Signature, HMAC-SHA256 of
// the raw body; X-Razorpay-Event-Id) posted to a configured URL and
// retried until it answers 2xx. Payouts start processing and are settled by
// the simulated bank: processed with a UTR, reversed or failed.
//
// Faults are injected under /_sim/: the shared ones (POST /_sim/faults:
// rate_429, rate_5xx, latency_ms) and the payout ones (POST
// /_sim/payout-faults): connections dropped before or after a payout is
// made (a timeout after RazorpayX accepted), 504s after it is made, payouts
// the bank fails or reverses, and webhooks duplicated, reordered, delayed
// or dropped. Faults are drawn from a seeded source.
package sim

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jkhhc/artisanbridge/adapters"
	"github.com/jkhhc/artisanbridge/adapters/razorpayx"
	"github.com/jkhhc/artisanbridge/adapters/simkit"
)

// Fixed simulator credentials, as the marketplace simulators have.
const (
	KeyID         = "rzp_test_simkey"
	KeySecret     = "sim-secret"
	AccountNumber = "7878780080316316"
	AccountID     = "acc_SimJKHHC00001"
	WebhookSecret = "sim-webhook-secret"
)

// IdempotencyWindow is how long RazorpayX honours an idempotency key.
const IdempotencyWindow = 7 * 24 * time.Hour

// Config tunes a simulator.
type Config struct {
	Limits map[adapters.Operation]adapters.Limit // default 10 a second per operation, burst 10
	Seed   uint64
	Now    func() time.Time
	// WebhookURL receives the events; empty sends none.
	WebhookURL    string
	WebhookSecret string // default WebhookSecret
	WebhookClient *http.Client
	// WebhookAttempts bounds the retries of one delivery (default 8; RazorpayX retries for 24 hours).
	WebhookAttempts int
	// SettleAfter makes the bank settle a processing payout this long after
	// it was made (checked on every call); 0 leaves payouts processing until
	// POST /_sim/settle or Settle.
	SettleAfter time.Duration
}

// PayoutFaults are the payout-specific faults (POST /_sim/payout-faults).
type PayoutFaults struct {
	RateDropBeforeCreate float64 `json:"rate_drop_before_create"` // the connection closes, nothing made
	RateDropAfterCreate  float64 `json:"rate_drop_after_create"`  // the payout is made, the connection closes: the client times out
	Rate504AfterCreate   float64 `json:"rate_504_after_create"`   // the payout is made, a 504 answers
	RateFail             float64 `json:"rate_fail"`               // the bank fails a payout when settling
	RateReverse          float64 `json:"rate_reverse"`            // the beneficiary bank returns it
	RateWebhookDuplicate float64 `json:"rate_webhook_duplicate"`
	RateWebhookDrop      float64 `json:"rate_webhook_drop"`
	WebhookReorder       bool    `json:"webhook_reorder"` // each event is held back until the next one has gone
	WebhookDelayMS       int     `json:"webhook_delay_ms"`
}

type payout struct {
	razorpayx.Payout
	plan      string // processed, reversed, failed: what the bank will do
	planWhy   string
	createdAt time.Time
}

type idempotent struct {
	bodyHash [32]byte
	payoutID string
	first    time.Time
}

// Delivery is one webhook event as the simulator sent it (GET /_sim/webhooks).
type Delivery struct {
	EventID  string `json:"event_id"`
	Event    string `json:"event"`
	PayoutID string `json:"payout_id"`
	Status   string `json:"status"`
	Copies   int    `json:"copies"`   // how many times it was posted (duplicates included)
	Attempts int    `json:"attempts"` // posts made, failed ones included
	Dropped  bool   `json:"dropped"`
	Answered int    `json:"answered"` // the receiver's last status code
}

// Sim is one simulated RazorpayX account.
type Sim struct {
	cfg       Config
	kit       *simkit.Kit
	faults    PayoutFaults
	payouts   map[string]*payout
	order     []string
	keys      map[string]*idempotent
	fundAccts map[string]string
	plans     map[string]plan // by reference id: what the bank does to that payout
	seq       int
	events    []*Delivery
	held      *outgoing
	hooks     chan outgoing
	inflight  sync.WaitGroup
	done      chan struct{}
	closeOnce sync.Once
	mux       *http.ServeMux
}

type plan struct{ status, reason string }

type outgoing struct {
	d    *Delivery
	body []byte
}

// New returns a simulator; Close stops its webhook sender.
func New(cfg Config) *Sim {
	if cfg.Limits == nil {
		cfg.Limits = map[adapters.Operation]adapters.Limit{
			razorpayx.OpCreatePayout: {Rate: 10, Burst: 10}, razorpayx.OpGetPayout: {Rate: 10, Burst: 10}, razorpayx.OpListPayouts: {Rate: 10, Burst: 10}}
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.WebhookSecret == "" {
		cfg.WebhookSecret = WebhookSecret
	}
	if cfg.WebhookClient == nil {
		cfg.WebhookClient = &http.Client{Timeout: 10 * time.Second}
	}
	if cfg.WebhookAttempts <= 0 {
		cfg.WebhookAttempts = 8
	}
	s := &Sim{cfg: cfg, kit: simkit.New(cfg.Limits, cfg.Seed, cfg.Now), payouts: map[string]*payout{}, keys: map[string]*idempotent{},
		fundAccts: map[string]string{}, plans: map[string]plan{}, hooks: make(chan outgoing, 1024), done: make(chan struct{})}
	m := http.NewServeMux()
	m.HandleFunc("POST /v1/payouts", s.create)
	m.HandleFunc("GET /v1/payouts/{id}", s.get)
	m.HandleFunc("GET /v1/payouts", s.list)
	s.kit.Register(m, func(w http.ResponseWriter, status int, msg string) { apiError(w, status, "BAD_REQUEST_ERROR", msg, "") })
	m.HandleFunc("POST /_sim/payout-faults", s.simFaults)
	m.HandleFunc("POST /_sim/plans", s.simPlan)
	m.HandleFunc("POST /_sim/settle", s.simSettle)
	m.HandleFunc("POST /_sim/payouts/{id}/settle", s.simSettleOne)
	m.HandleFunc("GET /_sim/payouts", s.simPayouts)
	m.HandleFunc("GET /_sim/webhooks", s.simWebhooks)
	m.HandleFunc("POST /_sim/webhooks/flush", func(w http.ResponseWriter, r *http.Request) {
		s.FlushWebhooks()
		simkit.WriteJSON(w, http.StatusOK, map[string]bool{"flushed": true})
	})
	s.mux = m
	go s.sender()
	if cfg.SettleAfter > 0 {
		go s.bank()
	}
	return s
}

// bank settles due payouts by itself, as a real bank does with no one
// calling: a service that waits for webhooks gets them.
func (s *Sim) bank() {
	t := time.NewTicker(max(s.cfg.SettleAfter/5, 100*time.Millisecond))
	defer t.Stop()
	for {
		select {
		case <-s.done:
			return
		case <-t.C:
			s.kit.Lock()
			s.settleDue()
			s.kit.Unlock()
		}
	}
}

func (s *Sim) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// Close stops the webhook sender after the events queued have gone.
func (s *Sim) Close() {
	s.closeOnce.Do(func() {
		s.FlushWebhooks()
		s.inflight.Wait()
		close(s.done)
	})
}

// Kit is the shared fault and rate-limit kit (for tests).
func (s *Sim) Kit() *simkit.Kit { return s.kit }

// SetFaults replaces the payout faults.
func (s *Sim) SetFaults(f PayoutFaults) {
	s.kit.Lock()
	s.faults = f
	s.kit.Unlock()
}

func apiError(w http.ResponseWriter, status int, code, desc, field string) {
	simkit.WriteJSON(w, status, razorpayx.ErrorBody{Error: razorpayx.APIError{Code: code, Description: desc, Source: "business",
		Step: "payout_initiation", Reason: "input_validation_failed", Field: field, Metadata: map[string]any{}}})
}

func (s *Sim) authorised(w http.ResponseWriter, r *http.Request) bool {
	id, secret, ok := r.BasicAuth()
	if !ok || id != KeyID || secret != KeySecret {
		apiError(w, http.StatusUnauthorized, "BAD_REQUEST_ERROR", "The API key provided is invalid", "")
		return false
	}
	return true
}

// admit applies the rate limit and the injected 429s and 5xx; it reports
// whether the call goes on. Callers hold the lock.
func (s *Sim) admit(w http.ResponseWriter, op adapters.Operation) bool {
	switch s.kit.Admit(op) {
	case simkit.Throttle:
		apiError(w, http.StatusTooManyRequests, "BAD_REQUEST_ERROR", "Too many requests", "")
		return false
	case simkit.Fail5xx:
		apiError(w, http.StatusInternalServerError, "SERVER_ERROR", "The server encountered an error. The incident has been reported to admins.", "")
		return false
	}
	return true
}

var keyPattern = regexp.MustCompile(`^[A-Za-z0-9_\- ]{4,36}$`)
var narrationPattern = regexp.MustCompile(`^[A-Za-z0-9 ]{0,30}$`)

func (s *Sim) create(w http.ResponseWriter, r *http.Request) {
	if !s.authorised(w, r) {
		return
	}
	s.kit.Sleep()
	raw, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		apiError(w, http.StatusBadRequest, "BAD_REQUEST_ERROR", "The request body could not be read", "")
		return
	}
	key := r.Header.Get("X-Payout-Idempotency")
	s.kit.Lock()
	s.settleDue()
	if key == "" {
		s.kit.Unlock()
		apiError(w, http.StatusBadRequest, "BAD_REQUEST_ERROR", "Idempotency key is missing. Include idempotency header and key in the request.", "X-Payout-Idempotency")
		return
	}
	if !keyPattern.MatchString(key) {
		s.kit.Unlock()
		apiError(w, http.StatusBadRequest, "BAD_REQUEST_ERROR", "The idempotency key must be 4 to 36 letters, digits, hyphens, underscores or spaces.", "X-Payout-Idempotency")
		return
	}
	if !s.admit(w, razorpayx.OpCreatePayout) {
		s.kit.Unlock()
		return
	}
	if s.kit.Rand().Float64() < s.faults.RateDropBeforeCreate {
		s.kit.Unlock()
		drop(w)
		return
	}
	hash := bodyHash(raw)
	now := s.cfg.Now()
	if prev, ok := s.keys[key]; ok && now.Sub(prev.first) < IdempotencyWindow {
		if prev.bodyHash != hash {
			s.kit.Unlock()
			apiError(w, http.StatusBadRequest, "BAD_REQUEST_ERROR", "Different request body sent for the same idempotency key.", "X-Payout-Idempotency")
			return
		}
		p := s.payouts[prev.payoutID].Payout
		s.kit.Unlock()
		simkit.WriteJSON(w, http.StatusOK, p) // the latest state of the payout the first request made
		return
	}
	var req razorpayx.CreatePayout
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		s.kit.Unlock()
		apiError(w, http.StatusBadRequest, "BAD_REQUEST_ERROR", "The request body is not valid JSON for a payout: "+err.Error(), "")
		return
	}
	faID, field, msg := s.validate(req)
	if msg != "" {
		s.kit.Unlock()
		apiError(w, http.StatusBadRequest, "BAD_REQUEST_ERROR", msg, field)
		return
	}
	s.seq++
	p := &payout{createdAt: now, Payout: razorpayx.Payout{ID: fmt.Sprintf("pout_Sim%010d", s.seq), Entity: "payout", FundAccountID: faID,
		Amount: req.Amount, Currency: "INR", Notes: req.Notes, Status: razorpayx.StatusProcessing, Mode: req.Mode, Purpose: req.Purpose,
		ReferenceID: req.ReferenceID, Narration: req.Narration, CreatedAt: now.Unix(),
		StatusDetails: &razorpayx.StatusDetails{Description: "Payout is being processed by the partner bank.", Source: "bank", Reason: "payout_processing"}}}
	if p.Notes == nil {
		p.Notes = map[string]string{}
	}
	p.plan, p.planWhy = s.planFor(req.ReferenceID)
	s.payouts[p.ID] = p
	s.order = append(s.order, p.ID)
	s.keys[key] = &idempotent{bodyHash: hash, payoutID: p.ID, first: now}
	s.emit("payout.initiated", p)
	after := s.kit.Rand().Float64()
	out := p.Payout
	faults := s.faults
	s.kit.Unlock()
	switch {
	case after < faults.RateDropAfterCreate:
		drop(w)
	case after < faults.RateDropAfterCreate+faults.Rate504AfterCreate:
		apiError(w, http.StatusGatewayTimeout, "GATEWAY_ERROR", "Gateway timeout", "")
	default:
		simkit.WriteJSON(w, http.StatusOK, out)
	}
}

// bodyHash compares bodies as JSON, so whitespace alone is not "another body".
func bodyHash(raw []byte) [32]byte {
	var buf bytes.Buffer
	if json.Compact(&buf, raw) == nil {
		raw = buf.Bytes()
	}
	return sha256.Sum256(raw)
}

// drop closes the connection without an answer, as a lost response does.
func drop(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			_ = conn.Close()
			return
		}
	}
	panic(http.ErrAbortHandler)
}

var ifscPattern = regexp.MustCompile(`^[A-Z]{4}0[A-Z0-9]{6}$`)

// validate checks a payout as RazorpayX does; it returns the fund account
// id, or the field and message of the first refusal. Callers hold the lock.
func (s *Sim) validate(req razorpayx.CreatePayout) (faID, field, msg string) {
	switch {
	case req.AccountNumber != AccountNumber:
		return "", "account_number", "The account number is invalid: pass your RazorpayX account number, not the beneficiary's."
	case req.Amount < 100:
		return "", "amount", "The amount must be at least INR 1.00"
	case req.Currency != "INR":
		return "", "currency", "Currency is not supported"
	case req.Mode != "NEFT" && req.Mode != "IMPS" && req.Mode != "RTGS":
		return "", "mode", "The mode is invalid for a bank account"
	case req.Mode == "RTGS" && req.Amount < 2_00_000_00:
		return "", "mode", "RTGS is for amounts of INR 2,00,000 or more"
	case !validPurpose(req.Purpose):
		return "", "purpose", "The purpose is invalid"
	case len(req.ReferenceID) > 40:
		return "", "reference_id", "The reference id may be at most 40 characters"
	case !narrationPattern.MatchString(req.Narration):
		return "", "narration", "The narration may be at most 30 letters, digits and spaces"
	case len(req.Notes) > 15:
		return "", "notes", "At most 15 notes"
	}
	if req.FundAccountID != "" {
		if req.FundAccount != nil {
			return "", "fund_account", "Pass either fund_account_id or fund_account, not both"
		}
		for _, id := range s.fundAccts {
			if id == req.FundAccountID {
				return id, "", ""
			}
		}
		return "", "fund_account_id", "The id provided does not exist"
	}
	fa := req.FundAccount
	switch {
	case fa == nil:
		return "", "fund_account_id", "The fund account id field is required"
	case fa.AccountType != "bank_account" || fa.BankAccount == nil:
		return "", "fund_account.account_type", "The account type is invalid"
	case len(strings.TrimSpace(fa.BankAccount.Name)) < 3:
		return "", "fund_account.bank_account.name", "The name must be at least 3 characters"
	case !ifscPattern.MatchString(fa.BankAccount.IFSC):
		return "", "fund_account.bank_account.ifsc", "The ifsc must be a valid IFSC code"
	case len(fa.BankAccount.AccountNumber) < 5 || len(fa.BankAccount.AccountNumber) > 35 || strings.Trim(fa.BankAccount.AccountNumber, "0123456789") != "":
		return "", "fund_account.bank_account.account_number", "The account number must be 5 to 35 digits"
	case strings.TrimSpace(fa.Contact.Name) == "":
		return "", "fund_account.contact.name", "The contact name is required"
	}
	details := strings.Join([]string{fa.BankAccount.Name, fa.BankAccount.IFSC, fa.BankAccount.AccountNumber, fa.Contact.Name, fa.Contact.Type, fa.Contact.ReferenceID, fa.Contact.Contact, fa.Contact.Email}, "\x00")
	id, ok := s.fundAccts[details]
	if !ok { // the same details find the same fund account, as the composite call does
		id = fmt.Sprintf("fa_Sim%010d", len(s.fundAccts)+1)
		s.fundAccts[details] = id
	}
	return id, "", ""
}

func validPurpose(p string) bool {
	switch p {
	case "payout", "refund", "cashback", "salary", "utility bill", "vendor bill":
		return true
	}
	return false
}

// planFor draws what the bank will do to a new payout. Callers hold the lock.
func (s *Sim) planFor(ref string) (string, string) {
	if p, ok := s.plans[ref]; ok {
		return p.status, p.reason
	}
	x := s.kit.Rand().Float64()
	switch {
	case x < s.faults.RateFail:
		return razorpayx.StatusFailed, "Beneficiary bank is offline."
	case x < s.faults.RateFail+s.faults.RateReverse:
		return razorpayx.StatusReversed, "The beneficiary account is closed or frozen."
	}
	return razorpayx.StatusProcessed, ""
}

func (s *Sim) get(w http.ResponseWriter, r *http.Request) {
	if !s.authorised(w, r) {
		return
	}
	s.kit.Sleep()
	s.kit.Lock()
	s.settleDue()
	if !s.admit(w, razorpayx.OpGetPayout) {
		s.kit.Unlock()
		return
	}
	p, ok := s.payouts[r.PathValue("id")]
	var out razorpayx.Payout
	if ok {
		out = p.Payout
	}
	s.kit.Unlock()
	if !ok {
		apiError(w, http.StatusBadRequest, "BAD_REQUEST_ERROR", "The id provided does not exist", "id")
		return
	}
	simkit.WriteJSON(w, http.StatusOK, out)
}

func (s *Sim) list(w http.ResponseWriter, r *http.Request) {
	if !s.authorised(w, r) {
		return
	}
	q := r.URL.Query()
	s.kit.Sleep()
	s.kit.Lock()
	s.settleDue()
	if !s.admit(w, razorpayx.OpListPayouts) {
		s.kit.Unlock()
		return
	}
	if q.Get("account_number") != AccountNumber {
		s.kit.Unlock()
		apiError(w, http.StatusBadRequest, "BAD_REQUEST_ERROR", "The account number field is required", "account_number")
		return
	}
	count := 10
	if c, err := strconv.Atoi(q.Get("count")); err == nil && c >= 1 && c <= 100 {
		count = c
	}
	col := razorpayx.Collection{Entity: "collection", Items: []razorpayx.Payout{}}
	for i := len(s.order) - 1; i >= 0 && len(col.Items) < count; i-- { // newest first
		p := s.payouts[s.order[i]]
		if ref := q.Get("reference_id"); ref != "" && p.ReferenceID != ref {
			continue
		}
		if st := q.Get("status"); st != "" && p.Status != st {
			continue
		}
		col.Items = append(col.Items, p.Payout)
	}
	col.Count = len(col.Items)
	s.kit.Unlock()
	simkit.WriteJSON(w, http.StatusOK, col)
}

// settleDue settles the payouts older than SettleAfter. Callers hold the lock.
func (s *Sim) settleDue() {
	if s.cfg.SettleAfter <= 0 {
		return
	}
	now := s.cfg.Now()
	for _, id := range s.order {
		if p := s.payouts[id]; p.Status == razorpayx.StatusProcessing && now.Sub(p.createdAt) >= s.cfg.SettleAfter {
			s.settle(p, p.plan, p.planWhy)
		}
	}
}

// settle moves a processing payout to its final state. Callers hold the lock.
func (s *Sim) settle(p *payout, status, reason string) {
	if p.Status != razorpayx.StatusProcessing {
		return
	}
	p.Status = status
	switch status {
	case razorpayx.StatusProcessed:
		utr := fmt.Sprintf("SIMN%012d", 500000000000+s.kit.Rand().Int64N(1e11))
		p.UTR = &utr
		p.Fees, p.Tax = 500, 90
		p.StatusDetails = &razorpayx.StatusDetails{Description: "Payout is processed and the money has been credited into the beneficiaries account", Source: "beneficiary_bank", Reason: "payout_processed"}
		s.emit("payout.processed", p)
	case razorpayx.StatusReversed:
		p.StatusDetails = &razorpayx.StatusDetails{Description: reason, Source: "beneficiary_bank", Reason: "beneficiary_bank_rejected"}
		s.emit("payout.reversed", p)
	default:
		p.Status = razorpayx.StatusFailed
		p.StatusDetails = &razorpayx.StatusDetails{Description: reason, Source: "beneficiary_bank", Reason: "bank_window_closed"}
		s.emit("payout.failed", p)
	}
}

// Settle has the bank settle every processing payout as planned; it
// returns how many it settled.
func (s *Sim) Settle() int {
	s.kit.Lock()
	defer s.kit.Unlock()
	n := 0
	for _, id := range s.order {
		if p := s.payouts[id]; p.Status == razorpayx.StatusProcessing {
			s.settle(p, p.plan, p.planWhy)
			n++
		}
	}
	return n
}

// Plan sets what the bank does to the payout carrying reference ref:
// processed, reversed or failed (with reason), whenever it is made.
func (s *Sim) Plan(ref, status, reason string) error {
	if status != razorpayx.StatusProcessed && status != razorpayx.StatusReversed && status != razorpayx.StatusFailed {
		return fmt.Errorf("plan: status must be processed, reversed or failed")
	}
	s.kit.Lock()
	defer s.kit.Unlock()
	s.plans[ref] = plan{status, reason}
	for _, p := range s.payouts {
		if p.ReferenceID == ref && p.Status == razorpayx.StatusProcessing {
			p.plan, p.planWhy = status, reason
		}
	}
	return nil
}

// Payouts returns every payout made, oldest first.
func (s *Sim) Payouts() []razorpayx.Payout {
	s.kit.Lock()
	defer s.kit.Unlock()
	out := make([]razorpayx.Payout, 0, len(s.order))
	for _, id := range s.order {
		out = append(out, s.payouts[id].Payout)
	}
	return out
}

// Deliveries returns the webhook events made so far.
func (s *Sim) Deliveries() []Delivery {
	s.kit.Lock()
	defer s.kit.Unlock()
	out := make([]Delivery, len(s.events))
	for i, d := range s.events {
		out[i] = *d
	}
	return out
}

// SetWebhookURL points the webhooks at url (a service that learns its own
// address only once it listens).
func (s *Sim) SetWebhookURL(url string) {
	s.kit.Lock()
	defer s.kit.Unlock()
	s.cfg.WebhookURL = url
}

// emit makes a webhook event for p's current state and queues it with the
// webhook faults applied. Callers hold the lock.
func (s *Sim) emit(event string, p *payout) {
	if s.cfg.WebhookURL == "" {
		return
	}
	d := &Delivery{EventID: fmt.Sprintf("evt_Sim%010d", len(s.events)+1), Event: event, PayoutID: p.ID, Status: p.Status}
	s.events = append(s.events, d)
	body, _ := json.Marshal(eventBody(event, p.Payout, s.cfg.Now()))
	if s.kit.Rand().Float64() < s.faults.RateWebhookDrop {
		d.Dropped = true
		return
	}
	copies := 1
	if s.kit.Rand().Float64() < s.faults.RateWebhookDuplicate {
		copies = 2
	}
	for i := 0; i < copies; i++ {
		o := outgoing{d: d, body: body}
		if s.faults.WebhookReorder && s.held == nil {
			s.held = &o // goes after the next event
			continue
		}
		s.enqueue(o)
		if s.held != nil && s.held.d != d {
			s.enqueue(*s.held)
			s.held = nil
		}
	}
}

func eventBody(event string, p razorpayx.Payout, at time.Time) map[string]any {
	return map[string]any{"entity": "event", "account_id": AccountID, "event": event, "contains": []string{"payout"},
		"payload": map[string]any{"payout": map[string]any{"entity": p}}, "created_at": at.Unix()}
}

// enqueue hands an event to the sender. Callers hold the lock.
func (s *Sim) enqueue(o outgoing) {
	s.inflight.Add(1)
	select {
	case s.hooks <- o:
	default:
		go func() { s.hooks <- o }() // a full queue never blocks the API
	}
}

// FlushWebhooks sends an event held back for reordering.
func (s *Sim) FlushWebhooks() {
	s.kit.Lock()
	if s.held != nil {
		s.enqueue(*s.held)
		s.held = nil
	}
	s.kit.Unlock()
}

// WaitWebhooks waits until every queued event has been posted (or given up on).
func (s *Sim) WaitWebhooks() { s.inflight.Wait() }

func (s *Sim) sender() {
	for {
		select {
		case <-s.done:
			return
		case o := <-s.hooks:
			s.post(o)
			s.inflight.Done()
		}
	}
}

// post delivers one event, retrying with backoff until a 2xx.
func (s *Sim) post(o outgoing) {
	s.kit.Lock()
	delay := time.Duration(s.faults.WebhookDelayMS) * time.Millisecond
	s.kit.Unlock()
	if delay > 0 {
		time.Sleep(delay)
	}
	sig := razorpayx.SignHex([]byte(s.cfg.WebhookSecret), o.body)
	wait := 20 * time.Millisecond
	for attempt := 1; attempt <= s.cfg.WebhookAttempts; attempt++ {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, s.cfg.WebhookURL, bytes.NewReader(o.body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Razorpay-Signature", sig)
		req.Header.Set("X-Razorpay-Event-Id", o.d.EventID)
		resp, err := s.cfg.WebhookClient.Do(req)
		status := 0
		if err == nil {
			_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
			resp.Body.Close()
			status = resp.StatusCode
		}
		cancel()
		s.kit.Lock()
		o.d.Attempts++
		o.d.Answered = status
		if status >= 200 && status < 300 {
			o.d.Copies++
		}
		s.kit.Unlock()
		if status >= 200 && status < 300 {
			return
		}
		time.Sleep(wait)
		wait *= 2
	}
}

func (s *Sim) simFaults(w http.ResponseWriter, r *http.Request) {
	var f PayoutFaults
	dec := json.NewDecoder(io.LimitReader(r.Body, 1<<16))
	dec.DisallowUnknownFields()
	rates := []float64{}
	if err := dec.Decode(&f); err == nil {
		rates = []float64{f.RateDropBeforeCreate, f.RateDropAfterCreate, f.Rate504AfterCreate, f.RateFail, f.RateReverse, f.RateWebhookDuplicate, f.RateWebhookDrop}
	}
	ok := len(rates) > 0 && f.WebhookDelayMS >= 0 && f.WebhookDelayMS <= 120000 &&
		f.RateDropAfterCreate+f.Rate504AfterCreate <= 1 && f.RateFail+f.RateReverse <= 1
	for _, x := range rates {
		ok = ok && x >= 0 && x <= 1
	}
	if !ok {
		apiError(w, http.StatusBadRequest, "BAD_REQUEST_ERROR", "payout faults: rates between 0 and 1 (drop and 504 after create together at most 1, fail and reverse together at most 1), webhook_delay_ms between 0 and 120000", "")
		return
	}
	s.SetFaults(f)
	simkit.WriteJSON(w, http.StatusOK, f)
}

func (s *Sim) simPlan(w http.ResponseWriter, r *http.Request) {
	var body struct {
		ReferenceID string `json:"reference_id"`
		Status      string `json:"status"`
		Reason      string `json:"reason"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<16)).Decode(&body); err != nil || body.ReferenceID == "" {
		apiError(w, http.StatusBadRequest, "BAD_REQUEST_ERROR", `plans: {"reference_id", "status": processed|reversed|failed, "reason"}`, "")
		return
	}
	if body.Reason == "" {
		body.Reason = "The beneficiary bank refused the transfer."
	}
	if err := s.Plan(body.ReferenceID, body.Status, body.Reason); err != nil {
		apiError(w, http.StatusBadRequest, "BAD_REQUEST_ERROR", err.Error(), "status")
		return
	}
	simkit.WriteJSON(w, http.StatusOK, body)
}

func (s *Sim) simSettle(w http.ResponseWriter, r *http.Request) {
	simkit.WriteJSON(w, http.StatusOK, map[string]int{"settled": s.Settle()})
}

func (s *Sim) simSettleOne(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Status string `json:"status"`
		Reason string `json:"reason"`
	}
	_ = json.NewDecoder(io.LimitReader(r.Body, 1<<16)).Decode(&body)
	s.kit.Lock()
	defer s.kit.Unlock()
	p, ok := s.payouts[r.PathValue("id")]
	switch {
	case !ok:
		apiError(w, http.StatusNotFound, "BAD_REQUEST_ERROR", "The id provided does not exist", "id")
		return
	case p.Status != razorpayx.StatusProcessing:
		apiError(w, http.StatusConflict, "BAD_REQUEST_ERROR", "The payout is "+p.Status+", not processing", "")
		return
	}
	status, reason := p.plan, p.planWhy
	if body.Status != "" {
		status, reason = body.Status, body.Reason
	}
	if status != razorpayx.StatusProcessed && status != razorpayx.StatusReversed && status != razorpayx.StatusFailed {
		apiError(w, http.StatusBadRequest, "BAD_REQUEST_ERROR", "status must be processed, reversed or failed", "status")
		return
	}
	s.settle(p, status, reason)
	simkit.WriteJSON(w, http.StatusOK, p.Payout)
}

func (s *Sim) simPayouts(w http.ResponseWriter, r *http.Request) {
	simkit.WriteJSON(w, http.StatusOK, map[string]any{"items": s.Payouts()})
}

func (s *Sim) simWebhooks(w http.ResponseWriter, r *http.Request) {
	d := s.Deliveries()
	sort.SliceStable(d, func(i, j int) bool { return d[i].EventID < d[j].EventID })
	simkit.WriteJSON(w, http.StatusOK, map[string]any{"items": d})
}
