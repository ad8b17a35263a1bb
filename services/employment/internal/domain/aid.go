package domain

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"fupin.dev/services/platform/apperr"
	"fupin.dev/services/platform/bizdate"
	"fupin.dev/services/platform/payroll"
	"fupin.dev/services/platform/policy"
	"fupin.dev/services/platform/workflow"
)

// 就业援助 (EmploymentAid): "出现一户、援助一户、消除一户". A household is listed as 零就业 the moment the rule
// (aid_rules.go) finds it so — on a change of the labour ledger, in that change's transaction, and in the
// leader's daily pass (Aid.Pass), which catches what only the calendar changes (a member turning 16, paid
// months leaving the window) — and an aid case opens for it at once on the workflow engine. The case records
// the offers made (posts, training, jobs) and must close within the policy's days: with a member employed
// (a paid spell in the ledger) or with a recorded reason. When the household stops being 零就业 its listing
// ends and its open case closes by itself with the reason (employed, no working-age member left, no longer
// followed by the ledger); a move carries the open listing and case to the new village.

// KindEmploymentAid is the workflow kind of an aid case.
const KindEmploymentAid = "employment-aid"

// Steps of an aid case: it opens with the finding and ends with the closing; offers are records of their
// own (AidOffer), since any number may be made in any order while the case is open.
const (
	AidStepIdentified = "identified"
	AidStepClosing    = "closing"
)

// AidServiceActor is the actor of what the service does by itself (the finding, closings on ledger changes).
const AidServiceActor = "service:employment"

// Outcomes of an aid case.
const (
	AidOutcomeEmployed = "employed" // a member is employed (援助成功)
	AidOutcomeReason   = "reason"   // closed with a recorded reason
)

// Reasons an aid case closes without a member employed.
const (
	AidReasonOffersDeclined = "offers_declined" // the members turned the offers down (e.g. 3 referrals)
	AidReasonUnreachable    = "unreachable"     // 失联: the household cannot be reached
	AidReasonNoWorkingAge   = "no_working_age"  // no member of working age able to work is left (a death, a birthday)
	AidReasonLeftLedger     = "left_ledger"     // the ledger no longer follows the household (archived, out of scope)
	AidReasonOther          = "other"           // anything else, said in the note
)

// aidReasons are the reasons an official may record; the others are the service's own.
var aidReasons = map[string]bool{AidReasonOffersDeclined: true, AidReasonUnreachable: true, AidReasonOther: true}

// Kinds of offer.
const (
	AidOfferPost     = "post"     // 公益性岗位
	AidOfferTraining = "training" // 技能培训
	AidOfferJob      = "job"      // 岗位推荐 (an employer's vacancy)
)

// Responses to an offer.
const (
	AidResponsePending  = "pending"
	AidResponseAccepted = "accepted"
	AidResponseDeclined = "declined"
)

// Error reasons of the aid area (fupin.employment.v1.ErrorReason 150–199).
const (
	ReasonAidInvalidField    = "AID_INVALID_FIELD"
	ReasonAidCaseClosed      = "AID_CASE_CLOSED"
	ReasonAidNotMember       = "AID_NOT_A_MEMBER"
	ReasonAidNotEmployed     = "AID_MEMBER_NOT_EMPLOYED"
	ReasonAidOfferDateBefore = "AID_OFFER_BEFORE_CASE"
)

// Violation types of the aid rules (PreconditionFailure).
const (
	RuleAidCaseOpen    = "AID_CASE_OPEN"
	RuleAidEmployed    = "AID_EMPLOYED_MEMBER"
	RuleAidMember      = "AID_HOUSEHOLD_MEMBER"
	RuleAidOfferInCase = "AID_OFFER_IN_CASE"
)

