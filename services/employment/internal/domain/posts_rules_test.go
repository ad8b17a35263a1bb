package domain

import (
	"errors"
	"slices"
	"testing"

	"fupin.dev/services/platform/apperr"
)

// defaultPay is the default pay table of deploy/policy/defaults.json: 300 元, 3 days, −100 元 a day short,
// floor 0, no grade adjustments.
func defaultPay() PostPayTable {
	return PostPayTable{MonthlyFen: 30000, MinDays: 3, DeductionFenPerDay: 10000}
}

func TestPostPay(t *testing.T) {
	graded := defaultPay()
	graded.GradeFen.Excellent, graded.GradeFen.Unqualified = 5000, -20000
	floored := defaultPay()
	floored.FloorFen = 5000
	for _, tc := range []struct {
		name       string
		table      PostPayTable
		monthly    int64
		min, days  int
		grade      PostGrade
		wantFen    int64
		wantReason string
	}{
		{name: "at the minimum: full pay", table: defaultPay(), monthly: 30000, min: 3, days: 3, grade: PostGradeQualified, wantFen: 30000},
		{name: "one day short: less one deduction", table: defaultPay(), monthly: 30000, min: 3, days: 2, grade: PostGradeQualified, wantFen: 20000},
		{name: "every day attended: no more than full pay", table: defaultPay(), monthly: 30000, min: 3, days: 31, grade: PostGradeQualified, wantFen: 30000},
		{name: "three days short: nothing", table: defaultPay(), monthly: 30000, min: 3, days: 0, grade: PostGradeQualified, wantFen: 0},
		{name: "more short than the pay: floor 0, never negative", table: defaultPay(), monthly: 30000, min: 8, days: 0, grade: PostGradeQualified, wantFen: 0},
		{name: "a floor of policy holds", table: floored, monthly: 30000, min: 3, days: 0, grade: PostGradeQualified, wantFen: 5000},
		{name: "the post's own pay (a heavy post, 550 元)", table: defaultPay(), monthly: 55000, min: 8, days: 7, grade: PostGradeQualified, wantFen: 45000},
		{name: "excellent adds policy's bonus", table: graded, monthly: 30000, min: 3, days: 3, grade: PostGradeExcellent, wantFen: 35000},
		{name: "unqualified takes policy's penalty", table: graded, monthly: 30000, min: 3, days: 3, grade: PostGradeUnqualified, wantFen: 10000},
		{name: "unqualified and short: floor", table: graded, monthly: 30000, min: 3, days: 1, grade: PostGradeUnqualified, wantFen: 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := PostPay(tc.table, tc.monthly, tc.min, tc.days, tc.grade); got != tc.wantFen {
				t.Errorf("PostPay = %d 分, want %d", got, tc.wantFen)
			}
		})
	}
}

func TestPostAgeInMonth(t *testing.T) {
	for _, tc := range []struct {
		name, birth, month string
		want               int
	}{
		{"the birth month counts as the birthday", "1961-03", "2026-03", 65},
		{"the month before the birthday", "1961-03", "2026-02", 64},
		{"later in the year", "1961-03", "2026-12", 65},
		{"January birth, December month", "1960-01", "2026-12", 66},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := AgeInMonth(tc.birth, tc.month); got != tc.want {
				t.Errorf("AgeInMonth(%s, %s) = %d, want %d", tc.birth, tc.month, got, tc.want)
			}
		})
	}
}

func eligible() PostHolderFacts {
	return PostHolderFacts{Found: true, PersonID: "p1", HouseholdID: "h1", RegionCode: "990101001001",
		BirthMonth: "1970-05", PovertyExited: true, Ability: LabourAbilityPartial}
}

