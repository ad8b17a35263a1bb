package domain

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"fupin.dev/services/platform/apperr"
	"fupin.dev/services/platform/bizdate"
	"fupin.dev/services/platform/policy"
	"fupin.dev/services/platform/workflow"
)

// 两线合一 comparison (两线合一比对): the 低保 list of a month against the poverty registry. The county must
// cover every eligible registered poor household and open monitoring object with 低保, and know every 低保
// household in the registry, so a run reports both kinds of mismatch. Persons are matched by the blind
// index of the 身份证号 (equal in every department's service of the county), never by the plain number.
//
// The register is read in one streamed export (never a call per household) and folded into a Matcher as
// it arrives: the Matcher holds only the 低保 side in memory (tens of thousands of households, keyed by
// household id and by blind index), so a county of a million persons streams through in constant memory.

// MismatchKind is which way the lists disagree. Numbers equal fupin.subsidies.v1.MismatchKind.
type MismatchKind int32

// Mismatch kinds.
const (
	MismatchKindUnspecified MismatchKind = iota
	// MismatchRegisteredNotCovered: 应保未保, a registered poor household or open monitoring object no 低保
	// household covers.
	MismatchRegisteredNotCovered
	// MismatchDibaoNotRegistered: a 低保 household none of whose persons is registered poor or monitored.
	MismatchDibaoNotRegistered
)

// MismatchReason says why. Numbers equal fupin.subsidies.v1.MismatchReason.
type MismatchReason int32

// Mismatch reasons.
const (
	MismatchReasonUnspecified MismatchReason = iota
	ReasonPoorNotCovered                     // 贫困户未纳入低保
	ReasonReturnedNotCovered                 // 返贫户未纳入低保
	ReasonMonitoredNotCovered                // 监测对象未纳入低保
	ReasonNotInRegister                      // 低保户不在册
	ReasonNotPoor                            // 低保户非贫困户/监测对象
)

// Registry statuses by the names policy uses (numbers of fupin.identification.v1.RegistryStatus).
var registryStatusNames = map[string]int32{"ordinary": 1, "poor": RegistryPoor, "exited": 3, "returned": RegistryReturned}

// ParamComparisonRegistered is the policy parameter saying which register households 低保 should cover
// when eligible: {"registry_statuses": ["poor", "returned"], "open_monitoring": true}.
const ParamComparisonRegistered = "subsidies.comparison.registered"

// ComparisonPolicy is the value of ParamComparisonRegistered.
type ComparisonPolicy struct {
	// RegistryStatuses are registry statuses by name: ordinary, poor, exited, returned.
	RegistryStatuses []string `json:"registry_statuses"`
	// OpenMonitoring makes every open monitoring object (监测中, any type) count, whatever its registry status.
	OpenMonitoring bool `json:"open_monitoring"`
}

// RegisteredRule decides which register households count as registered (the ones 低保 should cover).
type RegisteredRule struct {
	statuses       map[int32]bool
	openMonitoring bool
}

// Rule checks the policy value and returns the rule it states.
func (p ComparisonPolicy) Rule() (RegisteredRule, error) {
	r := RegisteredRule{statuses: map[int32]bool{}, openMonitoring: p.OpenMonitoring}
	for _, name := range p.RegistryStatuses {
		n, ok := registryStatusNames[name]
		if !ok {
			return RegisteredRule{}, fmt.Errorf("policy %s: unknown registry status %q (ordinary, poor, exited, returned)",
				ParamComparisonRegistered, name)
		}
		r.statuses[n] = true
	}
	return r, nil
}

// registered says whether e counts as registered and, if so, the reason its not being covered carries: an
// open monitoring object is reported as such even when its registry status counts too, since that is the
// list the township acts on.
func (r RegisteredRule) registered(e *RegisterEntry) (MismatchReason, bool) {
	switch {
	case r.openMonitoring && e.MonitoringType != 0 && e.MonitoringStatus == MonitoringOpen:
		return ReasonMonitoredNotCovered, true
	case !r.statuses[e.Registry]:
		return 0, false
	case e.Registry == RegistryReturned:
		return ReasonReturnedNotCovered, true
	default:
		return ReasonPoorNotCovered, true
	}
}

// RegisterEntry is one active household of the register as the export streams it, reduced to what
// matching needs.
type RegisterEntry struct {
	HouseholdID string
	RegionCode  string
	// Registry, MonitoringType and MonitoringStatus are identification's enum numbers.
	Registry         int32
	MonitoringType   int32
	MonitoringStatus int32
	Size             int
	// IDIndexes are the blind indexes of the current members.
	IDIndexes []string
}

