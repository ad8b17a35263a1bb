package domain_test

import (
	"strconv"
	"strings"
	"testing"

	"fupin.dev/services/identification/internal/domain"
	"fupin.dev/services/platform/policy"
	"fupin.dev/services/platform/sqldb"
	"fupin.dev/services/platform/sqldb/sqldbtest"
)

func TestIncidenceBelow(t *testing.T) {
	twoPercent := policy.Ratio{Num: 2, Den: 100}
	tests := []struct {
		name    string
		r       domain.Incidence
		max     policy.Ratio
		below   bool
		bp      int64
		display string
	}{
		{"exactly 2% is not below 2%", domain.Incidence{Poor: 4, Population: 200}, twoPercent, false, 200, "2.00% (4/200)"},
		{"just under 2%", domain.Incidence{Poor: 3999, Population: 200000}, twoPercent, true, 200, "2.00% (3999/200000)"},
		{"just over 2%", domain.Incidence{Poor: 4001, Population: 200000}, twoPercent, false, 200, "2.00% (4001/200000)"},
		{"no poor at all", domain.Incidence{Poor: 0, Population: 1000}, twoPercent, true, 0, "0.00% (0/1000)"},
		{"western regions' 3%", domain.Incidence{Poor: 5, Population: 200}, policy.Ratio{Num: 3, Den: 100}, true, 250, "2.50% (5/200)"},
		{"basis points round half up", domain.Incidence{Poor: 1, Population: 16000}, twoPercent, true, 1, "0.01% (1/16000)"},
		{"a third", domain.Incidence{Poor: 1, Population: 3}, twoPercent, false, 3333, "33.33% (1/3)"},
		{"two thirds", domain.Incidence{Poor: 2, Population: 3}, twoPercent, false, 6667, "66.67% (2/3)"},
		{"large numbers stay exact", domain.Incidence{Poor: 1 << 40, Population: 1 << 46}, policy.Ratio{Num: 1 << 40, Den: 1 << 46}, false, 156, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.r.Below(tt.max); got != tt.below {
				t.Errorf("Below = %v, want %v", got, tt.below)
			}
			if got := tt.r.BasisPoints(); got != tt.bp {
				t.Errorf("BasisPoints = %d, want %d", got, tt.bp)
			}
			if tt.display != "" && tt.r.String() != tt.display {
				t.Errorf("String = %q, want %q", tt.r.String(), tt.display)
			}
		})
	}
	if r := (domain.Incidence{Poor: 3}); r.Defined() || r.BasisPoints() != 0 {
		t.Error("an unknown population must leave the rate undefined")
	}
}

