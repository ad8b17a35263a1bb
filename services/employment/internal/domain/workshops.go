package domain

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"fupin.dev/services/platform/apperr"
	"fupin.dev/services/platform/bizdate"
	"fupin.dev/services/platform/payroll"
	"fupin.dev/services/platform/policy"
	"fupin.dev/services/platform/workflow"
)

// 就业帮扶车间 (assistance workshops): a workshop registers (name, 统一社会信用代码, village, address, kind);
// 人社 recognises it from the labour ledger once enough workers from 脱贫 or 监测 households are employed
// there (spells with 就业方式 车间 and the workshop as employer); the workshop insures its workers against
// accidents each month at no less than policy's premium; and each such worker who stays the policy's
// months, insured every month, earns the workshop a one-off reward, paid to the workshop's account by the
// platform payroll (program workshop-reward, the workshop's credit code as payee). Every number is policy.

// Policy parameters of the workshops (deploy/policy/defaults.json).
const (
	// ParamWorkshopMinPoorWorkers is how many workers from 脱贫/监测 households recognition needs.
	ParamWorkshopMinPoorWorkers = "employment.workshop.min_poor_workers"
	// ParamWorkshopRewardAfterMonths is how many consecutive insured months at the workshop earn a reward.
	ParamWorkshopRewardAfterMonths = "employment.workshop.reward_after_months"
	// ParamWorkshopRewardFen is the reward per worker, in fen.
	ParamWorkshopRewardFen = "employment.workshop.reward_fen_per_worker"
	// ParamWorkshopMinInsuranceFen is the least accident-insurance premium per worker and month, in fen.
	ParamWorkshopMinInsuranceFen = "employment.workshop.min_insurance_fen_per_worker_month"
)

// Error reasons of the workshops (fupin.employment.v1.ErrorReason 200–229).
const (
	ReasonWorkshopNameInvalid       = "WORKSHOP_NAME_INVALID"
	ReasonWorkshopCreditCodeInvalid = "WORKSHOP_CREDIT_CODE_INVALID"
	ReasonWorkshopRegionInvalid     = "WORKSHOP_REGION_INVALID"
	ReasonWorkshopAddressInvalid    = "WORKSHOP_ADDRESS_INVALID"
	ReasonWorkshopKindInvalid       = "WORKSHOP_KIND_INVALID"
	ReasonWorkshopExists            = "WORKSHOP_EXISTS"
	ReasonWorkshopTooFewPoorWorkers = "WORKSHOP_TOO_FEW_POOR_WORKERS"
	ReasonWorkshopNotRecognised     = "WORKSHOP_NOT_RECOGNISED"
	ReasonWorkshopAlreadyRecognised = "WORKSHOP_ALREADY_RECOGNISED"
	ReasonInsurancePremiumTooLow    = "INSURANCE_PREMIUM_TOO_LOW"
	ReasonInsuredPersonNotWorker    = "INSURED_PERSON_NOT_WORKER"
	ReasonPeriodInvalid             = "WORKSHOP_PERIOD_INVALID"
	ReasonNoRewardDue               = "WORKSHOP_NO_REWARD_DUE"
	ReasonWorkshopRewardExists      = "WORKSHOP_REWARD_EXISTS"
)

// Rules of the workshops: violation types of the refusals above.
const (
	RuleWorkshopMinPoorWorkers = "MIN_POOR_WORKERS" // ≥ 5 脱贫/监测 workers for recognition
	RuleWorkshopRecognised     = "WORKSHOP_RECOGNISED"
	RuleInsuranceMinPremium    = "MIN_INSURANCE_PREMIUM" // ≥ 15 元 per worker and month
	RuleInsuredAreWorkers      = "INSURED_ARE_WORKERS"
	RuleRewardDue              = "REWARD_DUE"
)

// WorkshopKind is the form of a workshop (车间类型). Numbers equal fupin.employment.v1.WorkshopKind.
type WorkshopKind int32

