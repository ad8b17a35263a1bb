// Package sqldb is the storage foundation every fupin service shares: one database per service, SQLite
// (pure Go, embedded default) or PostgreSQL (pgx, production), embedded per-dialect migrations, and
// transactions carried in the context.
//
// Queries use $1-style placeholders, which both SQLite and PostgreSQL accept, so a store writes its SQL
// once unless the dialects really differ. A transaction opened with InTx travels in the context; Q(ctx)
// returns it, so everything a request does (the change, its audit row, its idempotency record) commits or
// rolls back together.
package sqldb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// Dialect names a supported database.
type Dialect string

// The supported dialects.
const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// Querier is what a store runs SQL on: the request's transaction or a connection pool.
type Querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// DB is one service's database.
type DB struct {
	Dialect Dialect
	write   *sql.DB // SQLite: a single connection, because SQLite has one writer at a time
	read    *sql.DB // SQLite: a pool of read-only connections (WAL lets them run beside the writer)

	// readStmts holds statements prepared on SQLite's read pool: parsing SQL is most of a small query's
	// cost there, so reads are prepared once per connection and reused. Transactions run unprepared (the
	// single writer connection cannot prepare on the side while a transaction holds it), and pgx keeps
	// its own per-connection statement cache for PostgreSQL.
	readStmts *stmtCache
}

// Open opens the database a URL names: "sqlite:PATH" (or a plain path ending in .db) or
// "postgres://user@host:port/dbname?...". A SQLite file's directory is created when missing.
func Open(ctx context.Context, dbURL string) (*DB, error) {
	switch {
	case strings.HasPrefix(dbURL, "postgres://"), strings.HasPrefix(dbURL, "postgresql://"):
		return openPostgres(ctx, dbURL)
	case strings.HasPrefix(dbURL, "sqlite:"):
		return openSQLite(ctx, strings.TrimPrefix(strings.TrimPrefix(dbURL, "sqlite:"), "//"))
	case strings.HasSuffix(dbURL, ".db"):
		return openSQLite(ctx, dbURL)
	default:
		return nil, fmt.Errorf("database URL %q: want sqlite:PATH or postgres://", redact(dbURL))
	}
}

