// Package payroll is the payment roll (发放名册) every paying department uses (shared/DESIGN.md, "Money: one
// way out of every department"): entitlements, monthly rolls of regular, 补发, 追回 and 重发 lines, their
// computation under a fencing token, approval and hand-off to finance (财政), exports, the scheduled
// computation under election, and the payment results funds reports back. It knows no transport and no
// SQL: payrollsql keeps it in a service's database (the tables come with the platform's migrations), and
// each paying service keeps its own API in front of it.
package payroll

import (
	"fmt"
	"strings"
)

// Program is a program that pays through the roll, unique in the county. Numbers are stored and equal
// fupin.payroll.v1.Program; the code ("dibao") names the program's rolls and is what funds checks
// allocations by.
type Program int32

// Programs of the county. A new one is added here (and to fupin.payroll.v1.Program) with its department,
// funding kind and payee kind; nowhere else.
const (
	ProgramUnspecified              Program = iota
	ProgramDibao                            // 低保: per household, monthly (民政)
	ProgramDestitute                        // 特困供养: per person, monthly (民政)
	ProgramTemporaryAssistance              // 临时救助: one payment, in the month it was approved (民政)
	ProgramLivingSubsidy                    // 困难残疾人生活补贴: per certificate holder, monthly (残联)
	ProgramCareSubsidy                      // 重度残疾人护理补贴: per certificate holder, monthly (残联)
	ProgramWelfarePostWage                  // 公益岗工资: per worker, monthly (人社)
	ProgramWorkshopReward                   // 就业帮扶车间奖补: to the workshop (人社)
	ProgramIndustryGrant                    // 产业奖补: per household (农业农村)
	ProgramCollectiveDividend               // 村集体经济分红: to the village collective (农业农村)
	ProgramTransportSubsidy                 // 一次性交通补助: per worker, once a year (人社)
	ProgramEmployerRetentionSubsidy         // 吸纳/稳岗补贴: to the employer, per worker kept (人社)
	ProgramTrainingAllowance                // 培训生活补贴: per trainee, per day attended (人社)
)

// Departments (token claim codes, auth.DepartmentCode) that own programs.
const (
	DepartmentCivilAffairs   = "civil_affairs"
	DepartmentFederation     = "disabled_persons_federation"
	DepartmentHumanResources = "human_resources"
	DepartmentAgriculture    = "agriculture"
)

// FundingKind is where a program's money comes from, as funds allocates it.
type FundingKind string

// Funding kinds.
const (
	// 社会救助资金 (中央和地方财政困难群众救助补助资金).
	FundingSocialAssistance FundingKind = "social_assistance"
	// 残疾人两项补贴资金.
	FundingDisabilitySubsidy FundingKind = "disability_subsidy"
	// 就业补助资金.
	FundingEmployment FundingKind = "employment"
	// 衔接推进乡村振兴补助资金.
	FundingRuralRevitalization FundingKind = "rural_revitalization"
	// 村集体经济收益 (not budget money: funds only books it).
	FundingCollectiveIncome FundingKind = "collective_income"
)

// PayeeKind is who a program's money goes to. Numbers equal fupin.payroll.v1.PayeeKind.
type PayeeKind int32

// Payee kinds.
const (
	PayeeUnspecified   PayeeKind = iota
	PayeePerson                  // 个人: beneficiary "persons/<id>" (or a grant naming one person)
	PayeeHouseholdHead           // 户主: beneficiary "households/<id>"
	PayeeOrganisation            // 单位: beneficiary "organisations/<统一社会信用代码>"
)

// ProgramInfo is one program of the county.
type ProgramInfo struct {
	Program Program
	// Code is unique in the county, e.g. "dibao": lower case, words joined by '-'.
	Code       string
	Name       string // Chinese name, as on exported rolls
	Department string
	Funding    FundingKind
	Payee      PayeeKind
}

// programs is the county's table of programs, in number order.
var programs = []ProgramInfo{
	{ProgramDibao, "dibao", "低保", DepartmentCivilAffairs, FundingSocialAssistance, PayeeHouseholdHead},
	{ProgramDestitute, "destitute", "特困供养", DepartmentCivilAffairs, FundingSocialAssistance, PayeePerson},
	{ProgramTemporaryAssistance, "temporary-assistance", "临时救助", DepartmentCivilAffairs, FundingSocialAssistance, PayeePerson},
	{ProgramLivingSubsidy, "living-subsidy", "困难残疾人生活补贴", DepartmentFederation, FundingDisabilitySubsidy, PayeePerson},
	{ProgramCareSubsidy, "care-subsidy", "重度残疾人护理补贴", DepartmentFederation, FundingDisabilitySubsidy, PayeePerson},
	{ProgramWelfarePostWage, "welfare-post-wage", "公益岗工资", DepartmentHumanResources, FundingEmployment, PayeePerson},
	{ProgramWorkshopReward, "workshop-reward", "就业帮扶车间奖补", DepartmentHumanResources, FundingEmployment, PayeeOrganisation},
	{ProgramIndustryGrant, "industry-grant", "产业奖补", DepartmentAgriculture, FundingRuralRevitalization, PayeeHouseholdHead},
	{ProgramCollectiveDividend, "collective-dividend", "村集体经济分红", DepartmentAgriculture, FundingCollectiveIncome, PayeeOrganisation},
	{ProgramTransportSubsidy, "transport-subsidy", "一次性交通补助", DepartmentHumanResources, FundingEmployment, PayeePerson},
	{ProgramEmployerRetentionSubsidy, "employer-retention-subsidy", "吸纳/稳岗补贴", DepartmentHumanResources, FundingEmployment, PayeeOrganisation},
	{ProgramTrainingAllowance, "training-allowance", "培训生活补贴", DepartmentHumanResources, FundingEmployment, PayeePerson},
}

// Programs returns the county's programs, in number order.
func Programs() []ProgramInfo { return append([]ProgramInfo(nil), programs...) }

// Info returns the program's row of the table; ok is false for an unknown program.
func (p Program) Info() (ProgramInfo, bool) {
	if p <= 0 || int(p) > len(programs) {
		return ProgramInfo{}, false
	}
	return programs[p-1], true
}

// Code is the program's county-wide code ("dibao"), or "" for an unknown program.
func (p Program) Code() string {
	i, _ := p.Info()
	return i.Code
}

// Department is the department that computes, approves, hands off and releases the program's rolls.
func (p Program) Department() string {
	i, _ := p.Info()
	return i.Department
}

func (p Program) label() string {
	i, _ := p.Info()
	return i.Name
}

func (p Program) String() string {
	if c := p.Code(); c != "" {
		return strings.ReplaceAll(c, "-", "_")
	}
	return fmt.Sprintf("Program(%d)", int32(p))
}

// ProgramByCode finds a program by its code; ok is false when none has it.
func ProgramByCode(code string) (Program, bool) {
	for _, i := range programs {
		if i.Code == code {
			return i.Program, true
		}
	}
	return 0, false
}

// ProgramsOf lists the programs a department owns, in number order.
func ProgramsOf(department string) []Program {
	var out []Program
	for _, i := range programs {
		if i.Department == department {
			out = append(out, i.Program)
		}
	}
	return out
}
