package idempotency_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/jkhhc/artisanbridge/internal/apperr"
	"github.com/jkhhc/artisanbridge/internal/idempotency"
)

func TestDecide(t *testing.T) {
	hash := idempotency.Hash("POST", "/api/v1/clusters", []byte(`{"name":"Khrew"}`))
	tests := []struct {
		name   string
		stored idempotency.Record
		hash   string
		want   apperr.Code
	}{
		{"same request, done: replay", idempotency.Record{RequestHash: hash, Done: true, ResponseStatus: 201}, hash, ""},
		{"same request, still running", idempotency.Record{RequestHash: hash}, hash, apperr.Conflict},
		{"another body", idempotency.Record{RequestHash: hash, Done: true}, idempotency.Hash("POST", "/api/v1/clusters", []byte(`{}`)), apperr.Unprocessable},
		{"another path", idempotency.Record{RequestHash: hash, Done: true}, idempotency.Hash("POST", "/api/v1/artisans", []byte(`{"name":"Khrew"}`)), apperr.Unprocessable},
		{"another body while running", idempotency.Record{RequestHash: hash}, idempotency.Hash("POST", "/x", nil), apperr.Unprocessable},
	}
	for _, tc := range tests {
		if got := apperr.CodeOf(idempotency.Decide(tc.stored, tc.hash)); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
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
