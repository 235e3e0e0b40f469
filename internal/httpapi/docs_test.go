package httpapi_test

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/jkhhc/artisanbridge/internal/testenv"
)

var updateDocs = flag.Bool("update-docs", false, "rewrite docs/api.md from the route table")

// TestDocsAreTheRouteTable: docs/api.md is what the route table says, so
// the reference a reader finds in the repository is the API the service
// serves (make docs rewrites it).
func TestDocsAreTheRouteTable(t *testing.T) {
	ts := newTestServer(t, testenv.Backends()[0])
	got := ts.srv.APIDoc()
	path := filepath.Join("..", "..", "docs", "api.md")
	if *updateDocs {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v: run make docs", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("docs/api.md is not what the route table says: run make docs and commit it")
	}
}
