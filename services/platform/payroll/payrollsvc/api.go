package payrollsvc

import (
	"context"
	"errors"
	"strconv"
	"strings"

	payrollv1 "fupin.dev/proto/gen/fupin/payroll/v1"
	"fupin.dev/services/platform/auth"
	"fupin.dev/services/platform/pagetoken"
	"fupin.dev/services/platform/payroll"
	"fupin.dev/services/platform/server"
	"google.golang.org/genproto/googleapis/api/httpbody"
)

// API is the body of every paying service's PaymentRollService handlers: each service declares its own
// service (its route prefix, its departments' access rules, its owner) with the same requests, and its
// handlers pass the requests' fields here, so paging, tokens, exports and conversions exist once.
type API struct {
	Rolls *payroll.Rolls
	// Names finds the names shown on exports (the register's).
	Names payroll.RollNames
}

// Page sizes of the roll lists.
const (
	defaultRollsPage        = 50
	defaultRollLinesPage    = 100
	defaultPaymentLinesPage = 1000
)

// RollCaller is the engine's view of the request's caller: actor, department (as its claim code), scope.
func RollCaller(ctx context.Context) payroll.RollCaller {
	c, ok := auth.FromContext(ctx)
	if !ok {
		return payroll.RollCaller{Actor: "anonymous", Scope: auth.NoRegion}
	}
	return payroll.RollCaller{Actor: c.Actor(), Department: auth.DepartmentCode(c.Department), Scope: c.Scope()}
}

func rollID(name string) string { return strings.TrimPrefix(name, "paymentRolls/") }

func pageSize(n int32, def int) int {
	if n <= 0 {
		return def
	}
	return int(n)
}

// Compute is ComputeRoll: under the roll's lock the platform took (server.LockBefore with Rolls.LockName).
func (a *API) Compute(ctx context.Context, program payrollv1.Program, month string) (*payrollv1.Roll, error) {
	token, ok := server.LockToken(ctx)
	if !ok {
		return nil, errors.New("compute roll: the platform took no roll lock (server.LockBefore is not registered)")
	}
	r, err := a.Rolls.Compute(ctx, RollCaller(ctx), payroll.Program(program), month, token)
	if err != nil {
		return nil, err
	}
	return Roll(r), nil
}

// Get is GetRoll.
func (a *API) Get(ctx context.Context, name string) (*payrollv1.Roll, error) {
	r, err := a.Rolls.Get(ctx, RollCaller(ctx), rollID(name))
	if err != nil {
		return nil, err
	}
	return Roll(r), nil
}

// List is ListRolls: a page of rolls and the next page's token.
func (a *API) List(ctx context.Context, size int32, token string, program payrollv1.Program) ([]*payrollv1.Roll, string, error) {
	q := payroll.RollQuery{Program: payroll.Program(program), Limit: pageSize(size, defaultRollsPage) + 1}
	if token != "" {
		parts, err := pagetoken.Decode(token, "r1", 2)
		if err != nil {
			return nil, "", err
		}
		p, _ := strconv.Atoi(parts[1])
		q.AfterMonth, q.AfterProgram = parts[0], payroll.Program(p)
	}
	rolls, err := a.Rolls.List(ctx, RollCaller(ctx), q)
	if err != nil {
		return nil, "", err
	}
	next := ""
	if len(rolls) == q.Limit {
		rolls = rolls[:q.Limit-1]
		last := rolls[len(rolls)-1]
		next = pagetoken.Encode("r1", last.Month, strconv.Itoa(int(last.Program)))
	}
	out := make([]*payrollv1.Roll, 0, len(rolls))
	for _, r := range rolls {
		out = append(out, Roll(r))
	}
	return out, next, nil
}

// afterLine reads a lines page token: "l1" tokens (before reissues, four parts) and "l2" (with the attempt).
func afterLine(tok string) (*payroll.RollLine, error) {
	parts, err := pagetoken.Decode(tok, "l2", 5)
	if err != nil {
		if parts, err = pagetoken.Decode(tok, "l1", 4); err != nil {
			return nil, err
		}
	}
	k, _ := strconv.Atoi(parts[3])
	after := &payroll.RollLine{RegionCode: parts[0], Beneficiary: parts[1], Period: parts[2], Kind: payroll.RollLineKind(k)}
	if len(parts) > 4 {
		n, _ := strconv.Atoi(parts[4])
		after.Attempt = int32(n)
	}
	return after, nil
}