// ZeroEmploymentListing is one period a household was on the 零就业 list.
type ZeroEmploymentListing struct {
	ID          string
	HouseholdID string
	RegionCode  string
	// ListedOn is the business date found; Finding the rule's result then, PolicyHash of the values used.
	ListedOn   string
	Finding    ZeroEmploymentFinding
	PolicyHash string
	// CaseID is the aid case opened for it.
	CaseID string
	// EndedOn and EndReason are set once the household left the list (ZeroEmployment… reasons).
	EndedOn   string
	EndReason string
	// CaseOpen and CaseDueOn are the case's state, filled by the list.
	CaseOpen  bool
	CaseDueOn string
}

// AidCase is an aid case as the employment service keeps it beside the engine's trail.
type AidCase struct {
	ID          string // the workflow case's id
	HouseholdID string
	RegionCode  string
	ListingID   string
	OpenedOn    string
	// DueOn is the last day the case closes in time: OpenedOn plus the policy's days.
	DueOn           string
	CloseWithinDays int
	PolicyHash      string
	Open            bool
	ClosedOn        string
	Outcome         string // AidOutcome…
	Reason          string // AidReason… when closed with a reason
	EmployedPerson  string // the member employed, when AidOutcomeEmployed
	ClosingNote     string
	Offers          []AidOffer
	// Trail is the engine's case (steps, actors, dates); set by Get.
	Trail *workflow.Case
}

// Name is the case's resource name.
func (c *AidCase) Name() string { return "aidCases/" + c.ID }

// AidOffer is one offer made to a member in an aid case.
type AidOffer struct {
	ID          string
	CaseID      string
	Kind        string // AidOffer…
	PersonID    string
	Description string
	OfferedOn   string
	Response    string // AidResponse…
	RecordedBy  string
	RecordedAt  time.Time
}

// AidDueOn is the last day an aid case opened on openedOn closes in time: day `days` counted with day 1 the
// day after opening. The day after is overdue.
func AidDueOn(openedOn string, days int) (string, error) {
	t, err := bizdate.Parse(openedOn)
	if err != nil {
		return "", err
	}
	return t.AddDate(0, 0, days).Format(bizdate.Layout), nil
}

// AidOverdue says whether a case still open on date is overdue: date is after its due day.
func AidOverdue(dueOn, date string) bool { return date > dueOn }

// AidLedger is what the aid needs of the labour ledger.
type AidLedger interface {
	// AidHouseholds returns the households asked for, with their current members and each member's months
	// of paid work between first and last (YYYY-MM, inclusive). A household the ledger does not know comes
	// back with Followed false.
	AidHouseholds(ctx context.Context, householdIDs []string, first, last string) ([]AidHousehold, error)
	// AidFollowedHouseholds pages the ids of the households the ledger follows, in id order after `after`.
	AidFollowedHouseholds(ctx context.Context, after string, limit int) ([]string, error)
}

// AidListQuery selects a page of the 零就业 list or of aid cases.
type AidListQuery struct {
	// Scope is the caller's region prefix; RegionPrefix narrows it further.
	Scope, RegionPrefix string
	// OverdueOn lists only the open cases overdue on that date (cases only).
	OverdueOn string
	// OpenOnly lists only open cases (cases only).
	OpenOnly bool
	After    string
	Limit    int
}

// AidStore keeps listings, aid cases and offers.
type AidStore interface {
	InTx(ctx context.Context, fn func(ctx context.Context) error) error
	// LockAidHouseholds holds the households against concurrent evaluations until the transaction ends.
	LockAidHouseholds(ctx context.Context, householdIDs []string) error
	// CurrentZeroEmployment returns the households' listings that have not ended, by household id.
	CurrentZeroEmployment(ctx context.Context, householdIDs []string) (map[string]*ZeroEmploymentListing, error)
	InsertZeroEmployment(ctx context.Context, l *ZeroEmploymentListing) error
	EndZeroEmployment(ctx context.Context, id, endedOn, reason string) error
	// ListedHouseholds pages the ids of the households on the list now, in id order after `after`.
	ListedHouseholds(ctx context.Context, after string, limit int) ([]string, error)
	InsertAidCase(ctx context.Context, c *AidCase) error
	// AidCase returns a case with its offers (NotFound when unknown); lock reads it for a change.
	AidCase(ctx context.Context, id string, lock bool) (*AidCase, error)
	CloseAidCase(ctx context.Context, c *AidCase) error
	InsertAidOffer(ctx context.Context, o *AidOffer) error
	// MoveAid carries the household's current listing and open cases to region; it returns the cases moved.
	MoveAid(ctx context.Context, householdID, region string) ([]string, error)
	// ListZeroEmployment pages the current listings; total counts every one the query selects.
	ListZeroEmployment(ctx context.Context, q AidListQuery) (page []ZeroEmploymentListing, total int, err error)
	ListAidCases(ctx context.Context, q AidListQuery) (page []AidCase, total int, err error)
}

