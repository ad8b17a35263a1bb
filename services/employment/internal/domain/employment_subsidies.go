package domain

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"fupin.dev/services/platform/apperr"
	"fupin.dev/services/platform/bizdate"
	"fupin.dev/services/platform/payroll"
	"fupin.dev/services/platform/policy"
	"fupin.dev/services/platform/workflow"
)

// Employment subsidies (就业补贴) of 人社: the one-off transport subsidy for work outside the county
// (一次性交通补助), the employer's subsidy for keeping a worker from a poor household (吸纳/稳岗补贴) and the
// living allowance for days of training attended (培训生活补贴). Each is an application (申请) → township
// check (乡镇审核) → 人社 approval (人社审批) on the platform's workflow engine; the rules read the labour
// ledger and are evaluated at the check and again at the approval, and the evaluation (facts, policy
// values with their hashes) is kept in the step. An approval grants a one-month payroll entitlement in
// the approval's month, paid by the employment roll of the kind's program; what may be paid only once
// (a transport subsidy per person and year, a retention subsidy per employer and worker, an allowance per
// person and course) holds a key the database keeps unique, claimed in the approval's transaction.

// Kinds of employment-subsidy case, as the workflow engine and List filters name them.
const (
	SubsidyKindTransport = "transport_subsidy"          // 一次性交通补助
	SubsidyKindRetention = "employer_retention_subsidy" // 吸纳/稳岗补贴
	SubsidyKindTraining  = "training_allowance"         // 培训生活补贴
)

// SubsidyKinds are the kinds of employment-subsidy case.
var SubsidyKinds = []string{SubsidyKindTransport, SubsidyKindRetention, SubsidyKindTraining}

// Steps of an employment-subsidy case.
const (
	SubsidyStepApplication   = "application"    // 申请
	SubsidyStepTownshipCheck = "township_check" // 乡镇审核
	SubsidyStepCountyReview  = "county_review"  // 人社审批 (the decision)
)

// Policy parameters of the employment subsidies (deploy/policy/defaults.json).
const (
	// ParamTransportMinMonths is how many consecutive months of work outside the county in the year the
	// transport subsidy needs.
	ParamTransportMinMonths = "employment.transport_subsidy.min_months"
	// ParamTransportBands is the transport subsidy per band, in fen: {"in_province": n, "out_of_province": n}.
	ParamTransportBands = "employment.transport_subsidy.fen_by_band"
	// ParamRetentionMinMonths is how many consecutive months with the employer the retention subsidy needs.
	ParamRetentionMinMonths = "employment.retention_subsidy.min_months"
	// ParamRetentionFen is the retention subsidy per worker, in fen.
	ParamRetentionFen = "employment.retention_subsidy.fen_per_worker"
	// ParamTrainingFenPerDay is the training living allowance per day attended, in fen.
	ParamTrainingFenPerDay = "employment.training_allowance.fen_per_day"
)

// Error reasons of the employment subsidies (fupin.employment.v1.ErrorReason 230–269).
const (
	ReasonSubsidyKindInvalid     = "EMPLOYMENT_SUBSIDY_KIND_INVALID"
	ReasonSubsidyFieldInvalid    = "EMPLOYMENT_SUBSIDY_FIELD_INVALID"
	ReasonSubsidyIneligible      = "EMPLOYMENT_SUBSIDY_INELIGIBLE"
	ReasonSubsidyAlreadyPaid     = "EMPLOYMENT_SUBSIDY_ALREADY_PAID"
	ReasonSubsidyOpinionRequired = "EMPLOYMENT_SUBSIDY_OPINION_REQUIRED"
	ReasonPersonNotOnLedger      = "PERSON_NOT_ON_LABOUR_LEDGER"
)

// Rules of the employment subsidies: the violation types of EMPLOYMENT_SUBSIDY_INELIGIBLE and
// EMPLOYMENT_SUBSIDY_ALREADY_PAID.
const (
	RulePoorHousehold      = "POOR_HOUSEHOLD"        // 脱贫或监测户成员
	RuleAlive              = "ALIVE"                 // not reported dead
	RuleMonthsAway         = "MONTHS_OUTSIDE_COUNTY" // ≥ 3 consecutive months outside the county in the year
	RuleMonthsWithEmployer = "MONTHS_WITH_EMPLOYER"  // ≥ 6 consecutive months with the employer
	RuleDaysAttended       = "DAYS_ATTENDED"         // days attended within the course's days
	RuleOncePerYear        = "ONCE_PER_YEAR"         // one transport subsidy per person and year
	RuleOncePerWorker      = "ONCE_PER_WORKER"       // one retention subsidy per employer and worker
	RuleOncePerCourse      = "ONCE_PER_COURSE"       // one allowance per person and course
)

