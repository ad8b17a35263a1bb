package domain_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"fupin.dev/services/employment/internal/domain"
	"fupin.dev/services/employment/internal/store"
	"fupin.dev/services/platform/apperr"
	"fupin.dev/services/platform/bizdate"
	"fupin.dev/services/platform/migrations"
	"fupin.dev/services/platform/outbox"
	"fupin.dev/services/platform/payroll"
	"fupin.dev/services/platform/policy"
	"fupin.dev/services/platform/sqldb"
	"fupin.dev/services/platform/sqldb/sqldbtest"
	"fupin.dev/services/platform/workflow"
	"github.com/google/uuid"
)

// fixedPolicy serves fixed policy values: a small stand-in for the etcd policy store.
type fixedPolicy map[string]string

func (p fixedPolicy) Decode(parameter, _ string, _ time.Time, into any) (policy.Value, error) {
	raw, ok := p[parameter]
	if !ok {
		return policy.Value{}, fmt.Errorf("%s: %w", parameter, policy.ErrNotFound)
	}
	sum := sha256.Sum256([]byte(parameter + raw))
	return policy.Value{Parameter: parameter, Region: "*", Effective: "2024-01-01", Raw: json.RawMessage(raw),
		Hash: hex.EncodeToString(sum[:])}, json.Unmarshal([]byte(raw), into)
}

// defaultPolicy is deploy/policy's defaults for the workshops and employment subsidies.
var defaultPolicy = fixedPolicy{
	domain.ParamWorkshopMinPoorWorkers:    "5",
	domain.ParamWorkshopRewardAfterMonths: "6",
	domain.ParamWorkshopRewardFen:         "200000",
	domain.ParamWorkshopMinInsuranceFen:   "1500",
	domain.ParamTransportMinMonths:        "3",
	domain.ParamTransportBands:            `{"in_province":60000,"out_of_province":150000}`,
	domain.ParamRetentionMinMonths:        "6",
	domain.ParamRetentionFen:              "100000",
	domain.ParamTrainingFenPerDay:         "1500",
}

// fakeLedger is the labour ledger as these areas see it: persons and their spells.
type fakeLedger struct {
	persons map[string]*domain.WorkPerson
	spells  []domain.WorkSpell
}

func overlaps(s domain.WorkSpell, from, to string) bool {
	return s.FromMonth <= to && (s.ToMonth == "" || s.ToMonth >= from)
}

func (l *fakeLedger) SpellsAtEmployer(_ context.Context, code, name, from, to string) ([]domain.WorkSpell, error) {
	var out []domain.WorkSpell
	for _, s := range l.spells {
		if s.At(code, name) && overlaps(s, from, to) {
			out = append(out, s)
		}
	}
	return out, nil
}

func (l *fakeLedger) SpellsOfPerson(_ context.Context, person, from, to string) ([]domain.WorkSpell, error) {
	var out []domain.WorkSpell
	for _, s := range l.spells {
		if s.PersonID == person && overlaps(s, from, to) {
			out = append(out, s)
		}
	}
	return out, nil
}

func (l *fakeLedger) WorkPerson(_ context.Context, person, _ string) (*domain.WorkPerson, error) {
	p, ok := l.persons[person]
	if !ok {
		return nil, apperr.NotFound("person")
	}
	return p, nil
}

func (l *fakeLedger) HouseholdPersons(_ context.Context, household string) ([]string, error) {
	var out []string
	for id, p := range l.persons {
		if p.HouseholdID == household {
			out = append(out, id)
		}
	}
	return out, nil
}

// person puts a person of a poor (or not) household on the ledger.
func (l *fakeLedger) person(id string, poor bool) {
	l.persons[id] = &domain.WorkPerson{PersonID: id, HouseholdID: "h-" + id, RegionCode: testVillage, Poor: poor, Registered: "2020-01-01"}
}

const (
	testVillage      = "420602001002"
	testWorkshopCode = "91420602MA4KXY123R"
	testEmployerCode = "91420602MA4KXY4567"
)

