//go:build faults

package faults

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"mime/multipart"
	"net/http"
	"sync"
	"testing"
	"time"
)

// traffic is how long each scenario's load runs.
func traffic() time.Duration {
	if *quick {
		return 4 * time.Second
	}
	return 15 * time.Second
}

// TestFaults starts the production topology once and runs every scenario
// on it in turn; each prints its FAULTS line.
func TestFaults(t *testing.T) {
	top := newTopology(t)
	scenarios := []struct {
		name string
		run  func(t *testing.T, top *topology, tl *tally)
	}{
		{"duplicate-deliveries", duplicateDeliveries},
		{"kill-api-during-ingestion", killAPI},
		{"kill-worker-during-ingestion", killWorkerIngestion},
		{"kill-worker-during-pushes", killWorkerPushes},
		{"redis-restarted-empty", redisRestartedEmpty},
		{"postgres-connections-killed", postgresConnectionsKilled},
		{"slow-throttling-marketplace", slowThrottlingMarketplace},
		{"fuzzing", fuzzing},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			tl := top.newTally(sc.name)
			sc.run(t, top, tl)
			tl.finish(t, top)
		})
	}
}

// load runs stock movements (4 clients, each pushed to both
// marketplaces) and buyers' orders (see buyers) until stop closes, and
// waits for them.
func load(top *topology, tl *tally, stop <-chan struct{}) func() {
	return loadAt(top, tl, stop, 4, 20*time.Millisecond)
}

// loadAt is load with movers clients each pausing pause between moves.
func loadAt(top *topology, tl *tally, stop <-chan struct{}, movers int, pause time.Duration) func() {
	var wgs []*sync.WaitGroup
	var moveSeq sync.Mutex
	seq := 0
	next := func() int { moveSeq.Lock(); defer moveSeq.Unlock(); seq++; return seq }
	for i := 0; i < movers; i++ {
		c := tl.client(top)
		wgs = append(wgs, during(1, stop, func(int) {
			tl.move(top, c, next())
			time.Sleep(pause)
		}))
	}
	wgs = append(wgs, buyers(top, tl, stop)...)
	return func() {
		for _, wg := range wgs {
			wg.Wait()
		}
	}
}

// buyers place orders until stop closes: on Flipkart, and in the full
// suite on Amazon too, each at orderPace (2 orders a second in all). The
// quick suite (CI) leaves Amazon's out: its searchOrders plan (a burst of
// 20, then one call per 3 minutes, which the adapter keeps to) takes them
// in up to minutes later, and finish waits for them (amazonWait).
func buyers(top *topology, tl *tally, stop <-chan struct{}) []*sync.WaitGroup {
	kinds := []string{"flipkart"}
	if !*quick {
		kinds = append(kinds, "amazon")
	}
	var wgs []*sync.WaitGroup
	for _, kind := range kinds {
		wgs = append(wgs, during(1, stop, func(s int) {
			began := time.Now()
			tl.order(top, kind, s)
			time.Sleep(orderPace - time.Since(began))
		}))
	}
	return wgs
}

// orderPace spaces one marketplace's buyers' orders: a simulator's clock
// for order changes moves a whole second per change, so faster than one a
// second it runs ahead of the wall clock, and Flipkart's filter, asked up
// to a minute ahead of now, would not show the latest orders until time
// caught up.
const orderPace = time.Second

// underLoad runs load while fault runs, then stops the load.
func underLoad(top *topology, tl *tally, fault func()) {
	stop := make(chan struct{})
	wait := load(top, tl, stop)
	fault()
	close(stop)
	wait()
}

func pause(min, max time.Duration) {
	time.Sleep(min + time.Duration(rand.Int64N(int64(max-min)+1)))
}

