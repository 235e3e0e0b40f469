package sms_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/jkhhc/artisanbridge/adapters/sms"
	"github.com/jkhhc/artisanbridge/internal/messages"
	"github.com/jkhhc/artisanbridge/internal/notify"
)

const peID = "1201159000000000001"

func catalog(t *testing.T) *messages.Catalog {
	t.Helper()
	ids, err := messages.ParseTemplateIDs("payout_failed.en=1107160000000000101,payout_failed.ur=1107160000000000102")
	if err != nil {
		t.Fatal(err)
	}
	c, err := messages.Default(nil).WithTemplateIDs(ids)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestGateway(t *testing.T) {
	c := catalog(t)
	english, _ := c.Compose(messages.English, messages.PaymentFailed{AmountPaise: 2_500_00})
	tests := []struct {
		status      int
		wantErr     bool
		undelivered bool
	}{
		{http.StatusOK, false, false},
		{http.StatusAccepted, false, false},
		{http.StatusBadRequest, true, true},       // a bad number: never deliverable
		{http.StatusTooManyRequests, true, false}, // throttled: retry
		{http.StatusBadGateway, true, false},
	}
	for _, tc := range tests {
		var got sms.Request
		var auth string
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			auth = r.Header.Get("Authorization")
			_ = json.NewDecoder(r.Body).Decode(&got)
			w.WriteHeader(tc.status)
		}))
		g := &sms.Gateway{URL: srv.URL, APIKey: "k-123", Sender: "JKHHCA", EntityID: peID, Templates: c}
		err := g.Send(context.Background(), notify.Message{To: "+919906012345", Text: english.Text})
		srv.Close()
		if (err != nil) != tc.wantErr || errors.Is(err, notify.ErrUndeliverable) != tc.undelivered {
			t.Errorf("status %d: %v", tc.status, err)
		}
		want := sms.Request{Sender: "JKHHCA", To: "+919906012345", Message: english.Text, EntityID: peID, TemplateID: "1107160000000000101", Type: "text"}
		if got != want || auth != "Bearer k-123" {
			t.Errorf("status %d: gateway received %+v with %q", tc.status, got, auth)
		}
	}
	g := &sms.Gateway{URL: "http://127.0.0.1:1/unreachable", APIKey: "k", Sender: "JKHHC", EntityID: peID, Templates: c}
	if err := g.Send(context.Background(), notify.Message{To: "1", Text: english.Text}); err == nil || errors.Is(err, notify.ErrUndeliverable) {
		t.Errorf("an unreachable gateway: %v (want a retryable error)", err)
	}
}

// An Urdu message goes as unicode with its own template id.
func TestUnicodeAndDLTRefusals(t *testing.T) {
	c := catalog(t)
	var got sms.Request
	calls := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls++
		_ = json.NewDecoder(r.Body).Decode(&got)
	}))
	defer srv.Close()
	g := &sms.Gateway{URL: srv.URL, APIKey: "k", Sender: "JKHHCA", EntityID: peID, Templates: c}
	urdu, _ := c.Compose(messages.Urdu, messages.PaymentFailed{AmountPaise: 2_500_00})
	if err := g.SendSMS(context.Background(), sms.FromMessage("+919906012345", urdu)); err != nil {
		t.Fatal(err)
	}
	if got.Type != "unicode" || got.TemplateID != "1107160000000000102" || got.Message != urdu.Text {
		t.Fatalf("urdu: %+v", got)
	}
	if err := g.Send(context.Background(), notify.Message{To: "1", Text: urdu.Text}); err != nil || got.Type != "unicode" {
		t.Fatalf("a stored Urdu text: %v %+v", err, got)
	}
	sent := calls
	hindi, _ := c.Compose(messages.Hindi, messages.PaymentFailed{AmountPaise: 100})
	for name, send := range map[string]func() error{
		"an unregistered template": func() error { return g.SendSMS(context.Background(), sms.FromMessage("1", hindi)) },
		"a text off every template": func() error {
			return g.Send(context.Background(), notify.Message{To: "1", Text: "JKHHC: free shawls for everyone"})
		},
		"no entity id": func() error {
			return (&sms.Gateway{URL: srv.URL, Templates: c}).SendSMS(context.Background(), sms.FromMessage("1", urdu))
		},
		"no templates": func() error {
			return (&sms.Gateway{URL: srv.URL, EntityID: peID}).Send(context.Background(), notify.Message{To: "1", Text: urdu.Text})
		},
	} {
		if err := send(); !errors.Is(err, notify.ErrUndeliverable) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if calls != sent {
		t.Fatal("a message DLT would block reached the gateway")
	}
}
