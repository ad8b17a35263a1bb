package domain_test

import (
	"slices"
	"testing"

	"fupin.dev/services/employment/internal/domain"
)

// The default policy (deploy/policy/defaults.json): working age 16–60, more than 3 months of paid work in
// the 12 months ending with the month evaluated is employed.
var aidRule = domain.ZeroEmploymentRule{MinAge: 16, MaxAge: 60, MaxPaidMonths: 3, WindowMonths: 12}

func adult(id string, paid ...string) domain.AidMember {
	return domain.AidMember{PersonID: id, BirthMonth: "1980-05", Labour: domain.AidLabourOrdinary, PaidMonths: paid}
}

func TestZeroEmploymentRule(t *testing.T) {
	const month = "2026-12"
	household := func(members ...domain.AidMember) domain.AidHousehold {
		return domain.AidHousehold{ID: "h1", RegionCode: "999999001001", Followed: true, Members: members}
	}
	with := func(m domain.AidMember, f func(*domain.AidMember)) domain.AidMember { f(&m); return m }
	tests := []struct {
		name     string
		h        domain.AidHousehold
		zero     bool
		reason   string
		able     []string
		employed []string
	}{
		{"no paid work at all", household(adult("a")), true, "", []string{"a"}, nil},
		{"3 months of paid work in the year, none now: still 零就业", household(adult("a", "2026-03", "2026-04", "2026-05")),
			true, "", []string{"a"}, nil},
		{"4 months of paid work in the year: employed", household(adult("a", "2026-03", "2026-04", "2026-05", "2026-06")),
			false, domain.ZeroEmploymentEmployed, []string{"a"}, []string{"a"}},
		{"a month counted twice (two spells) counts once", household(adult("a", "2026-03", "2026-03", "2026-04", "2026-05")),
			true, "", []string{"a"}, nil},
		{"4 months but one before the 12-month window", household(adult("a", "2025-12", "2026-03", "2026-04", "2026-05")),
			true, "", []string{"a"}, nil},
		{"4 months, the earliest the window's first month", household(adult("a", "2026-01", "2026-03", "2026-04", "2026-05")),
			false, domain.ZeroEmploymentEmployed, []string{"a"}, []string{"a"}},
		{"working in the month, first month: employed", household(adult("a", month)),
			false, domain.ZeroEmploymentEmployed, []string{"a"}, []string{"a"}},
		{"months after the month evaluated do not count", household(adult("a", "2027-01", "2027-02", "2027-03", "2027-04")),
			true, "", []string{"a"}, nil},
		{"member turning 16 in the month counts as able",
			household(with(adult("a"), func(m *domain.AidMember) { m.BirthMonth = "2010-12" })), true, "", []string{"a"}, nil},
		{"member turning 16 next month does not",
			household(with(adult("a"), func(m *domain.AidMember) { m.BirthMonth = "2011-01" })), false, domain.ZeroEmploymentNoAble, nil, nil},
		{"member aged 60 (turns 61 next month) counts",
			household(with(adult("a"), func(m *domain.AidMember) { m.BirthMonth = "1966-01" })), true, "", []string{"a"}, nil},
		{"member turning 61 in the month does not",
			household(with(adult("a"), func(m *domain.AidMember) { m.BirthMonth = "1965-12" })), false, domain.ZeroEmploymentNoAble, nil, nil},
		{"丧失劳动力 is not able", household(with(adult("a"), func(m *domain.AidMember) { m.Labour = domain.AidLabourLost })),
			false, domain.ZeroEmploymentNoAble, nil, nil},
		{"无劳动力 is not able", household(with(adult("a"), func(m *domain.AidMember) { m.Labour = domain.AidLabourNone })),
			false, domain.ZeroEmploymentNoAble, nil, nil},
		{"弱/半劳动力 is able", household(with(adult("a"), func(m *domain.AidMember) { m.Labour = domain.AidLabourPartial })),
			true, "", []string{"a"}, nil},
		{"a student is not counted as able", household(with(adult("a"), func(m *domain.AidMember) { m.Student = true })),
			false, domain.ZeroEmploymentNoAble, nil, nil},
		{"a child working is still employed: the household is not 零就业",
			household(adult("a"), with(adult("b", "2026-09", "2026-10", "2026-11", month), func(m *domain.AidMember) { m.BirthMonth = "2011-06" })),
			false, domain.ZeroEmploymentEmployed, []string{"a"}, []string{"b"}},
		{"two able, none employed", household(adult("b"), adult("a", "2026-01")), true, "", []string{"a", "b"}, nil},
		{"no members", household(), false, domain.ZeroEmploymentNoAble, nil, nil},
		{"not followed by the ledger", domain.AidHousehold{ID: "h1", Members: []domain.AidMember{adult("a")}},
			false, domain.ZeroEmploymentNotFollowed, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := aidRule.Evaluate(tt.h, month)
			if f.Zero != tt.zero || f.Reason != tt.reason || !slices.Equal(f.Able, tt.able) || !slices.Equal(f.Employed, tt.employed) {
				t.Errorf("Evaluate = zero %v reason %q able %v employed %v; want %v %q %v %v",
					f.Zero, f.Reason, f.Able, f.Employed, tt.zero, tt.reason, tt.able, tt.employed)
			}
		})
	}
}

