package register

import (
	"context"
	"errors"
	"testing"

	identificationv1 "fupin.dev/proto/gen/fupin/identification/v1"
	"fupin.dev/services/platform/apperr"
	"fupin.dev/services/subsidies/internal/domain"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

func TestRegisterError(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want error // nil: an internal error that is neither refusal
	}{
		{"not found is an unknown subject", status.Error(codes.NotFound, "x"), domain.ErrRegisterSubjectUnknown},
		{"out of the caller's scope is an unknown subject", status.Error(codes.PermissionDenied, "x"), domain.ErrRegisterSubjectUnknown},
		{"unavailable", status.Error(codes.Unavailable, "x"), domain.ErrRegisterUnavailable},
		{"deadline", status.Error(codes.DeadlineExceeded, "x"), domain.ErrRegisterUnavailable},
		{"a bad request of ours stays internal", status.Error(codes.InvalidArgument, "x"), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := registerError("read", tt.err)
			if tt.want != nil {
				if !errors.Is(got, tt.want) {
					t.Errorf("got %v, want %v", got, tt.want)
				}
				return
			}
			if _, ok := apperr.As(got); ok {
				t.Errorf("got the refusal %v, want an internal error", got)
			}
		})
	}
	if got := registerError("read", context.Canceled); !errors.Is(got, context.Canceled) {
		t.Errorf("a canceled call: %v", got)
	}
}

func TestWindowMonths(t *testing.T) {
	tests := []struct {
		from, to string
		want     int
	}{
		{"2024-07-01", "2025-06-15", 12},
		{"2024-01-01", "2024-12-31", 12},
		{"2025-06-01", "2025-06-01", 1},
	}
	for _, tt := range tests {
		if got, err := WindowMonths(tt.from, tt.to); err != nil || got != tt.want {
			t.Errorf("%s..%s = %d %v, want %d", tt.from, tt.to, got, err, tt.want)
		}
	}
	if _, err := WindowMonths("2025-06-02", "2025-05-01"); err == nil {
		t.Error("an empty window was accepted")
	}
}

func TestFromHousehold(t *testing.T) {
	h := fromHousehold(&identificationv1.Household{Name: "households/h1", RegionCode: "990001001001", Urban: true, Size: 1,
		RegistrationDate: "2019-03-01", State: identificationv1.HouseholdState_HOUSEHOLD_STATE_ACTIVE, Members: []*identificationv1.Member{
			{PersonId: "p1", IdIndex: "ix1", BirthDate: "1950-01-01", Health: identificationv1.Health_HEALTH_SERIOUS_ILLNESS,
				LabourAbility: identificationv1.LabourAbility_LABOUR_ABILITY_PARTIAL, State: identificationv1.MemberState_MEMBER_STATE_ACTIVE},
			{PersonId: "p2", State: identificationv1.MemberState_MEMBER_STATE_DECEASED},
		}})
	m := h.Member("p1")
	if h.ID != "h1" || !h.Active || !h.Urban || h.Size != 1 || h.Registered != "2019-03-01" || m == nil || !m.Current || m.IDIndex != "ix1" ||
		m.Health != domain.HealthSeriousIllness || !m.Labour.CanWork() || h.Member("p2").Current {
		t.Errorf("got %+v", h)
	}
}

// The domain's register enums are identification's numbers.
func TestRegisterEnumsMatchIdentification(t *testing.T) {
	pairs := []struct {
		name       string
		got, wantN int32
	}{
		{"HEALTH_SERIOUS_ILLNESS", int32(domain.HealthSeriousIllness), int32(identificationv1.Health_HEALTH_SERIOUS_ILLNESS)},
		{"HEALTH_DISABLED", int32(domain.HealthDisabled), int32(identificationv1.Health_HEALTH_DISABLED)},
		{"LABOUR_ABILITY_ORDINARY", int32(domain.LabourOrdinary), int32(identificationv1.LabourAbility_LABOUR_ABILITY_ORDINARY)},
		{"LABOUR_ABILITY_PARTIAL", int32(domain.LabourPartial), int32(identificationv1.LabourAbility_LABOUR_ABILITY_PARTIAL)},
		{"LABOUR_ABILITY_NONE", int32(domain.LabourNone), int32(identificationv1.LabourAbility_LABOUR_ABILITY_NONE)},
		{"REGISTRY_STATUS_POOR", domain.RegistryPoor, int32(identificationv1.RegistryStatus_REGISTRY_STATUS_POOR)},
		{"REGISTRY_STATUS_RETURNED", domain.RegistryReturned, int32(identificationv1.RegistryStatus_REGISTRY_STATUS_RETURNED)},
		{"MONITORING_STATUS_OPEN", domain.MonitoringOpen, int32(identificationv1.MonitoringStatus_MONITORING_STATUS_OPEN)},
	}
	for _, p := range pairs {
		if p.got != p.wantN {
			t.Errorf("%s: %d in the domain, %d in identification", p.name, p.got, p.wantN)
		}
	}
}