func openSQLite(ctx context.Context, path string) (*DB, error) {
	if path == "" {
		return nil, errors.New("sqlite: empty path")
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	// No mmap_size: reading pages through a memory map saved a twentieth of the ledger import's CPU but
	// counts every touched page of the file in the process's resident memory (1.1 GB for a 350,000-household
	// county), which hides the service's real footprint.
	pragmas := "_pragma=journal_mode(WAL)&_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)"
	// The one writer gets a 32 MiB page cache (SQLite's default is 2 MiB): a register's write touches
	// several indexes with many insertion points each (per village, per status), and bulk imports write
	// thousands of rows per transaction; with the default cache most of those pages are read back from
	// the file on every transaction (measured: a fifth less CPU for the ledger import). It checkpoints
	// the WAL every 20,000 pages (80 MiB) instead of 1,000: a page rewritten by many transactions (an
	// index's inner pages) is copied back to the database once per checkpoint, not once per few commits
	// (measured: the ledger import 20 % faster).
	write, err := sql.Open("sqlite", "file:"+path+"?"+pragmas+
		"&_pragma=cache_size(-32768)&_pragma=wal_autocheckpoint(20000)&_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	write.SetMaxOpenConns(1)
	write.SetConnMaxIdleTime(0)
	if err := write.PingContext(ctx); err != nil {
		write.Close()
		return nil, fmt.Errorf("sqlite %s: %w", path, err)
	}
	read, err := sql.Open("sqlite", "file:"+path+"?"+pragmas+"&_pragma=query_only(1)")
	if err != nil {
		write.Close()
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	read.SetMaxOpenConns(8)
	read.SetMaxIdleConns(8)
	return newDB(SQLite, write, read), nil
}

func openPostgres(ctx context.Context, dbURL string) (*DB, error) {
	db, err := sql.Open("pgx", dbURL)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	db.SetMaxOpenConns(16)
	db.SetMaxIdleConns(16)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("postgres %s: %w", redact(dbURL), err)
	}
	return newDB(Postgres, db, db), nil
}

// redact hides a password in a database URL for error messages and logs.
func redact(dbURL string) string {
	u, err := url.Parse(dbURL)
	if err != nil || u.User == nil {
		return dbURL
	}
	return u.Redacted()
}

func newDB(d Dialect, write, read *sql.DB) *DB {
	db := &DB{Dialect: d, write: write, read: read}
	if d == SQLite {
		db.readStmts = newStmtCache(read)
	}
	return db
}

// Close closes the pools.
func (db *DB) Close() error {
	if db.readStmts != nil {
		db.readStmts.close()
	}
	err := db.write.Close()
	if db.read != db.write {
		err = errors.Join(err, db.read.Close())
	}
	return err
}

type txKey struct{}

// txConnKey carries the connection a PostgreSQL write transaction runs on (CopyFrom).
type txConnKey struct{}

// readTxKey carries a read-only snapshot transaction (ReadTx); InTx never joins one.
type readTxKey struct{}

// Q returns the transaction in ctx, or the read pool when there is none. Writes outside a transaction
// must go through InTx. Statements run through it are prepared once and reused.
func (db *DB) Q(ctx context.Context) Querier {
	if tx, ok := ctx.Value(txKey{}).(*sql.Tx); ok {
		if stmts, ok := ctx.Value(txStmtsKey{}).(*txStmts); ok {
			return txQuerier{tx: tx, stmts: stmts}
		}
		return tx
	}
	if tx, ok := ctx.Value(readTxKey{}).(*sql.Tx); ok {
		return tx
	}
	if db.readStmts != nil {
		return poolQuerier{stmts: db.readStmts}
	}
	return db.read
}

// InTx runs fn in a transaction carried by the context it receives. When ctx already carries one, fn joins
// it, so a use case and the platform code around it (idempotency, audit) commit as one. The transaction
// commits when fn returns nil and rolls back otherwise.
func (db *DB) InTx(ctx context.Context, fn func(ctx context.Context) error) (err error) {
	if _, ok := ctx.Value(txKey{}).(*sql.Tx); ok {
		return fn(ctx)
	}
	var conn *sql.Conn
	if db.Dialect == Postgres {
		// The transaction runs on a connection held apart, so CopyFrom can reach its pgx connection.
		if conn, err = db.write.Conn(ctx); err != nil {
			return fmt.Errorf("begin: %w", err)
		}
		defer conn.Close()
		ctx = context.WithValue(ctx, txConnKey{}, conn)
	}
	var tx *sql.Tx
	if conn != nil {
		tx, err = conn.BeginTx(ctx, nil)
	} else {
		tx, err = db.write.BeginTx(ctx, nil)
	}
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer func() {
		if p := recover(); p != nil {
			_ = tx.Rollback()
			panic(p)
		}
		if err != nil {
			_ = tx.Rollback()
			return
		}
		if cerr := tx.Commit(); cerr != nil {
			err = fmt.Errorf("commit: %w", cerr)
		}
	}()
	ctx = context.WithValue(ctx, txKey{}, tx)
	if db.Dialect == SQLite {
		ctx = context.WithValue(ctx, txStmtsKey{}, &txStmts{m: map[string]*sql.Stmt{}})
	}
	return fn(ctx)
}

// ReadTx runs fn in a read-only transaction that sees one snapshot of the database for all its
// statements (Q(ctx) returns it), without blocking writers: on SQLite a deferred transaction of the read
// pool (WAL: the snapshot is fixed by its first read), on PostgreSQL a REPEATABLE READ, READ ONLY
// transaction. A long consistent read (the register's export with the change feed's position) needs
// it: two statements outside a transaction may see different commits. Inside InTx, fn joins the write
// transaction instead.
func (db *DB) ReadTx(ctx context.Context, fn func(ctx context.Context) error) (err error) {
	if InTransaction(ctx) {
		return fn(ctx)
	}
	if _, ok := ctx.Value(readTxKey{}).(*sql.Tx); ok {
		return fn(ctx)
	}
	var opts *sql.TxOptions
	if db.Dialect == Postgres {
		opts = &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true}
	}
	tx, err := db.read.BeginTx(ctx, opts)
	if err != nil {
		return fmt.Errorf("begin read: %w", err)
	}
	// Nothing is written: the transaction ends with a rollback either way.
	defer func() { _ = tx.Rollback() }()
	return fn(context.WithValue(ctx, readTxKey{}, tx))
}

// Exec runs one writing statement in the transaction in ctx, or in a transaction of its own when there is
// none, so a store method that writes one row works inside a use case's transaction and alone.
func (db *DB) Exec(ctx context.Context, query string, args ...any) (res sql.Result, err error) {
	err = db.InTx(ctx, func(ctx context.Context) error {
		res, err = db.Q(ctx).ExecContext(ctx, query, args...)
		return err
	})
	return res, err
}

// Prepare prepares query on the transaction in ctx, for a statement run many times in one
// transaction (bulk work on SQLite). The statement closes with the transaction.
func (db *DB) Prepare(ctx context.Context, query string) (*sql.Stmt, error) {
	tx, ok := ctx.Value(txKey{}).(*sql.Tx)
	if !ok {
		return nil, errors.New("sqldb: Prepare needs a transaction (InTx)")
	}
	return tx.PrepareContext(ctx, query)
}

// InTransaction reports whether ctx carries a transaction.
func InTransaction(ctx context.Context) bool {
	_, ok := ctx.Value(txKey{}).(*sql.Tx)
	return ok
}

// IsUniqueViolation reports whether err is a unique-constraint violation in either dialect.
func IsUniqueViolation(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code == "23505"
	}
	var sqlErr *sqlite.Error
	if errors.As(err, &sqlErr) {
		return sqlErr.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || sqlErr.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	}
	return false
}

