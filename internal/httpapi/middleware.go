package httpapi

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/jkhhc/artisanbridge/internal/apperr"
	"github.com/jkhhc/artisanbridge/internal/auth"
	"github.com/jkhhc/artisanbridge/internal/idempotency"
	"github.com/jkhhc/artisanbridge/internal/ids"
	"github.com/jkhhc/artisanbridge/internal/reqctx"
)

var requestIDPattern = regexp.MustCompile(`^[A-Za-z0-9._-]{8,64}$`)

// requestID keeps a well-formed X-Request-ID from a proxy or makes one, and
// puts it in the context so every log line and audit entry can name it.
func requestID() gin.HandlerFunc {
	return func(c *gin.Context) {
		id := c.GetHeader("X-Request-ID")
		if !requestIDPattern.MatchString(id) {
			b := make([]byte, 12)
			_, _ = rand.Read(b)
			id = hex.EncodeToString(b)
		}
		c.Header("X-Request-ID", id)
		c.Request = c.Request.WithContext(reqctx.WithRequestID(c.Request.Context(), id))
		c.Next()
	}
}

var (
	httpRequests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "artisanbridge_http_requests_total", Help: "HTTP requests by route, method and status.",
	}, []string{"route", "method", "status"})
	httpDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "artisanbridge_http_request_duration_seconds", Help: "HTTP request latency by route.",
		Buckets: prometheus.DefBuckets,
	}, []string{"route", "method"})
)

// Collectors returns this package's metrics for registration.
func Collectors() []prometheus.Collector { return []prometheus.Collector{httpRequests, httpDuration} }

// accessLog writes one structured line per request: never a header, a
// query string or a body, so no token or bank number can reach the log.
func accessLog(log *slog.Logger) gin.HandlerFunc {
	return func(c *gin.Context) {
		start := time.Now()
		c.Next()
		route := c.FullPath()
		if route == "" {
			route = "unmatched"
		}
		status := c.Writer.Status()
		elapsed := time.Since(start)
		httpRequests.WithLabelValues(route, c.Request.Method, strconv.Itoa(status)).Inc()
		httpDuration.WithLabelValues(route, c.Request.Method).Observe(elapsed.Seconds())
		actor := reqctx.ActorFrom(c.Request.Context())
		log.LogAttrs(c.Request.Context(), slog.LevelInfo, "http request",
			slog.String("request_id", reqctx.RequestID(c.Request.Context())),
			slog.String("method", c.Request.Method), slog.String("route", route),
			slog.Int("status", status), slog.Int64("duration_ms", elapsed.Milliseconds()),
			slog.String("actor_id", actor.ID))
	}
}

// recovery turns a panic into a logged 500 in the API's error shape.
func recovery(log *slog.Logger) gin.HandlerFunc {
	return func(c *gin.Context) {
		defer func() {
			if r := recover(); r != nil {
				log.ErrorContext(c.Request.Context(), "panic in handler", "panic", r,
					"request_id", reqctx.RequestID(c.Request.Context()), "route", c.FullPath())
				writeError(c, log, apperr.New(apperr.Internal, "internal error"))
			}
		}()
		c.Next()
	}
}

// authenticate resolves the bearer token to a user. It does not decide
// access: authorize does, from the route's rule.
func (s *Server) authenticate(c *gin.Context) {
	h := c.GetHeader("Authorization")
	token, ok := strings.CutPrefix(h, "Bearer ")
	if !ok || token == "" {
		writeError(c, s.log, apperr.New(apperr.Unauthenticated, "missing bearer token"))
		return
	}
	u, err := s.auth.Authenticate(c.Request.Context(), strings.TrimSpace(token))
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	ctx := reqctx.WithActor(c.Request.Context(), reqctx.Actor{ID: u.ID, Name: u.Name, Role: string(u.Role)})
	c.Request = c.Request.WithContext(ctx)
	c.Next()
}

// authorize checks the permission of the matched route against the one
// table in package auth; a route with no rule is refused.
func (s *Server) authorize(perm auth.Permission) gin.HandlerFunc {
	return func(c *gin.Context) {
		role := auth.Role(reqctx.ActorFrom(c.Request.Context()).Role)
		if !auth.Allowed(role, perm) {
			writeError(c, s.log, apperr.New(apperr.PermissionDenied, "role %s may not do this", role))
			return
		}
		c.Next()
	}
}

// limitBody caps what a handler may read; reading past it fails with
// *http.MaxBytesError, which decodeJSON reports as a 400.
func limitBody(n int64) gin.HandlerFunc {
	return func(c *gin.Context) {
		c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, n)
		c.Next()
	}
}

// captureWriter keeps a copy of the response for the idempotency store,
// up to what the store keeps (idempotency.MaxStoredBody), and its size.
type captureWriter struct {
	gin.ResponseWriter
	buf  bytes.Buffer
	size int64
}

func (w *captureWriter) Write(b []byte) (int, error) {
	w.size += int64(len(b))
	if room := idempotency.MaxStoredBody + 1 - w.buf.Len(); room > 0 {
		w.buf.Write(b[:min(len(b), room)])
	}
	return w.ResponseWriter.Write(b)
}

func (w *captureWriter) WriteString(s string) (int, error) { return w.Write([]byte(s)) }

// location is the resource an answer names: its Location header, or the
// GET route of the collection posted to with the answer's "id".
func (w *captureWriter) location(c *gin.Context, resource bool) string {
	if loc := w.Header().Get("Location"); loc != "" {
		return loc
	}
	if !resource {
		return ""
	}
	dec := json.NewDecoder(bytes.NewReader(w.buf.Bytes()))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return ""
	}
	for dec.More() {
		k, err := dec.Token()
		if err != nil {
			return ""
		}
		if k == "id" {
			if v, err := dec.Token(); err == nil {
				if id, ok := v.(string); ok && ids.Valid(id) {
					return c.Request.URL.Path + "/" + id
				}
			}
			return ""
		}
		var skip json.RawMessage
		if dec.Decode(&skip) != nil {
			return ""
		}
	}
	return ""
}