// TransportBand is the band of the transport subsidy. Numbers equal fupin.employment.v1.TransportBand.
type TransportBand int32

// Transport bands.
const (
	TransportBandNone          TransportBand = iota
	TransportBandInProvince                  // 县外省内
	TransportBandOutOfProvince               // 省外
)

// TransportBands is the policy table of the transport subsidy.
type TransportBands struct {
	InProvinceFen    int64 `json:"in_province"`
	OutOfProvinceFen int64 `json:"out_of_province"`
}

// Fen is the amount of a band.
func (b TransportBands) Fen(band TransportBand) int64 {
	switch band {
	case TransportBandInProvince:
		return b.InProvinceFen
	case TransportBandOutOfProvince:
		return b.OutOfProvinceFen
	}
	return 0
}

// SubsidyProgram is the payroll program of a kind of employment subsidy.
func SubsidyProgram(kind string) (payroll.Program, bool) {
	switch kind {
	case SubsidyKindTransport:
		return payroll.ProgramTransportSubsidy, true
	case SubsidyKindRetention:
		return payroll.ProgramEmployerRetentionSubsidy, true
	case SubsidyKindTraining:
		return payroll.ProgramTrainingAllowance, true
	}
	return payroll.ProgramUnspecified, false
}

// SubsidyApplication is the data of the application step: who applies and for what.
type SubsidyApplication struct {
	// PersonID is the worker (transport, training) or the worker kept (retention).
	PersonID    string `json:"person_id"`
	HouseholdID string `json:"household_id"`
	// Year is the year the transport subsidy is for (the application's).
	Year string `json:"year,omitempty"`
	// EmployerCode and EmployerName are the employer applying for the retention subsidy.
	EmployerCode string `json:"employer_code,omitempty"`
	EmployerName string `json:"employer_name,omitempty"`
	// Course, Provider, StartDate, EndDate and DaysAttended describe the training.
	Course       string `json:"course,omitempty"`
	Provider     string `json:"provider,omitempty"`
	StartDate    string `json:"start_date,omitempty"`
	EndDate      string `json:"end_date,omitempty"`
	DaysAttended int    `json:"days_attended,omitempty"`
}

// Key is what may be paid only once: the kind with its person and year, employer or course.
func (a SubsidyApplication) Key(kind string) string {
	switch kind {
	case SubsidyKindTransport:
		return kind + "/" + a.PersonID + "/" + a.Year
	case SubsidyKindRetention:
		return kind + "/" + a.EmployerCode + "/" + a.PersonID
	default:
		return kind + "/" + a.PersonID + "/" + a.StartDate + "/" + strings.ToLower(a.Course)
	}
}

// validate checks an application's own fields for its kind, all at once.
func (a *SubsidyApplication) validate(kind string) error {
	var fs []apperr.FieldViolation
	bad := func(field, desc string) {
		fs = append(fs, apperr.FieldViolation{Field: field, Reason: ReasonSubsidyFieldInvalid, Description: desc})
	}
	if a.PersonID == "" {
		bad("person_id", "the worker's person id is required")
	}
	switch kind {
	case SubsidyKindRetention:
		a.EmployerCode = strings.ToUpper(strings.TrimSpace(a.EmployerCode))
		a.EmployerName = strings.TrimSpace(a.EmployerName)
		if !payroll.ValidCreditCode(a.EmployerCode) {
			bad("employer.credit_code", "the employer's unified social credit code (18 characters, GB 32100 check character)")
		}
		if a.EmployerName == "" || utf8.RuneCountInString(a.EmployerName) > 100 {
			bad("employer.display_name", "the employer's name is required, at most 100 characters")
		}
	case SubsidyKindTraining:
		a.Course, a.Provider = strings.TrimSpace(a.Course), strings.TrimSpace(a.Provider)
		if a.Course == "" || utf8.RuneCountInString(a.Course) > 100 {
			bad("training.course", "the course's name is required, at most 100 characters")
		}
		if a.Provider == "" || utf8.RuneCountInString(a.Provider) > 100 {
			bad("training.provider", "the training provider is required, at most 100 characters")
		}
		_, errStart := bizdate.Parse(a.StartDate)
		_, errEnd := bizdate.Parse(a.EndDate)
		if errStart != nil {
			bad("training.start_date", "a date YYYY-MM-DD")
		}
		if errEnd != nil || (errStart == nil && a.EndDate < a.StartDate) {
			bad("training.end_date", "a date YYYY-MM-DD, not before start_date")
		}
		if a.DaysAttended <= 0 {
			bad("training.days_attended", "the days attended, at least 1")
		}
	}
	if len(fs) > 0 {
		return apperr.InvalidFields(fs...)
	}
	return nil
}

