// Package benchfig is how a benchmark reports a figure of `make bench`:
// one line per figure, with what was measured, the target and the command
// that reproduces it, from which the Makefile builds bench/latest.md.
// Benchmarks a sceptic accepts report ratios against a baseline measured
// in the same run, over enough samples; the line says what was compared.
package benchfig

import (
	"fmt"
	"strings"
	"testing"
)

// Prefix starts every figure line; nothing else a test prints starts so.
const Prefix = "BENCH |"

// Report prints one figure: its name, the measured value (with its unit
// and what it was compared with), the target, whether it is met, and the
// command that produced it. It also logs it on tb, so a failing target is
// visible in the test's own output.
func Report(tb testing.TB, figure, measured, target string, met bool, command string) {
	tb.Helper()
	status := "met"
	if !met {
		status = "MISSED"
	}
	line := Line(figure, measured, target, status, command)
	fmt.Println(line)
	tb.Log(line)
}

// Line formats a figure line (cells have no "|" of their own).
func Line(figure, measured, target, status, command string) string {
	cell := func(s string) string { return strings.TrimSpace(strings.ReplaceAll(s, "|", "/")) }
	return Prefix + " " + cell(figure) + " | " + cell(measured) + " | " + cell(target) + " | " + cell(status) + " | `" + cell(command) + "` |"
}
