package store_test

import (
	"slices"
	"testing"
	"time"

	"fupin.dev/services/platform/sqldb"
	"fupin.dev/services/platform/sqldb/sqldbtest"
	"fupin.dev/services/subsidies/internal/domain"
)

func TestRegisterChangeJournal(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		s := newStore(t, d)
		ctx := t.Context()
		at := time.Date(2026, 3, 5, 10, 0, 0, 0, time.UTC)
		changes := []domain.HouseholdChange{
			{Sequence: 3, Topic: "household.created", HouseholdID: "h1", RegionCode: "990001001001", RegistryStatus: 1,
				EffectiveDate: "2026-03-05", Size: 3},
			{Sequence: 7, Topic: "household.members_changed", HouseholdID: "h1", RegionCode: "990001001001", RegistryStatus: 2,
				MonitoringType: 1, MonitoringStatus: 1, EffectiveDate: "2026-03-04", Size: 1, DepartedPersonIDs: []string{"p2", "p3"},
				Reason: "死亡"},
			{Sequence: 8, Topic: "household.created", HouseholdID: "h2", RegionCode: "990001002003", RegistryStatus: 1,
				EffectiveDate: "2026-03-05", Size: 2},
		}
		for _, c := range changes {
			if err := s.RecordRegisterChange(ctx, c, at); err != nil {
				t.Fatal(err)
			}
		}
		for _, tc := range []struct {
			name      string
			household string
			after     int64
			limit     int
			want      []domain.HouseholdChange
		}{
			{"every change in feed order", "", 0, 10, changes},
			{"one household", "h1", 0, 10, changes[:2]},
			{"after a sequence", "", 3, 10, changes[1:]},
			{"limited", "", 0, 1, changes[:1]},
		} {
			got, err := s.RegisterChanges(ctx, tc.household, tc.after, tc.limit)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.EqualFunc(got, tc.want, func(a, b domain.HouseholdChange) bool {
				return a.Sequence == b.Sequence && a.Topic == b.Topic && a.HouseholdID == b.HouseholdID &&
					a.RegionCode == b.RegionCode && a.RegistryStatus == b.RegistryStatus && a.MonitoringType == b.MonitoringType &&
					a.MonitoringStatus == b.MonitoringStatus && a.EffectiveDate == b.EffectiveDate && a.Size == b.Size &&
					slices.Equal(a.DepartedPersonIDs, b.DepartedPersonIDs) && a.Reason == b.Reason
			}) {
				t.Errorf("%s: got %+v\nwant %+v", tc.name, got, tc.want)
			}
		}
		if err := s.RecordRegisterChange(ctx, changes[1], at); err == nil {
			t.Error("a change journalled twice was accepted")
		}
	})
}
