package store_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"fupin.dev/services/identification/internal/domain"
	"fupin.dev/services/identification/internal/store"
	"fupin.dev/services/platform/outbox"
	"fupin.dev/services/platform/sqldb"
	"fupin.dev/services/platform/sqldb/sqldbtest"
)

// exportAll runs an export and returns its batches.
func exportAll(t *testing.T, s *store.Store, q domain.ExportQuery) [][]domain.ExportedHousehold {
	t.Helper()
	batches, _ := exportWithPosition(t, s, q)
	return batches
}

// exportWithPosition runs an export and returns its batches and the feed position every call named.
func exportWithPosition(t *testing.T, s *store.Store, q domain.ExportQuery) ([][]domain.ExportedHousehold, int64) {
	t.Helper()
	var batches [][]domain.ExportedHousehold
	position := int64(-1)
	if err := s.ExportHouseholds(t.Context(), q, func(pos int64, hs []domain.ExportedHousehold) error {
		if position != -1 && pos != position {
			t.Errorf("position %d after %d in one export", pos, position)
		}
		position = pos
		batches = append(batches, hs)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if position == -1 {
		t.Fatal("the export never called back (not even with the feed position)")
	}
	return batches, position
}

func exportedIDs(batches [][]domain.ExportedHousehold) []string {
	var ids []string
	for _, b := range batches {
		for _, h := range b {
			ids = append(ids, h.ID)
		}
	}
	return ids
}

func TestExportHouseholds(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		s := newStore(t, d)
		ctx := t.Context()
		// Created out of id order, in two townships, with different statuses; x5 is archived, x2 loses a
		// member to death.
		create := func(id, region string, status domain.RegistryStatus, members ...domain.Member) {
			h := household(id, region, "", members...)
			h.Status.Registry, h.History[0].Registry = status, status
			h.Urban = region == "990001001001" // as the service sets it from the region's master data
			if err := s.CreateHousehold(ctx, h); err != nil {
				t.Fatal(err)
			}
		}
		create("x3", "990001002001", domain.RegistryOrdinary, member(domain.RelationHead, "idx-x3-a"))
		create("x1", "990001001001", domain.RegistryPoor, member(domain.RelationHead, "idx-x1-a"),
			member(domain.RelationSpouse, "idx-x1-b"), member(domain.RelationSon, "idx-x1-c"))
		create("x2", "990001002001", domain.RegistryReturned, member(domain.RelationHead, "idx-x2-a"),
			member(domain.RelationDaughter, "idx-x2-b"))
		create("x5", "990001002001", domain.RegistryPoor, member(domain.RelationHead, "idx-x5-a"))
		create("x4", "990001001001", domain.RegistryExited, member(domain.RelationHead, "idx-x4-a"))
		if _, err := s.UpdateHousehold(ctx, "x2", func(h *domain.Household) error {
			h.Members[1].State, h.Members[1].EndDate, h.Members[1].EndReason = domain.MemberDeceased, "2025-01-02", "死亡"
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.UpdateHousehold(ctx, "x5", func(h *domain.Household) error {
			h.State, h.ArchiveReason = domain.HouseholdArchived, "合户"
			for i := range h.Members {
				h.Members[i].State, h.Members[i].EndDate = domain.MemberMovedOut, "2025-01-02"
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}

		t.Run("active households in id order with their current members only", func(t *testing.T) {
			batches := exportAll(t, s, domain.ExportQuery{BatchSize: 100})
			if len(batches) != 1 {
				t.Fatalf("%d batches, want 1", len(batches))
			}
			if got := exportedIDs(batches); !slices.Equal(got, []string{"x1", "x2", "x3", "x4"}) {
				t.Fatalf("households %v, want x1 x2 x3 x4 (x5 is archived)", got)
			}
			x1, x2 := batches[0][0], batches[0][1]
			if x1.RegionCode != "990001001001" || !x1.Urban || x1.Registry != domain.RegistryPoor || x1.Size != 3 || len(x1.Members) != 3 {
				t.Errorf("x1 %+v", x1)
			}
			if m := x1.Members[1]; m.IDIndex != "idx-x1-b" || m.Relation != domain.RelationSpouse || m.BirthDate != "1980-01-01" || m.PersonID == "" {
				t.Errorf("x1's second member %+v", m)
			}
			if x2.Registry != domain.RegistryReturned || x2.Urban || x2.Size != 1 || len(x2.Members) != 1 || x2.Members[0].IDIndex != "idx-x2-a" {
				t.Errorf("x2 after a death: %+v", x2)
			}
		})
		t.Run("batches hold batch size households, the last the rest", func(t *testing.T) {
			for _, tc := range []struct {
				size  int
				sizes []int
			}{{1, []int{1, 1, 1, 1}}, {3, []int{3, 1}}, {4, []int{4}}, {5, []int{4}}} {
				batches := exportAll(t, s, domain.ExportQuery{BatchSize: tc.size})
				var sizes []int
				for _, b := range batches {
					sizes = append(sizes, len(b))
				}
				if !slices.Equal(sizes, tc.sizes) || !slices.Equal(exportedIDs(batches), []string{"x1", "x2", "x3", "x4"}) {
					t.Errorf("batch size %d: batches of %v (%v), want %v", tc.size, sizes, exportedIDs(batches), tc.sizes)
				}
			}
		})
		t.Run("scope and statuses", func(t *testing.T) {
			for _, tc := range []struct {
				name string
				q    domain.ExportQuery
				want []string
			}{
				{"township", domain.ExportQuery{Scope: "990001002"}, []string{"x2", "x3"}},
				{"village", domain.ExportQuery{Scope: "990001001001"}, []string{"x1", "x4"}},
				{"no region", domain.ExportQuery{Scope: "none"}, nil},
				{"poor and returned", domain.ExportQuery{Statuses: []domain.RegistryStatus{domain.RegistryPoor, domain.RegistryReturned}}, []string{"x1", "x2"}},
				{"township and status", domain.ExportQuery{Scope: "990001001", Statuses: []domain.RegistryStatus{domain.RegistryExited}}, []string{"x4"}},
			} {
				tc.q.BatchSize = 2
				if got := exportedIDs(exportAll(t, s, tc.q)); !slices.Equal(got, tc.want) {
					t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
				}
			}
		})
		t.Run("the position is the feed's last change, also when nothing is exported", func(t *testing.T) {
			changes, err := s.Feed().List(ctx, outbox.Query{Limit: 1000})
			if err != nil || len(changes) == 0 {
				t.Fatalf("feed: %d changes, %v", len(changes), err)
			}
			last := changes[len(changes)-1].GetSequence()
			for _, q := range []domain.ExportQuery{{BatchSize: 2}, {Scope: "none", BatchSize: 2}} {
				batches, pos := exportWithPosition(t, s, q)
				if pos != last {
					t.Errorf("scope %q: position %d, want %d", q.Scope, pos, last)
				}
				if q.Scope == "none" && (len(batches) != 1 || len(batches[0]) != 0) {
					t.Errorf("an empty export gave %d batches, want one empty", len(batches))
				}
			}
		})
		t.Run("memberships with their dates and ends, and the status history of a period", func(t *testing.T) {
			if _, err := s.UpdateHousehold(ctx, "x1", func(h *domain.Household) error {
				h.Status.Registry = domain.RegistryExited
				h.History = append(h.History,
					domain.StatusChange{EffectiveDate: "2025-03-01", Registry: domain.RegistryExited, Reason: "脱贫", Actor: "t", RecordTime: h.UpdateTime},
					domain.StatusChange{EffectiveDate: "2026-05-01", Registry: domain.RegistryReturned, Reason: "返贫", Actor: "t", RecordTime: h.UpdateTime})
				h.Members[2].State, h.Members[2].EndDate, h.Members[2].EndReason = domain.MemberMovedOut, "2025-06-30", "迁出"
				h.Members[0].Person.Health, h.Members[0].Person.LabourAbility = domain.HealthChronicDisease, domain.LabourAbility(3)
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			plain := exportAll(t, s, domain.ExportQuery{BatchSize: 10, Scope: "990001001001"})[0][0]
			if plain.ID != "x1" || len(plain.Members) != 2 || len(plain.Ended) != 0 || plain.History != nil || plain.Members[0].State != 0 {
				t.Fatalf("without options: %+v", plain)
			}
			x1 := exportAll(t, s, domain.ExportQuery{BatchSize: 10, Scope: "990001001001", IncludeMemberships: true,
				HistoryFrom: "2025-01-01", HistoryTo: "2025-12-31"})[0][0]
			if len(x1.Members) != 2 || len(x1.Ended) != 1 {
				t.Fatalf("members %d, ended %d; want 2 and 1", len(x1.Members), len(x1.Ended))
			}
			if m := x1.Members[0]; m.State != domain.MemberActive || m.StartDate != "2024-01-01" || m.Health != domain.HealthChronicDisease ||
				m.LabourAbility != domain.LabourAbility(3) {
				t.Errorf("head %+v", m)
			}
			if m := x1.Ended[0]; m.State != domain.MemberMovedOut || m.EndDate != "2025-06-30" || m.EndReason != "迁出" || m.IDIndex != "idx-x1-c" {
				t.Errorf("ended %+v", m)
			}
			var dates []string
			for _, st := range x1.History {
				dates = append(dates, st.EffectiveDate+" "+st.Reason)
			}
			// The entry in force on 2025-01-01 (registration in 2024), the exit in the period; not the return of 2026.
			if !slices.Equal(dates, []string{"2024-01-01 登记", "2025-03-01 脱贫"}) {
				t.Errorf("history %v", dates)
			}
			if x1.CreateDate == "" {
				t.Error("no create date")
			}
		})
		t.Run("an error from the receiver stops the export", func(t *testing.T) {
			stop := errors.New("receiver gone")
			calls := 0
			err := s.ExportHouseholds(ctx, domain.ExportQuery{BatchSize: 1}, func(int64, []domain.ExportedHousehold) error {
				calls++
				return stop
			})
			if !errors.Is(err, stop) || calls != 1 {
				t.Errorf("err %v after %d calls", err, calls)
			}
		})
		t.Run("a cancelled read fails", func(t *testing.T) {
			cctx, cancel := context.WithCancel(ctx)
			cancel()
			if err := s.ExportHouseholds(cctx, domain.ExportQuery{BatchSize: 10}, func(int64, []domain.ExportedHousehold) error { return nil }); err == nil {
				t.Error("export under a cancelled context succeeded")
			}
		})
	})
}
