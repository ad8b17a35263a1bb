// Package workflow is the case engine every department's procedures share: 户报、村评、乡镇审、县定
// (application → survey → village review → public posting with objections → township review → county
// decision) for poverty identification and exit, 低保, 特困 and the rest.
//
// A service declares each kind of case once, as an ordered list of steps with a guard per step (its own
// rules), and the engine keeps everything else: the order of steps (any other order is refused with a
// STEP_ORDER violation naming the step expected), business dates (occurred_at, back-dating before today
// needs a reason, recorded_at from the clock), public postings (公示) whose minimum period comes from
// policy and counts calendar days with day 1 the day after the start, objections (异议) that interrupt a
// posting and send the case back to a declared earlier step, corrections of a step declared Repeatable,
// withdrawal (撤回/终止) of an open case with a reason, and the decision that ends a case. Every step stays
// in the trail (痕迹管理), including those redone after an objection or corrected.
//
// Cases live in platform tables present in every service's database (fupin_cases, fupin_case_steps,
// fupin_postings, fupin_objections) and are written in the transaction carried by the context, so a
// step and the service's own changes that follow from it (a household's registry status on approval)
// commit together. The engine knows no service: step data is JSON the service defines.
package workflow

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"fupin.dev/services/platform/bizdate"
	"fupin.dev/services/platform/policy"
	"fupin.dev/services/platform/sqldb"
)

// StepWithdrawal is the step the engine records when a case is withdrawn (Withdraw); definitions cannot
// declare it.
const StepWithdrawal = "withdrawal"

// Reasons the engine refuses with: values of fupin.common.v1.ErrorReason.
const (
	ReasonStepOutOfOrder         = "STEP_OUT_OF_ORDER"
	ReasonCaseClosed             = "CASE_CLOSED"
	ReasonPostingPeriodNotOver   = "POSTING_PERIOD_NOT_OVER"
	ReasonBackdateReasonRequired = "BACKDATE_REASON_REQUIRED"
	ReasonCaseAlreadyOpen        = "CASE_ALREADY_OPEN"
	ReasonPolicyValueMissing     = "POLICY_VALUE_MISSING"
	ReasonInvalidField           = "INVALID_FIELD"
	ReasonOutOfRegionScope       = "OUT_OF_REGION_SCOPE"
)

// Violation types (google.rpc.PreconditionFailure.Violation.type) of the engine's rules.
const (
	RuleStepOrder     = "STEP_ORDER"
	RuleCaseClosed    = "CASE_CLOSED"
	RulePostingPeriod = "POSTING_PERIOD"
	RuleOneOpenCase   = "ONE_OPEN_CASE"
	RulePolicyValue   = "POLICY_VALUE"
)

// State is where a case stands. The numbers are stored and shared with the services' API enums.
type State int32

// Case states.
const (
	StateUnspecified State = iota
	StateOpen              // waiting for the next step (Case.Next)
	StatePosting           // a public posting is running: objections or completion come next
	StateClosed            // decided; nothing more can be recorded
)

func (s State) String() string {
	switch s {
	case StateOpen:
		return "open"
	case StatePosting:
		return "posting"
	case StateClosed:
		return "closed"
	}
	return fmt.Sprintf("State(%d)", int32(s))
}

// Outcome is how a case ended. The numbers are stored and shared with the services' API enums.
type Outcome int32

// Outcomes.
const (
	OutcomeNone      Outcome = iota // not decided yet
	OutcomeApproved                 // approved (批准 / 纳入 / 退出)
	OutcomeRefused                  // refused (不予批准), at the last step or earlier by a step's rule
	OutcomeWithdrawn                // withdrawn (撤回/终止) before a decision, with a reason
)

func (o Outcome) String() string {
	switch o {
	case OutcomeNone:
		return "none"
	case OutcomeApproved:
		return "approved"
	case OutcomeRefused:
		return "refused"
	case OutcomeWithdrawn:
		return "withdrawn"
	}
	return fmt.Sprintf("Outcome(%d)", int32(o))
}

// PostingState is where a posting period stands.
type PostingState int32

// Posting states.
const (
	PostingUnspecified PostingState = iota
	PostingRunning                  // posted, period running, no objection yet
	PostingInterrupted              // an objection interrupted it; the case went back to verification
	PostingCompleted                // ran its minimum period without objection and was closed
)

// Definition declares one kind of case: its steps in order. The first step opens the case (Open); the
// last is the decision and must carry one; a step with a Posting rule is a public posting.
type Definition struct {
	// Kind names the kind of case inside the service, e.g. "identification", "exit", "dibao".
	Kind string
	// Steps in the order they must happen.
	Steps []StepDef
	// OnePerSubject allows at most one open case of this kind per subject: a second Open is refused
	// with CASE_ALREADY_OPEN (a database constraint backs the check).
	OnePerSubject bool
}

