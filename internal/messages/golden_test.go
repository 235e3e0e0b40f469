package messages

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/golden from the templates")

// goldenSegmentCost is the price the golden files show per segment.
const goldenSegmentCost = 20

// TestGolden writes every template in every language, filled with the
// sample notice, with its encoding, units, segments and cost, and compares
// it with testdata/golden/<event>.<language>.txt: the files are the texts
// a reviewer (a native speaker, the DLT registrar) reads. Run
// `go test ./internal/messages -run TestGolden -update` after changing a text.
func TestGolden(t *testing.T) {
	c := Default(nil).WithSegmentCost(goldenSegmentCost)
	seen := map[string]bool{}
	for _, n := range samples() {
		for _, l := range Languages {
			m, err := c.Compose(l, n)
			if err != nil {
				t.Fatal(err)
			}
			tmpl, _, _ := c.Template(n.Event(), l)
			name := fmt.Sprintf("%s.%s.txt", n.Event(), l)
			seen[name] = true
			got := golden(tmpl, m)
			path := filepath.Join("testdata", "golden", name)
			if *update {
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				continue
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%s: %v (run with -update to write it)", path, err)
			}
			if string(want) != got {
				t.Errorf("%s differs from the template; run with -update if the change is meant.\n--- want\n%s\n--- got\n%s", path, want, got)
			}
		}
	}
	files, _ := filepath.Glob(filepath.Join("testdata", "golden", "*.txt"))
	for _, f := range files {
		if !seen[filepath.Base(f)] {
			t.Errorf("%s belongs to no template: remove it", f)
		}
	}
}

func golden(tmpl Template, m Message) string {
	review := "no (the corporation's English text)"
	if tmpl.NeedsReview {
		review = "YES: a native speaker must check this text before it is registered"
	}
	dir := "left to right"
	if tmpl.Language.RightToLeft() {
		dir = "right to left"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "template:        %s (%s, %s)\n", tmpl.Event, tmpl.Language, dir)
	fmt.Fprintf(&b, "dlt_template_id: %s\n", tmpl.DLTTemplateID)
	fmt.Fprintf(&b, "needs_review:    %s\n", review)
	fmt.Fprintf(&b, "variables:       %s\n", strings.Join(tmpl.Vars, ", "))
	fmt.Fprintf(&b, "registered text:\n%s\n", tmpl.Text)
	fmt.Fprintf(&b, "filled (sample):\n%s\n", m.Text)
	fmt.Fprintf(&b, "encoding:        %s\n", m.Encoding)
	fmt.Fprintf(&b, "units:           %d\n", m.Units)
	fmt.Fprintf(&b, "segments:        %d (%d a segment)\n", m.Segments, m.PerSegment)
	fmt.Fprintf(&b, "cost:            %d paise at %d paise a segment\n", m.CostPaise, goldenSegmentCost)
	return b.String()
}
