package api

import (
	"testing"

	commonv1 "fupin.dev/proto/gen/fupin/common/v1"
	identificationv1 "fupin.dev/proto/gen/fupin/identification/v1"
	"fupin.dev/services/identification/internal/domain"
)

// The income and monitoring enums of the domain share their numbers with the contract, so converting is a
// cast: this keeps them in step.
func TestIncomeAndMonitoringEnumsMatchContract(t *testing.T) {
	tests := []struct {
		name  string
		got   int32
		names map[int32]string
		want  string
	}{
		{"wages", int32(domain.IncomeWages), identificationv1.IncomeItemType_name, "INCOME_ITEM_TYPE_WAGES"},
		{"production cost", int32(domain.IncomeProductionCost), identificationv1.IncomeItemType_name, "INCOME_ITEM_TYPE_PRODUCTION_COST"},
		{"rigid spending", int32(domain.IncomeRigidSpending), identificationv1.IncomeItemType_name, "INCOME_ITEM_TYPE_RIGID_SPENDING"},
		{"education", int32(domain.RigidEducation), identificationv1.RigidSpendingKind_name, "RIGID_SPENDING_KIND_EDUCATION"},
		{"department source", int32(domain.IncomeSourceDepartment), identificationv1.IncomeSource_name, "INCOME_SOURCE_DEPARTMENT"},
		{"other transfer", int32(domain.TransferOther), identificationv1.TransferProgram_name, "TRANSFER_PROGRAM_OTHER"},
		{"agricultural subsidy", int32(domain.TransferAgriculturalSubsidy), identificationv1.TransferProgram_name, "TRANSFER_PROGRAM_AGRICULTURAL_SUBSIDY"},
		{"monitoring program", int32(domain.ProgramMonitoring), identificationv1.IncomeProgram_name, "INCOME_PROGRAM_MONITORING"},
		{"rural revitalization", int32(domain.DeptRuralRevitalization), commonv1.Department_name, "DEPARTMENT_RURAL_REVITALIZATION"},
		{"medical security", int32(domain.DeptMedicalSecurity), commonv1.Department_name, "DEPARTMENT_MEDICAL_SECURITY"},
		{"public security", int32(domain.DeptPublicSecurity), commonv1.Department_name, "DEPARTMENT_PUBLIC_SECURITY"},
		{"department screening", int32(domain.ClueSourceDepartmentScreening), identificationv1.ClueSource_name, "CLUE_SOURCE_DEPARTMENT_SCREENING"},
		{"income in range", int32(domain.ClueIncomeInRange), identificationv1.ClueKind_name, "CLUE_KIND_INCOME_IN_RANGE"},
		{"rigid spending clue", int32(domain.ClueRigidSpending), identificationv1.ClueKind_name, "CLUE_KIND_RIGID_SPENDING"},
		{"other clue", int32(domain.ClueOther), identificationv1.ClueKind_name, "CLUE_KIND_OTHER"},
		{"posting", int32(domain.StagePosting), identificationv1.MonitoringStage_name, "MONITORING_STAGE_POSTING"},
		{"not confirmed", int32(domain.StageNotConfirmed), identificationv1.MonitoringStage_name, "MONITORING_STAGE_NOT_CONFIRMED"},
		{"import failed", int32(domain.ImportFailed), identificationv1.ClueImportOutcome_name, "CLUE_IMPORT_OUTCOME_FAILED"},
	}
	for _, tt := range tests {
		if tt.names[tt.got] != tt.want {
			t.Errorf("%s: domain value %d is %s in the contract, want %s", tt.name, tt.got, tt.names[tt.got], tt.want)
		}
	}
	for _, r := range []string{domain.ReasonIncomeItemInvalid, domain.ReasonIncomePeriodInvalid, domain.ReasonSourceNotCallersDepartment,
		domain.ReasonExternalReferenceConflict, domain.ReasonClueHouseholdUnknown, domain.ReasonMonitoringTypeNotAllowed,
		domain.ReasonAlreadyMonitored, domain.ReasonNotMonitored, domain.ReasonNoteRequired} {
		if v, ok := identificationv1.ErrorReason_value[r]; !ok || v < 150 || v > 199 {
			t.Errorf("reason %s is not in fupin.identification.v1.ErrorReason 150–199", r)
		}
	}
}
