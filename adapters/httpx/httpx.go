// Package httpx is the outbound HTTP client every marketplace adapter uses:
// a rate limiter shared by every worker process (so ten workers together
// keep to a marketplace's limit), bounded retries of 429, 5xx and network
// failures with exponential backoff and full jitter, Retry-After honoured,
// and response bodies read with a size cap because they are untrusted.
package httpx

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"time"

	"github.com/go-redis/redis_rate/v10"
	"github.com/redis/go-redis/v9"

	"github.com/jkhhc/artisanbridge/adapters"
)

// MaxBody caps what is read from a marketplace answer.
const MaxBody = 16 << 20

// Limiter makes a caller wait for its turn under a limit.
type Limiter interface {
	Wait(ctx context.Context, key string, l adapters.Limit) error
}

// RedisLimiter is a GCRA limiter in Redis (go-redis/redis_rate), shared by
// every process that uses the same Redis and key.
type RedisLimiter struct{ l *redis_rate.Limiter }

// NewRedisLimiter returns a limiter on rdb.
func NewRedisLimiter(rdb redis.UniversalClient) *RedisLimiter {
	return &RedisLimiter{l: redis_rate.NewLimiter(rdb)}
}

// Wait blocks until the key's bucket allows one call.
func (r *RedisLimiter) Wait(ctx context.Context, key string, l adapters.Limit) error {
	lim := gcra(l)
	for {
		res, err := r.l.Allow(ctx, key, lim)
		if err != nil {
			return fmt.Errorf("rate limiter: %w", err)
		}
		if res.Allowed > 0 {
			return nil
		}
		if most, ok := adapters.MaxWait(ctx); ok && res.RetryAfter > most {
			return fmt.Errorf("%w (the next call is free in %v)", adapters.ErrRateLimited, res.RetryAfter.Round(time.Second))
		}
		if err := sleep(ctx, res.RetryAfter); err != nil {
			return err
		}
	}
}

// gcra expresses a rate in calls per second, fractions included (Amazon's
// 0.0167/s), as one call per emission interval.
func gcra(l adapters.Limit) redis_rate.Limit {
	return redis_rate.Limit{Rate: 1, Burst: max(l.Burst, 1), Period: l.Period()}
}

// StatusError is a marketplace answer that was not a success.
type StatusError struct {
	Status     int
	Body       []byte // at most 2 KiB, for the operator
	RetryAfter time.Duration
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("marketplace answered %d: %s", e.Status, bytes.TrimSpace(e.Body))
}

// Retryable reports whether the same call may succeed later.
func (e *StatusError) Retryable() bool {
	return e.Status == http.StatusTooManyRequests || e.Status >= 500
}

// Client sends requests with limits and retries.
type Client struct {
	HTTP        *http.Client
	Limiter     Limiter
	MaxAttempts int
	BaseDelay   time.Duration
	MaxDelay    time.Duration
	// OnAttempt, if set, sees every attempt's outcome (for metrics and health).
	OnAttempt func(op adapters.Operation, status int, err error)
}

// Request describes one call: Build is called once per attempt so that a
// body can be sent again.
type Request struct {
	Op      adapters.Operation
	Key     string // the limiter key: marketplace, account and operation
	Limit   adapters.Limit
	Build   func(ctx context.Context) (*http.Request, error)
	Timeout time.Duration // per attempt
}

// Do sends r until it succeeds, fails in a way retrying cannot fix, or
// runs out of attempts. It returns the status and body of a 2xx answer.
func (c *Client) Do(ctx context.Context, r Request) (int, []byte, error) {
	attempts := c.MaxAttempts
	if attempts <= 0 {
		attempts = 6
	}
	var lastErr error
	for attempt := 1; attempt <= attempts; attempt++ {
		if c.Limiter != nil {
			if err := c.Limiter.Wait(ctx, r.Key, r.Limit); err != nil {
				return 0, nil, err
			}
		}
		status, body, retryAfter, err := c.once(ctx, r)
		if c.OnAttempt != nil {
			c.OnAttempt(r.Op, status, err)
		}
		if err == nil {
			return status, body, nil
		}
		lastErr = err
		if !retryable(err) || attempt == attempts || ctx.Err() != nil {
			break
		}
		wait := c.backoff(attempt, retryAfter)
		if most, ok := adapters.MaxWait(ctx); ok && wait > most {
			return 0, nil, fmt.Errorf("%w (the marketplace asked for %v): %w", adapters.ErrRateLimited, wait.Round(time.Second), err)
		}
		if err := sleep(ctx, wait); err != nil {
			return 0, nil, err
		}
	}
	return 0, nil, lastErr
}

