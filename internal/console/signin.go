package console

import (
	"net/http"

	"github.com/jkhhc/artisanbridge/internal/apperr"
	"github.com/jkhhc/artisanbridge/internal/auth"
	"github.com/jkhhc/artisanbridge/internal/reqctx"
)

// home sends a visitor to the first page their role may read.
func (c *Console) home(w http.ResponseWriter, r *http.Request) {
	v, err := c.identify(r)
	if err != nil {
		c.fail(w, r, &visitor{Lang: "en"}, err)
		return
	}
	if !v.signedIn() {
		http.Redirect(w, r, "/signin", http.StatusSeeOther)
		return
	}
	for _, p := range c.pages {
		if p.Nav != "" && p.allows(v.User.Role) {
			http.Redirect(w, r, p.Path, http.StatusSeeOther)
			return
		}
	}
	http.Redirect(w, r, "/account", http.StatusSeeOther)
}

type signInData struct {
	Next string
	Name string
	Pre  string
}

// signInPage draws the sign-in form. Its CSRF token comes from a random
// sign-in cookie (there is no session yet); ?lang= chooses the language.
func (c *Console) signInPage(w http.ResponseWriter, r *http.Request) {
	if l := r.URL.Query().Get("lang"); validLang(l) {
		setCookie(w, r, LangCookie, l, 365*24*3600)
		r.AddCookie(&http.Cookie{Name: LangCookie, Value: l})
	}
	v, err := c.identify(r)
	if err != nil {
		c.fail(w, r, &visitor{Lang: "en"}, err)
		return
	}
	c.drawSignIn(w, r, v, http.StatusOK, "", nil)
}

func (c *Console) drawSignIn(w http.ResponseWriter, r *http.Request, v *visitor, status int, name string, prob *problem) {
	pre := cookie(r, SignInCookie)
	if !auth.ValidSessionToken(pre) {
		pre, _ = auth.NewSessionToken()
		setCookie(w, r, SignInCookie, pre, 3600)
	}
	vw := c.newView(r, v, "page.signin", prob)
	vw.Nav = nil
	vw.csrf = auth.CSRFToken(pre)
	vw.Data = signInData{Next: safeNext(r.FormValue("next")), Name: name}
	c.render(w, r, status, "signin", vw)
}

// signIn checks the form's anti-forgery token, then the name and password;
// the session token is always a new one, and the one presented (if any)
// ends: a session planted before sign-in is never carried over.
func (c *Console) signIn(w http.ResponseWriter, r *http.Request) {
	v, err := c.identify(r)
	if err != nil {
		c.fail(w, r, &visitor{Lang: "en"}, err)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := parseForm(r); err != nil {
		c.drawSignIn(w, r, v, statusOf(err), "", problemOf(err))
		return
	}
	name := r.PostFormValue("name")
	if !sameOrigin(r) || !auth.CheckCSRF(cookie(r, SignInCookie), r.PostFormValue("csrf")) {
		c.drawSignIn(w, r, v, http.StatusForbidden, name, &problem{Message: translate(v.Lang, "error.csrf")})
		return
	}
	u, token, err := c.Sessions.SignIn(r.Context(), name, r.PostFormValue("password"), cookie(r, SessionCookie))
	if err != nil {
		if apperr.Is(err, apperr.Unauthenticated) {
			err = apperr.New(apperr.Unauthenticated, "%s", translate(v.Lang, "error.signin"))
		}
		c.drawSignIn(w, r, v, statusOf(err), name, problemOf(err))
		return
	}
	setCookie(w, r, SessionCookie, token, int(auth.SessionLifetime.Seconds()))
	clearCookie(w, r, SignInCookie)
	c.Log.InfoContext(r.Context(), "console: signed in", "user_id", u.ID, "request_id", reqctx.RequestID(r.Context()))
	http.Redirect(w, r, safeNext(r.PostFormValue("next")), http.StatusSeeOther)
}

// signOut ends this session, or with everywhere=1 every session of the user.
func (c *Console) signOut(w http.ResponseWriter, r *http.Request) {
	v, err := c.identify(r)
	if err != nil {
		c.fail(w, r, &visitor{Lang: "en"}, err)
		return
	}
	if !v.signedIn() {
		clearCookie(w, r, SessionCookie)
		http.Redirect(w, r, "/signin", http.StatusSeeOther)
		return
	}
	r = withActor(r, v.User)
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := parseForm(r); err != nil || !sameOrigin(r) || !auth.CheckCSRF(v.Token, r.PostFormValue("csrf")) {
		c.fail(w, r, v, apperr.New(apperr.PermissionDenied, "%s", translate(v.Lang, "error.csrf")))
		return
	}
	if r.PostFormValue("everywhere") == "1" {
		_, err = c.Sessions.SignOutEverywhere(r.Context())
	} else {
		err = c.Sessions.SignOut(r.Context(), v.Token)
	}
	if err != nil {
		c.fail(w, r, v, err)
		return
	}
	clearCookie(w, r, SessionCookie)
	http.Redirect(w, r, "/signin?done=flash.signed_out", http.StatusSeeOther)
}

// setLang remembers the chosen language: in a cookie, and for a signed-in
// user in their setting too.
func (c *Console) setLang(w http.ResponseWriter, r *http.Request) {
	v, err := c.identify(r)
	if err != nil {
		c.fail(w, r, &visitor{Lang: "en"}, err)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := parseForm(r); err != nil {
		c.fail(w, r, v, err)
		return
	}
	lang := r.PostFormValue("lang")
	if !validLang(lang) {
		c.fail(w, r, v, &apperr.Error{Code: apperr.Invalid, Message: "lang must be one of en, ur, hi", Fields: map[string]string{"lang": "must be one of en, ur, hi"}})
		return
	}
	if v.signedIn() {
		if !sameOrigin(r) || !auth.CheckCSRF(v.Token, r.PostFormValue("csrf")) {
			c.fail(w, r, v, apperr.New(apperr.PermissionDenied, "%s", translate(v.Lang, "error.csrf")))
			return
		}
		if err := c.Sessions.SetLanguage(withActor(r, v.User).Context(), lang); err != nil {
			c.fail(w, r, v, err)
			return
		}
	}
	setCookie(w, r, LangCookie, lang, 365*24*3600)
	http.Redirect(w, r, safeNext(r.PostFormValue("next")), http.StatusSeeOther)
}
