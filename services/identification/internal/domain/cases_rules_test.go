package domain_test

import (
	"strings"
	"testing"

	"fupin.dev/services/identification/internal/domain"
	"fupin.dev/services/platform/policy"
)

// The default lines: 2,995 元 and 4,000 元 per person and year.
var defaultLines = domain.Lines{Identification: 299500, Extended: 400000}

func TestInclusionRule(t *testing.T) {
	plain := func(fen int64) domain.InclusionFacts {
		return domain.InclusionFacts{PerCapitaFen: fen, Dropout: domain.DropoutNone, HouseSafety: domain.HouseSafetyA,
			Labour: domain.HouseholdLabourAble, Dibao: domain.DibaoClassNone}
	}
	with := func(fen int64, change func(*domain.InclusionFacts)) domain.InclusionFacts {
		f := plain(fen)
		change(&f)
		return f
	}
	tests := []struct {
		name  string
		facts domain.InclusionFacts
		want  domain.InclusionRule
		why   string
	}{
		{"2,994.99 元 is below the identification line", plain(299499), domain.InclusionIncomeBelowLine, "2,994.99 元 is below the identification line 2,995.00 元"},
		{"2,995.00 元 is not below it", plain(299500), domain.InclusionNone, "not below the identification line"},
		{"2,995.01 元 is not below it", plain(299501), domain.InclusionNone, "no listed hardship"},
		{"zero income", plain(0), domain.InclusionIncomeBelowLine, "0.00 元"},
		{"3,999.99 元 with a C house", with(399999, func(f *domain.InclusionFacts) { f.HouseSafety = domain.HouseSafetyC }), domain.InclusionExtendedHardship, "grade C dangerous house"},
		{"4,000.00 元 with a C house", with(400000, func(f *domain.InclusionFacts) { f.HouseSafety = domain.HouseSafetyC }), domain.InclusionNone, "nor the extended line 4,000.00 元"},
		{"4,000.01 元 with a D house", with(400001, func(f *domain.InclusionFacts) { f.HouseSafety = domain.HouseSafetyD }), domain.InclusionNone, ""},
		{"3,999.99 元 with a D house", with(399999, func(f *domain.InclusionFacts) { f.HouseSafety = domain.HouseSafetyD }), domain.InclusionExtendedHardship, "grade D"},
		{"3,999.99 元 with a B house only", with(399999, func(f *domain.InclusionFacts) { f.HouseSafety = domain.HouseSafetyB }), domain.InclusionNone, "no listed hardship"},
		{"3,999.99 元 with a dropout for poverty", with(399999, func(f *domain.InclusionFacts) { f.Dropout = domain.DropoutForPoverty }), domain.InclusionExtendedHardship, "dropped out for poverty"},
		{"3,999.99 元 with a dropout for disability", with(399999, func(f *domain.InclusionFacts) { f.Dropout = domain.DropoutForDisability }), domain.InclusionNone, ""},
		{"3,999.99 元 with a major illness", with(399999, func(f *domain.InclusionFacts) { f.MajorIllness = true }), domain.InclusionExtendedHardship, "major illness"},
		{"3,999.99 元 with a costly chronic disease", with(399999, func(f *domain.InclusionFacts) { f.ChronicDiseaseHeavyCosts = true }), domain.InclusionExtendedHardship, "chronic disease"},
		{"4,000.00 元 with a major illness", with(400000, func(f *domain.InclusionFacts) { f.MajorIllness = true }), domain.InclusionNone, ""},
		{"labour wholly lost, 一类低保, high income", with(900000, func(f *domain.InclusionFacts) {
			f.Labour, f.Dibao = domain.HouseholdLabourFullLoss, domain.DibaoClassFirst
		}), domain.InclusionLabourLossSupport, "一类低保"},
		{"labour partly lost, 二类低保", with(900000, func(f *domain.InclusionFacts) {
			f.Labour, f.Dibao = domain.HouseholdLabourPartialLoss, domain.DibaoClassSecond
		}), domain.InclusionLabourLossSupport, "二类低保"},
		{"labour partly lost, 三类低保", with(900000, func(f *domain.InclusionFacts) {
			f.Labour, f.Dibao = domain.HouseholdLabourPartialLoss, domain.DibaoClassOther
		}), domain.InclusionNone, ""},
		{"labour able, 一类低保", with(900000, func(f *domain.InclusionFacts) { f.Dibao = domain.DibaoClassFirst }), domain.InclusionNone, ""},
		{"labour wholly lost, 分散供养特困", with(900000, func(f *domain.InclusionFacts) {
			f.Labour, f.DispersedDestitute = domain.HouseholdLabourFullLoss, true
		}), domain.InclusionLabourLossSupport, "分散供养特困"},
		{"labour lost, poor disabled, 三保障 unsolved", with(900000, func(f *domain.InclusionFacts) {
			f.Labour, f.PoorDisabled, f.ThreeGuaranteesUnsolved = domain.HouseholdLabourPartialLoss, true, true
		}), domain.InclusionLabourLossSupport, "三保障"},
		{"labour lost, poor disabled, 三保障 solved", with(900000, func(f *domain.InclusionFacts) {
			f.Labour, f.PoorDisabled = domain.HouseholdLabourPartialLoss, true
		}), domain.InclusionNone, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, why := domain.EvaluateInclusion(tt.facts, defaultLines)
			if got != tt.want || !strings.Contains(why, tt.why) {
				t.Errorf("EvaluateInclusion = %v %q, want %v containing %q", got, why, tt.want, tt.why)
			}
		})
	}
}