func (c *Client) once(ctx context.Context, r Request) (int, []byte, time.Duration, error) {
	actx := ctx
	if r.Timeout > 0 {
		var cancel context.CancelFunc
		actx, cancel = context.WithTimeout(ctx, r.Timeout)
		defer cancel()
	}
	req, err := r.Build(actx)
	if err != nil {
		return 0, nil, 0, err
	}
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return 0, nil, 0, &netError{err}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxBody+1))
	if err != nil {
		return resp.StatusCode, nil, 0, &netError{err}
	}
	if len(body) > MaxBody {
		return resp.StatusCode, nil, 0, fmt.Errorf("marketplace answer larger than %d bytes", MaxBody)
	}
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return resp.StatusCode, body, 0, nil
	}
	ra := ParseRetryAfter(resp.Header.Get("Retry-After"), time.Now())
	snippet := body
	if len(snippet) > 2048 {
		snippet = snippet[:2048]
	}
	return resp.StatusCode, nil, ra, &StatusError{Status: resp.StatusCode, Body: snippet, RetryAfter: ra}
}

// netError marks transport failures (timeouts, resets), which are retried.
type netError struct{ err error }

func (e *netError) Error() string { return "marketplace unreachable: " + e.err.Error() }
func (e *netError) Unwrap() error { return e.err }

func retryable(err error) bool {
	var se *StatusError
	if errors.As(err, &se) {
		return se.Retryable()
	}
	// A transport failure (timeout, reset, refused) may pass; anything
	// else (a request we could not even build) will not.
	var ne *netError
	return errors.As(err, &ne)
}

// backoff is exponential with full jitter, but never shorter than what the
// marketplace asked for in Retry-After.
func (c *Client) backoff(attempt int, retryAfter time.Duration) time.Duration {
	base, maxD := c.BaseDelay, c.MaxDelay
	if base <= 0 {
		base = 200 * time.Millisecond
	}
	if maxD <= 0 {
		maxD = 30 * time.Second
	}
	ceiling := base << min(attempt-1, 20)
	if ceiling > maxD {
		ceiling = maxD
	}
	d := time.Duration(rand.Int64N(int64(ceiling) + 1))
	if retryAfter > d {
		d = retryAfter
	}
	return d
}

// ParseRetryAfter reads Retry-After as seconds or an HTTP date; anything
// else, negative or absurd (over an hour) is ignored.
func ParseRetryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	var d time.Duration
	if secs, err := strconv.Atoi(v); err == nil {
		d = time.Duration(secs) * time.Second
	} else if t, err := http.ParseTime(v); err == nil {
		d = t.Sub(now)
	}
	if d < 0 || d > time.Hour {
		return 0
	}
	return d
}

func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Transport sends the requests of one operation through c's limiter and
// reports each to OnAttempt, once, without retrying: for libraries that
// speak a protocol themselves, as golang.org/x/oauth2 does a token grant.
func (c *Client) Transport(op adapters.Operation, key string, l adapters.Limit) http.RoundTripper {
	return roundTripper{c: c, op: op, key: key, limit: l}
}

type roundTripper struct {
	c     *Client
	op    adapters.Operation
	key   string
	limit adapters.Limit
}

func (t roundTripper) RoundTrip(req *http.Request) (*http.Response, error) {
	if t.c.Limiter != nil {
		if err := t.c.Limiter.Wait(req.Context(), t.key, t.limit); err != nil {
			if req.Body != nil {
				req.Body.Close()
			}
			return nil, err
		}
	}
	base := http.DefaultTransport
	if t.c.HTTP != nil && t.c.HTTP.Transport != nil {
		base = t.c.HTTP.Transport
	}
	resp, err := base.RoundTrip(req)
	status := 0
	if resp != nil {
		status = resp.StatusCode
	}
	if t.c.OnAttempt != nil {
		t.c.OnAttempt(t.op, status, err)
	}
	return resp, err
}
