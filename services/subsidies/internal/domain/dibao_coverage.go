package domain

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"fupin.dev/services/platform/apperr"
	"fupin.dev/services/platform/bizdate"
	"fupin.dev/services/platform/workflow"
)

// A 低保 coverage (在保对象) is what an approved case leaves behind: who is covered, the amount now paid
// and the income it was computed from, and when the next review (复核) is due. Its entitlements are the
// roll's; a change of amount (a review, a death) ends every entitlement that pays from the change's month
// on and grants the new amount from the month after, so the roll back-pays or recovers on its own.

// CoverageState is where a coverage stands. Numbers equal fupin.subsidies.v1.DibaoCoverageState.
type CoverageState int32

// Coverage states.
const (
	CoverageUnspecified CoverageState = iota
	CoverageActive                    // 在保
	CoverageTaper                     // 渐退期: paid until TaperLastMonth
	CoverageEnded                     // 已停保
)

// ReviewOutcome is what a review found. Numbers equal fupin.subsidies.v1.DibaoReviewOutcome.
type ReviewOutcome int32

// Review outcomes.
const (
	ReviewUnspecified ReviewOutcome = iota
	ReviewUnchanged                 // 维持
	ReviewChanged                   // 调整
	ReviewTaper                     // 渐退
	ReviewStopped                   // 停保
)

// CoverageMember is a member a coverage covers (or covered), with the months.
type CoverageMember struct {
	CoveredMember
	FromMonth string
	// ToMonth is the last month covered ("" while covered); EndReason says why it ended.
	ToMonth   string
	EndReason string
}

// DibaoCoverage is an approved household (or 单人保 person) in 低保.
type DibaoCoverage struct {
	// ID is the id of the case that approved it.
	ID          string
	HouseholdID string
	// PersonID is the 单人保 person ("" for a household).
	PersonID   string
	RegionCode string
	Urban      bool
	State      CoverageState
	AmountFen  int64
	// EntitlementID is the entitlement paying the current amount.
	EntitlementID string
	FromMonth     string
	// Income and HouseholdSize are what the current amount was computed from.
	Income          []IncomeFigure
	HouseholdSize   int
	IrregularIncome bool
	// FrequentReview: irregular income and a covered member who can work.
	FrequentReview bool
	NextReviewDate string
	LastReviewDate string
	TaperLastMonth string
	EndMonth       string
	EndReason      string
	Members        []CoverageMember
	Version        int64
	CreateTime     time.Time
	UpdateTime     time.Time
}

// Beneficiary is who the coverage pays: "households/<id>", or "persons/<id>" for 单人保.
func (c *DibaoCoverage) Beneficiary() string {
	if c.PersonID != "" {
		return "persons/" + c.PersonID
	}
	return "households/" + c.HouseholdID
}

// Name is the coverage's resource name.
func (c *DibaoCoverage) Name() string { return "dibaoCoverages/" + c.ID }

// Current returns the members covered now.
func (c *DibaoCoverage) Current() []CoveredMember {
	var out []CoveredMember
	for _, m := range c.Members {
		if m.ToMonth == "" {
			out = append(out, m.CoveredMember)
		}
	}
	return out
}

// TaperEndReason is why a coverage whose 渐退期 has run out reads as ended.
const TaperEndReason = "渐退期满"

// ApplyTaperEnd shows the coverage as it stands in month (YYYY-MM): one in its 渐退期 whose TaperLastMonth
// is before month has ended, with TaperLastMonth as its last month paid and 渐退期满 as the reason. The
// payments already stop after TaperLastMonth (the review that opened the 渐退期 ended the entitlements
// there), so the end is a matter of the calendar: reads compute it from the clock, no job writes it. It
// reports whether the coverage changed.
func (c *DibaoCoverage) ApplyTaperEnd(month string) bool {
	if c.State != CoverageTaper || c.TaperLastMonth == "" || month <= c.TaperLastMonth {
		return false
	}
	c.State, c.EndMonth, c.EndReason, c.NextReviewDate = CoverageEnded, c.TaperLastMonth, TaperEndReason, ""
	return true
}

// thisMonth is the business month of the clock.
func (d *Dibao) thisMonth() string { return MonthOf(bizdate.Today(d.now())) }

