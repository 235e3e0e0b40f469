package httpapi_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/jkhhc/artisanbridge/internal/ids"
	"github.com/jkhhc/artisanbridge/internal/testenv"
)

// hostile is one request built from a valid step by spoiling one part of
// it: a path id, a query parameter, a body field, the whole body or an
// uploaded file.
type hostile struct {
	what   string
	method string
	target string // path and query, escaped
	body   []byte
	ctype  string
	as     string // the token
}

// badValues replace one JSON field: wrong types, numbers no int64 holds,
// negative and zero numbers, NUL and bad UTF-8, long strings, deep nesting.
var badValues = []string{
	`null`, `true`, `0`, `-1`, `0.5`, `1e400`, `-1e400`, `9223372036854775808`, `-9223372036854775809`, `99999999999999999999999999`,
	`""`, `"x"`, `"\u0000"`, "\"caf\xe9\"", `"` + strings.Repeat("a", 100_000) + `"`, `[]`, `{}`, `[1,"a",null,{}]`, `{"a":{"b":{"c":[[]]}}}`,
	strings.Repeat("[", 5000) + strings.Repeat("]", 5000), `"2026-13-45T99:99:99Z"`, `"../../etc/passwd"`, `"<script>alert(1)</script>"`,
}

// badBodies replace a whole JSON body.
var badBodies = []string{"", "null", "[]", `"x"`, "1", "{", `{"a":`, `{"no_such_field":1}`, `{"x":1} {"y":2}`, "\xff\xfe\xfd",
	strings.Repeat(`{"a":`, 3000) + "1" + strings.Repeat("}", 3000), `{"` + strings.Repeat("k", 70_000) + `":1}`}

// badSegments replace one path id.
var badSegments = []string{"not-an-id", "%00", "%ff%fe", "-1", "99999999999999999999", "%2e%2e", strings.Repeat("9", 5000), "00000000-0000-0000-0000-000000000000"}

// badQueryValues replace one query parameter's value.
var badQueryValues = []string{"", "%00", "%ff", "-1", "0", "1e400", "99999999999999999999", "true", "%zz", "bm90LWEtY3Vyc29y", "!!!", strings.Repeat("q", 10_000)}

// badFiles replace an uploaded file.
var badFiles = [][]byte{nil, []byte("\x00\x00\x00"), []byte("\xff\xfe\xfd garbage"), []byte("PK\x03\x04not really a zip"),
	[]byte("a,b,c\n"), []byte(strings.Repeat("x,", 5000) + "\n1\n"), []byte("Reference,UTR,Status\nR\x00,U,paid\n")}

// hostiles spoils st in every way above. A fresh unknown id stands for
// "a well-formed id of nothing".
func (w *world) hostiles(st step) []hostile {
	w.t.Helper()
	req := w.request(st)
	method := req.Method
	token := req.Header.Get("Authorization")
	body, _ := io.ReadAll(req.Body)
	ctype := req.Header.Get("Content-Type")
	path, query := req.URL.EscapedPath(), req.URL.RawQuery
	join := func(p, q string) string {
		if q == "" {
			return p
		}
		return p + "?" + q
	}
	var out []hostile
	add := func(what, target string, body []byte, ctype string) {
		out = append(out, hostile{what: what, method: method, target: target, body: body, ctype: ctype, as: token})
	}
	// Path ids: each segment that is an id in the valid request.
	segs := strings.Split(path, "/")
	for i, seg := range segs {
		if !ids.Valid(seg) {
			continue
		}
		for _, bad := range append(badSegments, ids.New()) {
			spoilt := append([]string{}, segs...)
			spoilt[i] = bad
			add("path segment "+fmt.Sprint(i)+" = "+short(bad), join(strings.Join(spoilt, "/"), query), body, ctype)
		}
	}
	// Query: each parameter the route declares spoilt (added when the
	// valid request leaves it out), an unknown one, a repeated one.
	present := paramNames(query)
	for _, r := range w.srv.Routes() {
		if r.Method+" "+r.Path != st.route {
			continue
		}
		for _, q := range r.Query {
			for _, bad := range badQueryValues {
				spoilt := replaceParam(query, q.Name, bad)
				if !slices.Contains(present, q.Name) {
					spoilt = strings.TrimPrefix(query+"&"+q.Name+"="+bad, "&")
				}
				add("query "+q.Name+" = "+short(bad), join(path, spoilt), body, ctype)
			}
			add("query "+q.Name+" twice", join(path, strings.TrimPrefix(query+"&"+q.Name+"=x&"+q.Name+"=y", "&")), body, ctype)
		}
	}
	unknown := "no_such_param=1"
	if query != "" {
		unknown = query + "&" + unknown
	}
	add("unknown query parameter", join(path, unknown), body, ctype)
	target := join(path, query)
	switch {
	case strings.HasPrefix(ctype, "multipart/"):
		for i, f := range badFiles {
			b, ct := multipartFile(f)
			add("file "+fmt.Sprint(i), target, b, ct)
		}
		add("JSON instead of a file", target, []byte(`{"file":"x"}`), "application/json")
	case len(body) > 0:
		for _, bad := range badBodies {
			add("body = "+short(bad), target, []byte(bad), ctype)
		}
		for _, field := range fieldPaths(w.t, body) {
			for _, bad := range badValues {
				add("field "+field+" = "+short(bad), target, replaceField(w.t, body, field, bad), ctype)
			}
		}
	}
	return out
}

