package store

import (
	"errors"
	"regexp"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
	"gorm.io/gorm"

	"github.com/jkhhc/artisanbridge/internal/apperr"
	"github.com/jkhhc/artisanbridge/migrations"
)

// A constraint the database enforces, as a caller should hear of it: the
// API field it is about and what to do. PostgreSQL names the violated
// constraint or unique index; SQLite names a unique index by its
// "table.column" list and a CHECK by its expression (or its name when it
// has one), so an entry carries both.
type constraint struct {
	// pg are the PostgreSQL constraint or unique index names (one CHECK
	// expression may guard several tables).
	pg []string
	// sqlite is what SQLite reports: "t.a, t.b" for a unique index, the
	// expression (whitespace collapsed) or the name for a CHECK.
	sqlite  string
	field   string
	message string
}

// uniqueConstraints are the unique indexes and primary keys (other than a
// plain id) of migrations/: a violation is 409 conflict naming the field.
// TestEveryConstraintIsNamed fails when the schema has one missing here.
var uniqueConstraints = []constraint{
	{pg: []string{"users_name_key"}, sqlite: "users.name", field: "name", message: "a user with this name already exists: choose another name"},
	{pg: []string{"console_sessions_hash_key"}, sqlite: "console_sessions.token_hash", field: "session", message: "this session exists already: sign in again"},
	{pg: []string{"api_tokens_hash_key"}, sqlite: "api_tokens.token_hash", field: "token", message: "this token already exists: issue another"},
	{pg: []string{"import_chunks_pkey"}, sqlite: "import_chunks.import_id, import_chunks.seq", field: "file", message: "this piece of the file was stored already"},
	{pg: []string{"import_errors_pkey"}, sqlite: "import_errors.import_id, import_errors.seq", field: "errors", message: "this error of the import was recorded already"},
	{pg: []string{"import_keys_pkey"}, sqlite: "import_keys.import_id, import_keys.row_key", field: "key", message: "this code or SKU appears earlier in the file"},
	{pg: []string{"clusters_name_key"}, sqlite: "clusters.name", field: "name", message: "a cluster with this name already exists: choose another name, or use the existing cluster"},
	{pg: []string{"artisans_code_key"}, sqlite: "artisans.code", field: "code", message: "an artisan with this code already exists: choose another code, or change the existing artisan"},
	{pg: []string{"products_sku_key"}, sqlite: "products.sku", field: "sku", message: "a product with this sku already exists: choose another sku, or change the existing product"},
	{pg: []string{"locations_code_key"}, sqlite: "locations.code", field: "code", message: "a location with this code already exists: choose another code"},
	{pg: []string{"channels_name_key"}, sqlite: "channels.name", field: "name", message: "a channel with this name already exists"},
	{pg: []string{"listings_product_channel_key"}, sqlite: "listings.product_id, listings.channel_id", field: "channel_id",
		message: "the product is already listed on this channel: change that listing, with its version"},
	{pg: []string{"reconciliations_schedule_key"}, sqlite: "reconciliations.channel_id, reconciliations.kind, reconciliations.schedule_key",
		field: "channel_id", message: "this scheduled reconciliation was started already"},
	{pg: []string{"exceptions_open_cause_key"}, sqlite: "exceptions.cause_key", field: "cause_key", message: "an open exception has this cause already: work on that one"},
	{pg: []string{"orders_channel_external_key"}, sqlite: "orders.channel_id, orders.external_order_id", field: "external_order_id",
		message: "this marketplace order was taken in already"},
	{pg: []string{"order_lines_external_key"}, sqlite: "order_lines.channel_id, order_lines.external_order_id, order_lines.external_line_id",
		field: "external_line_id", message: "this marketplace order line was taken in already"},
	{pg: []string{"reservations_line_key"}, sqlite: "reservations.line_id", field: "line_id", message: "this order line holds a reservation already"},
	{pg: []string{"fulfilment_tasks_line_key"}, sqlite: "fulfilment_tasks.line_id", field: "line_id", message: "this order line has a fulfilment task already"},
	{pg: []string{"artisan_notifications_task_key"}, sqlite: "artisan_notifications.task_id", field: "task_id", message: "the maker was notified of this task already"},
	{pg: []string{"artisan_notifications_subject_key"}, sqlite: "artisan_notifications.subject", field: "subject", message: "the artisan was told of this already"},
	{pg: []string{"provider_events_pkey"}, sqlite: "provider_events.provider, provider_events.event_id", field: "event_id",
		message: "the payout provider's event was handled already"},
	{pg: []string{"marketplace_events_pkey"}, sqlite: "marketplace_events.channel_id, marketplace_events.event_id", field: "event_id",
		message: "this marketplace notification was taken already"},
	{pg: []string{"settlement_lines_key"}, sqlite: "settlement_lines.channel_id, settlement_lines.settlement_ref, settlement_lines.external_order_id, settlement_lines.external_line_id",
		field: "settlement_ref", message: "this settlement line was imported already"},
	{pg: []string{"ledger_entries_source_key"}, sqlite: "ledger_entries.source_ref", field: "source_ref", message: "this was posted to the ledger already"},
	{pg: []string{"artisan_earnings_line_artisan_key"}, sqlite: "artisan_earnings.line_id, artisan_earnings.artisan_id", field: "artisan_id",
		message: "this maker's earning for the line is recorded already"},
	{pg: []string{"payout_lines_reference_key"}, sqlite: "payout_lines.reference", field: "reference", message: "a payout line has this reference already"},
	{pg: []string{"payout_lines_pending_artisan_key"}, sqlite: "payout_lines.artisan_id", field: "artisan_id",
		message: "the artisan is in an unfinished payout batch already: approve and pay (or fail) that batch first"},
	{pg: []string{"earning_shares_pkey"}, sqlite: "earning_shares.product_id, earning_shares.artisan_id", field: "shares.artisan_id", message: "name each maker once"},
	{pg: []string{"idempotency_keys_pkey"}, sqlite: "idempotency_keys.principal_id, idempotency_keys.idem_key", field: "Idempotency-Key",
		message: "this key was used already: send the request with a new key"},
	{pg: []string{"processed_events_pkey"}, sqlite: "processed_events.consumer, processed_events.event_id", field: "event_id", message: "this event was processed already"},
	{pg: []string{"pull_cursors_pkey"}, sqlite: "pull_cursors.channel_id", field: "channel_id", message: "this channel has a pull cursor already"},
	{pg: []string{"product_search_pkey"}, sqlite: "product_search.product_id", field: "id",
		message: "the product's search document exists already (the database keeps it): retry"},
	{pg: []string{"artisan_search_pkey"}, sqlite: "artisan_search.artisan_id", field: "id",
		message: "the artisan's search document exists already (the database keeps it): retry"},
	{pg: []string{"stock_levels_pkey"}, sqlite: "stock_levels.product_id, stock_levels.location_id", field: "location_id",
		message: "the product has a stock level at this location already"},
	{pg: []string{"media_sha256_key"}, sqlite: "media.sha256", field: "sha256", message: "this photo is stored already: use its sha256"},
	{pg: []string{"media_variants_pkey"}, sqlite: "media_variants.media_sha256, media_variants.variant", field: "variant", message: "this photo has this variant already"},
	{pg: []string{"media_upload_chunks_pkey"}, sqlite: "media_upload_chunks.upload_id, media_upload_chunks.start_offset", field: "Upload-Offset",
		message: "these bytes of the upload were received already: ask the upload's offset and send the rest"},
	{pg: []string{"product_photos_pkey"}, sqlite: "product_photos.product_id, product_photos.position", field: "photos", message: "list each photo position once"},
	{pg: []string{"clusters_code_key"}, sqlite: "clusters.code", field: "code", message: "a cluster with this code already exists: choose another code"},
}

