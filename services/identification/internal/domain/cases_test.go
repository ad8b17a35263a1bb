package domain_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"fupin.dev/services/identification/internal/domain"
	"fupin.dev/services/identification/internal/store"
	"fupin.dev/services/platform/apperr"
	"fupin.dev/services/platform/bizdate"
	"fupin.dev/services/platform/migrations"
	"fupin.dev/services/platform/outbox"
	"fupin.dev/services/platform/pii"
	"fupin.dev/services/platform/policy"
	"fupin.dev/services/platform/sqldb"
	"fupin.dev/services/platform/sqldb/sqldbtest"
	"fupin.dev/services/platform/workflow"
)

// Identification and exit cases through the use cases, on the real store and workflow engine, on SQLite
// and PostgreSQL, with the county's default policy (deploy/policy/defaults.json) and a movable clock.

// defaultsPolicy serves the defaults file, as `fupin policy seed` writes it, with per-test overrides.
type defaultsPolicy struct {
	entries   []policy.Entry
	overrides map[string]string
}

func loadDefaults(t *testing.T) *defaultsPolicy {
	t.Helper()
	entries, err := policy.LoadDefaultsFile("../../../../deploy/policy/defaults.json")
	if err != nil {
		t.Fatal(err)
	}
	return &defaultsPolicy{entries: entries, overrides: map[string]string{}}
}

func (p *defaultsPolicy) Decode(parameter, region string, date time.Time, into any) (policy.Value, error) {
	day := bizdate.Today(date)
	var best *policy.Entry
	for i := range p.entries {
		e := &p.entries[i]
		if e.Parameter != parameter || e.Effective > day || (e.Region != "*" && !strings.HasPrefix(region, e.Region)) {
			continue
		}
		if best == nil || len(e.Region) > len(best.Region) || e.Effective > best.Effective {
			best = e
		}
	}
	if best == nil {
		return policy.Value{}, fmt.Errorf("%s: %w", parameter, policy.ErrNotFound)
	}
	raw := []byte(best.Value)
	if o, ok := p.overrides[parameter]; ok {
		raw = []byte(o)
	}
	if err := json.Unmarshal(raw, into); err != nil {
		return policy.Value{}, err
	}
	sum := sha256.Sum256(append([]byte(parameter+"/"+best.Region+"/"+best.Effective+"/"), raw...))
	return policy.Value{Parameter: parameter, Region: best.Region, Effective: best.Effective, Raw: raw,
		Hash: hex.EncodeToString(sum[:])}, nil
}

// fakeIncome stands in for income assessment.
type fakeIncome struct {
	fen     int64
	members int
	err     error
}

func (f *fakeIncome) PerCapitaNet(context.Context, string, int) (int64, int, error) {
	return f.fen, f.members, f.err
}

type caseClock struct{ t time.Time }

func (c *caseClock) now() time.Time { return c.t }
func (c *caseClock) set(date string) {
	d, _ := bizdate.Parse(date)
	c.t = d.Add(10 * time.Hour)
}

// Villages of the fixture: 999 and 1,000 residents in 2025, and one without population figures.
const (
	villageSmall = "990001001001"
	villageLarge = "990001001002"
	villageNoPop = "990001001003"
)

type caseFixture struct {
	db     *sqldb.DB
	svc    *domain.Service
	cases  *domain.Cases
	clock  *caseClock
	policy *defaultsPolicy
	income *fakeIncome
	seq    int
}

