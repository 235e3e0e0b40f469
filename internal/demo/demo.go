// Package demo brings the embedded default to life: on first start it
// registers the valley's craft clusters, their artisans and pieces, lists
// them on the three marketplace simulators, and then plays everyone else:
// buyers ordering, cancelling and returning, the emporium's staff packing
// and dispatching, couriers delivering, the GeM desk carrying files to the
// portal, and finance importing what the marketplaces settle. Within a few
// minutes artisans have tasks, earnings are payable and a payout batch can
// be drafted in the console.
//
// Everything goes through the admin API and the simulators' buyer-side
// control API, as a person or a marketplace would: the demo is a user of
// artisanbridge, never a shortcut around it.
package demo

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"strings"
	"sync"
	"time"

	"github.com/jkhhc/artisanbridge/internal/auth"
)

// Accounts gives the demo its people. SignIn creates the user on first
// start and answers a fresh API token, and the console password when the
// build has a console (empty otherwise).
type Accounts interface {
	SignIn(ctx context.Context, name string, role auth.Role) (token, password string, err error)
}

// Photos keeps a picture (once, by content) and answers its SHA-256, by
// which a product names its photos.
type Photos interface {
	Put(ctx context.Context, contentType string, data []byte) (sha256 string, err error)
}

// Config says where the service is and how busy the buyers are.
type Config struct {
	// API is the service's base URL (http://127.0.0.1:8080).
	API string
	// OrdersPerMinute is how many orders buyers place, across the three
	// marketplaces; 0 places none (the demo then only seeds and staffs).
	OrdersPerMinute float64
	// Pace scales every wait of the demo's staff, couriers and finance
	// desk: 1 is the pace described in the README, tests go faster.
	Pace     float64
	Accounts Accounts
	// Photos stores the drawn photos; nil lists the pieces without them.
	Photos Photos
	Log    *slog.Logger
	// Out is where the welcome (the console and its sign-ins) is printed.
	Out io.Writer
	// Seed makes the buyers' choices repeatable.
	Seed uint64
}

// The demo's people, by the role they work in.
var people = []struct {
	key, name string
	role      auth.Role
	does      string
}{
	{"admin", "admin.demo", auth.RoleAdmin, "everything, and users"},
	{"showroom", "showroom.demo", auth.RoleShowroom, "catalogue, stock, packing and dispatch"},
	{"operations", "operations.demo", auth.RoleOperations, "orders, returns, problems"},
	{"finance", "finance.demo", auth.RoleFinance, "settlements; drafts payout batches"},
	{"checker", "checker.demo", auth.RoleFinance, "approves the batches finance.demo drafts"},
}

// Demo is a running demo.
type Demo struct {
	cfg   Config
	log   *slog.Logger
	users map[string]*client
	rng   *rand.Rand
	mu    sync.Mutex
	// What the couriers remember of the parcels they delivered, by our
	// order id; lost on restart, which only means fewer returns.
	shipments map[string]*shipment
	// The GeM files carried to the portal, and the cursor past the full
	// pages of the file list.
	gemDone   map[string]bool
	gemCursor string
	stats     stats
}

type stats struct {
	placed, cancelled, delivered, returned, received, settlements int
}

