package domain

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"fupin.dev/services/platform/apperr"
	"fupin.dev/services/platform/bizdate"
	"fupin.dev/services/platform/pii"
	"fupin.dev/services/platform/policy"
	"fupin.dev/services/platform/tabular"
	"fupin.dev/services/platform/workflow"
)

// ClueSource is where a clue came from (线索来源); numbers of fupin.identification.v1.ClueSource.
type ClueSource int32

// Clue sources.
const (
	ClueSourceUnspecified         ClueSource = iota
	ClueSourceSelfReport                     // 农户自主申报
	ClueSourceCadreScreening                 // 干部排查
	ClueSourceDepartmentScreening            // 部门筛查预警
	clueSourceEnd
)

// ClueKind is the risk a clue reports; numbers of fupin.identification.v1.ClueKind.
type ClueKind int32

// Clue kinds.
const (
	ClueKindUnspecified ClueKind = iota
	ClueIncomeInRange            // 收入低于监测标准
	ClueIncomeDrop               // 收入骤减
	ClueRigidSpending            // 刚性支出骤增
	ClueDisaster                 // 因灾
	ClueAccident                 // 意外事故
	ClueDeath                    // 家庭成员死亡
	ClueIllness                  // 因病
	ClueDisability               // 因残
	ClueJobLoss                  // 务工中断
	ClueOther                    // 其他
	clueKindEnd
)

// MonitoringStage is where a clue's decision or a risk removal stands; numbers of
// fupin.identification.v1.MonitoringStage. Stages below MonitoringConfirmed are undecided.
type MonitoringStage int32

// Stages.
const (
	StageUnspecified  MonitoringStage = iota
	StageOpen                         // 待核实
	StageVerified                     // 已核实, posting not started
	StagePosting                      // 公示中
	StageConfirmed                    // 已认定 / 已批准
	StageNotConfirmed                 // 不予认定 / 未批准
)

// Undecided reports whether no decision has been made yet.
func (s MonitoringStage) Undecided() bool { return s > StageUnspecified && s < StageConfirmed }

// ScreeningFacts are the figures the screening run found for a clue it opened.
type ScreeningFacts struct {
	Run            string
	NetFen         int64
	Members        int
	ThresholdFen   int64
	RigidFen       int64
	LastYearNetFen int64
}

// Clue is a 防返贫监测 clue (线索) and where its decision stands.
type Clue struct {
	ID          string
	HouseholdID string
	RegionCode  string
	Source      ClueSource
	Department  Department
	Kind        ClueKind
	Facts       string
	AroseDate   string
	Reference   string
	// DeadlineDate is the last day the decision is on time; DeadlineHash the policy value it came from.
	DeadlineDate string
	DeadlineHash string
	Stage        MonitoringStage
	// Screening holds the run's figures for clues the screening run opened.
	Screening *ScreeningFacts
	// CaseID is the workflow case of the decision, opened at the first step; Case is that case when loaded.
	CaseID string
	Case   *workflow.Case
	// MonitoringType is the type given when confirmed.
	MonitoringType MonitoringType
	DecidedDate    string
	CreatedBy      string
	CreateTime     time.Time
	UpdateTime     time.Time
	Version        int64
}

// Name is the clue's resource name.
func (c *Clue) Name() string { return "clues/" + c.ID }

// Etag is the clue's AIP-154 etag.
func (c *Clue) Etag() string { return etag("clue/"+c.ID, c.Version) }

// OverdueOn reports whether the clue is undecided after its deadline on date: day N after the clue
// arose is on time, day N+1 overdue.
func (c *Clue) OverdueOn(date string) bool { return c.Stage.Undecided() && date > c.DeadlineDate }

// DecidedOnTime reports whether a decided clue was decided by its deadline.
func (c *Clue) DecidedOnTime() bool { return c.DecidedDate != "" && c.DecidedDate <= c.DeadlineDate }

// sameAs reports whether a clue sent again under the same reference says the same thing.
func (c *Clue) sameAs(o *Clue) bool {
	return c.HouseholdID == o.HouseholdID && c.Kind == o.Kind && c.AroseDate == o.AroseDate
}

// ClueRef is the natural key of a clue a source sends with its own record number.
type ClueRef struct {
	Source     ClueSource
	Department Department
	Reference  string
}

