package domain

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"fupin.dev/services/platform/apperr"
	"fupin.dev/services/platform/bizdate"
	"fupin.dev/services/platform/policy"
	"fupin.dev/services/platform/workflow"
)

// Identification (精准识别, 建档立卡) and exit (脱贫退出) cases run on the platform's workflow engine. This
// file declares their steps and the rules guarding each (the rules themselves are in cases_rules.go),
// and applies a decision to the register in the decision's transaction.

// Reasons of the identification-case area (fupin.identification.v1.ErrorReason 100–149). The engine's own
// refusals (step order, closed case, posting period, back-dating) use fupin.common.v1.ErrorReason.
const (
	ReasonSurveyTeamSize         = "SURVEY_TEAM_SIZE"
	ReasonReviewQuorumNotMet     = "REVIEW_QUORUM_NOT_MET"
	ReasonPopulationUnknown      = "POPULATION_UNKNOWN"
	ReasonInclusionRuleNotMet    = "INCLUSION_RULE_NOT_MET"
	ReasonExclusionHit           = "EXCLUSION_HIT"
	ReasonIncomeUnknown          = "INCOME_UNKNOWN"
	ReasonExitConditionsUnmet    = "EXIT_CONDITIONS_UNMET"
	ReasonRegistryStatusMismatch = "REGISTRY_STATUS_MISMATCH"
	ReasonSurveyKindMismatch     = "SURVEY_KIND_MISMATCH"
)

// Kinds of case.
const (
	KindIdentification = "identification" // 精准识别: an ordinary household applies to be registered poor
	KindExit           = "exit"           // 脱贫退出: a poor household exits
)

// Steps, in the order of 户报、村评、乡镇审、县定.
const (
	StepApplication    = "application"     // 户报 / 拟退出申请
	StepSurvey         = "survey"          // 入户核查 / 核查测算
	StepVillageReview  = "village_review"  // 民主评议 (identification)
	StepPosting        = "posting"         // 公示
	StepTownshipReview = "township_review" // 乡镇审核
	StepCountyDecision = "county_decision" // 县级审定
)

// Policy parameters the cases read (deploy/policy/defaults.json).
const (
	CaseParamIdentificationLine = "identification.poverty_line_fen_per_year"
	CaseParamExtendedLine       = "identification.extended_line_fen_per_year"
	CaseParamExclusions         = "identification.exclusions"
	CaseParamSurveyMinTeam      = "identification.survey.min_team_size"
	CaseParamSurveyMaxTeam      = "identification.survey.max_team_size"
	CaseParamReviewCutoff       = "identification.review.village_population_cutoff"
	CaseParamReviewMinSmall     = "identification.review.min_representatives_small"
	CaseParamReviewMinLarge     = "identification.review.min_representatives_large"
	CaseParamReviewMinPresent   = "identification.review.min_present_ratio"
	CaseParamReviewPassExceeds  = "identification.review.pass_ratio_exceeds"
	CaseParamPostingDays        = "identification.posting_days"
	CaseParamExitPostingDays    = "identification.exit.posting_days"
)

// PerCapitaIncome gives a household's assessed per-capita net income (人均纯收入) for a calendar year, in
// fen, with the number of members it was divided by. Income assessment implements it; a household with
// no assessment for the year answers with a not-found refusal or zero members, and the case then uses the
// per-capita income its survey recorded.
type PerCapitaIncome interface {
	PerCapitaNet(ctx context.Context, householdID string, year int) (fen int64, members int, err error)
}

// CaseStore is what the cases need of the register; *store.Store implements it. The case trail itself
// is the workflow engine's.
type CaseStore interface {
	InTx(ctx context.Context, fn func(ctx context.Context) error) error
	GetHousehold(ctx context.Context, id string) (*Household, error)
	// UpdateHousehold is the register's one path for changes; it also publishes them on the change feed.
	UpdateHousehold(ctx context.Context, id string, fn func(h *Household) error) (*Household, error)
	Region(ctx context.Context, code string) (*Region, error)
}

// Cases are the identification and exit use cases.
type Cases struct {
	store  CaseStore
	engine *workflow.Engine
	policy workflow.Policy
	income PerCapitaIncome
	now    func() time.Time
}

