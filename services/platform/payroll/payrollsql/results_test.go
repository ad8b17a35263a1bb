package payrollsql_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"

	"fupin.dev/services/platform/apperr"
	"fupin.dev/services/platform/payroll"
	"fupin.dev/services/platform/sqldb"
	"fupin.dev/services/platform/sqldb/sqldbtest"
)

var civilAdmin = payroll.RollCaller{Actor: "u-civil-admin", Department: payroll.DepartmentCivilAffairs}

// handOff computes, approves and hands off the dibao roll of month.
func (f *rollFixture) handOff(t *testing.T, month string, token int64) *payroll.Roll {
	t.Helper()
	f.compute(t, month, token)
	f.approve(t, month)
	r, err := f.rolls.HandOff(t.Context(), civilAdmin, payroll.RollID(payroll.ProgramDibao, month))
	if err != nil {
		t.Fatalf("hand off %s: %v", month, err)
	}
	return r
}

// result is funds' report on the dibao line (beneficiary, period, kind, attempt) of the roll of month.
func result(id, month, beneficiary, period string, kind payroll.RollLineKind, attempt int32, state payroll.PaymentState,
	fen int64) payroll.Result {
	r := payroll.Result{ResultID: id, RollMonth: month, State: state, AmountFen: fen,
		Line: payroll.LineKey{Program: payroll.ProgramDibao, Beneficiary: beneficiary, Period: period, Kind: kind, Attempt: attempt},
		Time: time.UnixMicro(time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC).UnixMicro())}
	if state == payroll.PaymentFailed {
		r.FailureReason = payroll.FailureAccountClosed
	}
	return r
}

