package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/jkhhc/artisanbridge/internal/secrets"
	"github.com/jkhhc/artisanbridge/internal/testenv"
)

// instance is one run of the binary's run(), as main would call it.
type instance struct {
	t       *testing.T
	env     map[string]string
	base    string
	logs    *testenv.SyncBuffer
	cancel  context.CancelFunc
	done    chan error
	started time.Duration
}

func freeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func (e *instance) getenv(k string) string { return e.env[k] }

// start runs `artisanbridge serve` (with flags, if given) and waits for
// /healthz.
func start(t *testing.T, env map[string]string, flags ...string) *instance {
	t.Helper()
	addr := freeAddr(t)
	env["ARTISANBRIDGE_ADDR"] = addr
	// Every other address on an ephemeral port, so that tests never clash
	// with each other or with a service of this machine.
	for _, k := range []string{"ARTISANBRIDGE_METRICS_ADDR", "ARTISANBRIDGE_WORKER_ADDR", "ARTISANBRIDGE_EMBEDDED_REDIS_ADDR",
		"ARTISANBRIDGE_SIM_FLIPKART_ADDR", "ARTISANBRIDGE_SIM_AMAZON_ADDR", "ARTISANBRIDGE_SIM_GEM_ADDR", "ARTISANBRIDGE_SIM_RAZORPAYX_ADDR"} {
		if env[k] == "" {
			env[k] = "127.0.0.1:0"
		}
	}
	in := &instance{t: t, env: env, base: "http://" + addr, logs: &testenv.SyncBuffer{}, done: make(chan error, 1)}
	ctx, cancel := context.WithCancel(context.Background())
	in.cancel = cancel
	began := time.Now()
	go func() { in.done <- run(ctx, append([]string{"serve"}, flags...), in.getenv, in.logs, in.logs) }()
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(in.base + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				break
			}
		}
		select {
		case err := <-in.done:
			t.Fatalf("serve exited early: %v\n%s", err, in.logs.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve not healthy in 30s\n%s", in.logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	in.started = time.Since(began)
	t.Cleanup(func() { in.stop() })
	return in
}

// stop cancels the context as SIGTERM does and waits for a clean exit.
func (in *instance) stop() {
	if in.cancel == nil {
		return
	}
	in.cancel()
	in.cancel = nil
	select {
	case err := <-in.done:
		if err != nil {
			in.t.Errorf("serve returned %v", err)
		}
	case <-time.After(30 * time.Second):
		in.t.Errorf("serve did not shut down in 30s")
	}
}

func (in *instance) addUser(role string) string {
	in.t.Helper()
	var out testenv.SyncBuffer
	if err := run(context.Background(), []string{"users", "add", "--name", "e2e-" + role, "--role", role}, in.getenv, &out, io.Discard); err != nil {
		in.t.Fatalf("users add: %v", err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	return lines[len(lines)-1]
}

func (in *instance) call(token, method, path string, body any) (int, map[string]any) {
	in.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, in.base+path, rd)
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		in.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	var m map[string]any
	raw, _ := io.ReadAll(resp.Body)
	_ = json.Unmarshal(raw, &m)
	return resp.StatusCode, m
}

const account = "918273645501234"

// TestServeEndToEnd runs the binary on each backend: start, create users
// from the command line, register an artisan and a product, move stock,
// see the change delivered, stop gracefully and start again. It then dumps
// the database and the logs and finds the bank account number in neither.
func TestServeEndToEnd(t *testing.T) {
	cases := []struct {
		name string
		env  func(t *testing.T) map[string]string
		dump func(t *testing.T, env map[string]string) string
	}{
		{"embedded", func(t *testing.T) map[string]string {
			return map[string]string{"ARTISANBRIDGE_DATA_DIR": t.TempDir(), "ARTISANBRIDGE_RELAY_INTERVAL": "100ms",
				"ARTISANBRIDGE_SIM_FLIPKART_ADDR": "127.0.0.1:0", "ARTISANBRIDGE_SIM_AMAZON_ADDR": "127.0.0.1:0", "ARTISANBRIDGE_SIM_GEM_ADDR": "127.0.0.1:0"}
		}, dumpSQLite},
		{"postgres+redis", func(t *testing.T) map[string]string {
			_, redisURL := testenv.RealRedis(t)
			return map[string]string{
				"ARTISANBRIDGE_DATA_DIR": t.TempDir(), "DATABASE_URL": testenv.NewPostgresDatabase(t), "REDIS_URL": redisURL,
				"ARTISANBRIDGE_MASTER_KEY": secrets.GenerateMasterKey("k1"), "ARTISANBRIDGE_RELAY_INTERVAL": "100ms",
			}
		}, dumpPostgres},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			env := tc.env(t)
			in := start(t, env)
			t.Logf("%s: healthy %v after start", tc.name, in.started)
			admin := in.addUser("admin")
			showroom := in.addUser("showroom")

			if code, _ := in.call(showroom, "GET", "/api/v1/users", nil); code != 403 {
				t.Fatalf("showroom listing users: %d", code)
			}
			code, art := in.call(showroom, "POST", "/api/v1/artisans", map[string]any{
				"code": "WW-1", "name": "Abdul Ahad", "craft": "walnut_wood_carving", "phone": "+91 94190 12345",
				"bank_account_number": account, "bank_ifsc": "JAKA0BATMAL"})
			if code != 201 || art["bank_account_masked"] != "XXXXXXXX1234" || art["phone"] != "+919419012345" {
				t.Fatalf("create artisan: %d %v", code, art)
			}
			code, prod := in.call(showroom, "POST", "/api/v1/products", map[string]any{
				"sku": "WAL-BOX-1", "title": "Walnut jewellery box", "craft": "walnut_wood_carving", "hsn_code": "44209090",
				"gst_rate_bp": 500, "mrp_paise": 350000, "price_paise": 320000, "artisan_id": art["id"], "artisan_price_paise": 200000})
			if code != 201 {
				t.Fatalf("create product: %d %v", code, prod)
			}
			code, loc := in.call(admin, "POST", "/api/v1/locations", map[string]any{"code": "SRG", "name": "Srinagar", "kind": "showroom"})
			if code != 201 {
				t.Fatalf("create location: %d %v", code, loc)
			}
			if code, m := in.call(showroom, "POST", "/api/v1/stock/movements", map[string]any{
				"product_id": prod["id"], "location_id": loc["id"], "kind": "intake", "quantity": 4}); code != 201 {
				t.Fatalf("intake: %d %v", code, m)
			}
			if code, m := in.call(showroom, "POST", "/api/v1/stock/movements", map[string]any{
				"product_id": prod["id"], "location_id": loc["id"], "kind": "sale", "quantity": 5}); code != 409 {
				t.Fatalf("oversell: %d %v", code, m)
			}
			waitLog(t, in, `"topic":"inventory.stock_changed"`)
			for _, id := range []any{art["id"], prod["id"]} {
				if code, m := in.call(admin, "GET", "/api/v1/audit?resource_id="+fmt.Sprint(id), nil); code != 200 || len(m["items"].([]any)) != 1 {
					t.Fatalf("audit for %v: %d %v", id, code, m)
				}
			}

			// Graceful stop and a second start on the same data.
			in.stop()
			in2 := start(t, env)
			code, got := in2.call(admin, "GET", "/api/v1/artisans/"+fmt.Sprint(art["id"]), nil)
			if code != 200 || got["bank_account_masked"] != "XXXXXXXX1234" {
				t.Fatalf("after restart: %d %v", code, got)
			}
			code, stock := in2.call(admin, "GET", "/api/v1/stock?product_id="+fmt.Sprint(prod["id"]), nil)
			items, _ := stock["items"].([]any)
			if code != 200 || len(items) != 1 || items[0].(map[string]any)["on_hand"].(float64) != 4 {
				t.Fatalf("stock after restart: %d %v", code, stock)
			}
			in2.stop()

			logs := in.logs.String() + in2.logs.String()
			if strings.Contains(logs, account) || strings.Contains(logs, admin) || strings.Contains(logs, showroom) {
				t.Fatal("a bank account number or a token reached the logs")
			}
			if !strings.Contains(logs, `"request_id"`) {
				t.Fatal("logs carry no request id")
			}
			dump := tc.dump(t, env)
			if len(dump) < 1000 || !strings.Contains(dump, "WAL-BOX-1") {
				t.Fatalf("the dump does not look like the database (%d bytes)", len(dump))
			}
			for _, needle := range []string{account, admin, showroom} {
				if strings.Contains(dump, needle) {
					t.Fatal("a bank account number or a token is stored in plain text")
				}
			}
		})
	}
}

