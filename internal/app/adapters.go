package app

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"sync"

	"github.com/jkhhc/artisanbridge/adapters"
	"github.com/jkhhc/artisanbridge/internal/channels"
)

// adapterPool keeps one adapter per channel for the life of the process,
// so its access token (and the connections of its HTTP client) serve every
// job of every worker; a channel whose version, addresses, settings or
// credentials changed gets a new adapter, and with it a new token.
type adapterPool struct {
	mu sync.Mutex
	m  map[string]pooledAdapter // by channel id
}

type pooledAdapter struct {
	fingerprint string
	ad          adapters.Channel
}

// get returns the channel's adapter, building it when there is none yet
// or the channel changed.
func (p *adapterPool) get(ch channels.Channel, creds map[string]string,
	build func(channels.Channel, map[string]string) (adapters.Channel, error)) (adapters.Channel, error) {
	fp := adapterFingerprint(ch, creds)
	p.mu.Lock()
	defer p.mu.Unlock()
	if cur, ok := p.m[ch.ID]; ok && cur.fingerprint == fp {
		return cur.ad, nil
	}
	ad, err := build(ch, creds)
	if err != nil {
		return nil, err
	}
	if p.m == nil {
		p.m = map[string]pooledAdapter{}
	}
	p.m[ch.ID] = pooledAdapter{fingerprint: fp, ad: ad}
	return ad, nil
}

// adapterFingerprint is a digest of everything an adapter is built from.
// The credentials enter only as part of the digest, which stays in memory.
// The simulators' addresses change without a version (PointAt), so they
// are part of it too.
func adapterFingerprint(ch channels.Channel, creds map[string]string) string {
	b, _ := json.Marshal(struct {
		Kind, BaseURL, TokenURL string
		Version                 int64
		Settings                channels.Settings
		Creds                   map[string]string
	}{ch.Kind, ch.BaseURL, ch.TokenURL, ch.Version, ch.Settings, creds})
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
