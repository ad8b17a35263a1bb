package app

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	commonv1 "fupin.dev/proto/gen/fupin/common/v1"
	identificationv1 "fupin.dev/proto/gen/fupin/identification/v1"
	"fupin.dev/services/employment/internal/domain"
	"fupin.dev/services/employment/internal/register"
	"fupin.dev/services/platform/audit"
	"fupin.dev/services/platform/outbox"
)

// Following the identification register's change feed into the labour ledger: one subscription (cursor
// registerSubscription in this service's database) over the register's household topics. Each page of
// changes names households; the follower reads them as the register has them now (BatchGetHouseholds,
// a thousand a call) and reconciles the ledger with them (domain.Follower), in the transaction that moves
// the cursor: nothing missed, nothing applied twice, across restarts and replicas (outbox.Subscribe). A
// bulk load (register.bulk_loaded) resyncs from the register's snapshot instead, the same reconcile over
// every household, then ends the records of households the snapshot no longer holds.

// registerSubscription names the cursor of the register's household feed.
const registerSubscription = "identification/households"

// TopicRegisterBulkLoaded is the register's one change for a bulk load (identification's store/feed.go).
const TopicRegisterBulkLoaded = "register.bulk_loaded"

// registerTopics are the register's household topics.
var registerTopics = []string{"household.created", "household.status_changed", "household.members_changed",
	"household.moved", "household.archived"}

// resyncChunk is the snapshot households reconciled per transaction of this service's database.
const resyncChunk = 1000

// sweepEvery is how often the age sweep runs (it writes only what changed).
const sweepEvery = 6 * time.Hour

// followArea runs the register's subscription and the daily age sweep as background jobs.
func followArea(w *wiring) ([]func(context.Context) error, error) {
	reg := register.New(w.register)
	f := &registerFollower{w: w, reg: reg, apply: domain.NewFollower(w.st, w.p.Policy, w.now)}
	// 公益岗: a death or a move stops pay from the next month; employment subsidies: a move carries open
	// applications to the new village. The areas are read when an event comes, after every area is built.
	f.apply.OnRegisterEvents(registerEvents{w})
	return []func(context.Context) error{f.run, f.sweep}, nil
}

// registerFollower follows the register into the ledger.
type registerFollower struct {
	w     *wiring
	reg   *register.Client
	apply *domain.Follower
}

func (f *registerFollower) run(ctx context.Context) error {
	return outbox.Subscribe(ctx, f.w.st.DB(), commonv1.NewChangeFeedServiceClient(f.w.register), registerSubscription, registerTopics, nil,
		outbox.SubscribeOptions{Logger: f.w.p.Logger, Audit: f.w.p.Audit, Service: Name, Now: f.w.now, Page: f.page,
			ResyncTopics: []string{TopicRegisterBulkLoaded}, Resync: f.resync})
}

// page reconciles the households a page of changes names, once each.
func (f *registerFollower) page(ctx context.Context, changes []*commonv1.Change) error {
	var ids []string
	for _, c := range changes {
		var p identificationv1.HouseholdChange
		if err := c.GetPayload().UnmarshalTo(&p); err != nil {
			return fmt.Errorf("change %d (%s): payload: %w", c.GetSequence(), c.GetTopic(), err)
		}
		if id := strings.TrimPrefix(p.GetHousehold(), "households/"); !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	hs, err := f.reg.Households(ctx, ids)
	if err != nil {
		return err
	}
	return f.reconcile(ctx, hs)
}

// reconcile brings the ledger in step with the register's households, then applies the 零就业 rule to them
// in the same transaction, so a household is listed (and its aid case opened) as it arises, and a move
// carries its case.
func (f *registerFollower) reconcile(ctx context.Context, hs []*domain.RegisterHousehold) error {
	if err := f.apply.Apply(ctx, hs); err != nil {
		return err
	}
	ids := make([]string, len(hs))
	for i, h := range hs {
		ids[i] = h.ID
	}
	return f.w.evaluateAidAll(ctx, ids)
}

// resync reconciles every household of the register's snapshot, a chunk per transaction, then ends the
// records of the households the ledger holds that the snapshot does not (archived since); it returns
// the snapshot's feed position.
func (f *registerFollower) resync(ctx context.Context, _ *commonv1.Change, tx outbox.TxFunc) (int64, error) {
	var position int64
	var seen []string
	err := f.reg.Snapshot(ctx, func(pos int64, hs []*domain.RegisterHousehold) error {
		position = pos
		for chunk := range slices.Chunk(hs, resyncChunk) {
			for _, h := range chunk {
				seen = append(seen, h.ID)
			}
			if err := tx(ctx, func(ctx context.Context) error { return f.reconcile(ctx, chunk) }); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	var held []string
	if err := tx(ctx, func(ctx context.Context) (err error) {
		held, err = f.w.st.HeldHouseholds(ctx)
		return err
	}); err != nil {
		return 0, err
	}
	slices.Sort(seen)
	var gone []*domain.RegisterHousehold
	for _, id := range held {
		if _, found := slices.BinarySearch(seen, id); !found {
			gone = append(gone, &domain.RegisterHousehold{ID: id, Archived: true})
		}
	}
	for chunk := range slices.Chunk(gone, resyncChunk) {
		if err := tx(ctx, func(ctx context.Context) error { return f.reconcile(ctx, chunk) }); err != nil {
			return 0, fmt.Errorf("archived households: %w", err)
		}
	}
	if err := f.w.st.AnalyzeLedger(ctx); err != nil {
		return 0, err
	}
	return position, nil
}

// sweep moves records across the working age as months pass, at start and every sweepEvery.
func (f *registerFollower) sweep(ctx context.Context) error {
	t := time.NewTicker(sweepEvery)
	defer t.Stop()
	for {
		now := f.w.now()
		n, err := domain.SweepAges(ctx, f.w.st, f.w.p.Policy, now)
		switch {
		case err != nil && ctx.Err() == nil:
			f.w.p.Logger.Warn("labour ledger: age sweep failed", "err", err)
		case n > 0:
			f.w.p.Audit.Enqueue(audit.Background(Name, "labourers/ageSweep", "labourers", n, now))
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}
