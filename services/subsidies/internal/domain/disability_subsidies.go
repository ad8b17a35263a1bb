package domain

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"fupin.dev/services/platform/apperr"
	"fupin.dev/services/platform/bizdate"
	"fupin.dev/services/platform/policy"
	"fupin.dev/services/platform/workflow"
)

// The 两项补贴 of 残联: the living subsidy for certificate holders in 低保 households (困难残疾人生活补贴)
// and the care subsidy for the severely disabled (重度残疾人护理补贴). Each application is a case on the
// platform's workflow engine: application (申请) → township first check (乡镇初审) → 残联 review
// (残联审核), which decides. The rules are evaluated at the check and again at the review, and the
// evaluation, with the facts and policy values it read, is kept in the step. An approval grants the
// Entitlement the payment roll pays; a revoked or moved certificate, a death or a move out of the
// register ends it.

// Kinds of 两项补贴 case, as the workflow engine and List filters name them.
const (
	DisabilitySubsidyKindLiving = "living_subsidy" // 困难残疾人生活补贴
	DisabilitySubsidyKindCare   = "care_subsidy"   // 重度残疾人护理补贴
)

// Steps of a 两项补贴 case.
const (
	DisabilitySubsidyStepApplication   = "application"    // 申请
	DisabilitySubsidyStepTownshipCheck = "township_check" // 乡镇初审
	DisabilitySubsidyStepCountyReview  = "county_review"  // 残联审核 (the decision)
)

// Policy parameters of the 两项补贴 (deploy/policy/defaults.json).
const (
	// ParamLivingSubsidyFen is the living subsidy per month, in fen.
	ParamLivingSubsidyFen = "subsidies.living_subsidy.fen_per_month"
	// ParamCareSubsidyAmounts is the care subsidy table: which categories and grades qualify, and the
	// amount per month of each (CareSubsidyTable).
	ParamCareSubsidyAmounts = "subsidies.care_subsidy.amounts"
)

// Rules of the 两项补贴, the violation types of DISABILITY_SUBSIDY_INELIGIBLE.
const (
	RuleValidCertificate = "VALID_CERTIFICATE" // 持有有效残疾人证
	RuleCareGrade        = "CARE_GRADE"        // 类别、等级在护理补贴范围内
	RuleDibaoHousehold   = "DIBAO_HOUSEHOLD"   // 所在家庭享受低保
	RuleOneSubsidy       = "ONE_SUBSIDY_PER_PERSON"
)

// DisabilitySubsidyProgram is the payment program of a kind of 两项补贴 case.
func DisabilitySubsidyProgram(kind string) (Program, bool) {
	switch kind {
	case DisabilitySubsidyKindLiving:
		return ProgramLivingSubsidy, true
	case DisabilitySubsidyKindCare:
		return ProgramCareSubsidy, true
	}
	return ProgramUnspecified, false
}

// CareSubsidyRow is one row of the care subsidy table: a category (0 for any, written "*") and a grade,
// with the amount per month in fen.
type CareSubsidyRow struct {
	Category int
	Grade    int
	Fen      int64
}

// careSubsidyRowJSON is a row as policy writes it: {"category": "*" or 1-7, "grade": 1-4, "fen": n}.
type careSubsidyRowJSON struct {
	Category json.RawMessage `json:"category"`
	Grade    int             `json:"grade"`
	Fen      int64           `json:"fen"`
}

// UnmarshalJSON reads a row, category "*" meaning any category.
func (r *CareSubsidyRow) UnmarshalJSON(b []byte) error {
	var j careSubsidyRowJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	r.Grade, r.Fen = j.Grade, j.Fen
	switch cat := string(bytes.TrimSpace(j.Category)); cat {
	case `"*"`:
		r.Category = 0
	default:
		n, err := strconv.Atoi(strings.Trim(cat, `"`))
		if err != nil || n < 1 || n > 7 {
			return fmt.Errorf("care subsidy row: category must be \"*\" or 1-7, got %s", cat)
		}
		r.Category = n
	}
	if r.Grade < 1 || r.Grade > 4 || r.Fen < 0 {
		return fmt.Errorf("care subsidy row: grade must be 1-4 and fen not negative, got grade %d fen %d", r.Grade, r.Fen)
	}
	return nil
}

