package store_test

import (
	"reflect"
	"testing"

	"fupin.dev/services/platform/apperr"
	"fupin.dev/services/platform/sqldb"
	"fupin.dev/services/platform/sqldb/sqldbtest"
	"fupin.dev/services/subsidies/internal/domain"
)

func TestListTemporaryAssistances(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		s := newStore(t, d)
		ctx := t.Context()
		add := func(id, household, region string, kind domain.AssistanceKind, state domain.AssistanceState, applied string) *domain.TemporaryAssistance {
			a := &domain.TemporaryAssistance{ID: id, HouseholdID: household, RegionCode: region, Kind: kind, AmountFen: 100_000,
				Reason: "事由", ApplicationDate: applied, CapFen: 600_000, State: state, CreatedBy: "u", Version: 1,
				CreateTime: storeTime, UpdateTime: storeTime}
			if err := s.CreateTemporaryAssistance(ctx, a); err != nil {
				t.Fatal(err)
			}
			return a
		}
		first := add("t1", "h1", "990001001001", domain.AssistanceEmergency, domain.AssistancePending, "2026-01-05")
		add("t2", "h2", "990001001002", domain.AssistanceSpending, domain.AssistanceApproved, "2026-02-10")
		add("t3", "h3", "990001002003", domain.AssistanceEmergency, domain.AssistanceRefused, "2026-02-28")
		add("t4", "h1", "990001001001", domain.AssistanceSpending, domain.AssistancePending, "2026-03-01")
		add("t5", "h10", "990001001001", domain.AssistanceEmergency, domain.AssistanceApproved, "2026-03-02")
		tests := []struct {
			name   string
			scope  string
			filter string
			want   []string
		}{
			{"the county, in id order", "", "", []string{"t1", "t2", "t3", "t4", "t5"}},
			{"a township: its region only, in SQL", "990001001", "", []string{"t1", "t2", "t4", "t5"}},
			{"a village", "990001001002", "", []string{"t2"}},
			{"a region of nothing", "990001003", "", nil},
			{"by kind", "", "kind = TEMPORARY_ASSISTANCE_KIND_EMERGENCY", []string{"t1", "t3", "t5"}},
			{"by state, not", "", "state != TEMPORARY_ASSISTANCE_STATE_PENDING", []string{"t2", "t3", "t5"}},
			{"kind and state within a township", "990001001", "kind = TEMPORARY_ASSISTANCE_KIND_SPENDING AND state = TEMPORARY_ASSISTANCE_STATE_PENDING",
				[]string{"t4"}},
			{"a region prefix", "", `region_code:"990001002"`, []string{"t3"}},
			{"a region prefix outside the scope widens nothing", "990001001", `region_code:"990001002"`, nil},
			{"a household by its name, exactly", "", `household = "households/h1"`, []string{"t1", "t4"}},
			{"application dates", "", `application_date >= "2026-02-10" AND application_date < "2026-03-02"`, []string{"t2", "t3", "t4"}},
			{"application dates of a month", "", `application_date:"2026-02"`, []string{"t2", "t3"}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				var got []string
				after := ""
				for range 10 {
					page, next, err := s.ListTemporaryAssistances(ctx, domain.AssistanceQuery{Scope: tt.scope, Filter: tt.filter, After: after, Limit: 2})
					if err != nil {
						t.Fatal(err)
					}
					if len(page) > 2 {
						t.Fatalf("a page of %d", len(page))
					}
					for _, a := range page {
						got = append(got, a.ID)
					}
					if after = next; after == "" {
						break
					}
				}
				if !reflect.DeepEqual(got, tt.want) {
					t.Errorf("got %v, want %v", got, tt.want)
				}
			})
		}
		t.Run("rows read back whole", func(t *testing.T) {
			page, next, err := s.ListTemporaryAssistances(ctx, domain.AssistanceQuery{Limit: 1})
			if err != nil || len(page) != 1 || next != "t1" {
				t.Fatalf("page %v next %q %v", page, next, err)
			}
			if !reflect.DeepEqual(page[0], first) {
				t.Errorf("got %+v\nwant %+v", page[0], first)
			}
		})
		t.Run("a bad filter is a bad request naming the filter", func(t *testing.T) {
			for _, f := range []string{"colour = red", "kind = FIRE", `region_code:"99x"`, `application_date = "March"`, "state > TEMPORARY_ASSISTANCE_STATE_PENDING"} {
				_, _, err := s.ListTemporaryAssistances(ctx, domain.AssistanceQuery{Filter: f, Limit: 5})
				e, ok := apperr.As(err)
				if !ok || e.Kind != apperr.KindInvalid || len(e.Fields) != 1 || e.Fields[0].Field != "filter" {
					t.Errorf("%s: %v", f, err)
				}
			}
		})
	})
}
