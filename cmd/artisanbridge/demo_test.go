package main

import (
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

// signIn is one of the demo's people as its welcome printed them.
type signIn struct{ password, token string }

// demoSignIns reads the sign-ins the demo's welcome printed, by name.
func demoSignIns(t *testing.T, logs string) map[string]signIn {
	t.Helper()
	out := map[string]signIn{}
	for _, m := range regexp.MustCompile(`(\w+\.demo)\s+password (\S+)\s+token (\S+)`).FindAllStringSubmatch(logs, -1) {
		out[m[1]] = signIn{password: m[2], token: m[3]}
	}
	for _, name := range []string{"admin.demo", "showroom.demo", "operations.demo", "finance.demo", "checker.demo"} {
		if out[name].token == "" || out[name].password == "" {
			t.Fatalf("the welcome printed no sign-in for %s:\n%s", name, logs)
		}
	}
	return out
}

// consoleSignIn signs name in to the console with password as a browser
// does (the sign-in form's anti-forgery token, same origin) and answers
// the status of page afterwards.
func consoleSignIn(t *testing.T, base, name, password, page string) int {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	browser := &http.Client{Jar: jar, Timeout: 30 * time.Second}
	resp, err := browser.Get(base + "/signin")
	if err != nil {
		t.Fatal(err)
	}
	form, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindSubmatch(form)
	if m == nil {
		t.Fatalf("the sign-in page (%d) has no anti-forgery token:\n%s", resp.StatusCode, form)
	}
	req, _ := http.NewRequest(http.MethodPost, base+"/signin", strings.NewReader(url.Values{"csrf": {html.UnescapeString(string(m[1]))},
		"name": {name}, "password": {password}, "next": {page}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", base)
	if resp, err = browser.Do(req); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.Request.URL.Path != page {
		t.Fatalf("signing %s in ended at %s (%d), not %s", name, resp.Request.URL, resp.StatusCode, page)
	}
	return resp.StatusCode
}

// welcome waits for the demo's welcome (printed once the catalogue is
// seeded) and returns the logs so far.
func welcome(t *testing.T, in *instance) string {
	t.Helper()
	wait := 2 * time.Minute
	if raceDetector {
		wait = 10 * time.Minute
	}
	deadline := time.Now().Add(wait)
	for {
		logs := in.logs.String()
		if strings.Contains(logs, "Within about three minutes") {
			return logs
		}
		if time.Now().After(deadline) {
			t.Fatalf("the demo printed no welcome in %v:\n%s", wait, logs)
		}
		time.Sleep(100 * time.Millisecond)
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
	t.Parallel() // beside the kill test's long wait (TestKillBetweenChangeAndEnqueue)
	dir := t.TempDir()
	env := map[string]string{"ARTISANBRIDGE_DATA_DIR": dir, "ARTISANBRIDGE_DEMO_ORDERS_PER_MINUTE": "12"}
	began := time.Now()
	in := start(t, env, "--demo")
	people := demoSignIns(t, welcome(t, in))
	ops, fin := people["operations.demo"].token, people["finance.demo"].token
	if status := consoleSignIn(t, in.base, "operations.demo", people["operations.demo"].password, "/operations"); status != http.StatusOK {
		t.Fatalf("the operations console answered %d after signing in with the printed password", status)
	}

	// Three minutes is the promise to a user (measured without the race
	// detector: 1 min 24 s); under it the demo's photo drawing alone takes
	// minutes, so the test checks the same behaviour with a longer clock.
	within := 3 * time.Minute
	if raceDetector {
		within = 12 * time.Minute
	}
	until := began.Add(within)
	// Asked every two seconds: the demo's pace, not a test's.
	eventuallyEvery(t, "orders, tasks, live listings on all three channels and a payable artisan", time.Until(until), 2*time.Second, func() (bool, any) {
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
	renewed := demoSignIns(t, again.logs.String())
	in = again
	ops = renewed["operations.demo"].token
	if status := consoleSignIn(t, in.base, "finance.demo", renewed["finance.demo"].password, "/finance/payouts"); status != http.StatusOK {
		t.Fatalf("the finance console answered %d after signing in with the renewed password", status)
	}
	if a, p := count("/api/v1/artisans"), count("/api/v1/products"); a != artisans || p != products {
		t.Fatalf("the second start seeded again: %d artisans and %d products, first start %d and %d", a, p, artisans, products)
	}
}
