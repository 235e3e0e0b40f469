package auth

import (
	"context"
	"time"

	"github.com/jkhhc/artisanbridge/internal/apperr"
	"github.com/jkhhc/artisanbridge/internal/audit"
	"github.com/jkhhc/artisanbridge/internal/clock"
	"github.com/jkhhc/artisanbridge/internal/effects"
	"github.com/jkhhc/artisanbridge/internal/ids"
	"github.com/jkhhc/artisanbridge/internal/reqctx"
)

// Credentials are what signing in checks a password against.
type Credentials struct {
	User         User
	PasswordHash string
	LockedUntil  *time.Time
	Language     string
}

// Session is one signed-in browser. Only the hash of its cookie is kept.
type Session struct {
	ID        string
	UserID    string
	TokenHash string
	CreatedAt time.Time
	ExpiresAt time.Time
}

// SessionStore keeps passwords, the lockout counter and sessions. The
// database guards the lockout: a failure is counted and the lock set in one
// conditional UPDATE, and a session is only started for a user who is
// active and not locked at that instant.
type SessionStore interface {
	// Credentials returns the user named name with their password hash, or NotFound.
	Credentials(ctx context.Context, name string) (Credentials, error)
	// SetPassword stores a user's password hash, clears their lock and
	// counter, and revokes their sessions. Returns NotFound.
	SetPassword(ctx context.Context, name, hash string, at time.Time, fx effects.Set) (User, error)
	// RecordFailure counts a wrong password; at policy.MaxFailures it locks
	// the user until at+policy.For and starts the count again. It returns
	// the lock, if the user is now locked.
	RecordFailure(ctx context.Context, userID string, at time.Time, policy Lockout, fx effects.Set) (*time.Time, error)
	// StartSession clears the failure count and inserts s, only if the
	// user is active and not locked at s.CreatedAt (else Unauthenticated);
	// a session whose hash is replacing is revoked in the same transaction.
	StartSession(ctx context.Context, s Session, replacing string, fx effects.Set) error
	// SessionUser returns the session of an unrevoked, unexpired hash and
	// its active user, or NotFound.
	SessionUser(ctx context.Context, hash string, at time.Time) (Session, User, string, error)
	// EndSession revokes one session by hash (already ended: no error).
	EndSession(ctx context.Context, hash string, at time.Time, fx effects.Set) error
	// EndSessions revokes every live session of a user and returns how many.
	EndSessions(ctx context.Context, userID string, at time.Time, fx effects.Set) (int64, error)
	// SetLanguage remembers a user's language for the console.
	SetLanguage(ctx context.Context, userID, lang string, fx effects.Set) error
}

// Sessions signs people in and out of the console.
type Sessions struct {
	store  SessionStore
	now    func() time.Time
	policy Lockout
}

// NewSessions returns the sign-in service; now may be nil, a zero policy is
// DefaultLockout.
func NewSessions(store SessionStore, now func() time.Time, policy Lockout) *Sessions {
	if policy.MaxFailures <= 0 {
		policy = DefaultLockout
	}
	return &Sessions{store: store, now: clock.Or(now), policy: policy}
}

// SetPassword gives the user named name a password (after a validation
// of its length), unlocks them and ends their sessions.
func (s *Sessions) SetPassword(ctx context.Context, name, password string) (_ User, err error) {
	defer apperr.Annotate(&err, "auth.SetPassword(%q)", name)
	hash, err := HashPassword(password)
	if err != nil {
		return User{}, err
	}
	now := s.now().UTC()
	c, err := s.store.Credentials(ctx, name)
	if err != nil {
		return User{}, err
	}
	fx := effects.Set{Audit: []audit.Entry{audit.New(ctx, now, "set_password", "user", c.User.ID, nil, nil)}}
	return s.store.SetPassword(ctx, name, hash, now, fx)
}

// errSignIn is the one answer to a wrong name or password: it does not say which.
func errSignIn() error {
	return apperr.New(apperr.Unauthenticated, "wrong name or password: check both and try again")
}

