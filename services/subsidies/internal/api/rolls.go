package api

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"fupin.dev/services/platform/pagetoken"

	subsidiesv1 "fupin.dev/proto/gen/fupin/subsidies/v1"
	"fupin.dev/services/platform/auth"
	"fupin.dev/services/platform/server"
	"fupin.dev/services/subsidies/internal/domain"
	"google.golang.org/genproto/googleapis/api/httpbody"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// PaymentRolls serves fupin.subsidies.v1.PaymentRollService.
type PaymentRolls struct {
	subsidiesv1.UnimplementedPaymentRollServiceServer
	rolls *domain.Rolls
	names domain.RollNames
}

var _ subsidiesv1.PaymentRollServiceServer = (*PaymentRolls)(nil)

// NewPaymentRolls returns the payment roll handlers; names finds the names shown on exports.
func NewPaymentRolls(rolls *domain.Rolls, names domain.RollNames) *PaymentRolls {
	return &PaymentRolls{rolls: rolls, names: names}
}

// Page sizes of the roll lists.
const (
	defaultRollsPage     = 50
	defaultRollLinesPage = 100
)

// rollCaller is the domain's view of the caller: actor, department (as its claim code) and scope.
func rollCaller(ctx context.Context) domain.RollCaller {
	c, ok := auth.FromContext(ctx)
	if !ok {
		return domain.RollCaller{Actor: "anonymous", Scope: auth.NoRegion}
	}
	return domain.RollCaller{Actor: c.Actor(), Department: auth.DepartmentCode(c.Department), Scope: c.Scope()}
}

func rollID(name string) string { return strings.TrimPrefix(name, "paymentRolls/") }

func (s *PaymentRolls) ComputeRoll(ctx context.Context, req *subsidiesv1.ComputeRollRequest) (*subsidiesv1.PaymentRoll, error) {
	token, ok := server.LockToken(ctx)
	if !ok {
		return nil, errors.New("compute roll: the platform took no roll lock (server.LockBefore is not registered)")
	}
	r, err := s.rolls.Compute(ctx, rollCaller(ctx), domain.Program(req.GetProgram()), req.GetMonth(), token)
	if err != nil {
		return nil, err
	}
	return toPaymentRoll(r), nil
}

func (s *PaymentRolls) GetRoll(ctx context.Context, req *subsidiesv1.GetRollRequest) (*subsidiesv1.PaymentRoll, error) {
	r, err := s.rolls.Get(ctx, rollCaller(ctx), rollID(req.GetName()))
	if err != nil {
		return nil, err
	}
	return toPaymentRoll(r), nil
}

func (s *PaymentRolls) ListRolls(ctx context.Context, req *subsidiesv1.ListRollsRequest) (*subsidiesv1.ListRollsResponse, error) {
	q := domain.RollQuery{Program: domain.Program(req.GetProgram()), Limit: rollPageSize(req.GetPageSize(), defaultRollsPage) + 1}
	if tok := req.GetPageToken(); tok != "" {
		parts, err := pagetoken.Decode(tok, "r1", 2)
		if err != nil {
			return nil, err
		}
		p, _ := strconv.Atoi(parts[1])
		q.AfterMonth, q.AfterProgram = parts[0], domain.Program(p)
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
		resp.Rolls = append(resp.Rolls, toPaymentRoll(r))
	}
	return resp, nil
}

func (s *PaymentRolls) ListRollLines(ctx context.Context, req *subsidiesv1.ListRollLinesRequest) (*subsidiesv1.ListRollLinesResponse, error) {
	q := domain.RollLineQuery{Kind: domain.RollLineKind(req.GetKind()), RegionPrefix: req.GetRegionCode(),
		Limit: rollPageSize(req.GetPageSize(), defaultRollLinesPage) + 1}
	if tok := req.GetPageToken(); tok != "" {
		parts, err := pagetoken.Decode(tok, "l1", 4)
		if err != nil {
			return nil, err
		}
		k, _ := strconv.Atoi(parts[3])
		q.After = &domain.RollLine{RegionCode: parts[0], Beneficiary: parts[1], Period: parts[2], Kind: domain.RollLineKind(k)}
	}
	lines, err := s.rolls.Lines(ctx, rollCaller(ctx), rollID(req.GetParent()), q)
	if err != nil {
		return nil, err
	}
	resp := &subsidiesv1.ListRollLinesResponse{}
	if len(lines) == q.Limit {
		lines = lines[:q.Limit-1]
		l := lines[len(lines)-1]
		resp.NextPageToken = pagetoken.Encode("l1", l.RegionCode, l.Beneficiary, l.Period, strconv.Itoa(int(l.Kind)))
	}
	for i := range lines {
		resp.Lines = append(resp.Lines, toRollLine(&lines[i]))
	}
	return resp, nil
}

