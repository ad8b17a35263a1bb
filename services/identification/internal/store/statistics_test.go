package store_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"fupin.dev/services/identification/internal/domain"
	"fupin.dev/services/identification/internal/store"
	"fupin.dev/services/platform/bizdate"
	"fupin.dev/services/platform/pii"
	"fupin.dev/services/platform/sqldb"
	"fupin.dev/services/platform/sqldb/sqldbtest"
)

// Villages of the statistics tests, besides newStore's: a rural village with master-data populations.
const (
	statsVillage  = "990001002003" // rural, 100 residents in 2024, 200 in 2025
	statsVillage2 = "990001002001" // rural (newStore), no populations
	statsUrban    = "990001001001" // urban community (newStore)
)

func newStatsStore(t *testing.T, d sqldb.Dialect) *store.Store {
	t.Helper()
	s := newStore(t, d)
	if err := s.UpsertRegions(t.Context(), []*domain.Region{{Code: statsVillage, Name: "石门村", Level: domain.LevelVillage,
		Parent: "990001002000", Populations: []domain.Population{{Year: 2024, Residents: 100}, {Year: 2025, Residents: 200}}}}); err != nil {
		t.Fatal(err)
	}
	return s
}

// at is the AsOf of a business date.
func at(date string) domain.AsOf {
	d, _ := bizdate.Parse(date)
	return domain.AsOf{Date: date, EndMicros: d.AddDate(0, 0, 1).UnixMicro()}
}

// noon is midday of a business date in Asia/Shanghai.
func noon(date string) time.Time {
	d, _ := bizdate.Parse(date)
	return d.Add(12 * time.Hour)
}

type change struct {
	date string
	reg  domain.RegistryStatus
	mt   domain.MonitoringType
	ms   domain.MonitoringStatus
}

// dated builds a household with a dated status history (oldest first) and members; its current status
// columns are those of the last entry, as the register keeps them.
func dated(id, region string, history []change, members ...domain.Member) *domain.Household {
	h := household(id, region, "", members...)
	h.History, h.Status = nil, domain.Status{}
	for _, c := range history {
		h.History = append(h.History, domain.StatusChange{EffectiveDate: c.date, Registry: c.reg, MonitoringType: c.mt,
			MonitoringStatus: c.ms, Reason: "t", Actor: "t", RecordTime: noon(c.date)})
		if h.Status.Registry != c.reg || h.Status.RegistryDate == "" {
			h.Status.Registry, h.Status.RegistryDate = c.reg, c.date
		}
		h.Status.MonitoringType, h.Status.MonitoringStatus = c.mt, c.ms
	}
	return h
}

func joined(index, start string) domain.Member {
	m := member(domain.RelationSpouse, index)
	m.StartDate = start
	return m
}

func left(index, start, end string) domain.Member {
	m := joined(index, start)
	m.State, m.EndDate, m.EndReason = domain.MemberDeceased, end, "死亡"
	return m
}

