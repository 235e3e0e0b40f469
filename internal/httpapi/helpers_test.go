package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	razorpayxsim "github.com/jkhhc/artisanbridge/adapters/razorpayx/sim"

	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"

	"github.com/jkhhc/artisanbridge/adapters"
	"github.com/jkhhc/artisanbridge/adapters/flipkart"
	"github.com/jkhhc/artisanbridge/adapters/gem"
	"github.com/jkhhc/artisanbridge/adapters/razorpayx"
	"github.com/jkhhc/artisanbridge/internal/apperr"
	"github.com/jkhhc/artisanbridge/internal/auth"
	"github.com/jkhhc/artisanbridge/internal/catalog"
	"github.com/jkhhc/artisanbridge/internal/channels"
	"github.com/jkhhc/artisanbridge/internal/console"
	"github.com/jkhhc/artisanbridge/internal/exceptions"
	"github.com/jkhhc/artisanbridge/internal/finance"
	"github.com/jkhhc/artisanbridge/internal/fulfilment"
	"github.com/jkhhc/artisanbridge/internal/httpapi"
	"github.com/jkhhc/artisanbridge/internal/imports"
	"github.com/jkhhc/artisanbridge/internal/inventory"
	"github.com/jkhhc/artisanbridge/internal/listing"
	"github.com/jkhhc/artisanbridge/internal/media"
	"github.com/jkhhc/artisanbridge/internal/orderpull"
	"github.com/jkhhc/artisanbridge/internal/orders"
	"github.com/jkhhc/artisanbridge/internal/reconcile"
	"github.com/jkhhc/artisanbridge/internal/reqctx"
	"github.com/jkhhc/artisanbridge/internal/secrets"
	"github.com/jkhhc/artisanbridge/internal/showcase"
	"github.com/jkhhc/artisanbridge/internal/store"
	"github.com/jkhhc/artisanbridge/internal/testenv"
	"github.com/jkhhc/artisanbridge/migrations"
)

type testServer struct {
	t   testing.TB
	srv *httpapi.Server
	db  *store.DB
	// imports runs the imports the API queues, as the worker would.
	imports *imports.Service
	tokens  map[auth.Role]string
	// users are the ids of the users holding tokens, by role.
	users map[auth.Role]string
	logs  *testenv.SyncBuffer
	// router finds a request's operation in the served OpenAPI document:
	// every answer any test gets is checked against it.
	router routers.Router
	// tables and countQuery serve rowCounts.
	tables     []string
	countQuery string
}

func newTestServer(t testing.TB, b testenv.Backend) *testServer {
	t.Helper()
	return newTestServerWith(t, b, nil)
}