// Aid is the 零就业 list and the aid cases.
type Aid struct {
	store  AidStore
	ledger AidLedger
	engine *workflow.Engine
	policy workflow.Policy
	newID  func() string
	now    func() time.Time
	// audit is told, in the transaction, how many households an evaluation listed or took off the list.
	audit func(ctx context.Context, resource string, records int) error
}

// AuditChanges makes every evaluation that changes the list write an audit row through fn in its
// transaction (the service's own mutations are audited like a request's).
func (a *Aid) AuditChanges(fn func(ctx context.Context, resource string, records int) error) {
	a.audit = fn
}

// NewAid builds the use case and registers the aid case's definition with the engine.
func NewAid(store AidStore, ledger AidLedger, engine *workflow.Engine, pol workflow.Policy, newID func() string,
	now func() time.Time) (*Aid, error) {
	a := &Aid{store: store, ledger: ledger, engine: engine, policy: pol, newID: newID, now: now}
	err := engine.Register(workflow.Definition{Kind: KindEmploymentAid, OnePerSubject: true, Steps: []workflow.StepDef{
		{Name: AidStepIdentified},
		{Name: AidStepClosing, Guard: a.closingGuard},
	}})
	if err != nil {
		return nil, err
	}
	return a, nil
}

// Rule reads the 零就业 rule's policy for a region on a date.
func (a *Aid) Rule(region, date string) (ZeroEmploymentRule, error) {
	t, err := bizdate.Parse(date)
	if err != nil {
		return ZeroEmploymentRule{}, err
	}
	var r ZeroEmploymentRule
	var age WorkingAge
	for _, p := range []struct {
		name string
		into any
	}{{ParamWorkingAge, &age}, {ParamZeroEmploymentMaxPaidMonths, &r.MaxPaidMonths}, {ParamZeroEmploymentWindowMonths, &r.WindowMonths}} {
		v, err := a.policy.Decode(p.name, region, t, p.into)
		if err != nil {
			return ZeroEmploymentRule{}, fmt.Errorf("policy %s for %s on %s: %w", p.name, region, date, err)
		}
		r.Used = append(r.Used, v)
	}
	r.MinAge, r.MaxAge = age.Min, age.Max
	return r, r.Check()
}

// usedHash is one hash of the policy values a decision used.
func usedHash(used []policy.Value) string {
	var b strings.Builder
	for i, v := range used {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(v.Hash)
	}
	return b.String()
}

// Evaluate applies the 零就业 rule to the households on date (a business date) and writes the difference:
// a household found 零就业 and not listed is listed and its aid case opened; a listed household no longer 零
// 就业 leaves the list and its open case closes with the reason. It writes in the transaction in ctx (the
// ledger change's), or in one of its own.
func (a *Aid) Evaluate(ctx context.Context, date string, householdIDs ...string) error {
	if len(householdIDs) == 0 {
		return nil
	}
	ids := slices.Clone(householdIDs)
	slices.Sort(ids)
	ids = slices.Compact(ids)
	return a.store.InTx(ctx, func(ctx context.Context) error {
		// Read without holding anything; hold (PostgreSQL) and read again only the households whose
		// listing must change, so a daily pass over a county where little changed writes nothing, not
		// even row locks.
		todo, err := a.evaluate(ctx, date, ids, false)
		if err != nil || len(todo) == 0 {
			return err
		}
		if err := a.store.LockAidHouseholds(ctx, todo); err != nil {
			return err
		}
		changed, err := a.evaluate(ctx, date, todo, true)
		if err != nil || len(changed) == 0 || a.audit == nil {
			return err
		}
		return a.audit(ctx, "zeroEmploymentHouseholds", len(changed))
	})
}

