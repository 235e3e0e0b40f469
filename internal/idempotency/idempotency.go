// Package idempotency makes a retried POST safe (API.md, "Conventions";
// RELIABILITY.md 1.1): the first request with a key runs, a repeat with the
// same body gets the stored answer, a repeat with another body gets 422,
// and a repeat while the first still runs gets 409.
package idempotency

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"hash"
	"net/http"
	"regexp"
	"time"

	"github.com/jkhhc/artisanbridge/internal/apperr"
)

// Retention is how long a key is honoured (Stripe keeps keys 24 hours).
const Retention = 24 * time.Hour

var keyPattern = regexp.MustCompile(`^[A-Za-z0-9_.:-]{8,255}$`)

// Record is one key's state.
type Record struct {
	PrincipalID    string
	Key            string
	Method         string
	Path           string
	RequestHash    string
	Done           bool
	ResponseStatus int
	ResponseBody   []byte
	CreatedAt      time.Time
}

// Store keeps records; keys are scoped per principal so that one caller's
// keys can neither collide with nor reveal another's.
type Store interface {
	// Claim inserts r as in progress. If the key exists it returns the stored
	// record and claimed false.
	Claim(ctx context.Context, r Record) (stored Record, claimed bool, err error)
	// Complete stores the response of a claimed key.
	Complete(ctx context.Context, principalID, key string, status int, body []byte) error
	// Release forgets a claimed key whose request changed nothing, so that
	// the caller may correct the request and retry with the same key.
	Release(ctx context.Context, principalID, key string) error
	// Prune forgets keys created before t.
	Prune(ctx context.Context, before time.Time) (int64, error)
}

// ValidKey reports whether key has the accepted form (8-255 characters of a
// safe alphabet: a UUID fits).
func ValidKey(key string) bool { return keyPattern.MatchString(key) }

// Hash identifies a request by method, path and body.
func Hash(method, path string, body []byte) string {
	h := NewHasher(method, path)
	h.Write(body)
	return h.Sum()
}

// Hasher computes Hash of a body written to it piece by piece (an upload
// too large to hold).
type Hasher struct{ h hash.Hash }

// NewHasher starts the hash of a request to method and path.
func NewHasher(method, path string) *Hasher {
	h := sha256.New()
	h.Write([]byte(method))
	h.Write([]byte{0})
	h.Write([]byte(path))
	h.Write([]byte{0})
	return &Hasher{h: h}
}

func (h *Hasher) Write(p []byte) (int, error) { return h.h.Write(p) }

// Sum is the request's hash, as Hash returns it.
func (h *Hasher) Sum() string { return hex.EncodeToString(h.h.Sum(nil)) }

// Decide says what to do with a request whose key was already stored:
// replay it (nil error) or refuse it.
func Decide(stored Record, requestHash string) error {
	switch {
	case stored.RequestHash != requestHash:
		return apperr.New(apperr.Unprocessable, "Idempotency-Key was already used with a different request: send this one with a new key")
	case !stored.Done:
		return apperr.New(apperr.Conflict, "a request with this Idempotency-Key is still in progress (or was interrupted): check the result before retrying with a new key")
	}
	return nil
}

// MaxStoredBody bounds what a key keeps of an answer: a replay of a larger
// one is answered by reference, so the store never holds megabytes.
const MaxStoredBody = 64 << 10

// Reference is what a key keeps of an answer larger than MaxStoredBody,
// and what its replay answers: 303 See Other to the resource the first
// request made when it is known (Location), else the first status.
type Reference struct {
	Replayed bool   `json:"replayed"`
	Status   int    `json:"status"`
	Bytes    int64  `json:"bytes"`
	Location string `json:"location"`
	Note     string `json:"note"`
}

// Keep says what to store of an answer of size bytes whose first bytes
// are body: the answer itself when it fits, else a Reference pointing at
// location (the resource the request made; "" when none is known).
func Keep(status int, body []byte, size int64, location string) (int, []byte) {
	if size <= MaxStoredBody && int64(len(body)) == size {
		return status, body
	}
	ref := Reference{Replayed: true, Status: status, Bytes: size, Location: location,
		Note: "the first answer to this key was too large to keep: its effect happened once; read the resource at location"}
	if location == "" {
		ref.Note = "the first answer to this key was too large to keep: its effect happened once; list the resource to read it"
	} else {
		status = http.StatusSeeOther
	}
	b, _ := json.Marshal(ref) // a plain struct
	return status, b
}

// ReplayLocation is where a stored reference points a replay (""
// when the stored answer is the answer itself).
func ReplayLocation(stored Record) string {
	if stored.ResponseStatus != http.StatusSeeOther {
		return ""
	}
	var ref Reference
	if json.Unmarshal(stored.ResponseBody, &ref) != nil {
		return ""
	}
	return ref.Location
}
