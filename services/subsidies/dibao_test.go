package subsidies_test

import (
	"context"
	"sync"
	"testing"
	"time"

	commonv1 "fupin.dev/proto/gen/fupin/common/v1"
	identificationv1 "fupin.dev/proto/gen/fupin/identification/v1"
	subsidiesv1 "fupin.dev/proto/gen/fupin/subsidies/v1"
	"fupin.dev/services/platform/bizdate"
	"fupin.dev/services/platform/sqldb"
	"fupin.dev/services/platform/sqldb/sqldbtest"
	"fupin.dev/services/subsidies/internal/domain"
	"fupin.dev/services/subsidies/internal/store"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"
)

// These tests walk 民政's programs through real gRPC: the household is registered in identification,
// its income recorded there, and the subsidies service reads both on behalf of the caller. The policy is
// the shipped defaults (农村低保 600 元 a month, a minor's supplement 40 %, 特困 1.3 ×, 临时救助 10 ×).

// countyClock is a clock both services share, moved by the test.
type countyClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *countyClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// On moves the clock to 10:00 of a business date.
func (c *countyClock) On(date string) {
	d, _ := bizdate.Parse(date)
	c.mu.Lock()
	c.t = d.Add(10 * time.Hour)
	c.mu.Unlock()
}

func wantCode(t *testing.T, err error, code codes.Code, reason string) {
	t.Helper()
	got, info, _, _ := errorDetails(err)
	if got != code || (reason != "" && info.GetReason() != reason) {
		t.Fatalf("got %v (%s), want %v %s", got, info.GetReason(), code, reason)
	}
}

