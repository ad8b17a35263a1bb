package domain

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"fupin.dev/services/platform/apperr"
	"fupin.dev/services/platform/bizdate"
	"fupin.dev/services/platform/pii"
	"fupin.dev/services/platform/policy"
)

// Reasons of the helpers-and-visits, collective-income and statistics area: values 200–249 of
// fupin.identification.v1.ErrorReason, and two of fupin.common.v1.ErrorReason the platform defines for
// every service (back-dating without a reason, no policy value in force).
const (
	ReasonHelperPrimaryOverlap   = "HELPER_PRIMARY_OVERLAP"
	ReasonPhoneInvalid           = "PHONE_INVALID"
	ReasonHelperNotAssigned      = "HELPER_NOT_ASSIGNED"
	ReasonHelperEnded            = "HELPER_ENDED"
	ReasonYearInvalid            = "YEAR_INVALID"
	ReasonHelperHasLaterVisits   = "HELPER_HAS_LATER_VISITS"
	ReasonBackdateReasonRequired = "BACKDATE_REASON_REQUIRED"
	ReasonPolicyValueMissing     = "POLICY_VALUE_MISSING"
)

// ParamVisitInterval is the policy parameter of the longest allowed gap between two visits, in days.
const ParamVisitInterval = "identification.visits.interval_days"

// ErrHelperNotFound is returned for a helper assignment that does not exist in the household.
var ErrHelperNotFound = apperr.NotFound("helper")

// PolicyLookup reads policy parameters (satisfied by *policy.Store): the value of parameter in force for
// regionCode on the business date of date, decoded into into.
type PolicyLookup interface {
	Decode(parameter, regionCode string, date time.Time, into any) (policy.Value, error)
}

// VisitKind is how a helper visited (走访方式).
type VisitKind int32

// Visit kinds; the numbers are those of fupin.identification.v1.VisitKind.
const (
	VisitKindUnspecified VisitKind = iota
	VisitKindHome                  // 入户走访
	VisitKindPhone                 // 电话走访
	VisitKindVideo                 // 视频走访
	VisitKindOther                 // 其他 (村委会、田间等当面帮扶)
)

// Helper is a helper (帮扶责任人) assigned to a household for a period. The assignment is in effect from
// StartDate to EndDate inclusive; EndDate is empty while it is open. The phone is personal data: Phone
// holds the plain number only in memory (from a request, or revealed to a caller allowed to read it);
// the store keeps PhoneCipher and PhoneMasked.
type Helper struct {
	ID          string
	HouseholdID string
	FullName    string
	Phone       string
	PhoneCipher []byte
	PhoneMasked string
	WorkUnit    string // 工作单位 / 帮扶单位
	Primary     bool   // 主要帮扶责任人: at most one at any date
	StartDate   string
	EndDate     string
	// BackdateReason says why StartDate lies before the day the assignment was recorded.
	BackdateReason string
	EndReason      string
	Actor          string
	RecordTime     time.Time
	EndActor       string
	EndTime        time.Time
}

// ActiveOn reports whether the assignment is in effect on a business date.
func (h *Helper) ActiveOn(date string) bool {
	return h.StartDate <= date && (h.EndDate == "" || date <= h.EndDate)
}

// overlaps reports whether two assignments share at least one day.
func (h *Helper) overlaps(o *Helper) bool {
	return (o.EndDate == "" || h.StartDate <= o.EndDate) && (h.EndDate == "" || o.StartDate <= h.EndDate)
}

// Visit is one visit (走访) of a helper to a household, on a business date, recorded at RecordTime.
type Visit struct {
	ID          string
	HouseholdID string
	HelperID    string
	HelperName  string // filled in by the store on reads
	Date        string // the day the visit took place (occurred_at)
	Kind        VisitKind
	Notes       string
	Findings    string // 发现问题
	// BackdateReason says why Date lies before the day the visit was recorded.
	BackdateReason string
	Actor          string
	RecordTime     time.Time
}

// HouseholdRef is the little of a household the visits area needs: where it is and whether it is in use.
type HouseholdRef struct {
	ID         string
	RegionCode string
	Number     string
	State      HouseholdState
}

// VisitCursor is the position after which a page of visits continues (newest first).
type VisitCursor struct {
	Date string
	ID   string
}

