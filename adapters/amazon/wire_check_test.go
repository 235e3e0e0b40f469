//go:build !contract

package amazon_test

import (
	"net/http"
	"sync/atomic"
	"testing"
)

// newWireCheck, in make test, only counts the exchanges with the simulator:
// Amazon's published models are not in the repository, so validating every
// request and answer against them is make contract's part (models_test.go,
// built with -tags contract). The behaviour the tests assert is the same.
func newWireCheck(t testing.TB, _ string) wireCheck {
	t.Helper()
	return &counting{base: http.DefaultTransport}
}

type counting struct {
	base http.RoundTripper
	n    atomic.Int64
}

func (c *counting) RoundTrip(req *http.Request) (*http.Response, error) {
	c.n.Add(1)
	return c.base.RoundTrip(req)
}

// assertValid proves the test talked to the simulator at all.
func (c *counting) assertValid(t testing.TB) {
	t.Helper()
	if c.n.Load() == 0 {
		t.Fatal("no exchange with the simulator happened")
	}
}
