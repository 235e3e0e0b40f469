// Package config loads artisanbridge's configuration: flags, then the
// environment, then an optional JSON file, then defaults. Invalid
// configuration stops start-up with a message naming every problem.
package config

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/jkhhc/artisanbridge/internal/messages"
)

// Config is every setting of the service. MasterKey is never printed.
type Config struct {
	Addr              string `json:"addr"`
	WorkerAddr        string `json:"worker_addr"`
	MetricsAddr       string `json:"metrics_addr"`
	EmbeddedRedisAddr string `json:"embedded_redis_addr"`
	DataDir           string `json:"data_dir"`
	// PublicURL is where buyers and marketplaces reach this service
	// (photos, public pages, QR tags); empty: http:// + Addr.
	PublicURL         string        `json:"public_url"`
	DatabaseURL       string        `json:"database_url"`
	RedisURL          string        `json:"redis_url"`
	MasterKey         string        `json:"master_key"`
	LogLevel          string        `json:"log_level"`
	ExtraCrafts       []string      `json:"extra_crafts"`
	WorkerConcurrency int           `json:"worker_concurrency"`
	RelayInterval     time.Duration `json:"relay_interval"`
	ShutdownTimeout   time.Duration `json:"shutdown_timeout"`
	MaxBodyBytes      int64         `json:"max_body_bytes"`
	DBMaxConns        int           `json:"db_max_conns"`
	SyncSweep         time.Duration `json:"sync_sweep"`
	PullInterval      time.Duration `json:"pull_interval"`
	SimFlipkartAddr   string        `json:"sim_flipkart_addr"`
	SimAmazonAddr     string        `json:"sim_amazon_addr"`
	SimGeMAddr        string        `json:"sim_gem_addr"`
	SimRazorpayXAddr  string        `json:"sim_razorpayx_addr"`
	SMSURL            string        `json:"sms_url"`
	SMSAPIKey         string        `json:"sms_api_key"`
	SMSSender         string        `json:"sms_sender"`
	SMSEntityID       string        `json:"sms_dlt_entity_id"`
	SMSTemplateIDs    string        `json:"sms_dlt_template_ids"`
	// SMSSegmentCostPaise prices one SMS segment; 0 means free, not unset.
	SMSSegmentCostPaise int64  `json:"sms_segment_cost_paise"`
	PayoutProvider      string `json:"payout_provider"`
	RazorpayXBaseURL    string `json:"razorpayx_base_url"`
	RazorpayXKeyID      string `json:"razorpayx_key_id"`
	RazorpayXKeySecret  string `json:"razorpayx_key_secret"`
	RazorpayXAccount    string `json:"razorpayx_account_number"`
	RazorpayXWebhookKey string `json:"razorpayx_webhook_secret"`
	RazorpayXMode       string `json:"razorpayx_mode"`
	// DemoOrdersPerMinute is the demo's buyers' pace (serve --demo); 0
	// places no orders.
	DemoOrdersPerMinute float64 `json:"demo_orders_per_minute"`
}