// NewCases declares identification and exit cases on engine. income may be nil: cases then use the
// per-capita income their survey recorded.
func NewCases(store CaseStore, engine *workflow.Engine, pol workflow.Policy, income PerCapitaIncome, now func() time.Time) (*Cases, error) {
	cs := &Cases{store: store, engine: engine, policy: pol, income: income, now: now}
	identification := workflow.Definition{Kind: KindIdentification, OnePerSubject: true, Steps: []workflow.StepDef{
		{Name: StepApplication},
		{Name: StepSurvey, Guard: cs.surveyGuard, Repeatable: true},
		{Name: StepVillageReview, Guard: cs.villageReviewGuard},
		{Name: StepPosting, Posting: &workflow.PostingRule{MinDaysParameter: CaseParamPostingDays, ReopenAt: StepSurvey,
			Notice: cs.identificationNotice}},
		{Name: StepTownshipReview, Guard: townshipReviewGuard},
		{Name: StepCountyDecision, Guard: cs.identificationDecisionGuard},
	}}
	// The survey may be corrected (recorded again) until the case moves on. Exit: the household's signed
	// consent is part of the survey; the posting starts only when every condition is met, and the county
	// checks them again when it decides.
	exit := workflow.Definition{Kind: KindExit, OnePerSubject: true, Steps: []workflow.StepDef{
		{Name: StepApplication},
		{Name: StepSurvey, Guard: cs.surveyGuard, Repeatable: true},
		{Name: StepPosting, Guard: cs.exitPostingGuard,
			Posting: &workflow.PostingRule{MinDaysParameter: CaseParamExitPostingDays, ReopenAt: StepSurvey, Notice: cs.exitNotice}},
		{Name: StepTownshipReview, Guard: townshipReviewGuard},
		{Name: StepCountyDecision, Guard: cs.exitDecisionGuard},
	}}
	if err := engine.Register(identification, exit); err != nil {
		return nil, err
	}
	return cs, nil
}

// Step data, as stored in the trail (JSON). Fields the rules derive are filled in by the guards.

// Application is the data of the application step.
type Application struct {
	// Year is the year whose income the case assesses.
	Year int `json:"year"`
	// ApplicantPersonID is the member who applied (for exit: who the village proposed with), if recorded.
	ApplicantPersonID string `json:"applicant_person_id,omitempty"`
	// RegistryStatus and HouseholdSize are the household's when the case opened.
	RegistryStatus RegistryStatus `json:"registry_status"`
	HouseholdSize  int            `json:"household_size"`
}

// Survey is the data of the survey step: the team and the facts of the case's kind.
type Survey struct {
	Team      []string         `json:"team"`
	Household *HouseholdSurvey `json:"household,omitempty"`
	Exit      *ExitSurvey      `json:"exit,omitempty"`
	// Policy holds the team-size values the survey was checked against.
	Policy []PolicyUse `json:"policy,omitempty"`
}

// HouseholdSurvey is what 入户核查 establishes for identification.
type HouseholdSurvey struct {
	// PerCapitaIncomeFen is the per-capita net income the team assessed, used when income assessment has
	// no figure for the year.
	PerCapitaIncomeFen       *int64           `json:"per_capita_income_fen,omitempty"`
	HouseSafety              HouseSafetyGrade `json:"house_safety_grade"`
	SafeDrinkingWater        bool             `json:"safe_drinking_water"`
	Dropout                  SchoolDropout    `json:"school_dropout"`
	MajorIllness             bool             `json:"major_illness"`
	ChronicDiseaseHeavyCosts bool             `json:"chronic_disease_heavy_costs"`
	Labour                   HouseholdLabour  `json:"household_labour"`
	Dibao                    DibaoClass       `json:"dibao_class"`
	DispersedDestitute       bool             `json:"dispersed_destitute_support"`
	PoorDisabled             bool             `json:"poor_disabled_household"`
	ThreeGuaranteesUnsolved  bool             `json:"three_guarantees_unsolved"`
	Exclusions               ExclusionFacts   `json:"exclusions"`
}

// ExitSurvey is what 核查测算 establishes for exit: income, 两不愁三保障, drinking water and consent.
type ExitSurvey struct {
	PerCapitaIncomeFen    *int64 `json:"per_capita_income_fen,omitempty"`
	FoodAndClothing       bool   `json:"food_and_clothing"`
	CompulsoryEducation   bool   `json:"compulsory_education"`
	BasicMedicalInsurance bool   `json:"basic_medical_insurance"`
	SafeHousing           bool   `json:"safe_housing"`
	SafeDrinkingWater     bool   `json:"safe_drinking_water"`
	// ConsentSigned: the household agreed to exit and signed (the signed form is among the attachments).
	ConsentSigned bool `json:"consent_signed"`
}

// VillageReview is the data of the village review step (民主评议).
type VillageReview struct {
	ReviewVotes
	// Derived: the village's population and its year, the representatives it needs, and the result.
	Population              int64       `json:"population"`
	PopulationYear          int         `json:"population_year"`
	RequiredRepresentatives int         `json:"required_representatives"`
	Passed                  bool        `json:"passed"`
	Policy                  []PolicyUse `json:"policy"`
}

// TownshipReview is the data of the township review step (乡镇审核); the opinion is the step's note.
type TownshipReview struct {
	Approved bool `json:"approved"`
}

// CountyDecision is the data of the decision step: what was asked and the structured explanation
// (which rule fired, with which inputs, policy values and their hashes).
type CountyDecision struct {
	Approve               bool   `json:"approve"`
	OverrideJustification string `json:"override_justification,omitempty"`
	// Identification: the rule that fired and the 七不准 predicates hit.
	Rule       InclusionRule `json:"rule,omitempty"`
	Exclusions []string      `json:"exclusions,omitempty"`
	// Exit: the conditions not met.
	Unmet []ExitItem `json:"unmet,omitempty"`
	// Summary says in a sentence what the rules found.
	Summary string `json:"summary"`
	// Inputs are the facts the rules read, by name.
	Inputs map[string]string `json:"inputs"`
	// Year is the income year; PolicyDate the business date policy values were taken for.
	Year       int         `json:"year"`
	PolicyDate string      `json:"policy_date"`
	Policy     []PolicyUse `json:"policy"`
}

