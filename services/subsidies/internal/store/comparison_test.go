package store_test

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"fupin.dev/services/platform/apperr"
	"fupin.dev/services/platform/sqldb"
	"fupin.dev/services/platform/sqldb/sqldbtest"
	"fupin.dev/services/subsidies/internal/domain"
)

func TestDibaoHouseholds(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		s := newStore(t, d)
		ctx := t.Context()
		at := time.UnixMicro(time.Date(2026, 1, 5, 10, 0, 0, 0, time.UTC).UnixMicro())
		n := 0
		grant := func(program domain.Program, household, region, from, to, source string, covered int) {
			n++
			e := &domain.Entitlement{ID: fmt.Sprintf("e%02d", n), Program: program, Beneficiary: "households/" + household,
				HouseholdID: household, RegionCode: region, Source: source, FromMonth: from, ToMonth: to, AmountFen: 1000,
				Covered: covered, CreateTime: at.Add(time.Duration(n) * time.Second), UpdateTime: at}
			if to != "" {
				e.EndReason = "changed"
			}
			if err := s.GrantEntitlement(ctx, e); err != nil {
				t.Fatal(err)
			}
		}
		grant(domain.ProgramDibao, "h1", "990001001001", "2026-01", "2026-02", "dibaoCases/c1", 3)
		grant(domain.ProgramDibao, "h1", "990001001001", "2026-03", "", "dibaoCases/c1", 2) // a death reduced the covered persons
		grant(domain.ProgramDibao, "h2", "990001001002", "2025-06", "2026-02", "dibaoCases/c2", 1)
		grant(domain.ProgramDibao, "h3", "990001001001", "2026-04", "", "dibaoCases/c3", 4)
		grant(domain.ProgramCareSubsidy, "h4", "990001001001", "2026-01", "", "disabilitySubsidies/s4", 1)
		grant(domain.ProgramDibao, "h5", "990001002003", "2024-01", "", "dibaoCases/c5", 1)
		for _, tc := range []struct {
			month, scope string
			want         []string // household:covered
		}{
			{"2026-03", "", []string{"h1:2", "h5:1"}},
			{"2026-02", "", []string{"h1:3", "h2:1", "h5:1"}},
			{"2026-01", "990001001", []string{"h1:3", "h2:1"}},
			{"2026-04", "990001001001", []string{"h1:2", "h3:4"}},
			{"2023-12", "", nil},
			{"2026-03", "none", nil},
		} {
			got, err := s.DibaoHouseholds(ctx, tc.month, tc.scope)
			if err != nil {
				t.Fatal(err)
			}
			var short []string
			for _, h := range got {
				short = append(short, fmt.Sprintf("%s:%d", h.HouseholdID, h.Covered))
				if h.Source == "" || h.RegionCode == "" {
					t.Errorf("incomplete %+v", h)
				}
			}
			if !slices.Equal(short, tc.want) {
				t.Errorf("month %s scope %q: %v, want %v", tc.month, tc.scope, short, tc.want)
			}
		}
		t.Run("covered persons carry their blind indexes, those who left only before they left", func(t *testing.T) {
			c := coverage("c1", "h1", "990001001001", "2026-09-01")
			c.Members[1].ToMonth, c.Members[1].EndReason = "2026-02", "death"
			if err := s.CreateDibaoCoverage(ctx, c); err != nil {
				t.Fatal(err)
			}
			for month, want := range map[string][]string{
				"2026-02": {"idx-h1-a", "idx-h1-b"},
				"2026-03": {"idx-h1-a"},
			} {
				got, err := s.DibaoHouseholds(ctx, month, "")
				if err != nil {
					t.Fatal(err)
				}
				if got[0].HouseholdID != "h1" || !slices.Equal(got[0].IDIndexes, want) {
					t.Errorf("%s: %s has %v, want %v", month, got[0].HouseholdID, got[0].IDIndexes, want)
				}
				if len(got[len(got)-1].IDIndexes) != 0 {
					t.Errorf("%s: h5 recorded no members but got %v", month, got[len(got)-1].IDIndexes)
				}
			}
		})
	})
}

