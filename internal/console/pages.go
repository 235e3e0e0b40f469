package console

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/jkhhc/artisanbridge/internal/apperr"
	"github.com/jkhhc/artisanbridge/internal/auth"
	"github.com/jkhhc/artisanbridge/internal/idempotency"
	"github.com/jkhhc/artisanbridge/internal/ids"
	"github.com/jkhhc/artisanbridge/internal/reqctx"
)

// Page is one entry of the console's page table: a path, the permission
// its reading needs, the navigation label (empty: not in the menu), what
// it shows, and the actions its forms post back to the same path (each
// with its own permission; the form's "do" field names the action).
type Page struct {
	Path       string
	Permission auth.Permission
	// Everyone opens the page to every signed-in user whatever the role
	// (their own account); Permission is then empty.
	Everyone bool
	Nav      string
	Template string
	show     func(r *http.Request) (any, error)
	// print, when set, answers ?print=1 with a standalone printable page.
	print   func(w http.ResponseWriter, r *http.Request, lang string) error
	Actions map[string]Action
}

// allows says whether role may read the page: the one permission table
// decides, except for a page that is every user's own.
func (p Page) allows(role auth.Role) bool {
	return p.Everyone && role.Valid() || auth.Allowed(role, p.Permission)
}

// Allows is allows, for tests.
func (p Page) Allows(role auth.Role) bool { return p.allows(role) }

// Action is one form of a page. It returns where to go next (post, then
// redirect, then get) and the flash message key shown there.
type Action struct {
	Permission auth.Permission
	run        func(r *http.Request) (next, flash string, err error)
	// download, instead, writes a file (a bank file) as the answer.
	download func(w http.ResponseWriter, r *http.Request) error
}

// maxFormBytes bounds a form post: a photo from a camera (up to 25 MiB) or an import file.
const maxFormBytes = 26 << 20

func (c *Console) routes() {
	c.mux.HandleFunc("GET /static/{name}", c.serveStatic)
	c.mux.HandleFunc("GET /{$}", c.home)
	c.mux.HandleFunc("GET /signin", c.signInPage)
	c.mux.HandleFunc("POST /signin", c.signIn)
	c.mux.HandleFunc("POST /signout", c.signOut)
	c.mux.HandleFunc("POST /lang", c.setLang)
	c.uploadRoutes()
	for _, p := range c.pages {
		c.mux.Handle("GET "+p.Path, c.guard(p, false))
		if len(p.Actions) > 0 {
			c.mux.Handle("POST "+p.Path, c.guard(p, true))
		}
	}
	c.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		v, _ := c.identify(r)
		if v == nil {
			v = &visitor{Lang: "en"}
		}
		c.render(w, r, http.StatusNotFound, "error", c.newView(r, v, "error.not_found", problemOf(apperr.New(apperr.NotFound, "%s", translate(v.Lang, "error.not_found_text")))))
	})
}

// nav is the menu of a role: the pages it may read that have a label.
func (c *Console) nav(r *http.Request, v *visitor) []navItem {
	var out []navItem
	for _, p := range c.pages {
		if p.Nav == "" || !p.allows(v.User.Role) {
			continue
		}
		out = append(out, navItem{Href: p.Path, Label: translate(v.Lang, p.Nav), Current: r.URL.Path == p.Path})
	}
	return out
}

func (c *Console) newView(r *http.Request, v *visitor, title string, prob *problem) *view {
	vw := &view{Lang: v.Lang, Dir: dirOf(v.Lang), User: v.User, Path: r.URL.Path, Query: r.URL.RawQuery, Problem: prob, now: c.Now()}
	vw.Title = translate(v.Lang, title)
	if v.signedIn() {
		vw.csrf = auth.CSRFToken(v.Token)
		vw.Nav = c.nav(r, v)
	}
	if f := r.URL.Query().Get("done"); f != "" && hasKey(f) {
		vw.Flash = translate(v.Lang, f)
	}
	return vw
}

