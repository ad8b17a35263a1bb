package domain

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"fupin.dev/services/platform/apperr"
	"fupin.dev/services/platform/bizdate"
	"fupin.dev/services/platform/policy"
	"fupin.dev/services/platform/workflow"
)

// 低保 cases (低保审批) run on the platform's workflow engine through 户报、村评、乡镇审、县定. This file
// declares the kind and its guards; an approval starts a coverage (dibao_coverage.go) in the decision's
// transaction. The household, its members and its income come from the identification register, read by
// the use case before the step is recorded and kept in the step's data, so every guard works on facts the
// trail holds.

// Reasons of the 低保, 特困 and 临时救助 area (fupin.subsidies.v1.ErrorReason 150–249).
const (
	ReasonDibaoSurveyTeamSize         = "DIBAO_SURVEY_TEAM_SIZE"
	ReasonDibaoReviewQuorumNotMet     = "DIBAO_REVIEW_QUORUM_NOT_MET"
	ReasonDibaoIncomeAtOrAbove        = "DIBAO_INCOME_AT_OR_ABOVE_STANDARD"
	ReasonDibaoCoveredNotMember       = "DIBAO_COVERED_PERSON_NOT_MEMBER"
	ReasonSinglePersonCoverageUnmet   = "SINGLE_PERSON_COVERAGE_UNMET"
	ReasonAlreadyCovered              = "ALREADY_COVERED"
	ReasonDibaoCoverageEnded          = "DIBAO_COVERAGE_ENDED"
	ReasonEligibilityCheckClosed      = "ELIGIBILITY_CHECK_CLOSED"
	ReasonRegisterSubjectNotCurrent   = "REGISTER_SUBJECT_NOT_CURRENT"
	ReasonDestituteConditionsUnmet    = "DESTITUTE_CONDITIONS_UNMET"
	ReasonTemporaryAssistanceAboveCap = "TEMPORARY_ASSISTANCE_ABOVE_CAP"
	ReasonTemporaryAssistanceDecided  = "TEMPORARY_ASSISTANCE_DECIDED"
)

// Violation types (rules) of the area.
const (
	RuleSinglePersonAge        = "SINGLE_PERSON_AGE"        // 单人保: an adult
	RuleSinglePersonJobless    = "SINGLE_PERSON_JOBLESS"    // 单人保: without a job
	RuleSinglePersonDisability = "SINGLE_PERSON_DISABILITY" // 单人保: a valid certificate of a severe grade
	RuleDibaoIncome            = "DIBAO_INCOME_BELOW_STANDARD"
	RuleDibaoReviewPresent     = "DIBAO_REVIEW_PRESENT"
	RuleOneCoverage            = "ONE_DIBAO_COVERAGE"
	RuleRegisterCurrent        = "REGISTER_CURRENT"
)

// KindDibao is the workflow kind of 低保 cases.
const KindDibao = "dibao"

// Steps of 低保 and 特困 cases (特困 skips the village review and the posting).
const (
	ReliefStepApplication    = "application"     // 申请
	ReliefStepSurvey         = "survey"          // 入户调查
	ReliefStepVillageReview  = "village_review"  // 民主评议
	ReliefStepPosting        = "posting"         // 公示
	ReliefStepTownshipReview = "township_review" // 乡镇审核
	ReliefStepCountyDecision = "county_decision" // 县级审批
)

// Sources of a survey's income.
const (
	IncomeFromSurvey   = "survey"              // the items the team recorded
	IncomeFromRegister = "register_assessment" // identification's assessment with 低保's counting rules
)

// errReliefOutOfScope refuses a record outside the caller's region scope.
var errReliefOutOfScope = apperr.Denied(workflow.ReasonOutOfRegionScope, "the household lies outside the caller's region scope")

// ReliefStepMeta is what every step request carries besides its facts (the platform's, shared by all cases).
type ReliefStepMeta = workflow.StepMeta

// DibaoApplication is the data of the application step.
type DibaoApplication struct {
	HouseholdID string `json:"household_id"`
	// PersonID is the 单人保 applicant ("" for a household case).
	PersonID      string `json:"person_id,omitempty"`
	Urban         bool   `json:"urban"`
	HouseholdSize int    `json:"household_size"`
}

// Beneficiary is who the coverage pays: the household, or for 单人保 the person.
func (a DibaoApplication) Beneficiary() string {
	if a.PersonID != "" {
		return "persons/" + a.PersonID
	}
	return "households/" + a.HouseholdID
}

// DibaoSurveyInput is what the survey team reports.
type DibaoSurveyInput struct {
	Team []string
	// Income is the items the team recorded, unless FromRegister asks for the register's assessment.
	Income       []IncomeFigure
	FromRegister bool
	// CoveredPersonIDs are the members covered; empty: every current member (for 单人保, the person).
	CoveredPersonIDs []string
	IrregularIncome  bool
	// Employed is the 单人保 applicant's job.
	Employed bool
}

