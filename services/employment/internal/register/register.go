// Package register is the employment service's client of the identification register (乡村振兴局's
// service): households with their members as the labour ledger's follower reads them, over gRPC through
// etcd as service "employment". Only what the ledger keeps is converted: no names, no numbers.
package register

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	identificationv1 "fupin.dev/proto/gen/fupin/identification/v1"
	"fupin.dev/services/employment/internal/domain"
	"google.golang.org/grpc"
)

// Client reads the register.
type Client struct {
	households identificationv1.HouseholdServiceClient
	export     identificationv1.RegisterExportServiceClient
}

// New returns a client on conn (boot.Process.Dial's connection to identification).
func New(conn grpc.ClientConnInterface) *Client {
	return &Client{households: identificationv1.NewHouseholdServiceClient(conn), export: identificationv1.NewRegisterExportServiceClient(conn)}
}

// batchGet is the most households BatchGetHouseholds takes a call.
const batchGet = 1000

// Households returns the households as the register has them now (archived ones too), in the order of
// ids.
func (c *Client) Households(ctx context.Context, ids []string) ([]*domain.RegisterHousehold, error) {
	out := make([]*domain.RegisterHousehold, 0, len(ids))
	for start := 0; start < len(ids); start += batchGet {
		chunk := ids[start:min(start+batchGet, len(ids))]
		names := make([]string, len(chunk))
		for i, id := range chunk {
			names[i] = "households/" + id
		}
		resp, err := c.households.BatchGetHouseholds(ctx, &identificationv1.BatchGetHouseholdsRequest{Names: names},
			grpc.MaxCallRecvMsgSize(exportMaxMessage))
		if err != nil {
			return nil, fmt.Errorf("register: read households: %w", err)
		}
		for _, h := range resp.GetHouseholds() {
			out = append(out, fromHousehold(h))
		}
	}
	return out, nil
}

func fromHousehold(h *identificationv1.Household) *domain.RegisterHousehold {
	out := &domain.RegisterHousehold{ID: strings.TrimPrefix(h.GetName(), "households/"), RegionCode: h.GetRegionCode(),
		RegistryStatus: int32(h.GetRegistryStatus()), MonitoringStatus: int32(h.GetMonitoringStatus()),
		Archived: h.GetState() == identificationv1.HouseholdState_HOUSEHOLD_STATE_ARCHIVED}
	for _, m := range h.GetMembers() {
		out.Members = append(out.Members, domain.RegisterMember{PersonID: m.GetPersonId(), IDIndex: m.GetIdIndex(),
			BirthMonth: monthOf(m.GetBirthDate()), LabourAbility: int32(m.GetLabourAbility()), State: int32(m.GetState()),
			EndDate: m.GetEndDate()})
	}
	return out
}

func monthOf(date string) string {
	if len(date) < 7 {
		return ""
	}
	return date[:7]
}

// exportBatch is the households per message of the snapshot; exportMaxMessage bounds one message (the
// register allows 30 members a household).
const (
	exportBatch      = 4000
	exportMaxMessage = 64 << 20
)

// Snapshot streams the whole register (every active household with its current and ended memberships)
// for a resync, with the feed position the snapshot reflects (the same in every call of each).
func (c *Client) Snapshot(ctx context.Context, each func(position int64, hs []*domain.RegisterHousehold) error) error {
	stream, err := c.export.ExportRegister(ctx, &identificationv1.ExportRegisterRequest{BatchSize: exportBatch, IncludeMemberships: true},
		grpc.MaxCallRecvMsgSize(exportMaxMessage))
	if err != nil {
		return fmt.Errorf("register snapshot: %w", err)
	}
	for {
		msg, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("register snapshot: %w", err)
		}
		hs := make([]*domain.RegisterHousehold, len(msg.GetHouseholds()))
		for i, h := range msg.GetHouseholds() {
			hs[i] = fromExported(h)
		}
		if err := each(msg.GetFeedSequence(), hs); err != nil {
			return err
		}
	}
}

// endStates maps the export's end reasons to the register's member states.
var endStates = map[identificationv1.MembershipEndReason]int32{
	identificationv1.MembershipEndReason_MEMBERSHIP_END_REASON_DEATH:    int32(identificationv1.MemberState_MEMBER_STATE_DECEASED),
	identificationv1.MembershipEndReason_MEMBERSHIP_END_REASON_MOVE_OUT: int32(identificationv1.MemberState_MEMBER_STATE_MOVED_OUT),
}

func fromExported(h *identificationv1.ExportedHousehold) *domain.RegisterHousehold {
	out := &domain.RegisterHousehold{ID: strings.TrimPrefix(h.GetHousehold(), "households/"), RegionCode: h.GetRegionCode(),
		RegistryStatus: int32(h.GetRegistryStatus()), MonitoringStatus: int32(h.GetMonitoringStatus())}
	for _, m := range h.GetMembers() {
		out.Members = append(out.Members, domain.RegisterMember{PersonID: m.GetPersonId(), IDIndex: m.GetIdIndex(),
			BirthMonth: m.GetBirthMonth(), LabourAbility: int32(m.GetLabourAbility()),
			State: int32(identificationv1.MemberState_MEMBER_STATE_ACTIVE)})
	}
	for _, m := range h.GetEndedMembers() {
		out.Members = append(out.Members, domain.RegisterMember{PersonID: m.GetPersonId(), IDIndex: m.GetIdIndex(),
			BirthMonth: m.GetBirthMonth(), LabourAbility: int32(m.GetLabourAbility()), State: endStates[m.GetEndReason()],
			EndDate: m.GetEndDate()})
	}
	return out
}
