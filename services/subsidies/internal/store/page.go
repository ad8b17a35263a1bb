package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"fupin.dev/services/platform/filter"
	"fupin.dev/services/platform/sqldb"
)

// scopedPage is one page of a List over a table keyed by UUIDv7 ids (so id order is the order records were
// made): the rows whose region_code lies under scope, after the cursor id, matching the AIP-160 filter
// (compiled against fields) and any extra conditions, at most limit. It returns the page and the cursor of
// the next one ("" on the last page).
type scopedPage[T any] struct {
	table, columns string
	fields         filter.Fields
	scan           func(*sql.Rows) (T, error)
	id             func(T) string
}

// list runs the page's query; extra conditions use parameters numbered from $3 in extraArgs.
func (p scopedPage[T]) list(ctx context.Context, db *sqldb.DB, scope, after, expr string, limit int,
	extra []string, extraArgs ...any) ([]T, string, error) {
	where := append([]string{fmt.Sprintf("substr(region_code, 1, %d) = $1", len(scope)), "id > $2"}, extra...)
	args := append([]any{scope, after}, extraArgs...)
	cond, fargs, err := p.fields.Compile(expr, len(args)+1)
	if err != nil {
		return nil, "", err
	}
	if cond != "" {
		where = append(where, cond)
		args = append(args, fargs...)
	}
	limit = max(limit, 1)
	args = append(args, limit+1)
	rows, err := db.Q(ctx).QueryContext(ctx, `SELECT `+p.columns+` FROM `+p.table+` WHERE `+strings.Join(where, " AND ")+
		fmt.Sprintf(` ORDER BY id LIMIT $%d`, len(args)), args...)
	out, err := sqldb.Collect(rows, err, p.scan)
	if err != nil {
		return nil, "", fmt.Errorf("list %s: %w", p.table, err)
	}
	if len(out) <= limit {
		return out, "", nil
	}
	out = out[:limit]
	return out, p.id(out[limit-1]), nil
}
