package domain_test

import (
	"fmt"
	"testing"

	"fupin.dev/services/platform/apperr"
	"fupin.dev/services/platform/policy"
	"fupin.dev/services/platform/workflow"
	"fupin.dev/services/subsidies/internal/domain"
)

// seedNoLabour is deploy/policy/defaults.json's table: 60 and over, under 16, intellectual or mental grade
// 1–2, physical grade 1, visual grade 1.
var seedNoLabour = domain.NoLabourPolicy{AgeFrom: 60, AgeBelow: 16, Certificates: []domain.CertificateQualify{
	{Category: 5, MaxGrade: 2}, {Category: 6, MaxGrade: 2}, {Category: 4, MaxGrade: 1}, {Category: 1, MaxGrade: 1}}}

func TestEvaluateDestitute(t *testing.T) {
	const date = "2025-06-15"
	cert := func(category, grade int) *domain.Certificate {
		return &domain.Certificate{Category: category, Grade: grade}
	}
	tests := []struct {
		name          string
		birth         string
		cert          *domain.Certificate
		noIncome      bool
		noSupporter   bool
		wantUnmetList []domain.DestituteCondition
	}{
		{"60 on the birthday", "1965-06-15", nil, true, true, nil},
		{"59, the day before the 60th birthday", "1965-06-16", nil, true, true, []domain.DestituteCondition{domain.DestituteNoLabourAbility}},
		{"15, the day before the 16th birthday", "2009-06-16", nil, true, true, nil},
		{"16 on the birthday", "2009-06-15", nil, true, true, []domain.DestituteCondition{domain.DestituteNoLabourAbility}},
		{"intellectual grade 2", "1990-01-01", cert(5, 2), true, true, nil},
		{"intellectual grade 3", "1990-01-01", cert(5, 3), true, true, []domain.DestituteCondition{domain.DestituteNoLabourAbility}},
		{"mental grade 1", "1990-01-01", cert(6, 1), true, true, nil},
		{"mental grade 3", "1990-01-01", cert(6, 3), true, true, []domain.DestituteCondition{domain.DestituteNoLabourAbility}},
		{"physical grade 1", "1990-01-01", cert(4, 1), true, true, nil},
		{"physical grade 2", "1990-01-01", cert(4, 2), true, true, []domain.DestituteCondition{domain.DestituteNoLabourAbility}},
		{"visual grade 1", "1990-01-01", cert(1, 1), true, true, nil},
		{"visual grade 2", "1990-01-01", cert(1, 2), true, true, []domain.DestituteCondition{domain.DestituteNoLabourAbility}},
		{"hearing grade 1 is not in the table", "1990-01-01", cert(2, 1), true, true, []domain.DestituteCondition{domain.DestituteNoLabourAbility}},
		{"an income source", "1950-01-01", nil, false, true, []domain.DestituteCondition{domain.DestituteNoIncomeSource}},
		{"a supporter able to pay", "1950-01-01", nil, true, false, []domain.DestituteCondition{domain.DestituteNoAbleSupporter}},
		{"nothing met, each condition named", "1990-01-01", nil, false, false, []domain.DestituteCondition{
			domain.DestituteNoLabourAbility, domain.DestituteNoIncomeSource, domain.DestituteNoAbleSupporter}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := domain.EvaluateDestitute(domain.DestituteFacts{BirthDate: tt.birth, Date: date, Certificate: tt.cert,
				NoIncomeSource: tt.noIncome, NoAbleSupporter: tt.noSupporter}, seedNoLabour)
			if err != nil {
				t.Fatal(err)
			}
			var got []domain.DestituteCondition
			for _, u := range e.Unmet {
				got = append(got, u.Condition)
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.wantUnmetList) || e.Eligible != (len(tt.wantUnmetList) == 0) {
				t.Errorf("unmet %v eligible %v, want %v", got, e.Eligible, tt.wantUnmetList)
			}
		})
	}
}

func TestDestituteAmount(t *testing.T) {
	for _, tt := range []struct {
		standard int64
		rate     policy.Ratio
		want     int64
	}{{110_000, policy.Ratio{Num: 13, Den: 10}, 143_000}, {60_001, policy.Ratio{Num: 13, Den: 10}, 78_001}, {5, policy.Ratio{Num: 1, Den: 2}, 3}} {
		if got := domain.DestituteAmount(tt.standard, tt.rate); got != tt.want {
			t.Errorf("%d × %d/%d = %d, want %d", tt.standard, tt.rate.Num, tt.rate.Den, got, tt.want)
		}
	}
}

