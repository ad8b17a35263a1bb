package identification_test

import (
	"testing"
	"time"

	commonv1 "fupin.dev/proto/gen/fupin/common/v1"
	identificationv1 "fupin.dev/proto/gen/fupin/identification/v1"
	"fupin.dev/services/platform/bizdate"
	"fupin.dev/services/platform/sqldb"
	"fupin.dev/services/platform/sqldb/sqldbtest"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// monDaysAgo is the business date n days before today.
func monDaysAgo(n int) string { return bizdate.Today(time.Now().AddDate(0, 0, -n)) }

func TestIncomeAndMonitoringAPI(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		h := start(t, d)
		income := identificationv1.NewIncomeServiceClient(h.conn)
		mon := identificationv1.NewMonitoringServiceClient(h.conn)
		feed := commonv1.NewChangeFeedServiceClient(h.conn)
		const village = "990001002003"
		household, err := h.households.CreateHousehold(h.admin(t), newHousehold(village, 101))
		if err != nil {
			t.Fatal(err)
		}
		villageOfficer := h.as(t, "rural_revitalization", "village_officer", village)
		thisMonth := today()[:7]

		t.Run("a village officer records items in one batch, assesses, and the feed carries it", func(t *testing.T) {
			resp, err := income.BatchCreateIncomeItems(villageOfficer, &identificationv1.BatchCreateIncomeItemsRequest{
				Parent: household.GetName(), RequestId: "inc-1",
				Items: []*identificationv1.IncomeItem{
					{Type: identificationv1.IncomeItemType_INCOME_ITEM_TYPE_WAGES, Source: identificationv1.IncomeSource_INCOME_SOURCE_SURVEY,
						Period: thisMonth, AmountFen: 500_000, Description: "外出务工"},
					{Type: identificationv1.IncomeItemType_INCOME_ITEM_TYPE_PRODUCTION_COST, Source: identificationv1.IncomeSource_INCOME_SOURCE_SURVEY,
						Period: today(), AmountFen: 100_001},
				}})
			if err != nil {
				t.Fatal(err)
			}
			if len(resp.GetItems()) != 2 || resp.GetItems()[0].GetRecordedBy() != "u-rural_revitalization-village_officer-990001002003" || resp.GetItems()[1].GetHousehold() != household.GetName() {
				t.Errorf("items %v", resp.GetItems())
			}
			a, err := income.AssessIncome(villageOfficer, &identificationv1.AssessIncomeRequest{Household: household.GetName(),
				Window: &identificationv1.AssessIncomeRequest_AsOfDate{AsOfDate: today()}})
			if err != nil {
				t.Fatal(err)
			}
			// 5,000 − 1,000.01 = 3,999.99 元 for 2 people: 1,999.995 → 1,999.99 元 (rounded down).
			if a.GetNetFen() != 399_999 || a.GetMembers() != 2 || a.GetPerCapitaFen() != 199_999 || a.GetItemCount() != 2 ||
				len(a.GetCountedTypes()) != 5 || a.GetPolicyHash() == "" || a.GetMembersDate() != today() {
				t.Errorf("assessment %v", a)
			}
			list, err := feed.ListChanges(h.admin(t), &commonv1.ListChangesRequest{Topics: []string{"income.assessed"}})
			if err != nil {
				t.Fatal(err)
			}
			if len(list.GetChanges()) != 2 || list.GetChanges()[0].GetResource() != household.GetName() {
				t.Fatalf("changes %v", list.GetChanges())
			}
			var payload identificationv1.IncomeAssessed
			if err := list.GetChanges()[1].GetPayload().UnmarshalTo(&payload); err != nil || payload.GetTrigger() != "assessed" ||
				payload.GetAssessment().GetNetFen() != 399_999 {
				t.Errorf("payload %v %v", &payload, err)
			}
			items, err := income.ListIncomeItems(h.as(t, "county_government", "auditor", ""), &identificationv1.ListIncomeItemsRequest{
				Parent: household.GetName(), PageSize: 1})
			if err != nil || len(items.GetItems()) != 1 || items.GetNextPageToken() == "" {
				t.Errorf("list %v %v", items, err)
			}
		})

		t.Run("民政's service sends its own 低保 payments, not survey figures", func(t *testing.T) {
			civil := h.as(t, "civil_affairs", "service", "")
			pay := &identificationv1.IncomeItem{Type: identificationv1.IncomeItemType_INCOME_ITEM_TYPE_TRANSFER,
				Source: identificationv1.IncomeSource_INCOME_SOURCE_DEPARTMENT, Payer: commonv1.Department_DEPARTMENT_CIVIL_AFFAIRS,
				TransferProgram: identificationv1.TransferProgram_TRANSFER_PROGRAM_DIBAO, Period: thisMonth, AmountFen: 60_000,
				ExternalReference: "DB-" + thisMonth + "-0001"}
			req := &identificationv1.BatchCreateIncomeItemsRequest{Parent: household.GetName(), Items: []*identificationv1.IncomeItem{pay}}
			first, err := income.BatchCreateIncomeItems(civil, req)
			if err != nil {
				t.Fatal(err)
			}
			if got := first.GetItems()[0]; got.GetSourceDepartment() != commonv1.Department_DEPARTMENT_CIVIL_AFFAIRS {
				t.Errorf("source department %v", got.GetSourceDepartment())
			}
			again, err := income.BatchCreateIncomeItems(civil, req)
			if err != nil || again.GetItems()[0].GetName() != first.GetItems()[0].GetName() {
				t.Errorf("sent again: %v %v", again, err)
			}
			pay.Source = identificationv1.IncomeSource_INCOME_SOURCE_SURVEY
			_, err = income.BatchCreateIncomeItems(civil, req)
			if code, info, br := details(t, err); code != codes.InvalidArgument || info.GetReason() != "SOURCE_NOT_CALLERS_DEPARTMENT" ||
				br.GetFieldViolations()[0].GetField() != "items[0].source" {
				t.Errorf("survey figure from 民政: %v %v %v", code, info, br)
			}
			if _, err := income.BatchCreateIncomeItems(h.as(t, "county_government", "auditor", ""), req); status.Code(err) != codes.PermissionDenied {
				t.Errorf("auditor recording: %v", err)
			}
		})

		t.Run("医保 hands in a clue by a member's 身份证号; only 乡村振兴局 and the county read clues", func(t *testing.T) {
			yb := h.as(t, "medical_security", "department_staff", "")
			clue, err := mon.CreateClue(yb, &identificationv1.CreateClueRequest{IdNumber: idNumber("19650304", 101*2+1),
				Clue: &identificationv1.Clue{Source: identificationv1.ClueSource_CLUE_SOURCE_DEPARTMENT_SCREENING,
					Kind: identificationv1.ClueKind_CLUE_KIND_RIGID_SPENDING, Facts: "住院自付 6.2 万元", AroseDate: monDaysAgo(20),
					ExternalReference: "YB-0001"}})
			if err != nil {
				t.Fatal(err)
			}
			if clue.GetHousehold() != household.GetName() || clue.GetDepartment() != commonv1.Department_DEPARTMENT_MEDICAL_SECURITY ||
				clue.GetDeadlineDate() != monDaysAgo(5) || !clue.GetOverdue() || clue.GetStage() != identificationv1.MonitoringStage_MONITORING_STAGE_OPEN {
				t.Errorf("clue %v", clue)
			}
			if _, err := mon.GetClue(yb, &identificationv1.GetClueRequest{Name: clue.GetName()}); status.Code(err) != codes.PermissionDenied {
				t.Errorf("医保 reading: %v", err)
			}
			got, err := mon.GetClue(h.as(t, "county_government", "auditor", ""), &identificationv1.GetClueRequest{Name: clue.GetName()})
			if err != nil || got.GetFacts() != "住院自付 6.2 万元" {
				t.Errorf("auditor reading: %v %v", got, err)
			}
			overdue, err := mon.ListOverdueClues(villageOfficer, &identificationv1.ListOverdueCluesRequest{})
			if err != nil || len(overdue.GetClues()) != 1 || overdue.GetClues()[0].GetName() != clue.GetName() || overdue.GetTotalSize() != 1 {
				t.Errorf("overdue %v %v", overdue, err)
			}
			other, err := mon.ListOverdueClues(h.as(t, "rural_revitalization", "township_officer", "990001001"), &identificationv1.ListOverdueCluesRequest{})
			if err != nil || len(other.GetClues()) != 0 || other.GetTotalSize() != 0 {
				t.Errorf("another township's overdue list %v %v", other, err)
			}
			_, err = mon.CreateClue(yb, &identificationv1.CreateClueRequest{IdNumber: idNumber("19650304", 999),
				Clue: &identificationv1.Clue{Source: identificationv1.ClueSource_CLUE_SOURCE_DEPARTMENT_SCREENING,
					Kind: identificationv1.ClueKind_CLUE_KIND_ILLNESS, ExternalReference: "YB-0002"}})
			if code, info, _ := details(t, err); code != codes.NotFound || info.GetReason() != "CLUE_HOUSEHOLD_UNKNOWN" {
				t.Errorf("unknown person: %v %v", code, info)
			}
		})

		t.Run("the screening run opens a clue once", func(t *testing.T) {
			staff := h.as(t, "rural_revitalization", "department_staff", "")
			first, err := mon.RunScreening(staff, &identificationv1.RunScreeningRequest{RequestId: "scr-1"})
			if err != nil {
				t.Fatal(err)
			}
			// 1,999.99 元 per person is inside the range (below 4,492.50 元).
			if first.GetIncomeClues() != 1 || first.GetAsOfDate() != today() || first.GetActor() != "u-rural_revitalization-department_staff-county" {
				t.Errorf("run %v", first)
			}
			again, err := mon.RunScreening(staff, &identificationv1.RunScreeningRequest{})
			if err != nil || again.GetIncomeClues()+again.GetSpendingClues() != 0 {
				t.Errorf("rerun %v %v", again, err)
			}
			list, err := mon.ListClues(h.admin(t), &identificationv1.ListCluesRequest{Filter: "kind = CLUE_KIND_INCOME_IN_RANGE"})
			if err != nil || len(list.GetClues()) != 1 {
				t.Fatalf("clues %v %v", list, err)
			}
			s := list.GetClues()[0].GetScreening()
			if s.GetNetFen() != 459_999 || s.GetMembers() != 2 || s.GetPerCapitaFen() != 229_999 || s.GetThresholdFen() != 449_250 {
				t.Errorf("screening facts %v", s)
			}
			if _, err := mon.RunScreening(villageOfficer, &identificationv1.RunScreeningRequest{}); status.Code(err) != codes.PermissionDenied {
				t.Errorf("village officer running the screening: %v", err)
			}
		})
	})
}