// OverdueGroup is a set of villages sharing one visit interval: a household of these villages is overdue
// when its reference date (last visit, else first helper assignment) is before Cutoff.
type OverdueGroup struct {
	// Villages are 12-digit codes; when empty, Prefix covers the group.
	Villages []string
	Prefix   string
	Cutoff   string
}

// OverdueQuery selects a page of households not visited within the interval as of a date.
type OverdueQuery struct {
	Scope  string // region prefix: only households under it
	Date   string // the as-of business date
	AsOf   AsOf
	Groups []OverdueGroup
	After  string // last household id of the previous page
	Limit  int
}

// OverdueHousehold is a household whose helpers have not visited it within the interval.
type OverdueHousehold struct {
	HouseholdID string
	RegionCode  string
	Number      string
	// LastVisit is the latest visit on or before the as-of date; empty when never visited.
	LastVisit string
	// Reference is what the interval counts from: LastVisit, or the start of the household's first
	// helper assignment when it was never visited.
	Reference string
	// DaysSince is the number of days from Reference to the as-of date (day 1 is the day after).
	DaysSince int
	// Helper is the assignment responsible on the as-of date (the primary one when there is one).
	Helper *Helper
}

// VisitStore is what the visits area needs from storage.
type VisitStore interface {
	InTx(ctx context.Context, fn func(ctx context.Context) error) error
	// LockHousehold returns the household's reference data and, inside a transaction, holds the household
	// against concurrent helper and visit changes until the transaction ends. ErrHouseholdNotFound.
	LockHousehold(ctx context.Context, id string) (*HouseholdRef, error)
	// Helpers returns every assignment of a household, oldest first.
	Helpers(ctx context.Context, householdID string) ([]*Helper, error)
	// HelpersOf returns the assignments of several households, keyed by household id.
	HelpersOf(ctx context.Context, householdIDs []string) (map[string][]*Helper, error)
	CreateHelper(ctx context.Context, h *Helper) error
	// EndHelper saves an assignment's end (EndDate, EndReason, EndActor, EndTime).
	EndHelper(ctx context.Context, h *Helper) error
	// LastVisitBy returns the date of the latest visit recorded for the helper assignment, or "".
	LastVisitBy(ctx context.Context, helperID string) (string, error)
	CreateVisit(ctx context.Context, v *Visit) error
	// Visits returns a page of a household's visits, newest first, after the cursor (zero: from the start).
	Visits(ctx context.Context, householdID string, after VisitCursor, limit int) ([]*Visit, error)
	// AllVisits returns every visit of a household, oldest first.
	AllVisits(ctx context.Context, householdID string) ([]*Visit, error)
	// OverdueHouseholds returns one page of overdue households in id order, without Helper and DaysSince.
	OverdueHouseholds(ctx context.Context, q OverdueQuery) ([]*OverdueHousehold, error)
	// CountOverdueHouseholds counts every overdue household of the query (the dashboard's to-do count).
	CountOverdueHouseholds(ctx context.Context, q OverdueQuery) (int64, error)
	// RegionsUnder returns the regions whose code starts with prefix, in code order, with populations.
	RegionsUnder(ctx context.Context, prefix string) ([]*Region, error)
}

// Visits is the helpers-and-visits use cases (帮扶责任人、走访).
type Visits struct {
	store  VisitStore
	pii    *pii.Protector
	policy PolicyLookup
	now    func() time.Time
	newID  func() string
}

// NewVisits wires the helpers-and-visits use cases.
func NewVisits(store VisitStore, protector *pii.Protector, pol PolicyLookup, now func() time.Time, newID func() string) *Visits {
	return &Visits{store: store, pii: protector, policy: pol, now: now, newID: newID}
}

// RevealPhone fills in a helper's plain phone number, for a caller allowed to read it.
func (s *Visits) RevealPhone(h *Helper) error {
	if h.Phone != "" || len(h.PhoneCipher) == 0 {
		return nil
	}
	p, err := s.pii.Open(h.PhoneCipher)
	if err != nil {
		return fmt.Errorf("open phone of helper %s: %w", h.ID, err)
	}
	h.Phone = p
	return nil
}