// CareSubsidyTable is the care subsidy's policy table. A certificate qualifies when a row has its grade
// and its category or "*"; a row naming the category wins over "*", so a county can pay grade 3
// intellectual and mental disabilities (some do) without paying every grade 3.
type CareSubsidyTable []CareSubsidyRow

// Amount returns the monthly amount for a category and grade, and whether they qualify.
func (t CareSubsidyTable) Amount(category, grade int) (int64, bool) {
	var any *CareSubsidyRow
	for i := range t {
		r := &t[i]
		if r.Grade != grade {
			continue
		}
		if r.Category == category {
			return r.Fen, true
		}
		if r.Category == 0 && any == nil {
			any = r
		}
	}
	if any != nil {
		return any.Fen, true
	}
	return 0, false
}

// DisabilitySubsidyFacts are what the rules read about an applicant on one date.
type DisabilitySubsidyFacts struct {
	// Date is the business date the rules are evaluated for (the step's).
	Date string
	// Certificate is the applicant's certificate valid on Date, nil when none is.
	Certificate *Certificate
	// Dibao is the household's 低保 entitlement paying in Date's month, nil when none does.
	Dibao *Entitlement
	// LivingFen and Care are the policy values in force on the application date.
	LivingFen int64
	Care      CareSubsidyTable
}

// DisabilitySubsidyEligibility is an evaluation of the rules with its explanation.
type DisabilitySubsidyEligibility struct {
	Eligible bool `json:"eligible"`
	// Unmet lists the rules not met (RuleValidCertificate, RuleCareGrade, RuleDibaoHousehold).
	Unmet []string `json:"unmet,omitempty"`
	// Summary says in a sentence what the rules found.
	Summary string `json:"summary"`
	// Inputs are the facts read, by name.
	Inputs map[string]string `json:"inputs"`
	// AmountFen is the monthly amount, 0 when not eligible.
	AmountFen int64 `json:"amount_fen"`
	// Date is the date the facts were read for; PolicyDate the date policy was read for.
	Date       string         `json:"date"`
	PolicyDate string         `json:"policy_date"`
	Policy     []policy.Value `json:"policy"`
}

// EvaluateDisabilitySubsidy applies the rules of a kind of 两项补贴 to the facts: every applicant needs a
// certificate valid on the date; the care subsidy needs its category and grade in the policy table, and
// pays the table's amount; the living subsidy needs the household to have 低保 in the date's month, and
// pays the policy amount.
func EvaluateDisabilitySubsidy(kind string, f DisabilitySubsidyFacts) DisabilitySubsidyEligibility {
	e := DisabilitySubsidyEligibility{Date: f.Date, Inputs: map[string]string{}}
	var found []string
	if c := f.Certificate; c == nil {
		e.Unmet = append(e.Unmet, RuleValidCertificate)
		e.Inputs["certificate"] = "none valid on " + f.Date
	} else {
		e.Inputs["certificate"] = c.Name()
		e.Inputs["certificate_status"] = certificateStatusName(c.Status)
		e.Inputs["category"] = strconv.Itoa(c.Category)
		e.Inputs["grade"] = strconv.Itoa(c.Grade)
		found = append(found, fmt.Sprintf("a valid certificate (category %d, grade %d)", c.Category, c.Grade))
	}
	switch kind {
	case DisabilitySubsidyKindCare:
		if c := f.Certificate; c != nil {
			if fen, ok := f.Care.Amount(c.Category, c.Grade); ok {
				e.AmountFen = fen
				found = append(found, fmt.Sprintf("category %d grade %d is in the care subsidy table (%d fen per month)", c.Category, c.Grade, fen))
			} else {
				e.Unmet = append(e.Unmet, RuleCareGrade)
				found = append(found, fmt.Sprintf("category %d grade %d is not in the care subsidy table", c.Category, c.Grade))
			}
		}
	case DisabilitySubsidyKindLiving:
		if d := f.Dibao; d != nil {
			e.Inputs["dibao_entitlement"] = d.ID
			e.Inputs["dibao_source"] = d.Source
			e.AmountFen = f.LivingFen
			found = append(found, fmt.Sprintf("the household has 低保 in %s (%s)", MonthOf(f.Date), d.Source))
		} else {
			e.Unmet = append(e.Unmet, RuleDibaoHousehold)
			e.Inputs["dibao_entitlement"] = "none in " + MonthOf(f.Date)
			found = append(found, "the household has no 低保 in "+MonthOf(f.Date))
		}
	}
	e.Eligible = len(e.Unmet) == 0
	if !e.Eligible {
		e.AmountFen = 0
	}
	verdict := "eligible"
	if !e.Eligible {
		verdict = "not eligible: " + strings.Join(e.Unmet, ", ")
	}
	if len(found) == 0 {
		found = append(found, "no valid certificate on "+f.Date)
	}
	e.Summary = fmt.Sprintf("%s on %s: %s", verdict, f.Date, strings.Join(found, "; "))
	return e
}