// Keys documents every setting: its environment variable, flag, default and meaning.
var Keys = []struct{ Env, Flag, Default, Help string }{
	{"ARTISANBRIDGE_ADDR", "addr", "127.0.0.1:8080", "address the HTTP API listens on (serve and api)"},
	{"ARTISANBRIDGE_WORKER_ADDR", "worker-addr", "127.0.0.1:8081", "worker: the only address it listens on, for /healthz, /readyz and /metrics"},
	{"ARTISANBRIDGE_METRICS_ADDR", "metrics-addr", "127.0.0.1:8082", "serve and api: address /metrics is served on (never the API's)"},
	{"ARTISANBRIDGE_EMBEDDED_REDIS_ADDR", "embedded-redis-addr", "127.0.0.1:6380", "embedded default: where the in-process Redis listens (point asynqmon or redis-cli at it)"},
	{"ARTISANBRIDGE_DATA_DIR", "data-dir", "./data", "embedded database file and generated master key live here"},
	{"ARTISANBRIDGE_PUBLIC_URL", "public-url", "http:// + ARTISANBRIDGE_ADDR", "the address buyers and marketplaces reach this service at (https://shop.example.in): photo URLs sent to marketplaces, public showroom pages, QR tags"},
	{"DATABASE_URL", "database-url", "", "PostgreSQL URL (postgres://...); empty means the embedded SQLite database"},
	{"REDIS_URL", "redis-url", "", "Redis URL (redis://...); empty means in-process Redis (embedded default only)"},
	{"ARTISANBRIDGE_MASTER_KEY", "", "", "key(s) sealing bank accounts and credentials: base64 32 bytes, or id:base64,... (first is primary); required with DATABASE_URL; generated into DATA_DIR/master.key otherwise"},
	{"ARTISANBRIDGE_LOG_LEVEL", "log-level", "info", "debug, info, warn or error"},
	{"ARTISANBRIDGE_EXTRA_CRAFTS", "extra-crafts", "", "comma-separated crafts added to the built-in list"},
	{"ARTISANBRIDGE_WORKER_CONCURRENCY", "worker-concurrency", "10", "jobs a worker process runs at once"},
	{"ARTISANBRIDGE_RELAY_INTERVAL", "relay-interval", "1s", "how often the outbox relay looks for unsent events"},
	{"ARTISANBRIDGE_SHUTDOWN_TIMEOUT", "shutdown-timeout", "15s", "how long a graceful shutdown waits for requests in flight"},
	{"ARTISANBRIDGE_MAX_BODY_BYTES", "max-body-bytes", "1048576", "largest JSON request body accepted"},
	{"ARTISANBRIDGE_DB_MAX_CONNS", "db-max-conns", "10", "database connections per process"},
	{"ARTISANBRIDGE_SYNC_SWEEP", "sync-sweep", "10s", "how often workers look for listings still waiting to be pushed, and for listings a marketplace lost"},
	{"ARTISANBRIDGE_PULL_INTERVAL", "pull-interval", "60s (5s embedded)", "how often each channel's orders are pulled; unset, never faster than the marketplace's order search allows"},
	{"ARTISANBRIDGE_SIM_FLIPKART_ADDR", "sim-flipkart-addr", "127.0.0.1:8181", "embedded default: where the Flipkart simulator listens"},
	{"ARTISANBRIDGE_SIM_AMAZON_ADDR", "sim-amazon-addr", "127.0.0.1:8182", "embedded default: where the Amazon simulator listens"},
	{"ARTISANBRIDGE_SIM_GEM_ADDR", "sim-gem-addr", "127.0.0.1:8183", "embedded default: where the GeM simulator listens"},
	{"ARTISANBRIDGE_SIM_RAZORPAYX_ADDR", "sim-razorpayx-addr", "127.0.0.1:8184", "embedded default with the razorpayx payout provider: where its simulator listens"},
	{"ARTISANBRIDGE_SMS_URL", "sms-url", "", "SMS gateway endpoint (https://...) messages to artisans are POSTed to; empty writes them to the log instead"},
	{"ARTISANBRIDGE_SMS_API_KEY", "", "", "the SMS gateway's API key (sent as a bearer token; never logged)"},
	{"ARTISANBRIDGE_SMS_SENDER", "sms-sender", "JKHHC", "the DLT-registered sender id messages go out under"},
	{"ARTISANBRIDGE_SMS_DLT_ENTITY_ID", "sms-dlt-entity-id", "", "the corporation's DLT principal entity (PE) id, sent with every SMS; required with ARTISANBRIDGE_SMS_URL"},
	{"ARTISANBRIDGE_SMS_DLT_TEMPLATE_IDS", "sms-dlt-template-ids", "", "registered DLT content template ids: event.language=id,... (e.g. order_pick.hi=1107161234567890123); templates not listed keep a DLT-PENDING- placeholder and are not sent"},
	{"ARTISANBRIDGE_SMS_SEGMENT_COST_PAISE", "sms-segment-cost-paise", "20", "what one SMS segment costs, in paise (0 is free)"},
	{"ARTISANBRIDGE_PAYOUT_PROVIDER", "payout-provider", "neft_file", "how payout batches are paid: neft_file (the bank file) or razorpayx"},
	{"ARTISANBRIDGE_RAZORPAYX_BASE_URL", "razorpayx-base-url", "https://api.razorpay.com", "the RazorpayX API (a simulator's URL in tests)"},
	{"ARTISANBRIDGE_RAZORPAYX_KEY_ID", "razorpayx-key-id", "", "RazorpayX API key id"},
	{"ARTISANBRIDGE_RAZORPAYX_KEY_SECRET", "", "", "RazorpayX API key secret (never logged)"},
	{"ARTISANBRIDGE_RAZORPAYX_ACCOUNT_NUMBER", "razorpayx-account-number", "", "the corporation's RazorpayX account number payouts leave from"},
	{"ARTISANBRIDGE_RAZORPAYX_WEBHOOK_SECRET", "", "", "the webhook secret set on the RazorpayX dashboard; old,new during a change (never logged)"},
	{"ARTISANBRIDGE_RAZORPAYX_MODE", "razorpayx-mode", "NEFT", "NEFT or IMPS"},
	{"ARTISANBRIDGE_DEMO_ORDERS_PER_MINUTE", "demo-orders-per-minute", "6", "serve --demo: orders the demo's buyers place a minute across the three marketplaces (0: none)"},
	{"ARTISANBRIDGE_CONFIG", "config", "", "optional JSON file with the same settings (snake_case keys)"},
}

