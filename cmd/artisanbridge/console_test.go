package main

import (
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/jkhhc/artisanbridge/internal/auth"
	"github.com/jkhhc/artisanbridge/internal/console"
	"github.com/jkhhc/artisanbridge/internal/testenv"
)

// stdinMu serialises the tests that replace the password's input.
var stdinMu sync.Mutex

// setPassword runs `artisanbridge users passwd NAME` with pw on its input.
func (in *instance) setPassword(name, pw string) {
	in.t.Helper()
	stdinMu.Lock()
	defer stdinMu.Unlock()
	old := stdin
	stdin = strings.NewReader(pw + "\n")
	defer func() { stdin = old }()
	var out testenv.SyncBuffer
	if err := run(context.Background(), []string{"users", "passwd", name}, in.getenv, &out, io.Discard); err != nil {
		in.t.Fatalf("users passwd %s: %v", name, err)
	}
}

// embeddedEnv is the embedded default with the simulators on free ports.
func embeddedEnv(t *testing.T) map[string]string {
	t.Helper()
	return map[string]string{"ARTISANBRIDGE_DATA_DIR": t.TempDir(), "ARTISANBRIDGE_RELAY_INTERVAL": "100ms",
		"ARTISANBRIDGE_SIM_FLIPKART_ADDR": "127.0.0.1:0", "ARTISANBRIDGE_SIM_AMAZON_ADDR": "127.0.0.1:0", "ARTISANBRIDGE_SIM_GEM_ADDR": "127.0.0.1:0"}
}

// visitor is a browser without JavaScript: a cookie jar, no automatic
// redirects (tests look at each answer), gzip asked for and undone.
type visitor struct {
	t    *testing.T
	base string
	c    *http.Client
	jar  *cookiejar.Jar
}

