package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jkhhc/artisanbridge/config"
	"github.com/jkhhc/artisanbridge/internal/jobs"
	"github.com/jkhhc/artisanbridge/internal/secrets"
	"github.com/jkhhc/artisanbridge/internal/testenv"
)

// buildBinary builds the command once for a test, as the image does.
func buildBinary(t testing.TB) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "artisanbridge")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	return bin
}

// process is one run of the built binary.
type process struct {
	cmd  *exec.Cmd
	logs *testenv.SyncBuffer
	done chan error
}

// baseEnv is a clean environment: nothing from the machine's but the PATH,
// and every address on an ephemeral port unless the test sets it.
func baseEnv(settings map[string]string) []string {
	env := map[string]string{"PATH": os.Getenv("PATH"), "HOME": os.Getenv("HOME"),
		"ARTISANBRIDGE_ADDR": "127.0.0.1:0", "ARTISANBRIDGE_METRICS_ADDR": "127.0.0.1:0", "ARTISANBRIDGE_WORKER_ADDR": "127.0.0.1:0",
		"ARTISANBRIDGE_EMBEDDED_REDIS_ADDR": "127.0.0.1:0", "ARTISANBRIDGE_SIM_FLIPKART_ADDR": "127.0.0.1:0",
		"ARTISANBRIDGE_SIM_AMAZON_ADDR": "127.0.0.1:0", "ARTISANBRIDGE_SIM_GEM_ADDR": "127.0.0.1:0"}
	for k, v := range settings {
		env[k] = v
	}
	var out []string
	for k, v := range env {
		out = append(out, k+"="+v)
	}
	return out
}

func startProcess(t testing.TB, bin string, env []string, args ...string) *process {
	t.Helper()
	p := &process{cmd: exec.Command(bin, args...), logs: &testenv.SyncBuffer{}, done: make(chan error, 1)}
	p.cmd.Env = env
	p.cmd.Stdout, p.cmd.Stderr = p.logs, p.logs
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.done <- p.cmd.Wait() }()
	t.Cleanup(func() {
		p.cmd.Process.Kill()
		<-p.done
	})
	return p
}

// exited waits for the process to end by itself and returns its error.
func (p *process) exited(t testing.TB, within time.Duration) error {
	t.Helper()
	select {
	case err := <-p.done:
		p.done <- err // for the cleanup
		return err
	case <-time.After(within):
		t.Fatalf("still running after %v:\n%s", within, p.logs.String())
		return nil
	}
}

