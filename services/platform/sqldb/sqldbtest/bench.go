package sqldbtest

import (
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"database/sql"

	"fupin.dev/services/platform/sqldb"
)

// BenchHouseholds is the size of a benchmark's synthetic county: FUPIN_BENCH_HOUSEHOLDS, or def.
func BenchHouseholds(b testing.TB, def int) int {
	b.Helper()
	v := os.Getenv("FUPIN_BENCH_HOUSEHOLDS")
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		b.Fatalf("FUPIN_BENCH_HOUSEHOLDS=%q: want a positive number", v)
	}
	return n
}

// KeptURL returns the URL of a benchmark database kept from one run to the next under name (seeding a
// county takes minutes; measuring it, seconds): the SQLite file <name>.db in FUPIN_BENCH_DIR (default the
// system temp directory), or database <name> on the PostgreSQL test server, created when absent. Without
// a PostgreSQL server the benchmark is skipped.
func KeptURL(b testing.TB, d sqldb.Dialect, name string) string {
	b.Helper()
	if d == sqldb.SQLite {
		dir := os.Getenv("FUPIN_BENCH_DIR")
		if dir == "" {
			dir = os.TempDir()
		}
		return "sqlite:" + filepath.Join(dir, name+".db")
	}
	dsn := os.Getenv("FUPIN_TEST_POSTGRES_DSN")
	if dsn == "" {
		dsn = DefaultPostgresDSN
	}
	admin, err := sql.Open("pgx", dsn)
	if err == nil {
		err = admin.Ping()
	}
	if err != nil {
		skipPostgres(b, fmt.Sprintf("no server at %s (%v)", dsn, err))
	}
	defer admin.Close()
	var exists bool
	if err := admin.QueryRow(`SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name).Scan(&exists); err != nil {
		b.Fatal(err)
	}
	if !exists {
		if _, err := admin.Exec(`CREATE DATABASE ` + name); err != nil {
			b.Fatal(fmt.Errorf("create %s: %w", name, err))
		}
	}
	u, err := url.Parse(dsn)
	if err != nil {
		b.Fatal(err)
	}
	u.Path = "/" + name
	return u.String()
}