// NewClue is what CreateClue and ImportClues receive.
type NewClue struct {
	// HouseholdID names the household, or IDNumber a current member (looked up by blind index, never kept).
	HouseholdID string
	IDNumber    string
	Source      ClueSource
	Department  Department
	Kind        ClueKind
	Facts       string
	AroseDate   string
	Reference   string
}

// ClueQuery selects a page of clues.
type ClueQuery struct {
	Scope  string
	Filter string
	After  string
	Limit  int
}

// ScreeningGroup is a set of villages that share every policy value screening uses, with those values as
// the store binds them.
type ScreeningGroup struct {
	// Villages limits the group; nil means every household (one group covers the whole scope).
	Villages []string
	// Multipliers per counted item type (index = IncomeItemType): 1 for counted income, -1 for counted
	// production costs, 0 for types not counted.
	Multipliers [6]int64
	LineFen     int64
	// ThresholdNum/Den: inside the monitoring range when net × Den < Num × LineFen × members.
	ThresholdNum, ThresholdDen int64
	// RigidNum/Den: a hit when rigid × Den > Num × last year's net.
	RigidNum, RigidDen int64
	// WindowFrom is the first day of the rolling window (AsOf is the last).
	WindowFrom   string
	DeadlineDate string
	DeadlineHash string
	ThresholdFen int64 // for display
}

// ScreeningParams is one screening run as the store executes it.
type ScreeningParams struct {
	RunID        string
	AsOf         string
	LastYearFrom string
	LastYearTo   string
	Scope        string
	Groups       []ScreeningGroup
	Actor        string
	Now          time.Time
}

// ScreeningRun is the record of one run of the county's screening (排查).
type ScreeningRun struct {
	ID            string
	AsOf          string
	Scope         string
	Households    int64
	IncomeClues   int64
	SpendingClues int64
	PolicyHashes  []string
	Actor         string
	StartTime     time.Time
	Duration      time.Duration
}

// MonitoringStore is what clues and screening need from storage.
type MonitoringStore interface {
	InTx(ctx context.Context, fn func(ctx context.Context) error) error
	GetHousehold(ctx context.Context, id string) (*Household, error)
	UpdateHousehold(ctx context.Context, id string, fn func(h *Household) error) (*Household, error)
	HouseholdOfPerson(ctx context.Context, idIndex string) (*Household, error)
	ListRegions(ctx context.Context, parent, after string, limit int) ([]*Region, error)
	// CluesByReference returns the clues recorded with these natural keys.
	CluesByReference(ctx context.Context, refs []ClueRef) (map[ClueRef]*Clue, error)
	InsertClue(ctx context.Context, c *Clue) error
	// GetClue returns a clue with its steps (locked for update inside a transaction on PostgreSQL).
	GetClue(ctx context.Context, id string) (*Clue, error)
	// UpdateClue saves a clue's state with its version increased, refusing with StaleEtag when the
	// stored version is not c.Version.
	UpdateClue(ctx context.Context, c *Clue) error
	ListClues(ctx context.Context, q ClueQuery) ([]*Clue, string, error)
	// CluesOfHousehold returns a household's clues, oldest first.
	CluesOfHousehold(ctx context.Context, householdID string) ([]*Clue, error)
	// ListOverdueClues returns undecided clues in scope whose deadline is before asOf, by deadline then id.
	ListOverdueClues(ctx context.Context, scope, asOf, afterDeadline, afterID string, limit int) ([]*Clue, error)
	// CountOverdueClues counts them all (the dashboard's to-do count).
	CountOverdueClues(ctx context.Context, scope, asOf string) (int64, error)
	// Screen opens the clues of one run and returns how many of each kind it opened.
	Screen(ctx context.Context, p ScreeningParams) (income, spending int64, err error)
	// CountScreenable counts the active households in scope screening considers.
	CountScreenable(ctx context.Context, scope string) (int64, error)
	InsertScreeningRun(ctx context.Context, r *ScreeningRun) error
}

// Monitoring is the 防返贫监测 use case: clues, screening, and the decisions they lead to.
type Monitoring struct {
	store  MonitoringStore
	engine *workflow.Engine
	pii    *pii.Protector
	policy IncomePolicy
	now    func() time.Time
	newID  func() string
}