// evaluate applies the rule to the households and returns those whose listing must change (a household to
// list, to take off the list, or to move); with apply it makes the changes.
func (a *Aid) evaluate(ctx context.Context, date string, householdIDs []string, apply bool) ([]string, error) {
	month := payroll.MonthOf(date)
	current, err := a.store.CurrentZeroEmployment(ctx, householdIDs)
	if err != nil {
		return nil, err
	}
	// The window depends on policy by region; read the widest the default allows and let each rule count
	// its own months (Evaluate ignores months outside its window).
	hs, err := a.ledger.AidHouseholds(ctx, householdIDs, payroll.AddMonths(month, -35), month)
	if err != nil {
		return nil, err
	}
	rules := map[string]ZeroEmploymentRule{}
	var changed []string
	for _, h := range hs {
		cur := current[h.ID]
		region := h.RegionCode
		if region == "" && cur != nil {
			region = cur.RegionCode
		}
		if !h.Followed && cur == nil {
			continue
		}
		r, ok := rules[region]
		if !ok {
			if r, err = a.Rule(region, date); err != nil {
				return nil, err
			}
			rules[region] = r
		}
		f := r.Evaluate(h, month)
		// A move carries the listing and its open case to the new village (level-triggered: the ledger's
		// region is the register's now).
		moved := cur != nil && h.RegionCode != "" && h.RegionCode != cur.RegionCode
		list, unlist := f.Zero && cur == nil, !f.Zero && cur != nil
		if !moved && !list && !unlist {
			continue
		}
		changed = append(changed, h.ID)
		if !apply {
			continue
		}
		if moved {
			if err := a.Moved(ctx, h.ID, h.RegionCode); err != nil {
				return nil, err
			}
			cur.RegionCode = h.RegionCode
		}
		switch {
		case list:
			if err := a.list(ctx, h, f, r, date); err != nil {
				return nil, err
			}
		case unlist:
			if err := a.unlist(ctx, cur, f, date); err != nil {
				return nil, err
			}
		}
	}
	return changed, nil
}

// list puts a household on the list and opens its aid case.
func (a *Aid) list(ctx context.Context, h AidHousehold, f ZeroEmploymentFinding, r ZeroEmploymentRule, date string) error {
	t, err := bizdate.Parse(date)
	if err != nil {
		return err
	}
	var days int
	v, err := a.policy.Decode(ParamAidCloseWithinDays, h.RegionCode, t, &days)
	if err != nil {
		return fmt.Errorf("policy %s for %s on %s: %w", ParamAidCloseWithinDays, h.RegionCode, date, err)
	}
	if days < 1 {
		return fmt.Errorf("policy %s: %d is not a number of days", ParamAidCloseWithinDays, days)
	}
	due, err := AidDueOn(date, days)
	if err != nil {
		return err
	}
	data, err := json.Marshal(struct {
		Finding    ZeroEmploymentFinding `json:"finding"`
		Rule       ZeroEmploymentRule    `json:"rule"`
		CloseDays  int                   `json:"close_within_days"`
		DaysPolicy policy.Value          `json:"close_within_days_policy"`
	}{f, r, days, v})
	if err != nil {
		return err
	}
	k, err := a.engine.Open(ctx, workflow.Caller{Actor: AidServiceActor}, workflow.NewCase{Kind: KindEmploymentAid,
		Subject: "households/" + h.ID, RegionCode: h.RegionCode,
		First: workflow.StepInput{Step: AidStepIdentified, OccurredAt: date, Data: data,
			Note: "零就业家庭: 出现一户、援助一户"}})
	if err != nil {
		return fmt.Errorf("open aid case for household %s: %w", h.ID, err)
	}
	l := &ZeroEmploymentListing{ID: a.newID(), HouseholdID: h.ID, RegionCode: h.RegionCode, ListedOn: date, Finding: f,
		PolicyHash: usedHash(r.Used), CaseID: k.ID}
	if err := a.store.InsertZeroEmployment(ctx, l); err != nil {
		return err
	}
	return a.store.InsertAidCase(ctx, &AidCase{ID: k.ID, HouseholdID: h.ID, RegionCode: h.RegionCode, ListingID: l.ID,
		OpenedOn: date, DueOn: due, CloseWithinDays: days, PolicyHash: v.Hash, Open: true})
}