// DibaoSurvey is the data of the survey step: the team's facts, the register's facts on the survey date,
// and the amount they give.
type DibaoSurvey struct {
	Team            []string        `json:"team"`
	IncomeSource    string          `json:"income_source"`
	Income          []IncomeFigure  `json:"income"`
	Assessment      *RegisterIncome `json:"register_assessment,omitempty"`
	IrregularIncome bool            `json:"irregular_income"`
	Employed        bool            `json:"employed"`
	HouseholdSize   int             `json:"household_size"`
	Covered         []CoveredMember `json:"covered"`
	Amount          *DibaoAmount    `json:"amount,omitempty"`
	Policy          []policy.Value  `json:"policy,omitempty"`
}

// DibaoVillageReview is the data of the village review step (民主评议).
type DibaoVillageReview struct {
	Registered int            `json:"registered"`
	Present    int            `json:"present"`
	VotesFor   int            `json:"votes_for"`
	Passed     bool           `json:"passed"`
	Policy     []policy.Value `json:"policy,omitempty"`
}

// ReliefTownshipReview is the data of the township review step (乡镇审核); the opinion is the note.
type ReliefTownshipReview struct {
	Approved bool `json:"approved"`
}

// DibaoDecision is the data of the decision step, with the explanation.
type DibaoDecision struct {
	Approve bool         `json:"approve"`
	Amount  *DibaoAmount `json:"amount,omitempty"`
	// FrequentReview: irregular income and a covered member who can work; NextReviewDate follows.
	FrequentReview bool           `json:"frequent_review"`
	NextReviewDate string         `json:"next_review_date,omitempty"`
	Policy         []policy.Value `json:"policy,omitempty"`
}

// DibaoCase is a 低保 case with what the API shows besides the trail.
type DibaoCase struct {
	*workflow.Case
	Application DibaoApplication
	// Amount is the latest computation: the decision's, else the latest survey's.
	Amount *DibaoAmount
	// CoverageID is set once approved.
	CoverageID string
}

// Dibao holds the 低保 use cases: cases, coverage and reviews, eligibility checks, and the reaction to the
// register's changes.
type Dibao struct {
	store    DibaoStore
	checks   EligibilityCheckStore
	engine   *workflow.Engine
	policy   workflow.Policy
	register Register
	certs    CertificateReader
	newID    func() string
	now      func() time.Time
	// ended are told when a coverage ends, in the same transaction (OnCoverageEnd).
	ended []CoverageEndFunc
	// names gives the names a posting's public notice shows (PublishNotices).
	names RollNames
}

// CoverageEndFunc is told that the 低保 of a household ends: its last month paid and why.
type CoverageEndFunc func(ctx context.Context, householdID, lastMonth, reason string) error

// OnCoverageEnd adds fn to what happens when a coverage ends (its payments stop after lastMonth): the
// 困难残疾人生活补贴 of the household's members, which only 低保 households receive, stop with it.
func (d *Dibao) OnCoverageEnd(fn CoverageEndFunc) { d.ended = append(d.ended, fn) }

// coverageEnded tells everyone OnCoverageEnd registered.
func (d *Dibao) coverageEnded(ctx context.Context, c *DibaoCoverage, lastMonth, reason string) error {
	for _, fn := range d.ended {
		if err := fn(ctx, c.HouseholdID, lastMonth, reason); err != nil {
			return err
		}
	}
	return nil
}

var _ Follower = (*Dibao)(nil)

// NewDibao declares 低保 cases on engine. certs is the certificate register (severe disability for 分类施保
// and 单人保).
func NewDibao(store DibaoStore, checks EligibilityCheckStore, engine *workflow.Engine, pol workflow.Policy, register Register,
	certs CertificateReader, newID func() string, now func() time.Time) (*Dibao, error) {
	d := &Dibao{store: store, checks: checks, engine: engine, policy: pol, register: register, certs: certs, newID: newID, now: now}
	err := engine.Register(workflow.Definition{Kind: KindDibao, OnePerSubject: true, Steps: []workflow.StepDef{
		{Name: ReliefStepApplication},
		{Name: ReliefStepSurvey, Guard: d.surveyGuard, Repeatable: true},
		{Name: ReliefStepVillageReview, Guard: d.villageReviewGuard},
		{Name: ReliefStepPosting, Posting: &workflow.PostingRule{MinDaysParameter: ParamDibaoPostingDays, ReopenAt: ReliefStepSurvey,
			Notice: d.notice}},
		{Name: ReliefStepTownshipReview, Guard: reliefTownshipGuard},
		{Name: ReliefStepCountyDecision, Guard: d.decisionGuard},
	}})
	if err != nil {
		return nil, err
	}
	return d, nil
}

