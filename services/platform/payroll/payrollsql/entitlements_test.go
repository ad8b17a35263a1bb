package payrollsql_test

import (
	"context"
	"fmt"
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

func TestGrantEntitlements(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		s := newStore(t, d)
		ctx := t.Context()
		at := time.UnixMicro(time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC).UnixMicro())
		var es []*payroll.Entitlement
		for i := range 300 {
			es = append(es, &payroll.Entitlement{ID: fmt.Sprintf("e%03d", i), Program: payroll.ProgramWelfarePostWage,
				Beneficiary: fmt.Sprintf("persons/p%03d", i), PersonID: fmt.Sprintf("p%03d", i), RegionCode: "990001001001",
				Source: "welfarePostAssignments/a", FromMonth: "2026-02", ToMonth: "2026-02", AmountFen: 30000, Covered: 1,
				Reason: "公益岗", CreateTime: at, UpdateTime: at})
		}
		if err := s.InTx(ctx, func(ctx context.Context) error { return s.GrantEntitlements(ctx, es) }); err != nil {
			t.Fatal(err)
		}
		got, err := s.EntitlementsBySource(ctx, "welfarePostAssignments/a")
		if err != nil || len(got) != 300 || *got[7] != *es[7] {
			t.Fatalf("%d entitlements, %v; 8th %+v", len(got), err, got[7])
		}
		bad := []*payroll.Entitlement{{ID: "x", Program: payroll.ProgramWorkshopReward, Beneficiary: "persons/p1"}}
		if err := s.InTx(ctx, func(ctx context.Context) error { return s.GrantEntitlements(ctx, bad) }); err == nil {
			t.Fatal("a person paid by an organisation's program was granted")
		}
	})
}