// SubsidyFacts are what the rules read about an application on one date.
type SubsidyFacts struct {
	// Date is the business date the rules are evaluated for (the step's).
	Date   string
	Person *WorkPerson
	// Spells are the person's spells over the window the kind looks at (the year for transport, three
	// years for retention).
	Spells []WorkSpell
	// Policy values in force on the application date.
	TransportMinMonths int
	Transport          TransportBands
	RetentionMinMonths int
	RetentionFen       int64
	TrainingFenPerDay  int64
}

// SubsidyEligibility is an evaluation of the rules with its explanation.
type SubsidyEligibility struct {
	Eligible bool `json:"eligible"`
	// Unmet lists the rules not met.
	Unmet []string `json:"unmet,omitempty"`
	// Summary says in a sentence what the rules found.
	Summary string `json:"summary"`
	// Inputs are the facts read, by name.
	Inputs map[string]string `json:"inputs"`
	// Months is the stretch of months the rule counted (transport, retention); Band the transport band.
	Months    int           `json:"months,omitempty"`
	Band      TransportBand `json:"band,omitempty"`
	AmountFen int64         `json:"amount_fen"`
	Date      string        `json:"date"`
	// PolicyDate is the date policy was read for (the application's); Policy the values used.
	PolicyDate string         `json:"policy_date"`
	Policy     []policy.Value `json:"policy"`
}

