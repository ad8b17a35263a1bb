package domain_test

import (
	"testing"
	"time"

	"fupin.dev/services/employment/internal/domain"
	"fupin.dev/services/platform/apperr"
)

var seedAge = domain.WorkingAge{Min: 16, Max: 60} // deploy/policy/defaults.json

func TestWorkingAgeBoundaries(t *testing.T) {
	for _, tc := range []struct {
		name, birth, month string
		want               bool
	}{
		{"15 (turns 16 next month)", "2009-07", "2025-06", false},
		{"16 in the month of the birthday", "2009-06", "2025-06", true},
		{"60, turns 61 next month", "1964-07", "2025-06", true},
		{"61 in the month of the birthday", "1964-06", "2025-06", false},
		{"60 in the birthday's month", "1965-06", "2025-06", true},
		{"no birth month", "", "2025-06", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := seedAge.Includes(tc.birth, tc.month); got != tc.want {
				t.Fatalf("Includes(%s, %s) = %v, want %v (age %d)", tc.birth, tc.month, got, tc.want, domain.AgeInMonth(tc.birth, tc.month))
			}
		})
	}
}

func work(from, to string, income int64) domain.Spell {
	return domain.Spell{WorkStatus: domain.WorkInCounty, Mode: domain.ModeWageWork, FromMonth: from, ToMonth: to, MonthlyIncomeFen: income}
}

func TestMonthsWorked(t *testing.T) {
	for _, tc := range []struct {
		name   string
		spells []domain.Spell
		want   int
	}{
		{"3 months", []domain.Spell{work("2025-03", "2025-05", 300000)}, 3},
		{"4 months", []domain.Spell{work("2025-03", "2025-06", 300000)}, 4},
		{"two jobs in one month count once", []domain.Spell{work("2025-03", "2025-03", 1), {WorkStatus: domain.WorkLocalTownship,
			Mode: domain.ModeWelfarePost, FromMonth: "2025-03", ToMonth: "2025-04"}}, 2},
		{"an open spell runs to the window's end", []domain.Spell{work("2025-10", "", 0)}, 3},
		{"a spell that is not work", []domain.Spell{{WorkStatus: domain.WorkUnemployed, FromMonth: "2025-01"}}, 0},
		{"before the window", []domain.Spell{work("2024-01", "2024-12", 1)}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := domain.MonthsWorked(tc.spells, "2025-01", "2025-12"); got != tc.want {
				t.Fatalf("MonthsWorked = %d, want %d", got, tc.want)
			}
		})
	}
}

func TestMonthlyFigures(t *testing.T) {
	spells := []domain.Spell{work("2025-02", "2025-03", 250000),
		{WorkStatus: domain.WorkLocalTownship, Mode: domain.ModeWelfarePost, FromMonth: "2025-03", ToMonth: "2025-03", MonthlyIncomeFen: 80000}}
	benefit := []domain.UnemploymentPeriod{{Kind: domain.UnemploymentBenefit, FromMonth: "2025-04", ToMonth: "2025-05", MonthlyAmountFen: 150000},
		{Kind: domain.UnemploymentRegistration, FromMonth: "2025-04"}}
	got := domain.MonthlyFigures(spells, benefit, "2025-01", "2025-06")
	want := []domain.MonthFigures{{Month: "2025-01"}, {Month: "2025-02", WageFen: 250000, Worked: true},
		{Month: "2025-03", WageFen: 330000, Worked: true}, {Month: "2025-04", UnemploymentBenefitFen: 150000},
		{Month: "2025-05", UnemploymentBenefitFen: 150000}, {Month: "2025-06"}}
	if len(got) != len(want) {
		t.Fatalf("got %v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("%s: got %+v, want %+v", want[i].Month, got[i], want[i])
		}
	}
}

func reasonOf(err error) (string, string) {
	e, ok := apperr.As(err)
	if !ok {
		return "", ""
	}
	field := ""
	if len(e.Fields) > 0 {
		field = e.Fields[0].Field
	}
	return e.Reason, field
}

