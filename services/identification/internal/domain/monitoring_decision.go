package domain

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"fupin.dev/services/platform/apperr"
	"fupin.dev/services/platform/bizdate"
	"fupin.dev/services/platform/workflow"
)

// The decision a clue leads to, and risk removal, are cases of the platform's workflow engine, which keeps
// the order of steps, the business dates (back-dating needs a reason), the village posting with its policy
// period (day 1 is the day after the start; the posting completes on day N at the earliest), objections
// that send the case back to verification, and the trail. The rules of this area are the step guards.
const (
	// KindMonitoringClue is the case of a clue's decision (subject "clues/{id}"): 受理 → 入户核实 →
	// 村内公示 → 审批. It opens at the clue's first step.
	KindMonitoringClue = "monitoring_clue"
	// KindRiskRemoval is 风险消除 of a monitoring object (subject "households/{id}"): 启动 → 入户核实 →
	// 村内公示 → 审批.
	KindRiskRemoval = "monitoring_risk_removal"

	monStepIntake       = "intake"
	monStepApplication  = "application"
	monStepVerification = "verification"
	monStepPosting      = "posting"
	monStepDecision     = "decision"

	// The steps a monitoring case waits for, as the inbox names them.
	MonitoringStepVerification = monStepVerification // 入户核实
	MonitoringStepPosting      = monStepPosting      // 村内公示
	MonitoringStepDecision     = monStepDecision     // 审批
)

// MonitoringVerification is a household survey's finding (入户核实).
type MonitoringVerification struct {
	OccurredDate   string
	BackdateReason string
	// Outcome: for a clue, the household is at risk; for a risk removal, the risk is eliminated.
	Outcome      bool
	ProposedType MonitoringType
	Findings     string
}

// MonitoringStepInput is a posting, objection or decision to record: its date (default today), the reason
// when back-dated, and its note.
type MonitoringStepInput struct {
	OccurredDate   string
	BackdateReason string
	Note           string
	Etag           string
	// Objector says who objected, for an objection (an online objection's tracking number).
	Objector string
}

// monVerificationData is the verification step's data in the trail.
type monVerificationData struct {
	Outcome        bool           `json:"outcome"`
	ProposedType   MonitoringType `json:"proposed_type,omitempty"`
	RegistryStatus RegistryStatus `json:"registry_status"`
}

// monDecisionData is the deciding step's data in the trail.
type monDecisionData struct {
	Confirm        bool           `json:"confirm"`
	MonitoringType MonitoringType `json:"monitoring_type,omitempty"`
	RegistryStatus RegistryStatus `json:"registry_status"`
}

// monApplicationData is the risk removal's opening step data: the type the household was monitored as.
type monApplicationData struct {
	MonitoringType MonitoringType `json:"monitoring_type"`
}

// StepData decodes a monitoring step's data (verification or decision) for display.
type StepData struct {
	Outcome        bool
	MonitoringType MonitoringType
}

// DecodeStepData reads the facts a monitoring step recorded.
func DecodeStepData(s *workflow.Step) StepData {
	var v struct {
		Outcome        bool           `json:"outcome"`
		Confirm        bool           `json:"confirm"`
		ProposedType   MonitoringType `json:"proposed_type"`
		MonitoringType MonitoringType `json:"monitoring_type"`
	}
	_ = s.Bind(&v)
	out := StepData{Outcome: v.Outcome || v.Confirm, MonitoringType: v.MonitoringType}
	if v.ProposedType != 0 {
		out.MonitoringType = v.ProposedType
	}
	return out
}

// monitoringDefinitions are the two kinds of case this area declares.
func (m *Monitoring) monitoringDefinitions() []workflow.Definition {
	return []workflow.Definition{
		{Kind: KindMonitoringClue, OnePerSubject: true, Steps: []workflow.StepDef{
			{Name: monStepIntake},
			{Name: monStepVerification, Guard: m.clueVerificationGuard, Repeatable: true},
			{Name: monStepPosting, Posting: &workflow.PostingRule{MinDaysParameter: ParamMonitoringPostingDays, ReopenAt: monStepVerification,
				Notice: m.clueNotice}},
			{Name: monStepDecision, Guard: m.clueDecisionGuard},
		}},
		{Kind: KindRiskRemoval, OnePerSubject: true, Steps: []workflow.StepDef{
			{Name: monStepApplication},
			{Name: monStepVerification, Guard: m.removalVerificationGuard, Repeatable: true},
			{Name: monStepPosting, Posting: &workflow.PostingRule{MinDaysParameter: ParamRiskRemovalPostingDays, ReopenAt: monStepVerification,
				Notice: m.riskRemovalNotice}},
			{Name: monStepDecision, Guard: m.removalDecisionGuard},
		}},
	}
}

