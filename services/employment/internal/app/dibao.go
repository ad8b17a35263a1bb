package app

import (
	"context"
	"slices"

	commonv1 "fupin.dev/proto/gen/fupin/common/v1"
	"fupin.dev/services/employment/internal/domain"
	"fupin.dev/services/employment/internal/register"
	"fupin.dev/services/employment/internal/relief"
	"fupin.dev/services/platform/outbox"
)

// Following subsidies' decisions into the labour ledger: the members of 低保 households are labourers too.
// One subscription (cursor decisionSubscription) over subsidies' 低保 coverage topics; each page's
// coverages are recorded and their households reconciled (read from the register as on its own feed), in
// the transaction that moves the cursor. A follower whose cursor is still at the start reads
// DecisionExportService first (outbox ResyncAtStart): the coverages decided before subsidies' feed carried
// them are only there.

// SubsidiesService is the name 民政's service is dialed by.
const SubsidiesService = "subsidies"

// decisionSubscription names the cursor of subsidies' decision feed.
const decisionSubscription = "subsidies/decisions"

// dibaoArea follows subsidies' 低保 coverages.
func dibaoArea(w *wiring) ([]func(context.Context) error, error) {
	conn, err := w.p.Dial(SubsidiesService)
	if err != nil {
		return nil, err
	}
	reg := register.New(w.register)
	follower := domain.NewFollower(w.st, w.p.Policy, w.now)
	export := relief.New(conn)
	// A 低保 household with no one employed enters 零就业 aid (issue 15, 民政 → 人社): the households whose
	// coverages changed are evaluated in the same transaction.
	apply := func(ctx context.Context, cs []domain.DibaoCoverage) error {
		if err := follower.Coverages(ctx, cs, reg.Households); err != nil {
			return err
		}
		ids := make([]string, 0, len(cs))
		for _, c := range cs {
			ids = append(ids, c.HouseholdID)
		}
		return w.evaluateAidAll(ctx, ids)
	}
	page := func(ctx context.Context, changes []*commonv1.Change) error {
		cs := make([]domain.DibaoCoverage, 0, len(changes))
		for _, c := range changes {
			d, err := relief.FromChange(c)
			if err != nil {
				return err
			}
			cs = append(cs, d)
		}
		return apply(ctx, cs)
	}
	resync := func(ctx context.Context, _ *commonv1.Change, tx outbox.TxFunc) (int64, error) {
		var position int64
		err := export.Coverages(ctx, func(pos int64, cs []domain.DibaoCoverage) error {
			position = pos
			for chunk := range slices.Chunk(cs, resyncChunk) {
				if err := tx(ctx, func(ctx context.Context) error { return apply(ctx, chunk) }); err != nil {
					return err
				}
			}
			return nil
		})
		return position, err
	}
	run := func(ctx context.Context) error {
		return outbox.Subscribe(ctx, w.st.DB(), commonv1.NewChangeFeedServiceClient(conn), decisionSubscription, relief.Topics, nil,
			outbox.SubscribeOptions{Logger: w.p.Logger, Audit: w.p.Audit, Service: Name, Now: w.now, Page: page,
				Resync: resync, ResyncAtStart: true})
	}
	return []func(context.Context) error{run}, nil
}
