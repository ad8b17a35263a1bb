// Package store keeps the employment service's (人社) records in SQL, on SQLite or PostgreSQL. Each area
// keeps its tables in its own migration and its methods in its own file; the contract tests run on both
// databases.
package store

import (
	"context"
	"embed"
	"io/fs"
	"log/slog"

	"fupin.dev/services/platform/outbox"
	"fupin.dev/services/platform/payroll/payrollsql"
	"fupin.dev/services/platform/sqldb"
)

//go:embed migrations
var migrations embed.FS

// MigrationsTable records the employment service's own migrations.
const MigrationsTable = "employment_migrations"

// Store implements the domain's store interfaces on a sqldb.DB. Entitlements, rolls and their lines are
// the platform's payroll tables, kept by the embedded payrollsql.Store.
type Store struct {
	*payrollsql.Store
	db   *sqldb.DB
	feed *outbox.Feed
}

// New returns a store on db publishing changes to feed; call the platform's migrations and Migrate first
// on a new database.
func New(db *sqldb.DB, feed *outbox.Feed) *Store {
	return &Store{Store: payrollsql.New(db, feed), db: db, feed: feed}
}

// Migrate brings the service's tables up to date.
func Migrate(ctx context.Context, db *sqldb.DB, logger *slog.Logger) error {
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return err
	}
	return db.Migrate(ctx, sub, MigrationsTable, logger)
}

// InTx runs fn in one transaction (joining the one in ctx, if any).
func (s *Store) InTx(ctx context.Context, fn func(ctx context.Context) error) error {
	return s.db.InTx(ctx, fn)
}

// DB is the store's database, for the platform parts that share it (workflow engine, leader guard).
func (s *Store) DB() *sqldb.DB { return s.db }