// subsidiesStore opens the subsidies service's own database, to check what decisions left for the roll.
func subsidiesStore(t *testing.T, c *county) *store.Store {
	t.Helper()
	db, err := sqldb.Open(t.Context(), c.DatabaseURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return store.New(db, nil)
}

func TestDibaoThroughTheAPI(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		clock := &countyClock{}
		clock.On("2025-03-10")
		c := startCounty(t, d, countyOptions{Now: clock.Now})
		h := c.CreateHousehold(t, village2,
			&identificationv1.Member{FullName: "王大", IdNumber: IDNumber("19800101", 11), RelationToHead: identificationv1.Relation_RELATION_HEAD,
				LabourAbility: identificationv1.LabourAbility_LABOUR_ABILITY_ORDINARY},
			&identificationv1.Member{FullName: "李二", IdNumber: IDNumber("19820202", 12), RelationToHead: identificationv1.Relation_RELATION_SPOUSE},
			&identificationv1.Member{FullName: "王小", IdNumber: IDNumber("20150303", 13), RelationToHead: identificationv1.Relation_RELATION_SON})
		// 10,800 元 of wages in the last 12 months (900 元 a month for 3: 300 元 each) and a 低保 transfer
		// that 低保's own counting leaves out.
		_, err := identificationv1.NewIncomeServiceClient(c.Register).BatchCreateIncomeItems(c.RegisterAdmin(t),
			&identificationv1.BatchCreateIncomeItemsRequest{Parent: h.GetName(), Items: []*identificationv1.IncomeItem{
				{Type: identificationv1.IncomeItemType_INCOME_ITEM_TYPE_WAGES, Source: identificationv1.IncomeSource_INCOME_SOURCE_SURVEY,
					Period: "2024-06", AmountFen: 1_080_000},
				{Type: identificationv1.IncomeItemType_INCOME_ITEM_TYPE_TRANSFER, Source: identificationv1.IncomeSource_INCOME_SOURCE_SURVEY,
					Payer: commonv1.Department_DEPARTMENT_CIVIL_AFFAIRS, TransferProgram: identificationv1.TransferProgram_TRANSFER_PROGRAM_DIBAO,
					Period: "2025-01", AmountFen: 50_000},
			}})
		if err != nil {
			t.Fatal(err)
		}
		dibao := subsidiesv1.NewDibaoServiceClient(c.Conn)
		ca := c.CivilAffairs(t)
		t.Run("残联 cannot write 低保", func(t *testing.T) {
			_, err := dibao.CreateDibaoCase(c.Federation(t), &subsidiesv1.CreateDibaoCaseRequest{Household: h.GetName()})
			wantCode(t, err, codes.PermissionDenied, "")
		})
		k, err := dibao.CreateDibaoCase(ca, &subsidiesv1.CreateDibaoCaseRequest{Household: h.GetName(),
			Details: &subsidiesv1.ReliefStepDetails{Note: "户主申请"}})
		if err != nil {
			t.Fatal(err)
		}
		if k.GetState() != subsidiesv1.ReliefCaseState_RELIEF_CASE_STATE_OPEN || k.GetNextStep() != "survey" || k.GetUrban() {
			t.Fatalf("case %v", k)
		}
		t.Run("a second case of the household is refused", func(t *testing.T) {
			_, err := dibao.CreateDibaoCase(ca, &subsidiesv1.CreateDibaoCaseRequest{Household: h.GetName()})
			wantCode(t, err, codes.FailedPrecondition, "CASE_ALREADY_OPEN")
		})
		t.Run("steps out of order are refused", func(t *testing.T) {
			_, err := dibao.StartDibaoPosting(ca, &subsidiesv1.StartDibaoPostingRequest{Name: k.GetName()})
			wantCode(t, err, codes.FailedPrecondition, "STEP_OUT_OF_ORDER")
		})
		clock.On("2025-03-11")
		survey := &subsidiesv1.RecordDibaoSurveyRequest{Name: k.GetName(), Team: []string{"张", "李"},
			Income: &subsidiesv1.DibaoIncome{Source: &subsidiesv1.DibaoIncome_RegisterAssessment{RegisterAssessment: true}}}
		t.Run("a team of one is a bad request naming the field", func(t *testing.T) {
			bad := proto.Clone(survey).(*subsidiesv1.RecordDibaoSurveyRequest)
			bad.Team = []string{"张"}
			_, err := dibao.RecordDibaoSurvey(ca, bad)
			code, info, br, _ := errorDetails(err)
			if code != codes.InvalidArgument || info.GetReason() != "DIBAO_SURVEY_TEAM_SIZE" || br.GetFieldViolations()[0].GetField() != "team" {
				t.Fatalf("got %v %v %v", code, info, br)
			}
		})
		k, err = dibao.RecordDibaoSurvey(ca, survey)
		if err != nil {
			t.Fatal(err)
		}
		// (600 − 300) × 3 + 40 % of 600 for the minor = 1,140 元.
		if a := k.GetAmount(); a.GetAmountFen() != 114_000 || a.GetPerCapitaIncomeFen() != 30_000 || a.GetRule() != subsidiesv1.DibaoRule_DIBAO_RULE_GAP ||
			len(a.GetSupplements()) != 1 || a.GetSupplements()[0].GetCategory() != subsidiesv1.DibaoSupplementCategory_DIBAO_SUPPLEMENT_CATEGORY_MINOR {
			t.Fatalf("amount %v", a)
		}
		clock.On("2025-03-12")
		if k, err = dibao.RecordDibaoVillageReview(ca, &subsidiesv1.RecordDibaoVillageReviewRequest{Name: k.GetName(),
			RegisteredRepresentatives: 30, Present: 21, VotesFor: 18}); err != nil {
			t.Fatal(err)
		}
		clock.On("2025-03-13")
		if k, err = dibao.StartDibaoPosting(ca, &subsidiesv1.StartDibaoPostingRequest{Name: k.GetName()}); err != nil {
			t.Fatal(err)
		}
		clock.On("2025-03-19")
		t.Run("the posting runs its 7 days", func(t *testing.T) {
			_, err := dibao.CompleteDibaoPosting(ca, &subsidiesv1.CompleteDibaoPostingRequest{Name: k.GetName()})
			wantCode(t, err, codes.FailedPrecondition, "POSTING_PERIOD_NOT_OVER")
		})
		clock.On("2025-03-20")
		if _, err = dibao.CompleteDibaoPosting(ca, &subsidiesv1.CompleteDibaoPostingRequest{Name: k.GetName()}); err != nil {
			t.Fatal(err)
		}
		if _, err = dibao.RecordDibaoTownshipReview(ca, &subsidiesv1.RecordDibaoTownshipReviewRequest{Name: k.GetName(), Approved: true}); err != nil {
			t.Fatal(err)
		}
		t.Run("a township officer decides nothing", func(t *testing.T) {
			_, err := dibao.DecideDibaoCase(c.As(t, "civil_affairs", "township_officer", "990001002"), &subsidiesv1.DecideDibaoCaseRequest{
				Name: k.GetName(), Outcome: subsidiesv1.ReliefCaseOutcome_RELIEF_CASE_OUTCOME_APPROVED})
			wantCode(t, err, codes.PermissionDenied, "")
		})
		// A late approval: paid from the month of the application, so March is back-paid by the roll.
		clock.On("2025-04-15")
		k, err = dibao.DecideDibaoCase(ca, &subsidiesv1.DecideDibaoCaseRequest{Name: k.GetName(),
			Outcome: subsidiesv1.ReliefCaseOutcome_RELIEF_CASE_OUTCOME_APPROVED})
		if err != nil {
			t.Fatal(err)
		}
		if k.GetDecision().GetOutcome() != subsidiesv1.ReliefCaseOutcome_RELIEF_CASE_OUTCOME_APPROVED || k.GetCoverage() == "" ||
			k.GetAmount().GetAmountFen() != 114_000 || len(k.GetAmount().GetPolicyValues()) == 0 || k.GetAmount().GetPolicyDate() != "2025-04-15" {
			t.Fatalf("decided %v", k)
		}
		st := subsidiesStore(t, c)
		es, err := st.EntitlementsBySource(t.Context(), "dibaoCases/"+k.GetName()[len("dibaoCases/"):])
		if err != nil || len(es) != 1 {
			t.Fatalf("entitlements %v %v", es, err)
		}
		if e := es[0]; e.Program != domain.ProgramDibao || e.Beneficiary != h.GetName() || e.FromMonth != "2025-03" || e.AmountFen != 114_000 ||
			e.Covered != 3 || e.RegionCode != village2 {
			t.Errorf("entitlement %+v", e)
		}
		cov, err := dibao.GetDibaoCoverage(ca, &subsidiesv1.GetDibaoCoverageRequest{Name: k.GetCoverage()})
		if err != nil {
			t.Fatal(err)
		}
		if cov.GetState() != subsidiesv1.DibaoCoverageState_DIBAO_COVERAGE_STATE_ACTIVE || len(cov.GetMembers()) != 3 ||
			cov.GetFromMonth() != "2025-03" || cov.GetNextReviewDate() != "2026-04-15" {
			t.Errorf("coverage %v", cov)
		}
		t.Run("who reads", func(t *testing.T) {
			for _, tt := range []struct {
				name string
				ctx  context.Context
				code codes.Code
			}{
				{"残联 staff", c.Federation(t), codes.OK},
				{"an auditor", c.As(t, "civil_affairs", "auditor", ""), codes.OK},
				{"the household's township", c.As(t, "civil_affairs", "township_officer", "990001002"), codes.OK},
				{"another township", c.As(t, "civil_affairs", "township_officer", "990001001"), codes.PermissionDenied},
				{"人社 staff", c.As(t, "human_resources", "department_staff", ""), codes.PermissionDenied},
			} {
				_, err := dibao.GetDibaoCoverage(tt.ctx, &subsidiesv1.GetDibaoCoverageRequest{Name: k.GetCoverage()})
				if got, _, _, _ := errorDetails(err); got != tt.code {
					t.Errorf("%s: %v, want %v", tt.name, got, tt.code)
				}
			}
		})
		t.Run("a review with more income pays less from the next month", func(t *testing.T) {
			clock.On("2025-06-10")
			r, err := dibao.RecordDibaoReview(ca, &subsidiesv1.RecordDibaoReviewRequest{Parent: k.GetCoverage(),
				Income: &subsidiesv1.DibaoIncome{Source: &subsidiesv1.DibaoIncome_Items{Items: &subsidiesv1.DibaoIncomeItems{
					Items: []*subsidiesv1.DibaoIncomeItem{{Description: "务工", AmountFen: 120_000, Months: 1}}}}}})
			if err != nil {
				t.Fatal(err)
			}
			// (600 − 400) × 3 + 240 = 840 元 from July.
			if r.GetOutcome() != subsidiesv1.DibaoReviewOutcome_DIBAO_REVIEW_OUTCOME_CHANGED || r.GetAmountAfterFen() != 84_000 ||
				r.GetEffectiveMonth() != "2025-07" {
				t.Fatalf("review %v", r)
			}
			es, _ := st.EntitlementsOfHousehold(t.Context(), h.GetName()[len("households/"):])
			if len(es) != 2 || es[0].ToMonth != "2025-06" || es[1].FromMonth != "2025-07" || es[1].AmountFen != 84_000 {
				t.Errorf("entitlements %+v", es)
			}
			due, err := dibao.ListOverdueDibaoReviews(ca, &subsidiesv1.ListOverdueDibaoReviewsRequest{AsOfDate: "2026-06-10"})
			if err != nil || len(due.GetDibaoCoverages()) != 1 {
				t.Errorf("due %v %v", due, err)
			}
		})
		t.Run("临时救助 up to 10 × the standard", func(t *testing.T) {
			ta := subsidiesv1.NewTemporaryAssistanceServiceClient(c.Conn)
			create := func(fen int64) (*subsidiesv1.TemporaryAssistance, error) {
				return ta.CreateTemporaryAssistance(ca, &subsidiesv1.CreateTemporaryAssistanceRequest{TemporaryAssistance: &subsidiesv1.TemporaryAssistance{
					Household: h.GetName(), Kind: subsidiesv1.TemporaryAssistanceKind_TEMPORARY_ASSISTANCE_KIND_EMERGENCY, AmountFen: fen, Reason: "房屋失火"}})
			}
			_, err := create(600_001)
			code, info, _, pf := errorDetails(err)
			if code != codes.FailedPrecondition || info.GetReason() != "TEMPORARY_ASSISTANCE_ABOVE_CAP" ||
				pf.GetViolations()[0].GetType() != domain.RuleTemporaryAssistanceCap {
				t.Fatalf("above the cap: %v %v %v", code, info, pf)
			}
			a, err := create(600_000)
			if err != nil {
				t.Fatal(err)
			}
			a, err = ta.DecideTemporaryAssistance(ca, &subsidiesv1.DecideTemporaryAssistanceRequest{Name: a.GetName(), Approve: true, Etag: a.GetEtag()})
			if err != nil || a.GetState() != subsidiesv1.TemporaryAssistanceState_TEMPORARY_ASSISTANCE_STATE_APPROVED || a.GetPaymentMonth() != "2025-06" {
				t.Fatalf("decided %v %v", a, err)
			}
			_, err = ta.DecideTemporaryAssistance(ca, &subsidiesv1.DecideTemporaryAssistanceRequest{Name: a.GetName(), Approve: true})
			wantCode(t, err, codes.FailedPrecondition, "TEMPORARY_ASSISTANCE_DECIDED")
		})
	})
}

