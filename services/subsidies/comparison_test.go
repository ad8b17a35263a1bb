package subsidies_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	identificationv1 "fupin.dev/proto/gen/fupin/identification/v1"
	subsidiesv1 "fupin.dev/proto/gen/fupin/subsidies/v1"
	"fupin.dev/services/platform/bizdate"
	"fupin.dev/services/platform/outbox"
	"fupin.dev/services/platform/sqldb"
	"fupin.dev/services/platform/sqldb/sqldbtest"
	"fupin.dev/services/subsidies/internal/domain"
	"fupin.dev/services/subsidies/internal/store"
	"google.golang.org/grpc/codes"
)

// openSubsidiesStore opens the running subsidies service's database, for what the tests must arrange that
// another area's API grants (低保 entitlements).
func (c *county) openSubsidiesStore(t *testing.T) *store.Store {
	t.Helper()
	db, err := sqldb.Open(t.Context(), c.DatabaseURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return store.New(db, outbox.New(db, nil))
}

// grantComparedDibao gives a household a 低保 entitlement from this month, as a 低保 approval leaves behind.
func grantComparedDibao(t *testing.T, st *store.Store, householdID, region string, covered int) {
	t.Helper()
	now := time.Now()
	month := domain.MonthOf(bizdate.Today(now))
	if err := st.GrantEntitlement(t.Context(), &domain.Entitlement{ID: "e-" + householdID, Program: domain.ProgramDibao,
		Beneficiary: "households/" + householdID, HouseholdID: householdID, RegionCode: region,
		Source: "dibaoCases/c-" + householdID, FromMonth: month, AmountFen: 120_000, Covered: covered,
		CreateTime: now, UpdateTime: now}); err != nil {
		t.Fatal(err)
	}
}

func cmpHouseholdID(h *identificationv1.Household) string {
	return strings.TrimPrefix(h.GetName(), "households/")
}

// setRegistryStatus changes a household's registry status in the register.
func (c *county) setRegistryStatus(t *testing.T, h *identificationv1.Household, status identificationv1.RegistryStatus) {
	t.Helper()
	if _, err := identificationv1.NewHouseholdServiceClient(c.Register).SetRegistryStatus(c.RegisterAdmin(t),
		&identificationv1.SetRegistryStatusRequest{Name: h.GetName(), RegistryStatus: status,
			EffectiveDate: bizdate.Today(time.Now()), Reason: "县定"}); err != nil {
		t.Fatal(err)
	}
}

func cmpHead(name string, birth string, seq int) *identificationv1.Member {
	return &identificationv1.Member{FullName: name, IdNumber: IDNumber(birth, seq), RelationToHead: identificationv1.Relation_RELATION_HEAD}
}

// allMismatches pages through a run's mismatches as ctx sees them.
func allMismatches(t *testing.T, ctx context.Context, client subsidiesv1.ComparisonServiceClient, run, filter string) []*subsidiesv1.Mismatch {
	t.Helper()
	var out []*subsidiesv1.Mismatch
	tok := ""
	for {
		page, err := client.ListMismatches(ctx, &subsidiesv1.ListMismatchesRequest{Parent: run, PageSize: 1, PageToken: tok, Filter: filter})
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, page.GetMismatches()...)
		if tok = page.GetNextPageToken(); tok == "" {
			return out
		}
	}
}

// mismatchKey is a mismatch in short: kind, reason, household.
func mismatchKey(m *subsidiesv1.Mismatch) string {
	return fmt.Sprintf("%s %s %s", strings.TrimPrefix(m.GetKind().String(), "MISMATCH_KIND_"),
		strings.TrimPrefix(m.GetReason().String(), "MISMATCH_REASON_"), strings.TrimPrefix(m.GetHousehold(), "households/"))
}

