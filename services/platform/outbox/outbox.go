// Package outbox is a service's change feed: changes are appended in the same transaction as the data
// they describe, and served to other departments as a list-watch from a cursor
// (fupin.common.v1.ChangeFeedService). No message broker is needed: the database is the log.
package outbox

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	commonv1 "fupin.dev/proto/gen/fupin/common/v1"
	"fupin.dev/services/platform/sqldb"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// Feed appends to and reads one service's outbox.
type Feed struct {
	db  *sqldb.DB
	now func() time.Time

	mu      sync.Mutex
	waiters chan struct{} // closed (and replaced) when something was appended

	// servicesOnly are the topics whose payloads only services receive (ServicesOnly).
	servicesOnly map[string]bool
}

// ServicesOnly declares topics whose payloads carry what only services may receive (blind indexes): the
// feed's API sends their changes to people (a county administrator, an auditor) without the payload, so
// they still see that and when something changed, and to services whole. Call it before serving.
func (f *Feed) ServicesOnly(topics ...string) {
	if f.servicesOnly == nil {
		f.servicesOnly = map[string]bool{}
	}
	for _, t := range topics {
		f.servicesOnly[t] = true
	}
}

// New returns the feed of db.
func New(db *sqldb.DB, now func() time.Time) *Feed {
	if now == nil {
		now = time.Now
	}
	return &Feed{db: db, now: now, waiters: make(chan struct{})}
}

// Event is one change to append.
type Event struct {
	Topic      string
	Resource   string
	RegionCode string
	Payload    proto.Message
}

// pgOrderLock serializes PostgreSQL transactions that append to the outbox, so sequence numbers are
// assigned in commit order and a reader that has seen N never later finds a smaller number committed.
// (SQLite has a single writer, so it needs nothing.)
const pgOrderLock = 7_304_210_001

// Append writes events in the transaction carried by ctx (it must be inside InTx).
func (f *Feed) Append(ctx context.Context, events ...Event) error {
	if len(events) == 0 {
		return nil
	}
	if !sqldb.InTransaction(ctx) {
		return fmt.Errorf("outbox: Append must run inside the change's transaction")
	}
	q := f.db.Q(ctx)
	if f.db.Dialect == sqldb.Postgres {
		if _, err := q.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(pgOrderLock)); err != nil {
			return fmt.Errorf("outbox order lock: %w", err)
		}
	}
	now := f.now().UnixMicro()
	payloads := make([][]byte, len(events))
	for i, e := range events {
		payload, err := anypb.New(e.Payload)
		if err != nil {
			return fmt.Errorf("outbox payload: %w", err)
		}
		if payloads[i], err = proto.Marshal(payload); err != nil {
			return err
		}
	}
	if err := f.insert(ctx, q, events, payloads, now); err != nil {
		return fmt.Errorf("outbox append: %w", err)
	}
	f.poke()
	return nil
}

// Hold makes every other transaction that appends to the feed wait until the transaction in ctx ends
// (a bulk load holds the register's writers so): on PostgreSQL it takes the order lock Append takes;
// SQLite has one writer at a time anyway.
func (f *Feed) Hold(ctx context.Context) error {
	if !sqldb.InTransaction(ctx) {
		return fmt.Errorf("outbox: Hold must run inside a transaction")
	}
	if f.db.Dialect != sqldb.Postgres {
		return nil
	}
	if _, err := f.db.Q(ctx).ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(pgOrderLock)); err != nil {
		return fmt.Errorf("outbox order lock: %w", err)
	}
	return nil
}

const insertSQL = `INSERT INTO fupin_outbox (topic, resource, region_code, payload, created_us) VALUES ($1, $2, $3, $4, $5)`

