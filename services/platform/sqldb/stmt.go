package sqldb

import (
	"context"
	"database/sql"
	"sync"
)

// maxCachedStmts bounds the statement cache: queries built with a varying number of placeholders
// (IN lists, filters) would otherwise grow it without end. Past the bound, statements run unprepared.
const maxCachedStmts = 512

// stmtCache holds statements prepared on one pool; database/sql prepares each on a connection the first
// time it runs there and reuses it after.
type stmtCache struct {
	pool *sql.DB
	mu   sync.RWMutex
	m    map[string]*sql.Stmt
}

func newStmtCache(pool *sql.DB) *stmtCache {
	return &stmtCache{pool: pool, m: make(map[string]*sql.Stmt)}
}

// get returns the prepared statement for query, or nil when it should run unprepared.
func (c *stmtCache) get(ctx context.Context, query string) *sql.Stmt {
	c.mu.RLock()
	st, ok := c.m[query]
	full := len(c.m) >= maxCachedStmts
	c.mu.RUnlock()
	if ok {
		return st
	}
	if full {
		return nil
	}
	st, err := c.pool.PrepareContext(ctx, query)
	if err != nil {
		// Run unprepared; the query's own error, if any, surfaces there.
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if prev, ok := c.m[query]; ok {
		st.Close()
		return prev
	}
	c.m[query] = st
	return st
}

func (c *stmtCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, st := range c.m {
		st.Close()
	}
	clear(c.m)
}

type poolQuerier struct{ stmts *stmtCache }

func (q poolQuerier) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if st := q.stmts.get(ctx, query); st != nil {
		return st.ExecContext(ctx, args...)
	}
	return q.stmts.pool.ExecContext(ctx, query, args...)
}

func (q poolQuerier) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if st := q.stmts.get(ctx, query); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return q.stmts.pool.QueryContext(ctx, query, args...)
}

func (q poolQuerier) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if st := q.stmts.get(ctx, query); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return q.stmts.pool.QueryRowContext(ctx, query, args...)
}

// txStmtsKey carries a SQLite write transaction's statement cache (txStmts).
type txStmtsKey struct{}

// maxTxStmts bounds a transaction's statement cache.
const maxTxStmts = 64

// txStmts holds the statements a SQLite write transaction prepared: parsing is most of a small
// statement's cost there, and a transaction that handles a page of changes or a chunk of a resync runs
// the same few statements thousands of times. A transaction is used by one goroutine at a time.
type txStmts struct {
	m map[string]*sql.Stmt
}

// txQuerier runs a SQLite write transaction's statements, preparing those that return no rows or one row
// once per transaction (they close with it). Multi-row queries run unprepared: a statement handle is one
// cursor, and a loop over open rows may run the same query again.
type txQuerier struct {
	tx    *sql.Tx
	stmts *txStmts
}

func (q txQuerier) stmt(ctx context.Context, query string) *sql.Stmt {
	if st, ok := q.stmts.m[query]; ok {
		return st
	}
	if len(q.stmts.m) >= maxTxStmts {
		return nil
	}
	st, err := q.tx.PrepareContext(ctx, query)
	if err != nil {
		return nil // run unprepared: the query's own error surfaces there
	}
	q.stmts.m[query] = st
	return st
}

func (q txQuerier) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if st := q.stmt(ctx, query); st != nil {
		return st.ExecContext(ctx, args...)
	}
	return q.tx.ExecContext(ctx, query, args...)
}

func (q txQuerier) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return q.tx.QueryContext(ctx, query, args...)
}

func (q txQuerier) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if st := q.stmt(ctx, query); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return q.tx.QueryRowContext(ctx, query, args...)
}