// Workshop kinds.
const (
	WorkshopKindUnspecified WorkshopKind = iota
	WorkshopKindFactory                  // 厂房式
	WorkshopKindHomeBased                // 居家式
	WorkshopKindFarming                  // 种养式
	WorkshopKindTrade                    // 贸易流通式
	WorkshopKindTourism                  // 文化旅游式
)

// WorkshopState is where a workshop stands. Numbers equal fupin.employment.v1.WorkshopState.
type WorkshopState int32

// Workshop states.
const (
	WorkshopStateUnspecified WorkshopState = iota
	WorkshopStateRegistered                // 已登记: registered, not (yet) recognised
	WorkshopStateRecognised                // 已认定: recognised as a 就业帮扶车间
)

// Workshop is one 就业帮扶车间.
type Workshop struct {
	ID   string
	Name string
	// CreditCode is the operator's 统一社会信用代码: the payee of its rewards and the employer its workers'
	// spells name.
	CreditCode string
	// RegionCode is the village (12 digits) the workshop is in.
	RegionCode string
	Address    string
	Kind       WorkshopKind
	State      WorkshopState
	// RegisteredOn is the business date of registration.
	RegisteredOn string
	// Recognition is the evaluation that recognised it (nil before).
	Recognition *WorkshopRecognition
	Version     int64
	CreateTime  time.Time
	UpdateTime  time.Time
}

// ResourceName is the workshop's resource name.
func (w *Workshop) ResourceName() string { return "workshops/" + w.ID }

// Etag is the workshop's AIP-154 etag: it changes whenever the workshop does.
func (w *Workshop) Etag() string {
	sum := sha256.Sum256([]byte("workshop/" + w.ID + "/" + strconv.FormatInt(w.Version, 10)))
	return `"` + hex.EncodeToString(sum[:8]) + `"`
}

// NewWorkshop is a registration.
type NewWorkshop struct {
	Name, CreditCode, RegionCode, Address string
	Kind                                  WorkshopKind
	// RegisteredOn is the business date of registration (today when empty).
	RegisteredOn string
}

// validate checks a registration's fields, all at once.
func (n NewWorkshop) validate() error {
	var fs []apperr.FieldViolation
	bad := func(field, reason, desc string) {
		fs = append(fs, apperr.FieldViolation{Field: field, Reason: reason, Description: desc})
	}
	if name := strings.TrimSpace(n.Name); name == "" || utf8.RuneCountInString(name) > 100 {
		bad("workshop.display_name", ReasonWorkshopNameInvalid, "the workshop's name is required, at most 100 characters")
	}
	if !payroll.ValidCreditCode(n.CreditCode) {
		bad("workshop.credit_code", ReasonWorkshopCreditCodeInvalid, "not a unified social credit code (18 characters, GB 32100 check character)")
	}
	if !isVillageCode(n.RegionCode) {
		bad("workshop.region_code", ReasonWorkshopRegionInvalid, "the village's 12-digit region code")
	}
	if a := strings.TrimSpace(n.Address); a == "" || utf8.RuneCountInString(a) > 200 {
		bad("workshop.address", ReasonWorkshopAddressInvalid, "the address is required, at most 200 characters")
	}
	if n.Kind < WorkshopKindFactory || n.Kind > WorkshopKindTourism {
		bad("workshop.kind", ReasonWorkshopKindInvalid, "one of the five workshop kinds (厂房式, 居家式, 种养式, 贸易流通式, 文化旅游式)")
	}
	if n.RegisteredOn != "" {
		if _, err := bizdate.Parse(n.RegisteredOn); err != nil {
			bad("workshop.registered_on", ReasonPeriodInvalid, "a date YYYY-MM-DD")
		}
	}
	if len(fs) > 0 {
		return apperr.InvalidFields(fs...)
	}
	return nil
}

