package migrations

// ledgerBalanceOnceUp (version 82) checks that entries balance once per
// INSERT statement instead of once per posting at commit: the deferred row
// trigger of version 10 queued an event per posting and summed its entry
// once per posting at commit, seven times for a settlement line's entry,
// which made a 50,000-line settlement file spend most of its time there. The
// statement trigger reads the postings the statement inserted (a transition
// table) and sums each of their entries once, by the entry index. It checks
// at the end of the statement, not at commit: the store writes an entry's
// postings in one statement (store.postAll never splits an entry), so every
// entry balances when its INSERT ends, and a posting added later to an
// entry (a raw INSERT) is summed with the entry's others and refused all
// the same. SQLite has no transition tables; the finance package refuses an
// unbalanced entry before it is written, on both.
func ledgerBalanceOnceUp(dialect Dialect) []string {
	if dialect != Postgres {
		return nil
	}
	return append([]string{`CREATE OR REPLACE FUNCTION artisanbridge_entries_balance() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    bad TEXT;
BEGIN
    SELECT n.entry_id INTO bad FROM (SELECT DISTINCT entry_id FROM new_postings) n
    WHERE (SELECT SUM(p.amount_paise) FROM ledger_postings p WHERE p.entry_id = n.entry_id) <> 0
    LIMIT 1;
    IF bad IS NOT NULL THEN
        RAISE EXCEPTION 'ledger entry % does not balance', bad USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END
$$`, `CREATE TRIGGER ledger_postings_balance_stmt AFTER INSERT ON ledger_postings
REFERENCING NEW TABLE AS new_postings FOR EACH STATEMENT EXECUTE FUNCTION artisanbridge_entries_balance()`},
		ledgerBalanceDown(dialect)...)
}

// ledgerBalanceOnceDown puts back version 10's deferred row trigger.
func ledgerBalanceOnceDown(dialect Dialect) []string {
	if dialect != Postgres {
		return nil
	}
	return append([]string{`DROP TRIGGER IF EXISTS ledger_postings_balance_stmt ON ledger_postings`,
		`DROP FUNCTION IF EXISTS artisanbridge_entries_balance()`}, ledgerBalanceUp(dialect)...)
}
