package identification_test

import (
	"context"
	"strings"
	"testing"
	"time"

	identificationv1 "fupin.dev/proto/gen/fupin/identification/v1"
	"fupin.dev/services/platform/bizdate"
	"fupin.dev/services/platform/sqldb"
	"fupin.dev/services/platform/sqldb/sqldbtest"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Identification and exit cases over real gRPC: the contract's access rules, region scope, idempotency and
// the refusals' details as a caller sees them. The service runs on the real clock, so cases are dated in
// the past with a back-dating reason.

// daysAgo is the business date n days before today.
func daysAgo(n int) string {
	today, _ := bizdate.Parse(bizdate.Today(time.Now()))
	return bizdate.Today(today.AddDate(0, 0, -n))
}

// violations returns the PreconditionFailure violations of an error as "TYPE subject: description".
func violations(err error) []*errdetails.PreconditionFailure_Violation {
	st, _ := status.FromError(err)
	for _, d := range st.Details() {
		if pf, ok := d.(*errdetails.PreconditionFailure); ok {
			return pf.GetViolations()
		}
	}
	return nil
}

// wantCode checks an error's code, reason and, when given, its violation types or first field.
func wantCode(t *testing.T, err error, code codes.Code, reason string, types ...string) {
	t.Helper()
	got, info, br := details(t, err)
	if got != code || info.GetReason() != reason {
		t.Fatalf("got %v %s (%v), want %v %s", got, info.GetReason(), err, code, reason)
	}
	if len(types) == 0 {
		return
	}
	if code == codes.InvalidArgument {
		if br.GetFieldViolations()[0].GetField() != types[0] {
			t.Errorf("field %s, want %s", br.GetFieldViolations()[0].GetField(), types[0])
		}
		return
	}
	var vs []string
	for _, v := range violations(err) {
		vs = append(vs, v.GetType())
	}
	if strings.Join(vs, ",") != strings.Join(types, ",") {
		t.Errorf("violations %v, want %v", vs, types)
	}
}

type caseCallers struct {
	village, otherVillage, township, county, auditor, civil context.Context
}

func callers(t *testing.T, h *harness, village string) caseCallers {
	return caseCallers{
		village:      h.as(t, "rural_revitalization", "village_officer", village),
		otherVillage: h.as(t, "rural_revitalization", "village_officer", "990001001001"),
		township:     h.as(t, "rural_revitalization", "township_officer", village[:9]),
		county:       h.admin(t),
		auditor:      h.as(t, "county_government", "auditor", ""),
		civil:        h.as(t, "civil_affairs", "county_admin", ""),
	}
}

// surveyed opens an identification case dated 12 days ago and records its survey the day after.
func surveyed(t *testing.T, cases identificationv1.CaseServiceClient, ctx context.Context, household string, facts *identificationv1.HouseholdSurvey) *identificationv1.Case {
	t.Helper()
	k, err := cases.CreateCase(ctx, &identificationv1.CreateCaseRequest{Kind: "identification", Household: household,
		OccurredAt: daysAgo(12), BackdateReason: "纸质申请书补录", Attachments: []string{"doc:application-form"}})
	if err != nil {
		t.Fatal(err)
	}
	k, err = cases.RecordSurvey(ctx, &identificationv1.RecordSurveyRequest{Name: k.GetName(), Team: []string{"张三", "李四"},
		Facts: &identificationv1.RecordSurveyRequest_HouseholdSurvey{HouseholdSurvey: facts}, OccurredAt: daysAgo(11), BackdateReason: "补录"})
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func poorSurvey() *identificationv1.HouseholdSurvey {
	income := int64(250000)
	return &identificationv1.HouseholdSurvey{PerCapitaIncomeFen: &income, HouseSafetyGrade: identificationv1.HouseSafetyGrade_HOUSE_SAFETY_GRADE_B,
		SafeDrinkingWater: true, SchoolDropout: identificationv1.SchoolDropout_SCHOOL_DROPOUT_NONE,
		HouseholdLabour: identificationv1.HouseholdLabour_HOUSEHOLD_LABOUR_ABLE}
}

// posted takes a surveyed case through its review and a posting started postedDaysAgo days ago.
func posted(t *testing.T, cases identificationv1.CaseServiceClient, ctx context.Context, k *identificationv1.Case, postedDaysAgo int) *identificationv1.Case {
	t.Helper()
	k, err := cases.RecordVillageReview(ctx, &identificationv1.RecordVillageReviewRequest{Name: k.GetName(), RegisteredRepresentatives: 30,
		Present: 20, VotesFor: 11, OccurredAt: daysAgo(10), BackdateReason: "会议记录补录", Attachments: []string{"doc:minutes"}})
	if err != nil {
		t.Fatal(err)
	}
	k, err = cases.StartPosting(ctx, &identificationv1.StartPostingRequest{Name: k.GetName(), OccurredAt: daysAgo(postedDaysAgo),
		BackdateReason: "公示照片补录", Note: "村务公开栏"})
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestCaseAPI(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		h := start(t, d)
		cases := identificationv1.NewCaseServiceClient(h.conn)
		const village = "990001002003" // 1,645 residents: 30 representatives needed
		as := callers(t, h, village)
		// The households were registered 60 days ago (登记日期), before the cases the tests date in the past.
		registeredSince := func(t *testing.T, seq int, status identificationv1.RegistryStatus, days int) string {
			req := newHousehold(village, seq)
			req.Household.RegistryStatus = status
			req.Household.RegistrationDate, req.Household.RegistrationBackdateReason = daysAgo(days), "纸质台账迁入"
			hh, err := h.households.CreateHousehold(h.admin(t), req)
			if err != nil {
				t.Fatal(err)
			}
			if hh.GetRegistrationDate() != daysAgo(days) || hh.GetStatusHistory()[0].GetEffectiveDate() != daysAgo(days) {
				t.Fatalf("registered %s, first status %v; want %s", hh.GetRegistrationDate(), hh.GetStatusHistory()[0], daysAgo(days))
			}
			return hh.GetName()
		}
		household := func(t *testing.T, seq int, status identificationv1.RegistryStatus) string {
			return registeredSince(t, seq, status, 60)
		}

		t.Run("no case before the household's registration date", func(t *testing.T) {
			name := registeredSince(t, 390, identificationv1.RegistryStatus_REGISTRY_STATUS_ORDINARY, 5)
			_, err := cases.CreateCase(as.village, &identificationv1.CreateCaseRequest{Kind: "identification", Household: name,
				OccurredAt: daysAgo(6), BackdateReason: "纸质申请书补录"})
			wantCode(t, err, codes.InvalidArgument, "BEFORE_REGISTRATION", "occurred_at")
			if _, err := cases.CreateCase(as.village, &identificationv1.CreateCaseRequest{Kind: "identification", Household: name,
				OccurredAt: daysAgo(5), BackdateReason: "纸质申请书补录"}); err != nil {
				t.Fatalf("on the registration date: %v", err)
			}
		})
		t.Run("a registration date before today needs a reason, and none is in the future", func(t *testing.T) {
			req := newHousehold(village, 391)
			req.Household.RegistrationDate = daysAgo(5)
			_, err := h.households.CreateHousehold(h.admin(t), req)
			wantCode(t, err, codes.InvalidArgument, "BACKDATE_REASON_REQUIRED", "household.registration_backdate_reason")
			req.Household.RegistrationDate, req.Household.RegistrationBackdateReason = daysAgo(-1), "x"
			_, err = h.households.CreateHousehold(h.admin(t), req)
			wantCode(t, err, codes.InvalidArgument, "DATE_INVALID", "household.registration_date")
		})

		t.Run("an identification case from application to decision", func(t *testing.T) {
			name := household(t, 401, identificationv1.RegistryStatus_REGISTRY_STATUS_ORDINARY)
			_, err := cases.CreateCase(as.village, &identificationv1.CreateCaseRequest{Kind: "identification", Household: name, OccurredAt: daysAgo(12)})
			wantCode(t, err, codes.InvalidArgument, "BACKDATE_REASON_REQUIRED", "backdate_reason")
			_, err = cases.CreateCase(as.civil, &identificationv1.CreateCaseRequest{Kind: "identification", Household: name})
			wantCode(t, err, codes.PermissionDenied, "ACCESS_DENIED")
			_, err = cases.CreateCase(as.otherVillage, &identificationv1.CreateCaseRequest{Kind: "identification", Household: name})
			wantCode(t, err, codes.PermissionDenied, "OUT_OF_REGION_SCOPE")

			k := surveyed(t, cases, as.village, name, poorSurvey())
			_, err = cases.RecordSurvey(as.village, &identificationv1.RecordSurveyRequest{Name: k.GetName(), Team: []string{"张三"},
				Facts: &identificationv1.RecordSurveyRequest_HouseholdSurvey{HouseholdSurvey: poorSurvey()}})
			wantCode(t, err, codes.InvalidArgument, "SURVEY_TEAM_SIZE", "team")
			_, err = cases.RecordVillageReview(as.village, &identificationv1.RecordVillageReviewRequest{Name: k.GetName(),
				RegisteredRepresentatives: 29, Present: 29, VotesFor: 29, OccurredAt: daysAgo(10), BackdateReason: "补录"})
			wantCode(t, err, codes.FailedPrecondition, "REVIEW_QUORUM_NOT_MET", "REVIEW_REPRESENTATIVES")
			_, err = cases.StartPosting(as.village, &identificationv1.StartPostingRequest{Name: k.GetName()})
			wantCode(t, err, codes.FailedPrecondition, "STEP_OUT_OF_ORDER", "STEP_ORDER")
			if v := violations(err); v[0].GetSubject() != k.GetName() || !strings.Contains(v[0].GetDescription(), "expects step village_review") {
				t.Errorf("step order violation %v", v)
			}

			k = posted(t, cases, as.village, k, 7)
			if k.GetState() != identificationv1.CaseState_CASE_STATE_POSTING || k.GetPostings()[0].GetMinDays() != 7 ||
				k.GetPostings()[0].GetCompleteOnOrAfter() != daysAgo(0) || k.GetPostings()[0].GetPolicy().GetHash() == "" {
				t.Errorf("posting %v", k.GetPostings())
			}
			k, err = cases.CompletePosting(as.village, &identificationv1.CompletePostingRequest{Name: k.GetName(), Note: "公示期满无异议"})
			if err != nil {
				t.Fatalf("completing on day 7: %v", err)
			}
			_, err = cases.RecordTownshipReview(as.village, &identificationv1.RecordTownshipReviewRequest{Name: k.GetName(), Approved: true})
			wantCode(t, err, codes.PermissionDenied, "ACCESS_DENIED")
			k, err = cases.RecordTownshipReview(as.township, &identificationv1.RecordTownshipReviewRequest{Name: k.GetName(), Approved: true, Note: "同意"})
			if err != nil {
				t.Fatal(err)
			}
			decide := &identificationv1.DecideCaseRequest{Name: k.GetName(), Outcome: identificationv1.CaseOutcome_CASE_OUTCOME_APPROVED,
				Note: "县扶贫开发领导小组审定", RequestId: "decide-401"}
			_, err = cases.DecideCase(as.township, decide)
			wantCode(t, err, codes.PermissionDenied, "ACCESS_DENIED")
			done, err := cases.DecideCase(as.county, decide)
			if err != nil {
				t.Fatal(err)
			}
			again, err := cases.DecideCase(as.county, decide)
			if err != nil || again.GetEtag() != done.GetEtag() {
				t.Errorf("a retried decision: %v %v", again.GetEtag(), err)
			}
			last := done.GetSteps()[len(done.GetSteps())-1]
			cd := last.GetCountyDecision()
			if done.GetState() != identificationv1.CaseState_CASE_STATE_CLOSED || done.GetDecision().GetOutcome() != identificationv1.CaseOutcome_CASE_OUTCOME_APPROVED ||
				cd.GetRule() != identificationv1.InclusionRule_INCLUSION_RULE_INCOME_BELOW_LINE || cd.GetInputs()["per_capita_income_fen"] != "250000" ||
				len(last.GetPolicyValues()) != 3 || last.GetPolicyValues()[0].GetHash() == "" || len(done.GetSteps()) != 6 {
				t.Errorf("decided case %v", done)
			}
			review := done.GetSteps()[2].GetVillageReview()
			if review.GetRequiredRepresentatives() != 30 || review.GetPopulation() == 0 || !review.GetPassed() || done.GetSteps()[2].GetAttachments()[0] != "doc:minutes" {
				t.Errorf("review %v", review)
			}
			hh, err := h.households.GetHousehold(h.admin(t), &identificationv1.GetHouseholdRequest{Name: name})
			if err != nil || hh.GetRegistryStatus() != identificationv1.RegistryStatus_REGISTRY_STATUS_POOR || hh.GetRegistryStatusDate() != daysAgo(0) {
				t.Errorf("household after approval: %v %v", hh.GetRegistryStatus(), err)
			}
			if _, err := cases.GetCase(as.auditor, &identificationv1.GetCaseRequest{Name: done.GetName()}); err != nil {
				t.Errorf("an auditor reads the case: %v", err)
			}
			_, err = cases.GetCase(as.otherVillage, &identificationv1.GetCaseRequest{Name: done.GetName()})
			wantCode(t, err, codes.PermissionDenied, "OUT_OF_REGION_SCOPE")
			waitAudit(t, h.dbURL, "mutation", "/fupin.identification.v1.CaseService/DecideCase", done.GetName())
		})

		t.Run("a posting completes on day 7, not day 6", func(t *testing.T) {
			name := household(t, 402, identificationv1.RegistryStatus_REGISTRY_STATUS_ORDINARY)
			k := posted(t, cases, as.village, surveyed(t, cases, as.village, name, poorSurvey()), 6)
			_, err := cases.CompletePosting(as.village, &identificationv1.CompletePostingRequest{Name: k.GetName()})
			wantCode(t, err, codes.FailedPrecondition, "POSTING_PERIOD_NOT_OVER", "POSTING_PERIOD")
			if v := violations(err); !strings.Contains(v[0].GetDescription(), "is day 6") {
				t.Errorf("violation %v", v)
			}
		})

		t.Run("an objection sends the case back to the survey", func(t *testing.T) {
			name := household(t, 403, identificationv1.RegistryStatus_REGISTRY_STATUS_ORDINARY)
			k := posted(t, cases, as.village, surveyed(t, cases, as.village, name, poorSurvey()), 5)
			k, err := cases.FileObjection(as.township, &identificationv1.FileObjectionRequest{Name: k.GetName(), Objector: "村民(匿名)",
				Content: "该户有小轿车", OccurredAt: daysAgo(3), BackdateReason: "信访登记补录"})
			if err != nil {
				t.Fatal(err)
			}
			p := k.GetPostings()[0]
			if k.GetNextStep() != "survey" || k.GetRound() != 2 || p.GetState() != identificationv1.CasePostingState_CASE_POSTING_STATE_INTERRUPTED ||
				p.GetObjections()[0].GetContent() != "该户有小轿车" {
				t.Errorf("after the objection: %v", k)
			}
			facts := poorSurvey()
			facts.Exclusions = &identificationv1.ExclusionFacts{Vehicle: true}
			k, err = cases.RecordSurvey(as.village, &identificationv1.RecordSurveyRequest{Name: k.GetName(), Team: []string{"王五", "赵六"},
				Facts: &identificationv1.RecordSurveyRequest_HouseholdSurvey{HouseholdSurvey: facts}, Note: "异议属实"})
			if err != nil {
				t.Fatal(err)
			}
			if k.GetPostings()[0].GetObjections()[0].GetResolvedByStep() != k.GetSteps()[len(k.GetSteps())-1].GetSeq() {
				t.Errorf("objection not settled by the new survey: %v", k.GetPostings())
			}
			withdrawn, err := cases.WithdrawCase(as.village, &identificationv1.WithdrawCaseRequest{Name: k.GetName(), Note: "户主撤回申请"})
			if err != nil || withdrawn.GetDecision().GetOutcome() != identificationv1.CaseOutcome_CASE_OUTCOME_WITHDRAWN {
				t.Errorf("withdraw: %v %v", withdrawn.GetDecision(), err)
			}
		})

		t.Run("a 七不准 exclusion blocks approval until it is justified", func(t *testing.T) {
			name := household(t, 404, identificationv1.RegistryStatus_REGISTRY_STATUS_ORDINARY)
			facts := poorSurvey()
			facts.Exclusions = &identificationv1.ExclusionFacts{PublicPayroll: true}
			k := posted(t, cases, as.village, surveyed(t, cases, as.village, name, facts), 7)
			k, err := cases.CompletePosting(as.village, &identificationv1.CompletePostingRequest{Name: k.GetName()})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := cases.RecordTownshipReview(as.township, &identificationv1.RecordTownshipReviewRequest{Name: k.GetName(), Approved: true}); err != nil {
				t.Fatal(err)
			}
			approve := &identificationv1.DecideCaseRequest{Name: k.GetName(), Outcome: identificationv1.CaseOutcome_CASE_OUTCOME_APPROVED}
			_, err = cases.DecideCase(as.county, approve)
			wantCode(t, err, codes.FailedPrecondition, "EXCLUSION_HIT", "EXCLUSION_PUBLIC_PAYROLL")
			approve.OverrideJustification = "该成员已于上年辞去公益性岗位以外的财政供养职务"
			done, err := cases.DecideCase(as.county, approve)
			if err != nil {
				t.Fatal(err)
			}
			cd := done.GetSteps()[len(done.GetSteps())-1].GetCountyDecision()
			if strings.Join(cd.GetExclusions(), ",") != "public_payroll" || cd.GetOverrideJustification() == "" {
				t.Errorf("explanation %v", cd)
			}
		})

		t.Run("lists filter by kind, state and region, within the caller's scope", func(t *testing.T) {
			list, err := cases.ListCases(as.county, &identificationv1.ListCasesRequest{Filter: `kind = "identification" AND state = CASE_STATE_CLOSED AND region_code:"990001002"`})
			if err != nil {
				t.Fatal(err)
			}
			if len(list.GetCases()) != 3 {
				t.Errorf("%d closed identification cases, want 3", len(list.GetCases()))
			}
			posting, err := cases.ListCases(as.township, &identificationv1.ListCasesRequest{Filter: "state = CASE_STATE_POSTING", PageSize: 1})
			if err != nil || len(posting.GetCases()) != 1 {
				t.Errorf("posting cases %v %v", posting, err)
			}
			other, err := cases.ListCases(as.otherVillage, &identificationv1.ListCasesRequest{})
			if err != nil || len(other.GetCases()) != 0 {
				t.Errorf("another village sees %d cases (%v)", len(other.GetCases()), err)
			}
			byHousehold, err := cases.ListCases(as.auditor, &identificationv1.ListCasesRequest{Filter: `outcome = CASE_OUTCOME_WITHDRAWN`})
			if err != nil || len(byHousehold.GetCases()) != 1 {
				t.Errorf("withdrawn cases %v %v", byHousehold, err)
			}
			_, err = cases.ListCases(as.county, &identificationv1.ListCasesRequest{Filter: "state = OPENISH"})
			wantCode(t, err, codes.InvalidArgument, "INVALID_FIELD")
		})

		t.Run("an exit names each unmet condition, then sets EXITED", func(t *testing.T) {
			name := household(t, 405, identificationv1.RegistryStatus_REGISTRY_STATUS_POOR)
			k, err := cases.CreateCase(as.village, &identificationv1.CreateCaseRequest{Kind: "exit", Household: name,
				OccurredAt: daysAgo(10), BackdateReason: "补录"})
			if err != nil {
				t.Fatal(err)
			}
			income := int64(299499)
			exit := &identificationv1.ExitSurvey{PerCapitaIncomeFen: &income, FoodAndClothing: true, CompulsoryEducation: true,
				BasicMedicalInsurance: true, SafeHousing: false, SafeDrinkingWater: true, ConsentSigned: true}
			survey := &identificationv1.RecordSurveyRequest{Name: k.GetName(), Team: []string{"张三", "李四"},
				Facts: &identificationv1.RecordSurveyRequest_ExitSurvey{ExitSurvey: exit}, OccurredAt: daysAgo(9), BackdateReason: "补录"}
			if _, err := cases.RecordSurvey(as.village, survey); err != nil {
				t.Fatal(err)
			}
			_, err = cases.StartPosting(as.village, &identificationv1.StartPostingRequest{Name: k.GetName(), OccurredAt: daysAgo(8), BackdateReason: "补录"})
			wantCode(t, err, codes.FailedPrecondition, "EXIT_CONDITIONS_UNMET", "EXIT_INCOME", "EXIT_SAFE_HOUSING")
			income, exit.SafeHousing = 320000, true
			if _, err := cases.RecordSurvey(as.village, survey); err != nil {
				t.Fatal(err)
			}
			if _, err := cases.StartPosting(as.village, &identificationv1.StartPostingRequest{Name: k.GetName(), OccurredAt: daysAgo(8), BackdateReason: "补录"}); err != nil {
				t.Fatal(err)
			}
			if _, err := cases.CompletePosting(as.village, &identificationv1.CompletePostingRequest{Name: k.GetName(), OccurredAt: daysAgo(1), BackdateReason: "补录"}); err != nil {
				t.Fatal(err)
			}
			if _, err := cases.RecordTownshipReview(as.township, &identificationv1.RecordTownshipReviewRequest{Name: k.GetName(), Approved: true}); err != nil {
				t.Fatal(err)
			}
			done, err := cases.DecideCase(as.county, &identificationv1.DecideCaseRequest{Name: k.GetName(), Outcome: identificationv1.CaseOutcome_CASE_OUTCOME_APPROVED})
			if err != nil {
				t.Fatal(err)
			}
			hh, err := h.households.GetHousehold(h.admin(t), &identificationv1.GetHouseholdRequest{Name: name})
			if err != nil || hh.GetRegistryStatus() != identificationv1.RegistryStatus_REGISTRY_STATUS_EXITED || hh.GetExitYear() != done.GetYear() {
				t.Errorf("household after exit: %v year %d (case %d) %v", hh.GetRegistryStatus(), hh.GetExitYear(), done.GetYear(), err)
			}
		})
	})
}
