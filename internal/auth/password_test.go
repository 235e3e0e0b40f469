package auth

import (
	"strings"
	"testing"
	"time"
)

func TestPasswords(t *testing.T) {
	hash, err := HashPassword("correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(hash, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Errorf("hash %q is not an argon2id PHC string with the chosen parameters", hash)
	}
	again, _ := HashPassword("correct horse battery")
	if again == hash {
		t.Error("two hashes of one password are equal: the salt is not random")
	}
	for _, tc := range []struct {
		name, phc, pw string
		want          bool
	}{
		{"right password", hash, "correct horse battery", true},
		{"wrong password", hash, "correct horse battery!", false},
		{"empty password", hash, "", false},
		{"no password set", "", "correct horse battery", false},
		{"malformed hash", "$argon2id$v=19$m=19456$x$y", "correct horse battery", false},
		{"another algorithm", strings.Replace(hash, "argon2id", "argon2i", 1), "correct horse battery", false},
		{"too long a password", hash, strings.Repeat("x", MaxPasswordLen+1), false},
		{"absurd memory cost", strings.Replace(hash, "m=19456", "m=99999999", 1), "correct horse battery", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := VerifyPassword(tc.phc, tc.pw); got != tc.want {
				t.Errorf("VerifyPassword = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestValidatePassword(t *testing.T) {
	for _, tc := range []struct {
		pw string
		ok bool
	}{
		{"short", false},
		{"exactly10!", true},
		{"ten runes: ", true},
		{"ਪੰਜਾਬੀ ਪਾਸਵਰਡ", true},
		{strings.Repeat("a", MaxPasswordLen), true},
		{strings.Repeat("a", MaxPasswordLen+1), false},
	} {
		if err := ValidatePassword(tc.pw); (err == nil) != tc.ok {
			t.Errorf("ValidatePassword(%q) = %v, want ok %v", tc.pw, err, tc.ok)
		}
	}
}

func TestCSRFTokens(t *testing.T) {
	a, _ := NewSessionToken()
	b, _ := NewSessionToken()
	for _, tc := range []struct {
		name         string
		token, given string
		want         bool
	}{
		{"the session's own token", a, CSRFToken(a), true},
		{"another session's token", a, CSRFToken(b), false},
		{"no token given", a, "", false},
		{"no session", "", CSRFToken(""), false},
		{"the session token itself", a, a, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := CheckCSRF(tc.token, tc.given); got != tc.want {
				t.Errorf("CheckCSRF = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestSessionTokens(t *testing.T) {
	tok, hash := NewSessionToken()
	for _, tc := range []struct {
		s    string
		want bool
	}{
		{tok, true}, {"", false}, {tok[:len(tok)-1], false}, {"abt_" + tok[4:], false}, {hash, false},
	} {
		if got := ValidSessionToken(tc.s); got != tc.want {
			t.Errorf("ValidSessionToken(%q) = %v, want %v", tc.s, got, tc.want)
		}
	}
	if hash != HashToken(tok) || strings.Contains(hash, tok) {
		t.Error("the stored hash is not the token's hash")
	}
}

func TestLocked(t *testing.T) {
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	later, earlier := now.Add(time.Minute), now.Add(-time.Minute)
	for _, tc := range []struct {
		name  string
		until *time.Time
		want  bool
	}{
		{"never locked", nil, false},
		{"locked until later", &later, true},
		{"lock over", &earlier, false},
		{"lock ends now", &now, false},
	} {
		if got := Locked(tc.until, now); got != tc.want {
			t.Errorf("%s: Locked = %v, want %v", tc.name, got, tc.want)
		}
	}
}