// closeRunOutTaper stores the end of a coverage whose 渐退期 has run out (reads show it without storing it),
// for a write that needs the database to agree: one coverage that has not ended per beneficiary, one per
// covered person. It reports whether c had ended.
func (d *Dibao) closeRunOutTaper(ctx context.Context, c *DibaoCoverage) (bool, error) {
	now := d.now()
	month := MonthOf(bizdate.Today(now))
	if !c.ApplyTaperEnd(month) {
		return false, nil
	}
	_, err := d.store.UpdateDibaoCoverage(ctx, c.ID, func(c *DibaoCoverage) error {
		if c.ApplyTaperEnd(month) {
			c.UpdateTime = now
		}
		return nil
	})
	return true, err
}

// errNotReviewable refuses the review of a coverage that is not active, saying where it stands.
func errNotReviewable(c *DibaoCoverage) error {
	desc := fmt.Sprintf("only an active coverage is reviewed; this one is in its 渐退期, paid until %s", c.TaperLastMonth)
	if c.State == CoverageEnded {
		desc = fmt.Sprintf("only an active coverage is reviewed; this one has ended (last month paid %s: %s)", c.EndMonth, c.EndReason)
	}
	return apperr.Refused(ReasonDibaoCoverageEnded, apperr.Violation{Type: "COVERAGE_STATE", Subject: c.Name(), Description: desc})
}

// DibaoReview is one review (复核) of a coverage.
type DibaoReview struct {
	ID             string
	CoverageID     string
	ReviewDate     string
	Outcome        ReviewOutcome
	AmountBefore   int64
	AmountAfter    int64
	EffectiveMonth string
	Computed       DibaoAmount
	Actor          string
	Note           string
	CreateTime     time.Time
}

// OverdueQuery selects a page of coverages due for review.
type OverdueQuery struct {
	Scope string
	AsOf  string
	// After is the cursor of the previous page ("" for the first): the store's own.
	After string
	Limit int
}

// DibaoStore keeps coverages and reviews; *store.Store implements it. Every method writes through the
// transaction in ctx.
type DibaoStore interface {
	EntitlementStore
	DestituteFeed
	InTx(ctx context.Context, fn func(ctx context.Context) error) error
	// CreateDibaoCoverage inserts a coverage with its members: ErrAlreadyCovered's kind when the
	// beneficiary already has one that has not ended.
	CreateDibaoCoverage(ctx context.Context, c *DibaoCoverage) error
	// GetDibaoCoverage returns a coverage with its members, or a not-found refusal.
	GetDibaoCoverage(ctx context.Context, id string) (*DibaoCoverage, error)
	// UpdateDibaoCoverage locks a coverage, lets fn change it and saves it (members included) with its
	// version raised by one.
	UpdateDibaoCoverage(ctx context.Context, id string, fn func(c *DibaoCoverage) error) (*DibaoCoverage, error)
	// OpenDibaoCoverageOf returns the beneficiary's coverage that has not ended, or nil.
	OpenDibaoCoverageOf(ctx context.Context, beneficiary string) (*DibaoCoverage, error)
	// OpenDibaoCoveragesOfHousehold returns the household's coverages that have not ended (the household's
	// and its members' 单人保).
	OpenDibaoCoveragesOfHousehold(ctx context.Context, householdID string) ([]*DibaoCoverage, error)
	// CoveredPersons returns, of personIDs, those covered now by a coverage that has not ended, with its id.
	CoveredPersons(ctx context.Context, personIDs []string) (map[string]string, error)
	// OverdueDibaoReviews returns active coverages in scope due for review on or before AsOf, earliest due
	// first, and the cursor after the page ("" on the last).
	OverdueDibaoReviews(ctx context.Context, q OverdueQuery) ([]*DibaoCoverage, string, error)
	// CountOverdueDibaoReviews counts every coverage of the query (its cursor and limit aside).
	CountOverdueDibaoReviews(ctx context.Context, q OverdueQuery) (int64, error)
	AddDibaoReview(ctx context.Context, r *DibaoReview) error
	DibaoReviews(ctx context.Context, coverageID string) ([]*DibaoReview, error)
}

