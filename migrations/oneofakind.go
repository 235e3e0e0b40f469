package migrations

// Version 50: a one-of-a-kind piece never holds more than one unit. The
// rule spans rows (the units of a piece over every location), so it is a
// trigger, not a CHECK: stock_levels refuses an insert or a change of
// on_hand that would give such a piece a second unit, and products refuse
// becoming one-of-a-kind while more than one unit is held. On PostgreSQL
// the trigger first locks the product row, so two transactions taking in
// a unit at two locations at once are serialised and the second one sees
// the first one's unit; SQLite's writes are serialised already. Both name
// the guard (PostgreSQL as the constraint of a check_violation, SQLite as
// the RAISE message), and internal/store/errors.go maps it to the field.

const (
	// GuardOneUnit and GuardOneOfAKindStock name the two guards.
	GuardOneUnit         = "stock_levels_one_of_a_kind"
	GuardOneOfAKindStock = "products_one_of_a_kind_stock"
)

func oneOfAKindUp(dialect Dialect) []string {
	if dialect == Postgres {
		return []string{`CREATE OR REPLACE FUNCTION artisanbridge_one_unit() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.on_hand > 0 AND EXISTS (SELECT 1 FROM products WHERE id = NEW.product_id AND one_of_a_kind) THEN
        PERFORM 1 FROM products WHERE id = NEW.product_id FOR UPDATE;
        IF (SELECT COALESCE(SUM(on_hand), 0) FROM stock_levels WHERE product_id = NEW.product_id) > 1 THEN
            RAISE EXCEPTION 'one-of-a-kind product % would hold more than one unit', NEW.product_id
                USING ERRCODE = 'check_violation', CONSTRAINT = '` + GuardOneUnit + `';
        END IF;
    END IF;
    RETURN NULL;
END
$$`, `CREATE TRIGGER ` + GuardOneUnit + ` AFTER INSERT OR UPDATE OF on_hand ON stock_levels
FOR EACH ROW EXECUTE FUNCTION artisanbridge_one_unit()`,
			`CREATE OR REPLACE FUNCTION artisanbridge_one_of_a_kind_stock() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.one_of_a_kind AND NOT OLD.one_of_a_kind
       AND (SELECT COALESCE(SUM(on_hand), 0) FROM stock_levels WHERE product_id = NEW.id) > 1 THEN
        RAISE EXCEPTION 'product % holds more than one unit', NEW.id
            USING ERRCODE = 'check_violation', CONSTRAINT = '` + GuardOneOfAKindStock + `';
    END IF;
    RETURN NULL;
END
$$`, `CREATE TRIGGER ` + GuardOneOfAKindStock + ` AFTER UPDATE OF one_of_a_kind ON products
FOR EACH ROW EXECUTE FUNCTION artisanbridge_one_of_a_kind_stock()`}
	}
	guard := `WHEN NEW.on_hand > 0 AND (SELECT one_of_a_kind FROM products WHERE id = NEW.product_id)
    AND (SELECT SUM(on_hand) FROM stock_levels WHERE product_id = NEW.product_id) > 1
BEGIN SELECT RAISE(ABORT, '` + GuardOneUnit + `'); END`
	return []string{
		`CREATE TRIGGER ` + GuardOneUnit + `_insert AFTER INSERT ON stock_levels FOR EACH ROW ` + guard,
		`CREATE TRIGGER ` + GuardOneUnit + `_update AFTER UPDATE OF on_hand ON stock_levels FOR EACH ROW ` + guard,
		`CREATE TRIGGER ` + GuardOneOfAKindStock + ` AFTER UPDATE OF one_of_a_kind ON products FOR EACH ROW
WHEN NEW.one_of_a_kind AND NOT OLD.one_of_a_kind
    AND (SELECT COALESCE(SUM(on_hand), 0) FROM stock_levels WHERE product_id = NEW.id) > 1
BEGIN SELECT RAISE(ABORT, '` + GuardOneOfAKindStock + `'); END`,
	}
}

func oneOfAKindDown(dialect Dialect) []string {
	if dialect == Postgres {
		return []string{`DROP TRIGGER IF EXISTS ` + GuardOneUnit + ` ON stock_levels`,
			`DROP TRIGGER IF EXISTS ` + GuardOneOfAKindStock + ` ON products`,
			`DROP FUNCTION IF EXISTS artisanbridge_one_unit()`, `DROP FUNCTION IF EXISTS artisanbridge_one_of_a_kind_stock()`}
	}
	return []string{`DROP TRIGGER IF EXISTS ` + GuardOneUnit + `_insert`, `DROP TRIGGER IF EXISTS ` + GuardOneUnit + `_update`,
		`DROP TRIGGER IF EXISTS ` + GuardOneOfAKindStock}
}
