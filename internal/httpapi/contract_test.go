package httpapi_test

import (
	"bytes"
	"context"
	"io"
	"testing"

	"github.com/getkin/kin-openapi/openapi3filter"

	"github.com/jkhhc/artisanbridge/internal/testenv"
)

// TestRoutesKeepTheirContract walks every route with a valid request on
// both backends and validates the request and the answer against the
// served OpenAPI document (the answer is also checked in every other test).
func TestRoutesKeepTheirContract(t *testing.T) {
	for _, b := range testenv.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t, b)
			success := map[string]int{}
			for _, r := range w.srv.Routes() {
				success[r.Method+" "+r.Path] = r.Status
			}
			for _, st := range steps() {
				if success[st.route] != st.want {
					t.Errorf("%s: the table says it answers %d, the walk gets %d", st.route, success[st.route], st.want)
				}
				req := w.request(st)
				var body []byte
				if req.Body != nil {
					body, _ = io.ReadAll(req.Body)
				}
				check := req.Clone(context.Background())
				check.Body = io.NopCloser(bytes.NewReader(body))
				route, params, err := w.router.FindRoute(check)
				if err != nil {
					t.Fatalf("%s: no operation in the document: %v", st.route, err)
				}
				if err := openapi3filter.ValidateRequest(context.Background(), &openapi3filter.RequestValidationInput{
					Request: check, PathParams: params, Route: route,
					Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, MultiError: true},
				}); err != nil {
					t.Errorf("%s: the request does not match the document: %v", st.route, err)
				}
				req.Body = io.NopCloser(bytes.NewReader(body))
				r := w.serve(req)
				if r.Status != st.want {
					t.Fatalf("%s (%s): %d %.500s, want %d", st.route, req.URL, r.Status, r.Body, st.want)
				}
				if st.after != nil {
					st.after(w, r)
				}
			}
		})
	}
}
