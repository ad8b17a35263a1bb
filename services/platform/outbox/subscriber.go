package outbox

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"slices"
	"time"

	commonv1 "fupin.dev/proto/gen/fupin/common/v1"
	"fupin.dev/services/platform/audit"
	"fupin.dev/services/platform/sqldb"
)

// Following another service's feed (the consumer's half of DESIGN.md, Change feed). The consumer keeps,
// in its own database, a cursor per subscription: the sequence of the last change it handled. Changes are
// handled in transactions of the consumer's database that also move the cursor (a page of them at a time
// when many are waiting), so the handler's writes and the cursor commit or roll back together: after a
// crash or a restart the subscriber resumes right after the last change whose effects committed, and a
// change is neither missed nor acted on twice. The cursor only moves forward, and changes at or before it
// are skipped, which also keeps two replicas running the same subscription from handling a change twice.

// Handler acts on one change. It must do all its writing through ctx (the transaction that moves the
// cursor); an error rolls the transaction back and the change is offered again after a backoff.
type Handler func(ctx context.Context, c *commonv1.Change) error

// SubscribeOptions tune Subscribe; the zero value is what services use.
type SubscribeOptions struct {
	// Logger receives connection problems and handler failures (default slog.Default()).
	Logger *slog.Logger
	// PageSize is the number of changes per ListChanges page while catching up (default 500).
	PageSize int
	// MinBackoff and MaxBackoff bound the wait before the next attempt after a failure: it starts at
	// MinBackoff, doubles after every failure without progress, and is capped at MaxBackoff (defaults
	// 200 ms and 30 s).
	MinBackoff, MaxBackoff time.Duration
	// Now is the clock of the cursor's update time (default time.Now).
	Now func() time.Time
	// Audit, when set, records each transaction of handled changes as the service's own mutation
	// (audit.Background "subscription/<name>", resource the range of sequences, count the changes), in
	// that transaction: what the followers changed is audited like a request's change.
	Audit *audit.Log
	// Service is the consumer's name for those rows.
	Service string
	// ResyncTopics are topics that stand for more changes than the peer publishes one by one (a bulk
	// load): a change of one of them is not passed to the handler but to Resync, which rebuilds the
	// follower's state from the peer's snapshot; the subscription then resumes after the snapshot's
	// position (resync.go). They are followed even when topics does not list them.
	ResyncTopics []string
	// Resync is called for a change of ResyncTopics (required with them).
	Resync Resync
	// ResyncAtStart runs Resync before the first change while the cursor is still at the start: a
	// follower that starts later than the peer's feed, or whose peer holds records from before it
	// published them (subsidies' decisions made before its feed carried them), reads the snapshot first
	// and follows the feed after its position. The trigger is a change of sequence 0 and topic
	// TopicStart. Until the feed has a change at or before the snapshot, the cursor stays at 0 and a
	// restart resyncs again, which a Resync (a diff) allows.
	ResyncAtStart bool
	// Page, when set, is called once per transaction (a page, or PagesPerTx pages while catching up) with
	// its changes not handled yet (in feed order),
	// in the transaction that moves the cursor, after handle was called for each of them (handle may be
	// nil then): a consumer that writes a page's effects in a few bulk statements, rather than one per
	// change, does it here.
	Page func(ctx context.Context, changes []*commonv1.Change) error
	// PagesPerTx is the number of ListChanges pages applied in one transaction while catching up
	// (default 1): a follower whose transaction's fixed costs (the commit writing the pages it touched) are
	// large applies more changes at once without asking the peer for messages near gRPC's size limit.
	PagesPerTx int
}

