package employment_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	commonv1 "fupin.dev/proto/gen/fupin/common/v1"
	employmentv1 "fupin.dev/proto/gen/fupin/employment/v1"
	identificationv1 "fupin.dev/proto/gen/fupin/identification/v1"
	"fupin.dev/services/employment/internal/domain"
	"fupin.dev/services/platform/bizdate"
	"fupin.dev/services/platform/outbox"
	"fupin.dev/services/platform/pii"
	"fupin.dev/services/platform/sqldb"
	"fupin.dev/services/platform/sqldb/sqldbtest"
)

// The labour ledger follows identification's register: a record per member of the 脱贫 and 监测
// households (ACTIVE inside the working age, OUTSIDE_WORKING_AGE otherwise), ended on a death, a move
// out or the household leaving the covered groups, carried along when the household moves village;
// across a restart of the employment service and a bulk load of the register, nothing is missed and
// nothing doubled.

// Villages of the demo county (deploy/regions/demo-county.json).
const (
	village1 = "990001001001"
	village2 = "990001002003"
)

// registeredSince is the registration date (登记日期) of the tests' households.
const registeredSince = "2020-01-01"

// IDNumber makes a valid 身份证号 of the demo county for a birth date (YYYYMMDD) and a sequence (0–999).
func IDNumber(birth string, seq int) string {
	first17 := fmt.Sprintf("990001%s%03d", birth, seq%1000)
	return first17 + string(pii.IDCheckChar(first17))
}

// bornAged returns the YYYYMMDD birth date of a person who is age (completed years) in this month and
// reaches age+1 next month: born on the 1st of next month, age+1 years ago.
func bornAged(age int) string {
	return time.Now().In(bizdate.Location).AddDate(-(age+1), 1, 0).Format("200601") + "01"
}

// bornTurning returns the birth date of a person who turns age this month.
func bornTurning(age int) string {
	return time.Now().In(bizdate.Location).AddDate(-age, 0, 0).Format("200601") + "01"
}

func (c *county) RegisterAdmin(t *testing.T) context.Context {
	return c.As(t, "rural_revitalization", "county_admin", "")
}

