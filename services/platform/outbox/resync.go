package outbox

import (
	"context"
	"errors"
	"fmt"
	"slices"

	commonv1 "fupin.dev/proto/gen/fupin/common/v1"
	"fupin.dev/services/platform/audit"
	"fupin.dev/services/platform/sqldb"
)

// Resynchronising a follower from a snapshot with a cursor (docs/ARCHITECTURE.md, "Following another
// service's feed"). Some changes stand for too many to publish one by one: a bulk load of a county's
// register puts one `register.bulk_loaded` on the feed instead of 350,000 `household.created`. A follower
// that meets such a change does not handle it like the others: it rebuilds what it derives from the
// peer's snapshot (ExportRegister), which names the feed position it reflects, and the subscription
// then resumes after that position. Every change at or before the position is in the snapshot and none
// after it, so nothing is missed and nothing is applied twice.
//
// The follower writes the snapshot in transactions of its own (a county does not fit in one), each run
// through the TxFunc it is given, and the cursor moves to the position only after the last one. A crash
// in between leaves the cursor before the trigger, so the resync starts again from the beginning: a
// follower's Resync must therefore be a diff — it compares each household of the snapshot with what
// it already derived and writes only the difference — which makes it idempotent.

// TxFunc runs fn in one transaction of the follower's database, guarded by the subscription's cursor:
// it locks the cursor (PostgreSQL) and refuses with ErrResynced when another replica has already moved
// the cursor past the trigger (its resync finished first).
type TxFunc func(ctx context.Context, fn func(ctx context.Context) error) error

// Resync rebuilds a follower's state from the peer's snapshot after trigger; it writes only through tx
// and returns the feed position the snapshot reflects. It must be idempotent (see above).
type Resync func(ctx context.Context, trigger *commonv1.Change, tx TxFunc) (position int64, err error)

// ErrResynced reports that another replica finished the resync: the follower stops its own.
var ErrResynced = errors.New("the subscription was resynchronised by another replica")

// errRestart ends follow after a resync, so the subscription restarts from the moved cursor.
var errRestart = errors.New("resynchronised: restart from the cursor")

// isResync reports whether c asks for a resync.
func (s *subscriber) isResync(c *commonv1.Change) bool {
	return s.o.Resync != nil && slices.Contains(s.o.ResyncTopics, c.GetTopic())
}

// handleAll applies changes in feed order, each run of ordinary changes in one transaction, and
// resyncs at the first change that asks for it; after a resync it returns errRestart (the changes that
// follow it in changes are in the snapshot or after its position, and are read again from the cursor).
func (s *subscriber) handleAll(ctx context.Context, changes []*commonv1.Change) error {
	for i, c := range changes {
		if !s.isResync(c) {
			continue
		}
		if i > 0 {
			if err := s.apply(ctx, changes[:i]); err != nil {
				return err
			}
		}
		if err := s.resync(ctx, c); err != nil {
			return err
		}
		return errRestart
	}
	return s.apply(ctx, changes)
}

// resync runs the follower's Resync for trigger and moves the cursor to the snapshot's position.
func (s *subscriber) resync(ctx context.Context, trigger *commonv1.Change) error {
	tx := func(ctx context.Context, fn func(ctx context.Context) error) error {
		return s.db.InTx(ctx, func(ctx context.Context) error {
			stored, err := s.lockCursor(ctx)
			if err != nil {
				return err
			}
			// A resync at the start (trigger sequence 0) is done once anything moved the cursor.
			if stored >= max(trigger.GetSequence(), 1) {
				return ErrResynced
			}
			return fn(ctx)
		})
	}
	s.o.Logger.InfoContext(ctx, "resynchronising from the peer's snapshot", "subscription", s.name,
		"trigger", trigger.GetTopic(), "sequence", trigger.GetSequence(), "resource", trigger.GetResource())
	position, err := s.o.Resync(ctx, trigger, tx)
	if errors.Is(err, ErrResynced) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("subscription %s: resync at change %d (%s): %w", s.name, trigger.GetSequence(), trigger.GetTopic(), err)
	}
	// The snapshot was read after the trigger was seen, so it reflects it; max guards a peer that
	// answered with an older position (it would otherwise offer the trigger again forever).
	position = max(position, trigger.GetSequence())
	err = tx(ctx, func(ctx context.Context) error {
		if _, err := s.db.Q(ctx).ExecContext(ctx, `UPDATE fupin_cursors SET sequence = $2, updated_us = $3
			WHERE name = $1`, s.name, position, s.o.Now().UnixMicro()); err != nil {
			return fmt.Errorf("move cursor: %w", err)
		}
		if s.o.Audit == nil {
			return nil
		}
		return s.o.Audit.Write(ctx, audit.Background(s.o.Service, "subscription/"+s.name+"/resync",
			fmt.Sprintf("changes/%d-%d", trigger.GetSequence(), position), 1, s.o.Now()))
	})
	if errors.Is(err, ErrResynced) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("subscription %s: resync: %w", s.name, err)
	}
	s.o.Logger.InfoContext(ctx, "resynchronised; following the feed after the snapshot's position", "subscription", s.name,
		"position", position)
	return nil
}

// lockCursor reads the stored cursor in the transaction in ctx, locking its row on PostgreSQL so two
// replicas take turns.
func (s *subscriber) lockCursor(ctx context.Context) (int64, error) {
	lock := ""
	if s.db.Dialect == sqldb.Postgres {
		lock = " FOR UPDATE"
	}
	var stored int64
	if err := s.db.Q(ctx).QueryRowContext(ctx, `SELECT sequence FROM fupin_cursors WHERE name = $1`+lock,
		s.name).Scan(&stored); err != nil {
		return 0, fmt.Errorf("read cursor: %w", err)
	}
	return stored, nil
}