// violations are the PreconditionFailure violations of an evaluation that did not pass.
func (e DisabilitySubsidyEligibility) violations(subject string) []apperr.Violation {
	desc := map[string]string{
		RuleValidCertificate: "the applicant holds no valid disability certificate on " + e.Date,
		RuleCareGrade: fmt.Sprintf("category %s grade %s is not among those the care subsidy table (%s) pays on %s",
			e.Inputs["category"], e.Inputs["grade"], ParamCareSubsidyAmounts, e.PolicyDate),
		RuleDibaoHousehold: "the applicant's household has no 低保 in " + MonthOf(e.Date),
	}
	var vs []apperr.Violation
	for _, r := range e.Unmet {
		vs = append(vs, apperr.Violation{Type: r, Subject: subject, Description: desc[r]})
	}
	return vs
}

// DisabilitySubsidyApplication is the data of the application step.
type DisabilitySubsidyApplication struct {
	CertificateID string `json:"certificate_id"`
	PersonID      string `json:"person_id"`
	HouseholdID   string `json:"household_id"`
}

// DisabilitySubsidyReview is the data of the township check and of the review.
type DisabilitySubsidyReview struct {
	Approved    bool                         `json:"approved"`
	Eligibility DisabilitySubsidyEligibility `json:"eligibility"`
}

// DisabilitySubsidyStore is what the 两项补贴 need of the service's records; *store.Store implements it.
type DisabilitySubsidyStore interface {
	EntitlementStore
	CertificateReader
	InTx(ctx context.Context, fn func(ctx context.Context) error) error
	GetCertificate(ctx context.Context, id string) (*Certificate, error)
}

// DisabilitySubsidy is an application with what the roll was given for it.
type DisabilitySubsidy struct {
	Case        *workflow.Case
	Application DisabilitySubsidyApplication
	// Entitlement is the one the approval granted (nil before).
	Entitlement *Entitlement
}

// DisabilitySubsidyStep carries what every step request carries besides its verdict (the platform's).
type DisabilitySubsidyStep = workflow.StepMeta

// DisabilitySubsidies are the 两项补贴 use cases. They also stop a holder's subsidies when a certificate
// ends (HolderSubsidies) and when the register reports a death or a move (Follower).
type DisabilitySubsidies struct {
	store DisabilitySubsidyStore
	// register gives the holder's household registration date, before which no application dates.
	register Register
	engine   *workflow.Engine
	policy   workflow.Policy
	newID    func() string
	now      func() time.Time
}

var (
	_ HolderSubsidies = (*DisabilitySubsidies)(nil)
	_ Follower        = (*DisabilitySubsidies)(nil)
)

// NewDisabilitySubsidies declares the living and care subsidy cases on engine.
func NewDisabilitySubsidies(store DisabilitySubsidyStore, engine *workflow.Engine, pol workflow.Policy, register Register,
	newID func() string, now func() time.Time) (*DisabilitySubsidies, error) {
	ds := &DisabilitySubsidies{store: store, engine: engine, policy: pol, register: register, newID: newID, now: now}
	for _, kind := range []string{DisabilitySubsidyKindLiving, DisabilitySubsidyKindCare} {
		err := engine.Register(workflow.Definition{Kind: kind, OnePerSubject: true, Steps: []workflow.StepDef{
			{Name: DisabilitySubsidyStepApplication},
			{Name: DisabilitySubsidyStepTownshipCheck, Guard: ds.guard},
			{Name: DisabilitySubsidyStepCountyReview, Guard: ds.guard},
		}})
		if err != nil {
			return nil, err
		}
	}
	return ds, nil
}

