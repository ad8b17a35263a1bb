package sqldb_test

import (
	"context"
	"testing"

	"fupin.dev/services/platform/sqldb"
	"fupin.dev/services/platform/sqldb/sqldbtest"
)

// TestTransactionStatements runs the same statements many times in one transaction, and inside a loop
// over open rows of the same table (on SQLite single-row statements are prepared once per transaction):
// every run sees its own arguments and the writes before it.
func TestTransactionStatements(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		db := newTable(t, d)
		ctx := t.Context()
		err := db.InTx(ctx, func(ctx context.Context) error {
			for i := 1; i <= 200; i++ {
				if err := insert(ctx, db, i); err != nil {
					return err
				}
				var n int
				if err := db.Q(ctx).QueryRowContext(ctx, `SELECT COUNT(*) FROM items WHERE id <= $1`, i).Scan(&n); err != nil {
					return err
				}
				if n != i {
					t.Fatalf("after %d inserts the transaction counts %d", i, n)
				}
			}
			if d != sqldb.SQLite {
				return nil // pgx reads one result at a time per connection: no statement inside open rows
			}
			rows, err := db.Q(ctx).QueryContext(ctx, `SELECT id FROM items WHERE id <= 10 ORDER BY id`)
			if err != nil {
				return err
			}
			defer rows.Close()
			for rows.Next() {
				var id int
				if err := rows.Scan(&id); err != nil {
					return err
				}
				// The same single-row statements again while the rows are open.
				if _, err := db.Q(ctx).ExecContext(ctx, `UPDATE items SET qty = $2 WHERE id = $1`, id, id*10); err != nil {
					return err
				}
				var qty int
				if err := db.Q(ctx).QueryRowContext(ctx, `SELECT qty FROM items WHERE id = $1`, id).Scan(&qty); err != nil || qty != id*10 {
					t.Fatalf("item %d: qty %d, %v", id, qty, err)
				}
			}
			return rows.Err()
		})
		if err != nil {
			t.Fatal(err)
		}
		if got := ids(t, ctx, db); len(got) != 200 {
			t.Errorf("%d rows after the commit", len(got))
		}
	})
}
