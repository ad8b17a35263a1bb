package store_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"fupin.dev/services/identification/internal/domain"
	"fupin.dev/services/platform/sqldb"
	"fupin.dev/services/platform/sqldb/sqldbtest"
)

func TestVisitStore(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		s := newStatsStore(t, d)
		ctx := t.Context()
		seedScenario(t, s)
		rec := time.UnixMicro(noon("2025-01-02").UnixMicro())
		helpers := []*domain.Helper{
			{ID: "hp1", HouseholdID: "h1", FullName: "甲", PhoneCipher: []byte("c1"), PhoneMasked: "138****0001", WorkUnit: "县教育局",
				Primary: true, StartDate: "2025-01-01", BackdateReason: "补录", Actor: "a", RecordTime: rec},
			{ID: "hp2", HouseholdID: "h1", FullName: "乙", PhoneCipher: []byte("c2"), PhoneMasked: "138****0002", StartDate: "2025-02-01",
				EndDate: "2025-12-31", Actor: "a", RecordTime: rec.Add(time.Second)},
			{ID: "hp3", HouseholdID: "h2", FullName: "丙", PhoneCipher: []byte("c3"), PhoneMasked: "138****0003", Primary: true,
				StartDate: "2025-01-01", Actor: "a", RecordTime: rec},
		}
		for _, h := range helpers {
			if err := s.CreateHelper(ctx, h); err != nil {
				t.Fatal(err)
			}
		}
		t.Run("helpers round trip in the order they were made", func(t *testing.T) {
			got, err := s.Helpers(ctx, "h1")
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 2 || got[0].ID != "hp1" || got[1].ID != "hp2" {
				t.Fatalf("got %+v", got)
			}
			g := got[0]
			if !g.Primary || g.FullName != "甲" || string(g.PhoneCipher) != "c1" || g.WorkUnit != "县教育局" || g.BackdateReason != "补录" ||
				!g.RecordTime.Equal(rec) || !g.EndTime.IsZero() || got[1].EndDate != "2025-12-31" {
				t.Errorf("got %+v", g)
			}
			many, err := s.HelpersOf(ctx, []string{"h1", "h2", "nobody"})
			if err != nil || len(many["h1"]) != 2 || len(many["h2"]) != 1 || len(many["nobody"]) != 0 {
				t.Errorf("HelpersOf %v %v", many, err)
			}
		})
		t.Run("ending an assignment", func(t *testing.T) {
			h := *helpers[1]
			h.EndDate, h.EndReason, h.EndActor, h.EndTime = "2025-03-01", "调离", "b", rec.Add(time.Hour)
			if err := s.EndHelper(ctx, &h); err != nil {
				t.Fatal(err)
			}
			got, _ := s.Helpers(ctx, "h1")
			if got[1].EndDate != "2025-03-01" || got[1].EndReason != "调离" || got[1].EndActor != "b" || !got[1].EndTime.Equal(h.EndTime) {
				t.Errorf("got %+v", got[1])
			}
			missing := h
			missing.ID = "nobody"
			if err := s.EndHelper(ctx, &missing); !errors.Is(err, domain.ErrHelperNotFound) {
				t.Errorf("ending an unknown assignment: %v", err)
			}
		})
		t.Run("visits page newest first with the helper's name", func(t *testing.T) {
			for i, date := range []string{"2025-01-05", "2025-02-05", "2025-02-05", "2025-03-05"} {
				v := &domain.Visit{ID: fmt.Sprintf("v%d", i), HouseholdID: "h1", HelperID: "hp1", Date: date, Kind: domain.VisitKindHome,
					Notes: "n", Findings: "f", Actor: "a", RecordTime: rec}
				if err := s.CreateVisit(ctx, v); err != nil {
					t.Fatal(err)
				}
			}
			var got []string
			after := domain.VisitCursor{}
			for {
				page, err := s.Visits(ctx, "h1", after, 3)
				if err != nil {
					t.Fatal(err)
				}
				for _, v := range page {
					got = append(got, v.ID+"@"+v.Date+":"+v.HelperName)
				}
				if len(page) < 3 {
					break
				}
				after = domain.VisitCursor{Date: page[len(page)-1].Date, ID: page[len(page)-1].ID}
			}
			want := "[v3@2025-03-05:甲 v2@2025-02-05:甲 v1@2025-02-05:甲 v0@2025-01-05:甲]"
			if fmt.Sprint(got) != want {
				t.Errorf("got %v, want %s", got, want)
			}
			all, err := s.AllVisits(ctx, "h1")
			if err != nil || len(all) != 4 || all[0].ID != "v0" {
				t.Errorf("all %v %v", all, err)
			}
			last, err := s.LastVisitBy(ctx, "hp1")
			if err != nil || last != "2025-03-05" {
				t.Errorf("last visit %q %v", last, err)
			}
			none, err := s.LastVisitBy(ctx, "hp3")
			if err != nil || none != "" {
				t.Errorf("no visits: %q %v", none, err)
			}
		})
		t.Run("lock household", func(t *testing.T) {
			err := s.InTx(ctx, func(ctx context.Context) error {
				ref, err := s.LockHousehold(ctx, "h4")
				if err != nil {
					return err
				}
				if ref.RegionCode != statsVillage || ref.State != domain.HouseholdArchived {
					t.Errorf("ref %+v", ref)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := s.LockHousehold(ctx, "nobody"); !errors.Is(err, domain.ErrHouseholdNotFound) {
				t.Errorf("unknown household: %v", err)
			}
		})
		t.Run("regions under a prefix, with populations", func(t *testing.T) {
			rs, err := s.RegionsUnder(ctx, "990001002")
			if err != nil {
				t.Fatal(err)
			}
			var codes []string
			for _, r := range rs {
				codes = append(codes, r.Code)
			}
			if fmt.Sprint(codes) != "[990001002000 990001002001 990001002003]" || len(rs[2].Populations) != 2 {
				t.Errorf("got %v", codes)
			}
		})
		t.Run("overdue households by group cutoff", func(t *testing.T) {
			// h1: first assignment 2025-01-01, last visit 2025-03-05; h2: assignment 2025-01-01, never visited.
			q := domain.OverdueQuery{Scope: "990001", Date: "2025-04-10", AsOf: at("2025-04-10"), Limit: 10,
				Groups: []domain.OverdueGroup{{Villages: []string{statsVillage}, Cutoff: "2025-03-05"}}}
			got, err := s.OverdueHouseholds(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 1 || got[0].HouseholdID != "h2" || got[0].Reference != "2025-01-01" || got[0].LastVisit != "" {
				t.Errorf("cutoff 2025-03-05: %+v", got)
			}
			q.Groups[0].Cutoff = "2025-03-06"
			got, err = s.OverdueHouseholds(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 2 || got[0].HouseholdID != "h1" || got[0].Reference != "2025-03-05" {
				t.Errorf("cutoff 2025-03-06: %+v", got)
			}
			// The count ignores the page: the cursor past h1 and a limit of 1 still count both.
			q.After, q.Limit = "h1", 1
			if n, err := s.CountOverdueHouseholds(ctx, q); err != nil || n != 2 {
				t.Errorf("count %d %v, want 2", n, err)
			}
			q.After, q.Limit = "", 10
			q.Groups = []domain.OverdueGroup{{Prefix: "990001001", Cutoff: "2025-12-31"}}
			if got, err := s.OverdueHouseholds(ctx, q); err != nil || len(got) != 0 {
				t.Errorf("another township's prefix: %+v %v", got, err)
			}
			if n, err := s.CountOverdueHouseholds(ctx, q); err != nil || n != 0 {
				t.Errorf("another township's count: %d %v", n, err)
			}
		})
	})
}
