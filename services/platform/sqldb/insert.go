package sqldb

import (
	"context"
	"fmt"
	"strings"
)

// insertRowsPerStatement is how many rows one SQLite statement of InsertRows carries (fewer for wide
// tables: at most insertParamsPerStatement parameters).
const (
	insertRowsPerStatement   = 256
	insertParamsPerStatement = 4096
)

// InsertRows writes n rows into table's columns in the transaction in ctx as fast as the dialect allows:
// COPY on PostgreSQL (CopyFrom), multi-row INSERTs on SQLite, each carrying up to 256 rows with
// anonymous ? parameters (SQLite finds a numbered $N parameter's name by a linear search, which made
// large numbered statements quadratic), prepared once per transaction, the last few rows by a one-row
// statement. row(i) returns row i's values in the columns' order; the slice is not kept. table and columns
// are the caller's constants, never input. Constraint violations fail it as they fail an INSERT
// (IsUniqueViolation).
func (db *DB) InsertRows(ctx context.Context, table string, columns []string, n int, row func(i int) ([]any, error)) error {
	if n == 0 {
		return nil
	}
	if db.Dialect == Postgres {
		_, err := db.CopyFrom(ctx, table, columns, n, row)
		return err
	}
	if !InTransaction(ctx) {
		return fmt.Errorf("sqldb: InsertRows needs a write transaction (InTx)")
	}
	per := max(1, min(insertRowsPerStatement, insertParamsPerStatement/len(columns)))
	q := db.Q(ctx)
	// The rows run under a context that cannot be cancelled: for a cancellable one the driver starts a
	// watcher goroutine per statement. Cancellation is checked per statement.
	rowCtx := context.WithoutCancel(ctx)
	args := make([]any, 0, per*len(columns))
	var many, one string
	for i := 0; i < n; {
		if err := ctx.Err(); err != nil {
			return err
		}
		k := min(per, n-i)
		var query string
		switch {
		case k == per && many == "":
			many = insertSQL(table, columns, per)
			query = many
		case k == per:
			query = many
		default:
			k = 1
			if one == "" {
				one = insertSQL(table, columns, 1)
			}
			query = one
		}
		args = args[:0]
		for j := range k {
			vals, err := row(i + j)
			if err != nil {
				return err
			}
			if len(vals) != len(columns) {
				return fmt.Errorf("sqldb: InsertRows into %s: row %d has %d values for %d columns", table, i+j, len(vals), len(columns))
			}
			args = append(args, vals...)
		}
		if _, err := q.ExecContext(rowCtx, query, args...); err != nil {
			return fmt.Errorf("insert into %s: %w", table, err)
		}
		i += k
	}
	return nil
}

// insertSQL is INSERT INTO table (columns) VALUES (?, …), … for rows rows.
func insertSQL(table string, columns []string, rows int) string {
	var b strings.Builder
	b.WriteString("INSERT INTO " + table + " (" + strings.Join(columns, ", ") + ") VALUES ")
	tuple := "(" + strings.Repeat("?, ", len(columns)-1) + "?)"
	for r := range rows {
		if r > 0 {
			b.WriteString(", ")
		}
		b.WriteString(tuple)
	}
	return b.String()
}