func TestComparisonStore(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		s := newStore(t, d)
		ctx := t.Context()
		at := time.UnixMicro(time.Date(2026, 3, 5, 10, 0, 0, 0, time.UTC).UnixMicro())
		run := func(id, region string, mismatches ...domain.Mismatch) *domain.Comparison {
			c := &domain.Comparison{ID: id, Month: "2026-03", RegionCode: region, ComparisonCounts: domain.ComparisonCounts{
				RegisterHouseholds: 350_000, RegisterPersons: 1_200_000, Registered: 60_000, DibaoHouseholds: 40_000,
				RegisteredCovered: 30_000, RegisteredNotCovered: 30_000, DibaoNotRegistered: 10_000},
				PolicyHash: "hash", Actor: "u-civil", CreateTime: at, Duration: 4200 * time.Millisecond}
			if err := s.SaveComparison(ctx, c, mismatches); err != nil {
				t.Fatal(err)
			}
			return c
		}
		var many []domain.Mismatch
		for i := range 25_001 { // more than one PostgreSQL chunk
			kind, reason := domain.MismatchRegisteredNotCovered, domain.ReasonPoorNotCovered
			if i >= 20_000 {
				kind, reason = domain.MismatchDibaoNotRegistered, domain.ReasonNotInRegister
			}
			region := "990001001001"
			if i%2 == 1 {
				region = "990001002003"
			}
			many = append(many, domain.Mismatch{Seq: i + 1, Kind: kind, Reason: reason, HouseholdID: fmt.Sprintf("h%05d", i),
				RegionCode: region, Registry: 2, MonitoringType: 1, MonitoringStatus: 1, RegisterSize: 3,
				DibaoSource: "dibaoCases/x", Covered: 2})
		}
		county := run("01-county", "", many...)
		run("02-township", "990001002")
		run("03-other", "990001001001")

		t.Run("a run reads back whole", func(t *testing.T) {
			got, err := s.GetComparison(ctx, county.ID)
			if err != nil {
				t.Fatal(err)
			}
			if *got != *county {
				t.Errorf("got %+v\nwant %+v", got, county)
			}
			if _, err := s.GetComparison(ctx, "nope"); !errors.Is(err, domain.ErrComparisonNotFound) {
				t.Errorf("unknown run: %v", err)
			}
		})
		t.Run("runs overlapping the scope, newest first, paged", func(t *testing.T) {
			for _, tc := range []struct {
				scope string
				want  []string
			}{
				{"", []string{"03-other", "02-township", "01-county"}},
				{"990001002", []string{"02-township", "01-county"}},
				{"990001002003", []string{"02-township", "01-county"}},
				{"990001001", []string{"03-other", "01-county"}},
			} {
				var ids []string
				after := ""
				for {
					page, err := s.ListComparisons(ctx, tc.scope, after, 1)
					if err != nil {
						t.Fatal(err)
					}
					if len(page) == 0 {
						break
					}
					ids = append(ids, page[0].ID)
					after = page[0].ID
				}
				if !slices.Equal(ids, tc.want) {
					t.Errorf("scope %q: %v, want %v", tc.scope, ids, tc.want)
				}
			}
		})
		t.Run("mismatches by scope and filter, paged by seq", func(t *testing.T) {
			for _, tc := range []struct {
				name, scope, filter string
				want                int
			}{
				{"all", "", "", 25_001},
				{"a township's share", "990001002", "", 12_500},
				{"by kind", "", "kind = MISMATCH_KIND_DIBAO_NOT_REGISTERED", 5_001},
				{"by reason and region", "", `reason = MISMATCH_REASON_POOR_NOT_COVERED AND region_code:"990001001"`, 10_000},
				{"scope and filter", "990001002", "kind = MISMATCH_KIND_DIBAO_NOT_REGISTERED", 2_500},
			} {
				total, after, last := 0, 0, 0
				for {
					page, err := s.ListMismatches(ctx, domain.MismatchQuery{ComparisonID: county.ID, Scope: tc.scope,
						Filter: tc.filter, After: after, Limit: 1000})
					if err != nil {
						t.Fatal(err)
					}
					if len(page) == 0 {
						break
					}
					for _, m := range page {
						if m.Seq <= last {
							t.Fatalf("%s: seq %d after %d", tc.name, m.Seq, last)
						}
						last = m.Seq
					}
					total += len(page)
					after = page[len(page)-1].Seq
				}
				if total != tc.want {
					t.Errorf("%s: %d mismatches, want %d", tc.name, total, tc.want)
				}
			}
			page, err := s.ListMismatches(ctx, domain.MismatchQuery{ComparisonID: county.ID, After: 20_000, Limit: 1})
			if err != nil || len(page) != 1 || page[0] != many[20_000] {
				t.Errorf("mismatch 20001: %+v %v, want %+v", page, err, many[20_000])
			}
			_, err = s.ListMismatches(ctx, domain.MismatchQuery{ComparisonID: county.ID, Filter: "household = 1", Limit: 10})
			if ae, ok := apperr.As(err); !ok || ae.Kind != apperr.KindInvalid {
				t.Errorf("unknown filter field: %v", err)
			}
		})
		t.Run("a run is stored whole or not at all", func(t *testing.T) {
			bad := &domain.Comparison{ID: "04-bad", Month: "2026-03", CreateTime: at}
			dup := []domain.Mismatch{{Seq: 1, Kind: 1, Reason: 1, HouseholdID: "a"}, {Seq: 1, Kind: 1, Reason: 1, HouseholdID: "b"}}
			if err := s.SaveComparison(ctx, bad, dup); err == nil {
				t.Fatal("two mismatches with one seq were stored")
			}
			if _, err := s.GetComparison(ctx, bad.ID); !errors.Is(err, domain.ErrComparisonNotFound) {
				t.Errorf("the failed run was kept: %v", err)
			}
		})
	})
}