// poorHousehold registers a poor household of n persons in a village today.
func (f *areaFixture) poorHousehold(t *testing.T, village string, n int) *domain.Household {
	t.Helper()
	var members []domain.Member
	for i := range n {
		f.seq++
		rel := domain.RelationSon
		if i == 0 {
			rel = domain.RelationHead
		}
		members = append(members, m(rel, id("19800101", 100+f.seq)))
	}
	h, err := f.svc.CreateHousehold(t.Context(), county, domain.NewHousehold{RegionCode: village, Registry: domain.RegistryPoor, Members: members})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func TestVillageExit(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		f := newAreaFixture(t, d)
		ctx := t.Context()
		// 红桥村 (200 residents in 2025): two poor households of two from 2025-01-10, 4/200 = 2%.
		f.set("2025-01-10")
		a := f.poorHousehold(t, areaVillage, 2)
		f.poorHousehold(t, areaVillage, 2)
		// A member dies on 2025-06-01: 3/200 = 1.5% from that day.
		f.set("2025-06-15")
		if _, err := f.svc.RecordDeparture(ctx, county, a.ID, "", domain.Departure{PersonID: a.Members[1].PersonID, Date: "2025-06-01",
			State: domain.MemberDeceased}); err != nil {
			t.Fatal(err)
		}
		record := func(village string, year int, fen int64) {
			t.Helper()
			if _, err := f.stats.RecordCollectiveIncome(ctx, county, domain.CollectiveIncome{RegionCode: village, Year: year, AmountFen: fen}); err != nil {
				t.Fatal(err)
			}
		}
		record(areaVillage, 2025, 4_000_000)
		record(areaVillage, 2025, 5_000_000) // a correction: the latest revision counts
		record(areaVillage2, 2025, 4_999_999)
		tests := []struct {
			name       string
			village    string
			date       string
			year       int
			eligible   bool
			incidence  bool // the incidence condition passed
			income     bool // the income condition passed
			inDescribe []string
		}{
			{"incidence exactly at 2% is not below it", areaVillage, "2025-05-31", 0, false, false, true,
				[]string{"2.00% (4/200) is not below 2/100", "50000.00 元 is at least 50000.00 元"}},
			{"after the death the incidence is below and income exactly at the minimum passes", areaVillage, "2025-06-01", 0, true, true, true,
				[]string{"1.50% (3/200) is below 2/100"}},
			{"one fen below the minimum fails", areaVillage2, "2025-06-15", 0, false, true, false, []string{"49999.99 元 is below 50000.00 元"}},
			{"no income recorded for the year fails", areaVillage, "2025-06-15", 2024, false, true, false, []string{"no collective income is recorded for 2024"}},
			{"the population of the date's year: 2024 before anyone was registered", areaVillage, "2024-12-31", 2025, true, true, true,
				[]string{"0.00% (0/150)", "population of 2024"}},
			{"no master-data population: the incidence is undefined", areaOther, "2025-06-15", 0, false, false, false,
				[]string{"cannot be computed"}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				a, err := f.stats.AssessVillageExit(ctx, county, tt.village, tt.date, tt.year)
				if err != nil {
					t.Fatal(err)
				}
				if a.Eligible != tt.eligible || a.Conditions[0].Passed != tt.incidence || a.Conditions[1].Passed != tt.income {
					t.Errorf("eligible %v, conditions %+v", a.Eligible, a.Conditions)
				}
				text := a.Conditions[0].Description + " | " + a.Conditions[1].Description
				for _, want := range tt.inDescribe {
					if !strings.Contains(text, want) {
						t.Errorf("explanation %q lacks %q", text, want)
					}
				}
				if len(a.Policies) != 2 || a.Policies[0].Hash == "" || a.Policies[1].Parameter != domain.ParamVillageExitMinIncome {
					t.Errorf("policies %+v", a.Policies)
				}
			})
		}
		refusals := []struct {
			name, village, date, reason string
			caller                      domain.Caller
		}{
			{"an urban community has no village exit", areaUrban, "", domain.ReasonRegionUnknown, county},
			{"a township is not a village", "990001002000", "", domain.ReasonRegionUnknown, county},
			{"no policy in force before 2024", areaVillage, "2023-12-31", domain.ReasonPolicyValueMissing, county},
			{"a future date", areaVillage, "2025-06-16", domain.ReasonDateInvalid, county},
			{"a village outside the caller's scope", areaVillage, "", domain.ReasonOutOfRegionScope, domain.Caller{Scope: "990001003"}},
			{"an unknown region", "990001009009", "", domain.ReasonRegionUnknown, county},
		}
		for _, tt := range refusals {
			t.Run(tt.name, func(t *testing.T) {
				_, err := f.stats.AssessVillageExit(ctx, tt.caller, tt.village, tt.date, 0)
				wantReason(t, err, tt.reason, "")
			})
		}
	})
}