// checkConstraints are the CHECK constraints of migrations/: a violation
// is 422 unprocessable naming the field.
var checkConstraints = []constraint{
	oneOf("users_role_check", "role", "admin", "showroom", "operations", "finance"),
	oneOf("imports_kind_check", "kind", "artisans", "products"),
	oneOf("imports_status_check", "status", "uploading", "validating", "applying", "done", "rejected", "failed"),
	oneOf("imports_format_check", "format", "csv", "xlsx"),
	oneOf("users_status_check", "status", "active", "disabled"),
	{pg: []string{"clusters_lat_check"}, sqlite: "lat IS NULL OR (lat >= -90 AND lat <= 90)", field: "lat", message: "must be between -90 and 90"},
	{pg: []string{"clusters_lon_check"}, sqlite: "lon IS NULL OR (lon >= -180 AND lon <= 180)", field: "lon", message: "must be between -180 and 180"},
	oneOf("artisans_status_check", "status", "active", "inactive"),
	{pg: []string{"products_gst_rate_bp_check"}, sqlite: "gst_rate_bp >= 0 AND gst_rate_bp <= 10000", field: "gst_rate_bp", message: "must be between 0 and 10000 basis points"},
	{pg: []string{"products_mrp_paise_check"}, sqlite: "mrp_paise > 0", field: "mrp_paise", message: "must be > 0"},
	{pg: []string{"products_price_paise_check"}, sqlite: "price_paise > 0", field: "price_paise", message: "must be > 0"},
	{pg: []string{"products_artisan_price_paise_check"}, sqlite: "artisan_price_paise IS NULL OR artisan_price_paise > 0", field: "artisan_price_paise", message: "must be > 0"},
	{pg: []string{"products_artisan_share_bp_check"}, sqlite: "artisan_share_bp IS NULL OR (artisan_share_bp > 0 AND artisan_share_bp <= 10000)",
		field: "artisan_share_bp", message: "must be between 1 and 10000 basis points"},
	{pg: []string{"products_weight_g_check"}, sqlite: "weight_g >= 0", field: "weight_g", message: "must be >= 0"},
	{pg: []string{"products_length_mm_check"}, sqlite: "length_mm >= 0", field: "length_mm", message: "must be >= 0"},
	{pg: []string{"products_width_mm_check"}, sqlite: "width_mm >= 0", field: "width_mm", message: "must be >= 0"},
	{pg: []string{"products_height_mm_check"}, sqlite: "height_mm >= 0", field: "height_mm", message: "must be >= 0"},
	oneOf("products_status_check", "status", "draft", "active", "archived"),
	{pg: []string{"products_check"}, sqlite: "price_paise <= mrp_paise", field: "price_paise", message: "must not exceed mrp_paise"},
	{pg: []string{"products_check1"}, sqlite: "(artisan_price_paise IS NULL) <> (artisan_share_bp IS NULL)", field: "artisan_price_paise",
		message: "set exactly one of artisan_price_paise and artisan_share_bp"},
	oneOf("locations_kind_check", "kind", "showroom", "warehouse", "artisan"),
	{pg: []string{"locations_check"}, sqlite: "(kind = 'artisan') = (artisan_id IS NOT NULL)", field: "artisan_id",
		message: "an artisan location names its artisan, and only an artisan location does"},
	{pg: []string{"stock_levels_on_hand_check"}, sqlite: "on_hand >= 0", field: "quantity", message: "would take the stock on hand below zero: move fewer units"},
	{pg: []string{"stock_levels_reserved_check"}, sqlite: "reserved >= 0", field: "quantity", message: "would release more units than are reserved"},
	{pg: []string{"stock_levels_check"}, sqlite: "reserved <= on_hand", field: "quantity",
		message: "would leave fewer units on hand than orders have reserved: move fewer, or cancel the orders first"},
	oneOf("stock_movements_kind_check", "kind", "intake", "adjustment", "transfer", "damage", "sale", "return"),
	{pg: []string{"stock_movements_quantity_check"}, sqlite: "quantity <> 0", field: "quantity", message: "must not be 0"},
	{pg: []string{"stock_movements_check"}, sqlite: "(kind = 'transfer') = (to_location_id IS NOT NULL)", field: "to_location_id",
		message: "a transfer names to_location_id, and only a transfer does"},
	{pg: []string{"stock_movements_check1"}, sqlite: "kind = 'adjustment' OR quantity > 0", field: "quantity", message: "must be > 0 (only an adjustment may be negative)"},
	oneOf("idempotency_keys_state_check", "state", "in_progress", "done"),
	oneOf("channels_kind_check", "kind", "flipkart", "amazon", "gem"),
	{pg: []string{"listings_price_paise_check"}, sqlite: "price_paise IS NULL OR price_paise > 0", field: "price_paise", message: "must be > 0"},
	{pg: []string{"listings_buffer_check"}, sqlite: "buffer >= 0", field: "buffer", message: "must be >= 0"},
	{pg: []string{"listings_max_qty_check"}, sqlite: "max_qty IS NULL OR max_qty >= 0", field: "max_qty", message: "must be >= 0"},
	oneOf("listings_status_check", "status", "pending", "live", "rejected", "paused", "error", "awaiting_upload"),
	oneOf("exceptions_kind_check", "kind", "unmapped_sku", "oversold", "listing_rejected", "sync_failing", "settlement_mismatch", "missed_order", "stock_drift"),
	oneOf("exceptions_status_check", "status", "open", "resolved"),
	oneOf("reconciliations_kind_check", "kind", "stock", "orders"),
	oneOf("reconciliations_status_check", "status", "pending", "running", "done", "failed"),
	oneOf("reconciliation_differences_class_check", "class", "push_pending", "edited_on_marketplace", "unknown_sku", "missing_there",
		"price_differs", "missed_order", "status_differs"),
	oneOf("reconciliation_differences_action_check", "action", "reported", "corrected", "ingested"),
	{pg: []string{"channel_files_size_bytes_check"}, sqlite: "size_bytes >= 0", field: "size_bytes", message: "must be >= 0"},
	oneOf("orders_status_check", "status", "open", "awaiting_mapping", "cancelled", "shipped", "delivered", "returned"),
	{pg: []string{"order_lines_quantity_check", "reservations_quantity_check", "order_returns_quantity_check"}, sqlite: "quantity > 0",
		field: "quantity", message: "must be > 0"},
	{pg: []string{"order_lines_unit_price_paise_check"}, sqlite: "unit_price_paise >= 0", field: "unit_price_paise", message: "must be >= 0"},
	oneOf("order_lines_status_check", "status", "awaiting_mapping", "reserved", "to_make", "oversold", "cancelled", "shipped", "delivered", "returned"),
	oneOf("reservations_status_check", "status", "held", "released", "consumed"),
	oneOf("fulfilment_tasks_kind_check", "kind", "pick", "collect", "make"),
	oneOf("fulfilment_tasks_status_check", "status", "open", "acknowledged", "collected", "packed", "dispatched", "delivered", "cancelled"),
	oneOf("order_returns_source_check", "source", "customer", "courier"),
	oneOf("order_returns_disposition_check", "disposition", "restock", "damaged"),
	oneOf("artisan_notifications_status_check", "status", "pending", "sent"),
	{pg: []string{"fee_schedules_commission_bp_check"}, sqlite: "commission_bp BETWEEN 0 AND 10000", field: "commission_bp", message: "must be between 0 and 10000 basis points"},
	{pg: []string{"fee_schedules_collection_fee_bp_check"}, sqlite: "collection_fee_bp BETWEEN 0 AND 10000", field: "collection_fee_bp",
		message: "must be between 0 and 10000 basis points"},
	{pg: []string{"fee_schedules_shipping_fee_paise_check"}, sqlite: "shipping_fee_paise >= 0", field: "shipping_fee_paise", message: "must be >= 0"},
	oneOf("settlement_lines_status_check", "status", "settled", "short_paid", "unmatched", "unchecked"),
	{pg: []string{"ledger_postings_amount_paise_check"}, sqlite: "amount_paise <> 0", field: "amount_paise", message: "must not be 0"},
	{pg: []string{"artisan_earnings_amount_paise_check"}, sqlite: "amount_paise >= 0", field: "amount_paise", message: "must be >= 0"},
	oneOf("artisan_earnings_status_check", "status", "held", "payable", "clawed_back"),
	oneOf("payout_batches_status_check", "status", "draft", "approved", "exported", "sending", "sent", "paid", "partly_paid", "failed"),
	{pg: []string{"order_lines_marketplace_status_check"}, sqlite: "order_lines_marketplace_status_check", field: "marketplace_status",
		message: "must be one of open, cancelled, shipped, delivered, returned (or empty)"},
	{pg: []string{"order_lines_returned_quantity_check"}, sqlite: "order_lines_returned_quantity_check", field: "quantity",
		message: "never more can come back than was shipped: record only what is left to come back"},
	{pg: []string{"payout_lines_amount_paise_check"}, sqlite: "amount_paise > 0", field: "amount_paise", message: "must be > 0"},
	oneOf("payout_lines_status_check", "status", "pending", "paid", "failed"),
	{pg: []string{"earning_shares_weight_check"}, sqlite: "weight > 0 AND weight <= 10000", field: "shares.weight", message: "must be between 1 and 10000"},
	{pg: []string{"media_bytes_check"}, sqlite: "media_bytes_check", field: "file", message: "a photo has bytes, a width and a height"},
	{pg: []string{"media_uploads_received_check"}, sqlite: "media_uploads_received_check", field: "Upload-Offset",
		message: "the chunk runs past the upload's length: send only the bytes that are left"},
}