// StepDef declares one step.
type StepDef struct {
	// Name of the step, e.g. "survey"; unique within the definition.
	Name string
	// Guard checks the step against the case before it is recorded (for a posting: before it starts).
	// It sees the case as it stands (earlier steps included) and the step about to be recorded, and may
	// fill in the step's Data (values it derived, policy values it used) and Decision (to end the case
	// with a refusal at this step). A refusal it returns is passed to the caller unchanged. Optional.
	Guard Guard
	// Posting makes the step a public posting (公示).
	Posting *PostingRule
	// Repeatable lets the step be recorded again while it is the latest step of the trail, as a correction
	// (a survey redone before the case moves on); both entries stay in the trail and the latest counts.
	Repeatable bool
}

// Guard is a service's rule for a step.
type Guard func(ctx context.Context, c *Case, s *Step) error

// PostingRule says how a posting step runs.
type PostingRule struct {
	// MinDaysParameter is the policy parameter holding the minimum period in calendar days (an integer),
	// looked up for the case's region on the start date.
	MinDaysParameter string
	// ReopenAt is the earlier step an objection sends the case back to (verification); every step from
	// there is recorded again, the posting included.
	ReopenAt string
	// Notice makes the posting public (公示): when it starts, the engine keeps the notice these facts
	// describe (notices.go). Nil: the posting is not published online (it is still posted on paper).
	Notice NoticeFunc
}

// Policy is how the engine reads policy parameters; *policy.Store implements it.
type Policy interface {
	Decode(parameter, regionCode string, date time.Time, into any) (policy.Value, error)
}

// Caller is who records a step: their id for the trail and the region prefix they may touch ("" is the
// whole county).
type Caller struct {
	Actor string
	Scope string
}

// Case is one case with its whole trail.
type Case struct {
	ID         string
	Kind       string
	Subject    string // what the case is about, e.g. "households/123"
	RegionCode string
	State      State
	// Next is the step expected next ("" once closed). While a posting runs it is the posting step.
	Next string
	// Round counts verification rounds: 1, plus one for each objection that sent the case back.
	Round    int
	Steps    []Step    // every step recorded, oldest first
	Postings []Posting // every posting period, oldest first
	Decision *Decision // set once closed
	Version  int64
	// CreateTime and UpdateTime are when the case was opened and last changed.
	CreateTime time.Time
	UpdateTime time.Time
}

// Step is one recorded step of the trail.
type Step struct {
	Seq   int // 1, 2, … in the order recorded
	Name  string
	Round int
	Actor string
	// OccurredAt is the business date (YYYY-MM-DD, Asia/Shanghai) the step happened.
	OccurredAt string
	// RecordedAt is when it was entered.
	RecordedAt time.Time
	// BackdateReason explains an OccurredAt before the day it was recorded.
	BackdateReason string
	Note           string
	// Attachments are references (document ids or URIs) to minutes, photos, signed forms.
	Attachments []string
	// Data is the step's facts as JSON; the service defines its shape.
	Data json.RawMessage
	// Decision is the decision this step made, when it ended the case.
	Decision *Decision
}

// Bind decodes the step's data into v.
func (s *Step) Bind(v any) error {
	if len(s.Data) == 0 {
		return nil
	}
	if err := json.Unmarshal(s.Data, v); err != nil {
		return fmt.Errorf("step %s data: %w", s.Name, err)
	}
	return nil
}

// SetData replaces the step's data with v encoded as JSON.
func (s *Step) SetData(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("step %s data: %w", s.Name, err)
	}
	s.Data = b
	return nil
}

// Decision ends a case.
type Decision struct {
	Outcome Outcome
	// Explanation says why, in words a household and an auditor can read; the structured explanation
	// (rule fired, inputs, policy values and hashes) is the deciding step's Data.
	Explanation string
	// Step, Actor and DecidedAt are filled by the engine: the step that decided, who and on which date.
	Step      string
	Actor     string
	DecidedAt string
}

// Posting is one public posting period (公示).
type Posting struct {
	Seq       int
	Step      string // the posting step
	StartSeq  int    // the step that started it
	StartedAt string // business date posted; day 1 is the day after
	MinDays   int
	// Policy is the policy value the minimum period came from (its hash identifies it for good).
	Policy     policy.Value
	State      PostingState
	EndedAt    string // business date completed or interrupted
	EndedBy    string
	EndedNote  string
	EndReason  string // back-dating reason of the completion
	EndRecord  time.Time
	Objections []Objection
}

