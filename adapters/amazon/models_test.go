//go:build contract

// Validation against Amazon's published models, which the repository does
// not hold: built only with -tags contract (make contract), where the models
// must be found. make test builds wire_check_test.go in its place.

package amazon_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi2"
	"github.com/getkin/kin-openapi/openapi2conv"
	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/jkhhc/artisanbridge/adapters/amazon/sim"
)

// specsEnv names the folder of Amazon's published models; without it they
// are looked for in ../shared/marketplace-specs/amazon beside the module.
const specsEnv = "ARTISANBRIDGE_AMAZON_SPECS"

// specDir finds Amazon's models. Their absence fails the run (make contract
// exists to hold the adapter to them), naming both places looked in.
func specDir(t testing.TB) string {
	t.Helper()
	if d := os.Getenv(specsEnv); d != "" {
		if _, err := os.Stat(filepath.Join(d, "ordersV0.json")); err != nil {
			t.Fatalf("%s=%s holds no Amazon models: %v", specsEnv, d, err)
		}
		return d
	}
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("module root not found")
		}
		dir = parent
	}
	specs := filepath.Join(filepath.Dir(dir), "shared", "marketplace-specs", "amazon")
	if _, err := os.Stat(specs); err != nil {
		t.Fatalf("Amazon's API models were not found: set %s to their folder, or put them at %s (%v)", specsEnv, specs, err)
	}
	return specs
}

// newWireCheck validates every exchange with the simulator at baseURL
// against Amazon's models (this file is built by make contract only).
func newWireCheck(t testing.TB, baseURL string) wireCheck {
	t.Helper()
	return &validating{base: http.DefaultTransport,
		routers: []routers.Router{loadModel(t, "listingsItems_2021-08-01.json", baseURL), loadModel(t, "feeds_2021-06-30.json", baseURL),
			loadModel(t, "orders_2026-01-01.json", baseURL), loadModel(t, "ordersV0.json", baseURL), loadModel(t, "reports_2021-06-30.json", baseURL)},
		feedSchema: jsonSchema(t, "listings-feed-schema-v2.json"), report: jsonSchema(t, "listings-feed-processing-report-schema-v2.json")}
}

// loadModel reads one of Amazon's Swagger 2.0 models as OpenAPI 3 served at baseURL.
func loadModel(t testing.TB, file, baseURL string) routers.Router {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(specDir(t), file))
	if err != nil {
		t.Fatal(err)
	}
	var doc2 openapi2.T
	if err := json.Unmarshal(raw, &doc2); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	// Swagger 2.0 makes csv the default collectionFormat of an array
	// parameter (Amazon's SDKs send comma-separated lists); the converter
	// would read an absent one as repeated parameters instead.
	for _, item := range doc2.Paths {
		for _, op := range item.Operations() {
			for _, param := range op.Parameters {
				if param.Type.Is("array") && param.CollectionFormat == "" {
					param.CollectionFormat = "csv"
				}
			}
		}
	}
	doc3, err := openapi2conv.ToV3(&doc2)
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	doc3.Servers = openapi3.Servers{{URL: baseURL}}
	// ordersV0.json carries examples that break its own schemas; the
	// operations and schemas are what is checked here.
	router, err := legacy.NewRouter(doc3, openapi3.DisableExamplesValidation())
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	return router
}

// jsonSchema compiles one of Amazon's JSON Schemas (feed documents).
func jsonSchema(t testing.TB, file string) *jsonschema.Schema {
	t.Helper()
	f, err := os.Open(filepath.Join(specDir(t), file))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource(file, doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile(file)
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	return sch
}

// validating checks every request the adapter sends and every answer the
// simulator gives against Amazon's models: API calls against the Swagger
// models, feed documents uploaded and processing reports downloaded against
// the listings feed JSON Schemas. Login with Amazon is not part of SP-API's
// models and is let through.
type validating struct {
	base       http.RoundTripper
	routers    []routers.Router
	feedSchema *jsonschema.Schema
	report     *jsonschema.Schema
	mu         sync.Mutex
	checked    int
	errs       []string
}

func (v *validating) checkDoc(sch *jsonschema.Schema, what string, body []byte) {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(body))
	if err == nil {
		err = sch.Validate(doc)
	}
	if err != nil {
		v.fail("%s does not match Amazon's schema: %v", what, err)
		return
	}
	v.mu.Lock()
	v.checked++
	v.mu.Unlock()
}

