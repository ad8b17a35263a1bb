package api

import (
	"context"

	employmentv1 "fupin.dev/proto/gen/fupin/employment/v1"
	"fupin.dev/services/employment/internal/domain"
	"fupin.dev/services/platform/auth"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// Facts serves fupin.employment.v1.EmploymentFactsService: 人社's facts about persons for other
// departments' services. The platform audits every call (a read by another department, naming the
// persons returned through their person_id fields).
type Facts struct {
	employmentv1.UnimplementedEmploymentFactsServiceServer
	facts *domain.Facts
}

var _ employmentv1.EmploymentFactsServiceServer = (*Facts)(nil)

// NewFacts returns the facts' handlers.
func NewFacts(f *domain.Facts) *Facts { return &Facts{facts: f} }

func (s *Facts) BatchGetEmploymentFacts(ctx context.Context, req *employmentv1.BatchGetEmploymentFactsRequest) (*employmentv1.BatchGetEmploymentFactsResponse, error) {
	_, c := caller(ctx)
	persons, asOf, err := s.facts.Batch(ctx, auth.PurposeCode(c.Purpose), req.GetIdIndexes(), req.GetFromMonth(), req.GetToMonth())
	if err != nil {
		return nil, err
	}
	resp := &employmentv1.BatchGetEmploymentFactsResponse{}
	if !asOf.IsZero() {
		resp.AsOf = timestamppb.New(asOf)
	}
	for _, p := range persons {
		pf := &employmentv1.PersonEmploymentFacts{IdIndex: p.IDIndex, PersonId: p.PersonID, MonthsWorked: int32(p.MonthsWorked),
			InsuredEmployee: p.InsuredEmployee, ReceivingPension: p.ReceivingPension}
		for _, m := range p.Months {
			pf.Wages = append(pf.Wages, &employmentv1.MonthlyWage{Month: m.Month, WageFen: m.WageFen, UnemploymentBenefitFen: m.UnemploymentBenefitFen})
		}
		for _, sp := range p.Spells {
			pf.Spells = append(pf.Spells, toSpell(sp))
		}
		for _, u := range p.Unemployment {
			pf.UnemploymentPeriods = append(pf.UnemploymentPeriods, toPeriod(u))
		}
		resp.Persons = append(resp.Persons, pf)
	}
	return resp, nil
}