// DibaoHousehold is one household on the 低保 list of a month.
type DibaoHousehold struct {
	HouseholdID string
	RegionCode  string
	// Source is the decision the entitlement comes from (e.g. "dibaoCases/<id>"); Covered the persons it covers.
	Source  string
	Covered int
	// IDIndexes are the blind indexes of the covered persons when the 低保 decision recorded them. Then the
	// household matches through its persons wherever they live now in the register (a member who moved to
	// another household takes the coverage with them). When empty, the register household with
	// HouseholdID stands for it.
	IDIndexes []string
}

// Mismatch is one household on one list and not on the other.
type Mismatch struct {
	// Seq numbers the run's mismatches from 1, in (kind, region, household) order.
	Seq    int
	Kind   MismatchKind
	Reason MismatchReason
	// HouseholdID is the register household (REGISTERED_NOT_COVERED) or the 低保 household
	// (DIBAO_NOT_REGISTERED); RegionCode its village.
	HouseholdID string
	RegionCode  string
	// The register household's statuses and size (zero when it is not in the register).
	Registry         int32
	MonitoringType   int32
	MonitoringStatus int32
	RegisterSize     int
	// DibaoSource and Covered describe the 低保 entitlement (DIBAO_NOT_REGISTERED).
	DibaoSource string
	Covered     int
}

// ComparisonCounts are a run's figures.
type ComparisonCounts struct {
	RegisterHouseholds   int64
	RegisterPersons      int64
	Registered           int64 // registered poor households and open monitoring objects
	DibaoHouseholds      int64
	RegisteredCovered    int64
	RegisteredNotCovered int64
	DibaoNotRegistered   int64
}

// dibaoFinding is what the register said about one 低保 household.
type dibaoFinding struct {
	seen       bool // some register household holds it (by id or a covered person)
	registered bool // one of those counts as registered
	entry      Mismatch
}

// Matcher matches the register, fed household by household, against a 低保 list. It is a pure function
// of its inputs (no I/O, no clock), so every rule is table-tested; the order households arrive in does not
// change the result.
type Matcher struct {
	rule        RegisteredRule
	dibao       []DibaoHousehold
	byHousehold map[string][]int // 低保 households without recorded persons, by household id
	byPerson    map[string][]int // recorded covered persons, by blind index
	found       []dibaoFinding
	notCovered  []Mismatch
	counts      ComparisonCounts
}

// NewMatcher starts a comparison of the register against the 低保 list.
func NewMatcher(rule RegisteredRule, dibao []DibaoHousehold) *Matcher {
	m := &Matcher{rule: rule, dibao: dibao, byHousehold: make(map[string][]int, len(dibao)), byPerson: map[string][]int{},
		found: make([]dibaoFinding, len(dibao))}
	m.counts.DibaoHouseholds = int64(len(dibao))
	for i, d := range dibao {
		if len(d.IDIndexes) == 0 {
			m.byHousehold[d.HouseholdID] = append(m.byHousehold[d.HouseholdID], i)
			continue
		}
		for _, idx := range d.IDIndexes {
			m.byPerson[idx] = append(m.byPerson[idx], i)
		}
	}
	return m
}

// Add matches one register household.
func (m *Matcher) Add(e *RegisterEntry) {
	m.counts.RegisterHouseholds++
	m.counts.RegisterPersons += int64(len(e.IDIndexes))
	reason, registered := m.rule.registered(e)
	covered := false
	mark := func(i int) {
		covered = true
		f := &m.found[i]
		// Report the household that counts: a registered one if any holds the 低保 household's persons.
		if !f.seen || (registered && !f.registered) {
			f.entry = Mismatch{Registry: e.Registry, MonitoringType: e.MonitoringType, MonitoringStatus: e.MonitoringStatus,
				RegisterSize: e.Size}
		}
		f.seen = true
		f.registered = f.registered || registered
	}
	for _, i := range m.byHousehold[e.HouseholdID] {
		mark(i)
	}
	if len(m.byPerson) > 0 {
		for _, idx := range e.IDIndexes {
			for _, i := range m.byPerson[idx] {
				mark(i)
			}
		}
	}
	if !registered {
		return
	}
	m.counts.Registered++
	if covered {
		m.counts.RegisteredCovered++
		return
	}
	m.notCovered = append(m.notCovered, Mismatch{Kind: MismatchRegisteredNotCovered, Reason: reason, HouseholdID: e.HouseholdID,
		RegionCode: e.RegionCode, Registry: e.Registry, MonitoringType: e.MonitoringType, MonitoringStatus: e.MonitoringStatus,
		RegisterSize: e.Size})
}

