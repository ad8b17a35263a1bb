package sqldb_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"fupin.dev/services/platform/sqldb"
	"fupin.dev/services/platform/sqldb/sqldbtest"
)

var errBoom = errors.New("boom")

// newTable opens a fresh database with a small table to write to.
func newTable(t *testing.T, d sqldb.Dialect) *sqldb.DB {
	t.Helper()
	db := sqldbtest.Open(t, d)
	mustExec(t, db, `CREATE TABLE items (id INTEGER PRIMARY KEY, code TEXT NOT NULL UNIQUE, parent INTEGER REFERENCES items (id),
		qty INTEGER NOT NULL DEFAULT 0 CHECK (qty >= 0))`)
	return db
}

func mustExec(t *testing.T, db *sqldb.DB, query string, args ...any) {
	t.Helper()
	err := db.InTx(t.Context(), func(ctx context.Context) error {
		_, err := db.Q(ctx).ExecContext(ctx, query, args...)
		return err
	})
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
}

func insert(ctx context.Context, db *sqldb.DB, id int) error {
	_, err := db.Q(ctx).ExecContext(ctx, `INSERT INTO items (id, code) VALUES ($1, $2)`, id, fmt.Sprintf("c%d", id))
	return err
}

// ids reads the table through Q(ctx): the transaction in ctx, or the read pool outside one.
func ids(t *testing.T, ctx context.Context, db *sqldb.DB) []int {
	t.Helper()
	rows, err := db.Q(ctx).QueryContext(ctx, `SELECT id FROM items ORDER BY id`)
	if err != nil {
		t.Fatalf("select: %v", err)
	}
	defer rows.Close()
	var out []int
	for rows.Next() {
		var id int
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		out = append(out, id)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func equal(a, b []int) bool { return fmt.Sprint(a) == fmt.Sprint(b) }

func TestInTx(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		tests := []struct {
			name    string
			run     func(ctx context.Context, db *sqldb.DB) error
			wantErr error
			want    []int
		}{
			{name: "commits", want: []int{1, 2}, run: func(ctx context.Context, db *sqldb.DB) error {
				return db.InTx(ctx, func(ctx context.Context) error {
					return errors.Join(insert(ctx, db, 1), insert(ctx, db, 2))
				})
			}},
			{name: "rolls back on error", wantErr: errBoom, want: nil, run: func(ctx context.Context, db *sqldb.DB) error {
				return db.InTx(ctx, func(ctx context.Context) error {
					if err := insert(ctx, db, 1); err != nil {
						return err
					}
					return fmt.Errorf("after insert: %w", errBoom)
				})
			}},
			{name: "rolls back on a failed statement", want: nil, wantErr: errAny, run: func(ctx context.Context, db *sqldb.DB) error {
				return db.InTx(ctx, func(ctx context.Context) error {
					if err := insert(ctx, db, 1); err != nil {
						return err
					}
					return insert(ctx, db, 1)
				})
			}},
			{name: "nested joins the outer transaction", want: []int{1, 2}, run: func(ctx context.Context, db *sqldb.DB) error {
				return db.InTx(ctx, func(ctx context.Context) error {
					if err := insert(ctx, db, 1); err != nil {
						return err
					}
					return db.InTx(ctx, func(ctx context.Context) error { return insert(ctx, db, 2) })
				})
			}},
			{name: "inner error rolls back everything", wantErr: errBoom, want: nil, run: func(ctx context.Context, db *sqldb.DB) error {
				return db.InTx(ctx, func(ctx context.Context) error {
					if err := insert(ctx, db, 1); err != nil {
						return err
					}
					return db.InTx(ctx, func(ctx context.Context) error {
						if err := insert(ctx, db, 2); err != nil {
							return err
						}
						return errBoom
					})
				})
			}},
			{name: "outer error after a clean inner call rolls back the inner writes", wantErr: errBoom, want: nil,
				run: func(ctx context.Context, db *sqldb.DB) error {
					return db.InTx(ctx, func(ctx context.Context) error {
						if err := db.InTx(ctx, func(ctx context.Context) error { return insert(ctx, db, 2) }); err != nil {
							return err
						}
						return errBoom
					})
				}},
			{name: "canceled context does not begin", wantErr: context.Canceled, want: nil, run: func(ctx context.Context, db *sqldb.DB) error {
				ctx, cancel := context.WithCancel(ctx)
				cancel()
				return db.InTx(ctx, func(ctx context.Context) error { return insert(ctx, db, 1) })
			}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				db := newTable(t, d)
				err := tt.run(t.Context(), db)
				switch {
				case tt.wantErr == nil && err != nil:
					t.Fatalf("InTx: %v", err)
				case tt.wantErr == errAny && err == nil, tt.wantErr != nil && tt.wantErr != errAny && !errors.Is(err, tt.wantErr):
					t.Fatalf("InTx error = %v, want %v", err, tt.wantErr)
				}
				if got := ids(t, t.Context(), db); !equal(got, tt.want) {
					t.Errorf("rows after InTx = %v, want %v", got, tt.want)
				}
			})
		}

		t.Run("rolls back on panic and re-panics", func(t *testing.T) {
			db := newTable(t, d)
			var recovered any
			func() {
				defer func() { recovered = recover() }()
				_ = db.InTx(t.Context(), func(ctx context.Context) error {
					if err := insert(ctx, db, 1); err != nil {
						t.Errorf("insert: %v", err)
					}
					panic(errBoom)
				})
			}()
			if recovered != errBoom {
				t.Errorf("recovered %v, want the handler's panic value", recovered)
			}
			if got := ids(t, t.Context(), db); len(got) != 0 {
				t.Errorf("rows after panic = %v, want none", got)
			}
			// The connection went back to the pool: the database still takes writes.
			if err := db.InTx(t.Context(), func(ctx context.Context) error { return insert(ctx, db, 3) }); err != nil {
				t.Fatalf("InTx after a panic: %v", err)
			}
			if got := ids(t, t.Context(), db); !equal(got, []int{3}) {
				t.Errorf("rows = %v, want [3]", got)
			}
		})

		t.Run("carries the transaction in the context", func(t *testing.T) {
			db := newTable(t, d)
			if sqldb.InTransaction(t.Context()) {
				t.Error("InTransaction outside InTx = true")
			}
			err := db.InTx(t.Context(), func(ctx context.Context) error {
				if !sqldb.InTransaction(ctx) {
					t.Error("InTransaction inside InTx = false")
				}
				if err := insert(ctx, db, 1); err != nil {
					return err
				}
				// The transaction sees its own write; a reader outside it does not, until it commits.
				if got := ids(t, ctx, db); !equal(got, []int{1}) {
					t.Errorf("inside the transaction: %v, want [1]", got)
				}
				if got := ids(t, context.WithoutCancel(t.Context()), db); len(got) != 0 {
					t.Errorf("outside the transaction before commit: %v, want none", got)
				}
				return db.InTx(ctx, func(ctx context.Context) error {
					if got := ids(t, ctx, db); !equal(got, []int{1}) {
						t.Errorf("nested call does not see the outer write: %v", got)
					}
					return nil
				})
			})
			if err != nil {
				t.Fatal(err)
			}
		})

		t.Run("Q reads outside a transaction", func(t *testing.T) {
			db := newTable(t, d)
			mustExec(t, db, `INSERT INTO items (id, code) VALUES (7, 'c7'), (8, 'c8')`)
			var n int
			if err := db.Q(t.Context()).QueryRowContext(t.Context(), `SELECT count(*) FROM items WHERE id > $1`, 6).Scan(&n); err != nil {
				t.Fatalf("QueryRow: %v", err)
			}
			if n != 2 {
				t.Errorf("count = %d, want 2", n)
			}
			if got := ids(t, t.Context(), db); !equal(got, []int{7, 8}) {
				t.Errorf("rows = %v, want [7 8]", got)
			}
		})

		if d == sqldb.SQLite {
			t.Run("Q refuses writes outside a transaction", func(t *testing.T) {
				db := newTable(t, d)
				if err := insert(t.Context(), db, 1); err == nil {
					t.Error("a write outside InTx succeeded on the read-only pool")
				}
			})
		}
	})
}