// seedScenario writes the households the as-of tests reason about (see each comment).
func seedScenario(t *testing.T, s *store.Store) {
	t.Helper()
	ctx := t.Context()
	hs := []*domain.Household{
		// h1: poor from 2024-01-01, exited 2025-03-01; b died 2025-02-10; c born 2025-04-01.
		dated("h1", statsVillage, []change{{"2024-01-01", domain.RegistryPoor, 0, 0}, {"2025-03-01", domain.RegistryExited, 0, 0}},
			joined("h1a", "2024-01-01"), left("h1b", "2024-01-01", "2025-02-10"), joined("h1c", "2025-04-01")),
		// h2: ordinary from 2024-06-01; marginal monitoring object from 2025-01-15, risk removed 2025-05-01.
		dated("h2", statsVillage, []change{{"2024-06-01", domain.RegistryOrdinary, 0, 0},
			{"2025-01-15", domain.RegistryOrdinary, domain.MonitoringMarginal, domain.MonitoringStatusOpen},
			{"2025-05-01", domain.RegistryOrdinary, domain.MonitoringMarginal, domain.MonitoringStatusRiskRemoved}},
			joined("h2a", "2024-06-01"), joined("h2b", "2024-06-01")),
		// h3: an urban household, ordinary from 2024-01-01.
		dated("h3", statsUrban, []change{{"2024-01-01", domain.RegistryOrdinary, 0, 0}},
			joined("h3a", "2024-01-01"), joined("h3b", "2024-01-01"), joined("h3c", "2024-01-01")),
		// h4: registered poor 2025-02-01, archived on 2025-04-10.
		dated("h4", statsVillage, []change{{"2025-02-01", domain.RegistryPoor, 0, 0}}, joined("h4a", "2025-02-01")),
		// h5: registered from the ledger as exited in 2019; returned 2024-09-01; exited again 2025-05-05.
		dated("h5", statsVillage, []change{{"2024-01-01", domain.RegistryExited, 0, 0}, {"2024-09-01", domain.RegistryReturned, 0, 0},
			{"2025-05-05", domain.RegistryExited, 0, 0}}, joined("h5a", "2024-01-01"), joined("h5b", "2024-01-01")),
		// h6: in another rural village: poor from 2024-03-01.
		dated("h6", statsVillage2, []change{{"2024-03-01", domain.RegistryPoor, 0, 0}}, joined("h6a", "2024-03-01")),
		// h7: registered from the ledger as exited in 2019, still exited.
		dated("h7", statsVillage2, []change{{"2024-01-01", domain.RegistryExited, 0, 0}}, joined("h7a", "2024-01-01")),
	}
	// The register keeps one exit year per household: h5's is that of its latest exit, h7's its ledger year.
	hs[4].Status.ExitYear, hs[6].Status.ExitYear = 2025, 2019
	for _, h := range hs {
		if err := s.CreateHousehold(ctx, h); err != nil {
			t.Fatal(err)
		}
	}
	// Archive h4 on 2025-04-10 (Shanghai) through the register's update path.
	if _, err := s.UpdateHousehold(ctx, "h4", func(h *domain.Household) error {
		h.State, h.ArchiveReason, h.UpdateTime = domain.HouseholdArchived, "注销", noon("2025-04-10")
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

type villageState struct {
	region string
	reg    domain.RegistryStatus
	mt     domain.MonitoringType
	ms     domain.MonitoringStatus
}

func countsMap(cs []domain.StatusCount) map[villageState][2]int64 {
	out := map[villageState][2]int64{}
	for _, c := range cs {
		out[villageState{c.RegionCode, c.Registry, c.MonitoringType, c.MonitoringStatus}] = [2]int64{c.Households, c.Persons}
	}
	return out
}

func TestStatusCountsAsOf(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		s := newStatsStore(t, d)
		seedScenario(t, s)
		v, v2, u := statsVillage, statsVillage2, statsUrban
		poor, ord, ex, ret := domain.RegistryPoor, domain.RegistryOrdinary, domain.RegistryExited, domain.RegistryReturned
		marg, open, removed := domain.MonitoringMarginal, domain.MonitoringStatusOpen, domain.MonitoringStatusRiskRemoved
		tests := []struct {
			name string
			date string
			want map[villageState][2]int64
		}{
			{"before anything was registered", "2023-12-31", map[villageState][2]int64{}},
			{"first day of registration counts", "2024-01-01", map[villageState][2]int64{
				{v, poor, 0, 0}: {1, 2}, {u, ord, 0, 0}: {1, 3}, {v, ex, 0, 0}: {1, 2}, {v2, ex, 0, 0}: {1, 1}}},
			{"end of 2024: h5 returned, h2 and h6 registered, h4 not yet", "2024-12-31", map[villageState][2]int64{
				{v, poor, 0, 0}: {1, 2}, {v, ord, 0, 0}: {1, 2}, {u, ord, 0, 0}: {1, 3}, {v, ret, 0, 0}: {1, 2}, {v2, poor, 0, 0}: {1, 1}, {v2, ex, 0, 0}: {1, 1}}},
			{"the day before a death the person counts", "2025-02-09", map[villageState][2]int64{
				{v, poor, 0, 0}: {2, 3}, {v, ord, marg, open}: {1, 2}, {u, ord, 0, 0}: {1, 3}, {v, ret, 0, 0}: {1, 2}, {v2, poor, 0, 0}: {1, 1}, {v2, ex, 0, 0}: {1, 1}}},
			{"on the day of death the person no longer counts", "2025-02-10", map[villageState][2]int64{
				{v, poor, 0, 0}: {2, 2}, {v, ord, marg, open}: {1, 2}, {u, ord, 0, 0}: {1, 3}, {v, ret, 0, 0}: {1, 2}, {v2, poor, 0, 0}: {1, 1}, {v2, ex, 0, 0}: {1, 1}}},
			{"the day before the exit h1 is poor", "2025-02-28", map[villageState][2]int64{
				{v, poor, 0, 0}: {2, 2}, {v, ord, marg, open}: {1, 2}, {u, ord, 0, 0}: {1, 3}, {v, ret, 0, 0}: {1, 2}, {v2, poor, 0, 0}: {1, 1}, {v2, ex, 0, 0}: {1, 1}}},
			{"on its effective date the exit counts", "2025-03-01", map[villageState][2]int64{
				{v, poor, 0, 0}: {1, 1}, {v, ex, 0, 0}: {1, 1}, {v, ord, marg, open}: {1, 2}, {u, ord, 0, 0}: {1, 3}, {v, ret, 0, 0}: {1, 2},
				{v2, poor, 0, 0}: {1, 1}, {v2, ex, 0, 0}: {1, 1}}},
			{"the day before archiving h4 counts", "2025-04-09", map[villageState][2]int64{
				{v, poor, 0, 0}: {1, 1}, {v, ex, 0, 0}: {1, 2}, {v, ord, marg, open}: {1, 2}, {u, ord, 0, 0}: {1, 3}, {v, ret, 0, 0}: {1, 2},
				{v2, poor, 0, 0}: {1, 1}, {v2, ex, 0, 0}: {1, 1}}},
			{"on the day of archiving h4 no longer counts", "2025-04-10", map[villageState][2]int64{
				{v, ex, 0, 0}: {1, 2}, {v, ord, marg, open}: {1, 2}, {u, ord, 0, 0}: {1, 3}, {v, ret, 0, 0}: {1, 2}, {v2, poor, 0, 0}: {1, 1}, {v2, ex, 0, 0}: {1, 1}}},
			{"risk removed and exited again", "2025-06-01", map[villageState][2]int64{
				{v, ex, 0, 0}: {2, 4}, {v, ord, marg, removed}: {1, 2}, {u, ord, 0, 0}: {1, 3}, {v2, poor, 0, 0}: {1, 1}, {v2, ex, 0, 0}: {1, 1}}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got, err := s.StatusCounts(t.Context(), "990001", at(tt.date))
				if err != nil {
					t.Fatal(err)
				}
				if g := countsMap(got); !equalCounts(g, tt.want) {
					t.Errorf("as of %s\n got %v\nwant %v", tt.date, g, tt.want)
				}
			})
		}
		t.Run("a village prefix counts only that village", func(t *testing.T) {
			got, err := s.StatusCounts(t.Context(), statsVillage2, at("2025-06-01"))
			if err != nil {
				t.Fatal(err)
			}
			if g := countsMap(got); !equalCounts(g, map[villageState][2]int64{{v2, poor, 0, 0}: {1, 1}, {v2, ex, 0, 0}: {1, 1}}) {
				t.Errorf("got %v", g)
			}
		})
	})
}

