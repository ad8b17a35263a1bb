package payroll

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"fupin.dev/services/platform/apperr"
	"fupin.dev/services/platform/bizdate"
	"fupin.dev/services/platform/pii"
	"fupin.dev/services/platform/policy"
)

// The monthly payment roll (发放名册).
//
// A roll per program and month goes draft → approved → handed off (移交财政). It is computed from the
// entitlements alone (see Entitlement): every program pays the same way, and the roll never needs to
// know why someone is paid. Lines are unique across all rolls on (program, beneficiary, period month,
// kind, attempt); BeneficiaryLines is the rule that fills them.
//
// Rolls are computed in month order: a month is computed only when every earlier roll of the program is
// approved (or handed off) and no later one exists, so "what approved rolls paid" is exactly the lines of
// the program's rolls before the month. A draft is recomputed by replacing its lines; an approved roll
// never changes.
//
// Computations may run on any replica (on demand) and on the elected leader (on the compute day). Each
// carries a fencing token, an etcd revision from the roll's lock or the leadership; the roll stores the
// largest token that wrote it, and a write carrying a smaller one is refused in the same transaction as
// the write (ROLL_FENCED), so a replica that lost its lock without noticing cannot overwrite a newer
// computation. The (program, month) primary key makes a second roll for the same month impossible.

// Reasons of the payment roll: the ROLL_* and PROGRAM_OF_OTHER_DEPARTMENT reasons were subsidies' first
// (values 250–257 of fupin.subsidies.v1.ErrorReason); the payment results' are fupin.common.v1.ErrorReason
// 56–59.
const (
	ReasonRollNotDraft             = "ROLL_NOT_DRAFT"
	ReasonRollEarlierNotApproved   = "ROLL_EARLIER_NOT_APPROVED"
	ReasonRollMonthBehind          = "ROLL_MONTH_BEHIND"
	ReasonRollFenced               = "ROLL_FENCED"
	ReasonRollNotApproved          = "ROLL_NOT_APPROVED"
	ReasonProgramOfOtherDepartment = "PROGRAM_OF_OTHER_DEPARTMENT"
	ReasonRollBusy                 = "ROLL_BUSY"
	ReasonRollOutOfRegionScope     = "ROLL_OUT_OF_REGION_SCOPE"
	// ReasonLineNotFailed: a release of a line that is not failed, already released, or a recovery.
	ReasonLineNotFailed = "LINE_NOT_FAILED"
	// ReasonProgramNotPaidHere: a program another service pays.
	ReasonProgramNotPaidHere = "PROGRAM_NOT_PAID_HERE"
	// ReasonRollNotHandedOff: funds asked for the lines of a roll not handed off.
	ReasonRollNotHandedOff = "ROLL_NOT_HANDED_OFF"
	// ReasonPayeeInvalid: an entitlement whose beneficiary does not fit the program's payee kind (an
	// organisation without a valid unified social credit code).
	ReasonPayeeInvalid = "PAYEE_INVALID"
	// rollReasonMonthInvalid is the service-wide MONTH_INVALID.
	rollReasonMonthInvalid = "MONTH_INVALID"
)

// Sentinel refusals of the roll; compare with errors.Is.
var (
	ErrRollNotFound = apperr.NotFound("payment roll")
	// ErrRollExists is returned by the store when another computation created the roll first.
	ErrRollExists = apperr.Aborted(ReasonRollBusy, "another computation created this roll at the same time: retry")
)

// RollState is where a roll stands. Numbers equal fupin.payroll.v1.RollState.
type RollState int32

// Roll states.
const (
	RollStateUnspecified RollState = iota
	RollDraft                      // 草稿
	RollApproved                   // 已审核
	RollHandedOff                  // 已移交财政
)

// RollTotals counts and sums a roll's lines in 分.
type RollTotals struct {
	Lines, AmountFen      int64
	Regular, RegularFen   int64
	BackPay, BackPayFen   int64
	Recovery, RecoveryFen int64
	Reissue, ReissueFen   int64
}

