package httpapi

import (
	"context"
	"encoding/json"
	"io"
	"net/http"

	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/jkhhc/artisanbridge/internal/apperr"
	"github.com/jkhhc/artisanbridge/internal/audit"
	"github.com/jkhhc/artisanbridge/internal/auth"
	"github.com/jkhhc/artisanbridge/internal/catalog"
	"github.com/jkhhc/artisanbridge/internal/channels"
	"github.com/jkhhc/artisanbridge/internal/civil"
	"github.com/jkhhc/artisanbridge/internal/exceptions"
	"github.com/jkhhc/artisanbridge/internal/finance"
	"github.com/jkhhc/artisanbridge/internal/fulfilment"
	"github.com/jkhhc/artisanbridge/internal/ids"
	"github.com/jkhhc/artisanbridge/internal/imports"
	"github.com/jkhhc/artisanbridge/internal/inventory"
	"github.com/jkhhc/artisanbridge/internal/listing"
	"github.com/jkhhc/artisanbridge/internal/media"
	"github.com/jkhhc/artisanbridge/internal/messages"
	"github.com/jkhhc/artisanbridge/internal/notify"
	"github.com/jkhhc/artisanbridge/internal/orderpull"
	"github.com/jkhhc/artisanbridge/internal/orders"
	"github.com/jkhhc/artisanbridge/internal/paging"
	"github.com/jkhhc/artisanbridge/internal/reconcile"
	"github.com/jkhhc/artisanbridge/internal/reqctx"
	"github.com/jkhhc/artisanbridge/internal/search"
	"github.com/jkhhc/artisanbridge/internal/showcase"
	"github.com/jkhhc/artisanbridge/internal/statements"
)