// NewMonitoring wires monitoring and declares its kinds of case (a clue's decision, risk removal) on
// engine.
func NewMonitoring(store MonitoringStore, engine *workflow.Engine, protector *pii.Protector, pol IncomePolicy, now func() time.Time, newID func() string) (*Monitoring, error) {
	m := &Monitoring{store: store, engine: engine, pii: protector, policy: pol, now: now, newID: newID}
	if err := engine.Register(m.monitoringDefinitions()...); err != nil {
		return nil, err
	}
	return m, nil
}

// idLike finds anything shaped like a 身份证号 in free text, which must never hold one.
var idLike = regexp.MustCompile(`[0-9]{17}[0-9Xx]`)

// ErrClueNotFound is returned for a clue that does not exist (or lies outside the caller's scope).
var ErrClueNotFound = apperr.NotFound("clue")

// checkClue validates a new clue's fields (field paths under prefix) and fills in what they imply.
func checkClue(in *NewClue, r Reporter, today, prefix string) []apperr.FieldViolation {
	var bad []apperr.FieldViolation
	add := func(field, reason, desc string) {
		bad = append(bad, apperr.FieldViolation{Field: prefix + field, Reason: reason, Description: desc})
	}
	if in.Source <= ClueSourceUnspecified || in.Source >= clueSourceEnd {
		add("source", ReasonInvalidField, "is required")
	}
	if in.Kind <= ClueKindUnspecified || in.Kind >= clueKindEnd {
		add("kind", ReasonInvalidField, "is required")
	}
	if r.Department != DeptRuralRevitalization && r.Department != DeptUnspecified {
		if in.Source != ClueSourceDepartmentScreening || (in.Department != DeptUnspecified && in.Department != r.Department) {
			add("source", ReasonSourceNotCallersDepartment,
				"a department other than 乡村振兴局 hands in only clues from its own data (source DEPARTMENT_SCREENING, its own department)")
		}
		if in.Department == DeptUnspecified {
			in.Department = r.Department
		}
	}
	switch {
	case in.Source == ClueSourceDepartmentScreening && (in.Department <= DeptUnspecified || in.Department >= deptEnd):
		add("department", ReasonInvalidField, "names the department whose data raised the clue")
	case in.Source != ClueSourceDepartmentScreening && in.Department != DeptUnspecified:
		add("department", ReasonInvalidField, "is set only for DEPARTMENT_SCREENING")
	}
	if idLike.MatchString(in.Facts) {
		add("facts", ReasonInvalidField, "must not hold a 身份证号")
	}
	if in.AroseDate == "" {
		in.AroseDate = today
	} else if _, err := bizdate.Parse(in.AroseDate); err != nil || in.AroseDate > today {
		add("arose_date", ReasonDateInvalid, "must be a date (YYYY-MM-DD) not after today")
	}
	return bad
}

// householdFor finds the household a new clue is about, in the caller's scope. A 身份证号 that matches
// nobody the caller may see is CLUE_HOUSEHOLD_UNKNOWN, whether or not the person lives elsewhere.
func (m *Monitoring) householdFor(ctx context.Context, c Caller, in *NewClue, idField, householdField string) (*Household, error) {
	unknown := func(field, desc string) error {
		return &apperr.Error{Kind: apperr.KindNotFound, Reason: ReasonClueHouseholdUnknown, Message: field + ": " + desc,
			Fields: []apperr.FieldViolation{{Field: field, Reason: ReasonClueHouseholdUnknown, Description: desc}}}
	}
	var h *Household
	var err error
	switch {
	case in.HouseholdID != "":
		h, err = m.store.GetHousehold(ctx, in.HouseholdID)
		if errors.Is(err, ErrHouseholdNotFound) {
			return nil, unknown(householdField, "no such household")
		}
		if err != nil {
			return nil, err
		}
		if err := c.check(h.RegionCode); err != nil {
			return nil, err
		}
	case in.IDNumber != "":
		if _, perr := pii.ParseIDNumber(in.IDNumber, m.now()); perr != nil {
			return nil, apperr.Invalid(ReasonIDNumberInvalid, idField, perr.Error())
		}
		h, err = m.store.HouseholdOfPerson(ctx, m.pii.BlindIndex(pii.NormalizeIDNumber(in.IDNumber)))
		if errors.Is(err, ErrHouseholdNotFound) || (err == nil && c.check(h.RegionCode) != nil) {
			return nil, unknown(idField, "no active household in the caller's scope has a current member with this 身份证号")
		}
		if err != nil {
			return nil, err
		}
	default:
		return nil, apperr.Invalid(ReasonInvalidField, householdField, "name the household, or send a member's id_number")
	}
	if h.State == HouseholdArchived {
		return nil, ErrArchived
	}
	return h, nil
}