// MonitoringTypeAllowed is the rule on who may become which monitoring object: 脱贫不稳定户 only an exited
// household, 边缘易致贫户 only a household never registered as poor, 突发严重困难户 any household outside
// the poverty registry (never registered or exited); poor and returned households are in the registry, not
// monitoring objects; a household already an open monitoring object is not confirmed again.
func MonitoringTypeAllowed(h *Household, t MonitoringType) error {
	refuse := func(desc string) error {
		return apperr.Refused(ReasonMonitoringTypeNotAllowed, apperr.Violation{Type: "MONITORING_TYPE", Subject: "households/" + h.ID,
			Description: desc})
	}
	if h.Status.MonitoringStatus == MonitoringStatusOpen {
		return apperr.Refused(ReasonAlreadyMonitored, apperr.Violation{Type: "ALREADY_MONITORED", Subject: "households/" + h.ID,
			Description: "the household is already an open monitoring object"})
	}
	switch h.Status.Registry {
	case RegistryPoor, RegistryReturned:
		return refuse("a household in the poverty registry (poor or returned) is not a monitoring object")
	}
	switch t {
	case MonitoringUnstable:
		if h.Status.Registry != RegistryExited {
			return refuse("脱贫不稳定户 is only for exited households (已脱贫)")
		}
	case MonitoringMarginal:
		if h.Status.Registry != RegistryOrdinary || everRegistered(h) {
			return refuse("边缘易致贫户 is only for households never registered as poor")
		}
	case MonitoringSuddenHardship:
	default:
		return apperr.Invalid(ReasonInvalidField, "monitoring_type", "name the monitoring type (UNSTABLE, MARGINAL or SUDDEN_HARDSHIP)")
	}
	return nil
}

// everRegistered reports whether the household's history shows it in the poverty registry at any time.
func everRegistered(h *Household) bool {
	for _, c := range h.History {
		if c.Registry != RegistryOrdinary && c.Registry != RegistryUnspecified {
			return true
		}
	}
	return h.Status.ExitYear != 0
}

// caseHousehold is the household a case is about, read in the step's transaction.
func (m *Monitoring) caseHousehold(ctx context.Context, c *workflow.Case) (*Household, error) {
	if strings.HasPrefix(c.Subject, "households/") {
		return m.store.GetHousehold(ctx, strings.TrimPrefix(c.Subject, "households/"))
	}
	clue, err := m.store.GetClue(ctx, strings.TrimPrefix(c.Subject, "clues/"))
	if err != nil {
		return nil, err
	}
	return m.store.GetHousehold(ctx, clue.HouseholdID)
}

func (m *Monitoring) clueVerificationGuard(ctx context.Context, c *workflow.Case, s *workflow.Step) error {
	var d monVerificationData
	if err := s.Bind(&d); err != nil {
		return err
	}
	h, err := m.caseHousehold(ctx, c)
	if err != nil {
		return err
	}
	d.RegistryStatus = h.Status.Registry
	if !d.Outcome {
		d.ProposedType = MonitoringNone
		s.Decision = &workflow.Decision{Outcome: workflow.OutcomeRefused, Explanation: "核实无返贫致贫风险, 不予认定: " + s.Note}
	} else if err := MonitoringTypeAllowed(h, d.ProposedType); err != nil {
		return err
	}
	return s.SetData(d)
}

