// Command artisanbridge is the whole service in one binary: serve (API,
// worker and scheduler), api, worker, migrate, users and sim.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	amazonsim "github.com/jkhhc/artisanbridge/adapters/amazon/sim"
	flipkartsim "github.com/jkhhc/artisanbridge/adapters/flipkart/sim"
	gemsim "github.com/jkhhc/artisanbridge/adapters/gem/sim"
	"github.com/jkhhc/artisanbridge/config"
	"github.com/jkhhc/artisanbridge/internal/app"
	"github.com/jkhhc/artisanbridge/internal/auth"
	"github.com/jkhhc/artisanbridge/internal/reqctx"
	"github.com/jkhhc/artisanbridge/internal/store"
	"github.com/jkhhc/artisanbridge/migrations"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "artisanbridge:", err)
		os.Exit(1)
	}
}

const usage = `usage: artisanbridge <command> [flags]

commands:
  serve                 API, workers and scheduler in one process (embedded default without DATABASE_URL/REDIS_URL)
  api                   the admin API only (production; needs DATABASE_URL and REDIS_URL)
  worker                the background workers only (production)
  migrate [up|down|status]
  users add --name NAME --role ROLE   prints the new API token as the last line
  users passwd NAME     sets the console password of NAME, read from standard input (ends their sessions, unlocks them)
  sim flipkart|amazon|gem --addr HOST:PORT [--notify-url URL]  one marketplace simulator (README, "Marketplaces")
  health [--addr HOST:PORT] [--ready]  exit 0 if the process at addr answers /healthz (/readyz with --ready)
  help                  this text, and every configuration key

Run "artisanbridge <command> -h" for the flags of a command.`

// run is main without globals, so tests can drive the binary in-process.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprintln(stderr, usage)
		return fmt.Errorf("no command given")
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "serve":
		return serve(ctx, rest, getenv, stderr, app.Mode{API: true, Worker: true})
	case "api":
		return serve(ctx, rest, getenv, stderr, app.Mode{API: true})
	case "worker":
		return serve(ctx, rest, getenv, stderr, app.Mode{Worker: true})
	case "migrate":
		return migrate(ctx, rest, getenv, stdout, stderr)
	case "users":
		return users(ctx, rest, getenv, stdout, stderr)
	case "sim":
		return simulate(ctx, rest, stderr)
	case "health":
		return health(ctx, rest, getenv, stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprintln(stdout, usage)
		fmt.Fprintln(stdout, "\nconfiguration (flag > environment > config file > default):")
		for _, k := range config.Keys {
			fmt.Fprintf(stdout, "  %-34s default %-16q %s\n", k.Env, k.Default, k.Help)
		}
		return nil
	}
	fmt.Fprintln(stderr, usage)
	return fmt.Errorf("unknown command %q", cmd)
}

func newLogger(w io.Writer, level string) *slog.Logger {
	var l slog.Level
	_ = l.UnmarshalText([]byte(level))
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: l}))
}

func load(name string, args []string, getenv func(string) string, stderr io.Writer, more ...func(*flag.FlagSet)) (config.Config, []string, error) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	for _, add := range more {
		add(fs)
	}
	cfg, rest, err := config.Load(fs, args, getenv)
	if err != nil {
		return config.Config{}, nil, fmt.Errorf("configuration: %w", err)
	}
	return cfg, rest, nil
}

