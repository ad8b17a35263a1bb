package domain

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"fupin.dev/services/platform/apperr"
	"fupin.dev/services/platform/bizdate"
	"fupin.dev/services/platform/payroll"
	"fupin.dev/services/platform/policy"
)

// 公益性岗位 (public welfare posts, 乡村公益岗 / 光伏公益岗): the rules, as pure functions of the facts and
// the policy values they use (shared/DOMAIN.md, "Employment"; research §A2). The use cases (posts.go)
// read the facts from the labour ledger and the policy from etcd, and keep the values and hashes they
// used with each decision.

// Policy parameters of 公益岗 (deploy/policy/defaults.json). Every number is policy, by region and date:
// counties differ (research §F: age caps 60–70, pay 300–550 元, 3 or 8 days of attendance).
const (
	// ParamPostMaxAge is the holder's highest age (in completed years) in the first month of a term (65).
	ParamPostMaxAge = "employment.public_welfare_post.max_age"
	// ParamPostMinAge is the holder's lowest age in the first month of a term (16).
	ParamPostMinAge = "employment.public_welfare_post.min_age"
	// ParamPostPay is the pay formula table (PostPayTable).
	ParamPostPay = "employment.public_welfare_post.pay"
	// ParamPostPostingDays is the minimum days an assignment is posted in the village (公示, 5).
	ParamPostPostingDays = "employment.public_welfare_post.posting_days"
	// ParamPostMaxTermMonths is the longest term of one assignment (12); a longer stay is a renewal.
	ParamPostMaxTermMonths = "employment.public_welfare_post.max_term_months"
	// ParamPostVacancyReportDays is the days within which a vacancy (空岗) must be reported (5); a later
	// report loses the whole month's pay of the month it fell vacant.
	ParamPostVacancyReportDays = "employment.public_welfare_post.vacancy_report_days"
)

// Reasons of 公益岗 refusals: values 100–149 of fupin.employment.v1.ErrorReason.
const (
	ReasonPostFieldInvalid         = "POST_FIELD_INVALID"          // INVALID_ARGUMENT
	ReasonPostHolderIneligible     = "POST_HOLDER_INELIGIBLE"      // FAILED_PRECONDITION, a violation per rule
	ReasonPersonHoldsPost          = "PERSON_HOLDS_POST"           // FAILED_PRECONDITION: one post per person
	ReasonPostOccupied             = "POST_OCCUPIED"               // FAILED_PRECONDITION: one holder per post
	ReasonPostTermTooLong          = "POST_TERM_TOO_LONG"          // INVALID_ARGUMENT on end_date
	ReasonAssignmentStartsEarly    = "ASSIGNMENT_STARTS_EARLY"     // FAILED_PRECONDITION: before the 公示 ends
	ReasonAttendanceInvalid        = "ATTENDANCE_INVALID"          // INVALID_ARGUMENT: days, grade or month
	ReasonAttendanceOutsideTerm    = "ATTENDANCE_OUTSIDE_TERM"     // FAILED_PRECONDITION
	ReasonAccidentInsuranceMissing = "ACCIDENT_INSURANCE_MISSING"  // FAILED_PRECONDITION
	ReasonAttendanceApproved       = "ATTENDANCE_ALREADY_APPROVED" // FAILED_PRECONDITION
	ReasonAssignmentNotActive      = "ASSIGNMENT_NOT_ACTIVE"       // FAILED_PRECONDITION
	ReasonVacancyInvalid           = "VACANCY_INVALID"             // INVALID_ARGUMENT: vacancy dates
	ReasonInsuranceInvalid         = "INSURANCE_INVALID"           // INVALID_ARGUMENT: insurance fields
	ReasonRenewalInvalid           = "RENEWAL_INVALID"             // FAILED_PRECONDITION: what a renewal renews
	ReasonPostClosed               = "POST_CLOSED"                 // FAILED_PRECONDITION
	ReasonPostLedgerUnavailable    = "POST_LEDGER_UNAVAILABLE"     // UNAVAILABLE
)

