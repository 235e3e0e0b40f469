package sim

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sort"
	"time"

	"github.com/jkhhc/artisanbridge/adapters/gem"
	"github.com/jkhhc/artisanbridge/adapters/simkit"
	"github.com/jkhhc/artisanbridge/internal/finance"
	"github.com/jkhhc/artisanbridge/internal/money"
)

type order struct {
	ID       string `json:"id"`
	SKU      string `json:"sku"`
	Quantity int64  `json:"quantity"`
	Status   string `json:"status"`
	price    int64
	gstBP    int64
	placed   time.Time
	updated  time.Time
	// paid is set once a payment record for the order was issued.
	paid bool
}

// SettlementFees is what GeM charges the corporation: no transaction
// charge on orders up to ₹10 lakh (the revenue policy of 9 August 2024),
// which every order of a showroom's catalogue is.
var SettlementFees = finance.FeeSchedule{}

// registerOrders adds the buyer side (API.md, "Marketplace simulators"):
// a government buyer places an order on a catalogued offering; staff
// download the portal's order file.
func (s *Sim) registerOrders(m *http.ServeMux) {
	m.HandleFunc("POST /_sim/orders", s.placeOrder)
	m.HandleFunc("GET /_sim/orders/{id}", s.getOrder)
	for path, status := range map[string]string{"deliver": "Delivered", "cancel": "Cancelled", "return": "Returned"} {
		m.HandleFunc("POST /_sim/orders/{id}/"+path, s.moveOrder(status))
	}
	m.HandleFunc("GET /_sim/orders/export", s.exportOrders)
	m.HandleFunc("POST /_sim/settlements", s.settlements)
}

func (s *Sim) placeOrder(w http.ResponseWriter, r *http.Request) {
	var body struct {
		SKU      string `json:"sku"`
		Quantity int64  `json:"quantity"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<16)).Decode(&body); err != nil || body.Quantity <= 0 {
		refuse(w, http.StatusBadRequest, []gem.RowError{{Message: `body must be {"sku": "...", "quantity": n}`}})
		return
	}
	s.kit.Lock()
	defer s.kit.Unlock()
	o := s.offerings[body.SKU]
	if o == nil || o.stock < body.Quantity {
		refuse(w, http.StatusConflict, []gem.RowError{{Message: "no offering has that much stock"}})
		return
	}
	o.stock -= body.Quantity
	now := time.Now().UTC().Truncate(time.Second)
	ord := &order{ID: fmt.Sprintf("GEMC-%010d", s.kit.Rand().Int64N(1e10)), SKU: body.SKU, Quantity: body.Quantity, Status: "New",
		price: o.price, gstBP: o.gstBP, placed: now, updated: now}
	s.orders[ord.ID] = ord
	simkit.WriteJSON(w, http.StatusCreated, map[string]string{"id": ord.ID, "status": ord.Status})
}

func (s *Sim) getOrder(w http.ResponseWriter, r *http.Request) {
	s.kit.Lock()
	defer s.kit.Unlock()
	o := s.orders[r.PathValue("id")]
	if o == nil {
		refuse(w, http.StatusNotFound, []gem.RowError{{Message: "no such order"}})
		return
	}
	simkit.WriteJSON(w, http.StatusOK, o)
}

func (s *Sim) moveOrder(status string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.kit.Lock()
		defer s.kit.Unlock()
		o := s.orders[r.PathValue("id")]
		if o == nil {
			refuse(w, http.StatusNotFound, []gem.RowError{{Message: "no such order"}})
			return
		}
		o.Status, o.updated = status, time.Now().UTC().Truncate(time.Second).Add(time.Second)
		simkit.WriteJSON(w, http.StatusOK, o)
	}
}

// exportOrders is the order file staff download, one row per order item.
func (s *Sim) exportOrders(w http.ResponseWriter, r *http.Request) {
	s.kit.Lock()
	list := make([]*order, 0, len(s.orders))
	for _, o := range s.orders {
		list = append(list, o)
	}
	s.kit.Unlock()
	sort.Slice(list, func(i, j int) bool { return list[i].ID < list[j].ID })
	rows := [][]any{}
	for _, o := range list {
		rows = append(rows, []any{o.ID, "1", o.placed.Format(time.RFC3339), o.updated.Format(time.RFC3339),
			o.placed.Add(15 * 24 * time.Hour).Format("2006-01-02"), o.SKU, o.Quantity, money.Format(o.price), o.Status})
	}
	data, err := gem.Workbook(gem.OrderColumns, rows)
	if err != nil {
		refuse(w, http.StatusInternalServerError, []gem.RowError{{Message: "export failed"}})
		return
	}
	w.Header().Set("Content-Type", gem.XLSXType)
	w.Write(data)
}

// settlements answers the payment records staff download from the portal
// (finance.GeMPaymentColumns): one invoice per delivered order not paid
// before, its receipt certificate (CRAC) on the day of delivery, paid
// today through PFMS with TCS and TDS withheld at the rates in force.
func (s *Sim) settlements(w http.ResponseWriter, r *http.Request) {
	s.kit.Lock()
	now := s.kit.Now()
	var due []*order
	for _, o := range s.orders {
		if o.Status == "Delivered" && !o.paid {
			o.paid = true
			due = append(due, o)
		}
	}
	s.kit.Unlock()
	sort.Slice(due, func(i, j int) bool { return due[i].ID < due[j].ID })
	day := func(t time.Time) string { return t.In(finance.IST).Format("2006-01-02") }
	rows := [][]any{}
	for _, o := range due {
		c := finance.Expected(SettlementFees, o.price*o.Quantity, o.gstBP, o.placed, now)
		rows = append(rows, []any{o.ID, "INV-" + o.ID, day(o.updated), day(now), money.Format(c.GrossPaise),
			money.Format(c.Fees() + c.GSTOnFeesPaise), money.Format(c.TDSPaise), money.Format(c.TCSPaise), money.Format(c.NetPaise)})
	}
	data, err := gem.Workbook(finance.GeMPaymentColumns, rows)
	if err != nil {
		refuse(w, http.StatusInternalServerError, []gem.RowError{{Message: "export failed"}})
		return
	}
	w.Header().Set("Content-Type", gem.XLSXType)
	w.Write(data)
}
