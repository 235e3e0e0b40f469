package migrations

// Stored search vectors (version 77, issue 11): on PostgreSQL the search
// documents keep their tsvector in a generated column, indexed with GIN,
// instead of an index on the expression to_tsvector('simple', doc). With
// the expression index, every row a query reads back (the recheck of a
// lossy bitmap for a common word, or a walk of the id order filtered by
// the match) parsed its document again: about 100 ms for a common word at
// a million products. A stored column is parsed once, when the document
// is written (by the triggers of version 66). SQLite's FTS5 tables
// already store their index: nothing changes there.
func searchVectorUp(dialect Dialect) []string {
	if dialect != Postgres {
		return nil
	}
	var out []string
	for _, t := range []string{"product_search", "artisan_search"} {
		out = append(out,
			`ALTER TABLE `+t+` ADD COLUMN tsv tsvector GENERATED ALWAYS AS (to_tsvector('simple', doc)) STORED`,
			`CREATE INDEX `+t+`_tsv_idx ON `+t+` USING gin (tsv)`,
			`DROP INDEX `+t+`_doc_idx`,
		)
	}
	return out
}

func searchVectorDown(dialect Dialect) []string {
	if dialect != Postgres {
		return nil
	}
	var out []string
	for _, t := range []string{"product_search", "artisan_search"} {
		out = append(out,
			`CREATE INDEX `+t+`_doc_idx ON `+t+` USING gin (to_tsvector('simple', doc))`,
			`DROP INDEX `+t+`_tsv_idx`,
			`ALTER TABLE `+t+` DROP COLUMN tsv`,
		)
	}
	return out
}