func waitLog(t *testing.T, in *instance, needle string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(in.logs.String(), needle) {
		if time.Now().After(deadline) {
			t.Fatalf("%s never logged", needle)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// dumpSQLite reads every byte of the database files, WAL included.
func dumpSQLite(t *testing.T, env map[string]string) string {
	t.Helper()
	var all strings.Builder
	matches, _ := filepath.Glob(filepath.Join(env["ARTISANBRIDGE_DATA_DIR"], "artisanbridge.db*"))
	for _, m := range matches {
		b, err := os.ReadFile(m)
		if err != nil {
			t.Fatal(err)
		}
		all.Write(b)
	}
	return all.String()
}

// dumpPostgres prints every row of every table as text, as pg_dump would.
func dumpPostgres(t *testing.T, env map[string]string) string {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, env["DATABASE_URL"])
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'`)
	if err != nil {
		t.Fatal(err)
	}
	var tables []string
	for rows.Next() {
		var n string
		_ = rows.Scan(&n)
		tables = append(tables, n)
	}
	rows.Close()
	var all strings.Builder
	for _, tb := range tables {
		if !regexp.MustCompile(`^[a-z_0-9]+$`).MatchString(tb) {
			continue
		}
		r, err := conn.Query(ctx, "SELECT t::text FROM "+tb+" t")
		if err != nil {
			t.Fatal(err)
		}
		for r.Next() {
			var s string
			_ = r.Scan(&s)
			all.WriteString(s + "\n")
		}
		r.Close()
	}
	return all.String()
}
