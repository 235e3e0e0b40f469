//go:build faults

package faults

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/jkhhc/artisanbridge/internal/secrets"
	"github.com/jkhhc/artisanbridge/internal/testenv"
)

var quick = flag.Bool("quick", false, "fewer operations per scenario (CI)")

// scale is how many operations a scenario sends: n in the full suite, a
// quarter of it (at least 4) with -quick.
func scale(n int) int {
	if *quick {
		return max(4, n/4)
	}
	return n
}

// proc is one process of the topology, restartable on the same address.
type proc struct {
	t      *testing.T
	name   string
	bin    string
	args   []string
	env    []string
	health string // http://host:port of its /healthz, "" for none
	logDir string

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{}
	runs int
}

func (p *proc) logPath() string { return filepath.Join(p.logDir, p.name+".log") }

// start runs the process and waits until it is healthy.
func (p *proc) start() {
	p.t.Helper()
	p.mu.Lock()
	f, err := os.OpenFile(p.logPath(), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		p.mu.Unlock()
		p.t.Fatal(err)
	}
	p.runs++
	fmt.Fprintf(f, "\n===== start %d of %s: %s %s\n", p.runs, p.name, p.bin, strings.Join(p.args, " "))
	cmd := exec.Command(p.bin, p.args...)
	cmd.Env = p.env
	cmd.Stdout, cmd.Stderr = f, f
	if err := cmd.Start(); err != nil {
		f.Close()
		p.mu.Unlock()
		p.t.Fatalf("start %s: %v", p.name, err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); f.Close(); close(done) }()
	p.cmd, p.done = cmd, done
	p.mu.Unlock()
	if p.health == "" {
		return
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		if resp, err := http.Get(p.health + "/healthz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		select {
		case <-done:
			p.t.Fatalf("%s exited at start:\n%s", p.name, tail(p.logPath(), 40))
		default:
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("%s not healthy in 60s:\n%s", p.name, tail(p.logPath(), 40))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// kill sends SIGKILL and waits for the process to be gone.
func (p *proc) kill() {
	p.mu.Lock()
	cmd, done := p.cmd, p.done
	p.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Signal(syscall.SIGKILL)
	<-done
}

// stop sends SIGTERM (the graceful stop) and waits up to 40s, then kills.
func (p *proc) stop() {
	p.mu.Lock()
	cmd, done := p.cmd, p.done
	p.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-done:
	case <-time.After(40 * time.Second):
		_ = cmd.Process.Signal(syscall.SIGKILL)
		<-done
	}
}

func tail(path string, n int) string {
	b, _ := os.ReadFile(path)
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// topology is the production deployment the README describes, on one host.
type topology struct {
	t       *testing.T
	dir     string
	bin     string
	dbURL   string
	db      *pgx.Conn // the harness's own connection (application_name faults-harness)
	dbMu    sync.Mutex
	redis   *proc
	api     *proc
	workers []*proc
	sims    map[string]*proc
	simBase map[string]string
	base    string
	admin   string
	finance string

	channels map[string]string // kind -> channel id
	location string
	products []product
}

type product struct{ id, sku string }

// newTopology builds the binary and starts everything; it fails (never
// skips) when PostgreSQL or redis-server is not there.
func newTopology(t *testing.T) *topology {
	t.Helper()
	redisServer, err := exec.LookPath("redis-server")
	if err != nil {
		t.Fatalf("the fault suite starts its own redis-server and none is on the PATH (install Debian's redis-server): %v", err)
	}
	dir, err := os.MkdirTemp("", "artisanbridge-faults-")
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("process logs in %s", dir)
	top := &topology{t: t, dir: dir, sims: map[string]*proc{}, simBase: map[string]string{}, channels: map[string]string{}}
	t.Cleanup(func() {
		if t.Failed() {
			for _, p := range top.all() {
				t.Logf("---- last lines of %s (%s):\n%s", p.name, p.logPath(), tail(p.logPath(), 30))
			}
		}
	})

	top.bin = filepath.Join(dir, "artisanbridge")
	build := exec.Command("go", "build", "-o", top.bin, "./cmd/artisanbridge")
	build.Dir = ".."
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	top.dbURL = testenv.NewPostgresDatabase(t)

	redisPort := freePort(t)
	top.redis = &proc{t: t, name: "redis", bin: redisServer, logDir: dir, env: os.Environ(),
		args: []string{"--port", strconv.Itoa(redisPort), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
			"--dir", dir, "--maxmemory-policy", "noeviction"}}
	top.redis.start()
	t.Cleanup(top.redis.kill)
	waitTCP(t, fmt.Sprintf("127.0.0.1:%d", redisPort))

	apiAddr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	top.base = "http://" + apiAddr
	for _, kind := range []string{"flipkart", "amazon"} {
		addr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
		args := []string{"sim", kind, "--addr", addr}
		if kind == "flipkart" {
			// Flipkart notifies the api of every order change, as the
			// seller registers https://<host>/webhooks/flipkart.
			args = append(args, "--notify-url", top.base+"/webhooks/flipkart")
		}
		p := &proc{t: t, name: "sim-" + kind, bin: top.bin, args: args, env: os.Environ(), logDir: dir}
		p.start()
		t.Cleanup(p.kill)
		waitTCP(t, addr)
		top.sims[kind], top.simBase[kind] = p, "http://"+addr
	}

	// The environment of every artisanbridge process, as the README's
	// "Production" section gives it.
	env := append(os.Environ(),
		"DATABASE_URL="+top.dbURL,
		fmt.Sprintf("REDIS_URL=redis://127.0.0.1:%d/0", redisPort),
		"ARTISANBRIDGE_MASTER_KEY="+secrets.GenerateMasterKey("k1"),
		"ARTISANBRIDGE_DATA_DIR="+dir,
		"ARTISANBRIDGE_RELAY_INTERVAL=200ms",
		"ARTISANBRIDGE_PULL_INTERVAL=2s",
		"ARTISANBRIDGE_SYNC_SWEEP=2s",
		"ARTISANBRIDGE_SHUTDOWN_TIMEOUT=5s",
		"ARTISANBRIDGE_LOG_LEVEL=info",
	)
	migrate := exec.Command(top.bin, "migrate", "up")
	migrate.Env = env
	if out, err := migrate.CombinedOutput(); err != nil {
		t.Fatalf("migrate: %v\n%s", err, out)
	}

	top.api = &proc{t: t, name: "api", bin: top.bin, logDir: dir, health: top.base,
		args: []string{"api", "--addr", apiAddr, "--metrics-addr", fmt.Sprintf("127.0.0.1:%d", freePort(t))}, env: env}
	top.api.start()
	t.Cleanup(top.api.stop)
	for i := 1; i <= 2; i++ {
		addr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
		w := &proc{t: t, name: fmt.Sprintf("worker%d", i), bin: top.bin, logDir: dir, health: "http://" + addr,
			args: []string{"worker", "--worker-addr", addr}, env: env}
		w.start()
		t.Cleanup(w.stop)
		top.workers = append(top.workers, w)
	}
	top.admin = top.addUser(env, "faults-admin", "admin")
	top.finance = top.addUser(env, "faults-finance", "finance")

	u, _ := url.Parse(top.dbURL)
	q := u.Query()
	q.Set("application_name", "faults-harness")
	u.RawQuery = q.Encode()
	top.db, err = pgx.Connect(context.Background(), u.String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { top.db.Close(context.Background()) })
	top.setUp()
	return top
}

func (top *topology) all() []*proc {
	out := []*proc{top.redis, top.api}
	out = append(out, top.workers...)
	for _, k := range []string{"flipkart", "amazon"} {
		if p := top.sims[k]; p != nil {
			out = append(out, p)
		}
	}
	var live []*proc
	for _, p := range out {
		if p != nil {
			live = append(live, p)
		}
	}
	return live
}

func waitTCP(t *testing.T, addr string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s never accepted a connection: %v", addr, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (top *topology) addUser(env []string, name, role string) string {
	top.t.Helper()
	cmd := exec.Command(top.bin, "users", "add", "--name", name, "--role", role)
	cmd.Env = env
	out, err := cmd.Output()
	if err != nil {
		top.t.Fatalf("users add: %v", err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	return lines[len(lines)-1]
}

// setUp configures the channels as an admin would (pointed at the
// simulators), a location, and products with stock listed on both.
func (top *topology) setUp() {
	t := top.t
	t.Helper()
	c := top.client("setup")
	code, loc := c.do("POST", "/api/v1/locations", top.admin, map[string]any{"code": "SRG", "name": "Srinagar", "kind": "showroom"})
	if code != 201 {
		t.Fatalf("location: %d %v", code, loc)
	}
	top.location = loc["id"].(string)
	_, chans := c.do("GET", "/api/v1/channels", top.admin, nil)
	items, _ := chans["items"].([]any)
	for _, kind := range []string{"flipkart", "amazon"} {
		var ch map[string]any
		for _, it := range items {
			if m := it.(map[string]any); m["kind"] == kind {
				ch = m
			}
		}
		if ch == nil {
			t.Fatalf("no %s channel: %v", kind, chans)
		}
		base := top.simBase[kind]
		patch := map[string]any{"version": ch["version"], "enabled": true,
			"settings": map[string]any{"dispatch_days": 3, "locations": []any{map[string]any{"location_id": top.location, "external_location_id": "LOCSRG01"}}}}
		switch kind {
		case "flipkart":
			patch["base_url"], patch["token_url"] = base+"/sellers", base+"/oauth-service/oauth/token"
			patch["credentials"] = map[string]string{"app_id": "sim-app", "app_secret": "sim-secret"}
		case "amazon":
			patch["base_url"], patch["token_url"] = base, base+"/auth/o2/token"
			patch["credentials"] = map[string]string{"client_id": "sim-client", "client_secret": "sim-secret",
				"refresh_token": "sim-refresh", "seller_id": "SIMSELLER"}
		}
		if code, got := c.do("PATCH", "/api/v1/channels/"+ch["id"].(string), top.admin, patch); code != 200 {
			t.Fatalf("configure %s: %d %v", kind, code, got)
		}
		top.channels[kind] = ch["id"].(string)
	}
	code, art := c.do("POST", "/api/v1/artisans", top.admin, map[string]any{"code": "FLT-1", "name": "Ghulam Nabi", "craft": "kani_shawl"})
	if code != 201 {
		t.Fatalf("artisan: %d %v", code, art)
	}
	for i := 0; i < 6; i++ {
		sku := fmt.Sprintf("FAULT-%d", i)
		code, p := c.do("POST", "/api/v1/products", top.admin, map[string]any{"sku": sku, "title": "Kani shawl " + sku, "craft": "kani_shawl",
			"hsn_code": "62142010", "gst_rate_bp": 500, "mrp_paise": 900000, "price_paise": 800000, "artisan_id": art["id"], "artisan_price_paise": 500000})
		if code != 201 {
			t.Fatalf("product: %d %v", code, p)
		}
		pid := p["id"].(string)
		if code, m := c.do("POST", "/api/v1/stock/movements", top.admin, map[string]any{"product_id": pid, "location_id": top.location,
			"kind": "intake", "quantity": 100000, "reason": "faults setup"}); code != 201 {
			t.Fatalf("intake: %d %v", code, m)
		}
		for kind, chID := range top.channels {
			body := map[string]any{}
			if kind == "flipkart" {
				body["external_id"] = fmt.Sprintf("KANIFAULT%07d", i)
			}
			if code, l := c.do("PUT", fmt.Sprintf("/api/v1/products/%s/listings/%s", pid, chID), top.admin, body); code != 200 {
				t.Fatalf("publish %s on %s: %d %v", sku, kind, code, l)
			}
		}
		top.products = append(top.products, product{id: pid, sku: sku})
	}
	if bad := top.converge(90 * time.Second); bad != 0 {
		t.Fatalf("the listings never reached the simulators at set-up: %d differ", bad)
	}
}

// client sends requests to the api: every write under its own
// Idempotency-Key, resent with the same key while the api cannot be
// reached (killed, restarting), and counts the 5xx answers it gets.
type client struct {
	top    *topology
	name   string
	http   *http.Client
	fivexx atomic.Int64
	seq    atomic.Int64
}

func (top *topology) client(name string) *client {
	return &client{top: top, name: name, http: &http.Client{Timeout: 30 * time.Second}}
}

// do sends one request with a fresh Idempotency-Key (for writes).
func (c *client) do(method, path, token string, body any) (int, map[string]any) {
	key := ""
	if method != "GET" {
		key = fmt.Sprintf("faults-%s-%d-%d", c.name, time.Now().UnixNano(), c.seq.Add(1))
	}
	return c.doKey(method, path, token, key, body)
}

// doKey sends one request under key until it gets an answer (the same
// request again after a transport error) and returns the answer.
func (c *client) doKey(method, path, token, key string, body any) (int, map[string]any) {
	var raw []byte
	if body != nil {
		raw, _ = json.Marshal(body)
	}
	deadline := time.Now().Add(2 * time.Minute)
	inProgressUntil := time.Time{}
	for {
		code, m, err := c.once(method, path, token, key, "application/json", raw)
		if err == nil {
			if code >= 500 {
				c.fivexx.Add(1)
				c.top.t.Logf("%s %s answered %d: %v", method, path, code, m)
			}
			// A request still running under its key (the first delivery
			// is in flight, or was cut by a kill): ask again for 45 s, past
			// the 30 s after which the api runs again a cut request that
			// committed nothing; one still refused had committed before
			// its answer was lost, and the caller checks the result as the
			// answer says.
			if interrupted(code, m) {
				if inProgressUntil.IsZero() {
					inProgressUntil = time.Now().Add(45 * time.Second)
				}
				if time.Now().Before(inProgressUntil) {
					time.Sleep(200 * time.Millisecond)
					continue
				}
			}
			return code, m
		}
		if time.Now().After(deadline) {
			c.top.t.Errorf("%s %s: no answer in 2 minutes: %v", method, path, err)
			return 0, nil
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// interrupted says the api answered that a request under the same key is
// still in progress, or committed and lost its answer.
func interrupted(code int, m map[string]any) bool {
	msg := fmt.Sprint(m)
	return code == 409 && (strings.Contains(msg, "still in progress") || strings.Contains(msg, "its answer was lost"))
}

func (c *client) once(method, path, token, key, contentType string, raw []byte) (int, map[string]any, error) {
	var rd io.Reader
	if raw != nil {
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, c.top.base+path, rd)
	if err != nil {
		return 0, nil, err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if raw != nil {
		req.Header.Set("Content-Type", contentType)
	}
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, nil, err
	}
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	if m == nil {
		m = map[string]any{"raw": string(b)}
	}
	return resp.StatusCode, m, nil
}

// simPost calls a simulator's control API, retrying transport errors.
func (top *topology) simPost(kind, path string, body any) (int, map[string]any) {
	return top.simCall("POST", kind, path, body)
}

func (top *topology) simCall(method, kind, path string, body any) (int, map[string]any) {
	top.t.Helper()
	raw, _ := json.Marshal(body)
	if body == nil {
		raw = nil
	}
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		req, _ := http.NewRequest(method, top.simBase[kind]+path, bytes.NewReader(raw))
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			var m map[string]any
			if json.Unmarshal(b, &m) != nil {
				m = map[string]any{"raw": string(b)}
			}
			return resp.StatusCode, m
		}
		if time.Now().After(deadline) {
			top.t.Errorf("simulator %s: %v", kind, err)
			return 0, nil
		}
	}
}

func (top *topology) simGet(kind, path string, out any) error {
	resp, err := http.Get(top.simBase[kind] + path)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		return fmt.Errorf("GET %s%s: %d", kind, path, resp.StatusCode)
	}
	return json.NewDecoder(resp.Body).Decode(out)
}

// query runs one harness query (the connection is re-opened if the
// scenario's pg_terminate_backend or anything else closed it).
func (top *topology) query(sql string, args []any, scan func(pgx.Rows) error) error {
	top.dbMu.Lock()
	defer top.dbMu.Unlock()
	ctx := context.Background()
	for attempt := 0; ; attempt++ {
		if top.db.IsClosed() {
			u, _ := url.Parse(top.dbURL)
			q := u.Query()
			q.Set("application_name", "faults-harness")
			u.RawQuery = q.Encode()
			c, err := pgx.Connect(ctx, u.String())
			if err != nil {
				return err
			}
			top.db = c
		}
		rows, err := top.db.Query(ctx, sql, args...)
		if err == nil {
			for rows.Next() {
				if err = scan(rows); err != nil {
					break
				}
			}
			rows.Close()
			if err == nil {
				err = rows.Err()
			}
		}
		if err == nil || attempt > 2 || !top.db.IsClosed() {
			return err
		}
	}
}

// count runs a query answering one number.
func (top *topology) count(sql string, args ...any) int {
	top.t.Helper()
	var n int
	if err := top.query(sql, args, func(r pgx.Rows) error { return r.Scan(&n) }); err != nil {
		top.t.Fatalf("%s: %v", sql, err)
	}
	return n
}

// converge waits until every simulator offers, for every product, what the
// database says is available (on hand less reserved, buffer 0) and nothing
// is waiting to be pushed; it answers how many listings still differ
// when the time is up.
func (top *topology) converge(within time.Duration) int {
	top.t.Helper()
	deadline := time.Now().Add(within)
	for {
		diff := top.listingDiff()
		if len(diff) == 0 {
			return 0
		}
		if time.Now().After(deadline) {
			top.t.Errorf("not converged after %v: %s", within, strings.Join(diff, "; "))
			return len(diff)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

func (top *topology) listingDiff() []string {
	want := map[string]int64{}
	err := top.query(`SELECT p.sku, COALESCE(sum(s.on_hand - s.reserved), 0) FROM products p LEFT JOIN stock_levels s ON s.product_id = p.id
		WHERE p.sku LIKE 'FAULT-%' GROUP BY p.sku`, nil, func(r pgx.Rows) error {
		var sku string
		var n int64
		if err := r.Scan(&sku, &n); err != nil {
			return err
		}
		want[sku] = n
		return nil
	})
	if err != nil {
		return []string{"database: " + err.Error()}
	}
	// A listing someone withdrew (DELETE, the fuzzer's accepted requests
	// among them) offers nothing, whatever the stock.
	paused := map[string]bool{}
	err = top.query(`SELECT c.kind, p.sku FROM listings l JOIN products p ON p.id = l.product_id JOIN channels c ON c.id = l.channel_id
		WHERE p.sku LIKE 'FAULT-%' AND l.status = 'paused'`, nil, func(r pgx.Rows) error {
		var kind, sku string
		if err := r.Scan(&kind, &sku); err != nil {
			return err
		}
		paused[kind+" "+sku] = true
		return nil
	})
	if err != nil {
		return []string{"database: " + err.Error()}
	}
	var diff []string
	for _, kind := range []string{"flipkart", "amazon"} {
		var body struct {
			Items []struct {
				SKU      string `json:"sku"`
				Quantity int64  `json:"quantity"`
			} `json:"items"`
		}
		if err := top.simGet(kind, "/_sim/listings", &body); err != nil {
			return []string{err.Error()}
		}
		got := map[string]int64{}
		for _, it := range body.Items {
			got[it.SKU] = it.Quantity
		}
		for sku, n := range want {
			withdrawn := paused[kind+" "+sku]
			if withdrawn {
				n = 0
			}
			if g, ok := got[sku]; !ok && !withdrawn || g != n {
				diff = append(diff, fmt.Sprintf("%s %s offers %d, database %d", kind, sku, g, n))
			}
		}
	}
	return diff
}

// tally is what one scenario sent and how much of it arrived.
type tally struct {
	name                             string
	tried, lost, duplicated, partial int
	clients                          []*client
	extra5xx                         int
	mu                               sync.Mutex
	stock                            []stockOp
	orders                           []simOrder
}

type stockOp struct {
	reason   string
	accepted bool
	code     int
	// interrupted: the request was cut (kill -9 of the api) after it
	// reached the api, and its retries were answered 409 "still in
	// progress (or was interrupted)": it may have committed once or not
	// at all, never twice.
	interrupted bool
}

type simOrder struct {
	kind, id string
	items    int
}

func (top *topology) newTally(name string) *tally { return &tally{name: name} }

func (tl *tally) client(top *topology) *client {
	c := top.client(tl.name + "-" + strconv.Itoa(len(tl.clients)))
	tl.mu.Lock()
	tl.clients = append(tl.clients, c)
	tl.mu.Unlock()
	return c
}

// move records one adjustment of stock through the api (a unique reason
// names it in the database) and notes whether it was accepted.
func (tl *tally) move(top *topology, c *client, seq int) {
	p := top.products[seq%len(top.products)]
	qty := int64(seq%5 + 1)
	if seq%2 == 1 {
		qty = -qty
	}
	reason := fmt.Sprintf("faults %s %d", tl.name, seq)
	code, m := c.do("POST", "/api/v1/stock/movements", top.admin, map[string]any{"product_id": p.id, "location_id": top.location,
		"kind": "adjustment", "quantity": qty, "reason": reason})
	tl.mu.Lock()
	tl.stock = append(tl.stock, stockOp{reason: reason, accepted: code == 201, code: code, interrupted: interrupted(code, m)})
	tl.tried++
	tl.mu.Unlock()
}

// order places one buyer's order on a simulator (items of several products
// in one order on every other call).
func (tl *tally) order(top *topology, kind string, seq int) {
	p := top.products[seq%len(top.products)]
	body := map[string]any{"sku": p.sku, "quantity": 1}
	items := 1
	if seq%2 == 0 {
		q := top.products[(seq+1)%len(top.products)]
		body = map[string]any{"items": []any{map[string]any{"sku": p.sku, "quantity": 1}, map[string]any{"sku": q.sku, "quantity": 2}}}
		items = 2
	}
	code, m := top.simPost(kind, "/_sim/orders", body)
	if code != 201 {
		top.t.Errorf("order on %s: %d %v", kind, code, m)
		return
	}
	tl.mu.Lock()
	tl.orders = append(tl.orders, simOrder{kind: kind, id: fmt.Sprint(m["id"]), items: items})
	tl.tried++
	tl.mu.Unlock()
}

// amazonWait is how long finish waits for Amazon's orders: searchOrders'
// plan allows one call per 3 minutes once its burst is spent.
const amazonWait = 4 * time.Minute

// finish waits for convergence, counts what was lost, doubled or half
// written, prints the scenario's line and fails it on any non-zero count.
func (tl *tally) finish(t *testing.T, top *topology) {
	t.Helper()
	// Orders: each is in the database once, with each of its lines once,
	// each line holding its one reservation.
	began := time.Now()
	for _, o := range tl.orders {
		ch := top.channels[o.kind]
		deadline := began.Add(90 * time.Second)
		if o.kind == "amazon" {
			deadline = began.Add(amazonWait)
		}
		for {
			n := top.count(`SELECT count(*) FROM orders WHERE channel_id = $1 AND external_order_id = $2`, ch, o.id)
			lines := top.count(`SELECT count(*) FROM order_lines WHERE channel_id = $1 AND external_order_id = $2`, ch, o.id)
			held := top.count(`SELECT count(*) FROM reservations r JOIN order_lines l ON l.id = r.line_id
				WHERE l.channel_id = $1 AND l.external_order_id = $2`, ch, o.id)
			if n == 1 && lines == o.items && held == o.items {
				break
			}
			if time.Now().Before(deadline) {
				time.Sleep(250 * time.Millisecond)
				continue
			}
			switch {
			case n == 0:
				tl.lost++
				t.Errorf("%s order %s never taken in", o.kind, o.id)
			case n > 1 || lines > o.items || held > lines:
				tl.duplicated++
				t.Errorf("%s order %s: %d orders, %d lines, %d reservations for %d items", o.kind, o.id, n, lines, held, o.items)
			default:
				tl.partial++
				t.Errorf("%s order %s: %d lines, %d reservations for %d items", o.kind, o.id, lines, held, o.items)
			}
			break
		}
	}
	// Stock movements: each accepted one is there once, each refused one
	// left nothing.
	cut, cutKept := 0, 0
	for _, op := range tl.stock {
		n := top.count(`SELECT count(*) FROM stock_movements WHERE reason = $1`, op.reason)
		if op.interrupted {
			cut++
			cutKept += min(n, 1)
			if n == 0 {
				// Refused as committed, yet not in the database.
				tl.lost++
				t.Errorf("%q was answered 409 (in progress or committed) and is not in the database", op.reason)
			}
		}
		switch {
		case op.accepted && n == 0:
			tl.lost++
			t.Errorf("%q was accepted and is not in the database", op.reason)
		case n > 1:
			tl.duplicated++
			t.Errorf("%q is in the database %d times", op.reason, n)
		case !op.accepted && !op.interrupted && n > 0:
			tl.partial++
			t.Errorf("%q was refused (%d) and is in the database", op.reason, op.code)
		}
	}
	if cut > 0 {
		t.Logf("%d requests cut by a kill were answered 409 on retry (committed, answer lost); %d of them are in the database once", cut, cutKept)
	}
	// Every level is what its movements and reservations make it.
	tl.partial += top.stockBooks(t)
	// Every marketplace offers what the database holds.
	tl.partial += top.converge(2 * time.Minute)
	fivexx := tl.extra5xx
	for _, c := range tl.clients {
		fivexx += int(c.fivexx.Load())
	}
	line := fmt.Sprintf("FAULTS | %s | tried %d | lost %d | duplicated %d | partial %d | 5xx %d", tl.name, tl.tried, tl.lost, tl.duplicated, tl.partial, fivexx)
	fmt.Println(line)
	if tl.lost+tl.duplicated+tl.partial+fivexx != 0 {
		t.Errorf("%s", line)
	}
}

// stockBooks checks that every level's on_hand is the sum of its
// movements less what dispatch consumed, and reserved the sum of the held
// reservations; it answers how many levels disagree.
func (top *topology) stockBooks(t *testing.T) int {
	t.Helper()
	bad := 0
	err := top.query(`
		SELECT s.product_id, s.on_hand, s.reserved,
		  (SELECT COALESCE(sum(CASE WHEN m.kind IN ('intake', 'return', 'adjustment') THEN m.quantity ELSE -m.quantity END), 0)
		     FROM stock_movements m WHERE m.product_id = s.product_id AND m.location_id = s.location_id)
		  + (SELECT COALESCE(sum(m.quantity), 0) FROM stock_movements m
		     WHERE m.product_id = s.product_id AND m.to_location_id = s.location_id AND m.kind = 'transfer'),
		  (SELECT COALESCE(sum(r.quantity), 0) FROM reservations r WHERE r.product_id = s.product_id AND r.location_id = s.location_id AND r.status = 'held')
		FROM stock_levels s`, nil, func(r pgx.Rows) error {
		var pid string
		var onHand, reserved, moved, held int64
		if err := r.Scan(&pid, &onHand, &reserved, &moved, &held); err != nil {
			return err
		}
		if onHand != moved || reserved != held {
			bad++
			t.Errorf("product %s: on hand %d (movements say %d), reserved %d (held reservations %d)", pid, onHand, moved, reserved, held)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("stock books: %v", err)
	}
	return bad
}

// during runs fn on n goroutines, each calling it with increasing
// sequence numbers (unique across goroutines), until stop is closed.
func during(n int, stop <-chan struct{}, fn func(seq int)) *sync.WaitGroup {
	var wg sync.WaitGroup
	var seq atomic.Int64
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				fn(int(seq.Add(1)))
			}
		}()
	}
	return &wg
}