// lineNextToken is the page token after l: "l1" for a first attempt (as before reissues), "l2" otherwise.
func lineNextToken(l *payroll.RollLine) string {
	if l.Attempt == 0 {
		return pagetoken.Encode("l1", l.RegionCode, l.Beneficiary, l.Period, strconv.Itoa(int(l.Kind)))
	}
	return pagetoken.Encode("l2", l.RegionCode, l.Beneficiary, l.Period, strconv.Itoa(int(l.Kind)), strconv.Itoa(int(l.Attempt)))
}

// Lines is ListRollLines: a page of a roll's lines and the next page's token.
func (a *API) Lines(ctx context.Context, parent string, size int32, token string, kind payrollv1.RollLineKind, region string) ([]*payrollv1.RollLine, string, error) {
	q := payroll.RollLineQuery{Kind: payroll.RollLineKind(kind), RegionPrefix: region, Limit: pageSize(size, defaultRollLinesPage) + 1}
	if token != "" {
		after, err := afterLine(token)
		if err != nil {
			return nil, "", err
		}
		q.After = after
	}
	lines, err := a.Rolls.Lines(ctx, RollCaller(ctx), rollID(parent), q)
	if err != nil {
		return nil, "", err
	}
	next := ""
	if len(lines) == q.Limit {
		lines = lines[:q.Limit-1]
		next = lineNextToken(&lines[len(lines)-1])
	}
	out := make([]*payrollv1.RollLine, 0, len(lines))
	for i := range lines {
		out = append(out, Line(&lines[i]))
	}
	return out, next, nil
}

// Approve is ApproveRoll.
func (a *API) Approve(ctx context.Context, name, etag string) (*payrollv1.Roll, error) {
	r, err := a.Rolls.Approve(ctx, RollCaller(ctx), rollID(name), etag)
	if err != nil {
		return nil, err
	}
	return Roll(r), nil
}

// HandOff is HandOffRoll.
func (a *API) HandOff(ctx context.Context, name string) (*payrollv1.Roll, error) {
	r, err := a.Rolls.HandOff(ctx, RollCaller(ctx), rollID(name))
	if err != nil {
		return nil, err
	}
	return Roll(r), nil
}

// Export is ExportRoll: the file (CSV, or XLSX) of the roll's lines in the caller's scope.
func (a *API) Export(ctx context.Context, name string, format payrollv1.RollExportFormat, kind payrollv1.RollLineKind, region string) (*httpbody.HttpBody, error) {
	roll, lines, err := a.Rolls.Export(ctx, RollCaller(ctx), a.Names, rollID(name), payroll.RollLineKind(kind), region)
	if err != nil {
		return nil, err
	}
	if format == payrollv1.RollExportFormat_ROLL_EXPORT_FORMAT_XLSX {
		b, err := payroll.RollXLSX(roll, lines)
		if err != nil {
			return nil, err
		}
		return &httpbody.HttpBody{ContentType: payroll.XLSXContentType, Data: b}, nil
	}
	return &httpbody.HttpBody{ContentType: "text/csv; charset=utf-8", Data: payroll.RollCSV(lines)}, nil
}

// Release is ReleaseRollLine.
func (a *API) Release(ctx context.Context, parent, beneficiary, period string, kind payrollv1.RollLineKind, attempt int32, reason string) (*payrollv1.RollLine, error) {
	l, err := a.Rolls.Release(ctx, RollCaller(ctx), rollID(parent), payroll.LineKey{Beneficiary: beneficiary,
		Period: period, Kind: payroll.RollLineKind(kind), Attempt: attempt}, reason)
	if err != nil {
		return nil, err
	}
	return Line(l), nil
}

// PaymentLines is ListPaymentLines (funds pulling a handed-off roll): a page of lines, the next token and
// the program's payee kind.
func (a *API) PaymentLines(ctx context.Context, parent string, size int32, token string) ([]*payrollv1.RollLine, string, payrollv1.PayeeKind, error) {
	limit := pageSize(size, defaultPaymentLinesPage) + 1
	var after *payroll.RollLine
	if token != "" {
		var err error
		if after, err = afterLine(token); err != nil {
			return nil, "", 0, err
		}
	}
	roll, lines, err := a.Rolls.PaymentLines(ctx, rollID(parent), after, limit)
	if err != nil {
		return nil, "", 0, err
	}
	info, _ := roll.Program.Info()
	next := ""
	if len(lines) == limit {
		lines = lines[:limit-1]
		next = lineNextToken(&lines[len(lines)-1])
	}
	out := make([]*payrollv1.RollLine, 0, len(lines))
	for i := range lines {
		out = append(out, Line(&lines[i]))
	}
	return out, next, payrollv1.PayeeKind(info.Payee), nil
}
