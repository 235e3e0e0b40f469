package store

// Translate is translate, for the tests of the constraint table.
var Translate = translate

// ConstraintKeys returns the keys of the constraint table: PostgreSQL
// names and SQLite reports, of unique indexes and of CHECKs.
func ConstraintKeys() (pgUnique, pgCheck, sqliteUnique, sqliteCheck []string) {
	for k := range uniqueByPG {
		pgUnique = append(pgUnique, k)
	}
	for k := range checkByPG {
		pgCheck = append(pgCheck, k)
	}
	for k := range uniqueBySQLite {
		sqliteUnique = append(sqliteUnique, k)
	}
	for k := range checkBySQLite {
		sqliteCheck = append(sqliteCheck, k)
	}
	return pgUnique, pgCheck, sqliteUnique, sqliteCheck
}

// NormalizeSQL is normalizeSQL, for the same tests.
var NormalizeSQL = normalizeSQL
