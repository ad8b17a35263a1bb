package register

import (
	"context"
	"errors"
	"fmt"
	"strings"

	identificationv1 "fupin.dev/proto/gen/fupin/identification/v1"
	"fupin.dev/services/subsidies/internal/domain"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Client implements domain.Register on a connection to the identification service.
type Client struct {
	households identificationv1.HouseholdServiceClient
	income     identificationv1.IncomeServiceClient
}

var _ domain.Register = (*Client)(nil)

// New returns a client on conn (boot.Process.Dial's connection: calls go out as the service, on behalf
// of the incoming caller).
func New(conn grpc.ClientConnInterface) *Client {
	return &Client{households: identificationv1.NewHouseholdServiceClient(conn), income: identificationv1.NewIncomeServiceClient(conn)}
}

// Household returns a household with its members as the register has it now.
func (c *Client) Household(ctx context.Context, householdID string) (*domain.RegisterHousehold, error) {
	h, err := c.households.GetHousehold(ctx, &identificationv1.GetHouseholdRequest{Name: "households/" + householdID})
	if err != nil {
		return nil, registerError("read household", err)
	}
	return fromHousehold(h), nil
}

// fromHousehold converts the register's household to the domain's view.
func fromHousehold(h *identificationv1.Household) *domain.RegisterHousehold {
	out := &domain.RegisterHousehold{ID: strings.TrimPrefix(h.GetName(), "households/"), RegionCode: h.GetRegionCode(),
		Urban: h.GetUrban(), Active: h.GetState() != identificationv1.HouseholdState_HOUSEHOLD_STATE_ARCHIVED, Size: int(h.GetSize()),
		Registered: h.GetRegistrationDate()}
	for _, m := range h.GetMembers() {
		out.Members = append(out.Members, domain.RegisterMember{PersonID: m.GetPersonId(), IDIndex: m.GetIdIndex(),
			BirthDate: m.GetBirthDate(), Health: domain.Health(m.GetHealth()), Labour: domain.LabourAbility(m.GetLabourAbility()),
			Current: m.GetState() == identificationv1.MemberState_MEMBER_STATE_ACTIVE})
	}
	return out
}

// registerError turns the register's answer into the domain's refusals: a household it does not have
// (or does not show this caller) is unknown, a register that cannot answer is unavailable; anything else
// is a fault of ours and stays internal.
func registerError(what string, err error) error {
	st, ok := status.FromError(err)
	if !ok {
		if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			return err
		}
		return fmt.Errorf("identification register: %s: %w", what, err)
	}
	switch st.Code() {
	case codes.NotFound, codes.PermissionDenied:
		return domain.ErrRegisterSubjectUnknown
	case codes.Unavailable, codes.DeadlineExceeded, codes.ResourceExhausted, codes.Aborted:
		return domain.ErrRegisterUnavailable
	}
	return fmt.Errorf("identification register: %s: %s: %s", what, st.Code(), st.Message())
}