func newCaseFixture(t *testing.T, d sqldb.Dialect, withIncome bool) *caseFixture {
	t.Helper()
	db := sqldbtest.Open(t, d)
	ctx := t.Context()
	if err := migrations.Apply(ctx, db, nil); err != nil {
		t.Fatal(err)
	}
	if err := store.Migrate(ctx, db, nil); err != nil {
		t.Fatal(err)
	}
	f := &caseFixture{db: db, clock: &caseClock{}, policy: loadDefaults(t)}
	f.clock.set("2025-06-01")
	st := store.New(db, outbox.New(db, f.clock.now))
	if err := st.UpsertRegions(ctx, []*domain.Region{
		{Code: "990001000000", Name: "示范县", Level: domain.LevelCounty},
		{Code: "990001001000", Name: "城关镇", Level: domain.LevelTownship, Parent: "990001000000"},
		{Code: villageSmall, Name: "小村", Level: domain.LevelVillage, Parent: "990001001000",
			Populations: []domain.Population{{Year: 2024, Residents: 1001}, {Year: 2025, Residents: 999}}},
		{Code: villageLarge, Name: "大村", Level: domain.LevelVillage, Parent: "990001001000",
			Populations: []domain.Population{{Year: 2024, Residents: 999}, {Year: 2025, Residents: 1000}}},
		{Code: villageNoPop, Name: "新村", Level: domain.LevelVillage, Parent: "990001001000"},
	}); err != nil {
		t.Fatal(err)
	}
	protector, err := pii.NewProtector(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	newID := func() string {
		n++
		return fmt.Sprintf("id-%05d", n)
	}
	f.svc = domain.NewService(st, protector, f.clock.now, newID)
	engine := workflow.New(db, workflow.Options{Now: f.clock.now, NewID: newID, Policy: f.policy, SubjectField: domain.CaseSubjectField})
	var income domain.PerCapitaIncome
	if withIncome {
		f.income = &fakeIncome{}
		income = f.income
	}
	if f.cases, err = domain.NewCases(st, engine, f.policy, income, f.clock.now); err != nil {
		t.Fatal(err)
	}
	return f
}

var officer = domain.Caller{Actor: "village-officer"}

// household registers a two-person household in a village with a registry status.
func (f *caseFixture) household(t *testing.T, village string, status domain.RegistryStatus) *domain.Household {
	t.Helper()
	f.seq++
	h, err := f.svc.CreateHousehold(t.Context(), domain.Caller{Actor: "registrar"}, domain.NewHousehold{RegionCode: village,
		Registry: status, Members: []domain.Member{
			m(domain.RelationHead, id("19700101", 100+f.seq*2)), m(domain.RelationSpouse, id("19720202", 101+f.seq*2)),
		}})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func (f *caseFixture) open(t *testing.T, kind string, h *domain.Household) *workflow.Case {
	t.Helper()
	k, err := f.cases.OpenCase(t.Context(), officer, domain.NewCaseInput{Kind: kind, HouseholdID: h.ID,
		ApplicantPersonID: h.Members[0].PersonID, Meta: domain.StepMeta{Note: "户报", Attachments: []string{"doc:application"}}})
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func fen(v int64) *int64 { return &v }

// poorFacts are survey facts of a household the first part of the inclusion rule covers.
func poorFacts() *domain.HouseholdSurvey {
	return &domain.HouseholdSurvey{PerCapitaIncomeFen: fen(200000), HouseSafety: domain.HouseSafetyA, SafeDrinkingWater: true,
		Dropout: domain.DropoutNone, Labour: domain.HouseholdLabourAble, Dibao: domain.DibaoClassNone}
}

func exitFacts() *domain.ExitSurvey {
	return &domain.ExitSurvey{PerCapitaIncomeFen: fen(500000), FoodAndClothing: true, CompulsoryEducation: true,
		BasicMedicalInsurance: true, SafeHousing: true, SafeDrinkingWater: true, ConsentSigned: true}
}

var team = []string{"张三", "李四"}

// Stages a case is taken to before a test's action.
const (
	stageOpened   = "opened"
	stageSurveyed = "surveyed"
	stageReviewed = "reviewed"
	stagePosting  = "posting"
	stagePosted   = "posted"
	stageTownship = "township"
)

// to takes an identification case from its application to a stage: survey on 06-01 with facts, a
// valid review (30 registered, 20 present, 11 for), the posting started 06-01 and completed 06-08, the
// township's approval.
func (f *caseFixture) to(t *testing.T, k *workflow.Case, stage string, facts *domain.HouseholdSurvey) *workflow.Case {
	t.Helper()
	ctx, id := t.Context(), k.ID
	steps := []struct {
		stage string
		do    func() (*workflow.Case, error)
	}{
		{stageSurveyed, func() (*workflow.Case, error) {
			return f.cases.RecordSurvey(ctx, officer, id, domain.StepMeta{}, domain.Survey{Team: team, Household: facts})
		}},
		{stageReviewed, func() (*workflow.Case, error) {
			return f.cases.RecordVillageReview(ctx, officer, id, domain.StepMeta{}, domain.ReviewVotes{Registered: 30, Present: 20, VotesFor: 11})
		}},
		{stagePosting, func() (*workflow.Case, error) { return f.cases.StartPosting(ctx, officer, id, domain.StepMeta{}) }},
		{stagePosted, func() (*workflow.Case, error) {
			f.clock.set("2025-06-08")
			return f.cases.CompletePosting(ctx, officer, id, domain.StepMeta{Note: "公示期满无异议"})
		}},
		{stageTownship, func() (*workflow.Case, error) {
			return f.cases.RecordTownshipReview(ctx, domain.Caller{Actor: "township-officer"}, id, domain.StepMeta{Note: "同意"}, true)
		}},
	}
	if stage == stageOpened {
		return k
	}
	for _, s := range steps {
		var err error
		if k, err = s.do(); err != nil {
			t.Fatalf("to %s: %v", s.stage, err)
		}
		if s.stage == stage {
			return k
		}
	}
	t.Fatalf("unknown stage %s", stage)
	return nil
}

func decide(f *caseFixture, t *testing.T, id string, approve bool, override string) (*workflow.Case, error) {
	return f.cases.Decide(t.Context(), domain.Caller{Actor: "county-admin"}, id, domain.StepMeta{Note: "县扶贫开发领导小组审定"},
		domain.DecideInput{Approve: approve, OverrideJustification: override})
}

// wantRefused checks a refusal's reason and its violation types (PreconditionFailure) or first field.
func wantRefused(t *testing.T, err error, reason string, types []string, field string) {
	t.Helper()
	e, ok := apperr.As(err)
	if !ok {
		t.Fatalf("err = %v, want %s", err, reason)
	}
	if e.Reason != reason {
		t.Fatalf("reason %s (%v), want %s", e.Reason, err, reason)
	}
	var got []string
	for _, v := range e.Violations {
		got = append(got, v.Type)
		if v.Subject == "" || v.Description == "" {
			t.Errorf("violation without subject or description: %+v", v)
		}
	}
	if strings.Join(got, ",") != strings.Join(types, ",") {
		t.Errorf("violations %v, want %v", got, types)
	}
	if field != "" && (len(e.Fields) == 0 || e.Fields[0].Field != field) {
		t.Errorf("fields %+v, want %s", e.Fields, field)
	}
}

func decisionData(t *testing.T, k *workflow.Case) domain.CountyDecision {
	t.Helper()
	var d domain.CountyDecision
	if err := k.Latest(domain.StepCountyDecision).Bind(&d); err != nil {
		t.Fatal(err)
	}
	return d
}

func TestIdentificationCaseApproved(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		f := newCaseFixture(t, d, false)
		h := f.household(t, villageLarge, domain.RegistryOrdinary)
		k := f.to(t, f.open(t, domain.KindIdentification, h), stageTownship, poorFacts())
		k, err := decide(f, t, k.ID, true, "")
		if err != nil {
			t.Fatal(err)
		}
		if k.State != workflow.StateClosed || k.Decision.Outcome != workflow.OutcomeApproved || k.Decision.DecidedAt != "2025-06-08" ||
			!strings.HasPrefix(k.Decision.Explanation, "批准 (approved): per-capita income 2,000.00 元 is below the identification line 2,995.00 元") {
			t.Errorf("decision %+v", k.Decision)
		}
		dd := decisionData(t, k)
		if dd.Rule != domain.InclusionIncomeBelowLine || dd.Inputs["income_source"] != "survey" || dd.Inputs["per_capita_income_fen"] != "200000" ||
			dd.Year != 2025 || dd.PolicyDate != "2025-06-08" || len(dd.Policy) != 3 {
			t.Errorf("explanation %+v", dd)
		}
		for _, u := range dd.Policy {
			if u.Hash == "" || len(u.Value) == 0 {
				t.Errorf("policy use without value or hash: %+v", u)
			}
		}
		var review domain.VillageReview
		if err := k.Latest(domain.StepVillageReview).Bind(&review); err != nil {
			t.Fatal(err)
		}
		if review.Population != 1000 || review.PopulationYear != 2025 || review.RequiredRepresentatives != 30 || !review.Passed ||
			review.Registered != 30 || len(review.Policy) != 5 {
			t.Errorf("review %+v", review)
		}
		got, err := f.svc.GetHousehold(t.Context(), county, h.ID)
		if err != nil {
			t.Fatal(err)
		}
		last := got.History[len(got.History)-1]
		if got.Status.Registry != domain.RegistryPoor || got.Status.RegistryDate != "2025-06-08" || last.Registry != domain.RegistryPoor ||
			!strings.Contains(last.Reason, k.Name()) || last.Actor != "county-admin" {
			t.Errorf("household after approval: %+v, history %+v", got.Status, last)
		}
		var events int
		if err := f.db.Q(t.Context()).QueryRowContext(t.Context(), `SELECT count(*) FROM fupin_outbox WHERE topic = $1 AND resource = $2`,
			store.TopicHouseholdStatusChanged, "households/"+h.ID).Scan(&events); err != nil || events != 1 {
			t.Errorf("status change on the feed: %d %v", events, err)
		}
		trail, err := f.cases.GetCase(t.Context(), county, k.ID)
		if err != nil || len(trail.Steps) != 6 || trail.Steps[0].Attachments[0] != "doc:application" || domain.ApplicationOf(trail).Year != 2025 {
			t.Errorf("trail %+v %v", trail, err)
		}
	})
}

func TestIdentificationRefusedSteps(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		f := newCaseFixture(t, d, false)
		review := func(reg, present, votes int) func(*caseFixture, *testing.T, *workflow.Case) error {
			return func(f *caseFixture, t *testing.T, k *workflow.Case) error {
				_, err := f.cases.RecordVillageReview(t.Context(), officer, k.ID, domain.StepMeta{}, domain.ReviewVotes{Registered: reg, Present: present, VotesFor: votes})
				return err
			}
		}
		survey := func(s domain.Survey) func(*caseFixture, *testing.T, *workflow.Case) error {
			return func(f *caseFixture, t *testing.T, k *workflow.Case) error {
				_, err := f.cases.RecordSurvey(t.Context(), officer, k.ID, domain.StepMeta{}, s)
				return err
			}
		}
		approve := func(f *caseFixture, t *testing.T, k *workflow.Case) error {
			_, err := decide(f, t, k.ID, true, "")
			return err
		}
		noGrade := poorFacts()
		noGrade.HouseSafety = domain.HouseSafetyUnspecified
		onLine := poorFacts()
		onLine.PerCapitaIncomeFen = fen(299500)
		belowLine := poorFacts()
		belowLine.PerCapitaIncomeFen = fen(299499)
		excluded := poorFacts()
		excluded.Exclusions = domain.ExclusionFacts{Vehicle: true, VillageCommittee: true}
		noIncome := poorFacts()
		noIncome.PerCapitaIncomeFen = nil
		tests := []struct {
			name    string
			village string
			status  domain.RegistryStatus
			stage   string // "" for no case yet
			facts   *domain.HouseholdSurvey
			act     func(*caseFixture, *testing.T, *workflow.Case) error
			reason  string // "" when the step must pass
			types   []string
			field   string
		}{
			{name: "identification of a poor household", status: domain.RegistryPoor, act: func(f *caseFixture, t *testing.T, k *workflow.Case) error {
				return nil
			}, reason: domain.ReasonRegistryStatusMismatch, types: []string{"REGISTRY_STATUS"}},
			{name: "a second open identification case", stage: stageOpened, act: func(f *caseFixture, t *testing.T, k *workflow.Case) error {
				_, err := f.cases.OpenCase(t.Context(), officer, domain.NewCaseInput{Kind: domain.KindIdentification, HouseholdID: domain.HouseholdOf(k)})
				return err
			}, reason: workflow.ReasonCaseAlreadyOpen, types: []string{workflow.RuleOneOpenCase}},
			{name: "the village review before the survey", stage: stageOpened, act: review(30, 30, 30),
				reason: workflow.ReasonStepOutOfOrder, types: []string{workflow.RuleStepOrder}},
			{name: "a survey team of one", stage: stageOpened, act: survey(domain.Survey{Team: []string{"张三"}, Household: poorFacts()}),
				reason: domain.ReasonSurveyTeamSize, field: "team"},
			{name: "a survey team of six", stage: stageOpened, act: survey(domain.Survey{Team: []string{"a", "b", "c", "d", "e", "f"}, Household: poorFacts()}),
				reason: domain.ReasonSurveyTeamSize, field: "team"},
			{name: "a survey team of five", stage: stageOpened, act: survey(domain.Survey{Team: []string{"a", "b", "c", "d", "e"}, Household: poorFacts()})},
			{name: "exit facts on an identification case", stage: stageOpened, act: survey(domain.Survey{Team: team, Exit: exitFacts()}),
				reason: domain.ReasonSurveyKindMismatch, field: "household_survey"},
			{name: "a survey without the house's grade", stage: stageOpened, act: survey(domain.Survey{Team: team, Household: noGrade}),
				reason: domain.ReasonInvalidField, field: "household_survey.house_safety_grade"},
			{name: "19 representatives where 999 live", village: villageSmall, stage: stageSurveyed, act: review(19, 19, 19),
				reason: domain.ReasonReviewQuorumNotMet, types: []string{"REVIEW_REPRESENTATIVES"}},
			{name: "20 representatives where 999 live", village: villageSmall, stage: stageSurveyed, act: review(20, 20, 20)},
			{name: "29 representatives where 1,000 live", stage: stageSurveyed, act: review(29, 29, 29),
				reason: domain.ReasonReviewQuorumNotMet, types: []string{"REVIEW_REPRESENTATIVES"}},
			{name: "30 representatives where 1,000 live", stage: stageSurveyed, act: review(30, 30, 30)},
			{name: "19 of 30 present", stage: stageSurveyed, act: review(30, 19, 19),
				reason: domain.ReasonReviewQuorumNotMet, types: []string{"REVIEW_ATTENDANCE"}},
			{name: "20 of 30 present", stage: stageSurveyed, act: review(30, 20, 20)},
			{name: "more present than registered", stage: stageSurveyed, act: review(30, 31, 20), reason: domain.ReasonInvalidField, field: "present"},
			{name: "a village without population figures", village: villageNoPop, stage: stageSurveyed, act: review(30, 30, 30),
				reason: domain.ReasonPopulationUnknown, types: []string{"VILLAGE_POPULATION"}},
			{name: "the posting before the review", stage: stageSurveyed, act: func(f *caseFixture, t *testing.T, k *workflow.Case) error {
				_, err := f.cases.StartPosting(t.Context(), officer, k.ID, domain.StepMeta{})
				return err
			}, reason: workflow.ReasonStepOutOfOrder, types: []string{workflow.RuleStepOrder}},
			{name: "completing the posting on day 6", stage: stagePosting, act: func(f *caseFixture, t *testing.T, k *workflow.Case) error {
				f.clock.set("2025-06-07")
				_, err := f.cases.CompletePosting(t.Context(), officer, k.ID, domain.StepMeta{})
				return err
			}, reason: workflow.ReasonPostingPeriodNotOver, types: []string{workflow.RulePostingPeriod}},
			{name: "completing the posting on day 7", stage: stagePosting, act: func(f *caseFixture, t *testing.T, k *workflow.Case) error {
				f.clock.set("2025-06-08")
				_, err := f.cases.CompletePosting(t.Context(), officer, k.ID, domain.StepMeta{})
				return err
			}},
			{name: "the township review while the posting runs", stage: stagePosting, act: func(f *caseFixture, t *testing.T, k *workflow.Case) error {
				_, err := f.cases.RecordTownshipReview(t.Context(), officer, k.ID, domain.StepMeta{}, true)
				return err
			}, reason: workflow.ReasonStepOutOfOrder, types: []string{workflow.RuleStepOrder}},
			{name: "the decision before the township review", stage: stagePosted, act: approve,
				reason: workflow.ReasonStepOutOfOrder, types: []string{workflow.RuleStepOrder}},
			{name: "the township refusing without an opinion", stage: stagePosted, act: func(f *caseFixture, t *testing.T, k *workflow.Case) error {
				_, err := f.cases.RecordTownshipReview(t.Context(), officer, k.ID, domain.StepMeta{}, false)
				return err
			}, reason: domain.ReasonInvalidField, field: "note"},
			{name: "approving at 2,995.00 元 without a hardship", stage: stageTownship, facts: onLine, act: approve,
				reason: domain.ReasonInclusionRuleNotMet, types: []string{"INCLUSION_RULE"}},
			{name: "approving at 2,994.99 元", stage: stageTownship, facts: belowLine, act: approve},
			{name: "approving with a car and a village committee member", stage: stageTownship, facts: excluded, act: approve,
				reason: domain.ReasonExclusionHit, types: []string{"EXCLUSION_VEHICLE", "EXCLUSION_VILLAGE_COMMITTEE"}},
			{name: "approving without any income", stage: stageTownship, facts: noIncome, act: approve,
				reason: domain.ReasonIncomeUnknown, types: []string{"PER_CAPITA_INCOME"}},
			{name: "a back-dated decision without a reason", stage: stageTownship, act: func(f *caseFixture, t *testing.T, k *workflow.Case) error {
				f.clock.set("2025-06-10")
				_, err := f.cases.Decide(t.Context(), county, k.ID, domain.StepMeta{OccurredAt: "2025-06-09"}, domain.DecideInput{Approve: true})
				return err
			}, reason: workflow.ReasonBackdateReasonRequired, field: "backdate_reason"},
			{name: "a survey by an officer of another township", stage: stageOpened, act: func(f *caseFixture, t *testing.T, k *workflow.Case) error {
				_, err := f.cases.RecordSurvey(t.Context(), domain.Caller{Actor: "x", Scope: "990001002"}, k.ID, domain.StepMeta{}, domain.Survey{Team: team, Household: poorFacts()})
				return err
			}, reason: workflow.ReasonOutOfRegionScope},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				f.clock.set("2025-06-01")
				village := tt.village
				if village == "" {
					village = villageLarge
				}
				status := tt.status
				if status == domain.RegistryUnspecified {
					status = domain.RegistryOrdinary
				}
				h := f.household(t, village, status)
				var k *workflow.Case
				var err error
				if tt.stage == "" {
					_, err = f.cases.OpenCase(t.Context(), officer, domain.NewCaseInput{Kind: domain.KindIdentification, HouseholdID: h.ID})
				} else {
					facts := tt.facts
					if facts == nil {
						facts = poorFacts()
					}
					k = f.to(t, f.open(t, domain.KindIdentification, h), tt.stage, facts)
					err = tt.act(f, t, k)
				}
				if tt.reason == "" {
					if err != nil {
						t.Fatalf("want the step to pass: %v", err)
					}
					return
				}
				wantRefused(t, err, tt.reason, tt.types, tt.field)
				if k != nil {
					after, err := f.cases.GetCase(t.Context(), county, k.ID)
					if err != nil || after.Version != k.Version {
						t.Errorf("a refused step changed the case: version %d → %d (%v)", k.Version, after.Version, err)
					}
				}
			})
		}
	})
}