func TestDestituteCase(t *testing.T) {
	ctx := t.Context()
	walk := func(t *testing.T, a *reliefArea, person string, sv domain.DestituteSurvey, approve bool) (*domain.DestituteCase, error) {
		t.Helper()
		a.on("2025-05-06")
		k, err := a.destitute.OpenCase(ctx, reliefCounty, "h1", person, domain.ReliefStepMeta{})
		if err != nil {
			t.Fatal(err)
		}
		a.on("2025-05-07")
		if _, err := a.destitute.RecordSurvey(ctx, reliefCounty, k.ID, domain.ReliefStepMeta{}, sv); err != nil {
			t.Fatal(err)
		}
		if _, err := a.destitute.RecordTownshipReview(ctx, reliefCounty, k.ID, domain.ReliefStepMeta{}, true); err != nil {
			t.Fatal(err)
		}
		a.on("2025-06-03")
		return a.destitute.Decide(ctx, reliefCounty, k.ID, domain.ReliefStepMeta{}, approve)
	}
	t.Run("an old person alone is supported from the month of the application", func(t *testing.T) {
		a := newReliefArea(t)
		a.household("h1", "1950-01-01", "1990-01-01")
		k, err := walk(t, a, "h1-p1", domain.DestituteSurvey{NoIncomeSource: true, NoAbleSupporter: true}, true)
		if err != nil {
			t.Fatal(err)
		}
		if k.Decision.Outcome != workflow.OutcomeApproved || k.Evaluation == nil || !k.Evaluation.Eligible || k.Evaluation.AmountFen != 143_000 {
			t.Fatalf("case %+v evaluation %+v", k.Decision, k.Evaluation)
		}
		es, _ := a.st.EntitlementsOfPerson(ctx, "h1-p1")
		if len(es) != 1 || es[0].Program != domain.ProgramDestitute || es[0].FromMonth != "2025-05" || es[0].AmountFen != 143_000 ||
			es[0].Beneficiary != "persons/h1-p1" {
			t.Errorf("entitlements %+v", es)
		}
		_, err = a.destitute.OpenCase(ctx, reliefCounty, "h1", "h1-p1", domain.ReliefStepMeta{})
		refusedWith(t, err, apperr.KindAlreadyExists, domain.ReasonAlreadyCovered, "")
	})
	t.Run("an adult of working age with a supporter: each unmet condition named", func(t *testing.T) {
		a := newReliefArea(t)
		a.household("h1", "1950-01-01", "1990-01-01")
		_, err := walk(t, a, "h1-p2", domain.DestituteSurvey{NoIncomeSource: true}, true)
		refusedWith(t, err, apperr.KindRefused, domain.ReasonDestituteConditionsUnmet, "DESTITUTE_NO_LABOUR_ABILITY")
		refusedWith(t, err, apperr.KindRefused, domain.ReasonDestituteConditionsUnmet, "DESTITUTE_NO_ABLE_SUPPORTER")
		if es, _ := a.st.EntitlementsOfPerson(ctx, "h1-p2"); len(es) != 0 {
			t.Errorf("granted %+v", es)
		}
	})
	t.Run("a person who left the household cannot apply", func(t *testing.T) {
		a := newReliefArea(t)
		a.household("h1", "1950-01-01").Members[0].Current = false
		_, err := a.destitute.OpenCase(ctx, reliefCounty, "h1", "h1-p1", domain.ReliefStepMeta{})
		refusedWith(t, err, apperr.KindRefused, domain.ReasonRegisterSubjectNotCurrent, domain.RuleRegisterCurrent)
	})
}