// insert writes the rows. Bulk work (the ledger import appends a thousand events at once) needs more than
// one statement per row: on PostgreSQL one INSERT over unnest'ed arrays, in order, instead of a round trip
// per row; on SQLite one prepared statement run per row instead of parsing the SQL each time.
func (f *Feed) insert(ctx context.Context, q sqldb.Querier, events []Event, payloads [][]byte, now int64) error {
	switch {
	case len(events) == 1:
		e := events[0]
		_, err := q.ExecContext(ctx, insertSQL, e.Topic, e.Resource, e.RegionCode, payloads[0], now)
		return err
	case f.db.Dialect == sqldb.Postgres:
		topics, resources, regions := make([]string, len(events)), make([]string, len(events)), make([]string, len(events))
		for i, e := range events {
			topics[i], resources[i], regions[i] = e.Topic, e.Resource, e.RegionCode
		}
		_, err := q.ExecContext(ctx, `INSERT INTO fupin_outbox (topic, resource, region_code, payload, created_us)
			SELECT t, r, g, p, $5 FROM unnest($1::text[], $2::text[], $3::text[], $4::bytea[]) WITH ORDINALITY AS u (t, r, g, p, n)
			ORDER BY n`, topics, resources, regions, payloads, now)
		return err
	}
	st, err := f.db.Prepare(ctx, insertSQL)
	if err != nil {
		return err
	}
	// Rows run under a context that cannot be cancelled: for a cancellable one the SQLite driver starts a
	// watcher goroutine per statement, which costs more than these inserts. The transaction still ends
	// with ctx.
	rowCtx := context.WithoutCancel(ctx)
	for i, e := range events {
		if _, err := st.ExecContext(rowCtx, e.Topic, e.Resource, e.RegionCode, payloads[i], now); err != nil {
			return err
		}
	}
	return nil
}

// poke wakes watchers. It runs before the commit, so a watcher may find nothing yet; it then waits for
// the next poke or its poll interval, whichever comes first.
func (f *Feed) poke() {
	f.mu.Lock()
	close(f.waiters)
	f.waiters = make(chan struct{})
	f.mu.Unlock()
}

func (f *Feed) changed() <-chan struct{} {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.waiters
}

// Query selects changes.
type Query struct {
	After  int64
	Topics []string
	// Scope limits changes to resources whose region code starts with it ("" = all).
	Scope string
	Limit int
}

// List returns changes after q.After, oldest first.
func (f *Feed) List(ctx context.Context, q Query) ([]*commonv1.Change, error) {
	where := []string{"seq > $1", "substr(region_code, 1, " + fmt.Sprint(len([]rune(q.Scope))) + ") = $2"}
	args := []any{q.After, q.Scope}
	if len(q.Topics) > 0 {
		where = append(where, "topic IN ("+sqldb.Placeholders(len(args)+1, len(q.Topics))+")")
		for _, t := range q.Topics {
			args = append(args, t)
		}
	}
	args = append(args, q.Limit)
	rows, err := f.db.Q(ctx).QueryContext(ctx, `SELECT seq, topic, resource, region_code, payload, created_us FROM fupin_outbox
		WHERE `+strings.Join(where, " AND ")+fmt.Sprintf(` ORDER BY seq LIMIT $%d`, len(args)), args...)
	if err != nil {
		return nil, fmt.Errorf("list changes: %w", err)
	}
	defer rows.Close()
	var out []*commonv1.Change
	for rows.Next() {
		c := &commonv1.Change{Payload: &anypb.Any{}}
		var b []byte
		var created int64
		if err := rows.Scan(&c.Sequence, &c.Topic, &c.Resource, &c.RegionCode, &b, &created); err != nil {
			return nil, err
		}
		if err := proto.Unmarshal(b, c.Payload); err != nil {
			return nil, fmt.Errorf("change %d payload: %w", c.Sequence, err)
		}
		c.CommitTime = timestamppb.New(time.UnixMicro(created))
		out = append(out, c)
	}
	return out, rows.Err()
}

// pollEvery bounds how long a watcher waits when a change committed in another process (another
// replica) or committed after its poke.
const pollEvery = 500 * time.Millisecond

// Watch sends every change after q.After to send, then new ones as they commit, until ctx ends.
func (f *Feed) Watch(ctx context.Context, q Query, send func(*commonv1.Change) error) error {
	if q.Limit <= 0 {
		q.Limit = 500
	}
	for {
		wake := f.changed()
		changes, err := f.List(ctx, q)
		if err != nil {
			return err
		}
		for _, c := range changes {
			if err := send(c); err != nil {
				return err
			}
			q.After = c.Sequence
		}
		if len(changes) == q.Limit {
			continue
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-wake:
		case <-time.After(pollEvery):
		}
	}
}