// EvaluateSubsidy applies the rules of a kind of employment subsidy to an application and the facts.
// Every kind needs a living person from a 脱贫/监测 household. Transport: at least the policy's consecutive
// months of work outside the county (务工状况 03 or 04) in the application's year up to its month; the band
// is 省外 when the months 省外 alone reach the minimum, 县外省内 otherwise. Retention: at least the
// policy's consecutive months employed by the applicant employer, ending by the application's month.
// Training: the days attended within the course's calendar days, paid per day.
func EvaluateSubsidy(kind string, a SubsidyApplication, f SubsidyFacts) SubsidyEligibility {
	e := SubsidyEligibility{Date: f.Date, Inputs: map[string]string{}}
	var found []string
	if p := f.Person; p == nil || !p.Poor {
		e.Unmet = append(e.Unmet, RulePoorHousehold)
		found = append(found, "the household is neither 脱贫 nor 监测")
	} else {
		found = append(found, "a member of a 脱贫/监测 household")
	}
	e.Inputs["poor_household"] = fmt.Sprint(f.Person != nil && f.Person.Poor)
	if f.Person != nil && f.Person.Dead {
		e.Unmet = append(e.Unmet, RuleAlive)
		found = append(found, "reported dead")
	}
	month := payroll.MonthOf(f.Date)
	switch kind {
	case SubsidyKindTransport:
		first := month[:4] + "-01"
		away := monthsCovered(f.Spells, first, month, func(s WorkSpell) bool { return s.Away != WorkAwayNone })
		far := monthsCovered(f.Spells, first, month, func(s WorkSpell) bool { return s.Away == WorkAwayOutOfProvince })
		n, end := longestRun(away)
		nFar, _ := longestRun(far)
		e.Months = n
		e.Inputs["months_outside_county"] = fmt.Sprint(n)
		e.Inputs["months_out_of_province"] = fmt.Sprint(nFar)
		if n < f.TransportMinMonths {
			e.Unmet = append(e.Unmet, RuleMonthsAway)
			found = append(found, fmt.Sprintf("%d consecutive months outside the county from %s to %s, fewer than %d", n, first, month, f.TransportMinMonths))
		} else {
			e.Band = TransportBandInProvince
			if nFar >= f.TransportMinMonths {
				e.Band = TransportBandOutOfProvince
			}
			e.AmountFen = f.Transport.Fen(e.Band)
			found = append(found, fmt.Sprintf("%d consecutive months outside the county up to %s (%s)", n, end, bandName(e.Band)))
		}
	case SubsidyKindRetention:
		first := payroll.AddMonths(month, -35)
		with := monthsCovered(f.Spells, first, month, func(s WorkSpell) bool { return s.At(a.EmployerCode, a.EmployerName) })
		n, end := longestRun(with)
		e.Months = n
		e.Inputs["employer_code"] = a.EmployerCode
		e.Inputs["months_with_employer"] = fmt.Sprint(n)
		if n < f.RetentionMinMonths {
			e.Unmet = append(e.Unmet, RuleMonthsWithEmployer)
			found = append(found, fmt.Sprintf("%d consecutive months with the employer by %s, fewer than %d", n, month, f.RetentionMinMonths))
		} else {
			e.AmountFen = f.RetentionFen
			found = append(found, fmt.Sprintf("%d consecutive months with the employer up to %s", n, end))
		}
	case SubsidyKindTraining:
		days := 0
		if d, err := bizdate.DaysAfter(a.StartDate, a.EndDate); err == nil {
			days = d + 1
		}
		e.Inputs["course_days"] = fmt.Sprint(days)
		e.Inputs["days_attended"] = fmt.Sprint(a.DaysAttended)
		if a.DaysAttended < 1 || a.DaysAttended > days {
			e.Unmet = append(e.Unmet, RuleDaysAttended)
			found = append(found, fmt.Sprintf("%d days attended of a %d-day course", a.DaysAttended, days))
		} else {
			e.AmountFen = int64(a.DaysAttended) * f.TrainingFenPerDay
			found = append(found, fmt.Sprintf("%d days attended of a %d-day course at %d fen a day", a.DaysAttended, days, f.TrainingFenPerDay))
		}
	}
	e.Eligible = len(e.Unmet) == 0
	if !e.Eligible {
		e.AmountFen, e.Band = 0, TransportBandNone
	}
	verdict := "eligible"
	if !e.Eligible {
		verdict = "not eligible: " + strings.Join(e.Unmet, ", ")
	}
	e.Summary = fmt.Sprintf("%s on %s: %s", verdict, f.Date, strings.Join(found, "; "))
	return e
}

func bandName(b TransportBand) string {
	switch b {
	case TransportBandInProvince:
		return "县外省内"
	case TransportBandOutOfProvince:
		return "省外"
	}
	return "none"
}

// violations are the PreconditionFailure violations of an evaluation that did not pass.
func (e SubsidyEligibility) violations(subject string) []apperr.Violation {
	desc := map[string]string{
		RulePoorHousehold:      "the person's household is neither 脱贫 nor 监测 in " + payroll.MonthOf(e.Date),
		RuleAlive:              "the register reports the person dead",
		RuleMonthsAway:         fmt.Sprintf("%s consecutive months of work outside the county this year; %s needs more", e.Inputs["months_outside_county"], ParamTransportMinMonths),
		RuleMonthsWithEmployer: fmt.Sprintf("%s consecutive months with the employer; %s needs more", e.Inputs["months_with_employer"], ParamRetentionMinMonths),
		RuleDaysAttended:       fmt.Sprintf("%s days attended of a %s-day course", e.Inputs["days_attended"], e.Inputs["course_days"]),
	}
	var vs []apperr.Violation
	for _, r := range e.Unmet {
		vs = append(vs, apperr.Violation{Type: r, Subject: subject, Description: desc[r]})
	}
	return vs
}

// SubsidyReview is the data of the township check and of the approval.
type SubsidyReview struct {
	Approved    bool               `json:"approved"`
	Eligibility SubsidyEligibility `json:"eligibility"`
}