// unlist ends a listing and closes its case if still open.
func (a *Aid) unlist(ctx context.Context, l *ZeroEmploymentListing, f ZeroEmploymentFinding, date string) error {
	if err := a.store.EndZeroEmployment(ctx, l.ID, date, f.Reason); err != nil {
		return err
	}
	c, err := a.store.AidCase(ctx, l.CaseID, true)
	if err != nil {
		return err
	}
	if !c.Open {
		return nil
	}
	in := AidClosing{Outcome: AidOutcomeReason, OccurredAt: maxDate(date, c.OpenedOn)}
	switch f.Reason {
	case ZeroEmploymentEmployed:
		in.Outcome, in.PersonID = AidOutcomeEmployed, f.Employed[0]
		in.Note = "就业: a member is employed (labour ledger)"
	case ZeroEmploymentNoAble:
		in.Reason, in.Note = AidReasonNoWorkingAge, "no member of working age able to work is left"
	default:
		in.Reason, in.Note = AidReasonLeftLedger, "the labour ledger no longer follows the household"
	}
	_, err = a.close(ctx, workflow.Caller{Actor: AidServiceActor}, c, in)
	return err
}

func maxDate(a, b string) string {
	if a > b {
		return a
	}
	return b
}

// Pass is the daily evaluation (the leader's): every household the ledger follows and every household on
// the list, in batches, each batch in its own transaction. It returns the households evaluated.
func (a *Aid) Pass(ctx context.Context, date string, batch int) (int, error) {
	if batch <= 0 {
		batch = 500
	}
	n := 0
	for _, source := range []func(context.Context, string, int) ([]string, error){a.ledger.AidFollowedHouseholds, a.store.ListedHouseholds} {
		after := ""
		for {
			ids, err := source(ctx, after, batch)
			if err != nil {
				return n, err
			}
			if len(ids) == 0 {
				break
			}
			if err := a.Evaluate(ctx, date, ids...); err != nil {
				return n, err
			}
			n += len(ids)
			after = ids[len(ids)-1]
			if len(ids) < batch {
				break
			}
		}
	}
	return n, nil
}

// Moved carries a household's current listing and open aid cases to its new village, in the move's
// transaction; the engine moves each case (SetRegion), so the new village's officers see it.
func (a *Aid) Moved(ctx context.Context, householdID, region string) error {
	return a.store.InTx(ctx, func(ctx context.Context) error {
		ids, err := a.store.MoveAid(ctx, householdID, region)
		if err != nil {
			return err
		}
		for _, id := range ids {
			if _, err := a.engine.SetRegion(ctx, id, region); err != nil {
				return err
			}
		}
		return nil
	})
}

// AidOfferInput is an offer to record.
type AidOfferInput struct {
	Kind           string
	PersonID       string
	Description    string
	OccurredAt     string
	BackdateReason string
	Response       string
}

