package httpapi

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/jkhhc/artisanbridge/internal/apperr"
)

func TestCheckJSONText(t *testing.T) {
	tests := []struct {
		name  string
		body  string
		field string // "" when the body passes
	}{
		{"clean", `{"name":"Kani shawl","images":["https://a/b"],"attributes":{"colour":"red"}}`, ""},
		{"empty", ``, ""},
		{"not JSON is decodeJSON's", `{"name": `, ""},
		{"escaped NUL", `{"name":"a\u0000b"}`, "name"},
		{"NUL in a nested value", `{"credentials":{"app_id":"x","app_secret":"\u0000"}}`, "credentials.app_secret"},
		{"NUL in an array", `{"images":["ok","bad\u0000"]}`, "images[1]"},
		{"NUL deep in arrays of objects", `{"settings":{"locations":[{"location_id":"a"},{"location_id":"\u0000"}]}}`, "settings.locations[1].location_id"},
		{"invalid UTF-8", "{\"title\":\"caf\xe9\"}", "title"},
		{"invalid UTF-8 after other fields", "{\"a\":1,\"b\":[true,null],\"c\":\"\xff\"}", "c"},
		{"NUL in a key", `{"na\u0000me":"x"}`, `na\u0000me`},
		{"bad bytes in a key", "{\"n\xffme\":\"x\"}", "n\uFFFDme"},
		{"raw NUL byte", "{\"name\":\"a\x00b\"}", "name"},
		{"top-level string", `"\u0000"`, "body"},
		{"second field after nested object", `{"a":{"b":"c"},"d":"\u0000"}`, "d"},
		{"escaped lone surrogate is valid JSON", `{"name":"\ud800"}`, ""},
		{"nesting", repeat("[", 5) + `"\u0000"` + repeat("]", 5), repeat("[0]", 5)},
		{"deep nesting, the name cut short", repeat("[", 5000) + `"\u0000"` + repeat("]", 5000), repeat("[0]", 21) + "[…"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := checkJSONText([]byte(tc.body))
			if tc.field == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			var ae *apperr.Error
			if !errors.As(err, &ae) || ae.Code != apperr.Invalid {
				t.Fatalf("want invalid_argument, got %v", err)
			}
			if _, ok := ae.Fields[tc.field]; !ok {
				t.Fatalf("fields %v, want %q", ae.Fields, tc.field)
			}
		})
	}
}

func repeat(s string, n int) string {
	b := make([]byte, 0, len(s)*n)
	for i := 0; i < n; i++ {
		b = append(b, s...)
	}
	return string(b)
}

// FuzzCheckJSONText: on any body, the walk refuses only with
// invalid_argument, and on valid JSON it refuses exactly when a key or a
// string holds a NUL or invalid UTF-8.
func FuzzCheckJSONText(f *testing.F) {
	for _, s := range []string{`{"a":"b"}`, `{"a":["\u0000"]}`, "{\"\xff\":1}", `[[[[]]]]`, `{"a":{"b":{"c":"d"}}}`, `{"a":`, `"x"`, `1e400`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		err := checkJSONText(body)
		if err != nil && !apperr.Is(err, apperr.Invalid) {
			t.Fatalf("%v", err)
		}
		if !json.Valid(body) {
			return
		}
		var v any
		if json.Unmarshal(body, &v) != nil {
			return
		}
		if want := !utf8.Valid(body) || hasNUL(v); want != (err != nil) {
			t.Fatalf("%q: refused %v, want refused %v", body, err, want)
		}
	})
}

func hasNUL(v any) bool {
	switch x := v.(type) {
	case string:
		return strings.ContainsRune(x, 0)
	case []any:
		for _, e := range x {
			if hasNUL(e) {
				return true
			}
		}
	case map[string]any:
		for k, e := range x {
			if strings.ContainsRune(k, 0) || hasNUL(e) {
				return true
			}
		}
	}
	return false
}
