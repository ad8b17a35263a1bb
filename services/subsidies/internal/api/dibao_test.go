package api

import (
	"encoding/json"
	"testing"
	"time"

	commonv1 "fupin.dev/proto/gen/fupin/common/v1"
	subsidiesv1 "fupin.dev/proto/gen/fupin/subsidies/v1"
	"fupin.dev/services/platform/pii"
	"fupin.dev/services/platform/workflow"
	"fupin.dev/services/subsidies/internal/domain"
)

// The area's enums convert by casting, so the domain's numbers must be the contract's.
func TestReliefEnumsMatchContract(t *testing.T) {
	tests := []struct {
		name   string
		values map[string]int32
		want   map[string]int32
	}{
		{"ReliefCaseState", subsidiesv1.ReliefCaseState_value, map[string]int32{"RELIEF_CASE_STATE_OPEN": int32(workflow.StateOpen),
			"RELIEF_CASE_STATE_POSTING": int32(workflow.StatePosting), "RELIEF_CASE_STATE_CLOSED": int32(workflow.StateClosed)}},
		{"ReliefCaseOutcome", subsidiesv1.ReliefCaseOutcome_value, map[string]int32{"RELIEF_CASE_OUTCOME_APPROVED": int32(workflow.OutcomeApproved),
			"RELIEF_CASE_OUTCOME_REFUSED": int32(workflow.OutcomeRefused), "RELIEF_CASE_OUTCOME_WITHDRAWN": int32(workflow.OutcomeWithdrawn)}},
		{"ReliefPostingState", subsidiesv1.ReliefPostingState_value, map[string]int32{"RELIEF_POSTING_STATE_RUNNING": int32(workflow.PostingRunning),
			"RELIEF_POSTING_STATE_INTERRUPTED": int32(workflow.PostingInterrupted), "RELIEF_POSTING_STATE_COMPLETED": int32(workflow.PostingCompleted)}},
		{"DibaoRule", subsidiesv1.DibaoRule_value, map[string]int32{"DIBAO_RULE_GAP": int32(domain.DibaoRuleGap),
			"DIBAO_RULE_FLOOR": int32(domain.DibaoRuleFloor), "DIBAO_RULE_INCOME_AT_OR_ABOVE_STANDARD": int32(domain.DibaoRuleAtOrAboveStandard)}},
		{"DibaoSupplementCategory", subsidiesv1.DibaoSupplementCategory_value, map[string]int32{
			"DIBAO_SUPPLEMENT_CATEGORY_MINOR": int32(domain.SupplementMinor), "DIBAO_SUPPLEMENT_CATEGORY_ELDERLY": int32(domain.SupplementElderly),
			"DIBAO_SUPPLEMENT_CATEGORY_SEVERELY_DISABLED": int32(domain.SupplementSeverelyDisabled),
			"DIBAO_SUPPLEMENT_CATEGORY_SERIOUSLY_ILL":     int32(domain.SupplementSeriouslyIll)}},
		{"DibaoCoverageState", subsidiesv1.DibaoCoverageState_value, map[string]int32{"DIBAO_COVERAGE_STATE_ACTIVE": int32(domain.CoverageActive),
			"DIBAO_COVERAGE_STATE_TAPER": int32(domain.CoverageTaper), "DIBAO_COVERAGE_STATE_ENDED": int32(domain.CoverageEnded)}},
		{"DibaoReviewOutcome", subsidiesv1.DibaoReviewOutcome_value, map[string]int32{"DIBAO_REVIEW_OUTCOME_UNCHANGED": int32(domain.ReviewUnchanged),
			"DIBAO_REVIEW_OUTCOME_CHANGED": int32(domain.ReviewChanged), "DIBAO_REVIEW_OUTCOME_TAPER": int32(domain.ReviewTaper),
			"DIBAO_REVIEW_OUTCOME_STOPPED": int32(domain.ReviewStopped)}},
		{"EligibilityCheckReason", subsidiesv1.EligibilityCheckReason_value, map[string]int32{
			"ELIGIBILITY_CHECK_REASON_MONITORING_CONFIRMED": int32(domain.CheckReasonMonitoringConfirmed),
			"ELIGIBILITY_CHECK_REASON_REGISTRY_POOR":        int32(domain.CheckReasonRegistryPoor),
			"ELIGIBILITY_CHECK_REASON_REGISTRY_RETURNED":    int32(domain.CheckReasonRegistryReturned)}},
		{"EligibilityCheckState", subsidiesv1.EligibilityCheckState_value, map[string]int32{
			"ELIGIBILITY_CHECK_STATE_OPEN": int32(domain.CheckOpen), "ELIGIBILITY_CHECK_STATE_CLOSED": int32(domain.CheckClosed)}},
		{"EligibilityCheckOutcome", subsidiesv1.EligibilityCheckOutcome_value, map[string]int32{
			"ELIGIBILITY_CHECK_OUTCOME_APPLICATION_OPENED": int32(domain.CheckOutcomeApplicationOpen),
			"ELIGIBILITY_CHECK_OUTCOME_NOT_ELIGIBLE":       int32(domain.CheckOutcomeNotEligible),
			"ELIGIBILITY_CHECK_OUTCOME_ALREADY_COVERED":    int32(domain.CheckOutcomeAlreadyCovered),
			"ELIGIBILITY_CHECK_OUTCOME_DECLINED":           int32(domain.CheckOutcomeDeclined)}},
		{"DestituteCondition", subsidiesv1.DestituteCondition_value, map[string]int32{
			"DESTITUTE_CONDITION_NO_LABOUR_ABILITY": int32(domain.DestituteNoLabourAbility),
			"DESTITUTE_CONDITION_NO_INCOME_SOURCE":  int32(domain.DestituteNoIncomeSource),
			"DESTITUTE_CONDITION_NO_ABLE_SUPPORTER": int32(domain.DestituteNoAbleSupporter)}},
		{"TemporaryAssistanceKind", subsidiesv1.TemporaryAssistanceKind_value, map[string]int32{
			"TEMPORARY_ASSISTANCE_KIND_EMERGENCY": int32(domain.AssistanceEmergency), "TEMPORARY_ASSISTANCE_KIND_SPENDING": int32(domain.AssistanceSpending)}},
		{"TemporaryAssistanceState", subsidiesv1.TemporaryAssistanceState_value, map[string]int32{
			"TEMPORARY_ASSISTANCE_STATE_PENDING": int32(domain.AssistancePending), "TEMPORARY_ASSISTANCE_STATE_APPROVED": int32(domain.AssistanceApproved),
			"TEMPORARY_ASSISTANCE_STATE_REFUSED": int32(domain.AssistanceRefused)}},
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

// Every reason the area refuses with is in the contract: its own in 150–249, the platform's in common.
func TestReliefReasonsInContract(t *testing.T) {
	for _, r := range []string{domain.ReasonDibaoSurveyTeamSize, domain.ReasonDibaoReviewQuorumNotMet, domain.ReasonDibaoIncomeAtOrAbove,
		domain.ReasonDibaoCoveredNotMember, domain.ReasonSinglePersonCoverageUnmet, domain.ReasonAlreadyCovered,
		domain.ReasonDibaoCoverageEnded, domain.ReasonEligibilityCheckClosed, domain.ReasonRegisterSubjectNotCurrent,
		domain.ReasonDestituteConditionsUnmet, domain.ReasonTemporaryAssistanceAboveCap, domain.ReasonTemporaryAssistanceDecided} {
		if v, ok := subsidiesv1.ErrorReason_value[r]; !ok || v < 150 || v > 249 {
			t.Errorf("%s: %d in the contract (present %v)", r, v, ok)
		}
	}
	if _, ok := subsidiesv1.ErrorReason_value[domain.ReasonRegisterSubjectUnknown]; !ok {
		t.Errorf("%s is not in the contract", domain.ReasonRegisterSubjectUnknown)
	}
	for _, r := range []string{workflow.ReasonInvalidField, workflow.ReasonOutOfRegionScope, workflow.ReasonPolicyValueMissing} {
		if _, ok := commonv1.ErrorReason_value[r]; !ok {
			t.Errorf("%s is not in fupin.common.v1.ErrorReason", r)
		}
	}
}

// Blind indexes stay in the trail for matching, and birth dates for recomputing ages, but people see
// neither: a birth year (withheld for the last two years), no age (pii.ViewRecord). Services keep both.
func TestStepDataViewOfPersons(t *testing.T) {
	today := time.Date(2025, 1, 5, 10, 0, 0, 0, time.UTC)
	data := []byte(`{"covered":[{"person_id":"p1","id_index":"secret","birth_date":"1950-02-28"},` +
		`{"person_id":"p2","birth_date":"2025-01-02"}],"id_index":"x","team":["a"],"evaluation":{"inputs":{"age":"74"}}}`)
	tests := []struct {
		name       string
		disclosure pii.Disclosure
		want       string
	}{
		{name: "people", disclosure: pii.DiscloseMasked, want: `{"covered":[{"birth_year":1950,"person_id":"p1"},` +
			`{"birth_year":0,"person_id":"p2"}],"evaluation":{"inputs":{}},"team":["a"]}`},
		{name: "services", disclosure: pii.DiscloseService, want: `{"covered":[{"birth_date":"1950-02-28","id_index":"secret",` +
			`"person_id":"p1"},{"birth_date":"2025-01-02","person_id":"p2"}],"evaluation":{"inputs":{"age":"74"}},"id_index":"x","team":["a"]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			steps, err := toReliefSteps([]workflow.Step{{Seq: 1, Name: "survey", Data: data}}, personView{disclosure: tt.disclosure, today: today})
			if err != nil {
				t.Fatal(err)
			}
			b, _ := json.Marshal(steps[0].GetData().AsMap())
			if got := string(b); got != tt.want {
				t.Errorf("data %s\nwant %s", got, tt.want)
			}
		})
	}
}
