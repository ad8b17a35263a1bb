package employment_test

import (
	"fmt"
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

const (
	apiVillage      = "990001002003"
	apiWorkshopCode = "91420602MA4KXY123R"
	apiEmployerCode = "91420602MA4KXY4567"
)

// poorHousehold registers a 脱贫 household of n working-age members in the register (village2) and waits
// until the labour ledger, following the register, holds them; it returns their person ids.
func (c *county) poorHousehold(t *testing.T, seq, n int) []string {
	t.Helper()
	relations := []identificationv1.Relation{identificationv1.Relation_RELATION_HEAD, identificationv1.Relation_RELATION_SPOUSE,
		identificationv1.Relation_RELATION_SON, identificationv1.Relation_RELATION_DAUGHTER, identificationv1.Relation_RELATION_SON}
	var members []*identificationv1.Member
	for i := range n {
		members = append(members, &identificationv1.Member{FullName: fmt.Sprintf("王%d", i), IdNumber: IDNumber(bornAged(25+i*5), seq+i),
			RelationToHead: relations[i]})
	}
	h := c.CreateHousehold(t, village2, members...)
	c.setRegistryStatus(t, h, identificationv1.RegistryStatus_REGISTRY_STATUS_EXITED)
	c.waitFollowed(t)
	var ids []string
	for _, m := range h.GetMembers() {
		ids = append(ids, m.GetPersonId())
	}
	return ids
}

// spell records a spell of a person on the ledger through its API, as 人社's staff do between files.
func (c *county) spell(t *testing.T, person string, status employmentv1.WorkStatus, mode employmentv1.EmploymentMode, employer, from, to string) {
	t.Helper()
	if _, err := c.Ledger().CreateEmploymentSpell(c.HR(t), &employmentv1.CreateEmploymentSpellRequest{Parent: "labourers/" + person,
		Spell: &employmentv1.EmploymentSpell{WorkStatus: status, Mode: mode, Employer: employer, MonthlyIncomeFen: 250000,
			FromMonth: from, ToMonth: to}}); err != nil {
		t.Fatal(err)
	}
}

func (c *county) Workshops() employmentv1.WorkshopServiceClient {
	return employmentv1.NewWorkshopServiceClient(c.Conn)
}

func (c *county) Subsidies() employmentv1.EmploymentSubsidyServiceClient {
	return employmentv1.NewEmploymentSubsidyServiceClient(c.Conn)
}

// wantField fails the test unless err is INVALID_ARGUMENT naming field.
func wantField(t *testing.T, err error, field string) {
	t.Helper()
	code, _, br, _ := servicetest.Details(err)
	if code != codes.InvalidArgument || br == nil || len(br.GetFieldViolations()) == 0 || br.GetFieldViolations()[0].GetField() != field {
		t.Fatalf("got %v, want INVALID_ARGUMENT on %s", err, field)
	}
}

// wantRule fails the test unless err is FAILED_PRECONDITION with reason, its first violation of type rule.
func wantRule(t *testing.T, err error, reason, rule string) {
	t.Helper()
	code, info, _, pf := servicetest.Details(err)
	if code != codes.FailedPrecondition || info.GetReason() != reason || pf == nil || len(pf.GetViolations()) == 0 ||
		pf.GetViolations()[0].GetType() != rule {
		t.Fatalf("got %v, want FAILED_PRECONDITION %s %s", err, reason, rule)
	}
}

// A workshop is registered, refused recognition with 4 poor workers and recognised with 5, insures them,
// and earns a reward per worker after 6 insured months, once; other departments may not write.
func TestWorkshopsAPI(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		c := startCounty(t, d)
		hr := c.HR(t)
		ws := c.Workshops()
		month := bizdate.Today(time.Now())[:7]
		start := addMonths(month, -6)

		w := &employmentv1.Workshop{DisplayName: "幸福扶贫车间", CreditCode: apiWorkshopCode, RegionCode: apiVillage,
			Address: "三组", Kind: employmentv1.WorkshopKind_WORKSHOP_KIND_FACTORY, RegisteredOn: start + "-01"}
		_, err := ws.CreateWorkshop(c.As(t, "civil_affairs", "department_staff", ""), &employmentv1.CreateWorkshopRequest{Workshop: w})
		wantCode(t, err, codes.PermissionDenied, "")
		bad := &employmentv1.Workshop{DisplayName: w.DisplayName, CreditCode: apiWorkshopCode[:17] + "Q", RegionCode: apiVillage,
			Address: "三组", Kind: employmentv1.WorkshopKind_WORKSHOP_KIND_FACTORY}
		_, err = ws.CreateWorkshop(hr, &employmentv1.CreateWorkshopRequest{Workshop: bad})
		wantField(t, err, "workshop.credit_code")
		got, err := ws.CreateWorkshop(hr, &employmentv1.CreateWorkshopRequest{Workshop: w, RequestId: "ws-1"})
		if err != nil {
			t.Fatal(err)
		}
		again, err := ws.CreateWorkshop(hr, &employmentv1.CreateWorkshopRequest{Workshop: w, RequestId: "ws-1"})
		if err != nil || again.GetName() != got.GetName() {
			t.Fatalf("retry %v %v", again, err)
		}
		_, err = ws.CreateWorkshop(hr, &employmentv1.CreateWorkshopRequest{Workshop: w})
		wantCode(t, err, codes.AlreadyExists, "WORKSHOP_EXISTS")

		workers := c.poorHousehold(t, 100, 5)
		workshopWork := func(person, employer string) {
			c.spell(t, person, employmentv1.WorkStatus_WORK_STATUS_LOCAL_TOWNSHIP, employmentv1.EmploymentMode_EMPLOYMENT_MODE_WORKSHOP, employer, start, "")
		}
		for _, id := range workers[:4] {
			workshopWork(id, apiWorkshopCode)
		}
		_, err = ws.RecogniseWorkshop(hr, &employmentv1.RecogniseWorkshopRequest{Name: got.GetName()})
		wantRule(t, err, "WORKSHOP_TOO_FEW_POOR_WORKERS", "MIN_POOR_WORKERS")
		workshopWork(workers[4], "幸福扶贫车间")
		_, err = ws.RecogniseWorkshop(c.As(t, "human_resources", "township_officer", "990001002"), &employmentv1.RecogniseWorkshopRequest{Name: got.GetName()})
		wantCode(t, err, codes.PermissionDenied, "")
		rec, err := ws.RecogniseWorkshop(hr, &employmentv1.RecogniseWorkshopRequest{Name: got.GetName()})
		if err != nil {
			t.Fatal(err)
		}
		if rec.GetState() != employmentv1.WorkshopState_WORKSHOP_STATE_RECOGNISED || len(rec.GetRecognition().GetPoorWorkerIds()) != 5 ||
			rec.GetRecognition().GetWorkers() != 5 || rec.GetRecognition().GetPolicyValue().GetHash() == "" {
			t.Fatalf("recognised %v", rec)
		}

		ins := &employmentv1.WorkshopInsurance{PolicyNumber: "PICC-1", Insurer: "人保财险", FromMonth: start, ToMonth: month,
			PremiumFen: 1499, PersonIds: workers}
		_, err = ws.CreateWorkshopInsurance(hr, &employmentv1.CreateWorkshopInsuranceRequest{Parent: got.GetName(), Insurance: ins})
		wantRule(t, err, "INSURANCE_PREMIUM_TOO_LOW", "MIN_INSURANCE_PREMIUM")
		ins.PremiumFen = 1500
		if _, err := ws.CreateWorkshopInsurance(hr, &employmentv1.CreateWorkshopInsuranceRequest{Parent: got.GetName(), Insurance: ins}); err != nil {
			t.Fatal(err)
		}

		// Five insured months by the month before the last: one short.
		_, err = ws.GrantWorkshopRewards(hr, &employmentv1.GrantWorkshopRewardsRequest{Parent: got.GetName(), Month: addMonths(month, -2)})
		wantRule(t, err, "WORKSHOP_NO_REWARD_DUE", "REWARD_DUE")
		list, err := ws.ListWorkshopWorkers(hr, &employmentv1.ListWorkshopWorkersRequest{Parent: got.GetName(), Month: addMonths(month, -1)})
		if err != nil || len(list.GetWorkers()) != 5 || list.GetRewardFen() != 200000 || list.GetRewardAfterMonths() != 6 {
			t.Fatalf("workers %v %v", list, err)
		}
		due := 0
		for _, wk := range list.GetWorkers() {
			if wk.GetDue() {
				due++
			}
		}
		if due != 5 {
			t.Fatalf("%d due, want 5: %v", due, list)
		}
		granted, err := ws.GrantWorkshopRewards(hr, &employmentv1.GrantWorkshopRewardsRequest{Parent: got.GetName(), Month: addMonths(month, -1), RequestId: "rw-1"})
		if err != nil || len(granted.GetRewards()) != 5 || granted.GetRewards()[0].GetAmountFen() != 200000 {
			t.Fatalf("granted %v %v", granted, err)
		}
		_, err = ws.GrantWorkshopRewards(hr, &employmentv1.GrantWorkshopRewardsRequest{Parent: got.GetName(), Month: month})
		wantRule(t, err, "WORKSHOP_NO_REWARD_DUE", "REWARD_DUE")
		rewards, err := ws.ListWorkshopRewards(c.As(t, "finance", "department_staff", ""), &employmentv1.ListWorkshopRewardsRequest{Parent: got.GetName()})
		if err != nil || len(rewards.GetRewards()) != 5 {
			t.Fatalf("finance reads rewards %v %v", rewards, err)
		}
		// The employment roll pays the workshop: one line to the organisation, the five rewards summed.
		rolls := employmentv1.NewEmploymentPaymentRollServiceClient(c.Conn)
		roll, err := rolls.ComputeRoll(hr, &employmentv1.ComputeRollRequest{Program: payrollv1.Program_PROGRAM_WORKSHOP_REWARD, Month: addMonths(month, -1)})
		if err != nil {
			t.Fatal(err)
		}
		lines, err := rolls.ListRollLines(hr, &employmentv1.ListRollLinesRequest{Parent: roll.GetName()})
		if err != nil || len(lines.GetLines()) != 1 || lines.GetLines()[0].GetAmountFen() != 5*200000 ||
			lines.GetLines()[0].GetBeneficiary() != "organisations/"+apiWorkshopCode {
			t.Fatalf("the workshop-reward roll's lines %v %v", lines, err)
		}

		page, err := ws.ListWorkshops(c.As(t, "human_resources", "township_officer", "990001002"), &employmentv1.ListWorkshopsRequest{})
		if err != nil || len(page.GetWorkshops()) != 1 {
			t.Fatalf("township list %v %v", page, err)
		}
		page, err = ws.ListWorkshops(c.As(t, "human_resources", "township_officer", "990001001"), &employmentv1.ListWorkshopsRequest{})
		if err != nil || len(page.GetWorkshops()) != 0 {
			t.Fatalf("other township list %v %v", page, err)
		}
	})
}

