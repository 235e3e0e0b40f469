package httpapi_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/jkhhc/artisanbridge/internal/testenv"
)

// TestOpenAPI: the served description is valid OpenAPI 3 and lists every route.
func TestOpenAPI(t *testing.T) {
	ts := newTestServer(t, testenv.Backends()[0])
	r := ts.do("", "GET", "/api/v1/openapi.json", nil)
	if r.Status != 200 {
		t.Fatalf("%d", r.Status)
	}
	doc, err := openapi3.NewLoader().LoadFromData(r.Body)
	if err != nil {
		t.Fatal(err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("invalid OpenAPI: %v", err)
	}
	ops := 0
	for _, item := range doc.Paths.Map() {
		ops += len(item.Operations())
	}
	if ops != len(ts.srv.GinRoutes()) {
		t.Fatalf("%d operations described, %d routes served", ops, len(ts.srv.GinRoutes()))
	}
	var raw map[string]any
	_ = json.Unmarshal(r.Body, &raw)
	if raw["openapi"] != "3.0.3" {
		t.Fatalf("version %v", raw["openapi"])
	}
}
