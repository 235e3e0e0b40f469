package auth

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jkhhc/artisanbridge/internal/apperr"
	"github.com/jkhhc/artisanbridge/internal/effects"
	"github.com/jkhhc/artisanbridge/internal/paging"
)

// fakeTokens is a Store holding live token hashes, counting lookups. A
// lookup may be held (hold) to race it against a revocation.
type fakeTokens struct {
	mu      sync.Mutex
	live    map[string]User // by token hash
	lookups int
	hold    chan struct{} // when set, a lookup waits on it after reading
	read    chan struct{} // when set, a lookup signals it has read
}

func (f *fakeTokens) UserByTokenHash(_ context.Context, hash string) (User, error) {
	f.mu.Lock()
	f.lookups++
	u, ok := f.live[hash]
	hold, read := f.hold, f.read
	f.mu.Unlock()
	if read != nil {
		read <- struct{}{}
	}
	if hold != nil {
		<-hold
	}
	if !ok {
		return User{}, apperr.New(apperr.NotFound, "no such token")
	}
	return u, nil
}

func (f *fakeTokens) RevokeTokens(_ context.Context, userID string, _ time.Time, _ effects.Set) (int64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var n int64
	for h, u := range f.live {
		if u.ID == userID {
			delete(f.live, h)
			n++
		}
	}
	return n, nil
}

func (f *fakeTokens) CreateUser(context.Context, User, string, effects.Set) error { return nil }
func (f *fakeTokens) ListUsers(context.Context, paging.Request) (paging.Page[User], error) {
	return paging.Page[User]{}, nil
}
func (f *fakeTokens) AddToken(context.Context, string, string, time.Time, effects.Set) error {
	return nil
}

func (f *fakeTokens) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.lookups
}

// TestVerifiedTokens: a verified token is trusted for VerifiedTokenTTL
// without a lookup, never longer; a revocation through the service ends it
// at once; a refusal is never remembered; only the hash is kept.
func TestVerifiedTokens(t *testing.T) {
	ctx := context.Background()
	alice := User{ID: "u-alice", Name: "alice", Role: RoleAdmin, Status: "active"}
	token, hash := NewToken()
	for _, tc := range []struct {
		name string
		// steps run in order against a fresh service; each may move the
		// clock, revoke elsewhere (in the store alone) or through the
		// service, then authenticates and expects ok and a lookup count.
		steps []step
	}{
		{"verified once, trusted within the TTL", []step{
			{wantOK: true, wantLookups: 1},
			{advance: VerifiedTokenTTL - time.Millisecond, wantOK: true, wantLookups: 1},
		}},
		{"asked again once the TTL is over", []step{
			{wantOK: true, wantLookups: 1},
			{advance: VerifiedTokenTTL, wantOK: true, wantLookups: 2},
		}},
		{"revoked in another process: refused once the TTL is over", []step{
			{wantOK: true, wantLookups: 1},
			{revokeInStore: true, advance: time.Second, wantOK: true, wantLookups: 1},
			{advance: VerifiedTokenTTL, wantOK: false, wantLookups: 2},
		}},
		{"revoked through this service: refused at once", []step{
			{wantOK: true, wantLookups: 1},
			{revokeInService: true, wantOK: false, wantLookups: 2},
		}},
		{"a refusal is not remembered", []step{
			{unknown: true, wantOK: false, wantLookups: 1},
			{unknown: true, wantOK: false, wantLookups: 2},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
			store := &fakeTokens{live: map[string]User{hash: alice}}
			s := NewService(store, func() time.Time { return now })
			for i, st := range tc.steps {
				now = now.Add(st.advance)
				if st.revokeInStore {
					if _, err := store.RevokeTokens(ctx, alice.ID, now, effects.Set{}); err != nil {
						t.Fatal(err)
					}
				}
				if st.revokeInService {
					if _, err := s.RevokeTokens(ctx, alice.ID); err != nil {
						t.Fatal(err)
					}
				}
				tok := token
				if st.unknown {
					tok = tokenPrefix + "not-a-token-anyone-holds"
				}
				u, err := s.Authenticate(ctx, tok)
				if ok := err == nil; ok != st.wantOK {
					t.Fatalf("step %d: authenticated = %v (%v), want %v", i, ok, err, st.wantOK)
				}
				if err != nil && apperr.CodeOf(err) != apperr.Unauthenticated {
					t.Fatalf("step %d: refused with %v, want Unauthenticated", i, err)
				}
				if err == nil && u != alice {
					t.Fatalf("step %d: user %+v, want %+v", i, u, alice)
				}
				if got := store.count(); got != st.wantLookups {
					t.Fatalf("step %d: %d lookups, want %d", i, got, st.wantLookups)
				}
			}
			s.verified.mu.Lock()
			defer s.verified.mu.Unlock()
			for k := range s.verified.m {
				if strings.Contains(k, token) || k != HashToken(token) {
					t.Errorf("the cache keeps %q: only the token's hash may be kept", k)
				}
			}
		})
	}
}

type step struct {
	advance                        time.Duration
	revokeInStore, revokeInService bool
	unknown                        bool
	wantOK                         bool
	wantLookups                    int
}

// TestVerifiedTokenRacingRevocation: a lookup that read the token as live
// before a revocation committed must not leave it trusted afterwards.
func TestVerifiedTokenRacingRevocation(t *testing.T) {
	ctx := context.Background()
	alice := User{ID: "u-alice", Name: "alice", Role: RoleAdmin, Status: "active"}
	token, hash := NewToken()
	store := &fakeTokens{live: map[string]User{hash: alice}, hold: make(chan struct{}), read: make(chan struct{})}
	s := NewService(store, nil)
	done := make(chan error)
	go func() { _, err := s.Authenticate(ctx, token); done <- err }()
	<-store.read // the lookup has seen the token live
	if _, err := s.RevokeTokens(ctx, alice.ID); err != nil {
		t.Fatal(err)
	}
	close(store.hold)
	if err := <-done; err != nil {
		t.Fatalf("the racing lookup itself: %v (it read the token before the revocation)", err)
	}
	store.mu.Lock()
	store.hold, store.read = nil, nil
	store.mu.Unlock()
	if _, err := s.Authenticate(ctx, token); apperr.CodeOf(err) != apperr.Unauthenticated {
		t.Fatalf("after the revocation: %v, want Unauthenticated (the racing lookup kept the token)", err)
	}
}
