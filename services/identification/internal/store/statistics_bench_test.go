package store_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"fupin.dev/services/identification/internal/domain"
	"fupin.dev/services/identification/internal/store"
	"fupin.dev/services/identification/synth"
	"fupin.dev/services/platform/migrations"
	"fupin.dev/services/platform/outbox"
	"fupin.dev/services/platform/pii"
	"fupin.dev/services/platform/policy"
	"fupin.dev/services/platform/sqldb"
	"fupin.dev/services/platform/sqldb/sqldbtest"
)

// BenchmarkStatistics measures county-wide statistics as of a date (every village, township and the
// county: populations, poor population and 贫困发生率, monitoring objects, exits by year, village exit
// assessment) on a synthetic county, on SQLite and on PostgreSQL:
//
//	go test ./services/identification/internal/store -run '^$' -bench Statistics -benchtime 5x -timeout 2h
//
// The county has FUPIN_BENCH_HOUSEHOLDS households (default 350,000: about 1.2 million persons) from
// internal/synth over the demo county's villages, with dated histories: registration in 2014, exits in
// 2014–2020, returns to poverty, monitoring objects opened and some risks removed, deaths ending
// memberships. Seeding is not measured; it writes through the store's bulk path in large transactions and
// the seeded databases are kept for the next run (SQLite under FUPIN_BENCH_DIR, default the system temp
// directory; PostgreSQL as database fupin_bench_statistics_<n> on FUPIN_TEST_POSTGRES_DSN's server).
// Each iteration computes the county as of a different date.
func BenchmarkStatistics(b *testing.B) {
	n := sqldbtest.BenchHouseholds(b, 350_000)
	b.Logf("%d CPU cores, GOMAXPROCS %d", runtime.NumCPU(), runtime.GOMAXPROCS(0))
	for _, d := range sqldbtest.Dialects {
		b.Run(string(d), func(b *testing.B) {
			db := benchDB(b, d, n)
			st := store.New(db, outbox.New(db, nil))
			stats := domain.NewStatistics(st, defaultPolicy(b), func() time.Time { return benchToday })
			dates := []string{"2025-06-15", "2019-12-31", "2024-01-01", "2021-07-01"}
			took := map[string][]time.Duration{}
			reports := map[string]*domain.StatisticsReport{}
			var slowest time.Duration
			i := 0
			for b.Loop() {
				date := dates[i%len(dates)]
				i++
				start := time.Now()
				rep, err := stats.Compute(b.Context(), domain.Caller{Actor: "bench"}, benchCounty, date, 0)
				if err != nil {
					b.Fatal(err)
				}
				elapsed := time.Since(start)
				took[date] = append(took[date], elapsed)
				reports[date] = rep
				slowest = max(slowest, elapsed)
			}
			for _, date := range dates {
				rep := reports[date]
				if rep == nil {
					continue
				}
				c := rep.Regions[0]
				var ts []string
				for _, t := range took[date] {
					ts = append(ts, t.Round(time.Millisecond).String())
				}
				b.Logf("%s, county as of %s: %d households, %d persons, %d poor, 贫困发生率 %s, %d regions: %s",
					d, date, c.Households, c.Persons, c.PoorPersons, c.Incidence, len(rep.Regions), strings.Join(ts, " "))
			}
			b.Logf("%s: load average while measuring (1, 5, 15 min): %s", d, loadAverage())
			b.ReportMetric(slowest.Seconds(), "slowest_s")
			b.ReportMetric(float64(n), "households")
		})
	}
}

// loadAverage reports the machine's load (Linux), since other work on a shared machine slows the
// measurement down; "unknown" elsewhere.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

const benchCounty = "990001000000"

var benchToday = time.Date(2025, 6, 15, 12, 0, 0, 0, time.UTC)

// benchDB opens the seeded county database of dialect d, seeding it on first use.
func benchDB(b *testing.B, d sqldb.Dialect, n int) *sqldb.DB {
	b.Helper()
	return benchDBNamed(b, d, n, "statistics")
}

