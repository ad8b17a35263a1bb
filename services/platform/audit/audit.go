// Package audit writes the append-only audit log every fupin service keeps in its own database.
//
// A mutation's row is written in the same transaction as the change, so the log and the data can never
// disagree. Reads that return plain personal data or cross departments, and refused calls, are written
// asynchronously in batches, so auditing a busy read path costs a channel send, not a database write.
package audit

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"time"

	"fupin.dev/services/platform/sqldb"
)

// Kinds of audit row.
const (
	KindMutation = "mutation" // a change, written with it
	KindRead     = "read"     // a read of plain personal data or of another department's data
	KindDenied   = "denied"   // a call refused by authorization
	KindFailed   = "failed"   // a mutation that did not happen
	// KindConflict is a refusal that told the caller a record exists outside their region scope, one row per
	// record (package conflicts counts them per caller).
	KindConflict = "conflict"
)

// Record is one audit row.
type Record struct {
	At          time.Time
	Kind        string
	Method      string
	Actor       string
	Department  string
	Role        string
	OnBehalfOf  string
	Purpose     string
	Resource    string
	RecordCount int
	Code        string
	RequestID   string
	TraceID     string
	// PersonIDs are the persons a read returned (plain reads and reads by another department name whom
	// they read).
	PersonIDs []string
	// Filter is the AIP-160 filter a List or export read was called with.
	Filter string
}

const insertSQL = `INSERT INTO fupin_audit (at_us, kind, method, actor, department, role, on_behalf_of, purpose,
	resource, record_count, code, request_id, trace_id, person_ids, filter) VALUES `

const columns = 15

func (r Record) args() []any {
	return []any{r.At.UnixMicro(), r.Kind, r.Method, r.Actor, r.Department, r.Role, r.OnBehalfOf, r.Purpose,
		r.Resource, r.RecordCount, r.Code, r.RequestID, r.TraceID, strings.Join(r.PersonIDs, ","), r.Filter}
}

// Background is the row of a change a service makes on its own, outside any request (a scheduled job, a
// change-feed subscription): the service is the actor and job names what did it, e.g.
// "subscription/identification/households" or "schedule/paymentRolls". Written with Log.Write in the
// change's transaction, like a request's mutation.
func Background(service, job, resource string, count int, at time.Time) Record {
	return Record{At: at, Kind: KindMutation, Method: "background/" + job, Actor: "service:" + service,
		Role: "service", Resource: resource, RecordCount: count, Code: "OK"}
}

// Log writes audit rows into one service's database.
type Log struct {
	db     *sqldb.DB
	logger *slog.Logger

	queue chan Record
	wg    sync.WaitGroup
	// mu is held for reading while a row is sent to queue and for writing while Close closes it, so a
	// handler still running when the server was cut (grpc.Server.Stop does not wait for handlers) never
	// sends on a closed channel; its row is written directly instead.
	mu     sync.RWMutex
	closed bool

	// counts are public calls not yet added to fupin_public_calls (CountPublic).
	countMu sync.Mutex
	counts  map[publicCall]int
}

// publicCall is one counter of fupin_public_calls.
type publicCall struct{ day, method, code string }

// batchSize and flushEvery bound how long an asynchronous row waits and how many go in one statement.
const (
	batchSize  = 500
	flushEvery = 200 * time.Millisecond
	queueSize  = 10000
)

// New starts a log; Close flushes what is queued.
func New(db *sqldb.DB, logger *slog.Logger) *Log {
	l := &Log{db: db, logger: logger, queue: make(chan Record, queueSize)}
	l.wg.Add(1)
	go l.loop()
	return l
}

// Write inserts r in ctx's transaction: use it for mutations, inside the transaction that makes them.
func (l *Log) Write(ctx context.Context, r Record) error {
	_, err := l.db.Q(ctx).ExecContext(ctx, insertSQL+"("+sqldb.Placeholders(1, columns)+")", r.args()...)
	return err
}

// Enqueue queues r for the next batch. When the queue is full, or the log is already closed, the row is
// written synchronously rather than dropped: an audit row is never lost to load.
func (l *Log) Enqueue(r Record) {
	l.mu.RLock()
	queued := false
	if !l.closed {
		select {
		case l.queue <- r:
			queued = true
		default:
		}
	}
	l.mu.RUnlock()
	if queued {
		return
	}
	if err := l.flush([]Record{r}); err != nil {
		l.logger.Error("audit write", "err", err)
	}
}

// CountPublic counts one call of a public method (no token: the public notices and their objection form),
// answered with code on business day (YYYY-MM-DD). Public reads are audited in aggregate, not a row per
// reader: who reads a village's notices is nobody's business, how much they are read is the county's. The
// counts are added to fupin_public_calls with the next batch.
func (l *Log) CountPublic(day, method, code string) {
	l.countMu.Lock()
	if l.counts == nil {
		l.counts = map[publicCall]int{}
	}
	l.counts[publicCall{day, method, code}]++
	l.countMu.Unlock()
}