// An employment subsidy runs application → township check → 人社 approval; the transport subsidy is paid
// once a year; the rules refuse with the rule's name; other departments may not write.
func TestEmploymentSubsidiesAPI(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		c := startCounty(t, d)
		hr := c.HR(t)
		township := c.As(t, "human_resources", "township_officer", "990001002")
		es := c.Subsidies()
		month := bizdate.Today(time.Now())[:7]
		persons := c.poorHousehold(t, 200, 2)
		p1, p2 := persons[0], persons[1]
		// p1 has worked 省外 since January; p2 县外省内 since this month.
		c.spell(t, p1, employmentv1.WorkStatus_WORK_STATUS_OUT_OF_PROVINCE, employmentv1.EmploymentMode_EMPLOYMENT_MODE_WAGE_WORK, "某电子厂", month[:4]+"-01", "")
		c.spell(t, p2, employmentv1.WorkStatus_WORK_STATUS_IN_PROVINCE, employmentv1.EmploymentMode_EMPLOYMENT_MODE_WAGE_WORK, "某建筑公司", month, "")

		create := &employmentv1.CreateEmploymentSubsidyRequest{Kind: employmentv1.EmploymentSubsidyKind_EMPLOYMENT_SUBSIDY_KIND_TRANSPORT, PersonId: p2}
		_, err := es.CreateEmploymentSubsidy(c.As(t, "civil_affairs", "department_staff", ""), create)
		wantCode(t, err, codes.PermissionDenied, "")
		_, err = es.CreateEmploymentSubsidy(hr, &employmentv1.CreateEmploymentSubsidyRequest{
			Kind: employmentv1.EmploymentSubsidyKind_EMPLOYMENT_SUBSIDY_KIND_TRANSPORT, PersonId: "0190a0b2-0000-7000-8000-000000000999"})
		wantField(t, err, "person_id")

		s2, err := es.CreateEmploymentSubsidy(hr, create)
		if err != nil {
			t.Fatal(err)
		}
		// It waits in the township's inbox for the check.
		items, err := employmentv1.NewEmploymentInboxServiceClient(c.Conn).ListInboxItems(township, &commonv1.ListInboxItemsRequest{})
		if err != nil {
			t.Fatal(err)
		}
		waiting := 0
		for _, it := range items.GetInboxItems() {
			if it.GetResource() == s2.GetName() {
				waiting++
			}
		}
		if waiting != 1 {
			t.Fatalf("the township's inbox %v", items)
		}
		_, err = es.CheckEmploymentSubsidy(township, &employmentv1.CheckEmploymentSubsidyRequest{Name: s2.GetName(), Approved: true})
		wantRule(t, err, "EMPLOYMENT_SUBSIDY_INELIGIBLE", "MONTHS_OUTSIDE_COUNTY")
		_, err = es.CheckEmploymentSubsidy(hr, &employmentv1.CheckEmploymentSubsidyRequest{Name: s2.GetName(), Approved: false, Note: "不足3个月"})
		wantCode(t, err, codes.PermissionDenied, "")
		refused, err := es.CheckEmploymentSubsidy(township, &employmentv1.CheckEmploymentSubsidyRequest{Name: s2.GetName(), Approved: false, Note: "县外务工不足3个月"})
		if err != nil || refused.GetOutcome() != employmentv1.EmploymentSubsidyOutcome_EMPLOYMENT_SUBSIDY_OUTCOME_REFUSED {
			t.Fatalf("refused %v %v", refused, err)
		}

		if month[5:] < "03" {
			t.Skip("the transport subsidy needs three months of the year; the rest runs from March")
		}
		s1, err := es.CreateEmploymentSubsidy(hr, &employmentv1.CreateEmploymentSubsidyRequest{
			Kind: employmentv1.EmploymentSubsidyKind_EMPLOYMENT_SUBSIDY_KIND_TRANSPORT, PersonId: p1, RequestId: "es-1"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := es.CheckEmploymentSubsidy(township, &employmentv1.CheckEmploymentSubsidyRequest{Name: s1.GetName(), Approved: true}); err != nil {
			t.Fatal(err)
		}
		ok, err := es.ReviewEmploymentSubsidy(hr, &employmentv1.ReviewEmploymentSubsidyRequest{Name: s1.GetName(), Approved: true, RequestId: "es-2"})
		if err != nil {
			t.Fatal(err)
		}
		last := ok.GetSteps()[len(ok.GetSteps())-1]
		if ok.GetOutcome() != employmentv1.EmploymentSubsidyOutcome_EMPLOYMENT_SUBSIDY_OUTCOME_APPROVED || ok.GetAmountFen() != 150000 ||
			ok.GetPaidMonth() != month || last.GetEligibility().GetBand() != employmentv1.TransportBand_TRANSPORT_BAND_OUT_OF_PROVINCE ||
			len(last.GetEligibility().GetPolicyValues()) != 2 {
			t.Fatalf("approved %v", ok)
		}
		_, err = es.CreateEmploymentSubsidy(hr, &employmentv1.CreateEmploymentSubsidyRequest{
			Kind: employmentv1.EmploymentSubsidyKind_EMPLOYMENT_SUBSIDY_KIND_TRANSPORT, PersonId: p1})
		wantRule(t, err, "EMPLOYMENT_SUBSIDY_ALREADY_PAID", "ONCE_PER_YEAR")
		rolls := employmentv1.NewEmploymentPaymentRollServiceClient(c.Conn)
		roll, err := rolls.ComputeRoll(hr, &employmentv1.ComputeRollRequest{Program: payrollv1.Program_PROGRAM_TRANSPORT_SUBSIDY, Month: month})
		if err != nil {
			t.Fatal(err)
		}
		if roll.GetTotals().GetLineCount() != 1 {
			t.Fatalf("the transport-subsidy roll %v", roll)
		}

		list, err := es.ListEmploymentSubsidies(c.As(t, "county_government", "auditor", ""),
			&employmentv1.ListEmploymentSubsidiesRequest{Filter: `kind = "transport_subsidy" AND outcome = EMPLOYMENT_SUBSIDY_OUTCOME_APPROVED`})
		if err != nil || len(list.GetEmploymentSubsidies()) != 1 {
			t.Fatalf("list %v %v", list, err)
		}
	})
}

