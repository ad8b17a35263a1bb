package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"runtime"
	"strings"
	"time"

	"fupin.dev/services/subsidies"
)

// runBenchRoll measures the monthly payment roll (发放名册) on SQLite and on PostgreSQL:
// `fupin bench roll [--beneficiaries 200000] [--dialects sqlite,postgres]`. Each database is fresh (a
// temporary SQLite file, a new PostgreSQL database dropped afterwards); seeding is reported, not measured.
func runBenchRoll(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("bench roll", flag.ContinueOnError)
	fs.SetOutput(stderr)
	beneficiaries := fs.Int("beneficiaries", 200_000, "低保 households paid by the roll")
	changes := fs.Int("changes", 20, "per mille of beneficiaries changed between the two months (half stop, half approved late)")
	dialects := fs.String("dialects", "sqlite,postgres", "databases to measure, comma-separated")
	postgres := fs.String("postgres", envOr("FUPIN_BENCH_POSTGRES_DSN", "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"),
		"PostgreSQL server (a fresh database is created on it and dropped afterwards)")
	seed := fs.Uint64("seed", 20240101, "seed of the synthetic entitlements")
	if err := fs.Parse(args); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "fupin bench roll\n  settings: %d 低保 entitlements over 500 villages, %d‰ changed between the months;\n"+
		"            ComputeRoll's work under its lock (one transaction: checks, one ordered read of entitlements and paid\n"+
		"            lines, batched insert of the lines, totals); %d CPU cores, GOMAXPROCS %d\n",
		*beneficiaries, *changes, runtime.NumCPU(), runtime.GOMAXPROCS(0))
	for _, d := range strings.Split(*dialects, ",") {
		d = strings.TrimSpace(d)
		dbURL, cleanup, err := benchDatabase(ctx, d, "", "roll.db", *postgres)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "\n  %s: seeding…\n", d)
		res, err := subsidies.BenchRoll(ctx, subsidies.RollBenchOptions{DatabaseURL: dbURL, Beneficiaries: *beneficiaries,
			ChangesPerMille: *changes, Seed: *seed, Progress: stderr})
		cleanup()
		if err != nil {
			return fmt.Errorf("%s: %w", d, err)
		}
		fmt.Fprintf(stdout, "  %s: seeded %d entitlements in %s (not measured)\n", d, res.Seeded, res.SeedTime.Round(time.Second))
		cpu := "CPU of this process (SQLite runs in it)"
		if d != "sqlite" {
			cpu = "CPU of this process (most of the work is the server's)"
		}
		for _, r := range []struct {
			name string
			run  subsidies.RollBenchRun
		}{{"first roll ", res.First}, {"next month ", res.Next}, {"recompute  ", res.Recompute}} {
			t := r.run.Totals
			fmt.Fprintf(stdout, "  %s: %s %s %8.2f s  %7.0f lines/s  (%d lines: %d regular, %d back pay, %d recovery)\n"+
				"            %8.2f s  %s; machine load average %s\n",
				d, r.name, r.run.Month, r.run.Elapsed.Seconds(), float64(t.Lines)/r.run.Elapsed.Seconds(), t.Lines, t.Regular,
				t.BackPay, t.Recovery, r.run.CPU.Seconds(), cpu, loadAverage())
		}
	}
	return nil
}