func TestMonitoringDecisionAPI(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		h := start(t, d)
		mon := identificationv1.NewMonitoringServiceClient(h.conn)
		const village = "990001002003"
		req := newHousehold(village, 201)
		req.Household.RegistryStatus = identificationv1.RegistryStatus_REGISTRY_STATUS_EXITED
		household, err := h.households.CreateHousehold(h.admin(t), req)
		if err != nil {
			t.Fatal(err)
		}
		officer := h.as(t, "rural_revitalization", "village_officer", village)
		clue, err := mon.CreateClue(officer, &identificationv1.CreateClueRequest{Clue: &identificationv1.Clue{
			Household: household.GetName(), Source: identificationv1.ClueSource_CLUE_SOURCE_SELF_REPORT,
			Kind: identificationv1.ClueKind_CLUE_KIND_INCOME_DROP, Facts: "务工中断", AroseDate: monDaysAgo(10)}})
		if err != nil {
			t.Fatal(err)
		}
		// The case opens on the day the clue was recorded (today): a verification dated earlier is refused.
		_, err = mon.VerifyClue(officer, &identificationv1.VerifyClueRequest{Name: clue.GetName(), Etag: clue.GetEtag(),
			Verification: &identificationv1.MonitoringVerification{OccurredDate: monDaysAgo(1), BackdateReason: "核实表补录",
				Outcome: true, ProposedType: identificationv1.MonitoringType_MONITORING_TYPE_UNSTABLE, Findings: "人均纯收入 3,800 元"}})
		if code, _, br := details(t, err); code != codes.InvalidArgument || br.GetFieldViolations()[0].GetField() != "verification.occurred_date" {
			t.Errorf("verification before the clue was recorded: %v %v", code, br)
		}
		clue, err = mon.VerifyClue(officer, &identificationv1.VerifyClueRequest{Name: clue.GetName(),
			Verification: &identificationv1.MonitoringVerification{Outcome: true,
				ProposedType: identificationv1.MonitoringType_MONITORING_TYPE_UNSTABLE, Findings: "人均纯收入 3,800 元"}})
		if err != nil {
			t.Fatal(err)
		}
		clue, err = mon.PublicizeClue(officer, &identificationv1.PublicizeClueRequest{Name: clue.GetName(), Note: "村务公开栏"})
		if err != nil {
			t.Fatal(err)
		}
		if clue.GetStage() != identificationv1.MonitoringStage_MONITORING_STAGE_POSTING || clue.GetPostingStartDate() != today() ||
			clue.GetEarliestDecisionDate() != bizdate.Today(time.Now().AddDate(0, 0, 5)) || len(clue.GetSteps()) != 3 ||
			clue.GetSteps()[2].GetPostingDays() != 5 || clue.GetSteps()[2].GetPolicyHash() == "" {
			t.Errorf("posted clue %v", clue)
		}
		decide := &identificationv1.DecideClueRequest{Name: clue.GetName(), Confirm: true}
		if _, err := mon.DecideClue(h.as(t, "rural_revitalization", "township_officer", "990001002"), decide); status.Code(err) != codes.PermissionDenied {
			t.Errorf("township officer deciding: %v", err)
		}
		_, err = mon.DecideClue(h.admin(t), decide)
		if code, info, _ := details(t, err); code != codes.FailedPrecondition || info.GetReason() != "POSTING_PERIOD_NOT_OVER" {
			t.Errorf("decision on day 0 of the posting: %v %v", code, info)
		}
		if _, err := mon.ObjectToClue(officer, &identificationv1.ObjectToClueRequest{Name: clue.GetName(), Note: "有经营收入未计入"}); err != nil {
			t.Fatal(err)
		}
		got, err := mon.GetClue(h.admin(t), &identificationv1.GetClueRequest{Name: clue.GetName()})
		if err != nil || got.GetStage() != identificationv1.MonitoringStage_MONITORING_STAGE_OPEN ||
			got.GetSteps()[len(got.GetSteps())-1].GetKind() != identificationv1.MonitoringStepKind_MONITORING_STEP_KIND_OBJECTION {
			t.Errorf("after the objection %v %v", got, err)
		}
		closed, err := mon.DecideClue(h.admin(t), &identificationv1.DecideClueRequest{Name: clue.GetName(), Note: "核实后收入高于监测标准"})
		if err != nil || closed.GetStage() != identificationv1.MonitoringStage_MONITORING_STAGE_NOT_CONFIRMED ||
			closed.GetDecidedDate() != today() || !closed.GetDecidedOnTime() {
			t.Errorf("closed %v %v", closed, err)
		}
		after, err := h.households.GetHousehold(h.admin(t), &identificationv1.GetHouseholdRequest{Name: household.GetName()})
		if err != nil || after.GetMonitoringType() != identificationv1.MonitoringType_MONITORING_TYPE_UNSPECIFIED {
			t.Errorf("household %v %v", after, err)
		}
		if _, err := mon.CreateRiskRemoval(officer, &identificationv1.CreateRiskRemovalRequest{Parent: household.GetName(),
			Verification: &identificationv1.MonitoringVerification{Outcome: true, Findings: "收入稳定"}}); status.Code(err) != codes.FailedPrecondition {
			t.Errorf("risk removal of a household not monitored: %v", err)
		}
	})
}
