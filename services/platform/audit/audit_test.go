package audit_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"fupin.dev/services/platform/audit"
	"fupin.dev/services/platform/migrations"
	"fupin.dev/services/platform/sqldb"
	"fupin.dev/services/platform/sqldb/sqldbtest"
)

var errBoom = errors.New("boom")

// newLog opens a fresh database with the platform's tables and a log on it, closed when the test ends.
func newLog(t *testing.T, d sqldb.Dialect) (*sqldb.DB, *audit.Log) {
	t.Helper()
	db := sqldbtest.Open(t, d)
	if err := migrations.Apply(t.Context(), db, nil); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	l := audit.New(db, slog.New(slog.DiscardHandler))
	t.Cleanup(l.Close)
	return db, l
}

func record(i int) audit.Record {
	return audit.Record{
		At: time.Date(2026, 11, 23, 9, 30, 0, 123456000, time.UTC).Add(time.Duration(i) * time.Second), Kind: audit.KindMutation,
		Method: "/fupin.identification.v1.HouseholdService/UpdateHousehold", Actor: fmt.Sprintf("u-%d", i),
		Department: "rural_revitalization", Role: "township_officer", OnBehalfOf: "u-person", Purpose: "case_handling",
		Resource: fmt.Sprintf("households/%d", i), RecordCount: 1, Code: "OK", RequestID: fmt.Sprintf("req-%d", i),
		TraceID: "4bf92f3577b34da6a3ce929d0e0e4736", PersonIDs: []string{fmt.Sprintf("p-%d", i), "p-spouse"},
	}
}

func list(t *testing.T, l *audit.Log, limit int) []audit.Record {
	t.Helper()
	rs, err := l.List(t.Context(), limit)
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	return rs
}

func actors(rs []audit.Record) string {
	var a []string
	for _, r := range rs {
		a = append(a, r.Actor)
	}
	return strings.Join(a, ",")
}

func TestWrite(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		tests := []struct {
			name string
			fail bool // the transaction returns an error after writing
			want string
		}{
			{name: "committed with the transaction", fail: false, want: "u-1"},
			{name: "rolled back with the transaction", fail: true, want: ""},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				db, l := newLog(t, d)
				err := db.InTx(t.Context(), func(ctx context.Context) error {
					if err := l.Write(ctx, record(1)); err != nil {
						return err
					}
					if tt.fail {
						return errBoom
					}
					return nil
				})
				if tt.fail != errors.Is(err, errBoom) || (!tt.fail && err != nil) {
					t.Fatalf("InTx = %v", err)
				}
				got := list(t, l, 10)
				if actors(got) != tt.want {
					t.Fatalf("rows = %q, want %q", actors(got), tt.want)
				}
				if len(got) == 1 {
					want := record(1)
					if !got[0].At.Equal(want.At) {
						t.Errorf("At = %v, want %v", got[0].At, want.At)
					}
					got[0].At = want.At
					if !reflect.DeepEqual(got[0], want) {
						t.Errorf("row = %+v, want %+v", got[0], want)
					}
				}
			})
		}
	})
}

func TestEnqueue(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		t.Run("flushed by Close", func(t *testing.T) {
			_, l := newLog(t, d)
			// More than one batch, so the batched insert and its placeholders are exercised.
			const n = 1203
			for i := range n {
				l.Enqueue(record(i))
			}
			l.Close()
			got := list(t, l, 2*n)
			if len(got) != n {
				t.Fatalf("rows after Close = %d, want %d", len(got), n)
			}
			seen := make(map[string]bool, n)
			for _, r := range got {
				seen[r.Actor] = true
			}
			if len(seen) != n {
				t.Errorf("distinct rows = %d, want %d", len(seen), n)
			}
			l.Close() // a second Close is harmless
		})

		t.Run("flushed without Close", func(t *testing.T) {
			_, l := newLog(t, d)
			l.Enqueue(record(1))
			// The writer flushes on its own ticker; poll for the row until a deadline.
			deadline := time.After(10 * time.Second)
			poll := time.NewTicker(10 * time.Millisecond)
			defer poll.Stop()
			for len(list(t, l, 10)) == 0 {
				select {
				case <-deadline:
					t.Fatal("queued row not written within 10s")
				case <-poll.C:
				}
			}
		})

		t.Run("after Close rows are written directly", func(t *testing.T) {
			_, l := newLog(t, d)
			l.Close()
			l.Enqueue(record(1))
			if got := actors(list(t, l, 10)); got != "u-1" {
				t.Errorf("rows = %q, want the row enqueued after Close", got)
			}
		})

		t.Run("concurrent with Close", func(t *testing.T) {
			_, l := newLog(t, d)
			var wg sync.WaitGroup
			for w := range 4 {
				wg.Go(func() {
					for i := range 25 {
						l.Enqueue(record(w*100 + i))
					}
				})
			}
			l.Close()
			wg.Wait()
			if got := len(list(t, l, 1000)); got != 100 {
				t.Errorf("rows = %d, want all 100", got)
			}
		})
	})
}

func TestAppendOnly(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		db, l := newLog(t, d)
		if err := db.InTx(t.Context(), func(ctx context.Context) error { return l.Write(ctx, record(1)) }); err != nil {
			t.Fatal(err)
		}
		tests := []struct {
			name  string
			query string
		}{
			{name: "update", query: `UPDATE fupin_audit SET actor = 'someone else'`},
			{name: "update of one row", query: `UPDATE fupin_audit SET code = 'OK' WHERE actor = 'u-1'`},
			{name: "delete", query: `DELETE FROM fupin_audit`},
			{name: "delete of one row", query: `DELETE FROM fupin_audit WHERE actor = 'u-1'`},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				err := db.InTx(t.Context(), func(ctx context.Context) error {
					_, err := db.Q(ctx).ExecContext(ctx, tt.query)
					return err
				})
				if err == nil || !strings.Contains(err.Error(), "append-only") {
					t.Errorf("%s = %v, want the append-only refusal", tt.query, err)
				}
				if got := list(t, l, 10); actors(got) != "u-1" || got[0].Code != "OK" {
					t.Errorf("rows after %s = %+v, want the original row", tt.query, got)
				}
			})
		}
	})
}

func TestList(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		db, l := newLog(t, d)
		for i := 1; i <= 4; i++ {
			if err := db.InTx(t.Context(), func(ctx context.Context) error { return l.Write(ctx, record(i)) }); err != nil {
				t.Fatal(err)
			}
		}
		tests := []struct {
			name  string
			limit int
			want  string
		}{
			{name: "all, newest first", limit: 10, want: "u-4,u-3,u-2,u-1"},
			{name: "limited to the newest", limit: 2, want: "u-4,u-3"},
			{name: "none", limit: 0, want: ""},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				if got := actors(list(t, l, tt.limit)); got != tt.want {
					t.Errorf("List(%d) = %q, want %q", tt.limit, got, tt.want)
				}
			})
		}
	})
}

func TestFailedBatchIsLogged(t *testing.T) {
	// A database without the audit table: the batch fails and the failure reaches the logger.
	db := sqldbtest.Open(t, sqldb.SQLite)
	var logs lockedBuffer
	l := audit.New(db, slog.New(slog.NewTextHandler(&logs, nil)))
	l.Enqueue(record(1))
	l.Close()
	if !strings.Contains(logs.String(), "audit batch write") || !strings.Contains(logs.String(), "fupin_audit") {
		t.Errorf("log = %q, want the failed batch with its cause", logs.String())
	}
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}
