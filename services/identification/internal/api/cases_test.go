package api

import (
	"testing"

	commonv1 "fupin.dev/proto/gen/fupin/common/v1"
	identificationv1 "fupin.dev/proto/gen/fupin/identification/v1"
	"fupin.dev/services/identification/internal/domain"
	"fupin.dev/services/platform/workflow"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// Case enums convert by casting, so the domain's and the engine's numbers must be the contract's.
func TestCaseEnumsMatchContract(t *testing.T) {
	tests := []struct {
		name   string
		values map[string]int32
		want   map[string]int32
	}{
		{"CaseState", identificationv1.CaseState_value, map[string]int32{
			"CASE_STATE_OPEN": int32(workflow.StateOpen), "CASE_STATE_POSTING": int32(workflow.StatePosting),
			"CASE_STATE_CLOSED": int32(workflow.StateClosed)}},
		{"CaseOutcome", identificationv1.CaseOutcome_value, map[string]int32{
			"CASE_OUTCOME_APPROVED": int32(workflow.OutcomeApproved), "CASE_OUTCOME_REFUSED": int32(workflow.OutcomeRefused),
			"CASE_OUTCOME_WITHDRAWN": int32(workflow.OutcomeWithdrawn)}},
		{"CasePostingState", identificationv1.CasePostingState_value, map[string]int32{
			"CASE_POSTING_STATE_RUNNING": int32(workflow.PostingRunning), "CASE_POSTING_STATE_INTERRUPTED": int32(workflow.PostingInterrupted),
			"CASE_POSTING_STATE_COMPLETED": int32(workflow.PostingCompleted)}},
		{"HouseSafetyGrade", identificationv1.HouseSafetyGrade_value, map[string]int32{
			"HOUSE_SAFETY_GRADE_A": int32(domain.HouseSafetyA), "HOUSE_SAFETY_GRADE_B": int32(domain.HouseSafetyB),
			"HOUSE_SAFETY_GRADE_C": int32(domain.HouseSafetyC), "HOUSE_SAFETY_GRADE_D": int32(domain.HouseSafetyD)}},
		{"SchoolDropout", identificationv1.SchoolDropout_value, map[string]int32{
			"SCHOOL_DROPOUT_NONE": int32(domain.DropoutNone), "SCHOOL_DROPOUT_FOR_POVERTY": int32(domain.DropoutForPoverty),
			"SCHOOL_DROPOUT_FOR_DISABILITY": int32(domain.DropoutForDisability)}},
		{"HouseholdLabour", identificationv1.HouseholdLabour_value, map[string]int32{
			"HOUSEHOLD_LABOUR_ABLE": int32(domain.HouseholdLabourAble), "HOUSEHOLD_LABOUR_PARTIAL_LOSS": int32(domain.HouseholdLabourPartialLoss),
			"HOUSEHOLD_LABOUR_FULL_LOSS": int32(domain.HouseholdLabourFullLoss)}},
		{"DibaoClass", identificationv1.DibaoClass_value, map[string]int32{
			"DIBAO_CLASS_NONE": int32(domain.DibaoClassNone), "DIBAO_CLASS_FIRST": int32(domain.DibaoClassFirst),
			"DIBAO_CLASS_SECOND": int32(domain.DibaoClassSecond), "DIBAO_CLASS_OTHER": int32(domain.DibaoClassOther)}},
		{"InclusionRule", identificationv1.InclusionRule_value, map[string]int32{
			"INCLUSION_RULE_NONE": int32(domain.InclusionNone), "INCLUSION_RULE_INCOME_BELOW_LINE": int32(domain.InclusionIncomeBelowLine),
			"INCLUSION_RULE_EXTENDED_LINE_HARDSHIP": int32(domain.InclusionExtendedHardship),
			"INCLUSION_RULE_LABOUR_LOSS_SUPPORT":    int32(domain.InclusionLabourLossSupport)}},
		{"ExitItem", identificationv1.ExitItem_value, map[string]int32{
			"EXIT_ITEM_INCOME": int32(domain.ExitItemIncome), "EXIT_ITEM_FOOD_AND_CLOTHING": int32(domain.ExitItemFoodAndClothing),
			"EXIT_ITEM_COMPULSORY_EDUCATION":    int32(domain.ExitItemCompulsoryEducation),
			"EXIT_ITEM_BASIC_MEDICAL_INSURANCE": int32(domain.ExitItemBasicMedicalInsurance),
			"EXIT_ITEM_SAFE_HOUSING":            int32(domain.ExitItemSafeHousing), "EXIT_ITEM_SAFE_DRINKING_WATER": int32(domain.ExitItemSafeDrinkingWater),
			"EXIT_ITEM_HOUSEHOLD_CONSENT": int32(domain.ExitItemHouseholdConsent)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if len(tt.values) != len(tt.want)+1 {
				t.Errorf("the contract has %d values besides UNSPECIFIED, the code %d", len(tt.values)-1, len(tt.want))
			}
			for name, n := range tt.want {
				if got, ok := tt.values[name]; !ok || got != n {
					t.Errorf("%s = %d in the contract, %d in the code", name, got, n)
				}
			}
		})
	}
}

// Every reason the cases and the engine refuse with is a value of an ErrorReason enum.
func TestCaseReasonsAreContractValues(t *testing.T) {
	reasons := []string{
		domain.ReasonSurveyTeamSize, domain.ReasonReviewQuorumNotMet, domain.ReasonPopulationUnknown,
		domain.ReasonInclusionRuleNotMet, domain.ReasonExclusionHit, domain.ReasonIncomeUnknown, domain.ReasonExitConditionsUnmet,
		domain.ReasonRegistryStatusMismatch, domain.ReasonSurveyKindMismatch,
		workflow.ReasonStepOutOfOrder, workflow.ReasonCaseClosed, workflow.ReasonPostingPeriodNotOver,
		workflow.ReasonBackdateReasonRequired, workflow.ReasonCaseAlreadyOpen, workflow.ReasonPolicyValueMissing,
		workflow.ReasonInvalidField, workflow.ReasonOutOfRegionScope,
	}
	for _, r := range reasons {
		_, own := identificationv1.ErrorReason_value[r]
		_, common := commonv1.ErrorReason_value[r]
		if !own && !common {
			t.Errorf("reason %s is in no ErrorReason enum", r)
		}
	}
	for _, r := range []string{workflow.ReasonStepOutOfOrder, workflow.ReasonCaseClosed, workflow.ReasonPostingPeriodNotOver,
		workflow.ReasonBackdateReasonRequired, workflow.ReasonCaseAlreadyOpen, workflow.ReasonPolicyValueMissing} {
		if _, ok := commonv1.ErrorReason_value[r]; !ok {
			t.Errorf("the platform engine's reason %s is not in fupin.common.v1.ErrorReason", r)
		}
	}
}

// The 七不准 codes of the policy list are the ExclusionFacts field names.
func TestExclusionCodesAreContractFields(t *testing.T) {
	fields := (&identificationv1.ExclusionFacts{}).ProtoReflect().Descriptor().Fields()
	codes := domain.ExclusionCodes()
	if fields.Len() != len(codes) {
		t.Fatalf("%d fields, %d codes", fields.Len(), len(codes))
	}
	for _, c := range codes {
		if fields.ByName(protoreflect.Name(c)) == nil {
			t.Errorf("code %s is not a field of ExclusionFacts", c)
		}
	}
}