// oneOf is the entry of a "column IN (...)" CHECK.
func oneOf(pgName, column string, values ...string) constraint {
	quoted := make([]string, len(values))
	for i, v := range values {
		quoted[i] = "'" + v + "'"
	}
	return constraint{pg: []string{pgName}, sqlite: column + " IN (" + strings.Join(quoted, ", ") + ")", field: column,
		message: "must be one of " + strings.Join(values, ", ")}
}

var (
	uniqueByPG, uniqueBySQLite = index(uniqueConstraints)
	checkByPG, checkBySQLite   = index(checkConstraints)
)

func index(cs []constraint) (byPG, bySQLite map[string]constraint) {
	byPG, bySQLite = map[string]constraint{}, map[string]constraint{}
	for _, c := range cs {
		for _, name := range c.pg {
			byPG[name] = c
		}
		bySQLite[normalizeSQL(c.sqlite)] = c
	}
	return byPG, bySQLite
}

var spaces = regexp.MustCompile(`\s+`)

// normalizeSQL collapses whitespace, as SQLite reports a CHECK written over
// several lines with its line breaks.
func normalizeSQL(s string) string { return strings.TrimSpace(spaces.ReplaceAllString(s, " ")) }

// PostgreSQL error codes (Appendix A of its manual).
const (
	pgUniqueViolation     = "23505"
	pgCheckViolation      = "23514"
	pgForeignKeyViolation = "23503"
	pgNotNullViolation    = "23502"
	pgNumericOutOfRange   = "22003"
	pgBadEncoding         = "22021" // character_not_in_repertoire: a NUL byte, invalid UTF-8
	pgUntranslatable      = "22P05"
)