func TestVillageReviewVoteDecides(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		f := newCaseFixture(t, d, false)
		h := f.household(t, villageLarge, domain.RegistryOrdinary)
		k := f.to(t, f.open(t, domain.KindIdentification, h), stageSurveyed, poorFacts())
		k, err := f.cases.RecordVillageReview(t.Context(), officer, k.ID, domain.StepMeta{Note: "村民代表会议"},
			domain.ReviewVotes{Registered: 30, Present: 20, VotesFor: 10})
		if err != nil {
			t.Fatal(err)
		}
		if k.State != workflow.StateClosed || k.Decision.Outcome != workflow.OutcomeRefused || k.Decision.Step != domain.StepVillageReview ||
			!strings.Contains(k.Decision.Explanation, "10 of 20 present voted for") {
			t.Errorf("case %+v decision %+v", k, k.Decision)
		}
		_, err = f.cases.StartPosting(t.Context(), officer, k.ID, domain.StepMeta{})
		wantRefused(t, err, workflow.ReasonCaseClosed, []string{workflow.RuleCaseClosed}, "")
		got, _ := f.svc.GetHousehold(t.Context(), county, h.ID)
		if got.Status.Registry != domain.RegistryOrdinary {
			t.Errorf("registry %v after a failed review", got.Status.Registry)
		}
		if _, err := f.cases.OpenCase(t.Context(), officer, domain.NewCaseInput{Kind: domain.KindIdentification, HouseholdID: h.ID}); err != nil {
			t.Errorf("a new application after a refusal: %v", err)
		}
	})
}

