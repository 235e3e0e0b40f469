// Package httpapi is the admin API: a gin router, its middleware and thin
// handlers that decode a request, call a domain service and encode the
// answer. Every route is listed once in routes(), with its permission.
package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/gin-gonic/gin"

	"github.com/jkhhc/artisanbridge/internal/apperr"
	"github.com/jkhhc/artisanbridge/internal/audit"
	"github.com/jkhhc/artisanbridge/internal/auth"
	"github.com/jkhhc/artisanbridge/internal/catalog"
	"github.com/jkhhc/artisanbridge/internal/channels"
	"github.com/jkhhc/artisanbridge/internal/exceptions"
	"github.com/jkhhc/artisanbridge/internal/finance"
	"github.com/jkhhc/artisanbridge/internal/fulfilment"
	"github.com/jkhhc/artisanbridge/internal/idempotency"
	"github.com/jkhhc/artisanbridge/internal/imports"
	"github.com/jkhhc/artisanbridge/internal/inventory"
	"github.com/jkhhc/artisanbridge/internal/listing"
	"github.com/jkhhc/artisanbridge/internal/media"
	"github.com/jkhhc/artisanbridge/internal/orderpull"
	"github.com/jkhhc/artisanbridge/internal/orders"
	"github.com/jkhhc/artisanbridge/internal/paging"
	"github.com/jkhhc/artisanbridge/internal/reconcile"
	"github.com/jkhhc/artisanbridge/internal/showcase"
)

// QueueInfo describes one job queue for GET /jobs/queues.
type QueueInfo struct {
	Queue     string `json:"queue"`
	Size      int    `json:"size"`
	Pending   int    `json:"pending"`
	Active    int    `json:"active"`
	Scheduled int    `json:"scheduled"`
	Retry     int    `json:"retry"`
	Archived  int    `json:"archived"`
	Completed int    `json:"completed"`
	Failed    int    `json:"failed_today"`
	Paused    bool   `json:"paused"`
}

// Deps are what the API needs; cmd wires them.
type Deps struct {
	Log        *slog.Logger
	Auth       *auth.Service
	Catalog    *catalog.Service
	Inventory  *inventory.Service
	Channels   *channels.Service
	Listings   *listing.Service
	Exceptions *exceptions.Service
	// Reconcile starts and shows reconciliations (nil: the routes answer 404).
	Reconcile *reconcile.Service
	Orders    *orders.Service
	Tasks     *fulfilment.Service
	Finance   *finance.Service
	Payouts   *finance.Payouts
	Imports   *imports.Service
	// Media keeps product photos (nil: the photo routes answer 404).
	Media *media.Service
	// Showcase renders the public pages and printed tags (nil: 404).
	Showcase *showcase.Site
	// Health fills in a channel's call counts (shared across processes).
	ChannelCalls func(ctx context.Context, channelID string) (calls, throttled int64)
	// Files are what assisted channels (GeM) produce for staff to upload.
	Files ChannelFiles
	// ImportOrders takes a channel's order file (GeM's portal export) in.
	ImportOrders func(ctx context.Context, channelID string, data []byte) (orders.ImportSummary, error)
	// ImportCatalogueExport keeps GeM's catalogue export (what the portal
	// confirms we hold) for the channel's stock reconciliation.
	ImportCatalogueExport func(ctx context.Context, channelID, fileName string, data []byte) (channels.File, error)
	// PullSettlements imports a channel's published settlement reports.
	PullSettlements func(ctx context.Context, channelID string) (finance.ImportSummary, error)
	// RescanOrders re-reads a channel's orders from a time on.
	RescanOrders func(ctx context.Context, channelID string, since time.Time) error

	// PayoutWebhook takes a payout provider's signed event (nil: no
	// provider configured). A delivery seen before is acknowledged.
	PayoutWebhook func(ctx context.Context, provider string, h http.Header, body []byte) error

	// FlipkartNotification takes one of Flipkart's signed order
	// notifications; arrivedAt is the URL it was posted to. It reports
	// whether it was queued (false: a repeat, or kept as unreadable).
	FlipkartNotification func(ctx context.Context, arrivedAt string, h http.Header, body []byte) (bool, error)

	// RetryMissedOrder takes a missed order in again (retry.go).
	RetryMissedOrder func(ctx context.Context, exceptionID, by string) (orderpull.RetryResult, error)

	Audit        audit.Reader
	Idempotency  idempotency.Store
	Queues       func(ctx context.Context) ([]QueueInfo, error)
	OutboxQueued func(ctx context.Context) (int64, error)
	// Ready checks every dependency /readyz reports on, by name.
	Ready        map[string]func(ctx context.Context) error
	MaxBodyBytes int64
	Now          func() time.Time
	// HealthOnly serves only the public routes (a worker process).
	HealthOnly bool
}

// ChannelFiles keeps the files assisted channels produce.
type ChannelFiles interface {
	// List lists a channel's files, oldest first.
	List(ctx context.Context, channelID string, p paging.Request) (paging.Page[channels.File], error)
	// Get returns one file of a channel with its content, or NotFound.
	Get(ctx context.Context, channelID, id string) (channels.File, []byte, error)
}