// SQLite extended result codes.
const (
	sqliteCheck      = 275
	sqliteForeignKey = 787
	sqliteNotNull    = 1299
	sqlitePrimaryKey = 1555
	sqliteUnique     = 2067
	sqliteTrigger    = 1811 // SQLITE_CONSTRAINT_TRIGGER: a trigger's RAISE(ABORT, name)
)

// triggerGuards are the rules a trigger enforces (migrations/oneofakind.go):
// PostgreSQL names the guard as the constraint of a check_violation,
// SQLite as the message of its RAISE.
var triggerGuards = map[string]constraint{
	migrations.GuardOneUnit: {field: "quantity",
		message: "would give a one-of-a-kind piece more than one unit: it is only ever one piece (take in 1, or say one_of_a_kind false if the maker made several)"},
	migrations.GuardOneOfAKindStock: {field: "one_of_a_kind",
		message: "the product holds more than one unit in stock, so it is not one of a kind: move the extra units out first"},
}

// triggerGuard finds the guard a SQLite trigger's message names.
func triggerGuard(text string) (constraint, bool) {
	for name, c := range triggerGuards {
		if strings.Contains(text, name) {
			return c, true
		}
	}
	return constraint{}, false
}

// sqliteCoder is the SQLite driver's error (modernc via glebarez).
type sqliteCoder interface {
	error
	Code() int
}