// routes is the whole API in one table: path, permission, contract, handler.
func (s *Server) routes() []Route {
	const p = APIPrefix
	id404 := []int{http.StatusNotFound}
	write := []int{http.StatusConflict, http.StatusUnprocessableEntity}
	idWrite := []int{http.StatusNotFound, http.StatusConflict, http.StatusUnprocessableEntity}
	// notModified: a cacheable public answer, asked again with its ETag.
	notModified := []int{http.StatusNotModified, http.StatusNotFound}
	// publicPageErrors: not modified (ETag), no such page, and a lang that
	// is none of the catalogue's (422 naming them).
	publicPageErrors := []int{http.StatusNotModified, http.StatusNotFound, http.StatusUnprocessableEntity}
	return []Route{
		{Method: "GET", Path: "/healthz", Public: true, Summary: "the process is alive", Response: Health{}, Status: 200, handler: s.healthz},
		{Method: "GET", Path: "/readyz", Public: true, Summary: "database and Redis are reachable", Response: Readiness{}, Status: 200,
			Errors: []int{http.StatusServiceUnavailable}, handler: s.readyz},
		{Method: "GET", Path: p + "/openapi.json", Public: true, Summary: "this API, described", Response: map[string]any{}, Status: 200, handler: s.openapi},
		{Method: "GET", Path: p + "/crafts", Permission: auth.ProductsRead, Summary: "known crafts", Response: Items[string]{}, Status: 200, handler: s.listCrafts},
		{Method: "GET", Path: p + "/gis", Permission: auth.ProductsRead, Summary: "the registered Kashmir GIs a product's gi names, with the crafts each covers",
			Response: Items[catalog.GI]{}, Status: 200, handler: func(c *gin.Context) { c.JSON(http.StatusOK, Items[catalog.GI]{Items: catalog.GIs}) }},

		{Method: "POST", Path: p + "/users", Permission: auth.UsersWrite, Summary: "create a user; the token is shown once",
			Request: auth.NewUser{}, Response: UserCreated{}, Status: 201, Errors: write, handler: create(s, s.createUser)},
		{Method: "GET", Path: p + "/users", Permission: auth.UsersRead, Summary: "list users", Query: paged(), Response: paging.Page[auth.User]{}, Status: 200,
			Errors: []int{http.StatusUnprocessableEntity}, handler: list(s, func(c *gin.Context, p paging.Request) (paging.Page[auth.User], error) {
				return s.auth.ListUsers(c.Request.Context(), p)
			})},
		{Method: "POST", Path: p + "/users/:id/tokens", Permission: auth.UsersWrite, Summary: "issue another token (shown once)",
			Response: TokenIssued{}, Status: 201, Errors: id404, handler: s.issueToken},
		{Method: "DELETE", Path: p + "/users/:id/tokens", Permission: auth.UsersWrite, Summary: "revoke every token of a user: at once in the process answering, within 5 s (auth.VerifiedTokenTTL) in every other",
			Response: TokensRevoked{}, Status: 200, Errors: id404, handler: s.revokeTokens},

		{Method: "POST", Path: p + "/clusters", Permission: auth.ClustersWrite, Summary: "register a craft cluster",
			Request: catalog.NewCluster{}, Response: catalog.Cluster{}, Status: 201, Errors: write, handler: create(s, s.Catalog.CreateCluster)},
		{Method: "GET", Path: p + "/clusters", Permission: auth.ClustersRead, Summary: "list clusters", Query: paged(), Response: paging.Page[catalog.Cluster]{}, Status: 200,
			Errors: []int{http.StatusUnprocessableEntity}, handler: list(s, func(c *gin.Context, p paging.Request) (paging.Page[catalog.Cluster], error) {
				return s.Catalog.ListClusters(c.Request.Context(), p)
			})},

		{Method: "POST", Path: p + "/artisans", Permission: auth.ArtisansWrite, Summary: "register an artisan",
			Request: catalog.ArtisanInput{}, Response: catalog.Artisan{}, Status: 201, Errors: write, handler: create(s, s.Catalog.CreateArtisan)},
		{Method: "GET", Path: p + "/artisans", Permission: auth.ArtisansRead, Summary: "list artisans",
			Query:    paged(param("q", "search: every word starts a word of the artisan's name, code, phone, Pehchan card number or cluster"), param("cluster_id", "only this cluster's artisans"), param("craft", "only makers of this craft"), param("status", "", "active", "inactive")),
			Response: paging.Page[catalog.Artisan]{}, Status: 200, Errors: []int{http.StatusUnprocessableEntity}, handler: list(s, s.listArtisans)},
		{Method: "GET", Path: p + "/artisans/:id", Permission: auth.ArtisansRead, Summary: "one artisan", Response: catalog.Artisan{}, Status: 200, Errors: id404, handler: byID(s, s.Catalog.GetArtisan)},
		{Method: "PATCH", Path: p + "/artisans/:id", Permission: auth.ArtisansWrite, Summary: "change an artisan (with version)",
			Request: catalog.ArtisanInput{}, Response: catalog.Artisan{}, Status: 200, Errors: idWrite, handler: patch(s, s.Catalog.UpdateArtisan)},

		{Method: "POST", Path: p + "/products", Permission: auth.ProductsWrite, Summary: "add a product",
			Request: catalog.ProductInput{}, Response: catalog.Product{}, Status: 201, Errors: write, handler: create(s, s.Catalog.CreateProduct)},
		{Method: "GET", Path: p + "/products", Permission: auth.ProductsRead, Summary: "list products",
			Query:    paged(param("q", "search: every word starts a word of the title, SKU, craft, GI certificate (gi: GI-tagged) or the maker's name or code"), param("artisan_id", "only this maker's products"), param("craft", "only this craft"), param("status", "", "draft", "active", "archived"), param("sku", "the product with this SKU")),
			Response: paging.Page[catalog.Product]{}, Status: 200, Errors: []int{http.StatusUnprocessableEntity}, handler: list(s, s.listProducts)},
		{Method: "GET", Path: p + "/products/:id", Permission: auth.ProductsRead, Summary: "one product", Response: catalog.Product{}, Status: 200, Errors: id404, handler: byID(s, s.Catalog.GetProduct)},
		{Method: "PATCH", Path: p + "/products/:id", Permission: auth.ProductsWrite, Summary: "change a product (with version)",
			Request: catalog.ProductInput{}, Response: catalog.Product{}, Status: 200, Errors: idWrite, handler: patch(s, s.Catalog.UpdateProduct)},
		{Method: "POST", Path: p + "/products/import", Permission: auth.ProductsWrite, Summary: "import products from CSV or XLSX (multipart field file): created or updated by sku, as a background job",
			Request: Upload{}, Response: imports.Import{}, Status: 202, Errors: write, handler: s.startImport(imports.KindProducts), bodyLimit: importUploadLimit},
		{Method: "POST", Path: p + "/artisans/import", Permission: auth.ArtisansWrite, Summary: "import artisans from the survey sheet, CSV or XLSX (multipart field file): created or updated by code, as a background job",
			Request: Upload{}, Response: imports.Import{}, Status: 202, Errors: write, handler: s.startImport(imports.KindArtisans), bodyLimit: importUploadLimit},
		{Method: "GET", Path: p + "/imports/:id", Permission: auth.ProductsRead, Summary: "an import: status, progress, counts (created, updated, unchanged, failed)",
			Response: imports.Import{}, Status: 200, Errors: id404, handler: s.getImport},
		{Method: "GET", Path: p + "/imports/:id/errors", Permission: auth.ProductsRead, Summary: "an import's error report: every bad cell (line, column, value, reason)",
			Produces: []string{"text/csv"}, Status: 200, Errors: id404, handler: s.importErrors},

		{Method: "POST", Path: p + "/media", Permission: auth.ProductsWrite, Summary: "store a product photo sent whole (the body is the JPEG or PNG); the same bytes again store nothing new",
			Request: Bytes{Types: media.ContentTypes}, Response: media.Media{}, Status: 201, Errors: []int{http.StatusUnprocessableEntity}, handler: s.putMedia,
			bodyLimit: media.MaxBytes + 1},
		{Method: "POST", Path: p + "/media/uploads", Permission: auth.ProductsWrite, Summary: "start a resumable photo upload (tus 1.0 style: then PATCH its chunks with Upload-Offset)",
			Request: UploadStart{}, Response: media.Upload{}, Status: 201, Errors: write, handler: s.startUpload},
		{Method: "GET", Path: p + "/media/uploads/:id", Permission: auth.ProductsWrite, Summary: "how far an upload got (Upload-Offset), and its photo once complete",
			Response: media.Upload{}, Status: 200, Errors: id404, handler: s.uploadStatus},
		{Method: "PATCH", Path: p + "/media/uploads/:id", Permission: auth.ProductsWrite,
			Summary: "send the upload's bytes from Upload-Offset on (application/offset+octet-stream, at most 4 MiB); the last chunk stores the photo",
			Request: Bytes{Types: []string{"application/offset+octet-stream"}}, Response: media.Upload{}, Status: 200, Errors: idWrite, handler: s.appendUpload,
			bodyLimit: media.MaxChunk + 1},
		{Method: "GET", Path: p + "/media/:sha", Permission: auth.ProductsRead, Summary: "a photo: its size and the public URLs of its variants",
			Response: media.Media{}, Status: 200, Errors: id404, handler: s.getMedia},
		{Method: "GET", Path: "/media/:sha", Public: true, Summary: "a photo as uploaded (cached a year: the URL names the bytes)",
			Produces: []string{"image/jpeg", "image/png"}, Status: 200, Errors: notModified, handler: s.serveMedia},
		{Method: "GET", Path: "/media/:sha/:variant", Public: true, Summary: "a photo resized for a marketplace (amazon, flipkart) or the public pages (web, thumb)",
			Produces: []string{"image/jpeg"}, Status: 200, Errors: notModified, handler: s.serveMedia},

		{Method: "GET", Path: "/artisans/:code", Public: true, Summary: "an artisan's virtual showroom: craft, cluster, GI, pieces with photo, price and where to buy (HTML, cacheable)",
			Query: publicLang, Produces: []string{"text/html"}, Status: 200, Errors: publicPageErrors, handler: s.publicPage("code", func(ctx context.Context, site *showcase.Site, v string) (showcase.Page, error) {
				return site.Artisan(ctx, v)
			})},
		{Method: "GET", Path: "/clusters/:code", Public: true, Summary: "a craft cluster's makers (by the cluster's code or id; HTML, cacheable)",
			Query: publicLang, Produces: []string{"text/html"}, Status: 200, Errors: publicPageErrors, handler: s.publicPage("code", func(ctx context.Context, site *showcase.Site, v string) (showcase.Page, error) {
				return site.Cluster(ctx, v)
			})},
		{Method: "GET", Path: "/pieces/:sku", Public: true, Summary: "a piece's provenance: maker, cluster, craft, GI with its label number, where to buy (HTML, cacheable)",
			Query: publicLang, Produces: []string{"text/html"}, Status: 200, Errors: publicPageErrors, handler: s.publicPage("sku", func(ctx context.Context, site *showcase.Site, v string) (showcase.Page, error) {
				return site.Piece(ctx, v)
			})},
		{Method: "GET", Path: p + "/products/:id/tag", Permission: auth.ProductsRead, Summary: "the piece's printable tag (HTML, 90 x 55 mm) with a QR code of its public page",
			Produces: []string{"text/html"}, Status: 200, Errors: id404, handler: s.productTag},

		{Method: "POST", Path: p + "/locations", Permission: auth.LocationsWrite, Summary: "add a stock location",
			Request: inventory.NewLocation{}, Response: inventory.Location{}, Status: 201, Errors: write, handler: create(s, s.Inventory.CreateLocation)},
		{Method: "GET", Path: p + "/locations", Permission: auth.LocationsRead, Summary: "list locations", Query: paged(), Response: paging.Page[inventory.Location]{}, Status: 200,
			Errors: []int{http.StatusUnprocessableEntity}, handler: list(s, func(c *gin.Context, p paging.Request) (paging.Page[inventory.Location], error) {
				return s.Inventory.ListLocations(c.Request.Context(), p)
			})},

		{Method: "GET", Path: p + "/stock", Permission: auth.StockRead, Summary: "stock levels",
			Query: paged(param("product_id", "only this product"), param("location_id", "only this location")), Response: paging.Page[inventory.Level]{}, Status: 200,
			Errors: []int{http.StatusUnprocessableEntity}, handler: list(s, s.listStock)},
		{Method: "POST", Path: p + "/stock/movements", Permission: auth.StockWrite, Summary: "record a stock movement",
			Request: inventory.MovementInput{}, Response: inventory.Movement{}, Status: 201, Errors: idWrite, handler: create(s, s.Inventory.RecordMovement)},
		{Method: "GET", Path: p + "/stock/movements", Permission: auth.StockRead, Summary: "list stock movements",
			Query:    paged(param("product_id", "only this product"), param("location_id", "only movements from or to this location"), param("kind", "", inventory.MovementKinds...)),
			Response: paging.Page[inventory.Movement]{}, Status: 200, Errors: []int{http.StatusUnprocessableEntity}, handler: list(s, s.listMovements)},

		{Method: "GET", Path: p + "/channels", Permission: auth.ChannelsRead, Summary: "marketplace channels with their health", Response: paging.Page[channels.Channel]{}, Status: 200, handler: s.listChannels},
		{Method: "GET", Path: p + "/channels/:id", Permission: auth.ChannelsRead, Summary: "one channel with its health", Response: channels.Channel{}, Status: 200, Errors: id404, handler: byID(s, s.getChannel)},
		{Method: "PATCH", Path: p + "/channels/:id", Permission: auth.ChannelsWrite, Summary: "change a channel: URLs, enabled, credentials (write-only), settings",
			Request: channels.Update{}, Response: channels.Channel{}, Status: 200, Errors: idWrite, handler: patch(s, s.Channels.Update)},

		{Method: "GET", Path: p + "/channels/:id/files", Permission: auth.ListingsRead, Summary: "files an assisted channel (GeM) produced for upload",
			Query: paged(), Response: paging.Page[channels.File]{}, Status: 200, Errors: []int{http.StatusNotFound, http.StatusUnprocessableEntity}, handler: list(s, s.listFiles)},
		{Method: "GET", Path: p + "/channels/:id/files/:file_id", Permission: auth.ListingsRead, Summary: "download one file",
			Produces: []string{"text/csv", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "application/octet-stream"}, Status: 200, Errors: id404, handler: s.downloadFile},
		{Method: "POST", Path: p + "/channels/:id/orders/import", Permission: auth.OrdersWrite, Summary: "import a channel's order file (GeM portal export; multipart field file)",
			Request: Upload{}, Response: orders.ImportSummary{}, Status: 200, Errors: []int{http.StatusNotFound, http.StatusConflict, http.StatusPreconditionFailed, http.StatusUnprocessableEntity},
			handler: s.importOrders, bodyLimit: 16<<20 + 64<<10},
		{Method: "POST", Path: p + "/channels/:id/listings/import", Permission: auth.Reconcile,
			Summary: "import GeM's catalogue export (multipart field file): what the portal confirms we hold, read by the channel's next stock reconciliation",
			Request: Upload{}, Response: channels.File{}, Status: 201, Errors: []int{http.StatusNotFound, http.StatusConflict, http.StatusPreconditionFailed, http.StatusUnprocessableEntity},
			handler: s.importCatalogueExport, bodyLimit: 16<<20 + 64<<10},
		{Method: "GET", Path: p + "/orders", Permission: auth.OrdersRead, Summary: "orders with their lines, makers, sources and tasks",
			Query: paged(param("channel_id", "only this channel's orders"), param("status", "only orders in this status")), Response: paging.Page[orders.Order]{}, Status: 200,
			Errors: []int{http.StatusUnprocessableEntity}, handler: list(s, s.listOrders)},
		{Method: "GET", Path: p + "/orders/:id", Permission: auth.OrdersRead, Summary: "one order", Response: orders.Order{}, Status: 200, Errors: id404, handler: byID(s, s.getOrder)},
		{Method: "POST", Path: p + "/orders/:id/cancel", Permission: auth.OrdersWrite, Summary: "cancel an order before packing: stock back on every channel, the marketplace told",
			Request: orders.CancelRequest{}, Response: orders.Order{}, Status: 200, Errors: idWrite, handler: action(s, s.Orders.Cancel)},
		{Method: "POST", Path: p + "/orders/:id/returns", Permission: auth.OrdersWrite, Summary: "record goods that came back: restocked at a location or damaged",
			Request: orders.ReturnRequest{}, Response: orders.Return{}, Status: 201, Errors: idWrite, handler: actionStatus(s, http.StatusCreated, s.Orders.RecordReturn)},
		{Method: "GET", Path: p + "/fulfilment-tasks", Permission: auth.TasksRead, Summary: "pick, collect and make tasks",
			Query: paged(param("status", "", "open", "acknowledged", "collected", "packed", "dispatched", "delivered", "cancelled"),
				param("kind", "", "pick", "collect", "make"), param("location_id", "only tasks at this location")),
			Response: paging.Page[fulfilment.Task]{}, Status: 200, Errors: []int{http.StatusUnprocessableEntity}, handler: list(s, s.listTasks)},
		{Method: "POST", Path: p + "/fulfilment-tasks/:id/transition", Permission: auth.TasksWork, Summary: "move a task on: acknowledged, collected, packed, dispatched (tracking_no), delivered",
			Request: fulfilment.Transition{}, Response: fulfilment.Task{}, Status: 200, Errors: idWrite, handler: s.transitionTask},
		{Method: "POST", Path: p + "/showroom-sales", Permission: auth.CounterSales, Summary: "a sale at the counter: takes the units and updates every marketplace",
			Request: inventory.CounterSaleInput{}, Response: inventory.Movement{}, Status: 201, Errors: idWrite, handler: create(s, s.Inventory.CounterSale)},
		{Method: "POST", Path: p + "/channels/:id/orders/rescan", Permission: auth.OrdersWrite, Summary: "re-read a channel's orders from a time on (a full re-scan)",
			Request: RescanInput{}, Response: RescanAccepted{}, Status: 202, Errors: idWrite, handler: s.rescanOrders},
		{Method: "PUT", Path: p + "/products/:id/listings/:channel_id", Permission: auth.ListingsWrite, Summary: "publish a product on a channel",
			Request: listing.Input{}, Response: listing.Listing{}, Status: 200, Errors: idWrite, handler: s.publish},
		{Method: "DELETE", Path: p + "/products/:id/listings/:channel_id", Permission: auth.ListingsWrite, Summary: "unpublish (quantity 0, listing paused)",
			Response: listing.Listing{}, Status: 200, Errors: []int{http.StatusNotFound, http.StatusConflict}, handler: s.unpublish},
		{Method: "POST", Path: p + "/listings/:id/retry", Permission: auth.ListingsWrite, Summary: "publish a rejected or lost listing again: the whole listing goes at the next sync",
			Request: struct{}{}, Response: listing.Listing{}, Status: 200, Errors: append(idWrite, http.StatusPreconditionFailed),
			handler: action(s, func(ctx context.Context, id string, _ struct{}) (listing.Listing, error) {
				return s.Listings.Retry(ctx, id)
			})},
		{Method: "GET", Path: p + "/listings", Permission: auth.ListingsRead, Summary: "listings with their sync state and the marketplace's last message",
			Query:    paged(param("channel_id", "only this channel's listings"), param("product_id", "only this product's listings"), param("status", "", listing.Statuses...)),
			Response: paging.Page[listing.Listing]{}, Status: 200, Errors: []int{http.StatusUnprocessableEntity}, handler: list(s, s.listListings)},

		{Method: "POST", Path: p + "/fee-schedules", Permission: auth.FinanceWrite, Summary: "a channel's fees from a date (commission, fixed slabs, collection, shipping, waivers)",
			Request: finance.FeeSchedule{}, Response: finance.FeeSchedule{}, Status: 201, Errors: idWrite, handler: create(s, s.Finance.CreateFeeSchedule)},
		{Method: "GET", Path: p + "/fee-schedules", Permission: auth.FinanceRead, Summary: "fee schedules (channel_id narrows)",
			Query: []Param{param("channel_id", "only this channel's schedules")}, Response: Items[finance.FeeSchedule]{}, Status: 200, handler: s.listFeeSchedules},
		{Method: "POST", Path: p + "/settlements/import", Permission: auth.FinanceWrite, Summary: "import a settlement file (?channel_id=, multipart field file): matched, classified, posted",
			Query: []Param{required("channel_id", "the channel whose settlement this is")}, Request: Upload{}, Response: finance.ImportSummary{}, Status: 200,
			Errors: idWrite, handler: s.importSettlement, bodyLimit: 16<<20 + 64<<10},
		{Method: "GET", Path: p + "/channels/:id/statement", Permission: auth.FinanceRead, Summary: "a marketplace's sales, fees, taxes, settled, outstanding and overdue",
			Response: finance.ChannelStatement{}, Status: 200, Errors: id404, handler: byID(s, s.Finance.ChannelStatement)},
		{Method: "POST", Path: p + "/settlements/pull", Permission: auth.FinanceWrite, Summary: "pull a channel's settlement reports now (?channel_id=; Amazon's Reports API; hourly anyway)",
			Query: []Param{required("channel_id", "the channel to pull from")}, Response: finance.ImportSummary{}, Status: 200, Errors: idWrite, handler: s.pullSettlements},
		{Method: "GET", Path: p + "/ledger/trial-balance", Permission: auth.FinanceRead, Summary: "debits and credits by kind of account; they must be equal",
			Response: finance.TrialBalance{}, Status: 200, handler: s.trialBalance},
		{Method: "GET", Path: p + "/ledger/accounts", Permission: auth.FinanceRead, Summary: "the accounts of one kind with their debits and credits, paged",
			Query:    paged(required("kind", "the kind of account, as GET /ledger/trial-balance lists them (artisan_payable, bank, ...)")),
			Response: paging.Page[finance.Balance]{}, Status: 200, Errors: []int{http.StatusUnprocessableEntity}, handler: list(s, s.ledgerAccounts)},
		{Method: "PUT", Path: p + "/products/:id/earning-shares", Permission: auth.ProductsWrite, Summary: "share a piece's earning between several makers by weight (empty: its maker earns it all)",
			Request: finance.SharesInput{}, Response: finance.SharesInput{}, Status: 200, Errors: idWrite, handler: action(s, s.Finance.SetShares)},
		{Method: "GET", Path: p + "/products/:id/earning-shares", Permission: auth.ProductsRead, Summary: "how a piece's earning is shared between makers",
			Response: finance.SharesInput{}, Status: 200, Errors: id404, handler: byID(s, s.Finance.Shares)},
		{Method: "POST", Path: p + "/artisans/:id/advances", Permission: auth.FinanceWrite, Summary: "pay an artisan ahead of earnings; later earnings net against it",
			Request: finance.AdvanceInput{}, Response: finance.Statement{}, Status: 201, Errors: idWrite, handler: actionStatus(s, http.StatusCreated, s.Finance.Advance)},
		{Method: "GET", Path: p + "/artisans/:id/statement", Permission: auth.FinanceRead, Summary: "what an artisan earned, is owed and was paid (format=json, csv or html)",
			Query: []Param{param("format", "json (the default) with the SMS summary, a CSV of the lines, or a printable HTML page (A4)", "json", "csv", "html"),
				param("lang", "the page's and summary's language (default the artisan's; Urdu right to left; Kashmiri prints in Urdu)", "en", "hi", "ur", "ks")},
			Response: ArtisanStatement{}, Produces: []string{"text/csv", "text/html"}, Status: 200, Errors: []int{http.StatusNotFound, http.StatusUnprocessableEntity}, handler: s.artisanStatement},
		{Method: "POST", Path: p + "/payout-batches", Permission: auth.FinanceWrite, Summary: "draft a batch of every payable balance above min_paise (the maker)",
			Request: finance.CreateBatchInput{}, Response: finance.PayoutBatch{}, Status: 201, Errors: write, handler: create(s, s.Payouts.Create)},
		{Method: "GET", Path: p + "/payout-batches", Permission: auth.FinanceRead, Summary: "payout batches, newest first", Response: Items[finance.PayoutBatch]{}, Status: 200, handler: s.listBatches},
		{Method: "GET", Path: p + "/payout-batches/:id", Permission: auth.FinanceRead, Summary: "one batch with the first page of its lines",
			Response: finance.PayoutBatch{}, Status: 200, Errors: id404, handler: byID(s, s.Payouts.Get)},
		{Method: "GET", Path: p + "/payout-batches/:id/lines", Permission: auth.FinanceRead, Summary: "a batch's lines, paged by reference",
			Query: paged(), Response: paging.Page[finance.PayoutLine]{}, Status: 200, Errors: []int{http.StatusNotFound, http.StatusUnprocessableEntity}, handler: s.batchLines},
		{Method: "POST", Path: p + "/payout-batches/:id/send", Permission: auth.FinanceWrite,
			Summary: "send an approved batch through the payout provider (in the background: the batch is sending, then sent, then paid, partly_paid or failed)",
			Request: struct{}{}, Response: finance.PayoutBatch{}, Status: 202, Errors: idWrite, handler: actionStatus(s, http.StatusAccepted, s.Payouts.Send)},
		{Method: "POST", Path: "/webhooks/payouts/:provider", Public: true,
			Summary: "a payout provider's signed event (RazorpayX: X-Razorpay-Signature over the body); replays are acknowledged and change nothing",
			Request: json.RawMessage{}, Response: Received{}, Status: 200, Errors: []int{http.StatusNotFound}, handler: s.payoutWebhook, bodyLimit: 1 << 20},
		{Method: "POST", Path: "/webhooks/flipkart", Public: true,
			Summary: "one of Flipkart's order notifications, signed (X_Date, X_Authorization: FKLOGIN); verified, kept once and queued: the worker reads the shipment from Flipkart and takes it in as the pull does; a repeat is acknowledged and queues nothing",
			Request: json.RawMessage{}, Response: NotificationReceived{}, Status: 200, Errors: []int{http.StatusBadRequest, http.StatusNotFound}, handler: s.flipkartNotification, bodyLimit: 1 << 20},
		{Method: "POST", Path: p + "/payout-batches/:id/approve", Permission: auth.FinanceWrite, Summary: "approve a draft (the checker: never its maker)",
			Request: struct{}{}, Response: finance.PayoutBatch{}, Status: 200, Errors: idWrite, handler: action(s, s.Payouts.Approve)},
		{Method: "GET", Path: p + "/payout-batches/:id/bank-file", Permission: auth.FinanceWrite, Summary: "the NEFT bulk file of an approved batch (full account numbers, only here)",
			Produces: []string{"text/csv"}, Status: 200, Errors: []int{http.StatusNotFound, http.StatusConflict}, handler: s.bankFile},
		{Method: "POST", Path: p + "/payout-batches/:id/mark-paid", Permission: auth.FinanceWrite, Summary: "the bank's answer (multipart field file: reference, utr, status paid or failed)",
			Request: Upload{}, Response: finance.PayoutBatch{}, Status: 200, Errors: idWrite, handler: s.markPaid, bodyLimit: 16<<20 + 64<<10},
		{Method: "GET", Path: p + "/exceptions", Permission: auth.ExceptionsRead, Summary: "what needs a person",
			Query: paged(param("kind", "", exceptions.Kinds...), param("status", "open (the default) or resolved", "open", "resolved"),
				param("channel_id", "only this channel's exceptions"), param("assignee", "only this user's (a user id), or none for the unassigned"),
				param("older_than", "only those opened longer ago than this: whole days (3d) or a duration (36h)")),
			Response: paging.Page[exceptions.Exception]{}, Status: 200, Errors: []int{http.StatusUnprocessableEntity}, handler: list(s, s.listExceptions)},
		{Method: "POST", Path: p + "/exceptions/:id/resolve", Permission: auth.ExceptionsWork,
			Summary: "close an exception saying what was done: body {resolution} (1-2000 characters), by a user who works its kind",
			Request: exceptions.ResolveInput{}, Response: exceptions.Exception{}, Status: 200, Errors: append(idWrite, http.StatusForbidden), handler: s.resolveException},
		{Method: "POST", Path: p + "/exceptions/:id/assign", Permission: auth.ExceptionsWork,
			Summary: "give an exception to a user who works its kind (finance: settlement kinds; operations: the rest)",
			Request: exceptions.AssignInput{}, Response: exceptions.Exception{}, Status: 200, Errors: append(idWrite, http.StatusForbidden),
			handler: action(s, s.Exceptions.Assign)},
		{Method: "POST", Path: p + "/exceptions/:id/retry", Permission: auth.ExceptionsWork, Summary: "take a missed order in again once its cause is fixed (read again from the marketplace, or from its payload)",
			Request: struct{}{}, Response: orderpull.RetryResult{}, Status: 200, Errors: append(idWrite, http.StatusPreconditionFailed), handler: s.retryException},

		{Method: "POST", Path: p + "/reconciliations", Permission: auth.Reconcile,
			Summary: "reconcile a channel as a background job: kind stock (what the marketplace holds against what it should) or orders (the last 7 days); auto_correct puts it right",
			Request: reconcile.Input{}, Response: reconcile.Reconciliation{}, Status: 202, Errors: idWrite, handler: s.startReconciliation},
		{Method: "GET", Path: p + "/reconciliations/:id", Permission: auth.Reconcile, Summary: "a reconciliation: status, counts, progress and one page of the differences it found",
			Query: paged(), Response: reconcile.Reconciliation{}, Status: 200, Errors: []int{http.StatusNotFound, http.StatusUnprocessableEntity}, handler: s.getReconciliation},

		{Method: "GET", Path: p + "/audit", Permission: auth.AuditRead, Summary: "the audit log",
			Query:    paged(param("resource", "only entries about this kind of resource (product, artisan, ...)"), param("resource_id", "only entries about this resource"), param("actor_id", "only what this user did")),
			Response: paging.Page[audit.Entry]{}, Status: 200, Errors: []int{http.StatusUnprocessableEntity}, handler: list(s, s.listAudit)},
		{Method: "GET", Path: p + "/jobs/queues", Permission: auth.JobsRead, Summary: "job queue sizes and failures", Response: QueueList{}, Status: 200, handler: s.listQueues},
	}
}

