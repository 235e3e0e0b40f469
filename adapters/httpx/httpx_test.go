package httpx

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jkhhc/artisanbridge/adapters"
	"github.com/jkhhc/artisanbridge/internal/testenv"
)

func get(url string) func(ctx context.Context) (*http.Request, error) {
	return func(ctx context.Context) (*http.Request, error) {
		return http.NewRequestWithContext(ctx, "GET", url, nil)
	}
}

func TestRetries(t *testing.T) {
	tests := []struct {
		name     string
		answers  []int
		wantErr  bool
		wantCall int
	}{
		{"ok", []int{200}, false, 1},
		{"429 then ok", []int{429, 429, 200}, false, 3},
		{"5xx then ok", []int{503, 500, 200}, false, 3},
		{"400 is final", []int{400, 200}, true, 1},
		{"401 is final", []int{401, 200}, true, 1},
		{"gives up", []int{503, 503, 503, 503}, true, 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var calls atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				n := int(calls.Add(1)) - 1
				if n >= len(tc.answers) {
					n = len(tc.answers) - 1
				}
				if tc.answers[n] == 429 {
					w.Header().Set("Retry-After", "0")
				}
				w.WriteHeader(tc.answers[n])
				w.Write([]byte(`{"ok":true}`))
			}))
			defer srv.Close()
			c := &Client{MaxAttempts: 3, BaseDelay: time.Millisecond, MaxDelay: 5 * time.Millisecond}
			_, body, err := c.Do(context.Background(), Request{Op: "t", Key: "k", Build: get(srv.URL)})
			if (err != nil) != tc.wantErr || int(calls.Load()) != tc.wantCall {
				t.Fatalf("err %v after %d calls", err, calls.Load())
			}
			if err == nil && string(body) != `{"ok":true}` {
				t.Fatalf("body %q", body)
			}
			var se *StatusError
			if err != nil && !errors.As(err, &se) {
				t.Fatalf("error is not a StatusError: %v", err)
			}
		})
	}
}

func TestRetryAfterIsHonoured(t *testing.T) {
	var first time.Time
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			first = time.Now()
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(429)
			return
		}
		if time.Since(first) < 900*time.Millisecond {
			w.WriteHeader(400) // too early: the test fails below
			return
		}
		w.WriteHeader(200)
	}))
	defer srv.Close()
	c := &Client{MaxAttempts: 2, BaseDelay: time.Millisecond, MaxDelay: time.Millisecond}
	if _, _, err := c.Do(context.Background(), Request{Key: "k", Build: get(srv.URL)}); err != nil {
		t.Fatalf("retried before Retry-After: %v", err)
	}
}

func TestTimeoutIsRetried(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			time.Sleep(300 * time.Millisecond)
		}
		w.WriteHeader(200)
	}))
	defer srv.Close()
	c := &Client{MaxAttempts: 2, BaseDelay: time.Millisecond}
	if _, _, err := c.Do(context.Background(), Request{Key: "k", Build: get(srv.URL), Timeout: 50 * time.Millisecond}); err != nil || calls.Load() != 2 {
		t.Fatalf("err %v calls %d", err, calls.Load())
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	for in, want := range map[string]time.Duration{
		"": 0, "3": 3 * time.Second, "-1": 0, "99999": 0, "soon": 0,
		now.Add(10 * time.Second).Format(http.TimeFormat): 10 * time.Second,
	} {
		if got := ParseRetryAfter(in, now); got != want {
			t.Errorf("ParseRetryAfter(%q) = %v, want %v", in, got, want)
		}
	}
}

// TestSharedLimiter: several clients sharing one Redis key stay within the
// limit together, on real Redis and on miniredis.
func TestSharedLimiter(t *testing.T) {
	for _, rb := range testenv.RedisBackends() {
		t.Run(rb.Name, func(t *testing.T) {
			rc, _ := rb.Open(t)
			lim := NewRedisLimiter(rc)
			l := adapters.Limit{Rate: 20, Burst: 5}
			var mu sync.Mutex
			var times []time.Time
			var wg sync.WaitGroup
			start := time.Now()
			for w := 0; w < 4; w++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := 0; i < 10; i++ {
						if err := lim.Wait(context.Background(), "test:op", l); err != nil {
							t.Error(err)
							return
						}
						mu.Lock()
						times = append(times, time.Now())
						mu.Unlock()
					}
				}()
			}
			wg.Wait()
			// 40 calls at 20/s with a burst of 5 need at least (40-5)/20 s.
			if elapsed, floor := time.Since(start), time.Duration(float64(35)/20*float64(time.Second)); elapsed < floor*9/10 {
				t.Fatalf("40 calls took %v, the limit allows no less than %v", elapsed, floor)
			}
			// No one-second window holds more than rate+burst calls.
			for i := range times {
				n := 0
				for j := range times {
					if d := times[j].Sub(times[i]); d >= 0 && d < time.Second {
						n++
					}
				}
				if n > 20+5 {
					t.Fatalf("%d calls within one second", n)
				}
			}
		})
	}
}

// TestMaxWait: a caller that allowed only a short wait gets
// ErrRateLimited at once instead of waiting for the limiter's next call.
func TestMaxWait(t *testing.T) {
	for _, rb := range testenv.RedisBackends() {
		t.Run(rb.Name, func(t *testing.T) {
			rdb, _ := rb.Open(t)
			lim := NewRedisLimiter(rdb)
			l := adapters.Limit{Rate: 0.01, Burst: 1} // one call, the next in 100 s
			ctx := adapters.WithMaxWait(context.Background(), time.Second)
			if err := lim.Wait(ctx, "k", l); err != nil {
				t.Fatal(err)
			}
			began := time.Now()
			if err := lim.Wait(ctx, "k", l); !errors.Is(err, adapters.ErrRateLimited) || time.Since(began) > 5*time.Second {
				t.Fatalf("second call: %v after %v", err, time.Since(began))
			}
		})
	}
}