var sqliteDetail = regexp.MustCompile(`(?s)(?:UNIQUE|CHECK|NOT NULL) constraint failed: (.*?)(?: \(\d+\))?$`)

// translate maps a database error to an apperr code by the constraint it
// names: a unique index is a conflict, a CHECK or a missing referenced
// record is unprocessable, each naming the field and what to do. Text
// PostgreSQL cannot store (NUL, bad UTF-8) is invalid input, a backstop
// behind the HTTP layer's own check. Anything else stays internal.
func translate(err error) error {
	if err == nil {
		return nil
	}
	var ae *apperr.Error
	if errors.As(err, &ae) {
		return err
	}
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return apperr.Wrap(err, apperr.NotFound, "not found")
	}
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		return translatePostgres(err, pg)
	}
	var lite sqliteCoder
	if errors.As(err, &lite) {
		return translateSQLite(err, lite)
	}
	return err
}

func translatePostgres(err error, pg *pgconn.PgError) error {
	switch pg.Code {
	case pgUniqueViolation:
		c, ok := uniqueByPG[pg.ConstraintName]
		if !ok && pg.ConstraintName == pg.TableName+"_pkey" {
			c, ok = idTaken, true
		}
		return violation(err, apperr.Conflict, c, ok)
	case pgCheckViolation:
		if pg.ConstraintName == "" {
			// A trigger's own check (the ledger balancing): a bug, not input.
			return err
		}
		c, ok := checkByPG[pg.ConstraintName]
		if !ok {
			c, ok = triggerGuards[pg.ConstraintName]
		}
		return violation(err, apperr.Unprocessable, c, ok)
	case pgForeignKeyViolation:
		field := strings.TrimSuffix(strings.TrimPrefix(pg.ConstraintName, pg.TableName+"_"), "_fkey")
		return violation(err, apperr.Unprocessable, constraint{field: field, message: missingReference}, field != "")
	case pgNotNullViolation:
		return violation(err, apperr.Unprocessable, constraint{field: pg.ColumnName, message: "is required"}, pg.ColumnName != "")
	case pgNumericOutOfRange:
		return apperr.Wrap(err, apperr.Unprocessable, "a number is out of the range the database can hold")
	case pgBadEncoding, pgUntranslatable:
		return apperr.Wrap(err, apperr.Invalid, "text must be valid UTF-8 without NUL characters")
	}
	return err
}

