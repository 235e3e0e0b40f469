//go:build faults

package faults

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

// writtenByRequests are the tables only a person's request writes; a
// refused request must leave every one of them as it was.
var writtenByRequests = []string{"artisans", "products", "locations", "stock_movements", "users", "api_tokens", "audit_log",
	"idempotency_keys", "fee_schedules", "payout_batches", "payout_lines", "clusters", "earning_shares", "order_returns"}

var pathParam = regexp.MustCompile(`\{[a-z_]+\}`)

// fuzzing sends malformed bodies to every write route the api's OpenAPI
// document lists: broken JSON, wrong types for each field the route
// takes, bad text, huge and deeply nested values. No answer may be a 5xx,
// and a refused request must change nothing.
func fuzzing(t *testing.T, top *topology, tl *tally) {
	c := tl.client(top)
	code, doc := c.do("GET", "/api/v1/openapi.json", "", nil)
	if code != 200 {
		t.Fatalf("openapi: %d", code)
	}
	paths, _ := doc["paths"].(map[string]any)
	var routes []string
	for p := range paths {
		routes = append(routes, p)
	}
	sort.Strings(routes)
	ids := []string{top.products[0].id, top.channels["flipkart"], "01HZZZZZZZZZZZZZZZZZZZZZZZ", "x", "%00", "..%2F..", strings.Repeat("9", 300)}
	rnd := rand.New(rand.NewPCG(15, 15))
	sent := 0
	for _, p := range routes {
		ops, _ := paths[p].(map[string]any)
		for _, method := range []string{"post", "put", "patch", "delete"} {
			op, ok := ops[method].(map[string]any)
			if !ok {
				continue
			}
			for _, body := range bodiesFor(doc, op, rnd) {
				path := pathParam.ReplaceAllStringFunc(p, func(string) string { return ids[rnd.IntN(len(ids))] })
				if rnd.IntN(4) == 0 {
					path += "?channel_id=" + ids[rnd.IntN(len(ids))] + "&x=%ff"
				}
				before := top.snapshot()
				status, m, err := c.once(strings.ToUpper(method), path, top.admin, fmt.Sprintf("faults-fuzz-%d-%d", rnd.Uint64(), sent),
					body.contentType, body.raw)
				sent++
				tl.tried++
				if err != nil {
					tl.extra5xx++
					t.Errorf("%s %s (%s): no answer: %v", method, path, body.name, err)
					continue
				}
				if status >= 500 {
					tl.extra5xx++
					t.Errorf("%s %s (%s): %d %v", method, path, body.name, status, m)
					continue
				}
				if status >= 400 {
					if after := top.snapshot(); after != before {
						tl.partial++
						t.Errorf("%s %s (%s) was refused (%d) and changed the tables: %s -> %s", method, path, body.name, status, before, after)
					}
				}
			}
		}
	}
	// The public payout webhook, without a token.
	for _, b := range malformed() {
		status, _, err := c.once("POST", "/webhooks/payouts/razorpayx", "", "", b.contentType, b.raw)
		tl.tried++
		if err != nil || status >= 500 {
			tl.extra5xx++
			t.Errorf("webhook (%s): %d %v", b.name, status, err)
		}
	}
	t.Logf("%d malformed requests to %d routes", sent, len(routes))
}

// snapshot counts the rows of writtenByRequests.
func (top *topology) snapshot() string {
	top.t.Helper()
	var parts []string
	for _, tb := range writtenByRequests {
		parts = append(parts, "(SELECT count(*) FROM "+tb+")")
	}
	var out []int64
	err := top.query("SELECT "+strings.Join(parts, ", "), nil, func(r pgx.Rows) error {
		vals, err := r.Values()
		for _, v := range vals {
			out = append(out, v.(int64))
		}
		return err
	})
	if err != nil {
		top.t.Fatalf("snapshot: %v", err)
	}
	return fmt.Sprint(out)
}

type fuzzBody struct {
	name, contentType string
	raw               []byte
}

