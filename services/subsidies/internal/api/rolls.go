package api

import (
	"context"

	payrollv1 "fupin.dev/proto/gen/fupin/payroll/v1"
	subsidiesv1 "fupin.dev/proto/gen/fupin/subsidies/v1"
	"fupin.dev/services/platform/payroll"
	"fupin.dev/services/platform/payroll/payrollsvc"
	"google.golang.org/genproto/googleapis/api/httpbody"
)

// PaymentRolls serves fupin.subsidies.v1.PaymentRollService: its requests' fields go to the platform's
// payroll API (payrollsvc.API), which every paying service shares.
type PaymentRolls struct {
	subsidiesv1.UnimplementedPaymentRollServiceServer
	api payrollsvc.API
}

var _ subsidiesv1.PaymentRollServiceServer = (*PaymentRolls)(nil)

// NewPaymentRolls returns the payment roll handlers; names finds the names shown on exports.
func NewPaymentRolls(rolls *payroll.Rolls, names payroll.RollNames) *PaymentRolls {
	return &PaymentRolls{api: payrollsvc.API{Rolls: rolls, Names: names}}
}

func (s *PaymentRolls) ComputeRoll(ctx context.Context, req *subsidiesv1.ComputeRollRequest) (*payrollv1.Roll, error) {
	return s.api.Compute(ctx, req.GetProgram(), req.GetMonth())
}

func (s *PaymentRolls) GetRoll(ctx context.Context, req *subsidiesv1.GetRollRequest) (*payrollv1.Roll, error) {
	return s.api.Get(ctx, req.GetName())
}

func (s *PaymentRolls) ListRolls(ctx context.Context, req *subsidiesv1.ListRollsRequest) (*subsidiesv1.ListRollsResponse, error) {
	rolls, next, err := s.api.List(ctx, req.GetPageSize(), req.GetPageToken(), req.GetProgram())
	if err != nil {
		return nil, err
	}
	return &subsidiesv1.ListRollsResponse{Rolls: rolls, NextPageToken: next}, nil
}

func (s *PaymentRolls) ListRollLines(ctx context.Context, req *subsidiesv1.ListRollLinesRequest) (*subsidiesv1.ListRollLinesResponse, error) {
	lines, next, err := s.api.Lines(ctx, req.GetParent(), req.GetPageSize(), req.GetPageToken(), req.GetKind(), req.GetRegionCode())
	if err != nil {
		return nil, err
	}
	return &subsidiesv1.ListRollLinesResponse{Lines: lines, NextPageToken: next}, nil
}

func (s *PaymentRolls) ApproveRoll(ctx context.Context, req *subsidiesv1.ApproveRollRequest) (*payrollv1.Roll, error) {
	return s.api.Approve(ctx, req.GetName(), req.GetEtag())
}

func (s *PaymentRolls) HandOffRoll(ctx context.Context, req *subsidiesv1.HandOffRollRequest) (*payrollv1.Roll, error) {
	return s.api.HandOff(ctx, req.GetName())
}

func (s *PaymentRolls) ExportRoll(ctx context.Context, req *subsidiesv1.ExportRollRequest) (*httpbody.HttpBody, error) {
	return s.api.Export(ctx, req.GetName(), req.GetFormat(), req.GetKind(), req.GetRegionCode())
}

func (s *PaymentRolls) ReleaseRollLine(ctx context.Context, req *subsidiesv1.ReleaseRollLineRequest) (*payrollv1.RollLine, error) {
	return s.api.Release(ctx, req.GetParent(), req.GetBeneficiary(), req.GetPeriodMonth(), req.GetKind(), req.GetAttempt(), req.GetReason())
}

func (s *PaymentRolls) ListPaymentLines(ctx context.Context, req *subsidiesv1.ListPaymentLinesRequest) (*subsidiesv1.ListPaymentLinesResponse, error) {
	lines, next, payee, err := s.api.PaymentLines(ctx, req.GetParent(), req.GetPageSize(), req.GetPageToken())
	if err != nil {
		return nil, err
	}
	return &subsidiesv1.ListPaymentLinesResponse{Lines: lines, NextPageToken: next, PayeeKind: payee}, nil
}