func equalCounts(a, b map[villageState][2]int64) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func TestExitCountsAsOf(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		s := newStatsStore(t, d)
		seedScenario(t, s)
		type yc struct {
			region string
			year   int
		}
		tests := []struct {
			name   string
			prefix string
			date   string
			want   map[yc][2]int64
		}{
			{"nothing before registration", "990001", "2023-12-31", map[yc][2]int64{}},
			{"a household registered as exited counts in its ledger exit year", "990001", "2024-12-31",
				map[yc][2]int64{{statsVillage2, 2019}: {1, 1}, {statsVillage, 2024}: {1, 2}}},
			{"the day before an exit it is not counted", "990001", "2025-02-28",
				map[yc][2]int64{{statsVillage2, 2019}: {1, 1}, {statsVillage, 2024}: {1, 2}}},
			{"an exit counts on its date, with the persons current that day", "990001", "2025-03-01",
				map[yc][2]int64{{statsVillage2, 2019}: {1, 1}, {statsVillage, 2024}: {1, 2}, {statsVillage, 2025}: {1, 1}}},
			{"exiting again after returning is another exit", "990001", "2025-06-01",
				map[yc][2]int64{{statsVillage2, 2019}: {1, 1}, {statsVillage, 2024}: {1, 2}, {statsVillage, 2025}: {2, 3}}},
			{"a village prefix goes through the village's households", statsVillage, "2025-06-01",
				map[yc][2]int64{{statsVillage, 2024}: {1, 2}, {statsVillage, 2025}: {2, 3}}},
			{"another village: only its own household", statsVillage2, "2025-06-01", map[yc][2]int64{{statsVillage2, 2019}: {1, 1}}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got, err := s.ExitCounts(t.Context(), tt.prefix, at(tt.date))
				if err != nil {
					t.Fatal(err)
				}
				g := map[yc][2]int64{}
				for _, c := range got {
					g[yc{c.RegionCode, c.Year}] = [2]int64{c.Households, c.Persons}
				}
				if len(g) != len(tt.want) {
					t.Fatalf("got %v, want %v", g, tt.want)
				}
				for k, v := range tt.want {
					if g[k] != v {
						t.Errorf("got %v, want %v", g, tt.want)
					}
				}
			})
		}
	})
}