// paged adds ?limit and ?cursor to a listing's filters.
// publicLang is the public pages' ?lang= (remembered in a cookie).
var publicLang = []Param{param("lang", "the page's language, remembered in a cookie (else the cookie, else Accept-Language)", showcase.Languages...)}

func paged(filters ...Param) []Param {
	return append(filters,
		Param{Name: "limit", Type: "integer", Doc: "items per page, 1 to 500 (default 50)"},
		Param{Name: "cursor", Doc: "next_cursor of the previous page"})
}

// param is an optional string query parameter, with its allowed values if
// they are a closed set.
func param(name, doc string, enum ...string) Param { return Param{Name: name, Doc: doc, Enum: enum} }

func required(name, doc string) Param { return Param{Name: name, Doc: doc, Required: true} }

// Health is the answer of GET /healthz.
type Health struct {
	Status string `json:"status"`
}

// Readiness is the answer of GET /readyz: each dependency ok or unreachable.
type Readiness struct {
	Ready  bool              `json:"ready"`
	Checks map[string]string `json:"checks"`
}

// Items is a list answered whole (no paging).
type Items[T any] struct {
	Items []T `json:"items"`
}

// QueueList is the answer of GET /jobs/queues.
type QueueList struct {
	Items        []QueueInfo `json:"items"`
	OutboxUnsent int64       `json:"outbox_unsent"`
}

