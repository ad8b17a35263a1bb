package subsidies_test

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	commonv1 "fupin.dev/proto/gen/fupin/common/v1"
	identificationv1 "fupin.dev/proto/gen/fupin/identification/v1"
	"fupin.dev/services/platform/bizdate"
	"fupin.dev/services/platform/outbox"
	"fupin.dev/services/platform/sqldb"
	"fupin.dev/services/platform/sqldb/sqldbtest"
	"fupin.dev/services/subsidies/internal/domain"
	"fupin.dev/services/subsidies/internal/store"
)

// A county's first load as a bulk load: the register publishes one register.bulk_loaded instead of a
// change per household, and subsidies resyncs from the register's snapshot, resuming the feed after the
// snapshot's position.

const bulkLedgerHeader = "户编号,行政区划代码,家庭住址,姓名,身份证号,与户主关系,民族,文化程度,健康状况,劳动技能,户类型,脱贫年度,登记日期"

// bulkLedger is a ledger of n households (numbers L-000 …) in two villages, with every registry status and
// one to three members each.
func bulkLedger(n int) []*identificationv1.LedgerRow {
	rows := []*identificationv1.LedgerRow{{Row: 1, Cells: strings.Split(bulkLedgerHeader, ",")}}
	statuses := []struct{ label, year string }{{"一般户", ""}, {"贫困户", ""}, {"已脱贫", "2018"}, {"返贫", ""}}
	seq := 0
	for i := range n {
		village := village1
		if i%2 == 1 {
			village = village2
		}
		st := statuses[i%len(statuses)]
		for m := range 1 + i%3 {
			rel := []string{"户主", "配偶", "子"}[m]
			seq++
			cells := []string{fmt.Sprintf("L-%03d", i), village, fmt.Sprintf("%d号", i), fmt.Sprintf("成员%d", seq), "", rel, "汉族", "初中", "健康", "普通劳动力",
				st.label, st.year, registeredSince}
			// Distinct persons: the sequence goes into the 身份证号's order code and birth day.
			cells[4] = IDNumber(fmt.Sprintf("19%02d%02d%02d", 50+seq/300, 1+seq%12, 1+seq%28), seq%1000)
			rows = append(rows, &identificationv1.LedgerRow{Row: int64(len(rows) + 1), Cells: cells})
		}
	}
	return rows
}

// importLedger streams rows to ImportHouseholds as the register's county admin and returns the summary.
func (c *county) importLedger(t *testing.T, rows []*identificationv1.LedgerRow, bulk bool, declared int64) *identificationv1.ImportSummary {
	t.Helper()
	stream, err := identificationv1.NewImportServiceClient(c.Register).ImportHouseholds(c.RegisterAdmin(t))
	if err != nil {
		t.Fatal(err)
	}
	settings := &identificationv1.ImportSettings{Source: "台账.csv", BatchSize: 7, Mode: identificationv1.ImportMode_IMPORT_MODE_SMALL}
	if bulk {
		settings.Mode, settings.DeclaredHouseholds = identificationv1.ImportMode_IMPORT_MODE_BULK, declared
	}
	if err := stream.Send(&identificationv1.ImportHouseholdsRequest{Settings: settings, Rows: rows}); err != nil {
		t.Fatal(err)
	}
	if err := stream.CloseSend(); err != nil {
		t.Fatal(err)
	}
	var last *identificationv1.ImportSummary
	for {
		resp, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		for _, is := range resp.GetIssues() {
			t.Errorf("import finding: %v", is)
		}
		last = resp.GetSummary()
	}
	if last == nil || !last.GetDone() {
		t.Fatalf("the import did not finish: %v", last)
	}
	return last
}

