// Package razorpayx pays artisans through RazorpayX Payouts: one payout
// per approved line, created with the composite call (POST /v1/payouts
// with the artisan's bank account), authenticated by basic auth with the
// key id and secret, and sent under the mandatory X-Payout-Idempotency
// header with a key derived from the line alone, so a retried request (a
// timeout after RazorpayX accepted, a 5xx, a 429, a job run again) finds the
// payout the first request made and never pays twice. Status comes back by
// webhook (signed with HMAC-SHA256 over the raw body, X-Razorpay-Signature)
// and by polling (GET /v1/payouts/{id}, or by reference_id when no answer
// ever named the payout). Calls keep within the 5-10 requests a second
// RazorpayX asks for. The key secret, the webhook secret and the artisans'
// account numbers never reach a log or an error.
package razorpayx

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/jkhhc/artisanbridge/adapters"
	"github.com/jkhhc/artisanbridge/adapters/httpx"
)

// DefaultBaseURL is RazorpayX's API host.
const DefaultBaseURL = "https://api.razorpay.com"

// Operations, each with its own limit.
const (
	OpCreatePayout adapters.Operation = "payouts.create"
	OpGetPayout    adapters.Operation = "payouts.get"
	OpListPayouts  adapters.Operation = "payouts.list"
)

// DefaultLimits keep to the low end of the 5-10 requests a second RazorpayX
// asks integrations to stay within.
var DefaultLimits = map[adapters.Operation]adapters.Limit{
	OpCreatePayout: {Rate: 5, Burst: 5},
	OpGetPayout:    {Rate: 5, Burst: 5},
	OpListPayouts:  {Rate: 5, Burst: 5},
}

// Config is one RazorpayX account.
type Config struct {
	BaseURL   string // default DefaultBaseURL
	KeyID     string
	KeySecret string
	// AccountNumber is the corporation's RazorpayX account (current account
	// or RazorpayX Lite) the money leaves from.
	AccountNumber string
	Mode          string // NEFT (default) or IMPS
	// Narration is what the artisan's passbook shows: at most 30 letters,
	// digits and spaces (default "JKHHC artisan payment").
	Narration string
	Limits    map[adapters.Operation]adapters.Limit // default DefaultLimits
	// Timeout bounds each attempt (default 30 s).
	Timeout time.Duration
}

// Client calls the RazorpayX Payouts API.
type Client struct {
	cfg  Config
	http *httpx.Client
}

// New checks the configuration and returns a client sending through hc,
// which retries 429s, 5xx and timeouts with backoff and keeps the shared
// rate limit when it has a Limiter.
func New(cfg Config, hc *httpx.Client) (*Client, error) {
	if cfg.BaseURL == "" {
		cfg.BaseURL = DefaultBaseURL
	}
	if cfg.Mode == "" {
		cfg.Mode = "NEFT"
	}
	if cfg.Narration == "" {
		cfg.Narration = "JKHHC artisan payment"
	}
	if cfg.Limits == nil {
		cfg.Limits = DefaultLimits
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 30 * time.Second
	}
	var problems []string
	if u, err := url.Parse(cfg.BaseURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		problems = append(problems, "base URL must be an https:// URL (http:// only for a simulator)")
	}
	if cfg.KeyID == "" || cfg.KeySecret == "" {
		problems = append(problems, "key id and key secret are required")
	}
	if cfg.AccountNumber == "" {
		problems = append(problems, "the RazorpayX account number the money leaves from is required")
	}
	if cfg.Mode != "NEFT" && cfg.Mode != "IMPS" && cfg.Mode != "RTGS" {
		problems = append(problems, "mode must be NEFT, IMPS or RTGS")
	}
	if len(cfg.Narration) > 30 || strings.Trim(cfg.Narration, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 ") != "" {
		problems = append(problems, "narration must be at most 30 letters, digits and spaces")
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("razorpayx: %s", strings.Join(problems, "; "))
	}
	if hc == nil {
		hc = &httpx.Client{}
	}
	return &Client{cfg: cfg, http: hc}, nil
}

// Error is a RazorpayX answer that was not a success, with its error object.
type Error struct {
	Status int
	API    APIError
}

func (e *Error) Error() string {
	return fmt.Sprintf("razorpayx answered %d %s: %s", e.Status, e.API.Code, e.API.Description)
}

// Refused reports whether RazorpayX refused the request itself (a 4xx
// other than 408 and 429): sending it again cannot help.
func (e *Error) Refused() bool {
	return e.Status >= 400 && e.Status < 500 && e.Status != http.StatusRequestTimeout && e.Status != http.StatusTooManyRequests
}

// CreatePayout sends one payout under its idempotency key. A retry with the
// same key and body answers the payout the first request made.
func (c *Client) CreatePayout(ctx context.Context, key string, body CreatePayout) (Payout, error) {
	payload, err := json.Marshal(body)
	if err != nil {
		return Payout{}, err
	}
	var p Payout
	err = c.call(ctx, OpCreatePayout, func(ctx context.Context) (*http.Request, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.cfg.BaseURL+"/v1/payouts", bytes.NewReader(payload))
		if err != nil {
			return nil, err
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Payout-Idempotency", key)
		return req, nil
	}, &p)
	return p, err
}

// GetPayout fetches one payout by id.
func (c *Client) GetPayout(ctx context.Context, id string) (Payout, error) {
	var p Payout
	err := c.call(ctx, OpGetPayout, func(ctx context.Context) (*http.Request, error) {
		return http.NewRequestWithContext(ctx, http.MethodGet, c.cfg.BaseURL+"/v1/payouts/"+url.PathEscape(id), nil)
	}, &p)
	return p, err
}

// PayoutsByReference lists the account's payouts carrying reference_id ref
// (normally none or one).
func (c *Client) PayoutsByReference(ctx context.Context, ref string) ([]Payout, error) {
	q := url.Values{"account_number": {c.cfg.AccountNumber}, "reference_id": {ref}, "count": {"100"}}
	var col Collection
	err := c.call(ctx, OpListPayouts, func(ctx context.Context) (*http.Request, error) {
		return http.NewRequestWithContext(ctx, http.MethodGet, c.cfg.BaseURL+"/v1/payouts?"+q.Encode(), nil)
	}, &col)
	return col.Items, err
}

func (c *Client) call(ctx context.Context, op adapters.Operation, build func(context.Context) (*http.Request, error), out any) error {
	_, body, err := c.http.Do(ctx, httpx.Request{
		Op: op, Key: "razorpayx:" + c.cfg.KeyID + ":" + string(op), Limit: c.cfg.Limits[op], Timeout: c.cfg.Timeout,
		Build: func(ctx context.Context) (*http.Request, error) {
			req, err := build(ctx)
			if err != nil {
				return nil, err
			}
			req.SetBasicAuth(c.cfg.KeyID, c.cfg.KeySecret)
			req.Header.Set("Accept", "application/json")
			return req, nil
		},
	})
	if err != nil {
		var se *httpx.StatusError
		if errors.As(err, &se) {
			e := &Error{Status: se.Status}
			var eb ErrorBody
			if json.Unmarshal(se.Body, &eb) == nil {
				e.API = eb.Error
			} else {
				e.API.Description = strings.TrimSpace(string(se.Body))
			}
			return e
		}
		return fmt.Errorf("razorpayx %s: %w", op, err)
	}
	if err := json.Unmarshal(body, out); err != nil {
		return fmt.Errorf("razorpayx %s: unreadable answer: %w", op, err)
	}
	return nil
}