// TokenIssued is the answer of POST /users/{id}/tokens: the token appears
// only here; a replay answers TokenNote instead.
type TokenIssued struct {
	UserID    string `json:"user_id"`
	Token     string `json:"token,omitempty"`
	TokenNote string `json:"token_note,omitempty"`
}

func (t TokenIssued) withoutSecret() any {
	t.Token, t.TokenNote = "", tokenNote(t.UserID)
	return t
}

// TokensRevoked is the answer of DELETE /users/{id}/tokens.
type TokensRevoked struct {
	UserID  string `json:"user_id"`
	Revoked int64  `json:"revoked"`
}

// RescanAccepted is the answer of POST /channels/{id}/orders/rescan.
type RescanAccepted struct {
	ChannelID string    `json:"channel_id"`
	Since     time.Time `json:"since"`
}

// ArtisanStatement is the JSON form of GET /artisans/{id}/statement.
type ArtisanStatement struct {
	finance.Statement
	SMSSummary string `json:"sms_summary"`
	// SMSLanguage is the summary's language (English when the artisan's
	// has no template); SMSSegments what it costs in SMS.
	SMSLanguage string `json:"sms_language"`
	SMSSegments int    `json:"sms_segments"`
}

func (s *Server) healthz(c *gin.Context) { c.JSON(http.StatusOK, Health{Status: "ok"}) }

