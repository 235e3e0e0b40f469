package razorpayx

import "time"

// CreatePayout is the body of POST /v1/payouts. With FundAccount set it is
// the composite call (contact, fund account and payout in one request;
// RazorpayX finds an existing contact and fund account with the same
// details instead of making new ones); with FundAccountID, a payout to a
// fund account made before.
type CreatePayout struct {
	AccountNumber     string            `json:"account_number"` // the corporation's RazorpayX account, never the artisan's
	Amount            int64             `json:"amount"`         // paise, at least 100
	Currency          string            `json:"currency"`       // INR
	Mode              string            `json:"mode"`           // NEFT, IMPS, RTGS
	Purpose           string            `json:"purpose"`        // payout
	FundAccountID     string            `json:"fund_account_id,omitempty"`
	FundAccount       *FundAccount      `json:"fund_account,omitempty"`
	QueueIfLowBalance bool              `json:"queue_if_low_balance"`
	ReferenceID       string            `json:"reference_id"` // ours: the line's reference, at most 40 characters
	Narration         string            `json:"narration"`    // on the artisan's bank statement: at most 30 letters, digits and spaces
	Notes             map[string]string `json:"notes,omitempty"`
}

// FundAccount is the composite call's beneficiary.
type FundAccount struct {
	AccountType string       `json:"account_type"` // bank_account
	BankAccount *BankAccount `json:"bank_account"`
	Contact     Contact      `json:"contact"`
}

// BankAccount is the artisan's account.
type BankAccount struct {
	Name          string `json:"name"`
	IFSC          string `json:"ifsc"`
	AccountNumber string `json:"account_number"`
}

// Contact is the artisan as RazorpayX keeps them.
type Contact struct {
	Name        string `json:"name"`
	Type        string `json:"type"` // vendor
	ReferenceID string `json:"reference_id,omitempty"`
	Contact     string `json:"contact,omitempty"`
	Email       string `json:"email,omitempty"`
}

// Payout is the payout entity.
type Payout struct {
	ID            string            `json:"id"`
	Entity        string            `json:"entity"`
	FundAccountID string            `json:"fund_account_id"`
	Amount        int64             `json:"amount"`
	Currency      string            `json:"currency"`
	Notes         map[string]string `json:"notes"`
	Fees          int64             `json:"fees"`
	Tax           int64             `json:"tax"`
	Status        string            `json:"status"`
	UTR           *string           `json:"utr"`
	Mode          string            `json:"mode"`
	Purpose       string            `json:"purpose"`
	ReferenceID   string            `json:"reference_id"`
	Narration     string            `json:"narration"`
	BatchID       *string           `json:"batch_id"`
	FailureReason *string           `json:"failure_reason"`
	StatusDetails *StatusDetails    `json:"status_details"`
	CreatedAt     int64             `json:"created_at"`
}

// StatusDetails says why a payout is where it is.
type StatusDetails struct {
	Description string `json:"description"`
	Source      string `json:"source"`
	Reason      string `json:"reason"`
}

// Created is the payout's creation time.
func (p Payout) Created() time.Time { return time.Unix(p.CreatedAt, 0).UTC() }

// Collection is a list answer (GET /v1/payouts).
type Collection struct {
	Entity string   `json:"entity"`
	Count  int      `json:"count"`
	Items  []Payout `json:"items"`
}

// ErrorBody is every RazorpayX error answer.
type ErrorBody struct {
	Error APIError `json:"error"`
}

// APIError is the error object: code BAD_REQUEST_ERROR, GATEWAY_ERROR,
// SERVER_ERROR or SERVICE_UNAVAILABLE, and what went wrong.
type APIError struct {
	Code        string         `json:"code"`
	Description string         `json:"description"`
	Source      string         `json:"source"`
	Step        string         `json:"step"`
	Reason      string         `json:"reason"`
	Field       string         `json:"field,omitempty"`
	Metadata    map[string]any `json:"metadata"`
}

// Event is a webhook delivery's body.
type Event struct {
	Entity    string       `json:"entity"` // event
	AccountID string       `json:"account_id"`
	Event     string       `json:"event"` // payout.processed, payout.reversed, ...
	Contains  []string     `json:"contains"`
	Payload   EventPayload `json:"payload"`
	CreatedAt int64        `json:"created_at"`
}

// EventPayload carries the payout as it was when the event happened.
type EventPayload struct {
	Payout *struct {
		Entity Payout `json:"entity"`
	} `json:"payout,omitempty"`
}

// Payout statuses (RazorpayX "Payout States").
const (
	StatusQueued     = "queued"
	StatusPending    = "pending"   // waiting for approval (approval workflow)
	StatusScheduled  = "scheduled" // a scheduled payout
	StatusProcessing = "processing"
	StatusProcessed  = "processed"
	StatusReversed   = "reversed"
	StatusCancelled  = "cancelled"
	StatusRejected   = "rejected"
	StatusFailed     = "failed"
)