func TestCheckSpell(t *testing.T) {
	for _, tc := range []struct {
		name          string
		spell         domain.Spell
		reason, field string
	}{
		{"work with its mode", work("2025-01", "2025-03", 100), "", ""},
		{"work without a mode", domain.Spell{WorkStatus: domain.WorkOutOfProvince, FromMonth: "2025-01"}, "SPELL_INVALID", "spell.mode"},
		{"unemployed with a mode", domain.Spell{WorkStatus: domain.WorkUnemployed, Mode: domain.ModeFlexible, FromMonth: "2025-01"}, "SPELL_INVALID", "spell.mode"},
		{"student with an income", domain.Spell{WorkStatus: domain.WorkStudent, MonthlyIncomeFen: 1, FromMonth: "2025-01"}, "SPELL_INVALID", "spell.monthly_income_fen"},
		{"ends before it starts", work("2025-03", "2025-02", 0), "SPELL_INVALID", "spell.to_month"},
		{"a month that is not one", work("2025-13", "", 0), "MONTH_INVALID", "spell.from_month"},
		{"no status", domain.Spell{FromMonth: "2025-01"}, "SPELL_INVALID", "spell.work_status"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			reason, field := reasonOf(domain.CheckSpell("spell", tc.spell))
			if reason != tc.reason || field != tc.field {
				t.Fatalf("got %s on %s, want %s on %s", reason, field, tc.reason, tc.field)
			}
		})
	}
}

func TestClash(t *testing.T) {
	existing := []domain.Spell{{ID: "a", WorkStatus: domain.WorkInCounty, Mode: domain.ModeWageWork, Employer: "县纺织厂", FromMonth: "2025-01", ToMonth: "2025-06"},
		{ID: "b", WorkStatus: domain.WorkStudent, FromMonth: "2024-09", ToMonth: "2024-12"}}
	for _, tc := range []struct {
		name  string
		spell domain.Spell
		want  string
	}{
		{"the same job again", domain.Spell{WorkStatus: domain.WorkInCounty, Mode: domain.ModeWageWork, Employer: "县纺织厂", FromMonth: "2025-06"}, "a"},
		{"the same job after it ended", domain.Spell{WorkStatus: domain.WorkInCounty, Mode: domain.ModeWageWork, Employer: "县纺织厂", FromMonth: "2025-07"}, ""},
		{"a 公益岗 beside the job", domain.Spell{WorkStatus: domain.WorkLocalTownship, Mode: domain.ModeWelfarePost, FromMonth: "2025-03", ToMonth: "2025-04"}, ""},
		{"unemployed while working", domain.Spell{WorkStatus: domain.WorkUnemployed, FromMonth: "2025-06", ToMonth: "2025-08"}, "a"},
		{"work while in school", domain.Spell{WorkStatus: domain.WorkOther, Mode: domain.ModeFlexible, FromMonth: "2024-12", ToMonth: "2024-12"}, "b"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := ""
			if c := domain.Clash(existing, tc.spell); c != nil {
				got = c.ID
			}
			if got != tc.want {
				t.Fatalf("clash with %q, want %q", got, tc.want)
			}
		})
	}
}

func TestCurrentWorkStatus(t *testing.T) {
	spells := []domain.Spell{{WorkStatus: domain.WorkUnemployed, FromMonth: "2024-01", ToMonth: "2025-02"},
		work("2025-03", "2025-08", 1), {WorkStatus: domain.WorkOutOfProvince, Mode: domain.ModeWageWork, FromMonth: "2026-01"}}
	for month, want := range map[string]domain.WorkStatus{"2023-12": domain.WorkUnspecified, "2025-02": domain.WorkUnemployed,
		"2025-05": domain.WorkInCounty, "2025-11": domain.WorkInCounty, "2026-03": domain.WorkOutOfProvince} {
		if got := domain.CurrentWorkStatus(spells, month); got != want {
			t.Errorf("%s: %d, want %d", month, got, want)
		}
	}
}

func TestCheckUnemployment(t *testing.T) {
	for _, tc := range []struct {
		name   string
		period domain.UnemploymentPeriod
		reason string
	}{
		{"benefit with its amount", domain.UnemploymentPeriod{Kind: domain.UnemploymentBenefit, FromMonth: "2025-01", MonthlyAmountFen: 150000}, ""},
		{"benefit without", domain.UnemploymentPeriod{Kind: domain.UnemploymentBenefit, FromMonth: "2025-01"}, "AMOUNT_INVALID"},
		{"registration with an amount", domain.UnemploymentPeriod{Kind: domain.UnemploymentRegistration, FromMonth: "2025-01", MonthlyAmountFen: 1}, "AMOUNT_INVALID"},
		{"ends before it starts", domain.UnemploymentPeriod{Kind: domain.UnemploymentRegistration, FromMonth: "2025-02", ToMonth: "2025-01"}, "MONTH_INVALID"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if reason, _ := reasonOf(domain.CheckUnemployment("period", tc.period)); reason != tc.reason {
				t.Fatalf("got %q, want %q", reason, tc.reason)
			}
		})
	}
}

