package domain

import (
	"fmt"
	"slices"

	"fupin.dev/services/platform/payroll"
	"fupin.dev/services/platform/policy"
)

// 零就业家庭 (ZeroEmploymentHousehold): the rule, free of storage and transport.
//
// A household is 零就业 in a month M when
//   - at least one current member is able to work: of working age in M (employment.ledger.working_age, 16–60
//     by default, age in M counted from the birth month: a member turning 16 in M counts in M, one turning
//     61 in M no longer does), with a labour ability that can work (普通, 技能, 弱/半劳动力; not 丧失 or 无
//     劳动力) and not a student (在校生); and
//   - no member is employed: a member is employed when a paid spell (any 务工状况 01–05, whatever the 就业
//     方式) covers M, or when their months of paid work in the window ending with M (the policy's
//     employment.zero_employment.window_months, 12 by default) are more than the policy's
//     employment.zero_employment.max_paid_months (3 by default).
//
// Why a rolling window and not the calendar year: the definition says "paid work for more than 3 months in
// the year"; counted by calendar year every migrant worker home for the Spring Festival in January would
// make the household 零就业 on 1 January. A member working in the month counts as employed even with fewer
// months so far, so that the aid case closes the day someone starts work ("消除一户"), as the cases'
// closing rule asks.

// Policy parameters of the 零就业 rule and the aid cases.
const (
	// ParamZeroEmploymentMaxPaidMonths: more months of paid work than this in the window is employed.
	ParamZeroEmploymentMaxPaidMonths = "employment.zero_employment.max_paid_months"
	// ParamZeroEmploymentWindowMonths: the months, ending with the month evaluated, paid work is counted in.
	ParamZeroEmploymentWindowMonths = "employment.zero_employment.window_months"
	// ParamAidCloseWithinDays: an aid case must close within this many calendar days of opening (day 1 is
	// the day after it opened); from the next day it is overdue.
	ParamAidCloseWithinDays = "employment.aid.close_within_days"
)

// AidLabour is a member's labour ability (劳动技能), numbered as the register's LabourAbility.
type AidLabour int32

// Labour abilities as the register numbers them.
const (
	AidLabourUnspecified AidLabour = iota // 未填
	AidLabourOrdinary                     // 普通劳动力
	AidLabourSkilled                      // 技能劳动力
	AidLabourPartial                      // 弱劳动力或半劳动力
	AidLabourLost                         // 丧失劳动力
	AidLabourNone                         // 无劳动力
)

// CanWork says whether the ability lets the member work: 弱/半劳动力 can (公益岗 exist for them); an
// ability not recorded counts as able, since the register leaves it empty mostly for ordinary adults and
// missing a household costs more than an aid case closed as not needed.
func (l AidLabour) CanWork() bool { return l != AidLabourLost && l != AidLabourNone }

// AidMember is what the rule needs of one current member of a household, as the labour ledger has it.
type AidMember struct {
	PersonID string
	// BirthMonth is YYYY-MM.
	BirthMonth string
	Labour     AidLabour
	Student    bool
	// PaidMonths are the months (YYYY-MM) with paid work recorded in the ledger's spells, at least those of
	// the window asked for; duplicates and months outside the window are ignored.
	PaidMonths []string
}

// AidHousehold is a household as the rule sees it.
type AidHousehold struct {
	ID         string
	RegionCode string
	// Followed says the labour ledger follows the household (脱贫, 监测 or 低保, not archived); a household
	// it does not follow is never 零就业 here.
	Followed bool
	Members  []AidMember
}

// ZeroEmploymentRule is the rule's policy for one region and date.
type ZeroEmploymentRule struct {
	MinAge        int `json:"min_age"`
	MaxAge        int `json:"max_age"`
	MaxPaidMonths int `json:"max_paid_months"`
	WindowMonths  int `json:"window_months"`
	// Used are the policy values read, in the order above (working age, max paid months, window).
	Used []policy.Value `json:"policy_values"`
}

// Why a household is not (or no longer) 零就业.
const (
	ZeroEmploymentNotFollowed = "not_followed"   // the ledger does not follow it (exited its scope, archived)
	ZeroEmploymentNoAble      = "no_able_member" // no member of working age able to work
	ZeroEmploymentEmployed    = "employed"       // a member is employed
)

// ZeroEmploymentFinding is the rule applied to a household in a month, with the facts it used.
type ZeroEmploymentFinding struct {
	HouseholdID string `json:"household_id"`
	Month       string `json:"month"`
	Zero        bool   `json:"zero_employment"`
	// Reason says why the household is not 零就业 (one of ZeroEmployment…); empty when it is.
	Reason string `json:"reason,omitempty"`
	// Able are the members able to work; Employed those counted employed (sorted person ids).
	Able     []string `json:"able_members"`
	Employed []string `json:"employed_members,omitempty"`
	// PaidMonths is each member's months of paid work in the window (members with none are left out).
	PaidMonths map[string]int `json:"paid_months,omitempty"`
}

// Window is the first and last month of the window ending with month.
func (r ZeroEmploymentRule) Window(month string) (first, last string) {
	n := max(r.WindowMonths, 1)
	return payroll.AddMonths(month, -(n - 1)), month
}

// Check refuses a rule that cannot be applied (policy values out of range).
func (r ZeroEmploymentRule) Check() error {
	switch {
	case r.MinAge < 0 || r.MaxAge < r.MinAge:
		return fmt.Errorf("%s: min %d, max %d is no age range", ParamWorkingAge, r.MinAge, r.MaxAge)
	case r.MaxPaidMonths < 0:
		return fmt.Errorf("%s: %d is negative", ParamZeroEmploymentMaxPaidMonths, r.MaxPaidMonths)
	case r.WindowMonths < 1 || r.WindowMonths > 36:
		return fmt.Errorf("%s: %d is not 1–36 months", ParamZeroEmploymentWindowMonths, r.WindowMonths)
	}
	return nil
}

// Evaluate applies the rule to h in month (YYYY-MM).
func (r ZeroEmploymentRule) Evaluate(h AidHousehold, month string) ZeroEmploymentFinding {
	f := ZeroEmploymentFinding{HouseholdID: h.ID, Month: month}
	if !h.Followed {
		f.Reason = ZeroEmploymentNotFollowed
		return f
	}
	first, last := r.Window(month)
	for _, m := range h.Members {
		paid, now := 0, false
		seen := map[string]bool{}
		for _, pm := range m.PaidMonths {
			if pm < first || pm > last || seen[pm] {
				continue
			}
			seen[pm] = true
			paid++
			now = now || pm == month
		}
		if paid > 0 {
			if f.PaidMonths == nil {
				f.PaidMonths = map[string]int{}
			}
			f.PaidMonths[m.PersonID] = paid
		}
		if now || paid > r.MaxPaidMonths {
			f.Employed = append(f.Employed, m.PersonID)
		}
		if age := AgeInMonth(m.BirthMonth, month); age >= 0 && age >= r.MinAge && age <= r.MaxAge && m.Labour.CanWork() && !m.Student {
			f.Able = append(f.Able, m.PersonID)
		}
	}
	slices.Sort(f.Able)
	slices.Sort(f.Employed)
	switch {
	case len(f.Employed) > 0:
		f.Reason = ZeroEmploymentEmployed
	case len(f.Able) == 0:
		f.Reason = ZeroEmploymentNoAble
	default:
		f.Zero = true
	}
	return f
}