// flowNow is the areas' clock: 2026-07-10 in the county.
var flowNow = time.Date(2026, 7, 10, 9, 0, 0, 0, bizdate.Location)

var county = workflow.Caller{Actor: "u-hr", Scope: ""}

type area struct {
	st        *store.Store
	ledger    *fakeLedger
	workshops *domain.Workshops
	subsidies *domain.EmploymentSubsidies
}

func newArea(t *testing.T, d sqldb.Dialect) *area {
	t.Helper()
	db := sqldbtest.Open(t, d)
	if err := migrations.Apply(t.Context(), db, nil); err != nil {
		t.Fatal(err)
	}
	if err := store.Migrate(t.Context(), db, nil); err != nil {
		t.Fatal(err)
	}
	st := store.New(db, outbox.New(db, nil))
	now := func() time.Time { return flowNow }
	newID := func() string { return uuid.Must(uuid.NewV7()).String() }
	ledger := &fakeLedger{persons: map[string]*domain.WorkPerson{}}
	engine := workflow.New(db, workflow.Options{Now: now, NewID: newID, Policy: defaultPolicy})
	subsidies, err := domain.NewEmploymentSubsidies(st, ledger, engine, defaultPolicy, newID, now)
	if err != nil {
		t.Fatal(err)
	}
	return &area{st: st, ledger: ledger, workshops: domain.NewWorkshops(st, ledger, defaultPolicy, newID, now), subsidies: subsidies}
}

func refusedWith(t *testing.T, err error, reason, rule string) {
	t.Helper()
	e, ok := apperr.As(err)
	if !ok || e.Reason != reason || (rule != "" && (len(e.Violations) == 0 || e.Violations[0].Type != rule)) {
		t.Fatalf("got %v, want %s %s", err, reason, rule)
	}
}

// workers puts n poor workers on the ledger with a 车间 spell at the test workshop from 2026-01.
func (a *area) workers(n int, from string) []string {
	var ids []string
	for i := range n {
		id := fmt.Sprintf("w%d", i)
		a.ledger.person(id, true)
		a.ledger.spells = append(a.ledger.spells, domain.WorkSpell{PersonID: id, HouseholdID: "h-" + id, AtWorkshop: true,
			EmployerCode: testWorkshopCode, FromMonth: from})
		ids = append(ids, id)
	}
	return ids
}