// startCoverage starts the coverage an approved case decides, records its members, and grants the
// entitlement from the month of the application (a late approval is back-paid by the roll).
func (d *Dibao) startCoverage(ctx context.Context, k *workflow.Case) error {
	app := dibaoApplicationOf(k)
	var dec DibaoDecision
	if err := k.Latest(ReliefStepCountyDecision).Bind(&dec); err != nil {
		return err
	}
	var sv DibaoSurvey
	if err := k.Latest(ReliefStepSurvey).Bind(&sv); err != nil {
		return err
	}
	ids := make([]string, len(sv.Covered))
	for i, m := range sv.Covered {
		ids[i] = m.PersonID
	}
	taken, err := d.store.CoveredPersons(ctx, ids)
	if err != nil {
		return err
	}
	for _, pid := range ids {
		other, ok := taken[pid]
		if !ok {
			continue
		}
		oc, err := d.store.GetDibaoCoverage(ctx, other)
		if err != nil {
			return err
		}
		if ended, err := d.closeRunOutTaper(ctx, oc); err != nil {
			return err
		} else if !ended {
			return ErrAlreadyCovered(PersonName(app.HouseholdID, pid), other)
		}
	}
	now := d.now()
	from := MonthOf(k.Steps[0].OccurredAt)
	c := &DibaoCoverage{ID: k.ID, HouseholdID: app.HouseholdID, PersonID: app.PersonID, RegionCode: k.RegionCode, Urban: app.Urban,
		State: CoverageActive, AmountFen: dec.Amount.AmountFen, FromMonth: from, Income: sv.Income, HouseholdSize: sv.HouseholdSize,
		IrregularIncome: sv.IrregularIncome, FrequentReview: dec.FrequentReview, NextReviewDate: dec.NextReviewDate,
		LastReviewDate: k.Decision.DecidedAt, Version: 1, CreateTime: now, UpdateTime: now}
	for _, m := range dec.Amount.coveredFlags(sv.Covered) {
		c.Members = append(c.Members, CoverageMember{CoveredMember: m, FromMonth: from})
	}
	e := &Entitlement{ID: d.newID(), Program: ProgramDibao, Beneficiary: c.Beneficiary(), HouseholdID: c.HouseholdID,
		PersonID: c.PersonID, RegionCode: c.RegionCode, Source: DibaoCaseSource(k.ID), FromMonth: from, AmountFen: c.AmountFen,
		Covered: len(c.Members), Reason: "低保批准 " + k.Decision.DecidedAt, CreateTime: now, UpdateTime: now}
	c.EntitlementID = e.ID
	if err := d.store.CreateDibaoCoverage(ctx, c); err != nil {
		return err
	}
	return d.store.GrantEntitlement(ctx, e)
}

// coveredFlags returns the members with the severe-disability flag the computation found (it is listed
// in the inputs), so a later recomputation without certificates at hand is not needed to explain it.
func (a *DibaoAmount) coveredFlags(members []CoveredMember) []CoveredMember {
	out := slices.Clone(members)
	for i := range out {
		_, out[i].SeverelyDisabled = a.Inputs["severely_disabled:"+out[i].PersonID]
	}
	return out
}

// replaceAmount ends every entitlement of the coverage that pays in lastMonth or later with lastMonth as
// its last month and, when amount is set, grants it from the month after. It returns the new
// entitlement's id ("" when stopping).
func (d *Dibao) replaceAmount(ctx context.Context, c *DibaoCoverage, lastMonth string, amount *DibaoAmount, source, reason string) (string, error) {
	now := d.now()
	open, err := d.store.OpenEntitlements(ctx, ProgramDibao, c.Beneficiary(), lastMonth)
	if err != nil {
		return "", err
	}
	for _, e := range open {
		if err := d.store.EndEntitlement(ctx, e.ID, lastMonth, reason, now); err != nil {
			return "", err
		}
	}
	if amount == nil {
		return "", nil
	}
	e := &Entitlement{ID: d.newID(), Program: ProgramDibao, Beneficiary: c.Beneficiary(), HouseholdID: c.HouseholdID,
		PersonID: c.PersonID, RegionCode: c.RegionCode, Source: source, FromMonth: AddMonths(lastMonth, 1),
		AmountFen: amount.AmountFen, Covered: amount.Covered, Reason: reason, CreateTime: now, UpdateTime: now}
	return e.ID, d.store.GrantEntitlement(ctx, e)
}

