package httpx

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// TestTokenCache: a token is fetched once and kept until a minute before
// it expires; a refused token is fetched again once; other errors are not
// a reason to renew.
func TestTokenCache(t *testing.T) {
	now := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	fetches := 0
	tc := &TokenCache{Now: func() time.Time { return now }, Fetch: func(context.Context) (string, time.Duration, error) {
		fetches++
		return fmt.Sprint("tok", fetches), time.Hour, nil
	}}
	ctx := context.Background()
	for range 3 {
		if tok, _ := tc.Token(ctx); tok != "tok1" {
			t.Fatalf("token %s", tok)
		}
	}
	now = now.Add(59*time.Minute + time.Second)
	if tok, _ := tc.Token(ctx); tok != "tok2" || fetches != 2 {
		t.Fatalf("near expiry: %s after %d fetches", tok, fetches)
	}
	for _, tc2 := range []struct {
		name    string
		status  int
		calls   int
		renewed bool
	}{{"refused", 401, 2, true}, {"server error", 500, 1, false}} {
		calls, before := 0, fetches
		_, err := tc.WithToken(ctx, func(token string) ([]byte, error) {
			calls++
			if calls == 1 {
				return nil, &StatusError{Status: tc2.status}
			}
			return []byte("ok"), nil
		}, 401)
		if calls != tc2.calls || (fetches > before) != tc2.renewed || (tc2.renewed && err != nil) {
			t.Errorf("%s: %d calls, renewed %v, err %v", tc2.name, calls, fetches > before, err)
		}
	}
}