// checkStepDate applies the time rule of every recorded step: a real date, not in the future, and a
// reason when it lies before today (back-dated).
func checkStepDate(date, today, reason, dateField, reasonField string) error {
	if _, err := bizdate.Parse(date); err != nil || date > today {
		return apperr.Invalid(ReasonDateInvalid, dateField, "must be a date (YYYY-MM-DD) not in the future")
	}
	if date < today && strings.TrimSpace(reason) == "" {
		return apperr.Invalid(ReasonBackdateReasonRequired, reasonField,
			fmt.Sprintf("%s %s is before today (%s): say why it is recorded late", dateField, date, today))
	}
	return nil
}

// household locks a household in the caller's scope and refuses an archived one when active is set.
func (s *Visits) household(ctx context.Context, c Caller, id string, active bool) (*HouseholdRef, error) {
	ref, err := s.store.LockHousehold(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := c.check(ref.RegionCode); err != nil {
		return nil, err
	}
	if active && ref.State == HouseholdArchived {
		return nil, ErrArchived
	}
	return ref, nil
}

// CreateHelper assigns a helper to a household. Rules: a valid phone; a start date not in the future
// (with a reason when back-dated); an end date, when given, not before the start; and at most one primary
// helper on any date, so a new primary assignment must not overlap another primary one.
func (s *Visits) CreateHelper(ctx context.Context, c Caller, householdID string, in Helper) (*Helper, error) {
	now := s.now()
	today := bizdate.Today(now)
	var bad []apperr.FieldViolation
	name, err := pii.NormalizeName(in.FullName)
	if err != nil {
		bad = append(bad, apperr.FieldViolation{Field: "helper.full_name", Description: err.Error(), Reason: ReasonPersonNameInvalid})
	}
	phone, ok := pii.NormalizePhone(in.Phone)
	if !ok {
		bad = append(bad, apperr.FieldViolation{Field: "helper.phone", Reason: ReasonPhoneInvalid,
			Description: "must be a mobile number (11 digits) or a landline with area code (0713-1234567)"})
	}
	if len(bad) > 0 {
		return nil, apperr.InvalidFields(bad...)
	}
	if err := checkStepDate(in.StartDate, today, in.BackdateReason, "helper.start_date", "helper.backdate_reason"); err != nil {
		return nil, err
	}
	if in.EndDate != "" {
		if _, err := bizdate.Parse(in.EndDate); err != nil || in.EndDate < in.StartDate {
			return nil, apperr.Invalid(ReasonDateInvalid, "helper.end_date", "must be a date on or after start_date")
		}
	}
	sealed, err := s.pii.Seal(phone)
	if err != nil {
		return nil, fmt.Errorf("seal phone: %w", err)
	}
	h := &Helper{
		ID: s.newID(), HouseholdID: householdID, FullName: name, Phone: phone,
		PhoneCipher: sealed, PhoneMasked: pii.MaskPhone(phone), WorkUnit: in.WorkUnit, Primary: in.Primary,
		StartDate: in.StartDate, EndDate: in.EndDate, BackdateReason: in.BackdateReason,
		Actor: c.Actor, RecordTime: now,
	}
	err = s.store.InTx(ctx, func(ctx context.Context) error {
		if _, err := s.household(ctx, c, householdID, true); err != nil {
			return err
		}
		if h.Primary {
			existing, err := s.store.Helpers(ctx, householdID)
			if err != nil {
				return err
			}
			if err := checkPrimaryOverlap(h, existing); err != nil {
				return err
			}
		}
		return s.store.CreateHelper(ctx, h)
	})
	if err != nil {
		return nil, err
	}
	return h, nil
}

// checkPrimaryOverlap refuses a primary assignment that shares a day with another primary one.
func checkPrimaryOverlap(h *Helper, existing []*Helper) error {
	for _, o := range existing {
		if o.Primary && o.ID != h.ID && h.overlaps(o) {
			until := "open-ended"
			if o.EndDate != "" {
				until = "until " + o.EndDate
			}
			return apperr.Refused(ReasonHelperPrimaryOverlap, apperr.Violation{Type: ReasonHelperPrimaryOverlap,
				Subject: helperName(o),
				Description: fmt.Sprintf("a household has at most one primary helper on any date: %s is primary from %s (%s); end that assignment first",
					o.FullName, o.StartDate, until)})
		}
	}
	return nil
}

func helperName(h *Helper) string { return "households/" + h.HouseholdID + "/helpers/" + h.ID }

// ListHelpers returns every helper assignment of a household in the caller's scope, oldest first.
func (s *Visits) ListHelpers(ctx context.Context, c Caller, householdID string) ([]*Helper, error) {
	if _, err := s.household(ctx, c, householdID, false); err != nil {
		return nil, err
	}
	return s.store.Helpers(ctx, householdID)
}

// EndHelper ends an assignment on date (the last day it is in effect), with a reason. The date must not be
// in the future nor before the start, and no visit by this helper may lie after it.
func (s *Visits) EndHelper(ctx context.Context, c Caller, householdID, helperID, date, reason string) (*Helper, error) {
	now := s.now()
	today := bizdate.Today(now)
	if _, err := bizdate.Parse(date); err != nil || date > today {
		return nil, apperr.Invalid(ReasonDateInvalid, "end_date", "must be a date (YYYY-MM-DD) not in the future")
	}
	if strings.TrimSpace(reason) == "" {
		return nil, apperr.Invalid(ReasonInvalidField, "reason", "is required")
	}
	var out *Helper
	err := s.store.InTx(ctx, func(ctx context.Context) error {
		if _, err := s.household(ctx, c, householdID, false); err != nil {
			return err
		}
		helpers, err := s.store.Helpers(ctx, householdID)
		if err != nil {
			return err
		}
		var h *Helper
		for _, x := range helpers {
			if x.ID == helperID {
				h = x
			}
		}
		if h == nil {
			return ErrHelperNotFound
		}
		if h.EndDate != "" && h.EndDate <= today {
			return apperr.Refused(ReasonHelperEnded, apperr.Violation{Type: ReasonHelperEnded, Subject: helperName(h),
				Description: "the assignment already ended on " + h.EndDate})
		}
		if date < h.StartDate {
			return apperr.Invalid(ReasonDateInvalid, "end_date", "is before the assignment began ("+h.StartDate+")")
		}
		last, err := s.store.LastVisitBy(ctx, h.ID)
		if err != nil {
			return err
		}
		if last > date {
			return apperr.Refused(ReasonHelperHasLaterVisits, apperr.Violation{Type: ReasonHelperHasLaterVisits, Subject: helperName(h),
				Description: fmt.Sprintf("a visit by this helper is recorded on %s, after %s", last, date)})
		}
		h.EndDate, h.EndReason, h.EndActor, h.EndTime = date, reason, c.Actor, now
		out = h
		return s.store.EndHelper(ctx, h)
	})
	return out, err
}

// CreateVisit records a visit. Rules: a kind; a date not in the future, with a reason when back-dated;
// the helper is assigned to this household and in effect on that date; the household is in use.
func (s *Visits) CreateVisit(ctx context.Context, c Caller, householdID string, in Visit) (*Visit, error) {
	now := s.now()
	today := bizdate.Today(now)
	if in.Kind == VisitKindUnspecified {
		return nil, apperr.Invalid(ReasonInvalidField, "visit.kind", "is required")
	}
	if err := checkStepDate(in.Date, today, in.BackdateReason, "visit.visit_date", "visit.backdate_reason"); err != nil {
		return nil, err
	}
	v := &Visit{ID: s.newID(), HouseholdID: householdID, HelperID: in.HelperID, Date: in.Date, Kind: in.Kind,
		Notes: in.Notes, Findings: in.Findings, BackdateReason: in.BackdateReason, Actor: c.Actor, RecordTime: now}
	err := s.store.InTx(ctx, func(ctx context.Context) error {
		if _, err := s.household(ctx, c, householdID, true); err != nil {
			return err
		}
		helpers, err := s.store.Helpers(ctx, householdID)
		if err != nil {
			return err
		}
		for _, h := range helpers {
			if h.ID != in.HelperID {
				continue
			}
			if !h.ActiveOn(in.Date) {
				until := "open-ended"
				if h.EndDate != "" {
					until = "to " + h.EndDate
				}
				return apperr.Refused(ReasonHelperNotAssigned, apperr.Violation{Type: ReasonHelperNotAssigned, Subject: helperName(h),
					Description: fmt.Sprintf("%s is this household's helper from %s %s, not on %s", h.FullName, h.StartDate, until, in.Date)})
			}
			v.HelperName = h.FullName
			return s.store.CreateVisit(ctx, v)
		}
		return apperr.Invalid(ReasonHelperNotAssigned, "visit.helper", "is not a helper assigned to this household")
	})
	if err != nil {
		return nil, err
	}
	return v, nil
}

// ListVisits returns a page of a household's visits, newest first.
func (s *Visits) ListVisits(ctx context.Context, c Caller, householdID string, after VisitCursor, limit int) ([]*Visit, error) {
	if _, err := s.household(ctx, c, householdID, false); err != nil {
		return nil, err
	}
	return s.store.Visits(ctx, householdID, after, limit)
}

// Overdue is one page of ListOverdue's answer.
type Overdue struct {
	Date       string
	Households []*OverdueHousehold
	// Policies are the interval values used, one per distinct value entry.
	Policies []policy.Value
	// Next is the last household id of the page when more may follow.
	Next string
	// Total counts every overdue household of the list.
	Total int64
}

// ListOverdue lists, in the caller's scope (narrowed to region when given), the households that are not
// visited within the policy interval as of date (default today).
//
// Which households: those active on date that have a helper assignment in effect on date. The interval
// counts from the latest visit on or before date or, for a household never visited, from the start of
// its first helper assignment (a change of helper does not restart the count). With interval N days
// (identification.visits.interval_days, per village), a household is overdue when more than N days have
// passed: the day N after the reference is still in time, day N+1 is overdue.
func (s *Visits) ListOverdue(ctx context.Context, c Caller, region, date, after string, limit int) (*Overdue, error) {
	today := bizdate.Today(s.now())
	if date == "" {
		date = today
	}
	day, err := bizdate.Parse(date)
	if err != nil || date > today {
		return nil, apperr.Invalid(ReasonDateInvalid, "as_of_date", "must be a date (YYYY-MM-DD) not in the future")
	}
	scope, err := scopeWithin(c, region, "region_code")
	if err != nil {
		return nil, err
	}
	regions, err := s.store.RegionsUnder(ctx, scope)
	if err != nil {
		return nil, err
	}
	groups, values, err := s.intervalGroups(regions, scope, date, day)
	if err != nil {
		return nil, err
	}
	out := &Overdue{Date: date, Policies: values}
	if len(groups) == 0 {
		return out, nil
	}
	q := OverdueQuery{Scope: scope, Date: date, AsOf: asOf(date), Groups: groups, After: after, Limit: limit + 1}
	if out.Total, err = s.store.CountOverdueHouseholds(ctx, q); err != nil {
		return nil, err
	}
	hs, err := s.store.OverdueHouseholds(ctx, q)
	if err != nil {
		return nil, err
	}
	if len(hs) > limit {
		hs = hs[:limit]
		out.Next = hs[len(hs)-1].HouseholdID
	}
	ids := make([]string, len(hs))
	for i, h := range hs {
		ids[i] = h.HouseholdID
		h.DaysSince, _ = bizdate.DaysAfter(h.Reference, date)
	}
	helpers, err := s.store.HelpersOf(ctx, ids)
	if err != nil {
		return nil, err
	}
	for _, h := range hs {
		h.Helper = responsibleHelper(helpers[h.HouseholdID], date)
	}
	out.Households = hs
	return out, nil
}

// responsibleHelper picks the assignment in effect on date, the primary one first.
func responsibleHelper(hs []*Helper, date string) *Helper {
	var pick *Helper
	for _, h := range hs {
		if h.ActiveOn(date) && (pick == nil || (h.Primary && !pick.Primary)) {
			pick = h
		}
	}
	return pick
}

// intervalGroups looks the visit interval up for every village under scope and groups villages by the
// cutoff date it gives, so one query serves villages with different local values.
func (s *Visits) intervalGroups(regions []*Region, scope, date string, day time.Time) ([]OverdueGroup, []policy.Value, error) {
	byCutoff := map[string][]string{}
	seen := map[string]policy.Value{}
	for _, r := range regions {
		if r.Level != LevelVillage {
			continue
		}
		var days int
		v, err := s.policy.Decode(ParamVisitInterval, r.Code, day, &days)
		if err != nil {
			return nil, nil, policyRefusal(ParamVisitInterval, r.Code, date, err)
		}
		if days < 1 {
			return nil, nil, fmt.Errorf("policy %s for %s on %s: %d is not a positive number of days", ParamVisitInterval, r.Code, date, days)
		}
		seen[v.Hash] = v
		cutoff := day.AddDate(0, 0, -days).Format(bizdate.Layout)
		byCutoff[cutoff] = append(byCutoff[cutoff], r.Code)
	}
	var groups []OverdueGroup
	for cutoff, villages := range byCutoff {
		g := OverdueGroup{Villages: villages, Cutoff: cutoff}
		if len(byCutoff) == 1 {
			g = OverdueGroup{Prefix: scope, Cutoff: cutoff}
		}
		groups = append(groups, g)
	}
	sort.Slice(groups, func(i, j int) bool { return groups[i].Cutoff < groups[j].Cutoff })
	values := make([]policy.Value, 0, len(seen))
	for _, v := range seen {
		values = append(values, v)
	}
	sort.Slice(values, func(i, j int) bool {
		return values[i].Region+values[i].Effective < values[j].Region+values[j].Effective
	})
	return groups, values, nil
}

// policyRefusal turns a failed policy lookup into an answer the caller can act on.
func policyRefusal(parameter, region, date string, err error) error {
	if errors.Is(err, policy.ErrNotFound) {
		return apperr.Refused(ReasonPolicyValueMissing, apperr.Violation{Type: ReasonPolicyValueMissing, Subject: parameter,
			Description: fmt.Sprintf("no value of %s is in force for region %s on %s", parameter, region, date)})
	}
	return fmt.Errorf("policy %s for %s on %s: %w", parameter, region, date, err)
}

// scopeWithin narrows the caller's scope to a requested region prefix: the request may only narrow it.
func scopeWithin(c Caller, region, field string) (string, error) {
	switch {
	case region == "":
		return c.Scope, nil
	case strings.HasPrefix(region, c.Scope):
		return region, nil
	case strings.HasPrefix(c.Scope, region):
		return c.Scope, nil
	default:
		return "", ErrOutOfScope
	}
}

// TrailEvents implements TrailSource: helper assignments and their ends, and visits.
func (s *Visits) TrailEvents(ctx context.Context, householdID string) ([]TrailEvent, error) {
	helpers, err := s.store.Helpers(ctx, householdID)
	if err != nil {
		return nil, err
	}
	var out []TrailEvent
	for _, h := range helpers {
		role := "帮扶责任人"
		if h.Primary {
			role = "主要帮扶责任人"
		}
		summary := role + " " + h.FullName
		if h.WorkUnit != "" {
			summary += " (" + h.WorkUnit + ")"
		}
		summary += " 自 " + h.StartDate
		if h.EndDate != "" && h.EndTime.IsZero() {
			summary += " 至 " + h.EndDate
		}
		out = append(out, TrailEvent{Date: h.StartDate, RecordTime: h.RecordTime, Source: TrailSourceVisits,
			Kind: "helper_assigned", Actor: h.Actor, Summary: summary, Reason: h.BackdateReason, Resource: helperName(h)})
		if !h.EndTime.IsZero() {
			out = append(out, TrailEvent{Date: h.EndDate, RecordTime: h.EndTime, Source: TrailSourceVisits,
				Kind: "helper_ended", Actor: h.EndActor, Summary: fmt.Sprintf("%s %s 帮扶结束 (最后一日 %s)", role, h.FullName, h.EndDate),
				Reason: h.EndReason, Resource: helperName(h)})
		}
	}
	visits, err := s.store.AllVisits(ctx, householdID)
	if err != nil {
		return nil, err
	}
	for _, v := range visits {
		summary := fmt.Sprintf("%s: %s", visitKindNames[v.Kind], v.HelperName)
		if v.Findings != "" {
			summary += "; 发现问题: " + v.Findings
		}
		out = append(out, TrailEvent{Date: v.Date, RecordTime: v.RecordTime, Source: TrailSourceVisits, Kind: "visit",
			Actor: v.Actor, Summary: summary, Reason: v.BackdateReason,
			Resource: "households/" + v.HouseholdID + "/visits/" + v.ID})
	}
	return out, nil
}

var visitKindNames = map[VisitKind]string{
	VisitKindHome: "入户走访", VisitKindPhone: "电话走访", VisitKindVideo: "视频走访", VisitKindOther: "其他走访",
}