// Add counts one line.
func (t *RollTotals) Add(l *RollLine) {
	t.Lines++
	t.AmountFen += l.AmountFen
	switch l.Kind {
	case RollLineRegular:
		t.Regular++
		t.RegularFen += l.AmountFen
	case RollLineBackPay:
		t.BackPay++
		t.BackPayFen += l.AmountFen
	case RollLineRecovery:
		t.Recovery++
		t.RecoveryFen += l.AmountFen
	case RollLineReissue:
		t.Reissue++
		t.ReissueFen += l.AmountFen
	}
}

// Roll is the roll of one program for one month.
type Roll struct {
	Program Program
	Month   string
	State   RollState
	Totals  RollTotals
	Held    []HeldAdjustment
	// FirstMonth is the program's first roll month when this one was computed: back pay starts there.
	FirstMonth string
	// FencingToken is the largest token that wrote the roll.
	FencingToken int64
	Computations int
	ComputedBy   string
	ComputeTime  time.Time
	ApprovedBy   string
	ApproveTime  time.Time
	HandedOffBy  string
	HandOffTime  time.Time
	CreateTime   time.Time
	UpdateTime   time.Time
	// Version grows with every change; the API's etag.
	Version int64
}

// ID is the roll's id: "<program>-<YYYY-MM>" with the program's name in kebab case.
func (r *Roll) ID() string { return RollID(r.Program, r.Month) }

// Etag is the roll's AIP-154 etag.
func (r *Roll) Etag() string { return strconv.FormatInt(r.Version, 10) }

// RollID names the roll of program for month: "<code>-<YYYY-MM>".
func RollID(program Program, month string) string {
	return program.Code() + "-" + month
}

// ParseRollID reads a roll id; ok is false when it names no program and month.
func ParseRollID(id string) (Program, string, bool) {
	if len(id) < 9 {
		return 0, "", false
	}
	name, month := id[:len(id)-8], id[len(id)-7:]
	if id[len(id)-8] != '-' {
		return 0, "", false
	}
	if _, err := ParseMonth(month); err != nil {
		return 0, "", false
	}
	p, ok := ProgramByCode(name)
	return p, month, ok
}

// RollCaller is who asks: their department decides which programs' rolls they may change, their scope
// which lines they see. System marks the service's own scheduled job.
type RollCaller struct {
	Actor      string
	Department string
	Scope      string
	System     bool
}

// mayWrite refuses a person of another department: each department keeps its own programs' rolls.
func (c RollCaller) mayWrite(p Program) error {
	if c.System || c.Department == p.Department() {
		return nil
	}
	return apperr.Denied(ReasonProgramOfOtherDepartment, fmt.Sprintf("the %s roll belongs to %s", p, p.Department()))
}

// RollSummary is one roll of a program, as the ordering rules need it.
type RollSummary struct {
	Month       string
	State       RollState
	ComputeTime time.Time
}

// RollQuery selects rolls for ListRolls: newest month first, then program.
type RollQuery struct {
	Program Program // 0: all
	// Programs, when given, narrows to these programs (the engine sets the service's).
	Programs []Program
	// After is the last roll of the previous page (empty: from the start).
	AfterMonth   string
	AfterProgram Program
	Limit        int
}

// RollLineQuery selects a roll's lines, in the roll's order: region code, beneficiary, period, kind.
type RollLineQuery struct {
	Program      Program
	Month        string
	Kind         RollLineKind // 0: all
	RegionPrefix string
	After        *RollLine // the last line of the previous page
	Limit        int
}

