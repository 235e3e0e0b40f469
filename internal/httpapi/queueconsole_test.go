package httpapi_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/jkhhc/artisanbridge/internal/auth"
	"github.com/jkhhc/artisanbridge/internal/httpapi"
	"github.com/jkhhc/artisanbridge/internal/testenv"
)

// TestQueueConsole: the console under /admin/queues is for admins alone,
// with the API's tokens as a bearer header or as a browser's Basic
// password; everything else still reaches the API.
func TestQueueConsole(t *testing.T) {
	ts := newTestServer(t, testenv.Backends()[0])
	reached := 0
	ui := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reached++
		w.Write([]byte("console " + r.URL.Path))
	})
	h := httpapi.MountQueueConsole(ts.srv, testenv.Quiet(), auth.NewService(ts.db.Users(), nil), ui)
	do := func(path, authorization string) *httptest.ResponseRecorder {
		t.Helper()
		req := httptest.NewRequest("GET", path, nil)
		if authorization != "" {
			req.Header.Set("Authorization", authorization)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		return w
	}
	basic := func(user, password string) string {
		req := httptest.NewRequest("GET", "/", nil)
		req.SetBasicAuth(user, password)
		return req.Header.Get("Authorization")
	}
	admin := ts.tokens[auth.RoleAdmin]
	tests := []struct {
		name, path, authorization string
		status                    int
		challenge                 bool
	}{
		{"no credentials: the browser is asked for them", "/admin/queues", "", 401, true},
		{"a wrong token", "/admin/queues/api/queues", "Bearer abt_wrong", 401, true},
		{"a wrong Basic password", "/admin/queues/api/queues", basic("amina", "abt_wrong"), 401, true},
		{"Basic without a password", "/admin/queues/", "Basic bm9jb2xvbg==", 401, true},
		{"admin by bearer", "/admin/queues", "Bearer " + admin, 200, false},
		{"admin by Basic, any user name", "/admin/queues/api/queues", basic("anyone", admin), 200, false},
		{"a page of the console", "/admin/queues/queues/events", "Bearer " + admin, 200, false},
		{"a neighbour path is the API's", "/admin/queuesx", "Bearer " + admin, 404, false},
	}
	for _, r := range auth.Roles {
		if r != auth.RoleAdmin {
			tests = append(tests, struct {
				name, path, authorization string
				status                    int
				challenge                 bool
			}{"role " + string(r) + " is refused", "/admin/queues/api/queues", "Bearer " + ts.tokens[r], 403, false})
		}
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := reached
			w := do(tc.path, tc.authorization)
			if w.Code != tc.status {
				t.Fatalf("%s: %d %s", tc.path, w.Code, w.Body)
			}
			if got := w.Header().Get("WWW-Authenticate") != ""; got != tc.challenge {
				t.Fatalf("WWW-Authenticate %q", w.Header().Get("WWW-Authenticate"))
			}
			if (tc.status == 200) != (reached == before+1) {
				t.Fatalf("console reached %d times for a %d", reached-before, w.Code)
			}
			if tc.status == 200 && !strings.HasPrefix(w.Body.String(), "console "+tc.path) {
				t.Fatalf("body %q", w.Body)
			}
			if tc.status != 200 && tc.status != 404 && !strings.Contains(w.Body.String(), `"error"`) {
				t.Fatalf("refusal is not in the API's error shape: %s", w.Body)
			}
		})
	}
	// The API behind it is untouched.
	if w := do("/api/v1/crafts", "Bearer "+admin); w.Code != 200 {
		t.Fatalf("API through the mount: %d", w.Code)
	}
	if w := do("/api/v1/crafts", basic("x", admin)); w.Code != 401 {
		t.Fatalf("Basic credentials must not open the API: %d", w.Code)
	}
}

// TestJobsAdminIsAdminsAlone: the console's permission is in no role's
// grants; only admin, who has everything, holds it.
func TestJobsAdminIsAdminsAlone(t *testing.T) {
	for _, r := range auth.Roles {
		if got := auth.Allowed(r, auth.JobsAdmin); got != (r == auth.RoleAdmin) {
			t.Errorf("%s: allowed=%v", r, got)
		}
	}
}