func TestExclusionHits(t *testing.T) {
	all := domain.ExclusionCodes()
	tests := []struct {
		name    string
		facts   domain.ExclusionFacts
		list    []string
		want    []string
		wantErr bool
	}{
		{"nothing found", domain.ExclusionFacts{}, all, nil, false},
		{"a car under the full list", domain.ExclusionFacts{Vehicle: true}, all, []string{"vehicle"}, false},
		{"every predicate", domain.ExclusionFacts{CommercialHousing: true, Vehicle: true, VillageCommittee: true, PublicPayroll: true,
			Enterprise: true, SeparatedResidence: true, OverseasStudyOrCommercialPension: true, RefusesCorrection: true}, all, all, false},
		{"a county that does not apply 人户分离", domain.ExclusionFacts{SeparatedResidence: true, Enterprise: true},
			[]string{"vehicle", "enterprise"}, []string{"enterprise"}, false},
		{"an empty list excludes nobody", domain.ExclusionFacts{Vehicle: true}, nil, nil, false},
		{"an unknown code is an error", domain.ExclusionFacts{}, []string{"vehicle", "yacht"}, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hits, err := domain.ExclusionHits(tt.facts, tt.list)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v", err)
			}
			var got []string
			for _, h := range hits {
				got = append(got, h.Code)
			}
			if strings.Join(got, ",") != strings.Join(tt.want, ",") {
				t.Errorf("hits %v, want %v", got, tt.want)
			}
		})
	}
	if len(all) != 8 {
		t.Errorf("七不准 has %d predicates, want 8", len(all))
	}
}

func TestVillageReviewRule(t *testing.T) {
	rule := domain.ReviewRule{PopulationCutoff: 1000, MinSmall: 20, MinLarge: 30,
		MinPresent: policy.Ratio{Num: 2, Den: 3}, PassExceeds: policy.Ratio{Num: 1, Den: 2}}
	tests := []struct {
		name       string
		population int64
		votes      domain.ReviewVotes
		required   int
		violations []string
		passed     bool
	}{
		{"999 residents, 19 registered", 999, domain.ReviewVotes{Registered: 19, Present: 19, VotesFor: 19}, 20, []string{"REVIEW_REPRESENTATIVES"}, false},
		{"999 residents, 20 registered", 999, domain.ReviewVotes{Registered: 20, Present: 20, VotesFor: 20}, 20, nil, true},
		{"1000 residents, 29 registered", 1000, domain.ReviewVotes{Registered: 29, Present: 29, VotesFor: 29}, 30, []string{"REVIEW_REPRESENTATIVES"}, false},
		{"1000 residents, 30 registered", 1000, domain.ReviewVotes{Registered: 30, Present: 30, VotesFor: 30}, 30, nil, true},
		{"1001 residents, 30 registered", 1001, domain.ReviewVotes{Registered: 30, Present: 30, VotesFor: 30}, 30, nil, true},
		{"30 registered, 19 present (< 2/3)", 1000, domain.ReviewVotes{Registered: 30, Present: 19, VotesFor: 19}, 30, []string{"REVIEW_ATTENDANCE"}, false},
		{"30 registered, 20 present (= 2/3)", 1000, domain.ReviewVotes{Registered: 30, Present: 20, VotesFor: 20}, 30, nil, true},
		{"20 registered, 13 present (< 2/3)", 999, domain.ReviewVotes{Registered: 20, Present: 13, VotesFor: 13}, 20, []string{"REVIEW_ATTENDANCE"}, false},
		{"20 registered, 14 present (> 2/3)", 999, domain.ReviewVotes{Registered: 20, Present: 14, VotesFor: 14}, 20, nil, true},
		{"short of both", 1000, domain.ReviewVotes{Registered: 29, Present: 10, VotesFor: 10}, 30, []string{"REVIEW_REPRESENTATIVES", "REVIEW_ATTENDANCE"}, false},
		{"20 present, 10 for (half) does not pass", 999, domain.ReviewVotes{Registered: 20, Present: 20, VotesFor: 10}, 20, nil, false},
		{"20 present, 11 for passes", 999, domain.ReviewVotes{Registered: 20, Present: 20, VotesFor: 11}, 20, nil, true},
		{"21 present, 10 for does not pass", 999, domain.ReviewVotes{Registered: 21, Present: 21, VotesFor: 10}, 20, nil, false},
		{"21 present, 11 for passes", 999, domain.ReviewVotes{Registered: 21, Present: 21, VotesFor: 11}, 20, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			required, passed, violations := rule.Check(tt.population, tt.votes, "cases/x")
			var got []string
			for _, v := range violations {
				got = append(got, v.Type)
				if v.Subject != "cases/x" || v.Description == "" {
					t.Errorf("violation %+v", v)
				}
			}
			if required != tt.required || passed != tt.passed || strings.Join(got, ",") != strings.Join(tt.violations, ",") {
				t.Errorf("Check = %d %v %v, want %d %v %v", required, passed, got, tt.required, tt.passed, tt.violations)
			}
		})
	}
}