// healthy waits until base answers /healthz, or fails with the logs.
func (p *process) healthy(t testing.TB, base string) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		if resp, err := http.Get(base + "/healthz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		select {
		case err := <-p.done:
			p.done <- err
			t.Fatalf("exited before it was healthy (%v):\n%s", err, p.logs.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("not healthy within 60s:\n%s", p.logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// stop sends SIGTERM, as Docker does, and expects a clean exit.
func (p *process) stop(t testing.TB) {
	t.Helper()
	p.cmd.Process.Signal(syscall.SIGTERM)
	if err := p.exited(t, 40*time.Second); err != nil {
		t.Fatalf("after SIGTERM: %v\n%s", err, p.logs.String())
	}
}

func get(t testing.TB, url string, header ...string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestServeLocksItsDataFolder: a second serve on a data folder another
// process holds refuses to start and names the holder; a lock left by a
// process killed with SIGKILL does not block the next start, and a clean
// stop releases it.
func TestServeLocksItsDataFolder(t *testing.T) {
	bin := buildBinary(t)
	data := t.TempDir()
	serve := func() (*process, string) {
		addr := freeAddr(t)
		p := startProcess(t, bin, baseEnv(map[string]string{"ARTISANBRIDGE_DATA_DIR": data, "ARTISANBRIDGE_ADDR": addr}), "serve")
		return p, "http://" + addr
	}
	first, base := serve()
	first.healthy(t, base)

	second, _ := serve()
	err := second.exited(t, 30*time.Second)
	want := fmt.Sprintf("data folder %s is in use by another artisanbridge (pid %d): stop it, or give this one another folder (ARTISANBRIDGE_DATA_DIR / --data-dir)",
		data, first.cmd.Process.Pid)
	if err == nil || !strings.Contains(second.logs.String(), want) {
		t.Fatalf("second serve: %v\n%s", err, second.logs.String())
	}
	if code, _ := get(t, base+"/healthz"); code != 200 {
		t.Fatalf("the first serve suffered from the second: %d", code)
	}

	first.cmd.Process.Signal(syscall.SIGKILL)
	first.exited(t, 10*time.Second)
	third, base := serve()
	third.healthy(t, base)
	if b, _ := os.ReadFile(filepath.Join(data, "artisanbridge.lock")); strings.TrimSpace(string(b)) != fmt.Sprint(third.cmd.Process.Pid) {
		t.Fatalf("lock file holds %q, want pid %d", b, third.cmd.Process.Pid)
	}
	third.stop(t)
	fourth, base := serve()
	fourth.healthy(t, base)
	fourth.stop(t)
}

// TestPortClashNamesTheSetting: for every address a process listens on, a
// port already taken stops start-up with the address and the setting.
func TestPortClashNamesTheSetting(t *testing.T) {
	bin := buildBinary(t)
	_, redisURL := testenv.RealRedis(t)
	production := map[string]string{"DATABASE_URL": testenv.NewPostgresDatabase(t), "REDIS_URL": redisURL,
		"ARTISANBRIDGE_MASTER_KEY": secrets.GenerateMasterKey("k1")}
	for _, tc := range []struct {
		command, env, setting string
		production            bool
	}{
		{"serve", "ARTISANBRIDGE_ADDR", "ARTISANBRIDGE_ADDR / --addr", false},
		{"serve", "ARTISANBRIDGE_METRICS_ADDR", "ARTISANBRIDGE_METRICS_ADDR / --metrics-addr", false},
		{"serve", "ARTISANBRIDGE_EMBEDDED_REDIS_ADDR", "ARTISANBRIDGE_EMBEDDED_REDIS_ADDR / --embedded-redis-addr", false},
		{"serve", "ARTISANBRIDGE_SIM_FLIPKART_ADDR", "ARTISANBRIDGE_SIM_FLIPKART_ADDR / --sim-flipkart-addr", false},
		{"serve", "ARTISANBRIDGE_SIM_AMAZON_ADDR", "ARTISANBRIDGE_SIM_AMAZON_ADDR / --sim-amazon-addr", false},
		{"serve", "ARTISANBRIDGE_SIM_GEM_ADDR", "ARTISANBRIDGE_SIM_GEM_ADDR / --sim-gem-addr", false},
		{"api", "ARTISANBRIDGE_ADDR", "ARTISANBRIDGE_ADDR / --addr", true},
		{"api", "ARTISANBRIDGE_METRICS_ADDR", "ARTISANBRIDGE_METRICS_ADDR / --metrics-addr", true},
		{"worker", "ARTISANBRIDGE_WORKER_ADDR", "ARTISANBRIDGE_WORKER_ADDR / --worker-addr", true},
	} {
		t.Run(tc.command+" "+tc.env, func(t *testing.T) {
			taken, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			defer taken.Close()
			settings := map[string]string{"ARTISANBRIDGE_DATA_DIR": t.TempDir(), tc.env: taken.Addr().String()}
			if tc.production {
				for k, v := range production {
					settings[k] = v
				}
			}
			p := startProcess(t, bin, baseEnv(settings), tc.command)
			err = p.exited(t, 60*time.Second)
			want := taken.Addr().String() + " is in use (" + tc.setting + "): "
			if err == nil || !strings.Contains(p.logs.String(), want) {
				t.Fatalf("exit %v, want %q in:\n%s", err, want, p.logs.String())
			}
		})
	}
}

// TestAPIAndWorkerOnOneHost is the production topology on one machine: api
// on its address with /metrics on another, worker on its own health and
// metrics address and nothing else, the health command answering for each,
// and the queue console for admins only.
func TestAPIAndWorkerOnOneHost(t *testing.T) {
	bin := buildBinary(t)
	_, redisURL := testenv.RealRedis(t)
	shared := map[string]string{"DATABASE_URL": testenv.NewPostgresDatabase(t), "REDIS_URL": redisURL,
		"ARTISANBRIDGE_MASTER_KEY": secrets.GenerateMasterKey("k1"), "ARTISANBRIDGE_DATA_DIR": t.TempDir(), "ARTISANBRIDGE_RELAY_INTERVAL": "100ms"}
	apiAddr, metricsAddr, workerAddr := freeAddr(t), freeAddr(t), freeAddr(t)
	with := func(extra map[string]string) []string {
		m := map[string]string{}
		for k, v := range shared {
			m[k] = v
		}
		for k, v := range extra {
			m[k] = v
		}
		return baseEnv(m)
	}
	api := startProcess(t, bin, with(map[string]string{"ARTISANBRIDGE_ADDR": apiAddr, "ARTISANBRIDGE_METRICS_ADDR": metricsAddr}), "api")
	api.healthy(t, "http://"+apiAddr)
	// The worker is given the API's default address too: it must not bind it.
	worker := startProcess(t, bin, with(map[string]string{"ARTISANBRIDGE_WORKER_ADDR": workerAddr, "ARTISANBRIDGE_ADDR": apiAddr}), "worker")
	worker.healthy(t, "http://"+workerAddr)

	token := func(role string) string {
		cmd := exec.Command(bin, "users", "add", "--name", "ops-"+role, "--role", role)
		cmd.Env = with(nil)
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("users add: %v", err)
		}
		lines := strings.Split(strings.TrimSpace(string(out)), "\n")
		return lines[len(lines)-1]
	}
	admin, operations := token("admin"), token("operations")
	// A change, so that the relay puts an event on a queue.
	aid := post(t, "http://"+apiAddr, admin, "/api/v1/artisans", map[string]any{"code": "OPS-1", "name": "Maker", "craft": "namda"})
	post(t, "http://"+apiAddr, admin, "/api/v1/products", map[string]any{"sku": "OPS-1", "title": "Namda", "craft": "namda", "hsn_code": "5704",
		"gst_rate_bp": 500, "mrp_paise": 1000, "price_paise": 900, "artisan_id": aid, "artisan_share_bp": 5000})
	eventually(t, "the event on its queue", 20*time.Second, func() (bool, any) {
		_, body := get(t, "http://"+metricsAddr+"/metrics")
		return strings.Contains(body, `asynq_queue_size{queue="events"}`), nil
	})

	for _, c := range []struct {
		url    string
		status int
		has    []string
		hasNot []string
	}{
		{"http://" + workerAddr + "/readyz", 200, []string{`"ready":true`}, nil},
		{"http://" + workerAddr + "/metrics", 200, []string{"go_goroutines", "artisanbridge_http_requests_total"}, []string{"artisanbridge_outbox_unsent"}},
		{"http://" + workerAddr + "/api/v1/crafts", 404, []string{"a worker serves only"}, nil},
		{"http://" + workerAddr + "/api/v1/openapi.json", 404, nil, nil},
		{"http://" + workerAddr + "/admin/queues", 404, nil, nil},
		{"http://" + apiAddr + "/metrics", 404, nil, nil},
		{"http://" + metricsAddr + "/metrics", 200, []string{"artisanbridge_ops_metrics_up 1", "artisanbridge_outbox_unsent", "artisanbridge_exceptions_open{",
			"artisanbridge_listings_waiting_push{", "artisanbridge_sms_pending", `asynq_queue_size{queue="events"}`, "go_goroutines"}, nil},
	} {
		code, body := get(t, c.url)
		if code != c.status {
			t.Errorf("GET %s: %d, want %d: %.300s", c.url, code, c.status, body)
			continue
		}
		for _, s := range c.has {
			if !strings.Contains(body, s) {
				t.Errorf("GET %s lacks %q", c.url, s)
			}
		}
		for _, s := range c.hasNot {
			if strings.Contains(body, s) {
				t.Errorf("GET %s has %q", c.url, s)
			}
		}
	}

	// The health command, as the compose health checks run it.
	for _, c := range []struct {
		args []string
		ok   bool
	}{
		{[]string{"health", "--ready", "--addr", workerAddr}, true},
		{[]string{"health", "--addr", "0.0.0.0:" + portOf(apiAddr)}, true},
		{[]string{"health", "--ready", "--addr", metricsAddr}, false}, // /metrics only there
		{[]string{"health", "--addr", freeAddr(t)}, false},
	} {
		cmd := exec.Command(bin, c.args...)
		cmd.Env = baseEnv(nil)
		out, err := cmd.CombinedOutput()
		if (err == nil) != c.ok {
			t.Errorf("%v: err %v, want ok=%v\n%s", c.args, err, c.ok, out)
		}
	}
	// With no --addr it asks ARTISANBRIDGE_ADDR, as in the api container.
	cmd := exec.Command(bin, "health", "--ready")
	cmd.Env = baseEnv(map[string]string{"ARTISANBRIDGE_ADDR": apiAddr})
	if out, err := cmd.CombinedOutput(); err != nil || !strings.Contains(string(out), `"ready":true`) {
		t.Errorf("health from ARTISANBRIDGE_ADDR: %v %s", err, out)
	}

	// The queue console: asynqmon's page and API, admins only, read-only.
	console := "http://" + apiAddr + "/admin/queues"
	if code, _ := get(t, console); code != 401 {
		t.Errorf("console without a token: %d", code)
	}
	if code, _ := get(t, console+"/api/queues", "Authorization", "Bearer "+operations); code != 403 {
		t.Errorf("console for operations: %d", code)
	}
	if code, body := get(t, console, "Authorization", "Bearer "+admin); code != 200 || !strings.Contains(body, `window.FLAG_ROOT_PATH="\/admin\/queues"`) {
		t.Errorf("console page: %d %.300s", code, body)
	}
	req, _ := http.NewRequest("GET", console+"/api/queues", nil)
	req.SetBasicAuth("admin", admin)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"queue":"events"`) {
		t.Errorf("console API by Basic: %d %.300s", resp.StatusCode, body)
	}
	req, _ = http.NewRequest("POST", console+"/api/queues/events:pause", nil)
	req.Header.Set("Authorization", "Bearer "+admin)
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("console is not read-only: %v %v", resp.Status, err)
	}

	worker.stop(t)
	api.stop(t)
	if strings.Contains(worker.logs.String(), apiAddr) && strings.Contains(worker.logs.String(), `"server":"http"`) {
		t.Fatal("the worker listened on the API's address")
	}
}

func portOf(addr string) string {
	_, port, _ := net.SplitHostPort(addr)
	return port
}

func TestUsersAddCommand(t *testing.T) {
	for _, tc := range []struct{ argv0, dataDir, want string }{
		{"/tmp/go-build1234/b001/exe/artisanbridge", "./data", "go run ./cmd/artisanbridge users add --name you --role admin"},
		{"artisanbridge", "./data", "artisanbridge users add --name you --role admin"},
		{"./bin/artisanbridge", "data", "./bin/artisanbridge users add --name you --role admin"},
		{"/artisanbridge", "/data", "/artisanbridge users add --name you --role admin --data-dir /data"},
		{"/opt/my tools/artisanbridge", "/srv/show room", "'/opt/my tools/artisanbridge' users add --name you --role admin --data-dir '/srv/show room'"},
	} {
		if got := usersAddCommand(tc.argv0, tc.dataDir); got != tc.want {
			t.Errorf("usersAddCommand(%q, %q) = %q, want %q", tc.argv0, tc.dataDir, got, tc.want)
		}
	}
}

// TestBannerCommandWorks runs the command the embedded banner prints (as
// make run prints it, through go run) against the banner's data folder.
func TestBannerCommandWorks(t *testing.T) {
	env := map[string]string{"ARTISANBRIDGE_DATA_DIR": t.TempDir()}
	in := start(t, env)
	m := regexp.MustCompile(`Create a user with: (.*)`).FindStringSubmatch(in.logs.String())
	if m == nil {
		t.Fatalf("no command in the banner:\n%s", in.logs.String())
	}
	words := strings.Fields(m[1])
	if len(words) < 4 || strings.Join(words[:3], " ") != "go run ./cmd/artisanbridge" {
		t.Fatalf("banner command %q (the test binary is built by go test, as go run builds)", m[1])
	}
	cmd := exec.Command("go", append([]string{"run", "."}, words[3:]...)...)
	cmd.Env = baseEnv(nil)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s: %v\n%s", m[1], err, out.String())
	}
	if !strings.Contains(out.String(), "created user you") {
		t.Fatalf("%s:\n%s", m[1], out.String())
	}
}

// TestComposeStopsWithinGracePeriod: docker-compose.yml gives api and worker
// longer to stop than the drain and the worker's shutdown take together,
// and health-checks each with the health command on its own address.
func TestComposeStopsWithinGracePeriod(t *testing.T) {
	b, err := os.ReadFile("../../docker-compose.yml")
	if err != nil {
		t.Fatal(err)
	}
	compose := string(b)
	fs := flag.NewFlagSet("compose", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	cfg, _, err := config.Load(fs, nil, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	drain := cfg.ShutdownTimeout
	if m := regexp.MustCompile(`ARTISANBRIDGE_SHUTDOWN_TIMEOUT:\s*(\S+)`).FindStringSubmatch(compose); m != nil {
		if drain, err = time.ParseDuration(m[1]); err != nil {
			t.Fatal(err)
		}
	}
	stop := drain + jobs.ServerConfig(1, testenv.Quiet()).ShutdownTimeout
	for service, addr := range map[string]string{"api": "127.0.0.1:8080", "worker": "127.0.0.1:8081"} {
		block := serviceBlock(t, compose, service)
		m := regexp.MustCompile(`stop_grace_period:\s*(\S+)`).FindStringSubmatch(block)
		if m == nil {
			t.Errorf("%s has no stop_grace_period (Docker's default 10s is shorter than %v)", service, stop)
			continue
		}
		grace, err := time.ParseDuration(m[1])
		if err != nil || grace <= stop {
			t.Errorf("%s: stop_grace_period %s, but a stop may take %v (%v drain + %v for running jobs)", service, m[1], stop,
				drain, stop-drain)
		}
		if !strings.Contains(block, `"/artisanbridge", "health", "--ready", "--addr", "`+addr+`"`) {
			t.Errorf("%s's health check does not run the health command on its address:\n%s", service, block)
		}
	}
}

// serviceBlock is the text of one service of a compose file.
func serviceBlock(t *testing.T, compose, service string) string {
	t.Helper()
	start := strings.Index(compose, "\n  "+service+":\n")
	if start < 0 {
		t.Fatalf("no service %s", service)
	}
	rest := compose[start+1:]
	if end := regexp.MustCompile(`\n  [a-z]+:\n|\n[a-z]+:\n`).FindStringIndex(rest[1:]); end != nil {
		return rest[:end[0]+1]
	}
	return rest
}
