// Package console is the web console for showroom staff, operations and
// finance: server-rendered pages (html/template, embedded), readable
// without JavaScript, light enough for a 256 kbps link. People sign in with
// a name and a password; the session cookie is HttpOnly and SameSite=Strict,
// every form carries the session's CSRF token and an Idempotency-Key (a form
// sent twice takes effect once), and the one permission table of package
// auth decides every page and every button. Pages call the same domain
// services as the API's handlers and decide nothing themselves.
package console

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/jkhhc/artisanbridge/internal/auth"
	"github.com/jkhhc/artisanbridge/internal/catalog"
	"github.com/jkhhc/artisanbridge/internal/channels"
	"github.com/jkhhc/artisanbridge/internal/exceptions"
	"github.com/jkhhc/artisanbridge/internal/finance"
	"github.com/jkhhc/artisanbridge/internal/fulfilment"
	"github.com/jkhhc/artisanbridge/internal/idempotency"
	"github.com/jkhhc/artisanbridge/internal/inventory"
	"github.com/jkhhc/artisanbridge/internal/listing"
	"github.com/jkhhc/artisanbridge/internal/media"
	"github.com/jkhhc/artisanbridge/internal/opsmetrics"
	"github.com/jkhhc/artisanbridge/internal/orders"
	"github.com/jkhhc/artisanbridge/internal/reconcile"
	"github.com/jkhhc/artisanbridge/internal/reqctx"
)

// QueueDepth is one job queue's size for the dashboard.
type QueueDepth struct {
	Queue          string
	Size, Archived int
}

// Deps are the services the console calls; internal/app wires them, the
// same ones the API's handlers call.
type Deps struct {
	Log         *slog.Logger
	Sessions    *auth.Sessions
	Catalog     *catalog.Service
	Inventory   *inventory.Service
	Channels    *channels.Service
	Listings    *listing.Service
	Exceptions  *exceptions.Service
	Reconcile   *reconcile.Service
	Orders      *orders.Service
	Tasks       *fulfilment.Service
	Finance     *finance.Service
	Payouts     *finance.Payouts
	Idempotency idempotency.Store
	// Media stores product photos by content hash (nil: no uploads).
	Media *media.Service
	// Ops reads the operations figures (open exceptions by kind and age).
	Ops opsmetrics.Source
	// OrdersSince counts the orders taken in since a time.
	OrdersSince func(ctx context.Context, since time.Time) (int64, error)
	// Queues lists the job queues with their sizes.
	Queues func(ctx context.Context) ([]QueueDepth, error)
	// ImportOrders takes a channel's order file (GeM's portal export) in.
	ImportOrders func(ctx context.Context, channelID string, data []byte) (orders.ImportSummary, error)
	// RetryMissedOrder takes a missed order in again (the API's POST
	// /exceptions/{id}/retry), resolving its exception by the named person;
	// nil where this process does not pull orders.
	RetryMissedOrder func(ctx context.Context, exceptionID, by string) error
	Now              func() time.Time
}

// Console serves the pages.
type Console struct {
	Deps
	mux   *http.ServeMux
	pages []Page
}

// New builds the console.
func New(d Deps) *Console {
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Log == nil {
		d.Log = slog.Default()
	}
	c := &Console{Deps: d, mux: http.NewServeMux()}
	c.pages = c.table()
	c.routes()
	return c
}

// ServeHTTP makes the console an http.Handler.
// Every request gets a request id and one structured log line: never a
// query string, a form or a cookie, so no password or token reaches the log.
func (c *Console) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	securityHeaders(w.Header())
	id := requestID(r)
	w.Header().Set("X-Request-ID", id)
	r = r.WithContext(reqctx.WithRequestID(r.Context(), id))
	sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
	c.mux.ServeHTTP(sw, r)
	c.Log.LogAttrs(r.Context(), slog.LevelInfo, "console request",
		slog.String("request_id", id), slog.String("method", r.Method), slog.String("path", r.URL.Path),
		slog.Int("status", sw.status), slog.Int64("duration_ms", time.Since(start).Milliseconds()))
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

// Pages returns the page table (for the role matrix and weight tests).
func (c *Console) Pages() []Page { return c.pages }

// Owns reports whether path is one of the console's: everything else (the
// API, health, webhooks, the queue console, public pages) is not.
func Owns(path string) bool {
	if path == "/" {
		return true
	}
	for _, p := range []string{"/signin", "/signout", "/lang", "/static/", "/showroom", "/operations", "/finance", "/account"} {
		if path == p || strings.HasPrefix(path, strings.TrimSuffix(p, "/")+"/") {
			return true
		}
	}
	return false
}

// Mount serves the console's paths from c and every other from next.
func Mount(c http.Handler, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if Owns(r.URL.Path) {
			c.ServeHTTP(w, r)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// securityHeaders keep every page to this host: no script, style, image,
// frame or form target from anywhere else (the one script, the photo
// upload's, is this host's file, and talks to this host only).
func securityHeaders(h http.Header) {
	h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("X-Frame-Options", "DENY")
}
