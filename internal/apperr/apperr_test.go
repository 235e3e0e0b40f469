package apperr_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/jkhhc/artisanbridge/internal/apperr"
)

func TestAnnotateKeepsCodeAndMessage(t *testing.T) {
	cause := errors.New("pq: duplicate key")
	tests := []struct {
		name     string
		err      error
		wantCode apperr.Code
		wantMsg  string // the user's message, "" for a foreign error
	}{
		{"app error", apperr.New(apperr.NotFound, "product %s not found", "P1"), apperr.NotFound, "product P1 not found"},
		{"wrapped app error", apperr.Wrap(cause, apperr.Conflict, "sku taken"), apperr.Conflict, "sku taken"},
		{"field errors", apperr.FieldErrors{"price_paise": "must be > 0"}.Err(), apperr.Unprocessable, "price_paise must be > 0"},
		{"foreign error", cause, apperr.Internal, ""},
		{"fmt-wrapped app error", fmt.Errorf("load: %w", apperr.New(apperr.Conflict, "stale")), apperr.Conflict, "stale"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := func() (err error) {
				defer apperr.Annotate(&err, "Catalog.Op(%q)", "id-1")
				return tc.err
			}()
			if got := apperr.CodeOf(err); got != tc.wantCode {
				t.Fatalf("code %s, want %s", got, tc.wantCode)
			}
			if !strings.HasPrefix(err.Error(), `Catalog.Op("id-1"): `) || !strings.Contains(err.Error(), tc.err.Error()) {
				t.Fatalf("context missing from %q", err.Error())
			}
			var ae *apperr.Error
			if tc.wantMsg != "" && (!errors.As(err, &ae) || ae.Message != tc.wantMsg) {
				t.Fatalf("user message lost: %v", ae)
			}
			if !errors.Is(err, tc.err) {
				t.Fatal("the original error is no longer in the chain")
			}
		})
	}
}

func TestAnnotateLeavesNilAlone(t *testing.T) {
	var err error
	apperr.Annotate(&err, "Op")
	if err != nil {
		t.Fatalf("nil became %v", err)
	}
}

func TestFieldErrorsAreUnprocessable(t *testing.T) {
	if err := (apperr.FieldErrors{}).Err(); err != nil {
		t.Fatalf("no fields: %v", err)
	}
	err := apperr.FieldErrors{"sku": "is required", "craft": "unknown"}.Err()
	var ae *apperr.Error
	if !errors.As(err, &ae) || ae.Code != apperr.Unprocessable || len(ae.Fields) != 2 {
		t.Fatalf("%#v", err)
	}
	if ae.Message != "craft unknown; sku is required" {
		t.Fatalf("message %q: fields in a stable order", ae.Message)
	}
}

func TestCheckVersion(t *testing.T) {
	v := int64(3)
	old := int64(2)
	for _, tc := range []struct {
		given *int64
		want  apperr.Code
	}{{nil, apperr.Unprocessable}, {&old, apperr.Conflict}, {&v, ""}} {
		if got := apperr.CodeOf(apperr.CheckVersion(tc.given, 3, "product", "P1")); got != tc.want {
			t.Errorf("given %v: %s, want %s", tc.given, got, tc.want)
		}
	}
}
