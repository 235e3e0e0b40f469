package httpapi_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/jkhhc/artisanbridge/internal/auth"
	"github.com/jkhhc/artisanbridge/internal/ids"
	"github.com/jkhhc/artisanbridge/internal/testenv"
)

// policy is the permission table of API.md ("Roles"), written out route by
// route and independently of package auth. A route gin serves that is not
// listed here fails the test: every route must have a rule.
var policy = map[string][]auth.Role{
	"GET /healthz":                                     nil, // public
	"POST /webhooks/payouts/:provider":                 nil, // public, signed
	"POST /webhooks/flipkart":                          nil, // public, signed
	"GET /readyz":                                      nil,
	"GET /api/v1/openapi.json":                         nil,
	"GET /api/v1/crafts":                               {"admin", "showroom", "operations", "finance"},
	"POST /api/v1/users":                               {"admin"},
	"GET /api/v1/users":                                {"admin"},
	"POST /api/v1/users/:id/tokens":                    {"admin"},
	"DELETE /api/v1/users/:id/tokens":                  {"admin"},
	"POST /api/v1/clusters":                            {"admin", "showroom"},
	"GET /api/v1/clusters":                             {"admin", "showroom", "operations", "finance"},
	"POST /api/v1/artisans":                            {"admin", "showroom"},
	"GET /api/v1/artisans":                             {"admin", "showroom", "operations", "finance"},
	"GET /api/v1/artisans/:id":                         {"admin", "showroom", "operations", "finance"},
	"PATCH /api/v1/artisans/:id":                       {"admin", "showroom"},
	"POST /api/v1/products":                            {"admin", "showroom"},
	"GET /api/v1/products":                             {"admin", "showroom", "operations", "finance"},
	"GET /api/v1/products/:id":                         {"admin", "showroom", "operations", "finance"},
	"GET /api/v1/gis":                                  {"admin", "showroom", "operations", "finance"},
	"POST /api/v1/media":                               {"admin", "showroom"},
	"POST /api/v1/media/uploads":                       {"admin", "showroom"},
	"GET /api/v1/media/uploads/:id":                    {"admin", "showroom"},
	"PATCH /api/v1/media/uploads/:id":                  {"admin", "showroom"},
	"GET /api/v1/media/:sha":                           {"admin", "showroom", "operations", "finance"},
	"GET /media/:sha":                                  nil, // public
	"GET /media/:sha/:variant":                         nil, // public
	"GET /artisans/:code":                              nil, // public
	"GET /clusters/:code":                              nil, // public
	"GET /pieces/:sku":                                 nil, // public
	"GET /api/v1/products/:id/tag":                     {"admin", "showroom", "operations", "finance"},
	"PATCH /api/v1/products/:id":                       {"admin", "showroom"},
	"POST /api/v1/products/import":                     {"admin", "showroom"},
	"POST /api/v1/artisans/import":                     {"admin", "showroom"},
	"GET /api/v1/imports/:id":                          {"admin", "showroom", "operations", "finance"},
	"GET /api/v1/imports/:id/errors":                   {"admin", "showroom", "operations", "finance"},
	"POST /api/v1/locations":                           {"admin"},
	"GET /api/v1/locations":                            {"admin", "showroom", "operations"},
	"GET /api/v1/stock":                                {"admin", "showroom", "operations"},
	"POST /api/v1/stock/movements":                     {"admin", "showroom"},
	"GET /api/v1/stock/movements":                      {"admin", "showroom", "operations"},
	"GET /api/v1/channels":                             {"admin", "showroom", "operations", "finance"},
	"GET /api/v1/channels/:id":                         {"admin", "showroom", "operations", "finance"},
	"PATCH /api/v1/channels/:id":                       {"admin"},
	"GET /api/v1/fulfilment-tasks":                     {"admin", "showroom", "operations"},
	"POST /api/v1/fulfilment-tasks/:id/transition":     {"admin", "showroom", "operations"},
	"POST /api/v1/showroom-sales":                      {"admin", "showroom"},
	"GET /api/v1/orders":                               {"admin", "showroom", "operations", "finance"},
	"GET /api/v1/orders/:id":                           {"admin", "showroom", "operations", "finance"},
	"POST /api/v1/orders/:id/cancel":                   {"admin", "operations"},
	"POST /api/v1/orders/:id/returns":                  {"admin", "operations"},
	"POST /api/v1/channels/:id/orders/rescan":          {"admin", "operations"},
	"POST /api/v1/channels/:id/orders/import":          {"admin", "operations"},
	"POST /api/v1/channels/:id/listings/import":        {"admin", "operations"},
	"GET /api/v1/channels/:id/files":                   {"admin", "showroom", "operations"},
	"GET /api/v1/channels/:id/files/:file_id":          {"admin", "showroom", "operations"},
	"PUT /api/v1/products/:id/listings/:channel_id":    {"admin", "showroom"},
	"DELETE /api/v1/products/:id/listings/:channel_id": {"admin", "showroom"},
	"GET /api/v1/listings":                             {"admin", "showroom", "operations"},
	"POST /api/v1/listings/:id/retry":                  {"admin", "showroom"},
	"GET /api/v1/exceptions":                           {"admin", "operations", "finance"},
	"POST /api/v1/exceptions/:id/resolve":              {"admin", "operations", "finance"},
	"POST /api/v1/exceptions/:id/retry":                {"admin", "operations", "finance"},
	"POST /api/v1/exceptions/:id/assign":               {"admin", "operations", "finance"},
	"POST /api/v1/reconciliations":                     {"admin", "operations"},
	"GET /api/v1/reconciliations/:id":                  {"admin", "operations"},
	"POST /api/v1/fee-schedules":                       {"admin", "finance"},
	"POST /api/v1/payout-batches":                      {"admin", "finance"},
	"POST /api/v1/artisans/:id/advances":               {"admin", "finance"},
	"PUT /api/v1/products/:id/earning-shares":          {"admin", "showroom"},
	"GET /api/v1/products/:id/earning-shares":          {"admin", "showroom", "operations", "finance"},
	"GET /api/v1/channels/:id/statement":               {"admin", "finance"},
	"GET /api/v1/payout-batches":                       {"admin", "finance"},
	"GET /api/v1/payout-batches/:id":                   {"admin", "finance"},
	"POST /api/v1/payout-batches/:id/approve":          {"admin", "finance"},
	"POST /api/v1/payout-batches/:id/send":             {"admin", "finance"},
	"GET /api/v1/payout-batches/:id/bank-file":         {"admin", "finance"},
	"POST /api/v1/payout-batches/:id/mark-paid":        {"admin", "finance"},
	"GET /api/v1/fee-schedules":                        {"admin", "finance"},
	"POST /api/v1/settlements/import":                  {"admin", "finance"},
	"POST /api/v1/settlements/pull":                    {"admin", "finance"},
	"GET /api/v1/ledger/trial-balance":                 {"admin", "finance"},
	"GET /api/v1/ledger/accounts":                      {"admin", "finance"},
	"GET /api/v1/payout-batches/:id/lines":             {"admin", "finance"},
	"GET /api/v1/artisans/:id/statement":               {"admin", "finance"},
	"GET /api/v1/audit":                                {"admin"},
	"GET /api/v1/jobs/queues":                          {"admin", "operations"},
}

