package idempotency_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jkhhc/artisanbridge/internal/apperr"
	"github.com/jkhhc/artisanbridge/internal/idempotency"
)

func TestDecide(t *testing.T) {
	hash := idempotency.Hash("POST", "/api/v1/clusters", []byte(`{"name":"Khrew"}`))
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	fresh, stale := now.Add(-time.Second), now.Add(-idempotency.StaleAfter)
	tests := []struct {
		name    string
		stored  idempotency.Record
		hash    string
		want    apperr.Code
		verdict idempotency.Verdict
	}{
		{"same request, done: replay", idempotency.Record{RequestHash: hash, Done: true, ResponseStatus: 201, CreatedAt: stale}, hash, "", idempotency.Replay},
		{"same request, still running", idempotency.Record{RequestHash: hash, CreatedAt: fresh}, hash, apperr.Conflict, 0},
		{"same request, cut before it committed: taken over", idempotency.Record{RequestHash: hash, CreatedAt: stale}, hash, "", idempotency.TakeOver},
		{"same request, committed, answer lost", idempotency.Record{RequestHash: hash, Committed: true, CreatedAt: stale}, hash, apperr.Conflict, 0},
		{"same request, committed, still answering", idempotency.Record{RequestHash: hash, Committed: true, CreatedAt: fresh}, hash, apperr.Conflict, 0},
		{"another body", idempotency.Record{RequestHash: hash, Done: true}, idempotency.Hash("POST", "/api/v1/clusters", []byte(`{}`)), apperr.Unprocessable, 0},
		{"another path", idempotency.Record{RequestHash: hash, Done: true}, idempotency.Hash("POST", "/api/v1/artisans", []byte(`{"name":"Khrew"}`)), apperr.Unprocessable, 0},
		{"another body while running", idempotency.Record{RequestHash: hash, CreatedAt: fresh}, idempotency.Hash("POST", "/x", nil), apperr.Unprocessable, 0},
		{"another body of a stale key", idempotency.Record{RequestHash: hash, CreatedAt: stale}, idempotency.Hash("POST", "/x", nil), apperr.Unprocessable, 0},
	}
	for _, tc := range tests {
		v, err := idempotency.Decide(tc.stored, tc.hash, now)
		if got := apperr.CodeOf(err); got != tc.want || (err == nil && v != tc.verdict) {
			t.Errorf("%s: %q %v, want %q %v", tc.name, got, v, tc.want, tc.verdict)
		}
	}
}

func TestValidKey(t *testing.T) {
	for key, want := range map[string]bool{
		"4f7c2a1e-first-artisan": true, "0b8f3a6e-2c1d-4e5f-8a9b-0c1d2e3f4a5b": true, "short": false, "": false,
		"has space in it": false, "nul\x00byte-key": false, strings.Repeat("k", 255): true, strings.Repeat("k", 256): false,
	} {
		if idempotency.ValidKey(key) != want {
			t.Errorf("ValidKey(%q) = %v", key, !want)
		}
	}
}

func TestHashSeparatesParts(t *testing.T) {
	// The parts are delimited: moving a byte from the path to the body is another request.
	if idempotency.Hash("POST", "/a", []byte("b")) == idempotency.Hash("POST", "/ab", nil) {
		t.Fatal("path and body run together")
	}
}

func TestClaimTravelsInTheContext(t *testing.T) {
	if _, ok := idempotency.ClaimFrom(context.Background()); ok {
		t.Fatal("a claim in an empty context")
	}
	c := idempotency.Claim{PrincipalID: "u1", Key: "key-000001", ID: "c1"}
	if got, ok := idempotency.ClaimFrom(idempotency.WithClaim(context.Background(), c)); !ok || got != c {
		t.Fatalf("claim %v %v", got, ok)
	}
}

func TestKeepIsBounded(t *testing.T) {
	small := []byte(`{"id":"x"}`)
	big := bytes.Repeat([]byte("a"), idempotency.MaxStoredBody+1)
	tests := []struct {
		name       string
		status     int
		body       []byte
		size       int64
		location   string
		wantStatus int
		wantSame   bool
	}{
		{"small answer kept as is", 201, small, int64(len(small)), "", 201, true},
		{"exactly the bound", 200, big[:idempotency.MaxStoredBody], idempotency.MaxStoredBody, "", 200, true},
		{"large answer with its resource", 201, big, 20 << 20, "/api/v1/payout-batches/b1", http.StatusSeeOther, false},
		{"large answer without one", 200, big, 20 << 20, "", 200, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, kept := idempotency.Keep(tc.status, tc.body, tc.size, tc.location)
			if status != tc.wantStatus || bytes.Equal(kept, tc.body) != tc.wantSame || len(kept) > idempotency.MaxStoredBody {
				t.Fatalf("Keep = %d, %d bytes", status, len(kept))
			}
			rec := idempotency.Record{ResponseStatus: status, ResponseBody: kept}
			if got := idempotency.ReplayLocation(rec); got != tc.location && !tc.wantSame {
				t.Fatalf("replay points at %q, want %q", got, tc.location)
			}
			if !tc.wantSame {
				var ref idempotency.Reference
				if err := json.Unmarshal(kept, &ref); err != nil || ref.Bytes != tc.size || ref.Status != tc.status {
					t.Fatalf("reference %s: %v", kept, err)
				}
			}
		})
	}
}