func TestComputeStatistics(t *testing.T) {
	f := newAreaFixture(t, sqldb.SQLite)
	ctx := t.Context()
	f.set("2025-01-10")
	f.poorHousehold(t, areaVillage, 3)
	f.poorHousehold(t, areaVillage2, 2)
	f.poorHousehold(t, areaUrban, 1) // urban: not in the poor population
	f.household(t, areaOther)
	f.set("2025-06-15")
	exited := f.poorHousehold(t, areaVillage, 1)
	if _, err := f.svc.SetRegistryStatus(ctx, county, exited.ID, "", domain.RegistryExited, "2025-06-15", "脱贫"); err != nil {
		t.Fatal(err)
	}
	t.Run("a township with its villages, rolled up", func(t *testing.T) {
		rep, err := f.stats.Compute(ctx, domain.Caller{Scope: "990001002"}, "990001002000", "", 0)
		if err != nil {
			t.Fatal(err)
		}
		var codes []string
		for _, r := range rep.Regions {
			codes = append(codes, r.Region.Code)
		}
		if strings.Join(codes, ",") != "990001002000,990001002001,990001002002" {
			t.Fatalf("regions %v", codes)
		}
		town, v1, v2 := rep.Regions[0], rep.Regions[1], rep.Regions[2]
		if town.PoorPersons != 5 || v1.PoorPersons != 3 || v2.PoorPersons != 2 || town.Persons != 6 || town.Households != 3 {
			t.Errorf("poor %d = %d + %d; persons %d, households %d", town.PoorPersons, v1.PoorPersons, v2.PoorPersons, town.Persons, town.Households)
		}
		if town.RuralPopulation != 500 || town.Incidence != (domain.Incidence{Poor: 5, Population: 500}) || town.PopulationYear != 2025 {
			t.Errorf("township population %d (%d), incidence %v", town.RuralPopulation, town.PopulationYear, town.Incidence)
		}
		if len(town.Exits) != 1 || town.Exits[0].Year != 2025 || town.Exits[0].Households != 1 || town.Exits[0].Persons != 1 {
			t.Errorf("exits %+v", town.Exits)
		}
		if town.VillageExit != nil || v1.VillageExit == nil || v1.VillageExit.Eligible {
			t.Errorf("village exit: township %v, village %+v", town.VillageExit, v1.VillageExit)
		}
		if rep.Date != "2025-06-15" || rep.IncomeYear != 2025 {
			t.Errorf("date %s, income year %d", rep.Date, rep.IncomeYear)
		}
	})
	t.Run("the county counts urban households but not as poor", func(t *testing.T) {
		rep, err := f.stats.Compute(ctx, county, "990001000000", "", 0)
		if err != nil {
			t.Fatal(err)
		}
		c := rep.Regions[0]
		if c.Households != 5 || c.Persons != 9 || c.RuralPersons != 8 || c.PoorPersons != 5 || len(rep.Regions) != 8 {
			t.Errorf("county %+v, %d regions", c, len(rep.Regions))
		}
		var poorAll int64
		for _, r := range c.Registry {
			if r.Status == domain.RegistryPoor {
				poorAll = r.Persons
			}
		}
		if poorAll != 6 {
			t.Errorf("persons of POOR households in all villages %d, want 6 (the urban one included)", poorAll)
		}
	})
	t.Run("before the households were registered", func(t *testing.T) {
		rep, err := f.stats.Compute(ctx, county, "990001000000", "2025-01-09", 0)
		if err != nil {
			t.Fatal(err)
		}
		if rep.Regions[0].Households != 0 {
			t.Errorf("households %d", rep.Regions[0].Households)
		}
	})
	t.Run("before any policy: statistics, but village exit not assessed", func(t *testing.T) {
		rep, err := f.stats.Compute(ctx, county, "990001000000", "2023-06-30", 0)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(rep.VillageExitNote, domain.ParamVillageExitMaxIncidence) {
			t.Errorf("note %q", rep.VillageExitNote)
		}
		for _, r := range rep.Regions {
			if r.VillageExit != nil {
				t.Errorf("%s assessed", r.Region.Code)
			}
		}
	})
	refusals := []struct {
		name, region, date string
		year               int
		caller             domain.Caller
		reason             string
	}{
		{"a township officer asking for the county", "990001000000", "", 0, domain.Caller{Scope: "990001002"}, domain.ReasonOutOfRegionScope},
		{"a village officer asking for their township", "990001002000", "", 0, domain.Caller{Scope: areaVillage}, domain.ReasonOutOfRegionScope},
		{"a future date", "990001000000", "2025-06-16", 0, county, domain.ReasonDateInvalid},
		{"a future income year", "990001000000", "", 2026, county, domain.ReasonYearInvalid},
		{"an unknown region", "990001099000", "", 0, county, domain.ReasonRegionUnknown},
	}
	for _, tt := range refusals {
		t.Run(tt.name, func(t *testing.T) {
			_, err := f.stats.Compute(ctx, tt.caller, tt.region, tt.date, tt.year)
			wantReason(t, err, tt.reason, "")
		})
	}
}