func (s *Server) readyz(c *gin.Context) {
	ctx, cancel := context.WithTimeout(c.Request.Context(), 3*time.Second)
	defer cancel()
	checks := map[string]string{}
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
	c.JSON(status, Readiness{Ready: ok, Checks: checks})
}

func (s *Server) listCrafts(c *gin.Context) {
	c.JSON(http.StatusOK, Items[string]{Items: s.Catalog.Crafts().Names()})
}

// UserCreated is the answer to POST /users: the token appears only here.
// A replay of the request (same Idempotency-Key) answers TokenNote instead.
type UserCreated struct {
	auth.User
	Token     string `json:"token,omitempty"`
	TokenNote string `json:"token_note,omitempty"`
}

func (u UserCreated) withoutSecret() any {
	u.Token, u.TokenNote = "", tokenNote(u.ID)
	return u
}

// tokenNote replaces a token in a replayed answer.
func tokenNote(userID string) string {
	return "the token was shown once, in the first answer to this request, and is not kept; " +
		"to get another, POST " + APIPrefix + "/users/" + userID + "/tokens (and revoke the lost one with DELETE on the same path)"
}

func (s *Server) createUser(ctx context.Context, in auth.NewUser) (UserCreated, error) {
	u, token, err := s.auth.CreateUser(ctx, in)
	return UserCreated{User: u, Token: token}, err
}

