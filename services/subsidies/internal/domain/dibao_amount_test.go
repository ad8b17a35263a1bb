package domain_test

import (
	"math/big"
	"testing"

	"fupin.dev/services/platform/policy"
	"fupin.dev/services/subsidies/internal/domain"
)

// seedSupplements is deploy/policy/defaults.json's 分类施保 table.
var seedSupplements = domain.SupplementPolicy{MinorAgeBelow: 18, ElderlyAgeFrom: 60, SevereDisabilityMaxGrade: 2,
	Ratios: map[string]policy.Ratio{"minor": {Num: 40, Den: 100}, "elderly": {Num: 20, Den: 100},
		"severely_disabled": {Num: 30, Den: 100}, "seriously_ill": {Num: 30, Den: 100}}}

func adult(id string) domain.CoveredMember {
	return domain.CoveredMember{PersonID: id, BirthDate: "1980-05-01"}
}

func monthly(fen int64) []domain.IncomeFigure {
	return []domain.IncomeFigure{{AmountFen: fen, Months: 1}}
}

func TestComputeDibao(t *testing.T) {
	const date = "2025-06-15"
	pol := func(standard int64, floor policy.Ratio) domain.AmountPolicy {
		return domain.AmountPolicy{StandardFen: standard, Floor: floor, Supplements: seedSupplements}
	}
	twenty := policy.Ratio{Num: 20, Den: 100}
	none := policy.Ratio{Num: 0, Den: 1}
	minor := domain.CoveredMember{PersonID: "c", BirthDate: "2015-03-01"}
	tests := []struct {
		name     string
		in       domain.AmountInput
		pol      domain.AmountPolicy
		want     int64
		rule     domain.DibaoRule
		supplied []domain.SupplementCategory
	}{
		// DOMAIN.md's example: standard 1,100, per-capita 700, 3 persons → 1,200 元; + 440 for a minor → 1,640.
		{"the seeds' example", domain.AmountInput{Income: monthly(210_000), HouseholdSize: 3,
			Covered: []domain.CoveredMember{adult("a"), adult("b"), adult("d")}, Date: date},
			pol(110_000, twenty), 120_000, domain.DibaoRuleGap, nil},
		{"the seeds' example with a minor", domain.AmountInput{Income: monthly(210_000), HouseholdSize: 3,
			Covered: []domain.CoveredMember{adult("a"), adult("b"), minor}, Date: date},
			pol(110_000, twenty), 164_000, domain.DibaoRuleGap, []domain.SupplementCategory{domain.SupplementMinor}},
		{"a yearly income counts per month", domain.AmountInput{Income: []domain.IncomeFigure{{AmountFen: 2_520_000, Months: 12}},
			HouseholdSize: 3, Covered: []domain.CoveredMember{adult("a"), adult("b"), adult("d")}, Date: date},
			pol(110_000, twenty), 120_000, domain.DibaoRuleGap, nil},
		{"only the covered persons are paid the gap", domain.AmountInput{Income: monthly(210_000), HouseholdSize: 3,
			Covered: []domain.CoveredMember{adult("a")}, Date: date},
			pol(110_000, twenty), 40_000, domain.DibaoRuleGap, nil},
		{"income equal to the standard: nothing due", domain.AmountInput{Income: monthly(330_000), HouseholdSize: 3,
			Covered: []domain.CoveredMember{adult("a")}, Date: date},
			pol(110_000, twenty), 0, domain.DibaoRuleAtOrAboveStandard, nil},
		{"a death keeps the household covered at the floor", domain.AmountInput{Income: monthly(330_000), HouseholdSize: 3,
			Covered: []domain.CoveredMember{adult("a")}, Date: date, KeepCovered: true},
			pol(110_000, twenty), 22_000, domain.DibaoRuleFloor, nil},
		{"1 fen below the standard: the floor", domain.AmountInput{Income: monthly(109_999), HouseholdSize: 1,
			Covered: []domain.CoveredMember{adult("a")}, Date: date},
			pol(110_000, twenty), 22_000, domain.DibaoRuleFloor, nil},
		{"a gap equal to the floor is the gap", domain.AmountInput{Income: monthly(88_000), HouseholdSize: 1,
			Covered: []domain.CoveredMember{adult("a")}, Date: date},
			pol(110_000, twenty), 22_000, domain.DibaoRuleGap, nil},
		{"1 fen more gap than the floor", domain.AmountInput{Income: monthly(87_999), HouseholdSize: 1,
			Covered: []domain.CoveredMember{adult("a")}, Date: date},
			pol(110_000, twenty), 22_001, domain.DibaoRuleGap, nil},
		{"no floor in policy: the small gap", domain.AmountInput{Income: monthly(109_999), HouseholdSize: 1,
			Covered: []domain.CoveredMember{adult("a"), adult("b")}, Date: date},
			pol(110_000, none), 2, domain.DibaoRuleGap, nil},
		{"rounded once at the end, not per person", domain.AmountInput{Income: monthly(100_000), HouseholdSize: 3,
			Covered: []domain.CoveredMember{adult("a"), adult("b"), adult("d")}, Date: date},
			pol(100_000, none), 200_000, domain.DibaoRuleGap, nil},
		{"half a fen rounds up", domain.AmountInput{Income: monthly(1), HouseholdSize: 2,
			Covered: []domain.CoveredMember{adult("a")}, Date: date},
			pol(100_000, none), 100_000, domain.DibaoRuleGap, nil},
		{"a lower standard (urban or rural) with the same household", domain.AmountInput{Income: monthly(150_000), HouseholdSize: 3,
			Covered: []domain.CoveredMember{adult("a"), adult("b"), adult("d")}, Date: date},
			pol(80_000, twenty), 90_000, domain.DibaoRuleGap, nil},
		{"the higher standard with the same household", domain.AmountInput{Income: monthly(150_000), HouseholdSize: 3,
			Covered: []domain.CoveredMember{adult("a"), adult("b"), adult("d")}, Date: date},
			pol(110_000, twenty), 180_000, domain.DibaoRuleGap, nil},
		{"单人保: a one-person household with a severe disability", domain.AmountInput{Income: nil, HouseholdSize: 1,
			Covered: []domain.CoveredMember{{PersonID: "p", BirthDate: "1990-01-01", SeverelyDisabled: true}}, Date: date},
			pol(110_000, twenty), 143_000, domain.DibaoRuleGap, []domain.SupplementCategory{domain.SupplementSeverelyDisabled}},
		{"seriously ill", domain.AmountInput{Income: monthly(210_000), HouseholdSize: 3,
			Covered: []domain.CoveredMember{{PersonID: "a", BirthDate: "1980-05-01", SeriouslyIll: true}}, Date: date},
			pol(110_000, twenty), 73_000, domain.DibaoRuleGap, []domain.SupplementCategory{domain.SupplementSeriouslyIll}},
		{"several categories: only the highest", domain.AmountInput{Income: monthly(210_000), HouseholdSize: 3,
			Covered: []domain.CoveredMember{{PersonID: "c", BirthDate: "2015-03-01", SeverelyDisabled: true, SeriouslyIll: true}}, Date: date},
			pol(110_000, twenty), 84_000, domain.DibaoRuleGap, []domain.SupplementCategory{domain.SupplementMinor}},
		{"nothing due: no supplements either", domain.AmountInput{Income: monthly(400_000), HouseholdSize: 3,
			Covered: []domain.CoveredMember{minor}, Date: date},
			pol(110_000, twenty), 0, domain.DibaoRuleAtOrAboveStandard, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := domain.ComputeDibao(tt.in, tt.pol)
			if err != nil {
				t.Fatal(err)
			}
			if a.AmountFen != tt.want || a.Rule != tt.rule {
				t.Errorf("amount %d rule %d (%s), want %d rule %d", a.AmountFen, a.Rule, a.Summary, tt.want, tt.rule)
			}
			if len(a.Supplements) != len(tt.supplied) {
				t.Fatalf("supplements %+v, want %v", a.Supplements, tt.supplied)
			}
			for i, c := range tt.supplied {
				if a.Supplements[i].Category != c {
					t.Errorf("supplement %d is %v, want %v", i, a.Supplements[i].Category, c)
				}
			}
		})
	}
}