func (v *validating) RoundTrip(req *http.Request) (*http.Response, error) {
	if strings.HasSuffix(req.URL.Path, "/auth/o2/token") {
		return v.base.RoundTrip(req)
	}
	if strings.HasPrefix(req.URL.Path, "/_sim/docs/") { // the pre-signed document URLs
		if req.Method == http.MethodPut {
			body, _ := io.ReadAll(req.Body)
			req.Body = io.NopCloser(bytes.NewReader(body))
			v.checkDoc(v.feedSchema, "the uploaded feed", body)
			return v.base.RoundTrip(req)
		}
		resp, err := v.base.RoundTrip(req)
		// Feed processing reports are JSON with a schema; settlement
		// reports are tab-separated flat files, read by their parser.
		if err == nil && strings.Contains(resp.Header.Get("Content-Type"), "json") {
			rb, _ := io.ReadAll(resp.Body)
			resp.Body = io.NopCloser(bytes.NewReader(rb))
			v.checkDoc(v.report, "the processing report", rb)
		}
		return resp, err
	}
	var body []byte
	if req.Body != nil {
		body, _ = io.ReadAll(req.Body)
		req.Body = io.NopCloser(bytes.NewReader(body))
	}
	var route *routers.Route
	var params map[string]string
	for _, r := range v.routers {
		if rt, p, err := r.FindRoute(req); err == nil {
			route, params = rt, p
			break
		}
	}
	if route == nil {
		v.fail("%s %s is not an operation of Amazon's models", req.Method, req.URL.Path)
		return v.base.RoundTrip(req)
	}
	opts := &openapi3filter.Options{AuthenticationFunc: func(context.Context, *openapi3filter.AuthenticationInput) error { return nil },
		IncludeResponseStatus: true, MultiError: true}
	in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route, Options: opts}
	if err := openapi3filter.ValidateRequest(req.Context(), in); err != nil {
		v.fail("request %s %s (%s): %v", req.Method, req.URL.Path, route.Operation.OperationID, err)
	}
	req.Body = io.NopCloser(bytes.NewReader(body))
	resp, err := v.base.RoundTrip(req)
	if err != nil {
		return resp, err
	}
	rb, _ := io.ReadAll(resp.Body)
	resp.Body = io.NopCloser(bytes.NewReader(rb))
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: resp.StatusCode, Header: resp.Header, Options: opts}
	out.SetBodyBytes(rb)
	if err := openapi3filter.ValidateResponse(req.Context(), out); err != nil {
		v.fail("response %d to %s (%s): %v", resp.StatusCode, req.URL.Path, route.Operation.OperationID, err)
	}
	v.mu.Lock()
	v.checked++
	v.mu.Unlock()
	return resp, nil
}

func (v *validating) fail(format string, args ...any) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if len(v.errs) < 20 {
		v.errs = append(v.errs, fmt.Sprintf(format, args...))
	}
}

// assertValid fails the test for any violation and proves something was checked.
func (v *validating) assertValid(t testing.TB) {
	t.Helper()
	v.mu.Lock()
	defer v.mu.Unlock()
	for _, e := range v.errs {
		t.Error(e)
	}
	if v.checked == 0 {
		t.Fatal("no exchange was validated against the models")
	}
}

// TestModelsRefuseAWrongRequest proves the check can fail: a listing patch
// without its required body and an operation the models do not have are
// both reported.
func TestModelsRefuseAWrongRequest(t *testing.T) {
	srv := httptest.NewServer(sim.New(sim.Config{Seed: 1}))
	defer srv.Close()
	v := newWireCheck(t, srv.URL).(*validating)
	hc := &http.Client{Transport: v}
	for _, r := range []struct{ method, path string }{
		{http.MethodPatch, "/listings/2021-08-01/items/SIMSELLER/SKU-1?marketplaceIds=A21TJRUUN4KGV"},
		{http.MethodGet, "/no/such/operation"},
	} {
		req, _ := http.NewRequest(r.method, srv.URL+r.path, nil)
		req.Header.Set("Content-Type", "application/json")
		if resp, err := hc.Do(req); err == nil {
			resp.Body.Close()
		}
	}
	if len(v.errs) != 2 {
		t.Fatalf("violations found: %q, want 2", v.errs)
	}
}
