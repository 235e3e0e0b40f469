package testenv_test

import (
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestDomainKnowsNoFramework: the domain packages import none of gin,
// gorm, asynq or Redis, not even through a dependency.
func TestDomainKnowsNoFramework(t *testing.T) {
	domain := []string{"apperr", "audit", "auth", "catalog", "channels", "effects", "exceptions", "idempotency", "ids", "inventory", "listing",
		"outbox", "paging", "reqctx", "secrets", "orders", "routing", "money", "fulfilment", "notify", "fulfilpush", "finance", "civil", "messages", "statements", "imports", "sheet"}
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

// sources returns every non-test Go file of the module, by path from the
// module root.
func sources(t *testing.T) map[string]string {
	t.Helper()
	root := moduleRoot(t)
	out := map[string]string{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".git" || d.Name() == "testdata" || d.Name() == "node_modules") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		out[filepath.ToSlash(rel)] = string(b)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(out) < 50 {
		t.Fatalf("found only %d Go files under %s: the walk is broken", len(out), root)
	}
	return out
}

func moduleRoot(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}").Output()
	if err != nil {
		t.Fatalf("go list -m: %v", err)
	}
	return strings.TrimSpace(string(out))
}

// TestOneTransactionHelper: transactions are opened in one place only
// (internal/store/tx.go), which carries the clock and writes the audit
// entries and outbox events at commit.
func TestOneTransactionHelper(t *testing.T) {
	opener := regexp.MustCompile(`\.(Transaction|Begin|BeginTx)\(`)
	for path, src := range sources(t) {
		if path == "internal/store/tx.go" || strings.HasPrefix(path, "migrations/") {
			continue
		}
		for i, line := range strings.Split(src, "\n") {
			if opener.MatchString(line) && !strings.HasPrefix(strings.TrimSpace(line), "//") {
				t.Errorf("%s:%d opens a transaction outside store/tx.go: %s", path, i+1, strings.TrimSpace(line))
			}
		}
	}
}

// TestOneStockFile: stock levels, reservations and movements are written
// by internal/store/stock.go alone, every write a conditional UPDATE or a
// guarded INSERT there.
func TestOneStockFile(t *testing.T) {
	write := regexp.MustCompile(`(?i)\b(UPDATE|INSERT\s+INTO|DELETE\s+FROM)\s+(stock_levels|reservations|stock_movements)\b|` +
		`\b(movementRow|stockLevelRow)\{[A-Z]\w*:|\b(Create|Save)\(&?(movementRow|stockLevelRow)|Model\(&(stockLevelRow|movementRow)\{\}\)\.(Update|Updates|Delete)|` +
		`"(reservations|stock_levels|stock_movements)",\s*\[\]string`)
	found := 0
	for path, src := range sources(t) {
		// The scale benchmark's generator fills a fresh database with a
		// million pieces' stock by generate_series: fixtures, not a change.
		if strings.HasPrefix(path, "migrations/") || path == "internal/testenv/scale.go" {
			continue
		}
		for i, line := range strings.Split(src, "\n") {
			if !write.MatchString(line) {
				continue
			}
			if path == "internal/store/stock.go" {
				found++
				continue
			}
			t.Errorf("%s:%d writes stock outside internal/store/stock.go: %s", path, i+1, strings.TrimSpace(line))
		}
	}
	if found < 8 {
		t.Fatalf("the pattern finds only %d stock writes in stock.go: it no longer matches how stock is written", found)
	}
}

// TestOnlyWiringImportsTheStore: interfaces belong to the package that uses
// them; only the wiring (internal/app, cmd) and the test environment reach
// for internal/store itself (STYLE.md).
func TestOnlyWiringImportsTheStore(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}} {{join .Imports " "}}`, "github.com/jkhhc/artisanbridge/...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	allowed := map[string]bool{"github.com/jkhhc/artisanbridge/internal/app": true, "github.com/jkhhc/artisanbridge/cmd/artisanbridge": true,
		"github.com/jkhhc/artisanbridge/internal/testenv": true, "github.com/jkhhc/artisanbridge/internal/store": true}
	checked := 0
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		if len(fields) == 0 {
			continue
		}
		checked++
		for _, imp := range fields[1:] {
			if imp == "github.com/jkhhc/artisanbridge/internal/store" && !allowed[fields[0]] {
				t.Errorf("%s imports internal/store: declare the interface it needs where it is used", fields[0])
			}
		}
	}
	if checked < 30 {
		t.Fatalf("listed only %d packages", checked)
	}
}
