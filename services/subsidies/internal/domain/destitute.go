package domain

import (
	"context"
	"fmt"
	"math/big"
	"strings"
	"time"

	"fupin.dev/services/platform/apperr"
	"fupin.dev/services/platform/policy"
	"fupin.dev/services/platform/workflow"
)

// 特困供养 (destitute support) of one person: application → survey (入户调查) → township review (乡镇审核) →
// county decision (县级审批) on the workflow engine. The three conditions are all required and are
// evaluated on the decision date: no labour ability (by age, or by a certificate of a category and grade
// in the policy's table), no income source, no legal supporter able to pay (the survey's facts).

// KindDestitute is the workflow kind of 特困供养 cases.
const KindDestitute = "destitute"

// Policy parameters of 特困供养.
const (
	ParamDestituteNoLabour   = "subsidies.destitute.no_labour_ability"
	ParamDestituteLivingRate = "subsidies.destitute.basic_living_ratio_of_dibao_standard"
)

// DestituteCondition is one of the three conditions. Numbers equal fupin.subsidies.v1.DestituteCondition.
type DestituteCondition int32

// Conditions.
const (
	DestituteConditionUnspecified DestituteCondition = iota
	DestituteNoLabourAbility                         // 无劳动能力
	DestituteNoIncomeSource                          // 无生活来源
	DestituteNoAbleSupporter                         // 无法定义务人或其无履行能力
)

// Code is the condition's violation type.
func (c DestituteCondition) Code() string {
	switch c {
	case DestituteNoLabourAbility:
		return "DESTITUTE_NO_LABOUR_ABILITY"
	case DestituteNoIncomeSource:
		return "DESTITUTE_NO_INCOME_SOURCE"
	case DestituteNoAbleSupporter:
		return "DESTITUTE_NO_ABLE_SUPPORTER"
	}
	return "DESTITUTE_CONDITION"
}

// NoLabourPolicy is the table of who has no labour ability (subsidies.destitute.no_labour_ability).
type NoLabourPolicy struct {
	AgeFrom      int                  `json:"age_from"`
	AgeBelow     int                  `json:"age_below"`
	Certificates []CertificateQualify `json:"certificates"`
}

// CertificateQualify is a category whose certificates of MaxGrade or more severe (a lower number) qualify.
type CertificateQualify struct {
	Category int `json:"category"`
	MaxGrade int `json:"max_grade"`
}

// DestituteFacts are what the conditions are evaluated on.
type DestituteFacts struct {
	BirthDate string
	// Date is the evaluation date.
	Date string
	// Certificate is the person's certificate valid on Date, nil when none.
	Certificate     *Certificate
	NoIncomeSource  bool
	NoAbleSupporter bool
}

// DestituteUnmet is a condition not met, with why.
type DestituteUnmet struct {
	Condition   DestituteCondition `json:"condition"`
	Description string             `json:"description"`
}

// DestituteEvaluation is the three conditions evaluated on a date, with the amount due.
type DestituteEvaluation struct {
	Eligible   bool              `json:"eligible"`
	Unmet      []DestituteUnmet  `json:"unmet,omitempty"`
	AmountFen  int64             `json:"amount_fen"`
	Inputs     map[string]string `json:"inputs"`
	Date       string            `json:"evaluation_date"`
	Policy     []policy.Value    `json:"policy,omitempty"`
	Standard   int64             `json:"dibao_standard_fen"`
	LivingRate policy.Ratio      `json:"basic_living_ratio"`
}

// EvaluateDestitute applies the three conditions.
func EvaluateDestitute(f DestituteFacts, p NoLabourPolicy) (DestituteEvaluation, error) {
	e := DestituteEvaluation{Date: f.Date, Inputs: map[string]string{}}
	age, err := AgeOn(f.BirthDate, f.Date)
	if err != nil {
		return e, err
	}
	e.Inputs["age"] = fmt.Sprint(age)
	e.Inputs["no_income_source"] = fmt.Sprint(f.NoIncomeSource)
	e.Inputs["no_able_supporter"] = fmt.Sprint(f.NoAbleSupporter)
	noLabour := age >= p.AgeFrom || age < p.AgeBelow
	if c := f.Certificate; c != nil {
		e.Inputs["certificate"] = fmt.Sprintf("category %d grade %d", c.Category, c.Grade)
		for _, q := range p.Certificates {
			if c.Category == q.Category && c.Grade >= 1 && c.Grade <= q.MaxGrade {
				noLabour = true
			}
		}
	} else {
		e.Inputs["certificate"] = "none valid on " + f.Date
	}
	if !noLabour {
		// The age range, not the age: people see this without the birth date (pii.ViewPerson), and an
		// age on a date next to the birth year would narrow the 身份证号.
		e.Unmet = append(e.Unmet, DestituteUnmet{DestituteNoLabourAbility, fmt.Sprintf(
			"aged between %d and %d on %s and no certificate of a qualifying category and grade", p.AgeBelow, p.AgeFrom-1, f.Date)})
	}
	if !f.NoIncomeSource {
		e.Unmet = append(e.Unmet, DestituteUnmet{DestituteNoIncomeSource, "the survey found an income source"})
	}
	if !f.NoAbleSupporter {
		e.Unmet = append(e.Unmet, DestituteUnmet{DestituteNoAbleSupporter, "the survey found a legal supporter able to pay"})
	}
	e.Eligible = len(e.Unmet) == 0
	return e, nil
}

