package domain

import (
	"slices"
	"testing"

	"fupin.dev/services/platform/apperr"
)

const testEmployerCode = "91420602MA4KXY4567"

func awaySpell(away WorkAway, from, to string) WorkSpell {
	return WorkSpell{PersonID: "a", HouseholdID: "h", Away: away, FromMonth: from, ToMonth: to}
}

func subsidyFacts(date string, spells ...WorkSpell) SubsidyFacts {
	return SubsidyFacts{Date: date, Person: &WorkPerson{PersonID: "a", HouseholdID: "h", RegionCode: "420602001002", Poor: true},
		Spells: spells, TransportMinMonths: 3, Transport: TransportBands{InProvinceFen: 60000, OutOfProvinceFen: 150000},
		RetentionMinMonths: 6, RetentionFen: 100000, TrainingFenPerDay: 1500}
}

func TestEvaluateTransportSubsidy(t *testing.T) {
	tests := []struct {
		name       string
		date       string
		spells     []WorkSpell
		notPoor    bool
		dead       bool
		wantUnmet  []string
		wantBand   TransportBand
		wantFen    int64
		wantMonths int
	}{
		{"2 months outside the county are one short", "2026-04-10", []WorkSpell{awaySpell(WorkAwayInProvince, "2026-03", "")}, false, false,
			[]string{RuleMonthsAway}, TransportBandNone, 0, 2},
		{"3 months 县外省内 pay 600 元", "2026-05-10", []WorkSpell{awaySpell(WorkAwayInProvince, "2026-03", "")}, false, false,
			nil, TransportBandInProvince, 60000, 3},
		{"3 months 省外 pay 1,500 元", "2026-05-10", []WorkSpell{awaySpell(WorkAwayOutOfProvince, "2026-03", "")}, false, false,
			nil, TransportBandOutOfProvince, 150000, 3},
		{"2 months 省外 after 1 县外省内 pay the 县外省内 band", "2026-05-10",
			[]WorkSpell{awaySpell(WorkAwayInProvince, "2026-03", "2026-03"), awaySpell(WorkAwayOutOfProvince, "2026-04", "")}, false, false,
			nil, TransportBandInProvince, 60000, 3},
		{"work in the county does not count", "2026-06-10",
			[]WorkSpell{awaySpell(WorkAwayNone, "2026-01", "2026-03"), awaySpell(WorkAwayInProvince, "2026-05", "")}, false, false,
			[]string{RuleMonthsAway}, TransportBandNone, 0, 2},
		{"months of the year before do not count", "2026-02-10", []WorkSpell{awaySpell(WorkAwayOutOfProvince, "2025-10", "")}, false, false,
			[]string{RuleMonthsAway}, TransportBandNone, 0, 2},
		{"months after the application do not count", "2026-04-10", []WorkSpell{awaySpell(WorkAwayOutOfProvince, "2026-03", "2026-12")}, false, false,
			[]string{RuleMonthsAway}, TransportBandNone, 0, 2},
		{"a household neither 脱贫 nor 监测", "2026-05-10", []WorkSpell{awaySpell(WorkAwayInProvince, "2026-01", "")}, true, false,
			[]string{RulePoorHousehold}, TransportBandNone, 0, 5},
		{"a dead person", "2026-05-10", []WorkSpell{awaySpell(WorkAwayInProvince, "2026-01", "")}, false, true,
			[]string{RuleAlive}, TransportBandNone, 0, 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := subsidyFacts(tt.date, tt.spells...)
			f.Person.Poor, f.Person.Dead = !tt.notPoor, tt.dead
			e := EvaluateSubsidy(SubsidyKindTransport, SubsidyApplication{PersonID: "a", Year: tt.date[:4]}, f)
			if !slices.Equal(e.Unmet, tt.wantUnmet) || e.Eligible != (len(tt.wantUnmet) == 0) || e.Band != tt.wantBand ||
				e.AmountFen != tt.wantFen || e.Months != tt.wantMonths {
				t.Errorf("unmet %v band %d fen %d months %d; want %v %d %d %d (%s)", e.Unmet, e.Band, e.AmountFen, e.Months,
					tt.wantUnmet, tt.wantBand, tt.wantFen, tt.wantMonths, e.Summary)
			}
		})
	}
}