func translateSQLite(err error, lite sqliteCoder) error {
	detail := ""
	if m := sqliteDetail.FindStringSubmatch(lite.Error()); m != nil {
		detail = normalizeSQL(m[1])
	}
	switch lite.Code() {
	case sqliteUnique, sqlitePrimaryKey:
		c, ok := uniqueBySQLite[detail]
		if !ok && strings.HasSuffix(detail, ".id") && !strings.Contains(detail, ",") {
			c, ok = idTaken, true
		}
		return violation(err, apperr.Conflict, c, ok)
	case sqliteCheck:
		c, ok := checkBySQLite[detail]
		return violation(err, apperr.Unprocessable, c, ok)
	case sqliteTrigger:
		// Only a named guard is the caller's to mend; any other trigger's
		// refusal (the audit log is append-only) is a bug, kept internal.
		if c, ok := triggerGuard(lite.Error()); ok {
			return violation(err, apperr.Unprocessable, c, true)
		}
		return err
	case sqliteForeignKey:
		// SQLite does not say which reference failed.
		return apperr.Wrap(err, apperr.Unprocessable, "%s: check the ids in the request", missingReference)
	case sqliteNotNull:
		_, column, found := strings.Cut(detail, ".")
		return violation(err, apperr.Unprocessable, constraint{field: column, message: "is required"}, found)
	}
	return err
}

const missingReference = "refers to a record that does not exist"

// idTaken is every plain id primary key: ids are generated, so a repeat
// is a retry of a write that already happened.
var idTaken = constraint{field: "id", message: "a record with this id exists already: it was written before"}

func violation(err error, code apperr.Code, c constraint, known bool) error {
	if !known {
		if code == apperr.Conflict {
			return apperr.Wrap(err, code, "this record exists already")
		}
		return apperr.Wrap(err, code, "the change would break a rule of the stored data")
	}
	e := apperr.Wrap(err, code, "%s %s", c.field, c.message)
	e.Fields = map[string]string{c.field: c.message}
	return e
}

// isUnique reports whether err is a unique violation.
func isUnique(err error) bool {
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		return pg.Code == pgUniqueViolation
	}
	var lite sqliteCoder
	if errors.As(err, &lite) {
		return lite.Code() == sqliteUnique || lite.Code() == sqlitePrimaryKey
	}
	return false
}
