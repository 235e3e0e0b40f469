// Package sim stands for the GeM seller portal as the corporation's staff
// see it: they upload our catalogue workbook, the portal checks it row by
// row and assigns catalogue ids; they upload update workbooks; they
// download an export. Faults (portal down, slow) come from simkit.
package sim

import (
	"fmt"
	"io"
	"net/http"
	"regexp"
	"sort"
	"strconv"

	"github.com/jkhhc/artisanbridge/adapters"
	"github.com/jkhhc/artisanbridge/adapters/gem"
	"github.com/jkhhc/artisanbridge/adapters/simkit"
	"github.com/jkhhc/artisanbridge/internal/money"
	"github.com/jkhhc/artisanbridge/internal/sheet"
)

// Config tunes the simulator.
type Config struct{ Seed uint64 }

type offering struct {
	sku, id, status   string
	mrp, price, stock int64
	gstBP             int64
}

// Sim is the simulated portal.
type Sim struct {
	kit       *simkit.Kit
	offerings map[string]*offering // by SKU
	orders    map[string]*order
	mux       *http.ServeMux
}

const (
	opUpload adapters.Operation = "portal.upload"
	opUpdate adapters.Operation = "portal.update"
)

// New returns a simulator.
func New(cfg Config) *Sim {
	s := &Sim{kit: simkit.New(nil, cfg.Seed, nil), offerings: map[string]*offering{}, orders: map[string]*order{}}
	m := http.NewServeMux()
	m.HandleFunc("POST /_sim/catalogue/upload", s.upload(opUpload, s.catalogue))
	m.HandleFunc("POST /_sim/stock/upload", s.upload(opUpdate, s.update))
	m.HandleFunc("GET /_sim/listings", func(w http.ResponseWriter, r *http.Request) {
		simkit.WriteJSON(w, http.StatusOK, map[string]any{"items": s.Listings()})
	})
	m.HandleFunc("PUT /_sim/listings/{sku}", s.edit)
	m.HandleFunc("GET /_sim/export", s.export)
	s.registerOrders(m)
	s.kit.Register(m, func(w http.ResponseWriter, status int, msg string) { refuse(w, status, []gem.RowError{{Message: msg}}) })
	s.mux = m
	return s
}

func (s *Sim) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

func refuse(w http.ResponseWriter, status int, rows []gem.RowError) {
	simkit.WriteJSON(w, status, map[string]any{"errors": rows})
}

// upload reads the multipart field "file" and hands its table to fn.
func (s *Sim) upload(op adapters.Operation, fn func(w http.ResponseWriter, data []byte)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.kit.Sleep()
		s.kit.Lock()
		verdict := s.kit.Admit(op)
		s.kit.Unlock()
		if verdict != simkit.Proceed {
			refuse(w, http.StatusServiceUnavailable, []gem.RowError{{Message: "the portal is not responding; try again later"}})
			return
		}
		f, _, err := r.FormFile("file")
		if err != nil {
			refuse(w, http.StatusBadRequest, []gem.RowError{{Message: `send the workbook as multipart field "file"`}})
			return
		}
		defer f.Close()
		data, err := io.ReadAll(io.LimitReader(f, 16<<20))
		if err != nil {
			refuse(w, http.StatusBadRequest, []gem.RowError{{Message: "the upload could not be read"}})
			return
		}
		fn(w, data)
	}
}

var (
	hsnPattern = regexp.MustCompile(`^(\d{4}|\d{6}|\d{8})$`)
	idPattern  = regexp.MustCompile(`^GEM-\d{10}$`)
)

func normal(col string) string { return sheet.Header(col) }

// headers lists a workbook's columns as ReadTable's required names.
func headers(cols []string) []string {
	out := make([]string, len(cols))
	for i, c := range cols {
		out[i] = normal(c)
	}
	return out
}