// RollStore keeps rolls and their lines. Methods run in the transaction carried by ctx.
type RollStore interface {
	InTx(ctx context.Context, fn func(ctx context.Context) error) error
	// LockRoll returns the roll, locked until the transaction ends; nil when there is none.
	LockRoll(ctx context.Context, program Program, month string) (*Roll, error)
	// GetRoll returns the roll or ErrRollNotFound.
	GetRoll(ctx context.Context, program Program, month string) (*Roll, error)
	ListRolls(ctx context.Context, q RollQuery) ([]*Roll, error)
	// ProgramRolls lists the months and states of a program's rolls, oldest first.
	ProgramRolls(ctx context.Context, program Program) ([]RollSummary, error)
	// CreateRoll inserts a new roll (ErrRollExists when one exists); SaveRoll writes a roll's changes.
	CreateRoll(ctx context.Context, r *Roll) error
	SaveRoll(ctx context.Context, r *Roll) error
	// EachRollBeneficiary calls fn once per beneficiary of the program, in beneficiary order, with the
	// entitlements that pay in a month from first to month (and those changed since changedSince, which
	// may have stopped paying: their end reason explains a recovery), what the program's rolls before
	// month paid for months from first on, and the lines the roll of month has now (a draft's).
	// Paid leaves out reissue lines (they pay again what a released line, still counted, stands for);
	// reissues are the released lines of rolls before month not yet reissued by such a roll.
	EachRollBeneficiary(ctx context.Context, program Program, first, month string, changedSince time.Time,
		fn func(ents []*Entitlement, paid []PaidPeriod, reissues []RollLine, current []RollLine) error) error
	// ApplyRollLines removes lines from the roll of (program, month) and adds others.
	ApplyRollLines(ctx context.Context, program Program, month string, remove, add []RollLine) error
	ListRollLines(ctx context.Context, q RollLineQuery) ([]RollLine, error)
	// RollTotals counts and sums the lines of the roll of (program, month) under a region code prefix.
	RollTotals(ctx context.Context, program Program, month, regionPrefix string) (RollTotals, error)
	// PublishRollHandedOff appends the roll.handed_off change for r to the change feed.
	PublishRollHandedOff(ctx context.Context, r *Roll) error
	// LockLine returns the line with key k, locked until the transaction ends; nil when there is none.
	LockLine(ctx context.Context, k LineKey) (*RollLine, error)
	// NextReissueAttempt is 1 + the largest attempt of the beneficiary's reissue lines of period and of
	// the reissue attempts already given to released lines of period.
	NextReissueAttempt(ctx context.Context, program Program, beneficiary, period string) (int32, error)
	// SaveRelease writes a line's release fields.
	SaveRelease(ctx context.Context, l *RollLine) error
	// ApplyResults records results (by result id: one already recorded is left out) and applies each new
	// one to its line when it fits (ResultOutcome); it returns the outcome of each result, in order.
	ApplyResults(ctx context.Context, results []Result) ([]ResultOutcome, error)
}

// RollPolicy reads policy parameters (satisfied by *policy.Store).
type RollPolicy interface {
	Decode(parameter, regionCode string, date time.Time, into any) (policy.Value, error)
}

// Config is what a paying service tells the engine about itself.
type Config struct {
	// Service is the paying service's name ("subsidies"): its roll locks are "<service>/paymentRolls/<id>"
	// and its scheduled computations appear as computed by "<service>:schedule".
	Service string
	// Programs are the programs the service pays; any other is refused (PROGRAM_NOT_PAID_HERE) or not
	// found. Several services share no program: each program's department has one service.
	Programs []Program
	// ComputeDayParam is the policy parameter of the day of the month (1–28) from which the leader
	// computes the month's rolls by itself ("subsidies.roll.compute_day").
	ComputeDayParam string
	// InArrears are the programs paid after the month they are for (公益岗 wages: a month's attendance is
	// reported and reviewed in the next month): on the compute day the leader computes their roll of the
	// month before, so the month worked is its roll's regular line, not a 补发 of the next one.
	InArrears []Program
}

// Rolls is the payment roll's use cases.
type Rolls struct {
	cfg    Config
	store  RollStore
	locks  RollLocks
	policy RollPolicy
	now    func() time.Time
	// audit records, in the write's transaction, what the service computed on its own (the schedule);
	// a request's computation is audited by the platform.
	audit SystemAudit
}

// SystemAudit records a change the service made on its own: the resource and how many records.
type SystemAudit func(ctx context.Context, resource string, records int) error

// AuditScheduled makes scheduled computations write an audit row through fn.
func (r *Rolls) AuditScheduled(fn SystemAudit) { r.audit = fn }

// NewRolls returns the roll use cases of the service cfg describes.
func NewRolls(cfg Config, store RollStore, locks RollLocks, policy RollPolicy, now func() time.Time) *Rolls {
	return &Rolls{cfg: cfg, store: store, locks: locks, policy: policy, now: now}
}

// Config returns what the service told the engine.
func (r *Rolls) Config() Config { return r.cfg }