// CreateClue records a clue. existing is set when the same source had recorded it before under the same
// reference (the earlier clue is returned).
func (m *Monitoring) CreateClue(ctx context.Context, r Reporter, in NewClue) (clue *Clue, existing bool, err error) {
	err = m.store.InTx(ctx, func(ctx context.Context) error {
		clue, existing, err = m.createClue(ctx, r, in, "clue.", "id_number", "clue.household")
		return err
	})
	return clue, existing, err
}

func (m *Monitoring) createClue(ctx context.Context, r Reporter, in NewClue, prefix, idField, householdField string) (*Clue, bool, error) {
	now := m.now()
	today := bizdate.Today(now)
	if bad := checkClue(&in, r, today, prefix); len(bad) > 0 {
		return nil, false, apperr.InvalidFields(bad...)
	}
	h, err := m.householdFor(ctx, r.Caller, &in, idField, householdField)
	if err != nil {
		return nil, false, err
	}
	c := &Clue{ID: m.newID(), HouseholdID: h.ID, RegionCode: h.RegionCode, Source: in.Source, Department: in.Department,
		Kind: in.Kind, Facts: strings.TrimSpace(in.Facts), AroseDate: in.AroseDate, Reference: in.Reference, Stage: StageOpen,
		CreatedBy: r.Actor, CreateTime: now, UpdateTime: now, Version: 1}
	if c.Reference != "" {
		ref := ClueRef{Source: c.Source, Department: c.Department, Reference: c.Reference}
		known, err := m.store.CluesByReference(ctx, []ClueRef{ref})
		if err != nil {
			return nil, false, err
		}
		if prev, ok := known[ref]; ok {
			if !prev.sameAs(c) {
				return nil, false, apperr.Invalid(ReasonExternalReferenceConflict, prefix+"external_reference",
					"this record number of the source was recorded before for another household, kind or date")
			}
			return prev, true, nil
		}
	}
	var days int
	v, err := decodePolicy(m.policy, ParamClueDeadlineDays, h.RegionCode, c.AroseDate, &days)
	if err != nil {
		return nil, false, err
	}
	c.DeadlineDate, c.DeadlineHash = addDays(c.AroseDate, days), v.Hash
	if err := m.store.InsertClue(ctx, c); err != nil {
		return nil, false, err
	}
	return c, false, nil
}

// addDays returns the business date n days after date.
func addDays(date string, n int) string {
	t, _ := time.Parse(bizdate.Layout, date)
	return t.AddDate(0, 0, n).Format(bizdate.Layout)
}

// ClueRow is one row of a clue import.
type ClueRow struct {
	Row int
	NewClue
	// IDCellType is how the file stored the 身份证号 cell; a cell not stored as text is refused.
	IDCellType tabular.CellType
}

// ClueImportOutcome is what happened to an imported row.
type ClueImportOutcome int32

// Import outcomes.
const (
	ImportOutcomeUnspecified ClueImportOutcome = iota
	ImportCreated
	ImportExisting
	ImportFailed
)

// ClueImportResult is the result of one row.
type ClueImportResult struct {
	Row         int
	Outcome     ClueImportOutcome
	ClueID      string
	Field       string
	Reason      string
	Description string
}