// checkCatalogue validates a catalogue workbook as the portal would and
// returns its offerings, or every bad row.
func checkCatalogue(data []byte, existing func(sku string) bool) ([]offering, []gem.RowError, error) {
	t, err := gem.ReadTable(data, 5000, headers(gem.CatalogueColumns)...)
	if err != nil {
		return nil, nil, err
	}
	get := func(r gem.Row, col string) string { return t.Get(r, normal(col)) }
	var out []offering
	var bad []gem.RowError
	seen := map[string]bool{}
	for _, r := range t.Rows {
		bad0 := len(bad)
		o := offering{sku: get(r, "Model/SKU"), status: "ACTIVE"}
		for _, col := range []string{"Category", "Product Name", "Brand", "Model/SKU", "Country of Origin"} {
			if get(r, col) == "" {
				bad = append(bad, gem.RowError{Line: r.Line, Column: col, Message: "is required"})
			}
		}
		if seen[o.sku] || (o.sku != "" && existing(o.sku)) {
			bad = append(bad, gem.RowError{Line: r.Line, Column: "Model/SKU", Message: "is already catalogued"})
		}
		seen[o.sku] = true
		if !hsnPattern.MatchString(get(r, "HSN Code")) {
			bad = append(bad, gem.RowError{Line: r.Line, Column: "HSN Code", Message: "must be 4, 6 or 8 digits"})
		}
		var errGST error
		// A percentage read as an amount is its basis points: "5" is 500.
		if o.gstBP, errGST = money.Parse(get(r, "GST Rate (%)")); errGST != nil {
			bad = append(bad, gem.RowError{Line: r.Line, Column: "GST Rate (%)", Message: "must be a percentage"})
		}
		var err1, err2 error
		o.mrp, err1 = money.Parse(get(r, "MRP (INR)"))
		o.price, err2 = money.Parse(get(r, "Offer Price incl. GST (INR)"))
		switch {
		case err1 != nil || o.mrp <= 0:
			bad = append(bad, gem.RowError{Line: r.Line, Column: "MRP (INR)", Message: "must be a positive amount"})
		case err2 != nil || o.price <= 0 || o.price >= o.mrp:
			bad = append(bad, gem.RowError{Line: r.Line, Column: "Offer Price incl. GST (INR)", Message: "must be positive and below the MRP"})
		}
		o.stock = nonNegative(&bad, r.Line, "Stock", get(r, "Stock"))
		if d := nonNegative(&bad, r.Line, "Delivery Period (days)", get(r, "Delivery Period (days)")); d < 1 || d > 180 {
			bad = append(bad, gem.RowError{Line: r.Line, Column: "Delivery Period (days)", Message: "must be between 1 and 180 days"})
		}
		if len(bad) == bad0 {
			out = append(out, o)
		}
	}
	return out, bad, nil
}

func nonNegative(bad *[]gem.RowError, line int, col, v string) int64 {
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		*bad = append(*bad, gem.RowError{Line: line, Column: col, Message: "must be a whole number >= 0"})
		return 0
	}
	return n
}

func (s *Sim) catalogue(w http.ResponseWriter, data []byte) {
	s.kit.Lock()
	defer s.kit.Unlock()
	offers, bad, err := checkCatalogue(data, func(sku string) bool { _, ok := s.offerings[sku]; return ok })
	if err != nil {
		refuse(w, http.StatusBadRequest, []gem.RowError{{Message: err.Error()}})
		return
	}
	if len(bad) > 0 {
		refuse(w, http.StatusBadRequest, bad)
		return
	}
	s.kit.Batch(opUpload, len(offers))
	type assigned struct {
		SKU         string `json:"sku"`
		CatalogueID string `json:"catalogue_id"`
	}
	items := []assigned{}
	for i := range offers {
		o := offers[i]
		o.id = fmt.Sprintf("GEM-%010d", s.kit.Rand().Int64N(1e10))
		s.offerings[o.sku] = &o
		items = append(items, assigned{o.sku, o.id})
	}
	simkit.WriteJSON(w, http.StatusOK, map[string]any{"items": items})
}

func (s *Sim) update(w http.ResponseWriter, data []byte) {
	t, err := gem.ReadTable(data, 5000, headers(gem.UpdateColumns)...)
	if err != nil {
		refuse(w, http.StatusBadRequest, []gem.RowError{{Message: err.Error()}})
		return
	}
	s.kit.Lock()
	defer s.kit.Unlock()
	var bad []gem.RowError
	type change struct {
		o                 *offering
		mrp, price, stock *int64
	}
	var changes []change
	for _, r := range t.Rows {
		id, sku := t.Get(r, normal("GeM Catalogue ID")), t.Get(r, normal("Model/SKU"))
		o := s.offerings[sku]
		if !idPattern.MatchString(id) || o == nil || o.id != id {
			bad = append(bad, gem.RowError{Line: r.Line, Column: "GeM Catalogue ID", Message: "does not match a catalogued SKU"})
			continue
		}
		c := change{o: o}
		if v := t.Get(r, normal("MRP (INR)")); v != "" {
			p, err := money.Parse(v)
			if err != nil || p <= 0 {
				bad = append(bad, gem.RowError{Line: r.Line, Column: "MRP (INR)", Message: "must be a positive amount"})
			}
			c.mrp = &p
		}
		if v := t.Get(r, normal("Offer Price incl. GST (INR)")); v != "" {
			p, err := money.Parse(v)
			mrp := o.mrp
			if c.mrp != nil {
				mrp = *c.mrp
			}
			if err != nil || p <= 0 || p >= mrp {
				bad = append(bad, gem.RowError{Line: r.Line, Column: "Offer Price incl. GST (INR)", Message: "must be positive and below the MRP"})
			}
			c.price = &p
		}
		if v := t.Get(r, normal("Stock")); v != "" {
			n := nonNegative(&bad, r.Line, "Stock", v)
			c.stock = &n
		}
		changes = append(changes, c)
	}
	if len(bad) > 0 {
		refuse(w, http.StatusBadRequest, bad)
		return
	}
	s.kit.Batch(opUpdate, len(changes))
	for _, c := range changes {
		if c.mrp != nil {
			c.o.mrp = *c.mrp
		}
		if c.price != nil {
			c.o.price = *c.price
		}
		if c.stock != nil {
			c.o.stock = *c.stock
		}
	}
	simkit.WriteJSON(w, http.StatusOK, map[string]any{"updated": len(changes)})
}