// SubsidyStore is what the employment subsidies need of the service's records; *store.Store implements it.
type SubsidyStore interface {
	payroll.EntitlementStore
	InTx(ctx context.Context, fn func(ctx context.Context) error) error
	// SubsidyKeyHolder returns the case that holds a once-only key ("" when none).
	SubsidyKeyHolder(ctx context.Context, key string) (string, error)
	// ClaimSubsidyKey records that caseID holds key; a key held already is apperr ALREADY_EXISTS.
	ClaimSubsidyKey(ctx context.Context, key, caseID string, now time.Time) error
}

// EmploymentSubsidy is an application with what the roll was given for it.
type EmploymentSubsidy struct {
	Case        *workflow.Case
	Application SubsidyApplication
	// Entitlement is the one the approval granted (nil before).
	Entitlement *payroll.Entitlement
}

// EmploymentSubsidies are the employment-subsidy use cases.
type EmploymentSubsidies struct {
	store  SubsidyStore
	ledger WorkLedger
	engine *workflow.Engine
	policy workflow.Policy
	newID  func() string
	now    func() time.Time
}

// NewEmploymentSubsidies declares the employment-subsidy cases on engine.
func NewEmploymentSubsidies(store SubsidyStore, ledger WorkLedger, engine *workflow.Engine, pol workflow.Policy,
	newID func() string, now func() time.Time) (*EmploymentSubsidies, error) {
	es := &EmploymentSubsidies{store: store, ledger: ledger, engine: engine, policy: pol, newID: newID, now: now}
	for _, kind := range SubsidyKinds {
		err := engine.Register(workflow.Definition{Kind: kind, OnePerSubject: true, Steps: []workflow.StepDef{
			{Name: SubsidyStepApplication},
			{Name: SubsidyStepTownshipCheck, Guard: es.guard},
			{Name: SubsidyStepCountyReview, Guard: es.guard},
		}})
		if err != nil {
			return nil, err
		}
	}
	return es, nil
}

// HouseholdMoved carries the open applications of the household's members to its new village (the
// register's move, as the ledger follows it), so the new township checks them; a decided application keeps
// the village it was decided in. Nothing is paid differently: an approval's one-month entitlement takes
// the case's village. A death needs nothing here: an open application fails rule ALIVE at its next step,
// and an approval's single month is the month of its decision.
func (es *EmploymentSubsidies) HouseholdMoved(ctx context.Context, householdID, regionCode string) error {
	persons, err := es.ledger.HouseholdPersons(ctx, householdID)
	if err != nil {
		return err
	}
	county := workflow.Caller{Actor: "system:register", Scope: ""}
	for _, p := range persons {
		for _, kind := range SubsidyKinds {
			k, ok, err := es.engine.OpenCase(ctx, county, kind, subsidySubject(p))
			if err != nil {
				return err
			}
			if !ok {
				continue
			}
			if _, err := es.engine.SetRegion(ctx, k.ID, regionCode); err != nil {
				return fmt.Errorf("move %s case %s: %w", kind, k.ID, err)
			}
		}
	}
	return nil
}

// EmploymentSubsidySource is the Entitlement.Source of an approved application.
func EmploymentSubsidySource(id string) string { return "employmentSubsidies/" + id }

// subject is what a case is about: the worker.
func subsidySubject(personID string) string { return "persons/" + personID }

// Apply opens an application dated m.OccurredAt (today when empty). The person must be on the labour
// ledger; what may be paid only once and was paid already is refused at once; a person has at most one
// open application of each kind.
func (es *EmploymentSubsidies) Apply(ctx context.Context, by workflow.Caller, kind string, a SubsidyApplication, m workflow.StepMeta) (*EmploymentSubsidy, error) {
	if _, ok := SubsidyProgram(kind); !ok {
		return nil, apperr.Invalid(ReasonSubsidyKindInvalid, "kind", "the transport subsidy, the employer retention subsidy or the training allowance")
	}
	if err := a.validate(kind); err != nil {
		return nil, err
	}
	date := m.Date(es.now())
	if _, err := bizdate.Parse(date); err != nil {
		return nil, apperr.Invalid(ReasonSubsidyFieldInvalid, "occurred_at", "a date YYYY-MM-DD")
	}
	a.Year = date[:4]
	if kind != SubsidyKindTransport {
		a.Year = ""
	}
	var out *EmploymentSubsidy
	err := es.store.InTx(ctx, func(ctx context.Context) error {
		p, err := es.ledger.WorkPerson(ctx, a.PersonID, payroll.MonthOf(date))
		if e, ok := apperr.As(err); ok && e.Kind == apperr.KindNotFound {
			return apperr.Invalid(ReasonPersonNotOnLedger, "person_id", "the person is not on the labour ledger")
		}
		if err != nil {
			return err
		}
		if !strings.HasPrefix(p.RegionCode, by.Scope) {
			return apperr.Invalid(ReasonPersonNotOnLedger, "person_id", "the person is not on the labour ledger in the caller's region scope")
		}
		a.HouseholdID = p.HouseholdID
		if err := es.notPaid(ctx, kind, a); err != nil {
			return err
		}
		first, err := m.Input(SubsidyStepApplication, a)
		if err != nil {
			return err
		}
		k, err := es.engine.Open(ctx, by, workflow.NewCase{Kind: kind, Subject: subsidySubject(a.PersonID),
			RegionCode: p.RegionCode, Registered: p.Registered, First: first})
		if err != nil {
			return err
		}
		out = &EmploymentSubsidy{Case: k, Application: a}
		return nil
	})
	return out, err
}

