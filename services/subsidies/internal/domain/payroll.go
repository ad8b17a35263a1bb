package domain

import "fupin.dev/services/platform/payroll"

// The payment roll is the platform's (services/platform/payroll): subsidies grants entitlements from its
// decisions and pays its programs' rolls through it. These names keep the subsidies code reading as it
// did before the move.
type (
	Program          = payroll.Program
	Entitlement      = payroll.Entitlement
	EntitlementStore = payroll.EntitlementStore
	RollNames        = payroll.RollNames
	HouseholdNames   = payroll.HouseholdNames
)

// Subsidies' programs: 民政's and 残联's.
const (
	ProgramUnspecified         = payroll.ProgramUnspecified
	ProgramDibao               = payroll.ProgramDibao
	ProgramDestitute           = payroll.ProgramDestitute
	ProgramTemporaryAssistance = payroll.ProgramTemporaryAssistance
	ProgramLivingSubsidy       = payroll.ProgramLivingSubsidy
	ProgramCareSubsidy         = payroll.ProgramCareSubsidy
)

// Programs lists the programs subsidies pays, in roll order.
var Programs = []Program{ProgramDibao, ProgramDestitute, ProgramTemporaryAssistance, ProgramLivingSubsidy,
	ProgramCareSubsidy}

// ParamRollComputeDay is the policy parameter of the day of the month (1–28) from which the leader
// computes the month's rolls by itself.
const ParamRollComputeDay = "subsidies.roll.compute_day"

// RollConfig is how subsidies appears to the payroll engine.
func RollConfig(service string) payroll.Config {
	return payroll.Config{Service: service, Programs: Programs, ComputeDayParam: ParamRollComputeDay}
}