// Embedded reports whether the service runs on the embedded default
// (SQLite and in-process Redis).
func (c Config) Embedded() bool { return c.DatabaseURL == "" && c.RedisURL == "" }

// OrderPullInterval is how often orders are pulled: the setting, or 5 s on
// the embedded default (simulators) and 60 s against real marketplaces.
func (c Config) OrderPullInterval() time.Duration {
	switch {
	case c.PullInterval > 0:
		return c.PullInterval
	case c.Embedded():
		return 5 * time.Second
	}
	return time.Minute
}

// PublicBase is the address buyers and marketplaces reach this service
// at, without a trailing slash: the setting, or http:// + Addr.
func (c Config) PublicBase() string {
	if c.PublicURL != "" {
		return strings.TrimRight(c.PublicURL, "/")
	}
	return "http://" + c.Addr
}

// SQLitePath is where the embedded database lives.
func (c Config) SQLitePath() string { return filepath.Join(c.DataDir, "artisanbridge.db") }

// MasterKeyPath is where the embedded default keeps its generated key.
func (c Config) MasterKeyPath() string { return filepath.Join(c.DataDir, "master.key") }

// String keeps secrets out of logs: URLs lose their passwords and the
// master key is never shown.
func (c Config) String() string {
	return fmt.Sprintf("addr=%s worker_addr=%s metrics_addr=%s data_dir=%s database=%s redis=%s master_key_set=%t",
		c.Addr, c.WorkerAddr, c.MetricsAddr, c.DataDir, redact(c.DatabaseURL), redact(c.RedisURL), c.MasterKey != "")
}

// Setting names a setting the way a person sets it, "ENV / --flag", for
// messages that must say which setting to change (a port already in use).
func Setting(env string) string {
	for _, k := range Keys {
		if k.Env == env && k.Flag != "" {
			return k.Env + " / --" + k.Flag
		}
	}
	return env
}

func redact(raw string) string {
	if raw == "" {
		return "(embedded)"
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable)"
	}
	return u.Redacted()
}

// DefaultAddr and DefaultDataDir are the defaults of ARTISANBRIDGE_ADDR and
// ARTISANBRIDGE_DATA_DIR, for commands that need them without a Config.
const (
	DefaultAddr    = "127.0.0.1:8080"
	DefaultDataDir = "./data"
)

