package identification_test

import (
	"strings"
	"testing"
	"time"

	identificationv1 "fupin.dev/proto/gen/fupin/identification/v1"
	"fupin.dev/services/platform/bizdate"
	"fupin.dev/services/platform/sqldb"
	"fupin.dev/services/platform/sqldb/sqldbtest"
	"google.golang.org/grpc/codes"
)

// areaDay is the business date n days before today.
func areaDay(n int) string { return bizdate.Today(time.Now().AddDate(0, 0, -n)) }

// Villages of the helpers, visits, statistics and trail API tests (demo county).
const (
	apiVillage      = "990001002003" // 赵家坪村, township 990001002
	apiOtherVillage = "990001003001" // 七星村, township 990001003
)

func TestVisitsAPI(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		h := start(t, d)
		visits := identificationv1.NewVisitServiceClient(h.conn)
		township := h.as(t, "rural_revitalization", "township_officer", "990001002")
		villageOfficer := h.as(t, "rural_revitalization", "village_officer", apiVillage)

		household := func(village string, seq int) string {
			t.Helper()
			created, err := h.households.CreateHousehold(h.admin(t), newHousehold(village, seq))
			if err != nil {
				t.Fatal(err)
			}
			return created.GetName()
		}
		assign := func(hh string, startedDaysAgo int) *identificationv1.Helper {
			t.Helper()
			helper, err := visits.CreateHelper(h.admin(t), &identificationv1.CreateHelperRequest{Parent: hh, Helper: &identificationv1.Helper{
				FullName: "刘干部", Phone: "13812345678", WorkUnit: "县教育局", Primary: true, StartDate: areaDay(startedDaysAgo),
				BackdateReason: "按结对帮扶花名册补录"}})
			if err != nil {
				t.Fatal(err)
			}
			return helper
		}

		t.Run("assigning a helper: phone masked, plain only with a purpose", func(t *testing.T) {
			hh := household(apiVillage, 1)
			created, err := visits.CreateHelper(township, &identificationv1.CreateHelperRequest{Parent: hh, Helper: &identificationv1.Helper{
				FullName: "刘干部", Phone: "13812345678", WorkUnit: "县教育局", Primary: true, StartDate: areaDay(0)}})
			if err != nil {
				t.Fatal(err)
			}
			if created.GetPhone() != "138****5678" || !created.GetCurrent() || created.GetCreator() != "u-rural_revitalization-township_officer-990001002" {
				t.Errorf("created %v", created)
			}
			plain, err := visits.ListHelpers(h.admin(t, "case_handling"), &identificationv1.ListHelpersRequest{Parent: hh})
			if err != nil || plain.GetHelpers()[0].GetPhone() != "13812345678" {
				t.Errorf("county admin with a purpose: %v %v", plain, err)
			}
			masked, err := visits.ListHelpers(h.as(t, "civil_affairs", "department_staff", ""), &identificationv1.ListHelpersRequest{Parent: hh})
			if err != nil || masked.GetHelpers()[0].GetPhone() != "138****5678" {
				t.Errorf("another department without a purpose: %v %v", masked, err)
			}
			_, err = visits.CreateHelper(township, &identificationv1.CreateHelperRequest{Parent: hh, Helper: &identificationv1.Helper{
				FullName: "王干部", Phone: "13900000000", Primary: true, StartDate: areaDay(0)}})
			areaWant(t, err, codes.FailedPrecondition, "HELPER_PRIMARY_OVERLAP")
			_, err = visits.CreateHelper(township, &identificationv1.CreateHelperRequest{Parent: hh, Helper: &identificationv1.Helper{
				FullName: "王干部", Phone: "12345", StartDate: areaDay(0)}})
			if code, info, br := details(t, err); code != codes.InvalidArgument || info.GetReason() != "PHONE_INVALID" ||
				br.GetFieldViolations()[0].GetField() != "helper.phone" {
				t.Errorf("bad phone: %v %v %v", code, info, br)
			}
			_, err = visits.CreateHelper(villageOfficer, &identificationv1.CreateHelperRequest{Parent: hh, Helper: &identificationv1.Helper{
				FullName: "王干部", Phone: "13900000000", StartDate: areaDay(0)}})
			areaWant(t, err, codes.PermissionDenied, "ACCESS_DENIED")
		})

		t.Run("recording visits: dates, back-dating, region scope", func(t *testing.T) {
			hh := household(apiVillage, 2)
			helper := assign(hh, 10)
			visit := func(date, reason string) *identificationv1.CreateVisitRequest {
				return &identificationv1.CreateVisitRequest{Parent: hh, Visit: &identificationv1.Visit{Helper: helper.GetName(), VisitDate: date,
					Kind: identificationv1.VisitKind_VISIT_KIND_HOME, Notes: "宣讲政策", Findings: "房屋漏雨", BackdateReason: reason}}
			}
			got, err := visits.CreateVisit(villageOfficer, visit(areaDay(0), ""))
			if err != nil {
				t.Fatal(err)
			}
			if got.GetHelperName() != "刘干部" || got.GetRecorder() != "u-rural_revitalization-village_officer-990001002003" || got.GetVisitDate() != areaDay(0) {
				t.Errorf("visit %v", got)
			}
			_, err = visits.CreateVisit(villageOfficer, visit(areaDay(1), ""))
			if code, info, br := details(t, err); code != codes.InvalidArgument || info.GetReason() != "BACKDATE_REASON_REQUIRED" ||
				br.GetFieldViolations()[0].GetField() != "visit.backdate_reason" {
				t.Errorf("back-dated without a reason: %v %v %v", code, info, br)
			}
			if _, err := visits.CreateVisit(villageOfficer, visit(areaDay(1), "手册补录")); err != nil {
				t.Errorf("back-dated with a reason: %v", err)
			}
			_, err = visits.CreateVisit(villageOfficer, visit(areaDay(-1), ""))
			areaWant(t, err, codes.InvalidArgument, "DATE_INVALID")
			_, err = visits.CreateVisit(villageOfficer, visit(areaDay(11), "补录"))
			areaWant(t, err, codes.FailedPrecondition, "HELPER_NOT_ASSIGNED")
			_, err = visits.CreateVisit(h.as(t, "rural_revitalization", "village_officer", "990001002004"), visit(areaDay(0), ""))
			areaWant(t, err, codes.PermissionDenied, "OUT_OF_REGION_SCOPE")
			_, err = visits.CreateVisit(h.as(t, "civil_affairs", "department_staff", ""), visit(areaDay(0), ""))
			areaWant(t, err, codes.PermissionDenied, "ACCESS_DENIED")

			first, err := visits.ListVisits(h.as(t, "county_government", "auditor", ""), &identificationv1.ListVisitsRequest{Parent: hh, PageSize: 1})
			if err != nil || len(first.GetVisits()) != 1 || first.GetVisits()[0].GetVisitDate() != areaDay(0) || first.GetNextPageToken() == "" {
				t.Fatalf("first page %v %v", first, err)
			}
			rest, err := visits.ListVisits(h.admin(t), &identificationv1.ListVisitsRequest{Parent: hh, PageToken: first.GetNextPageToken()})
			if err != nil || len(rest.GetVisits()) != 1 || rest.GetVisits()[0].GetBackdateReason() != "手册补录" {
				t.Errorf("second page %v %v", rest, err)
			}

			_, err = visits.EndHelper(township, &identificationv1.EndHelperRequest{Name: helper.GetName(), EndDate: areaDay(1), Reason: "调离"})
			areaWant(t, err, codes.FailedPrecondition, "HELPER_HAS_LATER_VISITS")
			ended, err := visits.EndHelper(township, &identificationv1.EndHelperRequest{Name: helper.GetName(), EndDate: areaDay(0), Reason: "调离"})
			if err != nil || ended.GetEndDate() != areaDay(0) || ended.GetEnder() != "u-rural_revitalization-township_officer-990001002" || ended.GetEndTime() == nil {
				t.Errorf("ended %v %v", ended, err)
			}
		})

		t.Run("households overdue for a visit, in the caller's region", func(t *testing.T) {
			day30 := household(apiVillage, 3)
			assign(day30, 30)
			day31 := household(apiVillage, 4)
			assign(day31, 31)
			visited := household(apiVillage, 5)
			helper := assign(visited, 60)
			if _, err := visits.CreateVisit(villageOfficer, &identificationv1.CreateVisitRequest{Parent: visited, Visit: &identificationv1.Visit{
				Helper: helper.GetName(), VisitDate: areaDay(30), Kind: identificationv1.VisitKind_VISIT_KIND_PHONE, BackdateReason: "补录"}}); err != nil {
				t.Fatal(err)
			}
			elsewhere := household(apiOtherVillage, 6)
			assign(elsewhere, 90)

			list, err := visits.ListOverdueVisits(township, &identificationv1.ListOverdueVisitsRequest{})
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, o := range list.GetHouseholds() {
				names = append(names, o.GetHousehold())
				if o.GetHousehold() == day31 && (o.GetDaysSince() != 31 || o.GetLastVisitDate() != "" || o.GetHelperName() != "刘干部") {
					t.Errorf("day 31: %v", o)
				}
			}
			if strings.Join(names, ",") != day31 {
				t.Errorf("township officer sees %v, want only %s (day 30 and a visit 30 days ago are in time; the other township is not theirs)", names, day31)
			}
			if len(list.GetPolicies()) != 1 || list.GetPolicies()[0].GetParameter() != "identification.visits.interval_days" ||
				list.GetPolicies()[0].GetHash() == "" || list.GetAsOfDate() != areaDay(0) {
				t.Errorf("policies %v, as of %s", list.GetPolicies(), list.GetAsOfDate())
			}
			county, err := visits.ListOverdueVisits(h.as(t, "county_government", "auditor", ""), &identificationv1.ListOverdueVisitsRequest{})
			if err != nil || len(county.GetHouseholds()) != 2 || county.GetTotalSize() != 2 {
				t.Errorf("county auditor: %v %v", county, err)
			}
			// The dashboard's count: one household on the page, the total of all.
			one, err := visits.ListOverdueVisits(h.as(t, "county_government", "auditor", ""), &identificationv1.ListOverdueVisitsRequest{PageSize: 1})
			if err != nil || len(one.GetHouseholds()) != 1 || one.GetTotalSize() != 2 || one.GetNextPageToken() == "" {
				t.Errorf("a page of one: %v %v", one, err)
			}
			_, err = visits.ListOverdueVisits(township, &identificationv1.ListOverdueVisitsRequest{RegionCode: "990001003"})
			areaWant(t, err, codes.PermissionDenied, "OUT_OF_REGION_SCOPE")
			_, err = visits.ListOverdueVisits(h.as(t, "civil_affairs", "department_staff", ""), &identificationv1.ListOverdueVisitsRequest{})
			areaWant(t, err, codes.PermissionDenied, "ACCESS_DENIED")
		})
	})
}