// DestituteApplication is the data of a 特困 case's application.
type DestituteApplication struct {
	HouseholdID string `json:"household_id"`
	PersonID    string `json:"person_id"`
	IDIndex     string `json:"id_index"`
	BirthDate   string `json:"birth_date"`
	Urban       bool   `json:"urban"`
}

// DestituteSurvey is the data of the survey.
type DestituteSurvey struct {
	NoIncomeSource  bool `json:"no_income_source"`
	NoAbleSupporter bool `json:"no_able_supporter"`
}

// DestituteDecision is the data of the decision, with the evaluation.
type DestituteDecision struct {
	Approve    bool                 `json:"approve"`
	Evaluation *DestituteEvaluation `json:"evaluation,omitempty"`
}

// DestituteCase is a 特困 case with its application and latest evaluation.
type DestituteCase struct {
	*workflow.Case
	Application DestituteApplication
	Evaluation  *DestituteEvaluation
}

// Destitute holds the 特困供养 use cases.
type Destitute struct {
	store    DestituteStore
	engine   *workflow.Engine
	policy   workflow.Policy
	register Register
	certs    CertificateReader
	newID    func() string
	now      func() time.Time
}

// DestituteStore is what 特困 needs of storage: entitlements, the feed its decisions are published on, and
// transactions.
type DestituteStore interface {
	EntitlementStore
	DestituteFeed
	InTx(ctx context.Context, fn func(ctx context.Context) error) error
}

// NewDestitute declares 特困 cases on engine.
func NewDestitute(store DestituteStore, engine *workflow.Engine, pol workflow.Policy, register Register, certs CertificateReader,
	newID func() string, now func() time.Time) (*Destitute, error) {
	ds := &Destitute{store: store, engine: engine, policy: pol, register: register, certs: certs, newID: newID, now: now}
	err := engine.Register(workflow.Definition{Kind: KindDestitute, OnePerSubject: true, Steps: []workflow.StepDef{
		{Name: ReliefStepApplication},
		{Name: ReliefStepSurvey, Repeatable: true},
		{Name: ReliefStepTownshipReview, Guard: reliefTownshipGuard},
		{Name: ReliefStepCountyDecision, Guard: ds.decisionGuard},
	}})
	if err != nil {
		return nil, err
	}
	return ds, nil
}

func destituteApplicationOf(k *workflow.Case) DestituteApplication {
	var a DestituteApplication
	if len(k.Steps) > 0 {
		_ = k.Steps[0].Bind(&a)
	}
	return a
}

func (ds *Destitute) view(k *workflow.Case) (*DestituteCase, error) {
	v := &DestituteCase{Case: k, Application: destituteApplicationOf(k)}
	if s := k.Latest(ReliefStepCountyDecision); s != nil {
		var dec DestituteDecision
		if err := s.Bind(&dec); err != nil {
			return nil, err
		}
		v.Evaluation = dec.Evaluation
	}
	return v, nil
}

// DestituteSource is the Source of a 特困 case's entitlement.
func DestituteSource(id string) string { return "destituteCases/" + id }