func TestDestituteListAndWithdraw(t *testing.T) {
	ctx := t.Context()
	a := newReliefArea(t)
	a.on("2025-05-06")
	a.household("h1", "1950-01-01", "1952-02-02", "1990-01-01")
	other := a.household("h2", "1948-03-03")
	other.RegionCode = "990001001001"
	var ids []string
	for _, p := range [][2]string{{"h1", "h1-p1"}, {"h2", "h2-p1"}, {"h1", "h1-p2"}, {"h1", "h1-p3"}} {
		k, err := a.destitute.OpenCase(ctx, reliefCounty, p[0], p[1], domain.ReliefStepMeta{})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, k.ID)
	}
	list := func(t *testing.T, by workflow.Caller, filter string, size int) []string {
		t.Helper()
		var got []string
		after := ""
		for range 10 {
			page, next, err := a.destitute.ListCases(ctx, by, filter, after, size)
			if err != nil {
				t.Fatal(err)
			}
			if len(page) > size {
				t.Fatalf("a page of %d, asked for %d", len(page), size)
			}
			for _, k := range page {
				got = append(got, k.ID)
			}
			if after = next; after == "" {
				return got
			}
		}
		t.Fatal("no last page")
		return nil
	}
	township := workflow.Caller{Actor: "u-township", Scope: "990001002"}
	t.Run("pages of two, oldest first, in the caller's scope", func(t *testing.T) {
		if got := list(t, reliefCounty, "", 2); fmt.Sprint(got) != fmt.Sprint(ids) {
			t.Errorf("county: %v, want %v", got, ids)
		}
		if got, want := list(t, township, "", 1), []string{ids[0], ids[2], ids[3]}; fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("township: %v, want %v", got, want)
		}
		if got := list(t, workflow.Caller{Actor: "v", Scope: "990001003"}, "", 5); len(got) != 0 {
			t.Errorf("another township sees %v", got)
		}
	})
	t.Run("the withdrawal needs a reason and closes the case", func(t *testing.T) {
		_, err := a.destitute.Withdraw(ctx, reliefCounty, ids[2], domain.ReliefStepMeta{})
		refusedWith(t, err, apperr.KindInvalid, workflow.ReasonInvalidField, "note")
		_, err = a.destitute.Withdraw(ctx, workflow.Caller{Actor: "t", Scope: "990001001"}, ids[2], domain.ReliefStepMeta{Note: "本人放弃"})
		refusedWith(t, err, apperr.KindPermissionDenied, workflow.ReasonOutOfRegionScope, "")
		k, err := a.destitute.Withdraw(ctx, township, ids[2], domain.ReliefStepMeta{Note: "本人放弃申请"})
		if err != nil {
			t.Fatal(err)
		}
		if k.State != workflow.StateClosed || k.Decision == nil || k.Decision.Outcome != workflow.OutcomeWithdrawn ||
			k.Decision.Explanation != "本人放弃申请" || k.Steps[len(k.Steps)-1].Name != workflow.StepWithdrawal {
			t.Fatalf("withdrawn %+v %+v", k.Case, k.Decision)
		}
		if es, _ := a.st.EntitlementsOfPerson(ctx, "h1-p2"); len(es) != 0 {
			t.Errorf("granted %+v", es)
		}
		_, err = a.destitute.Withdraw(ctx, reliefCounty, ids[2], domain.ReliefStepMeta{Note: "again"})
		if e, ok := apperr.As(err); !ok || e.Kind != apperr.KindRefused {
			t.Errorf("a second withdrawal: %v", err)
		}
		// The person may apply again.
		if _, err := a.destitute.OpenCase(ctx, reliefCounty, "h1", "h1-p2", domain.ReliefStepMeta{}); err != nil {
			t.Errorf("applying again: %v", err)
		}
	})
	t.Run("filters as the engine reads them", func(t *testing.T) {
		if got, want := list(t, reliefCounty, "outcome = WITHDRAWN", 5), []string{ids[2]}; fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("withdrawn: %v, want %v", got, want)
		}
		if got := list(t, reliefCounty, `state = OPEN AND region_code:"990001001"`, 5); fmt.Sprint(got) != fmt.Sprint([]string{ids[1]}) {
			t.Errorf("open in 990001001: %v", got)
		}
		if got := list(t, township, `region_code:"990001001"`, 5); len(got) != 0 {
			t.Errorf("a filter does not widen the scope: %v", got)
		}
		_, _, err := a.destitute.ListCases(ctx, reliefCounty, "colour = red", "", 5)
		refusedWith(t, err, apperr.KindInvalid, "INVALID_FIELD", "filter")
	})
	t.Run("低保 cases are not listed", func(t *testing.T) {
		a.household("h3", "1980-01-01")
		if _, err := a.dibao.OpenCase(ctx, reliefCounty, "h3", "", domain.ReliefStepMeta{}); err != nil {
			t.Fatal(err)
		}
		for _, id := range list(t, reliefCounty, "", 50) {
			k, err := a.destitute.GetCase(ctx, reliefCounty, id)
			if err != nil || k.Kind != domain.KindDestitute {
				t.Errorf("listed %s: %v", id, err)
			}
		}
	})
}