func (c Caller) wf() workflow.Caller { return workflow.Caller{Actor: c.Actor, Scope: c.Scope} }

// HouseholdOf returns the household id a case is about.
func HouseholdOf(c *workflow.Case) string { return strings.TrimPrefix(c.Subject, "households/") }

// ApplicationOf returns a case's application data.
func ApplicationOf(c *workflow.Case) Application {
	var a Application
	if len(c.Steps) > 0 {
		_ = c.Steps[0].Bind(&a)
	}
	return a
}

// NewCaseInput opens a case: the application (户报) of a household.
type NewCaseInput struct {
	Kind        string
	HouseholdID string
	// Year is the income year assessed; 0 means the year of the application.
	Year              int
	ApplicantPersonID string
	Meta              StepMeta
}

// OpenCase opens an identification case for an ordinary household, or an exit case for a poor one, with
// its application. A household has at most one open case of each kind.
func (cs *Cases) OpenCase(ctx context.Context, c Caller, in NewCaseInput) (*workflow.Case, error) {
	if in.Kind != KindIdentification && in.Kind != KindExit {
		return nil, apperr.Invalid(ReasonInvalidField, "kind", fmt.Sprintf("must be %q or %q", KindIdentification, KindExit))
	}
	var out *workflow.Case
	err := cs.store.InTx(ctx, func(ctx context.Context) error {
		h, err := cs.store.GetHousehold(ctx, in.HouseholdID)
		if err != nil {
			return err
		}
		if err := c.check(h.RegionCode); err != nil {
			return err
		}
		if h.State == HouseholdArchived {
			return ErrArchived
		}
		if err := caseRegistryFits(in.Kind, h); err != nil {
			return err
		}
		app := Application{Year: in.Year, ApplicantPersonID: in.ApplicantPersonID, RegistryStatus: h.Status.Registry, HouseholdSize: h.Size()}
		date := in.Meta.OccurredAt
		if date == "" {
			date = bizdate.Today(cs.now())
		}
		if t, err := bizdate.Parse(date); err == nil {
			if app.Year == 0 {
				app.Year = t.Year()
			}
			if app.Year < 2000 || app.Year > t.Year() {
				return apperr.Invalid(ReasonInvalidField, "year", fmt.Sprintf("must be a year from 2000 to the year of the application (%d)", t.Year()))
			}
		}
		if in.ApplicantPersonID != "" {
			if m := h.Member(in.ApplicantPersonID); m == nil || !m.Current() {
				return apperr.Invalid(ReasonInvalidField, "applicant", "must be a current member of the household")
			}
		}
		first, err := in.Meta.Input(StepApplication, app)
		if err != nil {
			return err
		}
		out, err = cs.engine.Open(ctx, c.wf(), workflow.NewCase{Kind: in.Kind, Subject: "households/" + h.ID,
			RegionCode: h.RegionCode, Registered: h.Registered, First: first})
		return err
	})
	return out, err
}

// caseRegistryFits checks the household's registry status suits the kind of case: identification is for
// ordinary households (一般户), exit for poor (贫困户) or returned (返贫) ones.
func caseRegistryFits(kind string, h *Household) error {
	ok := h.Status.Registry == RegistryOrdinary
	want := "an ordinary household (一般户)"
	if kind == KindExit {
		ok = h.Status.Registry == RegistryPoor || h.Status.Registry == RegistryReturned
		want = "a poor (贫困户) or returned (返贫) household"
	}
	if ok {
		return nil
	}
	return apperr.Refused(ReasonRegistryStatusMismatch, apperr.Violation{Type: "REGISTRY_STATUS", Subject: "households/" + h.ID,
		Description: fmt.Sprintf("a %s case is for %s; the household's registry status is %s", kind, want, caseRegistryName(h.Status.Registry))})
}

func caseRegistryName(s RegistryStatus) string {
	switch s {
	case RegistryOrdinary:
		return "ordinary (一般户)"
	case RegistryPoor:
		return "poor (贫困户)"
	case RegistryExited:
		return "exited (已脱贫)"
	case RegistryReturned:
		return "returned (返贫)"
	}
	return "unspecified"
}

// record runs one engine call in a transaction.
func (cs *Cases) record(ctx context.Context, fn func(ctx context.Context) (*workflow.Case, error)) (*workflow.Case, error) {
	var out *workflow.Case
	err := cs.store.InTx(ctx, func(ctx context.Context) error {
		var err error
		out, err = fn(ctx)
		return err
	})
	return out, err
}