// newTestServerWith lets a test change the dependencies (to make one fail).
func newTestServerWith(t testing.TB, b testenv.Backend, change func(*httpapi.Deps)) *testServer {
	t.Helper()
	db, _ := b.Open(t)
	key, err := secrets.LoadOrCreateKeyFile(filepath.Join(t.TempDir(), "master.key"))
	if err != nil {
		t.Fatal(err)
	}
	ring, err := secrets.ParseMasterKey(key)
	if err != nil {
		t.Fatal(err)
	}
	crafts, _ := catalog.NewCrafts()
	logs := &testenv.SyncBuffer{}
	log := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	authSvc := auth.NewService(db.Users(), nil)
	// Payouts go through the RazorpayX simulator, whose webhooks the walk
	// signs itself (its events are not posted anywhere).
	rzp := httptest.NewServer(razorpayxsim.New(razorpayxsim.Config{Seed: 1}))
	t.Cleanup(rzp.Close)
	rzc, err := razorpayx.New(razorpayx.Config{BaseURL: rzp.URL, KeyID: razorpayxsim.KeyID, KeySecret: razorpayxsim.KeySecret,
		AccountNumber: razorpayxsim.AccountNumber, Limits: map[adapters.Operation]adapters.Limit{}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	payouts := finance.NewPayouts(db.Finance(), ring, nil).WithProvider(razorpayx.NewProvider(rzc, nil))
	verifier := &razorpayx.WebhookVerifier{Secrets: [][]byte{[]byte(razorpayxsim.WebhookSecret)}}
	cat := catalog.NewService(db.Catalog(), ring, crafts, nil)
	deps := httpapi.Deps{
		Log: log, Auth: authSvc, Catalog: cat,
		Inventory: inventory.NewService(db.Inventory(), nil), Audit: db.Audit(), Idempotency: db.Idempotency(),
		Media: media.NewService(db.Media(), func() string { return testPublicURL }, nil),
		Showcase: &showcase.Site{Catalogue: cat, Listings: listing.NewService(db.Listings(), nil), Channels: channels.NewService(db.Channels(), ring, nil), Labels: console.PublicLabels{},
			Public: func() string { return testPublicURL }},
		Channels: channels.NewService(db.Channels(), ring, nil), Listings: listing.NewService(db.Listings(), nil),
		Exceptions: exceptions.NewService(db.Exceptions(), nil), Reconcile: reconcile.NewService(db.Reconciliations(), nil), Files: db.ChannelFiles(), Orders: orders.NewService(db.Orders(), nil), Tasks: fulfilment.NewService(db.Fulfilment(), nil), Finance: finance.NewService(db.Finance(), nil), Payouts: payouts,
		// As the app wires them (internal/app), without the job queue.
		RescanOrders: func(ctx context.Context, channelID string, since time.Time) error {
			if _, err := channels.NewService(db.Channels(), ring, nil).Get(ctx, channelID); err != nil {
				return err
			}
			return db.Orders().ResetPullCursor(ctx, channelID, since)
		},
		// The stand-in for a marketplace's report API: the report it would
		// publish goes through the real finance import.
		PullSettlements: func(ctx context.Context, channelID string) (finance.ImportSummary, error) {
			if _, err := channels.NewService(db.Channels(), ring, nil).Get(ctx, channelID); err != nil {
				return finance.ImportSummary{}, err
			}
			return finance.NewService(db.Finance(), nil).ImportSettlement(ctx, channelID, "pulled-report.csv", settlementFile("PULLED-1"))
		},
		ImportOrders: func(ctx context.Context, channelID string, data []byte) (orders.ImportSummary, error) {
			ch, err := channels.NewService(db.Channels(), ring, nil).Get(ctx, channelID)
			if err != nil {
				return orders.ImportSummary{}, err
			}
			if ch.Kind != "gem" {
				return orders.ImportSummary{}, apperr.New(apperr.PreconditionFailed, "%s orders are pulled from its API, not imported", ch.Kind)
			}
			svc := orders.NewService(db.Orders(), nil)
			sum, err := gem.ImportOrders(ctx, channelID, data, svc.Ingest)
			if err != nil {
				return sum, err
			}
			return sum, svc.RecordImport(ctx, channelID, data, sum)
		},
		ImportCatalogueExport: func(ctx context.Context, channelID, fileName string, data []byte) (channels.File, error) {
			ch, err := channels.NewService(db.Channels(), ring, nil).Get(ctx, channelID)
			if err != nil {
				return channels.File{}, err
			}
			if ch.Kind != "gem" {
				return channels.File{}, apperr.New(apperr.PreconditionFailed, "%s listings are read from its API, not imported", ch.Kind)
			}
			now := time.Now()
			id, err := gem.KeepCatalogueExport(fileName, data, now, func(name, contentType string, items int, data []byte) (string, error) {
				return db.ChannelFiles().PutAudited(ctx, channelID, name, contentType, items, data, now)
			})
			if err != nil {
				return channels.File{}, err
			}
			f, _, err := db.ChannelFiles().Get(ctx, channelID, id)
			return f, err
		},
		// A retry reads the missed order from what it kept: the marketplace
		// is not asked (storedOnly hides Flipkart's fetch by id).
		RetryMissedOrder: (&orderpull.Puller{Channels: channels.NewService(db.Channels(), ring, nil), Orders: orders.NewService(db.Orders(), nil),
			Cursors: db.Orders(), Exceptions: db.Exceptions(), Resolver: exceptions.NewService(db.Exceptions(), nil), Log: log,
			Factory: func(ch channels.Channel, _ map[string]string) (adapters.Channel, error) {
				c := flipkart.New(flipkart.Config{BaseURL: ch.BaseURL, TokenURL: ch.TokenURL, Account: ch.ID}, nil)
				return storedOnly{Channel: c, r: c}, nil
			}}).Retry,
		// As internal/app wires it: verified, then recorded once.
		PayoutWebhook: func(ctx context.Context, provider string, h http.Header, body []byte) error {
			if provider != razorpayx.ProviderName {
				return apperr.New(apperr.NotFound, "no payout provider %q is configured here", provider)
			}
			d, err := verifier.Verify(ctx, h, body)
			if errors.Is(err, razorpayx.ErrDuplicate) {
				return nil
			}
			if err != nil {
				return apperr.New(apperr.Invalid, "the delivery was refused: %v", err)
			}
			_, err = payouts.Outcomes(ctx, provider, d.EventID, []finance.PayoutOutcome{d.Outcome})
			return err
		},
		// As internal/app wires it: the receiver over the store.
		FlipkartNotification: func(ctx context.Context, arrivedAt string, h http.Header, body []byte) (bool, error) {
			chans := channels.NewService(db.Channels(), ring, nil)
			puller := &orderpull.Puller{Channels: chans, Exceptions: db.Exceptions(), Log: log}
			r := &flipkart.Receiver{
				Signer: func(ctx context.Context, appID string) (flipkart.Signer, bool, error) {
					list, err := chans.List(ctx)
					if err != nil {
						return flipkart.Signer{}, false, err
					}
					for _, ch := range list {
						creds, err := chans.Credentials(ctx, ch.ID)
						if err != nil {
							return flipkart.Signer{}, false, err
						}
						if ch.Kind == "flipkart" && ch.Enabled && creds["app_id"] == appID {
							return flipkart.Signer{ChannelID: ch.ID, Secret: creds["app_secret"], URL: ch.Settings.Effective().NotificationURL}, true, nil
						}
					}
					return flipkart.Signer{}, false, nil
				},
				Record: func(ctx context.Context, n orders.Notice) (bool, error) {
					return db.Orders().RecordNotice(ctx, n, time.Time{})
				},
				Unreadable: puller.NoticeUnreadable,
			}
			got, err := r.Receive(ctx, arrivedAt, h, body)
			if err != nil {
				return false, err
			}
			if got.Refused != nil {
				return false, apperr.New(apperr.Invalid, "the notification is refused: %v", got.Refused)
			}
			return got.Outcome == flipkart.OutcomeQueued, nil
		},
		Queues:       func(context.Context) ([]httpapi.QueueInfo, error) { return []httpapi.QueueInfo{{Queue: "events"}}, nil },
		OutboxQueued: db.Outbox().PendingCount,
		Ready:        map[string]func(context.Context) error{"database": db.Ping},
	}
	deps.Imports = imports.NewService(db.Imports(), deps.Catalog, nil, log, imports.Options{})
	if change != nil {
		change(&deps)
	}
	srv := httpapi.New(deps)
	router, err := legacy.NewRouter(srv.OpenAPI())
	if err != nil {
		t.Fatalf("the OpenAPI document does not load: %v", err)
	}
	ts := &testServer{t: t, srv: srv, db: db, imports: deps.Imports, tokens: map[auth.Role]string{}, users: map[auth.Role]string{}, logs: logs, router: router}
	ctx := reqctx.WithActor(context.Background(), reqctx.Actor{ID: "test", Name: "test", Role: "admin"})
	for _, r := range auth.Roles {
		u, tok, err := authSvc.CreateUser(ctx, auth.NewUser{Name: "user-" + string(r), Role: r})
		if err != nil {
			t.Fatal(err)
		}
		ts.tokens[r], ts.users[r] = tok, u.ID
	}
	return ts
}

type response struct {
	Status int
	Body   []byte
	Header http.Header
}

func (r response) json(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.Body, &m); err != nil {
		t.Fatalf("response is not JSON: %v: %s", err, r.Body)
	}
	return m
}

// do sends a request as role ("" for no token); body may be nil, []byte or any JSON value.
func (ts *testServer) do(role auth.Role, method, path string, body any, header ...string) response {
	ts.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	case string:
		rd = bytes.NewReader([]byte(b))
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			ts.t.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	}
	req := httptest.NewRequest(method, path, rd)
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if role != "" {
		req.Header.Set("Authorization", "Bearer "+ts.tokens[role])
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return ts.serve(req)
}

// serve runs req and checks the answer against the OpenAPI document: its
// status must be one the operation declares, its body the declared shape.
func (ts *testServer) serve(req *http.Request) response {
	ts.t.Helper()
	w := httptest.NewRecorder()
	ts.srv.ServeHTTP(w, req)
	r := response{Status: w.Code, Body: w.Body.Bytes(), Header: w.Header()}
	if err := ts.checkAnswer(req, r); err != nil {
		ts.t.Errorf("%s %s answered %d, which the OpenAPI document does not describe: %v\n%.600s", req.Method, req.URL.Path, r.Status, err, r.Body)
	}
	return r
}

// checkAnswer validates an answer with openapi3filter; a request no
// operation matches (an unknown path) has nothing to be checked against.
func (ts *testServer) checkAnswer(req *http.Request, r response) error {
	route, params, err := ts.router.FindRoute(req)
	if err != nil {
		return nil
	}
	in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}}
	return openapi3filter.ValidateResponse(context.Background(), &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in, Status: r.Status, Header: r.Header, Body: io.NopCloser(bytes.NewReader(r.Body)),
		Options: &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
	})
}