// Pays reports whether the service pays program.
func (r *Rolls) Pays(program Program) bool { return slices.Contains(r.cfg.Programs, program) }

// parseID reads a roll id naming a program the service pays; ErrRollNotFound otherwise.
func (r *Rolls) parseID(id string) (Program, string, error) {
	program, month, ok := ParseRollID(id)
	if !ok || !r.Pays(program) {
		return 0, "", ErrRollNotFound
	}
	return program, month, nil
}

func rollSubject(p Program, month string) string { return "paymentRolls/" + RollID(p, month) }

// RollLocks serialize the computations of one roll across replicas and give each its fencing token
// (implemented on etcd: platform/election.Lock).
type RollLocks interface {
	// Lock takes the lock called name, waiting while another holds it, and returns its fencing token
	// and the function releasing it.
	Lock(ctx context.Context, name string) (token int64, unlock func(), err error)
}

// Compute computes the roll of program for month on demand (ComputeRoll, on any replica), under the
// fencing token of the roll's lock (RollLockName), which the platform took before the request's
// transaction began and releases after its commit: a computation waiting for the lock then sees the roll
// the other one committed and recomputes it (the same entitlements give the same lines). It creates the
// roll as a draft or recomputes its draft, in one transaction with every check.
func (r *Rolls) Compute(ctx context.Context, c RollCaller, program Program, month string, token int64) (*Roll, error) {
	roll, err := r.compute(ctx, c, program, month, token, false)
	if err != nil {
		return nil, err
	}
	return r.inScope(ctx, c, roll)
}

// ScheduledActor is how the scheduled computation appears as computed_by: "<service>:schedule".
func (r *Rolls) ScheduledActor() string { return r.cfg.Service + ":schedule" }

// ComputeScheduled is the leader's computation on the compute day: Compute as the service itself, except
// that a program with nothing to pay gets no (empty) roll, so unused programs ask for no approvals. It
// returns nil then.
func (r *Rolls) ComputeScheduled(ctx context.Context, program Program, month string) (*Roll, error) {
	token, unlock, err := r.lock(ctx, program, month)
	if err != nil {
		return nil, err
	}
	defer unlock()
	return r.compute(ctx, RollCaller{Actor: r.ScheduledActor(), System: true}, program, month, token, true)
}

// RollLockName is the etcd lock every computation of one roll of service holds, on demand or scheduled.
func RollLockName(service string, program Program, month string) string {
	return service + "/paymentRolls/" + RollID(program, month)
}

// LockName is the etcd lock of the roll of program for month of this service.
func (r *Rolls) LockName(program Program, month string) string {
	return RollLockName(r.cfg.Service, program, month)
}

// ErrRollBusy is the refusal when the roll's lock cannot be taken in time.
var ErrRollBusy = apperr.Unavailable(ReasonRollBusy,
	"the roll's lock could not be taken: another computation runs or etcd is unreachable; retry")

func (r *Rolls) lock(ctx context.Context, program Program, month string) (int64, func(), error) {
	token, unlock, err := r.locks.Lock(ctx, r.LockName(program, month))
	if err != nil {
		return 0, nil, fmt.Errorf("%w (%v)", ErrRollBusy, err)
	}
	return token, unlock, nil
}