// Server is the admin API.
type Server struct {
	Deps
	log    *slog.Logger
	auth   *auth.Service
	idem   idempotency.Store
	now    func() time.Time
	engine *gin.Engine
	// doc and docJSON are the API's description, built once.
	doc     *openapi3.T
	docJSON []byte
	// getRoutes are the GET paths of the table, to point a replay of a
	// large answer at the resource it made.
	getRoutes map[string]bool
}

// Route is one entry of the route table. Public routes need no token;
// every other route names the permission it needs. The route also states
// its contract, from which the OpenAPI document is generated and against
// which requests are checked: the body it reads, the body it answers, the
// query parameters it accepts (any other is refused) and its statuses.
type Route struct {
	Method     string
	Path       string
	Permission auth.Permission
	Public     bool
	Summary    string
	// Request is a zero value of the JSON body the route reads, Upload{}
	// for a multipart file, or nil for no body.
	Request any
	// Response is a zero value of the JSON body of a success, or nil when
	// the route answers only the media types in Produces.
	Response any
	// Produces lists the non-JSON media types the route may answer (files).
	Produces []string
	// Query lists the query parameters the route reads.
	Query []Param
	// Status is the status of a success.
	Status int
	// Errors are the failure statuses particular to the route. Those every
	// route of its kind can answer are added by the document: 400 and 500
	// everywhere, 401 and 403 with a token, 404 with a path id, 409 and 422
	// for a POST (Idempotency-Key).
	Errors    []int
	handler   gin.HandlerFunc
	bodyLimit int64
}

// Param is a query parameter a route reads.
type Param struct {
	Name string
	// Type is "string" (the default), "integer", "boolean" or "date-time".
	Type string
	// Enum lists the accepted values when they are a closed set.
	Enum     []string
	Required bool
	Doc      string
}

// Upload is the Request of a route that takes a file as the
// multipart/form-data field "file".
type Upload struct{}

// Bytes is the Request of a route whose body is a file's bytes, sent as
// one of Types (a photo, a chunk of an upload).
type Bytes struct{ Types []string }

// APIPrefix is the base path of the admin API.
const APIPrefix = "/api/v1"

// New builds the router.
func New(d Deps) *Server {
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.MaxBodyBytes == 0 {
		d.MaxBodyBytes = 1 << 20
	}
	s := &Server{Deps: d, log: d.Log, auth: d.Auth, idem: d.Idempotency, now: d.Now}
	doc, err := buildOpenAPI(s.routes())
	if err != nil {
		panic("httpapi: the route table cannot be described: " + err.Error())
	}
	s.doc = doc
	s.getRoutes = map[string]bool{}
	for _, r := range s.routes() {
		if r.Method == http.MethodGet {
			s.getRoutes[r.Path] = true
		}
	}
	if s.docJSON, err = json.Marshal(doc); err != nil {
		panic("httpapi: the API description does not encode: " + err.Error())
	}
	gin.SetMode(gin.ReleaseMode)
	e := gin.New()
	e.HandleMethodNotAllowed = true
	e.Use(requestID(), accessLog(s.log), recovery(s.log))
	e.NoRoute(func(c *gin.Context) { writeError(c, s.log, apperr.New(apperr.NotFound, "no such route")) })
	e.NoMethod(func(c *gin.Context) {
		writeError(c, s.log, apperr.New(apperr.MethodNotAllowed, "method %s is not allowed on this route", c.Request.Method))
	})
	for _, r := range s.routes() {
		if d.HealthOnly && !r.Public {
			continue
		}
		chain := []gin.HandlerFunc{}
		limit := r.bodyLimit
		if limit == 0 {
			limit = d.MaxBodyBytes
		}
		chain = append(chain, limitBody(limit))
		if !r.Public {
			chain = append(chain, s.authenticate, s.authorize(r.Permission))
		}
		chain = append(chain, s.checkInput(r))
		if !r.Public && r.Method == http.MethodPost {
			chain = append(chain, s.idempotent(r))
		}
		chain = append(chain, r.handler)
		e.Handle(r.Method, r.Path, chain...)
	}
	s.engine = e
	return s
}

// ServeHTTP makes Server an http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.engine.ServeHTTP(w, r) }

// Routes returns the route table (for the permission test and OpenAPI).
func (s *Server) Routes() []Route { return s.routes() }

// GinRoutes returns what gin actually registered.
func (s *Server) GinRoutes() gin.RoutesInfo { return s.engine.Routes() }

// decodeJSON reads one JSON object, refusing unknown fields and trailing
// data, and reports malformed or oversized bodies as 400.
func decodeJSON(c *gin.Context, dst any) error {
	return decodeBody(c, dst, false)
}

// decodeAction reads an action's body, where no body at all means no
// fields (an approval needs nothing said): it is decoded as {} and the
// action says which fields it needs.
func decodeAction(c *gin.Context, dst any) error {
	return decodeBody(c, dst, true)
}

