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

// TestReadmeDocumentsEveryKey keeps the README's configuration table honest.
func TestReadmeDocumentsEveryKey(t *testing.T) {
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range Keys {
		if !strings.Contains(string(b), "`"+k.Env+"`") {
			t.Errorf("README.md does not document %s", k.Env)
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
		"KEY_SECRET":      {"ARTISANBRIDGE_PAYOUT_PROVIDER": "razorpayx", "ARTISANBRIDGE_RAZORPAYX_KEY_ID": "rzp_live_x"},
		"RAZORPAYX_MODE":  {"ARTISANBRIDGE_RAZORPAYX_MODE": "UPI"},
	}
	for want, env := range bad {
		if _, err := load(t, nil, env); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%v: %v (want mention of %s)", env, err, want)
		}
	}
	c := Config{RazorpayXKeySecret: "rzp-secret-value", RazorpayXWebhookKey: "whsec-value", SMSAPIKey: "smskey"}
	for _, secret := range []string{"rzp-secret-value", "whsec-value", "smskey"} {
		if strings.Contains(c.String(), secret) {
			t.Fatalf("%q shows a secret", c.String())
		}
	}
}