// RecordSurvey records the household survey (入户核查; for exit 核查测算), again after an objection.
func (cs *Cases) RecordSurvey(ctx context.Context, c Caller, id string, m StepMeta, s Survey) (*workflow.Case, error) {
	s.Policy = nil
	in, err := m.Input(StepSurvey, s)
	if err != nil {
		return nil, err
	}
	return cs.record(ctx, func(ctx context.Context) (*workflow.Case, error) { return cs.engine.Record(ctx, c.wf(), id, in) })
}

// RecordVillageReview records the village representatives' review meeting (民主评议). A meeting short of
// quorum is refused; a valid meeting that does not pass ends the case with a refusal.
func (cs *Cases) RecordVillageReview(ctx context.Context, c Caller, id string, m StepMeta, v ReviewVotes) (*workflow.Case, error) {
	in, err := m.Input(StepVillageReview, VillageReview{ReviewVotes: v})
	if err != nil {
		return nil, err
	}
	return cs.record(ctx, func(ctx context.Context) (*workflow.Case, error) { return cs.engine.Record(ctx, c.wf(), id, in) })
}

// StartPosting starts the public posting (公示) on m.OccurredAt.
func (cs *Cases) StartPosting(ctx context.Context, c Caller, id string, m StepMeta) (*workflow.Case, error) {
	in, err := m.Input(StepPosting, nil)
	if err != nil {
		return nil, err
	}
	return cs.record(ctx, func(ctx context.Context) (*workflow.Case, error) { return cs.engine.StartPosting(ctx, c.wf(), id, in) })
}

// FileObjection records an objection (异议) to the running posting; the case goes back to the survey.
func (cs *Cases) FileObjection(ctx context.Context, c Caller, id string, o workflow.ObjectionInput) (*workflow.Case, error) {
	return cs.record(ctx, func(ctx context.Context) (*workflow.Case, error) { return cs.engine.FileObjection(ctx, c.wf(), id, o) })
}

// CompletePosting closes the posting once its minimum period has run.
func (cs *Cases) CompletePosting(ctx context.Context, c Caller, id string, m StepMeta) (*workflow.Case, error) {
	in, err := m.Input(StepPosting, nil)
	if err != nil {
		return nil, err
	}
	return cs.record(ctx, func(ctx context.Context) (*workflow.Case, error) {
		return cs.engine.CompletePosting(ctx, c.wf(), id, in)
	})
}

// RecordTownshipReview records the township's review (乡镇审核). Not approving ends the case with a
// refusal, and needs the opinion in the note.
func (cs *Cases) RecordTownshipReview(ctx context.Context, c Caller, id string, m StepMeta, approved bool) (*workflow.Case, error) {
	in, err := m.Input(StepTownshipReview, TownshipReview{Approved: approved})
	if err != nil {
		return nil, err
	}
	return cs.record(ctx, func(ctx context.Context) (*workflow.Case, error) { return cs.engine.Record(ctx, c.wf(), id, in) })
}

// DecideInput is the county's decision (县级审定).
type DecideInput struct {
	Approve bool
	// OverrideJustification lets an identification be approved despite a 七不准 exclusion.
	OverrideJustification string
}

// Decide records the county's decision. Approval applies the kind's rule (refused when it is not met)
// and, in the same transaction, sets the household's registry status: POOR from the decision date for
// identification, EXITED with the case's year for exit.
func (cs *Cases) Decide(ctx context.Context, c Caller, id string, m StepMeta, d DecideInput) (*workflow.Case, error) {
	in, err := m.Decision(StepCountyDecision, d.Approve, CountyDecision{Approve: d.Approve,
		OverrideJustification: strings.TrimSpace(d.OverrideJustification)})
	if err != nil {
		return nil, err
	}
	return cs.record(ctx, func(ctx context.Context) (*workflow.Case, error) {
		out, err := cs.engine.Record(ctx, c.wf(), id, in)
		if err != nil || out.Decision.Outcome != workflow.OutcomeApproved {
			return out, err
		}
		return out, cs.apply(ctx, c, out)
	})
}

// apply sets the registry status an approved case decides, through the register's update path (which
// publishes the change on the change feed).
func (cs *Cases) apply(ctx context.Context, c Caller, k *workflow.Case) error {
	date := k.Decision.DecidedAt
	year := ApplicationOf(k).Year
	_, err := cs.store.UpdateHousehold(ctx, HouseholdOf(k), func(h *Household) error {
		if h.State == HouseholdArchived {
			return ErrArchived
		}
		if err := caseRegistryFits(k.Kind, h); err != nil {
			return err
		}
		if n := len(h.History); n > 0 && date < h.History[n-1].EffectiveDate {
			return apperr.Invalid(ReasonInvalidField, "occurred_at",
				"is before the household's latest status change ("+h.History[n-1].EffectiveDate+")")
		}
		status, reason := RegistryPoor, "精准识别 建档立卡 "+k.Name()
		h.Status.ExitYear = 0
		if k.Kind == KindExit {
			status, reason = RegistryExited, fmt.Sprintf("脱贫退出 %d %s", year, k.Name())
			h.Status.ExitYear = year
		}
		h.Status.Registry, h.Status.RegistryDate = status, date
		now := cs.now()
		h.History = append(h.History, StatusChange{EffectiveDate: date, Registry: status,
			MonitoringType: h.Status.MonitoringType, MonitoringStatus: h.Status.MonitoringStatus,
			Reason: reason, Actor: c.Actor, RecordTime: now})
		h.UpdateTime = now
		return nil
	})
	return err
}

