package console

import (
	"bytes"
	"compress/gzip"
	"crypto/rand"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/jkhhc/artisanbridge/internal/auth"
	"github.com/jkhhc/artisanbridge/internal/etag"
	"github.com/jkhhc/artisanbridge/internal/money"
)

//go:embed templates/*.html static/*
var files embed.FS

// asset is one embedded static file, served with a strong ETag and cached
// for a year under a name carrying its hash (a new build, a new name).
type asset struct {
	name, contentType string
	body, gzipped     []byte
	etag              string
}

var assets = func() map[string]*asset {
	out := map[string]*asset{}
	entries, err := fs.ReadDir(files, "static")
	if err != nil {
		panic(err)
	}
	for _, e := range entries {
		b, err := files.ReadFile("static/" + e.Name())
		if err != nil {
			panic(err)
		}
		sum := sha256.Sum256(b)
		a := &asset{name: e.Name(), body: b, etag: `"` + hex.EncodeToString(sum[:8]) + `"`, gzipped: gzipBytes(b)}
		switch path.Ext(e.Name()) {
		case ".css":
			a.contentType = "text/css; charset=utf-8"
		case ".js":
			a.contentType = "text/javascript; charset=utf-8"
		case ".svg":
			a.contentType = "image/svg+xml"
		default:
			a.contentType = "application/octet-stream"
		}
		out[e.Name()] = a
	}
	return out
}()

// assetURL is the cache-busting address of a static file.
func assetURL(name string) string {
	a, ok := assets[name]
	if !ok {
		panic("console: no static file " + name)
	}
	return "/static/" + name + "?v=" + strings.Trim(a.etag, `"`)
}

func gzipBytes(b []byte) []byte {
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	zw.Write(b)
	zw.Close()
	return buf.Bytes()
}

func (c *Console) serveStatic(w http.ResponseWriter, r *http.Request) {
	a, ok := assets[r.PathValue("name")]
	if !ok {
		http.NotFound(w, r)
		return
	}
	h := w.Header()
	h.Set("Content-Type", a.contentType)
	h.Set("ETag", a.etag)
	h.Set("Cache-Control", "public, max-age=31536000, immutable")
	h.Set("Vary", "Accept-Encoding")
	if etag.Matches(r.Header.Get("If-None-Match"), a.etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	body := a.body
	if acceptsGzip(r) {
		h.Set("Content-Encoding", "gzip")
		body = a.gzipped
	}
	h.Set("Content-Length", fmt.Sprint(len(body)))
	w.Write(body)
}

func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		if strings.TrimSpace(strings.SplitN(part, ";", 2)[0]) == "gzip" {
			return true
		}
	}
	return false
}

// view is what every template sees: the page's data and the request's
// visitor, language and tokens.
type view struct {
	Data    any
	Title   string
	Lang    string
	Dir     string
	User    auth.User
	Path    string
	Query   string
	Nav     []navItem
	Flash   string
	Problem *problem
	csrf    string
	now     time.Time
}

type navItem struct {
	Href, Label string
	Current     bool
}

// T translates a catalogue key into the page's language.
func (v *view) T(key string) string { return translate(v.Lang, key) }

// Refreshing says whether the page reloads itself every few seconds (a
// run in progress: no script needed).
func (v *view) Refreshing() bool {
	r, ok := v.Data.(interface{ Refresh() bool })
	return ok && r.Refresh()
}

// Can says whether the visitor's role holds a permission: every button is
// drawn only when the action behind it would be allowed.
func (v *view) Can(p string) bool { return auth.Allowed(v.User.Role, auth.Permission(p)) }

// CSRF is the session's anti-forgery token, for every form.
func (v *view) CSRF() string { return v.csrf }

// Idem is a fresh Idempotency-Key for one form: sent twice, it takes effect once.
func (v *view) Idem() string {
	b := make([]byte, 16)
	rand.Read(b)
	return "form-" + hex.EncodeToString(b)
}

// problem is a refusal shown above the form that caused it.
type problem struct {
	Message string
	Fields  map[string]string
}

var funcs = template.FuncMap{
	"rupees": money.FormatINR,
	"asset":  assetURL,
	"date": func(t any) string {
		switch v := t.(type) {
		case time.Time:
			return v.UTC().Format("2006-01-02 15:04")
		case *time.Time:
			if v == nil {
				return ""
			}
			return v.UTC().Format("2006-01-02 15:04")
		}
		return ""
	},
	"deref": func(s *string) string {
		if s == nil {
			return ""
		}
		return *s
	},
	"derefi": func(n *int64) string {
		if n == nil {
			return ""
		}
		return fmt.Sprint(*n)
	},
	"paise": func(n int64) string { return fmt.Sprintf("%d.%02d", n/100, n%100) },
	"join":  strings.Join,
	"eq2":   func(a, b string) bool { return a == b },
	"mask":  maskAccount,
}

// maskAccount shows the last four digits of an account number and
// nothing more (no page shows a full bank number).
func maskAccount(s string) string {
	digits := 0
	for _, r := range s {
		if r >= '0' && r <= '9' {
			digits++
		}
	}
	if digits == 0 {
		return s
	}
	keep := ""
	for i := len(s) - 1; i >= 0 && len(keep) < 4; i-- {
		if s[i] >= '0' && s[i] <= '9' {
			keep = string(s[i]) + keep
		}
	}
	return "XXXX" + keep
}

// templates holds one template set per page: the layout and the page.
var templates = func() map[string]*template.Template {
	out := map[string]*template.Template{}
	entries, err := fs.ReadDir(files, "templates")
	if err != nil {
		panic(err)
	}
	for _, e := range entries {
		name := strings.TrimSuffix(e.Name(), ".html")
		if name == "layout" {
			continue
		}
		t := template.Must(template.New("layout.html").Funcs(funcs).ParseFS(files, "templates/layout.html", "templates/"+e.Name()))
		out[name] = t
	}
	return out
}()

// render writes a page, compressed when the browser takes gzip. Pages are
// private: no shared cache keeps them.
func (c *Console) render(w http.ResponseWriter, r *http.Request, status int, name string, v *view) {
	t, ok := templates[name]
	if !ok {
		panic("console: no template " + name)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout.html", v); err != nil {
		c.Log.ErrorContext(r.Context(), "console: rendering failed", "page", name, "err", err)
		http.Error(w, "the page could not be drawn", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Vary", "Accept-Encoding, Cookie")
	body := buf.Bytes()
	if acceptsGzip(r) {
		h.Set("Content-Encoding", "gzip")
		body = gzipBytes(body)
	}
	h.Set("Content-Length", fmt.Sprint(len(body)))
	w.WriteHeader(status)
	w.Write(body)
}