func defaults() Config {
	return Config{
		Addr: DefaultAddr, WorkerAddr: "127.0.0.1:8081", MetricsAddr: "127.0.0.1:8082", EmbeddedRedisAddr: "127.0.0.1:6380", DataDir: DefaultDataDir, LogLevel: "info", WorkerConcurrency: 10,
		RelayInterval: time.Second, ShutdownTimeout: 15 * time.Second, MaxBodyBytes: 1 << 20, DBMaxConns: 10,
		SyncSweep: 10 * time.Second, PullInterval: 0, SimFlipkartAddr: "127.0.0.1:8181", SimAmazonAddr: "127.0.0.1:8182", SimGeMAddr: "127.0.0.1:8183", SimRazorpayXAddr: "127.0.0.1:8184",
		SMSSender: "JKHHC", SMSSegmentCostPaise: 20, PayoutProvider: "neft_file", RazorpayXBaseURL: "https://api.razorpay.com", RazorpayXMode: "NEFT",
		DemoOrdersPerMinute: 6,
	}
}

// Load builds the configuration for a subcommand from its arguments and the
// environment. It returns the remaining positional arguments.
func Load(fs *flag.FlagSet, args []string, getenv func(string) string) (Config, []string, error) {
	cfg := defaults()
	var (
		configFile string
		set        = map[string]*string{}
	)
	fs.StringVar(&configFile, "config", "", "JSON configuration file")
	for _, k := range Keys {
		if k.Flag == "" || k.Flag == "config" {
			continue
		}
		set[k.Flag] = fs.String(k.Flag, "", k.Help+" (env "+k.Env+")")
	}
	if err := fs.Parse(args); err != nil {
		return Config{}, nil, err
	}
	if configFile == "" {
		configFile = getenv("ARTISANBRIDGE_CONFIG")
	}
	if configFile != "" {
		b, err := os.ReadFile(configFile)
		if err != nil {
			return Config{}, nil, fmt.Errorf("config: %w", err)
		}
		var fileCfg fileConfig
		dec := json.NewDecoder(strings.NewReader(string(b)))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&fileCfg); err != nil {
			return Config{}, nil, fmt.Errorf("config: %s: %w", configFile, err)
		}
		if err := fileCfg.apply(&cfg); err != nil {
			return Config{}, nil, fmt.Errorf("config: %s: %w", configFile, err)
		}
	}
	var errs []error
	for _, k := range Keys {
		if k.Flag == "config" {
			continue
		}
		v := getenv(k.Env)
		if p := set[k.Flag]; p != nil && *p != "" {
			v = *p
		}
		if v == "" {
			continue
		}
		if err := assign(&cfg, k.Env, v); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return Config{}, nil, err
	}
	return cfg, fs.Args(), cfg.Validate()
}

