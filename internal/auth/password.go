package auth

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"

	"github.com/jkhhc/artisanbridge/internal/apperr"
)

// Argon2id parameters (OWASP's password storage cheat sheet, second
// configuration: 19 MiB, 2 passes, 1 lane). They are written into every
// stored hash, so raising them later leaves older hashes readable.
const (
	argonMemoryKiB = 19 * 1024
	argonTime      = 2
	argonThreads   = 1
	argonKeyLen    = 32
	argonSaltLen   = 16
)

// Password length limits: long enough to be a passphrase, short enough
// that hashing one is cheap.
const (
	MinPasswordLen = 10
	MaxPasswordLen = 256
)

// ValidatePassword refuses a password too short or too long to keep.
func ValidatePassword(pw string) error {
	n := utf8.RuneCountInString(pw)
	if n < MinPasswordLen || len(pw) > MaxPasswordLen {
		return &apperr.Error{Code: apperr.Invalid, Message: fmt.Sprintf("the password must be %d to %d characters: choose a longer passphrase", MinPasswordLen, MaxPasswordLen),
			Fields: map[string]string{"password": fmt.Sprintf("must be %d to %d characters", MinPasswordLen, MaxPasswordLen)}}
	}
	return nil
}

// HashPassword returns the argon2id hash of pw as a PHC string
// ($argon2id$v=19$m=...,t=...,p=...$salt$hash).
func HashPassword(pw string) (string, error) {
	if err := ValidatePassword(pw); err != nil {
		return "", err
	}
	salt := make([]byte, argonSaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("auth: no randomness: %w", err)
	}
	key := argon2.IDKey([]byte(pw), salt, argonTime, argonMemoryKiB, argonThreads, argonKeyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemoryKiB, argonTime, argonThreads,
		b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// VerifyPassword reports whether pw matches the stored PHC string. A
// malformed or empty hash (no password set) matches nothing.
func VerifyPassword(phc, pw string) bool {
	parts := strings.Split(phc, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" || len(pw) > MaxPasswordLen {
		return false
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return false
	}
	var m, t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil || m == 0 || m > 1<<20 || t == 0 || t > 10 || p == 0 {
		return false
	}
	b64 := base64.RawStdEncoding
	salt, err := b64.DecodeString(parts[4])
	if err != nil || len(salt) < 8 {
		return false
	}
	want, err := b64.DecodeString(parts[5])
	if err != nil || len(want) < 16 || len(want) > 64 {
		return false
	}
	got := argon2.IDKey([]byte(pw), salt, t, m, p, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}

// dummyHash is verified against when the name is unknown, so that a wrong
// name takes as long as a wrong password and names cannot be discovered.
var dummyHash = sync.OnceValue(func() string {
	h, err := HashPassword("not a password anyone has")
	if err != nil {
		panic(err)
	}
	return h
})

// Lockout is how many wrong passwords in a row lock a user, and for how long.
type Lockout struct {
	MaxFailures int64
	For         time.Duration
}

// DefaultLockout locks a user for 15 minutes after 5 wrong passwords.
var DefaultLockout = Lockout{MaxFailures: 5, For: 15 * time.Minute}

// Locked reports whether a user locked until lockedUntil is locked at now.
func Locked(lockedUntil *time.Time, now time.Time) bool {
	return lockedUntil != nil && now.Before(*lockedUntil)
}

// sessionPrefix makes session cookies recognisable, as tokenPrefix does tokens.
const sessionPrefix = "abs_"

// SessionLifetime is how long a console session lasts: a working day and a
// half, after which the user signs in again.
const SessionLifetime = 12 * time.Hour

// NewSessionToken returns a random session token (256 bits) for the cookie
// and the hash stored in its place.
func NewSessionToken() (token, hash string) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic("auth: no randomness: " + err.Error())
	}
	token = sessionPrefix + base64.RawURLEncoding.EncodeToString(b)
	return token, HashToken(token)
}

// ValidSessionToken reports whether s has the form of a session token.
func ValidSessionToken(s string) bool {
	return strings.HasPrefix(s, sessionPrefix) && len(s) == len(sessionPrefix)+43
}

// CSRFToken is the anti-forgery token of the session (or sign-in form)
// whose secret is token: an HMAC of it, so it needs no storage, changes
// with every session, and cannot be made by a page that has not the cookie.
func CSRFToken(token string) string {
	m := hmac.New(sha256.New, []byte(token))
	m.Write([]byte("artisanbridge console csrf"))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// CheckCSRF reports whether given is the CSRF token of token.
func CheckCSRF(token, given string) bool {
	if token == "" || given == "" {
		return false
	}
	return hmac.Equal([]byte(CSRFToken(token)), []byte(given))
}
