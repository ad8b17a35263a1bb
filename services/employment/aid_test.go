package employment_test

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	commonv1 "fupin.dev/proto/gen/fupin/common/v1"
	employmentv1 "fupin.dev/proto/gen/fupin/employment/v1"
	identificationv1 "fupin.dev/proto/gen/fupin/identification/v1"
	"fupin.dev/services/platform/bizdate"
	"fupin.dev/services/platform/sqldb"
	"fupin.dev/services/platform/sqldb/sqldbtest"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// seedLedger writes labour ledger records and spells straight into the employment service's database, as
// the core area's follower and import keep them (migration 00001).
type seedLedger struct {
	t  *testing.T
	db *sqldb.DB
}

func openLedger(t *testing.T, c *county) *seedLedger {
	db, err := sqldb.Open(t.Context(), c.DatabaseURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return &seedLedger{t: t, db: db}
}

func (l *seedLedger) exec(q string, args ...any) {
	l.t.Helper()
	if err := l.db.InTx(context.Background(), func(ctx context.Context) error {
		_, err := l.db.Exec(ctx, q, args...)
		return err
	}); err != nil {
		l.t.Fatal(err)
	}
}

func (l *seedLedger) labourer(id, household, region, birth string) {
	l.exec(`INSERT INTO labourers (id, id_index, household_id, region_code, birth_month, registry_status, monitoring_status,
		labour_ability, state, created_us, updated_us) VALUES ($1, $2, $3, $4, $5, 3, 0, 1, 1, 1, 1)`,
		id, "idx-"+id, household, region, birth)
}

func (l *seedLedger) spell(id, person string, status int, from, to string) {
	l.exec(`INSERT INTO employment_spells (id, person_id, work_status, mode, employer, place, monthly_income_fen, from_month,
		to_month, source, created_us) VALUES ($1, $2, $3, 1, '', '', 300000, $4, $5, 1, 1)`, id, person, status, from, to)
}

// A 零就业 household is found, aided with an offer and closed with a member employed; its list and overdue
// list follow, other departments may not write, and a township officer sees only their township.
func TestZeroEmploymentAid(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		var clock atomic.Pointer[time.Time]
		start := time.Date(2026, 11, 2, 2, 0, 0, 0, time.UTC) // 10:00 in Asia/Shanghai
		clock.Store(&start)
		c := startCounty(t, d, countyOptions{Now: func() time.Time { return *clock.Load() }})
		ledger := openLedger(t, c)
		const village, other = village2, village1
		// h-zero: two adults, one with 3 months of seasonal work this year; h-work: one working now.
		ledger.labourer("p-a", "h-zero", village, "1982-04")
		ledger.labourer("p-b", "h-zero", village, "1985-09")
		ledger.spell("s-b", "p-b", 3, "2026-03", "2026-05")
		ledger.labourer("p-w", "h-work", other, "1990-01")
		ledger.spell("s-w", "p-w", 4, "2026-01", "")

		aid := employmentv1.NewEmploymentAidServiceClient(c.Conn)
		hr := c.HR(t)
		civil := c.As(t, "civil_affairs", "department_staff", "")

		_, err := aid.EvaluateZeroEmployment(civil, &employmentv1.EvaluateZeroEmploymentRequest{})
		wantCode(t, err, codes.PermissionDenied, "")
		ev, err := aid.EvaluateZeroEmployment(hr, &employmentv1.EvaluateZeroEmploymentRequest{})
		if err != nil {
			t.Fatal(err)
		}
		if ev.GetEvaluated() < 2 {
			t.Fatalf("evaluated %d households", ev.GetEvaluated())
		}
		list, err := aid.ListZeroEmploymentHouseholds(hr, &employmentv1.ListZeroEmploymentHouseholdsRequest{})
		if err != nil {
			t.Fatal(err)
		}
		if list.GetTotalSize() != 1 || len(list.GetZeroEmploymentHouseholds()) != 1 {
			t.Fatalf("list %v", list)
		}
		z := list.GetZeroEmploymentHouseholds()[0]
		if z.GetHousehold() != "households/h-zero" || z.GetRegionCode() != village || z.GetListedOn() != "2026-11-02" ||
			!z.GetAidCaseOpen() || z.GetAidCaseDueOn() != "2026-12-02" || len(z.GetAbleMembers()) != 2 {
			t.Fatalf("listed %v", z)
		}
		// A township officer of another township sees none; of this one, the household.
		for region, want := range map[string]int32{"990001001": 0, "990001002": 1} {
			l, err := aid.ListZeroEmploymentHouseholds(c.As(t, "human_resources", "township_officer", region),
				&employmentv1.ListZeroEmploymentHouseholdsRequest{})
			if err != nil || l.GetTotalSize() != want {
				t.Errorf("township %s lists %v, %v; want %d", region, l, err, want)
			}
		}

		name := z.GetAidCase()
		// The case waits in 人社's 办理 inbox for its closing, for those who may close it.
		inbox := employmentv1.NewEmploymentInboxServiceClient(c.Conn)
		items, err := inbox.ListInboxItems(c.As(t, "human_resources", "township_officer", village[:9]), &commonv1.ListInboxItemsRequest{})
		if err != nil || items.GetTotalSize() != 1 || items.GetInboxItems()[0].GetResource() != name ||
			items.GetInboxItems()[0].GetOperation() != "EmploymentAidService_CloseAidCase" {
			t.Fatalf("inbox %v %v", items, err)
		}
		if items, err := inbox.ListInboxItems(c.As(t, "human_resources", "village_officer", village), &commonv1.ListInboxItemsRequest{}); err != nil ||
			items.GetTotalSize() != 0 {
			t.Fatalf("a village officer may not close a case, so it is not in their inbox: %v %v", items, err)
		}
		_, err = inbox.ListInboxItems(civil, &commonv1.ListInboxItemsRequest{})
		wantCode(t, err, codes.PermissionDenied, "")
		offer := &employmentv1.RecordAidOfferRequest{Name: name, Offer: &employmentv1.AidOffer{Kind: employmentv1.AidOfferKind_AID_OFFER_KIND_POST,
			Member: "labourers/p-a", Description: "村道保洁公益岗, 每月 600 元"}}
		_, err = aid.RecordAidOffer(civil, offer)
		wantCode(t, err, codes.PermissionDenied, "")
		k, err := aid.RecordAidOffer(hr, offer)
		if err != nil {
			t.Fatal(err)
		}
		if len(k.GetOffers()) != 1 || k.GetOffers()[0].GetResponse() != employmentv1.AidOfferResponse_AID_OFFER_RESPONSE_PENDING ||
			len(k.GetSteps()) != 1 || k.GetSteps()[0].GetStep() != "identified" {
			t.Fatalf("case after the offer %v", k)
		}
		_, err = aid.RecordAidOffer(hr, &employmentv1.RecordAidOfferRequest{Name: name, Offer: &employmentv1.AidOffer{
			Kind: employmentv1.AidOfferKind_AID_OFFER_KIND_JOB, Member: "labourers/p-w", Description: "x"}})
		wantCode(t, err, codes.FailedPrecondition, "AID_NOT_A_MEMBER")
		_, err = aid.RecordAidOffer(hr, &employmentv1.RecordAidOfferRequest{Name: name, Offer: &employmentv1.AidOffer{Member: "labourers/p-a"}})
		wantCode(t, err, codes.InvalidArgument, "AID_INVALID_FIELD")

		// Day 30 is in time, day 31 overdue.
		overdue := func(date string) int32 {
			t.Helper()
			l, err := aid.ListAidCases(hr, &employmentv1.ListAidCasesRequest{OverdueOn: date})
			if err != nil {
				t.Fatal(err)
			}
			return l.GetTotalSize()
		}
		if overdue("2026-12-02") != 0 || overdue("2026-12-03") != 1 {
			t.Fatalf("overdue on day 30: %d, day 31: %d", overdue("2026-12-02"), overdue("2026-12-03"))
		}
		day31 := time.Date(2026, 12, 3, 2, 0, 0, 0, time.UTC)
		clock.Store(&day31)
		if k, err = aid.GetAidCase(hr, &employmentv1.GetAidCaseRequest{Name: name}); err != nil || !k.GetOverdue() {
			t.Fatalf("case on day 31: %v %v", k, err)
		}

		closing := &employmentv1.CloseAidCaseRequest{Name: name, Outcome: employmentv1.AidOutcome_AID_OUTCOME_EMPLOYED,
			EmployedMember: "labourers/p-a"}
		_, err = aid.CloseAidCase(civil, closing)
		wantCode(t, err, codes.PermissionDenied, "")
		_, err = aid.CloseAidCase(hr, closing)
		wantCode(t, err, codes.FailedPrecondition, "AID_MEMBER_NOT_EMPLOYED")
		// p-a takes the post: the ledger records the spell (公益岗, in the township).
		ledger.spell("s-a", "p-a", 1, "2026-12", "")
		k, err = aid.CloseAidCase(hr, closing)
		if err != nil {
			t.Fatal(err)
		}
		if k.GetOpen() || k.GetOutcome() != employmentv1.AidOutcome_AID_OUTCOME_EMPLOYED || k.GetEmployedMember() != "labourers/p-a" ||
			k.GetClosedOn() != "2026-12-03" || len(k.GetSteps()) != 2 || k.GetOverdue() {
			t.Fatalf("closed case %v", k)
		}
		list, err = aid.ListZeroEmploymentHouseholds(hr, &employmentv1.ListZeroEmploymentHouseholdsRequest{})
		if err != nil || list.GetTotalSize() != 0 {
			t.Fatalf("list after the household found work: %v %v", list, err)
		}
		_, err = aid.CloseAidCase(hr, closing)
		wantCode(t, err, codes.FailedPrecondition, "AID_CASE_CLOSED")
		if overdue("2026-12-03") != 0 {
			t.Fatalf("a closed case is still overdue")
		}
	})
}

