// Package payrollsvc is the payroll's service side, shared by every paying service: conversions between
// the engine's types and fupin.payroll.v1's messages, the follower of funds' payment results, and the
// scheduled computation of the rolls by the replica elected leader.
package payrollsvc

import (
	"time"

	payrollv1 "fupin.dev/proto/gen/fupin/payroll/v1"
	"fupin.dev/services/platform/payroll"
	"fupin.dev/services/platform/payroll/payrollsql"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// RollName is a roll's resource name: "paymentRolls/<program>-<YYYY-MM>".
func RollName(program payroll.Program, month string) string {
	return "paymentRolls/" + payroll.RollID(program, month)
}

func ts(t time.Time) *timestamppb.Timestamp {
	if t.IsZero() {
		return nil
	}
	return timestamppb.New(t)
}

// Totals is the message of a roll's totals.
func Totals(t payroll.RollTotals) *payrollv1.RollTotals { return payrollsql.TotalsMessage(t) }

// Roll is the message of a roll.
func Roll(r *payroll.Roll) *payrollv1.Roll {
	out := &payrollv1.Roll{
		Name: RollName(r.Program, r.Month), Program: payrollv1.Program(r.Program), Month: r.Month,
		State: payrollv1.RollState(r.State), Totals: Totals(r.Totals), FirstMonth: r.FirstMonth,
		FencingToken: r.FencingToken, Computations: int32(r.Computations), ComputedBy: r.ComputedBy,
		ComputeTime: ts(r.ComputeTime), ApprovedBy: r.ApprovedBy, ApproveTime: ts(r.ApproveTime),
		HandedOffBy: r.HandedOffBy, HandOffTime: ts(r.HandOffTime), CreateTime: ts(r.CreateTime),
		UpdateTime: ts(r.UpdateTime), Etag: r.Etag(),
	}
	for _, h := range r.Held {
		out.Held = append(out.Held, &payrollv1.HeldAdjustment{Beneficiary: h.Beneficiary, PeriodMonth: h.Period,
			Kind: payrollv1.RollLineKind(h.Kind), AmountFen: h.AmountFen, HouseholdId: h.HouseholdID,
			PersonId: h.PersonID, RegionCode: h.RegionCode, Reason: h.Reason})
	}
	return out
}

// Line is the message of a roll line.
func Line(l *payroll.RollLine) *payrollv1.RollLine {
	p := l.Paid()
	out := &payrollv1.RollLine{Roll: RollName(l.Program, l.RollMonth), Beneficiary: l.Beneficiary,
		PeriodMonth: l.Period, Kind: payrollv1.RollLineKind(l.Kind), HouseholdId: l.HouseholdID, PersonId: l.PersonID,
		RegionCode: l.RegionCode, AmountFen: l.AmountFen, EntitlementIds: l.EntitlementIDs, Reason: l.Reason,
		Attempt: l.Attempt, ProgramCode: l.Program.Code(), PaymentState: payrollv1.PaymentState(p.State),
		FailureReason: payrollv1.PaymentFailureReason(p.FailureReason), ResultId: p.ResultID,
		ResultTime: ts(p.ResultTime), ReleasedBy: p.ReleasedBy, ReleaseReason: p.ReleaseReason,
		ReleaseTime: ts(p.ReleaseTime), ReissueAttempt: p.ReissueAttempt}
	if code, ok := payroll.OrganisationCreditCode(l.Beneficiary); ok {
		out.PayeeCreditCode = code
	}
	return out
}

// Result reads a payment result; ok is false when it names no program of the county or no roll.
func Result(m *payrollv1.PaymentResult) (payroll.Result, bool) {
	program, ok := payroll.ProgramByCode(m.GetProgramCode())
	if !ok {
		return payroll.Result{}, false
	}
	rp, month, ok := payroll.ParseRollID(trimRoll(m.GetRoll()))
	if !ok || rp != program {
		return payroll.Result{}, false
	}
	r := payroll.Result{
		ResultID: m.GetResultId(), RollMonth: month,
		Line: payroll.LineKey{Program: program, Beneficiary: m.GetBeneficiary(), Period: m.GetPeriodMonth(),
			Kind: payroll.RollLineKind(m.GetKind()), Attempt: m.GetAttempt()},
		State: payroll.PaymentState(m.GetState()), FailureReason: payroll.FailureReason(m.GetFailureReason()),
		Detail: m.GetDetail(), AmountFen: m.GetAmountFen(),
	}
	if m.GetResultTime() != nil {
		r.Time = m.GetResultTime().AsTime()
	}
	return r, r.ResultID != ""
}

func trimRoll(name string) string {
	const prefix = "paymentRolls/"
	if len(name) > len(prefix) && name[:len(prefix)] == prefix {
		return name[len(prefix):]
	}
	return name
}