func (r *Rolls) compute(ctx context.Context, c RollCaller, program Program, month string, token int64, skipEmpty bool) (*Roll, error) {
	if !r.Pays(program) {
		return nil, apperr.Invalid(ReasonProgramNotPaidHere, "program", fmt.Sprintf("%s is paid by another service", program))
	}
	if err := c.mayWrite(program); err != nil {
		return nil, err
	}
	now := r.now()
	if _, err := ParseMonth(month); err != nil || month > MonthOf(bizdate.Today(now)) {
		return nil, apperr.Invalid(rollReasonMonthInvalid, "month", "must be YYYY-MM and not after the current month")
	}
	var out *Roll
	err := r.store.InTx(ctx, func(ctx context.Context) error {
		roll, err := r.store.LockRoll(ctx, program, month)
		if err != nil {
			return err
		}
		subject := rollSubject(program, month)
		if roll != nil {
			if roll.State != RollDraft {
				return apperr.Refused(ReasonRollNotDraft, apperr.Violation{Type: "ROLL_APPROVED_IMMUTABLE", Subject: subject,
					Description: "the roll is approved or handed off and never changes"})
			}
			if token < roll.FencingToken {
				return apperr.Refused(ReasonRollFenced, apperr.Violation{Type: "FENCING_TOKEN", Subject: subject,
					Description: fmt.Sprintf("fencing token %d is older than %d, which last wrote the roll", token, roll.FencingToken)})
			}
		}
		others, err := r.store.ProgramRolls(ctx, program)
		if err != nil {
			return err
		}
		first, since := month, time.Time{}
		for _, o := range others {
			switch {
			case o.Month > month:
				return apperr.Refused(ReasonRollMonthBehind, apperr.Violation{Type: "ROLL_MONTH_ORDER", Subject: subject,
					Description: "the roll of " + o.Month + " exists: earlier months are paid through back pay"})
			case o.Month < month && o.State == RollDraft:
				return apperr.Refused(ReasonRollEarlierNotApproved, apperr.Violation{Type: "EARLIER_ROLL_APPROVED", Subject: subject,
					Description: "the roll of " + o.Month + " is still a draft: approve it first"})
			}
			first = min(first, o.Month)
			if o.Month < month && o.ComputeTime.After(since) {
				since = o.ComputeTime
			}
		}
		// A recomputation writes only what changed: most of a draft's lines are the same from one day to
		// the next, and rewriting 200,000 of them would cost more than computing them.
		var (
			totals      RollTotals
			held        []HeldAdjustment
			remove, add []RollLine
		)
		err = r.store.EachRollBeneficiary(ctx, program, first, month, since, func(ents []*Entitlement, paid []PaidPeriod, reissues, current []RollLine) error {
			ls, hs := BeneficiaryLines(program, month, first, ents, paid, reissues...)
			for i := range ls {
				totals.Add(&ls[i])
			}
			held = append(held, hs...)
			rm, ad := diffLines(current, ls)
			remove, add = append(remove, rm...), append(add, ad...)
			return nil
		})
		if err != nil {
			return err
		}
		if roll == nil {
			if skipEmpty && totals.Lines == 0 && len(held) == 0 {
				return nil
			}
			roll = &Roll{Program: program, Month: month, State: RollDraft, CreateTime: now}
			if err := r.store.CreateRoll(ctx, roll); err != nil {
				return err
			}
		}
		if err := r.store.ApplyRollLines(ctx, program, month, remove, add); err != nil {
			return err
		}
		roll.Totals = totals
		roll.Held, roll.FirstMonth = held, first
		roll.FencingToken = max(roll.FencingToken, token)
		roll.Computations++
		roll.ComputedBy, roll.ComputeTime, roll.UpdateTime = c.Actor, now, now
		roll.Version++
		if err := r.store.SaveRoll(ctx, roll); err != nil {
			return err
		}
		if c.System && r.audit != nil {
			if err := r.audit(ctx, subject, len(remove)+len(add)); err != nil {
				return err
			}
		}
		out = roll
		return nil
	})
	return out, err
}

// Get returns a roll by id, with its totals and held corrections within the caller's scope.
func (r *Rolls) Get(ctx context.Context, c RollCaller, id string) (*Roll, error) {
	program, month, err := r.parseID(id)
	if err != nil {
		return nil, err
	}
	roll, err := r.store.GetRoll(ctx, program, month)
	if err != nil {
		return nil, err
	}
	return r.inScope(ctx, c, roll)
}

// inScope narrows what a roll shows to the caller's region scope, as its lines are: a township officer
// sees the totals of the township's lines (summed by the database over the roll's index on region) and
// only the township's held corrections, never the county's. The roll as stored keeps the county's totals;
// a caller without a scope (the county) sees them as they are.
func (r *Rolls) inScope(ctx context.Context, c RollCaller, roll *Roll) (*Roll, error) {
	if c.System || c.Scope == "" || roll == nil {
		return roll, nil
	}
	totals, err := r.store.RollTotals(ctx, roll.Program, roll.Month, c.Scope)
	if err != nil {
		return nil, err
	}
	scoped := *roll
	scoped.Totals, scoped.Held = totals, nil
	// Held corrections are a short list kept with the roll (rare and small); the caller sees their own.
	for _, h := range roll.Held {
		if strings.HasPrefix(h.RegionCode, c.Scope) {
			scoped.Held = append(scoped.Held, h)
		}
	}
	return &scoped, nil
}