func (m *Monitoring) clueDecisionGuard(ctx context.Context, c *workflow.Case, s *workflow.Step) error {
	var d monDecisionData
	if err := s.Bind(&d); err != nil {
		return err
	}
	h, err := m.caseHousehold(ctx, c)
	if err != nil {
		return err
	}
	d.RegistryStatus = h.Status.Registry
	if d.Confirm {
		if d.MonitoringType == MonitoringNone {
			var v monVerificationData
			if err := c.Latest(monStepVerification).Bind(&v); err != nil {
				return err
			}
			d.MonitoringType = v.ProposedType
		}
		if err := MonitoringTypeAllowed(h, d.MonitoringType); err != nil {
			return err
		}
	}
	return s.SetData(d)
}

func (m *Monitoring) removalVerificationGuard(ctx context.Context, c *workflow.Case, s *workflow.Step) error {
	var d monVerificationData
	if err := s.Bind(&d); err != nil {
		return err
	}
	h, err := m.caseHousehold(ctx, c)
	if err != nil {
		return err
	}
	if h.Status.MonitoringStatus != MonitoringStatusOpen {
		return notMonitored(h)
	}
	d.RegistryStatus, d.ProposedType = h.Status.Registry, MonitoringNone
	if !d.Outcome {
		s.Decision = &workflow.Decision{Outcome: workflow.OutcomeRefused, Explanation: "核实风险未消除: " + s.Note}
	}
	return s.SetData(d)
}

func (m *Monitoring) removalDecisionGuard(ctx context.Context, c *workflow.Case, s *workflow.Step) error {
	var d monDecisionData
	if err := s.Bind(&d); err != nil {
		return err
	}
	h, err := m.caseHousehold(ctx, c)
	if err != nil {
		return err
	}
	if d.Confirm && h.Status.MonitoringStatus != MonitoringStatusOpen {
		return notMonitored(h)
	}
	d.RegistryStatus, d.MonitoringType = h.Status.Registry, h.Status.MonitoringType
	return s.SetData(d)
}

func notMonitored(h *Household) error {
	return apperr.Refused(ReasonNotMonitored, apperr.Violation{Type: "NOT_MONITORED", Subject: "households/" + h.ID,
		Description: "the household is not an open monitoring object"})
}

// MonitoringStageOf is where a case stands, as the API shows it.
func MonitoringStageOf(c *workflow.Case) MonitoringStage {
	switch {
	case c == nil:
		return StageOpen
	case c.State == workflow.StateClosed:
		if c.Decision != nil && c.Decision.Outcome == workflow.OutcomeApproved {
			return StageConfirmed
		}
		return StageNotConfirmed
	case c.State == workflow.StatePosting, c.Next == monStepDecision:
		return StagePosting
	case c.Next == monStepPosting:
		return StageVerified
	}
	return StageOpen
}

// EarliestDecision is the first day the county may decide after the current posting: its start plus its
// days (day N, the posting's last day, completes it).
func EarliestDecision(c *workflow.Case) string {
	p := c.CurrentPosting()
	if p == nil || p.State == workflow.PostingInterrupted {
		return ""
	}
	if p.State == workflow.PostingCompleted {
		return p.EndedAt
	}
	return addDays(p.StartedAt, p.MinDays)
}

func (c Caller) monitoringCaller() workflow.Caller {
	return workflow.Caller{Actor: c.Actor, Scope: c.Scope}
}

// clueStep runs one step of a clue's decision in a transaction: it locks the clue, checks the caller's
// scope and the etag, opens the case at the first step (受理, dated the day the clue was recorded), lets
// step act on the case, and saves the clue's stage.
func (m *Monitoring) clueStep(ctx context.Context, c Caller, id, etag string, step func(ctx context.Context, clue *Clue, caseID string) (*workflow.Case, error)) (*Clue, error) {
	var out *Clue
	err := m.store.InTx(ctx, func(ctx context.Context) error {
		clue, err := m.store.GetClue(ctx, id)
		if err != nil {
			return err
		}
		if c.check(clue.RegionCode) != nil {
			return ErrClueNotFound
		}
		if etag != "" && etag != clue.Etag() {
			return apperr.StaleEtag
		}
		now := m.now()
		if clue.CaseID == "" {
			recorded := bizdate.Today(clue.CreateTime)
			// The intake is dated the day the clue was recorded, after the household was registered, so
			// the decision that follows (not before the intake) never dates from before the registration.
			in := workflow.StepInput{Step: monStepIntake, OccurredAt: recorded, Note: "线索受理"}
			if recorded < bizdate.Today(now) {
				in.BackdateReason = "the clue was recorded on " + recorded + "; its case opens at the first step on it"
			}
			cs, err := m.engine.Open(ctx, c.monitoringCaller(), workflow.NewCase{Kind: KindMonitoringClue, Subject: clue.Name(),
				RegionCode: clue.RegionCode, First: in})
			if err != nil {
				return err
			}
			clue.CaseID = cs.ID
		}
		cs, err := step(ctx, clue, clue.CaseID)
		if err != nil {
			return err
		}
		if err := m.settleClue(ctx, c, clue, cs, now); err != nil {
			return err
		}
		out = clue
		return nil
	})
	return out, err
}