func TestStatisticsAPI(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		h := start(t, d)
		stats := identificationv1.NewStatisticsServiceClient(h.conn)
		township := h.as(t, "rural_revitalization", "township_officer", "990001002")
		for i := range 3 {
			req := newHousehold(apiVillage, 10+i)
			req.Household.RegistryStatus = identificationv1.RegistryStatus_REGISTRY_STATUS_POOR
			if _, err := h.households.CreateHousehold(h.admin(t), req); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := h.households.CreateHousehold(h.admin(t), newHousehold(apiOtherVillage, 20)); err != nil {
			t.Fatal(err)
		}

		t.Run("any department reads the county's statistics", func(t *testing.T) {
			got, err := stats.GetStatistics(h.as(t, "civil_affairs", "department_staff", ""), &identificationv1.GetStatisticsRequest{
				Name: "regions/990001000000/statistics"})
			if err != nil {
				t.Fatal(err)
			}
			c := got.GetRegions()[0]
			if c.GetRegionCode() != "990001000000" || c.GetHouseholds() != 4 || c.GetPersons() != 8 || c.GetPoorPersons() != 6 ||
				c.GetIncidence().GetPopulation() == 0 || !c.GetIncidence().GetDefined() || got.GetAsOfDate() != areaDay(0) {
				t.Errorf("county %v", c)
			}
		})
		t.Run("a township officer reads their township, not the county", func(t *testing.T) {
			got, err := stats.GetStatistics(township, &identificationv1.GetStatisticsRequest{Name: "regions/990001002000/statistics"})
			if err != nil {
				t.Fatal(err)
			}
			if got.GetRegions()[0].GetRegionCode() != "990001002000" || got.GetRegions()[0].GetPoorHouseholds() != 3 {
				t.Errorf("township %v", got.GetRegions()[0])
			}
			for _, r := range got.GetRegions()[1:] {
				if !strings.HasPrefix(r.GetRegionCode(), "990001002") || r.GetLevel() != identificationv1.RegionLevel_REGION_LEVEL_VILLAGE {
					t.Errorf("region %s in the township's statistics", r.GetRegionCode())
				}
			}
			_, err = stats.GetStatistics(township, &identificationv1.GetStatisticsRequest{Name: "regions/990001000000/statistics"})
			areaWant(t, err, codes.PermissionDenied, "OUT_OF_REGION_SCOPE")
			_, err = stats.GetStatistics(township, &identificationv1.GetStatisticsRequest{Name: "regions/990001000000/statistics", AsOfDate: areaDay(-1)})
			areaWant(t, err, codes.InvalidArgument, "DATE_INVALID")
		})
		t.Run("as of yesterday nothing was registered", func(t *testing.T) {
			got, err := stats.GetStatistics(h.admin(t), &identificationv1.GetStatisticsRequest{Name: "regions/990001000000/statistics",
				AsOfDate: areaDay(1)})
			if err != nil || got.GetRegions()[0].GetHouseholds() != 0 {
				t.Errorf("got %v %v", got.GetRegions()[0], err)
			}
		})
		t.Run("collective income and village exit, explained", func(t *testing.T) {
			year := int32(time.Now().In(bizdate.Location).Year())
			rec, err := stats.RecordCollectiveIncome(township, &identificationv1.RecordCollectiveIncomeRequest{Parent: "regions/" + apiVillage,
				CollectiveIncome: &identificationv1.CollectiveIncome{Year: year, AmountFen: 4_999_999, Note: "光伏收益"}})
			if err != nil || rec.GetRevision() != 1 || rec.GetRecorder() != "u-rural_revitalization-township_officer-990001002" {
				t.Fatalf("recorded %v %v", rec, err)
			}
			a, err := stats.AssessVillageExit(h.as(t, "rural_revitalization", "village_officer", apiVillage),
				&identificationv1.AssessVillageExitRequest{Name: "regions/" + apiVillage})
			if err != nil {
				t.Fatal(err)
			}
			if a.GetEligible() || a.GetConditions()[1].GetPassed() || !strings.Contains(a.GetConditions()[1].GetDescription(), "49999.99 元 is below 50000.00 元") ||
				a.GetMinCollectiveIncomeFen() != 5_000_000 || a.GetMaxIncidenceDen() != 100 || len(a.GetPolicies()) != 2 || a.GetPolicies()[0].GetHash() == "" {
				t.Errorf("assessment %v", a)
			}
			// 6 poor of about 1,650 residents: below 2%.
			if !a.GetConditions()[0].GetPassed() || a.GetIncidence().GetPoorPersons() != 6 {
				t.Errorf("incidence %v", a.GetConditions()[0])
			}
			if _, err := stats.RecordCollectiveIncome(township, &identificationv1.RecordCollectiveIncomeRequest{Parent: "regions/" + apiVillage,
				CollectiveIncome: &identificationv1.CollectiveIncome{Year: year, AmountFen: 5_000_000}}); err != nil {
				t.Fatal(err)
			}
			a, err = stats.AssessVillageExit(h.admin(t), &identificationv1.AssessVillageExitRequest{Name: "regions/" + apiVillage})
			if err != nil || !a.GetEligible() {
				t.Errorf("income exactly at the minimum: %v %v", a, err)
			}
			list, err := stats.ListCollectiveIncomes(h.as(t, "finance", "department_staff", ""), &identificationv1.ListCollectiveIncomesRequest{
				Parent: "regions/990001000000", Year: year})
			if err != nil || len(list.GetCollectiveIncomes()) != 1 || list.GetCollectiveIncomes()[0].GetRevision() != 2 ||
				list.GetCollectiveIncomes()[0].GetName() != "regions/"+apiVillage+"/collectiveIncomes/"+bizdate.Today(time.Now())[:4] {
				t.Errorf("list %v %v", list, err)
			}
			_, err = stats.RecordCollectiveIncome(township, &identificationv1.RecordCollectiveIncomeRequest{Parent: "regions/" + apiOtherVillage,
				CollectiveIncome: &identificationv1.CollectiveIncome{Year: year, AmountFen: 1}})
			areaWant(t, err, codes.PermissionDenied, "OUT_OF_REGION_SCOPE")
			_, err = stats.RecordCollectiveIncome(h.as(t, "civil_affairs", "county_admin", ""), &identificationv1.RecordCollectiveIncomeRequest{
				Parent: "regions/" + apiVillage, CollectiveIncome: &identificationv1.CollectiveIncome{Year: year, AmountFen: 1}})
			areaWant(t, err, codes.PermissionDenied, "ACCESS_DENIED")
			_, err = stats.AssessVillageExit(h.admin(t), &identificationv1.AssessVillageExitRequest{Name: "regions/990001001001"})
			areaWant(t, err, codes.InvalidArgument, "REGION_UNKNOWN")
		})
	})
}