// Follower returns the 两项补贴's reaction to the register's change feed, for the subscriber.
func (ds *DisabilitySubsidies) Follower() Follower { return ds }

// Apply opens an application of a certificate's holder for one kind of subsidy, dated m.OccurredAt
// (today when empty). The certificate must be valid on that date, and the person not already paid the
// subsidy; a person has at most one open application of each kind.
func (ds *DisabilitySubsidies) Apply(ctx context.Context, by workflow.Caller, kind, certificateID string, m DisabilitySubsidyStep) (*DisabilitySubsidy, error) {
	program, ok := DisabilitySubsidyProgram(kind)
	if !ok {
		return nil, apperr.Invalid(workflow.ReasonInvalidField, "kind", "must be the living or the care subsidy")
	}
	var out *DisabilitySubsidy
	err := ds.store.InTx(ctx, func(ctx context.Context) error {
		c, err := ds.store.GetCertificate(ctx, certificateID)
		if err != nil {
			return err
		}
		if !strings.HasPrefix(c.RegionCode, by.Scope) {
			return errCertOutOfScope
		}
		date := m.OccurredAt
		if date == "" {
			date = bizdate.Today(ds.now())
		}
		if !c.ValidOn(date) {
			return apperr.Refused(ReasonCertificateNotValid, apperr.Violation{Type: RuleCertificateStatus, Subject: c.Name(),
				Description: fmt.Sprintf("the certificate is not valid on %s (issued %s, %s since %s)", date, c.IssueDate,
					certificateStatusName(c.Status), c.StatusDate)})
		}
		if err := ds.notGranted(ctx, program, c.PersonID, MonthOf(date)); err != nil {
			return err
		}
		app := DisabilitySubsidyApplication{CertificateID: c.ID, PersonID: c.PersonID, HouseholdID: c.HouseholdID}
		first, err := m.Input(DisabilitySubsidyStepApplication, app)
		if err != nil {
			return err
		}
		h, err := ds.register.Household(ctx, c.HouseholdID)
		if err != nil {
			return err
		}
		k, err := ds.engine.Open(ctx, by, workflow.NewCase{Kind: kind, Subject: "persons/" + c.PersonID,
			RegionCode: c.RegionCode, Registered: h.Registered, First: first})
		if err != nil {
			return err
		}
		out = &DisabilitySubsidy{Case: k, Application: app}
		return nil
	})
	return out, err
}

// notGranted refuses a subsidy the person is already paid from month on.
func (ds *DisabilitySubsidies) notGranted(ctx context.Context, program Program, personID, month string) error {
	open, err := ds.store.OpenEntitlements(ctx, program, "persons/"+personID, month)
	if err != nil {
		return err
	}
	if len(open) > 0 {
		return apperr.Refused(ReasonSubsidyAlreadyGranted, apperr.Violation{Type: RuleOneSubsidy, Subject: "persons/" + personID,
			Description: fmt.Sprintf("the person is already paid the %s from %s (%s)", program, open[0].FromMonth, open[0].Source)})
	}
	return nil
}

// Check records the township's first check (乡镇初审). Passing needs the rules to hold on its date; not
// passing ends the application, refused, with the township's opinion in the note.
func (ds *DisabilitySubsidies) Check(ctx context.Context, by workflow.Caller, id string, m DisabilitySubsidyStep, approved bool) (*DisabilitySubsidy, error) {
	in, err := m.Input(DisabilitySubsidyStepTownshipCheck, DisabilitySubsidyReview{Approved: approved})
	if err != nil {
		return nil, err
	}
	return ds.record(ctx, by, id, func(ctx context.Context) (*workflow.Case, error) {
		return ds.engine.Record(ctx, by, id, in)
	})
}

// Review records 残联's review (残联审核), the decision. Approval needs the rules to hold again on its
// date and grants the entitlement in the same transaction: from the month of the application, at the
// amount policy gave on the application date.
func (ds *DisabilitySubsidies) Review(ctx context.Context, by workflow.Caller, id string, m DisabilitySubsidyStep, approved bool) (*DisabilitySubsidy, error) {
	in, err := m.Input(DisabilitySubsidyStepCountyReview, DisabilitySubsidyReview{Approved: approved})
	if err != nil {
		return nil, err
	}
	in.Decision = &workflow.Decision{Outcome: workflow.OutcomeRefused, Explanation: strings.TrimSpace(m.Note)}
	if approved {
		in.Decision.Outcome = workflow.OutcomeApproved
	}
	return ds.record(ctx, by, id, func(ctx context.Context) (*workflow.Case, error) {
		k, err := ds.engine.Record(ctx, by, id, in)
		if err != nil || k.Decision.Outcome != workflow.OutcomeApproved {
			return k, err
		}
		return k, ds.grant(ctx, k)
	})
}

