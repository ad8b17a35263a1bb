package outbox_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"testing"
	"time"

	commonv1 "fupin.dev/proto/gen/fupin/common/v1"
	"fupin.dev/services/platform/audit"
	"fupin.dev/services/platform/migrations"
	"fupin.dev/services/platform/outbox"
	"fupin.dev/services/platform/server"
	"fupin.dev/services/platform/servicetest"
	"fupin.dev/services/platform/sqldb"
	"fupin.dev/services/platform/sqldb/sqldbtest"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

// These tests follow a real feed: a producer's outbox on a real database, served by the platform's gRPC
// server (authentication, authorization from the proto, the change feed API) on a TCP socket, and a
// consumer database holding the cursor and what the handler wrote.

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// producer is a service whose feed is followed.
type producer struct {
	db   *sqldb.DB
	feed *outbox.Feed
	keys servicetest.Keys
	addr string
	srv  *grpc.Server
}

func newProducer(t *testing.T, d sqldb.Dialect) *producer {
	t.Helper()
	db, feed := newFeed(t, d)
	p := &producer{db: db, feed: feed, keys: servicetest.NewKeys(), addr: "127.0.0.1:0"}
	p.start(t)
	return p
}

// start serves the feed (again, on the same address after a stop).
func (p *producer) start(t *testing.T) {
	t.Helper()
	log := audit.New(p.db, quiet)
	t.Cleanup(log.Close)
	srv, err := server.New(server.Config{Name: "producer", Department: commonv1.Department_DEPARTMENT_RURAL_REVITALIZATION,
		Verifier: p.keys.Verifier(), DB: p.db, Audit: log, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	commonv1.RegisterChangeFeedServiceServer(srv.GRPC(), outbox.NewAPI(p.feed))
	var lis net.Listener
	for deadline := time.Now().Add(10 * time.Second); ; {
		if lis, err = net.Listen("tcp", p.addr); err == nil || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond) // the port of a stopped server may take a moment to free
	}
	if err != nil {
		t.Fatal(err)
	}
	p.addr, p.srv = lis.Addr().String(), srv.GRPC()
	go func() { _ = p.srv.Serve(lis) }()
	t.Cleanup(p.srv.Stop)
}

func (p *producer) append(t *testing.T, topic string, n int) {
	t.Helper()
	if err := p.db.InTx(t.Context(), func(ctx context.Context) error { return p.feed.Append(ctx, event(topic, "990001001001", n)) }); err != nil {
		t.Fatal(err)
	}
}

// client dials the producer; calls carry a service token made by ctx (see consumerContext).
func (p *producer) client(t *testing.T) commonv1.ChangeFeedServiceClient {
	t.Helper()
	conn, err := grpc.NewClient(p.addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return commonv1.NewChangeFeedServiceClient(conn)
}

// consumerContext calls as the consuming service.
func (p *producer) consumerContext(t *testing.T) context.Context {
	return p.keys.As(t, context.Background(), "civil_affairs", "service", "")
}

// newConsumer opens a consumer database with the platform's tables and a table the handler writes.
func newConsumer(t *testing.T, d sqldb.Dialect) (*sqldb.DB, string) {
	t.Helper()
	url := sqldbtest.URL(t, d)
	db := openConsumer(t, url)
	if err := migrations.Apply(t.Context(), db, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(t.Context(), `CREATE TABLE seen (seq BIGINT NOT NULL, topic TEXT NOT NULL, resource TEXT NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	return db, url
}

func openConsumer(t *testing.T, url string) *sqldb.DB {
	t.Helper()
	db, err := sqldb.Open(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// record is a handler writing what it saw through ctx, as a service's follower does.
func record(db *sqldb.DB) outbox.Handler {
	return func(ctx context.Context, c *commonv1.Change) error {
		_, err := db.Q(ctx).ExecContext(ctx, `INSERT INTO seen (seq, topic, resource) VALUES ($1, $2, $3)`,
			c.GetSequence(), c.GetTopic(), c.GetResource())
		return err
	}
}

type seenRow struct {
	seq      int64
	topic    string
	resource string
}

func seen(t *testing.T, db *sqldb.DB) []seenRow {
	t.Helper()
	rows, err := db.Q(t.Context()).QueryContext(t.Context(), `SELECT seq, topic, resource FROM seen ORDER BY seq`)
	got, err := sqldb.Collect(rows, err, func(r *sql.Rows) (seenRow, error) {
		var s seenRow
		return s, r.Scan(&s.seq, &s.topic, &s.resource)
	})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// waitSeen waits until the handler has written n rows (or fails the test after a generous deadline).
func waitSeen(t *testing.T, db *sqldb.DB, n int) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for len(seen(t, db)) < n {
		if time.Now().After(deadline) {
			t.Fatalf("saw %d changes, want %d", len(seen(t, db)), n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// exactlyOnce checks the handler saw the producer's changes of the topics, each once, in order.
func exactlyOnce(t *testing.T, p *producer, db *sqldb.DB, topics ...string) {
	t.Helper()
	want, err := p.feed.List(t.Context(), outbox.Query{Topics: topics, Limit: 10_000})
	if err != nil {
		t.Fatal(err)
	}
	got := seen(t, db)
	if len(got) != len(want) {
		t.Fatalf("saw %d changes, the feed holds %d", len(got), len(want))
	}
	for i, c := range want {
		if got[i].seq != c.GetSequence() || got[i].topic != c.GetTopic() || got[i].resource != c.GetResource() {
			t.Fatalf("change %d: saw %+v, want %d %s %s", i, got[i], c.GetSequence(), c.GetTopic(), c.GetResource())
		}
	}
}

// subscribe runs Subscribe in the background; the returned function stops it and waits for it.
func subscribe(t *testing.T, db *sqldb.DB, p *producer, name string, topics []string, h outbox.Handler) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(p.consumerContext(t))
	client := p.client(t)
	done := make(chan error, 1)
	go func() {
		done <- outbox.Subscribe(ctx, db, client, name, topics, h,
			outbox.SubscribeOptions{Logger: quiet, PageSize: 3, MinBackoff: 10 * time.Millisecond, MaxBackoff: 100 * time.Millisecond})
	}()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("Subscribe returned %v after its context ended", err)
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

func TestSubscribe(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		t.Run("a restart in the middle misses nothing and repeats nothing", func(t *testing.T) {
			p := newProducer(t, d)
			db, _ := newConsumer(t, d)
			for i := 1; i <= 10; i++ {
				p.append(t, "a", i)
				if i%3 == 0 {
					p.append(t, "b", i) // another topic, interleaved: never handled
				}
			}
			// The first run stops while handling the fourth change: its transaction rolls back.
			ctx, cancel := context.WithCancel(p.consumerContext(t))
			handled := 0
			err := outbox.Subscribe(ctx, db, p.client(t), "producer/a", []string{"a"}, func(ctx context.Context, c *commonv1.Change) error {
				handled++
				if err := record(db)(ctx, c); err != nil {
					return err
				}
				if handled == 4 {
					cancel()
					return ctx.Err()
				}
				return nil
			}, outbox.SubscribeOptions{Logger: quiet, PageSize: 3})
			if err != nil {
				t.Fatalf("Subscribe after a stop: %v", err)
			}
			if got := seen(t, db); len(got) != 3 {
				t.Fatalf("after the stop: %d changes committed, want 3", len(got))
			}
			cursor, err := outbox.Cursor(t.Context(), db, "producer/a")
			if err != nil || cursor != seen(t, db)[2].seq {
				t.Fatalf("cursor %d (%v), want the third change's sequence", cursor, err)
			}
			// Changes made while the consumer is down, then a restart that also watches new ones.
			for i := 11; i <= 13; i++ {
				p.append(t, "a", i)
			}
			subscribe(t, db, p, "producer/a", []string{"a"}, record(db))
			waitSeen(t, db, 13)
			p.append(t, "a", 14)
			waitSeen(t, db, 14)
			exactlyOnce(t, p, db, "a")
		})
		t.Run("what the handlers change is audited as the service's own mutation", func(t *testing.T) {
			p := newProducer(t, d)
			db, _ := newConsumer(t, d)
			for i := 1; i <= 7; i++ {
				p.append(t, "a", i)
			}
			log := audit.New(db, quiet)
			t.Cleanup(log.Close)
			ctx, cancel := context.WithCancel(p.consumerContext(t))
			done := make(chan error, 1)
			go func() {
				done <- outbox.Subscribe(ctx, db, p.client(t), "producer/a", []string{"a"}, record(db),
					outbox.SubscribeOptions{Logger: quiet, PageSize: 3, Audit: log, Service: "consumer"})
			}()
			waitSeen(t, db, 7)
			cancel()
			if err := <-done; err != nil {
				t.Fatal(err)
			}
			var rows, changes int
			var actor string
			if err := db.Q(t.Context()).QueryRowContext(t.Context(), `SELECT count(*), coalesce(sum(record_count), 0), min(actor)
				FROM fupin_audit WHERE kind = 'mutation' AND method = 'background/subscription/producer/a'`).Scan(&rows, &changes, &actor); err != nil {
				t.Fatal(err)
			}
			if rows < 3 || changes != 7 || actor != "service:consumer" {
				t.Errorf("%d audit rows for %d changes by %q, want one per transaction (≥ 3 for pages of 3) for 7 by service:consumer",
					rows, changes, actor)
			}
		})
		t.Run("a failing handler is retried, never skipped", func(t *testing.T) {
			p := newProducer(t, d)
			db, _ := newConsumer(t, d)
			for i := 1; i <= 5; i++ {
				p.append(t, "a", i)
			}
			var mu sync.Mutex
			failures := 0
			subscribe(t, db, p, "producer/a", nil, func(ctx context.Context, c *commonv1.Change) error {
				if err := record(db)(ctx, c); err != nil {
					return err
				}
				mu.Lock()
				defer mu.Unlock()
				if c.GetResource() == "things/3" && failures < 2 {
					failures++
					return errors.New("not now") // after writing: the write must roll back
				}
				return nil
			})
			waitSeen(t, db, 5)
			exactlyOnce(t, p, db, "a")
			mu.Lock()
			defer mu.Unlock()
			if failures != 2 {
				t.Errorf("the handler failed %d times, want 2", failures)
			}
		})
		t.Run("pages read ahead while one fails are read again after it", func(t *testing.T) {
			// Catching up, the subscriber reads the next page while applying the current one: a failure
			// in the third page (pages of 3) drops what was read ahead; nothing is skipped or repeated.
			p := newProducer(t, d)
			db, _ := newConsumer(t, d)
			for i := 1; i <= 20; i++ {
				p.append(t, "a", i)
			}
			var mu sync.Mutex
			failures := 0
			subscribe(t, db, p, "producer/a", nil, func(ctx context.Context, c *commonv1.Change) error {
				if err := record(db)(ctx, c); err != nil {
					return err
				}
				mu.Lock()
				defer mu.Unlock()
				if c.GetResource() == "things/8" && failures < 3 {
					failures++
					return errors.New("not now")
				}
				return nil
			})
			waitSeen(t, db, 20)
			exactlyOnce(t, p, db, "a")
			mu.Lock()
			defer mu.Unlock()
			if failures != 3 {
				t.Errorf("the handler failed %d times, want 3", failures)
			}
		})
		t.Run("catching up applies PagesPerTx pages a transaction", func(t *testing.T) {
			p := newProducer(t, d)
			db, _ := newConsumer(t, d)
			for i := 1; i <= 20; i++ {
				p.append(t, "a", i)
			}
			var mu sync.Mutex
			var sizes []int
			ctx, cancel := context.WithCancel(p.consumerContext(t))
			done := make(chan error, 1)
			go func() {
				done <- outbox.Subscribe(ctx, db, p.client(t), "producer/a", nil, nil, outbox.SubscribeOptions{Logger: quiet,
					PageSize: 3, PagesPerTx: 2, Page: func(ctx context.Context, changes []*commonv1.Change) error {
						for _, c := range changes {
							if err := record(db)(ctx, c); err != nil {
								return err
							}
						}
						mu.Lock()
						defer mu.Unlock()
						sizes = append(sizes, len(changes))
						return nil
					}})
			}()
			waitSeen(t, db, 20)
			cancel()
			if err := <-done; err != nil {
				t.Fatal(err)
			}
			exactlyOnce(t, p, db, "a")
			if fmt.Sprint(sizes) != "[6 6 6 2]" {
				t.Errorf("transactions of %v changes, want [6 6 6 2] (two pages of 3 each, the rest last)", sizes)
			}
		})
		t.Run("the producer going away and coming back", func(t *testing.T) {
			p := newProducer(t, d)
			db, _ := newConsumer(t, d)
			p.append(t, "a", 1)
			subscribe(t, db, p, "producer/a", nil, record(db))
			waitSeen(t, db, 1)
			p.srv.Stop()
			p.append(t, "a", 2)
			p.append(t, "a", 3)
			p.start(t)
			waitSeen(t, db, 3)
			exactlyOnce(t, p, db, "a")
		})
		t.Run("two replicas of the consumer handle each change once", func(t *testing.T) {
			p := newProducer(t, d)
			db, url := newConsumer(t, d)
			other := openConsumer(t, url) // a second process on the same database
			for i := 1; i <= 30; i++ {
				p.append(t, "a", i)
			}
			subscribe(t, db, p, "producer/a", nil, record(db))
			subscribe(t, other, p, "producer/a", nil, record(other))
			for i := 31; i <= 40; i++ {
				p.append(t, "a", i)
			}
			waitSeen(t, db, 40)
			exactlyOnce(t, p, db, "a")
		})
		t.Run("a database without the platform's tables is an error", func(t *testing.T) {
			p := newProducer(t, d)
			err := outbox.Subscribe(p.consumerContext(t), sqldbtest.Open(t, d), p.client(t), "x", nil, record(nil))
			if err == nil {
				t.Error("Subscribe without a cursor table returned nil")
			}
		})
	})
}
