package domain_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"fupin.dev/services/platform/apperr"
	"fupin.dev/services/platform/bizdate"
	"fupin.dev/services/platform/migrations"
	"fupin.dev/services/platform/outbox"
	"fupin.dev/services/platform/policy"
	"fupin.dev/services/platform/sqldb"
	"fupin.dev/services/platform/sqldb/sqldbtest"
	"fupin.dev/services/platform/workflow"
	"fupin.dev/services/subsidies/internal/domain"
	"fupin.dev/services/subsidies/internal/store"
	"github.com/google/uuid"
)

// reliefPolicy serves deploy/policy/defaults.json's values (region "*"), with the test's overrides: a
// stand-in for the etcd policy store that the tests can change between steps.
type reliefPolicy map[string]string

func newReliefPolicy(t *testing.T) reliefPolicy {
	t.Helper()
	entries, err := policy.LoadDefaultsFile("../../../../deploy/policy/defaults.json")
	if err != nil {
		t.Fatal(err)
	}
	p := reliefPolicy{}
	for _, e := range entries {
		if e.Region == "*" {
			p[e.Parameter] = string(e.Value)
		}
	}
	return p
}

func (p reliefPolicy) Decode(parameter, _ string, _ time.Time, into any) (policy.Value, error) {
	raw, ok := p[parameter]
	if !ok {
		return policy.Value{}, fmt.Errorf("%s: %w", parameter, policy.ErrNotFound)
	}
	sum := sha256.Sum256([]byte(parameter + raw))
	return policy.Value{Parameter: parameter, Region: "*", Effective: "2024-01-01", Raw: json.RawMessage(raw),
		Hash: hex.EncodeToString(sum[:])}, json.Unmarshal([]byte(raw), into)
}

// fakeRegister is the identification register as 民政 reads it: households by id, and the income
// assessment each answers.
type fakeRegister struct {
	households map[string]*domain.RegisterHousehold
	income     map[string]*domain.RegisterIncome
}

func (r *fakeRegister) Household(_ context.Context, id string) (*domain.RegisterHousehold, error) {
	h, ok := r.households[id]
	if !ok {
		return nil, domain.ErrRegisterSubjectUnknown
	}
	cp := *h
	cp.Members = append([]domain.RegisterMember(nil), h.Members...)
	return &cp, nil
}

func (r *fakeRegister) DibaoIncome(_ context.Context, id, asOf string) (*domain.RegisterIncome, error) {
	inc, ok := r.income[id]
	if !ok {
		return nil, domain.ErrRegisterSubjectUnknown
	}
	cp := *inc
	cp.To = asOf
	return &cp, nil
}

// certificateBook is a CertificateReader of the test's own: the certificates valid on every date.
type certificateBook map[string]*domain.Certificate

func (b certificateBook) ValidCertificates(_ context.Context, personIDs []string, _ string) (map[string]*domain.Certificate, error) {
	out := map[string]*domain.Certificate{}
	for _, p := range personIDs {
		if c, ok := b[p]; ok {
			out[p] = c
		}
	}
	return out, nil
}

// reliefArea is 民政's area on a real SQLite database and workflow engine, with a clock the test moves.
type reliefArea struct {
	st        *store.Store
	dibao     *domain.Dibao
	destitute *domain.Destitute
	temporary *domain.TemporaryAssistances
	pol       reliefPolicy
	reg       *fakeRegister
	certs     certificateBook
	now       time.Time
	// ended records what OnCoverageEnd was told.
	ended []string
}

var reliefCounty = workflow.Caller{Actor: "u-civil", Scope: ""}

func newReliefArea(t *testing.T) *reliefArea {
	t.Helper()
	db := sqldbtest.Open(t, sqldb.SQLite)
	if err := migrations.Apply(t.Context(), db, nil); err != nil {
		t.Fatal(err)
	}
	if err := store.Migrate(t.Context(), db, nil); err != nil {
		t.Fatal(err)
	}
	a := &reliefArea{st: store.New(db, outbox.New(db, nil)), pol: newReliefPolicy(t), certs: certificateBook{},
		reg: &fakeRegister{households: map[string]*domain.RegisterHousehold{}, income: map[string]*domain.RegisterIncome{}},
		now: time.Date(2025, 6, 2, 9, 0, 0, 0, bizdate.Location)}
	a.pol[domain.ParamDibaoStandardRural] = "110000"
	now := func() time.Time { return a.now }
	newID := func() string { return uuid.Must(uuid.NewV7()).String() }
	engine := workflow.New(db, workflow.Options{Now: now, NewID: newID, Policy: a.pol})
	var err error
	if a.dibao, err = domain.NewDibao(a.st, a.st, engine, a.pol, a.reg, a.certs, newID, now); err != nil {
		t.Fatal(err)
	}
	if a.destitute, err = domain.NewDestitute(a.st, engine, a.pol, a.reg, a.certs, newID, now); err != nil {
		t.Fatal(err)
	}
	a.temporary = domain.NewTemporaryAssistances(a.st, a.pol, a.reg, newID, now)
	a.dibao.OnCoverageEnd(func(_ context.Context, household, lastMonth, _ string) error {
		a.ended = append(a.ended, household+"@"+lastMonth)
		return nil
	})
	return a
}