// duplicateDeliveries: Flipkart sends pages of orders and every order
// notification twice (some out of order), both
// channels are re-scanned over the hour they sold in, the same request
// reaches the api three times under one key, and a settlement file is
// imported three times.
func duplicateDeliveries(t *testing.T, top *topology, tl *tally) {
	top.simPost("flipkart", "/_sim/faults", map[string]any{"repeat_pages": true})
	defer top.simPost("flipkart", "/_sim/faults", map[string]any{})
	// Every notification is sent twice, some out of order.
	hook := top.base + "/webhooks/flipkart"
	if code, m := top.simCall("PUT", "flipkart", "/_sim/notifications", map[string]any{"url": hook, "repeat_rate": 1.0, "reorder_rate": 0.3}); code >= 300 {
		t.Fatalf("simulator notifications: %d %v", code, m)
	}
	defer top.simCall("PUT", "flipkart", "/_sim/notifications", map[string]any{"url": hook})
	n := scale(20)
	for i := 0; i < n; i++ {
		tl.order(top, "flipkart", i)
	}
	c := tl.client(top)
	since := time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)
	for round := 0; round < 2; round++ {
		for kind, ch := range top.channels {
			if code, m := c.do("POST", "/api/v1/channels/"+ch+"/orders/rescan", top.admin, map[string]any{"since": since}); code >= 300 {
				t.Errorf("rescan %s: %d %v", kind, code, m)
			}
		}
	}
	// One request delivered thrice under its key is one movement.
	for i := 0; i < n; i++ {
		p := top.products[i%len(top.products)]
		reason := fmt.Sprintf("faults %s thrice %d", tl.name, i)
		key := fmt.Sprintf("faults-thrice-%d-%d", time.Now().UnixNano(), i)
		body := map[string]any{"product_id": p.id, "location_id": top.location, "kind": "adjustment", "quantity": -1, "reason": reason}
		accepted := true
		for d := 0; d < 3; d++ {
			if code, m := c.doKey("POST", "/api/v1/stock/movements", top.admin, key, body); code != 201 {
				accepted = false
				t.Errorf("delivery %d of %s: %d %v", d+1, key, code, m)
			}
		}
		tl.mu.Lock()
		tl.stock = append(tl.stock, stockOp{reason: reason, accepted: accepted})
		tl.tried += 3
		tl.mu.Unlock()
	}
	settlementThrice(t, top, tl, c)
}

// settlementThrice delivers some Flipkart orders, asks the marketplace for
// its settlement file and imports it three times: each line is kept once.
func settlementThrice(t *testing.T, top *topology, tl *tally, c *client) {
	fees := map[string]any{"channel_id": top.channels["flipkart"], "effective_from": "2020-01-01", "commission_bp": 800,
		"fixed_fee_slabs":   []any{map[string]any{"up_to_paise": 100000, "fee_paise": 1000}, map[string]any{"up_to_paise": 0, "fee_paise": 2000}},
		"collection_fee_bp": 200, "shipping_fee_paise": 5000}
	if code, m := c.do("POST", "/api/v1/fee-schedules", top.finance, fees); code != 201 {
		t.Fatalf("fee schedule: %d %v", code, m)
	}
	delivered := 0
	for _, o := range tl.orders {
		if o.kind != "flipkart" || delivered == 3 {
			continue
		}
		// A buyer's parcel arrives days after the order: deliver only what
		// we hold already (an order first seen delivered is taken in
		// without a reservation, rightly, and would count as partial here;
		// the quick suite's few orders are otherwise delivered within
		// milliseconds of being placed).
		top.waitTakenIn(t, top.channels[o.kind], o.id, o.items)
		if code, m := top.simPost("flipkart", "/_sim/orders/"+o.id+"/deliver", nil); code >= 300 {
			t.Fatalf("deliver %s: %d %v", o.id, code, m)
		}
		delivered++
	}
	code, m := top.simPost("flipkart", "/_sim/settlements", nil)
	file := []byte(fmt.Sprint(m["raw"]))
	if code != 200 || m["raw"] == nil {
		t.Fatalf("settlement file: %d %v", code, m)
	}
	rows := bytes.Count(bytes.TrimSpace(file), []byte("\n")) // lines less the header
	var ref string
	if i := bytes.IndexByte(file, '\n'); i > 0 {
		ref = string(bytes.SplitN(file[i+1:], []byte(","), 2)[0])
	}
	for d := 0; d < 3; d++ {
		code, m := c.upload("/api/v1/settlements/import?channel_id="+top.channels["flipkart"], top.finance, "flipkart-settlement.csv", file)
		if code != 200 {
			t.Errorf("import %d of the settlement file: %d %v", d+1, code, m)
		}
		tl.tried++
	}
	got := top.count(`SELECT count(*) FROM settlement_lines WHERE channel_id = $1 AND settlement_ref = $2`, top.channels["flipkart"], ref)
	switch {
	case got < rows:
		tl.lost += rows - got
		t.Errorf("settlement %s: %d of %d lines kept", ref, got, rows)
	case got > rows:
		tl.duplicated += got - rows
		t.Errorf("settlement %s: %d lines kept for %d in the file", ref, got, rows)
	}
	if rows != delivered*2 && rows < delivered {
		t.Errorf("settlement file has %d lines for %d delivered orders:\n%s", rows, delivered, file)
	}
}

// waitTakenIn waits until an order is in the database with a reservation
// for each of its items (tl.finish judges what it finds in the end).
func (top *topology) waitTakenIn(t *testing.T, channelID, externalID string, items int) {
	t.Helper()
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		held := top.count(`SELECT count(*) FROM reservations r JOIN order_lines l ON l.id = r.line_id
			WHERE l.channel_id = $1 AND l.external_order_id = $2`, channelID, externalID)
		if held >= items {
			return
		}
	}
	t.Logf("order %s not taken in after a minute: delivered anyway", externalID)
}