func assign(cfg *Config, env, v string) error {
	var err error
	switch env {
	case "ARTISANBRIDGE_ADDR":
		cfg.Addr = v
	case "ARTISANBRIDGE_WORKER_ADDR":
		cfg.WorkerAddr = v
	case "ARTISANBRIDGE_METRICS_ADDR":
		cfg.MetricsAddr = v
	case "ARTISANBRIDGE_EMBEDDED_REDIS_ADDR":
		cfg.EmbeddedRedisAddr = v
	case "ARTISANBRIDGE_DATA_DIR":
		cfg.DataDir = v
	case "ARTISANBRIDGE_PUBLIC_URL":
		cfg.PublicURL = v
	case "DATABASE_URL":
		cfg.DatabaseURL = v
	case "REDIS_URL":
		cfg.RedisURL = v
	case "ARTISANBRIDGE_MASTER_KEY":
		cfg.MasterKey = v
	case "ARTISANBRIDGE_LOG_LEVEL":
		cfg.LogLevel = v
	case "ARTISANBRIDGE_EXTRA_CRAFTS":
		cfg.ExtraCrafts = strings.Split(v, ",")
	case "ARTISANBRIDGE_WORKER_CONCURRENCY":
		cfg.WorkerConcurrency, err = strconv.Atoi(v)
	case "ARTISANBRIDGE_RELAY_INTERVAL":
		cfg.RelayInterval, err = time.ParseDuration(v)
	case "ARTISANBRIDGE_SHUTDOWN_TIMEOUT":
		cfg.ShutdownTimeout, err = time.ParseDuration(v)
	case "ARTISANBRIDGE_MAX_BODY_BYTES":
		cfg.MaxBodyBytes, err = strconv.ParseInt(v, 10, 64)
	case "ARTISANBRIDGE_DB_MAX_CONNS":
		cfg.DBMaxConns, err = strconv.Atoi(v)
	case "ARTISANBRIDGE_SYNC_SWEEP":
		cfg.SyncSweep, err = time.ParseDuration(v)
	case "ARTISANBRIDGE_PULL_INTERVAL":
		cfg.PullInterval, err = time.ParseDuration(v)
		if err == nil && cfg.PullInterval <= 0 {
			// 0 is not "the default": an unset setting is (absent takes the default).
			return fmt.Errorf("%s: %q would pull without pause; leave it unset for the default, or give 1s to 24h", env, v)
		}
	case "ARTISANBRIDGE_SIM_FLIPKART_ADDR":
		cfg.SimFlipkartAddr = v
	case "ARTISANBRIDGE_SIM_AMAZON_ADDR":
		cfg.SimAmazonAddr = v
	case "ARTISANBRIDGE_SIM_GEM_ADDR":
		cfg.SimGeMAddr = v
	case "ARTISANBRIDGE_SIM_RAZORPAYX_ADDR":
		cfg.SimRazorpayXAddr = v
	case "ARTISANBRIDGE_SMS_URL":
		cfg.SMSURL = v
	case "ARTISANBRIDGE_SMS_API_KEY":
		cfg.SMSAPIKey = v
	case "ARTISANBRIDGE_SMS_SENDER":
		cfg.SMSSender = v
	case "ARTISANBRIDGE_SMS_DLT_ENTITY_ID":
		cfg.SMSEntityID = v
	case "ARTISANBRIDGE_SMS_DLT_TEMPLATE_IDS":
		cfg.SMSTemplateIDs = v
	case "ARTISANBRIDGE_SMS_SEGMENT_COST_PAISE":
		cfg.SMSSegmentCostPaise, err = strconv.ParseInt(v, 10, 64)
	case "ARTISANBRIDGE_PAYOUT_PROVIDER":
		cfg.PayoutProvider = v
	case "ARTISANBRIDGE_RAZORPAYX_BASE_URL":
		cfg.RazorpayXBaseURL = v
	case "ARTISANBRIDGE_RAZORPAYX_KEY_ID":
		cfg.RazorpayXKeyID = v
	case "ARTISANBRIDGE_RAZORPAYX_KEY_SECRET":
		cfg.RazorpayXKeySecret = v
	case "ARTISANBRIDGE_RAZORPAYX_ACCOUNT_NUMBER":
		cfg.RazorpayXAccount = v
	case "ARTISANBRIDGE_RAZORPAYX_WEBHOOK_SECRET":
		cfg.RazorpayXWebhookKey = v
	case "ARTISANBRIDGE_RAZORPAYX_MODE":
		cfg.RazorpayXMode = v
	case "ARTISANBRIDGE_DEMO_ORDERS_PER_MINUTE":
		cfg.DemoOrdersPerMinute, err = strconv.ParseFloat(v, 64)
	}
	if err != nil {
		return fmt.Errorf("%s: %q is not a valid value", env, v)
	}
	return nil
}

