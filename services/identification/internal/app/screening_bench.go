package app

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"syscall"
	"time"

	"fupin.dev/services/identification/internal/domain"
	"fupin.dev/services/identification/internal/store"
	"fupin.dev/services/identification/synth"
	"fupin.dev/services/platform/bizdate"
	"fupin.dev/services/platform/migrations"
	"fupin.dev/services/platform/outbox"
	"fupin.dev/services/platform/pii"
	"fupin.dev/services/platform/policy"
	"fupin.dev/services/platform/sqldb"
	"fupin.dev/services/platform/workflow"
)

// ScreeningBenchOptions configure the screening benchmark.
type ScreeningBenchOptions struct {
	// DatabaseURL names an empty database (sqlite:PATH or postgres://…).
	DatabaseURL string
	// RegionsFile and PolicyFile are deploy/regions/demo-county.json and deploy/policy/defaults.json.
	RegionsFile string
	PolicyFile  string
	// Households is the size of the synthetic county (350,000 for the target).
	Households int
	// Seed makes the county.
	Seed uint64
	// Progress receives seeding progress; nil discards it.
	Progress io.Writer
}

// ScreeningBenchResult is what the benchmark measured.
type ScreeningBenchResult struct {
	Dialect                    string
	Households, Persons        int64
	Items, RigidItems          int64
	SeedTime                   time.Duration
	First, Rerun               *domain.ScreeningRun
	FirstElapsed, RerunElapsed time.Duration
	// FirstCPU and RerunCPU are this process's CPU time during each run: all of SQLite's work (it runs
	// in-process), only the client's for PostgreSQL.
	FirstCPU, RerunCPU time.Duration
}

// benchBatch households are written per transaction while seeding.
const benchBatch = 10_000

// BenchScreening seeds a synthetic county with income items into an empty database, then times the
// screening run (RunScreening, exactly what the RPC runs inside its transaction) twice: the first run
// opens the clues, the rerun must open none. Seeding is not measured.
func BenchScreening(ctx context.Context, o ScreeningBenchOptions) (*ScreeningBenchResult, error) {
	progress := o.Progress
	if progress == nil {
		progress = io.Discard
	}
	db, err := sqldb.Open(ctx, o.DatabaseURL)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	if err := migrations.Apply(ctx, db, nil); err != nil {
		return nil, err
	}
	if err := store.Migrate(ctx, db, nil); err != nil {
		return nil, err
	}
	pol, err := loadFilePolicy(o.PolicyFile)
	if err != nil {
		return nil, err
	}
	regions, err := synth.LoadRegions(o.RegionsFile)
	if err != nil {
		return nil, err
	}
	st := store.New(db, outbox.New(db, nil))
	if err := st.UpsertRegions(ctx, toDomainRegions(regions)); err != nil {
		return nil, err
	}
	if hs, _, err := st.ListHouseholds(ctx, domain.ListQuery{Limit: 1}); err != nil || len(hs) > 0 {
		return nil, fmt.Errorf("the benchmark needs an empty database (%v)", err)
	}
	protector, err := pii.NewProtector(make([]byte, 32))
	if err != nil {
		return nil, err
	}
	res := &ScreeningBenchResult{Dialect: string(db.Dialect)}
	now := time.Now()
	seedStart := time.Now()
	if err := benchSeed(ctx, st, protector, regions, o, now, res, progress); err != nil {
		return nil, err
	}
	fmt.Fprintf(progress, "  analyzing…\n")
	if err := st.Analyze(ctx); err != nil {
		return nil, err
	}
	res.SeedTime = time.Since(seedStart)

	clock := func() time.Time { return now }
	mon, err := domain.NewMonitoring(st, workflow.New(db, workflow.Options{Now: clock, NewID: newID, Policy: pol}), protector, pol, clock, newID)
	if err != nil {
		return nil, err
	}
	county := domain.Caller{Actor: "bench:screening"}
	t0, c0 := time.Now(), cpuTime()
	if res.First, err = mon.RunScreening(ctx, county); err != nil {
		return nil, err
	}
	res.FirstElapsed, res.FirstCPU = time.Since(t0), cpuTime()-c0
	t0, c0 = time.Now(), cpuTime()
	if res.Rerun, err = mon.RunScreening(ctx, county); err != nil {
		return nil, err
	}
	res.RerunElapsed, res.RerunCPU = time.Since(t0), cpuTime()-c0
	return res, nil
}