// ImportClues records rows independently: a refused row is reported with its field and reason and the
// others go on. Rows need an external reference, so a rerun records nothing twice.
func (m *Monitoring) ImportClues(ctx context.Context, r Reporter, rows []ClueRow) ([]ClueImportResult, error) {
	out := make([]ClueImportResult, len(rows))
	err := m.store.InTx(ctx, func(ctx context.Context) error {
		for i, row := range rows {
			res := ClueImportResult{Row: row.Row}
			row.HouseholdID = ""
			var c *Clue
			var existing bool
			var err error
			if cerr := pii.CheckIDNumberCell(row.IDNumber, row.IDCellType.IsText()); cerr != nil {
				err = apperr.Invalid(ReasonIDNumberInvalid, "id_number", cerr.Error())
			} else if strings.TrimSpace(row.Reference) == "" {
				err = apperr.Invalid(ReasonInvalidField, "clue.external_reference", "is required in an import (it makes reruns safe)")
			} else {
				c, existing, err = m.createClue(ctx, r, row.NewClue, "clue.", "id_number", "id_number")
			}
			switch e, refused := apperr.As(err); {
			case err == nil && existing:
				res.Outcome, res.ClueID = ImportExisting, c.ID
			case err == nil:
				res.Outcome, res.ClueID = ImportCreated, c.ID
			case refused:
				res.Outcome, res.Reason, res.Description = ImportFailed, e.Reason, e.Message
				if len(e.Fields) > 0 {
					res.Field, res.Description, res.Reason = e.Fields[0].Field, e.Fields[0].Description, e.Fields[0].Reason
				}
				if e.Kind == apperr.KindPermissionDenied {
					res.Reason, res.Field = ReasonClueHouseholdUnknown, "id_number"
					res.Description = "no active household in the caller's scope has a current member with this 身份证号"
				}
			default:
				return err
			}
			out[i] = res
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// GetClue returns a clue the caller may see, with its decision's case; outside the scope it does not
// exist.
func (m *Monitoring) GetClue(ctx context.Context, c Caller, id string) (*Clue, error) {
	clue, err := m.store.GetClue(ctx, id)
	if err != nil {
		return nil, err
	}
	if c.check(clue.RegionCode) != nil {
		return nil, ErrClueNotFound
	}
	if clue.CaseID != "" {
		if clue.Case, err = m.engine.Get(ctx, c.monitoringCaller(), clue.CaseID); err != nil {
			return nil, err
		}
	}
	return clue, nil
}

// ListClues lists a page of the clues in the caller's scope.
func (m *Monitoring) ListClues(ctx context.Context, c Caller, filter, after string, limit int) ([]*Clue, string, error) {
	return m.store.ListClues(ctx, ClueQuery{Scope: c.Scope, Filter: filter, After: after, Limit: limit})
}

// OverdueCursor continues a list of overdue clues after the last one returned.
type OverdueCursor struct {
	Deadline string
	ID       string
}

// ListOverdue lists the undecided clues in the caller's scope past their deadline on asOf (default
// today), that is with deadline_date before asOf, oldest deadline first. more says whether a next page
// exists; total counts them all.
func (m *Monitoring) ListOverdue(ctx context.Context, c Caller, asOf string, after OverdueCursor, limit int) (cs []*Clue, more bool, total int64, err error) {
	if asOf == "" {
		asOf = bizdate.Today(m.now())
	} else if _, err := bizdate.Parse(asOf); err != nil {
		return nil, false, 0, apperr.Invalid(ReasonDateInvalid, "as_of_date", err.Error())
	}
	if total, err = m.store.CountOverdueClues(ctx, c.Scope, asOf); err != nil {
		return nil, false, 0, err
	}
	cs, err = m.store.ListOverdueClues(ctx, c.Scope, asOf, after.Deadline, after.ID, limit+1)
	if err != nil {
		return nil, false, 0, err
	}
	if len(cs) > limit {
		return cs[:limit], true, total, nil
	}
	return cs, false, total, nil
}

// RunScreening evaluates the households in the caller's scope as of today and opens clues for new hits,
// set-based in the store. Villages are grouped by the policy values in force for them, so a township
// with its own threshold is screened by it.
func (m *Monitoring) RunScreening(ctx context.Context, c Caller) (*ScreeningRun, error) {
	start := m.now()
	today := bizdate.Today(start)
	regions, err := m.store.ListRegions(ctx, "", "", 1_000_000)
	if err != nil {
		return nil, err
	}
	params := ScreeningParams{RunID: m.newID(), AsOf: today, Scope: c.Scope, Actor: c.Actor, Now: start}
	y := atoiYear(today) - 1
	params.LastYearFrom, params.LastYearTo = fmt.Sprintf("%04d-01-01", y), fmt.Sprintf("%04d-12-31", y)
	groups := map[string]*ScreeningGroup{}
	var order []string
	hashes := map[string]bool{}
	villages := 0
	for _, r := range regions {
		if r.Level != LevelVillage || !strings.HasPrefix(r.Code, c.Scope) {
			continue
		}
		villages++
		g, hs, err := m.screeningGroup(r.Code, today)
		if err != nil {
			return nil, err
		}
		for _, h := range hs {
			hashes[h] = true
		}
		key := fmt.Sprintf("%+v", *g)
		if prev, ok := groups[key]; ok {
			prev.Villages = append(prev.Villages, r.Code)
			continue
		}
		g.Villages = []string{r.Code}
		groups[key] = g
		order = append(order, key)
	}
	for _, k := range order {
		params.Groups = append(params.Groups, *groups[k])
	}
	if len(params.Groups) == 1 {
		// One set of values for every village in scope: no need to list them.
		params.Groups[0].Villages = nil
	}
	run := &ScreeningRun{ID: params.RunID, AsOf: today, Scope: c.Scope, Actor: c.Actor, StartTime: start}
	for h := range hashes {
		run.PolicyHashes = append(run.PolicyHashes, h)
	}
	slices.Sort(run.PolicyHashes)
	err = m.store.InTx(ctx, func(ctx context.Context) error {
		if villages > 0 {
			if run.IncomeClues, run.SpendingClues, err = m.store.Screen(ctx, params); err != nil {
				return err
			}
		}
		if run.Households, err = m.store.CountScreenable(ctx, c.Scope); err != nil {
			return err
		}
		run.Duration = m.now().Sub(start)
		return m.store.InsertScreeningRun(ctx, run)
	})
	if err != nil {
		return nil, err
	}
	return run, nil
}

// screeningGroup reads the policy values screening uses for one village on a date.
func (m *Monitoring) screeningGroup(village, today string) (*ScreeningGroup, []string, error) {
	g := &ScreeningGroup{}
	var hashes []string
	decode := func(param string, into any) error {
		v, err := decodePolicy(m.policy, param, village, today, into)
		if err == nil {
			hashes = append(hashes, v.Hash)
		}
		return err
	}
	var ratio, rigid policy.Ratio
	var months, deadline int
	if err := decode(ParamPovertyLine, &g.LineFen); err != nil {
		return nil, nil, err
	}
	if err := decode(ParamMonitoringThresholdRatio, &ratio); err != nil {
		return nil, nil, err
	}
	if err := decode(ParamRigidSpendingRatio, &rigid); err != nil {
		return nil, nil, err
	}
	if err := decode(ParamMonitoringWindowMonths, &months); err != nil {
		return nil, nil, err
	}
	if months < 1 {
		return nil, nil, fmt.Errorf("policy %s must be at least 1 (got %d)", ParamMonitoringWindowMonths, months)
	}
	dv, err := decodePolicy(m.policy, ParamClueDeadlineDays, village, today, &deadline)
	if err != nil {
		return nil, nil, err
	}
	hashes = append(hashes, dv.Hash)
	counted, cv, err := countedTypes(m.policy, ParamMonitoringCounted, village, today)
	if err != nil {
		return nil, nil, err
	}
	hashes = append(hashes, cv.Hash)
	for _, ty := range counted {
		g.Multipliers[ty] = 1
		if ty == IncomeProductionCost {
			g.Multipliers[ty] = -1
		}
	}
	g.ThresholdNum, g.ThresholdDen = ratio.Num, ratio.Den
	g.RigidNum, g.RigidDen = rigid.Num, rigid.Den
	g.WindowFrom = RollingFrom(today, months)
	g.DeadlineDate, g.DeadlineHash = addDays(today, deadline), dv.Hash
	g.ThresholdFen = FloorDiv(g.LineFen*ratio.Num, ratio.Den)
	return g, hashes, nil
}

// InsideMonitoringRange is the monitoring rule on income, exactly: per-capita net income strictly below
// line × num/den, compared without division (net × den < num × line × members). A household without
// members is never inside.
func InsideMonitoringRange(net int64, members int, line int64, ratio policy.Ratio) bool {
	if members <= 0 {
		return false
	}
	return net*ratio.Den < ratio.Num*line*int64(members)
}

// RigidSpendingBeyond is the monitoring rule on spending: rigid spending of the window beyond
// num/den × last year's net income (strictly), and some spending at all.
func RigidSpendingBeyond(rigid, lastYearNet int64, ratio policy.Ratio) bool {
	return rigid > 0 && rigid*ratio.Den > ratio.Num*lastYearNet
}
