package app

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/gofrs/flock"

	"github.com/jkhhc/artisanbridge/config"
)

// listen opens addr for the setting env names, so that a port clash says
// which setting to change instead of only "address already in use".
func listen(addr, env string) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, listenError(addr, env, err)
	}
	return ln, nil
}

// listenError names the address and the setting behind a failed listen.
func listenError(addr, env string, err error) error {
	if errors.Is(err, syscall.EADDRINUSE) {
		return fmt.Errorf("%s is in use (%s): %w", addr, config.Setting(env), err)
	}
	return fmt.Errorf("cannot listen on %s (%s): %w", addr, config.Setting(env), err)
}

// explainListen finds, in an error from a listener this package did not
// open itself (the embedded simulators), the setting whose address failed.
// Other errors come back as they are.
func explainListen(cfg config.Config, err error) error {
	var op *net.OpError
	if !errors.As(err, &op) || op.Op != "listen" || op.Addr == nil {
		return err
	}
	for env, addr := range map[string]string{"ARTISANBRIDGE_SIM_FLIPKART_ADDR": cfg.SimFlipkartAddr,
		"ARTISANBRIDGE_SIM_AMAZON_ADDR": cfg.SimAmazonAddr, "ARTISANBRIDGE_SIM_GEM_ADDR": cfg.SimGeMAddr,
		"ARTISANBRIDGE_SIM_RAZORPAYX_ADDR": cfg.SimRazorpayXAddr} {
		if resolved, rerr := net.ResolveTCPAddr("tcp", addr); rerr == nil && resolved.String() == op.Addr.String() {
			return listenError(addr, env, err)
		}
	}
	return err
}

// dataLock is the lock file that keeps a second process off an embedded
// data folder: two processes on one SQLite file and one set of simulator
// channels would take each other's work. flock(2) is released by the
// kernel when the process ends however it ends, so a lock left by a killed
// process never blocks the next start.
type dataLock struct{ f *flock.Flock }

// lockFileName is the lock file inside the data folder.
const lockFileName = "artisanbridge.lock"

func lockDataDir(dir string) (*dataLock, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("data folder %s (%s): %w", dir, config.Setting("ARTISANBRIDGE_DATA_DIR"), err)
	}
	path := filepath.Join(dir, lockFileName)
	f := flock.New(path)
	ok, err := f.TryLock()
	if err != nil {
		return nil, fmt.Errorf("data folder %s: lock file %s: %w", dir, path, err)
	}
	if !ok {
		holder := "another process"
		if b, err := os.ReadFile(path); err == nil {
			if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && pid > 0 {
				holder = fmt.Sprintf("another artisanbridge (pid %d)", pid)
			}
		}
		return nil, fmt.Errorf("data folder %s is in use by %s: stop it, or give this one another folder (%s)",
			dir, holder, config.Setting("ARTISANBRIDGE_DATA_DIR"))
	}
	// The pid is only for the message above; the lock itself is the flock.
	if err := os.WriteFile(path, []byte(strconv.Itoa(os.Getpid())+"\n"), 0o600); err != nil {
		f.Unlock()
		return nil, fmt.Errorf("data folder %s: lock file %s: %w", dir, path, err)
	}
	return &dataLock{f: f}, nil
}

// release unlocks; the file stays, empty of meaning until the next lock.
func (l *dataLock) release() {
	if l != nil {
		l.f.Unlock()
	}
}