// waitFollowed waits until subsidies' cursor has reached the register's last change.
func (c *county) waitFollowed(t *testing.T, st *store.Store) {
	t.Helper()
	var last int64
	for {
		resp, err := commonv1.NewChangeFeedServiceClient(c.Register).ListChanges(c.As(t, "civil_affairs", "service", ""),
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
		cur, err := outbox.Cursor(t.Context(), st.DB(), "identification/households")
		if err == nil && cur >= last {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("subsidies' cursor %d (%v), the register's last change %d", cur, err, last)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// registerHouseholds returns the register's households by number (by name when they have none).
func (c *county) registerHouseholds(t *testing.T) map[string]*identificationv1.Household {
	t.Helper()
	out := map[string]*identificationv1.Household{}
	token := ""
	for {
		resp, err := identificationv1.NewHouseholdServiceClient(c.Register).ListHouseholds(c.RegisterAdmin(t),
			&identificationv1.ListHouseholdsRequest{PageSize: 1000, PageToken: token})
		if err != nil {
			t.Fatal(err)
		}
		for _, h := range resp.GetHouseholds() {
			key := h.GetHouseholdNumber()
			if key == "" {
				key = h.GetName() // created without a number (CreateHousehold)
			}
			out[key] = h
		}
		if token = resp.GetNextPageToken(); token == "" {
			return out
		}
	}
}

// derived is what subsidies derived from the register, keyed by household number instead of the ids and
// sequences that differ between two counties: the journal's contents as a set, the eligibility checks,
// the statuses followed, and the entitlements' regions (what moves carry).
func derived(t *testing.T, c *county, st *store.Store) (journal, checks, followed, entitlements []string) {
	t.Helper()
	ctx := t.Context()
	number := map[string]string{}
	for n, h := range c.registerHouseholds(t) {
		number[strings.TrimPrefix(h.GetName(), "households/")] = n
	}
	changes, err := st.RegisterChanges(ctx, "", 0, 100_000)
	if err != nil {
		t.Fatal(err)
	}
	for _, ch := range changes {
		journal = append(journal, fmt.Sprintf("%s %s %s %d/%d/%d %s size %d departed %d %q", number[ch.HouseholdID], ch.Topic,
			ch.RegionCode, ch.RegistryStatus, ch.MonitoringType, ch.MonitoringStatus, ch.EffectiveDate, ch.Size,
			len(ch.DepartedPersonIDs), ch.Reason))
	}
	list, _, err := st.ListEligibilityChecks(ctx, domain.CheckQuery{Limit: 10_000})
	if err != nil {
		t.Fatal(err)
	}
	for _, ck := range list {
		checks = append(checks, fmt.Sprintf("%s %s %d %s %d", number[ck.HouseholdID], ck.RegionCode, ck.Reason, ck.EffectiveDate, ck.State))
	}
	for id, n := range number {
		fs, err := st.FollowedStatus(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if fs.HouseholdID != "" {
			followed = append(followed, fmt.Sprintf("%s %d/%d/%d", n, fs.RegistryStatus, fs.MonitoringType, fs.MonitoringStatus))
		}
		month := domain.MonthOf(bizdate.Today(time.Now()))
		es, err := st.OpenEntitlements(ctx, domain.ProgramDibao, "households/"+id, month)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range es {
			entitlements = append(entitlements, fmt.Sprintf("%s %s %s %s %d", n, e.RegionCode, e.FromMonth, e.ToMonth, e.AmountFen))
		}
	}
	for _, s := range [][]string{journal, checks, followed, entitlements} {
		slices.Sort(s)
	}
	return journal, checks, followed, entitlements
}

// TestBulkLoadResync: subsidies is down while the county is bulk loaded and changed; started again, it
// resyncs from the snapshot (which already holds the changes made after the load) and follows the feed
// after the snapshot's position: every household once, no change twice, and changes after it followed.
func TestBulkLoadResync(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		c := startCounty(t, d)
		st := c.openSubsidiesStore(t)
		households := identificationv1.NewHouseholdServiceClient(c.Register)
		today := bizdate.Today(time.Now())
		// Known before the load: one household, followed from the feed.
		h0 := c.CreateHousehold(t, village1, cmpHead("张三", "19500101", 11))
		h1 := c.CreateHousehold(t, village2, cmpHead("李四", "19510101", 12))
		c.waitFollowed(t, st)

		c.stop()
		sum := c.importLedger(t, bulkLedger(40), true, 40)
		if sum.GetHouseholdsImported() != 40 {
			t.Fatalf("bulk load: %v", sum)
		}
		// Changes after the load's change, before subsidies reads the snapshot: the snapshot holds them,
		// and the feed's changes for them must not be applied again.
		c.setRegistryStatus(t, h0, identificationv1.RegistryStatus_REGISTRY_STATUS_POOR)
		// Archived after the load: absent from the snapshot, so the resync archives it.
		if _, err := households.ArchiveHousehold(c.RegisterAdmin(t), &identificationv1.ArchiveHouseholdRequest{
			Name: h1.GetName(), Reason: "户籍注销"}); err != nil {
			t.Fatal(err)
		}
		reg := c.registerHouseholds(t)
		l2 := reg["L-002"] // three members
		if _, err := households.RecordDeath(c.RegisterAdmin(t), &identificationv1.RecordDeathRequest{
			Name: l2.GetMembers()[2].GetName(), DateOfDeath: today}); err != nil {
			t.Fatal(err)
		}
		c.stop = c.startSubsidies(t)
		c.waitFollowed(t, st)
		// A change after the resync comes through the feed.
		c.setRegistryStatus(t, reg["L-000"], identificationv1.RegistryStatus_REGISTRY_STATUS_RETURNED)
		c.waitFollowed(t, st)

		changes, err := st.RegisterChanges(t.Context(), "", 0, 100_000)
		if err != nil {
			t.Fatal(err)
		}
		byHousehold := map[string][]domain.HouseholdChange{}
		for _, ch := range changes {
			byHousehold[ch.HouseholdID] = append(byHousehold[ch.HouseholdID], ch)
		}
		var archived []string
		for _, j := range byHousehold[strings.TrimPrefix(h1.GetName(), "households/")] {
			archived = append(archived, j.Topic)
		}
		if !slices.Equal(archived, []string{"household.created", "household.archived"}) {
			t.Errorf("the household archived after the load: journal %v", archived)
		}
		reg = c.registerHouseholds(t)
		delete(reg, h1.GetName())
		if len(reg) != 41 || len(byHousehold) != 42 {
			t.Fatalf("register %d active households, journal %d", len(reg), len(byHousehold))
		}
		for n, h := range reg {
			js := byHousehold[strings.TrimPrefix(h.GetName(), "households/")]
			var topics []string
			for _, j := range js {
				topics = append(topics, j.Topic)
			}
			want := []string{"household.created"}
			switch n {
			case h0.GetName(): // created from the feed, its status change from the snapshot, once
				want = []string{"household.created", "household.status_changed"}
			case "L-000":
				want = []string{"household.created", "household.status_changed"}
			}
			if !slices.Equal(topics, want) {
				t.Errorf("household %q: journal %v, want %v", n, topics, want)
			}
			last := js[len(js)-1]
			if last.RegistryStatus != int32(h.GetRegistryStatus()) || last.Size != len(currentMembers(h)) || last.RegionCode != h.GetRegionCode() {
				t.Errorf("household %q: the journal ends with %+v, the register says %v size %d", n, last, h.GetRegistryStatus(), len(currentMembers(h)))
			}
		}
		// Poor and returned households of the load got their 低保 eligibility check, once each.
		list, _, err := st.ListEligibilityChecks(t.Context(), domain.CheckQuery{Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		perHousehold := map[string]int{}
		for _, ck := range list {
			perHousehold[ck.HouseholdID]++
		}
		poor := 0
		for _, h := range reg {
			switch h.GetRegistryStatus() {
			case identificationv1.RegistryStatus_REGISTRY_STATUS_POOR, identificationv1.RegistryStatus_REGISTRY_STATUS_RETURNED:
				poor++
				if n := perHousehold[strings.TrimPrefix(h.GetName(), "households/")]; n != 1 {
					t.Errorf("household %s (%v): %d checks, want 1", h.GetHouseholdNumber(), h.GetRegistryStatus(), n)
				}
			}
		}
		if poor < 20 {
			t.Errorf("only %d poor or returned households", poor)
		}
	})
}

func currentMembers(h *identificationv1.Household) []*identificationv1.Member {
	var out []*identificationv1.Member
	for _, m := range h.GetMembers() {
		if m.GetState() == identificationv1.MemberState_MEMBER_STATE_ACTIVE {
			out = append(out, m)
		}
	}
	return out
}

// TestBulkLoadEquivalentToReplay loads the same ledger into two counties, one through the ordinary path
// (a change per household, followed one by one) and one as a bulk load (resync from the snapshot), then
// makes the same changes in both (a 低保 entitlement, a move, a death, a status change): what subsidies
// derives is the same in both, sequence numbers and ids aside.
func TestBulkLoadEquivalentToReplay(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		type result struct{ journal, checks, followed, entitlements []string }
		run := func(bulk bool) result {
			c := startCounty(t, d)
			st := c.openSubsidiesStore(t)
			if sum := c.importLedger(t, bulkLedger(24), bulk, 24); sum.GetHouseholdsImported() != 24 {
				t.Fatalf("import: %v", sum)
			}
			c.waitFollowed(t, st)
			reg := c.registerHouseholds(t)
			households := identificationv1.NewHouseholdServiceClient(c.Register)
			// A 低保 entitlement of L-005 (poor, village2), as an approval leaves it; then L-005 moves.
			l5 := reg["L-005"]
			grantComparedDibao(t, st, strings.TrimPrefix(l5.GetName(), "households/"), l5.GetRegionCode(), len(currentMembers(l5)))
			if _, err := households.MoveHousehold(c.RegisterAdmin(t), &identificationv1.MoveHouseholdRequest{Name: l5.GetName(),
				RegionCode: village1, Address: "新址", EffectiveDate: bizdate.Today(time.Now())}); err != nil {
				t.Fatal(err)
			}
			if _, err := households.RecordDeath(c.RegisterAdmin(t), &identificationv1.RecordDeathRequest{
				Name: reg["L-002"].GetMembers()[1].GetName(), DateOfDeath: bizdate.Today(time.Now())}); err != nil {
				t.Fatal(err)
			}
			c.setRegistryStatus(t, reg["L-004"], identificationv1.RegistryStatus_REGISTRY_STATUS_POOR)
			c.waitFollowed(t, st)
			j, ch, f, e := derived(t, c, st)
			return result{j, ch, f, e}
		}
		replay, resync := run(false), run(true)
		for _, tc := range []struct {
			name      string
			got, want []string
		}{
			{"journal", resync.journal, replay.journal},
			{"eligibility checks", resync.checks, replay.checks},
			{"followed statuses", resync.followed, replay.followed},
			{"entitlements", resync.entitlements, replay.entitlements},
		} {
			if !slices.Equal(tc.got, tc.want) {
				t.Errorf("%s after the bulk load and resync\n%s\nafter the replay\n%s", tc.name, strings.Join(tc.got, "\n"), strings.Join(tc.want, "\n"))
			}
		}
		if len(replay.journal) < 27 || len(replay.checks) < 6 || len(replay.entitlements) != 1 {
			t.Errorf("too little derived to compare: %d journal entries, %d checks, %d entitlements",
				len(replay.journal), len(replay.checks), len(replay.entitlements))
		}
	})
}