// WithdrawCase ends an open case without a decision on its merits (撤回/终止), with the reason in the note:
// the household withdraws its application, dies out or moves away, or an exit's conditions will not be met.
func (cs *Cases) WithdrawCase(ctx context.Context, c Caller, id string, m StepMeta) (*workflow.Case, error) {
	in, err := m.Input(workflow.StepWithdrawal, nil)
	if err != nil {
		return nil, err
	}
	return cs.record(ctx, func(ctx context.Context) (*workflow.Case, error) { return cs.engine.Withdraw(ctx, c.wf(), id, in) })
}

// GetCase returns a case the caller may see.
func (cs *Cases) GetCase(ctx context.Context, c Caller, id string) (*workflow.Case, error) {
	return cs.engine.Get(ctx, c.wf(), id)
}

// ListCases lists a page of identification and exit cases in the caller's scope.
func (cs *Cases) ListCases(ctx context.Context, c Caller, filter, after string, limit int) ([]*workflow.Case, string, error) {
	return cs.engine.List(ctx, c.wf(), workflow.ListQuery{Kinds: []string{KindIdentification, KindExit}, Filter: filter,
		After: after, Limit: limit})
}

// Guards: the rules of each step, run by the engine with the case as it stands.

// decode reads a policy value for the case's region on a business date; a value not in force is a
// refusal naming the parameter.
func (cs *Cases) decode(parameter string, k *workflow.Case, date string, into any) (PolicyUse, error) {
	t, err := bizdate.Parse(date)
	if err != nil {
		return PolicyUse{}, err
	}
	v, err := cs.policy.Decode(parameter, k.RegionCode, t, into)
	if errors.Is(err, policy.ErrNotFound) {
		return PolicyUse{}, apperr.Refused(workflow.ReasonPolicyValueMissing, apperr.Violation{Type: workflow.RulePolicyValue,
			Subject: k.Name(), Description: fmt.Sprintf("no value of %s is in force for region %s on %s", parameter, k.RegionCode, date)})
	}
	if err != nil {
		return PolicyUse{}, err
	}
	return casePolicyUse(v), nil
}

// decodeAll reads several parameters on one date.
func (cs *Cases) decodeAll(k *workflow.Case, date string, params map[string]any) ([]PolicyUse, error) {
	var uses []PolicyUse
	for _, p := range slices.Sorted(maps.Keys(params)) {
		u, err := cs.decode(p, k, date, params[p])
		if err != nil {
			return nil, err
		}
		uses = append(uses, u)
	}
	return uses, nil
}

// surveyGuard checks the survey's team against policy and that its facts are those of the case's kind.
func (cs *Cases) surveyGuard(_ context.Context, k *workflow.Case, s *workflow.Step) error {
	var sv Survey
	if err := s.Bind(&sv); err != nil {
		return err
	}
	var bad []apperr.FieldViolation
	switch {
	case k.Kind == KindIdentification && (sv.Household == nil || sv.Exit != nil):
		bad = append(bad, apperr.FieldViolation{Field: "household_survey", Reason: ReasonSurveyKindMismatch,
			Description: "an identification case is surveyed with household_survey"})
	case k.Kind == KindExit && (sv.Exit == nil || sv.Household != nil):
		bad = append(bad, apperr.FieldViolation{Field: "exit_survey", Reason: ReasonSurveyKindMismatch,
			Description: "an exit case is surveyed with exit_survey"})
	case sv.Household != nil:
		bad = append(bad, checkHouseholdSurvey(sv.Household)...)
	}
	var rule TeamRule
	uses, err := cs.decodeAll(k, s.OccurredAt, map[string]any{CaseParamSurveyMinTeam: &rule.Min, CaseParamSurveyMaxTeam: &rule.Max})
	if err != nil {
		return err
	}
	team, fv := rule.Check(sv.Team)
	if fv != nil {
		bad = append([]apperr.FieldViolation{*fv}, bad...)
	}
	if len(bad) > 0 {
		return apperr.InvalidFields(bad...)
	}
	sv.Team, sv.Policy = team, uses
	return s.SetData(sv)
}

