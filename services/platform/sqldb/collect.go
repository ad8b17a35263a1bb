package sqldb

import (
	"database/sql"
	"fmt"
)

// Collect scans every row of a query into a slice and closes the rows; err is the query's own error, so
// a store method needs no loop of its own:
//
//	rows, err := db.Q(ctx).QueryContext(ctx, query, args...)
//	return sqldb.Collect(rows, err, scanThing)
func Collect[T any](rows *sql.Rows, err error, scan func(*sql.Rows) (T, error)) ([]T, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, fmt.Errorf("scan: %w", err)
		}
		out = append(out, v)
	}
	return out, rows.Err()
}
