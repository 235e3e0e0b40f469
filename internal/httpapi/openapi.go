package httpapi

import (
	"fmt"
	"net/http"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3gen"
	"github.com/gin-gonic/gin"

	"github.com/jkhhc/artisanbridge/internal/apperr"
	"github.com/jkhhc/artisanbridge/internal/auth"
	"github.com/jkhhc/artisanbridge/internal/civil"
	"github.com/jkhhc/artisanbridge/internal/idempotency"
)

var ginParam = regexp.MustCompile(`:([A-Za-z_]+)`)

// OpenAPI describes the API from the route table, so the description can
// never list a route that does not exist or miss one that does, and every
// body is described from the Go type the handler decodes or encodes.
func (s *Server) OpenAPI() *openapi3.T { return s.doc }

func (s *Server) openapi(c *gin.Context) {
	c.Data(http.StatusOK, "application/json; charset=utf-8", s.docJSON)
}

// OpenAPIPath turns a gin route path into the document's path template.
func OpenAPIPath(ginPath string) string { return ginParam.ReplaceAllString(ginPath, "{$1}") }

// buildOpenAPI generates the document; an error is a route table that
// names a type openapi3gen cannot describe.
func buildOpenAPI(routes []Route) (*openapi3.T, error) {
	doc := &openapi3.T{
		OpenAPI: "3.0.3",
		Info: &openapi3.Info{Title: "artisanbridge admin API", Version: "1",
			Description: "Master catalogue, inventory and marketplace middleware of the J&K handicrafts and handloom corporation. " +
				"Money is integer paise (*_paise), rates basis points (*_bp). Errors: {\"error\":{\"code\",\"message\",\"fields\"}}: " +
				"invalid_argument (400) for a malformed request, unprocessable (422) for well-formed values that are not acceptable, " +
				"with fields naming each one. Every POST honours Idempotency-Key. An unknown query parameter is refused."},
		Paths: openapi3.NewPaths(),
		Components: &openapi3.Components{
			SecuritySchemes: openapi3.SecuritySchemes{
				"bearer": &openapi3.SecuritySchemeRef{Value: openapi3.NewJWTSecurityScheme().WithBearerFormat("opaque token")},
			},
			Schemas: openapi3.Schemas{},
		},
	}
	errSchema, err := schemaFor(ErrorBody{}, true)
	if err != nil {
		return nil, err
	}
	doc.Components.Schemas["Error"] = errSchema
	for _, r := range routes {
		path := OpenAPIPath(r.Path)
		item := doc.Paths.Value(path)
		if item == nil {
			item = &openapi3.PathItem{}
			doc.Paths.Set(path, item)
		}
		op, err := operation(r, openapi3.NewSchemaRef("#/components/schemas/Error", errSchema.Value))
		if err != nil {
			return nil, fmt.Errorf("%s %s: %w", r.Method, r.Path, err)
		}
		item.SetOperation(r.Method, op)
	}
	return doc, nil
}

// pathParamDocs describe the path parameters that are not ids.
var pathParamDocs = map[string]string{
	"sha":     "a photo's SHA-256, lower-case hex (POST /api/v1/media answers it)",
	"variant": "original, amazon, flipkart, web or thumb",
	"code":    "the artisan's or cluster's code (a cluster's id works too)",
	"sku":     "the piece's SKU",
}

