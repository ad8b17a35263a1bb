package api

import (
	"context"
	"errors"
	"strconv"
	"strings"

	"fupin.dev/services/platform/pagetoken"

	payrollv1 "fupin.dev/proto/gen/fupin/payroll/v1"
	subsidiesv1 "fupin.dev/proto/gen/fupin/subsidies/v1"
	"fupin.dev/services/platform/auth"
	"fupin.dev/services/platform/payroll"
	"fupin.dev/services/platform/payroll/payrollsvc"
	"fupin.dev/services/platform/server"
	"google.golang.org/genproto/googleapis/api/httpbody"
)

// PaymentRolls serves fupin.subsidies.v1.PaymentRollService.
type PaymentRolls struct {
	subsidiesv1.UnimplementedPaymentRollServiceServer
	rolls *payroll.Rolls
	names payroll.RollNames
}

var _ subsidiesv1.PaymentRollServiceServer = (*PaymentRolls)(nil)

// NewPaymentRolls returns the payment roll handlers; names finds the names shown on exports.
func NewPaymentRolls(rolls *payroll.Rolls, names payroll.RollNames) *PaymentRolls {
	return &PaymentRolls{rolls: rolls, names: names}
}

// Page sizes of the roll lists.
const (
	defaultRollsPage     = 50
	defaultRollLinesPage = 100
)

// rollCaller is the domain's view of the caller: actor, department (as its claim code) and scope.
func rollCaller(ctx context.Context) payroll.RollCaller {
	c, ok := auth.FromContext(ctx)
	if !ok {
		return payroll.RollCaller{Actor: "anonymous", Scope: auth.NoRegion}
	}
	return payroll.RollCaller{Actor: c.Actor(), Department: auth.DepartmentCode(c.Department), Scope: c.Scope()}
}

func rollID(name string) string { return strings.TrimPrefix(name, "paymentRolls/") }

func (s *PaymentRolls) ComputeRoll(ctx context.Context, req *subsidiesv1.ComputeRollRequest) (*payrollv1.Roll, error) {
	token, ok := server.LockToken(ctx)
	if !ok {
		return nil, errors.New("compute roll: the platform took no roll lock (server.LockBefore is not registered)")
	}
	r, err := s.rolls.Compute(ctx, rollCaller(ctx), payroll.Program(req.GetProgram()), req.GetMonth(), token)
	if err != nil {
		return nil, err
	}
	return payrollsvc.Roll(r), nil
}

func (s *PaymentRolls) GetRoll(ctx context.Context, req *subsidiesv1.GetRollRequest) (*payrollv1.Roll, error) {
	r, err := s.rolls.Get(ctx, rollCaller(ctx), rollID(req.GetName()))
	if err != nil {
		return nil, err
	}
	return payrollsvc.Roll(r), nil
}

func (s *PaymentRolls) ListRolls(ctx context.Context, req *subsidiesv1.ListRollsRequest) (*subsidiesv1.ListRollsResponse, error) {
	q := payroll.RollQuery{Program: payroll.Program(req.GetProgram()), Limit: rollPageSize(req.GetPageSize(), defaultRollsPage) + 1}
	if tok := req.GetPageToken(); tok != "" {
		parts, err := pagetoken.Decode(tok, "r1", 2)
		if err != nil {
			return nil, err
		}
		p, _ := strconv.Atoi(parts[1])
		q.AfterMonth, q.AfterProgram = parts[0], payroll.Program(p)
	}
	rolls, err := s.rolls.List(ctx, rollCaller(ctx), q)
	if err != nil {
		return nil, err
	}
	resp := &subsidiesv1.ListRollsResponse{}
	if len(rolls) == q.Limit {
		rolls = rolls[:q.Limit-1]
		last := rolls[len(rolls)-1]
		resp.NextPageToken = pagetoken.Encode("r1", last.Month, strconv.Itoa(int(last.Program)))
	}
	for _, r := range rolls {
		resp.Rolls = append(resp.Rolls, payrollsvc.Roll(r))
	}
	return resp, nil
}

func (s *PaymentRolls) ListRollLines(ctx context.Context, req *subsidiesv1.ListRollLinesRequest) (*subsidiesv1.ListRollLinesResponse, error) {
	q := payroll.RollLineQuery{Kind: payroll.RollLineKind(req.GetKind()), RegionPrefix: req.GetRegionCode(),
		Limit: rollPageSize(req.GetPageSize(), defaultRollLinesPage) + 1}
	if tok := req.GetPageToken(); tok != "" {
		parts, err := lineToken(tok)
		if err != nil {
			return nil, err
		}
		k, _ := strconv.Atoi(parts[3])
		q.After = &payroll.RollLine{RegionCode: parts[0], Beneficiary: parts[1], Period: parts[2], Kind: payroll.RollLineKind(k)}
		if len(parts) > 4 {
			a, _ := strconv.Atoi(parts[4])
			q.After.Attempt = int32(a)
		}
	}
	lines, err := s.rolls.Lines(ctx, rollCaller(ctx), rollID(req.GetParent()), q)
	if err != nil {
		return nil, err
	}
	resp := &subsidiesv1.ListRollLinesResponse{}
	if len(lines) == q.Limit {
		lines = lines[:q.Limit-1]
		l := lines[len(lines)-1]
		resp.NextPageToken = lineNextToken(&l)
	}
	for i := range lines {
		resp.Lines = append(resp.Lines, payrollsvc.Line(&lines[i]))
	}
	return resp, nil
}

