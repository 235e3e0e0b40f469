package sim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"sync"
	"time"

	"github.com/jkhhc/artisanbridge/adapters/flipkart"
	"github.com/jkhhc/artisanbridge/adapters/simkit"
)

// Notifications is how the simulator pushes order notifications, as
// Flipkart does (MARKETPLACES.md 1.4 and 5.1): to URL, signed with the
// simulator's app id and secret (X_Date, X_Authorization: FKLOGIN), one
// event at a time in the order they happened, each delivery retried a few
// times until it is answered 2xx. The faults are drawn from the seeded
// source: an event dropped (never sent), repeated (sent twice), reordered
// (held back and sent after the next one) or delayed (sent DelayMS after
// it happened). No URL: nothing is sent.
type Notifications struct {
	URL         string  `json:"url"`
	DropRate    float64 `json:"drop_rate"`
	RepeatRate  float64 `json:"repeat_rate"`
	ReorderRate float64 `json:"reorder_rate"`
	DelayMS     int     `json:"delay_ms"`
}

// NotificationStats counts what the notifier did (GET /_sim/notifications).
type NotificationStats struct {
	Notifications
	Events    int `json:"events"`    // state changes that made an event while a URL was set
	Delivered int `json:"delivered"` // deliveries answered 2xx (repeats counted)
	Dropped   int `json:"dropped"`
	Repeated  int `json:"repeated"`
	Reordered int `json:"reordered"`
	Failed    int `json:"failed"` // deliveries never answered 2xx
	Pending   int `json:"pending"`
}

// event is one notification waiting to be sent.
type event struct {
	body []byte
	at   time.Time
}

// notifier sends the events of one simulator.
type notifier struct {
	mu     sync.Mutex
	cfg    Notifications
	stats  NotificationStats
	queue  chan event
	stop   chan struct{}
	rnd    *rand.Rand
	client *http.Client
	once   sync.Once
	closed bool
}

func newNotifier(seed uint64) *notifier {
	return &notifier{queue: make(chan event, 100_000), stop: make(chan struct{}),
		rnd: rand.New(rand.NewPCG(seed^0x6e6f74696679, seed)), client: &http.Client{Timeout: 10 * time.Second}}
}

// configure replaces where and how notifications go; the sender starts
// with the first URL.
func (n *notifier) configure(cfg Notifications) {
	n.mu.Lock()
	n.cfg = cfg
	start := cfg.URL != "" && !n.closed
	n.mu.Unlock()
	if start {
		n.once.Do(func() { go n.run() })
	}
}

func (n *notifier) snapshot() NotificationStats {
	n.mu.Lock()
	defer n.mu.Unlock()
	st := n.stats
	st.Notifications = n.cfg
	st.Pending = len(n.queue)
	return st
}

// close stops the sender; events still queued are not sent.
func (n *notifier) close() {
	n.mu.Lock()
	defer n.mu.Unlock()
	if !n.closed {
		n.closed = true
		close(n.stop)
	}
}

// push queues one event (the simulator holds its lock: never blocks).
func (n *notifier) push(body []byte, at time.Time) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.cfg.URL == "" || n.closed {
		return
	}
	n.stats.Events++
	select {
	case n.queue <- event{body: body, at: at}:
	default:
		n.stats.Dropped++ // a receiver this far behind loses events, as a full buffer would
	}
}

func (n *notifier) run() {
	var held *event
	for {
		var flush <-chan time.Time
		if held != nil {
			flush = time.After(time.Second) // no next event: the held one goes anyway
		}
		select {
		case <-n.stop:
			return
		case <-flush:
			n.deliver(*held)
			held = nil
		case ev := <-n.queue:
			n.mu.Lock()
			cfg := n.cfg
			drop, reorder, repeat := n.rnd.Float64() < cfg.DropRate, n.rnd.Float64() < cfg.ReorderRate, n.rnd.Float64() < cfg.RepeatRate
			if drop {
				n.stats.Dropped++
			}
			n.mu.Unlock()
			if drop {
				continue
			}
			if wait := time.Until(ev.at.Add(time.Duration(cfg.DelayMS) * time.Millisecond)); wait > 0 {
				select {
				case <-time.After(wait):
				case <-n.stop:
					return
				}
			}
			if reorder && held == nil {
				n.count(func(s *NotificationStats) { s.Reordered++ })
				held = &ev
				continue
			}
			n.deliver(ev)
			if held != nil {
				n.deliver(*held)
				held = nil
			}
			if repeat {
				n.count(func(s *NotificationStats) { s.Repeated++ })
				n.deliver(ev)
			}
		}
	}
}

func (n *notifier) count(fn func(*NotificationStats)) {
	n.mu.Lock()
	fn(&n.stats)
	n.mu.Unlock()
}

