package domain

import (
	"context"
	"fmt"
	"strings"
	"time"

	"fupin.dev/services/platform/apperr"
	"fupin.dev/services/platform/workflow"
)

// 低保 eligibility checks (低保资格核查): "a newly confirmed monitoring object triggers a 低保 eligibility
// check", and so does a household that becomes poor or returned (两线合一: eligible registered poor
// households must be covered). The register's change feed reports a household's statuses after each
// change, not what changed, so the service remembers the statuses it last saw of each household and opens a
// check on the transition only: a later change of the same household (a member added) opens nothing.

// CheckReason is why a check was opened. Numbers equal fupin.subsidies.v1.EligibilityCheckReason.
type CheckReason int32

// Check reasons.
const (
	CheckReasonUnspecified         CheckReason = iota
	CheckReasonMonitoringConfirmed             // 新识别监测对象
	CheckReasonRegistryPoor                    // 认定为贫困户
	CheckReasonRegistryReturned                // 返贫
)

// CheckState is whether a check is still to be done. Numbers equal fupin.subsidies.v1.EligibilityCheckState.
type CheckState int32

// Check states.
const (
	CheckStateUnspecified CheckState = iota
	CheckOpen                        // 待核查
	CheckClosed                      // 已核查
)

// CheckOutcome is what a check concluded. Numbers equal fupin.subsidies.v1.EligibilityCheckOutcome.
type CheckOutcome int32

// Check outcomes.
const (
	CheckOutcomeUnspecified     CheckOutcome = iota
	CheckOutcomeApplicationOpen              // 已受理申请
	CheckOutcomeNotEligible                  // 不符合条件
	CheckOutcomeAlreadyCovered               // 已在保
	CheckOutcomeDeclined                     // 本人放弃申请
	checkOutcomeEnd
)

// EligibilityCheck is a 低保 eligibility check the register's changes opened.
type EligibilityCheck struct {
	ID          string
	HouseholdID string
	RegionCode  string
	Reason      CheckReason
	// SourceSequence is the register change's position in its feed: a change opens a check of a reason
	// once, however often it is delivered.
	SourceSequence int64
	EffectiveDate  string
	State          CheckState
	Outcome        CheckOutcome
	Note           string
	ClosedBy       string
	CreateTime     time.Time
	CloseTime      time.Time
}

// Name is the check's resource name.
func (c *EligibilityCheck) Name() string { return "eligibilityChecks/" + c.ID }

// FollowedStatus is the statuses of a household the service last saw on the register's feed.
type FollowedStatus struct {
	HouseholdID      string
	RegistryStatus   int32
	MonitoringType   int32
	MonitoringStatus int32
	Sequence         int64
}

// CheckQuery selects a page of checks.
type CheckQuery struct {
	Scope string
	// State limits the list to one state (unspecified: all).
	State CheckState
	After string
	Limit int
}

// EligibilityCheckStore keeps eligibility checks and the statuses seen; *store.Store implements it.
type EligibilityCheckStore interface {
	InTx(ctx context.Context, fn func(ctx context.Context) error) error
	// FollowedStatus returns the statuses last seen of a household (zero values when never seen).
	FollowedStatus(ctx context.Context, householdID string) (FollowedStatus, error)
	SetFollowedStatus(ctx context.Context, s FollowedStatus) error
	// OpenEligibilityCheck inserts a check unless one of the same source sequence and reason exists; it
	// reports whether it inserted.
	OpenEligibilityCheck(ctx context.Context, c *EligibilityCheck) (bool, error)
	GetEligibilityCheck(ctx context.Context, id string) (*EligibilityCheck, error)
	// UpdateEligibilityCheck locks a check, lets fn change it and saves it.
	UpdateEligibilityCheck(ctx context.Context, id string, fn func(c *EligibilityCheck) error) (*EligibilityCheck, error)
	// ListEligibilityChecks returns a page in id order and the id to continue after ("" on the last).
	ListEligibilityChecks(ctx context.Context, q CheckQuery) ([]*EligibilityCheck, string, error)
}

// CheckReasonsFor returns the checks a change opens, given the statuses seen before it: a monitoring object
// newly confirmed (monitoring open with a type, where it was not), a registry status newly poor or returned.
func CheckReasonsFor(prev FollowedStatus, ch HouseholdChange) []CheckReason {
	var out []CheckReason
	confirmed := func(typ, status int32) bool { return status == MonitoringOpen && typ != 0 }
	if confirmed(ch.MonitoringType, ch.MonitoringStatus) && !confirmed(prev.MonitoringType, prev.MonitoringStatus) {
		out = append(out, CheckReasonMonitoringConfirmed)
	}
	if ch.RegistryStatus != prev.RegistryStatus {
		switch ch.RegistryStatus {
		case RegistryPoor:
			out = append(out, CheckReasonRegistryPoor)
		case RegistryReturned:
			out = append(out, CheckReasonRegistryReturned)
		}
	}
	return out
}

// openChecks opens the checks a change calls for and remembers the household's statuses. A change older
// than the last one seen (delivered again) changes nothing.
func (d *Dibao) openChecks(ctx context.Context, ch HouseholdChange, now time.Time) error {
	prev, err := d.checks.FollowedStatus(ctx, ch.HouseholdID)
	if err != nil {
		return err
	}
	if prev.Sequence >= ch.Sequence && prev.HouseholdID != "" {
		return nil
	}
	for _, reason := range CheckReasonsFor(prev, ch) {
		c := &EligibilityCheck{ID: d.newID(), HouseholdID: ch.HouseholdID, RegionCode: ch.RegionCode, Reason: reason,
			SourceSequence: ch.Sequence, EffectiveDate: ch.EffectiveDate, State: CheckOpen, CreateTime: now}
		if _, err := d.checks.OpenEligibilityCheck(ctx, c); err != nil {
			return err
		}
	}
	return d.checks.SetFollowedStatus(ctx, FollowedStatus{HouseholdID: ch.HouseholdID, RegistryStatus: ch.RegistryStatus,
		MonitoringType: ch.MonitoringType, MonitoringStatus: ch.MonitoringStatus, Sequence: ch.Sequence})
}