// An exit decided in January for the year before counts in its exit year (脱贫年度), as the register
// records it on the household.
func TestExitYearOfTheCurrentExit(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		s := newStatsStore(t, d)
		h := dated("h8", statsVillage2, []change{{"2024-03-01", domain.RegistryPoor, 0, 0}, {"2025-01-10", domain.RegistryExited, 0, 0}},
			joined("h8a", "2024-03-01"), joined("h8b", "2024-03-01"))
		h.Status.ExitYear = 2024
		if err := s.CreateHousehold(t.Context(), h); err != nil {
			t.Fatal(err)
		}
		for _, tt := range []struct {
			name, date string
			want       map[exitKey][2]int64
		}{
			{"not yet exited on the day before the decision", "2025-01-09", map[exitKey][2]int64{}},
			{"from the decision on, in its exit year", "2025-01-10", map[exitKey][2]int64{{statsVillage2, 2024}: {1, 2}}},
		} {
			t.Run(tt.name, func(t *testing.T) {
				got, err := s.ExitCounts(t.Context(), "990001", at(tt.date))
				if err != nil {
					t.Fatal(err)
				}
				if g := exitMap(got); !equalExits(g, tt.want) {
					t.Errorf("got %v, want %v", g, tt.want)
				}
			})
		}
	})
}

func TestCollectiveIncomeRevisions(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		s := newStatsStore(t, d)
		ctx := t.Context()
		for i, amount := range []int64{4_000_000, 5_000_000} {
			ci := &domain.CollectiveIncome{RegionCode: statsVillage, Year: 2025, AmountFen: amount, Actor: "u", RecordTime: time.UnixMicro(int64(i + 1))}
			if err := s.AddCollectiveIncome(ctx, ci); err != nil {
				t.Fatal(err)
			}
			if ci.Revision != i+1 {
				t.Errorf("revision %d, want %d", ci.Revision, i+1)
			}
		}
		if err := s.AddCollectiveIncome(ctx, &domain.CollectiveIncome{RegionCode: statsVillage2, Year: 2024, AmountFen: 1, Actor: "u",
			RecordTime: time.UnixMicro(9)}); err != nil {
			t.Fatal(err)
		}
		tests := []struct {
			name   string
			prefix string
			year   int
			after  string
			want   []string
		}{
			{"the latest revision of each village and year", "990001", 0, "", []string{"990001002001/2024=1", "990001002003/2025=5000000"}},
			{"one year", "990001", 2025, "", []string{"990001002003/2025=5000000"}},
			{"one village", statsVillage2, 0, "", []string{"990001002001/2024=1"}},
			{"after a cursor", "990001", 0, "990001002001", []string{"990001002003/2025=5000000"}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				afterYear := 0
				if tt.after != "" {
					afterYear = 2024
				}
				got, err := s.CollectiveIncomes(ctx, tt.prefix, tt.year, tt.after, afterYear, 0)
				if err != nil {
					t.Fatal(err)
				}
				var g []string
				for _, c := range got {
					g = append(g, fmt.Sprintf("%s/%d=%d", c.RegionCode, c.Year, c.AmountFen))
				}
				if !slices.Equal(g, tt.want) {
					t.Errorf("got %v, want %v", g, tt.want)
				}
			})
		}
	})
}