func serve(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer, mode app.Mode) error {
	name := "serve"
	if !mode.Worker {
		name = "api"
	} else if !mode.API {
		name = "worker"
	}
	var demoMode bool
	cfg, _, err := load(name, args, getenv, stderr, func(fs *flag.FlagSet) {
		if name == "serve" {
			fs.BoolVar(&demoMode, "demo", false, "seed the valley's clusters, artisans and pieces, list them on the simulators and run buyers, "+
				"staff and couriers (embedded default only; data folder "+demoDataDir+" unless --data-dir says otherwise)")
		}
	})
	if err != nil {
		return err
	}
	if demoMode {
		if !cfg.Embedded() {
			return fmt.Errorf("--demo runs on the embedded default only (its buyers order from the simulators): unset DATABASE_URL and REDIS_URL")
		}
		if !dataDirSet(args, getenv) && cfg.DataDir == config.DefaultDataDir {
			// The demo's made-up catalogue never lands in a showroom's data.
			cfg.DataDir = demoDataDir
		}
	}
	if name != "serve" && cfg.Embedded() {
		return fmt.Errorf("%s needs DATABASE_URL and REDIS_URL: the halves share them; use serve for the embedded default", name)
	}
	log := newLogger(stderr, cfg.LogLevel)
	log.Info("starting", "command", name, "config", cfg.String())
	a, err := app.Open(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer a.Close()
	if cfg.Embedded() && !demoMode {
		fmt.Fprintf(stderr, "\n*** artisanbridge is running on its EMBEDDED DEFAULT: database %s, in-process Redis at %s. ***\n"+
			"*** Create a user with: %s\n\n", cfg.SQLitePath(), a.EmbeddedRedisAddr(), usersAddCommand(os.Args[0], cfg.DataDir))
	}
	if !demoMode {
		err = a.Run(ctx, mode)
		log.Info("stopped")
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	demoErr := make(chan error, 1)
	go func() {
		err := a.RunDemo(ctx, stderr, 1)
		if err != nil && ctx.Err() == nil {
			cancel() // a demo that cannot start stops the process, saying why
		}
		demoErr <- err
	}()
	err = a.Run(ctx, mode)
	if derr := <-demoErr; derr != nil && !errors.Is(derr, context.Canceled) {
		err = errors.Join(err, derr)
	}
	log.Info("stopped")
	return err
}

// demoDataDir is where serve --demo keeps its data unless told otherwise.
const demoDataDir = "./data-demo"

// dataDirSet says whether the data folder was chosen by a flag, the
// environment or a config file (not left at its default).
func dataDirSet(args []string, getenv func(string) string) bool {
	for _, a := range args {
		if a == "--data-dir" || a == "-data-dir" || strings.HasPrefix(a, "--data-dir=") || strings.HasPrefix(a, "-data-dir=") {
			return true
		}
	}
	return getenv("ARTISANBRIDGE_DATA_DIR") != ""
}

// usersAddCommand is the command that creates a user, written the way this
// process was started: through go run (make run), by the path it was run
// by, or by its name when it was found on the PATH. A data folder other
// than the default is passed on, so the user lands in this database.
func usersAddCommand(argv0, dataDir string) string {
	self := argv0
	switch {
	case strings.Contains(filepath.ToSlash(argv0), "/go-build"):
		// go run and go test build into a go-build folder under the temp dir.
		self = "go run ./cmd/artisanbridge"
	case !strings.ContainsRune(argv0, filepath.Separator):
		// Found on the PATH: its name is enough.
	default:
		self = shellQuote(argv0)
	}
	cmd := self + " users add --name you --role admin"
	if filepath.Clean(dataDir) != filepath.Clean(config.DefaultDataDir) {
		cmd += " --data-dir " + shellQuote(dataDir)
	}
	return cmd
}

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/._-+=:,@") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// health asks a running process whether it is alive (/healthz) or ready
// (/readyz: database and Redis reachable); the Docker health checks run it.
func health(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("health", flag.ContinueOnError)
	fs.SetOutput(stderr)
	def := getenv("ARTISANBRIDGE_ADDR")
	if def == "" {
		def = config.DefaultAddr
	}
	addr := fs.String("addr", def, "host:port of the process: the API (ARTISANBRIDGE_ADDR) or a worker's ARTISANBRIDGE_WORKER_ADDR")
	ready := fs.Bool("ready", false, "ask /readyz (database and Redis reachable) instead of /healthz (alive)")
	timeout := fs.Duration("timeout", 3*time.Second, "how long to wait for the answer")
	if err := fs.Parse(args); err != nil {
		return err
	}
	host, port, err := net.SplitHostPort(*addr)
	if err != nil {
		return fmt.Errorf("health: --addr %q must be host:port", *addr)
	}
	// A process listening on every interface is asked on loopback.
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	path := "/healthz"
	if *ready {
		path = "/readyz"
	}
	url := "http://" + net.JoinHostPort(host, port) + path
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("health: %w", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("health: %s answered %d: %s", url, resp.StatusCode, strings.TrimSpace(string(body)))
	}
	fmt.Fprintf(stdout, "%s: %s\n", url, strings.TrimSpace(string(body)))
	return nil
}

func migrate(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, rest, err := load("migrate", args, getenv, stderr)
	if err != nil {
		return err
	}
	action := "up"
	if len(rest) > 0 {
		action = rest[0]
	}
	db, err := store.Open(ctx, store.Options{PostgresURL: cfg.DatabaseURL, SQLitePath: cfg.SQLitePath()})
	if err != nil {
		return err
	}
	defer db.Close()
	p, err := migrations.NewProvider(db.SQL(), db.Dialect(), nil)
	if err != nil {
		return err
	}
	switch action {
	case "up":
		res, err := p.Up(ctx)
		for _, r := range res {
			fmt.Fprintf(stdout, "applied %s\n", r.Source.Path)
		}
		return err
	case "down":
		r, err := p.Down(ctx)
		if r != nil {
			fmt.Fprintf(stdout, "rolled back version %d\n", r.Source.Version)
		}
		return err
	case "status":
		st, err := p.Status(ctx)
		if err != nil {
			return err
		}
		for _, s := range st {
			fmt.Fprintf(stdout, "%-8s %5d %s\n", s.State, s.Source.Version, s.Source.Path)
		}
		return nil
	}
	return fmt.Errorf("migrate: unknown action %q (up, down or status)", action)
}

// stdin is where `users passwd` reads the password (tests replace it).
var stdin io.Reader = os.Stdin

func users(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "passwd" {
		return passwd(ctx, args[1:], getenv, stdout, stderr)
	}
	if len(args) == 0 || args[0] != "add" {
		return fmt.Errorf("usage: artisanbridge users add --name NAME --role %s, or artisanbridge users passwd NAME", roleList())
	}
	fs := flag.NewFlagSet("users add", flag.ContinueOnError)
	fs.SetOutput(stderr)
	name := fs.String("name", "", "the user's name")
	role := fs.String("role", "", "one of "+roleList())
	cfg, _, err := config.Load(fs, args[1:], getenv)
	if err != nil {
		return fmt.Errorf("configuration: %w", err)
	}
	log := newLogger(stderr, cfg.LogLevel)
	db, err := store.Open(ctx, store.Options{PostgresURL: cfg.DatabaseURL, SQLitePath: cfg.SQLitePath()})
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.Migrate(ctx, log); err != nil {
		return err
	}
	ctx = reqctx.WithActor(ctx, reqctx.Actor{ID: "cli", Name: "command line", Role: "admin"})
	u, token, err := auth.NewService(db.Users(), nil).CreateUser(ctx, auth.NewUser{Name: *name, Role: auth.Role(*role)})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "created user %s (%s, role %s); the token below is shown only once:\n%s\n", u.Name, u.ID, u.Role, token)
	return nil
}

// passwd sets a user's console password, read as one line from standard
// input (typed, or piped: printf '%s\n' "$PW" | artisanbridge users passwd amina).
func passwd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("users passwd", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: artisanbridge users passwd NAME (the password is read from standard input)")
	}
	var name string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		name, args = args[0], args[1:]
	}
	cfg, rest, err := config.Load(fs, args, getenv)
	if err != nil {
		return fmt.Errorf("configuration: %w", err)
	}
	if name == "" && len(rest) > 0 {
		name = rest[0]
	}
	if name == "" {
		return errors.New("usage: artisanbridge users passwd NAME (the password is read from standard input)")
	}
	fmt.Fprintf(stderr, "new console password for %s (%d to %d characters), then Enter: ", name, auth.MinPasswordLen, auth.MaxPasswordLen)
	line, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && !(errors.Is(err, io.EOF) && line != "") {
		return fmt.Errorf("no password read from standard input: %w", err)
	}
	pw := strings.TrimRight(line, "\r\n")
	fmt.Fprintln(stderr)
	log := newLogger(stderr, cfg.LogLevel)
	db, err := store.Open(ctx, store.Options{PostgresURL: cfg.DatabaseURL, SQLitePath: cfg.SQLitePath()})
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.Migrate(ctx, log); err != nil {
		return err
	}
	ctx = reqctx.WithActor(ctx, reqctx.Actor{ID: "cli", Name: "command line", Role: "admin"})
	u, err := auth.NewSessions(db.Sessions(), nil, auth.DefaultLockout).SetPassword(ctx, name, pw)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "set the console password of %s (%s, role %s); their sessions were ended\n", u.Name, u.ID, u.Role)
	return nil
}

