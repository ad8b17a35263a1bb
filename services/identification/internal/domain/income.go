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

// Reasons of the income, monitoring and screening area (fupin.identification.v1.ErrorReason 150–199).
const (
	ReasonIncomeItemInvalid          = "INCOME_ITEM_INVALID"
	ReasonIncomePeriodInvalid        = "INCOME_PERIOD_INVALID"
	ReasonSourceNotCallersDepartment = "SOURCE_NOT_CALLERS_DEPARTMENT"
	ReasonExternalReferenceConflict  = "EXTERNAL_REFERENCE_CONFLICT"
	ReasonClueHouseholdUnknown       = "CLUE_HOUSEHOLD_UNKNOWN"
	ReasonMonitoringTypeNotAllowed   = "MONITORING_TYPE_NOT_ALLOWED"
	ReasonAlreadyMonitored           = "ALREADY_MONITORED"
	ReasonNotMonitored               = "NOT_MONITORED"
	ReasonNoteRequired               = "NOTE_REQUIRED"
)

// Policy parameters of income assessment and monitoring (deploy/policy/defaults.json).
const (
	ParamPovertyLine           = "identification.poverty_line_fen_per_year"
	ParamIdentificationCounted = "identification.counted_income_types"
	ParamMonitoringCounted     = "monitoring.counted_income_types"
	// ParamDibaoCounted is 民政's list for 低保: the subsidies service owns the rule, the register applies it.
	ParamDibaoCounted             = "subsidies.dibao.counted_income_types"
	ParamMonitoringThresholdRatio = "monitoring.threshold_ratio"
	ParamMonitoringWindowMonths   = "monitoring.income_window_months"
	ParamRigidSpendingRatio       = "monitoring.rigid_spending_ratio"
	ParamClueDeadlineDays         = "monitoring.clue_deadline_days"
	ParamMonitoringPostingDays    = "monitoring.posting_days"
	ParamRiskRemovalPostingDays   = "monitoring.risk_removal.posting_days"
)

// TopicIncomeAssessed is the change-feed topic of income assessments.
const TopicIncomeAssessed = "income.assessed"

// IncomeItemType is the kind of an income or spending item; numbers of fupin.identification.v1.IncomeItemType.
type IncomeItemType int32

// Item types.
const (
	IncomeTypeUnspecified IncomeItemType = iota
	IncomeWages                          // 工资性收入
	IncomeBusiness                       // 家庭经营性收入
	IncomeProperty                       // 财产性收入
	IncomeTransfer                       // 转移性收入
	IncomeProductionCost                 // 生产经营费用支出
	IncomeRigidSpending                  // 刚性支出
	incomeTypeEnd
)

// incomeTypeCodes are the names policy lists counted types by.
var incomeTypeCodes = map[string]IncomeItemType{
	"wages": IncomeWages, "business": IncomeBusiness, "property": IncomeProperty, "transfer": IncomeTransfer,
	"production_cost": IncomeProductionCost,
}

// RigidSpendingKind is the subtype of rigid spending.
type RigidSpendingKind int32

// Rigid spending kinds.
const (
	RigidUnspecified RigidSpendingKind = iota
	RigidMedical                       // 医疗
	RigidEducation                     // 教育
	rigidEnd
)

// IncomeSource is where an item's figure comes from.
type IncomeSource int32

// Income sources.
const (
	IncomeSourceUnspecified IncomeSource = iota
	IncomeSourceSurvey                   // 入户调查
	IncomeSourceSelfReport               // 农户申报
	IncomeSourceDepartment               // 部门数据
	incomeSourceEnd
)

// Department is a county department; numbers of fupin.common.v1.Department.
type Department int32

// Departments.
const (
	DeptUnspecified         Department = iota
	DeptRuralRevitalization            // 乡村振兴局
	DeptCivilAffairs                   // 民政
	DeptDisabledPersons                // 残联
	DeptHumanResources                 // 人社
	DeptAgriculture                    // 农业农村
	DeptFinance                        // 财政
	DeptCountyGovernment               // 县政府
	DeptMedicalSecurity                // 医保
	DeptEmergencyManagement            // 应急
	DeptPublicSecurity                 // 公安
	deptEnd
)

