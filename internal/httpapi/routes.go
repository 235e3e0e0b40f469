package httpapi

import (
	"context"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/jkhhc/artisanbridge/internal/apperr"
	"github.com/jkhhc/artisanbridge/internal/audit"
	"github.com/jkhhc/artisanbridge/internal/auth"
	"github.com/jkhhc/artisanbridge/internal/catalog"
	"github.com/jkhhc/artisanbridge/internal/ids"
	"github.com/jkhhc/artisanbridge/internal/inventory"
)

// routes is the whole API in one table: path, permission, handler.
func (s *Server) routes() []Route {
	const p = APIPrefix
	return []Route{
		{Method: "GET", Path: "/healthz", Public: true, Summary: "the process is alive", handler: s.healthz},
		{Method: "GET", Path: "/readyz", Public: true, Summary: "database and Redis are reachable", handler: s.readyz},
		{Method: "GET", Path: "/metrics", Public: true, Summary: "Prometheus metrics", handler: gin.WrapH(s.metricsHandler())},
		{Method: "GET", Path: p + "/openapi.json", Public: true, Summary: "this API, described", handler: s.openapi},
		{Method: "GET", Path: p + "/crafts", Permission: auth.ProductsRead, Summary: "known crafts", handler: s.listCrafts},

		{Method: "POST", Path: p + "/users", Permission: auth.UsersWrite, Summary: "create a user; the token is shown once", handler: s.createUser},
		{Method: "GET", Path: p + "/users", Permission: auth.UsersRead, Summary: "list users", handler: s.listUsers},
		{Method: "POST", Path: p + "/users/:id/tokens", Permission: auth.UsersWrite, Summary: "issue another token (shown once)", handler: s.issueToken},
		{Method: "DELETE", Path: p + "/users/:id/tokens", Permission: auth.UsersWrite, Summary: "revoke every token of a user", handler: s.revokeTokens},

		{Method: "POST", Path: p + "/clusters", Permission: auth.ClustersWrite, Summary: "register a craft cluster", handler: s.createCluster},
		{Method: "GET", Path: p + "/clusters", Permission: auth.ClustersRead, Summary: "list clusters", handler: s.listClusters},

		{Method: "POST", Path: p + "/artisans", Permission: auth.ArtisansWrite, Summary: "register an artisan", handler: s.createArtisan},
		{Method: "GET", Path: p + "/artisans", Permission: auth.ArtisansRead, Summary: "list artisans", handler: s.listArtisans},
		{Method: "GET", Path: p + "/artisans/:id", Permission: auth.ArtisansRead, Summary: "one artisan", handler: s.getArtisan},
		{Method: "PATCH", Path: p + "/artisans/:id", Permission: auth.ArtisansWrite, Summary: "change an artisan (with version)", handler: s.patchArtisan},

		{Method: "POST", Path: p + "/products", Permission: auth.ProductsWrite, Summary: "add a product", handler: s.createProduct},
		{Method: "GET", Path: p + "/products", Permission: auth.ProductsRead, Summary: "list products", handler: s.listProducts},
		{Method: "GET", Path: p + "/products/:id", Permission: auth.ProductsRead, Summary: "one product", handler: s.getProduct},
		{Method: "PATCH", Path: p + "/products/:id", Permission: auth.ProductsWrite, Summary: "change a product (with version)", handler: s.patchProduct},
		{Method: "POST", Path: p + "/products/import", Permission: auth.ProductsWrite, Summary: "import products from CSV or XLSX (multipart field file)",
			handler: s.importProducts, bodyLimit: catalog.MaxImportBytes + 64<<10},

		{Method: "POST", Path: p + "/locations", Permission: auth.LocationsWrite, Summary: "add a stock location", handler: s.createLocation},
		{Method: "GET", Path: p + "/locations", Permission: auth.LocationsRead, Summary: "list locations", handler: s.listLocations},

		{Method: "GET", Path: p + "/stock", Permission: auth.StockRead, Summary: "stock levels", handler: s.listStock},
		{Method: "POST", Path: p + "/stock/movements", Permission: auth.StockWrite, Summary: "record a stock movement", handler: s.createMovement},
		{Method: "GET", Path: p + "/stock/movements", Permission: auth.StockRead, Summary: "list stock movements", handler: s.listMovements},

		{Method: "GET", Path: p + "/audit", Permission: auth.AuditRead, Summary: "the audit log", handler: s.listAudit},
		{Method: "GET", Path: p + "/jobs/queues", Permission: auth.JobsRead, Summary: "job queue sizes and failures", handler: s.listQueues},
	}
}

func (s *Server) healthz(c *gin.Context) { c.JSON(http.StatusOK, gin.H{"status": "ok"}) }

