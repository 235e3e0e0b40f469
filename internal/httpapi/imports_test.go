package httpapi_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestAPIKnowsNoStore: only app and cmd import the store (STYLE.md); the
// API holds the interfaces it needs, not even a dependency reaches gorm.
func TestAPIKnowsNoStore(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "github.com/jkhhc/artisanbridge/internal/httpapi").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, dep := range strings.Fields(string(out)) {
		if dep == "github.com/jkhhc/artisanbridge/internal/store" || strings.HasPrefix(dep, "gorm.io/") {
			t.Errorf("internal/httpapi depends on %s", dep)
		}
	}
}