// cpuTime is the CPU time (user and system) this process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// benchSeed writes the synthetic county: households with persons, memberships and status entries, and
// income items over the last 24 months shaped after each household's yearly income.
func benchSeed(ctx context.Context, st *store.Store, protector *pii.Protector, regions []synth.Region, o ScreeningBenchOptions,
	now time.Time, res *ScreeningBenchResult, progress io.Writer) error {
	var villages []synth.Region
	for _, r := range regions {
		if r.Level == synth.LevelVillage {
			villages = append(villages, r)
		}
	}
	gen := synth.New(int64(o.Seed), villages, now)
	rng := rand.New(rand.NewPCG(o.Seed, 7))
	today := bizdate.Today(now)
	month := func(k int) string {
		t, _ := bizdate.Parse(today[:7] + "-01")
		return t.AddDate(0, -k, 0).Format("2006-01")
	}
	for done := 0; done < o.Households; {
		n := min(benchBatch, o.Households-done)
		hs := make([]*domain.Household, 0, n)
		var items []*domain.IncomeItem
		for range n {
			g := gen.Next()
			h := benchHousehold(g, protector, now, today)
			hs = append(hs, h)
			res.Persons += int64(len(h.Members))
			add := func(ty domain.IncomeItemType, k int, fen int64) {
				if fen <= 0 {
					return
				}
				it := &domain.IncomeItem{ID: newID(), HouseholdID: h.ID, Type: ty, Source: domain.IncomeSourceSurvey,
					Period: month(k), Day: month(k) + "-01", AmountFen: fen, RecordedBy: "bench", CreateTime: now}
				switch ty {
				case domain.IncomeTransfer:
					it.Payer, it.Program = domain.DeptCivilAffairs, domain.TransferOther
				case domain.IncomeRigidSpending:
					it.RigidKind = domain.RigidMedical
				}
				items = append(items, it)
			}
			in := g.Income
			for _, k := range []int{0, 12} { // this rolling year and last year
				add(domain.IncomeWages, k, in.Wages-in.Wages/2)
				add(domain.IncomeWages, k+6, in.Wages/2)
				add(domain.IncomeTransfer, k, in.Transfers-in.Transfers/2)
				add(domain.IncomeTransfer, k+6, in.Transfers/2)
				add(domain.IncomeBusiness, k, in.Business)
				add(domain.IncomeProperty, k, in.Property)
				add(domain.IncomeProductionCost, k, in.Costs)
			}
			// Some households had a large medical bill this year: from half to twice their yearly net income.
			if rng.IntN(100) < 3 {
				add(domain.IncomeRigidSpending, 2, max(in.Net(), 100_000)*int64(50+rng.IntN(151))/100)
				res.RigidItems++
			}
		}
		err := st.InTx(ctx, func(ctx context.Context) error {
			if err := st.BenchLoadHouseholds(ctx, hs); err != nil {
				return err
			}
			return st.InsertIncomeItems(ctx, items)
		})
		if err != nil {
			return err
		}
		done += n
		res.Households += int64(n)
		res.Items += int64(len(items))
		fmt.Fprintf(progress, "  seeded %d/%d households (%d persons, %d income items)\n", done, o.Households, res.Persons, res.Items)
	}
	return nil
}

// benchHousehold converts a generated household for the bulk load, with real blind indexes and
// encrypted 身份证号.
func benchHousehold(g synth.Household, protector *pii.Protector, now time.Time, today string) *domain.Household {
	in := toNewHousehold(g)
	registry := in.Registry
	h := &domain.Household{ID: newID(), RegionCode: g.RegionCode, Address: g.Address, Number: g.Number,
		State: domain.HouseholdActive, Version: 1, CreateTime: now, UpdateTime: now,
		Status:  domain.Status{Registry: registry, RegistryDate: today, ExitYear: g.ExitYear},
		History: []domain.StatusChange{{EffectiveDate: today, Registry: registry, Reason: "bench", Actor: "bench", RecordTime: now}}}
	for _, m := range in.Members {
		m.PersonID = newID()
		m.State = domain.MemberActive
		m.StartDate = today
		m.IDIndex = protector.BlindIndex(m.IDNumber)
		m.IDCipher, _ = protector.Seal(m.IDNumber)
		m.IDMasked = pii.MaskIDNumber(m.IDNumber)
		if id, err := pii.ParseIDNumber(m.IDNumber, now); err == nil {
			m.BirthDate = id.Birth.Format(bizdate.Layout)
			m.Sex = domain.SexFemale
			if id.Male {
				m.Sex = domain.SexMale
			}
		}
		m.IDNumber = ""
		h.Members = append(h.Members, m)
	}
	return h
}

// filePolicy serves policy values from a defaults file, as a fresh install's etcd would (benchmarks).
type filePolicy struct {
	entries []policy.Entry
}

func loadFilePolicy(path string) (*filePolicy, error) {
	entries, err := policy.LoadDefaultsFile(path)
	if err != nil {
		return nil, err
	}
	return &filePolicy{entries: entries}, nil
}

// Decode looks a value up as policy.Store does: the longest region prefix, then the latest effective
// date on or before date.
func (p *filePolicy) Decode(parameter, regionCode string, date time.Time, into any) (policy.Value, error) {
	day := bizdate.Today(date)
	var best *policy.Entry
	bestLen := -1
	for i := range p.entries {
		e := &p.entries[i]
		if e.Parameter != parameter || e.Effective > day {
			continue
		}
		n := 0
		if e.Region != policy.AnyRegion {
			if !strings.HasPrefix(regionCode, e.Region) {
				continue
			}
			n = len(e.Region)
		}
		if n > bestLen || (n == bestLen && e.Effective > best.Effective) {
			best, bestLen = e, n
		}
	}
	if best == nil {
		return policy.Value{}, fmt.Errorf("policy %s for %s on %s: %w", parameter, regionCode, day, policy.ErrNotFound)
	}
	if err := json.Unmarshal(best.Value, into); err != nil {
		return policy.Value{}, err
	}
	sum := sha256.Sum256([]byte(best.Parameter + "\x00" + best.Region + "\x00" + best.Effective + "\x00" + string(best.Value)))
	return policy.Value{Parameter: best.Parameter, Region: best.Region, Effective: best.Effective, Raw: best.Value,
		Hash: hex.EncodeToString(sum[:])}, nil
}