// RecordOffer records an offer made to a member of the case's household while the case is open.
func (a *Aid) RecordOffer(ctx context.Context, by workflow.Caller, caseID string, in AidOfferInput) (*AidCase, error) {
	var errs []apperr.FieldViolation
	switch in.Kind {
	case AidOfferPost, AidOfferTraining, AidOfferJob:
	default:
		errs = append(errs, apperr.FieldViolation{Field: "offer.kind", Description: "must be a post, training or a job", Reason: ReasonAidInvalidField})
	}
	if strings.TrimSpace(in.PersonID) == "" {
		errs = append(errs, apperr.FieldViolation{Field: "offer.person_id", Description: "name the member the offer was made to", Reason: ReasonAidInvalidField})
	}
	if strings.TrimSpace(in.Description) == "" {
		errs = append(errs, apperr.FieldViolation{Field: "offer.description", Description: "say what was offered (post, course, employer)", Reason: ReasonAidInvalidField})
	}
	if in.Response == "" {
		in.Response = AidResponsePending
	}
	switch in.Response {
	case AidResponsePending, AidResponseAccepted, AidResponseDeclined:
	default:
		errs = append(errs, apperr.FieldViolation{Field: "offer.response", Description: "must be pending, accepted or declined", Reason: ReasonAidInvalidField})
	}
	now := a.now()
	date, err := stepDate("offer.offered_on", in.OccurredAt, in.BackdateReason, now)
	if err != nil {
		return nil, err
	}
	if len(errs) > 0 {
		return nil, apperr.InvalidFields(errs...)
	}
	var out *AidCase
	err = a.store.InTx(ctx, func(ctx context.Context) error {
		c, err := a.scoped(ctx, by, caseID, true)
		if err != nil {
			return err
		}
		if !c.Open {
			return apperr.Refused(ReasonAidCaseClosed, apperr.Violation{Type: RuleAidOfferInCase, Subject: c.Name(),
				Description: "offers are recorded while the aid case is open"})
		}
		if date < c.OpenedOn {
			return apperr.Invalid(ReasonAidOfferDateBefore, "offer.offered_on", "must not be before the case opened ("+c.OpenedOn+")")
		}
		if err := a.checkMember(ctx, c, in.PersonID, "offer.person_id"); err != nil {
			return err
		}
		o := AidOffer{ID: a.newID(), CaseID: c.ID, Kind: in.Kind, PersonID: in.PersonID, Description: strings.TrimSpace(in.Description),
			OfferedOn: date, Response: in.Response, RecordedBy: by.Actor, RecordedAt: now}
		if err := a.store.InsertAidOffer(ctx, &o); err != nil {
			return err
		}
		c.Offers = append(c.Offers, o)
		out = c
		return nil
	})
	return out, err
}

// checkMember refuses a person who is not a current member of the case's household.
func (a *Aid) checkMember(ctx context.Context, c *AidCase, personID, field string) error {
	month := payroll.MonthOf(bizdate.Today(a.now()))
	hs, err := a.ledger.AidHouseholds(ctx, []string{c.HouseholdID}, month, month)
	if err != nil {
		return err
	}
	for _, h := range hs {
		for _, m := range h.Members {
			if m.PersonID == personID {
				return nil
			}
		}
	}
	return apperr.Refused(ReasonAidNotMember, apperr.Violation{Type: RuleAidMember, Subject: c.Name(),
		Description: fmt.Sprintf("%s: person %s is not a current member of household %s", field, personID, c.HouseholdID)})
}

// AidClosing closes a case: employed (PersonID names the member, whose paid spell the ledger must show in the
// closing's month) or with a reason (Reason one of offers_declined, unreachable, other; Note says more).
type AidClosing struct {
	Outcome        string
	PersonID       string
	Reason         string
	OccurredAt     string
	BackdateReason string
	Note           string
	Etag           string
}