func roleList() string {
	names := make([]string, len(auth.Roles))
	for i, r := range auth.Roles {
		names[i] = string(r)
	}
	return strings.Join(names, "|")
}

// simulate runs one marketplace simulator until ctx ends.
func simulate(ctx context.Context, args []string, stderr io.Writer) error {
	if len(args) == 0 {
		return fmt.Errorf("usage: artisanbridge sim flipkart|amazon|gem [--addr HOST:PORT] [--seed N]")
	}
	name := args[0]
	fs := flag.NewFlagSet("sim "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:8181", "address to listen on")
	seed := fs.Uint64("seed", 1, "seed of the simulator's faults and ids (same seed, same run)")
	notifyURL := fs.String("notify-url", "", "flipkart: post signed order notifications to this URL (such as http://127.0.0.1:8080/webhooks/flipkart; faults: PUT /_sim/notifications)")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	var h http.Handler
	if *notifyURL != "" && name != "flipkart" {
		return fmt.Errorf("--notify-url: only the flipkart simulator sends notifications")
	}
	switch name {
	case "flipkart":
		fk := flipkartsim.New(flipkartsim.Config{Seed: *seed, Notifications: flipkartsim.Notifications{URL: *notifyURL}})
		defer fk.Close()
		h = fk
	case "amazon":
		h = amazonsim.New(amazonsim.Config{Seed: *seed})
	case "gem":
		h = gemsim.New(gemsim.Config{Seed: *seed})
	default:
		return fmt.Errorf("no %q simulator (flipkart, amazon, gem)", name)
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	log := newLogger(stderr, "info")
	log.Info("simulator listening", "marketplace", name, "addr", ln.Addr().String())
	go func() {
		<-ctx.Done()
		shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(shut)
	}()
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