func TestRecordCollectiveIncome(t *testing.T) {
	f := newAreaFixture(t, sqldb.SQLite)
	ctx := t.Context()
	tests := []struct {
		name   string
		caller domain.Caller
		in     domain.CollectiveIncome
		reason string
		rev    int
	}{
		{"first recording", county, domain.CollectiveIncome{RegionCode: areaVillage, Year: 2025, AmountFen: 5_000_000}, "", 1},
		{"a correction is the next revision", county, domain.CollectiveIncome{RegionCode: areaVillage, Year: 2025, AmountFen: 5_100_000}, "", 2},
		{"another year starts again", county, domain.CollectiveIncome{RegionCode: areaVillage, Year: 2024, AmountFen: 0}, "", 1},
		{"the current year is allowed", county, domain.CollectiveIncome{RegionCode: areaVillage2, Year: 2025, AmountFen: 1}, "", 1},
		{"next year is refused", county, domain.CollectiveIncome{RegionCode: areaVillage, Year: 2026, AmountFen: 1}, domain.ReasonYearInvalid, 0},
		{"1948 is refused", county, domain.CollectiveIncome{RegionCode: areaVillage, Year: 1948, AmountFen: 1}, domain.ReasonYearInvalid, 0},
		{"a negative amount", county, domain.CollectiveIncome{RegionCode: areaVillage, Year: 2025, AmountFen: -1}, domain.ReasonInvalidField, 0},
		{"a township is not a village", county, domain.CollectiveIncome{RegionCode: "990001002000", Year: 2025}, domain.ReasonRegionUnknown, 0},
		{"outside the caller's scope", domain.Caller{Scope: "990001003"}, domain.CollectiveIncome{RegionCode: areaVillage, Year: 2025}, domain.ReasonOutOfRegionScope, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := f.stats.RecordCollectiveIncome(ctx, tt.caller, tt.in)
			wantReason(t, err, tt.reason, "")
			if err == nil && got.Revision != tt.rev {
				t.Errorf("revision %d, want %d", got.Revision, tt.rev)
			}
		})
	}
	t.Run("the list shows the latest revision per village and year, in the caller's scope", func(t *testing.T) {
		got, err := f.stats.ListCollectiveIncomes(ctx, domain.Caller{Scope: "990001002"}, "990001000000", 0, "", 0, 10)
		if err != nil {
			t.Fatal(err)
		}
		var s []string
		for _, c := range got {
			s = append(s, c.RegionCode+"/"+strconv.Itoa(c.Year)+"="+strconv.FormatInt(c.AmountFen, 10))
		}
		if strings.Join(s, " ") != "990001002001/2024=0 990001002001/2025=5100000 990001002002/2025=1" {
			t.Errorf("got %v", s)
		}
		if _, err := f.stats.ListCollectiveIncomes(ctx, domain.Caller{Scope: "990001003"}, "990001002000", 0, "", 0, 10); err == nil {
			t.Error("another township's incomes were listed")
		}
	})
}