// Close closes an open aid case, as an official records it.
func (a *Aid) Close(ctx context.Context, by workflow.Caller, caseID string, in AidClosing) (*AidCase, error) {
	switch in.Outcome {
	case AidOutcomeEmployed:
		if strings.TrimSpace(in.PersonID) == "" {
			return nil, apperr.Invalid(ReasonAidInvalidField, "person_id", "name the member who is employed")
		}
		in.Reason = ""
	case AidOutcomeReason:
		if !aidReasons[in.Reason] {
			return nil, apperr.Invalid(ReasonAidInvalidField, "reason", "must be offers_declined, unreachable or other")
		}
		if strings.TrimSpace(in.Note) == "" {
			return nil, apperr.Invalid(ReasonAidInvalidField, "note", "record the reason the case closes without a member employed")
		}
		in.PersonID = ""
	default:
		return nil, apperr.Invalid(ReasonAidInvalidField, "outcome", "must be employed or reason")
	}
	if _, err := stepDate("occurred_at", in.OccurredAt, in.BackdateReason, a.now()); err != nil {
		return nil, err
	}
	var out *AidCase
	err := a.store.InTx(ctx, func(ctx context.Context) error {
		c, err := a.scoped(ctx, by, caseID, true)
		if err != nil {
			return err
		}
		if out, err = a.close(ctx, by, c, in); err != nil {
			return err
		}
		if in.Outcome != AidOutcomeEmployed {
			return nil
		}
		// Someone employed takes the household off the list (消除一户) now, not at the next pass.
		return a.Evaluate(ctx, bizdate.Today(a.now()), c.HouseholdID)
	})
	return out, err
}

// close records the closing step (its guard checks an employed member) and the case's outcome.
func (a *Aid) close(ctx context.Context, by workflow.Caller, c *AidCase, in AidClosing) (*AidCase, error) {
	if !c.Open {
		return nil, apperr.Refused(ReasonAidCaseClosed, apperr.Violation{Type: RuleAidCaseOpen, Subject: c.Name(),
			Description: "the aid case is closed already"})
	}
	k, err := a.engine.Record(ctx, by, c.ID, workflow.StepInput{Step: AidStepClosing, OccurredAt: in.OccurredAt,
		BackdateReason: in.BackdateReason, Note: in.Note, Etag: in.Etag,
		Data:     mustJSON(aidClosingData{Outcome: in.Outcome, PersonID: in.PersonID, Reason: in.Reason}),
		Decision: &workflow.Decision{Outcome: aidEngineOutcome(in.Outcome), Explanation: aidExplanation(in)}})
	if err != nil {
		return nil, err
	}
	c.Open, c.ClosedOn, c.Outcome, c.Reason, c.EmployedPerson, c.ClosingNote = false, k.Decision.DecidedAt, in.Outcome, in.Reason, in.PersonID, in.Note
	if err := a.store.CloseAidCase(ctx, c); err != nil {
		return nil, err
	}
	c.Trail = k
	return c, nil
}

type aidClosingData struct {
	Outcome  string `json:"outcome"`
	PersonID string `json:"person_id,omitempty"`
	Reason   string `json:"reason,omitempty"`
	// PaidMonth is the month of the employed member's paid spell the guard found.
	PaidMonth string `json:"paid_month,omitempty"`
}

// aidEngineOutcome maps the outcome to the engine's: employed is the procedure's success (approved); a
// closing with a reason ends it without (refused).
func aidEngineOutcome(o string) workflow.Outcome {
	if o == AidOutcomeEmployed {
		return workflow.OutcomeApproved
	}
	return workflow.OutcomeRefused
}

func aidExplanation(in AidClosing) string {
	if in.Outcome == AidOutcomeEmployed {
		return "援助成功: member " + in.PersonID + " employed"
	}
	return "closed without a member employed: " + in.Reason
}