// checkHouseholdSurvey reports the facts the inclusion rule needs that a survey left unset.
func checkHouseholdSurvey(h *HouseholdSurvey) []apperr.FieldViolation {
	var bad []apperr.FieldViolation
	need := func(unset bool, field, what string) {
		if unset {
			bad = append(bad, apperr.FieldViolation{Field: "household_survey." + field, Reason: ReasonInvalidField, Description: "is required: " + what})
		}
	}
	need(h.HouseSafety < HouseSafetyA || h.HouseSafety > HouseSafetyD, "house_safety_grade", "the main house's safety grade A–D")
	need(h.Dropout < DropoutNone || h.Dropout > DropoutForDisability, "school_dropout", "whether a compulsory-education child dropped out, and why")
	need(h.Labour < HouseholdLabourAble || h.Labour > HouseholdLabourFullLoss, "household_labour", "the household's labour ability")
	if h.Dibao < DibaoClassUnspecified || h.Dibao > DibaoClassOther {
		need(true, "dibao_class", "a known 低保 class")
	}
	return bad
}

// villageReviewGuard checks the meeting's quorum against the village's population for the year and
// policy, records what it used, and ends the case when the vote does not pass.
func (cs *Cases) villageReviewGuard(ctx context.Context, k *workflow.Case, s *workflow.Step) error {
	var v VillageReview
	if err := s.Bind(&v); err != nil {
		return err
	}
	var bad []apperr.FieldViolation
	if v.Registered < 0 || v.Present < 0 || v.VotesFor < 0 {
		bad = append(bad, apperr.FieldViolation{Field: "registered_representatives", Reason: ReasonInvalidField, Description: "counts cannot be negative"})
	}
	if v.Present > v.Registered {
		bad = append(bad, apperr.FieldViolation{Field: "present", Reason: ReasonInvalidField,
			Description: fmt.Sprintf("%d present is more than the %d registered representatives", v.Present, v.Registered)})
	}
	if v.VotesFor > v.Present {
		bad = append(bad, apperr.FieldViolation{Field: "votes_for", Reason: ReasonInvalidField,
			Description: fmt.Sprintf("%d votes for is more than the %d present", v.VotesFor, v.Present)})
	}
	if len(bad) > 0 {
		return apperr.InvalidFields(bad...)
	}
	region, err := cs.store.Region(ctx, k.RegionCode)
	if err != nil {
		return err
	}
	year, _ := strconv.Atoi(s.OccurredAt[:4])
	pop, popYear, ok := casePopulation(region, year)
	if !ok {
		return apperr.Refused(ReasonPopulationUnknown, apperr.Violation{Type: "VILLAGE_POPULATION", Subject: "regions/" + region.Code,
			Description: fmt.Sprintf("region master data has no population of %s for %d or earlier: the quorum depends on it", region.Code, year)})
	}
	var rule ReviewRule
	uses, err := cs.decodeAll(k, s.OccurredAt, map[string]any{CaseParamReviewCutoff: &rule.PopulationCutoff,
		CaseParamReviewMinSmall: &rule.MinSmall, CaseParamReviewMinLarge: &rule.MinLarge,
		CaseParamReviewMinPresent: &rule.MinPresent, CaseParamReviewPassExceeds: &rule.PassExceeds})
	if err != nil {
		return err
	}
	required, passed, violations := rule.Check(pop, v.ReviewVotes, k.Name())
	if len(violations) > 0 {
		return apperr.Refused(ReasonReviewQuorumNotMet, violations...)
	}
	v.Population, v.PopulationYear, v.RequiredRepresentatives, v.Passed, v.Policy = pop, popYear, required, passed, uses
	if !passed {
		s.Decision = &workflow.Decision{Outcome: workflow.OutcomeRefused, Explanation: fmt.Sprintf(
			"民主评议未通过 (the village review did not pass): %d of %d present voted for; more than %d/%d needed",
			v.VotesFor, v.Present, rule.PassExceeds.Num, rule.PassExceeds.Den)}
	}
	return s.SetData(v)
}

// casePopulation returns the village's population for the year, or the latest year before it.
func casePopulation(r *Region, year int) (int64, int, bool) {
	best := -1
	for i, p := range r.Populations {
		if p.Year <= year && (best < 0 || p.Year > r.Populations[best].Year) {
			best = i
		}
	}
	if best < 0 {
		return 0, 0, false
	}
	return r.Populations[best].Residents, r.Populations[best].Year, true
}

// townshipReviewGuard ends the case when the township does not approve; its opinion is then required.
func townshipReviewGuard(_ context.Context, _ *workflow.Case, s *workflow.Step) error {
	var t TownshipReview
	if err := s.Bind(&t); err != nil {
		return err
	}
	if t.Approved {
		return nil
	}
	if strings.TrimSpace(s.Note) == "" {
		return apperr.Invalid(ReasonInvalidField, "note", "a township review that does not approve must give its opinion")
	}
	s.Decision = &workflow.Decision{Outcome: workflow.OutcomeRefused, Explanation: "乡镇审核未通过 (the township did not approve): " + s.Note}
	return nil
}

// casePolicyDate is the business date whose policy values a decision on date uses for an income year: the
// decision date, but no later than the end of that year (the line "for the year").
func casePolicyDate(date string, year int) string {
	return min(date, fmt.Sprintf("%04d-12-31", year))
}