// guard is every page's door: signed in, allowed by the one permission
// table, and for a form the same origin, the session's CSRF token, and the
// form's Idempotency-Key.
func (c *Console) guard(p Page, post bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v, err := c.identify(r)
		if err != nil {
			c.fail(w, r, &visitor{Lang: "en"}, err)
			return
		}
		if !v.signedIn() {
			if post {
				c.fail(w, r, v, apperr.New(apperr.Unauthenticated, "%s", translate(v.Lang, "error.signed_out")))
				return
			}
			http.Redirect(w, r, "/signin?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
			return
		}
		r = withActor(r, v.User)
		if !p.allows(v.User.Role) {
			c.fail(w, r, v, apperr.New(apperr.PermissionDenied, "%s", translate(v.Lang, "error.forbidden")))
			return
		}
		if !post && p.print != nil && r.URL.Query().Get("print") == "1" {
			if err := p.print(w, r, v.Lang); err != nil {
				c.fail(w, r, v, err)
			}
			return
		}
		if !post {
			c.show(w, r, v, p, http.StatusOK, nil)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
		if err := parseForm(r); err != nil {
			c.fail(w, r, v, err)
			return
		}
		if !sameOrigin(r) || !auth.CheckCSRF(v.Token, r.PostFormValue("csrf")) {
			c.fail(w, r, v, apperr.New(apperr.PermissionDenied, "%s", translate(v.Lang, "error.csrf")))
			return
		}
		a, ok := p.Actions[r.PostFormValue("do")]
		if !ok {
			c.fail(w, r, v, apperr.New(apperr.Invalid, "this page has no action %q", r.PostFormValue("do")))
			return
		}
		if !auth.Allowed(v.User.Role, a.Permission) {
			c.fail(w, r, v, apperr.New(apperr.PermissionDenied, "%s", translate(v.Lang, "error.forbidden")))
			return
		}
		if a.download != nil {
			if err := a.download(w, r); err != nil {
				c.show(w, r, v, p, statusOf(err), problemOf(err))
			}
			return
		}
		c.act(w, r, v, p, a)
	})
}

// act runs a form's action once per Idempotency-Key: a repeat of a form
// that took effect is sent where the first went; a repeat while the first
// runs is told so; a refused action releases its key for a corrected retry.
func (c *Console) act(w http.ResponseWriter, r *http.Request, v *visitor, p Page, a Action) {
	ctx := r.Context()
	key := r.PostFormValue("idem")
	if !idempotency.ValidKey(key) {
		c.show(w, r, v, p, http.StatusUnprocessableEntity, problemOf(apperr.New(apperr.Invalid, "%s", translate(v.Lang, "error.no_idem"))))
		return
	}
	rec := idempotency.Record{PrincipalID: v.User.ID, Key: key, Method: http.MethodPost, Path: r.URL.Path,
		RequestHash: idempotency.Hash(http.MethodPost, r.URL.Path, []byte(formDigest(r))), ClaimID: ids.New(), CreatedAt: c.Now()}
	replay, ctx, err := idempotency.Enter(ctx, c.Idempotency, rec, c.Now())
	if err != nil {
		c.show(w, r, v, p, statusOf(err), problemOf(err))
		return
	}
	if replay != nil {
		w.Header().Set("Idempotency-Replayed", "true")
		http.Redirect(w, r, string(replay.ResponseBody), http.StatusSeeOther)
		return
	}
	r = r.WithContext(ctx)
	bg := context.WithoutCancel(ctx)
	settled := false
	defer func() {
		if !settled {
			c.Idempotency.Release(bg, v.User.ID, key, rec.ClaimID) //nolint:errcheck // best effort after a panic
		}
	}()
	next, flash, err := a.run(r)
	settled = true
	if err != nil {
		if rerr := c.Idempotency.Release(bg, v.User.ID, key, rec.ClaimID); rerr != nil {
			c.Log.ErrorContext(ctx, "console: idempotency release failed", "err", rerr)
		}
		c.show(w, r, v, p, statusOf(err), problemOf(err))
		return
	}
	if next == "" {
		next = r.URL.Path
	}
	if flash != "" {
		sep := "?"
		if strings.Contains(next, "?") {
			sep = "&"
		}
		next += sep + "done=" + url.QueryEscape(flash)
	}
	if err := c.Idempotency.Complete(bg, v.User.ID, key, rec.ClaimID, http.StatusSeeOther, []byte(next)); err != nil {
		// The action committed: the answer is still the redirect.
		c.Log.ErrorContext(ctx, "console: idempotency bookkeeping failed", "err", err)
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// formDigest is the form without its per-render tokens, in a stable order.
func formDigest(r *http.Request) string {
	var b strings.Builder
	vals := url.Values{}
	for k, vs := range r.PostForm {
		if k != "csrf" {
			vals[k] = vs
		}
	}
	b.WriteString(vals.Encode())
	if r.MultipartForm != nil {
		for k, fhs := range r.MultipartForm.File {
			for _, fh := range fhs {
				b.WriteString("&" + k + "=" + fh.Filename + ":" + strconv.FormatInt(fh.Size, 10))
			}
		}
	}
	return b.String()
}

func parseForm(r *http.Request) error {
	var err error
	if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
		err = r.ParseMultipartForm(1 << 20)
	} else {
		err = r.ParseForm()
	}
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return apperr.New(apperr.Invalid, "the form is larger than %d bytes", tooBig.Limit)
		}
		return apperr.New(apperr.Invalid, "the form could not be read: send it again")
	}
	return nil
}