// send runs one hostile request: never a 500, always an answer the
// OpenAPI document describes (serve checks it: an error in the error
// shape), and a refusal writes nothing to any table.
func (w *world) send(h hostile) {
	w.t.Helper()
	before := w.rowCounts()
	u, err := url.ParseRequestURI(h.target)
	if err != nil {
		// net/http refuses a target it cannot parse before any handler runs.
		return
	}
	req := httptest.NewRequest(h.method, "/", bytes.NewReader(h.body))
	req.URL, req.RequestURI = u, h.target
	if h.ctype != "" {
		req.Header.Set("Content-Type", h.ctype)
	}
	if h.as != "" {
		req.Header.Set("Authorization", h.as)
	}
	r := w.serve(req)
	if r.Status >= 500 {
		w.t.Errorf("%s %s (%s): %d %.300s", h.method, short(h.target), h.what, r.Status, r.Body)
		return
	}
	if r.Status < 400 {
		return
	}
	var e struct {
		Error struct{ Code, Message string } `json:"error"`
	}
	if err := json.Unmarshal(r.Body, &e); err != nil && r.Status != http.StatusMovedPermanently && r.Status != http.StatusTemporaryRedirect &&
		r.Status != http.StatusPermanentRedirect {
		w.t.Errorf("%s %s (%s): %d is not in the error shape: %.300s", h.method, short(h.target), h.what, r.Status, r.Body)
	}
	after := w.rowCounts()
	for tb, n := range before {
		if after[tb] != n {
			w.t.Errorf("%s %s (%s) was refused with %d but changed %s from %d to %d rows", h.method, short(h.target), h.what, r.Status, tb, n, after[tb])
		}
	}
}

// TestHostileRequests is acceptance 5's deterministic sweep: every route
// of the walk, on both backends, with each of its path ids, query
// parameters, body fields, whole body or file spoilt in every way above.
// FuzzRequestBodies explores further from the same requests.
func TestHostileRequests(t *testing.T) {
	for _, b := range testenv.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t, b)
			sent := 0
			for _, st := range steps() {
				for _, h := range w.hostiles(st) {
					w.send(h)
					sent++
				}
				// Then the valid request, so the next steps find what it made.
				req := w.request(st)
				if r := w.serve(req); r.Status == st.want && st.after != nil {
					st.after(w, r)
				}
			}
			if sent < 2000 {
				t.Fatalf("only %d hostile requests", sent)
			}
			t.Logf("%d hostile requests", sent)
		})
	}
}