// settleClue saves the stage a step left the clue's case in and, when the case was just confirmed, makes
// the household a monitoring object through the register's one update path (which records the dated
// history entry and publishes household.status_changed), in the same transaction.
func (m *Monitoring) settleClue(ctx context.Context, c Caller, clue *Clue, cs *workflow.Case, now time.Time) error {
	was := clue.Stage
	clue.Stage, clue.Case, clue.UpdateTime = MonitoringStageOf(cs), cs, now
	if clue.Stage.Undecided() || was == clue.Stage {
		return m.store.UpdateClue(ctx, clue)
	}
	clue.DecidedDate = cs.Decision.DecidedAt
	if clue.Stage == StageConfirmed {
		var d monDecisionData
		if err := cs.Latest(monStepDecision).Bind(&d); err != nil {
			return err
		}
		clue.MonitoringType = d.MonitoringType
		reason := fmt.Sprintf("防返贫监测对象认定 (%s)", clue.Name())
		if err := m.setMonitoring(ctx, c, clue.HouseholdID, d.MonitoringType, MonitoringStatusOpen, clue.DecidedDate, reason); err != nil {
			return err
		}
	}
	return m.store.UpdateClue(ctx, clue)
}

// setMonitoring changes a household's monitoring state with a dated history entry, as the register's
// SetRegistryStatus does for the registry status.
func (m *Monitoring) setMonitoring(ctx context.Context, c Caller, householdID string, t MonitoringType, st MonitoringStatus, date, reason string) error {
	_, err := m.store.UpdateHousehold(ctx, householdID, func(h *Household) error {
		if err := c.check(h.RegionCode); err != nil {
			return err
		}
		if h.State == HouseholdArchived {
			return ErrArchived
		}
		if n := len(h.History); n > 0 && date < h.History[n-1].EffectiveDate {
			return apperr.Invalid(ReasonDateInvalid, "occurred_date",
				"is before the household's latest recorded status change ("+h.History[n-1].EffectiveDate+")")
		}
		h.Status.MonitoringType, h.Status.MonitoringStatus, h.Status.MonitoringDate = t, st, date
		h.History = append(h.History, StatusChange{EffectiveDate: date, Registry: h.Status.Registry, MonitoringType: t,
			MonitoringStatus: st, Reason: reason, Actor: c.Actor, RecordTime: m.now()})
		h.UpdateTime = m.now()
		return nil
	})
	return err
}

// Field names of the engine's refusals, as this area's requests name them.
var (
	verifyFields    = map[string]string{"occurred_at": "verification.occurred_date", "backdate_reason": "verification.backdate_reason"}
	publicizeFields = map[string]string{"occurred_at": "start_date"}
	objectFields    = map[string]string{"occurred_at": "occurred_date", "content": "note"}
	decideFields    = map[string]string{"occurred_at": "occurred_date"}
)

// asRequestFields renames the fields of an engine refusal to the request's field paths.
func asRequestFields(err error, names map[string]string) error {
	e, ok := apperr.As(err)
	if !ok || len(e.Fields) == 0 {
		return err
	}
	out := *e
	out.Fields = make([]apperr.FieldViolation, len(e.Fields))
	for i, f := range e.Fields {
		if n, ok := names[f.Field]; ok {
			out.Message = strings.Replace(out.Message, f.Field, n, 1)
			f.Field = n
		}
		out.Fields[i] = f
	}
	return &out
}