// OpenCase opens a 特困 case for a current member of a household. A person already supported is refused.
func (ds *Destitute) OpenCase(ctx context.Context, by workflow.Caller, householdID, personID string, m ReliefStepMeta) (*DestituteCase, error) {
	h, err := ds.register.Household(ctx, householdID)
	if err != nil {
		return nil, err
	}
	if !strings.HasPrefix(h.RegionCode, by.Scope) {
		return nil, errReliefOutOfScope
	}
	mem := h.Member(personID)
	if !h.Active || mem == nil || !mem.Current {
		return nil, apperr.Refused(ReasonRegisterSubjectNotCurrent, apperr.Violation{Type: RuleRegisterCurrent,
			Subject: PersonName(householdID, personID), Description: "the person is not a current member of an active household in the register"})
	}
	app := DestituteApplication{HouseholdID: h.ID, PersonID: personID, IDIndex: mem.IDIndex, BirthDate: mem.BirthDate, Urban: h.Urban}
	first, err := m.Input(ReliefStepApplication, app)
	if err != nil {
		return nil, err
	}
	var out *DestituteCase
	err = ds.store.InTx(ctx, func(ctx context.Context) error {
		open, err := ds.store.OpenEntitlements(ctx, ProgramDestitute, "persons/"+personID, MonthOf(m.Date(ds.now())))
		if err != nil {
			return err
		}
		if len(open) > 0 {
			return apperr.Exists(ReasonAlreadyCovered, "the person is already supported as 特困 ("+open[0].Source+")")
		}
		k, err := ds.engine.Open(ctx, by, workflow.NewCase{Kind: KindDestitute, Subject: "persons/" + personID,
			RegionCode: h.RegionCode, Registered: h.Registered, First: first})
		if err != nil {
			return err
		}
		out, err = ds.view(k)
		return err
	})
	return out, err
}

func (ds *Destitute) step(ctx context.Context, by workflow.Caller, id string, fn func(ctx context.Context) (*workflow.Case, error)) (*DestituteCase, error) {
	var out *DestituteCase
	err := ds.store.InTx(ctx, func(ctx context.Context) error {
		if _, err := ds.GetCase(ctx, by, id); err != nil {
			return err
		}
		k, err := fn(ctx)
		if err != nil {
			return err
		}
		out, err = ds.view(k)
		return err
	})
	return out, err
}

// GetCase returns a 特困 case the caller may see.
func (ds *Destitute) GetCase(ctx context.Context, by workflow.Caller, id string) (*DestituteCase, error) {
	k, err := ds.engine.Get(ctx, by, id)
	if err != nil {
		return nil, err
	}
	if k.Kind != KindDestitute {
		return nil, apperr.NotFound("destitute case")
	}
	return ds.view(k)
}

// ListCases lists a page of 特困 cases in the caller's region scope, in id order (oldest first), through
// the workflow engine: filter is AIP-160 over state, outcome, region_code and next_step, as the engine
// reads them; after is the last id of the previous page.
func (ds *Destitute) ListCases(ctx context.Context, by workflow.Caller, filter, after string, limit int) ([]*DestituteCase, string, error) {
	ks, next, err := ds.engine.List(ctx, by, workflow.ListQuery{Kinds: []string{KindDestitute}, Filter: filter, After: after, Limit: limit})
	if err != nil {
		return nil, "", err
	}
	out := make([]*DestituteCase, len(ks))
	for i, k := range ks {
		if out[i], err = ds.view(k); err != nil {
			return nil, "", err
		}
	}
	return out, next, nil
}

// Withdraw ends an open 特困 case without a decision (撤回/终止), with the reason in the note. Nothing was
// granted, so nothing is stopped.
func (ds *Destitute) Withdraw(ctx context.Context, by workflow.Caller, id string, m ReliefStepMeta) (*DestituteCase, error) {
	in, err := m.Input(workflow.StepWithdrawal, nil)
	if err != nil {
		return nil, err
	}
	return ds.step(ctx, by, id, func(ctx context.Context) (*workflow.Case, error) { return ds.engine.Withdraw(ctx, by, id, in) })
}

// RecordSurvey records the survey's facts: income source and legal supporters.
func (ds *Destitute) RecordSurvey(ctx context.Context, by workflow.Caller, id string, m ReliefStepMeta, sv DestituteSurvey) (*DestituteCase, error) {
	in, err := m.Input(ReliefStepSurvey, sv)
	if err != nil {
		return nil, err
	}
	return ds.step(ctx, by, id, func(ctx context.Context) (*workflow.Case, error) { return ds.engine.Record(ctx, by, id, in) })
}

// RecordTownshipReview records the township's review.
func (ds *Destitute) RecordTownshipReview(ctx context.Context, by workflow.Caller, id string, m ReliefStepMeta, approved bool) (*DestituteCase, error) {
	in, err := m.Input(ReliefStepTownshipReview, ReliefTownshipReview{Approved: approved})
	if err != nil {
		return nil, err
	}
	return ds.step(ctx, by, id, func(ctx context.Context) (*workflow.Case, error) { return ds.engine.Record(ctx, by, id, in) })
}

