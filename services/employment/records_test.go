package employment_test

import (
	"slices"
	"testing"
	"time"

	employmentv1 "fupin.dev/proto/gen/fupin/employment/v1"
	identificationv1 "fupin.dev/proto/gen/fupin/identification/v1"
	"fupin.dev/services/platform/audit"
	"fupin.dev/services/platform/bizdate"
	"fupin.dev/services/platform/servicetest"
	"fupin.dev/services/platform/sqldb"
	"fupin.dev/services/platform/sqldb/sqldbtest"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
)

// poorLabourer registers a poor household in village with one member of working age and waits for the
// ledger to hold them; it returns the household and the member.
func (c *county) poorLabourer(t *testing.T, village string, seq int) (*identificationv1.Household, *identificationv1.Member) {
	t.Helper()
	h := c.CreateHousehold(t, village, &identificationv1.Member{FullName: "赵劳力", IdNumber: IDNumber(bornAged(35), seq),
		RelationToHead: identificationv1.Relation_RELATION_HEAD})
	c.setRegistryStatus(t, h, identificationv1.RegistryStatus_REGISTRY_STATUS_EXITED)
	c.waitFollowed(t)
	h, err := identificationv1.NewHouseholdServiceClient(c.Register).GetHousehold(c.As(t, "human_resources", "service", ""),
		&identificationv1.GetHouseholdRequest{Name: h.GetName()})
	if err != nil {
		t.Fatal(err)
	}
	return h, h.GetMembers()[0]
}