// Withdraw ends an open application without a decision (撤回/终止); the note says why.
func (ds *DisabilitySubsidies) Withdraw(ctx context.Context, by workflow.Caller, id string, m DisabilitySubsidyStep) (*DisabilitySubsidy, error) {
	in, err := m.Input(workflow.StepWithdrawal, nil)
	if err != nil {
		return nil, err
	}
	return ds.record(ctx, by, id, func(ctx context.Context) (*workflow.Case, error) {
		return ds.engine.Withdraw(ctx, by, id, in)
	})
}

// record runs one engine call on an application of this area in a transaction and returns the result.
func (ds *DisabilitySubsidies) record(ctx context.Context, by workflow.Caller, id string, fn func(ctx context.Context) (*workflow.Case, error)) (*DisabilitySubsidy, error) {
	var out *DisabilitySubsidy
	err := ds.store.InTx(ctx, func(ctx context.Context) error {
		if _, err := ds.get(ctx, by, id); err != nil {
			return err
		}
		k, err := fn(ctx)
		if err != nil {
			return err
		}
		out, err = ds.view(ctx, k)
		return err
	})
	return out, err
}

// get returns a case of this area in the caller's scope; a case of another area is not found here.
func (ds *DisabilitySubsidies) get(ctx context.Context, by workflow.Caller, id string) (*workflow.Case, error) {
	k, err := ds.engine.Get(ctx, by, id)
	if err != nil {
		return nil, err
	}
	if _, ok := DisabilitySubsidyProgram(k.Kind); !ok {
		return nil, apperr.NotFound("disability subsidy")
	}
	return k, nil
}

// view adds the application's data and its entitlement to a case.
func (ds *DisabilitySubsidies) view(ctx context.Context, k *workflow.Case) (*DisabilitySubsidy, error) {
	d := &DisabilitySubsidy{Case: k}
	if len(k.Steps) > 0 {
		if err := k.Steps[0].Bind(&d.Application); err != nil {
			return nil, err
		}
	}
	if k.Decision != nil && k.Decision.Outcome == workflow.OutcomeApproved {
		es, err := ds.store.EntitlementsBySource(ctx, DisabilitySubsidySource(k.ID))
		if err != nil {
			return nil, err
		}
		if len(es) > 0 {
			d.Entitlement = es[len(es)-1]
		}
	}
	return d, nil
}

// DisabilitySubsidySource is the Entitlement.Source of an approved application.
func DisabilitySubsidySource(id string) string { return "disabilitySubsidies/" + id }

// Get returns an application in the caller's scope.
func (ds *DisabilitySubsidies) Get(ctx context.Context, by workflow.Caller, id string) (*DisabilitySubsidy, error) {
	k, err := ds.get(ctx, by, id)
	if err != nil {
		return nil, err
	}
	return ds.view(ctx, k)
}

// List lists a page of applications in the caller's scope.
func (ds *DisabilitySubsidies) List(ctx context.Context, by workflow.Caller, filter, after string, limit int) ([]*DisabilitySubsidy, string, error) {
	ks, next, err := ds.engine.List(ctx, by, workflow.ListQuery{Kinds: []string{DisabilitySubsidyKindLiving, DisabilitySubsidyKindCare},
		Filter: filter, After: after, Limit: limit})
	if err != nil {
		return nil, "", err
	}
	out := make([]*DisabilitySubsidy, 0, len(ks))
	for _, k := range ks {
		d, err := ds.view(ctx, k)
		if err != nil {
			return nil, "", err
		}
		out = append(out, d)
	}
	return out, next, nil
}

