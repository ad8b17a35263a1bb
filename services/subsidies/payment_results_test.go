package subsidies_test

import (
	"context"
	"strings"
	"testing"
	"time"

	identificationv1 "fupin.dev/proto/gen/fupin/identification/v1"
	payrollv1 "fupin.dev/proto/gen/fupin/payroll/v1"
	subsidiesv1 "fupin.dev/proto/gen/fupin/subsidies/v1"
	"fupin.dev/services/platform/audit"
	"fupin.dev/services/platform/outbox"
	"fupin.dev/services/platform/servicetest"
	"fupin.dev/services/platform/sqldb"
	"fupin.dev/services/platform/sqldb/sqldbtest"
	"fupin.dev/services/subsidies/internal/domain"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// publishResult appends a payment result for line to feed (funds' or another service's), in its own
// transaction, as funds does after reading a bank return file.
func publishResult(t *testing.T, db *sqldb.DB, feed *outbox.Feed, id string, line *payrollv1.RollLine,
	state payrollv1.PaymentState) {
	t.Helper()
	m := &payrollv1.PaymentResult{ResultId: id, ProgramCode: line.GetProgramCode(), Beneficiary: line.GetBeneficiary(),
		PeriodMonth: line.GetPeriodMonth(), Kind: line.GetKind(), Attempt: line.GetAttempt(), Roll: line.GetRoll(),
		State: state, AmountFen: line.GetAmountFen(), ResultTime: timestamppb.Now()}
	if state == payrollv1.PaymentState_PAYMENT_STATE_FAILED {
		m.FailureReason = payrollv1.PaymentFailureReason_PAYMENT_FAILURE_REASON_ACCOUNT_CLOSED
		m.Detail = "账户已销户"
	}
	err := db.InTx(t.Context(), func(ctx context.Context) error {
		return feed.Append(ctx, outbox.Event{Topic: "payment.result", Resource: "paymentResults/" + id,
			RegionCode: line.GetRegionCode(), Payload: m})
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestPaymentResultsFromFunds: funds pulls a handed-off roll's lines with its service identity (audited),
// reports one failed; a result on any other feed is never applied; the department releases the line
// (audited, with its reason); the next roll reissues it; funds reports the reissue paid, twice, and
// nothing more changes.
func TestPaymentResultsFromFunds(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		clock := newRollClock(10)
		c := startCounty(t, d, countyOptions{Now: clock.Now, Funds: true})
		db := openRollDB(t, c, clock.Now)
		m1, m2 := clock.Month(-1), clock.Month(0)
		h1 := c.CreateHousehold(t, village1, member("张三丰", 1, identificationv1.Relation_RELATION_HEAD))
		h2 := c.CreateHousehold(t, village2, member("李四", 2, identificationv1.Relation_RELATION_HEAD))
		db.grant(t, domain.ProgramDibao, h1, "", m1, "", 120000)
		db.grant(t, domain.ProgramDibao, h2, "", m1, "", 80000)
		civil, admin := c.CivilAffairs(t), civilAdmin(t, c)
		funds := c.As(t, "finance", "service", "")
		name := "paymentRolls/dibao-" + m1
		if _, err := rollClient(c).ComputeRoll(civil, &subsidiesv1.ComputeRollRequest{Program: payrollv1.Program_PROGRAM_DIBAO, Month: m1}); err != nil {
			t.Fatal(err)
		}
		_, err := rollClient(c).ListPaymentLines(funds, &subsidiesv1.ListPaymentLinesRequest{Parent: name})
		if code, info, _, _ := errorDetails(err); code != codes.FailedPrecondition || info.GetReason() != "ROLL_NOT_HANDED_OFF" {
			t.Fatalf("lines of a draft for funds: %v", err)
		}
		if _, err := rollClient(c).ApproveRoll(admin, &subsidiesv1.ApproveRollRequest{Name: name}); err != nil {
			t.Fatal(err)
		}
		if _, err := rollClient(c).HandOffRoll(admin, &subsidiesv1.HandOffRollRequest{Name: name}); err != nil {
			t.Fatal(err)
		}
		// Funds pulls the lines by page with its service identity; the read is audited.
		var lines []*payrollv1.RollLine
		req := &subsidiesv1.ListPaymentLinesRequest{Parent: name, PageSize: 1}
		for {
			resp, err := rollClient(c).ListPaymentLines(funds, req)
			if err != nil {
				t.Fatal(err)
			}
			if resp.GetPayeeKind() != payrollv1.PayeeKind_PAYEE_KIND_HOUSEHOLD_HEAD {
				t.Errorf("payee kind %v", resp.GetPayeeKind())
			}
			lines = append(lines, resp.GetLines()...)
			if req.PageToken = resp.GetNextPageToken(); req.PageToken == "" {
				break
			}
		}
		if len(lines) != 2 || lines[0].GetProgramCode() != "dibao" || lines[0].GetPaymentState() != payrollv1.PaymentState_PAYMENT_STATE_UNSENT {
			t.Fatalf("funds' lines %v", lines)
		}
		servicetest.WaitAudit(t, c.DatabaseURL, func(r audit.Record) bool {
			return r.Kind == audit.KindRead && strings.HasSuffix(r.Method, "/ListPaymentLines") && r.Department == "finance"
		})
		// Only funds may call it: 民政's own staff may not.
		if _, err := rollClient(c).ListPaymentLines(admin, &subsidiesv1.ListPaymentLinesRequest{Parent: name}); codeOf(err) != codes.PermissionDenied {
			t.Errorf("民政 pulled funds' lines: %v", err)
		}
		var h1Line *payrollv1.RollLine
		for _, l := range lines {
			if l.GetBeneficiary() == h1.GetName() {
				h1Line = l
			}
		}

		// A result on subsidies' own feed (any feed but funds') is never applied, whatever it says.
		own, err := sqldb.Open(t.Context(), c.DatabaseURL)
		if err != nil {
			t.Fatal(err)
		}
		defer own.Close()
		publishResult(t, own, outbox.New(own, nil), "forged-1", h1Line, payrollv1.PaymentState_PAYMENT_STATE_PAID)
		// Funds reports h1's line failed.
		publishResult(t, c.Funds.DB, c.Funds.Feed, "bank-1", h1Line, payrollv1.PaymentState_PAYMENT_STATE_FAILED)
		failed := waitLine(t, c, civil, name, h1.GetName(), payrollv1.RollLineKind_ROLL_LINE_KIND_REGULAR, 0,
			payrollv1.PaymentState_PAYMENT_STATE_FAILED)
		if failed.GetResultId() != "bank-1" || failed.GetFailureReason() != payrollv1.PaymentFailureReason_PAYMENT_FAILURE_REASON_ACCOUNT_CLOSED {
			t.Fatalf("failed line %v", failed)
		}
		var forged int
		if err := own.Q(t.Context()).QueryRowContext(t.Context(), `SELECT count(*) FROM payroll_results WHERE result_id = 'forged-1'`).Scan(&forged); err != nil || forged != 0 {
			t.Fatalf("a result from subsidies' own feed was taken: %d %v", forged, err)
		}

		// 民政 releases it once the account is fixed: audited with its reason; 残联 may not.
		release := &subsidiesv1.ReleaseRollLineRequest{Parent: name, Beneficiary: h1.GetName(), PeriodMonth: m1,
			Kind: payrollv1.RollLineKind_ROLL_LINE_KIND_REGULAR, Reason: "一卡通账户已重新开立"}
		if _, err := rollClient(c).ReleaseRollLine(c.As(t, "disabled_persons_federation", "county_admin", ""), release); codeOf(err) != codes.PermissionDenied {
			t.Errorf("残联 released 民政's line: %v", err)
		}
		released, err := rollClient(c).ReleaseRollLine(admin, release)
		if err != nil || released.GetReissueAttempt() != 1 || released.GetReleaseReason() != "一卡通账户已重新开立" {
			t.Fatalf("release %v %v", released, err)
		}
		servicetest.WaitAudit(t, c.DatabaseURL, func(r audit.Record) bool {
			return r.Kind == audit.KindMutation && strings.HasSuffix(r.Method, "/ReleaseRollLine") && r.Resource == name
		})
		_, err = rollClient(c).ReleaseRollLine(admin, release)
		if code, info, _, _ := errorDetails(err); code != codes.FailedPrecondition || info.GetReason() != "LINE_NOT_FAILED" {
			t.Fatalf("released twice: %v", err)
		}

		// The next roll reissues it, linked to it; h2's line counts as paid.
		name2 := "paymentRolls/dibao-" + m2
		r2, err := rollClient(c).ComputeRoll(civil, &subsidiesv1.ComputeRollRequest{Program: payrollv1.Program_PROGRAM_DIBAO, Month: m2})
		if err != nil || r2.GetTotals().GetReissueCount() != 1 || r2.GetTotals().GetReissueFen() != 120000 ||
			r2.GetTotals().GetBackPayCount() != 0 || r2.GetTotals().GetLineCount() != 3 {
			t.Fatalf("next roll %v %v", r2, err)
		}
		if _, err := rollClient(c).ApproveRoll(admin, &subsidiesv1.ApproveRollRequest{Name: name2}); err != nil {
			t.Fatal(err)
		}
		if _, err := rollClient(c).HandOffRoll(admin, &subsidiesv1.HandOffRollRequest{Name: name2}); err != nil {
			t.Fatal(err)
		}
		reissue := waitLine(t, c, civil, name2, h1.GetName(), payrollv1.RollLineKind_ROLL_LINE_KIND_REISSUE, 1,
			payrollv1.PaymentState_PAYMENT_STATE_UNSENT)
		if reissue.GetPeriodMonth() != m1 || !strings.Contains(reissue.GetReason(), "一卡通账户已重新开立") {
			t.Errorf("reissue %v", reissue)
		}
		// Funds reports it paid, and the same result again.
		publishResult(t, c.Funds.DB, c.Funds.Feed, "bank-2", reissue, payrollv1.PaymentState_PAYMENT_STATE_PAID)
		publishResult(t, c.Funds.DB, c.Funds.Feed, "bank-2", reissue, payrollv1.PaymentState_PAYMENT_STATE_FAILED)
		paid := waitLine(t, c, civil, name2, h1.GetName(), payrollv1.RollLineKind_ROLL_LINE_KIND_REISSUE, 1,
			payrollv1.PaymentState_PAYMENT_STATE_PAID)
		// The duplicate is recorded once and changed nothing (the cursor passed it).
		waitFor(t, "the duplicate to be read", func() bool {
			var n int
			err := own.Q(t.Context()).QueryRowContext(t.Context(), `SELECT count(*) FROM fupin_cursors WHERE name = 'funds/payment.results'
				AND sequence >= 3`).Scan(&n)
			return err == nil && n == 1
		})
		again := waitLine(t, c, civil, name2, h1.GetName(), payrollv1.RollLineKind_ROLL_LINE_KIND_REISSUE, 1,
			payrollv1.PaymentState_PAYMENT_STATE_PAID)
		if again.GetResultId() != "bank-2" || !again.GetResultTime().AsTime().Equal(paid.GetResultTime().AsTime()) {
			t.Errorf("duplicate changed the line: %v → %v", paid, again)
		}
	})
}

// waitLine polls the roll's lines until the line with the key has the payment state.
func waitLine(t *testing.T, c *county, ctx context.Context, roll, beneficiary string, kind payrollv1.RollLineKind, attempt int32,
	state payrollv1.PaymentState) *payrollv1.RollLine {
	t.Helper()
	var found *payrollv1.RollLine
	waitFor(t, "line "+beneficiary+" "+state.String(), func() bool {
		for _, l := range allLines(t, ctx, c, roll, nil) {
			if l.GetBeneficiary() == beneficiary && l.GetKind() == kind && l.GetAttempt() == attempt && l.GetPaymentState() == state {
				found = l
				return true
			}
		}
		return false
	})
	return found
}

func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func codeOf(err error) codes.Code {
	code, _, _, _ := errorDetails(err)
	return code
}
