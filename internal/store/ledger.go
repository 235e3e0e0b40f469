package store

import (
	"github.com/jkhhc/artisanbridge/internal/finance"
	"github.com/jkhhc/artisanbridge/internal/ids"
)

// Rows per multi-row INSERT: within both databases' limits on bound
// parameters (SQLite's is 32766) for the widest row written here.
const (
	entriesPerInsert  = 1000
	postingsPerInsert = 2000
)

// post writes an entry unless its source was posted before; it reports
// whether it wrote.
func post(tx *Tx, e finance.Entry) (bool, error) {
	wrote, err := postAll(tx, []finance.Entry{e})
	return wrote[e.SourceRef], err
}

// postAll writes the entries whose sources were not posted before, in a
// few multi-row INSERTs however many there are, each entry checked to
// balance first (and by PostgreSQL again at commit). The unique source
// reference is the guard: an entry posted concurrently or before is left
// out, with its postings. It returns the sources it wrote; posted_by is the
// transaction's actor.
func postAll(tx *Tx, entries []finance.Entry) (map[string]bool, error) {
	wrote := map[string]bool{}
	for _, e := range entries {
		if err := e.Validate(); err != nil {
			return wrote, err
		}
	}
	for start := 0; start < len(entries); start += entriesPerInsert {
		chunk := entries[start:min(start+entriesPerInsert, len(entries))]
		rows := make([][]any, len(chunk))
		idOf := make(map[string]string, len(chunk))
		for i, e := range chunk {
			id := ids.New()
			if _, dup := idOf[e.SourceRef]; !dup {
				idOf[e.SourceRef] = id
			}
			rows[i] = []any{id, e.SourceRef, e.Kind, e.Memo, e.OccurredAt.UTC(), tx.Actor.ID, tx.Now}
		}
		var inserted []struct{ ID, SourceRef string }
		q := insertSQL("ledger_entries", []string{"id", "source_ref", "kind", "memo", "occurred_at", "posted_by", "created_at"}, len(rows),
			"ON CONFLICT (source_ref) DO NOTHING RETURNING id, source_ref")
		if err := tx.Raw(q, flatten(rows)...).Scan(&inserted).Error; err != nil {
			return wrote, err
		}
		written := make(map[string]bool, len(inserted))
		for _, r := range inserted {
			written[r.ID] = true
		}
		// An entry's postings go in one statement, never split between two:
		// PostgreSQL checks at the end of each INSERT that every entry it
		// touched balances (migration 82).
		var postings [][]any
		flush := func() error {
			if len(postings) == 0 {
				return nil
			}
			err := insertRows(tx, "ledger_postings", []string{"id", "entry_id", "account", "account_kind", "artisan_id", "amount_paise", "created_at"}, postings)
			postings = postings[:0]
			return err
		}
		for _, e := range chunk {
			id := idOf[e.SourceRef]
			if !written[id] || wrote[e.SourceRef] {
				continue // posted before, or a repeat within this call
			}
			wrote[e.SourceRef] = true
			if len(postings)+len(e.Postings) > postingsPerInsert {
				if err := flush(); err != nil {
					return wrote, err
				}
			}
			for _, p := range e.Postings {
				postings = append(postings, []any{ids.New(), id, p.Account, finance.AccountKind(p.Account), p.ArtisanID, p.AmountPaise, tx.Now})
			}
		}
		if err := flush(); err != nil {
			return wrote, err
		}
	}
	return wrote, nil
}