// show draws a page with an optional refusal above its forms.
func (c *Console) show(w http.ResponseWriter, r *http.Request, v *visitor, p Page, status int, prob *problem) {
	data, err := p.show(r)
	if err != nil {
		c.fail(w, r, v, err)
		return
	}
	vw := c.newView(r, v, p.Nav, prob)
	if p.Nav == "" {
		vw.Title = translate(v.Lang, "page."+p.Template)
	}
	vw.Data = data
	c.render(w, r, status, p.Template, vw)
}

// fail draws the error page for a request that cannot show its page.
func (c *Console) fail(w http.ResponseWriter, r *http.Request, v *visitor, err error) {
	status := statusOf(err)
	if status >= 500 {
		c.Log.ErrorContext(r.Context(), "console: request failed", "path", r.URL.Path, "err", err, "request_id", reqctx.RequestID(r.Context()))
	}
	c.render(w, r, status, "error", c.newView(r, v, "error.title", problemOf(err)))
}

func problemOf(err error) *problem {
	var e *apperr.Error
	if errors.As(err, &e) {
		if e.Code == apperr.Internal {
			return &problem{Message: "something went wrong on our side; it was logged. Try again, and tell operations if it persists"}
		}
		return &problem{Message: e.Message, Fields: e.Fields}
	}
	return &problem{Message: "something went wrong on our side; it was logged. Try again, and tell operations if it persists"}
}

// statusOf maps an error code to the page's status (the API's mapping).
func statusOf(err error) int {
	switch apperr.CodeOf(err) {
	case apperr.Invalid, apperr.Unprocessable:
		return http.StatusUnprocessableEntity
	case apperr.Unauthenticated:
		return http.StatusUnauthorized
	case apperr.PermissionDenied:
		return http.StatusForbidden
	case apperr.NotFound:
		return http.StatusNotFound
	case apperr.Conflict:
		return http.StatusConflict
	case apperr.PreconditionFailed:
		return http.StatusPreconditionFailed
	case apperr.RateLimited:
		return http.StatusTooManyRequests
	case apperr.MethodNotAllowed:
		return http.StatusMethodNotAllowed
	}
	return http.StatusInternalServerError
}

func requestID(r *http.Request) string {
	if id := reqctx.RequestID(r.Context()); id != "" {
		return id
	}
	if id := r.Header.Get("X-Request-ID"); len(id) >= 8 && len(id) <= 64 {
		ok := true
		for _, ch := range id {
			if !(ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z' || ch >= '0' && ch <= '9' || ch == '-' || ch == '_' || ch == '.') {
				ok = false
			}
		}
		if ok {
			return id
		}
	}
	b := (&view{}).Idem()
	return strings.TrimPrefix(b, "form-")
}