// TransferProgram is the program a transfer payment belongs to.
type TransferProgram int32

// Transfer programs (fupin.identification.v1.TransferProgram).
const (
	TransferUnspecified TransferProgram = iota
	TransferDibao
	TransferDestituteSupport
	TransferTemporaryAssistance
	TransferLivingSubsidy
	TransferCareSubsidy
	TransferPension
	TransferPublicWelfarePost
	TransferAgriculturalSubsidy
	TransferOther
	transferEnd
)

// IncomeProgram is whose counting rules an assessment applies.
type IncomeProgram int32

// Programs.
const (
	ProgramUnspecified    IncomeProgram = iota
	ProgramIdentification               // 精准识别
	ProgramMonitoring                   // 防返贫监测
	ProgramDibao                        // 低保 (民政's rules, read by the subsidies service)
)

func (p IncomeProgram) countedParam() string {
	switch p {
	case ProgramIdentification:
		return ParamIdentificationCounted
	case ProgramDibao:
		return ParamDibaoCounted
	}
	return ParamMonitoringCounted
}

// MaxItemFen is the largest amount of one item (21,474,836.47 元): sums of items stay 64-bit integers in
// both databases.
const MaxItemFen = 2_147_483_647

// IncomeItem is one dated, typed income or spending item (收支项).
type IncomeItem struct {
	ID          string
	HouseholdID string
	Type        IncomeItemType
	RigidKind   RigidSpendingKind
	Source      IncomeSource
	// SourceDepartment is the department whose records the figure comes from (Source DEPARTMENT).
	SourceDepartment Department
	// Payer is the paying department of a transfer.
	Payer   Department
	Program TransferProgram
	// Period is the month (YYYY-MM) or day (YYYY-MM-DD) as recorded; Day is the date windows compare:
	// the day itself, or the first day of the month.
	Period      string
	Day         string
	AmountFen   int64
	Description string
	Reference   string
	RecordedBy  string
	CreateTime  time.Time
	// PersonID is the member whose figure it is ("" for a household-level figure): a member's wage of a
	// month that 人社 reports is superseded in assessments.
	PersonID string
}

// IncomeRef is the natural key of an item sent by a source with its own record number.
type IncomeRef struct {
	Source     IncomeSource
	Department Department
	Reference  string
}

func (it *IncomeItem) ref() IncomeRef {
	return IncomeRef{Source: it.Source, Department: it.SourceDepartment, Reference: it.Reference}
}

// sameContent reports whether two items with the same reference say the same thing.
func (it *IncomeItem) sameContent(o *IncomeItem) bool {
	return it.HouseholdID == o.HouseholdID && it.Type == o.Type && it.RigidKind == o.RigidKind && it.Payer == o.Payer &&
		it.Program == o.Program && it.Period == o.Period && it.AmountFen == o.AmountFen && it.PersonID == o.PersonID
}

// IncomeTotals are the sums of a household's items in a window, by type, in fen.
type IncomeTotals struct {
	Wages, Business, Property, Transfers, ProductionCosts int64
	Medical, Education                                    int64
	// Items counts every item of the window; IncomeItems those that are not rigid spending.
	Items, IncomeItems int
}

// byType returns the total of one counted type.
func (t IncomeTotals) byType(ty IncomeItemType) int64 {
	switch ty {
	case IncomeWages:
		return t.Wages
	case IncomeBusiness:
		return t.Business
	case IncomeProperty:
		return t.Property
	case IncomeTransfer:
		return t.Transfers
	case IncomeProductionCost:
		return t.ProductionCosts
	}
	return 0
}

