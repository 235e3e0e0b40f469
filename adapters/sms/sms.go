// Package sms sends artisans' messages through an HTTP SMS gateway: a JSON
// POST with the sender id, the number and the text, authorised by a bearer
// API key. Indian gateways (DLT-registered senders) accept this shape or
// sit behind a small relay that does; the key is never logged.
package sms

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/jkhhc/artisanbridge/internal/notify"
)

// Gateway is a notify.Sender over HTTP.
type Gateway struct {
	URL    string
	APIKey string
	Sender string
	Client *http.Client
}

var _ notify.Sender = (*Gateway)(nil)

// Request is what the gateway receives.
type Request struct {
	Sender  string `json:"sender"`
	To      string `json:"to"`
	Message string `json:"message"`
}

// Send posts one message. 2xx means the gateway took it; a 4xx other than
// 408 and 429 means it never will (a bad number), anything else is retried.
func (g *Gateway) Send(ctx context.Context, m notify.Message) error {
	body, err := json.Marshal(Request{Sender: g.Sender, To: m.To, Message: m.Text})
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, g.URL, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+g.APIKey)
	c := g.Client
	if c == nil {
		c = http.DefaultClient
	}
	resp, err := c.Do(req)
	if err != nil {
		return fmt.Errorf("sms gateway: %w", err)
	}
	defer resp.Body.Close()
	detail, _ := io.ReadAll(io.LimitReader(resp.Body, 300))
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		return nil
	case resp.StatusCode >= 400 && resp.StatusCode < 500 && resp.StatusCode != http.StatusRequestTimeout && resp.StatusCode != http.StatusTooManyRequests:
		return fmt.Errorf("sms gateway refused the message (%d %s): %w", resp.StatusCode, bytes.TrimSpace(detail), notify.ErrUndeliverable)
	}
	return fmt.Errorf("sms gateway answered %d: %s", resp.StatusCode, bytes.TrimSpace(detail))
}