// 人社 records spells and unemployment periods; others cannot; the facts serve the wages by blind index to
// a service that states its purpose, audited as another department's read naming the person.
func TestRecordSpellsAndServeFacts(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		c := startCounty(t, d)
		_, m := c.poorLabourer(t, village1, 11)
		parent := "labourers/" + m.GetPersonId()
		month := bizdate.Today(time.Now())[:7]
		ledger := c.Ledger()

		job := &employmentv1.EmploymentSpell{WorkStatus: employmentv1.WorkStatus_WORK_STATUS_OUT_OF_PROVINCE,
			Mode: employmentv1.EmploymentMode_EMPLOYMENT_MODE_WAGE_WORK, Employer: "广东某电子厂", Place: "44",
			MonthlyIncomeFen: 420000, FromMonth: "2025-03", ToMonth: "2025-08"}
		sp, err := ledger.CreateEmploymentSpell(c.HR(t), &employmentv1.CreateEmploymentSpellRequest{Parent: parent, Spell: job, RequestId: "s1"})
		if err != nil {
			t.Fatal(err)
		}
		if sp.GetSource() != employmentv1.SpellSource_SPELL_SOURCE_STAFF || sp.GetName() == "" {
			t.Fatalf("spell: %v", sp)
		}
		// A retry with the same request id returns the first spell; the same job again overlaps.
		again, err := ledger.CreateEmploymentSpell(c.HR(t), &employmentv1.CreateEmploymentSpellRequest{Parent: parent, Spell: job, RequestId: "s1"})
		if err != nil || again.GetName() != sp.GetName() {
			t.Fatalf("retry: %v %v", again, err)
		}
		_, err = ledger.CreateEmploymentSpell(c.HR(t), &employmentv1.CreateEmploymentSpellRequest{Parent: parent, Spell: job, RequestId: "s2"})
		wantCode(t, err, codes.FailedPrecondition, "SPELL_OVERLAPS")
		bad := &employmentv1.EmploymentSpell{WorkStatus: employmentv1.WorkStatus_WORK_STATUS_UNEMPLOYED,
			Mode: employmentv1.EmploymentMode_EMPLOYMENT_MODE_FLEXIBLE, FromMonth: "2025-09"}
		_, err = ledger.CreateEmploymentSpell(c.HR(t), &employmentv1.CreateEmploymentSpellRequest{Parent: parent, Spell: bad})
		wantCode(t, err, codes.InvalidArgument, "SPELL_INVALID")
		// Other departments do not write 人社's ledger; a township officer outside the village's township
		// does not find the person.
		_, err = ledger.CreateEmploymentSpell(c.As(t, "civil_affairs", "department_staff", ""), &employmentv1.CreateEmploymentSpellRequest{Parent: parent, Spell: job})
		wantCode(t, err, codes.PermissionDenied, "ACCESS_DENIED")
		_, err = ledger.CreateEmploymentSpell(c.As(t, "human_resources", "township_officer", village2[:9]),
			&employmentv1.CreateEmploymentSpellRequest{Parent: parent, Spell: job})
		wantCode(t, err, codes.NotFound, "LABOURER_NOT_FOUND")
		// A 公益岗 beside the job, and 失业保险金 after it.
		post := &employmentv1.EmploymentSpell{WorkStatus: employmentv1.WorkStatus_WORK_STATUS_LOCAL_TOWNSHIP,
			Mode: employmentv1.EmploymentMode_EMPLOYMENT_MODE_WELFARE_POST, MonthlyIncomeFen: 80000, FromMonth: "2025-08", ToMonth: "2025-08"}
		if _, err := ledger.CreateEmploymentSpell(c.As(t, "human_resources", "township_officer", village1[:9]),
			&employmentv1.CreateEmploymentSpellRequest{Parent: parent, Spell: post}); err != nil {
			t.Fatal(err)
		}
		if _, err := ledger.CreateUnemploymentPeriod(c.HR(t), &employmentv1.CreateUnemploymentPeriodRequest{Parent: parent,
			Period: &employmentv1.UnemploymentPeriod{Kind: employmentv1.UnemploymentKind_UNEMPLOYMENT_KIND_BENEFIT,
				FromMonth: "2025-09", ToMonth: "2025-10", MonthlyAmountFen: 150000}}); err != nil {
			t.Fatal(err)
		}
		l, err := ledger.UpdateLabourer(c.HR(t), &employmentv1.UpdateLabourerRequest{Labourer: &employmentv1.Labourer{Name: parent,
			WantsTraining: true, InsuredEmployee: true}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"wants_training", "insured_employee"}}})
		if err != nil {
			t.Fatal(err)
		}
		if !l.GetWantsTraining() || !l.GetInsuredEmployee() || len(l.GetSpells()) != 2 || len(l.GetUnemploymentPeriods()) != 1 {
			t.Fatalf("labourer: %v", l)
		}
		// No spell covers this month: the latest-starting one (the 公益岗) gives the status.
		if month > "2025-08" && l.GetWorkStatus() != employmentv1.WorkStatus_WORK_STATUS_LOCAL_TOWNSHIP {
			t.Errorf("work status after the spells: %v", l.GetWorkStatus())
		}

		// The facts: wages by month for the window, by blind index, to 民政's service for 低保核对.
		facts, err := c.Facts().BatchGetEmploymentFacts(c.As(t, "civil_affairs", "service", "", "dibao_income_check"),
			&employmentv1.BatchGetEmploymentFactsRequest{IdIndexes: []string{m.GetIdIndex(), "0123456789abcdef0123456789abcdef"},
				FromMonth: "2025-07", ToMonth: "2025-10"})
		if err != nil {
			t.Fatal(err)
		}
		if len(facts.GetPersons()) != 1 || facts.GetAsOf() == nil {
			t.Fatalf("facts: %v", facts)
		}
		p := facts.GetPersons()[0]
		var wages []string
		for _, w := range p.GetWages() {
			wages = append(wages, w.GetMonth()+":"+itoa(w.GetWageFen())+"/"+itoa(w.GetUnemploymentBenefitFen()))
		}
		if want := []string{"2025-07:420000/0", "2025-08:500000/0", "2025-09:0/150000", "2025-10:0/150000"}; !slices.Equal(wages, want) ||
			p.GetMonthsWorked() != 2 || p.GetPersonId() != m.GetPersonId() || !p.GetInsuredEmployee() || len(p.GetSpells()) != 2 {
			t.Fatalf("facts of the person: %v (wages %v)", p, wages)
		}
		servicetest.WaitAudit(t, c.DatabaseURL, func(r audit.Record) bool {
			return r.Method == employmentv1.EmploymentFactsService_BatchGetEmploymentFacts_FullMethodName && r.Department == "civil_affairs" &&
				r.Purpose == "dibao_income_check" && slices.Contains(r.PersonIDs, m.GetPersonId())
		})
		// Without the purpose: refused and audited as denied.
		_, err = c.Facts().BatchGetEmploymentFacts(c.As(t, "rural_revitalization", "service", ""),
			&employmentv1.BatchGetEmploymentFactsRequest{IdIndexes: []string{m.GetIdIndex()}, FromMonth: "2025-07", ToMonth: "2025-10"})
		wantCode(t, err, codes.PermissionDenied, "PURPOSE_REQUIRED")
		servicetest.WaitAudit(t, c.DatabaseURL, func(r audit.Record) bool {
			return r.Kind == audit.KindDenied && r.Method == employmentv1.EmploymentFactsService_BatchGetEmploymentFacts_FullMethodName
		})

		// A spell recorded in error is deleted; not found a second time.
		if _, err := ledger.DeleteEmploymentSpell(c.HR(t), &employmentv1.DeleteEmploymentSpellRequest{Name: sp.GetName()}); err != nil {
			t.Fatal(err)
		}
		_, err = ledger.DeleteEmploymentSpell(c.HR(t), &employmentv1.DeleteEmploymentSpellRequest{Name: sp.GetName()})
		wantCode(t, err, codes.NotFound, "SPELL_NOT_FOUND")
	})
}

func itoa(n int64) string { return fmtInt(n) }