// New prepares a demo; Run starts it.
func New(cfg Config) *Demo {
	if cfg.Pace <= 0 {
		cfg.Pace = 1
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Out == nil {
		cfg.Out = io.Discard
	}
	return &Demo{cfg: cfg, log: cfg.Log.With("component", "demo"), users: map[string]*client{},
		rng: rand.New(rand.NewPCG(cfg.Seed, 0x64656d6f)), shipments: map[string]*shipment{}, gemDone: map[string]bool{}}
}

// wait is d at the demo's pace.
func (d *Demo) wait(base time.Duration) time.Duration {
	return time.Duration(float64(base) * d.cfg.Pace)
}

// Run signs the demo's people in, seeds what is missing, prints the
// welcome and plays until ctx ends.
func (d *Demo) Run(ctx context.Context) error {
	var signIns []string
	for _, p := range people {
		token, password, err := d.cfg.Accounts.SignIn(ctx, p.name, p.role)
		if err != nil {
			return fmt.Errorf("demo user %s: %w", p.name, err)
		}
		d.users[p.key] = newClient(d.cfg.API, token)
		line := fmt.Sprintf("  %-11s %-16s", p.role, p.name)
		if password != "" {
			line += fmt.Sprintf(" password %-22s", password)
		}
		signIns = append(signIns, line+" token "+token+"\n      ("+p.does+")")
	}
	var w *world
	for attempt := 0; ; attempt++ {
		var err error
		if w, err = d.seed(ctx); err == nil {
			break
		} else if err == ErrNotDemo || ctx.Err() != nil || attempt == 4 || isStatus(err, 400, 401, 403, 404, 409, 422) {
			return fmt.Errorf("demo seed: %w", err)
		} else {
			d.log.Warn("demo seed failed; trying again", "err", err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Duration(attempt+1) * time.Second):
		}
	}
	d.welcome(w, signIns)
	var wg sync.WaitGroup
	for name, loop := range map[string]struct {
		every time.Duration
		fn    func(context.Context, *world) error
	}{
		"floor":      {3 * time.Second, d.floor},
		"couriers":   {5 * time.Second, d.couriers},
		"operations": {10 * time.Second, d.operations},
		"gem desk":   {5 * time.Second, d.gemDesk},
		"finance":    {40 * time.Second, d.settle},
		"restock":    {30 * time.Second, d.restock},
		"summary":    {time.Minute, d.summary},
	} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d.every(ctx, name, d.wait(loop.every), func(ctx context.Context) error { return loop.fn(ctx, w) })
		}()
	}
	if d.cfg.OrdersPerMinute > 0 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d.buyers(ctx, w)
		}()
	}
	wg.Wait()
	return nil
}

// every runs fn at once and then every period until ctx ends; a failure
// is logged and the next round tries again, as a person would.
func (d *Demo) every(ctx context.Context, name string, period time.Duration, fn func(context.Context) error) {
	t := time.NewTicker(period)
	defer t.Stop()
	for {
		if err := fn(ctx); err != nil && ctx.Err() == nil {
			d.log.Warn("demo step failed; it runs again", "step", name, "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (d *Demo) welcome(w *world, signIns []string) {
	var b strings.Builder
	what := "found its catalogue from an earlier start"
	if w.seededNow {
		what = "registered its catalogue"
	}
	fmt.Fprintf(&b, "\n*** artisanbridge DEMO %s: %d clusters, %d artisans, %d pieces, listed on Flipkart, Amazon and GeM (simulators). ***\n",
		what, len(clusters), len(w.artisans), len(w.products))
	if d.cfg.OrdersPerMinute > 0 {
		fmt.Fprintf(&b, "*** Buyers place about %.0f orders a minute; staff pack and dispatch, couriers deliver, finance imports settlements. ***\n", d.cfg.OrdersPerMinute)
	}
	fmt.Fprintf(&b, "*** Console: %s/   API: %s/api/v1 (docs/api.md) ***\n", d.cfg.API, d.cfg.API)
	if len(clusters) > 0 && len(w.artisans) > 0 {
		fmt.Fprintf(&b, "*** Virtual showrooms: %s/clusters/%s, %s/artisans/%s-01 (public, no sign-in) ***\n", d.cfg.API, clusters[0].Code, d.cfg.API, clusters[0].Code)
	}
	b.WriteString("Sign in as (the demo's own people; fresh tokens every start):\n")
	for _, s := range signIns {
		b.WriteString(s + "\n")
	}
	b.WriteString("Within about three minutes an artisan is payable: draft a payout batch as finance.demo, approve it as checker.demo.\n\n")
	fmt.Fprint(d.cfg.Out, b.String())
}

func (d *Demo) summary(ctx context.Context, _ *world) error {
	d.mu.Lock()
	s := d.stats
	d.mu.Unlock()
	d.log.Info("demo so far", "orders_placed", s.placed, "cancelled_by_buyers", s.cancelled, "delivered", s.delivered,
		"returned", s.returned, "returns_received", s.received, "settlement_files", s.settlements)
	return nil
}

func (d *Demo) count(f func(*stats)) {
	d.mu.Lock()
	f(&d.stats)
	d.mu.Unlock()
}

func (d *Demo) chance(p float64) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.rng.Float64() < p
}

func (d *Demo) intN(n int) int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.rng.IntN(n)
}