// on moves the clock to a business date.
func (a *reliefArea) on(date string) {
	t, _ := bizdate.Parse(date)
	a.now = t.Add(9 * time.Hour)
}

// household registers a rural household of the given members (birth dates) in the fake register.
func (a *reliefArea) household(id string, births ...string) *domain.RegisterHousehold {
	h := &domain.RegisterHousehold{ID: id, RegionCode: "990001002003", Active: true, Size: len(births)}
	for i, b := range births {
		h.Members = append(h.Members, domain.RegisterMember{PersonID: fmt.Sprintf("%s-p%d", id, i+1),
			IDIndex: fmt.Sprintf("idx-%s-%d", id, i+1), BirthDate: b, Labour: domain.LabourOrdinary, Health: domain.HealthHealthy, Current: true})
	}
	a.reg.households[id] = h
	return h
}

// approve walks a 低保 case from application (applied) to approval, one step a day.
func (a *reliefArea) approve(t *testing.T, householdID, personID, applied string, in domain.DibaoSurveyInput) *domain.DibaoCase {
	t.Helper()
	ctx := t.Context()
	day := func(n int) string {
		d, _ := bizdate.Parse(applied)
		return d.AddDate(0, 0, n).Format(bizdate.Layout)
	}
	a.on(applied)
	k, err := a.dibao.OpenCase(ctx, reliefCounty, householdID, personID, domain.ReliefStepMeta{Note: "申请"})
	if err != nil {
		t.Fatal(err)
	}
	if in.Team == nil {
		in.Team = []string{"张", "李"}
	}
	steps := []func() (*domain.DibaoCase, error){
		func() (*domain.DibaoCase, error) {
			return a.dibao.RecordSurvey(ctx, reliefCounty, k.ID, domain.ReliefStepMeta{}, in)
		},
		func() (*domain.DibaoCase, error) {
			return a.dibao.RecordVillageReview(ctx, reliefCounty, k.ID, domain.ReliefStepMeta{}, 30, 20, 15)
		},
		func() (*domain.DibaoCase, error) {
			return a.dibao.StartPosting(ctx, reliefCounty, k.ID, domain.ReliefStepMeta{})
		},
	}
	for i, step := range steps {
		a.on(day(i + 1))
		if _, err := step(); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
	}
	a.on(day(10))
	if _, err := a.dibao.CompletePosting(ctx, reliefCounty, k.ID, domain.ReliefStepMeta{}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.dibao.RecordTownshipReview(ctx, reliefCounty, k.ID, domain.ReliefStepMeta{}, true); err != nil {
		t.Fatal(err)
	}
	k, err = a.dibao.Decide(ctx, reliefCounty, k.ID, domain.ReliefStepMeta{}, true)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func refusedWith(t *testing.T, err error, kind apperr.Kind, reason, detail string) {
	t.Helper()
	e, ok := apperr.As(err)
	if !ok || e.Kind != kind || e.Reason != reason {
		t.Fatalf("got %v, want %s", err, reason)
	}
	if detail == "" {
		return
	}
	for _, v := range e.Violations {
		if v.Type == detail {
			return
		}
	}
	for _, f := range e.Fields {
		if f.Field == detail {
			return
		}
	}
	t.Fatalf("%v names neither rule nor field %s", err, detail)
}

func TestDibaoCaseApproval(t *testing.T) {
	a := newReliefArea(t)
	ctx := t.Context()
	a.household("h1", "1980-01-01", "1982-02-02", "2015-03-03")
	// The seeds' example: standard 1,100 元, per-capita income 700 元 (2,100 a month for 3), a minor → 1,640 元.
	k := a.approve(t, "h1", "", "2025-03-10", domain.DibaoSurveyInput{Income: []domain.IncomeFigure{{AmountFen: 2_520_000, Months: 12}}})
	if k.Decision.Outcome != workflow.OutcomeApproved || k.Amount == nil || k.Amount.AmountFen != 164_000 || k.CoverageID != k.ID {
		t.Fatalf("decision %+v amount %+v", k.Decision, k.Amount)
	}
	if len(k.Amount.Policy) == 0 || k.Amount.Policy[0].Hash == "" || k.Amount.PolicyDate != "2025-03-20" {
		t.Errorf("the explanation lacks its policy: %+v", k.Amount)
	}
	es, err := a.st.EntitlementsBySource(ctx, domain.DibaoCaseSource(k.ID))
	if err != nil || len(es) != 1 {
		t.Fatalf("entitlements %v %v", es, err)
	}
	e := es[0]
	if e.Program != domain.ProgramDibao || e.Beneficiary != "households/h1" || e.HouseholdID != "h1" || e.FromMonth != "2025-03" ||
		e.ToMonth != "" || e.AmountFen != 164_000 || e.Covered != 3 || e.RegionCode != "990001002003" {
		t.Errorf("entitlement %+v", e)
	}
	c, _, err := a.dibao.GetCoverage(ctx, reliefCounty, k.ID)
	if err != nil {
		t.Fatal(err)
	}
	if c.State != domain.CoverageActive || len(c.Members) != 3 || c.Members[0].IDIndex == "" || c.NextReviewDate != "2026-03-20" ||
		c.FrequentReview || c.EntitlementID != e.ID {
		t.Errorf("coverage %+v", c)
	}
	t.Run("a covered household cannot apply again", func(t *testing.T) {
		_, err := a.dibao.OpenCase(ctx, reliefCounty, "h1", "", domain.ReliefStepMeta{})
		refusedWith(t, err, apperr.KindAlreadyExists, domain.ReasonAlreadyCovered, "")
	})
	t.Run("nor a member alone", func(t *testing.T) {
		a.certs["h1-p1"] = &domain.Certificate{PersonID: "h1-p1", Category: 4, Grade: 1}
		k, err := a.dibao.OpenCase(ctx, reliefCounty, "h1", "h1-p1", domain.ReliefStepMeta{})
		if err != nil {
			t.Fatal(err)
		}
		a.on("2025-03-21")
		_, err = a.dibao.RecordSurvey(ctx, reliefCounty, k.ID, domain.ReliefStepMeta{}, domain.DibaoSurveyInput{Team: []string{"a", "b"}})
		if err != nil {
			t.Fatal(err)
		}
		for _, step := range []func() error{
			func() error {
				_, err := a.dibao.RecordVillageReview(ctx, reliefCounty, k.ID, domain.ReliefStepMeta{}, 30, 30, 30)
				return err
			},
			func() error {
				_, err := a.dibao.StartPosting(ctx, reliefCounty, k.ID, domain.ReliefStepMeta{})
				return err
			},
		} {
			if err := step(); err != nil {
				t.Fatal(err)
			}
		}
		a.on("2025-03-28")
		if _, err := a.dibao.CompletePosting(ctx, reliefCounty, k.ID, domain.ReliefStepMeta{}); err != nil {
			t.Fatal(err)
		}
		if _, err := a.dibao.RecordTownshipReview(ctx, reliefCounty, k.ID, domain.ReliefStepMeta{}, true); err != nil {
			t.Fatal(err)
		}
		_, err = a.dibao.Decide(ctx, reliefCounty, k.ID, domain.ReliefStepMeta{}, true)
		refusedWith(t, err, apperr.KindAlreadyExists, domain.ReasonAlreadyCovered, "")
	})
}

func TestDibaoCaseRefusals(t *testing.T) {
	ctx := t.Context()
	t.Run("a household outside the register", func(t *testing.T) {
		a := newReliefArea(t)
		_, err := a.dibao.OpenCase(ctx, reliefCounty, "nope", "", domain.ReliefStepMeta{})
		refusedWith(t, err, apperr.KindNotFound, domain.ReasonRegisterSubjectUnknown, "")
	})
	t.Run("a household outside the caller's scope", func(t *testing.T) {
		a := newReliefArea(t)
		a.household("h1", "1980-01-01")
		_, err := a.dibao.OpenCase(ctx, workflow.Caller{Actor: "t", Scope: "990001001"}, "h1", "", domain.ReliefStepMeta{})
		refusedWith(t, err, apperr.KindPermissionDenied, workflow.ReasonOutOfRegionScope, "")
	})
	t.Run("an archived household", func(t *testing.T) {
		a := newReliefArea(t)
		a.household("h1", "1980-01-01").Active = false
		_, err := a.dibao.OpenCase(ctx, reliefCounty, "h1", "", domain.ReliefStepMeta{})
		refusedWith(t, err, apperr.KindRefused, domain.ReasonRegisterSubjectNotCurrent, domain.RuleRegisterCurrent)
	})
	survey := func(t *testing.T, in domain.DibaoSurveyInput) error {
		a := newReliefArea(t)
		a.household("h1", "1980-01-01", "1981-01-01")
		k, err := a.dibao.OpenCase(ctx, reliefCounty, "h1", "", domain.ReliefStepMeta{})
		if err != nil {
			t.Fatal(err)
		}
		_, err = a.dibao.RecordSurvey(ctx, reliefCounty, k.ID, domain.ReliefStepMeta{}, in)
		return err
	}
	tests := []struct {
		name   string
		in     domain.DibaoSurveyInput
		reason string
		field  string
	}{
		{"a team of one", domain.DibaoSurveyInput{Team: []string{"张"}}, domain.ReasonDibaoSurveyTeamSize, "team"},
		{"a team of six", domain.DibaoSurveyInput{Team: []string{"a", "b", "c", "d", "e", "f"}}, domain.ReasonDibaoSurveyTeamSize, "team"},
		{"the same surveyor twice counts once", domain.DibaoSurveyInput{Team: []string{"张", " 张"}}, domain.ReasonDibaoSurveyTeamSize, "team"},
		{"a covered person from elsewhere", domain.DibaoSurveyInput{Team: []string{"a", "b"}, CoveredPersonIDs: []string{"h1-p1", "stranger"}},
			domain.ReasonDibaoCoveredNotMember, "covered_persons[1]"},
		{"an item over 13 months", domain.DibaoSurveyInput{Team: []string{"a", "b"}, Income: []domain.IncomeFigure{{AmountFen: 1, Months: 13}}},
			workflow.ReasonInvalidField, "income.items.items[0]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			refusedWith(t, survey(t, tt.in), apperr.KindInvalid, tt.reason, tt.field)
		})
	}
	t.Run("teams of two and five are fine", func(t *testing.T) {
		for _, team := range [][]string{{"a", "b"}, {"a", "b", "c", "d", "e"}} {
			if err := survey(t, domain.DibaoSurveyInput{Team: team}); err != nil {
				t.Errorf("%v: %v", team, err)
			}
		}
	})
	t.Run("income at the standard: approval refused, naming the rule", func(t *testing.T) {
		a := newReliefArea(t)
		a.household("h1", "1980-01-01")
		k, err := a.dibao.OpenCase(ctx, reliefCounty, "h1", "", domain.ReliefStepMeta{})
		if err != nil {
			t.Fatal(err)
		}
		for _, step := range []func() error{
			func() error {
				_, err := a.dibao.RecordSurvey(ctx, reliefCounty, k.ID, domain.ReliefStepMeta{}, domain.DibaoSurveyInput{Team: []string{"a", "b"},
					Income: []domain.IncomeFigure{{AmountFen: 110_000, Months: 1}}})
				return err
			},
			func() error {
				_, err := a.dibao.RecordVillageReview(ctx, reliefCounty, k.ID, domain.ReliefStepMeta{}, 30, 20, 11)
				return err
			},
			func() error {
				_, err := a.dibao.StartPosting(ctx, reliefCounty, k.ID, domain.ReliefStepMeta{})
				return err
			},
		} {
			if err := step(); err != nil {
				t.Fatal(err)
			}
		}
		a.on("2025-06-09")
		if _, err := a.dibao.CompletePosting(ctx, reliefCounty, k.ID, domain.ReliefStepMeta{}); err != nil {
			t.Fatal(err)
		}
		if _, err := a.dibao.RecordTownshipReview(ctx, reliefCounty, k.ID, domain.ReliefStepMeta{}, true); err != nil {
			t.Fatal(err)
		}
		_, err = a.dibao.Decide(ctx, reliefCounty, k.ID, domain.ReliefStepMeta{}, true)
		refusedWith(t, err, apperr.KindRefused, domain.ReasonDibaoIncomeAtOrAbove, domain.RuleDibaoIncome)
		k2, err := a.dibao.Decide(ctx, reliefCounty, k.ID, domain.ReliefStepMeta{Note: "收入达标"}, false)
		if err != nil || k2.Decision.Outcome != workflow.OutcomeRefused {
			t.Fatalf("a refusal: %v %v", k2, err)
		}
		if es, _ := a.st.EntitlementsOfHousehold(ctx, "h1"); len(es) != 0 {
			t.Errorf("a refused case granted %v", es)
		}
	})
	t.Run("the village review", func(t *testing.T) {
		a := newReliefArea(t)
		a.household("h1", "1980-01-01")
		k, err := a.dibao.OpenCase(ctx, reliefCounty, "h1", "", domain.ReliefStepMeta{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := a.dibao.RecordSurvey(ctx, reliefCounty, k.ID, domain.ReliefStepMeta{}, domain.DibaoSurveyInput{Team: []string{"a", "b"}}); err != nil {
			t.Fatal(err)
		}
		_, err = a.dibao.RecordVillageReview(ctx, reliefCounty, k.ID, domain.ReliefStepMeta{}, 30, 19, 19)
		refusedWith(t, err, apperr.KindRefused, domain.ReasonDibaoReviewQuorumNotMet, domain.RuleDibaoReviewPresent)
		_, err = a.dibao.RecordVillageReview(ctx, reliefCounty, k.ID, domain.ReliefStepMeta{}, 30, 31, 1)
		refusedWith(t, err, apperr.KindInvalid, workflow.ReasonInvalidField, "present")
		k2, err := a.dibao.RecordVillageReview(ctx, reliefCounty, k.ID, domain.ReliefStepMeta{}, 30, 20, 10)
		if err != nil || k2.Decision == nil || k2.Decision.Outcome != workflow.OutcomeRefused || k2.Decision.Step != domain.ReliefStepVillageReview {
			t.Fatalf("half the votes: %+v %v", k2, err)
		}
	})
}

func TestDibaoReviewResult(t *testing.T) {
	twoThirds, half := policy.Ratio{Num: 2, Den: 3}, policy.Ratio{Num: 1, Den: 2}
	tests := []struct {
		name                       string
		registered, present, votes int
		wantQuorate, wantPassed    bool
	}{
		{"2/3 present exactly", 30, 20, 11, true, true},
		{"one short of 2/3", 30, 19, 19, false, false},
		{"half the votes does not pass", 30, 20, 10, true, false},
		{"one more than half passes", 30, 20, 11, true, true},
		{"nobody registered", 0, 0, 0, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q, p := domain.DibaoReviewResult(tt.registered, tt.present, tt.votes, twoThirds, half)
			if q != tt.wantQuorate || p != tt.wantPassed {
				t.Errorf("quorate %v passed %v, want %v %v", q, p, tt.wantQuorate, tt.wantPassed)
			}
		})
	}
}

func TestSinglePersonUnmet(t *testing.T) {
	p := domain.SinglePersonPolicy{MinAge: 18, SevereDisabilityMaxGrade: 2}
	grade := func(g int) *domain.Certificate { return &domain.Certificate{Category: 4, Grade: g} }
	tests := []struct {
		name     string
		birth    string
		employed bool
		cert     *domain.Certificate
		want     []string
	}{
		{"an adult without a job, grade 1", "1990-01-01", false, grade(1), nil},
		{"grade 2 is severe", "1990-01-01", false, grade(2), nil},
		{"grade 3 is not", "1990-01-01", false, grade(3), []string{domain.RuleSinglePersonDisability}},
		{"no certificate", "1990-01-01", false, nil, []string{domain.RuleSinglePersonDisability}},
		{"18 on the birthday", "2007-06-15", false, grade(1), nil},
		{"17 the day before", "2007-06-16", false, grade(1), []string{domain.RuleSinglePersonAge}},
		{"with a job", "1990-01-01", true, grade(1), []string{domain.RuleSinglePersonJobless}},
		{"everything unmet, each named", "2010-01-01", true, nil,
			[]string{domain.RuleSinglePersonAge, domain.RuleSinglePersonJobless, domain.RuleSinglePersonDisability}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			vs, err := domain.SinglePersonUnmet(tt.birth, tt.employed, tt.cert, "2025-06-15", p)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, v := range vs {
				got = append(got, v.Type)
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestSinglePersonCoverage(t *testing.T) {
	a := newReliefArea(t)
	ctx := t.Context()
	a.household("h1", "1990-01-01", "1960-05-05")
	t.Run("without a severe certificate the survey is refused", func(t *testing.T) {
		k, err := a.dibao.OpenCase(ctx, reliefCounty, "h1", "h1-p1", domain.ReliefStepMeta{})
		if err != nil {
			t.Fatal(err)
		}
		_, err = a.dibao.RecordSurvey(ctx, reliefCounty, k.ID, domain.ReliefStepMeta{}, domain.DibaoSurveyInput{Team: []string{"a", "b"}})
		refusedWith(t, err, apperr.KindRefused, domain.ReasonSinglePersonCoverageUnmet, domain.RuleSinglePersonDisability)
		if _, err := a.dibao.Withdraw(ctx, reliefCounty, k.ID, domain.ReliefStepMeta{Note: "证件未办"}); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("a jobless adult of grade 1 is covered alone", func(t *testing.T) {
		a.certs["h1-p1"] = &domain.Certificate{PersonID: "h1-p1", Category: 5, Grade: 1}
		k := a.approve(t, "h1", "h1-p1", "2025-04-01", domain.DibaoSurveyInput{})
		// 1,100 元 (no income) + 30 % for the severe disability = 1,430 元, however much the household earns.
		if k.Amount.AmountFen != 143_000 || k.Amount.HouseholdSize != 1 || k.Amount.Covered != 1 {
			t.Fatalf("amount %+v", k.Amount)
		}
		es, _ := a.st.EntitlementsBySource(ctx, domain.DibaoCaseSource(k.ID))
		if len(es) != 1 || es[0].Beneficiary != "persons/h1-p1" || es[0].PersonID != "h1-p1" || es[0].FromMonth != "2025-04" {
			t.Errorf("entitlements %+v", es)
		}
	})
}

// reviewed approves h1 (3 persons, 2,100 元 a month, standard 1,100: 1,200 元) and reviews it with a
// new monthly income on 2025-09-15.
func reviewed(t *testing.T, income int64, byWork bool, taper string) (*reliefArea, *domain.DibaoReview, *domain.DibaoCoverage) {
	t.Helper()
	a := newReliefArea(t)
	if taper != "" {
		a.pol[domain.ParamDibaoTaperMonths] = taper
	}
	a.household("h1", "1980-01-01", "1982-02-02", "1985-03-03")
	k := a.approve(t, "h1", "", "2025-03-10", domain.DibaoSurveyInput{Income: []domain.IncomeFigure{{AmountFen: 210_000, Months: 1}}})
	if k.Amount.AmountFen != 120_000 {
		t.Fatalf("approved at %d", k.Amount.AmountFen)
	}
	a.on("2025-09-15")
	r, c, err := a.dibao.RecordReview(t.Context(), reliefCounty, k.ID, domain.ReviewInput{
		Income: []domain.IncomeFigure{{AmountFen: income, Months: 1}}, RaisedByWork: byWork})
	if err != nil {
		t.Fatal(err)
	}
	return a, r, c
}

func TestDibaoReviews(t *testing.T) {
	tests := []struct {
		name    string
		income  int64
		byWork  bool
		taper   string
		outcome domain.ReviewOutcome
		state   domain.CoverageState
		// want is each entitlement's (from, to, amount), oldest first.
		want []string
		// ended is what OnCoverageEnd was told (household@last month), when the 低保 ends.
		ended []string
	}{
		{"the same income: nothing changes", 210_000, false, "", domain.ReviewUnchanged, domain.CoverageActive,
			[]string{"2025-03..:120000"}, nil},
		{"less income: more from the next month", 150_000, false, "", domain.ReviewChanged, domain.CoverageActive,
			[]string{"2025-03..2025-09:120000", "2025-10..:180000"}, nil},
		{"income at the standard, not by work: stopped after the review's month", 330_000, false, "", domain.ReviewStopped,
			domain.CoverageEnded, []string{"2025-03..2025-09:120000"}, []string{"h1@2025-09"}},
		{"raised by work: 6 months of 渐退期", 400_000, true, "", domain.ReviewTaper, domain.CoverageTaper,
			[]string{"2025-03..2026-03:120000"}, []string{"h1@2026-03"}},
		{"raised by work without a 渐退期 in policy: stopped", 400_000, true, "0", domain.ReviewStopped, domain.CoverageEnded,
			[]string{"2025-03..2025-09:120000"}, []string{"h1@2025-09"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, r, c := reviewed(t, tt.income, tt.byWork, tt.taper)
			if r.Outcome != tt.outcome || c.State != tt.state {
				t.Errorf("outcome %d state %d, want %d %d", r.Outcome, c.State, tt.outcome, tt.state)
			}
			es, err := a.st.EntitlementsOfHousehold(t.Context(), "h1")
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, e := range es {
				got = append(got, fmt.Sprintf("%s..%s:%d", e.FromMonth, e.ToMonth, e.AmountFen))
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("entitlements %v, want %v", got, tt.want)
			}
			if fmt.Sprint(a.ended) != fmt.Sprint(tt.ended) {
				t.Errorf("coverage end told %v, want %v", a.ended, tt.ended)
			}
			if tt.state == domain.CoverageActive && c.NextReviewDate != "2026-09-15" {
				t.Errorf("next review %q", c.NextReviewDate)
			}
		})
	}
	t.Run("an ended coverage is not reviewed again", func(t *testing.T) {
		a, _, c := reviewed(t, 330_000, false, "")
		_, _, err := a.dibao.RecordReview(t.Context(), reliefCounty, c.ID, domain.ReviewInput{})
		refusedWith(t, err, apperr.KindRefused, domain.ReasonDibaoCoverageEnded, "")
	})
}

func TestOverdueReviewsFollowIrregularIncome(t *testing.T) {
	a := newReliefArea(t)
	ctx := t.Context()
	a.household("stable", "1980-01-01")
	a.household("irregular", "1980-01-01")
	a.approve(t, "stable", "", "2025-01-06", domain.DibaoSurveyInput{})
	k := a.approve(t, "irregular", "", "2025-01-06", domain.DibaoSurveyInput{IrregularIncome: true})
	for _, tt := range []struct {
		asOf string
		want int
	}{{"2025-07-15", 0}, {"2025-07-16", 1}, {"2026-01-16", 2}} {
		cs, _, err := a.dibao.ListOverdueReviews(ctx, reliefCounty, tt.asOf, "", 10)
		if err != nil || len(cs) != tt.want {
			t.Errorf("as of %s: %d due (%v), want %d", tt.asOf, len(cs), err, tt.want)
		}
		if n, err := a.dibao.CountOverdueReviews(ctx, reliefCounty, tt.asOf); err != nil || n != int64(tt.want) {
			t.Errorf("as of %s: count %d (%v), want %d", tt.asOf, n, err, tt.want)
		}
		if tt.want == 1 && cs[0].ID != k.ID {
			t.Errorf("the irregular household is due first, got %s", cs[0].ID)
		}
	}
}

func TestAddMonthsToDate(t *testing.T) {
	for _, tt := range []struct {
		date string
		n    int
		want string
	}{{"2025-01-31", 1, "2025-02-28"}, {"2024-01-31", 1, "2024-02-29"}, {"2025-03-20", 12, "2026-03-20"}, {"2025-08-31", 6, "2026-02-28"}} {
		if got := domain.AddMonthsToDate(tt.date, tt.n); got != tt.want {
			t.Errorf("%s + %d months = %s, want %s", tt.date, tt.n, got, tt.want)
		}
	}
}

func TestCoverageApplyTaperEnd(t *testing.T) {
	taper := func(last string) domain.DibaoCoverage {
		return domain.DibaoCoverage{State: domain.CoverageTaper, TaperLastMonth: last}
	}
	tests := []struct {
		name    string
		c       domain.DibaoCoverage
		month   string
		changed bool
		state   domain.CoverageState
		end     string
		reason  string
	}{
		{"a month before the last: in its 渐退期", taper("2026-03"), "2026-02", false, domain.CoverageTaper, "", ""},
		{"the last month of the 渐退期: still paid", taper("2026-03"), "2026-03", false, domain.CoverageTaper, "", ""},
		{"the month after the last: ended, 渐退期满", taper("2026-03"), "2026-04", true, domain.CoverageEnded, "2026-03", domain.TaperEndReason},
		{"a year later: ended with the same last month", taper("2026-03"), "2027-04", true, domain.CoverageEnded, "2026-03", domain.TaperEndReason},
		{"December the last month: December is still paid", taper("2025-12"), "2025-12", false, domain.CoverageTaper, "", ""},
		{"December the last month: January has ended", taper("2025-12"), "2026-01", true, domain.CoverageEnded, "2025-12", domain.TaperEndReason},
		{"an active coverage has no 渐退期", domain.DibaoCoverage{State: domain.CoverageActive}, "2030-01", false, domain.CoverageActive, "", ""},
		{"an ended coverage keeps its own end", domain.DibaoCoverage{State: domain.CoverageEnded, TaperLastMonth: "2025-01", EndMonth: "2024-11",
			EndReason: "户籍变动: 死亡或迁出"}, "2030-01", false, domain.CoverageEnded, "2024-11", "户籍变动: 死亡或迁出"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := tt.c
			c.NextReviewDate = "2026-09-15"
			changed := c.ApplyTaperEnd(tt.month)
			if changed != tt.changed || c.State != tt.state || c.EndMonth != tt.end || c.EndReason != tt.reason {
				t.Errorf("changed %v state %d end %q %q, want %v %d %q %q", changed, c.State, c.EndMonth, c.EndReason,
					tt.changed, tt.state, tt.end, tt.reason)
			}
			if c.TaperLastMonth != tt.c.TaperLastMonth {
				t.Errorf("taper last month %q, want %q kept", c.TaperLastMonth, tt.c.TaperLastMonth)
			}
			if changed && c.NextReviewDate != "" {
				t.Errorf("an ended coverage is due for review on %s", c.NextReviewDate)
			}
		})
	}
}

// A review on 2025-09-15 finding income raised by work opens 6 months of 渐退期: paid to 2026-03. Reads on
// the last day of March still show the 渐退期; from 1 April they show the coverage ended (渐退期满), though
// nothing was written.
func TestTaperEndsAfterItsLastMonth(t *testing.T) {
	tests := []struct {
		name   string
		today  string
		state  domain.CoverageState
		end    string
		reason string
	}{
		{"the last day of the last taper month", "2026-03-31", domain.CoverageTaper, "", ""},
		{"the first day of the month after", "2026-04-01", domain.CoverageEnded, "2026-03", domain.TaperEndReason},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, _, c := reviewed(t, 400_000, true, "")
			ctx := t.Context()
			if c.State != domain.CoverageTaper || c.TaperLastMonth != "2026-03" {
				t.Fatalf("reviewed into %d until %q", c.State, c.TaperLastMonth)
			}
			a.on(tt.today)
			got, _, err := a.dibao.GetCoverage(ctx, reliefCounty, c.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.State != tt.state || got.EndMonth != tt.end || got.EndReason != tt.reason || got.TaperLastMonth != "2026-03" {
				t.Errorf("read as %d end %q %q taper %q, want %d %q %q", got.State, got.EndMonth, got.EndReason, got.TaperLastMonth,
					tt.state, tt.end, tt.reason)
			}
			due, _, err := a.dibao.ListOverdueReviews(ctx, reliefCounty, "2027-12-31", "", 10)
			if err != nil || len(due) != 0 {
				t.Errorf("due for review: %v %v", due, err)
			}
			_, _, err = a.dibao.RecordReview(ctx, reliefCounty, c.ID, domain.ReviewInput{Income: []domain.IncomeFigure{{AmountFen: 100_000, Months: 1}}})
			refusedWith(t, err, apperr.KindRefused, domain.ReasonDibaoCoverageEnded, "COVERAGE_STATE")
			stored, err := a.st.GetDibaoCoverage(ctx, c.ID)
			if err != nil || stored.State != domain.CoverageTaper || stored.EndMonth != "" || stored.Version != c.Version {
				t.Fatalf("a read or a refused review wrote the coverage: %+v %v", stored, err)
			}
			if fmt.Sprint(a.ended) != "[h1@2026-03]" {
				t.Errorf("coverage end told %v", a.ended)
			}
			if tt.state == domain.CoverageTaper {
				_, err := a.dibao.OpenCase(ctx, reliefCounty, "h1", "", domain.ReliefStepMeta{})
				refusedWith(t, err, apperr.KindAlreadyExists, domain.ReasonAlreadyCovered, "")
				return
			}
			// Once ended, the household may apply again: the end is stored so the approval can cover it anew.
			k := a.approve(t, "h1", "", tt.today, domain.DibaoSurveyInput{Income: []domain.IncomeFigure{{AmountFen: 210_000, Months: 1}}})
			if k.CoverageID == "" || k.CoverageID == c.ID {
				t.Fatalf("new coverage %q", k.CoverageID)
			}
			old, err := a.st.GetDibaoCoverage(ctx, c.ID)
			if err != nil || old.State != domain.CoverageEnded || old.EndMonth != "2026-03" || old.EndReason != domain.TaperEndReason {
				t.Errorf("the old coverage as stored: %+v %v", old, err)
			}
		})
	}
	t.Run("a member of a household whose 渐退期 ran out may be covered alone", func(t *testing.T) {
		a, _, c := reviewed(t, 400_000, true, "")
		a.certs["h1-p1"] = &domain.Certificate{PersonID: "h1-p1", Category: 5, Grade: 1}
		k := a.approve(t, "h1", "h1-p1", "2026-04-01", domain.DibaoSurveyInput{})
		if k.CoverageID == "" || k.Application.PersonID != "h1-p1" {
			t.Fatalf("单人保 case %+v", k)
		}
		old, err := a.st.GetDibaoCoverage(t.Context(), c.ID)
		if err != nil || old.State != domain.CoverageEnded || old.EndMonth != "2026-03" || old.EndReason != domain.TaperEndReason {
			t.Errorf("the household's coverage as stored: %+v %v", old, err)
		}
	})
	t.Run("a member who dies after the 渐退期 ran out changes nothing", func(t *testing.T) {
		a, _, c := reviewed(t, 400_000, true, "")
		ctx := t.Context()
		a.on("2026-05-10")
		if err := a.dibao.HouseholdChanged(ctx, domain.HouseholdChange{Sequence: 7, HouseholdID: "h1", EffectiveDate: "2026-05-02",
			Size: 2, DepartedPersonIDs: []string{"h1-p1"}}); err != nil {
			t.Fatal(err)
		}
		got, _, err := a.dibao.GetCoverage(ctx, reliefCounty, c.ID)
		if err != nil || got.State != domain.CoverageEnded || got.EndMonth != "2026-03" || got.EndReason != domain.TaperEndReason {
			t.Fatalf("coverage %+v %v", got, err)
		}
		for _, m := range got.Members {
			if m.ToMonth != "" {
				t.Errorf("member %s ended in %s", m.PersonID, m.ToMonth)
			}
		}
		if fmt.Sprint(a.ended) != "[h1@2026-03]" {
			t.Errorf("coverage end told %v", a.ended)
		}
	})
}
