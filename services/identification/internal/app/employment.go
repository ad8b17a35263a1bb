package app

import (
	"context"
	"time"

	commonv1 "fupin.dev/proto/gen/fupin/common/v1"
	employmentv1 "fupin.dev/proto/gen/fupin/employment/v1"
	"fupin.dev/services/identification/internal/domain"
	"fupin.dev/services/platform/auth"
	"fupin.dev/services/platform/boot"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// employmentTimeout bounds one call for the members' wages: an assessment waits for 人社 no longer.
const employmentTimeout = 5 * time.Second

// countEmploymentWages makes the income assessment read 人社's wages from the employment service named
// service (dialed through etcd as this service, on behalf of the caller), or leaves it without when the
// deployment names none.
func countEmploymentWages(p *boot.Process, incomes *domain.Incomes, service string) error {
	if service == "" {
		return nil
	}
	conn, err := p.Dial(service)
	if err != nil {
		return err
	}
	incomes.CountEmploymentWages(employmentFacts{conn: conn})
	return nil
}

// employmentFacts reads members' monthly wages with EmploymentFactsService.BatchGetEmploymentFacts, stating
// the purpose 收入核算 (income_assessment), up to 1,000 persons a call.
type employmentFacts struct{ conn *grpc.ClientConn }

func (e employmentFacts) MonthlyWages(ctx context.Context, idIndexes []string, from, to string) (map[string][]domain.MemberWage, time.Time, error) {
	ctx, cancel := context.WithTimeout(ctx, employmentTimeout)
	defer cancel()
	ctx = metadata.AppendToOutgoingContext(ctx, auth.PurposeHeader, auth.PurposeCode(commonv1.Purpose_PURPOSE_INCOME_ASSESSMENT))
	out := map[string][]domain.MemberWage{}
	var asOf time.Time
	client := employmentv1.NewEmploymentFactsServiceClient(e.conn)
	for start := 0; start < len(idIndexes); start += 1000 {
		resp, err := client.BatchGetEmploymentFacts(ctx, &employmentv1.BatchGetEmploymentFactsRequest{
			IdIndexes: idIndexes[start:min(start+1000, len(idIndexes))], FromMonth: from, ToMonth: to})
		switch status.Code(err) {
		case codes.OK:
		case codes.Unavailable, codes.DeadlineExceeded:
			return nil, time.Time{}, domain.ErrEmploymentUnavailable
		default:
			return nil, time.Time{}, err
		}
		if t := resp.GetAsOf().AsTime(); resp.GetAsOf() != nil && t.After(asOf) {
			asOf = t
		}
		for _, p := range resp.GetPersons() {
			for _, w := range p.GetWages() {
				out[p.GetIdIndex()] = append(out[p.GetIdIndex()], domain.MemberWage{PersonID: p.GetPersonId(), Month: w.GetMonth(),
					AmountFen: w.GetWageFen()})
			}
		}
	}
	return out, asOf, nil
}
