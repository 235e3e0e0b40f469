package httpapi

import (
	"bytes"
	"fmt"
	"sort"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/jkhhc/artisanbridge/internal/auth"
)

// APIDoc writes the API's reference for people (docs/api.md) from the same
// route table and generated document the service serves at
// GET /api/v1/openapi.json: every route with who may call it, its query
// parameters, its body's fields, its answer and its statuses. A test keeps
// the file in the repository equal to it.
func (s *Server) APIDoc() []byte {
	var b bytes.Buffer
	b.WriteString("# artisanbridge API reference\n\n")
	b.WriteString("Generated from the route table (`internal/httpapi/routes.go`) by `make docs`; the running service\n")
	b.WriteString("describes the same API at `GET /api/v1/openapi.json` (OpenAPI 3). Base path `/api/v1`, JSON, money in\n")
	b.WriteString("integer paise (`_paise`), rates in basis points (`_bp`), times RFC 3339 in UTC, plain days `YYYY-MM-DD` in\n")
	b.WriteString("India. Errors are `{\"error\":{\"code\",\"message\",\"fields\"}}`; lists are `?limit=&cursor=` answering\n")
	b.WriteString("`{\"items\",\"next_cursor\"}`; every POST honours `Idempotency-Key`.\n\n")
	b.WriteString("| route | who may | what it does |\n|---|---|---|\n")
	routes := s.routes()
	for _, r := range routes {
		fmt.Fprintf(&b, "| `%s %s` | %s | %s |\n", r.Method, r.Path, who(r), escape(r.Summary))
	}
	for _, r := range routes {
		fmt.Fprintf(&b, "\n## %s %s\n\n%s.\n\n- Who may: %s.\n", r.Method, r.Path, upperFirst(r.Summary), who(r))
		if len(r.Query) > 0 {
			b.WriteString("- Query parameters:\n")
			for _, q := range r.Query {
				line := "  - `" + q.Name + "`"
				if q.Type != "" && q.Type != "string" {
					line += " (" + q.Type + ")"
				}
				if q.Required {
					line += ", required"
				}
				if len(q.Enum) > 0 {
					line += ", one of " + strings.Join(q.Enum, ", ")
				}
				if q.Doc != "" {
					line += ": " + q.Doc
				}
				b.WriteString(line + "\n")
			}
		}
		op := s.doc.Paths.Find(OpenAPIPath(r.Path)).GetOperation(r.Method)
		if raw, ok := r.Request.(Bytes); ok {
			fmt.Fprintf(&b, "- Body: the file's bytes, sent as %s.\n", strings.Join(raw.Types, " or "))
		} else if op != nil && op.RequestBody != nil && op.RequestBody.Value != nil {
			for mt, media := range op.RequestBody.Value.Content {
				if mt == "multipart/form-data" {
					b.WriteString("- Body: a file, as multipart/form-data field `file` (CSV or XLSX).\n")
					continue
				}
				if fields := fieldList(media.Schema); fields != "" {
					fmt.Fprintf(&b, "- Body fields: %s.\n", fields)
				}
			}
		}
		if r.Response != nil {
			fmt.Fprintf(&b, "- Answer: `%T`", r.Response)
			if op != nil {
				if resp := op.Responses.Status(r.Status); resp != nil && resp.Value != nil {
					if media := resp.Value.Content.Get("application/json"); media != nil {
						if fields := fieldList(media.Schema); fields != "" {
							b.WriteString(" with " + fields)
						}
					}
				}
			}
			b.WriteString(".\n")
		}
		for _, p := range r.Produces {
			fmt.Fprintf(&b, "- Answers a file (%s).\n", p)
		}
		if op != nil {
			var codes []string
			for code := range op.Responses.Map() {
				codes = append(codes, code)
			}
			sort.Strings(codes)
			fmt.Fprintf(&b, "- Statuses: %s.\n", strings.Join(codes, ", "))
		}
	}
	return b.Bytes()
}

// who says which roles may call a route.
func who(r Route) string {
	if r.Public {
		return "anyone (no token)"
	}
	var roles []string
	for _, role := range auth.Roles {
		if auth.Allowed(role, r.Permission) {
			roles = append(roles, string(role))
		}
	}
	return strings.Join(roles, ", ") + " (`" + string(r.Permission) + "`)"
}

// fieldList names an object schema's properties, required ones marked.
func fieldList(ref *openapi3.SchemaRef) string {
	if ref == nil || ref.Value == nil || len(ref.Value.Properties) == 0 {
		return ""
	}
	required := map[string]bool{}
	for _, n := range ref.Value.Required {
		required[n] = true
	}
	names := make([]string, 0, len(ref.Value.Properties))
	for n := range ref.Value.Properties {
		names = append(names, n)
	}
	sort.Strings(names)
	for i, n := range names {
		names[i] = "`" + n + "`"
	}
	return strings.Join(names, ", ")
}

func escape(s string) string { return strings.ReplaceAll(s, "|", "\\|") }

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