func (s *Server) readyz(c *gin.Context) {
	ctx, cancel := context.WithTimeout(c.Request.Context(), 3*time.Second)
	defer cancel()
	checks := gin.H{}
	ok := true
	for name, check := range s.Ready {
		if err := check(ctx); err != nil {
			ok = false
			checks[name] = "unreachable"
			s.log.WarnContext(ctx, "readiness check failed", "check", name, "err", err)
			continue
		}
		checks[name] = "ok"
	}
	status := http.StatusOK
	if !ok {
		status = http.StatusServiceUnavailable
	}
	c.JSON(status, gin.H{"ready": ok, "checks": checks})
}

func (s *Server) metricsHandler() http.Handler {
	if s.Metrics != nil {
		return s.Metrics
	}
	return http.NotFoundHandler()
}

func (s *Server) listCrafts(c *gin.Context) {
	c.JSON(http.StatusOK, gin.H{"items": s.Catalog.Crafts().Names()})
}

// UserCreated is the answer to POST /users: the token appears only here.
type UserCreated struct {
	auth.User
	Token string `json:"token"`
}

func (s *Server) createUser(c *gin.Context) {
	var in auth.NewUser
	if err := decodeJSON(c, &in); err != nil {
		writeError(c, s.log, err)
		return
	}
	u, token, err := s.auth.CreateUser(c.Request.Context(), in)
	s.respond(c, http.StatusCreated, UserCreated{User: u, Token: token}, err)
}

func (s *Server) listUsers(c *gin.Context) {
	p, err := pageRequest(c)
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	page, err := s.auth.ListUsers(c.Request.Context(), p)
	s.respond(c, http.StatusOK, page, err)
}

func (s *Server) issueToken(c *gin.Context) {
	id, err := pathID(c)
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	token, err := s.auth.IssueToken(c.Request.Context(), id)
	s.respond(c, http.StatusCreated, gin.H{"user_id": id, "token": token}, err)
}

func (s *Server) revokeTokens(c *gin.Context) {
	id, err := pathID(c)
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	n, err := s.auth.RevokeTokens(c.Request.Context(), id)
	s.respond(c, http.StatusOK, gin.H{"user_id": id, "revoked": n}, err)
}

func (s *Server) createCluster(c *gin.Context) {
	var in catalog.NewCluster
	if err := decodeJSON(c, &in); err != nil {
		writeError(c, s.log, err)
		return
	}
	out, err := s.Catalog.CreateCluster(c.Request.Context(), in)
	s.respond(c, http.StatusCreated, out, err)
}

func (s *Server) listClusters(c *gin.Context) {
	p, err := pageRequest(c)
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	page, err := s.Catalog.ListClusters(c.Request.Context(), p)
	s.respond(c, http.StatusOK, page, err)
}

func (s *Server) createArtisan(c *gin.Context) {
	var in catalog.ArtisanInput
	if err := decodeJSON(c, &in); err != nil {
		writeError(c, s.log, err)
		return
	}
	out, err := s.Catalog.CreateArtisan(c.Request.Context(), in)
	s.respond(c, http.StatusCreated, out, err)
}

func (s *Server) listArtisans(c *gin.Context) {
	p, err := pageRequest(c)
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	f := catalog.ArtisanFilter{ClusterID: c.Query("cluster_id"), Craft: c.Query("craft"), Status: c.Query("status")}
	page, err := s.Catalog.ListArtisans(c.Request.Context(), f, p)
	s.respond(c, http.StatusOK, page, err)
}