func TestCheckPostHolder(t *testing.T) {
	rules := PostHolderRules{MinAge: 16, MaxAge: 65}
	const month = "2026-06"
	for _, tc := range []struct {
		name  string
		facts func(f *PostHolderFacts)
		want  []string // rules violated
	}{
		{name: "eligible", facts: func(*PostHolderFacts) {}},
		{name: "aged 65: at the cap", facts: func(f *PostHolderFacts) { f.BirthMonth = "1961-06" }},
		{name: "aged 66: over the cap", facts: func(f *PostHolderFacts) { f.BirthMonth = "1960-06" }, want: []string{RulePostAgeCap}},
		{name: "65 until the month of the 66th birthday", facts: func(f *PostHolderFacts) { f.BirthMonth = "1960-07" }},
		{name: "aged 16: at the minimum", facts: func(f *PostHolderFacts) { f.BirthMonth = "2010-06" }},
		{name: "aged 15: under the minimum", facts: func(f *PostHolderFacts) { f.BirthMonth = "2010-07" }, want: []string{RulePostMinAge}},
		{name: "no birth month", facts: func(f *PostHolderFacts) { f.BirthMonth = "" }, want: []string{RulePostAgeCap}},
		{name: "监测 household", facts: func(f *PostHolderFacts) { f.PovertyExited, f.Monitored = false, true }},
		{name: "低保 household", facts: func(f *PostHolderFacts) { f.PovertyExited, f.Dibao = false, true }},
		{name: "neither 脱贫, 监测 nor 低保", facts: func(f *PostHolderFacts) { f.PovertyExited = false }, want: []string{RulePostHouseholdStatus}},
		{name: "ordinary labour able to leave home", facts: func(f *PostHolderFacts) { f.Ability = LabourAbilityOrdinary }, want: []string{RulePostLabourAbility}},
		{name: "ordinary labour who cannot leave home", facts: func(f *PostHolderFacts) { f.Ability, f.HomeBound = LabourAbilityOrdinary, true }},
		{name: "skilled labour who cannot leave home", facts: func(f *PostHolderFacts) { f.Ability, f.HomeBound = LabourAbilitySkilled, true }},
		{name: "lost the ability to work", facts: func(f *PostHolderFacts) { f.Ability, f.HomeBound = LabourAbilityLost, true }, want: []string{RulePostLabourAbility}},
		{name: "no labour (student)", facts: func(f *PostHolderFacts) { f.Ability = LabourAbilityNone }, want: []string{RulePostLabourAbility}},
		{name: "ability unknown", facts: func(f *PostHolderFacts) { f.Ability = LabourAbilityUnspecified }, want: []string{RulePostLabourAbility}},
		{name: "working 省外 in the month", facts: func(f *PostHolderFacts) { f.Place = WorkPlaceOutOfProvince }, want: []string{RulePostNotWorkingAway}},
		{name: "working 县外省内 in the month", facts: func(f *PostHolderFacts) { f.Place = WorkPlaceOutOfCounty }, want: []string{RulePostNotWorkingAway}},
		{name: "working in the county", facts: func(f *PostHolderFacts) { f.Place = WorkPlaceInCounty }},
		{name: "died in the month", facts: func(f *PostHolderFacts) { f.DeathDate = "2026-06-20" }, want: []string{RulePostAlive}},
		{name: "dies after the month", facts: func(f *PostHolderFacts) { f.DeathDate = "2026-07-01" }},
		{name: "not on the ledger: nothing else is checked", facts: func(f *PostHolderFacts) { f.Found, f.PovertyExited = false, false }, want: []string{RulePostOnLedger}},
		{name: "every rule at once", facts: func(f *PostHolderFacts) {
			f.BirthMonth, f.PovertyExited, f.Ability, f.Place = "1950-01", false, LabourAbilityOrdinary, WorkPlaceOutOfProvince
		}, want: []string{RulePostAgeCap, RulePostHouseholdStatus, RulePostLabourAbility, RulePostNotWorkingAway}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := eligible()
			tc.facts(&f)
			var got []string
			for _, v := range CheckPostHolder(f, rules, month) {
				got = append(got, v.Type)
				if v.Subject != "persons/p1" || v.Description == "" {
					t.Errorf("violation %+v: want subject persons/p1 and a description", v)
				}
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("violations %v, want %v", got, tc.want)
			}
		})
	}
}

func TestCheckTerm(t *testing.T) {
	for _, tc := range []struct {
		name, start, end string
		wantReason       string
		wantField        string
	}{
		{name: "12 months", start: "2026-01-01", end: "2026-12-31"},
		{name: "12 months from mid-month", start: "2026-01-15", end: "2027-01-14"},
		{name: "13 months", start: "2026-01-01", end: "2027-01-31", wantReason: ReasonPostTermTooLong, wantField: "end_date"},
		{name: "12 months and a day", start: "2026-01-01", end: "2027-01-01", wantReason: ReasonPostTermTooLong, wantField: "end_date"},
		{name: "one day", start: "2026-01-01", end: "2026-01-01"},
		{name: "ends before it starts", start: "2026-02-01", end: "2026-01-31", wantReason: ReasonPostFieldInvalid, wantField: "end_date"},
		{name: "no start", start: "", end: "2026-01-31", wantReason: ReasonPostFieldInvalid, wantField: "start_date"},
		{name: "impossible end", start: "2026-01-01", end: "2026-02-30", wantReason: ReasonPostFieldInvalid, wantField: "end_date"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckTerm(tc.start, tc.end, 12)
			checkInvalid(t, err, tc.wantReason, tc.wantField)
		})
	}
}