func (s *Server) issueToken(c *gin.Context) {
	id, err := pathID(c)
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	token, err := s.auth.IssueToken(c.Request.Context(), id)
	s.respond(c, http.StatusCreated, TokenIssued{UserID: id, Token: token}, err)
}

func (s *Server) revokeTokens(c *gin.Context) {
	id, err := pathID(c)
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	n, err := s.auth.RevokeTokens(c.Request.Context(), id)
	s.respond(c, http.StatusOK, TokensRevoked{UserID: id, Revoked: n}, err)
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
	c.JSON(http.StatusOK, QueueList{Items: qs, OutboxUnsent: pending})
}

func (s *Server) listArtisans(c *gin.Context, p paging.Request) (paging.Page[catalog.Artisan], error) {
	q, err := search.Parse(c.Query("q"))
	if err != nil {
		return paging.Page[catalog.Artisan]{}, err
	}
	f := catalog.ArtisanFilter{ClusterID: c.Query("cluster_id"), Craft: c.Query("craft"), Status: c.Query("status"), Search: q}
	return s.Catalog.ListArtisans(c.Request.Context(), f, p)
}

func (s *Server) listProducts(c *gin.Context, p paging.Request) (paging.Page[catalog.Product], error) {
	q, err := search.Parse(c.Query("q"))
	if err != nil {
		return paging.Page[catalog.Product]{}, err
	}
	f := catalog.ProductFilter{ArtisanID: c.Query("artisan_id"), Craft: c.Query("craft"), Status: c.Query("status"), SKU: c.Query("sku"), Search: q}
	return s.Catalog.ListProducts(c.Request.Context(), f, p)
}

func (s *Server) listStock(c *gin.Context, p paging.Request) (paging.Page[inventory.Level], error) {
	f := inventory.LevelFilter{ProductID: c.Query("product_id"), LocationID: c.Query("location_id")}
	return s.Inventory.ListLevels(c.Request.Context(), f, p)
}

func (s *Server) listMovements(c *gin.Context, p paging.Request) (paging.Page[inventory.Movement], error) {
	f := inventory.MovementFilter{ProductID: c.Query("product_id"), LocationID: c.Query("location_id"), Kind: c.Query("kind")}
	return s.Inventory.ListMovements(c.Request.Context(), f, p)
}

func (s *Server) listAudit(c *gin.Context, p paging.Request) (paging.Page[audit.Entry], error) {
	f := audit.Filter{Resource: c.Query("resource"), ResourceID: c.Query("resource_id"), ActorID: c.Query("actor_id")}
	return s.Audit.ListAudit(c.Request.Context(), f, p)
}

// list makes a handler for a keyset-paged listing: read ?limit and
// ?cursor, fetch, answer {"items","next_cursor"}.
func list[T any](s *Server, fetch func(c *gin.Context, p paging.Request) (paging.Page[T], error)) gin.HandlerFunc {
	return func(c *gin.Context) {
		p, err := pageRequest(c)
		if err != nil {
			writeError(c, s.log, err)
			return
		}
		page, err := fetch(c, p)
		s.respond(c, http.StatusOK, page, err)
	}
}

// create makes a handler that decodes In, calls fn and answers 201.
func create[In, Out any](s *Server, fn func(ctx context.Context, in In) (Out, error)) gin.HandlerFunc {
	return func(c *gin.Context) {
		var in In
		if err := decodeJSON(c, &in); err != nil {
			writeError(c, s.log, err)
			return
		}
		out, err := fn(c.Request.Context(), in)
		s.respond(c, http.StatusCreated, out, err)
	}
}

// byID makes a handler for GET /{id}.
func byID[Out any](s *Server, fn func(ctx context.Context, id string) (Out, error)) gin.HandlerFunc {
	return func(c *gin.Context) {
		id, err := pathID(c)
		if err != nil {
			writeError(c, s.log, err)
			return
		}
		out, err := fn(c.Request.Context(), id)
		s.respond(c, http.StatusOK, out, err)
	}
}

// patch makes a handler for PATCH /{id} with a JSON body.
func patch[In, Out any](s *Server, fn func(ctx context.Context, id string, in In) (Out, error)) gin.HandlerFunc {
	return actionStatus(s, http.StatusOK, fn)
}

func (s *Server) getChannel(ctx context.Context, id string) (channels.Channel, error) {
	ch, err := s.Channels.Get(ctx, id)
	if err == nil && s.ChannelCalls != nil {
		ch.Health.CallsLastHour, ch.Health.ThrottledLastHour = s.ChannelCalls(ctx, id)
	}
	return ch, err
}

func (s *Server) listChannels(c *gin.Context) {
	chs, err := s.Channels.List(c.Request.Context())
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	if s.ChannelCalls != nil {
		for i := range chs {
			chs[i].Health.CallsLastHour, chs[i].Health.ThrottledLastHour = s.ChannelCalls(c.Request.Context(), chs[i].ID)
		}
	}
	c.JSON(http.StatusOK, paging.Page[channels.Channel]{Items: chs})
}

func listingIDs(c *gin.Context) (productID, channelID string, err error) {
	if productID, err = pathID(c); err != nil {
		return "", "", err
	}
	channelID = c.Param("channel_id")
	if !ids.Valid(channelID) {
		return "", "", apperr.New(apperr.NotFound, "no channel has id %q", truncate(channelID, 64))
	}
	return productID, channelID, nil
}

func (s *Server) publish(c *gin.Context) {
	pid, cid, err := listingIDs(c)
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	var in listing.Input
	if err := decodeJSON(c, &in); err != nil {
		writeError(c, s.log, err)
		return
	}
	out, err := s.Listings.Publish(c.Request.Context(), pid, cid, in)
	s.respond(c, http.StatusOK, out, err)
}