// guard evaluates the rules at the township check and at the review, keeps the evaluation in the step,
// and refuses to pass an ineligible application. Not passing needs an opinion and ends the case.
func (ds *DisabilitySubsidies) guard(ctx context.Context, k *workflow.Case, s *workflow.Step) error {
	var r DisabilitySubsidyReview
	if err := s.Bind(&r); err != nil {
		return err
	}
	e, err := ds.evaluate(ctx, k, s.OccurredAt)
	if err != nil {
		return err
	}
	r.Eligibility = e
	if r.Approved && !e.Eligible {
		return apperr.Refused(ReasonDisabilitySubsidyIneligible, e.violations("persons/"+ds.application(k).PersonID)...)
	}
	if !r.Approved {
		if strings.TrimSpace(s.Note) == "" {
			return apperr.Invalid(ReasonOpinionRequired, "note", "a refusal needs the opinion in the note")
		}
		s.Decision = &workflow.Decision{Outcome: workflow.OutcomeRefused, Explanation: strings.TrimSpace(s.Note)}
	}
	return s.SetData(r)
}

func (ds *DisabilitySubsidies) application(k *workflow.Case) DisabilitySubsidyApplication {
	var a DisabilitySubsidyApplication
	if len(k.Steps) > 0 {
		_ = k.Steps[0].Bind(&a)
	}
	return a
}

// applicationDate is the business date of a case's application.
func applicationDate(k *workflow.Case) string {
	if len(k.Steps) == 0 {
		return ""
	}
	return k.Steps[0].OccurredAt
}

// evaluate reads the facts of a case on date and applies the rules; policy is read on the application
// date, so the amount and the table an application is judged by do not move while it waits.
func (ds *DisabilitySubsidies) evaluate(ctx context.Context, k *workflow.Case, date string) (DisabilitySubsidyEligibility, error) {
	a := ds.application(k)
	f := DisabilitySubsidyFacts{Date: date}
	certs, err := ds.store.ValidCertificates(ctx, []string{a.PersonID}, date)
	if err != nil {
		return DisabilitySubsidyEligibility{}, err
	}
	f.Certificate = certs[a.PersonID]
	policyDate := applicationDate(k)
	var used []policy.Value
	switch k.Kind {
	case DisabilitySubsidyKindCare:
		v, err := ds.decode(ParamCareSubsidyAmounts, k, policyDate, &f.Care)
		if err != nil {
			return DisabilitySubsidyEligibility{}, err
		}
		used = append(used, v)
	case DisabilitySubsidyKindLiving:
		v, err := ds.decode(ParamLivingSubsidyFen, k, policyDate, &f.LivingFen)
		if err != nil {
			return DisabilitySubsidyEligibility{}, err
		}
		used = append(used, v)
		es, err := ds.store.EntitlementsOfHousehold(ctx, a.HouseholdID)
		if err != nil {
			return DisabilitySubsidyEligibility{}, err
		}
		for _, e := range es {
			if e.Program == ProgramDibao && e.ActiveIn(MonthOf(date)) {
				f.Dibao = e
				break
			}
		}
	}
	e := EvaluateDisabilitySubsidy(k.Kind, f)
	e.PolicyDate, e.Policy = policyDate, used
	return e, nil
}

// decode reads a policy value for the case's region on a business date; a value not in force is a
// refusal naming the parameter.
func (ds *DisabilitySubsidies) decode(parameter string, k *workflow.Case, date string, into any) (policy.Value, error) {
	t, err := bizdate.Parse(date)
	if err != nil {
		return policy.Value{}, err
	}
	v, err := ds.policy.Decode(parameter, k.RegionCode, t, into)
	if errors.Is(err, policy.ErrNotFound) {
		return policy.Value{}, apperr.Refused(workflow.ReasonPolicyValueMissing, apperr.Violation{Type: workflow.RulePolicyValue,
			Subject: k.Name(), Description: fmt.Sprintf("no value of %s is in force for region %s on %s", parameter, k.RegionCode, date)})
	}
	return v, err
}