func TestWorkshopFlow(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		ctx := t.Context()
		a := newArea(t, d)
		w, err := a.workshops.Register(ctx, county, domain.NewWorkshop{Name: "幸福扶贫车间", CreditCode: testWorkshopCode,
			RegionCode: testVillage, Address: "一组", Kind: domain.WorkshopKindFactory, RegisteredOn: "2025-12-20"})
		if err != nil {
			t.Fatal(err)
		}
		_, err = a.workshops.Register(ctx, county, domain.NewWorkshop{Name: "另一个", CreditCode: testWorkshopCode,
			RegionCode: testVillage, Address: "二组", Kind: domain.WorkshopKindHomeBased})
		if e, ok := apperr.As(err); !ok || e.Kind != apperr.KindAlreadyExists || e.Reason != domain.ReasonWorkshopExists {
			t.Fatalf("second registration of a credit code: %v", err)
		}
		_, err = a.workshops.Register(ctx, workflow.Caller{Actor: "t", Scope: "420602002"}, domain.NewWorkshop{Name: "外乡",
			CreditCode: testEmployerCode, RegionCode: testVillage, Address: "一组", Kind: domain.WorkshopKindFactory})
		if e, ok := apperr.As(err); !ok || e.Kind != apperr.KindInvalid {
			t.Fatalf("registration outside the caller's scope: %v", err)
		}

		ids := a.workers(4, "2026-01")
		_, err = a.workshops.Recognise(ctx, county, w.ID, "2026-03-05")
		refusedWith(t, err, domain.ReasonWorkshopTooFewPoorWorkers, domain.RuleWorkshopMinPoorWorkers)
		ids = append(ids, a.workers(5, "2026-01")[4])
		w, err = a.workshops.Recognise(ctx, county, w.ID, "2026-03-05")
		if err != nil {
			t.Fatal(err)
		}
		if w.State != domain.WorkshopStateRecognised || len(w.Recognition.PoorWorkers) != 5 || w.Recognition.Policy.Hash == "" {
			t.Fatalf("recognised %+v %+v", w, w.Recognition)
		}
		_, err = a.workshops.Recognise(ctx, county, w.ID, "")
		refusedWith(t, err, domain.ReasonWorkshopAlreadyRecognised, domain.RuleWorkshopRecognised)

		base := domain.NewInsurance{PolicyNumber: "PICC-2026-001", Insurer: "人保财险", FromMonth: "2026-01", ToMonth: "2026-12",
			PremiumFen: 1499, PersonIDs: ids}
		_, err = a.workshops.AddInsurance(ctx, county, w.ID, base)
		refusedWith(t, err, domain.ReasonInsurancePremiumTooLow, domain.RuleInsuranceMinPremium)
		stranger := base
		stranger.PremiumFen, stranger.PersonIDs = 1500, append([]string{"nobody"}, ids...)
		_, err = a.workshops.AddInsurance(ctx, county, w.ID, stranger)
		refusedWith(t, err, domain.ReasonInsuredPersonNotWorker, domain.RuleInsuredAreWorkers)
		ok := base
		ok.PremiumFen = 1500
		if _, err := a.workshops.AddInsurance(ctx, county, w.ID, ok); err != nil {
			t.Fatal(err)
		}
		ins, err := a.workshops.Insurances(ctx, county, w.ID)
		if err != nil || len(ins) != 1 || len(ins[0].PersonIDs) != 5 {
			t.Fatalf("insurances %+v %v", ins, err)
		}

		// By 2026-05 every worker has 5 months: one short.
		_, err = a.workshops.GrantRewards(ctx, county, w.ID, "2026-05")
		refusedWith(t, err, domain.ReasonNoRewardDue, domain.RuleRewardDue)
		wk, err := a.workshops.Workers(ctx, county, w.ID, "2026-06")
		if err != nil || len(wk.Candidates) != 5 || !wk.Candidates[0].Due || wk.Candidates[0].StableMonths != 6 {
			t.Fatalf("workers %+v %v", wk, err)
		}
		rewards, err := a.workshops.GrantRewards(ctx, county, w.ID, "2026-06")
		if err != nil || len(rewards) != 5 {
			t.Fatalf("rewards %d %v", len(rewards), err)
		}
		// A worker is rewarded once: the next month finds nothing due.
		_, err = a.workshops.GrantRewards(ctx, county, w.ID, "2026-07")
		refusedWith(t, err, domain.ReasonNoRewardDue, domain.RuleRewardDue)

		ents, err := a.st.OpenEntitlements(ctx, payroll.ProgramWorkshopReward, payroll.OrganisationBeneficiary(testWorkshopCode), "2026-06")
		if err != nil || len(ents) != 5 {
			t.Fatalf("entitlements %d %v", len(ents), err)
		}
		for _, e := range ents {
			if e.AmountFen != 200000 || e.FromMonth != "2026-06" || e.ToMonth != "2026-06" || e.RegionCode != testVillage {
				t.Errorf("entitlement %+v", e)
			}
		}
		listed, err := a.workshops.Rewards(ctx, county, w.ID)
		if err != nil || len(listed) != 5 || listed[0].EntitlementID == "" || len(listed[0].Policy) != 2 {
			t.Fatalf("listed %+v %v", listed, err)
		}
		page, _, err := a.workshops.List(ctx, workflow.Caller{Scope: "420602001"}, domain.WorkshopQuery{State: domain.WorkshopStateRecognised})
		if err != nil || len(page) != 1 {
			t.Fatalf("list in scope %d %v", len(page), err)
		}
		page, _, err = a.workshops.List(ctx, workflow.Caller{Scope: "420602002"}, domain.WorkshopQuery{})
		if err != nil || len(page) != 0 {
			t.Fatalf("list out of scope %d %v", len(page), err)
		}
		if _, err := a.workshops.Get(ctx, workflow.Caller{Scope: "420602002"}, w.ID); err == nil {
			t.Fatal("a workshop outside the caller's scope was found")
		}
	})
}