// mustCreate posts as admin and returns the created object's id.
func (ts *testServer) mustCreate(path string, body any) map[string]any {
	ts.t.Helper()
	r := ts.do(auth.RoleAdmin, "POST", path, body)
	if r.Status != http.StatusCreated {
		ts.t.Fatalf("POST %s: %d %s", path, r.Status, r.Body)
	}
	return r.json(ts.t)
}

// rowCounts counts the rows of every table of the schema, in one query,
// to prove a refused request wrote nothing anywhere.
func (ts *testServer) rowCounts() map[string]int64 {
	ts.t.Helper()
	if ts.countQuery == "" {
		q := `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`
		if ts.db.Dialect() == migrations.Postgres {
			q = `SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename`
		}
		if err := ts.db.Gorm().Raw(q).Scan(&ts.tables).Error; err != nil {
			ts.t.Fatal(err)
		}
		parts := make([]string, len(ts.tables))
		for i, tb := range ts.tables {
			parts[i] = fmt.Sprintf(`(SELECT COUNT(*) FROM %s) AS c%d`, tb, i)
		}
		ts.countQuery = "SELECT " + strings.Join(parts, ", ")
	}
	counts := make([]any, len(ts.tables))
	ns := make([]int64, len(ts.tables))
	for i := range ns {
		counts[i] = &ns[i]
	}
	if err := ts.db.Gorm().Raw(ts.countQuery).Row().Scan(counts...); err != nil {
		ts.t.Fatal(err)
	}
	out := make(map[string]int64, len(ts.tables))
	for i, tb := range ts.tables {
		out[tb] = ns[i]
	}
	return out
}