func TestReconcile(t *testing.T) {
	now := time.Date(2025, 6, 15, 8, 0, 0, 0, time.UTC)
	member := func(id, birth string, state int32) domain.RegisterMember {
		return domain.RegisterMember{PersonID: id, IDIndex: "x" + id, BirthMonth: birth, State: state, EndDate: map[int32]string{2: "2025-06-10", 3: "2025-06-11"}[state]}
	}
	poor := &domain.RegisterHousehold{ID: "h1", RegionCode: "990001001001", RegistryStatus: 2, Members: []domain.RegisterMember{
		member("p1", "1980-01", 1), member("p2", "2009-07", 1), member("p3", "1964-06", 1)}}
	got := domain.Reconcile(poor, map[string]*domain.Labourer{}, false, "2025-06", "2025-06-15", seedAge, now)
	states := map[string]domain.LabourerState{}
	known := map[string]*domain.Labourer{}
	for _, l := range got {
		states[l.PersonID] = l.State
		known[l.PersonID] = l
	}
	if states["p1"] != domain.LabourerActive || states["p2"] != domain.LabourerOutsideAge || states["p3"] != domain.LabourerOutsideAge || len(got) != 3 {
		t.Fatalf("a poor household: %v", states)
	}
	if again := domain.Reconcile(poor, known, false, "2025-06", "2025-06-15", seedAge, now); len(again) != 0 {
		t.Fatalf("reconciling twice writes %d records", len(again))
	}

	// p1 dies, p2 moves out, p3's membership is gone from the household; the household moves village.
	changed := &domain.RegisterHousehold{ID: "h1", RegionCode: "990001002003", RegistryStatus: 3, Members: []domain.RegisterMember{
		member("p1", "1980-01", 2), member("p2", "2009-07", 3)}}
	byID := map[string]*domain.Labourer{}
	for _, l := range domain.Reconcile(changed, known, false, "2025-06", "2025-06-15", seedAge, now) {
		byID[l.PersonID] = l
	}
	for id, want := range map[string]struct {
		reason domain.EndReason
		date   string
	}{"p1": {domain.EndDeath, "2025-06-10"}, "p2": {domain.EndLeftHousehold, "2025-06-11"}, "p3": {domain.EndLeftHousehold, "2025-06-15"}} {
		if l := byID[id]; l == nil || l.State != domain.LabourerEnded || l.EndReason != want.reason || l.EndDate != want.date {
			t.Errorf("%s: %+v, want ended %d on %s", id, l, want.reason, want.date)
		}
	}

	// A household no longer poor nor monitored: its members' records end; one that is monitored stays.
	ordinary := &domain.RegisterHousehold{ID: "h1", RegionCode: "990001001001", RegistryStatus: 1, Members: poor.Members}
	for _, l := range domain.Reconcile(ordinary, known, false, "2025-06", "2025-06-15", seedAge, now) {
		if l.State != domain.LabourerEnded || l.EndReason != domain.EndHouseholdNotCovered {
			t.Errorf("not covered: %+v", l)
		}
	}
	ordinary.MonitoringStatus = 1
	if w := domain.Reconcile(ordinary, known, false, "2025-06", "2025-06-15", seedAge, now); len(w) != 3 || w[0].State == domain.LabourerEnded {
		t.Errorf("a monitored household stays covered: %+v", w)
	}

	// A person who moved to another household is that household's: the old one does not end the record.
	moved := map[string]*domain.Labourer{"p1": {PersonID: "p1", HouseholdID: "h2", State: domain.LabourerActive}}
	left := &domain.RegisterHousehold{ID: "h1", RegistryStatus: 2, Members: []domain.RegisterMember{member("p1", "1980-01", 3)}}
	if w := domain.Reconcile(left, moved, false, "2025-06", "2025-06-15", seedAge, now); len(w) != 0 {
		t.Errorf("the old household ended a record of the new one: %+v", w)
	}
}