// idempotent honours Idempotency-Key on POST (API.md): the first request
// runs; a repeat gets the stored response; another body gets 422; a
// repeat while the first runs gets 409. Only a success is stored: a failed
// request (any 4xx or 5xx, or a panic) committed nothing, so its key is
// released and the request may be corrected and retried with it. An
// answer that carries a secret (a token) is stored without it: a replay
// says the secret was shown once.
func (s *Server) idempotent(r Route) gin.HandlerFunc {
	_, secret := r.Response.(secretBearer)
	return func(c *gin.Context) {
		key := c.GetHeader("Idempotency-Key")
		if key == "" {
			c.Next()
			return
		}
		if !idempotency.ValidKey(key) {
			writeError(c, s.log, &apperr.Error{Code: apperr.Invalid, Message: "Idempotency-Key must be 8-255 characters of letters, digits and _.:-",
				Fields: map[string]string{"Idempotency-Key": "must be 8-255 characters of letters, digits and _.:-"}})
			return
		}
		var hash string
		if _, upload := r.Request.(Upload); upload && r.bodyLimit > s.MaxBodyBytes {
			// A large upload is hashed as it is spooled to a temporary
			// file, which the handler then reads: never all in memory.
			h, cleanup, err := spoolBody(c)
			if err != nil {
				writeError(c, s.log, err)
				return
			}
			defer cleanup()
			hash = h
		} else {
			body, err := readAll(c)
			if err != nil {
				writeError(c, s.log, err)
				return
			}
			hash = idempotency.Hash(c.Request.Method, c.Request.URL.RequestURI(), body)
		}
		ctx := c.Request.Context()
		actor := reqctx.ActorFrom(ctx)
		rec := idempotency.Record{PrincipalID: actor.ID, Key: key, Method: c.Request.Method, Path: c.Request.URL.Path,
			RequestHash: hash, ClaimID: ids.New(), CreatedAt: s.now()}
		replay, ctx, err := idempotency.Enter(ctx, s.idem, rec, s.now())
		if err != nil {
			writeError(c, s.log, err)
			return
		}
		if replay != nil {
			c.Header("Idempotency-Replayed", "true")
			if loc := idempotency.ReplayLocation(*replay); loc != "" {
				c.Header("Location", loc)
			}
			c.Data(replay.ResponseStatus, "application/json; charset=utf-8", replay.ResponseBody)
			c.Abort()
			return
		}
		// The store marks the key committed in the request's own transaction.
		c.Request = c.Request.WithContext(ctx)
		// The request's own context may be cancelled by now; the
		// bookkeeping must still happen.
		bg := context.WithoutCancel(ctx)
		settled := false
		defer func() {
			if settled {
				return
			}
			// The handler panicked: nothing was answered, nothing is kept.
			if err := s.idem.Release(bg, actor.ID, key, rec.ClaimID); err != nil {
				s.log.ErrorContext(ctx, "idempotency key release failed", "err", err, "request_id", reqctx.RequestID(ctx))
			}
		}()
		w := &captureWriter{ResponseWriter: c.Writer}
		c.Writer = w
		c.Next()
		settled = true
		if status := w.Status(); status >= 200 && status < 300 {
			kept, size := w.buf.Bytes(), w.size
			if secret {
				kept = replayBody(c)
				size = int64(len(kept))
			}
			status, kept = idempotency.Keep(status, kept, size, w.location(c, s.getRoutes[r.Path+"/:id"]))
			err = s.idem.Complete(bg, actor.ID, key, rec.ClaimID, status, kept)
		} else {
			err = s.idem.Release(bg, actor.ID, key, rec.ClaimID)
		}
		if err != nil {
			s.log.ErrorContext(ctx, "idempotency bookkeeping failed", "err", err, "request_id", reqctx.RequestID(ctx))
		}
	}
}

// secretBearer is an answer carrying a secret shown once; withoutSecret is
// what a replay of it answers instead.
type secretBearer interface {
	withoutSecret() any
}

const replayKey = "artisanbridge.replay"

// replayBody is what the idempotency store keeps of an answer carrying a
// secret: the answer without it, as respond left it, or a bare note.
func replayBody(c *gin.Context) []byte {
	if b, ok := c.Get(replayKey); ok {
		return b.([]byte)
	}
	return []byte(`{"secret_note":"this answer carried a secret, shown once and not kept"}`)
}

// spoolBody copies the request body to a temporary file while hashing it
// as idempotency.Hash does, and gives the handler the file to read.
func spoolBody(c *gin.Context) (string, func(), error) {
	f, err := os.CreateTemp("", "upload-*")
	if err != nil {
		return "", nil, apperr.Wrap(err, apperr.Internal, "the upload could not be spooled")
	}
	cleanup := func() { f.Close(); os.Remove(f.Name()) }
	h := idempotency.NewHasher(c.Request.Method, c.Request.URL.RequestURI())
	if _, err := io.Copy(io.MultiWriter(f, h), c.Request.Body); err != nil {
		cleanup()
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return "", nil, apperr.New(apperr.Invalid, "request body is larger than %d bytes", tooBig.Limit)
		}
		return "", nil, apperr.New(apperr.Invalid, "request body could not be read")
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		cleanup()
		return "", nil, apperr.Wrap(err, apperr.Internal, "the upload could not be spooled")
	}
	c.Request.Body = f
	return h.Sum(), cleanup, nil
}
