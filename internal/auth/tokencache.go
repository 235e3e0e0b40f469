package auth

import (
	"sync"
	"time"
)

// VerifiedTokenTTL is how long a process trusts a token it has verified
// against the database without asking again: a token revoked through
// another process (another api replica) stops working within this time;
// through this process, at once. Every request used to cost a database
// round trip for its token, as much as a cheap list itself.
const VerifiedTokenTTL = 5 * time.Second

// maxVerifiedTokens bounds the cache: past it, expired entries are
// dropped, and if none had expired the cache starts over.
const maxVerifiedTokens = 10_000

// verifiedTokens remembers recently verified tokens by their hash (never
// the token itself) with the user they belong to.
type verifiedTokens struct {
	mu sync.Mutex
	m  map[string]verifiedToken
	// epoch counts revocations, so that a lookup that began before one
	// cannot put back a token the revocation has just forgotten.
	epoch uint64
}

type verifiedToken struct {
	user  User
	until time.Time
}

func (c *verifiedTokens) get(hash string, now time.Time) (User, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	v, ok := c.m[hash]
	if !ok || !now.Before(v.until) {
		return User{}, false
	}
	return v.user, true
}

// begin returns the epoch a lookup starts in, for put.
func (c *verifiedTokens) begin() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.epoch
}

// put keeps a verified token unless a revocation happened since epoch.
func (c *verifiedTokens) put(hash string, u User, now time.Time, epoch uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if epoch != c.epoch {
		return
	}
	if c.m == nil {
		c.m = map[string]verifiedToken{}
	}
	if len(c.m) >= maxVerifiedTokens {
		for k, v := range c.m {
			if !now.Before(v.until) {
				delete(c.m, k)
			}
		}
		if len(c.m) >= maxVerifiedTokens {
			clear(c.m)
		}
	}
	c.m[hash] = verifiedToken{user: u, until: now.Add(VerifiedTokenTTL)}
}

// forgetUser drops every token of a user, and makes lookups still under
// way not keep theirs.
func (c *verifiedTokens) forgetUser(userID string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.epoch++
	for k, v := range c.m {
		if v.user.ID == userID {
			delete(c.m, k)
		}
	}
}
