package domain

import (
	"time"

	"fupin.dev/services/platform/payroll"
)

// WorkStatus is a spell's 务工状况 (fupin.employment.v1.WorkStatus): codes 01–05 of the provincial 人社
// platform are work; the others are not.
type WorkStatus int32

const (
	WorkUnspecified   WorkStatus = iota
	WorkLocalTownship            // 01 乡镇内
	WorkInCounty                 // 02 乡镇外县内
	WorkInProvince               // 03 县外省内
	WorkOutOfProvince            // 04 省外
	WorkOther                    // 05 其他
	WorkUnemployed               // 未就业
	WorkStudent                  // 在校
	WorkUnfit                    // 不宜就业
)

// WorkStatusNames are the filter's names of the statuses.
var WorkStatusNames = map[string]int32{"LOCAL_TOWNSHIP": 1, "IN_COUNTY": 2, "IN_PROVINCE": 3, "OUT_OF_PROVINCE": 4,
	"OTHER": 5, "UNEMPLOYED": 6, "STUDENT": 7, "UNFIT": 8}

// Working reports whether the status is work (codes 01–05).
func (w WorkStatus) Working() bool { return w >= WorkLocalTownship && w <= WorkOther }

// Mode is a working spell's 就业方式 (fupin.employment.v1.EmploymentMode).
type Mode int32

const (
	ModeNone         Mode = iota
	ModeWageWork          // 务工
	ModeWelfarePost       // 公益岗
	ModeWorkshop          // 帮扶车间
	ModeSelfEmployed      // 自主创业
	ModeFlexible          // 灵活就业
)

// Source is where a spell came from (fupin.employment.v1.SpellSource).
type Source int32

const (
	SourceStaff  Source = 1
	SourceImport Source = 2
)

// Spell is a dated period of one 务工状况 of a person, from FromMonth to ToMonth (both YYYY-MM, included;
// ToMonth "" while it goes on).
type Spell struct {
	ID               string
	PersonID         string
	WorkStatus       WorkStatus
	Mode             Mode
	Employer         string
	Place            string
	MonthlyIncomeFen int64
	FromMonth        string
	ToMonth          string
	Source           Source
	CreateTime       time.Time
}

// Covers reports whether the spell includes month (YYYY-MM; months compare as text).
func (s Spell) Covers(month string) bool {
	return s.FromMonth <= month && (s.ToMonth == "" || month <= s.ToMonth)
}

// Overlaps reports whether the spell has a month in [from, to].
func (s Spell) Overlaps(from, to string) bool {
	return s.FromMonth <= to && (s.ToMonth == "" || s.ToMonth >= from)
}

// UnemploymentKind is what an unemployment period records (fupin.employment.v1.UnemploymentKind).
type UnemploymentKind int32

const (
	UnemploymentRegistration UnemploymentKind = 1 // 失业登记
	UnemploymentBenefit      UnemploymentKind = 2 // 失业保险金
)

// UnemploymentPeriod is a 失业登记 or 失业保险金 period (months included; ToMonth "" while it goes on).
type UnemploymentPeriod struct {
	ID               string
	PersonID         string
	Kind             UnemploymentKind
	FromMonth        string
	ToMonth          string
	MonthlyAmountFen int64
	Source           Source
	CreateTime       time.Time
}

// Covers reports whether the period includes month.
func (u UnemploymentPeriod) Covers(month string) bool {
	return u.FromMonth <= month && (u.ToMonth == "" || month <= u.ToMonth)
}

// Overlaps reports whether the period has a month in [from, to].
func (u UnemploymentPeriod) Overlaps(from, to string) bool {
	return u.FromMonth <= to && (u.ToMonth == "" || u.ToMonth >= from)
}

// MonthFigures is what a person earned in one month: wages from the month's working spells and 失业保险金.
type MonthFigures struct {
	Month                  string
	WageFen                int64
	UnemploymentBenefitFen int64
	Worked                 bool
}

// MonthlyFigures derives, for every month from first to last (YYYY-MM, included), the wage income (the
// sum of the monthly incomes of the working spells covering the month: two part-time jobs count both),
// whether the month was worked, and the 失业保险金 received. A working spell with no income recorded still
// makes the month worked: 务工月数 counts months, not money.
func MonthlyFigures(spells []Spell, periods []UnemploymentPeriod, first, last string) []MonthFigures {
	months := payroll.MonthsBetween(first, last)
	out := make([]MonthFigures, len(months))
	for i, m := range months {
		f := MonthFigures{Month: m}
		for _, s := range spells {
			if s.WorkStatus.Working() && s.Covers(m) {
				f.Worked = true
				f.WageFen += s.MonthlyIncomeFen
			}
		}
		for _, u := range periods {
			if u.Kind == UnemploymentBenefit && u.Covers(m) {
				f.UnemploymentBenefitFen += u.MonthlyAmountFen
			}
		}
		out[i] = f
	}
	return out
}

// MonthsWorked counts the months from first to last (included) with a working spell (务工月数): the
// figure 零就业 (≤ 3 months of paid work in a year) and the transport subsidy (≥ 3 months recorded) read.
func MonthsWorked(spells []Spell, first, last string) int {
	n := 0
	for _, f := range MonthlyFigures(spells, nil, first, last) {
		if f.Worked {
			n++
		}
	}
	return n
}

// AgeInMonth is a person's age in completed years during month (YYYY-MM), from their birth month: the
// age they reach in that month counts for the whole month, so a person born in May 1964 is 60 in May 2024.
func AgeInMonth(birthMonth, month string) int {
	b, err1 := payroll.ParseMonth(birthMonth)
	m, err2 := payroll.ParseMonth(month)
	if err1 != nil || err2 != nil {
		return -1
	}
	age := m.Year() - b.Year()
	if m.Month() < b.Month() {
		age--
	}
	return age
}