// Net is 家庭纯收入 over the counted types: the income types counted, minus production costs when counted.
func (t IncomeTotals) Net(counted []IncomeItemType) int64 {
	var net int64
	for _, ty := range counted {
		if ty == IncomeProductionCost {
			net -= t.ProductionCosts
		} else {
			net += t.byType(ty)
		}
	}
	return net
}

// Rigid is the rigid spending of the window.
func (t IncomeTotals) Rigid() int64 { return t.Medical + t.Education }

// IncomeAssessment is a household's income over a window (收入核算结果).
type IncomeAssessment struct {
	HouseholdID string
	RegionCode  string
	Program     IncomeProgram
	From, To    string
	Totals      IncomeTotals
	Counted     []IncomeItemType
	Net         int64
	// Members are the household's current members on MembersDate, the day the assessment is made.
	Members     int
	MembersDate string
	PerCapita   int64
	PolicyHash  string
	AssessTime  time.Time
	// Lines are the members' wage figures per month behind Totals.Wages (MergeEmploymentWages).
	Lines []IncomeLine
	// Employment says whether 人社's wages were counted; EmploymentAsOf is when 人社's facts last changed.
	Employment     EmploymentState
	EmploymentAsOf time.Time
}

// FloorDiv divides rounding toward minus infinity, so PerCapita × Members never exceeds Net.
func FloorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

// IncomePolicy reads the policy parameters of income assessment and monitoring (satisfied by
// *policy.Store): the value in force for regionCode on the business date of date, decoded into into.
type IncomePolicy interface {
	Decode(parameter, regionCode string, date time.Time, into any) (policy.Value, error)
}

// IncomeStore is what income assessment needs from storage.
type IncomeStore interface {
	InTx(ctx context.Context, fn func(ctx context.Context) error) error
	GetHousehold(ctx context.Context, id string) (*Household, error)
	// IncomeItemsByReference returns the recorded items with these natural keys.
	IncomeItemsByReference(ctx context.Context, refs []IncomeRef) (map[IncomeRef]*IncomeItem, error)
	// InsertIncomeItems writes new items.
	InsertIncomeItems(ctx context.Context, items []*IncomeItem) error
	// ListIncomeItems returns a page of a household's items with Day in [from, to] ("" = open), ordered by
	// day then id, after the cursor.
	ListIncomeItems(ctx context.Context, householdID, from, to, after string, limit int) ([]*IncomeItem, string, error)
	// SumIncome totals a household's items with Day in [from, to].
	SumIncome(ctx context.Context, householdID, from, to string) (IncomeTotals, error)
	// PublishIncomeAssessed appends "income.assessed" to the change feed in the transaction in ctx.
	PublishIncomeAssessed(ctx context.Context, a *IncomeAssessment, trigger string) error
	// MemberWageLines returns the household's wage items naming a member with Day in [from, to], as
	// recorded lines.
	MemberWageLines(ctx context.Context, householdID, from, to string) ([]IncomeLine, error)
}

// Incomes is the income assessment (收入核算) use case.
type Incomes struct {
	store  IncomeStore
	policy IncomePolicy
	now    func() time.Time
	newID  func() string
	// employment serves 人社's wages; nil when the deployment runs no employment service.
	employment EmploymentFacts
}

// CountEmploymentWages makes assessments read the members' wages from 人社 (the employment service) and
// count them (MergeEmploymentWages). Without it the deployment has no employment service: assessments
// count the recorded figures only and say so (EmploymentStateNotConfigured).
func (s *Incomes) CountEmploymentWages(e EmploymentFacts) { s.employment = e }

// NewIncomes wires income assessment.
func NewIncomes(store IncomeStore, pol IncomePolicy, now func() time.Time, newID func() string) *Incomes {
	return &Incomes{store: store, policy: pol, now: now, newID: newID}
}

// Reporter is who records items or clues: the caller and the department of their token. A department
// other than 乡村振兴局 reports only its own data.
type Reporter struct {
	Caller
	Department Department
}

// anyHousehold is the parent id ("households/-") that lets each item of a batch name its own household.
const anyHousehold = "-"