// closingGuard checks an employed closing against the ledger: the member is a current member of the
// household with paid work in the closing's month.
func (a *Aid) closingGuard(ctx context.Context, k *workflow.Case, s *workflow.Step) error {
	var d aidClosingData
	if err := s.Bind(&d); err != nil {
		return err
	}
	if d.Outcome != AidOutcomeEmployed {
		return nil
	}
	householdID := strings.TrimPrefix(k.Subject, "households/")
	month := payroll.MonthOf(s.OccurredAt)
	hs, err := a.ledger.AidHouseholds(ctx, []string{householdID}, month, month)
	if err != nil {
		return err
	}
	for _, h := range hs {
		for _, m := range h.Members {
			if m.PersonID != d.PersonID {
				continue
			}
			for _, pm := range m.PaidMonths {
				if pm == month {
					d.PaidMonth = month
					return s.SetData(d)
				}
			}
			return apperr.Refused(ReasonAidNotEmployed, apperr.Violation{Type: RuleAidEmployed, Subject: "aidCases/" + k.ID,
				Description: fmt.Sprintf("person %s has no paid work recorded in the labour ledger for %s: record the spell first", d.PersonID, month)})
		}
	}
	return apperr.Refused(ReasonAidNotMember, apperr.Violation{Type: RuleAidMember, Subject: "aidCases/" + k.ID,
		Description: fmt.Sprintf("person_id: person %s is not a current member of household %s", d.PersonID, householdID)})
}

// Get returns a case in the caller's scope with its offers and trail.
func (a *Aid) Get(ctx context.Context, by workflow.Caller, id string) (*AidCase, error) {
	c, err := a.scoped(ctx, by, id, false)
	if err != nil {
		return nil, err
	}
	if c.Trail, err = a.engine.Get(ctx, by, id); err != nil {
		return nil, err
	}
	return c, nil
}

// scoped reads a case the caller may see; one outside their scope is as unknown.
func (a *Aid) scoped(ctx context.Context, by workflow.Caller, id string, lock bool) (*AidCase, error) {
	c, err := a.store.AidCase(ctx, id, lock)
	if err != nil {
		return nil, err
	}
	if !strings.HasPrefix(c.RegionCode, by.Scope) {
		return nil, ErrAidCaseNotFound
	}
	return c, nil
}

// ErrAidCaseNotFound is an aid case not found (or outside the caller's scope).
var ErrAidCaseNotFound = apperr.NotFound("aid case")

// ListZeroEmployment pages the 零就业 list in the caller's scope.
func (a *Aid) ListZeroEmployment(ctx context.Context, q AidListQuery) ([]ZeroEmploymentListing, int, error) {
	if err := narrow(&q); err != nil {
		return nil, 0, err
	}
	return a.store.ListZeroEmployment(ctx, q)
}

// ListCases pages aid cases in the caller's scope; with OverdueOn, the open ones overdue on that date.
func (a *Aid) ListCases(ctx context.Context, q AidListQuery) ([]AidCase, int, error) {
	if err := narrow(&q); err != nil {
		return nil, 0, err
	}
	if q.OverdueOn != "" {
		if _, err := bizdate.Parse(q.OverdueOn); err != nil {
			return nil, 0, apperr.Invalid(ReasonAidInvalidField, "overdue_on", "must be a date YYYY-MM-DD")
		}
		q.OpenOnly = true
	}
	return a.store.ListAidCases(ctx, q)
}

// narrow keeps a region filter inside the caller's scope.
func narrow(q *AidListQuery) error {
	switch {
	case q.RegionPrefix == "":
		q.RegionPrefix = q.Scope
	case strings.HasPrefix(q.RegionPrefix, q.Scope):
	case strings.HasPrefix(q.Scope, q.RegionPrefix):
		q.RegionPrefix = q.Scope
	default:
		return apperr.Invalid(ReasonAidInvalidField, "region_code", "must be inside your region scope")
	}
	return nil
}

// stepDate checks a business date of a record: not after today, before today only with a reason.
func stepDate(field, date, backdateReason string, now time.Time) (string, error) {
	today := bizdate.Today(now)
	if date == "" {
		return today, nil
	}
	if _, err := bizdate.Parse(date); err != nil {
		return "", apperr.Invalid(ReasonAidInvalidField, field, "must be a date YYYY-MM-DD")
	}
	if date > today {
		return "", apperr.Invalid(ReasonAidInvalidField, field, "must not be after today")
	}
	if date < today && strings.TrimSpace(backdateReason) == "" {
		return "", apperr.Invalid(ReasonAidInvalidField, "backdate_reason", "say why the record is dated before today")
	}
	return date, nil
}

func mustJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}