// Follower returns the 低保 reaction to the register's change feed, for the subscriber.
func (d *Dibao) Follower() Follower { return d }

// DibaoCaseSource is the Source of a 低保 case's entitlements.
func DibaoCaseSource(id string) string { return "dibaoCases/" + id }

func dibaoApplicationOf(k *workflow.Case) DibaoApplication {
	var a DibaoApplication
	if len(k.Steps) > 0 {
		_ = k.Steps[0].Bind(&a)
	}
	return a
}

// view adds the application, the latest amount and the coverage to a case.
func (d *Dibao) view(k *workflow.Case) (*DibaoCase, error) {
	v := &DibaoCase{Case: k, Application: dibaoApplicationOf(k)}
	if s := k.Latest(ReliefStepCountyDecision); s != nil {
		var dec DibaoDecision
		if err := s.Bind(&dec); err != nil {
			return nil, err
		}
		v.Amount = dec.Amount
	} else if s := k.Latest(ReliefStepSurvey); s != nil {
		var sv DibaoSurvey
		if err := s.Bind(&sv); err != nil {
			return nil, err
		}
		v.Amount = sv.Amount
	}
	if k.Decision != nil && k.Decision.Outcome == workflow.OutcomeApproved {
		v.CoverageID = k.ID
	}
	return v, nil
}

// currentHousehold reads a household from the register and checks it may get 低保 now.
func (d *Dibao) currentHousehold(ctx context.Context, by workflow.Caller, householdID string) (*RegisterHousehold, error) {
	h, err := d.register.Household(ctx, householdID)
	if err != nil {
		return nil, err
	}
	if !strings.HasPrefix(h.RegionCode, by.Scope) {
		return nil, errReliefOutOfScope
	}
	if !h.Active {
		return nil, apperr.Refused(ReasonRegisterSubjectNotCurrent, apperr.Violation{Type: RuleRegisterCurrent,
			Subject: "households/" + h.ID, Description: "the household is archived in the identification register"})
	}
	return h, nil
}

// OpenCase opens a 低保 case with its application (申请): for the household, or with personID a 单人保
// application of that member. A household or person already covered is refused.
func (d *Dibao) OpenCase(ctx context.Context, by workflow.Caller, householdID, personID string, m ReliefStepMeta) (*DibaoCase, error) {
	h, err := d.currentHousehold(ctx, by, householdID)
	if err != nil {
		return nil, err
	}
	app := DibaoApplication{HouseholdID: h.ID, PersonID: personID, Urban: h.Urban, HouseholdSize: h.Size}
	if personID != "" {
		if mem := h.Member(personID); mem == nil || !mem.Current {
			return nil, apperr.Invalid(ReasonDibaoCoveredNotMember, "person", "is not a current member of the household")
		}
	}
	first, err := m.Input(ReliefStepApplication, app)
	if err != nil {
		return nil, err
	}
	var out *DibaoCase
	err = d.store.InTx(ctx, func(ctx context.Context) error {
		if err := d.notCovered(ctx, app.Beneficiary()); err != nil {
			return err
		}
		k, err := d.engine.Open(ctx, by, workflow.NewCase{Kind: KindDibao, Subject: app.Beneficiary(), RegionCode: h.RegionCode,
			Registered: h.Registered, First: first})
		if err != nil {
			return err
		}
		out, err = d.view(k)
		return err
	})
	return out, err
}

// notCovered refuses a beneficiary with a coverage that has not ended (a 渐退期 that has run out has).
func (d *Dibao) notCovered(ctx context.Context, beneficiary string) error {
	open, err := d.store.OpenDibaoCoverageOf(ctx, beneficiary)
	if err != nil || open == nil {
		return err
	}
	// A coverage whose 渐退期 has run out has ended: its end is stored now, so the new case's approval can
	// start a coverage.
	if ended, err := d.closeRunOutTaper(ctx, open); err != nil || ended {
		return err
	}
	return ErrAlreadyCovered(beneficiary, open.ID)
}

// ErrAlreadyCovered is the refusal of a second coverage of a beneficiary.
func ErrAlreadyCovered(beneficiary, coverageID string) error {
	return apperr.Exists(ReasonAlreadyCovered, fmt.Sprintf("%s is already covered by 低保 (dibaoCoverages/%s)", beneficiary, coverageID))
}

// getCase returns a 低保 case the caller may see; a case of another kind is not found.
func (d *Dibao) getCase(ctx context.Context, by workflow.Caller, id string) (*workflow.Case, error) {
	k, err := d.engine.Get(ctx, by, id)
	if err != nil {
		return nil, err
	}
	if k.Kind != KindDibao {
		return nil, apperr.NotFound("dibao case")
	}
	return k, nil
}