// malformed are bodies no route accepts.
func malformed() []fuzzBody {
	j := func(name, s string) fuzzBody {
		return fuzzBody{name: name, contentType: "application/json", raw: []byte(s)}
	}
	return []fuzzBody{
		{name: "no body", contentType: "application/json"},
		j("empty", ""),
		j("truncated", `{"name":`),
		j("null", "null"),
		j("array", "[]"),
		j("string", `"x"`),
		j("trailing garbage", `{}{}`),
		j("NUL", "{\"name\":\"a\u0000b\",\"sku\":\"\\u0000\"}"),
		j("invalid UTF-8", "{\"name\":\"\xff\xfe\",\"code\":\"\xc3\x28\"}"),
		j("huge number", `{"quantity":1e400,"version":99999999999999999999999}`),
		j("negative overflow", `{"quantity":-9223372036854775809,"price_paise":-1}`),
		j("deep nesting", strings.Repeat("[", 100000)+strings.Repeat("]", 100000)),
		j("duplicate keys", `{"quantity":1,"quantity":"one"}`),
		j("2 MiB", `{"name":"`+strings.Repeat("a", 2<<20)+`"}`),
		{name: "form", contentType: "application/x-www-form-urlencoded", raw: []byte("a=b&c=%zz")},
		{name: "broken multipart", contentType: "multipart/form-data; boundary=xyz", raw: []byte("--xyz\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.csv\"\r\n\r\n\xff\x00,,\"\r\n")},
		{name: "multipart without boundary", contentType: "multipart/form-data", raw: []byte("garbage")},
	}
}

// bodiesFor adds to malformed() one body per field of the route's
// request schema with a value of the wrong type, and one with every
// field at an extreme.
func bodiesFor(doc map[string]any, op map[string]any, rnd *rand.Rand) []fuzzBody {
	out := malformed()
	props := requestProperties(doc, op)
	names := make([]string, 0, len(props))
	for n := range props {
		names = append(names, n)
	}
	sort.Strings(names)
	wrong := func(typ string) any {
		switch typ {
		case "string":
			return []any{1, true}
		case "integer", "number":
			return "12abc"
		case "boolean":
			return "yes"
		case "array":
			return map[string]any{"a": 1}
		case "object":
			return []any{"x"}
		}
		return map[string]any{}
	}
	extreme := func(typ string) any {
		switch typ {
		case "string":
			return strings.Repeat("\u202e\u0301☃", 2000)
		case "integer", "number":
			return []any{int64(-1) << 62, 0, -1, 1 << 62}[rnd.IntN(4)]
		case "boolean":
			return nil
		case "array":
			return []any{nil, "", -1, map[string]any{}}
		}
		return map[string]any{"": nil}
	}
	all := map[string]any{}
	for _, n := range names {
		typ, _ := props[n]["type"].(string)
		b, _ := json.Marshal(map[string]any{n: wrong(typ)})
		out = append(out, fuzzBody{name: "wrong type of " + n, contentType: "application/json", raw: b})
		all[n] = extreme(typ)
	}
	if len(all) > 0 {
		b, _ := json.Marshal(all)
		out = append(out, fuzzBody{name: "every field extreme", contentType: "application/json", raw: b})
	}
	return out
}

// requestProperties resolves the route's JSON request schema to its
// properties.
func requestProperties(doc, op map[string]any) map[string]map[string]any {
	rb, _ := op["requestBody"].(map[string]any)
	content, _ := rb["content"].(map[string]any)
	js, _ := content["application/json"].(map[string]any)
	schema, _ := js["schema"].(map[string]any)
	for i := 0; i < 5 && schema != nil; i++ {
		ref, ok := schema["$ref"].(string)
		if !ok {
			break
		}
		schema = resolve(doc, ref)
	}
	props, _ := schema["properties"].(map[string]any)
	out := map[string]map[string]any{}
	for n, v := range props {
		m, _ := v.(map[string]any)
		if ref, ok := m["$ref"].(string); ok {
			m = resolve(doc, ref)
		}
		out[n] = m
	}
	return out
}

func resolve(doc map[string]any, ref string) map[string]any {
	var cur any = doc
	for _, part := range strings.Split(strings.TrimPrefix(ref, "#/"), "/") {
		m, _ := cur.(map[string]any)
		cur = m[part]
	}
	m, _ := cur.(map[string]any)
	return m
}