func TestObjectionSendsIdentificationBackToSurvey(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		f := newCaseFixture(t, d, false)
		ctx := t.Context()
		h := f.household(t, villageLarge, domain.RegistryOrdinary)
		k := f.to(t, f.open(t, domain.KindIdentification, h), stagePosting, poorFacts())
		f.clock.set("2025-06-03")
		k, err := f.cases.FileObjection(ctx, officer, k.ID, workflow.ObjectionInput{Objector: "村民", Content: "该户在县城有商品房"})
		if err != nil {
			t.Fatal(err)
		}
		if k.Next != domain.StepSurvey || k.Round != 2 {
			t.Fatalf("after the objection: next %s round %d", k.Next, k.Round)
		}
		_, err = f.cases.RecordVillageReview(ctx, officer, k.ID, domain.StepMeta{}, domain.ReviewVotes{Registered: 30, Present: 30, VotesFor: 30})
		wantRefused(t, err, workflow.ReasonStepOutOfOrder, []string{workflow.RuleStepOrder}, "")
		facts := poorFacts()
		facts.Exclusions.CommercialHousing = false // verified: the flat belongs to a relative
		if _, err := f.cases.RecordSurvey(ctx, officer, k.ID, domain.StepMeta{Note: "异议核实: 商品房属亲属所有"}, domain.Survey{Team: team, Household: facts}); err != nil {
			t.Fatal(err)
		}
		if _, err := f.cases.RecordVillageReview(ctx, officer, k.ID, domain.StepMeta{}, domain.ReviewVotes{Registered: 30, Present: 25, VotesFor: 20}); err != nil {
			t.Fatal(err)
		}
		if _, err := f.cases.StartPosting(ctx, officer, k.ID, domain.StepMeta{}); err != nil {
			t.Fatal(err)
		}
		f.clock.set("2025-06-09") // day 6 of the second posting
		_, err = f.cases.CompletePosting(ctx, officer, k.ID, domain.StepMeta{})
		wantRefused(t, err, workflow.ReasonPostingPeriodNotOver, []string{workflow.RulePostingPeriod}, "")
		f.clock.set("2025-06-10")
		if _, err := f.cases.CompletePosting(ctx, officer, k.ID, domain.StepMeta{}); err != nil {
			t.Fatal(err)
		}
		if _, err := f.cases.RecordTownshipReview(ctx, officer, k.ID, domain.StepMeta{}, true); err != nil {
			t.Fatal(err)
		}
		k, err = decide(f, t, k.ID, true, "")
		if err != nil {
			t.Fatal(err)
		}
		if len(k.Postings) != 2 || k.Postings[0].Objections[0].ResolvedBy != 5 || k.Decision.Outcome != workflow.OutcomeApproved ||
			len(k.Steps) != 9 || k.Latest(domain.StepSurvey).Round != 2 {
			t.Errorf("trail: %d postings %+v, %d steps", len(k.Postings), k.Postings, len(k.Steps))
		}
	})
}