// Day is the posting day a date falls on: 1 on the day after the start.
func (p *Posting) Day(date string) (int, error) { return dayOf(p.StartedAt, date) }

// Objection is an objection (异议) filed against a posting.
type Objection struct {
	Seq        int
	PostingSeq int
	FiledAt    string // business date received
	// Objector says who objected as recorded (a name, "anonymous", a hotline ticket); free text.
	Objector       string
	Content        string
	Attachments    []string
	RecordedBy     string
	RecordedAt     time.Time
	BackdateReason string
	// ResolvedBy is the step that verified it again (0 while pending).
	ResolvedBy int
}

// Latest returns the most recently recorded step with this name, or nil.
func (c *Case) Latest(name string) *Step {
	for i := len(c.Steps) - 1; i >= 0; i-- {
		if c.Steps[i].Name == name {
			return &c.Steps[i]
		}
	}
	return nil
}

// CurrentPosting returns the latest posting, or nil.
func (c *Case) CurrentPosting() *Posting {
	if len(c.Postings) == 0 {
		return nil
	}
	return &c.Postings[len(c.Postings)-1]
}

// Name is the case's resource name, "cases/{id}", the subject of its violations.
func (c *Case) Name() string { return "cases/" + c.ID }

// Etag is the case's AIP-154 etag: it changes whenever the case does.
func (c *Case) Etag() string { return etag(c.ID, c.Version) }

// lastDate is the latest business date in the trail; a new step may not be dated before it.
func (c *Case) lastDate() string {
	last := ""
	for _, s := range c.Steps {
		last = max(last, s.OccurredAt)
	}
	for _, p := range c.Postings {
		last = max(last, p.StartedAt, p.EndedAt)
		for _, o := range p.Objections {
			last = max(last, o.FiledAt)
		}
	}
	return last
}

// NewCase opens a case with its first step.
type NewCase struct {
	Kind       string
	Subject    string
	RegionCode string
	// Registered is the registration effective date (登记日期) of the household the case is about, as
	// the register has it: the first step may not date from before it (bizdate.NotBeforeRegistration),
	// and every later step dates from on or after the first. Empty checks nothing.
	Registered string
	First      StepInput
}

// StepInput is a step to record.
type StepInput struct {
	// Step names the declared step.
	Step string
	// OccurredAt is the business date it happened (YYYY-MM-DD); empty means today.
	OccurredAt     string
	BackdateReason string
	Note           string
	Attachments    []string
	Data           json.RawMessage
	// Decision ends the case: required at the last step; at an earlier step only a refusal.
	Decision *Decision
	// Etag, when set, must match the case's current etag.
	Etag string
}

// StepMeta is what every step request of every service carries besides the step's own data: when it
// happened, why it is back-dated, a note, attachment references and the etag it was made against.
type StepMeta struct {
	OccurredAt     string
	BackdateReason string
	Note           string
	Attachments    []string
	// Etag, when set, must match the case's.
	Etag string
}

// Input is the input of step with data encoded as the step's JSON (nil: no data).
func (m StepMeta) Input(step string, data any) (StepInput, error) {
	in := StepInput{Step: step, OccurredAt: m.OccurredAt, BackdateReason: m.BackdateReason, Note: m.Note,
		Attachments: m.Attachments, Etag: m.Etag}
	if data != nil {
		b, err := json.Marshal(data)
		if err != nil {
			return in, fmt.Errorf("encode %s: %w", step, err)
		}
		in.Data = b
	}
	return in, nil
}

// Decision is the input of a deciding step with its outcome: approved or refused.
func (m StepMeta) Decision(step string, approve bool, data any) (StepInput, error) {
	in, err := m.Input(step, data)
	if err != nil {
		return in, err
	}
	outcome := OutcomeRefused
	if approve {
		outcome = OutcomeApproved
	}
	in.Decision = &Decision{Outcome: outcome}
	return in, nil
}

// Date is the step's business date: OccurredAt, or today at now.
func (m StepMeta) Date(now time.Time) string {
	if m.OccurredAt != "" {
		return m.OccurredAt
	}
	return bizdate.Today(now)
}

// ObjectionInput is an objection to record.
type ObjectionInput struct {
	OccurredAt     string
	BackdateReason string
	Objector       string
	Content        string
	Attachments    []string
	Etag           string
}

// ListQuery selects a page of cases.
type ListQuery struct {
	// Kinds limits the list to these kinds (empty: every kind the engine knows).
	Kinds []string
	// Filter is an AIP-160 expression over kind, state, outcome, region_code (":" for a prefix), the
	// subject (named by Options.SubjectField) and next_step.
	Filter string
	// After is the last id of the previous page.
	After string
	Limit int
}