func TestComparison(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		c := startCounty(t, d)
		client := subsidiesv1.NewComparisonServiceClient(c.Conn)
		st := c.openSubsidiesStore(t)
		// The register: covered poor household (village 1), an ordinary 低保 household (village 2), a poor and
		// a returned household without 低保 (villages 2 and 1), and an ordinary household on nobody's list.
		covered := c.CreateHousehold(t, village1, cmpHead("甲", "19600101", 1))
		ordinaryDibao := c.CreateHousehold(t, village2, cmpHead("乙", "19600101", 2))
		poor := c.CreateHousehold(t, village2, cmpHead("丙", "19600101", 3))
		returned := c.CreateHousehold(t, village1, cmpHead("丁", "19600101", 4))
		c.CreateHousehold(t, village2, cmpHead("戊", "19600101", 5))
		c.setRegistryStatus(t, covered, identificationv1.RegistryStatus_REGISTRY_STATUS_POOR)
		c.setRegistryStatus(t, poor, identificationv1.RegistryStatus_REGISTRY_STATUS_POOR)
		c.setRegistryStatus(t, returned, identificationv1.RegistryStatus_REGISTRY_STATUS_POOR)
		c.setRegistryStatus(t, returned, identificationv1.RegistryStatus_REGISTRY_STATUS_EXITED)
		c.setRegistryStatus(t, returned, identificationv1.RegistryStatus_REGISTRY_STATUS_RETURNED)
		// The 低保 list: the covered household, the ordinary one, and one the register does not have.
		grantComparedDibao(t, st, cmpHouseholdID(covered), village1, 1)
		grantComparedDibao(t, st, cmpHouseholdID(ordinaryDibao), village2, 1)
		grantComparedDibao(t, st, "0000-ghost", village2, 2)

		run, err := client.RunComparison(c.CivilAffairs(t), &subsidiesv1.RunComparisonRequest{RequestId: "r1"})
		if err != nil {
			t.Fatal(err)
		}
		t.Run("the run counts both lists", func(t *testing.T) {
			want := &subsidiesv1.Comparison{Month: domain.MonthOf(bizdate.Today(time.Now())), RegisterHouseholds: 5, RegisterPersons: 5,
				RegisteredHouseholds: 3, DibaoHouseholds: 3, RegisteredCovered: 1, RegisteredNotCovered: 2, DibaoNotRegistered: 2}
			got := &subsidiesv1.Comparison{Month: run.GetMonth(), RegisterHouseholds: run.GetRegisterHouseholds(),
				RegisterPersons: run.GetRegisterPersons(), RegisteredHouseholds: run.GetRegisteredHouseholds(),
				DibaoHouseholds: run.GetDibaoHouseholds(), RegisteredCovered: run.GetRegisteredCovered(),
				RegisteredNotCovered: run.GetRegisteredNotCovered(), DibaoNotRegistered: run.GetDibaoNotRegistered()}
			if got.String() != want.String() {
				t.Errorf("run %v\nwant %v", got, want)
			}
			if !strings.HasPrefix(run.GetName(), "comparisons/") || run.GetPolicyHash() == "" || run.GetActor() == "" || run.GetCreateTime() == nil {
				t.Errorf("run record %v", run)
			}
			again, err := client.RunComparison(c.CivilAffairs(t), &subsidiesv1.RunComparisonRequest{RequestId: "r1"})
			if err != nil || again.GetName() != run.GetName() {
				t.Errorf("a retry with the same request id: %v %v", again.GetName(), err)
			}
		})
		t.Run("mismatches of both kinds, ordered, paged and filtered", func(t *testing.T) {
			got := allMismatches(t, c.CivilAffairs(t), client, run.GetName(), "")
			var keys []string
			for _, m := range got {
				keys = append(keys, mismatchKey(m))
			}
			// Ordered by kind, then region (village1 < village2), then household.
			want := []string{
				"REGISTERED_NOT_COVERED RETURNED_NOT_COVERED " + cmpHouseholdID(returned),
				"REGISTERED_NOT_COVERED POOR_NOT_COVERED " + cmpHouseholdID(poor),
				"DIBAO_NOT_REGISTERED NOT_IN_REGISTER 0000-ghost",
				"DIBAO_NOT_REGISTERED NOT_POOR " + cmpHouseholdID(ordinaryDibao),
			}
			if !slices.Equal(keys, want) {
				t.Fatalf("mismatches\n got %v\nwant %v", keys, want)
			}
			ghost, ord := got[2], got[3]
			if ghost.GetRegionCode() != village2 || ghost.GetDibaoSource() != "dibaoCases/c-0000-ghost" || ghost.GetCovered() != 2 ||
				ghost.GetRegistryStatus() != identificationv1.RegistryStatus_REGISTRY_STATUS_UNSPECIFIED || ghost.GetRegisterSize() != 0 {
				t.Errorf("not in the register: %v", ghost)
			}
			if ord.GetRegistryStatus() != identificationv1.RegistryStatus_REGISTRY_STATUS_ORDINARY || ord.GetRegisterSize() != 1 ||
				ord.GetName() != run.GetName()+"/mismatches/4" {
				t.Errorf("ordinary 低保 household: %v", ord)
			}
			byKind := allMismatches(t, c.CivilAffairs(t), client, run.GetName(), "kind = MISMATCH_KIND_REGISTERED_NOT_COVERED")
			byRegion := allMismatches(t, c.CivilAffairs(t), client, run.GetName(), `region_code:"990001002"`)
			if len(byKind) != 2 || len(byRegion) != 3 {
				t.Errorf("filtered: %d by kind, %d by region", len(byKind), len(byRegion))
			}
		})
		t.Run("rural revitalization reads the results, a township its share", func(t *testing.T) {
			admin := c.As(t, "rural_revitalization", "county_admin", "")
			if _, err := client.GetComparison(admin, &subsidiesv1.GetComparisonRequest{Name: run.GetName()}); err != nil {
				t.Fatal(err)
			}
			list, err := client.ListComparisons(c.As(t, "rural_revitalization", "auditor", ""), &subsidiesv1.ListComparisonsRequest{})
			if err != nil || len(list.GetComparisons()) != 1 || list.GetComparisons()[0].GetName() != run.GetName() {
				t.Fatalf("list %v %v", list, err)
			}
			township := c.As(t, "civil_affairs", "department_staff", "990001002")
			if got := allMismatches(t, township, client, run.GetName(), ""); len(got) != 3 {
				t.Errorf("township 990001002 sees %d mismatches, want its 3", len(got))
			}
		})
		t.Run("a township runs its own comparison", func(t *testing.T) {
			township := c.As(t, "civil_affairs", "department_staff", "990001002")
			own, err := client.RunComparison(township, &subsidiesv1.RunComparisonRequest{})
			if err != nil {
				t.Fatal(err)
			}
			if own.GetRegionCode() != "990001002" || own.GetRegisterHouseholds() != 3 || own.GetDibaoHouseholds() != 2 ||
				own.GetRegisteredNotCovered() != 1 || own.GetDibaoNotRegistered() != 2 {
				t.Errorf("township run %v", own)
			}
			// Another township's staff can neither read it nor list it.
			other := c.As(t, "civil_affairs", "department_staff", "990001001")
			_, err = client.GetComparison(other, &subsidiesv1.GetComparisonRequest{Name: own.GetName()})
			if code, info, _, _ := errorDetails(err); code != codes.PermissionDenied || info.GetReason() != "OUT_OF_REGION_SCOPE" {
				t.Errorf("another township reading: %v", err)
			}
			list, err := client.ListComparisons(other, &subsidiesv1.ListComparisonsRequest{})
			if err != nil || len(list.GetComparisons()) != 1 || list.GetComparisons()[0].GetName() != run.GetName() {
				t.Errorf("another township lists %v %v, want only the county's run", list, err)
			}
		})
		t.Run("refusals", func(t *testing.T) {
			_, err := client.RunComparison(c.As(t, "rural_revitalization", "county_admin", ""), &subsidiesv1.RunComparisonRequest{})
			if code, _, _, _ := errorDetails(err); code != codes.PermissionDenied {
				t.Errorf("rural revitalization running: %v", err)
			}
			_, err = client.ListMismatches(c.Federation(t), &subsidiesv1.ListMismatchesRequest{Parent: run.GetName()})
			if code, _, _, _ := errorDetails(err); code != codes.PermissionDenied {
				t.Errorf("残联 reading: %v", err)
			}
			next := domain.AddMonths(domain.MonthOf(bizdate.Today(time.Now())), 1)
			_, err = client.RunComparison(c.CivilAffairs(t), &subsidiesv1.RunComparisonRequest{Month: next})
			code, info, br, _ := errorDetails(err)
			if code != codes.InvalidArgument || info.GetReason() != "MONTH_INVALID" || br.GetFieldViolations()[0].GetField() != "month" {
				t.Errorf("next month: %v", err)
			}
			_, err = client.RunComparison(c.CivilAffairs(t), &subsidiesv1.RunComparisonRequest{Month: "2026-13"})
			if code, _, br, _ := errorDetails(err); code != codes.InvalidArgument || br.GetFieldViolations()[0].GetField() != "month" {
				t.Errorf("month 13: %v", err)
			}
			_, err = client.GetComparison(c.CivilAffairs(t), &subsidiesv1.GetComparisonRequest{Name: "comparisons/nope"})
			if code, _, _, _ := errorDetails(err); code != codes.NotFound {
				t.Errorf("unknown run: %v", err)
			}
			_, err = client.ListMismatches(c.CivilAffairs(t), &subsidiesv1.ListMismatchesRequest{Parent: run.GetName(), Filter: "household = 1"})
			if code, _, br, _ := errorDetails(err); code != codes.InvalidArgument || br.GetFieldViolations()[0].GetField() != "filter" {
				t.Errorf("a filter on an unknown field: %v", err)
			}
		})
	})
}
