package app

import (
	"context"
	"fmt"
	"slices"
	"time"

	commonv1 "fupin.dev/proto/gen/fupin/common/v1"
	"fupin.dev/services/platform/bizdate"
	"fupin.dev/services/platform/outbox"
	"fupin.dev/services/subsidies/internal/domain"
)

// TopicRegisterBulkLoaded is the register's one change for a bulk load of many households
// (identification's store/feed.go): followers resync from the register's snapshot instead of reading a
// change per household.
const TopicRegisterBulkLoaded = "register.bulk_loaded"

// resyncChunk is the number of snapshot households handled per transaction of this service's database.
const resyncChunk = 1000

// snapshotSource reads the register's snapshot (register.Export).
type snapshotSource interface {
	Snapshot(ctx context.Context, today string, each func(position int64, hs []domain.SnapshotHousehold) error) error
}

// knownStore is what the resync reads of the journal (store.Store).
type knownStore interface {
	KnownHouseholds(ctx context.Context, ids []string) (map[string]*domain.KnownHousehold, error)
	RegisteredHouseholds(ctx context.Context) ([]string, error)
}

// resyncFrom makes the follower resync on register.bulk_loaded from snapshots of src, diffed against st's
// journal.
func (f *registerFollower) resyncFrom(st knownStore, src snapshotSource, now func() time.Time) {
	f.opts.ResyncTopics = []string{TopicRegisterBulkLoaded}
	f.opts.Resync = func(ctx context.Context, trigger *commonv1.Change, tx outbox.TxFunc) (int64, error) {
		return f.resync(ctx, st, src, bizdate.Today(now()), trigger, tx)
	}
}

// resync reads the register's snapshot and passes, for every household, the changes the journal has not
// recorded (domain.ResyncChanges) to every follower, a chunk of households per transaction; households
// the journal knows as registered that the snapshot no longer holds are archived. It returns the
// snapshot's feed position.
func (f *registerFollower) resync(ctx context.Context, st knownStore, src snapshotSource, today string, trigger *commonv1.Change,
	tx outbox.TxFunc) (int64, error) {
	seq := trigger.GetSequence()
	var position int64
	var seen []string // the snapshot's households
	err := src.Snapshot(ctx, today, func(pos int64, hs []domain.SnapshotHousehold) error {
		position = pos
		for chunk := range slices.Chunk(hs, resyncChunk) {
			ids := make([]string, len(chunk))
			for i := range chunk {
				ids[i] = chunk[i].HouseholdID
			}
			seen = append(seen, ids...)
			if err := tx(ctx, func(ctx context.Context) error {
				known, err := st.KnownHouseholds(ctx, ids)
				if err != nil {
					return err
				}
				var changes []domain.HouseholdChange
				for _, h := range chunk {
					changes = append(changes, domain.ResyncChanges(known[h.HouseholdID], h, seq, today)...)
				}
				return f.dispatchAll(ctx, changes)
			}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	var registered []string
	if err := tx(ctx, func(ctx context.Context) (err error) {
		registered, err = st.RegisteredHouseholds(ctx)
		return err
	}); err != nil {
		return 0, err
	}
	// The export streams in the register's id order; sorted here all the same, so a collation that is not
	// bytewise can never make a registered household look absent (archived).
	slices.Sort(seen)
	var gone []string
	for _, id := range registered {
		if _, found := slices.BinarySearch(seen, id); !found {
			gone = append(gone, id)
		}
	}
	for chunk := range slices.Chunk(gone, resyncChunk) {
		if err := tx(ctx, func(ctx context.Context) error {
			known, err := st.KnownHouseholds(ctx, chunk)
			if err != nil {
				return err
			}
			var changes []domain.HouseholdChange
			for _, id := range chunk {
				if k := known[id]; k != nil {
					changes = append(changes, domain.ArchivedChange(id, *k, seq, today))
				}
			}
			return f.dispatchAll(ctx, changes)
		}); err != nil {
			return 0, fmt.Errorf("archived households: %w", err)
		}
	}
	return position, nil
}