// errAny stands for "some error" in TestInTx's table.
var errAny = errors.New("any error")

func TestIsUniqueViolation(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		db := newTable(t, d)
		mustExec(t, db, `INSERT INTO items (id, code) VALUES (1, 'a')`)
		tests := []struct {
			name  string
			query string
			want  bool
		}{
			{name: "duplicate primary key", query: `INSERT INTO items (id, code) VALUES (1, 'b')`, want: true},
			{name: "duplicate unique column", query: `INSERT INTO items (id, code) VALUES (2, 'a')`, want: true},
			{name: "not null", query: `INSERT INTO items (id, code) VALUES (3, NULL)`, want: false},
			{name: "check", query: `INSERT INTO items (id, code, qty) VALUES (4, 'd', -1)`, want: false},
			{name: "foreign key", query: `INSERT INTO items (id, code, parent) VALUES (5, 'e', 99)`, want: false},
			{name: "syntax", query: `INSERT INTO items VALUES (`, want: false},
			{name: "missing table", query: `INSERT INTO nothing (id) VALUES (1)`, want: false},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				err := db.InTx(t.Context(), func(ctx context.Context) error {
					_, err := db.Q(ctx).ExecContext(ctx, tt.query)
					return err
				})
				if err == nil {
					t.Fatalf("%s succeeded", tt.query)
				}
				if got := sqldb.IsUniqueViolation(err); got != tt.want {
					t.Errorf("IsUniqueViolation(%v) = %v, want %v", err, got, tt.want)
				}
				if got := sqldb.IsUniqueViolation(fmt.Errorf("save item: %w", err)); got != tt.want {
					t.Errorf("IsUniqueViolation(wrapped) = %v, want %v", got, tt.want)
				}
			})
		}
	})
	t.Run("not a database error", func(t *testing.T) {
		for _, err := range []error{nil, errBoom, context.Canceled, errors.New("UNIQUE constraint failed: items.id")} {
			if sqldb.IsUniqueViolation(err) {
				t.Errorf("IsUniqueViolation(%v) = true", err)
			}
		}
	})
}