// Categories by age change on the birthday itself.
func TestSupplementCategoryAgeBoundaries(t *testing.T) {
	tests := []struct {
		name  string
		birth string
		date  string
		want  domain.SupplementCategory
	}{
		{"17, the day before the 18th birthday", "2007-06-15", "2025-06-14", domain.SupplementMinor},
		{"18 on the birthday", "2007-06-15", "2025-06-15", domain.SupplementNone},
		{"59, the day before the 60th birthday", "1965-06-15", "2025-06-14", domain.SupplementNone},
		{"60 on the birthday", "1965-06-15", "2025-06-15", domain.SupplementElderly},
		{"born 29 February: 18 on 1 March of a common year", "2008-02-29", "2026-03-01", domain.SupplementNone},
		{"born 29 February: still 17 on 28 February", "2008-02-29", "2026-02-28", domain.SupplementMinor},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := domain.SupplementCategoryOf(domain.CoveredMember{PersonID: "p", BirthDate: tt.birth}, tt.date, seedSupplements)
			if err != nil || got != tt.want {
				t.Errorf("got %v %v, want %v", got, err, tt.want)
			}
		})
	}
}

func TestRoundHalfUp(t *testing.T) {
	tests := []struct {
		num, den, want int64
	}{{1, 2, 1}, {-1, 2, -1}, {3, 2, 2}, {49, 100, 0}, {51, 100, 1}, {200_000, 3, 66_667}, {7, 1, 7}}
	for _, tt := range tests {
		if got := domain.RoundHalfUp(big.NewRat(tt.num, tt.den)); got != tt.want {
			t.Errorf("%d/%d → %d, want %d", tt.num, tt.den, got, tt.want)
		}
	}
}