// Result returns the counts and the mismatches of both kinds, ordered by kind, region and household and
// numbered from 1.
func (m *Matcher) Result() (ComparisonCounts, []Mismatch) {
	out := slices.Clone(m.notCovered)
	for i, d := range m.dibao {
		f := m.found[i]
		if f.registered {
			continue
		}
		mm := f.entry
		mm.Kind, mm.HouseholdID, mm.RegionCode, mm.DibaoSource, mm.Covered = MismatchDibaoNotRegistered, d.HouseholdID,
			d.RegionCode, d.Source, d.Covered
		mm.Reason = ReasonNotPoor
		if !f.seen {
			mm.Reason = ReasonNotInRegister
		}
		out = append(out, mm)
	}
	slices.SortFunc(out, func(a, b Mismatch) int {
		return cmp.Or(cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.RegionCode, b.RegionCode),
			cmp.Compare(a.HouseholdID, b.HouseholdID), cmp.Compare(a.DibaoSource, b.DibaoSource))
	})
	counts := m.counts
	for i := range out {
		out[i].Seq = i + 1
		if out[i].Kind == MismatchRegisteredNotCovered {
			counts.RegisteredNotCovered++
		} else {
			counts.DibaoNotRegistered++
		}
	}
	return counts, out
}

// Comparison is one stored run.
type Comparison struct {
	ID string
	// Month is the 低保 list's month (YYYY-MM); RegionCode the prefix compared ("" for the county).
	Month      string
	RegionCode string
	ComparisonCounts
	PolicyHash string
	Actor      string
	CreateTime time.Time
	Duration   time.Duration
}

// MismatchQuery selects a page of a run's mismatches.
type MismatchQuery struct {
	ComparisonID string
	// Scope is the caller's region prefix: only mismatches under it are listed.
	Scope string
	// Filter is an AIP-160 expression over kind, reason and region_code, compiled by the store.
	Filter string
	// After is the last Seq of the previous page.
	After int
	Limit int
}

// ComparisonStore keeps runs and reads the 低保 list. Writes join the transaction in ctx.
type ComparisonStore interface {
	// DibaoHouseholds returns the households with a 低保 entitlement paying in month under scope, one per
	// household, in household id order.
	DibaoHouseholds(ctx context.Context, month, scope string) ([]DibaoHousehold, error)
	// SaveComparison stores a run with its mismatches.
	SaveComparison(ctx context.Context, c *Comparison, mismatches []Mismatch) error
	// GetComparison returns a run, or ErrComparisonNotFound.
	GetComparison(ctx context.Context, id string) (*Comparison, error)
	// ListComparisons returns runs whose region overlaps scope, newest first, after the run id after.
	ListComparisons(ctx context.Context, scope, after string, limit int) ([]*Comparison, error)
	// ListMismatches returns a page of a run's mismatches in Seq order.
	ListMismatches(ctx context.Context, q MismatchQuery) ([]Mismatch, error)
}

// RegisterExport streams the identification register (its ExportRegister RPC) on behalf of the caller
// in ctx, who the register also holds to their region scope.
type RegisterExport interface {
	// ExportRegister calls each with consecutive batches of the active households under scope, in
	// household id order. It fails with ErrRegisterUnavailable when the register cannot be read whole.
	ExportRegister(ctx context.Context, scope string, each func([]RegisterEntry) error) error
}

// Reasons of the comparison (fupin.subsidies.v1.ErrorReason).
const (
	ReasonRegisterUnavailable   = "REGISTER_UNAVAILABLE"
	ReasonMonthInvalid          = "MONTH_INVALID"
	ReasonRegisterExportInvalid = "REGISTER_EXPORT_INVALID"
)

// Refusals of the comparison.
var (
	ErrComparisonNotFound = apperr.NotFound("comparison")
	// ErrRegisterUnavailable: the register could not be read whole; nothing was stored.
	ErrRegisterUnavailable = apperr.Unavailable(ReasonRegisterUnavailable,
		"the identification register could not be read; the comparison stored nothing, retry later")
	errRegisterExportInvalid = apperr.Unavailable(ReasonRegisterExportInvalid,
		"the identification register's export repeated a household or sent it out of order; the comparison stored nothing")
	errComparisonOutOfScope = apperr.Denied(workflow.ReasonOutOfRegionScope, "the comparison covers a region outside the caller's scope")
)

