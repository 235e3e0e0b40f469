package config

import (
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func load(t *testing.T, args []string, env map[string]string) (Config, error) {
	t.Helper()
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	cfg, _, err := Load(fs, args, func(k string) string { return env[k] })
	return cfg, err
}

func TestPrecedence(t *testing.T) {
	file := filepath.Join(t.TempDir(), "c.json")
	os.WriteFile(file, []byte(`{"addr":"127.0.0.1:7000","relay_interval":"3s","log_level":"warn"}`), 0o600)
	cfg, err := load(t, []string{"--addr", "127.0.0.1:9000"}, map[string]string{
		"ARTISANBRIDGE_CONFIG": file, "ARTISANBRIDGE_ADDR": "127.0.0.1:8000", "ARTISANBRIDGE_LOG_LEVEL": "debug"})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Addr != "127.0.0.1:9000" || cfg.LogLevel != "debug" || cfg.RelayInterval != 3*time.Second || !cfg.Embedded() {
		t.Fatalf("flags > env > file > defaults not kept: %+v", cfg)
	}
}

func TestInvalid(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"bad addr", map[string]string{"ARTISANBRIDGE_ADDR": "8080"}, "host:port"},
		{"bad worker addr", map[string]string{"ARTISANBRIDGE_WORKER_ADDR": "8081"}, "ARTISANBRIDGE_WORKER_ADDR"},
		{"bad metrics addr", map[string]string{"ARTISANBRIDGE_METRICS_ADDR": "metrics"}, "ARTISANBRIDGE_METRICS_ADDR"},
		{"bad embedded redis addr", map[string]string{"ARTISANBRIDGE_EMBEDDED_REDIS_ADDR": "6380"}, "ARTISANBRIDGE_EMBEDDED_REDIS_ADDR"},
		{"only database", map[string]string{"DATABASE_URL": "postgres://x@y/z"}, "both"},
		{"no master key", map[string]string{"DATABASE_URL": "postgres://x@y/z", "REDIS_URL": "redis://r:6379"}, "MASTER_KEY"},
		{"mysql", map[string]string{"DATABASE_URL": "mysql://x@y/z", "REDIS_URL": "redis://r:6379", "ARTISANBRIDGE_MASTER_KEY": "k"}, "postgres://"},
		{"bad duration", map[string]string{"ARTISANBRIDGE_RELAY_INTERVAL": "soon"}, "RELAY_INTERVAL"},
		{"bad level", map[string]string{"ARTISANBRIDGE_LOG_LEVEL": "loud"}, "LOG_LEVEL"},
		{"zero workers", map[string]string{"ARTISANBRIDGE_WORKER_CONCURRENCY": "0"}, "CONCURRENCY"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := load(t, nil, tc.env)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want mention of %s", err, tc.want)
			}
		})
	}
}

func TestStringHidesSecrets(t *testing.T) {
	c := Config{DatabaseURL: "postgres://app:hunter2@db/ab", RedisURL: "redis://:sesame@r:6379", MasterKey: "k1:c2VjcmV0"}
	s := c.String()
	for _, secret := range []string{"hunter2", "sesame", "c2VjcmV0"} {
		if strings.Contains(s, secret) {
			t.Fatalf("%q shows a secret", s)
		}
	}
}

// TestReadmeDocumentsEveryKey keeps the README's configuration table
// honest: one row per key, with the key's flag and its default as the code
// has them.
func TestReadmeDocumentsEveryKey(t *testing.T) {
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string][]string{}
	for _, line := range strings.Split(string(b), "\n") {
		cells := strings.Split(line, "|")
		if len(cells) < 5 || !strings.HasPrefix(strings.TrimSpace(cells[1]), "`") {
			continue
		}
		env := strings.Trim(strings.TrimSpace(cells[1]), "`")
		rows[env] = []string{strings.TrimSpace(cells[2]), strings.TrimSpace(cells[3])}
	}
	for _, k := range Keys {
		row, ok := rows[k.Env]
		if !ok {
			t.Errorf("README.md's configuration table has no row for %s", k.Env)
			continue
		}
		flag := ""
		if k.Flag != "" {
			flag = "`--" + k.Flag + "`"
		}
		if row[0] != flag {
			t.Errorf("README.md: %s's flag is %q, the code's is %q", k.Env, row[0], flag)
		}
		if k.Default != "" && row[1] != "`"+k.Default+"`" {
			t.Errorf("README.md: %s's default is %q, the code's is %q", k.Env, row[1], "`"+k.Default+"`")
		}
	}
}

