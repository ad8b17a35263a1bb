package payroll

import (
	"context"
	"fmt"
	"time"

	"fupin.dev/services/platform/apperr"
)

// Payment results (shared/DESIGN.md, "Money: one way out of every department"): funds pays the handed-off
// lines and publishes what the bank did with each (fupin.payroll.v1.PaymentResult, topic payment.result)
// on its own change feed; each paying service follows that feed, and only that one (ResultsFollower), and
// marks its lines sent, paid or failed. A result is applied once, by its result id, however many times
// it is delivered. A failed line is not paid: when the department has fixed the cause its staff release
// it (Release, with a reason), and the next roll computed carries a reissue line (重发) for it with the
// next attempt of the period, so "one payment per period" holds for what is actually paid.

// TopicPaymentResult is the topic of a payment result on funds' change feed.
const TopicPaymentResult = "payment.result"

// FundsService is the name of the service whose feed carries payment results.
const FundsService = "funds"

// Result is one payment result as funds reports it.
type Result struct {
	ResultID string
	Line     LineKey
	// RollMonth is the month of the roll the line is on (from the result's roll name).
	RollMonth     string
	State         PaymentState
	FailureReason FailureReason
	Detail        string
	AmountFen     int64
	Time          time.Time
}

// ResultOutcome is what applying a result did.
type ResultOutcome int

// Outcomes of a result.
const (
	// ResultApplied: the line took the result's state.
	ResultApplied ResultOutcome = iota + 1
	// ResultDuplicate: the result id was applied before; nothing changed.
	ResultDuplicate
	// ResultUnknownLine: no line of a handed-off roll has the result's key and roll; recorded, not applied.
	ResultUnknownLine
	// ResultAmountMismatch: the result's amount is not the line's; recorded, not applied.
	ResultAmountMismatch
	// ResultStale: the line is already as far or further (a sent after a paid, a second final result);
	// recorded, not applied.
	ResultStale
	// ResultInvalid: the result names no state funds may report (sent, paid, failed) or a failure without
	// reason; recorded, not applied.
	ResultInvalid
)

func (o ResultOutcome) String() string {
	switch o {
	case ResultApplied:
		return "applied"
	case ResultDuplicate:
		return "duplicate"
	case ResultUnknownLine:
		return "unknown_line"
	case ResultAmountMismatch:
		return "amount_mismatch"
	case ResultStale:
		return "stale"
	case ResultInvalid:
		return "invalid"
	}
	return fmt.Sprintf("ResultOutcome(%d)", int(o))
}

// Valid reports whether a result says something a line can take: sent, paid, or failed with a reason.
func (r *Result) Valid() bool {
	switch r.State {
	case PaymentSent, PaymentPaid:
		return true
	case PaymentFailed:
		return r.FailureReason > FailureUnspecified && r.FailureReason <= FailureOther
	}
	return false
}

// Advances reports whether a line in state from may take a result of state to: only forward.
func Advances(from, to PaymentState) bool {
	switch to {
	case PaymentSent:
		return from == PaymentUnsent
	case PaymentPaid, PaymentFailed:
		return from == PaymentUnsent || from == PaymentSent
	}
	return false
}

// ApplyResults applies a page of results of the service's programs in the transaction carried by ctx (the
// one that moves the follower's cursor); results of programs another service pays are left to it. It
// returns the outcomes of the results it looked at, in order.
func (r *Rolls) ApplyResults(ctx context.Context, results []Result) ([]ResultOutcome, error) {
	mine := results[:0:0]
	for _, x := range results {
		if r.Pays(x.Line.Program) {
			mine = append(mine, x)
		}
	}
	if len(mine) == 0 {
		return nil, nil
	}
	return r.store.ApplyResults(ctx, mine)
}

