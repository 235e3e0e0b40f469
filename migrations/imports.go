package migrations

// importChunksUp (version 69) makes the table an uploaded import file is
// kept in until its job is done: the file in 1 MiB pieces, so that the API
// stores it as it arrives and a worker on another machine reads it back
// piece by piece, neither holding the whole file. Binary columns differ by
// dialect (BYTEA, BLOB), hence a Go migration.
func importChunksUp(dialect Dialect) []string {
	blob := "BLOB"
	if dialect == Postgres {
		blob = "BYTEA"
	}
	return []string{`CREATE TABLE import_chunks (
    import_id TEXT NOT NULL REFERENCES imports (id) ON DELETE CASCADE,
    seq       BIGINT NOT NULL,
    data      ` + blob + ` NOT NULL,
    PRIMARY KEY (import_id, seq)
)`}
}

func importChunksDown(Dialect) []string { return []string{`DROP TABLE import_chunks`} }
