package app

import (
	"context"
	"fmt"
	"strings"
	"time"

	commonv1 "fupin.dev/proto/gen/fupin/common/v1"
	identificationv1 "fupin.dev/proto/gen/fupin/identification/v1"
	"fupin.dev/services/platform/outbox"
	"fupin.dev/services/platform/sqldb"
	"fupin.dev/services/subsidies/internal/domain"
	"fupin.dev/services/subsidies/internal/register"
	"fupin.dev/services/subsidies/internal/store"
)

// Following the identification register's change feed: one subscription (cursor
// registerSubscription in this service's database) over the register's household topics; every change
// is converted once and handed to every follower, inside the transaction that moves the cursor, so each
// follower acts on each change exactly once, across restarts and replicas (outbox.Subscribe).

// registerSubscription names the cursor of the register's household feed.
const registerSubscription = "identification/households"

// registerTopics are the register's household topics (identification's store/feed.go).
var registerTopics = []string{"household.created", "household.status_changed", "household.members_changed",
	"household.moved", "household.archived"}

// followers lists the areas' followers of the register, called in this order for every change. The
// journal comes first, so the trail shows every change the others acted on; then 低保 (eligibility checks
// for new monitoring objects and poor households, covered persons reduced on deaths and moves, 特困 of a
// departed person stopped), 两项补贴 (stopped for departed holders), and moves (a household that moves
// village takes its current certificates, open cases, coverages and paying entitlements with it).
func followers(w *wiring) ([]domain.Follower, error) {
	dibao, err := dibaoFollower(w)
	if err != nil {
		return nil, err
	}
	disability, err := disabilitySubsidyFollower(w)
	if err != nil {
		return nil, err
	}
	return []domain.Follower{journal{st: w.st, now: w.now}, dibao, disability, moveFollower(w)}, nil
}

// followArea runs the subscription as a background job of the service.
func followArea(w *wiring) ([]func(context.Context) error, error) {
	fs, err := followers(w)
	if err != nil {
		return nil, err
	}
	f := newRegisterFollower(w.st.DB(), commonv1.NewChangeFeedServiceClient(w.register), fs)
	f.resyncFrom(w.st, register.NewExport(w.register, w.p.Logger), w.now)
	// What the followers change (coverage reduced, subsidies stopped, checks opened) is audited as the
	// service's own mutation, one row per transaction of handled changes.
	f.opts = outbox.SubscribeOptions{Logger: w.p.Logger, Audit: w.p.Audit, Service: Name, Now: w.now,
		ResyncTopics: f.opts.ResyncTopics, Resync: f.opts.Resync}
	return []func(context.Context) error{f.run}, nil
}

// registerFollower dispatches the register's changes to the followers.
type registerFollower struct {
	db        *sqldb.DB
	feed      commonv1.ChangeFeedServiceClient
	followers []domain.Follower
	opts      outbox.SubscribeOptions
}

// newRegisterFollower follows the register's feed into db for the given followers.
func newRegisterFollower(db *sqldb.DB, feed commonv1.ChangeFeedServiceClient, followers []domain.Follower) *registerFollower {
	return &registerFollower{db: db, feed: feed, followers: followers}
}

// run follows the feed until ctx ends.
func (f *registerFollower) run(ctx context.Context) error {
	return outbox.Subscribe(ctx, f.db, f.feed, registerSubscription, registerTopics, f.handle, f.opts)
}

// handle converts one change and calls every follower with it. A follower's error rolls the whole
// change back (the journal and the other followers' writes too), and the change is offered again.
func (f *registerFollower) handle(ctx context.Context, c *commonv1.Change) error {
	hc, err := toHouseholdChange(c)
	if err != nil {
		return err
	}
	return f.dispatch(ctx, hc)
}

// dispatchAll gives every follower the changes in order, in the transaction in ctx: a BatchFollower all
// at once, the others one by one. The followers are independent of each other (each writes its own
// records), so giving follower A every change before follower B has the effect of giving each change to
// A then B.
func (f *registerFollower) dispatchAll(ctx context.Context, cs []domain.HouseholdChange) error {
	if len(cs) == 0 {
		return nil
	}
	for _, fl := range f.followers {
		if b, ok := fl.(domain.BatchFollower); ok {
			if err := b.HouseholdsChanged(ctx, cs); err != nil {
				return fmt.Errorf("follower %T: %w", fl, err)
			}
			continue
		}
		for _, c := range cs {
			if err := fl.HouseholdChanged(ctx, c); err != nil {
				return fmt.Errorf("follower %T: %w", fl, err)
			}
		}
	}
	return nil
}

// dispatch calls every follower with one change, in the transaction in ctx.
func (f *registerFollower) dispatch(ctx context.Context, hc domain.HouseholdChange) error {
	for _, fl := range f.followers {
		if err := fl.HouseholdChanged(ctx, hc); err != nil {
			return fmt.Errorf("follower %T: %w", fl, err)
		}
	}
	return nil
}

// toHouseholdChange reads the register's payload (identificationv1.HouseholdChange in an Any).
func toHouseholdChange(c *commonv1.Change) (domain.HouseholdChange, error) {
	var p identificationv1.HouseholdChange
	if err := c.GetPayload().UnmarshalTo(&p); err != nil {
		return domain.HouseholdChange{}, fmt.Errorf("change %d (%s): payload: %w", c.GetSequence(), c.GetTopic(), err)
	}
	return domain.HouseholdChange{Sequence: c.GetSequence(), Topic: c.GetTopic(),
		HouseholdID: strings.TrimPrefix(p.GetHousehold(), "households/"), RegionCode: p.GetRegionCode(),
		RegistryStatus: int32(p.GetRegistryStatus()), MonitoringType: int32(p.GetMonitoringType()),
		MonitoringStatus: int32(p.GetMonitoringStatus()), EffectiveDate: p.GetEffectiveDate(), Size: int(p.GetSize()),
		DepartedPersonIDs: p.GetDepartedPersonIds(), Reason: p.GetReason()}, nil
}

// journal is the follower that records every change in the service's own database (store's
// register_changes), for the trail and for the areas that look back at what the register said.
type journal struct {
	st  *store.Store
	now func() time.Time
}

func (j journal) HouseholdChanged(ctx context.Context, c domain.HouseholdChange) error {
	return j.st.RecordRegisterChange(ctx, c, j.now())
}

func (j journal) HouseholdsChanged(ctx context.Context, cs []domain.HouseholdChange) error {
	return j.st.RecordRegisterChanges(ctx, cs, j.now())
}