// FuzzRequestBodies: from any route of the walk, a fuzzed path id, query
// string and body (or file) never get a 500, always an answer in the
// error shape or the success the document describes, and a refusal leaves
// every table as it was; each input runs on both backends.
func FuzzRequestBodies(f *testing.F) {
	f.Add(uint16(0), "", "", []byte(nil))
	for i, st := range steps() {
		f.Add(uint16(i), "", "", []byte(nil))
		if strings.Contains(st.route, ":") {
			f.Add(uint16(i), "\x00", "", []byte(nil))
		}
		f.Add(uint16(i), "", "limit=1e400&cursor=%ff", []byte(`{"version":-1}`))
	}
	for _, s := range append(append([]string{}, badBodies[:10]...), `{"sku":"FZ-1","mrp_paise":1e400}`, `{"images":[1,2,3]}`,
		`{"attributes":{"colour":"\u0000"}}`, `{"quantity":-9223372036854775808}`) {
		f.Add(uint16(5+len(s)%7), "", "", []byte(s))
	}
	var worlds []*world
	for _, b := range testenv.Backends() {
		worlds = append(worlds, newWorld(f, b))
	}
	all := steps()
	for _, w := range worlds {
		for _, st := range all {
			req := w.request(st)
			if r := w.serve(req); r.Status == st.want && st.after != nil {
				st.after(w, r)
			}
		}
	}
	f.Fuzz(func(t *testing.T, route uint16, segment, query string, body []byte) {
		st := all[int(route)%len(all)]
		for _, w := range worlds {
			w.t = t
			req := w.request(st)
			token := req.Header.Get("Authorization")
			valid, _ := io.ReadAll(req.Body)
			h := hostile{what: "fuzzed", method: req.Method, target: req.URL.EscapedPath(), as: token, ctype: req.Header.Get("Content-Type"), body: valid}
			if segment != "" {
				segs := strings.Split(h.target, "/")
				for i := len(segs) - 1; i >= 0; i-- {
					if ids.Valid(segs[i]) {
						segs[i] = urlEscape(segment)
						break
					}
				}
				h.target = strings.Join(segs, "/")
			}
			if query != "" {
				h.target += "?" + query
			} else if req.URL.RawQuery != "" {
				h.target += "?" + req.URL.RawQuery
			}
			if body != nil {
				if strings.HasPrefix(h.ctype, "multipart/") {
					h.body, h.ctype = multipartFile(body)
				} else {
					h.body, h.ctype = body, "application/json"
				}
			}
			w.send(h)
		}
	})
}

func multipartFile(data []byte) ([]byte, string) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fw, _ := mw.CreateFormFile("file", "upload.csv")
	_, _ = fw.Write(data)
	_ = mw.Close()
	return buf.Bytes(), mw.FormDataContentType()
}

func short(s string) string {
	if len(s) > 100 {
		return fmt.Sprintf("%q… (%d bytes)", s[:100], len(s))
	}
	return fmt.Sprintf("%q", s)
}

var unreserved = regexp.MustCompile(`^[A-Za-z0-9._~-]*$`)

func urlEscape(s string) string {
	if unreserved.MatchString(s) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		fmt.Fprintf(&b, "%%%02X", s[i])
	}
	return b.String()
}

func paramNames(query string) []string {
	var names []string
	for _, kv := range strings.Split(query, "&") {
		if name, _, _ := strings.Cut(kv, "="); name != "" {
			names = append(names, name)
		}
	}
	return names
}

func replaceParam(query, name, value string) string {
	parts := strings.Split(query, "&")
	for i, kv := range parts {
		if n, _, _ := strings.Cut(kv, "="); n == name {
			parts[i] = name + "=" + value
		}
	}
	return strings.Join(parts, "&")
}

// fieldPaths lists a JSON object's fields, and one level into objects and
// the first element of arrays, as dotted paths.
func fieldPaths(t testing.TB, body []byte) []string {
	t.Helper()
	var m map[string]any
	if json.Unmarshal(body, &m) != nil {
		return nil
	}
	var out []string
	for k, v := range m {
		out = append(out, k)
		switch x := v.(type) {
		case map[string]any:
			for k2 := range x {
				out = append(out, k+"."+k2)
			}
		case []any:
			if len(x) > 0 {
				out = append(out, k+".0")
			}
		}
	}
	sort.Strings(out)
	return out
}

const placeholder = "\x01spoilt\x01"

// replaceField sets the field at path to the raw JSON text bad, which
// need not be valid JSON nor representable in Go.
func replaceField(t testing.TB, body []byte, path, bad string) []byte {
	t.Helper()
	var m any
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatal(err)
	}
	keys := strings.Split(path, ".")
	cur := m
	for i, k := range keys {
		last := i == len(keys)-1
		switch x := cur.(type) {
		case map[string]any:
			if last {
				x[k] = placeholder
			} else {
				cur = x[k]
			}
		case []any:
			if last {
				x[0] = placeholder
			} else {
				cur = x[0]
			}
		}
	}
	raw, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	quoted, _ := json.Marshal(placeholder)
	return bytes.Replace(raw, quoted, []byte(bad), 1)
}