// From the register: a poor household whose one member of working age has no work is listed, with its aid
// case, as soon as the ledger follows the change — no evaluation asked for; a move carries the open case to
// the new village; the death of that member (the other is 15) closes it with the reason.
func TestZeroEmploymentFollowsRegister(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		c := startCounty(t, d)
		households := identificationv1.NewHouseholdServiceClient(c.Register)
		aid := employmentv1.NewEmploymentAidServiceClient(c.Conn)
		hr := c.HR(t)
		today := bizdate.Today(time.Now())
		m := func(name, birth string, seq int, rel identificationv1.Relation) *identificationv1.Member {
			return &identificationv1.Member{FullName: name, IdNumber: IDNumber(birth, seq), RelationToHead: rel,
				LabourAbility: identificationv1.LabourAbility_LABOUR_ABILITY_ORDINARY}
		}
		h := c.CreateHousehold(t, village1,
			m("赵大河", bornAged(45), 11, identificationv1.Relation_RELATION_HEAD),
			m("赵小河", bornAged(15), 12, identificationv1.Relation_RELATION_SON))
		listed := func() []*employmentv1.ZeroEmploymentHousehold {
			t.Helper()
			c.waitFollowed(t)
			l, err := aid.ListZeroEmploymentHouseholds(hr, &employmentv1.ListZeroEmploymentHouseholdsRequest{})
			if err != nil {
				t.Fatal(err)
			}
			return l.GetZeroEmploymentHouseholds()
		}
		if got := listed(); len(got) != 0 {
			t.Fatalf("an ordinary household is listed: %v", got)
		}
		c.setRegistryStatus(t, h, identificationv1.RegistryStatus_REGISTRY_STATUS_POOR)
		got := listed()
		if len(got) != 1 || got[0].GetHousehold() != h.GetName() || got[0].GetRegionCode() != village1 || !got[0].GetAidCaseOpen() ||
			got[0].GetListedOn() != today || len(got[0].GetAbleMembers()) != 1 {
			t.Fatalf("listed %v", got)
		}
		name := got[0].GetAidCase()

		if _, err := households.MoveHousehold(c.RegisterAdmin(t), &identificationv1.MoveHouseholdRequest{Name: h.GetName(),
			RegionCode: village2, Address: "三组", EffectiveDate: today}); err != nil {
			t.Fatal(err)
		}
		if got := listed(); len(got) != 1 || got[0].GetRegionCode() != village2 {
			t.Fatalf("after the move %v", got)
		}
		k, err := aid.GetAidCase(c.As(t, "human_resources", "village_officer", village2), &employmentv1.GetAidCaseRequest{Name: name})
		if err != nil || k.GetRegionCode() != village2 || !k.GetOpen() {
			t.Fatalf("the new village's case %v %v", k, err)
		}
		_, err = aid.GetAidCase(c.As(t, "human_resources", "village_officer", village1), &employmentv1.GetAidCaseRequest{Name: name})
		wantCode(t, err, codes.NotFound, "")

		head := ""
		for _, mm := range h.GetMembers() {
			if mm.GetFullName() == "赵大河" {
				head = mm.GetPersonId()
			}
		}
		other := ""
		for _, mm := range h.GetMembers() {
			if mm.GetPersonId() != head {
				other = mm.GetPersonId()
			}
		}
		// The head finds work: the spell recorded in the ledger takes the household off the list and closes
		// the case as employed, in the same transaction; deleted as an error, the household is back with a
		// new case.
		spell, err := c.Ledger().CreateEmploymentSpell(hr, &employmentv1.CreateEmploymentSpellRequest{Parent: "labourers/" + head,
			Spell: &employmentv1.EmploymentSpell{WorkStatus: employmentv1.WorkStatus_WORK_STATUS_IN_COUNTY,
				Mode: employmentv1.EmploymentMode_EMPLOYMENT_MODE_WAGE_WORK, Employer: "县城建材厂", MonthlyIncomeFen: 300000,
				FromMonth: today[:7]}})
		if err != nil {
			t.Fatal(err)
		}
		if got := listed(); len(got) != 0 {
			t.Fatalf("listed with a member working: %v", got)
		}
		k, err = aid.GetAidCase(hr, &employmentv1.GetAidCaseRequest{Name: name})
		if err != nil || k.GetOpen() || k.GetOutcome() != employmentv1.AidOutcome_AID_OUTCOME_EMPLOYED || k.GetEmployedMember() != "labourers/"+head {
			t.Fatalf("the case after the spell %v %v", k, err)
		}
		if _, err := c.Ledger().DeleteEmploymentSpell(hr, &employmentv1.DeleteEmploymentSpellRequest{Name: spell.GetName()}); err != nil {
			t.Fatal(err)
		}
		got = listed()
		if len(got) != 1 || got[0].GetAidCase() == name || !got[0].GetAidCaseOpen() {
			t.Fatalf("after the spell was deleted: %v", got)
		}
		name = got[0].GetAidCase()

		if _, err := households.RecordDeath(c.RegisterAdmin(t), &identificationv1.RecordDeathRequest{
			Name: h.GetName() + "/members/" + head, DateOfDeath: today, NewHead: h.GetName() + "/members/" + other}); err != nil {
			t.Fatal(err)
		}
		if got := listed(); len(got) != 0 {
			t.Fatalf("after the death %v", got)
		}
		k, err = aid.GetAidCase(hr, &employmentv1.GetAidCaseRequest{Name: name})
		if err != nil || k.GetOpen() || k.GetOutcome() != employmentv1.AidOutcome_AID_OUTCOME_REASON ||
			k.GetReason() != employmentv1.AidCloseReason_AID_CLOSE_REASON_NO_WORKING_AGE || k.GetRegionCode() != village2 {
			t.Fatalf("the case after the death %v %v", k, err)
		}
	})
}