// List lists rolls, newest month first, each with its totals and held corrections within the caller's scope.
func (r *Rolls) List(ctx context.Context, c RollCaller, q RollQuery) ([]*Roll, error) {
	if q.Program != 0 && !r.Pays(q.Program) {
		return nil, nil
	}
	q.Programs = r.cfg.Programs
	rolls, err := r.store.ListRolls(ctx, q)
	if err != nil {
		return nil, err
	}
	for i := range rolls {
		if rolls[i], err = r.inScope(ctx, c, rolls[i]); err != nil {
			return nil, err
		}
	}
	return rolls, nil
}

// Lines lists a roll's lines inside the caller's scope, narrowed to q.RegionPrefix when it is given.
func (r *Rolls) Lines(ctx context.Context, c RollCaller, id string, q RollLineQuery) ([]RollLine, error) {
	program, month, err := r.parseID(id)
	if err != nil {
		return nil, err
	}
	if _, err := r.store.GetRoll(ctx, program, month); err != nil {
		return nil, err
	}
	prefix, err := scopedPrefix(c.Scope, q.RegionPrefix)
	if err != nil {
		return nil, err
	}
	q.Program, q.Month, q.RegionPrefix = program, month, prefix
	return r.store.ListRollLines(ctx, q)
}

// scopedPrefix is the narrower of the caller's scope and the requested region prefix; a request outside
// the scope is refused rather than answered empty, so a caller learns their filter is wrong.
func scopedPrefix(scope, requested string) (string, error) {
	switch {
	case strings.HasPrefix(requested, scope):
		return requested, nil
	case strings.HasPrefix(scope, requested):
		return scope, nil
	}
	return "", apperr.Denied(ReasonRollOutOfRegionScope, "region_code lies outside the caller's region scope")
}

// Approve approves a draft (审核) as the caller; a non-empty etag must match the roll's.
func (r *Rolls) Approve(ctx context.Context, c RollCaller, id, etag string) (*Roll, error) {
	return r.transition(ctx, c, id, func(roll *Roll, now time.Time) error {
		if etag != "" && etag != roll.Etag() {
			return apperr.StaleEtag
		}
		if roll.State != RollDraft {
			return apperr.Refused(ReasonRollNotDraft, apperr.Violation{Type: "ROLL_APPROVED_IMMUTABLE",
				Subject: rollSubject(roll.Program, roll.Month), Description: "the roll is already approved"})
		}
		roll.State, roll.ApprovedBy, roll.ApproveTime = RollApproved, c.Actor, now
		return nil
	})
}

// HandOff hands an approved roll to finance (移交财政) and publishes roll.handed_off in the same
// transaction.
func (r *Rolls) HandOff(ctx context.Context, c RollCaller, id string) (*Roll, error) {
	return r.transition(ctx, c, id, func(roll *Roll, now time.Time) error {
		if roll.State != RollApproved {
			return apperr.Refused(ReasonRollNotApproved, apperr.Violation{Type: "ROLL_APPROVED",
				Subject: rollSubject(roll.Program, roll.Month), Description: "only an approved roll that was not handed off yet can be handed off"})
		}
		roll.State, roll.HandedOffBy, roll.HandOffTime = RollHandedOff, c.Actor, now
		return nil
	})
}

func (r *Rolls) transition(ctx context.Context, c RollCaller, id string, change func(*Roll, time.Time) error) (*Roll, error) {
	program, month, err := r.parseID(id)
	if err != nil {
		return nil, err
	}
	if err := c.mayWrite(program); err != nil {
		return nil, err
	}
	var out *Roll
	err = r.store.InTx(ctx, func(ctx context.Context) error {
		roll, err := r.store.LockRoll(ctx, program, month)
		if err != nil {
			return err
		}
		if roll == nil {
			return ErrRollNotFound
		}
		now := r.now()
		if err := change(roll, now); err != nil {
			return err
		}
		roll.UpdateTime = now
		roll.Version++
		if err := r.store.SaveRoll(ctx, roll); err != nil {
			return err
		}
		if roll.State == RollHandedOff {
			if err := r.store.PublishRollHandedOff(ctx, roll); err != nil {
				return err
			}
		}
		out = roll
		return nil
	})
	if err != nil {
		return nil, err
	}
	return r.inScope(ctx, c, out)
}