// fileConfig is the JSON file's shape; durations are strings ("2s").
type fileConfig struct {
	Addr              string   `json:"addr"`
	WorkerAddr        string   `json:"worker_addr"`
	MetricsAddr       string   `json:"metrics_addr"`
	EmbeddedRedisAddr string   `json:"embedded_redis_addr"`
	DataDir           string   `json:"data_dir"`
	PublicURL         string   `json:"public_url"`
	DatabaseURL       string   `json:"database_url"`
	RedisURL          string   `json:"redis_url"`
	MasterKey         string   `json:"master_key"`
	LogLevel          string   `json:"log_level"`
	ExtraCrafts       []string `json:"extra_crafts"`
	// Numbers are pointers: a 0 written in the file is a 0 (and refused
	// where 0 makes no sense), never the absent default.
	WorkerConcurrency *int   `json:"worker_concurrency"`
	RelayInterval     string `json:"relay_interval"`
	ShutdownTimeout   string `json:"shutdown_timeout"`
	MaxBodyBytes      *int64 `json:"max_body_bytes"`
	DBMaxConns        *int   `json:"db_max_conns"`
	SyncSweep         string `json:"sync_sweep"`
	PullInterval      string `json:"pull_interval"`
	SimFlipkartAddr   string `json:"sim_flipkart_addr"`
	SimAmazonAddr     string `json:"sim_amazon_addr"`
	SimGeMAddr        string `json:"sim_gem_addr"`
	SimRazorpayXAddr  string `json:"sim_razorpayx_addr"`
	SMSURL            string `json:"sms_url"`
	SMSAPIKey         string `json:"sms_api_key"`
	SMSSender         string `json:"sms_sender"`
	SMSEntityID       string `json:"sms_dlt_entity_id"`
	SMSTemplateIDs    string `json:"sms_dlt_template_ids"`
	// A pointer: an explicit 0 (free) is not the absent default.
	SMSSegmentCostPaise *int64   `json:"sms_segment_cost_paise"`
	PayoutProvider      string   `json:"payout_provider"`
	RazorpayXBaseURL    string   `json:"razorpayx_base_url"`
	RazorpayXKeyID      string   `json:"razorpayx_key_id"`
	RazorpayXKeySecret  string   `json:"razorpayx_key_secret"`
	RazorpayXAccount    string   `json:"razorpayx_account_number"`
	RazorpayXWebhookKey string   `json:"razorpayx_webhook_secret"`
	RazorpayXMode       string   `json:"razorpayx_mode"`
	DemoOrdersPerMinute *float64 `json:"demo_orders_per_minute"`
}

func (f fileConfig) apply(c *Config) error {
	str := func(dst *string, v string) {
		if v != "" {
			*dst = v
		}
	}
	str(&c.Addr, f.Addr)
	str(&c.WorkerAddr, f.WorkerAddr)
	str(&c.MetricsAddr, f.MetricsAddr)
	str(&c.EmbeddedRedisAddr, f.EmbeddedRedisAddr)
	str(&c.DataDir, f.DataDir)
	str(&c.DatabaseURL, f.DatabaseURL)
	str(&c.RedisURL, f.RedisURL)
	str(&c.MasterKey, f.MasterKey)
	str(&c.LogLevel, f.LogLevel)
	str(&c.SimFlipkartAddr, f.SimFlipkartAddr)
	str(&c.SimAmazonAddr, f.SimAmazonAddr)
	str(&c.PublicURL, f.PublicURL)
	str(&c.SimGeMAddr, f.SimGeMAddr)
	str(&c.SimRazorpayXAddr, f.SimRazorpayXAddr)
	str(&c.SMSURL, f.SMSURL)
	str(&c.SMSAPIKey, f.SMSAPIKey)
	str(&c.SMSSender, f.SMSSender)
	str(&c.SMSEntityID, f.SMSEntityID)
	str(&c.SMSTemplateIDs, f.SMSTemplateIDs)
	str(&c.PayoutProvider, f.PayoutProvider)
	str(&c.RazorpayXBaseURL, f.RazorpayXBaseURL)
	str(&c.RazorpayXKeyID, f.RazorpayXKeyID)
	str(&c.RazorpayXKeySecret, f.RazorpayXKeySecret)
	str(&c.RazorpayXAccount, f.RazorpayXAccount)
	str(&c.RazorpayXWebhookKey, f.RazorpayXWebhookKey)
	str(&c.RazorpayXMode, f.RazorpayXMode)
	if f.SMSSegmentCostPaise != nil {
		c.SMSSegmentCostPaise = *f.SMSSegmentCostPaise
	}
	if f.DemoOrdersPerMinute != nil {
		c.DemoOrdersPerMinute = *f.DemoOrdersPerMinute
	}
	if f.ExtraCrafts != nil {
		c.ExtraCrafts = f.ExtraCrafts
	}
	if f.WorkerConcurrency != nil {
		c.WorkerConcurrency = *f.WorkerConcurrency
	}
	if f.MaxBodyBytes != nil {
		c.MaxBodyBytes = *f.MaxBodyBytes
	}
	if f.DBMaxConns != nil {
		c.DBMaxConns = *f.DBMaxConns
	}
	for _, d := range []struct {
		dst  *time.Duration
		v    string
		name string
	}{{&c.RelayInterval, f.RelayInterval, "relay_interval"}, {&c.ShutdownTimeout, f.ShutdownTimeout, "shutdown_timeout"},
		{&c.SyncSweep, f.SyncSweep, "sync_sweep"}, {&c.PullInterval, f.PullInterval, "pull_interval"}} {
		if d.v == "" {
			continue
		}
		v, err := time.ParseDuration(d.v)
		if err != nil {
			return fmt.Errorf("%s: %q is not a duration", d.name, d.v)
		}
		if v <= 0 && d.name == "pull_interval" {
			return fmt.Errorf("%s: %q would pull without pause; leave it out for the default, or give 1s to 24h", d.name, d.v)
		}
		*d.dst = v
	}
	return nil
}