// TestStatusCountsMatchTheRecords drives the register's own use cases with a moving clock (registrations,
// status changes, back-dated members, deaths, moves out, archiving), then checks StatusCounts and
// ExitCounts against a direct evaluation of the as-of rules over every household's records, for every day
// of the period: the fast path (current state corrected by later changes) must agree with the records.
func TestStatusCountsMatchTheRecords(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		s := newStatsStore(t, d)
		ctx := t.Context()
		clock := noon("2024-01-01")
		protector, _ := pii.NewProtector(make([]byte, 32))
		n := 0
		svc := domain.NewService(s, protector, func() time.Time { return clock }, func() string {
			n++
			return fmt.Sprintf("r%05d", n)
		})
		rng := rand.New(rand.NewPCG(7, 11))
		villages := []string{statsVillage, statsVillage2, statsUrban}
		var ids []string
		person := 0
		newMember := func(rel domain.Relation) domain.Member {
			person++
			first17 := fmt.Sprintf("990001%s%03d", "19800101", person)
			return domain.Member{Person: domain.Person{FullName: "测试", IDNumber: first17 + string(pii.IDCheckChar(first17))}, Relation: rel}
		}
		caller := domain.Caller{Actor: "t"}
		day := func() string { return bizdate.Today(clock) }
		back := func(days int) string { return bizdate.Today(clock.AddDate(0, 0, -days)) }
		for i := 0; i < 200; i++ {
			clock = clock.AddDate(0, 0, 1+rng.IntN(3))
			switch op := rng.IntN(6); {
			case op <= 1 || len(ids) < 3:
				in := domain.NewHousehold{RegionCode: villages[rng.IntN(len(villages))],
					Registry: []domain.RegistryStatus{domain.RegistryOrdinary, domain.RegistryPoor, domain.RegistryExited}[rng.IntN(3)],
					Members:  []domain.Member{newMember(domain.RelationHead), newMember(domain.RelationSpouse)}}
				if in.Registry == domain.RegistryExited {
					in.ExitYear = 2018 // from the ledger
				}
				h, err := svc.CreateHousehold(ctx, caller, in)
				if err != nil {
					t.Fatal(err)
				}
				ids = append(ids, h.ID)
			case op == 2:
				st := []domain.RegistryStatus{domain.RegistryPoor, domain.RegistryExited, domain.RegistryReturned}[rng.IntN(3)]
				_, _ = svc.SetRegistryStatus(ctx, caller, ids[rng.IntN(len(ids))], "", st, day(), "变更")
			case op == 3:
				m := newMember(domain.RelationSon)
				m.StartDate = back(rng.IntN(20))
				_, _ = svc.AddMember(ctx, caller, ids[rng.IntN(len(ids))], "", m)
			case op == 4:
				h, err := s.GetHousehold(ctx, ids[rng.IntN(len(ids))])
				if err != nil {
					t.Fatal(err)
				}
				for _, m := range h.Members {
					if m.Current() && m.Relation != domain.RelationHead {
						state := []domain.MemberState{domain.MemberDeceased, domain.MemberMovedOut}[rng.IntN(2)]
						date := max(back(rng.IntN(5)), m.StartDate)
						_, _ = svc.RecordDeparture(ctx, caller, h.ID, "", domain.Departure{PersonID: m.PersonID, Date: date, State: state})
						break
					}
				}
			case op == 5 && rng.IntN(4) == 0:
				_, _ = svc.ArchiveHousehold(ctx, caller, ids[rng.IntN(len(ids))], "", "注销")
			}
		}
		var all []*domain.Household
		for _, id := range ids {
			h, err := s.GetHousehold(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			all = append(all, h)
		}
		for date := "2024-01-01"; date <= day(); date = nextDay(date) {
			got, err := s.StatusCounts(ctx, "990001", at(date))
			if err != nil {
				t.Fatal(err)
			}
			if g, want := countsMap(got), expectedCounts(all, date); !equalCounts(g, want) {
				t.Fatalf("as of %s\n got %v\nwant %v", date, g, want)
			}
			exits, err := s.ExitCounts(ctx, "990001", at(date))
			if err != nil {
				t.Fatal(err)
			}
			if g, want := exitMap(exits), expectedExits(all, date); !equalExits(g, want) {
				t.Fatalf("exits as of %s\n got %v\nwant %v", date, g, want)
			}
			// The concurrent path, exits counted in parts, agrees.
			status, parts, err := s.AsOfCounts(ctx, "990001", at(date))
			if err != nil {
				t.Fatal(err)
			}
			if !equalCounts(countsMap(status), countsMap(got)) || !equalExits(exitMap(parts), exitMap(exits)) {
				t.Fatalf("AsOfCounts as of %s differs: %v %v", date, status, parts)
			}
		}
	})
}