// Rules a holder is checked against: the violation types of POST_HOLDER_INELIGIBLE and the others.
const (
	RulePostOnLedger        = "ON_LABOUR_LEDGER"       // 在劳动力台账 (a member of a followed household)
	RulePostAlive           = "ALIVE"                  // 在世
	RulePostAgeCap          = "AGE_CAP"                // 年龄不超过上限
	RulePostMinAge          = "MIN_AGE"                // 年满最低年龄
	RulePostHouseholdStatus = "HOUSEHOLD_STATUS"       // 脱贫户、监测户或低保户成员
	RulePostLabourAbility   = "LABOUR_ABILITY"         // 弱劳力、半劳力或无法离乡
	RulePostNotWorkingAway  = "NOT_WORKING_AWAY"       // 当月未外出务工 (县外/省外)
	RuleOnePostPerPerson    = "ONE_POST_PER_PERSON"    // 一人一岗, 同一时间段不得双岗
	RuleOneHolderPerPost    = "ONE_HOLDER_PER_POST"    // 一岗一人
	RuleInsuranceBeforePay  = "INSURANCE_BEFORE_PAY"   // 上岗前购买人身意外伤害保险
	RulePostedBeforeStart   = "POSTED_BEFORE_START"    // 公示期满后上岗
	RuleAttendanceInTerm    = "ATTENDANCE_IN_TERM"     // 考勤月份在聘期内
	RuleAttendanceOnce      = "ATTENDANCE_ONCE"        // 每月考勤审核一次
	RuleRenewalFollows      = "RENEWAL_FOLLOWS_TERM"   // 续聘接续上一聘期
	RuleAssignmentActive    = "ASSIGNMENT_ACTIVE"      // 在岗
	RulePostOpen            = "POST_OPEN"              // 岗位未撤销
	RuleVacancyReportedLate = "VACANCY_REPORTED_LATE"  // 空岗未在规定天数内报告 (not a refusal: a forfeit)
	RuleTermWithinMaximum   = "TERM_WITHIN_MAXIMUM"    // 聘期不超过上限
	RuleHolderDiedOrMoved   = "HOLDER_LEFT_THE_REGION" // 死亡、迁出
)

// PostLabourAbility is a person's ability to work (劳动技能), as the register and the ledger record it.
// Numbers equal fupin.identification.v1.LabourAbility.
type PostLabourAbility int32

// Labour abilities.
const (
	LabourAbilityUnspecified PostLabourAbility = iota
	LabourAbilityOrdinary                      // 普通劳动力
	LabourAbilitySkilled                       // 技能劳动力
	LabourAbilityPartial                       // 弱劳动力或半劳动力
	LabourAbilityLost                          // 丧失劳动力
	LabourAbilityNone                          // 无劳动力 (children, students)
)

// WorkPlace is where an employment spell places a person in a month (务工状况 01–05), reduced to what
// the post's rule needs: whether the person works away from the county.
type WorkPlace int32

// Work places.
const (
	WorkPlaceNone          WorkPlace = iota // no spell away in the month (未就业, 在家, 乡镇内/县内)
	WorkPlaceInCounty                       // 01 乡镇内 / 02 乡镇外县内: a post is still possible
	WorkPlaceOutOfCounty                    // 03 县外省内
	WorkPlaceOutOfProvince                  // 04 省外
)

// Away reports whether the place keeps the person away from the village (县外 or 省外): 岗在人不在.
func (w WorkPlace) Away() bool { return w == WorkPlaceOutOfCounty || w == WorkPlaceOutOfProvince }

func (w WorkPlace) label() string {
	switch w {
	case WorkPlaceOutOfCounty:
		return "县外省内务工"
	case WorkPlaceOutOfProvince:
		return "省外务工"
	case WorkPlaceInCounty:
		return "县内务工"
	}
	return "未外出"
}

// PostHolderFacts is what the labour ledger knows of a person in one month, as the post's rules need it.
type PostHolderFacts struct {
	// Found is false when the person is no member of a household the ledger follows.
	Found       bool
	PersonID    string
	HouseholdID string
	// RegionCode is the household's village now.
	RegionCode string
	// Name is the person's name in plain text: only for the public notice, which masks it.
	Name string
	// BirthMonth is YYYY-MM.
	BirthMonth string
	// The household's statuses in the month: 脱贫 (exited poor, incl. 返贫 still registered), 监测 (a
	// monitoring object whose risk is not removed), 低保 (covered in the month).
	PovertyExited, Monitored, Dibao bool
	Ability                         PostLabourAbility
	// HomeBound says the person cannot leave home for work (无法离乡: cares for the sick, the old or
	// children), as the ledger records it.
	HomeBound bool
	// Place is where the person's spells put them in the month.
	Place WorkPlace
	// DeathDate is the register's date of death ("" while alive).
	DeathDate string
}