// GetCoverage returns a coverage in the caller's scope with its reviews.
func (d *Dibao) GetCoverage(ctx context.Context, by workflow.Caller, id string) (*DibaoCoverage, []*DibaoReview, error) {
	c, err := d.store.GetDibaoCoverage(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	if !strings.HasPrefix(c.RegionCode, by.Scope) {
		return nil, nil, errReliefOutOfScope
	}
	c.ApplyTaperEnd(d.thisMonth())
	reviews, err := d.store.DibaoReviews(ctx, id)
	return c, reviews, err
}

// ListOverdueReviews lists the active coverages in the caller's scope whose review is due on or before
// asOf (today when empty).
func (d *Dibao) ListOverdueReviews(ctx context.Context, by workflow.Caller, asOf, after string, limit int) ([]*DibaoCoverage, string, error) {
	if asOf == "" {
		asOf = bizdate.Today(d.now())
	}
	if _, err := bizdate.Parse(asOf); err != nil {
		return nil, "", apperr.Invalid(workflow.ReasonInvalidField, "as_of_date", err.Error())
	}
	cs, next, err := d.store.OverdueDibaoReviews(ctx, OverdueQuery{Scope: by.Scope, AsOf: asOf, After: after, Limit: limit})
	if err != nil {
		return nil, "", err
	}
	month := d.thisMonth()
	for _, c := range cs {
		c.ApplyTaperEnd(month)
	}
	return cs, next, nil
}

// CountOverdueReviews counts the active coverages in the caller's scope whose review is due on or before
// asOf (today when empty): the dashboard's to-do count.
func (d *Dibao) CountOverdueReviews(ctx context.Context, by workflow.Caller, asOf string) (int64, error) {
	if asOf == "" {
		asOf = bizdate.Today(d.now())
	}
	if _, err := bizdate.Parse(asOf); err != nil {
		return 0, apperr.Invalid(workflow.ReasonInvalidField, "as_of_date", err.Error())
	}
	return d.store.CountOverdueDibaoReviews(ctx, OverdueQuery{Scope: by.Scope, AsOf: asOf})
}

// ReviewInput is what a review (复核) finds.
type ReviewInput struct {
	Income       []IncomeFigure
	FromRegister bool
	Irregular    bool
	// RaisedByWork: the income rose through work (就业增收), which opens the 渐退期.
	RaisedByWork bool
	// Date is the review's business date (today when empty).
	Date string
	Note string
}

// RecordReview records a review (复核) of an active coverage with the household's income now, read with
// the register's current members: the same amount schedules the next review; a changed amount is paid
// from the month after the review's; nothing due stops the coverage after the review's month, or after a
// 渐退期 when the rise came from work and policy has one.
func (d *Dibao) RecordReview(ctx context.Context, by workflow.Caller, id string, in ReviewInput) (*DibaoReview, *DibaoCoverage, error) {
	now := d.now()
	today := bizdate.Today(now)
	if in.Date == "" {
		in.Date = today
	}
	if _, err := bizdate.Parse(in.Date); err != nil || in.Date > today {
		return nil, nil, apperr.Invalid(workflow.ReasonInvalidField, "review_date", "must be a date (YYYY-MM-DD) not after today")
	}
	c, err := d.store.GetDibaoCoverage(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	if !strings.HasPrefix(c.RegionCode, by.Scope) {
		return nil, nil, errReliefOutOfScope
	}
	if c.ApplyTaperEnd(MonthOf(today)); c.State != CoverageActive {
		return nil, nil, errNotReviewable(c)
	}
	h, err := d.register.Household(ctx, c.HouseholdID)
	if err != nil {
		return nil, nil, err
	}
	app := DibaoApplication{HouseholdID: c.HouseholdID, PersonID: c.PersonID, Urban: c.Urban}
	var covered []string
	for _, m := range c.Current() {
		covered = append(covered, m.PersonID)
	}
	sv, err := d.surveyFacts(ctx, h, app, in.Date, DibaoSurveyInput{Income: in.Income, FromRegister: in.FromRegister,
		CoveredPersonIDs: covered, IrregularIncome: in.Irregular})
	if err != nil {
		return nil, nil, err
	}
	var out *DibaoReview
	err = d.store.InTx(ctx, func(ctx context.Context) error {
		var err error
		c, err = d.store.UpdateDibaoCoverage(ctx, id, func(c *DibaoCoverage) error {
			var err error
			out, err = d.review(ctx, by, c, sv, in, now)
			return err
		})
		if err != nil {
			return err
		}
		return d.store.AddDibaoReview(ctx, out)
	})
	return out, c, err
}

// review applies a review's findings to a locked coverage.
func (d *Dibao) review(ctx context.Context, by workflow.Caller, c *DibaoCoverage, sv DibaoSurvey, in ReviewInput, now time.Time) (*DibaoReview, error) {
	// The coverage as locked: a 渐退期 that ran out since the first read is refused like an ended coverage
	// (the change to c is never saved, the refusal rolls the update back).
	if c.ApplyTaperEnd(MonthOf(bizdate.Today(now))); c.State != CoverageActive {
		return nil, errNotReviewable(c)
	}
	if in.Date < c.LastReviewDate {
		return nil, apperr.Invalid(workflow.ReasonInvalidField, "review_date", "is before the coverage's last review or decision ("+c.LastReviewDate+")")
	}
	a, covered, err := d.amountOn(ctx, c.RegionCode, c.Name(), c.Urban, in.Date, sv.Income, sv.HouseholdSize, sv.Covered, false)
	if err != nil {
		return nil, err
	}
	r := &DibaoReview{ID: d.newID(), CoverageID: c.ID, ReviewDate: in.Date, AmountBefore: c.AmountFen, Computed: a, Actor: by.Actor,
		Note: strings.TrimSpace(in.Note), CreateTime: now}
	month := MonthOf(in.Date)
	source := "dibaoCoverages/" + c.ID + "/reviews/" + r.ID
	switch {
	case !a.Due():
		var taper int
		v, err := reliefDecode(d.policy, ParamDibaoTaperMonths, c.RegionCode, in.Date, c.Name(), &taper)
		if err != nil {
			return nil, err
		}
		a.Policy = append(a.Policy, v)
		r.Computed = a
		last, reason := month, "低保复核: 收入不低于标准, 停保"
		r.Outcome, c.State = ReviewStopped, CoverageEnded
		if in.RaisedByWork && taper > 0 {
			last, reason = AddMonths(month, taper), fmt.Sprintf("低保复核: 就业增收, 渐退期 %d 个月", taper)
			r.Outcome, c.State, c.TaperLastMonth = ReviewTaper, CoverageTaper, last
			r.AmountAfter = c.AmountFen
		} else {
			c.EndMonth, c.EndReason = last, reason
		}
		if _, err := d.replaceAmount(ctx, c, last, nil, source, reason); err != nil {
			return nil, err
		}
		if err := d.coverageEnded(ctx, c, last, reason); err != nil {
			return nil, err
		}
		r.EffectiveMonth = last
		c.NextReviewDate = ""
	case a.AmountFen == c.AmountFen:
		r.Outcome, r.AmountAfter, r.EffectiveMonth = ReviewUnchanged, c.AmountFen, month
	default:
		r.Outcome, r.AmountAfter, r.EffectiveMonth = ReviewChanged, a.AmountFen, AddMonths(month, 1)
		id, err := d.replaceAmount(ctx, c, month, &a, source, fmt.Sprintf("低保复核 %s: %s", in.Date, a.Summary))
		if err != nil {
			return nil, err
		}
		c.AmountFen, c.EntitlementID = a.AmountFen, id
	}
	if c.State == CoverageActive {
		frequent, next, uses, err := d.nextReview(c.RegionCode, c.Name(), in.Date, in.Irregular, covered)
		if err != nil {
			return nil, err
		}
		r.Computed.Policy = append(r.Computed.Policy, uses...)
		c.FrequentReview, c.NextReviewDate = frequent, next
		c.Income, c.HouseholdSize, c.IrregularIncome = sv.Income, sv.HouseholdSize, in.Irregular
		for i := range c.Members {
			for _, m := range covered {
				if m.PersonID == c.Members[i].PersonID {
					c.Members[i].SeverelyDisabled, c.Members[i].SeriouslyIll, c.Members[i].CanWork = m.SeverelyDisabled, m.SeriouslyIll, m.CanWork
				}
			}
		}
	}
	c.LastReviewDate, c.UpdateTime = in.Date, now
	return r, nil
}

// departed applies members who died or moved out to a coverage: they stop being covered after the month
// of the change, and the household's amount is computed again for those who remain (never stopping the
// payment while anyone is covered; the review falls due at once). With nobody left the coverage ends.
func (d *Dibao) departed(ctx context.Context, c *DibaoCoverage, ch HouseholdChange, gone map[string]bool, now time.Time) error {
	month := MonthOf(ch.EffectiveDate)
	if c.State == CoverageTaper && c.TaperLastMonth != "" && c.TaperLastMonth < month {
		// The 渐退期 had run out before the change: the coverage had ended, nothing is left to reduce.
		return nil
	}
	reason := "户籍变动: 死亡或迁出"
	if r := strings.TrimSpace(ch.Reason); r != "" {
		reason = "户籍变动: " + r
	}
	hit := false
	for i := range c.Members {
		m := &c.Members[i]
		if m.ToMonth == "" && gone[m.PersonID] {
			m.ToMonth, m.EndReason, hit = month, reason, true
		}
	}
	if !hit {
		return nil
	}
	source := fmt.Sprintf("dibaoCoverages/%s/changes/%d", c.ID, ch.Sequence)
	remaining := c.Current()
	c.UpdateTime = now
	if len(remaining) == 0 {
		c.State, c.EndMonth, c.EndReason, c.NextReviewDate = CoverageEnded, month, reason, ""
		if _, err := d.replaceAmount(ctx, c, month, nil, source, reason); err != nil {
			return err
		}
		return d.coverageEnded(ctx, c, month, reason)
	}
	if c.State != CoverageActive {
		return nil
	}
	size := c.HouseholdSize - (len(c.Members) - len(remaining))
	if c.PersonID == "" && ch.Size > 0 {
		size = ch.Size
	}
	size = max(size, 1)
	a, _, err := d.amountOn(ctx, c.RegionCode, c.Name(), c.Urban, ch.EffectiveDate, c.Income, size, remaining, true)
	if err != nil {
		return err
	}
	id, err := d.replaceAmount(ctx, c, month, &a, source, fmt.Sprintf("%s; %s", reason, a.Summary))
	if err != nil {
		return err
	}
	c.AmountFen, c.EntitlementID, c.HouseholdSize = a.AmountFen, id, size
	if c.NextReviewDate == "" || c.NextReviewDate > ch.EffectiveDate {
		c.NextReviewDate = ch.EffectiveDate
	}
	return nil
}

// HouseholdChanged is the 低保 reaction to a register change, inside the subscriber's transaction: covered
// members who died or moved out stop being covered (the household's amount is recomputed), their 特困供养
// stops, and a household newly confirmed as a monitoring object or newly poor or returned gets a 低保
// eligibility check.
func (d *Dibao) HouseholdChanged(ctx context.Context, ch HouseholdChange) error {
	// The subscriber's transaction is joined; called without one, the change is still applied whole.
	return d.store.InTx(ctx, func(ctx context.Context) error { return d.householdChanged(ctx, ch) })
}

func (d *Dibao) householdChanged(ctx context.Context, ch HouseholdChange) error {
	now := d.now()
	if len(ch.DepartedPersonIDs) > 0 {
		if _, err := ParseMonth(MonthOf(ch.EffectiveDate)); err != nil {
			return fmt.Errorf("register change %d: departed members without an effective date: %w", ch.Sequence, err)
		}
		gone := map[string]bool{}
		for _, p := range ch.DepartedPersonIDs {
			gone[p] = true
		}
		open, err := d.store.OpenDibaoCoveragesOfHousehold(ctx, ch.HouseholdID)
		if err != nil {
			return err
		}
		for _, c := range open {
			_, err := d.store.UpdateDibaoCoverage(ctx, c.ID, func(c *DibaoCoverage) error { return d.departed(ctx, c, ch, gone, now) })
			if err != nil {
				return err
			}
		}
		if err := stopDestitute(ctx, d.store, slices.Sorted(maps.Keys(gone)), MonthOf(ch.EffectiveDate), "户籍变动: 死亡或迁出", now); err != nil {
			return err
		}
	}
	return d.openChecks(ctx, ch, now)
}

// stopDestitute ends the 特困供养 of persons with lastMonth as the last month paid, and publishes each
// support it ended (destitute.ended) in the same transaction.
func stopDestitute(ctx context.Context, st interface {
	EntitlementStore
	DestituteFeed
}, personIDs []string, lastMonth, reason string, now time.Time) error {
	for _, pid := range personIDs {
		open, err := st.OpenEntitlements(ctx, ProgramDestitute, "persons/"+pid, lastMonth)
		if err != nil {
			return err
		}
		var cases []string
		for _, e := range open {
			if err := st.EndEntitlement(ctx, e.ID, lastMonth, reason, now); err != nil {
				return err
			}
			if id, ok := strings.CutPrefix(e.Source, DestituteSource("")); ok && !slices.Contains(cases, id) {
				cases = append(cases, id)
			}
		}
		for _, id := range cases {
			if err := publishDestitute(ctx, st, TopicDestituteEnded, id); err != nil {
				return err
			}
		}
	}
	return nil
}