func TestIdentificationDecisions(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		f := newCaseFixture(t, d, false)
		ctx := t.Context()
		t.Run("an exclusion is overridden with a justification", func(t *testing.T) {
			f.clock.set("2025-06-01")
			facts := poorFacts()
			facts.Exclusions.Vehicle = true
			k := f.to(t, f.open(t, domain.KindIdentification, f.household(t, villageLarge, domain.RegistryOrdinary)), stageTownship, facts)
			k, err := decide(f, t, k.ID, true, "三轮车为残疾人代步车, 非大型农用车")
			if err != nil {
				t.Fatal(err)
			}
			dd := decisionData(t, k)
			if k.Decision.Outcome != workflow.OutcomeApproved || strings.Join(dd.Exclusions, ",") != "vehicle" ||
				dd.OverrideJustification == "" || !strings.Contains(k.Decision.Explanation, "overridden") {
				t.Errorf("decision %+v, explanation %+v", k.Decision, dd)
			}
		})
		t.Run("the policy's list decides which predicates exclude", func(t *testing.T) {
			f.clock.set("2025-06-01")
			f.policy.overrides[domain.CaseParamExclusions] = `["vehicle"]`
			defer delete(f.policy.overrides, domain.CaseParamExclusions)
			facts := poorFacts()
			facts.Exclusions.SeparatedResidence = true
			k := f.to(t, f.open(t, domain.KindIdentification, f.household(t, villageLarge, domain.RegistryOrdinary)), stageTownship, facts)
			k, err := decide(f, t, k.ID, true, "")
			if err != nil {
				t.Fatal(err)
			}
			if dd := decisionData(t, k); len(dd.Exclusions) != 0 {
				t.Errorf("exclusions %v under a list without separated_residence", dd.Exclusions)
			}
		})
		t.Run("the extended line with a C house", func(t *testing.T) {
			f.clock.set("2025-06-01")
			facts := poorFacts()
			facts.PerCapitaIncomeFen, facts.HouseSafety = fen(399999), domain.HouseSafetyC
			k := f.to(t, f.open(t, domain.KindIdentification, f.household(t, villageLarge, domain.RegistryOrdinary)), stageTownship, facts)
			k, err := decide(f, t, k.ID, true, "")
			if err != nil {
				t.Fatal(err)
			}
			if dd := decisionData(t, k); dd.Rule != domain.InclusionExtendedHardship || dd.Inputs["house_safety_grade"] != "C" {
				t.Errorf("explanation %+v", dd)
			}
		})
		t.Run("the county refuses an eligible household", func(t *testing.T) {
			f.clock.set("2025-06-01")
			h := f.household(t, villageLarge, domain.RegistryOrdinary)
			k := f.to(t, f.open(t, domain.KindIdentification, h), stageTownship, poorFacts())
			k, err := decide(f, t, k.ID, false, "")
			if err != nil {
				t.Fatal(err)
			}
			if k.Decision.Outcome != workflow.OutcomeRefused || decisionData(t, k).Rule != domain.InclusionIncomeBelowLine {
				t.Errorf("decision %+v", k.Decision)
			}
			got, _ := f.svc.GetHousehold(ctx, county, h.ID)
			if got.Status.Registry != domain.RegistryOrdinary {
				t.Errorf("a refusal changed the registry to %v", got.Status.Registry)
			}
		})
		t.Run("the decision and the register commit together", func(t *testing.T) {
			f.clock.set("2025-06-01")
			h := f.household(t, villageLarge, domain.RegistryOrdinary)
			k := f.to(t, f.open(t, domain.KindIdentification, h), stageTownship, poorFacts())
			if _, err := f.svc.SetRegistryStatus(ctx, county, h.ID, "", domain.RegistryPoor, "2025-06-08", "县级更正"); err != nil {
				t.Fatal(err)
			}
			_, err := decide(f, t, k.ID, true, "")
			wantRefused(t, err, domain.ReasonRegistryStatusMismatch, []string{"REGISTRY_STATUS"}, "")
			after, _ := f.cases.GetCase(ctx, county, k.ID)
			if after.State != workflow.StateOpen || after.Next != domain.StepCountyDecision || len(after.Steps) != len(k.Steps) {
				t.Errorf("the decision was kept though the register refused: %+v", after)
			}
		})
		t.Run("a withdrawn case leaves the register alone", func(t *testing.T) {
			f.clock.set("2025-06-01")
			h := f.household(t, villageLarge, domain.RegistryOrdinary)
			k := f.to(t, f.open(t, domain.KindIdentification, h), stageSurveyed, poorFacts())
			k, err := f.cases.WithdrawCase(ctx, officer, k.ID, domain.StepMeta{Note: "户主申请撤回"})
			if err != nil {
				t.Fatal(err)
			}
			if k.Decision.Outcome != workflow.OutcomeWithdrawn {
				t.Errorf("decision %+v", k.Decision)
			}
			got, _ := f.svc.GetHousehold(ctx, county, h.ID)
			if got.Status.Registry != domain.RegistryOrdinary {
				t.Errorf("registry %v", got.Status.Registry)
			}
		})
	})
}