func (f *rollFixture) apply(t *testing.T, rs ...payroll.Result) []payroll.ResultOutcome {
	t.Helper()
	var out []payroll.ResultOutcome
	err := f.s.InTx(t.Context(), func(ctx context.Context) error {
		var err error
		out, err = f.rolls.ApplyResults(ctx, rs)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// line finds the line of h1 with the key's period, kind and attempt on the roll of month.
func (f *rollFixture) line(t *testing.T, month, beneficiary, period string, kind payroll.RollLineKind, attempt int32) *payroll.RollLine {
	t.Helper()
	for _, l := range f.lines(t, month, payroll.RollLineQuery{}) {
		if l.Beneficiary == beneficiary && l.Period == period && l.Kind == kind && l.Attempt == attempt {
			return &l
		}
	}
	return nil
}

// TestFailedLineReleasedReissuedPaid follows a line the bank could not pay: reported failed, it still
// counts as paid (no 补发 by itself); released by the department, the next roll reissues it with attempt 1
// under the same key's period; reported paid, later rolls compute nothing more for that month. A reissue
// that fails again is reissued with attempt 2.
func TestFailedLineReleasedReissuedPaid(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		f := newRollFixture(t, d)
		ctx := t.Context()
		f.grant(t, "e1", "households/h1", "990001001001", "2026-03", "", 120000)
		f.grant(t, "e2", "households/h2", "990001001002", "2026-03", "", 80000)
		f.handOff(t, "2026-03", 1)

		sent := f.apply(t, result("r1", "2026-03", "households/h1", "2026-03", payroll.RollLineRegular, 0, payroll.PaymentSent, 120000))
		failed := f.apply(t, result("r2", "2026-03", "households/h1", "2026-03", payroll.RollLineRegular, 0, payroll.PaymentFailed, 120000),
			result("r3", "2026-03", "households/h2", "2026-03", payroll.RollLineRegular, 0, payroll.PaymentPaid, 80000))
		if sent[0] != payroll.ResultApplied || failed[0] != payroll.ResultApplied || failed[1] != payroll.ResultApplied {
			t.Fatalf("outcomes %v %v", sent, failed)
		}
		l := f.line(t, "2026-03", "households/h1", "2026-03", payroll.RollLineRegular, 0)
		if l.Paid().State != payroll.PaymentFailed || l.Paid().FailureReason != payroll.FailureAccountClosed || l.Paid().ResultID != "r2" {
			t.Fatalf("failed line %+v", l)
		}

		// Not released: April pays April only; March's failure is not paid again by itself.
		r := f.compute(t, "2026-04", 2)
		if r.Totals.Lines != 2 || r.Totals.Reissue != 0 || r.Totals.BackPay != 0 {
			t.Fatalf("April before the release %+v", r.Totals)
		}

		key := payroll.LineKey{Beneficiary: "households/h1", Period: "2026-03", Kind: payroll.RollLineRegular}
		_, err := f.rolls.Release(ctx, payroll.RollCaller{Actor: "u-fed", Department: payroll.DepartmentFederation}, "dibao-2026-03", key, "账户已更正")
		refusedWith(t, err, apperr.KindPermissionDenied, payroll.ReasonProgramOfOtherDepartment)
		paidKey := payroll.LineKey{Beneficiary: "households/h2", Period: "2026-03", Kind: payroll.RollLineRegular}
		_, err = f.rolls.Release(ctx, civilAdmin, "dibao-2026-03", paidKey, "账户已更正")
		refusedWith(t, err, apperr.KindRefused, payroll.ReasonLineNotFailed)

		released, err := f.rolls.Release(ctx, civilAdmin, "dibao-2026-03", key, "一卡通账户已更正")
		if err != nil || released.Paid().ReissueAttempt != 1 || released.Paid().ReleasedBy != "u-civil-admin" || released.Paid().State != payroll.PaymentFailed {
			t.Fatalf("released %+v %v", released, err)
		}
		_, err = f.rolls.Release(ctx, civilAdmin, "dibao-2026-03", key, "again")
		refusedWith(t, err, apperr.KindRefused, payroll.ReasonLineNotFailed)

		// April's draft, recomputed, carries the reissue; nothing else changes.
		r = f.compute(t, "2026-04", 3)
		if r.Totals.Lines != 3 || r.Totals.Reissue != 1 || r.Totals.ReissueFen != 120000 || r.Totals.BackPay != 0 {
			t.Fatalf("April after the release %+v", r.Totals)
		}
		re := f.line(t, "2026-04", "households/h1", "2026-03", payroll.RollLineReissue, 1)
		if re == nil || re.AmountFen != 120000 || re.Paid().State != payroll.PaymentUnsent || re.RegionCode != "990001001001" {
			t.Fatalf("reissue %+v", re)
		}
		f.approve(t, "2026-04")
		if _, err := f.rolls.HandOff(ctx, civilAdmin, "dibao-2026-04"); err != nil {
			t.Fatal(err)
		}
		// The reissue fails too; released again, May reissues with attempt 2.
		f.apply(t, result("r4", "2026-04", "households/h1", "2026-03", payroll.RollLineReissue, 1, payroll.PaymentFailed, 120000))
		if _, err := f.rolls.Release(ctx, civilAdmin, "dibao-2026-04",
			payroll.LineKey{Beneficiary: "households/h1", Period: "2026-03", Kind: payroll.RollLineReissue, Attempt: 1}, "户主本人到场核实"); err != nil {
			t.Fatal(err)
		}
		r = f.handOff(t, "2026-05", 4)
		if r.Totals.Reissue != 1 || r.Totals.BackPay != 0 || r.Totals.Recovery != 0 {
			t.Fatalf("May %+v", r.Totals)
		}
		if out := f.apply(t, result("r5", "2026-05", "households/h1", "2026-03", payroll.RollLineReissue, 2, payroll.PaymentPaid, 120000)); out[0] != payroll.ResultApplied {
			t.Fatalf("paid %v", out)
		}
		// Paid at last: June computes no correction of March; the key holds: one line per kind and attempt.
		r = f.compute(t, "2026-06", 5)
		if r.Totals.Lines != 2 || r.Totals.Reissue != 0 || r.Totals.BackPay != 0 || r.Totals.Recovery != 0 || len(r.Held) != 0 {
			t.Fatalf("June %+v held %v", r.Totals, r.Held)
		}
		var march []string
		for _, m := range []string{"2026-03", "2026-04", "2026-05", "2026-06"} {
			for _, l := range f.lines(t, m, payroll.RollLineQuery{}) {
				if l.Beneficiary == "households/h1" && l.Period == "2026-03" {
					march = append(march, fmt.Sprintf("%s %s#%d %d", m, l.Kind.Label(), l.Attempt, l.Paid().State))
				}
			}
		}
		want := []string{"2026-03 正常发放#0 4", "2026-04 重发#1 4", "2026-05 重发#2 3"}
		if !slices.Equal(march, want) {
			t.Errorf("March of h1 on the rolls %q, want %q", march, want)
		}
	})
}

// TestResultsIdempotent: a result delivered twice changes nothing; results that do not fit are recorded
// but change no line.
func TestResultsIdempotent(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		f := newRollFixture(t, d)
		f.grant(t, "e1", "households/h1", "990001001001", "2026-04", "", 120000)
		f.compute(t, "2026-04", 1)
		// A result for a line whose roll is not handed off yet is not applied.
		early := result("r0", "2026-04", "households/h1", "2026-04", payroll.RollLineRegular, 0, payroll.PaymentPaid, 120000)
		if out := f.apply(t, early); out[0] != payroll.ResultUnknownLine {
			t.Fatalf("draft %v", out)
		}
		f.approve(t, "2026-04")
		if _, err := f.rolls.HandOff(t.Context(), civilAdmin, "dibao-2026-04"); err != nil {
			t.Fatal(err)
		}
		paid := result("r1", "2026-04", "households/h1", "2026-04", payroll.RollLineRegular, 0, payroll.PaymentPaid, 120000)
		out := f.apply(t, paid, paid)
		if out[0] != payroll.ResultApplied || out[1] != payroll.ResultDuplicate {
			t.Fatalf("one page %v", out)
		}
		before := f.line(t, "2026-04", "households/h1", "2026-04", payroll.RollLineRegular, 0)
		// Delivered again in a later page (a replica restarted before its cursor moved, say).
		if out := f.apply(t, paid); out[0] != payroll.ResultDuplicate {
			t.Fatalf("again %v", out)
		}
		failedLater := result("r2", "2026-04", "households/h1", "2026-04", payroll.RollLineRegular, 0, payroll.PaymentFailed, 120000)
		wrongAmount := result("r3", "2026-04", "households/h1", "2026-04", payroll.RollLineRegular, 0, payroll.PaymentSent, 1)
		nobody := result("r4", "2026-04", "households/h9", "2026-04", payroll.RollLineRegular, 0, payroll.PaymentPaid, 120000)
		noState := result("r5", "2026-04", "households/h1", "2026-04", payroll.RollLineRegular, 0, payroll.PaymentUnsent, 120000)
		out = f.apply(t, failedLater, wrongAmount, nobody, noState)
		want := []payroll.ResultOutcome{payroll.ResultStale, payroll.ResultAmountMismatch, payroll.ResultUnknownLine, payroll.ResultInvalid}
		if !slices.Equal(out, want) {
			t.Fatalf("outcomes %v, want %v", out, want)
		}
		after := f.line(t, "2026-04", "households/h1", "2026-04", payroll.RollLineRegular, 0)
		if !reflect.DeepEqual(before, after) || after.Paid().State != payroll.PaymentPaid || after.Paid().ResultID != "r1" {
			t.Errorf("line changed: %+v → %+v", before, after)
		}
		var outcomes []string
		rows, err := f.s.DB().Q(t.Context()).QueryContext(t.Context(), `SELECT result_id || ':' || outcome FROM payroll_results ORDER BY result_id`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		for rows.Next() {
			var s string
			if err := rows.Scan(&s); err != nil {
				t.Fatal(err)
			}
			outcomes = append(outcomes, s)
		}
		if w := []string{"r0:unknown_line", "r1:applied", "r2:stale", "r3:amount_mismatch", "r4:unknown_line", "r5:invalid"}; !slices.Equal(outcomes, w) {
			t.Errorf("recorded %v, want %v", outcomes, w)
		}
	})
}

