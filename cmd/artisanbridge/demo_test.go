package main

import (
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"
)

// demoTokens reads the sign-ins the demo's welcome printed, by name.
func demoTokens(t *testing.T, logs string) map[string]string {
	t.Helper()
	tokens := map[string]string{}
	for _, m := range regexp.MustCompile(`(\w+\.demo)\s.*?token (\S+)`).FindAllStringSubmatch(logs, -1) {
		tokens[m[1]] = m[2]
	}
	for _, name := range []string{"admin.demo", "showroom.demo", "operations.demo", "finance.demo", "checker.demo"} {
		if tokens[name] == "" {
			t.Fatalf("the welcome printed no sign-in for %s:\n%s", name, logs)
		}
	}
	return tokens
}

// welcome waits for the demo's welcome (printed once the catalogue is
// seeded) and returns the logs so far.
func welcome(t *testing.T, in *instance) string {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		logs := in.logs.String()
		if strings.Contains(logs, "Within about three minutes") {
			return logs
		}
		if time.Now().After(deadline) {
			t.Fatalf("the demo printed no welcome in 2 minutes:\n%s", logs)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// poll asks cond every two seconds (the demo's pace, not a test's) until
// it holds or the deadline passes.
func poll(t *testing.T, what string, deadline time.Time, cond func() (bool, any)) {
	t.Helper()
	var last any
	for {
		var ok bool
		if ok, last = cond(); ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not by the deadline; last seen %v", what, last)
		}
		time.Sleep(2 * time.Second)
	}
}

// items is a list answer's items.
func items(t *testing.T, in *instance, token, path string) []map[string]any {
	t.Helper()
	status, body := in.call(token, http.MethodGet, path, nil)
	if status != http.StatusOK {
		t.Fatalf("GET %s: %d %v", path, status, body)
	}
	var out []map[string]any
	list, _ := body["items"].([]any)
	for _, it := range list {
		if m, ok := it.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}

// TestDemo is issue 15's first acceptance point on the embedded default:
// serve --demo shows orders, fulfilment tasks, live listings on every
// channel and a payable artisan within three minutes, and a second start
// on the same data folder seeds nothing twice and replaces the sign-ins.
func TestDemo(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"ARTISANBRIDGE_DATA_DIR": dir, "ARTISANBRIDGE_DEMO_ORDERS_PER_MINUTE": "12"}
	began := time.Now()
	in := start(t, env, "--demo")
	tokens := demoTokens(t, welcome(t, in))
	ops, fin := tokens["operations.demo"], tokens["finance.demo"]

	until := began.Add(3 * time.Minute)
	poll(t, "orders, tasks, live listings on all three channels and a payable artisan", until, func() (bool, any) {
		orders := items(t, in, ops, "/api/v1/orders?limit=5")
		tasks := items(t, in, ops, "/api/v1/fulfilment-tasks?limit=5")
		live := map[string]int{}
		for _, ch := range items(t, in, ops, "/api/v1/channels") {
			id, _ := ch["id"].(string)
			live[ch["kind"].(string)] = len(items(t, in, ops, "/api/v1/listings?status=live&limit=5&channel_id="+id))
		}
		status, batch := in.call(fin, http.MethodPost, "/api/v1/payout-batches", map[string]any{"min_paise": 1})
		done := len(orders) > 0 && len(tasks) > 0 && live["flipkart"] > 0 && live["amazon"] > 0 && live["gem"] > 0 && status == http.StatusCreated
		return done, map[string]any{"orders": len(orders), "tasks": len(tasks), "live": live, "draft": status, "batch": batch}
	})
	t.Logf("the demo showed every part in %s", time.Since(began).Round(time.Second))

	count := func(path string) int {
		n := 0
		for cursor := ""; ; {
			status, body := in.call(ops, http.MethodGet, path+"?limit=500&cursor="+cursor, nil)
			if status != http.StatusOK {
				t.Fatalf("GET %s: %d %v", path, status, body)
			}
			list, _ := body["items"].([]any)
			n += len(list)
			if cursor, _ = body["next_cursor"].(string); cursor == "" {
				return n
			}
		}
	}
	artisans, products := count("/api/v1/artisans"), count("/api/v1/products")
	in.stop()

	again := start(t, env, "--demo")
	if logs := welcome(t, again); !strings.Contains(logs, "found its catalogue from an earlier start") {
		t.Fatalf("the second start did not find the first start's catalogue:\n%s", logs)
	}
	if status, _ := again.call(ops, http.MethodGet, "/api/v1/orders?limit=1", nil); status != http.StatusUnauthorized {
		t.Fatalf("the first start's token answered %d after a restart, want 401", status)
	}
	renewed := demoTokens(t, again.logs.String())["operations.demo"]
	in = again
	ops = renewed
	if a, p := count("/api/v1/artisans"), count("/api/v1/products"); a != artisans || p != products {
		t.Fatalf("the second start seeded again: %d artisans and %d products, first start %d and %d", a, p, artisans, products)
	}
}