func TestTrailAPI(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		h := start(t, d)
		visits := identificationv1.NewVisitServiceClient(h.conn)
		trails := identificationv1.NewTrailServiceClient(h.conn)
		created, err := h.households.CreateHousehold(h.admin(t), newHousehold(apiVillage, 30))
		if err != nil {
			t.Fatal(err)
		}
		helper, err := visits.CreateHelper(h.admin(t), &identificationv1.CreateHelperRequest{Parent: created.GetName(), Helper: &identificationv1.Helper{
			FullName: "刘干部", Phone: "13812345678", Primary: true, StartDate: areaDay(0)}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := visits.CreateVisit(h.admin(t), &identificationv1.CreateVisitRequest{Parent: created.GetName(), Visit: &identificationv1.Visit{
			Helper: helper.GetName(), VisitDate: areaDay(0), Kind: identificationv1.VisitKind_VISIT_KIND_HOME}}); err != nil {
			t.Fatal(err)
		}
		if _, err := h.households.SetRegistryStatus(h.admin(t), &identificationv1.SetRegistryStatusRequest{Name: created.GetName(),
			RegistryStatus: identificationv1.RegistryStatus_REGISTRY_STATUS_POOR, EffectiveDate: areaDay(0), Reason: "县级审定"}); err != nil {
			t.Fatal(err)
		}
		trail, err := trails.GetHouseholdTrail(h.as(t, "county_government", "auditor", ""), &identificationv1.GetHouseholdTrailRequest{
			Name: created.GetName() + "/trail"})
		if err != nil {
			t.Fatal(err)
		}
		var kinds []string
		for _, e := range trail.GetEvents() {
			kinds = append(kinds, e.GetSource()+"/"+e.GetKind())
			if strings.Contains(e.GetSummary(), "13812345678") {
				t.Errorf("a phone number in the trail: %q", e.GetSummary())
			}
		}
		want := "register/registered visits/helper_assigned visits/visit register/status_changed register/member_joined register/member_joined"
		if strings.Join(kinds, " ") != want {
			t.Errorf("trail %v\nwant %s", kinds, want)
		}
		if e := trail.GetEvents()[0]; e.GetActor() != "u-rural_revitalization-county_admin-county" || e.GetRecordTime() == nil || e.GetDate() != areaDay(0) {
			t.Errorf("first event %v", e)
		}
		_, err = trails.GetHouseholdTrail(h.as(t, "civil_affairs", "department_staff", ""), &identificationv1.GetHouseholdTrailRequest{
			Name: created.GetName() + "/trail"})
		areaWant(t, err, codes.PermissionDenied, "ACCESS_DENIED")
		_, err = trails.GetHouseholdTrail(h.as(t, "rural_revitalization", "village_officer", "990001002004"), &identificationv1.GetHouseholdTrailRequest{
			Name: created.GetName() + "/trail"})
		areaWant(t, err, codes.PermissionDenied, "OUT_OF_REGION_SCOPE")
	})
}

// areaWant checks a refusal's code and ErrorInfo reason.
func areaWant(t *testing.T, err error, code codes.Code, reason string) {
	t.Helper()
	got, info, _ := details(t, err)
	if got != code || info.GetReason() != reason {
		t.Errorf("got %v %s (%v), want %v %s", got, info.GetReason(), err, code, reason)
	}
}