// perCapita returns the per-capita income the case uses for its year, and where it came from: income
// assessment when wired and it has a figure, else the survey's. known is false when neither has one.
func (cs *Cases) perCapita(ctx context.Context, k *workflow.Case, year int, surveyed *int64, inputs map[string]string) (fen int64, known bool, err error) {
	if cs.income != nil {
		assessed, members, aerr := cs.income.PerCapitaNet(ctx, HouseholdOf(k), year)
		switch {
		case errors.Is(aerr, apperr.NotFound("")):
			// No assessment for the household and year: the survey's figure counts.
		case aerr != nil:
			return 0, false, aerr
		case members > 0:
			inputs["income_source"] = "income_assessment"
			inputs["per_capita_income_fen"] = fmt.Sprint(assessed)
			inputs["income_members"] = fmt.Sprint(members)
			if surveyed != nil {
				inputs["surveyed_per_capita_income_fen"] = fmt.Sprint(*surveyed)
			}
			return assessed, true, nil
		}
	}
	if surveyed == nil {
		inputs["income_source"] = "none"
		return 0, false, nil
	}
	inputs["income_source"] = "survey"
	inputs["per_capita_income_fen"] = fmt.Sprint(*surveyed)
	return *surveyed, true, nil
}

// identificationDecisionGuard applies the inclusion rule and the 七不准 exclusions. Approval needs a rule
// to fire, and an exclusion hit blocks it unless an override justification is recorded. The step keeps
// the explanation: rule, inputs, policy values and hashes.
func (cs *Cases) identificationDecisionGuard(ctx context.Context, k *workflow.Case, s *workflow.Step) error {
	var d CountyDecision
	if err := s.Bind(&d); err != nil {
		return err
	}
	var sv Survey
	if err := k.Latest(StepSurvey).Bind(&sv); err != nil {
		return err
	}
	h := sv.Household
	if h == nil {
		return fmt.Errorf("identification case %s: survey without household facts", k.ID)
	}
	d.Year = ApplicationOf(k).Year
	d.PolicyDate = casePolicyDate(s.OccurredAt, d.Year)
	var lines Lines
	var exclusions []string
	uses, err := cs.decodeAll(k, d.PolicyDate, map[string]any{CaseParamIdentificationLine: &lines.Identification,
		CaseParamExtendedLine: &lines.Extended, CaseParamExclusions: &exclusions})
	if err != nil {
		return err
	}
	d.Policy = uses
	d.Inputs = map[string]string{
		"house_safety_grade": h.HouseSafety.String(), "school_dropout": h.Dropout.String(),
		"major_illness": fmt.Sprint(h.MajorIllness), "chronic_disease_heavy_costs": fmt.Sprint(h.ChronicDiseaseHeavyCosts),
		"household_labour": h.Labour.String(), "dibao_class": h.Dibao.String(),
		"dispersed_destitute_support": fmt.Sprint(h.DispersedDestitute), "poor_disabled_household": fmt.Sprint(h.PoorDisabled),
		"three_guarantees_unsolved": fmt.Sprint(h.ThreeGuaranteesUnsolved),
	}
	income, known, err := cs.perCapita(ctx, k, d.Year, h.PerCapitaIncomeFen, d.Inputs)
	if err != nil {
		return err
	}
	hits, err := ExclusionHits(h.Exclusions, exclusions)
	if err != nil {
		return err
	}
	for _, hit := range hits {
		d.Exclusions = append(d.Exclusions, hit.Code)
	}
	if !known {
		if d.Approve {
			return apperr.Refused(ReasonIncomeUnknown, apperr.Violation{Type: "PER_CAPITA_INCOME", Subject: k.Name(),
				Description: fmt.Sprintf("no per-capita income for %d: income assessment has none and the survey recorded none", d.Year)})
		}
		d.Rule, d.Summary = InclusionUnspecified, "per-capita income unknown; the rule was not applied"
	} else {
		d.Rule, d.Summary = EvaluateInclusion(InclusionFacts{PerCapitaFen: income, Dropout: h.Dropout, HouseSafety: h.HouseSafety,
			MajorIllness: h.MajorIllness, ChronicDiseaseHeavyCosts: h.ChronicDiseaseHeavyCosts, Labour: h.Labour, Dibao: h.Dibao,
			DispersedDestitute: h.DispersedDestitute, PoorDisabled: h.PoorDisabled, ThreeGuaranteesUnsolved: h.ThreeGuaranteesUnsolved}, lines)
	}
	if d.Approve {
		if d.Rule == InclusionNone {
			return apperr.Refused(ReasonInclusionRuleNotMet, apperr.Violation{Type: "INCLUSION_RULE", Subject: k.Name(), Description: d.Summary})
		}
		if len(hits) > 0 && d.OverrideJustification == "" {
			vs := make([]apperr.Violation, len(hits))
			for i, hit := range hits {
				vs[i] = apperr.Violation{Type: "EXCLUSION_" + strings.ToUpper(hit.Code), Subject: k.Name(),
					Description: "七不准: " + hit.Description + "; approval needs an override_justification"}
			}
			return apperr.Refused(ReasonExclusionHit, vs...)
		}
	}
	if len(hits) > 0 {
		d.Summary += "; 七不准 hit: " + strings.Join(d.Exclusions, ", ")
		if d.Approve {
			d.Summary += " (overridden: " + d.OverrideJustification + ")"
		}
	}
	s.Decision.Explanation = caseExplain(d.Approve, d.Summary, s.Note)
	return s.SetData(d)
}