func stepData(v any) json.RawMessage {
	b, _ := json.Marshal(v)
	return b
}

// VerifyClue records the household survey of a clue. Found not at risk, the clue is closed as not
// confirmed; at risk, the proposed type must fit the household.
func (m *Monitoring) VerifyClue(ctx context.Context, c Caller, id, etag string, v MonitoringVerification) (*Clue, error) {
	return m.clueStep(ctx, c, id, etag, func(ctx context.Context, _ *Clue, caseID string) (*workflow.Case, error) {
		cs, err := m.engine.Record(ctx, c.monitoringCaller(), caseID, workflow.StepInput{Step: monStepVerification, OccurredAt: v.OccurredDate,
			BackdateReason: v.BackdateReason, Note: v.Findings,
			Data: stepData(monVerificationData{Outcome: v.Outcome, ProposedType: v.ProposedType})})
		return cs, asRequestFields(err, verifyFields)
	})
}

// PublicizeClue starts the village posting of a clue verified at risk.
func (m *Monitoring) PublicizeClue(ctx context.Context, c Caller, id string, in MonitoringStepInput) (*Clue, error) {
	return m.clueStep(ctx, c, id, in.Etag, func(ctx context.Context, _ *Clue, caseID string) (*workflow.Case, error) {
		cs, err := m.engine.StartPosting(ctx, c.monitoringCaller(), caseID, workflow.StepInput{Step: monStepPosting, OccurredAt: in.OccurredDate,
			BackdateReason: in.BackdateReason, Note: in.Note})
		return cs, asRequestFields(err, publicizeFields)
	})
}

// ObjectToClue records an objection against the running posting: back to verification.
func (m *Monitoring) ObjectToClue(ctx context.Context, c Caller, id string, in MonitoringStepInput) (*Clue, error) {
	return m.clueStep(ctx, c, id, in.Etag, func(ctx context.Context, _ *Clue, caseID string) (*workflow.Case, error) {
		cs, err := m.engine.FileObjection(ctx, c.monitoringCaller(), caseID, workflow.ObjectionInput{OccurredAt: in.OccurredDate,
			BackdateReason: in.BackdateReason, Content: in.Note, Objector: in.Objector})
		return cs, asRequestFields(err, objectFields)
	})
}

// DecideClue is the county's decision. Confirming completes the posting (which must have run its days)
// and makes the household a monitoring object of type t (default: the type verification proposed) in
// the same transaction. Not confirming needs a note: at the decision step it is a refusal, earlier it ends
// the case (closed as not confirmed).
func (m *Monitoring) DecideClue(ctx context.Context, c Caller, id string, confirm bool, t MonitoringType, in MonitoringStepInput) (*Clue, error) {
	if !confirm && strings.TrimSpace(in.Note) == "" {
		return nil, apperr.Invalid(ReasonNoteRequired, "note", "say why the clue is not confirmed")
	}
	return m.clueStep(ctx, c, id, in.Etag, func(ctx context.Context, _ *Clue, caseID string) (*workflow.Case, error) {
		cs, err := m.decide(ctx, c, caseID, confirm, monDecisionData{Confirm: confirm, MonitoringType: t}, in)
		return cs, asRequestFields(err, decideFields)
	})
}

// decide completes a running posting when confirming, then records the decision; a refusal before the
// decision step ends the case with the note.
func (m *Monitoring) decide(ctx context.Context, c Caller, caseID string, approve bool, d monDecisionData, in MonitoringStepInput) (*workflow.Case, error) {
	cs, err := m.engine.Get(ctx, c.monitoringCaller(), caseID)
	if err != nil {
		return nil, err
	}
	step := workflow.StepInput{Step: monStepDecision, OccurredAt: in.OccurredDate, BackdateReason: in.BackdateReason, Note: in.Note}
	if !approve && cs.State != workflow.StateClosed && cs.Next != monStepDecision {
		step.Step = ""
		return m.engine.Withdraw(ctx, c.monitoringCaller(), caseID, step)
	}
	if cs.State == workflow.StatePosting {
		done := step
		done.Step, done.Note = monStepPosting, "公示期满无异议"
		if _, err := m.engine.CompletePosting(ctx, c.monitoringCaller(), caseID, done); err != nil {
			return nil, err
		}
	}
	outcome, explanation := workflow.OutcomeApproved, "认定"
	if !approve {
		outcome, explanation = workflow.OutcomeRefused, in.Note
	}
	if in.Note != "" && approve {
		explanation = in.Note
	}
	step.Data, step.Decision = stepData(d), &workflow.Decision{Outcome: outcome, Explanation: explanation}
	return m.engine.Record(ctx, c.monitoringCaller(), caseID, step)
}