// approve runs an application through the check and the approval on the clock's date.
func (a *area) approve(t *testing.T, kind string, app domain.SubsidyApplication, applied string) (*domain.EmploymentSubsidy, error) {
	t.Helper()
	ctx := t.Context()
	m := workflow.StepMeta{OccurredAt: applied, BackdateReason: "补录"}
	s, err := a.subsidies.Apply(ctx, county, kind, app, m)
	if err != nil {
		return nil, err
	}
	if _, err := a.subsidies.Check(ctx, county, s.Case.ID, workflow.StepMeta{}, true); err != nil {
		return nil, err
	}
	return a.subsidies.Review(ctx, county, s.Case.ID, workflow.StepMeta{}, true)
}

func TestEmploymentSubsidyFlow(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		ctx := t.Context()
		a := newArea(t, d)
		a.ledger.person("p1", true)
		a.ledger.spells = append(a.ledger.spells, domain.WorkSpell{PersonID: "p1", Away: domain.WorkAwayOutOfProvince, FromMonth: "2026-03"})

		// Transport: in May only 2026-03..05 count (3 months): approved, 省外 band.
		s, err := a.approve(t, domain.SubsidyKindTransport, domain.SubsidyApplication{PersonID: "p1"}, "2026-05-20")
		if err != nil {
			t.Fatal(err)
		}
		if s.Case.Decision.Outcome != workflow.OutcomeApproved || s.Entitlement == nil || s.Entitlement.AmountFen != 150000 ||
			s.Entitlement.Program != payroll.ProgramTransportSubsidy || s.Entitlement.FromMonth != "2026-07" || s.Entitlement.Beneficiary != "persons/p1" {
			t.Fatalf("approved %+v %+v", s.Case.Decision, s.Entitlement)
		}
		// Once a year: a second application is refused at once.
		_, err = a.subsidies.Apply(ctx, county, domain.SubsidyKindTransport, domain.SubsidyApplication{PersonID: "p1"}, workflow.StepMeta{})
		refusedWith(t, err, domain.ReasonSubsidyAlreadyPaid, domain.RuleOncePerYear)

		// Transport refused at the check with 2 months: the rule is named.
		a.ledger.person("p2", true)
		a.ledger.spells = append(a.ledger.spells, domain.WorkSpell{PersonID: "p2", Away: domain.WorkAwayInProvince, FromMonth: "2026-06"})
		s2, err := a.subsidies.Apply(ctx, county, domain.SubsidyKindTransport, domain.SubsidyApplication{PersonID: "p2"}, workflow.StepMeta{})
		if err != nil {
			t.Fatal(err)
		}
		_, err = a.subsidies.Check(ctx, county, s2.Case.ID, workflow.StepMeta{}, true)
		refusedWith(t, err, domain.ReasonSubsidyIneligible, domain.RuleMonthsAway)
		_, err = a.subsidies.Check(ctx, county, s2.Case.ID, workflow.StepMeta{}, false)
		if e, ok := apperr.As(err); !ok || e.Reason != domain.ReasonSubsidyOpinionRequired {
			t.Fatalf("refusal without an opinion: %v", err)
		}
		s2, err = a.subsidies.Check(ctx, county, s2.Case.ID, workflow.StepMeta{Note: "县外务工不足3个月"}, false)
		if err != nil || s2.Case.Decision == nil || s2.Case.Decision.Outcome != workflow.OutcomeRefused {
			t.Fatalf("refused %+v %v", s2, err)
		}

		// Retention: paid to the employer, once per worker.
		a.ledger.person("p3", true)
		a.ledger.spells = append(a.ledger.spells, domain.WorkSpell{PersonID: "p3", EmployerCode: testEmployerCode, FromMonth: "2026-01"})
		app := domain.SubsidyApplication{PersonID: "p3", EmployerCode: testEmployerCode, EmployerName: "县服装厂"}
		s3, err := a.approve(t, domain.SubsidyKindRetention, app, "2026-06-20")
		if err != nil {
			t.Fatal(err)
		}
		if s3.Entitlement == nil || s3.Entitlement.Beneficiary != payroll.OrganisationBeneficiary(testEmployerCode) || s3.Entitlement.AmountFen != 100000 ||
			s3.Entitlement.PersonID != "" {
			t.Fatalf("retention entitlement %+v", s3.Entitlement)
		}
		_, err = a.subsidies.Apply(ctx, county, domain.SubsidyKindRetention, app, workflow.StepMeta{})
		refusedWith(t, err, domain.ReasonSubsidyAlreadyPaid, domain.RuleOncePerWorker)

		// Training: 15 元 a day attended.
		a.ledger.person("p4", true)
		s4, err := a.approve(t, domain.SubsidyKindTraining, domain.SubsidyApplication{PersonID: "p4", Course: "电工", Provider: "县职校",
			StartDate: "2026-06-01", EndDate: "2026-06-10", DaysAttended: 9}, "")
		if err != nil {
			t.Fatal(err)
		}
		if s4.Entitlement == nil || s4.Entitlement.AmountFen != 13500 || s4.Entitlement.Program != payroll.ProgramTrainingAllowance {
			t.Fatalf("training entitlement %+v", s4.Entitlement)
		}

		// Someone not on the ledger is a field error; a person from a household neither 脱贫 nor 监测 is refused.
		_, err = a.subsidies.Apply(ctx, county, domain.SubsidyKindTraining, domain.SubsidyApplication{PersonID: "ghost", Course: "电工",
			Provider: "县职校", StartDate: "2026-06-01", EndDate: "2026-06-10", DaysAttended: 9}, workflow.StepMeta{})
		if e, ok := apperr.As(err); !ok || e.Kind != apperr.KindInvalid || e.Reason != domain.ReasonPersonNotOnLedger {
			t.Fatalf("not on the ledger: %v", err)
		}
		a.ledger.person("rich", false)
		_, err = a.approve(t, domain.SubsidyKindTraining, domain.SubsidyApplication{PersonID: "rich", Course: "电工", Provider: "县职校",
			StartDate: "2026-06-01", EndDate: "2026-06-10", DaysAttended: 9}, "")
		refusedWith(t, err, domain.ReasonSubsidyIneligible, domain.RulePoorHousehold)

		list, _, err := a.subsidies.List(ctx, county, `kind = "transport_subsidy"`, "", 50)
		if err != nil || len(list) != 2 {
			t.Fatalf("list %d %v", len(list), err)
		}

		// A move carries an open application to the new village; a decided one stays where it was decided.
		a.ledger.person("p5", true)
		open, err := a.subsidies.Apply(ctx, county, domain.SubsidyKindTraining, domain.SubsidyApplication{PersonID: "p5", Course: "电工",
			Provider: "县职校", StartDate: "2026-06-01", EndDate: "2026-06-10", DaysAttended: 9}, workflow.StepMeta{})
		if err != nil {
			t.Fatal(err)
		}
		a.ledger.persons["p4"].HouseholdID = "h-p5"
		if err := a.subsidies.HouseholdMoved(ctx, "h-p5", "420602002001"); err != nil {
			t.Fatal(err)
		}
		moved, err := a.subsidies.Get(ctx, county, open.Case.ID)
		if err != nil || moved.Case.RegionCode != "420602002001" {
			t.Fatalf("moved %+v %v", moved, err)
		}
		kept, err := a.subsidies.Get(ctx, county, s4.Case.ID)
		if err != nil || kept.Case.RegionCode != testVillage {
			t.Fatalf("decided case moved: %+v %v", kept.Case, err)
		}
		if err := a.subsidies.HouseholdMoved(ctx, "h-p5", "420602002001"); err != nil {
			t.Fatalf("a move applied twice: %v", err)
		}
	})
}
