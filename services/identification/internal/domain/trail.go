package domain

import (
	"context"
	"fmt"
	"sort"
	"time"

	"fupin.dev/services/platform/bizdate"
)

// Sources of trail events. Each area that records steps of a household names itself.
const (
	TrailSourceRegister = "register" // status history, memberships, archiving
	TrailSourceVisits   = "visits"   // helper assignments and visits
)

// TrailEvent is one step or change in a household's history (痕迹), from any area.
type TrailEvent struct {
	// Date is the business date (YYYY-MM-DD) the step took effect or happened.
	Date string
	// RecordTime is when it was recorded; zero when the record keeps no time (memberships).
	RecordTime time.Time
	// Source is the area the event comes from (TrailSource… constants, or the area's own name).
	Source string
	// Kind says what happened, in snake case: "status_changed", "member_joined", "visit", …
	Kind string
	// Actor is who recorded it (the caller's subject); empty when the record keeps none.
	Actor string
	// Summary describes the step for people; it never holds 身份证号 or phone numbers.
	Summary string
	// Reason is the recorded reason or justification, when there is one.
	Reason string
	// Resource is the name of the record the event is about, e.g. "households/1/visits/2".
	Resource string
}

// TrailSource contributes a household's events to the trail. Every area that records steps of a
// household (identification cases, monitoring clues, income assessments, visits, …) implements it and is
// registered in app.go; the trail merges them all.
type TrailSource interface {
	TrailEvents(ctx context.Context, householdID string) ([]TrailEvent, error)
}

// TrailHouseholds finds the household a trail is asked for, to check the caller's scope.
type TrailHouseholds interface {
	GetHousehold(ctx context.Context, id string) (*Household, error)
}

// Trail is the 痕迹管理 use case: one household's whole history, oldest first.
type Trail struct {
	households TrailHouseholds
	sources    []TrailSource
}

// NewTrail merges the events of the given sources.
func NewTrail(households TrailHouseholds, sources ...TrailSource) *Trail {
	return &Trail{households: households, sources: sources}
}

// Events returns every event of a household in the caller's scope, oldest first: by business date, then
// by record time (events without one last on their date), then in the order the sources are registered
// and each source gave them.
func (t *Trail) Events(ctx context.Context, c Caller, householdID string) ([]TrailEvent, error) {
	h, err := t.households.GetHousehold(ctx, householdID)
	if err != nil {
		return nil, err
	}
	if err := c.check(h.RegionCode); err != nil {
		return nil, err
	}
	var all []TrailEvent
	for _, src := range t.sources {
		evs, err := src.TrailEvents(ctx, householdID)
		if err != nil {
			return nil, fmt.Errorf("trail of %s: %w", householdID, err)
		}
		all = append(all, evs...)
	}
	sort.SliceStable(all, func(i, j int) bool {
		a, b := all[i], all[j]
		if a.Date != b.Date {
			return a.Date < b.Date
		}
		if a.RecordTime.IsZero() || b.RecordTime.IsZero() {
			return !a.RecordTime.IsZero() && b.RecordTime.IsZero()
		}
		return a.RecordTime.Before(b.RecordTime)
	})
	return all, nil
}

// RegisterTrail is the register's TrailSource: status history, memberships beginning and ending, and
// archiving. The register keeps no actor or record time for memberships, and no dated history of moves.
type RegisterTrail struct {
	households TrailHouseholds
}

// NewRegisterTrail returns the register's trail source.
func NewRegisterTrail(households TrailHouseholds) *RegisterTrail {
	return &RegisterTrail{households: households}
}

var registryNames = map[RegistryStatus]string{
	RegistryOrdinary: "一般户", RegistryPoor: "贫困户", RegistryExited: "已脱贫", RegistryReturned: "返贫",
}

var monitoringNames = map[MonitoringType]string{
	MonitoringUnstable: "脱贫不稳定户", MonitoringMarginal: "边缘易致贫户", MonitoringSuddenHardship: "突发严重困难户",
}

var relationNames = map[Relation]string{
	RelationHead: "户主", RelationSpouse: "配偶", RelationSon: "子", RelationDaughter: "女", RelationGrandchild: "孙子女",
	RelationParent: "父母", RelationGrandparent: "祖父母", RelationSibling: "兄弟姐妹", RelationChildInLaw: "儿媳/女婿",
	RelationOtherRelative: "其他亲属", RelationNonRelative: "非亲属",
}

// TrailEvents implements TrailSource.
func (r *RegisterTrail) TrailEvents(ctx context.Context, householdID string) ([]TrailEvent, error) {
	h, err := r.households.GetHousehold(ctx, householdID)
	if err != nil {
		return nil, err
	}
	name := "households/" + h.ID
	var out []TrailEvent
	for i, c := range h.History {
		kind, summary := "status_changed", "户类型 "+registryNames[c.Registry]
		if i == 0 {
			kind, summary = "registered", "登记 "+summary
		}
		if c.MonitoringType != MonitoringNone {
			state := "监测中"
			if c.MonitoringStatus == MonitoringStatusRiskRemoved {
				state = "风险消除"
			}
			summary += "; 监测对象 " + monitoringNames[c.MonitoringType] + " (" + state + ")"
		}
		out = append(out, TrailEvent{Date: c.EffectiveDate, RecordTime: c.RecordTime, Source: TrailSourceRegister,
			Kind: kind, Actor: c.Actor, Summary: summary, Reason: c.Reason, Resource: name})
	}
	for _, m := range h.Members {
		member := name + "/members/" + m.PersonID
		out = append(out, TrailEvent{Date: m.StartDate, Source: TrailSourceRegister, Kind: "member_joined",
			Summary: fmt.Sprintf("%s 入户 (%s)", m.FullName, relationNames[m.Relation]), Resource: member})
		if m.EndDate != "" {
			kind, what := "member_moved_out", "迁出"
			if m.State == MemberDeceased {
				kind, what = "member_died", "死亡"
			}
			out = append(out, TrailEvent{Date: m.EndDate, Source: TrailSourceRegister, Kind: kind,
				Summary: m.FullName + " " + what, Reason: m.EndReason, Resource: member})
		}
	}
	if h.State == HouseholdArchived {
		out = append(out, TrailEvent{Date: bizdateOf(h.UpdateTime), RecordTime: h.UpdateTime, Source: TrailSourceRegister,
			Kind: "archived", Summary: "户注销", Reason: h.ArchiveReason, Resource: name})
	}
	return out, nil
}

func bizdateOf(t time.Time) string { return bizdate.Today(t) }
