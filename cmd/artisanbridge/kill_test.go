package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/jkhhc/artisanbridge/internal/secrets"
	"github.com/jkhhc/artisanbridge/internal/testenv"
)

// TestKillBetweenChangeAndEnqueue is acceptance 7 with a real process: the
// binary is killed with SIGKILL right after product changes commit, at
// whatever point its relay has reached, then started again. Every outbox
// event is then delivered, and its handler's effect happens exactly once.
func TestKillBetweenChangeAndEnqueue(t *testing.T) {
	// Most of its time is waiting out asynq's lease (up to two minutes):
	// it runs beside TestDemo, which keeps the cores busy meanwhile.
	t.Parallel()
	bin := filepath.Join(t.TempDir(), "artisanbridge")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	_, redisURL := testenv.RealRedis(t)
	dbURL := testenv.NewPostgresDatabase(t)
	env := append(os.Environ(), "DATABASE_URL="+dbURL, "REDIS_URL="+redisURL, "ARTISANBRIDGE_METRICS_ADDR=127.0.0.1:0",
		"ARTISANBRIDGE_MASTER_KEY="+secrets.GenerateMasterKey("k1"), "ARTISANBRIDGE_DATA_DIR="+t.TempDir())

	token := ""
	for round := 0; round < 3; round++ {
		addr := freeAddr(t)
		cmd := exec.Command(bin, "serve", "--addr", addr)
		cmd.Env = env
		var logs bytes.Buffer
		cmd.Stdout, cmd.Stderr = &logs, &logs
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		waitHealthy(t, "http://"+addr, &logs)
		if token == "" {
			cmd := exec.Command(bin, "users", "add", "--name", "killer", "--role", "admin")
			cmd.Env = env
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("users add: %v", err)
			}
			lines := strings.Split(strings.TrimSpace(string(out)), "\n")
			token = lines[len(lines)-1]
		}
		// Changes commit, and the process dies at once.
		aid := post(t, "http://"+addr, token, "/api/v1/artisans", map[string]any{
			"code": fmt.Sprintf("K-%d", round), "name": "Maker", "craft": "namda"})
		post(t, "http://"+addr, token, "/api/v1/products", map[string]any{
			"sku": fmt.Sprintf("KILL-%d", round), "title": "Namda", "craft": "namda", "hsn_code": "5704",
			"gst_rate_bp": 500, "mrp_paise": 1000, "price_paise": 900, "artisan_id": aid, "artisan_share_bp": 5000})
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
	}
	// A last start, left to deliver everything.
	addr := freeAddr(t)
	cmd := exec.Command(bin, "serve", "--addr", addr, "--relay-interval", "100ms")
	cmd.Env = env
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Signal(syscall.SIGTERM); cmd.Wait() }()
	waitHealthy(t, "http://"+addr, &logs)

	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var events, unsent, handled, duplicates int
	// A task the killed worker held is handed out again once asynq's lease
	// on it (30 s) has lapsed and its recoverer next looks (every minute).
	deadline := time.Now().Add(120 * time.Second)
	for {
		conn.QueryRow(ctx, `SELECT count(*), count(*) FILTER (WHERE sent_at IS NULL) FROM outbox`).Scan(&events, &unsent)
		conn.QueryRow(ctx, `SELECT count(*) FROM processed_events WHERE consumer = 'change-log'`).Scan(&handled)
		if events == 3 && unsent == 0 && handled == 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after restart: %d events, %d unsent, %d handled", events, unsent, handled)
		}
		time.Sleep(100 * time.Millisecond)
	}
	conn.QueryRow(ctx, `SELECT count(*) FROM (SELECT event_id FROM processed_events GROUP BY consumer, event_id HAVING count(*) > 1) d`).Scan(&duplicates)
	if duplicates != 0 {
		t.Fatalf("%d events handled twice", duplicates)
	}
}

func waitHealthy(t *testing.T, base string, logs *bytes.Buffer) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		if resp, err := http.Get(base + "/healthz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("not healthy in 30s:\n%s", logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func post(t *testing.T, base, token, path string, body any) string {
	t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest("POST", base+path, bytes.NewReader(b))
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	json.NewDecoder(resp.Body).Decode(&m)
	if resp.StatusCode != 201 {
		t.Fatalf("POST %s: %d %v", path, resp.StatusCode, m)
	}
	return fmt.Sprint(m["id"])
}
