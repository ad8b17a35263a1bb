package sqldb

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"fupin.dev/services/platform/filter"
)

// ScopedPage is the query of every List over a table of region-scoped records keyed by UUIDv7 ids (so id
// order is the order records were made): the rows whose region_code lies under the caller's scope, after
// the cursor id, matching the AIP-160 filter (compiled against Fields) and any extra conditions, at most
// limit of them.
type ScopedPage[T any] struct {
	Table, Columns string
	Fields         filter.Fields
	Scan           func(*sql.Rows) (T, error)
	ID             func(T) string
	// Broad, when set, judges the filter's fields that have a Broad condition (filter.Field.Broad), e.g.
	// by counting the other table's matches.
	Broad func(ctx context.Context, db *DB, field string, args []any) (bool, error)
}

// List runs the page's query and returns the page and the cursor of the next one ("" on the last page);
// extra conditions use parameters numbered from $3, given in extraArgs.
func (p ScopedPage[T]) List(ctx context.Context, db *DB, scope, after, expr string, limit int,
	extra []string, extraArgs ...any) ([]T, string, error) {
	where := append([]string{fmt.Sprintf("substr(region_code, 1, %d) = $1", len(scope)), "id > $2"}, extra...)
	args := append([]any{scope, after}, extraArgs...)
	var broad filter.Broad
	if p.Broad != nil {
		broad = func(field string, args []any) (bool, error) { return p.Broad(ctx, db, field, args) }
	}
	cond, fargs, err := p.Fields.CompileFunc(expr, len(args)+1, broad)
	if err != nil {
		return nil, "", err
	}
	if cond != "" {
		where = append(where, cond)
		args = append(args, fargs...)
	}
	limit = max(limit, 1)
	args = append(args, limit+1)
	rows, err := db.Q(ctx).QueryContext(ctx, `SELECT `+p.Columns+` FROM `+p.Table+` WHERE `+strings.Join(where, " AND ")+
		fmt.Sprintf(` ORDER BY id LIMIT $%d`, len(args)), args...)
	out, err := Collect(rows, err, p.Scan)
	if err != nil {
		return nil, "", fmt.Errorf("list %s: %w", p.Table, err)
	}
	if len(out) <= limit {
		return out, "", nil
	}
	out = out[:limit]
	return out, p.ID(out[limit-1]), nil
}