// GetCase returns a 低保 case.
func (d *Dibao) GetCase(ctx context.Context, by workflow.Caller, id string) (*DibaoCase, error) {
	k, err := d.getCase(ctx, by, id)
	if err != nil {
		return nil, err
	}
	return d.view(k)
}

// ListCases lists a page of 低保 cases in the caller's scope.
func (d *Dibao) ListCases(ctx context.Context, by workflow.Caller, filter, after string, limit int) ([]*DibaoCase, string, error) {
	ks, next, err := d.engine.List(ctx, by, workflow.ListQuery{Kinds: []string{KindDibao}, Filter: filter, After: after, Limit: limit})
	if err != nil {
		return nil, "", err
	}
	out := make([]*DibaoCase, len(ks))
	for i, k := range ks {
		if out[i], err = d.view(k); err != nil {
			return nil, "", err
		}
	}
	return out, next, nil
}

// step runs one engine call on a 低保 case in a transaction and returns the case as it now stands.
func (d *Dibao) step(ctx context.Context, by workflow.Caller, id string, fn func(ctx context.Context) (*workflow.Case, error)) (*DibaoCase, error) {
	var out *DibaoCase
	err := d.store.InTx(ctx, func(ctx context.Context) error {
		if _, err := d.getCase(ctx, by, id); err != nil {
			return err
		}
		k, err := fn(ctx)
		if err != nil {
			return err
		}
		out, err = d.view(k)
		return err
	})
	return out, err
}

// RecordSurvey records the household survey (入户调查). The register is read on the survey's date: the
// household's current members and size, and when asked its income assessment.
func (d *Dibao) RecordSurvey(ctx context.Context, by workflow.Caller, id string, m ReliefStepMeta, in DibaoSurveyInput) (*DibaoCase, error) {
	k, err := d.getCase(ctx, by, id)
	if err != nil {
		return nil, err
	}
	app := dibaoApplicationOf(k)
	h, err := d.currentHousehold(ctx, by, app.HouseholdID)
	if err != nil {
		return nil, err
	}
	sv, err := d.surveyFacts(ctx, h, app, m.Date(d.now()), in)
	if err != nil {
		return nil, err
	}
	step, err := m.Input(ReliefStepSurvey, sv)
	if err != nil {
		return nil, err
	}
	return d.step(ctx, by, id, func(ctx context.Context) (*workflow.Case, error) { return d.engine.Record(ctx, by, id, step) })
}

// surveyFacts builds the survey's data from the team's report and the register.
func (d *Dibao) surveyFacts(ctx context.Context, h *RegisterHousehold, app DibaoApplication, date string, in DibaoSurveyInput) (DibaoSurvey, error) {
	sv := DibaoSurvey{Team: in.Team, IncomeSource: IncomeFromSurvey, Income: in.Income, IrregularIncome: in.IrregularIncome,
		Employed: in.Employed, HouseholdSize: h.Size}
	var bad []apperr.FieldViolation
	for i, it := range in.Income {
		if it.AmountFen < 0 || it.Months < 1 || it.Months > 12 {
			bad = append(bad, apperr.FieldViolation{Field: fmt.Sprintf("income.items.items[%d]", i), Reason: workflow.ReasonInvalidField,
				Description: "an amount of at least 0 over 1 to 12 months"})
		}
	}
	covered := in.CoveredPersonIDs
	if app.PersonID != "" {
		sv.HouseholdSize = 1
		if in.FromRegister {
			bad = append(bad, apperr.FieldViolation{Field: "income.register_assessment", Reason: workflow.ReasonInvalidField,
				Description: "单人保 counts the person's own income: record it as items"})
		}
		if len(covered) == 0 {
			covered = []string{app.PersonID}
		}
		if len(covered) != 1 || covered[0] != app.PersonID {
			bad = append(bad, apperr.FieldViolation{Field: "covered_persons", Reason: ReasonDibaoCoveredNotMember,
				Description: "单人保 covers the applicant alone"})
		}
	} else if len(covered) == 0 {
		for _, mem := range h.Members {
			if mem.Current {
				covered = append(covered, mem.PersonID)
			}
		}
	}
	seen := map[string]bool{}
	for i, pid := range covered {
		mem := h.Member(pid)
		if mem == nil || !mem.Current || seen[pid] {
			bad = append(bad, apperr.FieldViolation{Field: fmt.Sprintf("covered_persons[%d]", i), Reason: ReasonDibaoCoveredNotMember,
				Description: "is not a current member of the household, or is named twice"})
			continue
		}
		seen[pid] = true
		sv.Covered = append(sv.Covered, CoveredMember{PersonID: pid, IDIndex: mem.IDIndex, BirthDate: mem.BirthDate,
			SeriouslyIll: mem.Health == HealthSeriousIllness, CanWork: mem.Labour.CanWork()})
	}
	if len(bad) > 0 {
		return sv, apperr.InvalidFields(bad...)
	}
	if len(sv.Covered) == 0 {
		return sv, apperr.Invalid(ReasonDibaoCoveredNotMember, "covered_persons", "the household has no current member to cover")
	}
	if in.FromRegister {
		inc, err := d.register.DibaoIncome(ctx, h.ID, date)
		if err != nil {
			return sv, err
		}
		sv.IncomeSource, sv.Assessment = IncomeFromRegister, inc
		sv.Income = []IncomeFigure{{Description: fmt.Sprintf("identification income assessment %s..%s", inc.From, inc.To),
			AmountFen: inc.NetFen, Months: inc.Months}}
	}
	return sv, nil
}

