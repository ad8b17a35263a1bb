package app

import (
	"context"
	"strings"

	identificationv1 "fupin.dev/proto/gen/fupin/identification/v1"
	subsidiesv1 "fupin.dev/proto/gen/fupin/subsidies/v1"
	"fupin.dev/services/platform/workflow"
	"fupin.dev/services/subsidies/internal/api"
	"fupin.dev/services/subsidies/internal/domain"
	"fupin.dev/services/subsidies/internal/register"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// certificatesArea serves 残联's area: the disability certificate register and the 两项补贴 applications.
// It has no background jobs: the register's deaths and moves reach it through the subscriber, which the
// follower returned by disabilitySubsidyFollower is given to.
func certificatesArea(w *wiring) ([]func(context.Context) error, error) {
	subsidies, err := newDisabilitySubsidies(w)
	if err != nil {
		return nil, err
	}
	certs := domain.NewCertificates(w.st, holderRegister{conn: w.register}, w.p.PII, subsidies, newID, w.now)
	subsidiesv1.RegisterCertificateServiceServer(w.p.Server.GRPC(), api.NewCertificates(certs))
	subsidiesv1.RegisterDisabilitySubsidyServiceServer(w.p.Server.GRPC(), api.NewDisabilitySubsidies(subsidies))
	return nil, nil
}

// newDisabilitySubsidies builds the 两项补贴 on their own workflow engine over the service's database, with
// List filters written as the DisabilitySubsidyService contract writes states, outcomes and the person.
// Engines keep no state besides their definitions, so several over one database agree.
func newDisabilitySubsidies(w *wiring) (*domain.DisabilitySubsidies, error) {
	names := api.DisabilitySubsidyFilterNames
	engine := workflow.New(w.st.DB(), workflow.Options{Now: w.now, NewID: newID, Policy: w.p.Policy,
		StateNames: names.States, OutcomeNames: names.Outcomes, SubjectField: names.Subject})
	return domain.NewDisabilitySubsidies(w.st, engine, w.p.Policy, register.New(w.register), newID, w.now)
}

// disabilitySubsidyFollower returns the 两项补贴's follower of the register's change feed (deaths and
// moves out stop the persons' subsidies), for the subscriber.
func disabilitySubsidyFollower(w *wiring) (domain.Follower, error) {
	ds, err := newDisabilitySubsidies(w)
	if err != nil {
		return nil, err
	}
	return ds.Follower(), nil
}

// holderRegister finds a certificate's holder with identification's LookupHousehold: the 身份证号 goes in
// the request body, the call goes out as this service on behalf of the caller (so the register applies
// the caller's region scope), and the member is matched by blind index, never by the plain number.
type holderRegister struct{ conn *grpc.ClientConn }

func (r holderRegister) FindHolder(ctx context.Context, idNumber, idIndex string) (domain.CertificateHolder, error) {
	h, err := identificationv1.NewHouseholdServiceClient(r.conn).LookupHousehold(ctx,
		&identificationv1.LookupHouseholdRequest{IdNumber: idNumber})
	switch status.Code(err) {
	case codes.OK:
	case codes.NotFound, codes.InvalidArgument, codes.PermissionDenied:
		return domain.CertificateHolder{}, domain.ErrHolderUnknown
	default:
		return domain.CertificateHolder{}, domain.ErrHolderRegisterUnavailable
	}
	for _, m := range h.GetMembers() {
		if m.GetIdIndex() == idIndex && m.GetState() == identificationv1.MemberState_MEMBER_STATE_ACTIVE {
			return domain.CertificateHolder{PersonID: m.GetPersonId(), HouseholdID: strings.TrimPrefix(h.GetName(), "households/"),
				RegionCode: h.GetRegionCode()}, nil
		}
	}
	return domain.CertificateHolder{}, domain.ErrHolderUnknown
}