// isVillageCode reports whether code is a 12-digit region code.
func isVillageCode(code string) bool {
	if len(code) != 12 {
		return false
	}
	for _, c := range code {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// WorkshopRecognition is the evaluation of the recognition rule in one month, kept with the workshop.
type WorkshopRecognition struct {
	Month string `json:"month"`
	// PoorWorkers are the persons from 脱贫/监测 households with a 车间 spell at the workshop in the month.
	PoorWorkers []string `json:"poor_workers"`
	// Workers counts every person with a 车间 spell there in the month.
	Workers    int          `json:"workers"`
	Min        int          `json:"min"`
	Eligible   bool         `json:"eligible"`
	Date       string       `json:"date"`
	Policy     policy.Value `json:"policy"`
	RecordedBy string       `json:"recorded_by,omitempty"`
}

// EvaluateRecognition applies the recognition rule: in month, at least min distinct persons from 脱贫/监测
// households hold a 车间 spell at the workshop. spells are the workshop's spells; poor says whether a
// person's household is 脱贫 or 监测 in the month.
func EvaluateRecognition(spells []WorkSpell, poor map[string]bool, month string, min int) WorkshopRecognition {
	r := WorkshopRecognition{Month: month, Min: min, PoorWorkers: []string{}}
	seen := map[string]bool{}
	for _, s := range spells {
		if !s.AtWorkshop || !s.covers(month) || seen[s.PersonID] {
			continue
		}
		seen[s.PersonID] = true
		r.Workers++
		if poor[s.PersonID] {
			r.PoorWorkers = append(r.PoorWorkers, s.PersonID)
		}
	}
	slices.Sort(r.PoorWorkers)
	r.Eligible = len(r.PoorWorkers) >= min
	return r
}

// WorkshopInsurance is one accident-insurance policy (意外伤害保险) a workshop holds for its workers over a
// range of months.
type WorkshopInsurance struct {
	ID         string
	WorkshopID string
	// PolicyNumber and Insurer identify the insurance contract.
	PolicyNumber string
	Insurer      string
	FromMonth    string
	ToMonth      string
	// PremiumFen is the premium per insured worker and month, in fen.
	PremiumFen int64
	// PersonIDs are the workers insured.
	PersonIDs []string
	// Policy is the minimum premium the record was checked against.
	Policy     policy.Value
	RecordedBy string
	CreateTime time.Time
}

// InsuredMonths returns, per person, the months some insurance covers.
func InsuredMonths(ins []*WorkshopInsurance) map[string][]string {
	out := map[string][]string{}
	for _, i := range ins {
		months := payroll.MonthsBetween(i.FromMonth, i.ToMonth)
		for _, p := range i.PersonIDs {
			out[p] = append(out[p], months...)
		}
	}
	for p, ms := range out {
		slices.Sort(ms)
		out[p] = slices.Compact(ms)
	}
	return out
}

// CheckInsurancePremium refuses a premium below the policy minimum.
func CheckInsurancePremium(workshop string, premiumFen, minFen int64, pol policy.Value) error {
	if premiumFen < minFen {
		return apperr.Refused(ReasonInsurancePremiumTooLow, apperr.Violation{Type: RuleInsuranceMinPremium, Subject: workshop,
			Description: fmt.Sprintf("the premium of %d fen per worker and month is below the minimum of %d fen (%s from %s)",
				premiumFen, minFen, pol.Parameter, pol.Effective)})
	}
	return nil
}

// WorkshopReward is one worker's reward to a workshop, granted once per worker and workshop.
type WorkshopReward struct {
	ID          string
	WorkshopID  string
	PersonID    string
	HouseholdID string
	// Month is the month the reward is paid in (the decision's).
	Month string
	// StableFrom and StableTo are the stretch of consecutive insured months at the workshop that earned it.
	StableFrom string
	StableTo   string
	AmountFen  int64
	// EntitlementID is the payroll entitlement granted for it.
	EntitlementID string
	// Policy are the values used: months required and amount.
	Policy     []policy.Value
	RecordedBy string
	CreateTime time.Time
}

// WorkshopRewardSource is the Entitlement.Source of a reward.
func WorkshopRewardSource(id string) string { return "workshopRewards/" + id }

// RewardCandidate is a worker evaluated for a reward.
type RewardCandidate struct {
	PersonID    string
	HouseholdID string
	// StableMonths is the longest stretch of consecutive months, up to the month evaluated, in which the
	// person worked at the workshop (车间 spell) and was insured by it; StableFrom–StableTo that stretch.
	StableMonths int
	StableFrom   string
	StableTo     string
	Poor         bool
	// Rewarded is true when the workshop was already rewarded for this worker.
	Rewarded bool
	// Due is true when a reward is due now: poor, not rewarded, and StableMonths ≥ the months required.
	Due bool
}

// EvaluateRewards applies the reward rule to a workshop's workers up to month: a worker from a 脱贫/监测
// household who worked at the workshop (车间 spells naming it) and was insured by it for at least after
// consecutive months, from the workshop's first month on, earns one reward, once.
func EvaluateRewards(spells []WorkSpell, insured map[string][]string, poor map[string]bool, rewarded map[string]bool,
	firstMonth, month string, after int) []RewardCandidate {
	byPerson := map[string][]WorkSpell{}
	var persons []string
	for _, s := range spells {
		if !s.AtWorkshop {
			continue
		}
		if _, ok := byPerson[s.PersonID]; !ok {
			persons = append(persons, s.PersonID)
		}
		byPerson[s.PersonID] = append(byPerson[s.PersonID], s)
	}
	slices.Sort(persons)
	out := make([]RewardCandidate, 0, len(persons))
	for _, p := range persons {
		ps := byPerson[p]
		worked := monthsCovered(ps, firstMonth, month, func(WorkSpell) bool { return true })
		stable := slices.DeleteFunc(worked, func(m string) bool { return !slices.Contains(insured[p], m) })
		n, end := longestRun(stable)
		c := RewardCandidate{PersonID: p, HouseholdID: ps[0].HouseholdID, StableMonths: n, Poor: poor[p], Rewarded: rewarded[p]}
		if n > 0 {
			c.StableTo, c.StableFrom = end, payroll.AddMonths(end, 1-n)
		}
		c.Due = c.Poor && !c.Rewarded && n >= after
		out = append(out, c)
	}
	return out
}

// WorkshopStore is what the workshops need of the service's records; *store.Store implements it.
type WorkshopStore interface {
	payroll.EntitlementStore
	InTx(ctx context.Context, fn func(ctx context.Context) error) error
	// CreateWorkshop inserts w; a credit code registered before is apperr ALREADY_EXISTS
	// (ReasonWorkshopExists).
	CreateWorkshop(ctx context.Context, w *Workshop) error
	GetWorkshop(ctx context.Context, id string) (*Workshop, error)
	// SetWorkshopRecognition records a recognition (state recognised) and bumps the version.
	SetWorkshopRecognition(ctx context.Context, id string, r *WorkshopRecognition, now time.Time) error
	// ListWorkshops lists a page of workshops whose village starts with scope, by id after after.
	ListWorkshops(ctx context.Context, scope string, q WorkshopQuery) ([]*Workshop, string, error)
	AddWorkshopInsurance(ctx context.Context, i *WorkshopInsurance) error
	WorkshopInsurances(ctx context.Context, workshopID string) ([]*WorkshopInsurance, error)
	// AddWorkshopReward inserts r; a second reward for the same workshop and person is apperr
	// ALREADY_EXISTS.
	AddWorkshopReward(ctx context.Context, r *WorkshopReward) error
	WorkshopRewards(ctx context.Context, workshopID string) ([]*WorkshopReward, error)
}

// WorkshopQuery selects a page of workshops.
type WorkshopQuery struct {
	// State filters by state (unspecified: any).
	State WorkshopState
	After string
	Limit int
}

// Workshops are the workshop use cases.
type Workshops struct {
	store  WorkshopStore
	ledger WorkLedger
	policy workflow.Policy
	newID  func() string
	now    func() time.Time
}

// NewWorkshops returns the workshop use cases.
func NewWorkshops(store WorkshopStore, ledger WorkLedger, pol workflow.Policy, newID func() string, now func() time.Time) *Workshops {
	return &Workshops{store: store, ledger: ledger, policy: pol, newID: newID, now: now}
}

// errWorkshopOutOfScope hides a workshop outside the caller's region scope.
var errWorkshopOutOfScope = apperr.NotFound("workshop")

// Register registers a workshop in the caller's scope.
func (ws *Workshops) Register(ctx context.Context, by workflow.Caller, n NewWorkshop) (*Workshop, error) {
	n.Name, n.Address = strings.TrimSpace(n.Name), strings.TrimSpace(n.Address)
	n.CreditCode = strings.ToUpper(strings.TrimSpace(n.CreditCode))
	if err := n.validate(); err != nil {
		return nil, err
	}
	if !strings.HasPrefix(n.RegionCode, by.Scope) {
		return nil, apperr.Invalid(ReasonWorkshopRegionInvalid, "workshop.region_code", "outside the caller's region scope")
	}
	now := ws.now()
	if n.RegisteredOn == "" {
		n.RegisteredOn = bizdate.Today(now)
	}
	w := &Workshop{ID: ws.newID(), Name: n.Name, CreditCode: n.CreditCode, RegionCode: n.RegionCode, Address: n.Address,
		Kind: n.Kind, State: WorkshopStateRegistered, RegisteredOn: n.RegisteredOn, Version: 1, CreateTime: now, UpdateTime: now}
	if err := ws.store.CreateWorkshop(ctx, w); err != nil {
		return nil, err
	}
	return w, nil
}

// Get returns a workshop in the caller's scope.
func (ws *Workshops) Get(ctx context.Context, by workflow.Caller, id string) (*Workshop, error) {
	w, err := ws.store.GetWorkshop(ctx, id)
	if err != nil {
		return nil, err
	}
	if !strings.HasPrefix(w.RegionCode, by.Scope) {
		return nil, errWorkshopOutOfScope
	}
	return w, nil
}

// List lists a page of workshops in the caller's scope.
func (ws *Workshops) List(ctx context.Context, by workflow.Caller, q WorkshopQuery) ([]*Workshop, string, error) {
	return ws.store.ListWorkshops(ctx, by.Scope, q)
}

// decodeInt reads an integer policy value, a missing one refused as the engine refuses it.
func decodeInt[T int | int64](pol workflow.Policy, parameter, region, date string) (T, policy.Value, error) {
	var v T
	d, err := bizdate.Parse(date)
	if err != nil {
		return v, policy.Value{}, err
	}
	val, err := pol.Decode(parameter, region, d, &v)
	if errors.Is(err, policy.ErrNotFound) {
		return v, val, apperr.Refused(workflow.ReasonPolicyValueMissing, apperr.Violation{Type: workflow.RulePolicyValue,
			Subject: parameter, Description: fmt.Sprintf("no value of %s for %s on %s", parameter, region, date)})
	}
	return v, val, err
}

// poorIn reads, for each person, whether their household is 脱贫/监测 in month.
func (ws *Workshops) poorIn(ctx context.Context, persons []string, month string) (map[string]bool, error) {
	poor := map[string]bool{}
	for _, p := range persons {
		if _, done := poor[p]; done {
			continue
		}
		wp, err := ws.ledger.WorkPerson(ctx, p, month)
		if e, ok := apperr.As(err); ok && e.Kind == apperr.KindNotFound {
			poor[p] = false
			continue
		}
		if err != nil {
			return nil, err
		}
		poor[p] = wp.Poor && !wp.Dead
	}
	return poor, nil
}

func spellPersons(spells []WorkSpell) []string {
	var out []string
	for _, s := range spells {
		out = append(out, s.PersonID)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// Recognise evaluates the recognition rule in the month of date (today when empty) and recognises the
// workshop when it holds; a workshop short of the policy's 脱贫/监测 workers is refused, naming the count.
func (ws *Workshops) Recognise(ctx context.Context, by workflow.Caller, id, date string) (*Workshop, error) {
	if date == "" {
		date = bizdate.Today(ws.now())
	} else if _, err := bizdate.Parse(date); err != nil {
		return nil, apperr.Invalid(ReasonPeriodInvalid, "date", "a date YYYY-MM-DD")
	}
	var out *Workshop
	err := ws.store.InTx(ctx, func(ctx context.Context) error {
		w, err := ws.Get(ctx, by, id)
		if err != nil {
			return err
		}
		if w.State == WorkshopStateRecognised {
			return apperr.Refused(ReasonWorkshopAlreadyRecognised, apperr.Violation{Type: RuleWorkshopRecognised,
				Subject: w.ResourceName(), Description: "the workshop was recognised in " + w.Recognition.Month})
		}
		r, err := ws.evaluateRecognition(ctx, w, date)
		if err != nil {
			return err
		}
		if !r.Eligible {
			return apperr.Refused(ReasonWorkshopTooFewPoorWorkers, apperr.Violation{Type: RuleWorkshopMinPoorWorkers,
				Subject: w.ResourceName(), Description: fmt.Sprintf("%d workers from 脱贫/监测 households work there in %s (of %d with a 车间 spell); recognition needs %d (%s)",
					len(r.PoorWorkers), r.Month, r.Workers, r.Min, ParamWorkshopMinPoorWorkers)})
		}
		r.RecordedBy = by.Actor
		if err := ws.store.SetWorkshopRecognition(ctx, w.ID, r, ws.now()); err != nil {
			return err
		}
		out, err = ws.store.GetWorkshop(ctx, w.ID)
		return err
	})
	return out, err
}

func (ws *Workshops) evaluateRecognition(ctx context.Context, w *Workshop, date string) (*WorkshopRecognition, error) {
	month := payroll.MonthOf(date)
	min, val, err := decodeInt[int](ws.policy, ParamWorkshopMinPoorWorkers, w.RegionCode, date)
	if err != nil {
		return nil, err
	}
	spells, err := ws.ledger.SpellsAtEmployer(ctx, w.CreditCode, w.Name, month, month)
	if err != nil {
		return nil, err
	}
	poor, err := ws.poorIn(ctx, spellPersons(spells), month)
	if err != nil {
		return nil, err
	}
	r := EvaluateRecognition(spells, poor, month, min)
	r.Date, r.Policy = date, val
	return &r, nil
}

// NewInsurance is an insurance policy to record.
type NewInsurance struct {
	PolicyNumber, Insurer string
	FromMonth, ToMonth    string
	PremiumFen            int64
	PersonIDs             []string
}

// AddInsurance records an accident-insurance policy of a workshop: the premium must reach the policy's
// minimum in its first month, and every person insured must have a 车间 spell at the workshop in some
// month it covers.
func (ws *Workshops) AddInsurance(ctx context.Context, by workflow.Caller, workshopID string, n NewInsurance) (*WorkshopInsurance, error) {
	var fs []apperr.FieldViolation
	bad := func(field, desc string) {
		fs = append(fs, apperr.FieldViolation{Field: field, Reason: ReasonInsuranceInvalid, Description: desc})
	}
	n.PolicyNumber, n.Insurer = strings.TrimSpace(n.PolicyNumber), strings.TrimSpace(n.Insurer)
	if n.PolicyNumber == "" || len(n.PolicyNumber) > 64 {
		bad("insurance.policy_number", "the insurance policy's number is required, at most 64 characters")
	}
	if n.Insurer == "" || utf8.RuneCountInString(n.Insurer) > 100 {
		bad("insurance.insurer", "the insurer is required, at most 100 characters")
	}
	_, errFrom := payroll.ParseMonth(n.FromMonth)
	_, errTo := payroll.ParseMonth(n.ToMonth)
	if errFrom != nil {
		bad("insurance.from_month", "a month YYYY-MM")
	}
	if errTo != nil || (errFrom == nil && n.ToMonth < n.FromMonth) || (errFrom == nil && errTo == nil && len(payroll.MonthsBetween(n.FromMonth, n.ToMonth)) > 12) {
		bad("insurance.to_month", "a month YYYY-MM, not before from_month, at most 12 months after it")
	}
	if n.PremiumFen <= 0 {
		bad("insurance.premium_fen", "the premium per worker and month, in fen, above zero")
	}
	slices.Sort(n.PersonIDs)
	n.PersonIDs = slices.Compact(n.PersonIDs)
	if len(n.PersonIDs) == 0 || slices.Contains(n.PersonIDs, "") {
		bad("insurance.person_ids", "at least one insured worker")
	}
	if len(fs) > 0 {
		return nil, apperr.InvalidFields(fs...)
	}
	var out *WorkshopInsurance
	err := ws.store.InTx(ctx, func(ctx context.Context) error {
		w, err := ws.Get(ctx, by, workshopID)
		if err != nil {
			return err
		}
		min, val, err := decodeInt[int64](ws.policy, ParamWorkshopMinInsuranceFen, w.RegionCode, n.FromMonth+"-01")
		if err != nil {
			return err
		}
		if err := CheckInsurancePremium(w.ResourceName(), n.PremiumFen, min, val); err != nil {
			return err
		}
		spells, err := ws.ledger.SpellsAtEmployer(ctx, w.CreditCode, w.Name, n.FromMonth, n.ToMonth)
		if err != nil {
			return err
		}
		workers := spellPersons(slices.DeleteFunc(spells, func(s WorkSpell) bool { return !s.AtWorkshop }))
		var strangers []string
		for _, p := range n.PersonIDs {
			if !slices.Contains(workers, p) {
				strangers = append(strangers, "persons/"+p)
			}
		}
		if len(strangers) > 0 {
			return apperr.Refused(ReasonInsuredPersonNotWorker, apperr.Violation{Type: RuleInsuredAreWorkers, Subject: w.ResourceName(),
				Description: fmt.Sprintf("no 车间 spell at the workshop from %s to %s for %s", n.FromMonth, n.ToMonth, strings.Join(strangers, ", "))})
		}
		i := &WorkshopInsurance{ID: ws.newID(), WorkshopID: w.ID, PolicyNumber: n.PolicyNumber, Insurer: n.Insurer,
			FromMonth: n.FromMonth, ToMonth: n.ToMonth, PremiumFen: n.PremiumFen, PersonIDs: n.PersonIDs, Policy: val,
			RecordedBy: by.Actor, CreateTime: ws.now()}
		if err := ws.store.AddWorkshopInsurance(ctx, i); err != nil {
			return err
		}
		out = i
		return nil
	})
	return out, err
}

// Insurances lists a workshop's insurance policies.
func (ws *Workshops) Insurances(ctx context.Context, by workflow.Caller, workshopID string) ([]*WorkshopInsurance, error) {
	if _, err := ws.Get(ctx, by, workshopID); err != nil {
		return nil, err
	}
	return ws.store.WorkshopInsurances(ctx, workshopID)
}

// WorkshopWorkers is a workshop's workers as the ledger and its insurance show them in a month, with the
// reward each stands at.
type WorkshopWorkers struct {
	Month      string
	Candidates []RewardCandidate
	// After and RewardFen are the policy values in force for the month.
	After     int
	RewardFen int64
	Policy    []policy.Value
}

// Workers evaluates the reward rule for every worker of the workshop up to month (the current month
// when empty), without recording anything.
func (ws *Workshops) Workers(ctx context.Context, by workflow.Caller, workshopID, month string) (*WorkshopWorkers, error) {
	w, err := ws.Get(ctx, by, workshopID)
	if err != nil {
		return nil, err
	}
	return ws.workers(ctx, w, month)
}

func (ws *Workshops) workers(ctx context.Context, w *Workshop, month string) (*WorkshopWorkers, error) {
	if month == "" {
		month = payroll.MonthOf(bizdate.Today(ws.now()))
	} else if _, err := payroll.ParseMonth(month); err != nil {
		return nil, apperr.Invalid(ReasonPeriodInvalid, "month", "a month YYYY-MM")
	}
	date := month + "-01"
	after, afterVal, err := decodeInt[int](ws.policy, ParamWorkshopRewardAfterMonths, w.RegionCode, date)
	if err != nil {
		return nil, err
	}
	fen, fenVal, err := decodeInt[int64](ws.policy, ParamWorkshopRewardFen, w.RegionCode, date)
	if err != nil {
		return nil, err
	}
	first := payroll.MonthOf(w.RegisteredOn)
	if first > month {
		first = month
	}
	spells, err := ws.ledger.SpellsAtEmployer(ctx, w.CreditCode, w.Name, first, month)
	if err != nil {
		return nil, err
	}
	ins, err := ws.store.WorkshopInsurances(ctx, w.ID)
	if err != nil {
		return nil, err
	}
	rewards, err := ws.store.WorkshopRewards(ctx, w.ID)
	if err != nil {
		return nil, err
	}
	rewarded := map[string]bool{}
	for _, r := range rewards {
		rewarded[r.PersonID] = true
	}
	poor, err := ws.poorIn(ctx, spellPersons(spells), month)
	if err != nil {
		return nil, err
	}
	return &WorkshopWorkers{Month: month, After: after, RewardFen: fen, Policy: []policy.Value{afterVal, fenVal},
		Candidates: EvaluateRewards(spells, InsuredMonths(ins), poor, rewarded, first, month, after)}, nil
}

// GrantRewards grants, in one transaction, the reward of every worker due one in month (the current
// month when empty) and the entitlements that pay them to the workshop in that month. The workshop must
// be recognised; none due is refused (nothing is written). A retry finds them granted and grants
// nothing twice (one reward per workshop and worker).
func (ws *Workshops) GrantRewards(ctx context.Context, by workflow.Caller, workshopID, month string) ([]*WorkshopReward, error) {
	var out []*WorkshopReward
	err := ws.store.InTx(ctx, func(ctx context.Context) error {
		w, err := ws.Get(ctx, by, workshopID)
		if err != nil {
			return err
		}
		if w.State != WorkshopStateRecognised {
			return apperr.Refused(ReasonWorkshopNotRecognised, apperr.Violation{Type: RuleWorkshopRecognised, Subject: w.ResourceName(),
				Description: "only a recognised workshop is rewarded"})
		}
		wk, err := ws.workers(ctx, w, month)
		if err != nil {
			return err
		}
		now := ws.now()
		for _, c := range wk.Candidates {
			if !c.Due {
				continue
			}
			r := &WorkshopReward{ID: ws.newID(), WorkshopID: w.ID, PersonID: c.PersonID, HouseholdID: c.HouseholdID, Month: wk.Month,
				StableFrom: c.StableFrom, StableTo: c.StableTo, AmountFen: wk.RewardFen, Policy: wk.Policy, RecordedBy: by.Actor, CreateTime: now}
			e := &payroll.Entitlement{ID: ws.newID(), Program: payroll.ProgramWorkshopReward, Beneficiary: payroll.OrganisationBeneficiary(w.CreditCode),
				RegionCode: w.RegionCode, Source: WorkshopRewardSource(r.ID), FromMonth: wk.Month, ToMonth: wk.Month, AmountFen: wk.RewardFen,
				Covered: 1, Reason: fmt.Sprintf("就业帮扶车间奖补: persons/%s worked %d months (%s–%s)", c.PersonID, c.StableMonths, c.StableFrom, c.StableTo),
				CreateTime: now, UpdateTime: now}
			r.EntitlementID = e.ID
			if err := ws.store.AddWorkshopReward(ctx, r); err != nil {
				return err
			}
			if err := ws.store.GrantEntitlement(ctx, e); err != nil {
				return err
			}
			out = append(out, r)
		}
		if len(out) == 0 {
			return apperr.Refused(ReasonNoRewardDue, apperr.Violation{Type: RuleRewardDue, Subject: w.ResourceName(),
				Description: fmt.Sprintf("no worker from a 脱贫/监测 household has %d consecutive insured months at the workshop by %s without a reward", wk.After, wk.Month)})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Rewards lists a workshop's rewards.
func (ws *Workshops) Rewards(ctx context.Context, by workflow.Caller, workshopID string) ([]*WorkshopReward, error) {
	if _, err := ws.Get(ctx, by, workshopID); err != nil {
		return nil, err
	}
	return ws.store.WorkshopRewards(ctx, workshopID)
}
