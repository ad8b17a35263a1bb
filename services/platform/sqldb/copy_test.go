package sqldb_test

import (
	"context"
	"fmt"
	"testing"

	"fupin.dev/services/platform/sqldb"
	"fupin.dev/services/platform/sqldb/sqldbtest"
)

func TestCopyFrom(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		db := newTable(t, d)
		ctx := t.Context()
		row := func(i int) ([]any, error) { return []any{int64(i + 1), fmt.Sprintf("c%d", i+1), int64(i)}, nil }
		copyRows := func(ctx context.Context, n int) (int64, error) {
			return db.CopyFrom(ctx, "items", []string{"id", "code", "qty"}, n, row)
		}
		if d == sqldb.SQLite {
			if err := db.InTx(ctx, func(ctx context.Context) error { _, err := copyRows(ctx, 3); return err }); err == nil {
				t.Fatal("CopyFrom on SQLite: no error")
			}
			return
		}
		if _, err := copyRows(ctx, 3); err == nil {
			t.Fatal("CopyFrom outside a transaction: no error")
		}
		// Readers see the rows only at the commit.
		err := db.InTx(ctx, func(txCtx context.Context) error {
			n, err := copyRows(txCtx, 1000)
			if err != nil {
				return err
			}
			if n != 1000 {
				t.Errorf("copied %d rows, want 1000", n)
			}
			if got := ids(t, txCtx, db); len(got) != 1000 {
				t.Errorf("the transaction sees %d rows, want 1000", len(got))
			}
			if got := ids(t, ctx, db); len(got) != 0 {
				t.Errorf("a reader sees %d rows before the commit, want 0", len(got))
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if got := ids(t, ctx, db); len(got) != 1000 {
			t.Fatalf("after the commit: %d rows, want 1000", len(got))
		}
		// A duplicate key fails the copy as a unique violation, and the transaction rolls back whole.
		err = db.InTx(ctx, func(ctx context.Context) error {
			if err := insert(ctx, db, 5000); err != nil {
				return err
			}
			_, err := copyRows(ctx, 2)
			return err
		})
		if !sqldb.IsUniqueViolation(err) {
			t.Fatalf("duplicate copy: err %v, want a unique violation", err)
		}
		if got := ids(t, ctx, db); len(got) != 1000 {
			t.Fatalf("after the failed copy: %d rows, want 1000", len(got))
		}
		// The transaction's connection stays usable for statements after a copy.
		mustExec(t, db, `UPDATE items SET qty = qty + 1 WHERE id = 1`)
	})
}
