// Command run is `make bench`: it runs every benchmark of the repository
// once, each in its own `go test` process, so that one that fails or times
// out leaves the others' figures standing and its failure in the table.
// It prints each run's output as it comes (and keeps it in -log), then
// writes the table (-out, bench/latest.md) with the date, the machine and
// the whole run's wall time, and fails when any benchmark failed.
//
//	go run ./internal/benchfig/run [-bench regexp] [-timeout 60m] [-list]
package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strings"
	"time"

	"github.com/jkhhc/artisanbridge/internal/benchfig"
)

func main() {
	goBin := flag.String("go", "go", "the go command")
	out := flag.String("out", "bench/latest.md", "where the table is written")
	logPath := flag.String("log", "bench/run.log", "where every run's output is kept")
	only := flag.String("bench", ".", "run only the benchmarks whose name matches")
	timeout := flag.String("timeout", "60m", "go test -timeout of each benchmark")
	list := flag.Bool("list", false, "print the benchmarks that would run, and stop")
	flag.Parse()
	if err := run(*goBin, *out, *logPath, *only, *timeout, *list); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

type bench struct{ pkg, name string }

func run(goBin, out, logPath, only, timeout string, list bool) error {
	match, err := regexp.Compile(only)
	if err != nil {
		return fmt.Errorf("-bench: %w", err)
	}
	benches, err := find(goBin, match)
	if err != nil {
		return err
	}
	if list {
		for _, b := range benches {
			fmt.Println(b.pkg, b.name)
		}
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return err
	}
	logFile, err := os.Create(logPath)
	if err != nil {
		return err
	}
	defer logFile.Close()
	started := time.Now()
	var results []benchfig.Result
	for i, b := range benches {
		args := []string{"test", "-run", "^$", "-bench", "^" + b.name + "$", "-benchtime", "1x", "-count=1", "-timeout", timeout, b.pkg}
		banner := fmt.Sprintf("== [%d/%d] %s %s (%s since the start)\n", i+1, len(benches), b.pkg, b.name, time.Since(started).Round(time.Second))
		io.WriteString(io.MultiWriter(os.Stdout, logFile), banner) //nolint:errcheck // the log is best effort
		var buf bytes.Buffer
		cmd := exec.Command(goBin, args...)
		cmd.Stdout = io.MultiWriter(os.Stdout, logFile, &buf)
		cmd.Stderr = cmd.Stdout
		t0 := time.Now()
		runErr := cmd.Run()
		r := benchfig.Result{Package: b.pkg, Name: b.name, Wall: time.Since(t0),
			Command: fmt.Sprintf("go test -run '^$' -bench '^%s$' -benchtime 1x %s", b.name, b.pkg)}
		benchfig.Parse(&r, buf.String(), runErr)
		results = append(results, r)
	}
	table := benchfig.Table(started, machine(goBin), time.Since(started), results)
	if err := os.WriteFile(out, []byte(table), 0o644); err != nil {
		return err
	}
	fmt.Println()
	fmt.Print(table)
	var failed []string
	for _, r := range results {
		if r.Failed {
			failed = append(failed, r.Name+" ("+r.Package+")")
		}
	}
	if len(failed) > 0 {
		return fmt.Errorf("%d benchmarks failed: %s (their lines are in %s)", len(failed), strings.Join(failed, ", "), out)
	}
	return nil
}

// find lists the benchmarks declared in the packages' test files (files
// with build constraints are left out: they need tags `make bench` does
// not set), package by package in import-path order.
func find(goBin string, match *regexp.Regexp) ([]bench, error) {
	outb, err := exec.Command(goBin, "list", "-f", "{{.ImportPath}}\t{{.Dir}}", "./...").Output()
	if err != nil {
		return nil, fmt.Errorf("go list: %w", err)
	}
	module, _ := exec.Command(goBin, "list", "-m").Output()
	prefix := strings.TrimSpace(string(module))
	var out []bench
	lines := strings.Split(strings.TrimSpace(string(outb)), "\n")
	sort.Strings(lines)
	for _, line := range lines {
		path, dir, ok := strings.Cut(line, "\t")
		if !ok {
			continue
		}
		files, _ := filepath.Glob(filepath.Join(dir, "*_test.go"))
		sort.Strings(files)
		for _, f := range files {
			src, err := os.ReadFile(f)
			if err != nil {
				return nil, err
			}
			if bytes.Contains(src, []byte("\n//go:build ")) || bytes.HasPrefix(src, []byte("//go:build ")) {
				continue
			}
			for _, name := range benchfig.Benchmarks(string(src)) {
				if match.MatchString(name) {
					out = append(out, bench{pkg: "." + strings.TrimPrefix(path, prefix) + "/", name: name})
				}
			}
		}
	}
	return out, nil
}

// machine names where the figures were measured.
func machine(goBin string) string {
	host, _ := os.Hostname()
	cpu := "?"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
				cpu = strings.TrimSpace(v)
				break
			}
		}
	}
	mem := ""
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		var kb int64
		if _, err := fmt.Sscanf(string(b), "MemTotal: %d kB", &kb); err == nil {
			mem = fmt.Sprintf(", %.1f GiB RAM", float64(kb)/(1<<20))
		}
	}
	ver, _ := exec.Command(goBin, "env", "GOVERSION").Output()
	return fmt.Sprintf("host %s: %d cores (%s)%s, %s/%s, %s", host, runtime.NumCPU(), cpu, mem, runtime.GOOS, runtime.GOARCH, strings.TrimSpace(string(ver)))
}
