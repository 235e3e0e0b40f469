package httpx

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"golang.org/x/oauth2"
)

// TestTokenCache: a token is fetched once and kept until a minute before
// it expires; a refused token is fetched again once; other errors are not
// a reason to renew.
func TestTokenCache(t *testing.T) {
	now := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	fetches := 0
	tc := &TokenCache{Now: func() time.Time { return now }, Fetch: func(context.Context) (*oauth2.Token, error) {
		fetches++
		return ExpiresIn(fmt.Sprint("tok", fetches), 3600, now), nil
	}}
	ctx := context.Background()
	for range 3 {
		if tok, _ := tc.Token(ctx); tok != "tok1" {
			t.Fatalf("token %s", tok)
		}
	}
	now = now.Add(59*time.Minute + time.Second)
	if tok, _ := tc.Token(ctx); tok != "tok2" || fetches != 2 || tc.Fetches() != 2 {
		t.Fatalf("near expiry: %s after %d fetches (counted %d)", tok, fetches, tc.Fetches())
	}
	for _, tc2 := range []struct {
		name    string
		status  int
		calls   int
		renewed bool
	}{{"refused", 401, 2, true}, {"server error", 500, 1, false}, {"refused twice", 401, 2, true}} {
		calls, before := 0, fetches
		_, err := tc.WithToken(ctx, func(token string) ([]byte, error) {
			calls++
			if calls == 1 || tc2.name == "refused twice" {
				return nil, &StatusError{Status: tc2.status}
			}
			return []byte("ok"), nil
		}, 401)
		wantErr := tc2.name != "refused"
		if calls != tc2.calls || (fetches > before) != tc2.renewed || (err != nil) != wantErr {
			t.Errorf("%s: %d calls, renewed %v, err %v", tc2.name, calls, fetches > before, err)
		}
	}
}

// TestShortLivedTokens: a token living less than twice the margin is kept
// for half its life, not fetched again on every call.
func TestShortLivedTokens(t *testing.T) {
	now := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	fetches := 0
	tc := &TokenCache{Now: func() time.Time { return now }, Fetch: func(context.Context) (*oauth2.Token, error) {
		fetches++
		return ExpiresIn(fmt.Sprint("tok", fetches), 60, now), nil
	}}
	for _, step := range []struct {
		after time.Duration
		want  string
	}{{0, "tok1"}, {20 * time.Second, "tok1"}, {11 * time.Second, "tok2"}, {29 * time.Second, "tok2"}, {2 * time.Second, "tok3"}} {
		now = now.Add(step.after)
		if tok, err := tc.Token(context.Background()); err != nil || tok != step.want {
			t.Fatalf("after %v more: %s %v, want %s", step.after, tok, err, step.want)
		}
	}
}

// TestTokenCacheShared: many callers at once share one fetch, and a
// refusal seen by several of them renews the token once.
func TestTokenCacheShared(t *testing.T) {
	var mu sync.Mutex
	fetches := 0
	tc := &TokenCache{Fetch: func(context.Context) (*oauth2.Token, error) {
		mu.Lock()
		defer mu.Unlock()
		fetches++
		time.Sleep(10 * time.Millisecond) // a slow token endpoint
		return ExpiresIn(fmt.Sprint("tok", fetches), 3600, time.Now()), nil
	}}
	ctx := context.Background()
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() {
			_, err := tc.WithToken(ctx, func(token string) ([]byte, error) {
				if token == "tok1" {
					return nil, &StatusError{Status: 401}
				}
				return nil, nil
			})
			if err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if fetches != 2 {
		t.Fatalf("%d fetches for 50 callers and one refused token, want 2", fetches)
	}
}
