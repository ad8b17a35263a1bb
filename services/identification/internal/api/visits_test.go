package api

import (
	"testing"

	commonv1 "fupin.dev/proto/gen/fupin/common/v1"
	identificationv1 "fupin.dev/proto/gen/fupin/identification/v1"
	"fupin.dev/services/identification/internal/domain"
)

// The domain's enumerations of the visits and statistics area convert to the contract by a cast.
func TestVisitEnumsMatchContract(t *testing.T) {
	kinds := map[domain.VisitKind]identificationv1.VisitKind{
		domain.VisitKindUnspecified: identificationv1.VisitKind_VISIT_KIND_UNSPECIFIED,
		domain.VisitKindHome:        identificationv1.VisitKind_VISIT_KIND_HOME,
		domain.VisitKindPhone:       identificationv1.VisitKind_VISIT_KIND_PHONE,
		domain.VisitKindVideo:       identificationv1.VisitKind_VISIT_KIND_VIDEO,
		domain.VisitKindOther:       identificationv1.VisitKind_VISIT_KIND_OTHER,
	}
	if len(kinds) != len(identificationv1.VisitKind_name) {
		t.Errorf("the contract has %d visit kinds, the domain %d", len(identificationv1.VisitKind_name), len(kinds))
	}
	for d, c := range kinds {
		if int32(d) != int32(c) {
			t.Errorf("visit kind %d is %s in the contract", d, c)
		}
	}
	conditions := map[domain.ExitCondition]identificationv1.VillageExitCondition{
		domain.ExitConditionUnspecified:      identificationv1.VillageExitCondition_VILLAGE_EXIT_CONDITION_UNSPECIFIED,
		domain.ExitConditionIncidenceBelow:   identificationv1.VillageExitCondition_VILLAGE_EXIT_CONDITION_INCIDENCE_BELOW_MAX,
		domain.ExitConditionCollectiveIncome: identificationv1.VillageExitCondition_VILLAGE_EXIT_CONDITION_COLLECTIVE_INCOME_AT_LEAST_MIN,
	}
	if len(conditions) != len(identificationv1.VillageExitCondition_name) {
		t.Errorf("the contract has %d exit conditions, the domain %d", len(identificationv1.VillageExitCondition_name), len(conditions))
	}
	for d, c := range conditions {
		if int32(d) != int32(c) {
			t.Errorf("exit condition %d is %s in the contract", d, c)
		}
	}
}

// Every reason the area refuses with is a value of an ErrorReason enum.
func TestVisitReasonsAreContractValues(t *testing.T) {
	for _, r := range []string{domain.ReasonHelperPrimaryOverlap, domain.ReasonPhoneInvalid, domain.ReasonHelperNotAssigned,
		domain.ReasonHelperEnded, domain.ReasonYearInvalid, domain.ReasonHelperHasLaterVisits} {
		if v, ok := identificationv1.ErrorReason_value[r]; !ok || v < 200 || v > 249 {
			t.Errorf("reason %s is not in identification's ErrorReason 200–249 (%d)", r, v)
		}
	}
	for _, r := range []string{domain.ReasonBackdateReasonRequired, domain.ReasonPolicyValueMissing, domain.ReasonPersonNameInvalid} {
		if _, ok := commonv1.ErrorReason_value[r]; !ok {
			t.Errorf("reason %s is not in fupin.common.v1.ErrorReason", r)
		}
	}
}

func TestVisitPageTokens(t *testing.T) {
	c := domain.VisitCursor{Date: "2025-06-15", ID: "0193-abc"}
	if got, err := decodeVisitCursor(encodeVisitCursor(c)); err != nil || got != c {
		t.Errorf("visit cursor round trip: %+v %v", got, err)
	}
	if n, err := decodeOffset(encodeOffset(40)); err != nil || n != 40 {
		t.Errorf("offset round trip: %d %v", n, err)
	}
	if r, y, err := decodeIncomeCursor(encodeIncomeCursor("990001002003", 2025)); err != nil || r != "990001002003" || y != 2025 {
		t.Errorf("income cursor round trip: %s %d %v", r, y, err)
	}
	for _, bad := range []string{"x", "!!", encodePageToken("h")} {
		if _, err := decodeVisitCursor(bad); err == nil {
			t.Errorf("visit cursor %q accepted", bad)
		}
		if _, err := decodeOffset(bad); err == nil {
			t.Errorf("offset %q accepted", bad)
		}
		if _, _, err := decodeIncomeCursor(bad); err == nil {
			t.Errorf("income cursor %q accepted", bad)
		}
	}
}
