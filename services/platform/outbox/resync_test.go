package outbox_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	commonv1 "fupin.dev/proto/gen/fupin/common/v1"
	"fupin.dev/services/platform/outbox"
	"fupin.dev/services/platform/sqldb"
	"fupin.dev/services/platform/sqldb/sqldbtest"
)

// TestResync follows a producer whose state is a table of items: each item created alone publishes
// "item.created", a bulk load of many publishes one "items.bulk_loaded". The follower keeps the items it
// knows in its own table; on the bulk event it resyncs from the producer's snapshot (items and feed
// position read in one snapshot). Items are created while the resync runs, before and after the
// snapshot is read, and the first resync fails half way (a crash): in the end the follower knows every
// item exactly once.
func TestResync(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		p := newProducer(t, d)
		ctx := t.Context()
		if _, err := p.db.Exec(ctx, `CREATE TABLE items (id TEXT PRIMARY KEY)`); err != nil {
			t.Fatal(err)
		}
		next := 0
		create := func(topic string, n int) {
			t.Helper()
			err := p.db.InTx(context.Background(), func(ctx context.Context) error {
				var events []outbox.Event
				for range n {
					next++
					if _, err := p.db.Q(ctx).ExecContext(ctx, `INSERT INTO items (id) VALUES ($1)`, fmt.Sprintf("things/%d", next)); err != nil {
						return err
					}
					if topic == "item.created" {
						events = append(events, event(topic, "990001001001", next))
					}
				}
				if topic != "item.created" {
					events = append(events, event(topic, "990001001001", next))
				}
				return p.feed.Append(ctx, events...)
			})
			if err != nil {
				t.Error(err)
			}
		}
		db, _ := newConsumer(t, d)
		var calls atomic.Int32
		crash := errors.New("crashed half way")
		resync := func(ctx context.Context, trigger *commonv1.Change, tx outbox.TxFunc) (int64, error) {
			call := calls.Add(1)
			create("item.created", 1) // committed before the snapshot: in it
			var position int64
			var ids []string
			err := p.db.ReadTx(ctx, func(ctx context.Context) error {
				if err := p.db.Q(ctx).QueryRowContext(ctx, `SELECT COALESCE(MAX(seq), 0) FROM fupin_outbox`).Scan(&position); err != nil {
					return err
				}
				// Committed after the snapshot began: not in it, on the feed after its position.
				create("item.created", 1)
				rows, err := p.db.Q(ctx).QueryContext(ctx, `SELECT id FROM items ORDER BY id`)
				if err != nil {
					return err
				}
				defer rows.Close()
				for rows.Next() {
					var id string
					if err := rows.Scan(&id); err != nil {
						return err
					}
					ids = append(ids, id)
				}
				return rows.Err()
			})
			if err != nil {
				return 0, err
			}
			// A diff in chunks of 4: only the items the follower does not know yet.
			for chunk := range slices.Chunk(ids, 4) {
				err := tx(ctx, func(ctx context.Context) error {
					for _, id := range chunk {
						if _, err := db.Q(ctx).ExecContext(ctx, `INSERT INTO seen (seq, topic, resource)
							SELECT $1, 'resync', $2 WHERE NOT EXISTS (SELECT 1 FROM seen WHERE resource = $2)`, trigger.GetSequence(), id); err != nil {
							return err
						}
					}
					return nil
				})
				if err != nil {
					return 0, err
				}
				if call == 1 {
					return 0, crash
				}
			}
			return position, nil
		}
		create("item.created", 3)
		sctx, cancel := context.WithCancel(p.consumerContext(t))
		done := make(chan error, 1)
		go func() {
			done <- outbox.Subscribe(sctx, db, p.client(t), "items", []string{"item.created"}, record(db),
				outbox.SubscribeOptions{Logger: quiet, PageSize: 3, MinBackoff: 10 * time.Millisecond, MaxBackoff: 50 * time.Millisecond,
					ResyncTopics: []string{"items.bulk_loaded"}, Resync: resync})
		}()
		t.Cleanup(func() {
			cancel()
			<-done
		})
		waitSeen(t, db, 3)
		create("items.bulk_loaded", 20)
		create("item.created", 2)
		// 3 + 20 + 2 created by test, 2 per resync call (two calls: the crash, then the rerun), 2 after.
		want := 3 + 20 + 2 + 2*2
		waitSeen(t, db, want)
		if calls.Load() != 2 {
			t.Errorf("%d resync calls, want 2 (a crash, then the rerun)", calls.Load())
		}
		create("item.created", 2)
		want += 2
		waitSeen(t, db, want)
		got := seen(t, db)
		resources := map[string]int{}
		for _, s := range got {
			resources[s.resource]++
		}
		for i := 1; i <= next; i++ {
			if n := resources[fmt.Sprintf("things/%d", i)]; n != 1 {
				t.Errorf("things/%d seen %d times, want once", i, n)
			}
		}
		if len(got) != next {
			t.Errorf("%d rows seen for %d items", len(got), next)
		}
		last, err := p.feed.List(ctx, outbox.Query{After: 0, Limit: 10_000})
		if err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(10 * time.Second)
		for {
			cur, err := outbox.Cursor(ctx, db, "items")
			if err != nil {
				t.Fatal(err)
			}
			if cur == last[len(last)-1].GetSequence() {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("cursor %d, want %d", cur, last[len(last)-1].GetSequence())
			}
			time.Sleep(10 * time.Millisecond)
		}
	})
}