// ScheduledMonth says whether the leader computes program's roll now, and for which month: on or after
// the compute day (policy, county-wide), the current month's roll (the month before's for a program paid
// in arrears, Config.InArrears) when it is absent or still a draft not yet computed today. An approved roll is never touched; a draft is recomputed at most once a day, so
// the job picks up the day's decisions without recomputing every few minutes.
func (r *Rolls) ScheduledMonth(ctx context.Context, program Program) (string, bool, error) {
	now := r.now()
	today := bizdate.Today(now)
	var day int
	if _, err := r.policy.Decode(r.cfg.ComputeDayParam, "", now, &day); err != nil {
		return "", false, fmt.Errorf("roll compute day: %w", err)
	}
	if d, _ := strconv.Atoi(today[8:]); d < day {
		return "", false, nil
	}
	month := MonthOf(today)
	if slices.Contains(r.cfg.InArrears, program) {
		month = AddMonths(month, -1)
	}
	roll, err := r.store.GetRoll(ctx, program, month)
	switch {
	case errors.Is(err, ErrRollNotFound):
		return month, true, nil
	case err != nil:
		return "", false, err
	}
	return month, roll.State == RollDraft && bizdate.Today(roll.ComputeTime) != today, nil
}

// RollNames finds the names shown on an exported roll: per household id, its head's name and its
// members' names by person id (plain or masked: the roll masks them again).
type RollNames interface {
	RollNames(ctx context.Context, householdIDs []string) (map[string]HouseholdNames, error)
}

// HouseholdNames are the names of one household's head and members.
type HouseholdNames struct {
	Head    string
	Members map[string]string
}

// ExportLine is a line as exported: with the beneficiary's masked name.
type ExportLine struct {
	RollLine
	NameMasked string
}

// exportPage is how many lines an export reads at a time.
const exportPage = 5000

// Export returns the roll's lines inside the caller's scope (narrowed by kind and region) with masked
// names: the person's for person-level programs, the household head's for 低保.
func (r *Rolls) Export(ctx context.Context, c RollCaller, names RollNames, id string, kind RollLineKind, region string) (*Roll, []ExportLine, error) {
	program, month, err := r.parseID(id)
	if err != nil {
		return nil, nil, err
	}
	roll, err := r.store.GetRoll(ctx, program, month)
	if err != nil {
		return nil, nil, err
	}
	q := RollLineQuery{Kind: kind, RegionPrefix: region, Limit: exportPage}
	var out []ExportLine
	for {
		lines, err := r.Lines(ctx, c, id, q)
		if err != nil {
			return nil, nil, err
		}
		for _, l := range lines {
			out = append(out, ExportLine{RollLine: l})
		}
		if len(lines) < q.Limit {
			break
		}
		q.After = &lines[len(lines)-1]
	}
	var households []string
	seen := map[string]bool{}
	for _, l := range out {
		if l.HouseholdID != "" && !seen[l.HouseholdID] {
			seen[l.HouseholdID] = true
			households = append(households, l.HouseholdID)
		}
	}
	if len(households) > 0 && names != nil {
		byHousehold, err := names.RollNames(ctx, households)
		if err != nil {
			return nil, nil, err
		}
		for i := range out {
			h := byHousehold[out[i].HouseholdID]
			name := h.Head
			if out[i].PersonID != "" {
				name = h.Members[out[i].PersonID]
			}
			out[i].NameMasked = pii.MaskName(name)
		}
	}
	// An organisation is no person: its credit code is shown as it is.
	for i := range out {
		if code, ok := OrganisationCreditCode(out[i].Beneficiary); ok {
			out[i].NameMasked = code
		}
	}
	return roll, out, nil
}