func operation(r Route, errRef *openapi3.SchemaRef) (*openapi3.Operation, error) {
	op := openapi3.NewOperation()
	op.Summary = r.Summary
	op.OperationID = strings.ToLower(r.Method) + strings.NewReplacer("/", "_", ":", "", ".", "_", "-", "_").Replace(r.Path)
	pathParams := ginParam.FindAllStringSubmatch(r.Path, -1)
	for _, m := range pathParams {
		doc, ok := pathParamDocs[m[1]]
		if !ok {
			doc = "an id (UUID); anything else is not found"
		}
		op.AddParameter(openapi3.NewPathParameter(m[1]).WithSchema(openapi3.NewStringSchema()).WithDescription(doc))
	}
	for _, q := range r.Query {
		p := openapi3.NewQueryParameter(q.Name).WithSchema(q.schema()).WithDescription(q.Doc)
		p.Required = q.Required
		op.AddParameter(p)
	}
	idempotent := !r.Public && r.Method == http.MethodPost
	if !r.Public {
		op.Security = &openapi3.SecurityRequirements{{"bearer": {}}}
		op.Description = "permission: " + string(r.Permission)
	}
	if idempotent {
		op.AddParameter(openapi3.NewHeaderParameter("Idempotency-Key").WithSchema(
			openapi3.NewStringSchema().WithPattern(`^[A-Za-z0-9_.:-]{8,255}$`)).
			WithDescription("a repeat with the same key and body replays the first answer"))
	}
	switch req := r.Request.(type) {
	case nil:
	case Upload:
		form := openapi3.NewObjectSchema().WithProperty("file", openapi3.NewStringSchema().WithFormat("binary")).WithRequired([]string{"file"})
		op.RequestBody = &openapi3.RequestBodyRef{Value: openapi3.NewRequestBody().WithRequired(true).
			WithContent(openapi3.Content{"multipart/form-data": openapi3.NewMediaType().WithSchema(form)})}
	case Bytes:
		content := openapi3.Content{}
		for _, mt := range req.Types {
			content[mt] = openapi3.NewMediaType().WithSchema(openapi3.NewStringSchema().WithFormat("binary"))
		}
		op.RequestBody = &openapi3.RequestBodyRef{Value: openapi3.NewRequestBody().WithRequired(true).WithContent(content)}
	default:
		schema, err := schemaFor(r.Request, false)
		if err != nil {
			return nil, err
		}
		// An action that needs nothing said (approve, send, retry) takes
		// no body at all as well as {}.
		_, nothing := r.Request.(struct{})
		op.RequestBody = &openapi3.RequestBodyRef{Value: openapi3.NewRequestBody().WithRequired(!nothing).WithJSONSchemaRef(schema)}
	}
	success := openapi3.NewResponse().WithDescription(http.StatusText(r.Status))
	success.Content = openapi3.Content{}
	if r.Response != nil {
		schema, err := schemaFor(r.Response, true)
		if err != nil {
			return nil, err
		}
		success.Content["application/json"] = openapi3.NewMediaType().WithSchemaRef(schema)
	}
	for _, mt := range r.Produces {
		success.Content[mt] = openapi3.NewMediaType().WithSchema(openapi3.NewStringSchema().WithFormat("binary"))
	}
	op.Responses = openapi3.NewResponses()
	op.Responses.Delete("default")
	op.Responses.Set(strconv.Itoa(r.Status), &openapi3.ResponseRef{Value: success})
	if idempotent {
		// A replay of an answer too large to keep points at its resource.
		ref, err := schemaFor(idempotency.Reference{}, true)
		if err != nil {
			return nil, err
		}
		seeOther := openapi3.NewResponse().WithDescription("a replay of an answer too large to keep: the resource is at Location").
			WithContent(openapi3.NewContentWithJSONSchemaRef(ref))
		op.Responses.Set(strconv.Itoa(http.StatusSeeOther), &openapi3.ResponseRef{Value: seeOther})
	}
	for _, status := range failureStatuses(r, len(pathParams) > 0, idempotent) {
		resp := openapi3.NewResponse().WithDescription(http.StatusText(status))
		if status == http.StatusServiceUnavailable && r.Response != nil {
			// readyz answers its checks either way.
			resp.Content = success.Content
		} else {
			resp.Content = openapi3.NewContentWithJSONSchemaRef(errRef)
		}
		op.Responses.Set(strconv.Itoa(status), &openapi3.ResponseRef{Value: resp})
	}
	return op, nil
}

