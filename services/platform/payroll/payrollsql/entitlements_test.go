package payrollsql_test

import (
	"testing"
	"time"

	"fupin.dev/services/platform/payroll"
	"fupin.dev/services/platform/sqldb"
	"fupin.dev/services/platform/sqldb/sqldbtest"
)

func TestEntitlementStore(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		s := newStore(t, d)
		ctx := t.Context()
		at := time.UnixMicro(time.Date(2026, 3, 5, 10, 0, 0, 0, time.UTC).UnixMicro())
		grants := []*payroll.Entitlement{
			{ID: "e1", Program: payroll.ProgramDibao, Beneficiary: "households/h1", HouseholdID: "h1", RegionCode: "990001001001",
				Source: "dibaoCases/c1", FromMonth: "2026-03", AmountFen: 120000, Covered: 3, Reason: "批准", CreateTime: at, UpdateTime: at},
			{ID: "e2", Program: payroll.ProgramCareSubsidy, Beneficiary: "persons/p1", HouseholdID: "h1", PersonID: "p1",
				RegionCode: "990001001001", Source: "disabilitySubsidies/s1", FromMonth: "2026-01", ToMonth: "2026-12", AmountFen: 10000,
				Covered: 1, CreateTime: at.Add(time.Second), UpdateTime: at.Add(time.Second)},
		}
		for _, e := range grants {
			if err := s.GrantEntitlement(ctx, e); err != nil {
				t.Fatal(err)
			}
		}
		t.Run("granted entitlements read back whole", func(t *testing.T) {
			got, err := s.EntitlementsOfHousehold(ctx, "h1")
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 2 || *got[0] != *grants[0] || *got[1] != *grants[1] {
				t.Fatalf("got %+v", got)
			}
		})
		t.Run("open entitlements of a beneficiary from a month", func(t *testing.T) {
			got, err := s.OpenEntitlements(ctx, payroll.ProgramCareSubsidy, "persons/p1", "2026-12")
			if err != nil || len(got) != 1 {
				t.Fatalf("got %v %v", got, err)
			}
			got, err = s.OpenEntitlements(ctx, payroll.ProgramCareSubsidy, "persons/p1", "2027-01")
			if err != nil || len(got) != 0 {
				t.Fatalf("after its last month: got %v %v", got, err)
			}
			got, err = s.OpenEntitlements(ctx, payroll.ProgramDibao, "persons/p1", "2026-03")
			if err != nil || len(got) != 0 {
				t.Fatalf("another program: got %v %v", got, err)
			}
		})
		t.Run("ending never extends", func(t *testing.T) {
			if err := s.EndEntitlement(ctx, "e2", "2026-05", "证件注销", at.Add(time.Hour)); err != nil {
				t.Fatal(err)
			}
			if err := s.EndEntitlement(ctx, "e2", "2026-09", "later", at.Add(2*time.Hour)); err != nil {
				t.Fatal(err)
			}
			got, _ := s.EntitlementsOfPerson(ctx, "p1")
			if len(got) != 1 || got[0].ToMonth != "2026-05" || got[0].EndReason != "证件注销" || !got[0].UpdateTime.Equal(at.Add(time.Hour)) {
				t.Fatalf("got %+v", got)
			}
			if err := s.EndEntitlement(ctx, "nope", "2026-05", "x", at); err == nil {
				t.Error("ending an unknown entitlement succeeded")
			}
		})
		t.Run("by source", func(t *testing.T) {
			got, err := s.EntitlementsBySource(ctx, "dibaoCases/c1")
			if err != nil || len(got) != 1 || got[0].ID != "e1" {
				t.Fatalf("got %v %v", got, err)
			}
		})
		t.Run("a negative amount is refused by the database", func(t *testing.T) {
			bad := *grants[0]
			bad.ID, bad.AmountFen = "e3", -1
			if err := s.GrantEntitlement(ctx, &bad); err == nil {
				t.Error("negative amount stored")
			}
		})
	})
}
