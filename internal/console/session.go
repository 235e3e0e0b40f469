package console

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/jkhhc/artisanbridge/internal/apperr"
	"github.com/jkhhc/artisanbridge/internal/auth"
	"github.com/jkhhc/artisanbridge/internal/reqctx"
)

// Cookie names. The session cookie holds the session token (its hash is
// what the database keeps); the sign-in cookie is a random value that only
// protects the sign-in form against forgery; the language cookie remembers
// the language before anyone signs in.
const (
	SessionCookie = "ab_session"
	SignInCookie  = "ab_signin"
	LangCookie    = "ab_lang"
)

// secure says whether the request came over TLS, directly or through a
// proxy that says so: the cookies are then Secure.
func secure(r *http.Request) bool {
	return r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https")
}

func setCookie(w http.ResponseWriter, r *http.Request, name, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: value, Path: "/", MaxAge: maxAge, HttpOnly: true,
		Secure: secure(r), SameSite: http.SameSiteStrictMode})
}

func clearCookie(w http.ResponseWriter, r *http.Request, name string) { setCookie(w, r, name, "", -1) }

func cookie(r *http.Request, name string) string {
	ck, err := r.Cookie(name)
	if err != nil {
		return ""
	}
	return ck.Value
}

// sameOrigin refuses a form posted from another site: a browser sends
// Origin (or at least Referer) with every POST; when it does, it must be
// this host. SameSite=Strict and the CSRF token are the other two locks.
func sameOrigin(r *http.Request) bool {
	o := r.Header.Get("Origin")
	if o == "" || o == "null" {
		ref := r.Header.Get("Referer")
		if ref == "" {
			return o == ""
		}
		o = ref
	}
	u, err := url.Parse(o)
	if err != nil || u.Host == "" {
		return false
	}
	// Behind a proxy that rewrites Host, the host the browser used is in
	// X-Forwarded-Host (a page of another site cannot set that header).
	return u.Host == r.Host || u.Host == r.Header.Get("X-Forwarded-Host")
}

// safeNext keeps a post-sign-in destination on this site.
func safeNext(next string) string {
	if next == "" || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") || !Owns(strings.SplitN(next, "?", 2)[0]) {
		return "/"
	}
	return next
}

// visitor is who is asking: the signed-in user (or none), their session
// token and the language of the answer.
type visitor struct {
	User  auth.User
	Token string
	Lang  string
}

func (v *visitor) signedIn() bool { return v.User.ID != "" }

// identify resolves the session cookie, if any, and the language: the
// user's setting, else the language cookie, else the browser's first
// choice among ours, else English.
func (c *Console) identify(r *http.Request) (*visitor, error) {
	v := &visitor{}
	if tok := cookie(r, SessionCookie); tok != "" {
		u, lang, err := c.Sessions.Resolve(r.Context(), tok)
		switch {
		case err == nil:
			v.User, v.Token, v.Lang = u, tok, lang
		case !apperr.Is(err, apperr.Unauthenticated):
			return nil, err
		}
	}
	if !validLang(v.Lang) {
		v.Lang = cookie(r, LangCookie)
	}
	if !validLang(v.Lang) {
		v.Lang = fromAcceptLanguage(r.Header.Get("Accept-Language"))
	}
	return v, nil
}

// withActor puts the signed-in user in the request's context, as the API's
// authentication does, so audit entries name them.
func withActor(r *http.Request, u auth.User) *http.Request {
	return r.WithContext(reqctx.WithActor(r.Context(), reqctx.Actor{ID: u.ID, Name: u.Name, Role: string(u.Role)}))
}

var errCSRF = errors.New("the form is out of date or came from another site: reload the page and send it again")