// pathID reads :id and refuses what cannot be an id with 404, since no
// resource could have it.
func pathID(c *gin.Context) (string, error) {
	id := c.Param("id")
	if !ids.Valid(id) {
		return "", apperr.New(apperr.NotFound, "no resource has id %q", truncate(id, 64))
	}
	return id, nil
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

func (s *Server) getArtisan(c *gin.Context) {
	id, err := pathID(c)
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	out, err := s.Catalog.GetArtisan(c.Request.Context(), id)
	s.respond(c, http.StatusOK, out, err)
}

func (s *Server) patchArtisan(c *gin.Context) {
	id, err := pathID(c)
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	var in catalog.ArtisanInput
	if err := decodeJSON(c, &in); err != nil {
		writeError(c, s.log, err)
		return
	}
	out, err := s.Catalog.UpdateArtisan(c.Request.Context(), id, in)
	s.respond(c, http.StatusOK, out, err)
}

func (s *Server) createProduct(c *gin.Context) {
	var in catalog.ProductInput
	if err := decodeJSON(c, &in); err != nil {
		writeError(c, s.log, err)
		return
	}
	out, err := s.Catalog.CreateProduct(c.Request.Context(), in)
	s.respond(c, http.StatusCreated, out, err)
}

func (s *Server) listProducts(c *gin.Context) {
	p, err := pageRequest(c)
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	f := catalog.ProductFilter{ArtisanID: c.Query("artisan_id"), Craft: c.Query("craft"), Status: c.Query("status"), SKU: c.Query("sku")}
	page, err := s.Catalog.ListProducts(c.Request.Context(), f, p)
	s.respond(c, http.StatusOK, page, err)
}

func (s *Server) getProduct(c *gin.Context) {
	id, err := pathID(c)
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	out, err := s.Catalog.GetProduct(c.Request.Context(), id)
	s.respond(c, http.StatusOK, out, err)
}

func (s *Server) patchProduct(c *gin.Context) {
	id, err := pathID(c)
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	var in catalog.ProductInput
	if err := decodeJSON(c, &in); err != nil {
		writeError(c, s.log, err)
		return
	}
	if in.ArtisanCode != nil {
		writeError(c, s.log, &apperr.Error{Code: apperr.Invalid, Message: "artisan_code is for imports; use artisan_id",
			Fields: map[string]string{"artisan_code": "not accepted on update"}, Status: 422})
		return
	}
	out, err := s.Catalog.UpdateProduct(c.Request.Context(), id, in)
	s.respond(c, http.StatusOK, out, err)
}

// importProducts takes multipart field "file" (CSV or XLSX). With
// ?valid_only=true the valid rows are imported and the invalid ones listed.
func (s *Server) importProducts(c *gin.Context) {
	validOnly, err := strconv.ParseBool(c.DefaultQuery("valid_only", "false"))
	if err != nil {
		writeError(c, s.log, &apperr.Error{Code: apperr.Invalid, Message: "valid_only must be true or false",
			Fields: map[string]string{"valid_only": "must be true or false"}})
		return
	}
	fh, err := c.FormFile("file")
	if err != nil {
		writeError(c, s.log, apperr.New(apperr.Invalid, "send the file as multipart/form-data field \"file\" (at most %d MiB)", catalog.MaxImportBytes>>20))
		return
	}
	if fh.Size > catalog.MaxImportBytes {
		writeError(c, s.log, apperr.New(apperr.Invalid, "the file is larger than %d MiB", catalog.MaxImportBytes>>20))
		return
	}
	f, err := fh.Open()
	if err != nil {
		writeError(c, s.log, apperr.New(apperr.Invalid, "the uploaded file could not be read"))
		return
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, catalog.MaxImportBytes+1))
	if err != nil {
		writeError(c, s.log, apperr.New(apperr.Invalid, "the uploaded file could not be read"))
		return
	}
	rows, err := catalog.ParseImportFile(data)
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	res, err := s.Catalog.ImportProducts(c.Request.Context(), rows, validOnly)
	s.respond(c, http.StatusOK, res, err)
}

func (s *Server) createLocation(c *gin.Context) {
	var in inventory.NewLocation
	if err := decodeJSON(c, &in); err != nil {
		writeError(c, s.log, err)
		return
	}
	out, err := s.Inventory.CreateLocation(c.Request.Context(), in)
	s.respond(c, http.StatusCreated, out, err)
}

func (s *Server) listLocations(c *gin.Context) {
	p, err := pageRequest(c)
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	page, err := s.Inventory.ListLocations(c.Request.Context(), p)
	s.respond(c, http.StatusOK, page, err)
}

func (s *Server) listStock(c *gin.Context) {
	p, err := pageRequest(c)
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	f := inventory.LevelFilter{ProductID: c.Query("product_id"), LocationID: c.Query("location_id")}
	page, err := s.Inventory.ListLevels(c.Request.Context(), f, p)
	s.respond(c, http.StatusOK, page, err)
}

func (s *Server) createMovement(c *gin.Context) {
	var in inventory.MovementInput
	if err := decodeJSON(c, &in); err != nil {
		writeError(c, s.log, err)
		return
	}
	out, err := s.Inventory.RecordMovement(c.Request.Context(), in)
	s.respond(c, http.StatusCreated, out, err)
}

func (s *Server) listMovements(c *gin.Context) {
	p, err := pageRequest(c)
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	f := inventory.MovementFilter{ProductID: c.Query("product_id"), LocationID: c.Query("location_id"), Kind: c.Query("kind")}
	page, err := s.Inventory.ListMovements(c.Request.Context(), f, p)
	s.respond(c, http.StatusOK, page, err)
}

func (s *Server) listAudit(c *gin.Context) {
	p, err := pageRequest(c)
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	f := audit.Filter{Resource: c.Query("resource"), ResourceID: c.Query("resource_id"), ActorID: c.Query("actor_id")}
	page, err := s.Audit.ListAudit(c.Request.Context(), f, p)
	s.respond(c, http.StatusOK, page, err)
}

func (s *Server) listQueues(c *gin.Context) {
	qs, err := s.Queues(c.Request.Context())
	if err != nil {
		writeError(c, s.log, apperr.Wrap(err, apperr.Internal, "queue inspection failed"))
		return
	}
	var pending int64
	if s.OutboxQueued != nil {
		pending, err = s.OutboxQueued(c.Request.Context())
		if err != nil {
			writeError(c, s.log, err)
			return
		}
	}
	c.JSON(http.StatusOK, gin.H{"items": qs, "outbox_unsent": pending})
}