func TestExitRule(t *testing.T) {
	met := domain.ExitFacts{PerCapitaFen: 299500, FoodAndClothing: true, CompulsoryEducation: true, BasicMedicalInsurance: true,
		SafeHousing: true, SafeDrinkingWater: true, ConsentSigned: true}
	with := func(change func(*domain.ExitFacts)) domain.ExitFacts {
		f := met
		change(&f)
		return f
	}
	tests := []struct {
		name  string
		facts domain.ExitFacts
		unmet []domain.ExitItem
	}{
		{"everything met, income on the line (2,995.00 元)", met, nil},
		{"income 2,995.01 元", with(func(f *domain.ExitFacts) { f.PerCapitaFen = 299501 }), nil},
		{"income 2,994.99 元", with(func(f *domain.ExitFacts) { f.PerCapitaFen = 299499 }), []domain.ExitItem{domain.ExitItemIncome}},
		{"food and clothing", with(func(f *domain.ExitFacts) { f.FoodAndClothing = false }), []domain.ExitItem{domain.ExitItemFoodAndClothing}},
		{"compulsory education", with(func(f *domain.ExitFacts) { f.CompulsoryEducation = false }), []domain.ExitItem{domain.ExitItemCompulsoryEducation}},
		{"basic medical insurance", with(func(f *domain.ExitFacts) { f.BasicMedicalInsurance = false }), []domain.ExitItem{domain.ExitItemBasicMedicalInsurance}},
		{"safe housing", with(func(f *domain.ExitFacts) { f.SafeHousing = false }), []domain.ExitItem{domain.ExitItemSafeHousing}},
		{"safe drinking water", with(func(f *domain.ExitFacts) { f.SafeDrinkingWater = false }), []domain.ExitItem{domain.ExitItemSafeDrinkingWater}},
		{"no signed consent", with(func(f *domain.ExitFacts) { f.ConsentSigned = false }), []domain.ExitItem{domain.ExitItemHouseholdConsent}},
		{"nothing met, in checklist order", domain.ExitFacts{}, []domain.ExitItem{domain.ExitItemIncome, domain.ExitItemFoodAndClothing,
			domain.ExitItemCompulsoryEducation, domain.ExitItemBasicMedicalInsurance, domain.ExitItemSafeHousing,
			domain.ExitItemSafeDrinkingWater, domain.ExitItemHouseholdConsent}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			unmet := domain.EvaluateExit(tt.facts, 299500)
			if len(unmet) != len(tt.unmet) {
				t.Fatalf("unmet %v, want %v", unmet, tt.unmet)
			}
			for i, u := range unmet {
				if u.Item != tt.unmet[i] || u.Description == "" || u.Item.Code() == "" {
					t.Errorf("unmet[%d] = %+v, want %v", i, u, tt.unmet[i])
				}
			}
		})
	}
}

func TestSurveyTeamRule(t *testing.T) {
	rule := domain.TeamRule{Min: 2, Max: 5}
	tests := []struct {
		name string
		team []string
		want int // members kept; -1 when refused
	}{
		{"one member", []string{"张"}, -1},
		{"two members", []string{"张", "李"}, 2},
		{"five members", []string{"张", "李", "王", "赵", "刘"}, 5},
		{"six members", []string{"张", "李", "王", "赵", "刘", "陈"}, -1},
		{"blanks do not count", []string{"张", " ", ""}, -1},
		{"blanks are dropped", []string{"张", " ", "李 "}, 2},
		{"the same member twice", []string{"张", "张", "李"}, -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			team, fv := rule.Check(tt.team)
			if tt.want < 0 {
				if fv == nil || fv.Field != "team" || fv.Reason != domain.ReasonSurveyTeamSize {
					t.Errorf("Check(%q) = %v %v, want a SURVEY_TEAM_SIZE violation on team", tt.team, team, fv)
				}
				return
			}
			if fv != nil || len(team) != tt.want {
				t.Errorf("Check(%q) = %v %v, want %d members", tt.team, team, fv, tt.want)
			}
		})
	}
}