func TestZeroEmploymentRuleFromPolicy(t *testing.T) {
	// A county that counts 6 months in a calendar-like window of 6: 4 months is then still 零就业.
	r := domain.ZeroEmploymentRule{MinAge: 16, MaxAge: 60, MaxPaidMonths: 4, WindowMonths: 6}
	h := domain.AidHousehold{ID: "h", Followed: true, Members: []domain.AidMember{adult("a", "2026-07", "2026-08", "2026-09", "2026-10")}}
	if f := r.Evaluate(h, "2026-12"); !f.Zero {
		t.Errorf("4 months with max 4: %+v, want 零就业", f)
	}
	if f := r.Evaluate(h, "2027-02"); !f.Zero || f.PaidMonths["a"] != 2 {
		t.Errorf("window of 6 ending 2027-02 holds 2 of the months: %+v", f)
	}
	for _, bad := range []domain.ZeroEmploymentRule{
		{MinAge: 16, MaxAge: 15, MaxPaidMonths: 3, WindowMonths: 12},
		{MinAge: 16, MaxAge: 60, MaxPaidMonths: -1, WindowMonths: 12},
		{MinAge: 16, MaxAge: 60, MaxPaidMonths: 3, WindowMonths: 0},
		{MinAge: 16, MaxAge: 60, MaxPaidMonths: 3, WindowMonths: 37},
	} {
		if bad.Check() == nil {
			t.Errorf("Check(%+v) accepted a rule out of range", bad)
		}
	}
	if aidRule.Check() != nil {
		t.Errorf("the default rule is refused")
	}
}

func TestAidCaseDueAndOverdue(t *testing.T) {
	tests := []struct {
		name, opened string
		days         int
		date         string
		due          string
		overdue      bool
	}{
		{"day 29", "2026-11-01", 30, "2026-11-30", "2026-12-01", false},
		{"day 30: the last day in time", "2026-11-01", 30, "2026-12-01", "2026-12-01", false},
		{"day 31: overdue", "2026-11-01", 30, "2026-12-02", "2026-12-01", true},
		{"across a year's end, day 30", "2026-12-15", 30, "2027-01-14", "2027-01-14", false},
		{"across a year's end, day 31", "2026-12-15", 30, "2027-01-15", "2027-01-14", true},
		{"February, 10 days by policy, day 11", "2026-02-20", 10, "2026-03-03", "2026-03-02", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			due, err := domain.AidDueOn(tt.opened, tt.days)
			if err != nil || due != tt.due {
				t.Fatalf("AidDueOn(%s, %d) = %s, %v; want %s", tt.opened, tt.days, due, err, tt.due)
			}
			if got := domain.AidOverdue(due, tt.date); got != tt.overdue {
				t.Errorf("AidOverdue(%s, %s) = %v, want %v", due, tt.date, got, tt.overdue)
			}
		})
	}
}