// Options configure an engine.
type Options struct {
	// Now is the clock (tests move it); nil means time.Now.
	Now func() time.Time
	// NewID makes case ids; ids should sort by creation (UUIDv7) so pages stay stable.
	NewID func() string
	// Policy supplies posting periods.
	Policy Policy
	// StateNames and OutcomeNames are how the service's API writes State and Outcome values in List
	// filters (its generated enum value maps, e.g. CaseState_value); nil accepts OPEN, POSTING, CLOSED
	// and APPROVED, REFUSED, WITHDRAWN.
	StateNames   map[string]int32
	OutcomeNames map[string]int32
	// SubjectField is the name List filters use for the subject (default "subject"), so a service's API
	// can say what its cases are about, e.g. "household".
	SubjectField string
}

// Engine records cases of the kinds registered with it in one service's database.
type Engine struct {
	db   *sqldb.DB
	opts Options
	defs map[string]*Definition
}

// New returns an engine on db. Register the service's definitions before use.
func New(db *sqldb.DB, opts Options) *Engine {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.StateNames == nil {
		opts.StateNames = map[string]int32{"OPEN": int32(StateOpen), "POSTING": int32(StatePosting), "CLOSED": int32(StateClosed)}
	}
	if opts.SubjectField == "" {
		opts.SubjectField = "subject"
	}
	if opts.OutcomeNames == nil {
		opts.OutcomeNames = map[string]int32{"APPROVED": int32(OutcomeApproved), "REFUSED": int32(OutcomeRefused),
			"WITHDRAWN": int32(OutcomeWithdrawn)}
	}
	return &Engine{db: db, opts: opts, defs: map[string]*Definition{}}
}

// Register adds kinds of case, checking each definition: a kind not registered before, at least two
// steps with unique names, the last not a posting, every posting with a policy parameter and an earlier
// step to reopen at.
func (e *Engine) Register(defs ...Definition) error {
	for _, d := range defs {
		if err := d.check(); err != nil {
			return err
		}
		if _, dup := e.defs[d.Kind]; dup {
			return fmt.Errorf("workflow: kind %q registered twice", d.Kind)
		}
		d.Steps = slices.Clone(d.Steps)
		e.defs[d.Kind] = &d
	}
	return nil
}

func (d *Definition) check() error {
	if d.Kind == "" {
		return errors.New("workflow: a definition needs a kind")
	}
	if len(d.Steps) < 2 {
		return fmt.Errorf("workflow: %s: at least two steps (an opening step and a decision)", d.Kind)
	}
	seen := map[string]int{}
	for i, s := range d.Steps {
		if s.Name == StepWithdrawal {
			return fmt.Errorf("workflow: %s: step name %q is the engine's", d.Kind, StepWithdrawal)
		}
		if s.Posting != nil && s.Repeatable {
			return fmt.Errorf("workflow: %s: posting %q cannot be repeatable", d.Kind, s.Name)
		}
		if s.Name == "" {
			return fmt.Errorf("workflow: %s: step %d has no name", d.Kind, i)
		}
		if _, dup := seen[s.Name]; dup {
			return fmt.Errorf("workflow: %s: step %q declared twice", d.Kind, s.Name)
		}
		seen[s.Name] = i
	}
	for i, s := range d.Steps {
		if s.Posting == nil {
			continue
		}
		if i == 0 || i == len(d.Steps)-1 {
			return fmt.Errorf("workflow: %s: posting %q can be neither the first nor the last step", d.Kind, s.Name)
		}
		if s.Posting.MinDaysParameter == "" {
			return fmt.Errorf("workflow: %s: posting %q needs a policy parameter for its minimum days", d.Kind, s.Name)
		}
		if j, ok := seen[s.Posting.ReopenAt]; !ok || j >= i || j == 0 {
			return fmt.Errorf("workflow: %s: posting %q must reopen at an earlier step after the first (got %q)", d.Kind, s.Name, s.Posting.ReopenAt)
		}
	}
	return nil
}

// Definition returns the registered definition of a kind.
func (e *Engine) Definition(kind string) (*Definition, bool) {
	d, ok := e.defs[kind]
	return d, ok
}

// index returns the position of a step, or -1.
func (d *Definition) index(name string) int {
	for i, s := range d.Steps {
		if s.Name == name {
			return i
		}
	}
	return -1
}

// IsDecision reports whether name is the definition's last (deciding) step.
func (d *Definition) IsDecision(name string) bool {
	return len(d.Steps) > 0 && d.Steps[len(d.Steps)-1].Name == name
}
