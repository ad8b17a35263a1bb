package api

import (
	"context"
	"strings"

	employmentv1 "fupin.dev/proto/gen/fupin/employment/v1"
	"fupin.dev/services/employment/internal/domain"
	"fupin.dev/services/platform/pagetoken"
	"google.golang.org/protobuf/types/known/emptypb"
)

// Ledger serves fupin.employment.v1.LabourLedgerService: the labour ledger (劳动力台账).
type Ledger struct {
	employmentv1.UnimplementedLabourLedgerServiceServer
	ledger  *domain.Ledger
	records *Records
}

var _ employmentv1.LabourLedgerServiceServer = (*Ledger)(nil)

// NewLedger returns the ledger's handlers.
func NewLedger(l *domain.Ledger) *Ledger { return &Ledger{ledger: l} }

// Page sizes of ListLabourers.
const (
	labourerDefaultPageSize = 50
	labourerMaxPageSize     = 1000
)

func (s *Ledger) GetLabourer(ctx context.Context, req *employmentv1.GetLabourerRequest) (*employmentv1.Labourer, error) {
	by, _ := caller(ctx)
	l, err := s.ledger.Get(ctx, by, strings.TrimPrefix(req.GetName(), "labourers/"))
	if err != nil {
		return nil, err
	}
	return toLabourer(l), nil
}

func (s *Ledger) ListLabourers(ctx context.Context, req *employmentv1.ListLabourersRequest) (*employmentv1.ListLabourersResponse, error) {
	by, _ := caller(ctx)
	after, err := pagetoken.After(req.GetPageToken(), "l1")
	if err != nil {
		return nil, err
	}
	ls, next, err := s.ledger.List(ctx, by, req.GetFilter(), after,
		pageSize(req.GetPageSize(), labourerDefaultPageSize, labourerMaxPageSize))
	if err != nil {
		return nil, err
	}
	resp := &employmentv1.ListLabourersResponse{NextPageToken: pagetoken.Encode("l1", next)}
	for _, l := range ls {
		resp.Labourers = append(resp.Labourers, toLabourer(l))
	}
	return resp, nil
}

// Records serves the recording methods of LabourLedgerService (UpdateLabourer, spells, unemployment
// periods); Ledger embeds it.
type Records struct{ records *domain.Records }

// WithRecords adds the recording methods to the ledger's handlers.
func (s *Ledger) WithRecords(r *domain.Records) *Ledger { s.records = &Records{records: r}; return s }

func personOf(name string) string {
	return strings.SplitN(strings.TrimPrefix(name, "labourers/"), "/", 2)[0]
}

func (s *Ledger) UpdateLabourer(ctx context.Context, req *employmentv1.UpdateLabourerRequest) (*employmentv1.Labourer, error) {
	by, _ := caller(ctx)
	l := req.GetLabourer()
	c := domain.LabourerChange{Fields: req.GetUpdateMask().GetPaths(), WantsWork: l.GetWantsWork(), WantsTraining: l.GetWantsTraining(),
		InsuredEmployee: l.GetInsuredEmployee(), Pension: l.GetReceivingPension()}
	out, err := s.records.records.Update(ctx, by, personOf(l.GetName()), c)
	if err != nil {
		return nil, err
	}
	full, err := s.ledger.Get(ctx, by, out.PersonID)
	if err != nil {
		return nil, err
	}
	return toLabourer(full), nil
}

func fromSpell(p *employmentv1.EmploymentSpell) domain.Spell {
	return domain.Spell{WorkStatus: domain.WorkStatus(p.GetWorkStatus()), Mode: domain.Mode(p.GetMode()), Employer: strings.TrimSpace(p.GetEmployer()),
		Place: p.GetPlace(), MonthlyIncomeFen: p.GetMonthlyIncomeFen(), FromMonth: p.GetFromMonth(), ToMonth: p.GetToMonth()}
}

func (s *Ledger) CreateEmploymentSpell(ctx context.Context, req *employmentv1.CreateEmploymentSpellRequest) (*employmentv1.EmploymentSpell, error) {
	by, _ := caller(ctx)
	sp, err := s.records.records.CreateSpell(ctx, by, personOf(req.GetParent()), fromSpell(req.GetSpell()))
	if err != nil {
		return nil, err
	}
	return toSpell(*sp), nil
}

func (s *Ledger) DeleteEmploymentSpell(ctx context.Context, req *employmentv1.DeleteEmploymentSpellRequest) (*emptypb.Empty, error) {
	by, _ := caller(ctx)
	_, spell, _ := strings.Cut(req.GetName(), "/spells/")
	if err := s.records.records.DeleteSpell(ctx, by, personOf(req.GetName()), spell); err != nil {
		return nil, err
	}
	return &emptypb.Empty{}, nil
}

func (s *Ledger) CreateUnemploymentPeriod(ctx context.Context, req *employmentv1.CreateUnemploymentPeriodRequest) (*employmentv1.UnemploymentPeriod, error) {
	by, _ := caller(ctx)
	p := req.GetPeriod()
	u, err := s.records.records.CreateUnemploymentPeriod(ctx, by, personOf(req.GetParent()), domain.UnemploymentPeriod{
		Kind: domain.UnemploymentKind(p.GetKind()), FromMonth: p.GetFromMonth(), ToMonth: p.GetToMonth(), MonthlyAmountFen: p.GetMonthlyAmountFen()})
	if err != nil {
		return nil, err
	}
	return toPeriod(*u), nil
}