// notPaid refuses an application whose once-only key an approved application holds.
func (es *EmploymentSubsidies) notPaid(ctx context.Context, kind string, a SubsidyApplication) error {
	holder, err := es.store.SubsidyKeyHolder(ctx, a.Key(kind))
	if err != nil || holder == "" {
		return err
	}
	rule, desc := RuleOncePerCourse, "the allowance for this course was paid already"
	switch kind {
	case SubsidyKindTransport:
		rule, desc = RuleOncePerYear, "the person's transport subsidy for "+a.Year+" was paid already"
	case SubsidyKindRetention:
		rule, desc = RuleOncePerWorker, "the employer's retention subsidy for this worker was paid already"
	}
	return apperr.Refused(ReasonSubsidyAlreadyPaid, apperr.Violation{Type: rule, Subject: subsidySubject(a.PersonID),
		Description: fmt.Sprintf("%s (cases/%s)", desc, holder)})
}

// Check records the township's check (乡镇审核). Passing needs the rules to hold on its date; not passing
// ends the application, refused, with the township's opinion in the note.
func (es *EmploymentSubsidies) Check(ctx context.Context, by workflow.Caller, id string, m workflow.StepMeta, approved bool) (*EmploymentSubsidy, error) {
	in, err := m.Input(SubsidyStepTownshipCheck, SubsidyReview{Approved: approved})
	if err != nil {
		return nil, err
	}
	return es.record(ctx, by, id, func(ctx context.Context) (*workflow.Case, error) {
		return es.engine.Record(ctx, by, id, in)
	})
}

// Review records 人社's approval (人社审批), the decision. Approval needs the rules to hold again and
// grants, in the same transaction, the once-only key and a one-month entitlement in the approval's month.
func (es *EmploymentSubsidies) Review(ctx context.Context, by workflow.Caller, id string, m workflow.StepMeta, approved bool) (*EmploymentSubsidy, error) {
	in, err := m.Decision(SubsidyStepCountyReview, approved, SubsidyReview{Approved: approved})
	if err != nil {
		return nil, err
	}
	in.Decision.Explanation = strings.TrimSpace(m.Note)
	return es.record(ctx, by, id, func(ctx context.Context) (*workflow.Case, error) {
		k, err := es.engine.Record(ctx, by, id, in)
		if err != nil || k.Decision.Outcome != workflow.OutcomeApproved {
			return k, err
		}
		return k, es.grant(ctx, k)
	})
}

// Withdraw ends an open application without a decision (撤回); the note says why.
func (es *EmploymentSubsidies) Withdraw(ctx context.Context, by workflow.Caller, id string, m workflow.StepMeta) (*EmploymentSubsidy, error) {
	in, err := m.Input(workflow.StepWithdrawal, nil)
	if err != nil {
		return nil, err
	}
	return es.record(ctx, by, id, func(ctx context.Context) (*workflow.Case, error) {
		return es.engine.Withdraw(ctx, by, id, in)
	})
}