// PostLedger is what 公益岗 needs from the labour ledger (emp-core's area): one person's facts in one
// month. It must answer for every member of a household the ledger follows, not only those of working
// age (16–60): a post may be held up to its own age cap (65).
type PostLedger interface {
	PostHolderFacts(ctx context.Context, personID, month string) (PostHolderFacts, error)
}

// PostHolderRules are the policy values a holder is checked with, and their hashes.
type PostHolderRules struct {
	MinAge, MaxAge int
	Hashes         []string
}

// CheckPostHolder applies the holder's rules in month to the facts: one violation per rule not met
// (none: eligible). subject names the person ("persons/<id>").
func CheckPostHolder(f PostHolderFacts, r PostHolderRules, month string) []apperr.Violation {
	subject := "persons/" + f.PersonID
	v := func(rule, desc string) apperr.Violation {
		return apperr.Violation{Type: rule, Subject: subject, Description: desc}
	}
	if !f.Found {
		return []apperr.Violation{v(RulePostOnLedger, "the person is no member of a 脱贫, 监测 or 低保 household on the labour ledger")}
	}
	var out []apperr.Violation
	if f.DeathDate != "" && payroll.MonthOf(f.DeathDate) <= month {
		out = append(out, v(RulePostAlive, "the register records the person's death on "+f.DeathDate))
	}
	age := AgeInMonth(f.BirthMonth, month)
	switch {
	case age < 0:
		out = append(out, v(RulePostAgeCap, "the ledger has no birth month for the person"))
	case age > r.MaxAge:
		out = append(out, v(RulePostAgeCap, fmt.Sprintf("aged %d in %s: the cap is %d", age, month, r.MaxAge)))
	case age < r.MinAge:
		out = append(out, v(RulePostMinAge, fmt.Sprintf("aged %d in %s: the minimum is %d", age, month, r.MinAge)))
	}
	if !f.PovertyExited && !f.Monitored && !f.Dibao {
		out = append(out, v(RulePostHouseholdStatus, "the household is neither 脱贫, 监测 nor 低保 in "+month))
	}
	if !AbleForPost(f.Ability, f.HomeBound) {
		out = append(out, v(RulePostLabourAbility,
			"a post is for weak or semi labour (弱/半劳力) or a person who cannot leave home (无法离乡)"))
	}
	if f.Place.Away() {
		out = append(out, v(RulePostNotWorkingAway, fmt.Sprintf("the ledger records %s in %s", f.Place.label(), month)))
	}
	return out
}

// AbleForPost is the labour rule: weak or semi labour, or able labour that cannot leave home; never a
// person who lost the ability to work or has none (a child, a student).
func AbleForPost(a PostLabourAbility, homeBound bool) bool {
	switch a {
	case LabourAbilityPartial:
		return true
	case LabourAbilityOrdinary, LabourAbilitySkilled:
		return homeBound
	}
	return false
}

// PostGrade is the month's assessment (考评等级).
type PostGrade int32

// Grades.
const (
	PostGradeUnspecified PostGrade = iota
	PostGradeExcellent             // 优秀
	PostGradeQualified             // 合格
	PostGradeUnqualified           // 不合格
)

// Label is the grade's Chinese name.
func (g PostGrade) Label() string {
	switch g {
	case PostGradeExcellent:
		return "优秀"
	case PostGradeQualified:
		return "合格"
	case PostGradeUnqualified:
		return "不合格"
	}
	return ""
}

// PostPayTable is the pay formula (ParamPostPay): pay = monthly − (min days − days) × deduction when
// short, + the grade's adjustment, never below the floor nor above monthly + the grade's adjustment.
// MonthlyFen and MinDays are the defaults a new post takes; each post keeps its own.
type PostPayTable struct {
	MonthlyFen         int64 `json:"monthly_fen"`
	MinDays            int   `json:"min_days"`
	DeductionFenPerDay int64 `json:"deduction_fen_per_day_short"`
	FloorFen           int64 `json:"floor_fen"`
	GradeFen           struct {
		Excellent   int64 `json:"excellent"`
		Qualified   int64 `json:"qualified"`
		Unqualified int64 `json:"unqualified"`
	} `json:"grade_fen"`
}