// ListChecks lists a page of checks in the caller's scope.
func (d *Dibao) ListChecks(ctx context.Context, by workflow.Caller, state CheckState, after string, limit int) ([]*EligibilityCheck, string, error) {
	return d.checks.ListEligibilityChecks(ctx, CheckQuery{Scope: by.Scope, State: state, After: after, Limit: limit})
}

// CloseCheck closes an open check with its outcome and a note.
func (d *Dibao) CloseCheck(ctx context.Context, by workflow.Caller, id string, outcome CheckOutcome, note string) (*EligibilityCheck, error) {
	if outcome <= CheckOutcomeUnspecified || outcome >= checkOutcomeEnd {
		return nil, apperr.Invalid(workflow.ReasonInvalidField, "outcome", "must be a known outcome")
	}
	now := d.now()
	return d.checks.UpdateEligibilityCheck(ctx, id, func(c *EligibilityCheck) error {
		if !strings.HasPrefix(c.RegionCode, by.Scope) {
			return errReliefOutOfScope
		}
		if c.State != CheckOpen {
			return apperr.Refused(ReasonEligibilityCheckClosed, apperr.Violation{Type: "CHECK_STATE", Subject: c.Name(),
				Description: fmt.Sprintf("the check was closed by %s on %s", c.ClosedBy, c.CloseTime.Format(time.DateOnly))})
		}
		c.State, c.Outcome, c.Note, c.ClosedBy, c.CloseTime = CheckClosed, outcome, strings.TrimSpace(note), by.Actor, now
		return nil
	})
}

// EligibilityCheckBatchStore reads and writes checks and followed statuses many at a time (*store.Store).
type EligibilityCheckBatchStore interface {
	// FollowedStatuses returns the statuses last seen of the households, by id (never seen: absent).
	FollowedStatuses(ctx context.Context, ids []string) (map[string]FollowedStatus, error)
	// SetFollowedStatuses remembers statuses, each household at most once.
	SetFollowedStatuses(ctx context.Context, fs []FollowedStatus) error
	// OpenEligibilityChecks inserts checks, skipping those a change already opened for the household.
	OpenEligibilityChecks(ctx context.Context, cs []*EligibilityCheck) error
}

var _ BatchFollower = (*Dibao)(nil)

// HouseholdsChanged is HouseholdChanged for many changes: a run of changes without departed members
// (the checks they open and the statuses seen) is read and written in a few statements; a change with
// departed members is handled alone, in order.
func (d *Dibao) HouseholdsChanged(ctx context.Context, cs []HouseholdChange) error {
	bs, ok := d.checks.(EligibilityCheckBatchStore)
	if !ok {
		for _, c := range cs {
			if err := d.HouseholdChanged(ctx, c); err != nil {
				return err
			}
		}
		return nil
	}
	return d.store.InTx(ctx, func(ctx context.Context) error {
		for len(cs) > 0 {
			if len(cs[0].DepartedPersonIDs) > 0 {
				if err := d.householdChanged(ctx, cs[0]); err != nil {
					return err
				}
				cs = cs[1:]
				continue
			}
			n := 1
			for n < len(cs) && len(cs[n].DepartedPersonIDs) == 0 {
				n++
			}
			if err := d.openChecksBatch(ctx, bs, cs[:n]); err != nil {
				return err
			}
			cs = cs[n:]
		}
		return nil
	})
}

// openChecksBatch is openChecks for a run of changes, in order.
func (d *Dibao) openChecksBatch(ctx context.Context, bs EligibilityCheckBatchStore, cs []HouseholdChange) error {
	ids := make([]string, 0, len(cs))
	for _, c := range cs {
		ids = append(ids, c.HouseholdID)
	}
	seen, err := bs.FollowedStatuses(ctx, ids)
	if err != nil {
		return err
	}
	now := d.now()
	var checks []*EligibilityCheck
	changed := map[string]bool{}
	var order []string
	for _, ch := range cs {
		prev := seen[ch.HouseholdID]
		if prev.Sequence >= ch.Sequence && prev.HouseholdID != "" {
			continue
		}
		for _, reason := range CheckReasonsFor(prev, ch) {
			checks = append(checks, &EligibilityCheck{ID: d.newID(), HouseholdID: ch.HouseholdID, RegionCode: ch.RegionCode, Reason: reason,
				SourceSequence: ch.Sequence, EffectiveDate: ch.EffectiveDate, State: CheckOpen, CreateTime: now})
		}
		seen[ch.HouseholdID] = FollowedStatus{HouseholdID: ch.HouseholdID, RegistryStatus: ch.RegistryStatus,
			MonitoringType: ch.MonitoringType, MonitoringStatus: ch.MonitoringStatus, Sequence: ch.Sequence}
		if !changed[ch.HouseholdID] {
			changed[ch.HouseholdID] = true
			order = append(order, ch.HouseholdID)
		}
	}
	if len(checks) > 0 {
		if err := bs.OpenEligibilityChecks(ctx, checks); err != nil {
			return err
		}
	}
	if len(order) == 0 {
		return nil
	}
	statuses := make([]FollowedStatus, len(order))
	for i, id := range order {
		statuses[i] = seen[id]
	}
	return bs.SetFollowedStatuses(ctx, statuses)
}