// RecordVillageReview records the village representatives' review (民主评议).
func (d *Dibao) RecordVillageReview(ctx context.Context, by workflow.Caller, id string, m ReliefStepMeta, registered, present, votesFor int) (*DibaoCase, error) {
	step, err := m.Input(ReliefStepVillageReview, DibaoVillageReview{Registered: registered, Present: present, VotesFor: votesFor})
	if err != nil {
		return nil, err
	}
	return d.step(ctx, by, id, func(ctx context.Context) (*workflow.Case, error) { return d.engine.Record(ctx, by, id, step) })
}

// StartPosting starts the public posting (公示).
func (d *Dibao) StartPosting(ctx context.Context, by workflow.Caller, id string, m ReliefStepMeta) (*DibaoCase, error) {
	step, err := m.Input(ReliefStepPosting, nil)
	if err != nil {
		return nil, err
	}
	return d.step(ctx, by, id, func(ctx context.Context) (*workflow.Case, error) { return d.engine.StartPosting(ctx, by, id, step) })
}

// FileObjection records an objection (异议) to the running posting; the case goes back to the survey.
func (d *Dibao) FileObjection(ctx context.Context, by workflow.Caller, id string, o workflow.ObjectionInput) (*DibaoCase, error) {
	return d.step(ctx, by, id, func(ctx context.Context) (*workflow.Case, error) { return d.engine.FileObjection(ctx, by, id, o) })
}

// CompletePosting closes the posting once its minimum period has run.
func (d *Dibao) CompletePosting(ctx context.Context, by workflow.Caller, id string, m ReliefStepMeta) (*DibaoCase, error) {
	step, err := m.Input(ReliefStepPosting, nil)
	if err != nil {
		return nil, err
	}
	return d.step(ctx, by, id, func(ctx context.Context) (*workflow.Case, error) { return d.engine.CompletePosting(ctx, by, id, step) })
}

// RecordTownshipReview records the township's review (乡镇审核).
func (d *Dibao) RecordTownshipReview(ctx context.Context, by workflow.Caller, id string, m ReliefStepMeta, approved bool) (*DibaoCase, error) {
	step, err := m.Input(ReliefStepTownshipReview, ReliefTownshipReview{Approved: approved})
	if err != nil {
		return nil, err
	}
	return d.step(ctx, by, id, func(ctx context.Context) (*workflow.Case, error) { return d.engine.Record(ctx, by, id, step) })
}

// Withdraw ends an open case without a decision (撤回/终止), with the reason in the note.
func (d *Dibao) Withdraw(ctx context.Context, by workflow.Caller, id string, m ReliefStepMeta) (*DibaoCase, error) {
	step, err := m.Input(workflow.StepWithdrawal, nil)
	if err != nil {
		return nil, err
	}
	return d.step(ctx, by, id, func(ctx context.Context) (*workflow.Case, error) { return d.engine.Withdraw(ctx, by, id, step) })
}

// Decide records the county's decision (县级审批). Approval computes the amount on the decision date and,
// in the same transaction, starts the coverage with its members and grants the entitlement from the month
// of the application.
func (d *Dibao) Decide(ctx context.Context, by workflow.Caller, id string, m ReliefStepMeta, approve bool) (*DibaoCase, error) {
	step, err := m.Decision(ReliefStepCountyDecision, approve, DibaoDecision{Approve: approve})
	if err != nil {
		return nil, err
	}
	return d.step(ctx, by, id, func(ctx context.Context) (*workflow.Case, error) {
		k, err := d.engine.Record(ctx, by, id, step)
		if err != nil || k.Decision.Outcome != workflow.OutcomeApproved {
			return k, err
		}
		return k, d.startCoverage(ctx, k)
	})
}

// Guards.