// grant gives an approved application its entitlement, from the month of the application at the amount
// the review's evaluation found.
func (ds *DisabilitySubsidies) grant(ctx context.Context, k *workflow.Case) error {
	program, _ := DisabilitySubsidyProgram(k.Kind)
	a := ds.application(k)
	var r DisabilitySubsidyReview
	if err := k.Steps[len(k.Steps)-1].Bind(&r); err != nil {
		return err
	}
	from := MonthOf(applicationDate(k))
	if err := ds.notGranted(ctx, program, a.PersonID, from); err != nil {
		return err
	}
	now := ds.now()
	return ds.store.GrantEntitlement(ctx, &Entitlement{ID: ds.newID(), Program: program, Beneficiary: "persons/" + a.PersonID,
		HouseholdID: a.HouseholdID, PersonID: a.PersonID, RegionCode: k.RegionCode, Source: DisabilitySubsidySource(k.ID),
		FromMonth: from, AmountFen: r.Eligibility.AmountFen, Covered: 1,
		Reason: fmt.Sprintf("两项补贴 %s 残联审核批准 %s", program, k.Decision.DecidedAt), CreateTime: now, UpdateTime: now})
}

// StopHolderSubsidies ends the person's living and care subsidies with lastMonth as the last month paid
// (payment stops from the month after; the roll turns anything paid beyond into 追回).
func (ds *DisabilitySubsidies) StopHolderSubsidies(ctx context.Context, personID, lastMonth, reason string) error {
	if _, err := ParseMonth(lastMonth); err != nil {
		return err
	}
	now := ds.now()
	for _, p := range []Program{ProgramLivingSubsidy, ProgramCareSubsidy} {
		open, err := ds.store.OpenEntitlements(ctx, p, "persons/"+personID, AddMonths(lastMonth, 1))
		if err != nil {
			return err
		}
		for _, e := range open {
			if err := ds.store.EndEntitlement(ctx, e.ID, lastMonth, reason, now); err != nil {
				return err
			}
		}
	}
	return nil
}

// StopLivingSubsidies ends the living subsidies (困难残疾人生活补贴) paid to members of a household whose
// 低保 ends, with lastMonth as the last month paid: the subsidy is for certificate holders in 低保
// households, so it cannot outlive the household's 低保. The 低保 area calls it in the transaction that
// ends the 低保 entitlement; the care subsidy does not depend on 低保 and goes on.
func (ds *DisabilitySubsidies) StopLivingSubsidies(ctx context.Context, householdID, lastMonth, reason string) error {
	if _, err := ParseMonth(lastMonth); err != nil {
		return err
	}
	es, err := ds.store.EntitlementsOfHousehold(ctx, householdID)
	if err != nil {
		return err
	}
	now := ds.now()
	for _, e := range es {
		if e.Program == ProgramLivingSubsidy && (e.ToMonth == "" || e.ToMonth > lastMonth) {
			if err := ds.store.EndEntitlement(ctx, e.ID, lastMonth, reason, now); err != nil {
				return err
			}
		}
	}
	return nil
}

// followerCaller is who withdraws the applications of persons who left the register.
var followerCaller = workflow.Caller{Actor: "service:subsidies (register change feed)", Scope: ""}

// HouseholdChanged stops the 两项补贴 of the members who died or moved out, with the month of the
// change's effective date as the last month paid, and withdraws their open applications. It writes only
// through ctx: the subscriber calls it inside the transaction that stores its cursor.
func (ds *DisabilitySubsidies) HouseholdChanged(ctx context.Context, c HouseholdChange) error {
	if len(c.DepartedPersonIDs) == 0 {
		return nil
	}
	last := MonthOf(c.EffectiveDate)
	if _, err := ParseMonth(last); err != nil {
		return fmt.Errorf("register change %d: departed members without an effective date: %w", c.Sequence, err)
	}
	reason := "户籍变动: 死亡或迁出"
	if r := strings.TrimSpace(c.Reason); r != "" {
		reason = "户籍变动: " + r
	}
	for _, pid := range slices.Compact(slices.Sorted(slices.Values(c.DepartedPersonIDs))) {
		if err := ds.StopHolderSubsidies(ctx, pid, last, reason); err != nil {
			return err
		}
		for _, kind := range []string{DisabilitySubsidyKindLiving, DisabilitySubsidyKindCare} {
			k, ok, err := ds.engine.OpenCase(ctx, followerCaller, kind, "persons/"+pid)
			if err != nil {
				return err
			}
			if !ok {
				continue
			}
			note := fmt.Sprintf("%s (register change %d, effective %s)", reason, c.Sequence, c.EffectiveDate)
			if _, err := ds.engine.Withdraw(ctx, followerCaller, k.ID, workflow.StepInput{Note: note}); err != nil {
				return err
			}
		}
	}
	return nil
}
