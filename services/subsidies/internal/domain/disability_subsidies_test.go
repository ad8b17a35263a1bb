package domain_test

import (
	"encoding/json"
	"slices"
	"testing"

	"fupin.dev/services/subsidies/internal/domain"
)

// seedCareTable is deploy/policy/defaults.json's care subsidy table.
const seedCareTable = `[{"category":"*","grade":1,"fen":10000},{"category":"*","grade":2,"fen":7000}]`

// countyCareTable adds grade 3 intellectual (5) and mental (6) disabilities, as some counties do, and pays
// grade 1 intellectual more.
const countyCareTable = `[{"category":"*","grade":1,"fen":10000},{"category":"*","grade":2,"fen":7000},
	{"category":5,"grade":3,"fen":5000},{"category":"6","grade":3,"fen":5000},{"category":5,"grade":1,"fen":12000}]`

func certCareTable(t *testing.T, s string) domain.CareSubsidyTable {
	t.Helper()
	var tbl domain.CareSubsidyTable
	if err := json.Unmarshal([]byte(s), &tbl); err != nil {
		t.Fatal(err)
	}
	return tbl
}

func TestCareSubsidyTableRows(t *testing.T) {
	for _, bad := range []string{
		`[{"category":"*","grade":0,"fen":100}]`,
		`[{"category":"*","grade":5,"fen":100}]`,
		`[{"category":0,"grade":1,"fen":100}]`,
		`[{"category":8,"grade":1,"fen":100}]`,
		`[{"category":"any","grade":1,"fen":100}]`,
		`[{"category":"*","grade":1,"fen":-1}]`,
	} {
		var tbl domain.CareSubsidyTable
		if err := json.Unmarshal([]byte(bad), &tbl); err == nil {
			t.Errorf("%s accepted as %+v", bad, tbl)
		}
	}
}

func TestDisabilitySubsidyEligibility(t *testing.T) {
	cert := func(category, grade int) *domain.Certificate {
		return &domain.Certificate{ID: "c1", Status: domain.CertificateValid, Category: category, Grade: grade,
			IssueDate: "2020-01-01", StatusDate: "2020-01-01"}
	}
	dibao := &domain.Entitlement{ID: "e-dibao", Program: domain.ProgramDibao, Source: "dibaoCases/d1", FromMonth: "2026-01"}
	seed, county := certCareTable(t, seedCareTable), certCareTable(t, countyCareTable)
	tests := []struct {
		name  string
		kind  string
		facts domain.DisabilitySubsidyFacts
		fen   int64
		unmet []string
	}{
		{"care: physical grade 1", domain.DisabilitySubsidyKindCare, domain.DisabilitySubsidyFacts{Certificate: cert(4, 1), Care: seed}, 10000, nil},
		{"care: physical grade 2", domain.DisabilitySubsidyKindCare, domain.DisabilitySubsidyFacts{Certificate: cert(4, 2), Care: seed}, 7000, nil},
		{"care: physical grade 3", domain.DisabilitySubsidyKindCare, domain.DisabilitySubsidyFacts{Certificate: cert(4, 3), Care: seed}, 0, []string{domain.RuleCareGrade}},
		{"care: physical grade 4", domain.DisabilitySubsidyKindCare, domain.DisabilitySubsidyFacts{Certificate: cert(4, 4), Care: seed}, 0, []string{domain.RuleCareGrade}},
		{"care: intellectual grade 3 under the seed table", domain.DisabilitySubsidyKindCare, domain.DisabilitySubsidyFacts{Certificate: cert(5, 3), Care: seed}, 0, []string{domain.RuleCareGrade}},
		{"care: intellectual grade 3 where the county adds it", domain.DisabilitySubsidyKindCare, domain.DisabilitySubsidyFacts{Certificate: cert(5, 3), Care: county}, 5000, nil},
		{"care: mental grade 3 where the county adds it", domain.DisabilitySubsidyKindCare, domain.DisabilitySubsidyFacts{Certificate: cert(6, 3), Care: county}, 5000, nil},
		{"care: physical grade 3 stays out in that county", domain.DisabilitySubsidyKindCare, domain.DisabilitySubsidyFacts{Certificate: cert(4, 3), Care: county}, 0, []string{domain.RuleCareGrade}},
		{"care: a row naming the category wins over *", domain.DisabilitySubsidyKindCare, domain.DisabilitySubsidyFacts{Certificate: cert(5, 1), Care: county}, 12000, nil},
		{"care: intellectual grade 4 in that county", domain.DisabilitySubsidyKindCare, domain.DisabilitySubsidyFacts{Certificate: cert(5, 4), Care: county}, 0, []string{domain.RuleCareGrade}},
		{"care: no valid certificate", domain.DisabilitySubsidyKindCare, domain.DisabilitySubsidyFacts{Care: seed}, 0, []string{domain.RuleValidCertificate}},
		{"care: 低保 does not matter", domain.DisabilitySubsidyKindCare, domain.DisabilitySubsidyFacts{Certificate: cert(1, 2), Dibao: dibao, Care: seed}, 7000, nil},
		{"living: grade 1 with 低保", domain.DisabilitySubsidyKindLiving, domain.DisabilitySubsidyFacts{Certificate: cert(4, 1), Dibao: dibao, LivingFen: 9000}, 9000, nil},
		{"living: grade 2 with 低保", domain.DisabilitySubsidyKindLiving, domain.DisabilitySubsidyFacts{Certificate: cert(2, 2), Dibao: dibao, LivingFen: 9000}, 9000, nil},
		{"living: grade 3 with 低保", domain.DisabilitySubsidyKindLiving, domain.DisabilitySubsidyFacts{Certificate: cert(3, 3), Dibao: dibao, LivingFen: 9000}, 9000, nil},
		{"living: grade 4 with 低保", domain.DisabilitySubsidyKindLiving, domain.DisabilitySubsidyFacts{Certificate: cert(7, 4), Dibao: dibao, LivingFen: 9000}, 9000, nil},
		{"living: grade 1 without 低保", domain.DisabilitySubsidyKindLiving, domain.DisabilitySubsidyFacts{Certificate: cert(4, 1), LivingFen: 9000}, 0, []string{domain.RuleDibaoHousehold}},
		{"living: grade 4 without 低保", domain.DisabilitySubsidyKindLiving, domain.DisabilitySubsidyFacts{Certificate: cert(4, 4), LivingFen: 9000}, 0, []string{domain.RuleDibaoHousehold}},
		{"living: neither certificate nor 低保", domain.DisabilitySubsidyKindLiving, domain.DisabilitySubsidyFacts{LivingFen: 9000}, 0, []string{domain.RuleValidCertificate, domain.RuleDibaoHousehold}},
		{"living: 低保 without a certificate", domain.DisabilitySubsidyKindLiving, domain.DisabilitySubsidyFacts{Dibao: dibao, LivingFen: 9000}, 0, []string{domain.RuleValidCertificate}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.facts.Date = "2026-03-10"
			e := domain.EvaluateDisabilitySubsidy(tt.kind, tt.facts)
			if e.AmountFen != tt.fen || !slices.Equal(e.Unmet, tt.unmet) || e.Eligible != (len(tt.unmet) == 0) {
				t.Fatalf("got eligible %v, %d fen, unmet %v; want %d fen, unmet %v (%s)", e.Eligible, e.AmountFen, e.Unmet, tt.fen, tt.unmet, e.Summary)
			}
			if e.Summary == "" || e.Date != "2026-03-10" || len(e.Inputs) == 0 {
				t.Errorf("explanation incomplete: %+v", e)
			}
		})
	}
}
