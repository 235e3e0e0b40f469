package testenv_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDomainKnowsNoFramework is acceptance 8: the domain packages import
// none of gin, gorm, asynq or Redis, not even through a dependency.
func TestDomainKnowsNoFramework(t *testing.T) {
	domain := []string{"apperr", "audit", "auth", "catalog", "channels", "effects", "exceptions", "idempotency", "ids", "inventory", "listing",
		"outbox", "paging", "reqctx", "secrets", "orders", "fulfilment", "notify", "fulfilpush", "finance", "civil", "messages", "money", "statements"}
	forbidden := []string{"github.com/gin-gonic/", "gorm.io/", "github.com/hibiken/asynq", "github.com/redis/go-redis", "github.com/jkhhc/artisanbridge/internal/store"}
	for _, pkg := range domain {
		path := "github.com/jkhhc/artisanbridge/internal/" + pkg
		out, err := exec.Command("go", "list", "-deps", path).CombinedOutput()
		if err != nil {
			t.Fatalf("go list %s: %v\n%s", path, err, out)
		}
		for _, dep := range strings.Fields(string(out)) {
			for _, f := range forbidden {
				if strings.HasPrefix(dep, f) {
					t.Errorf("%s depends on %s", pkg, dep)
				}
			}
		}
	}
}
