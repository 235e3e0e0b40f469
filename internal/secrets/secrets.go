// Package secrets seals artisans' bank account numbers and marketplace
// credentials at rest with AES-256-GCM. Each ciphertext names the key that
// made it, so keys can be rotated: a new primary seals, old keys still open.
// The row id is the additional data, so a ciphertext copied to another row
// does not open there.
package secrets

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

var (
	ErrMalformed  = errors.New("secrets: malformed sealed value")
	ErrUnknownKey = errors.New("secrets: sealed with a key not in the key ring")
	ErrDecrypt    = errors.New("secrets: sealed value does not open (tampered, or moved to another row)")
)

const (
	version = "v1"
	keySize = 32
)

var keyIDPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,32}$`)

// Keyring holds one primary key (used to seal) and older keys (still used to open).
type Keyring struct {
	primary string
	aeads   map[string]cipher.AEAD
}

// NewKeyring builds a ring; every key is 32 bytes and primaryID is among them.
func NewKeyring(primaryID string, keys map[string][]byte) (*Keyring, error) {
	if _, ok := keys[primaryID]; !ok {
		return nil, fmt.Errorf("secrets: primary key %q is not in the ring", primaryID)
	}
	k := &Keyring{primary: primaryID, aeads: make(map[string]cipher.AEAD, len(keys))}
	for id, key := range keys {
		if !keyIDPattern.MatchString(id) {
			return nil, fmt.Errorf("secrets: key id %q must be 1-32 letters, digits, _ or -", id)
		}
		if len(key) != keySize {
			return nil, fmt.Errorf("secrets: key %q must be %d bytes, not %d", id, keySize, len(key))
		}
		block, err := aes.NewCipher(key)
		if err != nil {
			return nil, err
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, err
		}
		k.aeads[id] = aead
	}
	return k, nil
}

// ParseMasterKey parses ARTISANBRIDGE_MASTER_KEY: one standard-base64 key
// (id "k1"), or "id:base64,id2:base64" with the primary first. Errors never
// repeat key material.
func ParseMasterKey(s string) (*Keyring, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, errors.New("secrets: master key is empty")
	}
	keys := map[string][]byte{}
	primary := ""
	for i, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		id, b64, found := strings.Cut(part, ":")
		if !found {
			id, b64 = "k1", part
		}
		if _, dup := keys[id]; dup {
			return nil, fmt.Errorf("secrets: key id %q appears twice", id)
		}
		key, err := base64.StdEncoding.DecodeString(b64)
		if err != nil {
			return nil, fmt.Errorf("secrets: key %d (id %q) is not standard base64", i+1, id)
		}
		keys[id] = key
		if i == 0 {
			primary = id
		}
	}
	return NewKeyring(primary, keys)
}

// GenerateMasterKey returns a new random key in ParseMasterKey's form.
func GenerateMasterKey(id string) string {
	key := make([]byte, keySize)
	if _, err := rand.Read(key); err != nil {
		panic("secrets: no randomness: " + err.Error())
	}
	return id + ":" + base64.StdEncoding.EncodeToString(key)
}

// LoadOrCreateKeyFile returns the master key kept at path, creating it
// (0600, atomically, never overwriting one another process made first) if
// it does not exist. A file others can read is refused.
func LoadOrCreateKeyFile(path string) (string, error) {
	if b, err := readKeyFile(path); err == nil || !errors.Is(err, os.ErrNotExist) {
		return b, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return "", fmt.Errorf("secrets: key directory: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".master.key-*")
	if err != nil {
		return "", fmt.Errorf("secrets: key file: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return "", err
	}
	if _, err := tmp.WriteString(GenerateMasterKey("k1") + "\n"); err != nil {
		tmp.Close()
		return "", err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return "", err
	}
	if err := tmp.Close(); err != nil {
		return "", err
	}
	// Link fails if the file appeared meanwhile: the first writer wins.
	if err := os.Link(tmp.Name(), path); err != nil && !errors.Is(err, os.ErrExist) {
		return "", fmt.Errorf("secrets: key file: %w", err)
	}
	return readKeyFile(path)
}

func readKeyFile(path string) (string, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return "", err
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return "", fmt.Errorf("secrets: %s is readable by others (mode %v): chmod 600 it", path, fi.Mode().Perm())
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(string(b)), nil
}

// Seal encrypts plaintext with the primary key, bound to aad. The result
// is "v1.<keyid>.<base64url(nonce||ciphertext)>".
func (k *Keyring) Seal(plaintext, aad []byte) (string, error) {
	aead := k.aeads[k.primary]
	nonce := make([]byte, aead.NonceSize(), aead.NonceSize()+len(plaintext)+aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return "", err
	}
	out := aead.Seal(nonce, nonce, plaintext, aad)
	return version + "." + k.primary + "." + base64.RawURLEncoding.EncodeToString(out), nil
}

// Open reverses Seal with the key the value names.
func (k *Keyring) Open(sealed string, aad []byte) ([]byte, error) {
	id, body, err := split(sealed)
	if err != nil {
		return nil, err
	}
	aead, ok := k.aeads[id]
	if !ok {
		return nil, ErrUnknownKey
	}
	raw, err := base64.RawURLEncoding.DecodeString(body)
	if err != nil || len(raw) < aead.NonceSize()+aead.Overhead() {
		return nil, ErrMalformed
	}
	plain, err := aead.Open(nil, raw[:aead.NonceSize()], raw[aead.NonceSize():], aad)
	if err != nil {
		return nil, ErrDecrypt
	}
	return plain, nil
}

func split(sealed string) (id, body string, err error) {
	parts := strings.Split(sealed, ".")
	if len(parts) != 3 || parts[0] != version || !keyIDPattern.MatchString(parts[1]) {
		return "", "", ErrMalformed
	}
	return parts[1], parts[2], nil
}

// KeyID returns the key id a sealed value names.
func KeyID(sealed string) (string, error) {
	id, _, err := split(sealed)
	return id, err
}

// PrimaryID returns the id of the key that seals.
func (k *Keyring) PrimaryID() string { return k.primary }

// NeedsReseal reports whether sealed was made with a key other than the
// primary, for a rotation job to re-seal it.
func (k *Keyring) NeedsReseal(sealed string) bool {
	id, err := KeyID(sealed)
	return err == nil && id != k.primary
}

// String, GoString and LogValue show key ids only, so a ring printed or
// logged by mistake leaks nothing.
func (k *Keyring) String() string {
	ids := make([]string, 0, len(k.aeads))
	for id := range k.aeads {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return fmt.Sprintf("Keyring{primary=%s keys=%s}", k.primary, strings.Join(ids, ","))
}

func (k *Keyring) GoString() string { return k.String() }

func (k *Keyring) LogValue() slog.Value { return slog.StringValue(k.String()) }

// Last4 returns the last 4 characters of s (all of s if shorter).
func Last4(s string) string {
	r := []rune(s)
	if len(r) <= 4 {
		return s
	}
	return string(r[len(r)-4:])
}

// Mask replaces all but the last 4 characters with X; a value of 4 or
// fewer characters is masked entirely.
func Mask(s string) string {
	r := []rune(s)
	if len(r) <= 4 {
		return strings.Repeat("X", len(r))
	}
	return strings.Repeat("X", len(r)-4) + string(r[len(r)-4:])
}

// MaskedLast4 is how an account number is shown anywhere but the bank
// file: a fixed run of X and the last 4 digits, so not even the length of
// the number is revealed.
func MaskedLast4(last4 string) string {
	if last4 == "" {
		return ""
	}
	return "XXXXXXXX" + last4
}