// SignIn checks name and password and starts a new session, ending the
// one whose token was presented (replacing, possibly empty): a session
// token is never carried over a sign-in (no fixation). It returns the user
// and the new session's token for the cookie.
func (s *Sessions) SignIn(ctx context.Context, name, password, replacing string) (_ User, token string, err error) {
	now := s.now().UTC()
	c, err := s.store.Credentials(ctx, name)
	if apperr.Is(err, apperr.NotFound) {
		VerifyPassword(dummyHash(), password)
		return User{}, "", errSignIn()
	}
	if err != nil {
		return User{}, "", err
	}
	if Locked(c.LockedUntil, now) {
		return User{}, "", lockedErr(*c.LockedUntil)
	}
	if c.User.Status != "active" || !VerifyPassword(c.PasswordHash, password) {
		actx := reqctx.WithActor(ctx, reqctx.Actor{ID: c.User.ID, Name: c.User.Name, Role: string(c.User.Role)})
		fx := effects.Set{Audit: []audit.Entry{audit.New(actx, now, "sign_in_failed", "user", c.User.ID, nil, nil)}}
		until, err := s.store.RecordFailure(ctx, c.User.ID, now, s.policy, fx)
		if err != nil {
			return User{}, "", err
		}
		if until != nil {
			return User{}, "", lockedErr(*until)
		}
		return User{}, "", errSignIn()
	}
	token, hash := NewSessionToken()
	sess := Session{ID: ids.New(), UserID: c.User.ID, TokenHash: hash, CreatedAt: now, ExpiresAt: now.Add(SessionLifetime)}
	old := ""
	if ValidSessionToken(replacing) {
		old = HashToken(replacing)
	}
	actx := reqctx.WithActor(ctx, reqctx.Actor{ID: c.User.ID, Name: c.User.Name, Role: string(c.User.Role)})
	fx := effects.Set{Audit: []audit.Entry{audit.New(actx, now, "sign_in", "user", c.User.ID, nil, nil)}}
	if err := s.store.StartSession(ctx, sess, old, fx); err != nil {
		if apperr.Is(err, apperr.Unauthenticated) {
			// Locked by concurrent failures while this password was checked.
			return User{}, "", apperr.New(apperr.Unauthenticated, "this user is locked after too many wrong passwords: wait, or ask an admin to set a new password")
		}
		return User{}, "", err
	}
	return c.User, token, nil
}

func lockedErr(until time.Time) error {
	return apperr.New(apperr.RateLimited, "too many wrong passwords: this user is locked until %s UTC; wait, or ask an admin to set a new password (artisanbridge users passwd)",
		until.UTC().Format("15:04"))
}

// Resolve returns the user and language of a live session token, or
// Unauthenticated.
func (s *Sessions) Resolve(ctx context.Context, token string) (User, string, error) {
	if !ValidSessionToken(token) {
		return User{}, "", apperr.New(apperr.Unauthenticated, "not signed in")
	}
	_, u, lang, err := s.store.SessionUser(ctx, HashToken(token), s.now().UTC())
	if apperr.Is(err, apperr.NotFound) {
		return User{}, "", apperr.New(apperr.Unauthenticated, "the session ended: sign in again")
	}
	return u, lang, err
}

// SignOut ends the session of token (the actor in ctx is its user).
func (s *Sessions) SignOut(ctx context.Context, token string) error {
	if !ValidSessionToken(token) {
		return nil
	}
	now := s.now().UTC()
	a := reqctx.ActorFrom(ctx)
	fx := effects.Set{Audit: []audit.Entry{audit.New(ctx, now, "sign_out", "user", a.ID, nil, nil)}}
	return s.store.EndSession(ctx, HashToken(token), now, fx)
}

// SignOutEverywhere ends every session of the user in ctx.
func (s *Sessions) SignOutEverywhere(ctx context.Context) (int64, error) {
	now := s.now().UTC()
	a := reqctx.ActorFrom(ctx)
	fx := effects.Set{Audit: []audit.Entry{audit.New(ctx, now, "sign_out_everywhere", "user", a.ID, nil, nil)}}
	return s.store.EndSessions(ctx, a.ID, now, fx)
}

// SetLanguage remembers the console language of the user in ctx.
func (s *Sessions) SetLanguage(ctx context.Context, lang string) error {
	a := reqctx.ActorFrom(ctx)
	fx := effects.Set{Audit: []audit.Entry{audit.New(ctx, s.now().UTC(), "set_language", "user", a.ID, nil, map[string]string{"language": lang})}}
	return s.store.SetLanguage(ctx, a.ID, lang, fx)
}