// gradeFen is the grade's adjustment.
func (t PostPayTable) gradeFen(g PostGrade) int64 {
	switch g {
	case PostGradeExcellent:
		return t.GradeFen.Excellent
	case PostGradeUnqualified:
		return t.GradeFen.Unqualified
	case PostGradeQualified:
		return t.GradeFen.Qualified
	}
	return 0
}

// PostPay is a month's pay in 分 for days attended on a post paying monthlyFen with minDays required:
// full pay from minDays on, less the deduction per day short, plus the grade's adjustment, never below
// the table's floor (one day short of the minimum with the defaults: 300 − 100 = 200 元).
func PostPay(t PostPayTable, monthlyFen int64, minDays, days int, grade PostGrade) int64 {
	pay := monthlyFen
	if short := minDays - days; short > 0 {
		pay -= int64(short) * t.DeductionFenPerDay
	}
	pay += t.gradeFen(grade)
	return max(pay, t.FloorFen, 0)
}

// CheckAttendanceInput checks a month's attendance: days 0…the month's days, a grade, a month YYYY-MM.
func CheckAttendanceInput(month string, days int, grade PostGrade) error {
	m, err := payroll.ParseMonth(month)
	if err != nil {
		return apperr.Invalid(ReasonAttendanceInvalid, "month", "must be YYYY-MM")
	}
	inMonth := m.AddDate(0, 1, -1).Day()
	var fs []apperr.FieldViolation
	if days < 0 || days > inMonth {
		fs = append(fs, apperr.FieldViolation{Field: "days", Reason: ReasonAttendanceInvalid,
			Description: fmt.Sprintf("must be 0 to %d, the days of %s", inMonth, month)})
	}
	if grade < PostGradeExcellent || grade > PostGradeUnqualified {
		fs = append(fs, apperr.FieldViolation{Field: "grade", Reason: ReasonAttendanceInvalid,
			Description: "must be 优秀, 合格 or 不合格"})
	}
	if len(fs) > 0 {
		return apperr.InvalidFields(fs...)
	}
	return nil
}

// TermEnd is the last day a term of n months starting on start may run to: the day before the same day
// n months later (2026-01-01 + 12 months → 2026-12-31).
func TermEnd(start string, months int) (string, error) {
	t, err := bizdate.Parse(start)
	if err != nil {
		return "", err
	}
	return bizdate.Today(t.AddDate(0, months, -1)), nil
}

// CheckTerm checks an assignment's dates: both dates, end not before start, and at most maxMonths long.
func CheckTerm(start, end string, maxMonths int) error {
	if _, err := bizdate.Parse(start); err != nil {
		return apperr.Invalid(ReasonPostFieldInvalid, "start_date", err.Error())
	}
	if _, err := bizdate.Parse(end); err != nil {
		return apperr.Invalid(ReasonPostFieldInvalid, "end_date", err.Error())
	}
	if end < start {
		return apperr.Invalid(ReasonPostFieldInvalid, "end_date", "must not be before start_date")
	}
	last, _ := TermEnd(start, maxMonths)
	if end > last {
		return apperr.Invalid(ReasonPostTermTooLong, "end_date",
			fmt.Sprintf("a term is at most %d months (to %s at the latest); a longer stay is a renewal (续聘)", maxMonths, last))
	}
	return nil
}

// VacancyReport is the rule of the vacancy (空岗) report: reported on day Day after the post fell vacant
// (day 1 the day after), within the policy's days or not.
type VacancyReport struct {
	Day  int
	Late bool
	// ForfeitFrom is the first month whose pay is not due: the month after the vacancy when reported in
	// time, the vacancy's own month when late (its whole pay is lost and recovered if paid).
	ForfeitFrom string
}

