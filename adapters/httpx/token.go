package httpx

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/oauth2"
)

// TokenCache keeps a marketplace's OAuth 2 access token until Margin
// before it expires, or until the marketplace refuses it, and fetches a
// new one with Fetch when needed, one fetch at a time. An adapter holds
// one for its channel for the life of the process, so every worker of the
// process shares the token.
type TokenCache struct {
	// Fetch obtains a fresh token (an oauth2 token source's grant: client
	// credentials, a refresh token); it is called with the caller's
	// context, so a cancelled job does not wait for the token endpoint.
	Fetch func(ctx context.Context) (*oauth2.Token, error)
	// Margin is how long before its expiry a token is renewed (default a
	// minute, so no call leaves with a token about to lapse).
	Margin time.Duration
	Now    func() time.Time

	mu       sync.Mutex
	token    *oauth2.Token
	obtained time.Time
	fetches  atomic.Int64
}

func (t *TokenCache) now() time.Time {
	if t.Now != nil {
		return t.Now()
	}
	return time.Now()
}

func (t *TokenCache) margin() time.Duration {
	if t.Margin > 0 {
		return t.Margin
	}
	return time.Minute
}

// Token returns the cached token or a fresh one.
func (t *TokenCache) Token(ctx context.Context) (string, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.valid() {
		return t.token.AccessToken, nil
	}
	tok, err := t.Fetch(ctx)
	if err != nil {
		return "", err
	}
	if tok == nil || tok.AccessToken == "" {
		return "", errors.New("token endpoint answered without an access token")
	}
	t.fetches.Add(1)
	t.token, t.obtained = tok, t.now()
	return tok.AccessToken, nil
}

// valid says whether the cached token may still be sent (a token without
// an expiry is kept until refused). A token living less than twice the
// margin is renewed half way through its life instead. t.mu is held.
func (t *TokenCache) valid() bool {
	if t.token == nil || t.token.AccessToken == "" {
		return false
	}
	if t.token.Expiry.IsZero() {
		return true
	}
	margin := min(t.margin(), t.token.Expiry.Sub(t.obtained)/2)
	return t.now().Add(margin).Before(t.token.Expiry)
}

// Fetches is how many tokens this cache obtained.
func (t *TokenCache) Fetches() int64 { return t.fetches.Load() }

// Forget drops the token if it is still the one that was refused.
func (t *TokenCache) Forget(used string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.token != nil && t.token.AccessToken == used {
		t.token = nil
	}
}

// WithToken runs call with a token; if the marketplace refuses the token
// (a StatusError with one of refusedStatuses, 401 when none are given), it
// renews the token once and runs call once more.
func (t *TokenCache) WithToken(ctx context.Context, call func(token string) ([]byte, error), refusedStatuses ...int) ([]byte, error) {
	var body []byte
	var err error
	for attempt := 0; attempt < 2; attempt++ {
		var token string
		if token, err = t.Token(ctx); err != nil {
			return nil, err
		}
		body, err = call(token)
		var se *StatusError
		if attempt == 0 && errors.As(err, &se) && refused(se.Status, refusedStatuses) {
			t.Forget(token)
			continue
		}
		return body, err
	}
	return body, err
}

func refused(status int, statuses []int) bool {
	if len(statuses) == 0 {
		statuses = []int{http.StatusUnauthorized}
	}
	for _, s := range statuses {
		if s == status {
			return true
		}
	}
	return false
}

// ExpiresIn makes an oauth2 token from an endpoint's answer.
func ExpiresIn(access string, seconds int64, now time.Time) *oauth2.Token {
	return &oauth2.Token{AccessToken: access, TokenType: "Bearer", Expiry: now.Add(time.Duration(seconds) * time.Second)}
}