// TestResyncAtStart follows a producer that held items before it published them (inserted without an
// event) and then published some: a follower with ResyncAtStart reads the snapshot before the feed, then
// follows the feed after the snapshot's position. Every item is seen once; a restarted subscription whose
// cursor has moved does not resync again.
func TestResyncAtStart(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		p := newProducer(t, d)
		ctx := t.Context()
		if _, err := p.db.Exec(ctx, `CREATE TABLE items (id TEXT PRIMARY KEY)`); err != nil {
			t.Fatal(err)
		}
		next := 0
		create := func(publish bool, n int) {
			t.Helper()
			if err := p.db.InTx(context.Background(), func(ctx context.Context) error {
				for range n {
					next++
					if _, err := p.db.Q(ctx).ExecContext(ctx, `INSERT INTO items (id) VALUES ($1)`, fmt.Sprintf("things/%d", next)); err != nil {
						return err
					}
					if publish {
						if err := p.feed.Append(ctx, event("item.created", "990001001001", next)); err != nil {
							return err
						}
					}
				}
				return nil
			}); err != nil {
				t.Fatal(err)
			}
		}
		create(false, 5) // before the feed carried them: only in the snapshot
		create(true, 3)  // on the feed and in the snapshot
		db, _ := newConsumer(t, d)
		var calls atomic.Int32
		var triggers []string
		resync := func(ctx context.Context, trigger *commonv1.Change, tx outbox.TxFunc) (int64, error) {
			calls.Add(1)
			triggers = append(triggers, fmt.Sprintf("%s %d", trigger.GetTopic(), trigger.GetSequence()))
			var position int64
			var ids []string
			if err := p.db.ReadTx(ctx, func(ctx context.Context) error {
				if err := p.db.Q(ctx).QueryRowContext(ctx, `SELECT COALESCE(MAX(seq), 0) FROM fupin_outbox`).Scan(&position); err != nil {
					return err
				}
				rows, err := p.db.Q(ctx).QueryContext(ctx, `SELECT id FROM items ORDER BY id`)
				ids, err = sqldb.Collect(rows, err, func(r *sql.Rows) (string, error) {
					var id string
					return id, r.Scan(&id)
				})
				return err
			}); err != nil {
				return 0, err
			}
			return position, tx(ctx, func(ctx context.Context) error {
				for _, id := range ids {
					if _, err := db.Q(ctx).ExecContext(ctx, `INSERT INTO seen (seq, topic, resource)
						SELECT 0, 'resync', $1 WHERE NOT EXISTS (SELECT 1 FROM seen WHERE resource = $1)`, id); err != nil {
						return err
					}
				}
				return nil
			})
		}
		follow := func() func() {
			sctx, cancel := context.WithCancel(p.consumerContext(t))
			done := make(chan error, 1)
			go func() {
				done <- outbox.Subscribe(sctx, db, p.client(t), "items", []string{"item.created"}, record(db),
					outbox.SubscribeOptions{Logger: quiet, PageSize: 3, MinBackoff: 10 * time.Millisecond, MaxBackoff: 50 * time.Millisecond,
						Resync: resync, ResyncAtStart: true})
			}()
			return func() { cancel(); <-done }
		}
		stop := follow()
		waitSeen(t, db, 8)
		create(true, 2)
		waitSeen(t, db, 10)
		stop()
		stop = follow()
		create(true, 1)
		waitSeen(t, db, 11)
		stop()
		if calls.Load() != 1 || triggers[0] != outbox.TopicStart+" 0" {
			t.Errorf("resyncs: %v, want one at the start", triggers)
		}
		resources := map[string]int{}
		for _, s := range seen(t, db) {
			resources[s.resource]++
		}
		for i := 1; i <= next; i++ {
			if n := resources[fmt.Sprintf("things/%d", i)]; n != 1 {
				t.Errorf("things/%d seen %d times, want once", i, n)
			}
		}
	})
}
