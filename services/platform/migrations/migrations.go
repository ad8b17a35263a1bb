// Package migrations holds the tables the platform keeps in every service's database: idempotency
// records and the append-only audit log. They are versioned apart from the service's own migrations.
package migrations

import (
	"context"
	"embed"
	"log/slog"

	"fupin.dev/services/platform/sqldb"
)

//go:embed sqlite/*.sql postgres/*.sql
var fsys embed.FS

// Table records which platform migrations a database has.
const Table = "fupin_platform_migrations"

// Apply brings the platform's tables up to date.
func Apply(ctx context.Context, db *sqldb.DB, logger *slog.Logger) error {
	return db.Migrate(ctx, fsys, Table, logger)
}
