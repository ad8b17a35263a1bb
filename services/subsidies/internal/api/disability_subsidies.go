package api

import (
	"context"
	"strings"

	"fupin.dev/services/platform/pagetoken"

	subsidiesv1 "fupin.dev/proto/gen/fupin/subsidies/v1"
	"fupin.dev/services/platform/apperr"
	"fupin.dev/services/platform/workflow"
	"fupin.dev/services/subsidies/internal/domain"
)

// DisabilitySubsidies serves fupin.subsidies.v1.DisabilitySubsidyService: 两项补贴 applications (残联).
type DisabilitySubsidies struct {
	subsidiesv1.UnimplementedDisabilitySubsidyServiceServer
	subsidies *domain.DisabilitySubsidies
}

var _ subsidiesv1.DisabilitySubsidyServiceServer = (*DisabilitySubsidies)(nil)

// NewDisabilitySubsidies returns the 两项补贴 handlers.
func NewDisabilitySubsidies(subsidies *domain.DisabilitySubsidies) *DisabilitySubsidies {
	return &DisabilitySubsidies{subsidies: subsidies}
}

func disabilitySubsidyID(name string) string { return strings.TrimPrefix(name, "disabilitySubsidies/") }

func (s *DisabilitySubsidies) CreateDisabilitySubsidy(ctx context.Context, req *subsidiesv1.CreateDisabilitySubsidyRequest) (*subsidiesv1.DisabilitySubsidy, error) {
	by, _ := certCaller(ctx)
	kind, ok := disabilitySubsidyKinds[req.GetKind()]
	if !ok {
		return nil, apperr.Invalid(workflow.ReasonInvalidField, "kind", "must be LIVING or CARE")
	}
	d, err := s.subsidies.Apply(ctx, by, kind, certificateID(req.GetCertificate()), domain.DisabilitySubsidyStep{
		OccurredAt: req.GetOccurredAt(), BackdateReason: req.GetBackdateReason(), Note: req.GetNote(), Attachments: req.GetAttachments()})
	if err != nil {
		return nil, err
	}
	return toDisabilitySubsidy(d)
}

func (s *DisabilitySubsidies) GetDisabilitySubsidy(ctx context.Context, req *subsidiesv1.GetDisabilitySubsidyRequest) (*subsidiesv1.DisabilitySubsidy, error) {
	by, _ := certCaller(ctx)
	d, err := s.subsidies.Get(ctx, by, disabilitySubsidyID(req.GetName()))
	if err != nil {
		return nil, err
	}
	return toDisabilitySubsidy(d)
}

func (s *DisabilitySubsidies) ListDisabilitySubsidies(ctx context.Context, req *subsidiesv1.ListDisabilitySubsidiesRequest) (*subsidiesv1.ListDisabilitySubsidiesResponse, error) {
	by, _ := certCaller(ctx)
	after, err := pagetoken.After(req.GetPageToken(), "ds1")
	if err != nil {
		return nil, err
	}
	ds, next, err := s.subsidies.List(ctx, by, req.GetFilter(), after, certPageSize(req.GetPageSize(), 50, 500))
	if err != nil {
		return nil, err
	}
	resp := &subsidiesv1.ListDisabilitySubsidiesResponse{NextPageToken: pagetoken.Encode("ds1", next)}
	for _, d := range ds {
		pd, err := toDisabilitySubsidy(d)
		if err != nil {
			return nil, err
		}
		resp.DisabilitySubsidies = append(resp.DisabilitySubsidies, pd)
	}
	return resp, nil
}

func (s *DisabilitySubsidies) CheckDisabilitySubsidy(ctx context.Context, req *subsidiesv1.CheckDisabilitySubsidyRequest) (*subsidiesv1.DisabilitySubsidy, error) {
	by, _ := certCaller(ctx)
	d, err := s.subsidies.Check(ctx, by, disabilitySubsidyID(req.GetName()), domain.DisabilitySubsidyStep{
		OccurredAt: req.GetOccurredAt(), BackdateReason: req.GetBackdateReason(), Note: req.GetNote(),
		Attachments: req.GetAttachments(), Etag: req.GetEtag()}, req.GetApproved())
	if err != nil {
		return nil, err
	}
	return toDisabilitySubsidy(d)
}

func (s *DisabilitySubsidies) ReviewDisabilitySubsidy(ctx context.Context, req *subsidiesv1.ReviewDisabilitySubsidyRequest) (*subsidiesv1.DisabilitySubsidy, error) {
	by, _ := certCaller(ctx)
	d, err := s.subsidies.Review(ctx, by, disabilitySubsidyID(req.GetName()), domain.DisabilitySubsidyStep{
		OccurredAt: req.GetOccurredAt(), BackdateReason: req.GetBackdateReason(), Note: req.GetNote(),
		Attachments: req.GetAttachments(), Etag: req.GetEtag()}, req.GetApproved())
	if err != nil {
		return nil, err
	}
	return toDisabilitySubsidy(d)
}

func (s *DisabilitySubsidies) WithdrawDisabilitySubsidy(ctx context.Context, req *subsidiesv1.WithdrawDisabilitySubsidyRequest) (*subsidiesv1.DisabilitySubsidy, error) {
	by, _ := certCaller(ctx)
	d, err := s.subsidies.Withdraw(ctx, by, disabilitySubsidyID(req.GetName()), domain.DisabilitySubsidyStep{
		OccurredAt: req.GetOccurredAt(), BackdateReason: req.GetBackdateReason(), Note: req.GetNote(), Etag: req.GetEtag()})
	if err != nil {
		return nil, err
	}
	return toDisabilitySubsidy(d)
}