// Decide records the county's decision; approval grants the person's monthly support from the month of
// the application, in the same transaction.
func (ds *Destitute) Decide(ctx context.Context, by workflow.Caller, id string, m ReliefStepMeta, approve bool) (*DestituteCase, error) {
	in, err := m.Decision(ReliefStepCountyDecision, approve, DestituteDecision{Approve: approve})
	if err != nil {
		return nil, err
	}
	return ds.step(ctx, by, id, func(ctx context.Context) (*workflow.Case, error) {
		k, err := ds.engine.Record(ctx, by, id, in)
		if err != nil || k.Decision.Outcome != workflow.OutcomeApproved {
			return k, err
		}
		return k, ds.grant(ctx, k)
	})
}

// Evaluate evaluates the conditions of a case on date, with the policy and certificates of that day.
func (ds *Destitute) Evaluate(ctx context.Context, k *workflow.Case, date string) (DestituteEvaluation, error) {
	app := destituteApplicationOf(k)
	var sv DestituteSurvey
	if s := k.Latest(ReliefStepSurvey); s != nil {
		if err := s.Bind(&sv); err != nil {
			return DestituteEvaluation{}, err
		}
	}
	var table NoLabourPolicy
	var standard int64
	var rate policy.Ratio
	used, err := reliefDecodeAll(ds.policy, k.RegionCode, date, k.Name(), ParamDestituteNoLabour, &table,
		StandardParam(app.Urban), &standard, ParamDestituteLivingRate, &rate)
	if err != nil {
		return DestituteEvaluation{}, err
	}
	certs, err := ds.certs.ValidCertificates(ctx, []string{app.PersonID}, date)
	if err != nil {
		return DestituteEvaluation{}, err
	}
	e, err := EvaluateDestitute(DestituteFacts{BirthDate: app.BirthDate, Date: date, Certificate: certs[app.PersonID],
		NoIncomeSource: sv.NoIncomeSource, NoAbleSupporter: sv.NoAbleSupporter}, table)
	if err != nil {
		return e, err
	}
	e.Policy, e.Standard, e.LivingRate = used, standard, rate
	e.AmountFen = DestituteAmount(standard, rate)
	return e, nil
}

// DestituteAmount is the monthly basic living support: the 低保 standard × the policy's ratio, rounded
// half up to the fen.
func DestituteAmount(standardFen int64, rate policy.Ratio) int64 {
	return RoundHalfUp(new(big.Rat).Mul(big.NewRat(standardFen, 1), ratOf(rate)))
}

// decisionGuard evaluates the conditions on the decision date; approval needs all three.
func (ds *Destitute) decisionGuard(ctx context.Context, k *workflow.Case, s *workflow.Step) error {
	var dec DestituteDecision
	if err := s.Bind(&dec); err != nil {
		return err
	}
	e, err := ds.Evaluate(ctx, k, s.OccurredAt)
	if err != nil {
		return err
	}
	dec.Evaluation = &e
	if dec.Approve && !e.Eligible {
		vs := make([]apperr.Violation, len(e.Unmet))
		for i, u := range e.Unmet {
			vs[i] = apperr.Violation{Type: u.Condition.Code(), Subject: k.Name(), Description: u.Description}
		}
		return apperr.Refused(ReasonDestituteConditionsUnmet, vs...)
	}
	s.Decision.Explanation = "不予批准 (refused)"
	if dec.Approve {
		s.Decision.Explanation = fmt.Sprintf("批准 (approved): the three conditions hold; %s a month", dibaoYuan(e.AmountFen))
	}
	if n := strings.TrimSpace(s.Note); n != "" {
		s.Decision.Explanation += " — " + n
	}
	return s.SetData(dec)
}

// grant gives an approved person the monthly support from the month of the application.
func (ds *Destitute) grant(ctx context.Context, k *workflow.Case) error {
	app := destituteApplicationOf(k)
	var dec DestituteDecision
	if err := k.Latest(ReliefStepCountyDecision).Bind(&dec); err != nil {
		return err
	}
	now := ds.now()
	err := ds.store.GrantEntitlement(ctx, &Entitlement{ID: ds.newID(), Program: ProgramDestitute, Beneficiary: "persons/" + app.PersonID,
		HouseholdID: app.HouseholdID, PersonID: app.PersonID, RegionCode: k.RegionCode, Source: DestituteSource(k.ID),
		FromMonth: MonthOf(k.Steps[0].OccurredAt), AmountFen: dec.Evaluation.AmountFen, Covered: 1,
		Reason: "特困供养批准 " + k.Decision.DecidedAt, CreateTime: now, UpdateTime: now})
	if err != nil {
		return err
	}
	return publishDestitute(ctx, ds.store, TopicDestituteStarted, k.ID)
}