// wantZeroEmployment waits until the household is on the 零就业 list with an open aid case.
func (c *county) wantZeroEmployment(t *testing.T, household string) {
	t.Helper()
	aid := employmentv1.NewEmploymentAidServiceClient(c.Conn)
	deadline := time.Now().Add(30 * time.Second)
	for {
		l, err := aid.ListZeroEmploymentHouseholds(c.HR(t), &employmentv1.ListZeroEmploymentHouseholdsRequest{})
		if err != nil {
			t.Fatal(err)
		}
		for _, z := range l.GetZeroEmploymentHouseholds() {
			if z.GetHousehold() == household && z.GetAidCaseOpen() {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s is not on the 零就业 list: %v", household, l)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// waitServing waits until the client reaches the (re)started employment service: until etcd's resolver has
// the new address, a call fails fast as UNAVAILABLE.
func (c *county) waitServing(t *testing.T) {
	t.Helper()
	aid := employmentv1.NewEmploymentAidServiceClient(c.Conn)
	deadline := time.Now().Add(30 * time.Second)
	for {
		_, err := aid.ListAidCases(c.HR(t), &employmentv1.ListAidCasesRequest{PageSize: 1})
		if status.Code(err) != codes.Unavailable {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the employment service does not answer: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// The quarterly file: a spell it brings for this month takes a 零就业 household off the list (the import asks
// for a pass of the county once it has committed).
func TestZeroEmploymentAfterImport(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		c := startCounty(t, d)
		h, _ := c.poorLabourer(t, village1, 31)
		c.wantZeroEmployment(t, h.GetName())
		month := bizdate.Today(time.Now())[:7]
		file := []byte(labourHeader + "赵劳力," + IDNumber(bornAged(35), 31) + ",04,务工,广东某电子厂,44,4200,2025-01," + ",是,否,,,是,否\n")
		file = []byte(strings.Replace(string(file), "2025-01", month, 1))
		if resp, err := c.importFile(t, "q.csv", file, false); err != nil || resp.GetSummary().GetApplied() != 1 {
			t.Fatalf("import %v %v", resp, err)
		}
		aid := employmentv1.NewEmploymentAidServiceClient(c.Conn)
		deadline := time.Now().Add(30 * time.Second)
		for {
			l, err := aid.ListZeroEmploymentHouseholds(c.HR(t), &employmentv1.ListZeroEmploymentHouseholdsRequest{})
			if err != nil {
				t.Fatal(err)
			}
			if l.GetTotalSize() == 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("still listed after the import: %v", l)
			}
			time.Sleep(50 * time.Millisecond)
		}
		cases, err := aid.ListAidCases(c.HR(t), &employmentv1.ListAidCasesRequest{})
		if err != nil || cases.GetTotalSize() != 1 || cases.GetAidCases()[0].GetOutcome() != employmentv1.AidOutcome_AID_OUTCOME_EMPLOYED {
			t.Fatalf("the case after the import %v %v", cases, err)
		}
	})
}
