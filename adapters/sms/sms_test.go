package sms_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/jkhhc/artisanbridge/adapters/sms"
	"github.com/jkhhc/artisanbridge/internal/notify"
)

func TestGateway(t *testing.T) {
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
		g := &sms.Gateway{URL: srv.URL, APIKey: "k-123", Sender: "JKHHC"}
		err := g.Send(context.Background(), notify.Message{To: "+919906012345", Text: "JKHHC: hello"})
		srv.Close()
		if (err != nil) != tc.wantErr || errors.Is(err, notify.ErrUndeliverable) != tc.undelivered {
			t.Errorf("status %d: %v", tc.status, err)
		}
		if got != (sms.Request{Sender: "JKHHC", To: "+919906012345", Message: "JKHHC: hello"}) || auth != "Bearer k-123" {
			t.Errorf("status %d: gateway received %+v with %q", tc.status, got, auth)
		}
	}
	g := &sms.Gateway{URL: "http://127.0.0.1:1/unreachable", APIKey: "k", Sender: "JKHHC"}
	if err := g.Send(context.Background(), notify.Message{To: "1", Text: "x"}); err == nil || errors.Is(err, notify.ErrUndeliverable) {
		t.Errorf("an unreachable gateway: %v (want a retryable error)", err)
	}
}
