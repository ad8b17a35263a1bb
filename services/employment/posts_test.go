package employment_test

import (
	"context"
	"sync"
	"testing"
	"time"

	commonv1 "fupin.dev/proto/gen/fupin/common/v1"
	employmentv1 "fupin.dev/proto/gen/fupin/employment/v1"
	identificationv1 "fupin.dev/proto/gen/fupin/identification/v1"
	payrollv1 "fupin.dev/proto/gen/fupin/payroll/v1"
	"fupin.dev/services/platform/bizdate"
	"fupin.dev/services/platform/servicetest"
	"fupin.dev/services/platform/sqldb"
	"fupin.dev/services/platform/sqldb/sqldbtest"
	"google.golang.org/grpc/codes"
)

// 公益岗 over real gRPC in a started county (identification, subsidies, employment) on a moved clock: a
// post assigned after its public notice; a second post refused; a person working 省外 that month refused;
// a month of attendance to the wage roll, approved and handed off; a death in the register stopping pay,
// with the month paid after it taken back on the next roll; other departments refused.

// postsClock is every service's clock, moved by the test.
type postsClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *postsClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// On moves the clock to 10:00 of a business date.
func (c *postsClock) On(date string) {
	d, _ := bizdate.Parse(date)
	c.mu.Lock()
	c.t = d.Add(10 * time.Hour)
	c.mu.Unlock()
}

func (c *postsClock) Today() string { return bizdate.Today(c.Now()) }

