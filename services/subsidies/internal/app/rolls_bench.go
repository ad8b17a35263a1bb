package app

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"syscall"
	"time"

	"fupin.dev/services/platform/bizdate"
	"fupin.dev/services/platform/migrations"
	"fupin.dev/services/platform/outbox"
	"fupin.dev/services/platform/payroll"
	"fupin.dev/services/platform/policy"
	"fupin.dev/services/platform/sqldb"
	"fupin.dev/services/subsidies/internal/domain"
	"fupin.dev/services/subsidies/internal/store"
)

// RollBenchOptions configure the payment roll benchmark.
type RollBenchOptions struct {
	// DatabaseURL names an empty database (sqlite:PATH or postgres://…).
	DatabaseURL string
	// Beneficiaries is the number of 低保 households paid (200,000 for the target).
	Beneficiaries int
	// Changes is the share of beneficiaries, in per mille, whose entitlement changes between the two
	// months measured (half stop, as after a death recorded late; half are new, approved late).
	ChangesPerMille int
	Seed            uint64
	// Progress receives seeding progress; nil discards it.
	Progress io.Writer
}

// RollBenchRun is one measured computation.
type RollBenchRun struct {
	Month   string
	Totals  payroll.RollTotals
	Elapsed time.Duration
	// CPU is this process's CPU time during the run: all of SQLite's work (it runs in-process), only the
	// client's side for PostgreSQL.
	CPU time.Duration
}

// RollBenchResult is what the benchmark measured.
type RollBenchResult struct {
	Dialect  string
	Seeded   int
	SeedTime time.Duration
	// First is the program's first roll (regular lines only); Next the following month after the
	// changes (regular, back-pay and recovery lines, reading the first roll as paid); Recompute the
	// same draft computed again (its lines replaced).
	First, Next, Recompute RollBenchRun
}

// rollBenchBatch entitlements are written per transaction while seeding.
const rollBenchBatch = 20_000

// BenchRoll seeds a program's entitlements into an empty database and times the roll's computation
// exactly as ComputeRoll runs it after taking the roll's lock (payroll.Rolls.Compute in one
// transaction): the first month, its approval (not measured), the next month after some changes, and a
// recomputation of that draft. Seeding is not measured.
func BenchRoll(ctx context.Context, o RollBenchOptions) (*RollBenchResult, error) {
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
	st := store.New(db, outbox.New(db, nil))
	if rolls, err := st.ListRolls(ctx, payroll.RollQuery{Limit: 1}); err != nil || len(rolls) > 0 {
		return nil, fmt.Errorf("the benchmark needs an empty database (%v)", err)
	}
	now := time.Now()
	month := domain.MonthOf(bizdate.Today(now))
	first := domain.AddMonths(month, -1)
	res := &RollBenchResult{Dialect: string(db.Dialect)}
	rng := rand.New(rand.NewPCG(o.Seed, 11))

	seedStart := time.Now()
	villages := rollBenchVillages()
	grant := func(es []*domain.Entitlement) error {
		return st.InTx(ctx, func(ctx context.Context) error { return st.BenchGrantEntitlements(ctx, es) })
	}
	var batch []*domain.Entitlement
	ids := make([]string, 0, o.Beneficiaries)
	for i := range o.Beneficiaries {
		hid := newID()
		e := &domain.Entitlement{ID: newID(), Program: domain.ProgramDibao, Beneficiary: "households/" + hid, HouseholdID: hid,
			RegionCode: villages[rng.IntN(len(villages))], Source: "dibaoCases/" + hid,
			FromMonth: domain.AddMonths(first, -rng.IntN(24)), AmountFen: int64(20_000 + rng.IntN(200_000)),
			Covered: 1 + rng.IntN(5), Reason: "低保审批", CreateTime: now, UpdateTime: now}
		ids = append(ids, e.ID)
		if batch = append(batch, e); len(batch) == rollBenchBatch || i == o.Beneficiaries-1 {
			if err := grant(batch); err != nil {
				return nil, fmt.Errorf("seed: %w", err)
			}
			batch = batch[:0]
			fmt.Fprintf(progress, "  seeded %d entitlements\n", i+1)
		}
	}
	if err := st.AnalyzeRolls(ctx); err != nil {
		return nil, err
	}
	res.Seeded, res.SeedTime = o.Beneficiaries, time.Since(seedStart)

	clock := func() time.Time { return now }
	rolls := payroll.NewRolls(domain.RollConfig(Name), st, nil, benchComputeDay{}, clock)
	county := payroll.RollCaller{Actor: "bench:roll", Department: payroll.DepartmentCivilAffairs}
	run := func(month string, token int64) (RollBenchRun, error) {
		t0, c0 := time.Now(), rollCPUTime()
		r, err := rolls.Compute(ctx, county, domain.ProgramDibao, month, token)
		if err != nil {
			return RollBenchRun{}, err
		}
		return RollBenchRun{Month: month, Totals: r.Totals, Elapsed: time.Since(t0), CPU: rollCPUTime() - c0}, nil
	}
	fmt.Fprintf(progress, "  computing %s…\n", first)
	if res.First, err = run(first, 1); err != nil {
		return nil, err
	}
	if _, err := rolls.Approve(ctx, county, payroll.RollID(domain.ProgramDibao, first), ""); err != nil {
		return nil, err
	}
	// Changes between the months: some households stop from the month already paid (a death recorded
	// late: recovery), some are granted late from two months back (back pay for the paid month).
	changes := o.Beneficiaries * o.ChangesPerMille / 1000
	var late []*domain.Entitlement
	err = st.InTx(ctx, func(ctx context.Context) error {
		for i := 0; i < changes/2; i++ {
			if err := st.EndEntitlement(ctx, ids[rng.IntN(len(ids))], domain.AddMonths(first, -1), "死亡", now); err != nil {
				return err
			}
		}
		for i := 0; i < changes-changes/2; i++ {
			hid := newID()
			late = append(late, &domain.Entitlement{ID: newID(), Program: domain.ProgramDibao, Beneficiary: "households/" + hid,
				HouseholdID: hid, RegionCode: villages[rng.IntN(len(villages))], Source: "dibaoCases/" + hid,
				FromMonth: domain.AddMonths(month, -2), AmountFen: 50_000, Covered: 1, Reason: "低保审批(补)",
				CreateTime: now, UpdateTime: now})
		}
		return st.BenchGrantEntitlements(ctx, late)
	})
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(progress, "  computing %s…\n", month)
	if res.Next, err = run(month, 2); err != nil {
		return nil, err
	}
	if res.Recompute, err = run(month, 3); err != nil {
		return nil, err
	}
	return res, nil
}

// benchComputeDay answers the one policy question the roll asks; the benchmark never schedules.
type benchComputeDay struct{}

func (benchComputeDay) Decode(string, string, time.Time, any) (policy.Value, error) {
	return policy.Value{}, policy.ErrNotFound
}

// rollBenchVillages are 500 village codes of a made-up county (990001), 20 townships of 25 villages.
func rollBenchVillages() []string {
	var out []string
	for t := 1; t <= 20; t++ {
		for v := 1; v <= 25; v++ {
			out = append(out, fmt.Sprintf("990001%03d%03d", t, v))
		}
	}
	return out
}

// rollCPUTime is the CPU time (user and system) this process has used.
func rollCPUTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