func (s *Server) unpublish(c *gin.Context) {
	pid, cid, err := listingIDs(c)
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	out, err := s.Listings.Unpublish(c.Request.Context(), pid, cid)
	s.respond(c, http.StatusOK, out, err)
}

func (s *Server) listListings(c *gin.Context, p paging.Request) (paging.Page[listing.Listing], error) {
	f := listing.Filter{ChannelID: c.Query("channel_id"), ProductID: c.Query("product_id"), Status: c.Query("status")}
	return s.Listings.List(c.Request.Context(), f, p)
}

func (s *Server) listExceptions(c *gin.Context, p paging.Request) (paging.Page[exceptions.Exception], error) {
	before, err := exceptions.OlderThan(c.Query("older_than"), time.Now())
	if err != nil {
		return paging.Page[exceptions.Exception]{}, err
	}
	f := exceptions.Filter{Kind: c.Query("kind"), Status: c.DefaultQuery("status", "open"), ChannelID: c.Query("channel_id"),
		Assignee: c.Query("assignee"), CreatedBefore: before}
	return s.Exceptions.List(c.Request.Context(), f, p)
}

func (s *Server) resolveException(c *gin.Context) {
	id, err := pathID(c)
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	var in exceptions.ResolveInput
	if err := decodeJSON(c, &in); err != nil {
		writeError(c, s.log, err)
		return
	}
	out, err := s.Exceptions.Resolve(c.Request.Context(), id, in, reqctx.ActorFrom(c.Request.Context()).Name)
	s.respond(c, http.StatusOK, out, err)
}

func (s *Server) listFiles(c *gin.Context, p paging.Request) (paging.Page[channels.File], error) {
	id, err := pathID(c)
	if err != nil {
		return paging.Page[channels.File]{}, err
	}
	return s.Files.List(c.Request.Context(), id, p)
}

func (s *Server) downloadFile(c *gin.Context) {
	id, err := pathID(c)
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	fileID := c.Param("file_id")
	if !ids.Valid(fileID) {
		writeError(c, s.log, apperr.New(apperr.NotFound, "no file has id %q", truncate(fileID, 64)))
		return
	}
	f, data, err := s.Files.Get(c.Request.Context(), id, fileID)
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	c.Header("Content-Disposition", `attachment; filename="`+strings.ReplaceAll(f.Name, `"`, "")+`"`)
	c.Data(http.StatusOK, f.ContentType, data)
}

// importOrders takes a GeM order file in: every order once, whatever the
// file repeats, with its stock reserved and the other channels updated.
func (s *Server) importOrders(c *gin.Context) {
	id, err := pathID(c)
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	data, _, err := upload(c, "order")
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	sum, err := s.ImportOrders(c.Request.Context(), id, data)
	s.respond(c, http.StatusOK, sum, err)
}

func (s *Server) importCatalogueExport(c *gin.Context) {
	id, err := pathID(c)
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	data, name, err := upload(c, "catalogue export")
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	f, err := s.ImportCatalogueExport(c.Request.Context(), id, name, data)
	s.respond(c, http.StatusCreated, f, err)
}

// upload reads the multipart field "file" (at most 16 MiB).
func upload(c *gin.Context, what string) ([]byte, string, error) {
	fh, err := c.FormFile("file")
	if err != nil {
		return nil, "", apperr.New(apperr.Invalid, "send the %s file as multipart/form-data field \"file\" (at most 16 MiB)", what)
	}
	f, err := fh.Open()
	if err != nil {
		return nil, "", apperr.New(apperr.Invalid, "the uploaded file could not be read")
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, 16<<20))
	if err != nil {
		return nil, "", apperr.New(apperr.Invalid, "the uploaded file could not be read")
	}
	return data, fh.Filename, nil
}

// RescanInput is the body of POST /channels/{id}/orders/rescan.
type RescanInput struct {
	Since time.Time `json:"since"`
}

func (s *Server) rescanOrders(c *gin.Context) {
	id, err := pathID(c)
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	var in RescanInput
	if err := decodeJSON(c, &in); err != nil {
		writeError(c, s.log, err)
		return
	}
	if in.Since.IsZero() || in.Since.After(s.now()) || in.Since.Before(s.now().AddDate(-1, 0, 0)) {
		writeError(c, s.log, apperr.FieldErrors{"since": "must be an RFC 3339 time within the last year"}.Err())
		return
	}
	err = s.RescanOrders(c.Request.Context(), id, in.Since)
	s.respond(c, http.StatusAccepted, RescanAccepted{ChannelID: id, Since: in.Since.UTC()}, err)
}

func (s *Server) listOrders(c *gin.Context, p paging.Request) (paging.Page[orders.Order], error) {
	return s.Orders.List(c.Request.Context(), orders.Filter{ChannelID: c.Query("channel_id"), Status: c.Query("status")}, p)
}

func (s *Server) getOrder(ctx context.Context, id string) (orders.Order, error) {
	return s.Orders.Get(ctx, id)
}

func (s *Server) listTasks(c *gin.Context, p paging.Request) (paging.Page[fulfilment.Task], error) {
	return s.Tasks.List(c.Request.Context(), fulfilment.Filter{Status: c.Query("status"), Kind: c.Query("kind"), LocationID: c.Query("location_id")}, p)
}

func (s *Server) transitionTask(c *gin.Context) { action(s, s.Tasks.Transition)(c) }

// action is a POST on one resource: its id from the path, a JSON body, 200
// with what fn answers.
func action[In, Out any](s *Server, fn func(ctx context.Context, id string, in In) (Out, error)) gin.HandlerFunc {
	return actionStatus(s, http.StatusOK, fn)
}

func actionStatus[In, Out any](s *Server, status int, fn func(ctx context.Context, id string, in In) (Out, error)) gin.HandlerFunc {
	return func(c *gin.Context) {
		id, err := pathID(c)
		if err != nil {
			writeError(c, s.log, err)
			return
		}
		var in In
		if err := decodeAction(c, &in); err != nil {
			writeError(c, s.log, err)
			return
		}
		out, err := fn(c.Request.Context(), id, in)
		s.respond(c, status, out, err)
	}
}

func (s *Server) listFeeSchedules(c *gin.Context) {
	out, err := s.Finance.ListFeeSchedules(c.Request.Context(), c.Query("channel_id"))
	s.respond(c, http.StatusOK, Items[finance.FeeSchedule]{Items: out}, err)
}

func (s *Server) importSettlement(c *gin.Context) {
	data, name, err := upload(c, "settlement")
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	sum, err := s.Finance.ImportSettlement(c.Request.Context(), c.Query("channel_id"), name, data)
	s.respond(c, http.StatusOK, sum, err)
}

// Received is the answer to a webhook delivery that was taken.
type Received struct {
	Received bool `json:"received"`
}

// NotificationReceived answers a marketplace's notification: taken, and
// whether it was queued (false: seen before, or unreadable and kept for a
// person).
type NotificationReceived struct {
	Received bool `json:"received"`
	Queued   bool `json:"queued"`
}

