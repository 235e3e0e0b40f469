package secrets

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func newKey(t *testing.T) []byte {
	t.Helper()
	k := make([]byte, 32)
	if _, err := rand.Read(k); err != nil {
		t.Fatal(err)
	}
	return k
}

func TestSealOpen(t *testing.T) {
	ring, err := NewKeyring("k1", map[string][]byte{"k1": newKey(t)})
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := ring.Seal([]byte("123456789012"), []byte("row-1"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(sealed, "123456789012") || !strings.HasPrefix(sealed, "v1.k1.") {
		t.Fatalf("sealed form %q", sealed)
	}
	again, _ := ring.Seal([]byte("123456789012"), []byte("row-1"))
	if again == sealed {
		t.Fatal("two seals of one value are equal: the nonce is not fresh")
	}
	tests := []struct {
		name   string
		sealed string
		aad    string
		want   error
	}{
		{"right row", sealed, "row-1", nil},
		{"moved to another row", sealed, "row-2", ErrDecrypt},
		{"tampered", sealed[:len(sealed)-2] + flip(sealed[len(sealed)-2:]), "row-1", ErrDecrypt},
		{"unknown key", strings.Replace(sealed, "v1.k1.", "v1.k9.", 1), "row-1", ErrUnknownKey},
		{"other version", strings.Replace(sealed, "v1.", "v2.", 1), "row-1", ErrMalformed},
		{"not base64", "v1.k1.***", "row-1", ErrMalformed},
		{"too short", "v1.k1.AAAA", "row-1", ErrMalformed},
		{"empty", "", "row-1", ErrMalformed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ring.Open(tc.sealed, []byte(tc.aad))
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			if tc.want == nil && string(got) != "123456789012" {
				t.Fatalf("opened %q", got)
			}
		})
	}
}

func flip(s string) string {
	if s[0] == 'A' {
		return "B" + s[1:]
	}
	return "A" + s[1:]
}

func TestRotation(t *testing.T) {
	old, next := newKey(t), newKey(t)
	ring1, _ := NewKeyring("2025", map[string][]byte{"2025": old})
	sealed, _ := ring1.Seal([]byte("998877665544"), []byte("a1"))
	ring2, err := NewKeyring("2026", map[string][]byte{"2025": old, "2026": next})
	if err != nil {
		t.Fatal(err)
	}
	if !ring2.NeedsReseal(sealed) || ring1.NeedsReseal(sealed) {
		t.Fatal("NeedsReseal does not follow the primary key")
	}
	plain, err := ring2.Open(sealed, []byte("a1"))
	if err != nil || string(plain) != "998877665544" {
		t.Fatalf("old value under the new ring: %q %v", plain, err)
	}
	resealed, _ := ring2.Seal(plain, []byte("a1"))
	if id, _ := KeyID(resealed); id != "2026" {
		t.Fatalf("resealed with %q", id)
	}
	if _, err := ring1.Open(resealed, []byte("a1")); !errors.Is(err, ErrUnknownKey) {
		t.Fatalf("old ring opened a new value: %v", err)
	}
}

func TestParseMasterKey(t *testing.T) {
	k1 := base64.StdEncoding.EncodeToString(newKey(t))
	k2 := base64.StdEncoding.EncodeToString(newKey(t))
	short := base64.StdEncoding.EncodeToString([]byte("too short"))
	tests := []struct {
		in      string
		primary string
		ok      bool
	}{
		{k1, "k1", true},
		{"a:" + k1 + ",b:" + k2, "a", true},
		{" a:" + k1 + " , b:" + k2 + " ", "a", true},
		{"", "", false},
		{short, "", false},
		{"a:" + k1 + ",a:" + k2, "", false},
		{"a:not*base64", "", false},
		{"bad id!:" + k1, "", false},
	}
	for i, tc := range tests {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			ring, err := ParseMasterKey(tc.in)
			if (err == nil) != tc.ok {
				t.Fatalf("err = %v", err)
			}
			if err != nil {
				for _, secret := range []string{k1, k2, short} {
					if strings.Contains(err.Error(), secret) {
						t.Fatal("the error repeats key material")
					}
				}
				return
			}
			if ring.PrimaryID() != tc.primary {
				t.Fatalf("primary %q", ring.PrimaryID())
			}
		})
	}
}

func TestKeyringDoesNotLeak(t *testing.T) {
	key := newKey(t)
	ring, _ := NewKeyring("k1", map[string][]byte{"k1": key})
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("ring", "ring", ring)
	out := fmt.Sprintf("%v %+v %#v %s", ring, ring, ring, buf.String())
	b64 := base64.StdEncoding.EncodeToString(key)
	if strings.Contains(out, b64) || bytes.Contains([]byte(out), key) {
		t.Fatalf("key material printed: %s", out)
	}
}

func TestLoadOrCreateKeyFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "sub", "master.key")
	k1, err := LoadOrCreateKeyFile(path)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v %v", fi.Mode().Perm(), err)
	}
	if _, err := ParseMasterKey(k1); err != nil {
		t.Fatalf("generated key does not parse: %v", err)
	}
	k2, err := LoadOrCreateKeyFile(path)
	if err != nil || k2 != k1 {
		t.Fatal("second load returned another key")
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadOrCreateKeyFile(path); err == nil {
		t.Fatal("a world-readable key file was accepted")
	}
}

func TestMask(t *testing.T) {
	tests := []struct{ in, mask, last4 string }{
		{"123456789012", "XXXXXXXX9012", "9012"},
		{"12345", "X2345", "2345"},
		{"1234", "XXXX", "1234"},
		{"12", "XX", "12"},
		{"", "", ""},
	}
	for _, tc := range tests {
		if got := Mask(tc.in); got != tc.mask {
			t.Errorf("Mask(%q) = %q, want %q", tc.in, got, tc.mask)
		}
		if got := Last4(tc.in); got != tc.last4 {
			t.Errorf("Last4(%q) = %q, want %q", tc.in, got, tc.last4)
		}
	}
	if MaskedLast4("9012") != "XXXXXXXX9012" || MaskedLast4("") != "" {
		t.Error("MaskedLast4")
	}
}

// FuzzOpen: whatever is stored in the column, Open never panics, and what
// opens is only ever what this key sealed (here, only the one account).
func FuzzOpen(f *testing.F) {
	key := bytes.Repeat([]byte{7}, 32)
	ring, _ := NewKeyring("k1", map[string][]byte{"k1": key})
	good, _ := ring.Seal([]byte("123456789012"), []byte("row"))
	f.Add(good)
	f.Add("v1.k1.")
	f.Add("v1..AAAA")
	f.Add("v1.k1.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
	f.Fuzz(func(t *testing.T, sealed string) {
		plain, err := ring.Open(sealed, []byte("row"))
		if err == nil && (string(plain) != "123456789012" || !strings.HasPrefix(sealed, "v1.k1.")) {
			t.Fatalf("%q opened to %q", sealed, plain)
		}
	})
}