func TestOpen(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name    string
		url     string
		wantErr string // "" for success
	}{
		{name: "sqlite scheme", url: "sqlite:" + filepath.Join(dir, "a.db")},
		{name: "sqlite scheme with slashes", url: "sqlite://" + filepath.Join(dir, "b.db")},
		{name: "plain .db path", url: filepath.Join(dir, "c.db")},
		{name: "missing directory is created", url: "sqlite:" + filepath.Join(dir, "new", "deeper", "d.db")},
		{name: "unknown scheme", url: "mysql://root@localhost/fupin", wantErr: "want sqlite:PATH or postgres://"},
		{name: "empty", url: "", wantErr: "want sqlite:PATH or postgres://"},
		{name: "sqlite without a path", url: "sqlite:", wantErr: "empty path"},
		{name: "path without .db", url: filepath.Join(dir, "e.sqlite"), wantErr: "want sqlite:PATH or postgres://"},
		{name: "unknown scheme hides the password", url: "mysql://root:hunter2@localhost/fupin", wantErr: "xxxxx"},
		{name: "unreachable postgres hides the password", url: "postgres://fupin:hunter2@127.0.0.1:1/fupin?connect_timeout=2",
			wantErr: "xxxxx"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db, err := sqldb.Open(t.Context(), tt.url)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("Open(%q): %v", tt.url, err)
				}
				defer db.Close()
				if db.Dialect != sqldb.SQLite {
					t.Errorf("dialect = %q, want sqlite", db.Dialect)
				}
				if err := db.InTx(t.Context(), func(ctx context.Context) error {
					_, err := db.Q(ctx).ExecContext(ctx, `CREATE TABLE t (x INTEGER)`)
					return err
				}); err != nil {
					t.Errorf("write to the opened database: %v", err)
				}
				return
			}
			if err == nil {
				db.Close()
				t.Fatalf("Open(%q) succeeded, want an error", tt.url)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Open error = %q, want it to contain %q", err, tt.wantErr)
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Errorf("Open error %q shows the password", err)
			}
		})
	}
	t.Run("postgres", func(t *testing.T) {
		db := sqldbtest.Open(t, sqldb.Postgres)
		if db.Dialect != sqldb.Postgres {
			t.Errorf("dialect = %q, want postgres", db.Dialect)
		}
	})
}

func TestSQLiteOpenedTwice(t *testing.T) {
	path := filepath.Join(t.TempDir(), "shared.db")
	open := func() *sqldb.DB {
		db, err := sqldb.Open(t.Context(), "sqlite:"+path)
		if err != nil {
			t.Fatalf("open: %v", err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	}
	a, b := open(), open()
	mustExec(t, a, `CREATE TABLE items (id INTEGER PRIMARY KEY, code TEXT NOT NULL UNIQUE)`)
	if err := a.InTx(t.Context(), func(ctx context.Context) error { return insert(ctx, a, 1) }); err != nil {
		t.Fatal(err)
	}
	if got := ids(t, t.Context(), b); !equal(got, []int{1}) {
		t.Errorf("second handle reads %v, want the first's committed [1]", got)
	}
	if err := b.InTx(t.Context(), func(ctx context.Context) error { return insert(ctx, b, 2) }); err != nil {
		t.Fatal(err)
	}
	if got := ids(t, t.Context(), a); !equal(got, []int{1, 2}) {
		t.Errorf("first handle reads %v, want [1 2]", got)
	}
	// An uncommitted write on one handle stays invisible to the other.
	err := a.InTx(t.Context(), func(ctx context.Context) error {
		if err := insert(ctx, a, 3); err != nil {
			return err
		}
		if got := ids(t, t.Context(), b); !equal(got, []int{1, 2}) {
			t.Errorf("second handle sees uncommitted rows: %v", got)
		}
		return errBoom
	})
	if !errors.Is(err, errBoom) {
		t.Fatalf("InTx = %v, want %v", err, errBoom)
	}
	if _, err := os.Stat(path); err != nil {
		t.Errorf("database file: %v", err)
	}
}

func TestPlaceholders(t *testing.T) {
	tests := []struct {
		name    string
		from, n int
		want    string
	}{
		{name: "none", from: 1, n: 0, want: ""},
		{name: "one", from: 1, n: 1, want: "$1"},
		{name: "three", from: 1, n: 3, want: "$1, $2, $3"},
		{name: "second row", from: 4, n: 3, want: "$4, $5, $6"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := sqldb.Placeholders(tt.from, tt.n); got != tt.want {
				t.Errorf("Placeholders(%d, %d) = %q, want %q", tt.from, tt.n, got, tt.want)
			}
		})
	}
}

func TestParams(t *testing.T) {
	lite := &sqldb.DB{Dialect: sqldb.SQLite}
	pg := &sqldb.DB{Dialect: sqldb.Postgres}
	if got := lite.Params(3, 3); got != "?, ?, ?" {
		t.Errorf("SQLite: %q", got)
	}
	if got := pg.Params(3, 3); got != "$3, $4, $5" {
		t.Errorf("PostgreSQL: %q", got)
	}
}