// addMonths moves a YYYY-MM month by n months.
func addMonths(month string, n int) string {
	t, err := time.Parse("2006-01", month)
	if err != nil {
		panic(err)
	}
	return t.AddDate(0, n, 0).Format("2006-01")
}

// A household's move, as the ledger follows the register, carries its members' open employment-subsidy
// applications to the new village: the new township checks them, the old one no longer sees them.
func TestEmploymentSubsidyMovesWithHousehold(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		c := startCounty(t, d)
		households := identificationv1.NewHouseholdServiceClient(c.Register)
		today := bizdate.Today(time.Now())
		h := c.CreateHousehold(t, village1,
			&identificationv1.Member{FullName: "王大山", IdNumber: IDNumber(bornAged(40), 401), RelationToHead: identificationv1.Relation_RELATION_HEAD})
		c.setRegistryStatus(t, h, identificationv1.RegistryStatus_REGISTRY_STATUS_EXITED)
		c.waitFollowed(t)
		person := h.GetMembers()[0].GetPersonId()
		s, err := c.Subsidies().CreateEmploymentSubsidy(c.HR(t), &employmentv1.CreateEmploymentSubsidyRequest{
			Kind: employmentv1.EmploymentSubsidyKind_EMPLOYMENT_SUBSIDY_KIND_TRAINING_ALLOWANCE, PersonId: person,
			Training: &employmentv1.TrainingCourse{Course: "电工", Provider: "县职校", StartDate: today, EndDate: today, DaysAttended: 1}})
		if err != nil {
			t.Fatal(err)
		}
		if s.GetRegionCode() != village1 {
			t.Fatalf("applied in %s", s.GetRegionCode())
		}
		if _, err := households.MoveHousehold(c.RegisterAdmin(t), &identificationv1.MoveHouseholdRequest{Name: h.GetName(),
			RegionCode: village2, Address: "三组", EffectiveDate: today}); err != nil {
			t.Fatal(err)
		}
		c.waitFollowed(t)
		got, err := c.Subsidies().GetEmploymentSubsidy(c.HR(t), &employmentv1.GetEmploymentSubsidyRequest{Name: s.GetName()})
		if err != nil || got.GetRegionCode() != village2 {
			t.Fatalf("after the move: %v %v", got, err)
		}
		_, err = c.Subsidies().GetEmploymentSubsidy(c.As(t, "human_resources", "township_officer", village1[:9]),
			&employmentv1.GetEmploymentSubsidyRequest{Name: s.GetName()})
		wantCode(t, err, codes.PermissionDenied, "OUT_OF_REGION_SCOPE")
		if _, err := c.Subsidies().CheckEmploymentSubsidy(c.As(t, "human_resources", "township_officer", village2[:9]),
			&employmentv1.CheckEmploymentSubsidyRequest{Name: s.GetName(), Approved: true}); err != nil {
			t.Fatalf("the new township checks it: %v", err)
		}
	})
}
