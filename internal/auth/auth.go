// Package auth knows who may do what: users, their API tokens, the four
// roles and the one permission table. It denies by default: a permission no
// role is granted is refused to everyone but admin, and an operation with no
// permission at all is refused to everyone.
package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"regexp"
	"strings"
	"time"

	"github.com/jkhhc/artisanbridge/internal/apperr"
	"github.com/jkhhc/artisanbridge/internal/audit"
	"github.com/jkhhc/artisanbridge/internal/clock"
	"github.com/jkhhc/artisanbridge/internal/effects"
	"github.com/jkhhc/artisanbridge/internal/ids"
	"github.com/jkhhc/artisanbridge/internal/paging"
)

// Role is a user's job in the corporation.
type Role string

const (
	RoleAdmin      Role = "admin"
	RoleShowroom   Role = "showroom"
	RoleOperations Role = "operations"
	RoleFinance    Role = "finance"
)

// Roles lists every role, for validation and tests.
var Roles = []Role{RoleAdmin, RoleShowroom, RoleOperations, RoleFinance}

// Valid reports whether r is a known role.
func (r Role) Valid() bool {
	for _, k := range Roles {
		if r == k {
			return true
		}
	}
	return false
}

// User is a person (or integration) holding API tokens.
type User struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Role      Role      `json:"role"`
	Status    string    `json:"status"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// NewUser is the input to create a user.
type NewUser struct {
	Name string `json:"name"`
	Role Role   `json:"role"`
}

var userName = regexp.MustCompile(`^[\p{L}\p{N}][\p{L}\p{N} ._@-]{0,79}$`)

// Validate returns field errors for bad input.
func (n *NewUser) Validate() error {
	n.Name = strings.TrimSpace(n.Name)
	fe := apperr.FieldErrors{}
	if !userName.MatchString(n.Name) {
		fe.Add("name", "must be 1-80 letters, digits, spaces or ._@-")
	}
	if !n.Role.Valid() {
		fe.Add("role", "must be one of admin, showroom, operations, finance")
	}
	return fe.Err()
}

// tokenPrefix makes tokens recognisable to secret scanners and to people.
const tokenPrefix = "abt_"

// NewToken returns a random token (256 bits) and the hash that is stored in
// its place; the token itself is shown once and never kept.
func NewToken() (token, hash string) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic("auth: no randomness: " + err.Error())
	}
	token = tokenPrefix + base64.RawURLEncoding.EncodeToString(b)
	return token, HashToken(token)
}

// HashToken returns the stored form of a token. A fast hash is right here:
// tokens carry 256 random bits, so there is nothing to brute-force.
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// Store keeps users and token hashes.
type Store interface {
	// CreateUser inserts u with one token hash and fx. Returns Conflict if the name is taken.
	CreateUser(ctx context.Context, u User, tokenHash string, fx effects.Set) error
	// UserByTokenHash returns the active user owning an unrevoked token, or NotFound.
	UserByTokenHash(ctx context.Context, hash string) (User, error)
	ListUsers(ctx context.Context, p paging.Request) (paging.Page[User], error)
	// AddToken gives an existing user another token. Returns NotFound.
	AddToken(ctx context.Context, userID, tokenHash string, at time.Time, fx effects.Set) error
	// RevokeTokens revokes every live token of a user and returns how many.
	RevokeTokens(ctx context.Context, userID string, at time.Time, fx effects.Set) (int64, error)
}

// Service creates users and resolves tokens.
type Service struct {
	store Store
	now   func() time.Time
	// verified spares a database round trip per request (tokencache.go).
	verified verifiedTokens
}

// NewService returns an auth service; now may be nil.
func NewService(store Store, now func() time.Time) *Service {
	return &Service{store: store, now: clock.Or(now)}
}

// CreateUser registers a user and returns the token, which is not stored
// and cannot be shown again.
func (s *Service) CreateUser(ctx context.Context, in NewUser) (_ User, _ string, err error) {
	defer apperr.Annotate(&err, "auth.CreateUser(%q)", in.Name)
	if err := in.Validate(); err != nil {
		return User{}, "", err
	}
	now := s.now().UTC()
	u := User{ID: ids.New(), Name: in.Name, Role: in.Role, Status: "active", CreatedAt: now, UpdatedAt: now}
	token, hash := NewToken()
	fx := effects.Set{Audit: []audit.Entry{audit.New(ctx, now, "create", "user", u.ID, nil, u)}}
	if err := s.store.CreateUser(ctx, u, hash, fx); err != nil {
		return User{}, "", err
	}
	return u, token, nil
}

// Authenticate returns the active user owning token, or Unauthenticated.
// A token verified in the last VerifiedTokenTTL is trusted without asking
// the database again; only its hash is remembered, and a refusal never is.
func (s *Service) Authenticate(ctx context.Context, token string) (User, error) {
	if !strings.HasPrefix(token, tokenPrefix) || len(token) > 128 {
		return User{}, apperr.New(apperr.Unauthenticated, "invalid or revoked token")
	}
	hash := HashToken(token)
	if u, ok := s.verified.get(hash, s.now()); ok {
		return u, nil
	}
	epoch := s.verified.begin()
	u, err := s.store.UserByTokenHash(ctx, hash)
	if apperr.Is(err, apperr.NotFound) {
		return User{}, apperr.New(apperr.Unauthenticated, "invalid or revoked token")
	}
	if err != nil {
		return User{}, err
	}
	s.verified.put(hash, u, s.now(), epoch)
	return u, nil
}

// ListUsers lists users by keyset.
func (s *Service) ListUsers(ctx context.Context, p paging.Request) (paging.Page[User], error) {
	return s.store.ListUsers(ctx, p)
}

// IssueToken gives a user a new token (shown once), for rotation: the old
// ones keep working until revoked.
func (s *Service) IssueToken(ctx context.Context, userID string) (_ string, err error) {
	defer apperr.Annotate(&err, "auth.IssueToken(%q)", userID)
	token, hash := NewToken()
	now := s.now().UTC()
	fx := effects.Set{Audit: []audit.Entry{audit.New(ctx, now, "issue_token", "user", userID, nil, nil)}}
	if err := s.store.AddToken(ctx, userID, hash, now, fx); err != nil {
		return "", err
	}
	return token, nil
}

// RevokeTokens ends every token of a user at once, as after a leak.
func (s *Service) RevokeTokens(ctx context.Context, userID string) (_ int64, err error) {
	defer apperr.Annotate(&err, "auth.RevokeTokens(%q)", userID)
	now := s.now().UTC()
	fx := effects.Set{Audit: []audit.Entry{audit.New(ctx, now, "revoke_tokens", "user", userID, nil, nil)}}
	n, err := s.store.RevokeTokens(ctx, userID, now, fx)
	// After the revocation is committed (or failed: forgetting is always
	// safe); a lookup that read the token as live before then keeps nothing.
	s.verified.forgetUser(userID)
	return n, err
}