func decodeBody(c *gin.Context, dst any, emptyIsObject bool) error {
	body, err := readAll(c)
	if err != nil {
		return err
	}
	if emptyIsObject && len(bytes.TrimSpace(body)) == 0 {
		body = []byte("{}")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) && typeErr.Field != "" {
			return &apperr.Error{Code: apperr.Invalid, Message: "request body field " + typeErr.Field + " has the wrong type",
				Fields: map[string]string{typeErr.Field: "must be a " + typeErr.Type.String()}}
		}
		if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
			name = strings.Trim(name, `"`)
			return &apperr.Error{Code: apperr.Invalid, Message: "request body field " + name + " is not one this route takes",
				Fields: map[string]string{name: "unknown field; this body takes " + bodyFields(dst)}}
		}
		return apperr.New(apperr.Invalid, "request body is not valid JSON for this route: %s", jsonProblem(err))
	}
	if dec.More() {
		return apperr.New(apperr.Invalid, "request body has data after the JSON object")
	}
	return nil
}

// bodyFields lists the JSON fields of a request body's type, for a refusal
// of a field it does not take.
func bodyFields(dst any) string {
	t := reflect.TypeOf(dst)
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil || t.Kind() != reflect.Struct {
		return "the fields documented for it (GET /api/v1/openapi.json)"
	}
	var names []string
	for i := 0; i < t.NumField(); i++ {
		if name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ","); name != "" && name != "-" {
			names = append(names, name)
		}
	}
	if len(names) == 0 {
		return "no fields (send {})"
	}
	return strings.Join(names, ", ")
}

func jsonProblem(err error) string {
	var syn *json.SyntaxError
	switch {
	case errors.As(err, &syn):
		return "syntax error at byte " + strconv.FormatInt(syn.Offset, 10)
	case errors.Is(err, io.EOF):
		return "the body is empty"
	}
	return err.Error()
}

// readAll reads the (size-limited) body once and puts it back for the
// next reader, so idempotency hashing and decoding see the same bytes.
func readAll(c *gin.Context) ([]byte, error) {
	if b, ok := c.Get(bodyKey); ok {
		return b.([]byte), nil
	}
	b, err := io.ReadAll(c.Request.Body)
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, apperr.New(apperr.Invalid, "request body is larger than %d bytes", tooBig.Limit)
		}
		return nil, apperr.New(apperr.Invalid, "request body could not be read")
	}
	c.Set(bodyKey, b)
	c.Request.Body = io.NopCloser(bytes.NewReader(b))
	return b, nil
}

const bodyKey = "artisanbridge.body"

// pageRequest reads ?limit and ?cursor.
func pageRequest(c *gin.Context) (paging.Request, error) {
	limit := 0
	if v := c.Query("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return paging.Request{}, &apperr.Error{Code: apperr.Invalid, Message: "limit must be a number",
				Fields: map[string]string{"limit": "must be a whole number"}}
		}
		if n <= 0 {
			n = -1
		}
		limit = n
	}
	return paging.Parse(limit, c.Query("cursor"))
}

// respond writes v as JSON with status, or the error. An answer carrying
// a secret leaves its replay, without the secret, for the idempotency store.
func (s *Server) respond(c *gin.Context, status int, v any, err error) {
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	if sb, ok := v.(secretBearer); ok {
		if b, err := json.Marshal(sb.withoutSecret()); err == nil {
			c.Set(replayKey, b)
		}
	}
	s.writeJSON(c, status, v)
}

// jsonEncoders encode answers into buffers kept between requests:
// json.Marshal (what gin's c.JSON does) grows a buffer for every answer
// and then copies it out, the largest allocations of a list request after
// its rows (BenchmarkScaleRequestCost in internal/app). An Encoder keeps
// no state between answers but a failed write, which a bytes.Buffer never
// has.
var jsonEncoders = sync.Pool{New: func() any {
	e := &jsonEncoder{}
	e.enc = json.NewEncoder(&e.buf)
	return e
}}

type jsonEncoder struct {
	buf bytes.Buffer
	enc *json.Encoder
}

// maxKeptJSONBuffer bounds a buffer put back for the next answer, so that
// one large answer does not hold its memory for good.
const maxKeptJSONBuffer = 1 << 20

// writeJSON answers v as JSON with status: the same bytes as json.Marshal
// (an Encoder escapes HTML as Marshal does; its newline is left off) and
// the same Content-Type as gin's c.JSON. An answer that cannot be encoded
// is a 500 in the API's error shape, not a success with no body.
func (s *Server) writeJSON(c *gin.Context, status int, v any) {
	e := jsonEncoders.Get().(*jsonEncoder)
	e.buf.Reset()
	defer func() {
		if e.buf.Cap() <= maxKeptJSONBuffer {
			jsonEncoders.Put(e)
		}
	}()
	if err := e.enc.Encode(v); err != nil {
		writeError(c, s.log, fmt.Errorf("encoding the answer: %w", err))
		return
	}
	c.Data(status, "application/json; charset=utf-8", bytes.TrimSuffix(e.buf.Bytes(), []byte("\n")))
}