// benchDBNamed opens (seeding it the first time) the kept synthetic county of one benchmark.
func benchDBNamed(b *testing.B, d sqldb.Dialect, n int, bench string) *sqldb.DB {
	b.Helper()
	ctx := b.Context()
	dbURL := sqldbtest.KeptURL(b, d, fmt.Sprintf("fupin_bench_%s_%d", bench, n))
	db, err := sqldb.Open(ctx, dbURL)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	if err := migrations.Apply(ctx, db, nil); err != nil {
		b.Fatal(err)
	}
	if err := store.Migrate(ctx, db, nil); err != nil {
		b.Fatal(err)
	}
	var have int
	if err := db.Q(ctx).QueryRowContext(ctx, `SELECT COUNT(*) FROM households`).Scan(&have); err != nil {
		b.Fatal(err)
	}
	if have == n {
		return db
	}
	if have != 0 {
		b.Fatalf("%s holds %d households, not %d: remove it to seed again", d, have, n)
	}
	start := time.Now()
	seedCounty(b, db, n)
	if d == sqldb.Postgres {
		// What autovacuum does after a bulk load, done now so the measurement does not depend on its timing.
		if _, err := db.Q(ctx).ExecContext(ctx, `VACUUM ANALYZE`); err != nil {
			b.Fatal(err)
		}
	}
	b.Logf("seeded %d households on %s in %s", n, d, time.Since(start).Round(time.Second))
	return db
}