// Validate reports every problem at once.
func (c Config) Validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	for env, addr := range map[string]string{"ARTISANBRIDGE_ADDR": c.Addr, "ARTISANBRIDGE_WORKER_ADDR": c.WorkerAddr,
		"ARTISANBRIDGE_METRICS_ADDR": c.MetricsAddr, "ARTISANBRIDGE_EMBEDDED_REDIS_ADDR": c.EmbeddedRedisAddr} {
		if _, _, err := net.SplitHostPort(addr); err != nil {
			bad("%s %q must be host:port", env, addr)
		}
	}
	if c.DataDir == "" {
		bad("ARTISANBRIDGE_DATA_DIR must not be empty")
	}
	if c.PublicURL != "" {
		if u, err := url.Parse(c.PublicURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" ||
			u.RawQuery != "" || u.Fragment != "" || u.User != nil {
			bad("ARTISANBRIDGE_PUBLIC_URL %q must be an http(s) URL without query, fragment or credentials (https://shop.example.in)", c.PublicURL)
		}
	}
	if (c.DatabaseURL == "") != (c.RedisURL == "") {
		bad("set both DATABASE_URL and REDIS_URL (production) or neither (embedded default)")
	}
	if c.DatabaseURL != "" && !hasScheme(c.DatabaseURL, "postgres", "postgresql") {
		bad("DATABASE_URL must be a postgres:// URL")
	}
	if c.RedisURL != "" && !hasScheme(c.RedisURL, "redis", "rediss") {
		bad("REDIS_URL must be a redis:// or rediss:// URL")
	}
	if !c.Embedded() && c.MasterKey == "" {
		bad("ARTISANBRIDGE_MASTER_KEY is required with DATABASE_URL: a generated key on one host would make other replicas unable to read bank accounts")
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		bad("ARTISANBRIDGE_LOG_LEVEL must be debug, info, warn or error")
	}
	if c.WorkerConcurrency < 1 || c.WorkerConcurrency > 1000 {
		bad("ARTISANBRIDGE_WORKER_CONCURRENCY must be between 1 and 1000")
	}
	if c.RelayInterval < 10*time.Millisecond || c.RelayInterval > time.Hour {
		bad("ARTISANBRIDGE_RELAY_INTERVAL must be between 10ms and 1h")
	}
	if c.ShutdownTimeout < time.Second || c.ShutdownTimeout > 10*time.Minute {
		bad("ARTISANBRIDGE_SHUTDOWN_TIMEOUT must be between 1s and 10m")
	}
	if c.MaxBodyBytes < 1024 || c.MaxBodyBytes > 64<<20 {
		bad("ARTISANBRIDGE_MAX_BODY_BYTES must be between 1024 and 67108864")
	}
	if c.PullInterval != 0 && (c.PullInterval < time.Second || c.PullInterval > 24*time.Hour) || c.PullInterval < 0 {
		bad("ARTISANBRIDGE_PULL_INTERVAL must be between 1s and 24h")
	}
	if !(c.DemoOrdersPerMinute >= 0 && c.DemoOrdersPerMinute <= 600) {
		bad("ARTISANBRIDGE_DEMO_ORDERS_PER_MINUTE must be between 0 (no buyers) and 600")
	}
	if c.SyncSweep < 100*time.Millisecond || c.SyncSweep > time.Hour {
		bad("ARTISANBRIDGE_SYNC_SWEEP must be between 100ms and 1h")
	}
	for env, addr := range map[string]string{"ARTISANBRIDGE_SIM_FLIPKART_ADDR": c.SimFlipkartAddr,
		"ARTISANBRIDGE_SIM_AMAZON_ADDR": c.SimAmazonAddr, "ARTISANBRIDGE_SIM_GEM_ADDR": c.SimGeMAddr,
		"ARTISANBRIDGE_SIM_RAZORPAYX_ADDR": c.SimRazorpayXAddr} {
		if _, _, err := net.SplitHostPort(addr); err != nil {
			bad("%s %q must be host:port", env, addr)
		}
	}
	if c.SMSURL != "" && !hasScheme(c.SMSURL, "https", "http") {
		bad("ARTISANBRIDGE_SMS_URL must be an https:// URL")
	}
	if c.SMSURL != "" && c.SMSAPIKey == "" {
		bad("ARTISANBRIDGE_SMS_API_KEY is required with ARTISANBRIDGE_SMS_URL")
	}
	if len(c.SMSSender) == 0 || len(c.SMSSender) > 11 {
		bad("ARTISANBRIDGE_SMS_SENDER must be 1 to 11 characters")
	}
	if c.SMSURL != "" && (len(c.SMSEntityID) < 10 || len(c.SMSEntityID) > 25 || strings.Trim(c.SMSEntityID, "0123456789") != "") {
		bad("ARTISANBRIDGE_SMS_DLT_ENTITY_ID is required with ARTISANBRIDGE_SMS_URL: the DLT principal entity id, 10 to 25 digits")
	}
	if _, err := messages.ParseTemplateIDs(c.SMSTemplateIDs); err != nil {
		bad("ARTISANBRIDGE_SMS_DLT_TEMPLATE_IDS: %v", err)
	}
	if c.SMSSegmentCostPaise < 0 || c.SMSSegmentCostPaise > 100_00 {
		bad("ARTISANBRIDGE_SMS_SEGMENT_COST_PAISE must be between 0 and 10000")
	}
	switch c.PayoutProvider {
	case "neft_file":
	case "razorpayx":
		// On the embedded default payouts go to the RazorpayX simulator,
		// which needs no keys.
		if !c.Embedded() && (c.RazorpayXKeyID == "" || c.RazorpayXKeySecret == "" || c.RazorpayXAccount == "" || c.RazorpayXWebhookKey == "") {
			bad("ARTISANBRIDGE_PAYOUT_PROVIDER=razorpayx needs ARTISANBRIDGE_RAZORPAYX_KEY_ID, _KEY_SECRET, _ACCOUNT_NUMBER and _WEBHOOK_SECRET")
		}
	default:
		bad("ARTISANBRIDGE_PAYOUT_PROVIDER must be neft_file or razorpayx")
	}
	if !hasScheme(c.RazorpayXBaseURL, "https", "http") {
		bad("ARTISANBRIDGE_RAZORPAYX_BASE_URL must be an https:// URL")
	}
	if c.RazorpayXMode != "NEFT" && c.RazorpayXMode != "IMPS" {
		bad("ARTISANBRIDGE_RAZORPAYX_MODE must be NEFT or IMPS")
	}
	if c.DBMaxConns < 1 || c.DBMaxConns > 500 {
		bad("ARTISANBRIDGE_DB_MAX_CONNS must be between 1 and 500")
	}
	return errors.Join(errs...)
}

func hasScheme(raw string, schemes ...string) bool {
	u, err := url.Parse(raw)
	if err != nil {
		return false
	}
	for _, s := range schemes {
		if u.Scheme == s {
			return true
		}
	}
	return false
}
