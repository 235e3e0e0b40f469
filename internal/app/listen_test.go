package app

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/jkhhc/artisanbridge/config"
)

func TestListenNamesTheSetting(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	addr := taken.Addr().String()
	for _, tc := range []struct{ addr, env, want string }{
		{addr, "ARTISANBRIDGE_METRICS_ADDR", addr + " is in use (ARTISANBRIDGE_METRICS_ADDR / --metrics-addr): "},
		{"192.0.2.1:8080", "ARTISANBRIDGE_ADDR", "cannot listen on 192.0.2.1:8080 (ARTISANBRIDGE_ADDR / --addr): "},
	} {
		ln, err := listen(tc.addr, tc.env)
		if err == nil {
			ln.Close()
			t.Fatalf("%s: listened", tc.addr)
		}
		if !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("%q, want it to start with %q", err, tc.want)
		}
	}
	// A simulator's listen error, opened elsewhere, is traced to its setting.
	_, err = net.Listen("tcp", addr)
	cfg := config.Config{SimFlipkartAddr: "127.0.0.1:0", SimAmazonAddr: addr, SimGeMAddr: "127.0.0.1:0"}
	got := explainListen(cfg, fmt.Errorf("amazon simulator: %w", err))
	if !strings.HasPrefix(got.Error(), addr+" is in use (ARTISANBRIDGE_SIM_AMAZON_ADDR / --sim-amazon-addr): ") || !errors.Is(got, syscall.EADDRINUSE) {
		t.Errorf("explainListen: %v", got)
	}
	if other := errors.New("no such channel"); explainListen(cfg, other) != other {
		t.Error("an error that is not a listen error was changed")
	}
}

// TestDataLock: a second lock on a held folder fails even within one
// process (flock locks belong to the open file), and release frees it.
func TestDataLock(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	first, err := lockDataDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("data folder %s is in use by another artisanbridge (pid %d)", dir, os.Getpid())
	if _, err := lockDataDir(dir); err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("second lock: %v", err)
	}
	first.release()
	again, err := lockDataDir(dir)
	if err != nil {
		t.Fatalf("after release: %v", err)
	}
	again.release()
}