func (s *PaymentRolls) ApproveRoll(ctx context.Context, req *subsidiesv1.ApproveRollRequest) (*subsidiesv1.PaymentRoll, error) {
	r, err := s.rolls.Approve(ctx, rollCaller(ctx), rollID(req.GetName()), req.GetEtag())
	if err != nil {
		return nil, err
	}
	return toPaymentRoll(r), nil
}

func (s *PaymentRolls) HandOffRoll(ctx context.Context, req *subsidiesv1.HandOffRollRequest) (*subsidiesv1.PaymentRoll, error) {
	r, err := s.rolls.HandOff(ctx, rollCaller(ctx), rollID(req.GetName()))
	if err != nil {
		return nil, err
	}
	return toPaymentRoll(r), nil
}

func (s *PaymentRolls) ExportRoll(ctx context.Context, req *subsidiesv1.ExportRollRequest) (*httpbody.HttpBody, error) {
	roll, lines, err := s.rolls.Export(ctx, rollCaller(ctx), s.names, rollID(req.GetName()),
		domain.RollLineKind(req.GetKind()), req.GetRegionCode())
	if err != nil {
		return nil, err
	}
	if req.GetFormat() == subsidiesv1.RollExportFormat_ROLL_EXPORT_FORMAT_XLSX {
		b, err := rollXLSX(roll, lines)
		if err != nil {
			return nil, err
		}
		return &httpbody.HttpBody{ContentType: xlsxContentType, Data: b}, nil
	}
	return &httpbody.HttpBody{ContentType: "text/csv; charset=utf-8", Data: rollCSV(lines)}, nil
}

func rollPageSize(n int32, def int) int {
	if n <= 0 {
		return def
	}
	return int(n)
}

func rollTime(t time.Time) *timestamppb.Timestamp {
	if t.IsZero() {
		return nil
	}
	return timestamppb.New(t)
}

func toRollTotals(t domain.RollTotals) *subsidiesv1.RollTotals {
	return &subsidiesv1.RollTotals{LineCount: t.Lines, AmountFen: t.AmountFen, RegularCount: t.Regular,
		RegularFen: t.RegularFen, BackPayCount: t.BackPay, BackPayFen: t.BackPayFen, RecoveryCount: t.Recovery,
		RecoveryFen: t.RecoveryFen}
}

func toPaymentRoll(r *domain.Roll) *subsidiesv1.PaymentRoll {
	out := &subsidiesv1.PaymentRoll{
		Name: "paymentRolls/" + r.ID(), Program: subsidiesv1.Program(r.Program), Month: r.Month,
		State: subsidiesv1.RollState(r.State), Totals: toRollTotals(r.Totals), FirstMonth: r.FirstMonth,
		FencingToken: r.FencingToken, Computations: int32(r.Computations), ComputedBy: r.ComputedBy,
		ComputeTime: rollTime(r.ComputeTime), ApprovedBy: r.ApprovedBy, ApproveTime: rollTime(r.ApproveTime),
		HandedOffBy: r.HandedOffBy, HandOffTime: rollTime(r.HandOffTime), CreateTime: rollTime(r.CreateTime),
		UpdateTime: rollTime(r.UpdateTime), Etag: r.Etag(),
	}
	for _, h := range r.Held {
		out.Held = append(out.Held, &subsidiesv1.HeldAdjustment{Beneficiary: h.Beneficiary, PeriodMonth: h.Period,
			Kind: subsidiesv1.RollLineKind(h.Kind), AmountFen: h.AmountFen, HouseholdId: h.HouseholdID,
			PersonId: h.PersonID, RegionCode: h.RegionCode, Reason: h.Reason})
	}
	return out
}

func toRollLine(l *domain.RollLine) *subsidiesv1.RollLine {
	return &subsidiesv1.RollLine{Roll: "paymentRolls/" + domain.RollID(l.Program, l.RollMonth), Beneficiary: l.Beneficiary,
		PeriodMonth: l.Period, Kind: subsidiesv1.RollLineKind(l.Kind), HouseholdId: l.HouseholdID, PersonId: l.PersonID,
		RegionCode: l.RegionCode, AmountFen: l.AmountFen, EntitlementIds: l.EntitlementIDs, Reason: l.Reason}
}