// deliver posts one event, signed at the moment it is sent, retrying a
// refused or failed delivery a few times with backoff.
func (n *notifier) deliver(ev event) {
	for attempt := 0; attempt < 5; attempt++ {
		if attempt > 0 {
			select {
			case <-time.After(time.Duration(100<<attempt) * time.Millisecond):
			case <-n.stop:
				return
			}
		}
		n.mu.Lock()
		url := n.cfg.URL
		n.mu.Unlock()
		if url == "" {
			return
		}
		req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(ev.body))
		if err != nil {
			break
		}
		req.Header.Set("Content-Type", "application/json")
		flipkart.SignHeaders(req.Header, AppID, AppSecret, url, http.MethodPost, time.Now())
		resp, err := n.client.Do(req)
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode/100 == 2 {
				n.count(func(s *NotificationStats) { s.Delivered++ })
				return
			}
		}
	}
	n.count(func(s *NotificationStats) { s.Failed++ })
}

// ist is the zone of Flipkart's notification timestamps (+05:30).
var ist = time.FixedZone("IST", 5*3600+1800)

// eventTypes are the notifications a state change makes.
var eventTypes = map[string]string{
	"APPROVED": "shipment_created", "PACKED": "shipment_packed", "READY_TO_DISPATCH": "shipment_ready_to_dispatch",
	"PICKUP_COMPLETE": "shipment_pickup_complete", "SHIPPED": "shipment_shipped", "DELIVERED": "shipment_delivered",
	"CANCELLED": "shipment_cancelled", "RETURNED": "return_created",
}

// notify queues the notification of a shipment's items moving to state
// (callers hold the lock): the envelope Flipkart documents, with the items
// concerned in attributes. A return names its order items (Flipkart's
// return events are about order items, not shipments).
func (s *Sim) notify(sh *shipment, state string, items []int) {
	typ := eventTypes[state]
	if typ == "" {
		return
	}
	var list []map[string]any
	for _, i := range items {
		it := sh.OrderItems[i]
		list = append(list, map[string]any{"orderItemId": it.OrderItemID, "orderId": it.OrderID, "sku": it.SKU, "fsn": it.FSN,
			"quantity": it.Quantity, "status": it.Status})
	}
	ev := map[string]any{"eventType": typ, "source": "flipkart", "version": "v3", "locationId": sh.LocationID,
		"timestamp": sh.updated.In(ist).Format(time.RFC3339)}
	if typ == "return_created" && len(list) > 0 {
		ev["attributes"] = map[string]any{"returnId": fmt.Sprintf("RET%s", list[0]["orderItemId"]), "orderItemId": list[0]["orderItemId"],
			"orderId": list[0]["orderId"], "orderItems": list, "status": state}
	} else {
		ev["shipmentId"] = sh.ShipmentID
		ev["attributes"] = map[string]any{"status": state, "orderItems": list, "updatedAt": sh.UpdatedAt}
	}
	body, err := json.Marshal(ev)
	if err != nil {
		return
	}
	s.notes.push(body, s.kit.Now())
}

// SetNotifications points the simulator's notifications at a receiver, with
// faults (PUT /_sim/notifications does the same).
func (s *Sim) SetNotifications(cfg Notifications) { s.notes.configure(cfg) }

// NotificationStats reports what the notifier did.
func (s *Sim) NotificationStats() NotificationStats { return s.notes.snapshot() }

// Close stops the notifier (events not yet sent are not sent).
func (s *Sim) Close() { s.notes.close() }

func (s *Sim) registerNotifications(m *http.ServeMux) {
	m.HandleFunc("PUT /_sim/notifications", func(w http.ResponseWriter, r *http.Request) {
		var cfg Notifications
		dec := json.NewDecoder(io.LimitReader(r.Body, 1<<16))
		dec.DisallowUnknownFields()
		bad := func(f float64) bool { return f < 0 || f > 1 }
		if err := dec.Decode(&cfg); err != nil || bad(cfg.DropRate) || bad(cfg.RepeatRate) || bad(cfg.ReorderRate) || cfg.DelayMS < 0 || cfg.DelayMS > 120000 {
			apiError(w, http.StatusBadRequest, 400, `body must be {"url", "drop_rate", "repeat_rate", "reorder_rate" (0 to 1), "delay_ms" (0 to 120000)}`)
			return
		}
		s.SetNotifications(cfg)
		simkit.WriteJSON(w, http.StatusOK, s.NotificationStats())
	})
	m.HandleFunc("GET /_sim/notifications", func(w http.ResponseWriter, r *http.Request) {
		simkit.WriteJSON(w, http.StatusOK, s.NotificationStats())
	})
}
