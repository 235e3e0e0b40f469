package httpapi_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jkhhc/artisanbridge/internal/auth"
	"github.com/jkhhc/artisanbridge/internal/httpapi"
	"github.com/jkhhc/artisanbridge/internal/testenv"
)

// TestFailedRequestReleasesItsKey: a request that failed with a 5xx or a
// panic committed nothing, so a retry with the same Idempotency-Key runs
// again instead of being refused as in progress.
func TestFailedRequestReleasesItsKey(t *testing.T) {
	for _, b := range testenv.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			var calls atomic.Int32
			ts := newTestServerWith(t, b, func(d *httpapi.Deps) {
				d.RescanOrders = func(ctx context.Context, channelID string, since time.Time) error {
					switch calls.Add(1) {
					case 1:
						panic("the marketplace client fell over")
					case 2:
						return errors.New("connection reset by peer")
					}
					return nil
				}
			})
			ch := ts.channel()
			body := map[string]any{"since": time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)}
			path := "/api/v1/channels/" + ch + "/orders/rescan"
			for i, want := range []int{500, 500, 202, 202} {
				r := ts.do(auth.RoleOperations, "POST", path, body, "Idempotency-Key", "rescan-after-failure-1")
				if r.Status != want {
					t.Fatalf("attempt %d: %d %s, want %d", i+1, r.Status, r.Body, want)
				}
				if want == 500 && !strings.Contains(string(r.Body), `"code":"internal"`) {
					t.Fatalf("attempt %d: not the error shape: %s", i+1, r.Body)
				}
				if i == 3 && r.Header.Get("Idempotency-Replayed") != "true" {
					t.Fatalf("the success was not replayed: %v", r.Header)
				}
			}
			if n := calls.Load(); n != 3 {
				t.Fatalf("the rescan ran %d times, want 3 (the replay runs nothing)", n)
			}
			if !strings.Contains(ts.logs.String(), "the marketplace client fell over") {
				t.Fatal("the panic was not logged")
			}
		})
	}
}

// TestIdempotencyNeverKeepsAToken: the idempotency store keeps a marker for
// answers carrying a token: a replay answers the same status and body
// without the token, saying it was shown once and how to get another.
func TestIdempotencyNeverKeepsAToken(t *testing.T) {
	for _, b := range testenv.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			ts := newTestServer(t, b)
			created := ts.do(auth.RoleAdmin, "POST", "/api/v1/users", map[string]any{"name": "Bilal", "role": "operations"}, "Idempotency-Key", "create-bilal-0001")
			first := created.json(t)
			token, _ := first["token"].(string)
			if created.Status != 201 || !strings.HasPrefix(token, "abt_") {
				t.Fatalf("create: %d %s", created.Status, created.Body)
			}
			id := first["id"].(string)
			issued := ts.do(auth.RoleAdmin, "POST", "/api/v1/users/"+id+"/tokens", nil, "Idempotency-Key", "issue-bilal-0001")
			second, _ := issued.json(t)["token"].(string)
			if issued.Status != 201 || !strings.HasPrefix(second, "abt_") {
				t.Fatalf("issue: %d %s", issued.Status, issued.Body)
			}
			for _, replay := range []struct{ path, key string }{{"/api/v1/users", "create-bilal-0001"}, {"/api/v1/users/" + id + "/tokens", "issue-bilal-0001"}} {
				var body any
				if replay.path == "/api/v1/users" {
					body = map[string]any{"name": "Bilal", "role": "operations"}
				}
				r := ts.do(auth.RoleAdmin, "POST", replay.path, body, "Idempotency-Key", replay.key)
				m := r.json(t)
				note, _ := m["token_note"].(string)
				if r.Status != 201 || r.Header.Get("Idempotency-Replayed") != "true" || m["token"] != nil ||
					!strings.Contains(note, "shown once") || !strings.Contains(note, "/api/v1/users/"+id+"/tokens") {
					t.Fatalf("replay of %s: %d %s", replay.path, r.Status, r.Body)
				}
				if strings.Contains(string(r.Body), token) || strings.Contains(string(r.Body), second) {
					t.Fatalf("a replay shows a token: %s", r.Body)
				}
			}
			if m := ts.do(auth.RoleAdmin, "GET", "/api/v1/users?limit=500", nil); !strings.Contains(string(m.Body), "Bilal") {
				t.Fatalf("users: %s", m.Body)
			}
			var rows []map[string]any
			if err := ts.db.Gorm().Raw("SELECT * FROM idempotency_keys").Scan(&rows).Error; err != nil {
				t.Fatal(err)
			}
			if len(rows) != 2 {
				t.Fatalf("%d idempotency records, want 2", len(rows))
			}
			for _, row := range rows {
				for col, v := range row {
					if s := fmt.Sprint(v); strings.Contains(s, token) || strings.Contains(s, second) || strings.Contains(s, "abt_") {
						t.Fatalf("idempotency_keys.%s holds a token: %s", col, s)
					}
				}
			}
			// Both tokens still work: the marker changed nothing but what is kept.
			for _, tok := range []string{token, second} {
				if r := ts.do("", "GET", "/api/v1/orders", nil, "Authorization", "Bearer "+tok); r.Status != http.StatusOK {
					t.Fatalf("token refused: %d", r.Status)
				}
			}
		})
	}
}