func TestEvaluateRetentionSubsidy(t *testing.T) {
	at := func(code, from, to string) WorkSpell {
		return WorkSpell{PersonID: "a", EmployerCode: code, FromMonth: from, ToMonth: to}
	}
	tests := []struct {
		name      string
		date      string
		spells    []WorkSpell
		wantUnmet []string
		wantFen   int64
	}{
		{"5 months with the employer are one short", "2026-06-15", []WorkSpell{at(testEmployerCode, "2026-02", "")}, []string{RuleMonthsWithEmployer}, 0},
		{"6 months with the employer pay 1,000 元", "2026-07-15", []WorkSpell{at(testEmployerCode, "2026-02", "")}, nil, 100000},
		{"6 months that ended before the application pay", "2026-12-15", []WorkSpell{at(testEmployerCode, "2026-02", "2026-07")}, nil, 100000},
		{"months with another employer do not count", "2026-07-15",
			[]WorkSpell{at(testWorkshopCode, "2026-02", "2026-04"), at(testEmployerCode, "2026-05", "")}, []string{RuleMonthsWithEmployer}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := EvaluateSubsidy(SubsidyKindRetention, SubsidyApplication{PersonID: "a", EmployerCode: testEmployerCode}, subsidyFacts(tt.date, tt.spells...))
			if !slices.Equal(e.Unmet, tt.wantUnmet) || e.AmountFen != tt.wantFen {
				t.Errorf("unmet %v fen %d; want %v %d (%s)", e.Unmet, e.AmountFen, tt.wantUnmet, tt.wantFen, e.Summary)
			}
		})
	}
}

func TestEvaluateTrainingAllowance(t *testing.T) {
	tests := []struct {
		name       string
		start, end string
		days       int
		wantUnmet  []string
		wantFen    int64
	}{
		{"every day of a 10-day course", "2026-03-01", "2026-03-10", 10, nil, 15000},
		{"8 of 10 days", "2026-03-01", "2026-03-10", 8, nil, 12000},
		{"one day more than the course has", "2026-03-01", "2026-03-10", 11, []string{RuleDaysAttended}, 0},
		{"a one-day course", "2026-03-01", "2026-03-01", 1, nil, 1500},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := SubsidyApplication{PersonID: "a", Course: "电工", Provider: "县职校", StartDate: tt.start, EndDate: tt.end, DaysAttended: tt.days}
			e := EvaluateSubsidy(SubsidyKindTraining, a, subsidyFacts("2026-03-20"))
			if !slices.Equal(e.Unmet, tt.wantUnmet) || e.AmountFen != tt.wantFen {
				t.Errorf("unmet %v fen %d; want %v %d (%s)", e.Unmet, e.AmountFen, tt.wantUnmet, tt.wantFen, e.Summary)
			}
		})
	}
}

// TestSubsidyKeys checks what may be paid only once: the transport subsidy once per person and year, the
// retention subsidy once per employer and worker, the allowance once per person and course.
func TestSubsidyKeys(t *testing.T) {
	a := SubsidyApplication{PersonID: "a", Year: "2026", EmployerCode: testEmployerCode, Course: "电工", StartDate: "2026-03-01"}
	next := a
	next.Year = "2027"
	if a.Key(SubsidyKindTransport) == next.Key(SubsidyKindTransport) {
		t.Error("transport subsidies of two years share a key")
	}
	later := a
	later.StartDate = "2026-09-01"
	if a.Key(SubsidyKindTraining) == later.Key(SubsidyKindTraining) {
		t.Error("two courses share a key")
	}
	if a.Key(SubsidyKindRetention) != next.Key(SubsidyKindRetention) {
		t.Error("the retention subsidy's key changes with the year")
	}
	other := a
	other.EmployerCode = testWorkshopCode
	if a.Key(SubsidyKindRetention) == other.Key(SubsidyKindRetention) {
		t.Error("two employers share a key")
	}
}

func TestSubsidyApplicationValidate(t *testing.T) {
	tests := []struct {
		name  string
		kind  string
		a     SubsidyApplication
		field string
	}{
		{"transport needs a person", SubsidyKindTransport, SubsidyApplication{}, "person_id"},
		{"transport", SubsidyKindTransport, SubsidyApplication{PersonID: "a"}, ""},
		{"retention with a bad credit code", SubsidyKindRetention, SubsidyApplication{PersonID: "a", EmployerCode: "123", EmployerName: "厂"}, "employer.credit_code"},
		{"retention without a name", SubsidyKindRetention, SubsidyApplication{PersonID: "a", EmployerCode: testEmployerCode}, "employer.display_name"},
		{"retention", SubsidyKindRetention, SubsidyApplication{PersonID: "a", EmployerCode: testEmployerCode, EmployerName: "厂"}, ""},
		{"training ending before it starts", SubsidyKindTraining, SubsidyApplication{PersonID: "a", Course: "电工", Provider: "县职校",
			StartDate: "2026-03-10", EndDate: "2026-03-01", DaysAttended: 1}, "training.end_date"},
		{"training with no day attended", SubsidyKindTraining, SubsidyApplication{PersonID: "a", Course: "电工", Provider: "县职校",
			StartDate: "2026-03-01", EndDate: "2026-03-10"}, "training.days_attended"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.a.validate(tt.kind)
			if tt.field == "" {
				if err != nil {
					t.Fatalf("err %v", err)
				}
				return
			}
			e, ok := apperr.As(err)
			if !ok || e.Kind != apperr.KindInvalid || len(e.Fields) != 1 || e.Fields[0].Field != tt.field {
				t.Errorf("err %v, want one field violation on %s", err, tt.field)
			}
		})
	}
}
