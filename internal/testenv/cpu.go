package testenv

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// WatchBackendCPU samples, every 100 ms, the CPU time (user and system,
// from /proc: the server must run on this machine) of every backend
// connected to db's database, and answers a function that stops and
// answers their sum: on a shared machine the wall time of the load mostly
// says how busy the others were, its CPU time what it cost.
func WatchBackendCPU(tb testing.TB, db *sql.DB) func() time.Duration {
	tb.Helper()
	conn, err := db.Conn(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	var mu sync.Mutex
	ticks := map[int]int64{}
	sample := func() {
		rows, err := conn.QueryContext(context.Background(), `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`)
		if err != nil {
			return
		}
		defer rows.Close()
		for rows.Next() {
			var pid int
			if rows.Scan(&pid) != nil {
				return
			}
			stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
			if err != nil {
				continue
			}
			// The fields after the command (which may hold spaces):
			// utime and stime are the 14th and 15th of the line.
			f := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))
			if len(f) < 13 {
				continue
			}
			u, _ := strconv.ParseInt(f[11], 10, 64)
			st, _ := strconv.ParseInt(f[12], 10, 64)
			mu.Lock()
			ticks[pid] = max(ticks[pid], u+st)
			mu.Unlock()
		}
	}
	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				sample()
			}
		}
	}()
	return func() time.Duration {
		close(stop)
		<-done
		_ = conn.Close()
		mu.Lock()
		defer mu.Unlock()
		var sum int64
		for _, t := range ticks {
			sum += t
		}
		return time.Duration(sum) * 10 * time.Millisecond // USER_HZ is 100 on Linux
	}
}