// TestLargeAnswerKeptByReference: the idempotency store keeps at most 64
// KiB of an answer; a replay of a larger one points at the resource the
// first request made (303 See Other), and nothing runs twice.
func TestLargeAnswerKeptByReference(t *testing.T) {
	for _, b := range testenv.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			ts := newTestServer(t, b)
			maker := ts.mustCreate("/api/v1/artisans", map[string]any{"code": "PM-9", "name": "Shabir", "craft": "papier_mache"})
			images := []string{}
			for i := range 20 {
				images = append(images, fmt.Sprintf("https://img.example/%d/%s.jpg", i, strings.Repeat("p", 2000)))
			}
			attrs := map[string]string{}
			for i := range 50 {
				attrs[fmt.Sprintf("note_%d", i)] = strings.Repeat("n", 500)
			}
			body := map[string]any{"sku": "PM-BIG-1", "title": "Papier-mache chest", "craft": "papier_mache", "hsn_code": "4823",
				"gst_rate_bp": 500, "mrp_paise": 900000, "price_paise": 800000, "artisan_id": maker["id"], "artisan_price_paise": 500000,
				"description": strings.Repeat("d", 5000), "images": images, "attributes": attrs}
			first := ts.do(auth.RoleShowroom, "POST", "/api/v1/products", body, "Idempotency-Key", "big-answer-0001")
			if first.Status != 201 || len(first.Body) <= 64<<10 {
				t.Fatalf("first: %d, %d bytes", first.Status, len(first.Body))
			}
			var kept int64
			if err := ts.db.Gorm().Raw(`SELECT LENGTH(response_body) FROM idempotency_keys WHERE idem_key = ?`, "big-answer-0001").Scan(&kept).Error; err != nil {
				t.Fatal(err)
			}
			if kept == 0 || kept > 64<<10 {
				t.Fatalf("the store keeps %d bytes of the answer", kept)
			}
			again := ts.do(auth.RoleShowroom, "POST", "/api/v1/products", body, "Idempotency-Key", "big-answer-0001")
			id := first.json(t)["id"].(string)
			if again.Status != http.StatusSeeOther || again.Header.Get("Location") != "/api/v1/products/"+id || again.Header.Get("Idempotency-Replayed") != "true" {
				t.Fatalf("replay: %d %v %s", again.Status, again.Header, again.Body)
			}
			if got := ts.do(auth.RoleShowroom, "GET", again.Header.Get("Location"), nil); got.Status != 200 || got.json(t)["version"].(float64) != 1 {
				t.Fatalf("the resource: %d", got.Status)
			}
		})
	}
}