// JudgeVacancy applies the report rule to a post vacated on vacated and reported on reported.
func JudgeVacancy(vacated, reported string, days int) (VacancyReport, error) {
	d, err := bizdate.DaysAfter(vacated, reported)
	if err != nil {
		return VacancyReport{}, apperr.Invalid(ReasonVacancyInvalid, "vacated_on", err.Error())
	}
	if d < 0 {
		return VacancyReport{}, apperr.Invalid(ReasonVacancyInvalid, "vacated_on", "must not be after the day it is reported")
	}
	r := VacancyReport{Day: d, Late: d > days, ForfeitFrom: payroll.AddMonths(payroll.MonthOf(vacated), 1)}
	if r.Late {
		r.ForfeitFrom = payroll.MonthOf(vacated)
	}
	return r, nil
}

// PostInsurance is the accident insurance (人身意外伤害保险) recorded for an assignment.
type PostInsurance struct {
	Insurer      string
	PolicyNumber string
	// From and To are the dates covered (YYYY-MM-DD).
	From, To string
}

// Covers reports whether the insurance covers any day of month: pay for a month needs insurance in force
// in it (bought before the first pay, kept during the term).
func (i *PostInsurance) Covers(month string) bool {
	if i == nil || i.From == "" {
		return false
	}
	return payroll.MonthOf(i.From) <= month && month <= payroll.MonthOf(i.To)
}

// CheckInsurance checks an insurance's fields.
func CheckInsurance(i PostInsurance) error {
	var fs []apperr.FieldViolation
	if strings.TrimSpace(i.Insurer) == "" {
		fs = append(fs, apperr.FieldViolation{Field: "insurance.insurer", Reason: ReasonInsuranceInvalid, Description: "required"})
	}
	if strings.TrimSpace(i.PolicyNumber) == "" || len(i.PolicyNumber) > 64 {
		fs = append(fs, apperr.FieldViolation{Field: "insurance.policy_number", Reason: ReasonInsuranceInvalid, Description: "required, at most 64 characters"})
	}
	_, errFrom := bizdate.Parse(i.From)
	if errFrom != nil {
		fs = append(fs, apperr.FieldViolation{Field: "insurance.from_date", Reason: ReasonInsuranceInvalid, Description: "must be YYYY-MM-DD"})
	}
	if _, err := bizdate.Parse(i.To); err != nil || (errFrom == nil && i.To < i.From) {
		fs = append(fs, apperr.FieldViolation{Field: "insurance.to_date", Reason: ReasonInsuranceInvalid, Description: "must be YYYY-MM-DD, not before from_date"})
	}
	if len(fs) > 0 {
		return apperr.InvalidFields(fs...)
	}
	return nil
}

// PostPolicy reads policy parameters (satisfied by *policy.Store).
type PostPolicy interface {
	Decode(parameter, regionCode string, date time.Time, into any) (policy.Value, error)
}

// holderRules reads the holder's rules for region on date.
func holderRules(p PostPolicy, region string, date time.Time) (PostHolderRules, error) {
	var r PostHolderRules
	for _, x := range []struct {
		param string
		into  *int
	}{{ParamPostMaxAge, &r.MaxAge}, {ParamPostMinAge, &r.MinAge}} {
		v, err := p.Decode(x.param, region, date, x.into)
		if err != nil {
			return r, policyMissing(x.param, region, err)
		}
		r.Hashes = append(r.Hashes, v.Hash)
	}
	return r, nil
}

// policyInt reads one integer parameter.
func policyInt(p PostPolicy, param, region string, date time.Time) (int, policy.Value, error) {
	var n int
	v, err := p.Decode(param, region, date, &n)
	if err != nil {
		return 0, v, policyMissing(param, region, err)
	}
	return n, v, nil
}

// payTable reads the pay formula for region on date.
func payTable(p PostPolicy, region string, date time.Time) (PostPayTable, policy.Value, error) {
	var t PostPayTable
	v, err := p.Decode(ParamPostPay, region, date, &t)
	if err != nil {
		return t, v, policyMissing(ParamPostPay, region, err)
	}
	return t, v, nil
}

func policyMissing(param, region string, err error) error {
	return apperr.Refused("POLICY_VALUE_MISSING", apperr.Violation{Type: "POLICY_VALUE", Subject: "policy/" + param,
		Description: fmt.Sprintf("no value of %s for region %s: %v", param, region, err)})
}

// monthStart is the first day of month as a time in the county's zone, for policy lookups.
func monthStart(month string) time.Time {
	t, _ := payroll.ParseMonth(month)
	return t
}

// sortedUnique returns the distinct strings of s in order.
func sortedUnique(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return slices.Compact(s)
}
