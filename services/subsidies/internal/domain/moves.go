package domain

import (
	"context"
	"fmt"
	"time"
)

// TopicHouseholdMoved is the register's topic of a household that moved, whole, to another village; the
// change's RegionCode is the new village.
const TopicHouseholdMoved = "household.moved"

// MovedRecords counts the records a move carried to the new village.
type MovedRecords struct {
	Certificates, Coverages, Entitlements, Cases int
	// Assistances are pending 临时救助 applications; Checks open 低保 eligibility checks.
	Assistances, Checks int
}

// MoveStore is what the move follower changes. Every method writes in the transaction in ctx.
type MoveStore interface {
	InTx(ctx context.Context, fn func(ctx context.Context) error) error
	// MoveHouseholdRecords sets regionCode on the household's current records that are not there yet: the
	// valid certificates of its members, its 低保 coverages that are active or in a 渐退期 still paying in
	// month (YYYY-MM) or later, its entitlements still paying in month or later, its pending 临时救助
	// applications and its open eligibility checks. Records that ended before keep the village they were in.
	MoveHouseholdRecords(ctx context.Context, householdID, regionCode, month string, now time.Time) (MovedRecords, error)
	// OpenCasesOfHousehold returns the ids of the open cases of kinds about the household: those whose
	// subject is the household, and those about one of its members whose application names the household.
	OpenCasesOfHousehold(ctx context.Context, householdID string, kinds []string) ([]string, error)
}

// CaseRegions moves cases to another region; *workflow.Engine implements it.
type CaseRegions interface {
	// SetRegion sets an open case's region and reports whether it changed.
	SetRegion(ctx context.Context, id, regionCode string) (bool, error)
}

// moveCaseKinds are the kinds of case this service runs, all about a household or one of its members.
var moveCaseKinds = []string{KindDibao, KindDestitute, DisabilitySubsidyKindLiving, DisabilitySubsidyKindCare}

// MoveFollower carries a household's current records to the village it moved to (topic household.moved),
// so region scope (a region code prefix) shows them to the new township and village and the next roll
// lists them there: valid certificates, open 两项补贴, 低保 and 特困 cases, 低保 coverages still running, and
// entitlements still paying from the month of the move. What ended before keeps the old village, and so do
// the lines of rolls already computed (a roll line copies its region when the roll is computed). Applying
// the same change twice changes nothing more.
type MoveFollower struct {
	store MoveStore
	cases CaseRegions
	now   func() time.Time
}

var _ Follower = (*MoveFollower)(nil)

// NewMoveFollower returns the follower of the register's moves.
func NewMoveFollower(store MoveStore, cases CaseRegions, now func() time.Time) *MoveFollower {
	return &MoveFollower{store: store, cases: cases, now: now}
}

// HouseholdChanged acts on household.moved and ignores every other topic. It writes only through ctx: the
// subscriber calls it inside the transaction that stores its cursor.
func (m *MoveFollower) HouseholdChanged(ctx context.Context, c HouseholdChange) error {
	_, err := m.Move(ctx, c)
	return err
}

// Move applies one change and counts what it moved (nothing for other topics, or when applied before).
func (m *MoveFollower) Move(ctx context.Context, c HouseholdChange) (MovedRecords, error) {
	var moved MovedRecords
	if c.Topic != TopicHouseholdMoved {
		return moved, nil
	}
	if c.HouseholdID == "" || c.RegionCode == "" {
		return moved, fmt.Errorf("register change %d: a move without a household or a region", c.Sequence)
	}
	month := MonthOf(c.EffectiveDate)
	if _, err := ParseMonth(month); err != nil {
		return moved, fmt.Errorf("register change %d: a move without an effective date: %w", c.Sequence, err)
	}
	err := m.store.InTx(ctx, func(ctx context.Context) error {
		var err error
		if moved, err = m.store.MoveHouseholdRecords(ctx, c.HouseholdID, c.RegionCode, month, m.now()); err != nil {
			return err
		}
		ids, err := m.store.OpenCasesOfHousehold(ctx, c.HouseholdID, moveCaseKinds)
		if err != nil {
			return err
		}
		for _, id := range ids {
			changed, err := m.cases.SetRegion(ctx, id, c.RegionCode)
			if err != nil {
				return fmt.Errorf("register change %d: case %s: %w", c.Sequence, id, err)
			}
			if changed {
				moved.Cases++
			}
		}
		return nil
	})
	return moved, err
}
