package subsidies_test

import (
	"context"
	"fmt"
	"slices"
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
		t.Run("the case waits in 民政's inbox for its survey, not in 残联's", func(t *testing.T) {
			inbox := subsidiesv1.NewReliefInboxServiceClient(c.Conn)
			got, err := inbox.ListInboxItems(ca, &commonv1.ListInboxItemsRequest{PageSize: 1})
			if err != nil || got.GetTotalSize() != 1 || len(got.GetInboxItems()) != 1 {
				t.Fatalf("inbox %v %v", got, err)
			}
			if it := got.GetInboxItems()[0]; it.GetResource() != k.GetName() || it.GetNextStep() != "survey" ||
				it.GetOperation() != "DibaoService_RecordDibaoSurvey" || it.GetKind() != "dibao" {
				t.Errorf("item %v", it)
			}
			other, err := inbox.ListInboxItems(c.Federation(t), &commonv1.ListInboxItemsRequest{})
			if err != nil || other.GetTotalSize() != 0 {
				t.Errorf("残联's inbox %v %v", other, err)
			}
		})
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
			if err != nil || len(due.GetDibaoCoverages()) != 1 || due.GetTotalSize() != 1 {
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
		t.Run("渐退期: paid to its last month, then read as ended", func(t *testing.T) {
			clock.On("2025-07-10")
			review := &subsidiesv1.RecordDibaoReviewRequest{Parent: k.GetCoverage(), IncomeRaisedByWork: true,
				Income: &subsidiesv1.DibaoIncome{Source: &subsidiesv1.DibaoIncome_Items{Items: &subsidiesv1.DibaoIncomeItems{
					Items: []*subsidiesv1.DibaoIncomeItem{{Description: "务工", AmountFen: 300_000, Months: 1}}}}}}
			r, err := dibao.RecordDibaoReview(ca, review)
			if err != nil {
				t.Fatal(err)
			}
			// 1,000 元 a head is above the standard, raised by work: 6 months of 渐退期, paid to January.
			if r.GetOutcome() != subsidiesv1.DibaoReviewOutcome_DIBAO_REVIEW_OUTCOME_TAPER || r.GetEffectiveMonth() != "2026-01" {
				t.Fatalf("review %v", r)
			}
			for _, tt := range []struct {
				date   string
				state  subsidiesv1.DibaoCoverageState
				end    string
				reason string
			}{
				{"2026-01-31", subsidiesv1.DibaoCoverageState_DIBAO_COVERAGE_STATE_TAPER, "", ""},
				{"2026-02-01", subsidiesv1.DibaoCoverageState_DIBAO_COVERAGE_STATE_ENDED, "2026-01", "渐退期满"},
			} {
				clock.On(tt.date)
				cov, err := dibao.GetDibaoCoverage(c.As(t, "civil_affairs", "township_officer", "990001002"),
					&subsidiesv1.GetDibaoCoverageRequest{Name: k.GetCoverage()})
				if err != nil {
					t.Fatal(err)
				}
				if cov.GetState() != tt.state || cov.GetEndMonth() != tt.end || cov.GetEndReason() != tt.reason ||
					cov.GetTaperLastMonth() != "2026-01" || cov.GetNextReviewDate() != "" {
					t.Errorf("on %s: %v", tt.date, cov)
				}
				_, err = dibao.RecordDibaoReview(ca, review)
				wantCode(t, err, codes.FailedPrecondition, "DIBAO_COVERAGE_ENDED")
			}
		})
		t.Run("the decision feed: started, then ended at the 渐退期's last month; the snapshot reads it as ended", func(t *testing.T) {
			hr := c.As(t, "human_resources", "service", "")
			var topics []string
			last := &subsidiesv1.DibaoCoverageDecision{}
			for _, ch := range feedChanges(t, c, hr, 0, "dibao.coverage_started", "dibao.coverage_changed", "dibao.coverage_ended") {
				if ch.GetResource() != k.GetCoverage() {
					continue
				}
				topics = append(topics, ch.GetTopic())
				if err := ch.GetPayload().UnmarshalTo(last); err != nil {
					t.Fatal(err)
				}
			}
			// The review that changed the amount alone published nothing: followers see membership, not money.
			if !slices.Equal(topics, []string{"dibao.coverage_started", "dibao.coverage_ended"}) || last.GetLastMonth() != "2026-01" ||
				last.GetState() != subsidiesv1.DibaoCoverageState_DIBAO_COVERAGE_STATE_TAPER || len(last.GetPersons()) != 3 ||
				last.GetPersons()[0].GetIdIndex() == "" {
				t.Fatalf("topics %v, last %v", topics, last)
			}
			_, all, err := exportDecisions(t, hr, c, &subsidiesv1.ExportDecisionsRequest{
				Kinds: []subsidiesv1.DecisionKind{subsidiesv1.DecisionKind_DECISION_KIND_DIBAO_COVERAGE}})
			if err != nil || len(all.GetDibaoCoverages()) != 1 {
				t.Fatalf("export %v %v", all, err)
			}
			if got := all.GetDibaoCoverages()[0]; got.GetCoverage() != k.GetCoverage() || got.GetLastMonth() != "2026-01" ||
				got.GetState() != subsidiesv1.DibaoCoverageState_DIBAO_COVERAGE_STATE_ENDED || got.GetEndReason() != "渐退期满" {
				t.Errorf("exported on %s: %v", clock.Now().Format(time.DateOnly), got)
			}
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

// 特困 cases and 临时救助 applications as a county official lists them: pages, the caller's region scope,
// filters; and a 特困 case withdrawn (撤回/终止) with its reason.
func TestReliefListsThroughTheAPI(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		clock := &countyClock{}
		clock.On("2025-05-06")
		c := startCounty(t, d, countyOptions{Now: clock.Now})
		h1 := c.CreateHousehold(t, village1,
			&identificationv1.Member{FullName: "钱老", IdNumber: IDNumber("19480101", 31), RelationToHead: identificationv1.Relation_RELATION_HEAD},
			&identificationv1.Member{FullName: "孙老", IdNumber: IDNumber("19490202", 32), RelationToHead: identificationv1.Relation_RELATION_SPOUSE},
			&identificationv1.Member{FullName: "钱小", IdNumber: IDNumber("20120303", 33), RelationToHead: identificationv1.Relation_RELATION_GRANDCHILD})
		h2 := c.CreateHousehold(t, village2,
			&identificationv1.Member{FullName: "周老", IdNumber: IDNumber("19450404", 34), RelationToHead: identificationv1.Relation_RELATION_HEAD})
		ds := subsidiesv1.NewDestituteServiceClient(c.Conn)
		ca := c.CivilAffairs(t)
		var names []string
		for i, person := range []string{h1.GetMembers()[0].GetName(), h2.GetMembers()[0].GetName(), h1.GetMembers()[1].GetName(),
			h1.GetMembers()[2].GetName()} {
			k, err := ds.CreateDestituteCase(ca, &subsidiesv1.CreateDestituteCaseRequest{Person: person, RequestId: fmt.Sprint("open-", i)})
			if err != nil {
				t.Fatal(err)
			}
			names = append(names, k.GetName())
		}
		township1 := c.As(t, "civil_affairs", "township_officer", "990001001")
		listCases := func(t *testing.T, ctx context.Context, filter string, size int32) []string {
			t.Helper()
			var got []string
			req := &subsidiesv1.ListDestituteCasesRequest{PageSize: size, Filter: filter}
			for range 10 {
				resp, err := ds.ListDestituteCases(ctx, req)
				if err != nil {
					t.Fatal(err)
				}
				if int32(len(resp.GetDestituteCases())) > size {
					t.Fatalf("a page of %d, asked for %d", len(resp.GetDestituteCases()), size)
				}
				for _, k := range resp.GetDestituteCases() {
					got = append(got, k.GetName())
				}
				if req.PageToken = resp.GetNextPageToken(); req.PageToken == "" {
					return got
				}
			}
			t.Fatal("no last page")
			return nil
		}
		t.Run("特困 cases in pages of two, oldest first", func(t *testing.T) {
			if got := listCases(t, ca, "", 2); !slices.Equal(got, names) {
				t.Errorf("got %v, want %v", got, names)
			}
		})
		t.Run("a township officer lists their township's cases only", func(t *testing.T) {
			if got, want := listCases(t, township1, "", 1), []string{names[0], names[2], names[3]}; !slices.Equal(got, want) {
				t.Errorf("got %v, want %v", got, want)
			}
			if got := listCases(t, c.As(t, "civil_affairs", "village_officer", village2), "", 5); !slices.Equal(got, []string{names[1]}) {
				t.Errorf("village 2's officer: %v", got)
			}
		})
		t.Run("who lists 特困 cases", func(t *testing.T) {
			for _, tt := range []struct {
				name string
				ctx  context.Context
				code codes.Code
			}{
				{"残联 staff", c.Federation(t), codes.OK},
				{"an auditor", c.As(t, "civil_affairs", "auditor", ""), codes.OK},
				{"人社 staff", c.As(t, "human_resources", "department_staff", ""), codes.PermissionDenied},
			} {
				_, err := ds.ListDestituteCases(tt.ctx, &subsidiesv1.ListDestituteCasesRequest{})
				if got, _, _, _ := errorDetails(err); got != tt.code {
					t.Errorf("%s: %v, want %v", tt.name, got, tt.code)
				}
			}
		})
		t.Run("a filter, and a page token of another list", func(t *testing.T) {
			if got := listCases(t, ca, `state = RELIEF_CASE_STATE_OPEN AND region_code:"990001002"`, 5); !slices.Equal(got, []string{names[1]}) {
				t.Errorf("open in township 2: %v", got)
			}
			_, err := ds.ListDestituteCases(ca, &subsidiesv1.ListDestituteCasesRequest{Filter: "state = OPENED"})
			wantCode(t, err, codes.InvalidArgument, "")
			page, err := ds.ListDestituteCases(ca, &subsidiesv1.ListDestituteCasesRequest{PageSize: 1})
			if err != nil || page.GetNextPageToken() == "" {
				t.Fatalf("first page %v %v", page, err)
			}
			_, err = subsidiesv1.NewTemporaryAssistanceServiceClient(c.Conn).ListTemporaryAssistances(ca,
				&subsidiesv1.ListTemporaryAssistancesRequest{PageToken: page.GetNextPageToken()})
			wantCode(t, err, codes.InvalidArgument, "")
			dibaoPage, err := subsidiesv1.NewDibaoServiceClient(c.Conn).ListDibaoCases(ca, &subsidiesv1.ListDibaoCasesRequest{})
			if err != nil || len(dibaoPage.GetDibaoCases()) != 0 {
				t.Errorf("特困 cases listed as 低保: %v %v", dibaoPage, err)
			}
		})
		t.Run("withdrawing a 特困 case", func(t *testing.T) {
			tries := 0
			withdraw := func(ctx context.Context, name, note string) (*subsidiesv1.DestituteCase, error) {
				tries++
				return ds.WithdrawDestituteCase(ctx, &subsidiesv1.WithdrawDestituteCaseRequest{Name: name,
					Details: &subsidiesv1.ReliefStepDetails{Note: note}, RequestId: fmt.Sprint("withdraw-", tries)})
			}
			_, err := withdraw(c.Federation(t), names[2], "残联")
			wantCode(t, err, codes.PermissionDenied, "")
			_, err = withdraw(c.As(t, "civil_affairs", "village_officer", village1), names[2], "村")
			wantCode(t, err, codes.PermissionDenied, "")
			_, err = withdraw(c.As(t, "civil_affairs", "township_officer", "990001002"), names[2], "另一乡镇")
			wantCode(t, err, codes.PermissionDenied, "OUT_OF_REGION_SCOPE")
			_, err = ds.WithdrawDestituteCase(ca, &subsidiesv1.WithdrawDestituteCaseRequest{Name: names[2]})
			wantCode(t, err, codes.InvalidArgument, "")
			_, err = withdraw(ca, names[2], "")
			wantCode(t, err, codes.InvalidArgument, "")
			k, err := withdraw(township1, names[2], "本人放弃申请")
			if err != nil {
				t.Fatal(err)
			}
			if k.GetState() != subsidiesv1.ReliefCaseState_RELIEF_CASE_STATE_CLOSED || k.GetNextStep() != "" ||
				k.GetDecision().GetOutcome() != subsidiesv1.ReliefCaseOutcome_RELIEF_CASE_OUTCOME_WITHDRAWN ||
				k.GetDecision().GetExplanation() != "本人放弃申请" || k.GetSteps()[len(k.GetSteps())-1].GetStep() != "withdrawal" {
				t.Fatalf("withdrawn %v", k)
			}
			_, err = withdraw(township1, names[2], "再次撤回")
			wantCode(t, err, codes.FailedPrecondition, "")
			if got := listCases(t, township1, "outcome = RELIEF_CASE_OUTCOME_WITHDRAWN", 5); !slices.Equal(got, []string{names[2]}) {
				t.Errorf("withdrawn cases: %v", got)
			}
		})
		t.Run("临时救助 applications in pages, in the caller's scope", func(t *testing.T) {
			ta := subsidiesv1.NewTemporaryAssistanceServiceClient(c.Conn)
			var tas []string
			for i, x := range []struct {
				h    *identificationv1.Household
				kind subsidiesv1.TemporaryAssistanceKind
			}{
				{h1, subsidiesv1.TemporaryAssistanceKind_TEMPORARY_ASSISTANCE_KIND_EMERGENCY},
				{h2, subsidiesv1.TemporaryAssistanceKind_TEMPORARY_ASSISTANCE_KIND_SPENDING},
				{h1, subsidiesv1.TemporaryAssistanceKind_TEMPORARY_ASSISTANCE_KIND_SPENDING},
			} {
				a, err := ta.CreateTemporaryAssistance(ca, &subsidiesv1.CreateTemporaryAssistanceRequest{RequestId: fmt.Sprint("ta-", i),
					TemporaryAssistance: &subsidiesv1.TemporaryAssistance{Household: x.h.GetName(), Kind: x.kind, AmountFen: 50_000, Reason: "住院"}})
				if err != nil {
					t.Fatal(err)
				}
				tas = append(tas, a.GetName())
			}
			list := func(t *testing.T, ctx context.Context, filter string) ([]string, error) {
				var got []string
				req := &subsidiesv1.ListTemporaryAssistancesRequest{PageSize: 2, Filter: filter}
				for range 10 {
					resp, err := ta.ListTemporaryAssistances(ctx, req)
					if err != nil {
						return nil, err
					}
					for _, a := range resp.GetTemporaryAssistances() {
						got = append(got, a.GetName())
					}
					if req.PageToken = resp.GetNextPageToken(); req.PageToken == "" {
						break
					}
				}
				return got, nil
			}
			for _, tt := range []struct {
				name   string
				ctx    context.Context
				filter string
				want   []string
				code   codes.Code
			}{
				{"the county", ca, "", tas, codes.OK},
				{"a township officer: their township", township1, "", []string{tas[0], tas[2]}, codes.OK},
				{"another township", c.As(t, "civil_affairs", "township_officer", "990001002"), "", []string{tas[1]}, codes.OK},
				{"支出型 in township 1", township1, "kind = TEMPORARY_ASSISTANCE_KIND_SPENDING", []string{tas[2]}, codes.OK},
				{"pending of a household", ca, `state = TEMPORARY_ASSISTANCE_STATE_PENDING AND household = "` + h2.GetName() + `"`, []string{tas[1]}, codes.OK},
				{"an auditor", c.As(t, "civil_affairs", "auditor", ""), "", tas, codes.OK},
				{"a bad filter", ca, "kind = FLOOD", nil, codes.InvalidArgument},
				{"残联 staff", c.Federation(t), "", nil, codes.PermissionDenied},
				{"a village officer", c.As(t, "civil_affairs", "village_officer", village1), "", nil, codes.PermissionDenied},
			} {
				got, err := list(t, tt.ctx, tt.filter)
				if code, _, _, _ := errorDetails(err); code != tt.code || !slices.Equal(got, tt.want) {
					t.Errorf("%s: %v %v, want %v %v", tt.name, got, code, tt.want, tt.code)
				}
			}
		})
	})
}
