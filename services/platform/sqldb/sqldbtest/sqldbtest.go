// Package sqldbtest gives tests a fresh database on every backend fupin supports, so one contract
// suite runs on SQLite and on PostgreSQL.
//
// PostgreSQL tests use FUPIN_TEST_POSTGRES_DSN, or a server on 127.0.0.1:5432 (user postgres). Each test
// gets its own database, dropped afterwards. Without a server they are skipped with a visible message,
// except under CI=true, where a missing server fails the run.
package sqldbtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"fupin.dev/services/platform/sqldb"
)

// DefaultPostgresDSN is used when FUPIN_TEST_POSTGRES_DSN is not set.
const DefaultPostgresDSN = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// Dialects are the backends every contract suite runs on.
var Dialects = []sqldb.Dialect{sqldb.SQLite, sqldb.Postgres}

// Each runs fn as a subtest for every dialect; fn opens fresh databases with Open(t, d) as it needs.
func Each(t *testing.T, fn func(t *testing.T, d sqldb.Dialect)) {
	t.Helper()
	for _, d := range Dialects {
		t.Run(string(d), func(t *testing.T) { fn(t, d) })
	}
}

// Open returns a fresh, empty database of the dialect, closed (and for PostgreSQL dropped) when the
// test ends.
func Open(t testing.TB, d sqldb.Dialect) *sqldb.DB {
	t.Helper()
	u := URL(t, d)
	db, err := sqldb.Open(context.Background(), u)
	if err != nil {
		t.Fatalf("open %s: %v", d, err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// URL returns the URL of a fresh, empty database of the dialect.
func URL(t testing.TB, d sqldb.Dialect) string {
	t.Helper()
	if d == sqldb.SQLite {
		return "sqlite:" + filepath.Join(t.TempDir(), "test.db")
	}
	return freshPostgres(t)
}

func freshPostgres(t testing.TB) string {
	t.Helper()
	dsn := os.Getenv("FUPIN_TEST_POSTGRES_DSN")
	if dsn == "" {
		dsn = DefaultPostgresDSN
	}
	admin, err := sql.Open("pgx", dsn)
	if err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err = admin.PingContext(ctx)
		cancel()
	}
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("PostgreSQL is required under CI=true but not reachable at %s: %v", dsn, err)
		}
		skipPostgres(t, fmt.Sprintf("no server at %s (%v)", dsn, err))
	}
	defer admin.Close()
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := "fupin_test_" + hex.EncodeToString(b)
	if _, err := admin.Exec("CREATE DATABASE " + name); err != nil {
		t.Fatalf("create database: %v", err)
	}
	t.Cleanup(func() {
		a, err := sql.Open("pgx", dsn)
		if err != nil {
			return
		}
		defer a.Close()
		_, _ = a.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)")
	})
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatalf("parse dsn: %v", err)
	}
	u.Path = "/" + name
	return u.String()
}