func TestCasesUseAssessedIncome(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		f := newCaseFixture(t, d, true)
		tests := []struct {
			name     string
			income   fakeIncome
			surveyed *int64
			reason   string
			source   string
		}{
			{"assessed income above the line wins over the survey", fakeIncome{fen: 500000, members: 3}, fen(200000), domain.ReasonInclusionRuleNotMet, ""},
			{"assessed income below the line", fakeIncome{fen: 299499, members: 3}, fen(900000), "", "income_assessment"},
			{"no assessment: the survey's figure", fakeIncome{err: apperr.NotFound("income assessment")}, fen(200000), "", "survey"},
			{"no members counted: the survey's figure", fakeIncome{fen: 0, members: 0}, fen(200000), "", "survey"},
			{"neither", fakeIncome{err: apperr.NotFound("income assessment")}, nil, domain.ReasonIncomeUnknown, ""},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				f.clock.set("2025-06-01")
				*f.income = tt.income
				facts := poorFacts()
				facts.PerCapitaIncomeFen = tt.surveyed
				k := f.to(t, f.open(t, domain.KindIdentification, f.household(t, villageLarge, domain.RegistryOrdinary)), stageTownship, facts)
				k, err := decide(f, t, k.ID, true, "")
				if tt.reason != "" {
					if e, ok := apperr.As(err); !ok || e.Reason != tt.reason {
						t.Fatalf("err = %v, want %s", err, tt.reason)
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				if got := decisionData(t, k).Inputs["income_source"]; got != tt.source {
					t.Errorf("income source %s, want %s", got, tt.source)
				}
			})
		}
	})
}

