package sqldb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// CopyFrom writes n rows into table's columns with PostgreSQL's COPY (binary protocol, through the pgx
// connection of the transaction in ctx), the fastest way to load many rows: one stream instead of a
// statement per row or batch. row(i) returns row i's values in the columns' order. It needs a
// PostgreSQL write transaction (InTx); on SQLite it is an error (use prepared inserts there). table and
// columns are the caller's constants, never input. The rows are part of the transaction: readers see
// them at its commit, and constraints and indexes apply as for INSERT.
func (db *DB) CopyFrom(ctx context.Context, table string, columns []string, n int, row func(i int) ([]any, error)) (int64, error) {
	if db.Dialect != Postgres {
		return 0, errors.New("sqldb: CopyFrom is for PostgreSQL")
	}
	conn, ok := ctx.Value(txConnKey{}).(*sql.Conn)
	if !ok || !InTransaction(ctx) {
		return 0, errors.New("sqldb: CopyFrom needs a write transaction (InTx)")
	}
	var copied int64
	err := conn.Raw(func(driverConn any) error {
		c, ok := driverConn.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("sqldb: CopyFrom: driver connection %T is not pgx", driverConn)
		}
		var err error
		copied, err = c.Conn().CopyFrom(ctx, pgx.Identifier{table}, columns, pgx.CopyFromSlice(n, row))
		return err
	})
	if err != nil {
		return copied, fmt.Errorf("copy into %s: %w", table, err)
	}
	return copied, nil
}
