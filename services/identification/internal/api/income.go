package api

import (
	"context"
	"strings"

	identificationv1 "fupin.dev/proto/gen/fupin/identification/v1"
	"fupin.dev/services/identification/internal/domain"
	"fupin.dev/services/identification/internal/store"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// Income serves fupin.identification.v1.IncomeService.
type Income struct {
	identificationv1.UnimplementedIncomeServiceServer
	svc *domain.Incomes
}

var _ identificationv1.IncomeServiceServer = (*Income)(nil)

// NewIncome returns the income assessment handlers.
func NewIncome(svc *domain.Incomes) *Income { return &Income{svc: svc} }

// reporter is the domain's view of who records data: the caller and their department.
func reporter(ctx context.Context) domain.Reporter {
	c, ac := caller(ctx)
	return domain.Reporter{Caller: c, Department: domain.Department(ac.Department)}
}

func (s *Income) BatchCreateIncomeItems(ctx context.Context, req *identificationv1.BatchCreateIncomeItemsRequest) (*identificationv1.BatchCreateIncomeItemsResponse, error) {
	in := make([]domain.IncomeItem, len(req.GetItems()))
	for i, it := range req.GetItems() {
		in[i] = fromIncomeItem(it)
	}
	items, err := s.svc.RecordItems(ctx, reporter(ctx), householdID(req.GetParent()), in)
	if err != nil {
		return nil, err
	}
	resp := &identificationv1.BatchCreateIncomeItemsResponse{}
	for _, it := range items {
		resp.Items = append(resp.Items, toIncomeItem(it))
	}
	return resp, nil
}

func (s *Income) ListIncomeItems(ctx context.Context, req *identificationv1.ListIncomeItemsRequest) (*identificationv1.ListIncomeItemsResponse, error) {
	c, _ := caller(ctx)
	after, err := decodePageToken(req.GetPageToken())
	if err != nil {
		return nil, err
	}
	size := int(req.GetPageSize())
	if size == 0 {
		size = 100
	}
	items, next, err := s.svc.ListItems(ctx, c, householdID(req.GetParent()), req.GetFromDate(), req.GetToDate(), after, size)
	if err != nil {
		return nil, err
	}
	resp := &identificationv1.ListIncomeItemsResponse{NextPageToken: encodePageToken(next)}
	for _, it := range items {
		resp.Items = append(resp.Items, toIncomeItem(it))
	}
	return resp, nil
}

func (s *Income) AssessIncome(ctx context.Context, req *identificationv1.AssessIncomeRequest) (*identificationv1.IncomeAssessment, error) {
	c, _ := caller(ctx)
	w := domain.IncomeWindowSpec{Year: int(req.GetYear()), AsOf: req.GetAsOfDate()}
	a, err := s.svc.Assess(ctx, c, householdID(req.GetHousehold()), w, domain.IncomeProgram(req.GetProgram()))
	if err != nil {
		return nil, err
	}
	return store.IncomeAssessmentProto(a), nil
}

func (s *Income) GetIncomeAssessment(ctx context.Context, req *identificationv1.GetIncomeAssessmentRequest) (*identificationv1.IncomeAssessment, error) {
	c, _ := caller(ctx)
	w := domain.IncomeWindowSpec{Year: int(req.GetYear()), AsOf: req.GetAsOfDate()}
	a, err := s.svc.Compute(ctx, c, householdID(req.GetHousehold()), w, domain.IncomeProgram(req.GetProgram()))
	if err != nil {
		return nil, err
	}
	return store.IncomeAssessmentProto(a), nil
}

func fromIncomeItem(it *identificationv1.IncomeItem) domain.IncomeItem {
	return domain.IncomeItem{
		HouseholdID: strings.TrimPrefix(it.GetHousehold(), "households/"), Type: domain.IncomeItemType(it.GetType()),
		RigidKind: domain.RigidSpendingKind(it.GetRigidSpendingKind()), Source: domain.IncomeSource(it.GetSource()),
		SourceDepartment: domain.Department(it.GetSourceDepartment()), Payer: domain.Department(it.GetPayer()),
		Program: domain.TransferProgram(it.GetTransferProgram()), Period: it.GetPeriod(), AmountFen: it.GetAmountFen(),
		Description: it.GetDescription(), Reference: it.GetExternalReference(), PersonID: it.GetPersonId(),
	}
}

func toIncomeItem(it *domain.IncomeItem) *identificationv1.IncomeItem {
	return &identificationv1.IncomeItem{
		Name: "households/" + it.HouseholdID + "/incomeItems/" + it.ID, Household: "households/" + it.HouseholdID,
		Type: identificationv1.IncomeItemType(it.Type), RigidSpendingKind: identificationv1.RigidSpendingKind(it.RigidKind),
		Source: identificationv1.IncomeSource(it.Source), SourceDepartment: commonDepartment(it.SourceDepartment),
		Payer: commonDepartment(it.Payer), TransferProgram: identificationv1.TransferProgram(it.Program), Period: it.Period,
		AmountFen: it.AmountFen, Description: it.Description, ExternalReference: it.Reference, RecordedBy: it.RecordedBy,
		CreateTime: timestamppb.New(it.CreateTime), PersonId: it.PersonID,
	}
}