// channel makes sure a Flipkart channel exists and returns its id.
func (ts *testServer) channel() string {
	ts.t.Helper()
	ctx := context.Background()
	svc := channels.NewService(ts.db.Channels(), nil, nil)
	if err := svc.Ensure(ctx, "flipkart", "flipkart", "https://api.flipkart.net/sellers", "https://api.flipkart.net/oauth-service/oauth/token",
		false, nil, channels.Settings{}); err != nil {
		ts.t.Fatal(err)
	}
	list, err := svc.List(ctx)
	if err != nil || len(list) == 0 {
		ts.t.Fatalf("channels: %v %v", list, err)
	}
	return list[0].ID
}

// settlementFile is a Flipkart settlement file of one line, for an order
// this database does not know: imported as unmatched, for a person to see.
func settlementFile(ref string) []byte {
	return []byte("Settlement Ref No,Settlement Date,Order ID,Order Item ID,Sale Amount (Rs.),Commission (Rs.),Fixed Fee (Rs.)," +
		"Collection Fee (Rs.),Shipping Fee (Rs.),GST on Fees (Rs.),TCS (Rs.),TDS (Rs.),Bank Settlement Value (Rs.)\n" +
		ref + ",2026-11-20,OD-ELSEWHERE-" + ref + ",1,100.00,0,0,0,0,0,0,0,100.00\n")
}

// gemChannel makes sure a GeM channel exists and returns its id.
func (ts *testServer) gemChannel() string {
	ts.t.Helper()
	ctx := context.Background()
	svc := channels.NewService(ts.db.Channels(), nil, nil)
	if err := svc.Ensure(ctx, "gem", "gem", "https://gem.example.invalid/", "", true, nil, channels.Settings{}); err != nil {
		ts.t.Fatal(err)
	}
	list, err := svc.List(ctx)
	if err != nil {
		ts.t.Fatal(err)
	}
	for _, c := range list {
		if c.Kind == "gem" {
			return c.ID
		}
	}
	ts.t.Fatal("no gem channel")
	return ""
}

// storedOnly is a marketplace adapter that can only read again what it
// sent: a retry then reads a missed order from its stored payload.
type storedOnly struct {
	adapters.Channel
	r adapters.PayloadReader
}

func (s storedOnly) ReadPayload(p []byte) (adapters.OrderPage, error) { return s.r.ReadPayload(p) }