// flushCounts adds the counted public calls to fupin_public_calls, one upsert per counter.
func (l *Log) flushCounts() {
	l.countMu.Lock()
	counts := l.counts
	l.counts = nil
	l.countMu.Unlock()
	if len(counts) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err := l.db.InTx(ctx, func(ctx context.Context) error {
		for c, n := range counts {
			_, err := l.db.Q(ctx).ExecContext(ctx, `INSERT INTO fupin_public_calls (day, method, code, calls) VALUES ($1, $2, $3, $4)
				ON CONFLICT (day, method, code) DO UPDATE SET calls = fupin_public_calls.calls + excluded.calls`, c.day, c.method, c.code, n)
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		l.logger.Error("audit public call counts", "counters", len(counts), "err", err)
	}
}

// PublicCalls returns the counted public calls of a day by method and code (for tests and reports).
func PublicCalls(ctx context.Context, db *sqldb.DB, day string) (map[string]int, error) {
	rows, err := db.Q(ctx).QueryContext(ctx, `SELECT method, code, calls FROM fupin_public_calls WHERE day = $1`, day)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var method, code string
		var n int
		if err := rows.Scan(&method, &code, &n); err != nil {
			return nil, err
		}
		out[method+" "+code] = n
	}
	return out, rows.Err()
}

func (l *Log) loop() {
	defer l.wg.Done()
	t := time.NewTicker(flushEvery)
	defer t.Stop()
	batch := make([]Record, 0, batchSize)
	flush := func() {
		l.flushCounts()
		if len(batch) == 0 {
			return
		}
		if err := l.flush(batch); err != nil {
			l.logger.Error("audit batch write", "rows", len(batch), "err", err)
		}
		batch = batch[:0]
	}
	for {
		select {
		case r, ok := <-l.queue:
			if !ok {
				flush()
				return
			}
			batch = append(batch, r)
			if len(batch) >= batchSize {
				flush()
			}
		case <-t.C:
			flush()
		}
	}
}

func (l *Log) flush(batch []Record) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return l.db.InTx(ctx, func(ctx context.Context) error {
		if l.db.Dialect == sqldb.SQLite {
			// In-process SQLite: one prepared single-row statement is cheapest. (A multi-row statement's
			// numbered parameters cost SQLite quadratic time to parse and bind.)
			st, err := l.db.Prepare(ctx, insertSQL+"("+sqldb.Placeholders(1, columns)+")")
			if err != nil {
				return err
			}
			for _, r := range batch {
				if _, err := st.ExecContext(ctx, r.args()...); err != nil {
					return err
				}
			}
			return nil
		}
		// Over the network: one multi-row statement per batch, never a round trip per row.
		var q strings.Builder
		q.WriteString(insertSQL)
		args := make([]any, 0, len(batch)*columns)
		for i, r := range batch {
			if i > 0 {
				q.WriteString(", ")
			}
			q.WriteString("(" + sqldb.Placeholders(i*columns+1, columns) + ")")
			args = append(args, r.args()...)
		}
		_, err := l.db.Q(ctx).ExecContext(ctx, q.String(), args...)
		return err
	})
}

// Close writes what is queued and stops the writer.
func (l *Log) Close() {
	l.mu.Lock()
	if !l.closed {
		l.closed = true
		close(l.queue)
	}
	l.mu.Unlock()
	l.wg.Wait()
}

// List returns the newest audit rows, newest first (for tests and the audit API).
func (l *Log) List(ctx context.Context, limit int) ([]Record, error) {
	return Recent(ctx, l.db, limit)
}

// Recent returns the newest audit rows of db, newest first, without a running Log (tests reading a
// service's database from outside).
func Recent(ctx context.Context, db *sqldb.DB, limit int) ([]Record, error) {
	rows, err := db.Q(ctx).QueryContext(ctx, `SELECT at_us, kind, method, actor, department, role, on_behalf_of,
		purpose, resource, record_count, code, request_id, trace_id, person_ids, filter FROM fupin_audit ORDER BY id DESC LIMIT $1`, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Record
	for rows.Next() {
		var r Record
		var at int64
		var persons string
		if err := rows.Scan(&at, &r.Kind, &r.Method, &r.Actor, &r.Department, &r.Role, &r.OnBehalfOf, &r.Purpose,
			&r.Resource, &r.RecordCount, &r.Code, &r.RequestID, &r.TraceID, &persons, &r.Filter); err != nil {
			return nil, err
		}
		r.At = time.UnixMicro(at)
		if persons != "" {
			r.PersonIDs = strings.Split(persons, ",")
		}
		out = append(out, r)
	}
	return out, rows.Err()
}
