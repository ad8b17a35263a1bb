package store_test

import (
	"testing"

	"fupin.dev/services/employment/internal/store"
	"fupin.dev/services/platform/migrations"
	"fupin.dev/services/platform/outbox"
	"fupin.dev/services/platform/sqldb"
	"fupin.dev/services/platform/sqldb/sqldbtest"
)

// newStore opens a fresh database of dialect d with the platform's and the service's tables.
func newStore(t *testing.T, d sqldb.Dialect) *store.Store {
	t.Helper()
	db := sqldbtest.Open(t, d)
	if err := migrations.Apply(t.Context(), db, nil); err != nil {
		t.Fatal(err)
	}
	if err := store.Migrate(t.Context(), db, nil); err != nil {
		t.Fatal(err)
	}
	return store.New(db, outbox.New(db, nil))
}