// Comparisons is the comparison's use cases.
type Comparisons struct {
	store    ComparisonStore
	register RegisterExport
	policy   workflow.Policy
	now      func() time.Time
	newID    func() string
}

// NewComparisons wires the comparison. now is the clock; newID makes run ids that sort by time.
func NewComparisons(store ComparisonStore, register RegisterExport, policy workflow.Policy, now func() time.Time,
	newID func() string) *Comparisons {
	return &Comparisons{store: store, register: register, policy: policy, now: now, newID: newID}
}

// Run compares the 低保 list of month ("" for this month; not later) with the register as it stands now,
// in the caller's region scope, and stores the run with its mismatches in the transaction in ctx: a run is
// stored whole or not at all.
func (cs *Comparisons) Run(ctx context.Context, by workflow.Caller, month string) (*Comparison, error) {
	start := cs.now()
	thisMonth := MonthOf(bizdate.Today(start))
	if month == "" {
		month = thisMonth
	}
	if _, err := ParseMonth(month); err != nil || month > thisMonth {
		return nil, apperr.Invalid(ReasonMonthInvalid, "month", fmt.Sprintf("month %q must be YYYY-MM, not after %s", month, thisMonth))
	}
	var pol ComparisonPolicy
	v, err := cs.policy.Decode(ParamComparisonRegistered, by.Scope, start, &pol)
	if errors.Is(err, policy.ErrNotFound) {
		return nil, apperr.Refused(workflow.ReasonPolicyValueMissing, apperr.Violation{Type: workflow.RulePolicyValue,
			Subject: ParamComparisonRegistered, Description: fmt.Sprintf("no value of %s is in force for region %q on %s",
				ParamComparisonRegistered, by.Scope, bizdate.Today(start))})
	}
	if err != nil {
		return nil, err
	}
	rule, err := pol.Rule()
	if err != nil {
		return nil, err
	}
	dibao, err := cs.store.DibaoHouseholds(ctx, month, by.Scope)
	if err != nil {
		return nil, err
	}
	m := NewMatcher(rule, dibao)
	last := ""
	err = cs.register.ExportRegister(ctx, by.Scope, func(batch []RegisterEntry) error {
		for i := range batch {
			// The matcher counts what it is given: a repeated household would be counted twice.
			if batch[i].HouseholdID <= last {
				return errRegisterExportInvalid
			}
			last = batch[i].HouseholdID
			m.Add(&batch[i])
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	counts, mismatches := m.Result()
	c := &Comparison{ID: cs.newID(), Month: month, RegionCode: by.Scope, ComparisonCounts: counts, PolicyHash: v.Hash,
		Actor: by.Actor, CreateTime: start, Duration: cs.now().Sub(start)}
	if err := cs.store.SaveComparison(ctx, c, mismatches); err != nil {
		return nil, err
	}
	return c, nil
}

// Get returns a run whose region overlaps the caller's scope.
func (cs *Comparisons) Get(ctx context.Context, by workflow.Caller, id string) (*Comparison, error) {
	c, err := cs.store.GetComparison(ctx, id)
	if err != nil {
		return nil, err
	}
	if !overlaps(c.RegionCode, by.Scope) {
		return nil, errComparisonOutOfScope
	}
	return c, nil
}

// List returns runs whose region overlaps the caller's scope, newest first.
func (cs *Comparisons) List(ctx context.Context, by workflow.Caller, after string, limit int) ([]*Comparison, error) {
	if by.Scope == scopeNone {
		return nil, nil
	}
	return cs.store.ListComparisons(ctx, by.Scope, after, limit)
}

// Mismatches returns a page of a run's mismatches inside the caller's scope: a township sees its own part
// of a county-wide run.
func (cs *Comparisons) Mismatches(ctx context.Context, by workflow.Caller, id, filter string, after, limit int) ([]Mismatch, error) {
	if _, err := cs.Get(ctx, by, id); err != nil {
		return nil, err
	}
	return cs.store.ListMismatches(ctx, MismatchQuery{ComparisonID: id, Scope: by.Scope, Filter: filter, After: after, Limit: limit})
}

// scopeNone is the scope of a caller who may see no region (auth.NoRegion): region codes are digits.
const scopeNone = "none"

// overlaps reports whether one region prefix (or scope) contains the other.
func overlaps(a, b string) bool {
	if a == scopeNone || b == scopeNone {
		return false
	}
	n := min(len(a), len(b))
	return a[:n] == b[:n]
}