// Listings returns what the portal now holds.
func (s *Sim) Listings() []simkit.Listing {
	s.kit.Lock()
	defer s.kit.Unlock()
	out := make([]simkit.Listing, 0, len(s.offerings))
	for _, o := range s.offerings {
		out = append(out, simkit.Listing{SKU: o.sku, PricePaise: o.price, Quantity: o.stock, Status: o.status})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].SKU < out[j].SKU })
	return out
}

// CatalogueID returns the id the portal gave sku ("" if none).
func (s *Sim) CatalogueID(sku string) string {
	s.kit.Lock()
	defer s.kit.Unlock()
	if o := s.offerings[sku]; o != nil {
		return o.id
	}
	return ""
}

func (s *Sim) edit(w http.ResponseWriter, r *http.Request) {
	qty, ok := simkit.DecodeQuantity(r)
	if !ok {
		refuse(w, http.StatusBadRequest, []gem.RowError{{Message: `body must be {"quantity": n} with n >= 0`}})
		return
	}
	s.kit.Lock()
	defer s.kit.Unlock()
	o := s.offerings[r.PathValue("sku")]
	if o == nil {
		refuse(w, http.StatusNotFound, []gem.RowError{{Message: "no such offering"}})
		return
	}
	o.stock = qty
	simkit.WriteJSON(w, http.StatusOK, simkit.Listing{SKU: o.sku, PricePaise: o.price, Quantity: o.stock, Status: o.status})
}

// export answers the portal's catalogue export as XLSX.
func (s *Sim) export(w http.ResponseWriter, r *http.Request) {
	data, err := s.Export()
	if err != nil {
		refuse(w, http.StatusInternalServerError, []gem.RowError{{Message: "export failed"}})
		return
	}
	w.Header().Set("Content-Type", gem.XLSXType)
	w.Write(data)
}

// SetFaults replaces the injected faults.
func (s *Sim) SetFaults(f simkit.Faults) { s.kit.SetFaults(f) }

// CallCounts returns the calls per operation.
func (s *Sim) CallCounts() map[string]simkit.Calls { return s.kit.CallCounts() }

// Drift applies an edit made in the portal: the stock or the offer price
// of an offering; an unknown SKU becomes an offering made there by hand.
func (s *Sim) Drift(sku string, e simkit.Edit) simkit.Listing {
	s.kit.Lock()
	defer s.kit.Unlock()
	o := s.offerings[sku]
	if o == nil {
		o = &offering{sku: sku, id: "GEM-PORTAL-" + sku, status: "Active", mrp: 100, price: 100, gstBP: 500}
		s.offerings[sku] = o
	}
	if e.Quantity != nil {
		o.stock = *e.Quantity
	}
	if e.PricePaise != nil {
		o.price = *e.PricePaise
		o.mrp = max(o.mrp, o.price)
	}
	return simkit.Listing{SKU: o.sku, PricePaise: o.price, Quantity: o.stock, Status: o.status}
}

// Delete removes an offering as if ended in the portal.
func (s *Sim) Delete(sku string) bool {
	s.kit.Lock()
	defer s.kit.Unlock()
	_, ok := s.offerings[sku]
	delete(s.offerings, sku)
	return ok
}

// Export is the portal's catalogue export, as staff download it.
func (s *Sim) Export() ([]byte, error) {
	rows := [][]any{}
	for _, l := range s.Listings() {
		rows = append(rows, []any{s.CatalogueID(l.SKU), l.SKU, money.Format(l.PricePaise), l.Quantity, "Active"})
	}
	return gem.Workbook([]string{"Catalogue ID", "Model/SKU", "Offer Price", "Stock", "Status"}, rows)
}