// upload posts a file as the multipart field "file", under a fresh key,
// resent while the api cannot be reached.
func (c *client) upload(path, token, name string, file []byte) (int, map[string]any) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fw, _ := mw.CreateFormFile("file", name)
	fw.Write(file)
	mw.Close()
	key := fmt.Sprintf("faults-%s-%d-%d", c.name, time.Now().UnixNano(), c.seq.Add(1))
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(100 * time.Millisecond) {
		code, m, err := c.once("POST", path, token, key, mw.FormDataContentType(), buf.Bytes())
		if err == nil {
			if code >= 500 {
				c.fivexx.Add(1)
			}
			return code, m
		}
		if time.Now().After(deadline) {
			return 0, map[string]any{"error": err.Error()}
		}
	}
}

// killAPI: the api is killed with SIGKILL three times while stock moves
// through it and orders arrive, and started again each time.
func killAPI(t *testing.T, top *topology, tl *tally) {
	underLoad(top, tl, func() {
		for round := 0; round < 3; round++ {
			pause(traffic()/8, traffic()/4)
			top.api.kill()
			pause(200*time.Millisecond, time.Second)
			top.api.start()
		}
		time.Sleep(traffic() / 4)
	})
}

// killWorkerIngestion: orders arrive (buyers) while each
// worker in turn, then both, are killed with SIGKILL and started again.
func killWorkerIngestion(t *testing.T, top *topology, tl *tally) {
	stop := make(chan struct{})
	wgs := buyers(top, tl, stop)
	killWorkers(top)
	close(stop)
	for _, wg := range wgs {
		wg.Wait()
	}
}

func killWorkers(top *topology) {
	for round := 0; round < 3; round++ {
		pause(traffic()/8, traffic()/4)
		if round < 2 {
			w := top.workers[round]
			w.kill()
			pause(200*time.Millisecond, time.Second)
			w.start()
			continue
		}
		for _, w := range top.workers {
			w.kill()
		}
		pause(200*time.Millisecond, time.Second)
		for _, w := range top.workers {
			w.start()
		}
	}
	time.Sleep(traffic() / 4)
}

// killWorkerPushes: stock moves through the api, and every move is pushed
// to both marketplaces, while the workers are killed and started again.
func killWorkerPushes(t *testing.T, top *topology, tl *tally) {
	stop := make(chan struct{})
	var wgs []*sync.WaitGroup
	for i := 0; i < 4; i++ {
		c := tl.client(top)
		wgs = append(wgs, during(1, stop, func(s int) {
			tl.move(top, c, s*10+i)
			time.Sleep(10 * time.Millisecond)
		}))
	}
	killWorkers(top)
	close(stop)
	for _, wg := range wgs {
		wg.Wait()
	}
}

// redisRestartedEmpty: the private redis-server is killed and started
// again with nothing in it (no persistence), twice, under load.
func redisRestartedEmpty(t *testing.T, top *topology, tl *tally) {
	underLoad(top, tl, func() {
		for round := 0; round < 2; round++ {
			pause(traffic()/8, traffic()/4)
			top.redis.kill()
			pause(200*time.Millisecond, time.Second)
			top.redis.start()
		}
		time.Sleep(traffic() / 4)
	})
}

// postgresConnectionsKilled: every connection of the app's processes to
// its database is terminated (pg_terminate_backend) every 250ms for a
// while, under load.
func postgresConnectionsKilled(t *testing.T, top *topology, tl *tally) {
	underLoad(top, tl, func() {
		time.Sleep(traffic() / 8)
		terminated := 0
		for end := time.Now().Add(traffic() / 2); time.Now().Before(end); time.Sleep(250 * time.Millisecond) {
			terminated += top.count(`SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity
				WHERE datname = current_database() AND pid <> pg_backend_pid() AND application_name NOT LIKE 'faults-%') k`)
		}
		t.Logf("terminated %d connections", terminated)
		if terminated == 0 {
			t.Errorf("no connection of the app was terminated")
		}
		time.Sleep(traffic() / 4)
	})
}

// slowThrottlingMarketplace: both marketplaces answer slowly and refuse
// a third of the calls with 429, under load, until everything converges.
func slowThrottlingMarketplace(t *testing.T, top *topology, tl *tally) {
	for _, kind := range []string{"flipkart", "amazon"} {
		top.simPost(kind, "/_sim/faults", map[string]any{"latency_ms": 300, "rate_429": 0.3})
	}
	t.Cleanup(func() {
		for _, kind := range []string{"flipkart", "amazon"} {
			top.simPost(kind, "/_sim/faults", map[string]any{})
		}
	})
	// Fewer stock changes than the other scenarios: every call now takes
	// 300 ms or is refused, so the pushes' throughput is a fraction of
	// theirs; what is measured is that nothing is lost on the way.
	stop := make(chan struct{})
	wait := loadAt(top, tl, stop, 2, 200*time.Millisecond)
	time.Sleep(traffic())
	close(stop)
	wait()
	// The faults stay on while tally.finish waits for convergence.
}

var _ = io.Discard
var _ = http.StatusOK