var public = map[string]bool{"GET /healthz": true, "GET /readyz": true, "GET /api/v1/openapi.json": true,
	"POST /webhooks/payouts/:provider": true, "POST /webhooks/flipkart": true, // signed by the provider or marketplace instead
	"GET /media/:sha": true, "GET /media/:sha/:variant": true,
	"GET /artisans/:code": true, "GET /clusters/:code": true, "GET /pieces/:sku": true}

// TestPermissionMatrix walks every route gin serves with every role and
// with no token: 401 without a token, 403 for a role the policy does not
// name, and neither for one it does.
func TestPermissionMatrix(t *testing.T) {
	ts := newTestServer(t, testenv.Backends()[0])
	routes := ts.srv.GinRoutes()
	if len(routes) != len(policy) {
		t.Errorf("gin serves %d routes, the policy lists %d", len(routes), len(policy))
	}
	for _, r := range routes {
		key := r.Method + " " + r.Path
		allowed, ok := policy[key]
		if !ok && !public[key] {
			t.Errorf("%s has no rule in the policy table", key)
			continue
		}
		path := strings.NewReplacer(":id", ids.New(), ":channel_id", ids.New(), ":file_id", ids.New()).Replace(r.Path)
		t.Run(key, func(t *testing.T) {
			noToken := ts.do("", r.Method, path, "{}")
			if public[key] {
				if noToken.Status == http.StatusUnauthorized || noToken.Status == http.StatusForbidden {
					t.Fatalf("public route answered %d", noToken.Status)
				}
				return
			}
			if noToken.Status != http.StatusUnauthorized {
				t.Errorf("no token: %d, want 401", noToken.Status)
			}
			bad := ts.do("", r.Method, path, "{}", "Authorization", "Bearer abt_not-a-real-token")
			if bad.Status != http.StatusUnauthorized {
				t.Errorf("bad token: %d, want 401", bad.Status)
			}
			for _, role := range auth.Roles {
				got := ts.do(role, r.Method, path, "{}")
				want := contains(allowed, role)
				switch {
				case want && (got.Status == http.StatusUnauthorized || got.Status == http.StatusForbidden):
					t.Errorf("%s: %d, want allowed", role, got.Status)
				case !want && got.Status != http.StatusForbidden:
					t.Errorf("%s: %d, want 403", role, got.Status)
				}
				if got.Status == http.StatusForbidden {
					if code := got.json(t)["error"].(map[string]any)["code"]; code != "permission_denied" {
						t.Errorf("%s: 403 with code %v", role, code)
					}
				}
			}
		})
	}
	// The policy must not list routes that do not exist either.
	served := map[string]bool{}
	for _, r := range routes {
		served[r.Method+" "+r.Path] = true
	}
	for key := range policy {
		if !served[key] {
			t.Errorf("policy lists %s, which gin does not serve", key)
		}
	}
}

// TestUnruledPermissionIsDenied: deny by default, admin included.
func TestUnruledPermissionIsDenied(t *testing.T) {
	for _, r := range auth.Roles {
		if auth.Allowed(r, "") || auth.Allowed(r, "nothing:granted") && r != auth.RoleAdmin {
			t.Errorf("%s allowed an unruled permission", r)
		}
	}
	if auth.Allowed("intruder", auth.ProductsRead) {
		t.Error("an unknown role was allowed")
	}
}

func contains(roles []auth.Role, r auth.Role) bool {
	for _, x := range roles {
		if x == r {
			return true
		}
	}
	return false
}