func TestDLTAndPayoutSettings(t *testing.T) {
	cfg, err := load(t, nil, map[string]string{"ARTISANBRIDGE_SMS_SEGMENT_COST_PAISE": "0"})
	if err != nil || cfg.SMSSegmentCostPaise != 0 || cfg.PayoutProvider != "neft_file" || cfg.RazorpayXMode != "NEFT" {
		t.Fatalf("an explicit 0 is 0: %+v %v", cfg.SMSSegmentCostPaise, err)
	}
	if cfg, _ := load(t, nil, nil); cfg.SMSSegmentCostPaise != 20 {
		t.Fatalf("absent takes the default: %d", cfg.SMSSegmentCostPaise)
	}
	file := filepath.Join(t.TempDir(), "c.json")
	os.WriteFile(file, []byte(`{"sms_segment_cost_paise":0,"sms_dlt_template_ids":"order_pick.hi=1107161234567890123"}`), 0o600)
	if cfg, err := load(t, nil, map[string]string{"ARTISANBRIDGE_CONFIG": file}); err != nil || cfg.SMSSegmentCostPaise != 0 || cfg.SMSTemplateIDs == "" {
		t.Fatalf("file: %+v %v", cfg.SMSSegmentCostPaise, err)
	}
	bad := map[string]map[string]string{
		"DLT_ENTITY_ID":   {"ARTISANBRIDGE_SMS_URL": "https://sms.example/send", "ARTISANBRIDGE_SMS_API_KEY": "k"},
		"TEMPLATE_IDS":    {"ARTISANBRIDGE_SMS_DLT_TEMPLATE_IDS": "order_pick.fr=1107161234567890123"},
		"COST_PAISE":      {"ARTISANBRIDGE_SMS_SEGMENT_COST_PAISE": "-1"},
		"PAYOUT_PROVIDER": {"ARTISANBRIDGE_PAYOUT_PROVIDER": "cheque"},
		"KEY_SECRET": {"ARTISANBRIDGE_PAYOUT_PROVIDER": "razorpayx", "ARTISANBRIDGE_RAZORPAYX_KEY_ID": "rzp_live_x",
			"DATABASE_URL": "postgres://db.example/ab", "REDIS_URL": "redis://redis.example:6379/0"},
		"RAZORPAYX_MODE": {"ARTISANBRIDGE_RAZORPAYX_MODE": "UPI"},
	}
	for want, env := range bad {
		if _, err := load(t, nil, env); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%v: %v (want mention of %s)", env, err, want)
		}
	}
	// On the embedded default payouts go to the simulator: no keys needed.
	if cfg, err := load(t, nil, map[string]string{"ARTISANBRIDGE_PAYOUT_PROVIDER": "razorpayx"}); err != nil || cfg.PayoutProvider != "razorpayx" {
		t.Fatalf("embedded razorpayx: %v", err)
	}
	c := Config{RazorpayXKeySecret: "rzp-secret-value", RazorpayXWebhookKey: "whsec-value", SMSAPIKey: "smskey"}
	for _, secret := range []string{"rzp-secret-value", "whsec-value", "smskey"} {
		if strings.Contains(c.String(), secret) {
			t.Fatalf("%q shows a secret", c.String())
		}
	}
}

