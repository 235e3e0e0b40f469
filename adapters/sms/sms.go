// Package sms sends artisans' messages through an HTTP SMS gateway: a JSON
// POST with what TRAI's DLT rules make every Indian gateway require, the
// sender id (the registered header), the principal entity (PE) id, the
// content template id the text was registered under and the message type
// (unicode for UCS-2 texts in Hindi, Urdu or Kashmiri), authorised by a
// bearer API key. Gateways that spell these fields their own way sit
// behind a small relay. The key is never logged.
package sms

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/jkhhc/artisanbridge/internal/messages"
	"github.com/jkhhc/artisanbridge/internal/notify"
)

// Gateway is a notify.Sender over HTTP.
type Gateway struct {
	URL    string
	APIKey string
	// Sender is the DLT-registered header (at most 11 characters; 6 letters for transactional).
	Sender string
	// EntityID is the corporation's DLT principal entity id.
	EntityID string
	// Templates finds the template a stored text was written from (Send);
	// the built-in catalogue with the configured template ids.
	Templates *messages.Catalog
	Client    *http.Client
}

var _ notify.Sender = (*Gateway)(nil)

// Message types as the gateway takes them.
const (
	TypeText    = "text"    // GSM-7
	TypeUnicode = "unicode" // UCS-2
)

// Request is what the gateway receives.
type Request struct {
	Sender     string `json:"sender"`
	To         string `json:"to"`
	Message    string `json:"message"`
	EntityID   string `json:"dlt_entity_id"`
	TemplateID string `json:"dlt_template_id"`
	Type       string `json:"type"`
}

// SMS is one message with the DLT fields it goes out under.
type SMS struct {
	To         string
	Text       string
	TemplateID string
	Unicode    bool
}

// FromMessage is the SMS of a composed message to a number.
func FromMessage(to string, m messages.Message) SMS {
	return SMS{To: to, Text: m.Text, TemplateID: m.DLTTemplateID, Unicode: m.Unicode()}
}

// Send sends a stored notification under the DLT template it was written
// from; a message kept as text alone goes under the template its text
// matches (as the operator's scrubbing will check). A text no template
// matches, or a template not registered yet, is undeliverable.
func (g *Gateway) Send(ctx context.Context, m notify.Message) error {
	if m.TemplateID != "" {
		return g.SendSMS(ctx, SMS{To: m.To, Text: m.Text, TemplateID: m.TemplateID, Unicode: m.Unicode})
	}
	if g.Templates == nil {
		return fmt.Errorf("sms gateway: no templates configured to find the message's DLT template: %w", notify.ErrUndeliverable)
	}
	t, ok := g.Templates.Match(m.Text)
	if !ok {
		return fmt.Errorf("sms gateway: the text matches no registered DLT template, so operators would block it: %w", notify.ErrUndeliverable)
	}
	return g.SendSMS(ctx, SMS{To: m.To, Text: m.Text, TemplateID: t.DLTTemplateID, Unicode: messages.CountSegments(m.Text).Encoding == messages.UCS2})
}

// SendSMS posts one message. 2xx means the gateway took it; a 4xx other
// than 408 and 429 means it never will (a bad number, a template the
// registrar does not know), anything else is retried.
func (g *Gateway) SendSMS(ctx context.Context, m SMS) error {
	if strings.TrimSpace(g.EntityID) == "" {
		return fmt.Errorf("sms gateway: no DLT entity id configured (ARTISANBRIDGE_SMS_DLT_ENTITY_ID): %w", notify.ErrUndeliverable)
	}
	if messages.IsPlaceholder(m.TemplateID) {
		return fmt.Errorf("sms gateway: template %q is not registered on DLT yet (set ARTISANBRIDGE_SMS_DLT_TEMPLATE_IDS): %w", m.TemplateID, notify.ErrUndeliverable)
	}
	typ := TypeText
	if m.Unicode {
		typ = TypeUnicode
	}
	body, err := json.Marshal(Request{Sender: g.Sender, To: m.To, Message: m.Text, EntityID: g.EntityID, TemplateID: m.TemplateID, Type: typ})
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