// failureStatuses are a route's own failures and those every route of its
// kind can answer: 400 (a malformed request, an unknown query parameter)
// and 500 anywhere, 401 and 403 behind a token, 404 for a path id, and for
// an idempotent POST 409 (the key's first request still runs) and 422 (the
// key was used with another body).
func failureStatuses(r Route, hasPathID, idempotent bool) []int {
	out := append([]int{http.StatusBadRequest, http.StatusInternalServerError}, r.Errors...)
	if !r.Public {
		out = append(out, http.StatusUnauthorized, http.StatusForbidden)
	}
	if hasPathID {
		out = append(out, http.StatusNotFound)
	}
	if idempotent {
		out = append(out, http.StatusConflict, http.StatusUnprocessableEntity)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func (q Param) schema() *openapi3.Schema {
	var s *openapi3.Schema
	switch q.Type {
	case "integer":
		s = openapi3.NewIntegerSchema()
	case "boolean":
		s = openapi3.NewBoolSchema()
	case "date-time":
		s = openapi3.NewDateTimeSchema()
	default:
		s = openapi3.NewStringSchema()
	}
	for _, v := range q.Enum {
		s.Enum = append(s.Enum, v)
	}
	return s
}

// schemaFor describes v's type as encoding/json reads or writes it. Objects
// refuse properties they do not declare (decodeJSON refuses unknown
// fields, and an answer carries only its type's fields); slices and maps
// may be null; in an answer every field without omitempty is required.
func schemaFor(v any, answer bool) (*openapi3.SchemaRef, error) {
	g := openapi3gen.NewGenerator(openapi3gen.UseAllExportedFields(), openapi3gen.SchemaCustomizer(
		func(_ string, t reflect.Type, _ reflect.StructTag, s *openapi3.Schema) error {
			switch t.Kind() {
			case reflect.Slice, reflect.Map:
				s.Nullable = true // nil encodes as null; so does an absent json.RawMessage
			case reflect.Struct:
				if t == timeType {
					return nil
				}
				if t == dateType { // a plain day in India: "YYYY-MM-DD" (civil.Date's JSON)
					*s = *openapi3.NewStringSchema().WithFormat("date")
					s.Nullable = true
					return nil
				}
				s.Type = &openapi3.Types{openapi3.TypeObject}
				closed := false
				s.AdditionalProperties = openapi3.AdditionalProperties{Has: &closed}
				if answer {
					s.Required = alwaysPresent(t)
				}
			}
			if values, ok := enums[t]; ok {
				s.Enum = values
			}
			return nil
		}))
	return g.NewSchemaRefForValue(v, nil)
}

var (
	timeType = reflect.TypeFor[time.Time]()
	dateType = reflect.TypeFor[civil.Date]()
	// enums are the closed sets of values of named string types.
	enums = map[reflect.Type][]any{
		reflect.TypeFor[auth.Role]():   toAny(auth.Roles),
		reflect.TypeFor[apperr.Code](): toAny(apperr.Codes),
	}
)

// toAny lists the values of a named string type as plain strings, which
// is what a decoded JSON document holds.
func toAny[T ~string](xs []T) []any {
	out := make([]any, len(xs))
	for i, x := range xs {
		out[i] = string(x)
	}
	return out
}

// alwaysPresent lists the JSON names encoding/json always writes for t:
// exported fields without omitempty, with embedded structs flattened.
func alwaysPresent(t reflect.Type) []string {
	var out []string
	for _, f := range reflect.VisibleFields(t) {
		if !f.IsExported() || len(f.Index) > 1 && !promoted(t, f.Index) {
			continue
		}
		tag := f.Tag.Get("json")
		name, opts, _ := strings.Cut(tag, ",")
		if tag == "-" {
			continue
		}
		if f.Anonymous && name == "" && f.Type.Kind() == reflect.Struct {
			continue // its fields are promoted
		}
		if slices.Contains(strings.Split(opts, ","), "omitempty") || slices.Contains(strings.Split(opts, ","), "omitzero") {
			continue
		}
		if name == "" {
			name = f.Name
		}
		if !slices.Contains(out, name) {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}

// promoted reports whether the field at index is reached through untagged
// embedded structs only (encoding/json's promotion rule).
func promoted(t reflect.Type, index []int) bool {
	for _, i := range index[:len(index)-1] {
		f := t.Field(i)
		if !f.Anonymous || f.Tag.Get("json") != "" {
			return false
		}
		t = f.Type
		if t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
	}
	return true
}