// Migrate applies the migrations in fsys under the folder named for the dialect ("sqlite" or "postgres"),
// recording them in table, so the platform's and the service's migrations keep separate versions.
func (db *DB) Migrate(ctx context.Context, fsys fs.FS, table string, logger *slog.Logger) error {
	sub, err := fs.Sub(fsys, string(db.Dialect))
	if err != nil {
		return fmt.Errorf("migrations for %s: %w", db.Dialect, err)
	}
	dialect := goose.DialectSQLite3
	// Out of order: each area of a service owns a range of version numbers (docs/CONTRIBUTING.md) and areas
	// are built in parallel, so a database may have an area's 00004 before another area's 00002 exists; the
	// areas' migrations touch only their own tables, and a missing lower version is applied, not refused.
	opts := []goose.ProviderOption{goose.WithTableName(table), goose.WithDisableGlobalRegistry(true), goose.WithAllowOutofOrder(true)}
	if db.Dialect == Postgres {
		dialect = goose.DialectPostgres
		// Replicas starting together must not migrate at once: an advisory lock serializes them.
		locker, err := lock.NewPostgresSessionLocker()
		if err != nil {
			return err
		}
		opts = append(opts, goose.WithSessionLocker(locker))
	}
	p, err := goose.NewProvider(dialect, db.write, sub, opts...)
	if err != nil {
		return fmt.Errorf("migrations %s: %w", table, err)
	}
	results, err := p.Up(ctx)
	if err != nil {
		return fmt.Errorf("migrate %s: %w", table, err)
	}
	if logger != nil {
		for _, r := range results {
			logger.Debug("migration applied", "table", table, "version", r.Source.Version, "duration", r.Duration)
		}
	}
	return nil
}

// Params returns n parameter markers for a statement whose parameters are all this list, in order: "?"
// on SQLite, which finds a numbered $N parameter's name by a linear search (a statement with thousands of
// them — an IN list, a multi-row upsert — turns quadratic), and "$from, …" (Placeholders) on PostgreSQL.
func (db *DB) Params(from, n int) string {
	if db.Dialect == SQLite {
		return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
	}
	return Placeholders(from, n)
}

// Placeholders returns "$from, $from+1, ..." n times, for building multi-row statements.
func Placeholders(from, n int) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "$%d", from+i)
	}
	return b.String()
}

// LockRow locks the row of table whose column equals key for the rest of the transaction in ctx, so a
// read-change-write of it cannot interleave with another's: SELECT … FOR UPDATE on PostgreSQL; nothing
// on SQLite, whose one writer already serializes write transactions. table and column are the caller's
// constants, never input.
func (db *DB) LockRow(ctx context.Context, table, column string, key any) error {
	if db.Dialect != Postgres {
		return nil
	}
	if _, err := db.Q(ctx).ExecContext(ctx, `SELECT 1 FROM `+table+` WHERE `+column+` = $1 FOR UPDATE`, key); err != nil {
		return fmt.Errorf("lock %s %v: %w", table, key, err)
	}
	return nil
}
