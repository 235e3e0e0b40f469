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

// StaleAfter is how long a claimed key that has committed nothing may stay
// in progress before a retry takes it over: longer than any request runs
// (the shutdown drain is 15 s). A request cut by a crash before it
// committed leaves its key so; the retry then runs it. The first request,
// were it somehow still running, can no longer commit: its transaction
// finds its claim taken over and rolls back (the store guards it).
const StaleAfter = 30 * time.Second

var keyPattern = regexp.MustCompile(`^[A-Za-z0-9_.:-]{8,255}$`)

// Record is one key's state.
type Record struct {
	PrincipalID string
	Key         string
	Method      string
	Path        string
	RequestHash string
	// ClaimID names one run of the request under the key: a retry that
	// takes a stale key over gets a new one.
	ClaimID string
	// Committed says a transaction of the request under this claim
	// committed (written in that transaction), even if its answer was
	// never stored.
	Committed      bool
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
	// TakeOver gives a stale claim (in progress, nothing committed, still
	// held by fromClaim) to toClaim; false when it is no longer so.
	TakeOver(ctx context.Context, principalID, key, fromClaim, toClaim string, at time.Time) (bool, error)
	// Complete stores the response of a key claimed by claimID.
	Complete(ctx context.Context, principalID, key, claimID string, status int, body []byte) error
	// Release forgets a key claimed by claimID whose request was refused
	// (and so changed nothing), so that the caller may correct the
	// request and retry with the same key.
	Release(ctx context.Context, principalID, key, claimID string) error
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

// Verdict is what to do with a request whose key was already stored.
type Verdict int

const (
	// Replay answers the stored response.
	Replay Verdict = iota
	// TakeOver runs the request again under a new claim: the first run
	// was cut before it committed anything and is long gone.
	TakeOver
)

// Decide says what to do with a request whose key was already stored at
// now: replay it, take the key over, or refuse it (the error).
func Decide(stored Record, requestHash string, now time.Time) (Verdict, error) {
	switch {
	case stored.RequestHash != requestHash:
		return 0, apperr.New(apperr.Unprocessable, "Idempotency-Key was already used with a different request: send this one with a new key")
	case stored.Done:
		return Replay, nil
	case stored.Committed:
		return 0, apperr.New(apperr.Conflict, "the request with this Idempotency-Key committed, but its answer was lost when the server stopped: "+
			"do not send it again; read the resource to see its result")
	case !now.Before(stored.CreatedAt.Add(StaleAfter)):
		return TakeOver, nil
	}
	return 0, apperr.New(apperr.Conflict, "a request with this Idempotency-Key is still in progress: retry in a few seconds (with the same key)")
}

// Claim is the claimed key a request runs under, carried by its context
// so that the store marks the key committed in the request's own
// transaction.
type Claim struct{ PrincipalID, Key, ID string }

type claimKey struct{}

// WithClaim returns ctx carrying c.
func WithClaim(ctx context.Context, c Claim) context.Context {
	return context.WithValue(ctx, claimKey{}, c)
}

// ClaimFrom returns the claim ctx carries, if any.
func ClaimFrom(ctx context.Context) (Claim, bool) {
	c, ok := ctx.Value(claimKey{}).(Claim)
	return c, ok
}

// Enter claims rec's key for one run of a request (rec.ClaimID names the
// run). It answers the stored record when the key's request already
// finished and is to be replayed; otherwise the context carrying the claim,
// which the run's transactions mark committed, after taking over a stale
// claim if need be. An error is a refusal (another body, still running,
// committed without an answer) or a failure of the store.
func Enter(ctx context.Context, st Store, rec Record, now time.Time) (replay *Record, run context.Context, err error) {
	stored, claimed, err := st.Claim(ctx, rec)
	if err != nil {
		return nil, ctx, err
	}
	if !claimed {
		verdict, err := Decide(stored, rec.RequestHash, now)
		if err != nil {
			return nil, ctx, err
		}
		if verdict == Replay {
			return &stored, ctx, nil
		}
		// The first run was cut before it committed anything: this one
		// takes the key over (of two retries, one).
		took, err := st.TakeOver(ctx, rec.PrincipalID, rec.Key, stored.ClaimID, rec.ClaimID, now)
		if err != nil {
			return nil, ctx, err
		}
		if !took {
			return nil, ctx, apperr.New(apperr.Conflict, "a request with this Idempotency-Key is still in progress: retry in a few seconds (with the same key)")
		}
	}
	return nil, WithClaim(ctx, Claim{PrincipalID: rec.PrincipalID, Key: rec.Key, ID: rec.ClaimID}), nil
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