// Release releases a failed line for payment again (放行重发), as the caller, with the reason the
// department fixed the cause: the line keeps its failure and gets the release and the attempt of its
// reissue, which the next roll of the program computed carries. Only the program's department; the line
// must be failed, not released before, and not a recovery.
func (r *Rolls) Release(ctx context.Context, c RollCaller, rollID string, k LineKey, reason string) (*RollLine, error) {
	program, month, err := r.parseID(rollID)
	if err != nil {
		return nil, err
	}
	if err := c.mayWrite(program); err != nil {
		return nil, err
	}
	k.Program = program
	var out *RollLine
	err = r.store.InTx(ctx, func(ctx context.Context) error {
		l, err := r.store.LockLine(ctx, k)
		if err != nil {
			return err
		}
		if l == nil || l.RollMonth != month {
			return apperr.NotFound("payment roll line")
		}
		subject := "paymentRolls/" + RollID(program, month) + "/lines/" + lineSubject(k)
		p := l.Paid()
		switch {
		case p.State != PaymentFailed:
			return apperr.Refused(ReasonLineNotFailed, apperr.Violation{Type: "LINE_FAILED", Subject: subject,
				Description: "only a line funds reported failed can be released for payment again"})
		case p.ReleaseTime != (time.Time{}):
			return apperr.Refused(ReasonLineNotFailed, apperr.Violation{Type: "LINE_RELEASED_ONCE", Subject: subject,
				Description: "the line was released already (by " + p.ReleasedBy + "): its reissue is on the next roll"})
		case l.Kind == RollLineRecovery:
			return apperr.Refused(ReasonLineNotFailed, apperr.Violation{Type: "RECOVERY_NOT_REISSUED", Subject: subject,
				Description: "a recovery is not paid again: settle it by hand"})
		}
		attempt, err := r.store.NextReissueAttempt(ctx, program, l.Beneficiary, l.Period)
		if err != nil {
			return err
		}
		p.ReleasedBy, p.ReleaseReason, p.ReleaseTime, p.ReissueAttempt = c.Actor, reason, r.now(), attempt
		l.Payment = &p
		if err := r.store.SaveRelease(ctx, l); err != nil {
			return err
		}
		out = l
		return nil
	})
	return out, err
}

func lineSubject(k LineKey) string {
	return fmt.Sprintf("%s/%s/%d/%d", k.Beneficiary, k.Period, k.Kind, k.Attempt)
}

// PaymentLines lists a handed-off roll's lines for funds, in the roll's order, whatever the caller's
// department (the API lets only funds' service identity call it).
func (r *Rolls) PaymentLines(ctx context.Context, rollID string, after *RollLine, limit int) (*Roll, []RollLine, error) {
	program, month, err := r.parseID(rollID)
	if err != nil {
		return nil, nil, err
	}
	roll, err := r.store.GetRoll(ctx, program, month)
	if err != nil {
		return nil, nil, err
	}
	if roll.State != RollHandedOff {
		return nil, nil, apperr.Refused(ReasonRollNotHandedOff, apperr.Violation{Type: "ROLL_HANDED_OFF",
			Subject: "paymentRolls/" + roll.ID(), Description: "funds pays only a roll handed off to it"})
	}
	lines, err := r.store.ListRollLines(ctx, RollLineQuery{Program: program, Month: month, After: after, Limit: limit})
	return roll, lines, err
}

// CheckEntitlement refuses an entitlement that fits no program of the county or whose beneficiary does
// not fit the program's payee kind: an organisation's must be "organisations/<统一社会信用代码>" with a
// correct check character, a person's or household's may not be an organisation.
func CheckEntitlement(e *Entitlement) error {
	info, ok := e.Program.Info()
	if !ok {
		return apperr.Invalid(ReasonProgramNotPaidHere, "program", fmt.Sprintf("%s is no program of the county", e.Program))
	}
	code, isOrg := OrganisationCreditCode(e.Beneficiary)
	switch {
	case info.Payee == PayeeOrganisation && !isOrg:
		return apperr.Invalid(ReasonPayeeInvalid, "beneficiary", info.Code+" pays organisations: organisations/<统一社会信用代码>")
	case info.Payee == PayeeOrganisation && !ValidCreditCode(code):
		return apperr.Invalid(ReasonPayeeInvalid, "beneficiary", "not a unified social credit code (统一社会信用代码): "+code)
	case info.Payee != PayeeOrganisation && isOrg:
		return apperr.Invalid(ReasonPayeeInvalid, "beneficiary", info.Code+" pays persons and households, not organisations")
	}
	return nil
}
