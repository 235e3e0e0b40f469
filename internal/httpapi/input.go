package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"github.com/jkhhc/artisanbridge/internal/apperr"
)

// checkInput refuses, before a handler or the idempotency store sees it,
// what no handler should have to think about: a NUL byte or invalid UTF-8
// in a path parameter, a query parameter or a JSON string (PostgreSQL
// cannot store either), a query parameter the route does not declare or
// of the wrong type, and a declared one outside its allowed values. Each
// refusal names the field. Multipart file contents are left to their
// parsers.
func (s *Server) checkInput(r Route) gin.HandlerFunc {
	declared := map[string]Param{}
	names := make([]string, 0, len(r.Query))
	for _, q := range r.Query {
		declared[q.Name] = q
		names = append(names, q.Name)
	}
	slices.Sort(names)
	_, upload := r.Request.(Upload)
	_, raw := r.Request.(Bytes)
	readsJSON := r.Request != nil && !upload && !raw
	return func(c *gin.Context) {
		if err := checkPathAndQuery(c, declared, names); err != nil {
			writeError(c, s.log, err)
			return
		}
		if readsJSON {
			body, err := readAll(c)
			if err != nil {
				writeError(c, s.log, err)
				return
			}
			if err := checkJSONText(body); err != nil {
				writeError(c, s.log, err)
				return
			}
		}
		c.Next()
	}
}

func checkPathAndQuery(c *gin.Context, declared map[string]Param, names []string) error {
	for _, p := range c.Params {
		if !cleanText(p.Value) {
			return badText(p.Key, "path parameter")
		}
	}
	values, err := url.ParseQuery(c.Request.URL.RawQuery)
	if err != nil {
		return apperr.New(apperr.Invalid, "the query string is malformed (%s): escape it as a URL query", queryProblem(err))
	}
	keys := make([]string, 0, len(values))
	for k := range values {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	fe := apperr.FieldErrors{}
	for _, k := range keys {
		if !cleanText(k) {
			return badText(k, "query parameter name")
		}
		q, ok := declared[k]
		if !ok {
			allowed := "this route takes no query parameters"
			if len(names) > 0 {
				allowed = "this route takes " + strings.Join(names, ", ")
			}
			return &apperr.Error{Code: apperr.Invalid, Message: "unknown query parameter " + strconv.Quote(k) + ": " + allowed,
				Fields: map[string]string{fieldName(k): "is not a parameter of this route; " + allowed}}
		}
		vs := values[k]
		if len(vs) > 1 {
			return &apperr.Error{Code: apperr.Invalid, Message: "query parameter " + k + " is given more than once",
				Fields: map[string]string{k: "give it once"}}
		}
		v := vs[0]
		if !cleanText(v) {
			return badText(k, "query parameter")
		}
		if problem := q.typeProblem(v); problem != "" {
			return &apperr.Error{Code: apperr.Invalid, Message: "query parameter " + k + " " + problem, Fields: map[string]string{k: problem}}
		}
		if len(q.Enum) > 0 && v != "" && !slices.Contains(q.Enum, v) {
			fe.Add(k, "must be one of %s", strings.Join(q.Enum, ", "))
		}
	}
	for _, n := range names {
		if q := declared[n]; q.Required && values.Get(n) == "" {
			fe.Add(n, "is required")
		}
	}
	return fe.Err()
}

func (q Param) typeProblem(v string) string {
	if v == "" {
		return ""
	}
	switch q.Type {
	case "integer":
		if _, err := strconv.ParseInt(v, 10, 64); err != nil {
			return "must be a whole number"
		}
	case "boolean":
		if _, err := strconv.ParseBool(v); err != nil {
			return "must be true or false"
		}
	case "date-time":
		if _, err := time.Parse(time.RFC3339, v); err != nil {
			return "must be an RFC 3339 time"
		}
	}
	return ""
}

func queryProblem(err error) string {
	var esc url.EscapeError
	if errors.As(err, &esc) {
		return "bad escape " + strconv.Quote(fieldName(string(esc)))
	}
	return "it does not parse"
}

// cleanText reports whether s is UTF-8 without NUL characters.
func cleanText(s string) bool { return utf8.ValidString(s) && !strings.ContainsRune(s, 0) }

func badText(field, what string) error {
	name := fieldName(field)
	return &apperr.Error{Code: apperr.Invalid, Message: what + " " + strconv.Quote(name) + " must be UTF-8 text without NUL characters",
		Fields: map[string]string{name: "must be UTF-8 text without NUL characters"}}
}

// fieldName makes a name taken from the request safe to echo back.
func fieldName(s string) string {
	s = strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", `\u0000`)
	if len(s) > 64 {
		s = strings.ToValidUTF8(s[:64], "") + "…"
	}
	return s
}

// checkJSONText walks a JSON body's tokens and refuses the first key or
// string holding a NUL character or invalid UTF-8 (encoding/json would
// silently turn the latter into U+FFFD), naming it by its path, such as
// credentials.app_id or images[2]. What does not parse is decodeJSON's
// to refuse, unless it fails on such a byte.
func checkJSONText(body []byte) error {
	if len(body) == 0 {
		return nil
	}
	type frame struct {
		array   bool
		wantKey bool
		key     string
		index   int
	}
	var stack []frame
	path := func(key string) string {
		var b strings.Builder
		name := func(k string) {
			if k == "" {
				return
			}
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			b.WriteString(k)
		}
		for _, f := range stack {
			if f.array {
				b.WriteString("[" + strconv.Itoa(f.index) + "]")
				continue
			}
			name(f.key)
		}
		name(key)
		if b.Len() == 0 {
			return "body"
		}
		return b.String()
	}
	advance := func() {
		if n := len(stack); n > 0 {
			if stack[n-1].array {
				stack[n-1].index++
			} else {
				stack[n-1].wantKey, stack[n-1].key = true, ""
			}
		}
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	for {
		start := dec.InputOffset()
		tok, err := dec.Token()
		if err != nil {
			if rest := body[min(start, int64(len(body))):]; !utf8.Valid(rest) || bytes.IndexByte(rest, 0) >= 0 {
				return badText(path(""), "request body field")
			}
			return nil
		}
		raw := body[start:dec.InputOffset()]
		switch v := tok.(type) {
		case json.Delim:
			switch v {
			case '{':
				stack = append(stack, frame{wantKey: true})
			case '[':
				stack = append(stack, frame{array: true})
			default:
				stack = stack[:len(stack)-1]
				advance()
			}
		case string:
			if n := len(stack); n > 0 && !stack[n-1].array && stack[n-1].wantKey {
				if !utf8.Valid(raw) || strings.ContainsRune(v, 0) {
					return badText(path(v), "request body field name")
				}
				stack[n-1].key, stack[n-1].wantKey = v, false
				continue
			}
			if !utf8.Valid(raw) || strings.ContainsRune(v, 0) {
				return badText(path(""), "request body field")
			}
			advance()
		default:
			advance()
		}
		if len(stack) == 0 && !dec.More() {
			return nil
		}
	}
}