// seedCounty writes n synthetic households with dated histories through the store's bulk path (the ledger
// import's CreateHouseholds), 2,000 per transaction.
func seedCounty(b *testing.B, db *sqldb.DB, n int) {
	ctx := b.Context()
	st := store.New(db, outbox.New(db, func() time.Time { return benchToday }))
	regions, err := synth.LoadRegions("../../../../deploy/regions/demo-county.json")
	if err != nil {
		b.Fatal(err)
	}
	var rs []*domain.Region
	levels := map[string]domain.RegionLevel{"county": domain.LevelCounty, "township": domain.LevelTownship, "village": domain.LevelVillage}
	urban := map[string]bool{}
	for _, r := range regions {
		g := &domain.Region{Code: r.Code, Name: r.Name, Level: levels[r.Level], Urban: r.Urban, Parent: r.Parent, ValidFrom: r.ValidFrom}
		for _, p := range r.Populations {
			// The demo county has about 65,000 households: scale its populations to the county seeded.
			g.Populations = append(g.Populations, domain.Population{Year: p.Year, Residents: p.Residents * int64(n) / 65_000})
		}
		rs = append(rs, g)
		urban[r.Code] = r.Urban
	}
	if err := st.UpsertRegions(ctx, rs); err != nil {
		b.Fatal(err)
	}
	protector, err := pii.NewProtector(make([]byte, 32))
	if err != nil {
		b.Fatal(err)
	}
	gen := synth.New(20250615, synth.Villages(regions), benchToday)
	rng := rand.New(rand.NewPCG(1, 2))
	const batch = 2000
	for done := 0; done < n; {
		err := st.InTx(ctx, func(ctx context.Context) error {
			hs := make([]*domain.Household, 0, batch)
			for i := 0; i < batch && done < n; i, done = i+1, done+1 {
				hs = append(hs, benchHousehold(gen.Next(), done, urban, rng, protector))
			}
			return st.CreateHouseholds(ctx, hs, nil)
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}

// benchHousehold turns a generated household into a register record with a dated history.
func benchHousehold(g synth.Household, i int, urban map[string]bool, rng *rand.Rand, protector *pii.Protector) *domain.Household {
	registered := "2014-03-01"
	if urban[g.RegionCode] {
		registered = "2016-01-01"
	}
	rec := benchToday.Add(-time.Duration(n2(rng, 1000)) * time.Hour)
	h := &domain.Household{ID: fmt.Sprintf("h%07d", i), RegionCode: g.RegionCode, Address: g.Address, Number: g.Number,
		Urban: urban[g.RegionCode], State: domain.HouseholdActive, Version: 1, CreateTime: rec, UpdateTime: rec}
	add := func(date string, reg domain.RegistryStatus, mt domain.MonitoringType, ms domain.MonitoringStatus, reason string) {
		h.History = append(h.History, domain.StatusChange{EffectiveDate: date, Registry: reg, MonitoringType: mt,
			MonitoringStatus: ms, Reason: reason, Actor: "bench", RecordTime: rec})
		h.Status = domain.Status{Registry: reg, RegistryDate: date, MonitoringType: mt, MonitoringStatus: ms}
	}
	switch g.Status {
	case synth.StatusOrdinary:
		add(registered, domain.RegistryOrdinary, 0, 0, "登记")
	default:
		add(registered, domain.RegistryPoor, 0, 0, "建档立卡")
	}
	if g.Status == synth.StatusExited || g.Status == synth.StatusReturned {
		add(fmt.Sprintf("%d-12-%02d", g.ExitYear, 1+n2(rng, 28)), domain.RegistryExited, 0, 0, "脱贫")
		h.Status.ExitYear = g.ExitYear
	}
	if g.Status == synth.StatusReturned {
		add(fmt.Sprintf("%d-%02d-15", 2021+n2(rng, 4), 1+n2(rng, 12)), domain.RegistryReturned, 0, 0, "返贫")
	}
	if g.Monitoring != "" {
		mt := map[string]domain.MonitoringType{synth.MonitoringUnstable: domain.MonitoringUnstable,
			synth.MonitoringMarginal: domain.MonitoringMarginal, synth.MonitoringSuddenHardship: domain.MonitoringSuddenHardship}[g.Monitoring]
		reg := h.Status.Registry
		add(fmt.Sprintf("2022-%02d-10", 1+n2(rng, 12)), reg, mt, domain.MonitoringStatusOpen, "纳入监测")
		if n2(rng, 10) < 4 {
			add(fmt.Sprintf("2024-%02d-20", 1+n2(rng, 12)), reg, mt, domain.MonitoringStatusRiskRemoved, "风险消除")
		}
	}
	for j, m := range g.Members {
		idx := protector.BlindIndex(m.IDNumber)
		sealed, _ := protector.Seal(m.IDNumber)
		birth := m.IDNumber[6:10] + "-" + m.IDNumber[10:12] + "-" + m.IDNumber[12:14]
		start := registered
		if birth > start {
			start = birth
		}
		mem := domain.Member{PersonID: fmt.Sprintf("p%07d-%d", i, j),
			Person: domain.Person{FullName: m.Name, IDCipher: sealed, IDIndex: idx, IDMasked: pii.MaskIDNumber(m.IDNumber),
				BirthDate: birth, Ethnicity: m.Ethnicity},
			Relation: domain.RelationSpouse, State: domain.MemberActive, StartDate: start}
		if j == 0 {
			mem.Relation = domain.RelationHead
		} else if n2(rng, 100) < 4 {
			// About 4 in 100 non-heads died or moved out since registration.
			mem.State, mem.EndDate, mem.EndReason = domain.MemberDeceased, fmt.Sprintf("%d-%02d-05", 2017+n2(rng, 8), 1+n2(rng, 12)), "死亡"
			if mem.EndDate < start {
				mem.EndDate = start
			}
		}
		h.Members = append(h.Members, mem)
	}
	return h
}

func n2(rng *rand.Rand, n int) int { return rng.IntN(n) }

// defaultPolicy serves deploy/policy/defaults.json for every region, as a fresh install seeds it.
func defaultPolicy(tb testing.TB) domain.PolicyLookup {
	entries, err := policy.LoadDefaultsFile("../../../../deploy/policy/defaults.json")
	if err != nil {
		tb.Fatal(err)
	}
	return fixedPolicy(entries)
}

type fixedPolicy []policy.Entry

func (p fixedPolicy) Decode(parameter, regionCode string, date time.Time, into any) (policy.Value, error) {
	day := date.In(time.FixedZone("CST", 8*3600)).Format(time.DateOnly)
	for _, e := range p {
		if e.Parameter == parameter && e.Effective <= day && (e.Region == "*" || strings.HasPrefix(regionCode, e.Region)) {
			if err := json.Unmarshal(e.Value, into); err != nil {
				return policy.Value{}, err
			}
			return policy.Value{Parameter: e.Parameter, Region: e.Region, Effective: e.Effective, Raw: e.Value,
				Hash: "defaults:" + e.Parameter}, nil
		}
	}
	return policy.Value{}, fmt.Errorf("%s: %w", parameter, policy.ErrNotFound)
}