// TestDefaultsAreTheDocumentedOnes: what Keys says is the default is what
// an empty configuration gets.
func TestDefaultsAreTheDocumentedOnes(t *testing.T) {
	cfg, err := load(t, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	for env, got := range map[string]string{"ARTISANBRIDGE_ADDR": cfg.Addr, "ARTISANBRIDGE_WORKER_ADDR": cfg.WorkerAddr,
		"ARTISANBRIDGE_METRICS_ADDR": cfg.MetricsAddr, "ARTISANBRIDGE_EMBEDDED_REDIS_ADDR": cfg.EmbeddedRedisAddr,
		"ARTISANBRIDGE_DATA_DIR": cfg.DataDir, "ARTISANBRIDGE_SHUTDOWN_TIMEOUT": cfg.ShutdownTimeout.String()} {
		for _, k := range Keys {
			if k.Env == env && k.Default != got {
				t.Errorf("%s: default %q, documented %q", env, got, k.Default)
			}
		}
	}
}

func TestSetting(t *testing.T) {
	for env, want := range map[string]string{
		"ARTISANBRIDGE_ADDR":                "ARTISANBRIDGE_ADDR / --addr",
		"ARTISANBRIDGE_EMBEDDED_REDIS_ADDR": "ARTISANBRIDGE_EMBEDDED_REDIS_ADDR / --embedded-redis-addr",
		"ARTISANBRIDGE_MASTER_KEY":          "ARTISANBRIDGE_MASTER_KEY", // no flag: never on a command line
	} {
		if got := Setting(env); got != want {
			t.Errorf("Setting(%s) = %q, want %q", env, got, want)
		}
	}
}

func TestAddressesFromEveryLayer(t *testing.T) {
	file := filepath.Join(t.TempDir(), "c.json")
	os.WriteFile(file, []byte(`{"worker_addr":"127.0.0.1:7001","metrics_addr":"127.0.0.1:7002","embedded_redis_addr":"127.0.0.1:7003"}`), 0o600)
	cfg, err := load(t, []string{"--metrics-addr", "127.0.0.1:9002"}, map[string]string{"ARTISANBRIDGE_CONFIG": file,
		"ARTISANBRIDGE_EMBEDDED_REDIS_ADDR": "127.0.0.1:8003"})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.WorkerAddr != "127.0.0.1:7001" || cfg.MetricsAddr != "127.0.0.1:9002" || cfg.EmbeddedRedisAddr != "127.0.0.1:8003" {
		t.Fatalf("%+v", cfg)
	}
}

// TestZeroIsZero: a 0 written in the file or the environment is a 0, never
// the absent default: refused where 0 makes no sense, with the setting named.
func TestZeroIsZero(t *testing.T) {
	for name, content := range map[string]string{
		"worker_concurrency": `{"worker_concurrency":0}`, "db_max_conns": `{"db_max_conns":0}`,
		"max_body_bytes": `{"max_body_bytes":0}`, "pull_interval": `{"pull_interval":"0s"}`,
	} {
		file := filepath.Join(t.TempDir(), "c.json")
		if err := os.WriteFile(file, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := load(t, nil, map[string]string{"ARTISANBRIDGE_CONFIG": file}); err == nil ||
			!strings.Contains(strings.ToUpper(err.Error()), strings.ToUpper(name)) {
			t.Errorf("%s: %v (want a refusal naming it)", content, err)
		}
	}
	if _, err := load(t, nil, map[string]string{"ARTISANBRIDGE_PULL_INTERVAL": "0s"}); err == nil || !strings.Contains(err.Error(), "PULL_INTERVAL") {
		t.Errorf("PULL_INTERVAL=0s: %v", err)
	}
	if cfg, err := load(t, nil, nil); err != nil || cfg.OrderPullInterval() != 5*time.Second || cfg.WorkerConcurrency != 10 || cfg.DemoOrdersPerMinute != 6 {
		t.Errorf("absent takes the default: %v %v %v", cfg.OrderPullInterval(), cfg.DemoOrdersPerMinute, err)
	}
	// Where 0 makes sense it is kept: a demo with no buyers.
	file := filepath.Join(t.TempDir(), "c.json")
	os.WriteFile(file, []byte(`{"demo_orders_per_minute":0}`), 0o600)
	if cfg, err := load(t, nil, map[string]string{"ARTISANBRIDGE_CONFIG": file}); err != nil || cfg.DemoOrdersPerMinute != 0 {
		t.Errorf("demo_orders_per_minute 0 in the file: %v %v", cfg.DemoOrdersPerMinute, err)
	}
	if cfg, err := load(t, nil, map[string]string{"ARTISANBRIDGE_DEMO_ORDERS_PER_MINUTE": "0"}); err != nil || cfg.DemoOrdersPerMinute != 0 {
		t.Errorf("ARTISANBRIDGE_DEMO_ORDERS_PER_MINUTE=0: %v %v", cfg.DemoOrdersPerMinute, err)
	}
	if _, err := load(t, nil, map[string]string{"ARTISANBRIDGE_DEMO_ORDERS_PER_MINUTE": "-1"}); err == nil || !strings.Contains(err.Error(), "DEMO_ORDERS_PER_MINUTE") {
		t.Errorf("a negative pace: %v", err)
	}
}