// decode reads a policy value for a region on a business date; a value not in force is a refusal naming
// the parameter.
func reliefDecode(p workflow.Policy, parameter, region, date, subject string, into any) (policy.Value, error) {
	t, err := bizdate.Parse(date)
	if err != nil {
		return policy.Value{}, err
	}
	v, err := p.Decode(parameter, region, t, into)
	if errors.Is(err, policy.ErrNotFound) {
		return policy.Value{}, apperr.Refused(workflow.ReasonPolicyValueMissing, apperr.Violation{Type: workflow.RulePolicyValue,
			Subject: subject, Description: fmt.Sprintf("no value of %s is in force for region %s on %s", parameter, region, date)})
	}
	if err != nil {
		return policy.Value{}, fmt.Errorf("policy %s: %w", parameter, err)
	}
	return v, nil
}

// reliefDecodeAll reads several parameters on one date, in the order given.
func reliefDecodeAll(p workflow.Policy, region, date, subject string, params ...any) ([]policy.Value, error) {
	var out []policy.Value
	for i := 0; i+1 < len(params); i += 2 {
		v, err := reliefDecode(p, params[i].(string), region, date, subject, params[i+1])
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// amountOn computes the amount for the covered members on date with the policy of the region then: the
// standard of the household's kind, the floor and the 分类施保 table, and the certificates valid that day.
func (d *Dibao) amountOn(ctx context.Context, region, subject string, urban bool, date string, income []IncomeFigure, size int,
	covered []CoveredMember, keepCovered bool) (DibaoAmount, []CoveredMember, error) {
	var p AmountPolicy
	used, err := reliefDecodeAll(d.policy, region, date, subject, StandardParam(urban), &p.StandardFen,
		ParamDibaoFloorRatio, &p.Floor, ParamDibaoSupplements, &p.Supplements)
	if err != nil {
		return DibaoAmount{}, nil, err
	}
	covered = slices.Clone(covered)
	ids := make([]string, len(covered))
	for i, m := range covered {
		ids[i] = m.PersonID
	}
	certs, err := d.certs.ValidCertificates(ctx, ids, date)
	if err != nil {
		return DibaoAmount{}, nil, err
	}
	for i := range covered {
		c := certs[covered[i].PersonID]
		covered[i].SeverelyDisabled = c != nil && c.Grade >= 1 && c.Grade <= p.Supplements.SevereDisabilityMaxGrade
	}
	a, err := ComputeDibao(AmountInput{Income: income, HouseholdSize: size, Covered: covered, Date: date, KeepCovered: keepCovered}, p)
	if err != nil {
		return a, nil, err
	}
	a.Policy = used
	a.Inputs["urban"] = fmt.Sprint(urban)
	for _, m := range covered {
		if m.SeverelyDisabled {
			a.Inputs["severely_disabled:"+m.PersonID] = fmt.Sprintf("certificate grade %d", certs[m.PersonID].Grade)
		}
	}
	return a, covered, nil
}

// surveyGuard checks the team against policy and, for 单人保, the applicant's conditions; it computes the
// amount the household would receive on the survey's date.
func (d *Dibao) surveyGuard(ctx context.Context, k *workflow.Case, s *workflow.Step) error {
	var sv DibaoSurvey
	if err := s.Bind(&sv); err != nil {
		return err
	}
	var minTeam, maxTeam int
	used, err := reliefDecodeAll(d.policy, k.RegionCode, s.OccurredAt, k.Name(), ParamDibaoSurveyMinTeam, &minTeam, ParamDibaoSurveyMaxTeam, &maxTeam)
	if err != nil {
		return err
	}
	team := reliefTeam(sv.Team)
	if len(team) < minTeam || len(team) > maxTeam {
		return apperr.Invalid(ReasonDibaoSurveyTeamSize, "team", fmt.Sprintf("%d distinct surveyors; policy wants %d to %d", len(team), minTeam, maxTeam))
	}
	app := dibaoApplicationOf(k)
	a, covered, err := d.amountOn(ctx, k.RegionCode, k.Name(), app.Urban, s.OccurredAt, sv.Income, sv.HouseholdSize, sv.Covered, false)
	if err != nil {
		return err
	}
	if app.PersonID != "" {
		uses, err := d.checkSinglePerson(ctx, k, covered[0], sv.Employed, s.OccurredAt)
		if err != nil {
			return err
		}
		used = append(used, uses...)
	}
	sv.Team, sv.Covered, sv.Amount, sv.Policy = team, covered, &a, used
	return s.SetData(sv)
}

// reliefTeam trims the team's names and drops blanks and repeats.
func reliefTeam(in []string) []string {
	var out []string
	for _, n := range in {
		if n = strings.TrimSpace(n); n != "" && !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out
}

// SinglePersonPolicy is the 单人保 rule (subsidies.dibao.single_person_coverage).
type SinglePersonPolicy struct {
	MinAge                   int `json:"min_age"`
	SevereDisabilityMaxGrade int `json:"severe_disability_max_grade"`
}

// SinglePersonUnmet returns the 单人保 conditions a person does not meet on date: an adult, without a job,
// holding a valid certificate (cert, nil when none) of a severe grade.
func SinglePersonUnmet(birthDate string, employed bool, cert *Certificate, date string, p SinglePersonPolicy) ([]apperr.Violation, error) {
	age, err := AgeOn(birthDate, date)
	if err != nil {
		return nil, err
	}
	var out []apperr.Violation
	if age < p.MinAge {
		// The threshold, not the age: the caller sees persons without their birth date (pii.ViewPerson).
		out = append(out, apperr.Violation{Type: RuleSinglePersonAge, Description: fmt.Sprintf("younger than %d on %s; 单人保 needs at least %d", p.MinAge, date, p.MinAge)})
	}
	if employed {
		out = append(out, apperr.Violation{Type: RuleSinglePersonJobless, Description: "the survey found a job; 单人保 is for a person without one"})
	}
	if cert == nil || cert.Grade < 1 || cert.Grade > p.SevereDisabilityMaxGrade {
		desc := fmt.Sprintf("no valid disability certificate on %s", date)
		if cert != nil {
			desc = fmt.Sprintf("the valid certificate is of grade %d", cert.Grade)
		}
		out = append(out, apperr.Violation{Type: RuleSinglePersonDisability,
			Description: fmt.Sprintf("%s; 单人保 needs grade 1 to %d", desc, p.SevereDisabilityMaxGrade)})
	}
	return out, nil
}

// checkSinglePerson refuses a 单人保 case whose applicant does not meet the conditions on date.
func (d *Dibao) checkSinglePerson(ctx context.Context, k *workflow.Case, m CoveredMember, employed bool, date string) ([]policy.Value, error) {
	var p SinglePersonPolicy
	v, err := reliefDecode(d.policy, ParamDibaoSinglePerson, k.RegionCode, date, k.Name(), &p)
	if err != nil {
		return nil, err
	}
	certs, err := d.certs.ValidCertificates(ctx, []string{m.PersonID}, date)
	if err != nil {
		return nil, err
	}
	unmet, err := SinglePersonUnmet(m.BirthDate, employed, certs[m.PersonID], date, p)
	if err != nil {
		return nil, err
	}
	if len(unmet) > 0 {
		for i := range unmet {
			unmet[i].Subject = k.Name()
		}
		return nil, apperr.Refused(ReasonSinglePersonCoverageUnmet, unmet...)
	}
	return []policy.Value{v}, nil
}

// villageReviewGuard checks the meeting's attendance and ends the case when the vote does not pass.
func (d *Dibao) villageReviewGuard(_ context.Context, k *workflow.Case, s *workflow.Step) error {
	var v DibaoVillageReview
	if err := s.Bind(&v); err != nil {
		return err
	}
	var bad []apperr.FieldViolation
	if v.Present > v.Registered {
		bad = append(bad, apperr.FieldViolation{Field: "present", Reason: workflow.ReasonInvalidField,
			Description: fmt.Sprintf("%d present is more than the %d registered representatives", v.Present, v.Registered)})
	}
	if v.VotesFor > v.Present {
		bad = append(bad, apperr.FieldViolation{Field: "votes_for", Reason: workflow.ReasonInvalidField,
			Description: fmt.Sprintf("%d votes for is more than the %d present", v.VotesFor, v.Present)})
	}
	if v.Registered < 0 || v.Present < 0 || v.VotesFor < 0 {
		bad = append(bad, apperr.FieldViolation{Field: "registered_representatives", Reason: workflow.ReasonInvalidField, Description: "counts cannot be negative"})
	}
	if len(bad) > 0 {
		return apperr.InvalidFields(bad...)
	}
	var minPresent, passExceeds policy.Ratio
	used, err := reliefDecodeAll(d.policy, k.RegionCode, s.OccurredAt, k.Name(), ParamDibaoReviewMinPresent, &minPresent,
		ParamDibaoReviewPassExceeds, &passExceeds)
	if err != nil {
		return err
	}
	quorate, passed := DibaoReviewResult(v.Registered, v.Present, v.VotesFor, minPresent, passExceeds)
	if !quorate {
		return apperr.Refused(ReasonDibaoReviewQuorumNotMet, apperr.Violation{Type: RuleDibaoReviewPresent, Subject: k.Name(),
			Description: fmt.Sprintf("%d of %d registered representatives present; at least %d/%d must be", v.Present, v.Registered,
				minPresent.Num, minPresent.Den)})
	}
	v.Passed, v.Policy = passed, used
	if !passed {
		s.Decision = &workflow.Decision{Outcome: workflow.OutcomeRefused, Explanation: fmt.Sprintf(
			"民主评议未通过 (the village review did not pass): %d of %d present voted for; more than %d/%d needed",
			v.VotesFor, v.Present, passExceeds.Num, passExceeds.Den)}
	}
	return s.SetData(v)
}

// DibaoReviewResult applies the village review's rule: the meeting is quorate with at least minPresent of
// the registered representatives present (and someone registered), and passes with more than passExceeds
// of those present voting for.
func DibaoReviewResult(registered, present, votesFor int, minPresent, passExceeds policy.Ratio) (quorate, passed bool) {
	quorate = registered > 0 && int64(present)*minPresent.Den >= int64(registered)*minPresent.Num
	passed = quorate && int64(votesFor)*passExceeds.Den > int64(present)*passExceeds.Num
	return quorate, passed
}

// reliefTownshipGuard ends the case when the township does not approve; its opinion is then required.
func reliefTownshipGuard(_ context.Context, _ *workflow.Case, s *workflow.Step) error {
	var t ReliefTownshipReview
	if err := s.Bind(&t); err != nil {
		return err
	}
	if t.Approved {
		return nil
	}
	if strings.TrimSpace(s.Note) == "" {
		return apperr.Invalid(workflow.ReasonInvalidField, "details.note", "a township review that does not approve must give its opinion")
	}
	s.Decision = &workflow.Decision{Outcome: workflow.OutcomeRefused, Explanation: "乡镇审核未通过 (the township did not approve): " + s.Note}
	return nil
}

// decisionGuard computes the amount again on the decision date, with the survey's facts and the policy
// and certificates of that day, and keeps the explanation. Approval needs something due (and, for 单人保,
// the conditions met); it also sets the review schedule.
func (d *Dibao) decisionGuard(ctx context.Context, k *workflow.Case, s *workflow.Step) error {
	var dec DibaoDecision
	if err := s.Bind(&dec); err != nil {
		return err
	}
	var sv DibaoSurvey
	if err := k.Latest(ReliefStepSurvey).Bind(&sv); err != nil {
		return err
	}
	app := dibaoApplicationOf(k)
	a, covered, err := d.amountOn(ctx, k.RegionCode, k.Name(), app.Urban, s.OccurredAt, sv.Income, sv.HouseholdSize, sv.Covered, false)
	if err != nil {
		return err
	}
	dec.Amount = &a
	if dec.Approve {
		if app.PersonID != "" {
			uses, err := d.checkSinglePerson(ctx, k, covered[0], sv.Employed, s.OccurredAt)
			if err != nil {
				return err
			}
			dec.Policy = append(dec.Policy, uses...)
		}
		if !a.Due() {
			return apperr.Refused(ReasonDibaoIncomeAtOrAbove, apperr.Violation{Type: RuleDibaoIncome, Subject: k.Name(), Description: a.Summary})
		}
		frequent, next, uses, err := d.nextReview(k.RegionCode, k.Name(), s.OccurredAt, sv.IrregularIncome, covered)
		if err != nil {
			return err
		}
		dec.FrequentReview, dec.NextReviewDate = frequent, next
		dec.Policy = append(dec.Policy, uses...)
	}
	verdict := "不予批准 (refused): "
	if dec.Approve {
		verdict = "批准 (approved): "
	}
	s.Decision.Explanation = verdict + a.Summary
	if n := strings.TrimSpace(s.Note); n != "" {
		s.Decision.Explanation += " — " + n
	}
	return s.SetData(dec)
}

// nextReview is the review schedule from date: every review_interval_months_irregular months where income is
// irregular and a covered member can work, every …_stable months otherwise.
func (d *Dibao) nextReview(region, subject, date string, irregular bool, covered []CoveredMember) (bool, string, []policy.Value, error) {
	frequent := false
	if irregular {
		for _, m := range covered {
			frequent = frequent || m.CanWork
		}
	}
	param := ParamDibaoReviewStable
	if frequent {
		param = ParamDibaoReviewIrregular
	}
	var months int
	v, err := reliefDecode(d.policy, param, region, date, subject, &months)
	if err != nil {
		return false, "", nil, err
	}
	if months < 1 {
		return false, "", nil, fmt.Errorf("policy %s must be at least 1 (got %d)", param, months)
	}
	return frequent, AddMonthsToDate(date, months), []policy.Value{v}, nil
}

// AddMonthsToDate moves a business date (YYYY-MM-DD) by n months, keeping the day of the month or, when the
// target month is shorter, its last day (31 January + 1 month is 28 or 29 February).
func AddMonthsToDate(date string, n int) string {
	t, err := bizdate.Parse(date)
	if err != nil {
		return ""
	}
	first := time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC).AddDate(0, n, 0)
	last := first.AddDate(0, 1, -1).Day()
	return time.Date(first.Year(), first.Month(), min(t.Day(), last), 0, 0, 0, 0, time.UTC).Format(bizdate.Layout)
}
