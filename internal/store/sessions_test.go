package store_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/jkhhc/artisanbridge/internal/apperr"
	"github.com/jkhhc/artisanbridge/internal/auth"
	"github.com/jkhhc/artisanbridge/internal/reqctx"
	"github.com/jkhhc/artisanbridge/internal/testenv"
)

// TestConsoleSessions runs sign-in, fixation, lockout and sign-out against
// both backends, through the domain service as the console calls it.
func TestConsoleSessions(t *testing.T) {
	for _, b := range testenv.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			db, _ := b.Open(t)
			ctx := reqctx.WithActor(context.Background(), reqctx.Actor{ID: "cli", Name: "test", Role: "admin"})
			clock := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
			var mu sync.Mutex
			now := func() time.Time { mu.Lock(); defer mu.Unlock(); return clock }
			advance := func(d time.Duration) { mu.Lock(); clock = clock.Add(d); mu.Unlock() }
			users := auth.NewService(db.Users(), now)
			u, _, err := users.CreateUser(ctx, auth.NewUser{Name: "amina", Role: auth.RoleShowroom})
			if err != nil {
				t.Fatal(err)
			}
			sess := auth.NewSessions(db.Sessions(), now, auth.Lockout{MaxFailures: 3, For: 10 * time.Minute})

			if _, _, err := sess.SignIn(ctx, "amina", "anything at all", ""); !apperr.Is(err, apperr.Unauthenticated) {
				t.Fatalf("sign-in without a password set: %v, want unauthenticated", err)
			}
			if _, err := sess.SetPassword(ctx, "amina", "walnut wood carving"); err != nil {
				t.Fatal(err)
			}
			if _, err := sess.SetPassword(ctx, "nobody", "walnut wood carving"); !apperr.Is(err, apperr.NotFound) {
				t.Fatalf("password of an unknown user: %v", err)
			}

			t.Run("sign in rotates the session (no fixation)", func(t *testing.T) {
				_, first, err := sess.SignIn(ctx, "amina", "walnut wood carving", "")
				if err != nil {
					t.Fatal(err)
				}
				got, _, err := sess.Resolve(ctx, first)
				if err != nil || got.ID != u.ID {
					t.Fatalf("resolve: %v %v", got, err)
				}
				_, second, err := sess.SignIn(ctx, "amina", "walnut wood carving", first)
				if err != nil {
					t.Fatal(err)
				}
				if second == first {
					t.Fatal("sign-in kept the session token it was given")
				}
				if _, _, err := sess.Resolve(ctx, first); !apperr.Is(err, apperr.Unauthenticated) {
					t.Errorf("the replaced session still works: %v", err)
				}
				if _, _, err := sess.Resolve(ctx, second); err != nil {
					t.Errorf("the new session does not work: %v", err)
				}
			})

			t.Run("sessions expire", func(t *testing.T) {
				_, tok, err := sess.SignIn(ctx, "amina", "walnut wood carving", "")
				if err != nil {
					t.Fatal(err)
				}
				advance(auth.SessionLifetime + time.Second)
				if _, _, err := sess.Resolve(ctx, tok); !apperr.Is(err, apperr.Unauthenticated) {
					t.Errorf("an expired session works: %v", err)
				}
			})

			t.Run("lockout after repeated failures, counted by the database", func(t *testing.T) {
				// Concurrent wrong guesses: the counter is one UPDATE, so
				// exactly the third failure locks, however they interleave.
				var wg sync.WaitGroup
				errs := make(chan error, 3)
				for range 3 {
					wg.Add(1)
					go func() {
						defer wg.Done()
						_, _, err := sess.SignIn(ctx, "amina", "a wrong guess!", "")
						errs <- err
					}()
				}
				wg.Wait()
				close(errs)
				locked := 0
				for err := range errs {
					if apperr.Is(err, apperr.RateLimited) {
						locked++
					} else if !apperr.Is(err, apperr.Unauthenticated) {
						t.Errorf("wrong password: %v", err)
					}
				}
				if locked != 1 {
					t.Errorf("%d of 3 failures reported the lock, want exactly 1", locked)
				}
				if _, _, err := sess.SignIn(ctx, "amina", "walnut wood carving", ""); !apperr.Is(err, apperr.RateLimited) {
					t.Fatalf("the right password while locked: %v, want rate_limited", err)
				}
				advance(10*time.Minute + time.Second)
				if _, _, err := sess.SignIn(ctx, "amina", "walnut wood carving", ""); err != nil {
					t.Fatalf("the right password after the lock: %v", err)
				}
				// A success starts the count again: two failures do not lock.
				for range 2 {
					if _, _, err := sess.SignIn(ctx, "amina", "a wrong guess!", ""); !apperr.Is(err, apperr.Unauthenticated) {
						t.Fatalf("failure: %v", err)
					}
				}
				if _, _, err := sess.SignIn(ctx, "amina", "walnut wood carving", ""); err != nil {
					t.Fatalf("two failures locked the user: %v", err)
				}
			})

			t.Run("an unknown name is refused like a wrong password", func(t *testing.T) {
				_, _, err := sess.SignIn(ctx, "nobody", "walnut wood carving", "")
				_, _, err2 := sess.SignIn(ctx, "amina", "not the password", "")
				if !apperr.Is(err, apperr.Unauthenticated) || err.Error() != err2.Error() {
					t.Errorf("unknown name %v, wrong password %v: they must read the same", err, err2)
				}
			})

			t.Run("sign out, and everywhere", func(t *testing.T) {
				_, a, _ := sess.SignIn(ctx, "amina", "walnut wood carving", "")
				_, b, _ := sess.SignIn(ctx, "amina", "walnut wood carving", "")
				_, c, _ := sess.SignIn(ctx, "amina", "walnut wood carving", "")
				actx := reqctx.WithActor(ctx, reqctx.Actor{ID: u.ID, Name: u.Name, Role: string(u.Role)})
				if err := sess.SignOut(actx, a); err != nil {
					t.Fatal(err)
				}
				if _, _, err := sess.Resolve(ctx, a); err == nil {
					t.Error("a signed-out session works")
				}
				if _, _, err := sess.Resolve(ctx, b); err != nil {
					t.Errorf("signing out one session ended another: %v", err)
				}
				n, err := sess.SignOutEverywhere(actx)
				if err != nil || n < 2 {
					t.Fatalf("sign out everywhere: %d, %v", n, err)
				}
				for _, tok := range []string{b, c} {
					if _, _, err := sess.Resolve(ctx, tok); err == nil {
						t.Error("a session survived signing out everywhere")
					}
				}
			})

			t.Run("a new password ends every session", func(t *testing.T) {
				_, tok, _ := sess.SignIn(ctx, "amina", "walnut wood carving", "")
				if _, err := sess.SetPassword(ctx, "amina", "pashmina on the loom"); err != nil {
					t.Fatal(err)
				}
				if _, _, err := sess.Resolve(ctx, tok); err == nil {
					t.Error("a session survived a new password")
				}
				if _, _, err := sess.SignIn(ctx, "amina", "walnut wood carving", ""); err == nil {
					t.Error("the old password still works")
				}
			})

			t.Run("language is remembered", func(t *testing.T) {
				_, tok, _ := sess.SignIn(ctx, "amina", "pashmina on the loom", "")
				actx := reqctx.WithActor(ctx, reqctx.Actor{ID: u.ID, Name: u.Name, Role: string(u.Role)})
				if err := sess.SetLanguage(actx, "ur"); err != nil {
					t.Fatal(err)
				}
				if _, lang, err := sess.Resolve(ctx, tok); err != nil || lang != "ur" {
					t.Errorf("language %q, %v", lang, err)
				}
			})
		})
	}
}
