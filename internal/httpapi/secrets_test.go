package httpapi_test

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/jkhhc/artisanbridge/internal/testenv"
)

var tokenPattern = regexp.MustCompile(`abt_[A-Za-z0-9_-]{43}`)

// TestNoSecretInAnyTable is acceptance 6: with artisans holding bank
// accounts, users holding tokens, a channel holding credentials, a payout
// batch whose bank file was taken and every POST sent with an
// Idempotency-Key, a dump of every column of every row of every table (and
// of the log) holds no token, bank account number or credential in plain
// text, nor base64-encoded.
func TestNoSecretInAnyTable(t *testing.T) {
	for _, b := range testenv.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t, b)
			secrets := map[string]string{}
			for role, tok := range w.tokens {
				secrets[tok] = "the token of " + string(role)
			}
			bankFile := ""
			for i, st := range steps() {
				var header []string
				if strings.HasPrefix(st.route, "POST ") {
					header = []string{"Idempotency-Key", fmt.Sprintf("secrets-walk-%04d", i)}
				}
				req, r := w.run(st, header...)
				if st.route == "GET /api/v1/payout-batches/:id/bank-file" {
					bankFile = string(r.Body)
				}
				for _, tok := range tokenPattern.FindAllString(string(r.Body), -1) {
					secrets[tok] = "a token answered by " + st.route
				}
				// A public route (a provider's signed webhook) has no principal
				// to keep a key for: its own event id makes it idempotent.
				if req.Method == http.MethodPost && header != nil && st.as != "" {
					// Replayed, the answer is the stored one: it must not show a token again.
					_, again := w.run(st, header...)
					if again.Header.Get("Idempotency-Replayed") != "true" {
						t.Fatalf("%s was not replayed", st.route)
					}
					if tok := tokenPattern.FindString(string(again.Body)); tok != "" {
						t.Errorf("the replay of %s shows a token", st.route)
					}
				}
			}
			if len(secrets) < 6 {
				t.Fatalf("only %d tokens seen: the walk issues no tokens?", len(secrets))
			}
			for _, acct := range []string{"501001234567", "501001234568", "001122334455"} {
				secrets[acct] = "a bank account number"
			}
			for _, cred := range []string{"walk-secret-0001"} {
				secrets[cred] = "a channel credential"
			}
			if !strings.Contains(bankFile, "501001234567") || !strings.Contains(bankFile, "501001234568") {
				t.Fatalf("the bank file lacks the account numbers it must carry: %s", bankFile)
			}
			tables := tableNames(t, w, b)
			if len(tables) < 25 {
				t.Fatalf("only %d tables found", len(tables))
			}
			cells := 0
			for _, table := range tables {
				var rows []map[string]any
				if err := w.db.Gorm().Table(table).Find(&rows).Error; err != nil {
					t.Fatalf("dump %s: %v", table, err)
				}
				for _, row := range rows {
					for col, v := range row {
						cells++
						text := cellText(v)
						for secret, what := range secrets {
							if strings.Contains(text, secret) || strings.Contains(decodedBase64(text), secret) {
								t.Errorf("%s.%s holds %s in plain text", table, col, what)
							}
						}
					}
				}
			}
			if cells < 500 {
				t.Fatalf("only %d cells dumped", cells)
			}
			logs := w.logs.String()
			for secret, what := range secrets {
				if strings.Contains(logs, secret) {
					t.Errorf("the log holds %s", what)
				}
			}
		})
	}
}

func tableNames(t *testing.T, w *world, b testenv.Backend) []string {
	t.Helper()
	var names []string
	q := `SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`
	if b.Name == "postgres" {
		q = `SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename`
	}
	if err := w.db.Gorm().Raw(q).Scan(&names).Error; err != nil {
		t.Fatal(err)
	}
	return names
}

func cellText(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case []byte:
		return string(x)
	case string:
		return x
	}
	return fmt.Sprint(v)
}

// decodedBase64 is text decoded, if it is base64 (a file's content is kept so).
func decodedBase64(text string) string {
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(text); err == nil {
			return string(b)
		}
	}
	return ""
}