// RiskRemoval is 风险消除 of a monitoring object: a case of KindRiskRemoval about the household.
type RiskRemoval struct {
	HouseholdID    string
	MonitoringType MonitoringType
	Stage          MonitoringStage
	Case           *workflow.Case
}

// ErrRiskRemovalNotFound is returned for a risk removal that does not exist in the household.
var ErrRiskRemovalNotFound = apperr.NotFound("risk removal")

func riskRemovalOf(cs *workflow.Case) *RiskRemoval {
	r := &RiskRemoval{HouseholdID: strings.TrimPrefix(cs.Subject, "households/"), Stage: MonitoringStageOf(cs), Case: cs}
	if len(cs.Steps) > 0 {
		var d monApplicationData
		_ = cs.Steps[0].Bind(&d)
		r.MonitoringType = d.MonitoringType
	}
	return r
}

// StartRiskRemoval opens 风险消除 for an open monitoring object with the verification that its risk is
// eliminated.
func (m *Monitoring) StartRiskRemoval(ctx context.Context, c Caller, householdID string, v MonitoringVerification) (*RiskRemoval, error) {
	if !v.Outcome {
		return nil, apperr.Invalid(ReasonInvalidField, "verification.outcome", "a risk removal starts with a verification finding the risk eliminated")
	}
	var out *RiskRemoval
	err := m.store.InTx(ctx, func(ctx context.Context) error {
		h, err := m.store.GetHousehold(ctx, householdID)
		if err != nil {
			return err
		}
		if err := c.check(h.RegionCode); err != nil {
			return err
		}
		if h.Status.MonitoringStatus != MonitoringStatusOpen {
			return notMonitored(h)
		}
		if v.OccurredDate != "" && v.OccurredDate < h.Status.MonitoringDate {
			return apperr.Invalid(ReasonDateInvalid, "verification.occurred_date",
				"is before the household became a monitoring object ("+h.Status.MonitoringDate+")")
		}
		cs, err := m.engine.Open(ctx, c.monitoringCaller(), workflow.NewCase{Kind: KindRiskRemoval, Subject: "households/" + h.ID,
			RegionCode: h.RegionCode, Registered: h.Registered, First: workflow.StepInput{Step: monStepApplication, OccurredAt: v.OccurredDate,
				BackdateReason: v.BackdateReason, Note: "风险消除启动", Data: stepData(monApplicationData{MonitoringType: h.Status.MonitoringType})}})
		if err != nil {
			return asRequestFields(err, verifyFields)
		}
		cs, err = m.engine.Record(ctx, c.monitoringCaller(), cs.ID, workflow.StepInput{Step: monStepVerification, OccurredAt: v.OccurredDate,
			BackdateReason: v.BackdateReason, Note: v.Findings, Data: stepData(monVerificationData{Outcome: true})})
		if err != nil {
			return asRequestFields(err, verifyFields)
		}
		out = riskRemovalOf(cs)
		return nil
	})
	return out, err
}

// GetRiskRemoval returns a household's risk removal the caller may see.
func (m *Monitoring) GetRiskRemoval(ctx context.Context, c Caller, householdID, id string) (*RiskRemoval, error) {
	cs, err := m.engine.Get(ctx, c.monitoringCaller(), id)
	if err != nil {
		if e, ok := apperr.As(err); ok && e.Kind == apperr.KindNotFound {
			return nil, ErrRiskRemovalNotFound
		}
		return nil, err
	}
	if cs.Kind != KindRiskRemoval || cs.Subject != "households/"+householdID {
		return nil, ErrRiskRemovalNotFound
	}
	return riskRemovalOf(cs), nil
}

