package domain

import (
	"context"
	"slices"
	"strings"

	"fupin.dev/services/platform/payroll"
)

// What the workshop and employment-subsidy rules read of the labour ledger (劳动力台账). The ledger is the
// core area's; these rules see it through the narrow WorkLedger interface below, so they do not depend on
// how the ledger keeps its spells, and their table tests need no database.

// WorkAway is how far from home a spell's work is, as the transport subsidy's bands see it: read from the
// spell's 务工状况 code.
type WorkAway int32

// Distances.
const (
	WorkAwayNone          WorkAway = iota // 01 乡镇内, 02 乡镇外县内, 05 其他, or not working: in the county
	WorkAwayInProvince                    // 03 县外省内务工
	WorkAwayOutOfProvince                 // 04 省外务工
)

// WorkAwayOf maps a spell's 务工状况 to its distance.
func WorkAwayOf(w WorkStatus) WorkAway {
	switch w {
	case WorkInProvince:
		return WorkAwayInProvince
	case WorkOutOfProvince:
		return WorkAwayOutOfProvince
	}
	return WorkAwayNone
}

// WorkSpellOf is a ledger spell as these rules read it. Only working spells (务工状况 01–05) are work;
// the employer cell is read as a credit code when it is one.
func WorkSpellOf(s Spell, householdID string) WorkSpell {
	w := WorkSpell{PersonID: s.PersonID, HouseholdID: householdID, Away: WorkAwayOf(s.WorkStatus),
		AtWorkshop: s.Mode == ModeWorkshop && s.WorkStatus.Working(), Employer: s.Employer, FromMonth: s.FromMonth, ToMonth: s.ToMonth}
	if code := strings.ToUpper(strings.TrimSpace(s.Employer)); payroll.ValidCreditCode(code) {
		w.EmployerCode = code
	}
	if !s.WorkStatus.Working() {
		w.Employer = ""
	}
	return w
}

// PoorHousehold reports whether a household is one the workshop and subsidy rules are for, from the
// register's statuses: registered poor (贫困户), exited (脱贫户) or returned (返贫), or an open monitoring
// object (监测户).
func PoorHousehold(registryStatus, monitoringStatus int32) bool {
	return (registryStatus >= 2 && registryStatus <= 4) || monitoringStatus == 1
}

// WorkSpell is one dated employment spell (就业状况) of a person as these rules read it.
type WorkSpell struct {
	PersonID    string
	HouseholdID string
	// Away is where the work is (from the 务工状况 code).
	Away WorkAway
	// AtWorkshop is 就业方式 车间: work in a 就业帮扶车间.
	AtWorkshop bool
	// EmployerCode is the employer's 统一社会信用代码 when the ledger's employer cell holds one (the
	// provincial file names employers by code or by name); Employer is the cell as recorded.
	EmployerCode string
	Employer     string
	// FromMonth and ToMonth (YYYY-MM) bound the spell; ToMonth "" while it goes on.
	FromMonth string
	ToMonth   string
}

// At reports whether the spell names the employer: by its credit code, or, when the ledger recorded a
// name, by the name the employer is registered under (spaces and case ignored).
func (s WorkSpell) At(creditCode, name string) bool {
	if s.EmployerCode != "" {
		return s.EmployerCode == creditCode
	}
	return name != "" && normEmployer(s.Employer) == normEmployer(name)
}

func normEmployer(s string) string { return strings.ToUpper(strings.Join(strings.Fields(s), "")) }

// covers reports whether the spell includes month.
func (s WorkSpell) covers(month string) bool {
	return s.FromMonth <= month && (s.ToMonth == "" || month <= s.ToMonth)
}

// WorkPerson is what the rules read of a person on the ledger in one month.
type WorkPerson struct {
	PersonID    string
	HouseholdID string
	// RegionCode is the household's village.
	RegionCode string
	// Poor is true when the household is 脱贫 or 监测 (a 防返贫监测 object) in the month: the workers a
	// workshop is recognised by and the people employment subsidies are for.
	Poor bool
	// Registered is the household's registration date (登记日期): no application dates from before it.
	Registered string
	// Dead is true when the register reports the person's death on or before the month.
	Dead bool
}

// WorkLedger is what the workshop and employment-subsidy rules need of the labour ledger.
type WorkLedger interface {
	// SpellsAtEmployer returns the spells that name the employer (WorkSpell.At: its credit code or its
	// registered name) and include any month from fromMonth to toMonth.
	SpellsAtEmployer(ctx context.Context, creditCode, name, fromMonth, toMonth string) ([]WorkSpell, error)
	// SpellsOfPerson returns the person's spells that include any month from fromMonth to toMonth.
	SpellsOfPerson(ctx context.Context, personID, fromMonth, toMonth string) ([]WorkSpell, error)
	// WorkPerson returns the person as the ledger has them in month; apperr NOT_FOUND when the person is
	// not on the ledger.
	WorkPerson(ctx context.Context, personID, month string) (*WorkPerson, error)
	// HouseholdPersons returns the ids of the persons the ledger holds in a household.
	HouseholdPersons(ctx context.Context, householdID string) ([]string, error)
}

// monthsCovered returns the distinct months from first to last covered by any of the spells that pass
// keep, in order.
func monthsCovered(spells []WorkSpell, first, last string, keep func(WorkSpell) bool) []string {
	var out []string
	for _, m := range payroll.MonthsBetween(first, last) {
		if slices.ContainsFunc(spells, func(s WorkSpell) bool { return keep(s) && s.covers(m) }) {
			out = append(out, m)
		}
	}
	return out
}

// consecutiveEndingAt counts the consecutive months up to and including last that are in months
// (sorted): a stable stretch of work ending in last.
func consecutiveEndingAt(months []string, last string) int {
	n := 0
	for m := last; slices.Contains(months, m); m = payroll.AddMonths(m, -1) {
		n++
	}
	return n
}

// longestRun returns the longest stretch of consecutive months in months (sorted, distinct) and its last
// month.
func longestRun(months []string) (int, string) {
	best, bestEnd, run := 0, "", 0
	for i, m := range months {
		if i > 0 && payroll.AddMonths(months[i-1], 1) == m {
			run++
		} else {
			run = 1
		}
		if run > best {
			best, bestEnd = run, m
		}
	}
	return best, bestEnd
}
