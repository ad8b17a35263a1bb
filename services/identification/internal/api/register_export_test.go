package api

import (
	"testing"
	"time"

	identificationv1 "fupin.dev/proto/gen/fupin/identification/v1"
	"fupin.dev/services/identification/internal/domain"
	"fupin.dev/services/platform/pii"
)

// TestExportedMembersForFollowers converts what a follower asked for (include_memberships): each
// membership's dates, its end reason, the birth month, labour ability and health.
func TestExportedMembersForFollowers(t *testing.T) {
	today := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	member := func(state domain.MemberState, end string) domain.ExportedMember {
		return domain.ExportedMember{PersonID: "p", IDIndex: "idx", Relation: domain.RelationHead, BirthDate: "1960-03-15",
			State: state, StartDate: "2014-10-01", EndDate: end, EndReason: "note", Health: domain.HealthChronicDisease,
			LabourAbility: domain.LabourAbility(3)}
	}
	h := domain.ExportedHousehold{ID: "h", RegionCode: "990001001001", CreateDate: "2026-12-01",
		Members: []domain.ExportedMember{member(domain.MemberActive, "")},
		Ended: []domain.ExportedMember{member(domain.MemberDeceased, "2025-01-02"), member(domain.MemberMovedOut, "2025-02-03"),
			member(domain.MemberActive, "2025-03-04")},
		History: []domain.StatusChange{{EffectiveDate: "2019-12-31", Registry: domain.RegistryExited, Reason: "脱贫", RecordTime: today}}}
	out := toExportedHouseholds([]domain.ExportedHousehold{h}, pii.DiscloseService, today)[0]
	cur := out.GetMembers()[0]
	if cur.GetBirthMonth() != "1960-03" || cur.GetStartDate() != "2014-10-01" || cur.GetEndReason() != identificationv1.MembershipEndReason_MEMBERSHIP_END_REASON_UNSPECIFIED ||
		cur.GetHealth() != identificationv1.Health_HEALTH_CHRONIC_DISEASE || cur.GetLabourAbility() != identificationv1.LabourAbility(3) {
		t.Errorf("current member %v", cur)
	}
	var reasons []identificationv1.MembershipEndReason
	for _, m := range out.GetEndedMembers() {
		reasons = append(reasons, m.GetEndReason())
	}
	want := []identificationv1.MembershipEndReason{identificationv1.MembershipEndReason_MEMBERSHIP_END_REASON_DEATH,
		identificationv1.MembershipEndReason_MEMBERSHIP_END_REASON_MOVE_OUT, identificationv1.MembershipEndReason_MEMBERSHIP_END_REASON_OTHER}
	if len(reasons) != 3 || reasons[0] != want[0] || reasons[1] != want[1] || reasons[2] != want[2] {
		t.Errorf("end reasons %v, want %v", reasons, want)
	}
	if out.GetEndedMembers()[0].GetEndDate() != "2025-01-02" || out.GetEndedMembers()[0].GetEndNote() != "note" {
		t.Errorf("ended member %v", out.GetEndedMembers()[0])
	}
	if out.GetCreateDate() != "2026-12-01" || len(out.GetStatusHistory()) != 1 || out.GetStatusHistory()[0].GetEffectiveDate() != "2019-12-31" {
		t.Errorf("household %v", out)
	}
	// Without include_memberships (no state), the members carry what they always did.
	plain := toExportedHouseholds([]domain.ExportedHousehold{{ID: "h", Members: []domain.ExportedMember{{PersonID: "p", BirthDate: "1960-03-15"}}}},
		pii.DiscloseService, today)[0].GetMembers()[0]
	if plain.GetBirthMonth() != "" || plain.GetStartDate() != "" || plain.GetBirthDate() != "1960-03-15" {
		t.Errorf("plain member %v", plain)
	}
}