// removalStep runs one step of a risk removal in a transaction and, when the removal was just approved,
// sets the household's monitoring status to RISK_REMOVED through the register's update path.
func (m *Monitoring) removalStep(ctx context.Context, c Caller, householdID, id, etag string, step func(ctx context.Context) (*workflow.Case, error)) (*RiskRemoval, error) {
	var out *RiskRemoval
	err := m.store.InTx(ctx, func(ctx context.Context) error {
		r, err := m.GetRiskRemoval(ctx, c, householdID, id)
		if err != nil {
			return err
		}
		if etag != "" && etag != r.Case.Etag() {
			return apperr.StaleEtag
		}
		cs, err := step(ctx)
		if err != nil {
			return err
		}
		out = riskRemovalOf(cs)
		if out.Stage != StageConfirmed {
			return nil
		}
		var d monDecisionData
		if err := cs.Latest(monStepDecision).Bind(&d); err != nil {
			return err
		}
		return m.setMonitoring(ctx, c, householdID, d.MonitoringType, MonitoringStatusRiskRemoved, cs.Decision.DecidedAt,
			"风险消除 (households/"+householdID+"/riskRemovals/"+cs.ID+")")
	})
	return out, err
}

// VerifyRiskRemoval records a new verification (after an objection, or a correction before the posting).
// Found not eliminated, the removal is rejected.
func (m *Monitoring) VerifyRiskRemoval(ctx context.Context, c Caller, householdID, id, etag string, v MonitoringVerification) (*RiskRemoval, error) {
	return m.removalStep(ctx, c, householdID, id, etag, func(ctx context.Context) (*workflow.Case, error) {
		cs, err := m.engine.Record(ctx, c.monitoringCaller(), id, workflow.StepInput{Step: monStepVerification, OccurredAt: v.OccurredDate,
			BackdateReason: v.BackdateReason, Note: v.Findings, Data: stepData(monVerificationData{Outcome: v.Outcome})})
		return cs, asRequestFields(err, verifyFields)
	})
}

// PublicizeRiskRemoval starts the village posting of a risk removal.
func (m *Monitoring) PublicizeRiskRemoval(ctx context.Context, c Caller, householdID, id string, in MonitoringStepInput) (*RiskRemoval, error) {
	return m.removalStep(ctx, c, householdID, id, in.Etag, func(ctx context.Context) (*workflow.Case, error) {
		cs, err := m.engine.StartPosting(ctx, c.monitoringCaller(), id, workflow.StepInput{Step: monStepPosting, OccurredAt: in.OccurredDate,
			BackdateReason: in.BackdateReason, Note: in.Note})
		return cs, asRequestFields(err, publicizeFields)
	})
}

// ObjectToRiskRemoval records an objection during the posting.
func (m *Monitoring) ObjectToRiskRemoval(ctx context.Context, c Caller, householdID, id string, in MonitoringStepInput) (*RiskRemoval, error) {
	return m.removalStep(ctx, c, householdID, id, in.Etag, func(ctx context.Context) (*workflow.Case, error) {
		cs, err := m.engine.FileObjection(ctx, c.monitoringCaller(), id, workflow.ObjectionInput{OccurredAt: in.OccurredDate,
			BackdateReason: in.BackdateReason, Content: in.Note, Objector: in.Objector})
		return cs, asRequestFields(err, objectFields)
	})
}

// DecideRiskRemoval is the county's decision: approving needs the posting to have run its days and sets
// the household RISK_REMOVED; rejecting needs a note.
func (m *Monitoring) DecideRiskRemoval(ctx context.Context, c Caller, householdID, id string, approve bool, in MonitoringStepInput) (*RiskRemoval, error) {
	if !approve && strings.TrimSpace(in.Note) == "" {
		return nil, apperr.Invalid(ReasonNoteRequired, "note", "say why the risk removal is rejected")
	}
	return m.removalStep(ctx, c, householdID, id, in.Etag, func(ctx context.Context) (*workflow.Case, error) {
		cs, err := m.decide(ctx, c, id, approve, monDecisionData{Confirm: approve}, in)
		return cs, asRequestFields(err, decideFields)
	})
}