func (in *instance) visitor() *visitor {
	jar, _ := cookiejar.New(nil)
	return &visitor{t: in.t, base: in.base, jar: jar, c: &http.Client{Jar: jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

type answer struct {
	status   int
	body     string
	wire     int // bytes on the wire (compressed)
	header   http.Header
	location string
}

func (v *visitor) do(req *http.Request) answer {
	v.t.Helper()
	req.Header.Set("Accept-Encoding", "gzip")
	resp, err := v.c.Do(req)
	if err != nil {
		v.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	a := answer{status: resp.StatusCode, wire: len(raw), header: resp.Header, location: resp.Header.Get("Location")}
	if resp.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(strings.NewReader(string(raw)))
		if err != nil {
			v.t.Fatalf("%s: bad gzip: %v", req.URL, err)
		}
		plain, _ := io.ReadAll(zr)
		raw = plain
	}
	a.body = string(raw)
	return a
}

func (v *visitor) get(path string) answer {
	v.t.Helper()
	req, _ := http.NewRequest("GET", v.base+path, nil)
	return v.do(req)
}

func (v *visitor) post(path string, form url.Values, origin string) answer {
	v.t.Helper()
	req, _ := http.NewRequest("POST", v.base+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if origin != "" {
		req.Header.Set("Origin", origin)
	}
	return v.do(req)
}

var (
	csrfField = regexp.MustCompile(`name="csrf" value="([^"]*)"`)
	idemField = regexp.MustCompile(`name="idem" value="([^"]*)"`)
)

func field(re *regexp.Regexp, body string) string {
	m := re.FindStringSubmatch(body)
	if m == nil {
		return ""
	}
	return m[1]
}

// submit reads a form's tokens from the page at path and posts fields to it.
func (v *visitor) submit(path string, fields url.Values) answer {
	v.t.Helper()
	page := v.get(path)
	if page.status != 200 {
		v.t.Fatalf("GET %s: %d", path, page.status)
	}
	fields.Set("csrf", field(csrfField, page.body))
	if fields.Get("idem") == "" {
		fields.Set("idem", field(idemField, page.body))
	}
	return v.post(strings.SplitN(path, "?", 2)[0], fields, v.base)
}

func (v *visitor) signIn(name, pw string) answer {
	v.t.Helper()
	page := v.get("/signin")
	return v.post("/signin", url.Values{"csrf": {field(csrfField, page.body)}, "name": {name}, "password": {pw}, "next": {"/"}}, v.base)
}

func (v *visitor) cookie(name string) *http.Cookie {
	u, _ := url.Parse(v.base)
	for _, c := range v.jar.Cookies(u) {
		if c.Name == name {
			return c
		}
	}
	return nil
}

const consolePassword = "chinar leaves in autumn"

// consoleUsers makes one user per role with an API token and a password.
func consoleUsers(in *instance) map[auth.Role]string {
	tokens := map[auth.Role]string{}
	for _, r := range auth.Roles {
		tokens[r] = in.addUser(string(r))
		in.setPassword("e2e-"+string(r), consolePassword)
	}
	return tokens
}

// TestConsoleSecurity: sign-in with CSRF, session rotation (no fixation),
// cookie flags, lockout, sign-out everywhere, forms refused without the
// session's token or from another origin, and the role matrix of every
// page and every action, all against the embedded default.
func TestConsoleSecurity(t *testing.T) {
	in := start(t, embeddedEnv(t))
	tokens := consoleUsers(in)
	_ = tokens

	t.Run("GET / sends a stranger to sign in", func(t *testing.T) {
		a := in.visitor().get("/")
		if a.status != 303 || a.location != "/signin" {
			t.Fatalf("GET /: %d %q", a.status, a.location)
		}
	})

	t.Run("sign-in form needs its CSRF token and this origin", func(t *testing.T) {
		v := in.visitor()
		page := v.get("/signin")
		tok := field(csrfField, page.body)
		for _, tc := range []struct {
			name, csrf, origin string
		}{
			{"no token", "", in.base},
			{"another token", "x" + tok[1:], in.base},
			{"another site", tok, "https://evil.example"},
		} {
			a := v.post("/signin", url.Values{"csrf": {tc.csrf}, "name": {"e2e-showroom"}, "password": {consolePassword}}, tc.origin)
			if a.status != 403 || v.cookie(console.SessionCookie) != nil {
				t.Errorf("%s: %d, session cookie %v", tc.name, a.status, v.cookie(console.SessionCookie))
			}
		}
	})

	t.Run("session cookie flags; Secure behind TLS", func(t *testing.T) {
		v := in.visitor()
		page := v.get("/signin")
		req, _ := http.NewRequest("POST", in.base+"/signin", strings.NewReader(url.Values{"csrf": {field(csrfField, page.body)},
			"name": {"e2e-showroom"}, "password": {consolePassword}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("X-Forwarded-Proto", "https")
		req.Header.Set("Cookie", console.SignInCookie+"="+v.cookie(console.SignInCookie).Value)
		resp, err := http.DefaultTransport.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		var set string
		for _, c := range resp.Header.Values("Set-Cookie") {
			if strings.HasPrefix(c, console.SessionCookie+"=") {
				set = c
			}
		}
		for _, want := range []string{"HttpOnly", "SameSite=Strict", "Secure", "Path=/"} {
			if !strings.Contains(set, want) {
				t.Errorf("session cookie %q lacks %s", set, want)
			}
		}
		plain := in.visitor()
		plain.signIn("e2e-showroom", consolePassword)
		if c := plain.cookie(console.SessionCookie); c == nil {
			t.Error("no session over plain HTTP")
		}
	})

	t.Run("session fixation: a planted session is replaced and ended", func(t *testing.T) {
		attacker := in.visitor()
		if a := attacker.signIn("e2e-operations", consolePassword); a.status != 303 {
			t.Fatalf("attacker sign-in: %d %s", a.status, a.body)
		}
		planted := attacker.cookie(console.SessionCookie).Value
		victim := in.visitor()
		u, _ := url.Parse(in.base)
		victim.jar.SetCookies(u, []*http.Cookie{{Name: console.SessionCookie, Value: planted, Path: "/"}})
		if a := victim.signIn("e2e-showroom", consolePassword); a.status != 303 {
			t.Fatalf("victim sign-in: %d", a.status)
		}
		got := victim.cookie(console.SessionCookie).Value
		if got == planted {
			t.Fatal("sign-in kept the planted session token")
		}
		if a := attacker.get("/operations/orders"); a.status != 303 {
			t.Errorf("the planted session still works after the victim signed in: %d", a.status)
		}
		if a := victim.get("/showroom/products"); a.status != 200 || !strings.Contains(a.body, "e2e-showroom") {
			t.Errorf("victim's new session: %d", a.status)
		}
	})

	t.Run("forms need the session's CSRF token and this origin", func(t *testing.T) {
		v := in.visitor()
		v.signIn("e2e-showroom", consolePassword)
		page := v.get("/showroom/products/new")
		good := url.Values{"do": {"create"}, "idem": {field(idemField, page.body)}, "sku": {"CSRF-1"}, "title": {"x"}}
		for _, tc := range []struct {
			name, csrf, origin string
		}{
			{"no token", "", in.base},
			{"a sign-in token", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", in.base},
			{"another site", field(csrfField, page.body), "https://evil.example"},
		} {
			f := url.Values{}
			for k, vs := range good {
				f[k] = vs
			}
			f.Set("csrf", tc.csrf)
			if a := v.post("/showroom/products/new", f, tc.origin); a.status != 403 {
				t.Errorf("%s: %d", tc.name, a.status)
			}
		}
		if code, m := in.call(tokens[auth.RoleAdmin], "GET", "/api/v1/products?sku=CSRF-1", nil); code != 200 || len(m["items"].([]any)) != 0 {
			t.Errorf("a refused form made a product: %v", m)
		}
	})

	t.Run("lockout after five wrong passwords", func(t *testing.T) {
		v := in.visitor()
		var last answer
		for i := 0; i < 5; i++ {
			last = v.signIn("e2e-finance", "not the password")
		}
		if last.status != 429 || !strings.Contains(last.body, "locked until") {
			t.Fatalf("fifth failure: %d", last.status)
		}
		if a := v.signIn("e2e-finance", consolePassword); a.status != 429 || v.cookie(console.SessionCookie) != nil {
			t.Fatalf("the right password while locked: %d", a.status)
		}
		// An admin's new password unlocks.
		in.setPassword("e2e-finance", consolePassword)
		if a := v.signIn("e2e-finance", consolePassword); a.status != 303 {
			t.Fatalf("after a new password: %d", a.status)
		}
	})

	t.Run("sign out everywhere ends every session", func(t *testing.T) {
		a, b := in.visitor(), in.visitor()
		a.signIn("e2e-operations", consolePassword)
		b.signIn("e2e-operations", consolePassword)
		page := a.get("/account")
		if r := a.post("/signout", url.Values{"csrf": {field(csrfField, page.body)}, "everywhere": {"1"}}, in.base); r.status != 303 {
			t.Fatalf("sign out everywhere: %d", r.status)
		}
		for _, v := range []*visitor{a, b} {
			if r := v.get("/operations/orders"); r.status != 303 {
				t.Errorf("a session survived: %d", r.status)
			}
		}
	})

	t.Run("no password or session token reaches the log", func(t *testing.T) {
		v := in.visitor()
		v.signIn("e2e-admin", consolePassword)
		v.get("/operations?next=" + url.QueryEscape(consolePassword))
		tok := v.cookie(console.SessionCookie).Value
		logs := in.logs.String()
		if !strings.Contains(logs, `"msg":"console request"`) {
			t.Fatal("the console logs no requests: this check would see nothing")
		}
		for what, secret := range map[string]string{"password": consolePassword, "session token": tok, "session hash": auth.HashToken(tok), "CSRF token": auth.CSRFToken(tok)} {
			if strings.Contains(logs, secret) {
				t.Errorf("the log holds the %s", what)
			}
		}
	})

	t.Run("role matrix: the API's permission table decides every page and action", func(t *testing.T) {
		pages := console.New(console.Deps{}).Pages()
		for _, role := range auth.Roles {
			v := in.visitor()
			if a := v.signIn("e2e-"+string(role), consolePassword); a.status != 303 {
				t.Fatalf("%s sign-in: %d", role, a.status)
			}
			home := v.get("/showroom/products")
			csrf := field(csrfField, home.body)
			for _, p := range pages {
				path := strings.NewReplacer("{id}", "none", "{order}", "none").Replace(p.Path)
				a := v.get(path)
				allowed := p.Allows(role)
				if allowed && (a.status == 403 || a.status == 303) || !allowed && a.status != 403 {
					t.Errorf("%s GET %s: %d, allowed %v", role, path, a.status, allowed)
				}
				if allowed && a.status == 200 && p.Nav != "" && !strings.Contains(home.body, `href="`+p.Path+`"`) {
					t.Errorf("%s: %s is allowed but not in the menu", role, p.Path)
				}
				if !allowed && strings.Contains(home.body, `href="`+p.Path+`"`) {
					t.Errorf("%s: the menu links %s, which the role may not read", role, p.Path)
				}
				for name, act := range p.Actions {
					if !p.Allows(role) {
						continue
					}
					f := url.Values{"csrf": {csrf}, "do": {name}, "idem": {fmt.Sprintf("matrix-%s-%s-%s", role, name, strings.ReplaceAll(path, "/", "_"))}}
					a := v.post(path, f, in.base)
					if ok := auth.Allowed(role, act.Permission); !ok && a.status != 403 || ok && a.status == 403 {
						t.Errorf("%s POST %s do=%s: %d, allowed %v", role, path, name, a.status, ok)
					}
				}
			}
		}
	})
}