// CreateHousehold registers a household in identification and returns it.
func (c *county) CreateHousehold(t *testing.T, village string, members ...*identificationv1.Member) *identificationv1.Household {
	t.Helper()
	h, err := identificationv1.NewHouseholdServiceClient(c.Register).CreateHousehold(c.RegisterAdmin(t),
		&identificationv1.CreateHouseholdRequest{Household: &identificationv1.Household{
			RegionCode: village, Address: "一组", Members: members,
			RegistrationDate: registeredSince, RegistrationBackdateReason: "纸质台账迁入"}})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func (c *county) setRegistryStatus(t *testing.T, h *identificationv1.Household, status identificationv1.RegistryStatus) {
	t.Helper()
	if _, err := identificationv1.NewHouseholdServiceClient(c.Register).SetRegistryStatus(c.RegisterAdmin(t),
		&identificationv1.SetRegistryStatusRequest{Name: h.GetName(), RegistryStatus: status,
			EffectiveDate: bizdate.Today(time.Now()), Reason: "县定"}); err != nil {
		t.Fatal(err)
	}
}

// waitFollowed waits until employment's cursor has reached the register's last change.
func (c *county) waitFollowed(t *testing.T) {
	t.Helper()
	db, err := sqldb.Open(t.Context(), c.DatabaseURL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var last int64
	for {
		resp, err := commonv1.NewChangeFeedServiceClient(c.Register).ListChanges(c.As(t, "human_resources", "service", ""),
			&commonv1.ListChangesRequest{PageSize: 5000, AfterSequence: last})
		if err != nil {
			t.Fatal(err)
		}
		if resp.GetLastSequence() == last {
			break
		}
		last = resp.GetLastSequence()
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		cur, err := outbox.Cursor(t.Context(), db, "identification/households")
		if err == nil && cur >= last {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("employment's cursor %d (%v), the register's last change %d", cur, err, last)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// ledger reads the whole ledger through ListLabourers as 人社's county staff, by person id.
func (c *county) ledger(t *testing.T) map[string]*employmentv1.Labourer {
	t.Helper()
	out := map[string]*employmentv1.Labourer{}
	token := ""
	for {
		resp, err := c.Ledger().ListLabourers(c.HR(t), &employmentv1.ListLabourersRequest{PageSize: 1000, PageToken: token})
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range resp.GetLabourers() {
			if out[l.GetPersonId()] != nil {
				t.Fatalf("%s listed twice", l.GetPersonId())
			}
			out[l.GetPersonId()] = l
		}
		if token = resp.GetNextPageToken(); token == "" {
			return out
		}
	}
}

func TestLedgerFollowsRegister(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		c := startCounty(t, d)
		households := identificationv1.NewHouseholdServiceClient(c.Register)
		today := bizdate.Today(time.Now())
		m := func(name, birth string, seq int, rel identificationv1.Relation) *identificationv1.Member {
			return &identificationv1.Member{FullName: name, IdNumber: IDNumber(birth, seq), RelationToHead: rel}
		}
		h := c.CreateHousehold(t, village1,
			m("王大山", bornAged(40), 1, identificationv1.Relation_RELATION_HEAD),
			m("王小一", bornAged(15), 2, identificationv1.Relation_RELATION_SON),
			m("王小二", bornTurning(16), 3, identificationv1.Relation_RELATION_SON),
			m("王老六", bornAged(60), 4, identificationv1.Relation_RELATION_PARENT),
			m("王老七", bornTurning(61), 5, identificationv1.Relation_RELATION_PARENT))
		c.waitFollowed(t)
		if got := c.ledger(t); len(got) != 0 {
			t.Fatalf("an ordinary household's members are in the ledger: %v", got)
		}

		// Poor: every member has a record; 16 and 60 are of working age, 15 and 61 are not.
		c.setRegistryStatus(t, h, identificationv1.RegistryStatus_REGISTRY_STATUS_POOR)
		c.waitFollowed(t)
		h, err := households.GetHousehold(c.RegisterAdmin(t), &identificationv1.GetHouseholdRequest{Name: h.GetName()})
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]employmentv1.LabourerState{
			"王大山": employmentv1.LabourerState_LABOURER_STATE_ACTIVE,
			"王小一": employmentv1.LabourerState_LABOURER_STATE_OUTSIDE_WORKING_AGE,
			"王小二": employmentv1.LabourerState_LABOURER_STATE_ACTIVE,
			"王老六": employmentv1.LabourerState_LABOURER_STATE_ACTIVE,
			"王老七": employmentv1.LabourerState_LABOURER_STATE_OUTSIDE_WORKING_AGE,
		}
		byName := map[string]string{}
		for _, mm := range h.GetMembers() {
			byName[mm.GetFullName()] = mm.GetPersonId()
		}
		ledger := c.ledger(t)
		for name, state := range want {
			l := ledger[byName[name]]
			if l.GetState() != state || l.GetRegionCode() != village1 || l.GetHousehold() != h.GetName() ||
				l.GetRegistryStatus() != identificationv1.RegistryStatus_REGISTRY_STATUS_POOR {
				t.Errorf("%s: %v, want %v in %s", name, l, state, village1)
			}
		}

		// The head dies; the household moves village.
		if _, err := households.RecordDeath(c.RegisterAdmin(t), &identificationv1.RecordDeathRequest{
			Name: h.GetName() + "/members/" + byName["王大山"], DateOfDeath: today, NewHead: h.GetName() + "/members/" + byName["王老六"]}); err != nil {
			t.Fatal(err)
		}
		if _, err := households.MoveHousehold(c.RegisterAdmin(t), &identificationv1.MoveHouseholdRequest{Name: h.GetName(),
			RegionCode: village2, Address: "三组", EffectiveDate: today}); err != nil {
			t.Fatal(err)
		}
		c.waitFollowed(t)
		ledger = c.ledger(t)
		if l := ledger[byName["王大山"]]; l.GetState() != employmentv1.LabourerState_LABOURER_STATE_ENDED ||
			l.GetEndReason() != employmentv1.LabourerEndReason_LABOURER_END_REASON_DEATH || l.GetEndDate() != today {
			t.Errorf("the dead head: %v", l)
		}
		if l := ledger[byName["王小二"]]; l.GetRegionCode() != village2 || l.GetState() != employmentv1.LabourerState_LABOURER_STATE_ACTIVE {
			t.Errorf("moved: %v", l)
		}
		got, err := c.Ledger().ListLabourers(c.HR(t), &employmentv1.ListLabourersRequest{
			Filter: fmt.Sprintf(`state = ACTIVE AND region_code:"%s"`, village2[:9])})
		if err != nil || len(got.GetLabourers()) != 2 {
			t.Fatalf("active in the new township: %v %v", got, err)
		}

		// Restarted, the service goes on from its cursor: the household exits poverty then is archived.
		c.RestartEmployment(t)
		c.setRegistryStatus(t, h, identificationv1.RegistryStatus_REGISTRY_STATUS_EXITED)
		c.waitFollowed(t)
		if l := c.ledger(t)[byName["王老六"]]; l.GetRegistryStatus() != identificationv1.RegistryStatus_REGISTRY_STATUS_EXITED ||
			l.GetState() != employmentv1.LabourerState_LABOURER_STATE_ACTIVE {
			t.Errorf("exited (脱贫) households stay in the ledger: %v", l)
		}
		if _, err := households.ArchiveHousehold(c.RegisterAdmin(t), &identificationv1.ArchiveHouseholdRequest{Name: h.GetName(), Reason: "合户"}); err != nil {
			t.Fatal(err)
		}
		c.waitFollowed(t)
		ledger = c.ledger(t)
		if len(ledger) != 5 {
			t.Fatalf("records: %d, want 5", len(ledger))
		}
		for name, id := range byName {
			l := ledger[id]
			reason := employmentv1.LabourerEndReason_LABOURER_END_REASON_HOUSEHOLD_NOT_COVERED
			if name == "王大山" {
				reason = employmentv1.LabourerEndReason_LABOURER_END_REASON_DEATH
			}
			if l.GetState() != employmentv1.LabourerState_LABOURER_STATE_ENDED || l.GetEndReason() != reason {
				t.Errorf("%s after the archive: %v", name, l)
			}
		}
	})
}

// bulkRows is a ledger of n households in two villages, every registry status, one to four members
// each, born between 1955 and 2015.
func bulkRows(n int) []*identificationv1.LedgerRow {
	header := "户编号,行政区划代码,家庭住址,姓名,身份证号,与户主关系,民族,文化程度,健康状况,劳动技能,户类型,脱贫年度,登记日期"
	rows := []*identificationv1.LedgerRow{{Row: 1, Cells: strings.Split(header, ",")}}
	statuses := []struct{ label, year string }{{"一般户", ""}, {"贫困户", ""}, {"已脱贫", "2018"}, {"返贫", ""}}
	seq := 0
	for i := range n {
		village := village1
		if i%2 == 1 {
			village = village2
		}
		st := statuses[i%len(statuses)]
		for m := range 1 + i%4 {
			seq++
			cells := []string{fmt.Sprintf("L-%03d", i), village, fmt.Sprintf("%d号", i), fmt.Sprintf("成员%d", seq), "",
				[]string{"户主", "配偶", "子", "女"}[m], "汉族", "初中", "健康", "普通劳动力", st.label, st.year, registeredSince}
			cells[4] = IDNumber(fmt.Sprintf("%04d%02d%02d", 1955+seq*7%60, 1+seq%12, 1+seq%28), seq%1000)
			rows = append(rows, &identificationv1.LedgerRow{Row: int64(len(rows) + 1), Cells: cells})
		}
	}
	return rows
}

// bulkLoad streams rows to ImportHouseholds in BULK mode as the register's county admin.
func (c *county) bulkLoad(t *testing.T, rows []*identificationv1.LedgerRow, households int64) {
	t.Helper()
	stream, err := identificationv1.NewImportServiceClient(c.Register).ImportHouseholds(c.RegisterAdmin(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := stream.Send(&identificationv1.ImportHouseholdsRequest{Settings: &identificationv1.ImportSettings{Source: "台账.csv",
		Mode: identificationv1.ImportMode_IMPORT_MODE_BULK, DeclaredHouseholds: households}, Rows: rows}); err != nil {
		t.Fatal(err)
	}
	if err := stream.CloseSend(); err != nil {
		t.Fatal(err)
	}
	for {
		resp, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		for _, is := range resp.GetIssues() {
			t.Errorf("import finding: %v", is)
		}
	}
}

// expectedLedger is the ledger the register's snapshot calls for now (domain.Reconcile over every
// household, as a service reads it), by person id, as "household region state".
func (c *county) expectedLedger(t *testing.T) map[string]string {
	t.Helper()
	stream, err := identificationv1.NewRegisterExportServiceClient(c.Register).ExportRegister(c.As(t, "human_resources", "service", ""),
		&identificationv1.ExportRegisterRequest{})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	now := time.Now()
	month := bizdate.Today(now)[:7]
	for {
		msg, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		for _, h := range msg.GetHouseholds() {
			rh := &domain.RegisterHousehold{ID: strings.TrimPrefix(h.GetHousehold(), "households/"), RegionCode: h.GetRegionCode(),
				RegistryStatus: int32(h.GetRegistryStatus()), MonitoringStatus: int32(h.GetMonitoringStatus())}
			for _, m := range h.GetMembers() {
				rh.Members = append(rh.Members, domain.RegisterMember{PersonID: m.GetPersonId(), BirthMonth: m.GetBirthDate()[:7], State: 1})
			}
			for _, l := range domain.Reconcile(rh, map[string]*domain.Labourer{}, false, month, bizdate.Today(now), domain.WorkingAge{Min: 16, Max: 60}, now) {
				out[l.PersonID] = fmt.Sprintf("%s %s %d", l.HouseholdID, l.RegionCode, l.State)
			}
		}
	}
}

// TestLedgerBulkLoadResync: employment is down while the register is bulk loaded and changed; started
// again, it resyncs from the snapshot and follows the feed after it: the ledger is exactly what the
// register calls for, every person once; a later change on the feed is followed too.
func TestLedgerBulkLoadResync(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		c := startCounty(t, d)
		// Known before the load: one poor household, followed from the feed.
		early := c.CreateHousehold(t, village1, &identificationv1.Member{FullName: "李早", IdNumber: IDNumber("19800101", 900),
			RelationToHead: identificationv1.Relation_RELATION_HEAD})
		c.setRegistryStatus(t, early, identificationv1.RegistryStatus_REGISTRY_STATUS_POOR)
		c.waitFollowed(t)

		c.stop()
		c.bulkLoad(t, bulkRows(60), 60)
		// A change after the load: the early household is archived (the resync ends its record).
		if _, err := identificationv1.NewHouseholdServiceClient(c.Register).ArchiveHousehold(c.RegisterAdmin(t),
			&identificationv1.ArchiveHouseholdRequest{Name: early.GetName(), Reason: "合户"}); err != nil {
			t.Fatal(err)
		}
		c.stop = c.startEmployment(t)
		c.waitFollowed(t)

		want := c.expectedLedger(t)
		got := map[string]string{}
		ended := 0
		for id, l := range c.ledger(t) {
			if l.GetState() == employmentv1.LabourerState_LABOURER_STATE_ENDED {
				ended++
				continue
			}
			got[id] = fmt.Sprintf("%s %s %d", strings.TrimPrefix(l.GetHousehold(), "households/"), l.GetRegionCode(), l.GetState())
		}
		if len(want) < 60 || !mapsEqual(got, want) {
			t.Fatalf("ledger after the resync: %d records, the register calls for %d\n got %v\nwant %v", len(got), len(want), got, want)
		}
		if ended != 1 {
			t.Errorf("ended records: %d, want 1 (the archived household's)", ended)
		}

		// The feed after the snapshot is followed: a bulk-loaded household becomes 一般户 (its records end).
		hs, err := identificationv1.NewHouseholdServiceClient(c.Register).ListHouseholds(c.RegisterAdmin(t),
			&identificationv1.ListHouseholdsRequest{Filter: `household_number = "L-001"`})
		if err != nil || len(hs.GetHouseholds()) != 1 {
			t.Fatalf("L-001: %v %v", hs, err)
		}
		c.setRegistryStatus(t, hs.GetHouseholds()[0], identificationv1.RegistryStatus_REGISTRY_STATUS_ORDINARY)
		c.waitFollowed(t)
		for _, l := range c.ledger(t) {
			if l.GetHousehold() == hs.GetHouseholds()[0].GetName() && l.GetEndReason() != employmentv1.LabourerEndReason_LABOURER_END_REASON_HOUSEHOLD_NOT_COVERED {
				t.Errorf("a household no longer poor: %v", l)
			}
		}
		if !slices.ContainsFunc(hs.GetHouseholds()[0].GetMembers(), func(m *identificationv1.Member) bool { return m.GetPersonId() != "" }) {
			t.Fatal("L-001 has no members")
		}
	})
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}