// flipkartNotification takes the raw body; the signature covers the URL
// it was posted to, which is rebuilt from the request (a channel behind a
// proxy sets settings.notification_url instead).
func (s *Server) flipkartNotification(c *gin.Context) {
	if s.FlipkartNotification == nil {
		writeError(c, s.log, apperr.New(apperr.NotFound, "Flipkart notifications are not taken here"))
		return
	}
	body, err := readAll(c)
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	scheme := "http"
	if c.Request.TLS != nil {
		scheme = "https"
	}
	arrivedAt := scheme + "://" + c.Request.Host + c.Request.URL.EscapedPath()
	if c.Request.URL.RawQuery != "" {
		arrivedAt += "?" + c.Request.URL.RawQuery
	}
	queued, err := s.FlipkartNotification(c.Request.Context(), arrivedAt, c.Request.Header, body)
	s.respond(c, http.StatusOK, NotificationReceived{Received: true, Queued: queued}, err)
}

// payoutWebhook takes the raw body (the signature is over its bytes).
func (s *Server) payoutWebhook(c *gin.Context) {
	if s.PayoutWebhook == nil {
		writeError(c, s.log, apperr.New(apperr.NotFound, "no payout provider is configured here"))
		return
	}
	body, err := readAll(c)
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	err = s.PayoutWebhook(c.Request.Context(), c.Param("provider"), c.Request.Header, body)
	s.respond(c, http.StatusOK, Received{Received: true}, err)
}

func (s *Server) batchLines(c *gin.Context) {
	id, err := pathID(c)
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	list(s, func(c *gin.Context, p paging.Request) (paging.Page[finance.PayoutLine], error) {
		return s.Payouts.Lines(c.Request.Context(), id, p)
	})(c)
}

func (s *Server) ledgerAccounts(c *gin.Context, p paging.Request) (paging.Page[finance.Balance], error) {
	return s.Finance.Accounts(c.Request.Context(), c.Query("kind"), p)
}

func (s *Server) trialBalance(c *gin.Context) {
	tb, err := s.Finance.TrialBalance(c.Request.Context())
	s.respond(c, http.StatusOK, tb, err)
}

// artisanStatement answers JSON (with an SMS-length summary), a CSV of
// the lines, or a printable HTML page.
func (s *Server) artisanStatement(c *gin.Context) {
	id, err := pathID(c)
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	ctx := c.Request.Context()
	a, err := s.Catalog.GetArtisan(ctx, id)
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	st, err := s.Finance.ArtisanStatement(ctx, id)
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	lang := c.DefaultQuery("lang", a.Language)
	switch c.DefaultQuery("format", "json") {
	case "csv":
		c.Header("Content-Disposition", `attachment; filename="statement-`+a.Code+`.csv"`)
		c.Data(http.StatusOK, "text/csv; charset=utf-8", finance.StatementCSV(st))
	case "html":
		now := time.Now()
		page, err := statements.HTML(statements.Input{Statement: st, Name: a.Name, Code: a.Code, Language: lang,
			AsOf: civil.Of(now), Generated: now})
		if err != nil {
			writeError(c, s.log, err)
			return
		}
		c.Data(http.StatusOK, "text/html; charset=utf-8", page)
	case "json":
		// The summary an artisan gets by SMS, in their language.
		summary := notify.Notice{Statement: &messages.StatementSummary{Name: a.Name, AsOf: civil.Of(time.Now()),
			PayablePaise: st.PayablePaise, HeldPaise: st.HeldPaise, PaidPaise: st.PaidPaise}}
		m, err := messages.Default(nil).ComposeWithin(messages.Language(lang), *summary.Statement, notify.MaxSegments)
		if err != nil {
			writeError(c, s.log, err)
			return
		}
		c.JSON(http.StatusOK, ArtisanStatement{Statement: st, SMSSummary: m.Text, SMSLanguage: string(m.Language), SMSSegments: m.Segments})
	default:
		writeError(c, s.log, apperr.FieldErrors{"format": "must be json, csv or html"}.Err())
	}
}

func (s *Server) listBatches(c *gin.Context) {
	out, err := s.Payouts.List(c.Request.Context())
	s.respond(c, http.StatusOK, Items[finance.PayoutBatch]{Items: out}, err)
}

// bankFile is the one response with full bank account numbers; it is
// never cached.
func (s *Server) bankFile(c *gin.Context) {
	id, err := pathID(c)
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	w := &lazyAttachment{c: c, contentType: "text/csv; charset=utf-8", filename: "neft-" + id + ".csv"}
	if err := s.Payouts.BankFile(c.Request.Context(), id, w); err != nil {
		if !w.started {
			writeError(c, s.log, err)
			return
		}
		// The answer is under way: all that can be done is to cut it, so
		// the client sees an incomplete file rather than a complete-looking one.
		s.log.ErrorContext(c.Request.Context(), "bank file cut short", "batch", id, "err", err)
		c.Abort()
		panic(http.ErrAbortHandler)
	}
	if !w.started {
		w.start()
	}
}

// lazyAttachment answers 200 with a file's headers on its first write, so
// an error found before any byte is written still gets its status.
type lazyAttachment struct {
	c                     *gin.Context
	contentType, filename string
	started               bool
}

func (w *lazyAttachment) start() {
	w.started = true
	w.c.Header("Cache-Control", "no-store")
	w.c.Header("Content-Type", w.contentType)
	w.c.Header("Content-Disposition", `attachment; filename="`+w.filename+`"`)
	w.c.Status(http.StatusOK)
}

func (w *lazyAttachment) Write(p []byte) (int, error) {
	if !w.started {
		w.start()
	}
	return w.c.Writer.Write(p)
}

func (s *Server) markPaid(c *gin.Context) {
	id, err := pathID(c)
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	data, _, err := upload(c, "bank answer")
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	out, err := s.Payouts.MarkPaid(c.Request.Context(), id, data)
	s.respond(c, http.StatusOK, out, err)
}

func (s *Server) pullSettlements(c *gin.Context) {
	id := c.Query("channel_id")
	if !ids.Valid(id) {
		writeError(c, s.log, apperr.FieldErrors{"channel_id": "is required"}.Err())
		return
	}
	sum, err := s.PullSettlements(c.Request.Context(), id)
	s.respond(c, http.StatusOK, sum, err)
}

func (s *Server) startReconciliation(c *gin.Context) {
	if s.Reconcile == nil {
		writeError(c, s.log, apperr.New(apperr.NotFound, "reconciliations are not configured"))
		return
	}
	var in reconcile.Input
	if err := decodeJSON(c, &in); err != nil {
		writeError(c, s.log, err)
		return
	}
	out, err := s.Reconcile.Start(c.Request.Context(), in)
	s.respond(c, http.StatusAccepted, out, err)
}

func (s *Server) getReconciliation(c *gin.Context) {
	if s.Reconcile == nil {
		writeError(c, s.log, apperr.New(apperr.NotFound, "reconciliations are not configured"))
		return
	}
	id, err := pathID(c)
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	p, err := pageRequest(c)
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	out, err := s.Reconcile.Get(c.Request.Context(), id, p)
	s.respond(c, http.StatusOK, out, err)
}