func TestWelfarePostsThroughTheAPI(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		clock := &postsClock{}
		clock.On("2026-01-05")
		c := startCounty(t, d, countyOptions{Now: clock.Now})
		households := identificationv1.NewHouseholdServiceClient(c.Register)
		posts := employmentv1.NewWelfarePostServiceClient(c.Conn)
		rolls := employmentv1.NewEmploymentPaymentRollServiceClient(c.Conn)
		hr := c.HR(t)
		hrAdmin := c.As(t, "human_resources", "county_admin", "")
		villageOfficer := c.As(t, "human_resources", "village_officer", village1)
		township := c.As(t, "human_resources", "township_officer", village1[:9])

		member := func(name, birth string, seq int, rel identificationv1.Relation, ability identificationv1.LabourAbility) *identificationv1.Member {
			return &identificationv1.Member{FullName: name, IdNumber: IDNumber(birth, seq), RelationToHead: rel, LabourAbility: ability}
		}
		poor := func(h *identificationv1.Household) {
			t.Helper()
			if _, err := households.SetRegistryStatus(c.RegisterAdmin(t), &identificationv1.SetRegistryStatusRequest{Name: h.GetName(),
				RegistryStatus: identificationv1.RegistryStatus_REGISTRY_STATUS_EXITED, EffectiveDate: clock.Today(), Reason: "县定"}); err != nil {
				t.Fatal(err)
			}
		}
		ha := c.CreateHousehold(t, village1,
			member("张大山", "19650101", 61, identificationv1.Relation_RELATION_HEAD, identificationv1.LabourAbility_LABOUR_ABILITY_ORDINARY),
			member("李秀英", "19610201", 62, identificationv1.Relation_RELATION_SPOUSE, identificationv1.LabourAbility_LABOUR_ABILITY_PARTIAL))
		hb := c.CreateHousehold(t, village1,
			member("赵四海", "19700301", 63, identificationv1.Relation_RELATION_HEAD, identificationv1.LabourAbility_LABOUR_ABILITY_PARTIAL))
		poor(ha)
		poor(hb)
		c.waitFollowed(t)
		person := func(h *identificationv1.Household, name string) string {
			h, err := households.GetHousehold(c.RegisterAdmin(t), &identificationv1.GetHouseholdRequest{Name: h.GetName()})
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range h.GetMembers() {
				if m.GetFullName() == name {
					return m.GetPersonId()
				}
			}
			t.Fatalf("no member %s", name)
			return ""
		}
		li, zhao := person(ha, "李秀英"), person(hb, "赵四海")

		newPost := func(title string) string {
			t.Helper()
			p, err := posts.CreateWelfarePost(hr, &employmentv1.CreateWelfarePostRequest{WelfarePost: &employmentv1.WelfarePost{
				RegionCode: village1, Kind: employmentv1.WelfarePostKind_WELFARE_POST_KIND_RURAL, Title: title,
				Funding: employmentv1.WelfarePostFunding_WELFARE_POST_FUNDING_LINKAGE, FundingNote: "衔接资金"}})
			if err != nil {
				t.Fatal(err)
			}
			if p.GetMonthlyFen() != 30000 || p.GetMinDays() != 3 || p.GetTermMonths() != 12 {
				t.Fatalf("post %v: want policy's 300 元, 3 days, 12 months", p)
			}
			return p.GetName()
		}
		post1, post2 := newPost("村道保洁员"), newPost("护林员")

		t.Run("other departments may not write", func(t *testing.T) {
			_, err := posts.CreateWelfarePost(c.As(t, "civil_affairs", "department_staff", ""), &employmentv1.CreateWelfarePostRequest{
				WelfarePost: &employmentv1.WelfarePost{RegionCode: village1, Kind: employmentv1.WelfarePostKind_WELFARE_POST_KIND_RURAL,
					Title: "x", Funding: employmentv1.WelfarePostFunding_WELFARE_POST_FUNDING_LINKAGE}})
			wantCode(t, err, codes.PermissionDenied, "")
			_, err = rolls.ComputeRoll(c.As(t, "civil_affairs", "department_staff", ""), &employmentv1.ComputeRollRequest{
				Program: payrollv1.Program_PROGRAM_WELFARE_POST_WAGE, Month: "2026-01"})
			wantCode(t, err, codes.PermissionDenied, "")
		})

		// 李秀英 (aged 64 in February) is nominated by the village, reviewed by the township, posted 5 days
		// and appointed by 人社.
		a, err := posts.CreateWelfarePostAssignment(villageOfficer, &employmentv1.CreateWelfarePostAssignmentRequest{
			WelfarePostAssignment: &employmentv1.WelfarePostAssignment{Post: post1, PersonId: li, StartDate: "2026-02-01"}})
		if err != nil {
			t.Fatal(err)
		}
		if a.GetEndDate() != "2027-01-31" || a.GetNextStep() != "review" {
			t.Fatalf("nominated %v", a)
		}
		name := a.GetName()
		// 办理: the township's inbox holds the nomination waiting for its review (beside the 就业援助 case the
		// household's 零就业 listing opened, which waits for the township too); the village's holds neither.
		inbox := employmentv1.NewEmploymentInboxServiceClient(c.Conn)
		items, err := inbox.ListInboxItems(township, &commonv1.ListInboxItemsRequest{})
		if err != nil {
			t.Fatal(err)
		}
		var assignments []*commonv1.InboxItem
		for _, it := range items.GetInboxItems() {
			if it.GetKind() == "welfare_post_assignment" {
				assignments = append(assignments, it)
			}
		}
		if len(assignments) != 1 || assignments[0].GetResource() != name || assignments[0].GetNextStep() != "review" {
			t.Fatalf("the township's inbox %v", items)
		}
		if items, err := inbox.ListInboxItems(villageOfficer, &commonv1.ListInboxItemsRequest{}); err != nil || items.GetTotalSize() != 0 {
			t.Fatalf("the village's inbox %v %v", items, err)
		}
		if a, err = posts.ReviewWelfarePostAssignment(township, &employmentv1.ReviewWelfarePostAssignmentRequest{Name: name, Approved: true}); err != nil {
			t.Fatal(err)
		}
		if st := a.GetSteps()[1]; !st.GetApproved() || len(st.GetUnmet()) != 0 || st.GetCheckMonth() != "2026-02" || len(st.GetPolicyHashes()) != 2 {
			t.Fatalf("review step %v", st)
		}
		if _, err := posts.StartWelfarePostAssignmentPosting(villageOfficer, &employmentv1.StartWelfarePostAssignmentPostingRequest{Name: name}); err != nil {
			t.Fatal(err)
		}
		notices, err := commonv1.NewPublicNoticeServiceClient(c.Conn).ListNotices(t.Context(), &commonv1.ListNoticesRequest{RegionCode: village1})
		if err != nil || len(notices.GetNotices()) != 1 || notices.GetNotices()[0].GetSubjectName() != "李*英" {
			t.Fatalf("public notices %v %v", notices, err)
		}
		clock.On("2026-01-09") // day 4
		_, err = posts.CompleteWelfarePostAssignmentPosting(villageOfficer, &employmentv1.CompleteWelfarePostAssignmentPostingRequest{Name: name})
		wantCode(t, err, codes.FailedPrecondition, "POSTING_PERIOD_NOT_OVER")
		clock.On("2026-01-10") // day 5
		if _, err := posts.CompleteWelfarePostAssignmentPosting(villageOfficer, &employmentv1.CompleteWelfarePostAssignmentPostingRequest{Name: name}); err != nil {
			t.Fatal(err)
		}
		_, err = posts.AppointWelfarePostAssignment(township, &employmentv1.AppointWelfarePostAssignmentRequest{Name: name, Approved: true})
		wantCode(t, err, codes.PermissionDenied, "")
		if a, err = posts.AppointWelfarePostAssignment(hr, &employmentv1.AppointWelfarePostAssignmentRequest{Name: name, Approved: true}); err != nil {
			t.Fatal(err)
		}
		if a.GetState() != employmentv1.WelfarePostAssignmentState_WELFARE_POST_ASSIGNMENT_STATE_ACTIVE {
			t.Fatalf("appointed %v", a)
		}

		t.Run("a second post is refused", func(t *testing.T) {
			_, err := posts.CreateWelfarePostAssignment(villageOfficer, &employmentv1.CreateWelfarePostAssignmentRequest{
				WelfarePostAssignment: &employmentv1.WelfarePostAssignment{Post: post2, PersonId: li, StartDate: "2026-03-01"}})
			wantCode(t, err, codes.FailedPrecondition, "PERSON_HOLDS_POST")
		})
		t.Run("a person working 省外 in the month is refused", func(t *testing.T) {
			if _, err := c.Ledger().CreateEmploymentSpell(hr, &employmentv1.CreateEmploymentSpellRequest{Parent: "labourers/" + zhao,
				Spell: &employmentv1.EmploymentSpell{WorkStatus: employmentv1.WorkStatus_WORK_STATUS_OUT_OF_PROVINCE,
					Mode: employmentv1.EmploymentMode_EMPLOYMENT_MODE_WAGE_WORK, Employer: "东莞某厂", Place: "44",
					MonthlyIncomeFen: 400000, FromMonth: "2026-02", ToMonth: "2026-02"}}); err != nil {
				t.Fatal(err)
			}
			b, err := posts.CreateWelfarePostAssignment(villageOfficer, &employmentv1.CreateWelfarePostAssignmentRequest{
				WelfarePostAssignment: &employmentv1.WelfarePostAssignment{Post: post2, PersonId: zhao, StartDate: "2026-02-01"}})
			if err != nil {
				t.Fatal(err)
			}
			_, err = posts.ReviewWelfarePostAssignment(township, &employmentv1.ReviewWelfarePostAssignmentRequest{Name: b.GetName(), Approved: true})
			wantCode(t, err, codes.FailedPrecondition, "POST_HOLDER_INELIGIBLE")
			_, _, _, pf := servicetest.Details(err)
			if len(pf.GetViolations()) != 1 || pf.GetViolations()[0].GetType() != "NOT_WORKING_AWAY" {
				t.Fatalf("violations %v", pf.GetViolations())
			}
		})

		// February: 3 days attended (the minimum): 300 元, once insured; paid on February's roll in March.
		clock.On("2026-02-27")
		if _, err := posts.RecordWelfarePostAttendance(villageOfficer, &employmentv1.RecordWelfarePostAttendanceRequest{Parent: name,
			Month: "2026-02", Days: 3, Grade: employmentv1.WelfarePostGrade_WELFARE_POST_GRADE_QUALIFIED}); err != nil {
			t.Fatal(err)
		}
		clock.On("2026-03-03")
		_, err = posts.ApproveWelfarePostAttendance(hr, &employmentv1.ApproveWelfarePostAttendanceRequest{Name: name + "/attendance/2026-02"})
		wantCode(t, err, codes.FailedPrecondition, "ACCIDENT_INSURANCE_MISSING")
		if _, err := posts.RecordWelfarePostInsurance(township, &employmentv1.RecordWelfarePostInsuranceRequest{Name: name,
			Insurance: &employmentv1.WelfarePostInsurance{Insurer: "人保财险", PolicyNumber: "PA-2026-0001", FromDate: "2026-02-01", ToDate: "2027-01-31"}}); err != nil {
			t.Fatal(err)
		}
		at, err := posts.ApproveWelfarePostAttendance(hr, &employmentv1.ApproveWelfarePostAttendanceRequest{Name: name + "/attendance/2026-02"})
		if err != nil || at.GetPayFen() != 30000 || at.GetState() != employmentv1.WelfarePostAttendanceState_WELFARE_POST_ATTENDANCE_STATE_APPROVED {
			t.Fatalf("approved %v %v", at, err)
		}
		roll := computeApproveHandOff(t, rolls, hr, hrAdmin, "2026-02")
		if roll.GetTotals().GetRegularCount() != 1 || roll.GetTotals().GetRegularFen() != 30000 {
			t.Fatalf("February's roll %v", roll.GetTotals())
		}
		// March: 2 days (one short): 200 元, paid on March's roll in April.
		clock.On("2026-03-31")
		if _, err := posts.RecordWelfarePostAttendance(villageOfficer, &employmentv1.RecordWelfarePostAttendanceRequest{Parent: name,
			Month: "2026-03", Days: 2, Grade: employmentv1.WelfarePostGrade_WELFARE_POST_GRADE_QUALIFIED}); err != nil {
			t.Fatal(err)
		}
		clock.On("2026-04-02")
		sheet, err := posts.ListWelfarePostAttendance(villageOfficer, &employmentv1.ListWelfarePostAttendanceRequest{Month: "2026-03", RegionCode: village1})
		if err != nil || len(sheet.GetAttendance()) != 1 {
			t.Fatalf("the village's March sheet %v %v", sheet, err)
		}
		// The village's March sheet approved as one.
		_, err = posts.ApproveWelfarePostAttendanceSheet(township, &employmentv1.ApproveWelfarePostAttendanceSheetRequest{Month: "2026-03", RegionCode: village1})
		wantCode(t, err, codes.PermissionDenied, "")
		approved, err := posts.ApproveWelfarePostAttendanceSheet(hr, &employmentv1.ApproveWelfarePostAttendanceSheetRequest{Month: "2026-03", RegionCode: village1})
		if err != nil || len(approved.GetAttendance()) != 1 || approved.GetAttendance()[0].GetPayFen() != 20000 {
			t.Fatalf("March's sheet %v %v", approved, err)
		}
		computeApproveHandOff(t, rolls, hr, hrAdmin, "2026-03")

		// The register records her death on 2026-02-20 (reported late): the post ends then, pay stops from
		// March, and April's roll takes March's 200 元 back.
		if _, err := households.RecordDeath(c.RegisterAdmin(t), &identificationv1.RecordDeathRequest{
			Name: ha.GetName() + "/members/" + li, DateOfDeath: "2026-02-20"}); err != nil {
			t.Fatal(err)
		}
		c.waitFollowed(t)
		a, err = posts.GetWelfarePostAssignment(hr, &employmentv1.GetWelfarePostAssignmentRequest{Name: name})
		if err != nil || a.GetState() != employmentv1.WelfarePostAssignmentState_WELFARE_POST_ASSIGNMENT_STATE_ENDED ||
			a.GetEndReason() != employmentv1.WelfarePostEndReason_WELFARE_POST_END_REASON_DIED || a.GetEndedOn() != "2026-02-20" {
			t.Fatalf("after the death %v %v", a, err)
		}
		clock.On("2026-05-02")
		roll, err = rolls.ComputeRoll(hr, &employmentv1.ComputeRollRequest{Program: payrollv1.Program_PROGRAM_WELFARE_POST_WAGE, Month: "2026-04"})
		if err != nil {
			t.Fatal(err)
		}
		lines, err := rolls.ListRollLines(hr, &employmentv1.ListRollLinesRequest{Parent: roll.GetName()})
		if err != nil || len(lines.GetLines()) != 1 || lines.GetLines()[0].GetKind() != payrollv1.RollLineKind_ROLL_LINE_KIND_RECOVERY ||
			lines.GetLines()[0].GetAmountFen() != -20000 || lines.GetLines()[0].GetPeriodMonth() != "2026-03" {
			t.Fatalf("April's lines %v %v", lines, err)
		}
	})
}

// computeApproveHandOff computes a month's wage roll, approves it (a county admin) and hands it to 财政.
func computeApproveHandOff(t *testing.T, rolls employmentv1.EmploymentPaymentRollServiceClient, staff, admin context.Context, month string) *payrollv1.Roll {
	t.Helper()
	r, err := rolls.ComputeRoll(staff, &employmentv1.ComputeRollRequest{Program: payrollv1.Program_PROGRAM_WELFARE_POST_WAGE, Month: month})
	if err != nil {
		t.Fatalf("compute %s: %v", month, err)
	}
	if r, err = rolls.ApproveRoll(admin, &employmentv1.ApproveRollRequest{Name: r.GetName(), Etag: r.GetEtag()}); err != nil {
		t.Fatalf("approve %s: %v", month, err)
	}
	if r, err = rolls.HandOffRoll(admin, &employmentv1.HandOffRollRequest{Name: r.GetName()}); err != nil {
		t.Fatalf("hand off %s: %v", month, err)
	}
	if r.GetState() != payrollv1.RollState_ROLL_STATE_HANDED_OFF {
		t.Fatalf("roll %v", r)
	}
	return r
}
