package httpx

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"time"
)

// TokenCache keeps a marketplace's access token until a minute before it
// expires, or until the marketplace refuses it, and fetches a new one
// with Fetch when needed; one fetch at a time.
type TokenCache struct {
	Fetch func(ctx context.Context) (token string, ttl time.Duration, err error)
	Now   func() time.Time

	mu      sync.Mutex
	token   string
	expires time.Time
}

func (t *TokenCache) now() time.Time {
	if t.Now != nil {
		return t.Now()
	}
	return time.Now()
}

// Token returns the cached token or a fresh one.
func (t *TokenCache) Token(ctx context.Context) (string, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.token != "" && t.now().Before(t.expires) {
		return t.token, nil
	}
	tok, ttl, err := t.Fetch(ctx)
	if err != nil {
		return "", err
	}
	t.token, t.expires = tok, t.now().Add(ttl-time.Minute)
	return tok, nil
}

// Forget drops the token if it is still the one that was refused.
func (t *TokenCache) Forget(used string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.token == used {
		t.token = ""
	}
}

// WithToken runs call with a token; if the marketplace refuses the token
// (a StatusError with one of refusedStatuses), it runs call once more with
// a fresh one.
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