func nextDay(date string) string {
	d, _ := bizdate.Parse(date)
	return d.AddDate(0, 0, 1).Format(bizdate.Layout)
}

// expectedCounts applies the as-of rules to the records directly.
func expectedCounts(hs []*domain.Household, date string) map[villageState][2]int64 {
	out := map[villageState][2]int64{}
	end := at(date).EndMicros
	for _, h := range hs {
		if h.State == domain.HouseholdArchived && h.UpdateTime.UnixMicro() < end {
			continue
		}
		var cur *domain.StatusChange
		for i := range h.History {
			c := &h.History[i]
			if c.EffectiveDate <= date && (cur == nil || c.EffectiveDate >= cur.EffectiveDate) {
				cur = c
			}
		}
		if cur == nil {
			continue
		}
		persons := int64(0)
		for _, m := range h.Members {
			if m.StartDate <= date && (m.EndDate == "" || m.EndDate > date) {
				persons++
			}
		}
		k := villageState{h.RegionCode, cur.Registry, cur.MonitoringType, cur.MonitoringStatus}
		v := out[k]
		out[k] = [2]int64{v[0] + 1, v[1] + persons}
	}
	return out
}

type exitKey struct {
	region string
	year   int
}

func exitMap(cs []domain.ExitCount) map[exitKey][2]int64 {
	out := map[exitKey][2]int64{}
	for _, c := range cs {
		out[exitKey{c.RegionCode, c.Year}] = [2]int64{c.Households, c.Persons}
	}
	return out
}

// expectedExits finds the changes to EXITED on or before date in the records.
func expectedExits(hs []*domain.Household, date string) map[exitKey][2]int64 {
	out := map[exitKey][2]int64{}
	for _, h := range hs {
		hist := slices.Clone(h.History)
		slices.SortStableFunc(hist, func(a, b domain.StatusChange) int {
			if a.EffectiveDate < b.EffectiveDate {
				return -1
			}
			if a.EffectiveDate > b.EffectiveDate {
				return 1
			}
			return 0
		})
		for i, c := range hist {
			if c.Registry != domain.RegistryExited || c.EffectiveDate > date || (i > 0 && hist[i-1].Registry == domain.RegistryExited) {
				continue
			}
			year := int(c.EffectiveDate[0]-'0')*1000 + int(c.EffectiveDate[1]-'0')*100 + int(c.EffectiveDate[2]-'0')*10 + int(c.EffectiveDate[3]-'0')
			if h.Status.Registry == domain.RegistryExited && h.Status.ExitYear > 0 && h.Status.RegistryDate == c.EffectiveDate {
				year = h.Status.ExitYear
			}
			persons := int64(0)
			for _, m := range h.Members {
				if m.StartDate <= c.EffectiveDate && (m.EndDate == "" || m.EndDate > c.EffectiveDate) {
					persons++
				}
			}
			k := exitKey{h.RegionCode, year}
			v := out[k]
			out[k] = [2]int64{v[0] + 1, v[1] + persons}
		}
	}
	return out
}

func equalExits(a, b map[exitKey][2]int64) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}