func TestDestituteThroughTheAPI(t *testing.T) {
	clock := &countyClock{}
	clock.On("2025-05-06")
	c := startCounty(t, sqldb.SQLite, countyOptions{Now: clock.Now})
	h := c.CreateHousehold(t, village1,
		&identificationv1.Member{FullName: "赵老", IdNumber: IDNumber("19500101", 21), RelationToHead: identificationv1.Relation_RELATION_HEAD},
		&identificationv1.Member{FullName: "赵壮", IdNumber: IDNumber("19900101", 22), RelationToHead: identificationv1.Relation_RELATION_SON})
	ds := subsidiesv1.NewDestituteServiceClient(c.Conn)
	ca := c.CivilAffairs(t)
	walk := func(t *testing.T, person string, survey *subsidiesv1.RecordDestituteSurveyRequest) (*subsidiesv1.DestituteCase, error) {
		t.Helper()
		k, err := ds.CreateDestituteCase(ca, &subsidiesv1.CreateDestituteCaseRequest{Person: person})
		if err != nil {
			t.Fatal(err)
		}
		survey.Name = k.GetName()
		if _, err := ds.RecordDestituteSurvey(ca, survey); err != nil {
			t.Fatal(err)
		}
		if _, err := ds.RecordDestituteTownshipReview(ca, &subsidiesv1.RecordDestituteTownshipReviewRequest{Name: k.GetName(), Approved: true}); err != nil {
			t.Fatal(err)
		}
		return ds.DecideDestituteCase(ca, &subsidiesv1.DecideDestituteCaseRequest{Name: k.GetName(),
			Outcome: subsidiesv1.ReliefCaseOutcome_RELIEF_CASE_OUTCOME_APPROVED})
	}
	old, young := h.GetMembers()[0].GetName(), h.GetMembers()[1].GetName()
	t.Run("a working-age son with a supporter: each unmet condition named", func(t *testing.T) {
		_, err := walk(t, young, &subsidiesv1.RecordDestituteSurveyRequest{NoIncomeSource: true})
		code, info, _, pf := errorDetails(err)
		if code != codes.FailedPrecondition || info.GetReason() != "DESTITUTE_CONDITIONS_UNMET" || len(pf.GetViolations()) != 2 ||
			pf.GetViolations()[0].GetType() != "DESTITUTE_NO_LABOUR_ABILITY" || pf.GetViolations()[1].GetType() != "DESTITUTE_NO_ABLE_SUPPORTER" {
			t.Fatalf("got %v %v %v", code, info, pf)
		}
	})
	t.Run("the father, 75, without income or an able supporter, is supported", func(t *testing.T) {
		k, err := walk(t, old, &subsidiesv1.RecordDestituteSurveyRequest{NoIncomeSource: true, NoAbleSupporter: true})
		if err != nil {
			t.Fatal(err)
		}
		// 1.3 × the urban standard of 800 元 = 1,040 元 a month.
		if ev := k.GetEvaluation(); !ev.GetEligible() || ev.GetAmountFen() != 104_000 || len(ev.GetPolicyValues()) != 3 ||
			k.GetDecision().GetOutcome() != subsidiesv1.ReliefCaseOutcome_RELIEF_CASE_OUTCOME_APPROVED {
			t.Fatalf("case %v", k)
		}
		_, personID, _ := domain.ParsePersonName(old)
		es, err := subsidiesStore(t, c).EntitlementsOfPerson(t.Context(), personID)
		if err != nil || len(es) != 1 || es[0].Program != domain.ProgramDestitute || es[0].AmountFen != 104_000 || es[0].FromMonth != "2025-05" {
			t.Fatalf("entitlements %+v %v", es, err)
		}
		_, err = ds.CreateDestituteCase(ca, &subsidiesv1.CreateDestituteCaseRequest{Person: old})
		wantCode(t, err, codes.AlreadyExists, "ALREADY_COVERED")
	})
	t.Run("残联 reads, but does not write", func(t *testing.T) {
		_, err := ds.CreateDestituteCase(c.Federation(t), &subsidiesv1.CreateDestituteCaseRequest{Person: young})
		wantCode(t, err, codes.PermissionDenied, "")
	})
}
