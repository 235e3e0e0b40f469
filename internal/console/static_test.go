package console

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// TestStaticConditionalRequests: the console reads If-None-Match as the API
// does (package etag): a list naming the asset's tag, weak or strong, or
// "*" is answered 304; a tag that only contains it is not.
func TestStaticConditionalRequests(t *testing.T) {
	a := assets["console.css"]
	if a == nil {
		t.Fatal("no console.css asset")
	}
	for _, tc := range []struct {
		name, header string
		want         int
	}{
		{"no header", "", http.StatusOK},
		{"its tag", a.etag, http.StatusNotModified},
		{"weak, in a list", `"other", W/` + a.etag, http.StatusNotModified},
		{"any", "*", http.StatusNotModified},
		{"a tag that contains it", `"x` + a.etag + `x"`, http.StatusOK},
		{"another tag", `"0000"`, http.StatusOK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "/static/console.css", nil)
			r.SetPathValue("name", "console.css")
			if tc.header != "" {
				r.Header.Set("If-None-Match", tc.header)
			}
			w := httptest.NewRecorder()
			(&Console{}).serveStatic(w, r)
			if w.Code != tc.want {
				t.Fatalf("If-None-Match %q answered %d, want %d", tc.header, w.Code, tc.want)
			}
		})
	}
}