// grant claims the key and grants the entitlement of an approved application.
func (es *EmploymentSubsidies) grant(ctx context.Context, k *workflow.Case) error {
	a := es.application(k)
	var r SubsidyReview
	if err := k.Latest(SubsidyStepCountyReview).Bind(&r); err != nil {
		return err
	}
	now := es.now()
	if err := es.notPaid(ctx, k.Kind, a); err != nil {
		return err
	}
	if err := es.store.ClaimSubsidyKey(ctx, a.Key(k.Kind), k.ID, now); err != nil {
		return err
	}
	program, _ := SubsidyProgram(k.Kind)
	month := payroll.MonthOf(k.Decision.DecidedAt)
	e := &payroll.Entitlement{ID: es.newID(), Program: program, Beneficiary: "persons/" + a.PersonID, HouseholdID: a.HouseholdID,
		PersonID: a.PersonID, RegionCode: k.RegionCode, Source: EmploymentSubsidySource(k.ID), FromMonth: month, ToMonth: month,
		AmountFen: r.Eligibility.AmountFen, Covered: 1, Reason: r.Eligibility.Summary, CreateTime: now, UpdateTime: now}
	if k.Kind == SubsidyKindRetention {
		// Paid to the employer; the worker stays out of the entitlement so that the worker's death or move
		// does not touch what the employer earned.
		e.Beneficiary, e.HouseholdID, e.PersonID = payroll.OrganisationBeneficiary(a.EmployerCode), "", ""
	}
	return es.store.GrantEntitlement(ctx, e)
}

// record runs one engine call on an application of this area in a transaction and returns the result.
func (es *EmploymentSubsidies) record(ctx context.Context, by workflow.Caller, id string, fn func(ctx context.Context) (*workflow.Case, error)) (*EmploymentSubsidy, error) {
	var out *EmploymentSubsidy
	err := es.store.InTx(ctx, func(ctx context.Context) error {
		if _, err := es.get(ctx, by, id); err != nil {
			return err
		}
		k, err := fn(ctx)
		if err != nil {
			return err
		}
		out, err = es.view(ctx, k)
		return err
	})
	return out, err
}

// get returns a case of this area in the caller's scope; a case of another area is not found here.
func (es *EmploymentSubsidies) get(ctx context.Context, by workflow.Caller, id string) (*workflow.Case, error) {
	k, err := es.engine.Get(ctx, by, id)
	if err != nil {
		return nil, err
	}
	if _, ok := SubsidyProgram(k.Kind); !ok {
		return nil, apperr.NotFound("employment subsidy")
	}
	return k, nil
}

// view adds the application's data and its entitlement to a case.
func (es *EmploymentSubsidies) view(ctx context.Context, k *workflow.Case) (*EmploymentSubsidy, error) {
	d := &EmploymentSubsidy{Case: k, Application: es.application(k)}
	if k.Decision != nil && k.Decision.Outcome == workflow.OutcomeApproved {
		ents, err := es.store.EntitlementsBySource(ctx, EmploymentSubsidySource(k.ID))
		if err != nil {
			return nil, err
		}
		if len(ents) > 0 {
			d.Entitlement = ents[len(ents)-1]
		}
	}
	return d, nil
}

func (es *EmploymentSubsidies) application(k *workflow.Case) SubsidyApplication {
	var a SubsidyApplication
	if len(k.Steps) > 0 {
		_ = k.Steps[0].Bind(&a)
	}
	return a
}

// Get returns an application in the caller's scope.
func (es *EmploymentSubsidies) Get(ctx context.Context, by workflow.Caller, id string) (*EmploymentSubsidy, error) {
	k, err := es.get(ctx, by, id)
	if err != nil {
		return nil, err
	}
	return es.view(ctx, k)
}

// List lists a page of applications in the caller's scope.
func (es *EmploymentSubsidies) List(ctx context.Context, by workflow.Caller, filter, after string, limit int) ([]*EmploymentSubsidy, string, error) {
	ks, next, err := es.engine.List(ctx, by, workflow.ListQuery{Kinds: SubsidyKinds, Filter: filter, After: after, Limit: limit})
	if err != nil {
		return nil, "", err
	}
	out := make([]*EmploymentSubsidy, 0, len(ks))
	for _, k := range ks {
		d, err := es.view(ctx, k)
		if err != nil {
			return nil, "", err
		}
		out = append(out, d)
	}
	return out, next, nil
}