// RecordItems records a batch of items, all or nothing, and publishes the assessment of each household
// touched (the rolling window as of today, monitoring rules). parent is a household id or "-".
func (s *Incomes) RecordItems(ctx context.Context, r Reporter, parent string, in []IncomeItem) ([]*IncomeItem, error) {
	now := s.now()
	today := bizdate.Today(now)
	items := make([]*IncomeItem, len(in))
	var bad []apperr.FieldViolation
	for i := range in {
		it := in[i]
		items[i] = &it
		field := fmt.Sprintf("items[%d]", i)
		switch {
		case it.HouseholdID == "" && parent != anyHousehold:
			it.HouseholdID = parent
		case it.HouseholdID == "":
			bad = append(bad, apperr.FieldViolation{Field: field + ".household", Reason: ReasonIncomeItemInvalid,
				Description: "names the household when the parent is households/-"})
		case parent != anyHousehold && it.HouseholdID != parent:
			bad = append(bad, apperr.FieldViolation{Field: field + ".household", Reason: ReasonIncomeItemInvalid,
				Description: "differs from the request's parent"})
		}
		bad = append(bad, checkIncomeItem(&it, r, today, field)...)
		it.RecordedBy, it.CreateTime = r.Actor, now
	}
	if len(bad) > 0 {
		return nil, apperr.InvalidFields(bad...)
	}
	var out []*IncomeItem
	err := s.store.InTx(ctx, func(ctx context.Context) error {
		households := map[string]*Household{}
		var order []string
		for i, it := range items {
			if _, ok := households[it.HouseholdID]; ok {
				continue
			}
			h, err := s.store.GetHousehold(ctx, it.HouseholdID)
			if errors.Is(err, ErrHouseholdNotFound) {
				return apperr.Invalid(ReasonIncomeItemInvalid, fmt.Sprintf("items[%d].household", i), "no such household")
			}
			if err != nil {
				return err
			}
			if err := r.check(h.RegionCode); err != nil {
				return err
			}
			if h.State == HouseholdArchived {
				return ErrArchived
			}
			households[it.HouseholdID] = h
			order = append(order, it.HouseholdID)
		}
		for i, it := range items {
			if it.PersonID != "" && households[it.HouseholdID].Member(it.PersonID) == nil {
				return apperr.Invalid(ReasonIncomeItemInvalid, fmt.Sprintf("items[%d].person_id", i), "is not a member of the household")
			}
		}
		var err error
		if out, err = s.dedupe(ctx, items); err != nil {
			return err
		}
		var fresh []*IncomeItem
		for i, it := range out {
			if it == items[i] {
				it.ID = s.newID()
				fresh = append(fresh, it)
			}
		}
		if err := s.store.InsertIncomeItems(ctx, fresh); err != nil {
			return err
		}
		if len(fresh) == 0 {
			return nil
		}
		touched := map[string]bool{}
		for _, it := range fresh {
			touched[it.HouseholdID] = true
		}
		for _, id := range order {
			if !touched[id] {
				continue
			}
			a, err := s.assess(ctx, households[id], IncomeWindowSpec{AsOf: today}, ProgramMonitoring, now)
			if err != nil {
				return err
			}
			if err := s.store.PublishIncomeAssessed(ctx, a, "items_recorded"); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// dedupe replaces each item whose natural key was recorded before (or earlier in the batch) by that
// item, refusing one that says something else under the same key.
func (s *Incomes) dedupe(ctx context.Context, items []*IncomeItem) ([]*IncomeItem, error) {
	var refs []IncomeRef
	for _, it := range items {
		if it.Reference != "" {
			refs = append(refs, it.ref())
		}
	}
	out := slices.Clone(items)
	if len(refs) == 0 {
		return out, nil
	}
	known, err := s.store.IncomeItemsByReference(ctx, refs)
	if err != nil {
		return nil, err
	}
	if known == nil {
		known = map[IncomeRef]*IncomeItem{}
	}
	for i, it := range items {
		if it.Reference == "" {
			continue
		}
		prev, ok := known[it.ref()]
		if !ok {
			known[it.ref()] = it
			continue
		}
		if !prev.sameContent(it) {
			return nil, apperr.Invalid(ReasonExternalReferenceConflict, fmt.Sprintf("items[%d].external_reference", i),
				"this record number of the source was recorded before with other content")
		}
		out[i] = prev
	}
	return out, nil
}

// check applies the department rule and the caller's scope.
func (r Reporter) check(regionCode string) error { return r.Caller.check(regionCode) }

// checkIncomeItem validates one item's fields together and fills in what they imply (Day, the caller's
// department as source department).
func checkIncomeItem(it *IncomeItem, r Reporter, today, field string) []apperr.FieldViolation {
	var bad []apperr.FieldViolation
	add := func(sub, reason, desc string) {
		bad = append(bad, apperr.FieldViolation{Field: field + "." + sub, Reason: reason, Description: desc})
	}
	if it.Type <= IncomeTypeUnspecified || it.Type >= incomeTypeEnd {
		add("type", ReasonIncomeItemInvalid, "is required")
	}
	if it.Source <= IncomeSourceUnspecified || it.Source >= incomeSourceEnd {
		add("source", ReasonIncomeItemInvalid, "is required")
	}
	if it.AmountFen <= 0 || it.AmountFen > MaxItemFen {
		add("amount_fen", ReasonIncomeItemInvalid, "must be positive (costs and spending too) and at most 2,147,483,647 fen")
	}
	switch {
	case it.Type == IncomeRigidSpending && (it.RigidKind <= RigidUnspecified || it.RigidKind >= rigidEnd):
		add("rigid_spending_kind", ReasonIncomeItemInvalid, "is required for rigid spending (MEDICAL or EDUCATION)")
	case it.Type != IncomeRigidSpending && it.RigidKind != RigidUnspecified:
		add("rigid_spending_kind", ReasonIncomeItemInvalid, "is set only for rigid spending")
	}
	if it.Type == IncomeTransfer {
		if it.Payer <= DeptUnspecified || it.Payer >= deptEnd {
			add("payer", ReasonIncomeItemInvalid, "a transfer names the paying department")
		}
		if it.Program == TransferUnspecified {
			it.Program = TransferOther
		}
	} else {
		if it.Payer != DeptUnspecified {
			add("payer", ReasonIncomeItemInvalid, "is set only for transfers")
		}
		if it.Program != TransferUnspecified {
			add("transfer_program", ReasonIncomeItemInvalid, "is set only for transfers")
		}
	}
	if r.Department != DeptRuralRevitalization && r.Department != DeptUnspecified {
		if it.Source != IncomeSourceDepartment || (it.SourceDepartment != DeptUnspecified && it.SourceDepartment != r.Department) {
			add("source", ReasonSourceNotCallersDepartment,
				"a department other than 乡村振兴局 records only its own data (source DEPARTMENT, its own department)")
		}
		if it.SourceDepartment == DeptUnspecified {
			it.SourceDepartment = r.Department
		}
	}
	switch {
	case it.Source == IncomeSourceDepartment && (it.SourceDepartment <= DeptUnspecified || it.SourceDepartment >= deptEnd):
		add("source_department", ReasonIncomeItemInvalid, "names the department the figure comes from")
	case it.Source != IncomeSourceDepartment && it.SourceDepartment != DeptUnspecified:
		add("source_department", ReasonIncomeItemInvalid, "is set only for source DEPARTMENT")
	}
	day, err := periodDay(it.Period, today)
	if err != nil {
		add("period", ReasonIncomePeriodInvalid, err.Error())
	}
	it.Day = day
	return bad
}

// periodDay returns the date a period is compared by: the day itself, or the first of its month. A
// period in the future (a later month, a later day) is refused.
func periodDay(period, today string) (string, error) {
	switch len(period) {
	case len("2006-01"):
		d := period + "-01"
		if _, err := bizdate.Parse(d); err != nil || period[4] != '-' {
			return "", errors.New("must be a month YYYY-MM or a day YYYY-MM-DD")
		}
		if period > today[:7] {
			return "", fmt.Errorf("month %s has not begun (today is %s)", period, today)
		}
		return d, nil
	case len(bizdate.Layout):
		if _, err := bizdate.Parse(period); err != nil {
			return "", errors.New("must be a month YYYY-MM or a day YYYY-MM-DD")
		}
		if period > today {
			return "", fmt.Errorf("%s is after today (%s)", period, today)
		}
		return period, nil
	}
	return "", errors.New("must be a month YYYY-MM or a day YYYY-MM-DD")
}

// ListItems lists a page of a household's items in the caller's scope.
func (s *Incomes) ListItems(ctx context.Context, c Caller, householdID, from, to, after string, limit int) ([]*IncomeItem, string, error) {
	h, err := s.store.GetHousehold(ctx, householdID)
	if err != nil {
		return nil, "", err
	}
	if err := c.check(h.RegionCode); err != nil {
		return nil, "", err
	}
	return s.store.ListIncomeItems(ctx, householdID, from, to, after, limit)
}

// IncomeWindowSpec chooses an assessment window: a calendar year, or the rolling window up to AsOf.
type IncomeWindowSpec struct {
	Year int
	AsOf string
}

// Assess computes a household's assessment and publishes it on the change feed.
func (s *Incomes) Assess(ctx context.Context, c Caller, householdID string, w IncomeWindowSpec, program IncomeProgram) (*IncomeAssessment, error) {
	var out *IncomeAssessment
	err := s.store.InTx(ctx, func(ctx context.Context) error {
		var err error
		if out, err = s.Compute(ctx, c, householdID, w, program); err != nil {
			return err
		}
		return s.store.PublishIncomeAssessed(ctx, out, "assessed")
	})
	return out, err
}

// Compute computes a household's assessment in the caller's scope without publishing it: the read other
// departments' decisions use (a 低保 survey looks as often as it needs without adding to the feed).
func (s *Incomes) Compute(ctx context.Context, c Caller, householdID string, w IncomeWindowSpec, program IncomeProgram) (*IncomeAssessment, error) {
	h, err := s.store.GetHousehold(ctx, householdID)
	if err != nil {
		return nil, err
	}
	if err := c.check(h.RegionCode); err != nil {
		return nil, err
	}
	return s.assess(ctx, h, w, program, s.now())
}

// ErrNoIncomeItems is PerCapitaNet's answer for a household without income items in the year: nothing to
// assess, which is not the same as no income.
var ErrNoIncomeItems = apperr.NotFound("income items of the household for the year")

// PerCapitaNet is the identification program's per-capita net income of a household for a calendar year
// (fen, rounded down) with the number of members it was divided by (the current members today). Other
// areas (the identification case's decision) use it; it publishes nothing. A household without income
// items in the year answers ErrNoIncomeItems.
func (s *Incomes) PerCapitaNet(ctx context.Context, householdID string, year int) (fen int64, members int, err error) {
	h, err := s.store.GetHousehold(ctx, householdID)
	if err != nil {
		return 0, 0, err
	}
	a, err := s.assess(ctx, h, IncomeWindowSpec{Year: year}, ProgramIdentification, s.now())
	if err != nil {
		return 0, 0, err
	}
	if a.Totals.IncomeItems == 0 {
		return 0, 0, ErrNoIncomeItems
	}
	return a.PerCapita, a.Members, nil
}

// assess computes an assessment of h.
func (s *Incomes) assess(ctx context.Context, h *Household, w IncomeWindowSpec, program IncomeProgram, now time.Time) (*IncomeAssessment, error) {
	if program == ProgramUnspecified {
		program = ProgramMonitoring
	}
	today := bizdate.Today(now)
	from, to, err := s.window(h.RegionCode, w, today)
	if err != nil {
		return nil, err
	}
	counted, v, err := countedTypes(s.policy, program.countedParam(), h.RegionCode, min(to, today))
	if err != nil {
		return nil, err
	}
	totals, err := s.store.SumIncome(ctx, h.ID, from, to)
	if err != nil {
		return nil, err
	}
	a := &IncomeAssessment{HouseholdID: h.ID, RegionCode: h.RegionCode, Program: program, From: from, To: to,
		Totals: totals, Counted: counted, Members: h.Size(), MembersDate: today, PolicyHash: v.Hash, AssessTime: now}
	if err := s.countEmployment(ctx, h, a); err != nil {
		return nil, err
	}
	a.Net = a.Totals.Net(counted)
	if a.Members > 0 {
		a.PerCapita = FloorDiv(a.Net, int64(a.Members))
	}
	return a, nil
}

// window returns the first and last day of an assessment window.
func (s *Incomes) window(region string, w IncomeWindowSpec, today string) (string, string, error) {
	if w.AsOf == "" {
		if w.Year < 2000 || w.Year > atoiYear(today) {
			return "", "", apperr.Invalid(ReasonDateInvalid, "year", fmt.Sprintf("must be a year from 2000 to this year (%s)", today[:4]))
		}
		y := fmt.Sprintf("%04d", w.Year)
		return y + "-01-01", y + "-12-31", nil
	}
	if _, err := bizdate.Parse(w.AsOf); err != nil || w.AsOf > today {
		return "", "", apperr.Invalid(ReasonDateInvalid, "as_of_date", "must be a date (YYYY-MM-DD) not after today")
	}
	var months int
	if _, err := decodePolicy(s.policy, ParamMonitoringWindowMonths, region, w.AsOf, &months); err != nil {
		return "", "", err
	}
	if months < 1 {
		return "", "", fmt.Errorf("policy %s must be at least 1 (got %d)", ParamMonitoringWindowMonths, months)
	}
	return RollingFrom(w.AsOf, months), w.AsOf, nil
}

// RollingFrom is the first day of a rolling window of months months ending on asOf: the first day of the
// month months-1 before asOf's month (12 months as of 2025-06-15 start on 2024-07-01).
func RollingFrom(asOf string, months int) string {
	t, _ := bizdate.Parse(asOf)
	first := time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC).AddDate(0, -(months - 1), 0)
	return first.Format(bizdate.Layout)
}

func atoiYear(date string) int {
	y := 0
	for _, c := range date[:4] {
		y = y*10 + int(c-'0')
	}
	return y
}

// decodePolicy looks a parameter up for a region on a business date, turning "not in force" into a
// refusal that names the parameter.
func decodePolicy(p IncomePolicy, parameter, region, date string, into any) (policy.Value, error) {
	t, err := bizdate.Parse(date)
	if err != nil {
		return policy.Value{}, err
	}
	v, err := p.Decode(parameter, region, t, into)
	if errors.Is(err, policy.ErrNotFound) {
		return policy.Value{}, apperr.Refused(workflow.ReasonPolicyValueMissing, apperr.Violation{Type: workflow.RulePolicyValue,
			Subject: "policy/" + parameter, Description: fmt.Sprintf("no value of %s is in force for region %s on %s", parameter, region, date)})
	}
	return v, err
}

// countedTypes reads a program's counted item types from policy.
func countedTypes(p IncomePolicy, parameter, region, date string) ([]IncomeItemType, policy.Value, error) {
	var names []string
	v, err := decodePolicy(p, parameter, region, date, &names)
	if err != nil {
		return nil, v, err
	}
	out := make([]IncomeItemType, 0, len(names))
	for _, n := range names {
		ty, ok := incomeTypeCodes[strings.ToLower(strings.TrimSpace(n))]
		if !ok {
			return nil, v, fmt.Errorf("policy %s: unknown income type %q (want wages, business, property, transfer, production_cost)", parameter, n)
		}
		if !slices.Contains(out, ty) {
			out = append(out, ty)
		}
	}
	slices.Sort(out)
	return out, v, nil
}