func TestExitCase(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		f := newCaseFixture(t, d, false)
		ctx := t.Context()
		surveyExit := func(k *workflow.Case, facts *domain.ExitSurvey) {
			t.Helper()
			if _, err := f.cases.RecordSurvey(ctx, officer, k.ID, domain.StepMeta{Attachments: []string{"doc:consent"}}, domain.Survey{Team: team, Exit: facts}); err != nil {
				t.Fatal(err)
			}
		}
		t.Run("an exit is for a poor household", func(t *testing.T) {
			f.clock.set("2025-06-01")
			h := f.household(t, villageSmall, domain.RegistryOrdinary)
			_, err := f.cases.OpenCase(ctx, officer, domain.NewCaseInput{Kind: domain.KindExit, HouseholdID: h.ID})
			wantRefused(t, err, domain.ReasonRegistryStatusMismatch, []string{"REGISTRY_STATUS"}, "")
		})
		t.Run("unmet conditions are named one by one, then corrected and approved", func(t *testing.T) {
			f.clock.set("2025-06-01")
			h := f.household(t, villageSmall, domain.RegistryPoor)
			k := f.open(t, domain.KindExit, h)
			_, err := f.cases.RecordSurvey(ctx, officer, k.ID, domain.StepMeta{}, domain.Survey{Team: team, Household: poorFacts()})
			wantRefused(t, err, domain.ReasonSurveyKindMismatch, nil, "exit_survey")
			facts := exitFacts()
			facts.PerCapitaIncomeFen, facts.SafeDrinkingWater, facts.ConsentSigned = fen(299499), false, false
			surveyExit(k, facts)
			_, err = f.cases.StartPosting(ctx, officer, k.ID, domain.StepMeta{})
			wantRefused(t, err, domain.ReasonExitConditionsUnmet, []string{"EXIT_INCOME", "EXIT_SAFE_DRINKING_WATER", "EXIT_HOUSEHOLD_CONSENT"}, "")
			facts = exitFacts()
			facts.PerCapitaIncomeFen = fen(299500)
			surveyExit(k, facts) // a corrected survey: water project done, consent signed, income re-assessed
			if _, err := f.cases.StartPosting(ctx, officer, k.ID, domain.StepMeta{}); err != nil {
				t.Fatal(err)
			}
			f.clock.set("2025-06-08")
			if _, err := f.cases.CompletePosting(ctx, officer, k.ID, domain.StepMeta{}); err != nil {
				t.Fatal(err)
			}
			if _, err := f.cases.RecordTownshipReview(ctx, officer, k.ID, domain.StepMeta{}, true); err != nil {
				t.Fatal(err)
			}
			k, err = decide(f, t, k.ID, true, "")
			if err != nil {
				t.Fatal(err)
			}
			dd := decisionData(t, k)
			if k.Decision.Outcome != workflow.OutcomeApproved || len(dd.Unmet) != 0 || dd.Year != 2025 || len(dd.Policy) != 1 {
				t.Errorf("decision %+v explanation %+v", k.Decision, dd)
			}
			got, _ := f.svc.GetHousehold(ctx, county, h.ID)
			if got.Status.Registry != domain.RegistryExited || got.Status.ExitYear != 2025 || got.Status.RegistryDate != "2025-06-08" {
				t.Errorf("household after exit: %+v", got.Status)
			}
		})
		t.Run("the county checks the conditions again", func(t *testing.T) {
			f.clock.set("2025-06-01")
			h := f.household(t, villageSmall, domain.RegistryPoor)
			k := f.open(t, domain.KindExit, h)
			surveyExit(k, exitFacts())
			if _, err := f.cases.StartPosting(ctx, officer, k.ID, domain.StepMeta{}); err != nil {
				t.Fatal(err)
			}
			f.clock.set("2025-06-08")
			if _, err := f.cases.CompletePosting(ctx, officer, k.ID, domain.StepMeta{}); err != nil {
				t.Fatal(err)
			}
			if _, err := f.cases.RecordTownshipReview(ctx, officer, k.ID, domain.StepMeta{}, true); err != nil {
				t.Fatal(err)
			}
			f.policy.overrides[domain.CaseParamIdentificationLine] = "600000" // the line was raised meanwhile
			defer delete(f.policy.overrides, domain.CaseParamIdentificationLine)
			_, err := decide(f, t, k.ID, true, "")
			wantRefused(t, err, domain.ReasonExitConditionsUnmet, []string{"EXIT_INCOME"}, "")
			k, err = decide(f, t, k.ID, false, "")
			if err != nil {
				t.Fatal(err)
			}
			if dd := decisionData(t, k); len(dd.Unmet) != 1 || dd.Unmet[0] != domain.ExitItemIncome {
				t.Errorf("refusal explanation %+v", dd)
			}
			got, _ := f.svc.GetHousehold(ctx, county, h.ID)
			if got.Status.Registry != domain.RegistryPoor {
				t.Errorf("registry %v after a refused exit", got.Status.Registry)
			}
		})
	})
}