// guard evaluates the rules at the township check and at the approval, keeps the evaluation in the step,
// and refuses to pass an ineligible application. Not passing needs an opinion and ends the case.
func (es *EmploymentSubsidies) guard(ctx context.Context, k *workflow.Case, s *workflow.Step) error {
	var r SubsidyReview
	if err := s.Bind(&r); err != nil {
		return err
	}
	a := es.application(k)
	e, err := es.evaluate(ctx, k.Kind, a, k.Steps[0].OccurredAt, s.OccurredAt, k.RegionCode)
	if err != nil {
		return err
	}
	r.Eligibility = e
	if r.Approved && !e.Eligible {
		return apperr.Refused(ReasonSubsidyIneligible, e.violations(subsidySubject(a.PersonID))...)
	}
	if r.Approved {
		if err := es.notPaid(ctx, k.Kind, a); err != nil {
			return err
		}
	} else {
		if strings.TrimSpace(s.Note) == "" {
			return apperr.Invalid(ReasonSubsidyOpinionRequired, "note", "a refusal needs the opinion in the note")
		}
		s.Decision = &workflow.Decision{Outcome: workflow.OutcomeRefused, Explanation: strings.TrimSpace(s.Note)}
	}
	return s.SetData(r)
}

// evaluate reads the facts and policy for an application: the ledger on the step's date, policy on the
// application's date (what the applicant applied under).
func (es *EmploymentSubsidies) evaluate(ctx context.Context, kind string, a SubsidyApplication, applied, date, region string) (SubsidyEligibility, error) {
	month := payroll.MonthOf(applied)
	f := SubsidyFacts{Date: applied}
	p, err := es.ledger.WorkPerson(ctx, a.PersonID, payroll.MonthOf(date))
	if err != nil && !isNotFound(err) {
		return SubsidyEligibility{}, err
	}
	f.Person = p
	var vals []policy.Value
	var from string
	switch kind {
	case SubsidyKindTransport:
		from = month[:4] + "-01"
		n, v, err := decodeInt[int](es.policy, ParamTransportMinMonths, region, applied)
		if err != nil {
			return SubsidyEligibility{}, err
		}
		f.TransportMinMonths = n
		v2, err := decodeJSON(es.policy, ParamTransportBands, region, applied, &f.Transport)
		if err != nil {
			return SubsidyEligibility{}, err
		}
		vals = append(vals, v, v2)
	case SubsidyKindRetention:
		from = payroll.AddMonths(month, -35)
		n, v, err := decodeInt[int](es.policy, ParamRetentionMinMonths, region, applied)
		if err != nil {
			return SubsidyEligibility{}, err
		}
		fen, v2, err := decodeInt[int64](es.policy, ParamRetentionFen, region, applied)
		if err != nil {
			return SubsidyEligibility{}, err
		}
		f.RetentionMinMonths, f.RetentionFen = n, fen
		vals = append(vals, v, v2)
	case SubsidyKindTraining:
		fen, v, err := decodeInt[int64](es.policy, ParamTrainingFenPerDay, region, applied)
		if err != nil {
			return SubsidyEligibility{}, err
		}
		f.TrainingFenPerDay = fen
		vals = append(vals, v)
	}
	if from != "" {
		f.Spells, err = es.ledger.SpellsOfPerson(ctx, a.PersonID, from, month)
		if err != nil {
			return SubsidyEligibility{}, err
		}
	}
	e := EvaluateSubsidy(kind, a, f)
	e.Date, e.PolicyDate, e.Policy = date, applied, vals
	return e, nil
}

func isNotFound(err error) bool {
	e, ok := apperr.As(err)
	return ok && e.Kind == apperr.KindNotFound
}

// decodeJSON reads a structured policy value, a missing one refused as the engine refuses it.
func decodeJSON(pol workflow.Policy, parameter, region, date string, into any) (policy.Value, error) {
	d, err := bizdate.Parse(date)
	if err != nil {
		return policy.Value{}, err
	}
	val, err := pol.Decode(parameter, region, d, into)
	if errors.Is(err, policy.ErrNotFound) {
		return val, apperr.Refused(workflow.ReasonPolicyValueMissing, apperr.Violation{Type: workflow.RulePolicyValue,
			Subject: parameter, Description: fmt.Sprintf("no value of %s for %s on %s", parameter, region, date)})
	}
	return val, err
}
