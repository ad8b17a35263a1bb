package workflow

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

	"fupin.dev/services/platform/apperr"
	"fupin.dev/services/platform/bizdate"
	"fupin.dev/services/platform/policy"
)

// Open opens a case of a registered kind with its first step, after the step's guard. With
// OnePerSubject, a subject that already has an open case of the kind is refused.
func (e *Engine) Open(ctx context.Context, by Caller, nc NewCase) (*Case, error) {
	def, ok := e.defs[nc.Kind]
	if !ok {
		return nil, fmt.Errorf("workflow: kind %q is not registered", nc.Kind)
	}
	if !inScope(by.Scope, nc.RegionCode) {
		return nil, outOfScope()
	}
	first := def.Steps[0].Name
	if nc.First.Step == "" {
		nc.First.Step = first
	}
	if nc.First.Step != first {
		return nil, apperr.Refused(ReasonStepOutOfOrder, apperr.Violation{Type: RuleStepOrder, Subject: nc.Subject,
			Description: fmt.Sprintf("a %s case opens with step %s, not %s", def.Kind, first, nc.First.Step)})
	}
	now := e.opts.Now()
	date := nc.First.OccurredAt
	if date == "" {
		date = bizdate.Today(now)
	}
	if err := bizdate.NotBeforeRegistration("occurred_at", date, nc.Registered); err != nil {
		return nil, err
	}
	c := &Case{ID: e.opts.NewID(), Kind: def.Kind, Subject: nc.Subject, RegionCode: nc.RegionCode, State: StateOpen,
		Next: first, Round: 1, CreateTime: now, UpdateTime: now}
	err := e.db.InTx(ctx, func(ctx context.Context) error {
		if def.OnePerSubject {
			open, err := e.openCaseOf(ctx, def.Kind, nc.Subject)
			if err != nil {
				return err
			}
			if open != "" {
				return alreadyOpen(def.Kind, nc.Subject, open)
			}
		}
		if err := e.record(ctx, def, c, by, nc.First, now); err != nil {
			return err
		}
		return e.save(ctx, def, c, snapshot{}, true)
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}

// Record records the next step of a case: the step expected (Case.Next), after its guard. The last
// step must carry a decision; an earlier one may end the case with a refusal. Postings are started with
// StartPosting.
func (e *Engine) Record(ctx context.Context, by Caller, id string, in StepInput) (*Case, error) {
	return e.update(ctx, by, id, in.Etag, func(ctx context.Context, def *Definition, c *Case, now time.Time) error {
		i, err := expect(def, c, in.Step)
		if err != nil {
			return err
		}
		if def.Steps[i].Posting != nil {
			return orderViolation(c, fmt.Sprintf("step %s is a public posting: start it with StartPosting", in.Step))
		}
		return e.record(ctx, def, c, by, in, now)
	})
}

// record checks and appends a non-posting step to c in memory and moves the case on.
func (e *Engine) record(ctx context.Context, def *Definition, c *Case, by Caller, in StepInput, now time.Time) error {
	i := def.index(in.Step)
	s, err := newStep(c, by, in, now)
	if err != nil {
		return err
	}
	if g := def.Steps[i].Guard; g != nil {
		if err := g(ctx, c, s); err != nil {
			return err
		}
	}
	last := i == len(def.Steps)-1
	switch {
	case last && s.Decision == nil:
		return fmt.Errorf("workflow: %s: the deciding step %s needs a decision", def.Kind, s.Name)
	case s.Decision != nil && s.Decision.Outcome != OutcomeRefused && (!last || s.Decision.Outcome != OutcomeApproved):
		return fmt.Errorf("workflow: %s: step %s cannot decide %v", def.Kind, s.Name, s.Decision.Outcome)
	}
	// Verification again after an objection settles the objections pending.
	for pi := range c.Postings {
		p := &c.Postings[pi]
		if rule := def.Steps[def.index(p.Step)].Posting; rule != nil && rule.ReopenAt == s.Name {
			for oi := range p.Objections {
				if p.Objections[oi].ResolvedBy == 0 {
					p.Objections[oi].ResolvedBy = s.Seq
				}
			}
		}
	}
	c.Steps = append(c.Steps, *s)
	if s.Decision != nil {
		d := *s.Decision
		d.Step, d.Actor, d.DecidedAt = s.Name, s.Actor, s.OccurredAt
		c.Decision = &d
		c.State, c.Next = StateClosed, ""
		return nil
	}
	c.State, c.Next = StateOpen, def.Steps[i+1].Name
	return nil
}

// StartPosting starts the public posting (公示) the case expects, on in.OccurredAt, after the posting
// step's guard. The minimum period is read from policy for the case's region on the start date and kept
// with the posting, with its hash.
func (e *Engine) StartPosting(ctx context.Context, by Caller, id string, in StepInput) (*Case, error) {
	return e.update(ctx, by, id, in.Etag, func(ctx context.Context, def *Definition, c *Case, now time.Time) error {
		i, err := expect(def, c, in.Step)
		if err != nil {
			return err
		}
		rule := def.Steps[i].Posting
		if rule == nil {
			return orderViolation(c, fmt.Sprintf("step %s is not a public posting", in.Step))
		}
		s, err := newStep(c, by, in, now)
		if err != nil {
			return err
		}
		if g := def.Steps[i].Guard; g != nil {
			if err := g(ctx, c, s); err != nil {
				return err
			}
		}
		if s.Decision != nil {
			return fmt.Errorf("workflow: %s: a posting cannot decide the case", def.Kind)
		}
		days, v, err := e.minDays(rule.MinDaysParameter, c, s.OccurredAt)
		if err != nil {
			return err
		}
		c.Steps = append(c.Steps, *s)
		c.Postings = append(c.Postings, Posting{Seq: len(c.Postings) + 1, Step: s.Name, StartSeq: s.Seq,
			StartedAt: s.OccurredAt, MinDays: days, Policy: v, State: PostingRunning})
		c.State, c.Next = StatePosting, s.Name
		if rule.Notice != nil {
			return e.publish(ctx, rule, c, c.CurrentPosting())
		}
		return nil
	})
}

func (e *Engine) minDays(parameter string, c *Case, start string) (int, policy.Value, error) {
	if e.opts.Policy == nil {
		return 0, policy.Value{}, errors.New("workflow: no policy source for posting periods")
	}
	date, err := bizdate.Parse(start)
	if err != nil {
		return 0, policy.Value{}, err
	}
	var days int
	v, err := e.opts.Policy.Decode(parameter, c.RegionCode, date, &days)
	if errors.Is(err, policy.ErrNotFound) {
		return 0, policy.Value{}, apperr.Refused(ReasonPolicyValueMissing, apperr.Violation{Type: RulePolicyValue,
			Subject: c.Name(), Description: fmt.Sprintf("no value of %s is in force for region %s on %s", parameter, c.RegionCode, start)})
	}
	if err != nil {
		return 0, policy.Value{}, err
	}
	if days < 0 {
		return 0, policy.Value{}, fmt.Errorf("workflow: policy %s is negative (%d)", parameter, days)
	}
	return days, v, nil
}

// FileObjection records an objection (异议) against the running posting: the posting is interrupted on
// the objection's date and the case goes back to the posting's ReopenAt step for verification, in a new
// round. Further objections are accepted until that verification is recorded; it settles them all.
func (e *Engine) FileObjection(ctx context.Context, by Caller, id string, in ObjectionInput) (*Case, error) {
	return e.update(ctx, by, id, in.Etag, func(ctx context.Context, def *Definition, c *Case, now time.Time) error {
		if c.State == StateClosed {
			return closedViolation(c)
		}
		p := c.CurrentPosting()
		pending := p != nil && p.State == PostingInterrupted && slices.ContainsFunc(p.Objections, func(o Objection) bool { return o.ResolvedBy == 0 })
		if c.State != StatePosting && !pending {
			return orderViolation(c, fmt.Sprintf("objections are filed while a posting runs; the case expects step %s", c.Next))
		}
		if strings.TrimSpace(in.Content) == "" {
			return apperr.Invalid(ReasonInvalidField, "content", "say what the objection is")
		}
		date, err := checkDate(in.OccurredAt, in.BackdateReason, now, p.StartedAt, "the posting started")
		if err != nil {
			return err
		}
		n := 0
		for _, q := range c.Postings {
			n += len(q.Objections)
		}
		p.Objections = append(p.Objections, Objection{Seq: n + 1, PostingSeq: p.Seq, FiledAt: date, Objector: in.Objector,
			Content: in.Content, Attachments: slices.Clone(in.Attachments), RecordedBy: by.Actor, RecordedAt: now,
			BackdateReason: in.BackdateReason})
		if p.State == PostingRunning {
			p.State, p.EndedAt, p.EndedBy, p.EndRecord = PostingInterrupted, date, by.Actor, now
			p.EndedNote = "interrupted by objection " + strconv.Itoa(n+1)
			c.State, c.Next = StateOpen, def.Steps[def.index(p.Step)].Posting.ReopenAt
			c.Round++
		}
		return nil
	})
}

// CompletePosting closes the running posting on in.OccurredAt, which must be on or after its last day:
// with a minimum of N days, day N at the earliest (day 1 is the day after the start). The case moves on
// to the step after the posting.
func (e *Engine) CompletePosting(ctx context.Context, by Caller, id string, in StepInput) (*Case, error) {
	return e.update(ctx, by, id, in.Etag, func(ctx context.Context, def *Definition, c *Case, now time.Time) error {
		if c.State == StateClosed {
			return closedViolation(c)
		}
		if c.State != StatePosting {
			return orderViolation(c, fmt.Sprintf("no posting is running; the case expects step %s", c.Next))
		}
		if in.Step != "" && in.Step != c.Next {
			return orderViolation(c, fmt.Sprintf("the posting running is %s, not %s", c.Next, in.Step))
		}
		p := c.CurrentPosting()
		date, err := checkDate(in.OccurredAt, in.BackdateReason, now, c.lastDate(), "the case's latest entry")
		if err != nil {
			return err
		}
		day, err := p.Day(date)
		if err != nil {
			return err
		}
		if day < p.MinDays {
			start, _ := bizdate.Parse(p.StartedAt)
			earliest := bizdate.Today(start.AddDate(0, 0, p.MinDays))
			return apperr.Refused(ReasonPostingPeriodNotOver, apperr.Violation{Type: RulePostingPeriod, Subject: c.Name(),
				Description: fmt.Sprintf("the posting started on %s runs at least %d days: it can complete on or after %s (day %d); %s is day %d",
					p.StartedAt, p.MinDays, earliest, p.MinDays, date, day)})
		}
		p.State, p.EndedAt, p.EndedBy, p.EndedNote, p.EndReason, p.EndRecord = PostingCompleted, date, by.Actor, in.Note, in.BackdateReason, now
		c.State, c.Next = StateOpen, def.Steps[def.index(p.Step)+1].Name
		return nil
	})
}

// Withdraw ends an open case without a decision on its merits (撤回/终止): the applicant withdraws, the
// household dies out or moves away, the conditions will not be met. The note gives the reason and is
// required; a running posting is interrupted. The trail records a step named StepWithdrawal.
func (e *Engine) Withdraw(ctx context.Context, by Caller, id string, in StepInput) (*Case, error) {
	return e.update(ctx, by, id, in.Etag, func(ctx context.Context, def *Definition, c *Case, now time.Time) error {
		if c.State == StateClosed {
			return closedViolation(c)
		}
		if strings.TrimSpace(in.Note) == "" {
			return apperr.Invalid(ReasonInvalidField, "note", "say why the case is withdrawn")
		}
		in.Step, in.Decision, in.Data = StepWithdrawal, nil, nil
		s, err := newStep(c, by, in, now)
		if err != nil {
			return err
		}
		s.Decision = &Decision{Outcome: OutcomeWithdrawn, Explanation: in.Note}
		if p := c.CurrentPosting(); p != nil && p.State == PostingRunning {
			p.State, p.EndedAt, p.EndedBy, p.EndedNote, p.EndRecord = PostingInterrupted, s.OccurredAt, by.Actor, "the case was withdrawn", now
		}
		c.Steps = append(c.Steps, *s)
		d := *s.Decision
		d.Step, d.Actor, d.DecidedAt = s.Name, s.Actor, s.OccurredAt
		c.Decision = &d
		c.State, c.Next = StateClosed, ""
		return nil
	})
}

// SetRegion moves an open case to another region: the household it is about moved to another village, so
// the new region's officers now see the case and the old one's no longer do. No step is recorded (a move
// is not part of the procedure): the trail and the postings stay as they were, and a posting already
// started keeps the period it was given. A closed case keeps the region it was decided in (CASE_CLOSED).
// It reports whether the case changed: a case already in regionCode is left alone, so a change applied
// twice moves it once; a change raises the version, and so the etag. It writes in the transaction in ctx.
func (e *Engine) SetRegion(ctx context.Context, id, regionCode string) (bool, error) {
	if !digits.MatchString(regionCode) {
		return false, apperr.Invalid(ReasonInvalidField, "region_code", "must be a region code of 1 to 12 digits")
	}
	changed := false
	err := e.db.InTx(ctx, func(ctx context.Context) error {
		c, err := e.load(ctx, id, true)
		if err != nil {
			return err
		}
		if c.RegionCode == regionCode {
			return nil
		}
		if c.State == StateClosed {
			return closedViolation(c)
		}
		res, err := e.db.Q(ctx).ExecContext(ctx, `UPDATE fupin_cases SET region_code = $3, version = $4, updated_us = $5
			WHERE id = $1 AND version = $2`, c.ID, c.Version, regionCode, c.Version+1, e.opts.Now().UnixMicro())
		if err != nil {
			return fmt.Errorf("set case region: %w", err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return apperr.StaleEtag
		}
		// The notices move with the case: the new village's board shows them.
		if _, err := e.db.Q(ctx).ExecContext(ctx, `UPDATE fupin_notices SET region_code = $2 WHERE case_id = $1`, c.ID, regionCode); err != nil {
			return fmt.Errorf("move notices: %w", err)
		}
		changed = true
		return nil
	})
	return changed, err
}

// Get returns a case the caller may see.
func (e *Engine) Get(ctx context.Context, by Caller, id string) (*Case, error) {
	c, err := e.load(ctx, id, false)
	if err != nil {
		return nil, err
	}
	if !inScope(by.Scope, c.RegionCode) {
		return nil, outOfScope()
	}
	return c, nil
}

// snapshot is what a case held when loaded, so save writes only what changed.
type snapshot struct {
	steps   int
	version int64
}

// update loads a case for change in a transaction, checks scope and etag, lets fn change it in memory
// and saves it.
func (e *Engine) update(ctx context.Context, by Caller, id, etag string, fn func(ctx context.Context, def *Definition, c *Case, now time.Time) error) (*Case, error) {
	var out *Case
	err := e.db.InTx(ctx, func(ctx context.Context) error {
		c, err := e.load(ctx, id, true)
		if err != nil {
			return err
		}
		if !inScope(by.Scope, c.RegionCode) {
			return outOfScope()
		}
		if etag != "" && etag != c.Etag() {
			return apperr.StaleEtag
		}
		def, ok := e.defs[c.Kind]
		if !ok {
			return fmt.Errorf("workflow: case %s has kind %q, not registered here", c.ID, c.Kind)
		}
		before := snapshot{steps: len(c.Steps), version: c.Version}
		now := e.opts.Now()
		if err := fn(ctx, def, c, now); err != nil {
			return err
		}
		c.UpdateTime = now
		if err := e.save(ctx, def, c, before, false); err != nil {
			return err
		}
		out = c
		return nil
	})
	return out, err
}

// expect checks that step is the one the case expects now and returns its position.
func expect(def *Definition, c *Case, step string) (int, error) {
	if c.State == StateClosed {
		return 0, closedViolation(c)
	}
	if c.State == StatePosting {
		return 0, orderViolation(c, fmt.Sprintf("the posting %s is running: file an objection or complete the posting before %s", c.Next, step))
	}
	i := def.index(step)
	if i >= 0 && step != c.Next && def.Steps[i].Repeatable && len(c.Steps) > 0 && c.Steps[len(c.Steps)-1].Name == step {
		return i, nil // a correction of the latest step
	}
	if step != c.Next || i < 0 {
		return 0, orderViolation(c, fmt.Sprintf("the case expects step %s, not %s", c.Next, step))
	}
	return i, nil
}

// newStep checks a step's dates and builds it.
func newStep(c *Case, by Caller, in StepInput, now time.Time) (*Step, error) {
	date, err := checkDate(in.OccurredAt, in.BackdateReason, now, c.lastDate(), "the case's latest entry")
	if err != nil {
		return nil, err
	}
	s := &Step{Seq: len(c.Steps) + 1, Name: in.Step, Round: c.Round, Actor: by.Actor, OccurredAt: date, RecordedAt: now,
		BackdateReason: in.BackdateReason, Note: in.Note, Attachments: slices.Clone(in.Attachments),
		Data: slices.Clone(in.Data)}
	if in.Decision != nil {
		d := *in.Decision
		s.Decision = &d
	}
	return s, nil
}

// checkDate returns the business date an entry occurred (today when empty): a real date, not in the
// future, not before notBefore, and with a reason when it lies before today.
func checkDate(occurred, backdateReason string, now time.Time, notBefore, notBeforeWhat string) (string, error) {
	today := bizdate.Today(now)
	if occurred == "" {
		occurred = today
	}
	if _, err := bizdate.Parse(occurred); err != nil {
		return "", apperr.Invalid(ReasonInvalidField, "occurred_at", err.Error())
	}
	if occurred > today {
		return "", apperr.Invalid(ReasonInvalidField, "occurred_at", "is after today ("+today+")")
	}
	if occurred < notBefore {
		return "", apperr.Invalid(ReasonInvalidField, "occurred_at", fmt.Sprintf("is before %s (%s)", notBeforeWhat, notBefore))
	}
	if occurred < today && strings.TrimSpace(backdateReason) == "" {
		return "", apperr.Invalid(ReasonBackdateReasonRequired, "backdate_reason",
			fmt.Sprintf("occurred_at %s is before today (%s): say why it is recorded late", occurred, today))
	}
	return occurred, nil
}

func dayOf(start, date string) (int, error) { return bizdate.DaysAfter(start, date) }

func inScope(scope, regionCode string) bool { return strings.HasPrefix(regionCode, scope) }

func outOfScope() error {
	return apperr.Denied(ReasonOutOfRegionScope, "the case lies outside the caller's region scope")
}

func orderViolation(c *Case, desc string) error {
	return apperr.Refused(ReasonStepOutOfOrder, apperr.Violation{Type: RuleStepOrder, Subject: c.Name(), Description: desc})
}

func closedViolation(c *Case) error {
	desc := "the case is closed"
	if d := c.Decision; d != nil {
		desc = fmt.Sprintf("the case was decided (%v) at step %s on %s", d.Outcome, d.Step, d.DecidedAt)
	}
	return apperr.Refused(ReasonCaseClosed, apperr.Violation{Type: RuleCaseClosed, Subject: c.Name(), Description: desc})
}

func alreadyOpen(kind, subject, openID string) error {
	return apperr.Refused(ReasonCaseAlreadyOpen, apperr.Violation{Type: RuleOneOpenCase, Subject: subject,
		Description: fmt.Sprintf("%s already has an open %s case: cases/%s", subject, kind, openID)})
}

// etag is opaque to callers: a short hash of the case's id and version.
func etag(id string, version int64) string {
	sum := sha256.Sum256([]byte("case/" + id + "/" + strconv.FormatInt(version, 10)))
	return `"` + hex.EncodeToString(sum[:8]) + `"`
}
