package httpapi

import (
	"net/http"
	"regexp"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/gin-gonic/gin"
)

var ginParam = regexp.MustCompile(`:([A-Za-z_]+)`)

// OpenAPI describes the API from the route table, so the description can
// never list a route that does not exist or miss one that does.
func (s *Server) OpenAPI() *openapi3.T {
	doc := &openapi3.T{
		OpenAPI: "3.0.3",
		Info: &openapi3.Info{Title: "artisanbridge admin API", Version: "1",
			Description: "Master catalogue, inventory and marketplace middleware of the J&K handicrafts and handloom corporation. " +
				"Money is integer paise (*_paise), rates basis points (*_bp). Errors: {\"error\":{\"code\",\"message\",\"fields\"}}."},
		Paths: openapi3.NewPaths(),
		Components: &openapi3.Components{SecuritySchemes: openapi3.SecuritySchemes{
			"bearer": &openapi3.SecuritySchemeRef{Value: openapi3.NewJWTSecurityScheme().WithBearerFormat("opaque token")},
		}},
	}
	errResp := openapi3.NewResponse().WithDescription("error in the API's error shape").
		WithJSONSchema(openapi3.NewObjectSchema().WithProperty("error", openapi3.NewObjectSchema().
			WithProperty("code", openapi3.NewStringSchema()).WithProperty("message", openapi3.NewStringSchema()).
			WithProperty("fields", openapi3.NewObjectSchema().WithAdditionalProperties(openapi3.NewStringSchema()))))
	for _, r := range s.routes() {
		path := ginParam.ReplaceAllString(r.Path, "{$1}")
		item := doc.Paths.Value(path)
		if item == nil {
			item = &openapi3.PathItem{}
			doc.Paths.Set(path, item)
		}
		op := openapi3.NewOperation()
		op.Summary = r.Summary
		op.OperationID = strings.ToLower(r.Method) + strings.NewReplacer("/", "_", ":", "", ".", "_", "-", "_").Replace(r.Path)
		op.Responses = openapi3.NewResponses()
		op.Responses.Set("200", &openapi3.ResponseRef{Value: openapi3.NewResponse().WithDescription("success")})
		op.Responses.Set("default", &openapi3.ResponseRef{Value: errResp})
		for _, m := range ginParam.FindAllStringSubmatch(r.Path, -1) {
			op.AddParameter(openapi3.NewPathParameter(m[1]).WithSchema(openapi3.NewStringSchema()))
		}
		if !r.Public {
			op.Security = &openapi3.SecurityRequirements{{"bearer": {}}}
			op.Description = "permission: " + string(r.Permission)
		}
		if r.Method == http.MethodPost {
			op.AddParameter(openapi3.NewHeaderParameter("Idempotency-Key").WithSchema(openapi3.NewStringSchema()))
		}
		item.SetOperation(r.Method, op)
	}
	return doc
}

func (s *Server) openapi(c *gin.Context) { c.JSON(http.StatusOK, s.OpenAPI()) }
