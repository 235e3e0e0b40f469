package benchfig

import (
	"bufio"
	"fmt"
	"regexp"
	"strings"
	"time"
)

// Result is one benchmark's run by `make bench` (internal/benchfig/run):
// its figure lines, how long it took and how it ended.
type Result struct {
	Package, Name string
	// Command reproduces the run alone.
	Command string
	Wall    time.Duration
	// Failed says the run did not pass (a failed target is not a failure:
	// its figure says MISSED); Reason is the first line saying why.
	Failed bool
	Reason string
	// Lines are the BENCH lines the benchmark printed, in order.
	Lines []string
	// Metrics are what testing.B reported beside ns/op (ReportMetric),
	// for benchmarks that print no BENCH line of their own.
	Metrics string
}

var (
	benchFunc    = regexp.MustCompile(`(?m)((?:^//.*\n)*)^func (Benchmark\w*)\(b \*testing\.B\)`)
	resultLine   = regexp.MustCompile(`^(Benchmark\w*?)(?:-\d+)?\s+\d+\s+([\d.]+) ns/op(.*)$`)
	failPrefixes = []string{"--- FAIL", "panic:", "FAIL\t", "fatal error:"}
)

// LeftOut is the phrase a benchmark's doc comment carries when `make
// bench` should not run it: a tool for working on one part of a figure
// that another benchmark already reports (running both would measure the
// same thing twice and lengthen a run that already takes an hour).
const LeftOut = "make bench leaves it out"

// Benchmarks are the names of the benchmark functions declared in a test
// file's source, in order, but those whose doc comment says LeftOut.
func Benchmarks(src string) []string {
	var out []string
	for _, m := range benchFunc.FindAllStringSubmatch(src, -1) {
		if strings.Contains(strings.ReplaceAll(m[1], "\n//", ""), LeftOut) {
			continue
		}
		out = append(out, m[2])
	}
	return out
}

// Parse reads one benchmark run's output into r: its BENCH lines, its
// metrics, and the first line saying why it failed (or, failing that, the
// last line printed), when exitErr is set.
func Parse(r *Result, output string, exitErr error) {
	var firstFail, firstErr, last string
	sc := bufio.NewScanner(strings.NewReader(output))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := strings.TrimRight(sc.Text(), " \t")
		trimmed := strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(line, Prefix):
			r.Lines = append(r.Lines, line)
			continue
		case strings.Contains(line, Prefix):
			continue // the same line, logged by tb.Log ("file_test.go:12: BENCH | ...")
		}
		if m := resultLine.FindStringSubmatch(line); m != nil && m[1] == r.Name {
			f := strings.Fields(m[3])
			var pairs []string
			for i := 0; i+1 < len(f); i += 2 {
				pairs = append(pairs, f[i+1]+" "+f[i])
			}
			r.Metrics = strings.Join(pairs, ", ")
			if r.Metrics == "" {
				ns, _ := time.ParseDuration(m[2] + "ns")
				r.Metrics = ns.Round(time.Millisecond).String() + " per run"
			}
		}
		for _, p := range failPrefixes {
			if firstFail == "" && strings.HasPrefix(trimmed, p) {
				firstFail = trimmed
			}
		}
		if firstErr == "" && strings.Contains(trimmed, "_test.go:") && !strings.HasPrefix(trimmed, "---") {
			firstErr = trimmed
		}
		if trimmed != "" && trimmed != "FAIL" && !strings.HasPrefix(trimmed, "exit status") {
			last = trimmed
		}
	}
	if exitErr == nil {
		return
	}
	r.Failed = true
	switch {
	case firstErr != "":
		r.Reason = firstErr
	case firstFail != "":
		r.Reason = firstFail
	case last != "":
		r.Reason = last
	default:
		r.Reason = exitErr.Error()
	}
	if len(r.Reason) > 300 {
		r.Reason = r.Reason[:300] + "..."
	}
}

// Rows are the result's lines of the table: its own figures, then a line
// for a failure (the figures it printed before failing stay), or for a
// benchmark that prints no figure line of its own (an adapter
// micro-benchmark: its metrics, reported without a target).
func (r Result) Rows() []string {
	rows := append([]string(nil), r.Lines...)
	what := r.Name + " (" + r.Package + ")"
	switch {
	case r.Failed:
		rows = append(rows, Line(what+": the benchmark FAILED", fmt.Sprintf("failed after %s: %s", r.Wall.Round(time.Second), r.Reason),
			"passes and prints its figures", "FAILED", r.Command))
	case len(r.Lines) == 0:
		m := r.Metrics
		if m == "" {
			m = "no figure printed"
		}
		rows = append(rows, Line(what+" (micro-benchmark, no figure line of its own)", m+"; "+r.Wall.Round(time.Second).String()+" wall",
			"none: reported only", "reported", r.Command))
	}
	return rows
}

// Table is bench/latest.md: a header with the date, the machine and the
// whole run's wall time, every figure, then each benchmark's wall time.
func Table(started time.Time, machine string, total time.Duration, results []Result) string {
	var b strings.Builder
	failed := 0
	for _, r := range results {
		if r.Failed {
			failed++
		}
	}
	fmt.Fprintf(&b, "# make bench, %s, %s\n\n", started.UTC().Format("2006-01-02 15:04Z"), machine)
	fmt.Fprintf(&b, "One run of `make bench`: %d benchmarks in %s of wall time, %d failed.\n\n", len(results), total.Round(time.Second), failed)
	b.WriteString("| figure | measured | target | met | command |\n|---|---|---|---|---|\n")
	for _, r := range results {
		for _, row := range r.Rows() {
			b.WriteString(strings.TrimPrefix(row, "BENCH ") + "\n")
		}
	}
	b.WriteString("\n| benchmark | package | wall time | ended |\n|---|---|---|---|\n")
	for _, r := range results {
		ended := "passed"
		if r.Failed {
			ended = "FAILED"
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", r.Name, r.Package, r.Wall.Round(time.Second), ended)
	}
	return b.String()
}