func (s *PaymentRolls) ApproveRoll(ctx context.Context, req *subsidiesv1.ApproveRollRequest) (*payrollv1.Roll, error) {
	r, err := s.rolls.Approve(ctx, rollCaller(ctx), rollID(req.GetName()), req.GetEtag())
	if err != nil {
		return nil, err
	}
	return payrollsvc.Roll(r), nil
}

func (s *PaymentRolls) HandOffRoll(ctx context.Context, req *subsidiesv1.HandOffRollRequest) (*payrollv1.Roll, error) {
	r, err := s.rolls.HandOff(ctx, rollCaller(ctx), rollID(req.GetName()))
	if err != nil {
		return nil, err
	}
	return payrollsvc.Roll(r), nil
}

func (s *PaymentRolls) ExportRoll(ctx context.Context, req *subsidiesv1.ExportRollRequest) (*httpbody.HttpBody, error) {
	roll, lines, err := s.rolls.Export(ctx, rollCaller(ctx), s.names, rollID(req.GetName()),
		payroll.RollLineKind(req.GetKind()), req.GetRegionCode())
	if err != nil {
		return nil, err
	}
	if req.GetFormat() == payrollv1.RollExportFormat_ROLL_EXPORT_FORMAT_XLSX {
		b, err := payroll.RollXLSX(roll, lines)
		if err != nil {
			return nil, err
		}
		return &httpbody.HttpBody{ContentType: payroll.XLSXContentType, Data: b}, nil
	}
	return &httpbody.HttpBody{ContentType: "text/csv; charset=utf-8", Data: payroll.RollCSV(lines)}, nil
}

func rollPageSize(n int32, def int) int {
	if n <= 0 {
		return def
	}
	return int(n)
}

// lineToken reads a lines page token: "l1" tokens (before reissues, four parts) and "l2" (with the attempt).
func lineToken(tok string) ([]string, error) {
	if parts, err := pagetoken.Decode(tok, "l2", 5); err == nil {
		return parts, nil
	}
	return pagetoken.Decode(tok, "l1", 4)
}

// lineNextToken is the page token after l: "l1" for a first attempt (as before reissues), "l2" otherwise.
func lineNextToken(l *payroll.RollLine) string {
	if l.Attempt == 0 {
		return pagetoken.Encode("l1", l.RegionCode, l.Beneficiary, l.Period, strconv.Itoa(int(l.Kind)))
	}
	return pagetoken.Encode("l2", l.RegionCode, l.Beneficiary, l.Period, strconv.Itoa(int(l.Kind)), strconv.Itoa(int(l.Attempt)))
}

func (s *PaymentRolls) ReleaseRollLine(ctx context.Context, req *subsidiesv1.ReleaseRollLineRequest) (*payrollv1.RollLine, error) {
	l, err := s.rolls.Release(ctx, rollCaller(ctx), rollID(req.GetParent()), payroll.LineKey{Beneficiary: req.GetBeneficiary(),
		Period: req.GetPeriodMonth(), Kind: payroll.RollLineKind(req.GetKind()), Attempt: req.GetAttempt()}, req.GetReason())
	if err != nil {
		return nil, err
	}
	return payrollsvc.Line(l), nil
}

// defaultPaymentLinesPage is ListPaymentLines' page size when none is asked.
const defaultPaymentLinesPage = 1000

func (s *PaymentRolls) ListPaymentLines(ctx context.Context, req *subsidiesv1.ListPaymentLinesRequest) (*subsidiesv1.ListPaymentLinesResponse, error) {
	limit := rollPageSize(req.GetPageSize(), defaultPaymentLinesPage) + 1
	var after *payroll.RollLine
	if tok := req.GetPageToken(); tok != "" {
		parts, err := lineToken(tok)
		if err != nil {
			return nil, err
		}
		k, _ := strconv.Atoi(parts[3])
		after = &payroll.RollLine{RegionCode: parts[0], Beneficiary: parts[1], Period: parts[2], Kind: payroll.RollLineKind(k)}
		if len(parts) > 4 {
			a, _ := strconv.Atoi(parts[4])
			after.Attempt = int32(a)
		}
	}
	roll, lines, err := s.rolls.PaymentLines(ctx, rollID(req.GetParent()), after, limit)
	if err != nil {
		return nil, err
	}
	info, _ := roll.Program.Info()
	resp := &subsidiesv1.ListPaymentLinesResponse{PayeeKind: payrollv1.PayeeKind(info.Payee)}
	if len(lines) == limit {
		lines = lines[:limit-1]
		resp.NextPageToken = lineNextToken(&lines[len(lines)-1])
	}
	for i := range lines {
		resp.Lines = append(resp.Lines, payrollsvc.Line(&lines[i]))
	}
	return resp, nil
}