func checkInvalid(t *testing.T, err error, reason, field string) {
	t.Helper()
	if reason == "" {
		if err != nil {
			t.Fatalf("err = %v, want none", err)
		}
		return
	}
	e, ok := apperr.As(err)
	if !ok || e.Kind != apperr.KindInvalid || e.Reason != reason || len(e.Fields) == 0 || e.Fields[0].Field != field {
		t.Fatalf("err = %v, want INVALID_ARGUMENT %s on %s", err, reason, field)
	}
}

func TestJudgeVacancy(t *testing.T) {
	for _, tc := range []struct {
		name, vacated, reported string
		wantDay                 int
		wantLate                bool
		wantForfeit             string
	}{
		{name: "reported the same day", vacated: "2026-05-10", reported: "2026-05-10", wantDay: 0, wantForfeit: "2026-06"},
		{name: "day 5: in time, the month is paid by attendance", vacated: "2026-05-10", reported: "2026-05-15", wantDay: 5, wantForfeit: "2026-06"},
		{name: "day 6: late, the whole month is lost", vacated: "2026-05-10", reported: "2026-05-16", wantDay: 6, wantLate: true, wantForfeit: "2026-05"},
		{name: "day 5 in the next month: in time", vacated: "2026-05-29", reported: "2026-06-03", wantDay: 5, wantForfeit: "2026-06"},
		{name: "day 6 in the next month: the vacancy's month is lost", vacated: "2026-05-29", reported: "2026-06-04", wantDay: 6, wantLate: true, wantForfeit: "2026-05"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := JudgeVacancy(tc.vacated, tc.reported, 5)
			if err != nil {
				t.Fatal(err)
			}
			if r.Day != tc.wantDay || r.Late != tc.wantLate || r.ForfeitFrom != tc.wantForfeit {
				t.Errorf("JudgeVacancy = %+v, want day %d late %v forfeit from %s", r, tc.wantDay, tc.wantLate, tc.wantForfeit)
			}
		})
	}
	t.Run("vacated after the report", func(t *testing.T) {
		_, err := JudgeVacancy("2026-05-10", "2026-05-09", 5)
		checkInvalid(t, err, ReasonVacancyInvalid, "vacated_on")
	})
}

func TestCheckAttendanceInput(t *testing.T) {
	for _, tc := range []struct {
		name, month string
		days        int
		grade       PostGrade
		wantField   string
	}{
		{name: "zero days", month: "2026-02", days: 0, grade: PostGradeQualified},
		{name: "every day of February", month: "2026-02", days: 28, grade: PostGradeQualified},
		{name: "more days than February has", month: "2026-02", days: 29, grade: PostGradeQualified, wantField: "days"},
		{name: "29 days of a leap February", month: "2028-02", days: 29, grade: PostGradeQualified},
		{name: "negative days", month: "2026-03", days: -1, grade: PostGradeQualified, wantField: "days"},
		{name: "no grade", month: "2026-03", days: 3, grade: PostGradeUnspecified, wantField: "grade"},
		{name: "bad month", month: "2026-13", days: 3, grade: PostGradeQualified, wantField: "month"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckAttendanceInput(tc.month, tc.days, tc.grade)
			reason := ""
			if tc.wantField != "" {
				reason = ReasonAttendanceInvalid
			}
			checkInvalid(t, err, reason, tc.wantField)
		})
	}
}

func TestInsuranceCovers(t *testing.T) {
	ins := &PostInsurance{Insurer: "人保", PolicyNumber: "P1", From: "2026-03-15", To: "2027-03-14"}
	for _, tc := range []struct {
		month string
		want  bool
	}{{"2026-02", false}, {"2026-03", true}, {"2026-12", true}, {"2027-03", true}, {"2027-04", false}} {
		if got := ins.Covers(tc.month); got != tc.want {
			t.Errorf("Covers(%s) = %v, want %v", tc.month, got, tc.want)
		}
	}
	var none *PostInsurance
	if none.Covers("2026-03") {
		t.Error("no insurance covers a month")
	}
	err := CheckInsurance(PostInsurance{Insurer: "人保", PolicyNumber: "P1", From: "2026-03-15", To: "2026-03-14"})
	checkInvalid(t, err, ReasonInsuranceInvalid, "insurance.to_date")
	if !errors.Is(CheckInsurance(*ins), nil) {
		t.Error("a whole insurance is refused")
	}
}