func caseExplain(approve bool, summary, note string) string {
	out := "不予纳入/不予批准 (refused): "
	if approve {
		out = "批准 (approved): "
	}
	out += summary
	if n := strings.TrimSpace(note); n != "" {
		out += " — " + n
	}
	return out
}

// exitEvaluation applies the exit conditions on a date: the unmet items, the inputs and policy used.
func (cs *Cases) exitEvaluation(ctx context.Context, k *workflow.Case, date string) (d CountyDecision, unmet []UnmetExitItem, err error) {
	var sv Survey
	if err := k.Latest(StepSurvey).Bind(&sv); err != nil {
		return d, nil, err
	}
	e := sv.Exit
	if e == nil {
		return d, nil, fmt.Errorf("exit case %s: survey without exit facts", k.ID)
	}
	d.Year = ApplicationOf(k).Year
	d.PolicyDate = casePolicyDate(date, d.Year)
	var line int64
	u, err := cs.decode(CaseParamIdentificationLine, k, d.PolicyDate, &line)
	if err != nil {
		return d, nil, err
	}
	d.Policy = []PolicyUse{u}
	d.Inputs = map[string]string{
		"food_and_clothing": fmt.Sprint(e.FoodAndClothing), "compulsory_education": fmt.Sprint(e.CompulsoryEducation),
		"basic_medical_insurance": fmt.Sprint(e.BasicMedicalInsurance), "safe_housing": fmt.Sprint(e.SafeHousing),
		"safe_drinking_water": fmt.Sprint(e.SafeDrinkingWater), "consent_signed": fmt.Sprint(e.ConsentSigned),
	}
	income, known, err := cs.perCapita(ctx, k, d.Year, e.PerCapitaIncomeFen, d.Inputs)
	if err != nil {
		return d, nil, err
	}
	unmet = EvaluateExit(ExitFacts{PerCapitaFen: income, FoodAndClothing: e.FoodAndClothing, CompulsoryEducation: e.CompulsoryEducation,
		BasicMedicalInsurance: e.BasicMedicalInsurance, SafeHousing: e.SafeHousing, SafeDrinkingWater: e.SafeDrinkingWater,
		ConsentSigned: e.ConsentSigned}, line)
	if !known {
		if len(unmet) > 0 && unmet[0].Item == ExitItemIncome {
			unmet = unmet[1:]
		}
		unmet = append([]UnmetExitItem{{ExitItemIncome, fmt.Sprintf("per-capita income for %d is unknown: income assessment has none and the survey recorded none", d.Year)}}, unmet...)
	}
	var codes []string
	for _, u := range unmet {
		d.Unmet = append(d.Unmet, u.Item)
		codes = append(codes, u.Item.Code())
	}
	if len(unmet) == 0 {
		d.Summary = fmt.Sprintf("per-capita income is at or above the identification line %s; 两不愁三保障 and safe drinking water assured; the household signed", caseYuan(line))
	} else {
		d.Summary = "exit conditions not met: " + strings.Join(codes, ", ")
	}
	return d, unmet, nil
}

func exitUnmetRefusal(k *workflow.Case, unmet []UnmetExitItem) error {
	vs := make([]apperr.Violation, len(unmet))
	for i, u := range unmet {
		vs[i] = apperr.Violation{Type: "EXIT_" + u.Item.Code(), Subject: k.Name(), Description: u.Description}
	}
	return apperr.Refused(ReasonExitConditionsUnmet, vs...)
}

// exitPostingGuard posts a household as exiting only when every exit condition is met.
func (cs *Cases) exitPostingGuard(ctx context.Context, k *workflow.Case, s *workflow.Step) error {
	_, unmet, err := cs.exitEvaluation(ctx, k, s.OccurredAt)
	if err != nil {
		return err
	}
	if len(unmet) > 0 {
		return exitUnmetRefusal(k, unmet)
	}
	return nil
}

// exitDecisionGuard checks the exit conditions again on the decision date; approval needs all of them.
func (cs *Cases) exitDecisionGuard(ctx context.Context, k *workflow.Case, s *workflow.Step) error {
	var asked CountyDecision
	if err := s.Bind(&asked); err != nil {
		return err
	}
	d, unmet, err := cs.exitEvaluation(ctx, k, s.OccurredAt)
	if err != nil {
		return err
	}
	d.Approve, d.OverrideJustification = asked.Approve, asked.OverrideJustification
	if d.Approve && len(unmet) > 0 {
		return exitUnmetRefusal(k, unmet)
	}
	s.Decision.Explanation = caseExplain(d.Approve, d.Summary, s.Note)
	return s.SetData(d)
}

// StepMeta is what every step request carries besides its data (the platform's, shared by all cases).
type StepMeta = workflow.StepMeta