// Subscribe follows a peer's change feed until ctx ends, calling handle once for every change of the
// given topics (all topics when empty) after the cursor stored under name. It first catches up page by
// page with ListChanges (bounded requests however far behind it is), then watches with WatchChanges;
// when the peer is unreachable, the stream breaks or handle fails, it waits (exponential backoff with
// jitter) and starts again from the stored cursor. A handler failure therefore blocks the feed at that
// change, and is logged on every attempt, rather than skipping it: following the register must miss
// nothing.
//
// It returns nil when ctx ends, and an error only when the cursor cannot be set up at all (the
// platform's migrations were not applied), so it fits a service's background jobs.
func Subscribe(ctx context.Context, db *sqldb.DB, feed commonv1.ChangeFeedServiceClient, name string, topics []string,
	handle Handler, opts ...SubscribeOptions) error {
	var o SubscribeOptions
	if len(opts) > 0 {
		o = opts[0]
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.PageSize <= 0 {
		o.PageSize = 500
	}
	if o.PagesPerTx <= 0 {
		o.PagesPerTx = 1
	}
	if o.MinBackoff <= 0 {
		o.MinBackoff = 200 * time.Millisecond
	}
	if o.MaxBackoff < o.MinBackoff {
		o.MaxBackoff = max(30*time.Second, o.MinBackoff)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if len(o.ResyncTopics) > 0 && o.Resync == nil {
		return fmt.Errorf("subscription %s: resync topics without a Resync", name)
	}
	if len(topics) > 0 {
		for _, t := range o.ResyncTopics {
			if !slices.Contains(topics, t) {
				topics = append(slices.Clip(topics), t)
			}
		}
	}
	s := &subscriber{db: db, feed: feed, name: name, topics: topics, handle: handle, o: o}
	if _, err := db.Exec(ctx, `INSERT INTO fupin_cursors (name, sequence, updated_us) VALUES ($1, 0, $2)
		ON CONFLICT (name) DO NOTHING`, name, o.Now().UnixMicro()); err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return fmt.Errorf("subscription %s: cursor: %w", name, err)
	}
	backoff := o.MinBackoff
	for {
		progressed, err := s.follow(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if progressed {
			backoff = o.MinBackoff
		}
		if errors.Is(err, errRestart) {
			continue
		}
		wait := backoff + rand.N(backoff/5+1)
		o.Logger.WarnContext(ctx, "change feed subscription interrupted; resuming from the stored cursor",
			"subscription", name, "err", err, "retry_in", wait)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(wait):
		}
		backoff = min(2*backoff, o.MaxBackoff)
	}
}

// Cursor returns the sequence of the last change handled under name (0 when none was).
func Cursor(ctx context.Context, db *sqldb.DB, name string) (int64, error) {
	var seq int64
	err := db.Q(ctx).QueryRowContext(ctx, `SELECT sequence FROM fupin_cursors WHERE name = $1`, name).Scan(&seq)
	if err != nil {
		return 0, fmt.Errorf("cursor %s: %w", name, err)
	}
	return seq, nil
}

type subscriber struct {
	db     *sqldb.DB
	feed   commonv1.ChangeFeedServiceClient
	name   string
	topics []string
	handle Handler
	o      SubscribeOptions
	// started: the start's resync (ResyncAtStart) ran in this process.
	started bool
}

// TopicStart is the topic of the trigger a ResyncAtStart resync is given (sequence 0).
const TopicStart = "subscription.start"

// errStreamEnded reports a watch the peer closed (it does so when it stops).
var errStreamEnded = errors.New("the peer ended the watch")

// follow catches up from the stored cursor, then watches, until something fails. It reports whether it
// handled (or skipped past) at least one change.
func (s *subscriber) follow(ctx context.Context) (progressed bool, err error) {
	cursor, err := Cursor(ctx, s.db, s.name)
	if err != nil {
		return false, err
	}
	if cursor == 0 && s.o.ResyncAtStart && s.o.Resync != nil && !s.started {
		if err := s.resync(ctx, &commonv1.Change{Topic: TopicStart}); err != nil {
			return false, err
		}
		s.started = true
		if cursor, err = Cursor(ctx, s.db, s.name); err != nil {
			return false, err
		}
	}
	if cursor, progressed, err = s.catchUp(ctx, cursor); err != nil {
		return progressed, err
	}
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stream, err := s.feed.WatchChanges(wctx, &commonv1.WatchChangesRequest{AfterSequence: cursor, Topics: s.topics})
	if err != nil {
		return progressed, fmt.Errorf("watch changes after %d: %w", cursor, err)
	}
	// The stream is read ahead into a buffer, and whatever has arrived (up to a page) is handled in one
	// transaction: one change at a time while the peer is quiet, whole pages when it publishes in bulk (a
	// ledger import publishes a change per household), where a transaction per change would be the cost.
	received := make(chan *commonv1.Change, s.o.PageSize)
	recvErr := make(chan error, 1)
	go func() {
		for {
			c, err := stream.Recv()
			if err != nil {
				recvErr <- err
				return
			}
			select {
			case received <- c:
			case <-wctx.Done():
				return
			}
		}
	}()
	for {
		var batch []*commonv1.Change
		select {
		case <-ctx.Done():
			// The reader may have stopped on the cancellation without reporting it (it had a change in
			// hand), so the subscription ends here rather than waiting for it.
			return progressed, ctx.Err()
		case c := <-received:
			batch = append(batch, c)
		case err := <-recvErr:
			if errors.Is(err, io.EOF) {
				return progressed, errStreamEnded
			}
			return progressed, fmt.Errorf("watch changes after %d: %w", cursor, err)
		}
	drain:
		for len(batch) < s.o.PageSize {
			select {
			case c := <-received:
				batch = append(batch, c)
			default:
				break drain
			}
		}
		if err := s.handleAll(ctx, batch); err != nil {
			return progressed || errors.Is(err, errRestart), err
		}
		cursor, progressed = batch[len(batch)-1].GetSequence(), true
	}
}

// fetched is a page of the peer's feed read ahead, or the error that ended reading.
type fetched struct {
	changes []*commonv1.Change
	err     error
}

// catchUp handles the changes after cursor page by page until a page comes back short, and returns the
// new cursor. The next pages are read from the peer while the current ones are applied (a page's transfer
// and decoding overlap the previous page's transaction); reading ahead only reads: the pages are still
// applied in feed order, PagesPerTx of them in a transaction that moves the cursor, and after a failure everything read ahead
// is dropped and the caller starts again from the stored cursor.
func (s *subscriber) catchUp(ctx context.Context, cursor int64) (int64, bool, error) {
	fctx, cancel := context.WithCancel(ctx)
	defer cancel()
	pages := make(chan fetched, s.o.PagesPerTx)
	go func() {
		defer close(pages)
		after := cursor
		for {
			page, err := s.feed.ListChanges(fctx, &commonv1.ListChangesRequest{AfterSequence: after,
				PageSize: int32(s.o.PageSize), Topics: s.topics})
			f := fetched{changes: page.GetChanges()}
			if err != nil {
				f = fetched{err: fmt.Errorf("list changes after %d: %w", after, err)}
			}
			select {
			case pages <- f:
			case <-fctx.Done():
				return
			}
			if err != nil || len(f.changes) < s.o.PageSize {
				return
			}
			after = f.changes[len(f.changes)-1].GetSequence()
		}
	}()
	progressed := false
	for more := true; more; {
		// Up to PagesPerTx pages, fewer at the end of the feed or when reading failed.
		var batch []*commonv1.Change
		var readErr error
		for n := 0; n < s.o.PagesPerTx; n++ {
			f, ok := <-pages
			if !ok {
				more = false
				break
			}
			if f.err != nil {
				readErr, more = f.err, false
				break
			}
			batch = append(batch, f.changes...)
			if len(f.changes) < s.o.PageSize {
				more = false
				break
			}
		}
		if len(batch) > 0 {
			if err := s.handleAll(ctx, batch); err != nil {
				return cursor, progressed || errors.Is(err, errRestart), err
			}
			cursor, progressed = batch[len(batch)-1].GetSequence(), true
		}
		if readErr != nil {
			return cursor, progressed, readErr
		}
	}
	if err := ctx.Err(); err != nil {
		return cursor, progressed, err
	}
	return cursor, progressed, nil
}

// apply handles changes (in feed order) and moves the cursor past the last in one transaction, so their
// effects and the cursor commit together. Changes at or before the stored cursor (handled by another
// replica meanwhile) are skipped; on PostgreSQL the cursor row is locked first, so two replicas take turns.
func (s *subscriber) apply(ctx context.Context, changes []*commonv1.Change) error {
	last := changes[len(changes)-1]
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		lock := ""
		if s.db.Dialect == sqldb.Postgres {
			lock = " FOR UPDATE"
		}
		var stored int64
		if err := s.db.Q(ctx).QueryRowContext(ctx, `SELECT sequence FROM fupin_cursors WHERE name = $1`+lock,
			s.name).Scan(&stored); err != nil {
			return fmt.Errorf("read cursor: %w", err)
		}
		if stored >= last.GetSequence() {
			return nil
		}
		fresh := changes
		for i, c := range changes {
			if c.GetSequence() <= stored {
				fresh = changes[i+1:]
				continue
			}
			if s.handle == nil {
				continue
			}
			if err := s.handle(ctx, c); err != nil {
				return fmt.Errorf("change %d (%s %s): %w", c.GetSequence(), c.GetTopic(), c.GetResource(), err)
			}
		}
		if s.o.Page != nil && len(fresh) > 0 {
			if err := s.o.Page(ctx, fresh); err != nil {
				return fmt.Errorf("changes %d-%d: %w", fresh[0].GetSequence(), last.GetSequence(), err)
			}
		}
		if _, err := s.db.Q(ctx).ExecContext(ctx, `UPDATE fupin_cursors SET sequence = $2, updated_us = $3
			WHERE name = $1`, s.name, last.GetSequence(), s.o.Now().UnixMicro()); err != nil {
			return fmt.Errorf("move cursor: %w", err)
		}
		if s.o.Audit == nil {
			return nil
		}
		first := max(stored+1, changes[0].GetSequence())
		return s.o.Audit.Write(ctx, audit.Background(s.o.Service, "subscription/"+s.name,
			fmt.Sprintf("changes/%d-%d", first, last.GetSequence()), handled(changes, stored), s.o.Now()))
	})
	if err != nil {
		return fmt.Errorf("subscription %s: %w", s.name, err)
	}
	return nil
}

// handled counts the changes after the stored cursor.
func handled(changes []*commonv1.Change, stored int64) int {
	n := 0
	for _, c := range changes {
		if c.GetSequence() > stored {
			n++
		}
	}
	return n
}