// employmentConfig pays what an employment service would: 人社's programs.
var employmentConfig = payroll.Config{Service: "employment", ComputeDayParam: "employment.roll.compute_day",
	Programs: []payroll.Program{payroll.ProgramWelfarePostWage, payroll.ProgramWorkshopReward}}

// TestTwoDepartmentsOneDatabase: subsidies' and employment's engines on one database, with an
// organisation payee on employment's roll: neither sees, computes or is paid for the other's programs.
func TestTwoDepartmentsOneDatabase(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		f := newRollFixture(t, d)
		ctx := t.Context()
		employment := payroll.NewRolls(employmentConfig, f.s, &counterLocks{n: 5000}, computeDay(20), func() time.Time { return f.now })
		hr := payroll.RollCaller{Actor: "u-hr", Department: payroll.DepartmentHumanResources}
		f.grant(t, "e1", "households/h1", "990001001001", "2026-05", "", 120000)
		// 公益岗 wage to a person of the same household, and a workshop's reward by its credit code.
		const workshop = "91350100M000100Y43"
		for _, e := range []*payroll.Entitlement{
			{ID: "w1", Program: payroll.ProgramWelfarePostWage, Beneficiary: "persons/p1", HouseholdID: "h1", PersonID: "p1",
				RegionCode: "990001001001", Source: "welfarePosts/1", FromMonth: "2026-05", AmountFen: 150000, Covered: 1},
			{ID: "o1", Program: payroll.ProgramWorkshopReward, Beneficiary: payroll.OrganisationBeneficiary(workshop),
				RegionCode: "990001001002", Source: "workshops/1", FromMonth: "2026-05", ToMonth: "2026-05", AmountFen: 5000000, Covered: 1},
		} {
			e.CreateTime, e.UpdateTime = f.now, f.now
			if err := f.s.GrantEntitlement(ctx, e); err != nil {
				t.Fatal(err)
			}
		}
		// A workshop without a valid credit code, or a person on a program paying organisations, is refused.
		for _, bad := range []*payroll.Entitlement{
			{ID: "o2", Program: payroll.ProgramWorkshopReward, Beneficiary: payroll.OrganisationBeneficiary("91350100M000100Y44"),
				RegionCode: "990001001002", Source: "workshops/2", FromMonth: "2026-05", AmountFen: 1, Covered: 1},
			{ID: "o3", Program: payroll.ProgramWorkshopReward, Beneficiary: "persons/p1",
				RegionCode: "990001001002", Source: "workshops/3", FromMonth: "2026-05", AmountFen: 1, Covered: 1},
			{ID: "o4", Program: payroll.ProgramDibao, Beneficiary: payroll.OrganisationBeneficiary(workshop),
				RegionCode: "990001001002", Source: "x", FromMonth: "2026-05", AmountFen: 1, Covered: 1},
		} {
			e, ok := apperr.As(f.s.GrantEntitlement(ctx, bad))
			if !ok || e.Kind != apperr.KindInvalid || e.Reason != payroll.ReasonPayeeInvalid {
				t.Errorf("%s granted: %v", bad.ID, e)
			}
		}

		dibao := f.compute(t, "2026-05", 1)
		if dibao.Totals.Lines != 1 || dibao.Totals.AmountFen != 120000 {
			t.Fatalf("dibao %+v", dibao.Totals)
		}
		wage, err := employment.Compute(ctx, hr, payroll.ProgramWelfarePostWage, "2026-05", 1)
		if err != nil || wage.Totals.Lines != 1 || wage.Totals.AmountFen != 150000 {
			t.Fatalf("wage %+v %v", wage, err)
		}
		reward, err := employment.Compute(ctx, hr, payroll.ProgramWorkshopReward, "2026-05", 2)
		if err != nil || reward.Totals.Lines != 1 {
			t.Fatalf("reward %+v %v", reward, err)
		}
		lines, err := employment.Lines(ctx, hr, "workshop-reward-2026-05", payroll.RollLineQuery{Limit: 10})
		if err != nil || len(lines) != 1 || lines[0].Beneficiary != "organisations/"+workshop || lines[0].AmountFen != 5000000 {
			t.Fatalf("organisation lines %+v %v", lines, err)
		}

		// Neither engine reaches the other's programs.
		_, err = f.rolls.Compute(ctx, payroll.RollCaller{System: true}, payroll.ProgramWelfarePostWage, "2026-05", 9)
		refusedWith(t, err, apperr.KindInvalid, payroll.ReasonProgramNotPaidHere)
		if _, err := f.rolls.Get(ctx, civil, "welfare-post-wage-2026-05"); !errors.Is(err, payroll.ErrRollNotFound) {
			t.Errorf("subsidies sees employment's roll: %v", err)
		}
		if _, err := employment.Get(ctx, hr, "dibao-2026-05"); !errors.Is(err, payroll.ErrRollNotFound) {
			t.Errorf("employment sees subsidies' roll: %v", err)
		}
		list, err := f.rolls.List(ctx, civil, payroll.RollQuery{Limit: 10})
		for _, r := range list {
			if !f.rolls.Pays(r.Program) {
				t.Errorf("subsidies lists %s", r.ID())
			}
		}
		if err != nil || len(list) != 1 {
			t.Errorf("subsidies' rolls %d %v", len(list), err)
		}
		// 民政 may not compute 人社's program even on an engine that paid it.
		_, err = employment.Compute(ctx, civil, payroll.ProgramWelfarePostWage, "2026-05", 10)
		refusedWith(t, err, apperr.KindPermissionDenied, payroll.ReasonProgramOfOtherDepartment)
		// A result for employment's line is left alone by subsidies' follower.
		if _, err := employment.Approve(ctx, hr, "welfare-post-wage-2026-05", ""); err != nil {
			t.Fatal(err)
		}
		if _, err := employment.HandOff(ctx, hr, "welfare-post-wage-2026-05"); err != nil {
			t.Fatal(err)
		}
		res := payroll.Result{ResultID: "x1", RollMonth: "2026-05", State: payroll.PaymentPaid, AmountFen: 150000,
			Line: payroll.LineKey{Program: payroll.ProgramWelfarePostWage, Beneficiary: "persons/p1", Period: "2026-05", Kind: payroll.RollLineRegular}}
		if out, err := f.rolls.ApplyResults(ctx, []payroll.Result{res}); err != nil || len(out) != 0 {
			t.Fatalf("subsidies applied employment's result: %v %v", out, err)
		}
		if out, err := employment.ApplyResults(ctx, []payroll.Result{res}); err != nil || len(out) != 1 || out[0] != payroll.ResultApplied {
			t.Fatalf("employment's result: %v %v", out, err)
		}
	})
}
