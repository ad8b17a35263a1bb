package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"time"

	"fupin.dev/services/platform/payroll/payrollsvc"
)

// runBenchPayrollResults measures applying funds' payment results (issue 13):
// `fupin bench payroll-results [--lines 200000] [--dialects sqlite,postgres]`. Each run uses two fresh
// databases, the paying service's and funds'; the roll and funds' feed are built first, not measured.
func runBenchPayrollResults(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("bench payroll-results", flag.ContinueOnError)
	fs.SetOutput(stderr)
	lines := fs.Int("lines", 200_000, "lines on the handed-off roll, one result each")
	failed := fs.Int("failed", 20, "per mille of the results that are failures")
	dialects := fs.String("dialects", "sqlite,postgres", "databases to measure, comma-separated")
	postgres := fs.String("postgres", envOr("FUPIN_BENCH_POSTGRES_DSN", "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"),
		"PostgreSQL server (fresh databases are created on it and dropped afterwards)")
	seed := fs.Uint64("seed", 20240101, "seed of the amounts and failures")
	page := fs.Int("page", 0, "the follower's page size (default payrollsvc.ResultsPageSize)")
	pagesPerTx := fs.Int("pages-per-tx", 0, "the follower's pages per transaction (default payrollsvc.ResultsPagesPerTx)")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the measured part to this file (the dialect is added to its name)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "fupin bench payroll-results\n  settings: a handed-off 低保 roll of %d lines; funds' feed (its own database, served over gRPC)\n"+
		"            with one payment.result per line, %d‰ failed; the service's follower applies them a page per\n"+
		"            transaction, idempotent by result id; %d CPU cores, GOMAXPROCS %d\n",
		*lines, *failed, runtime.NumCPU(), runtime.GOMAXPROCS(0))
	for _, d := range strings.Split(*dialects, ",") {
		d = strings.TrimSpace(d)
		payer, dropPayer, err := benchDatabase(ctx, d, "", "payer.db", *postgres)
		if err != nil {
			return err
		}
		funds, dropFunds, err := benchDatabase(ctx, d, "", "funds.db", *postgres)
		if err != nil {
			dropPayer()
			return err
		}
		fmt.Fprintf(stdout, "\n  %s: seeding…\n", d)
		opts := payrollsvc.ResultsBenchOptions{PayerURL: payer, FundsURL: funds,
			Lines: *lines, FailedPerMille: *failed, Seed: *seed, Progress: stderr, PageSize: *page, PagesPerTx: *pagesPerTx}
		var prof *os.File
		if *cpuProfile != "" {
			if prof, err = os.Create(*cpuProfile + "." + d); err != nil {
				dropPayer()
				dropFunds()
				return err
			}
			opts.CPUProfile = prof
		}
		res, err := payrollsvc.BenchResults(ctx, opts)
		if prof != nil {
			_ = prof.Close()
		}
		dropPayer()
		dropFunds()
		if err != nil {
			return fmt.Errorf("%s: %w", d, err)
		}
		fmt.Fprintf(stdout, "  %s: roll and feed built in %s (not measured)\n", d, res.SeedTime.Round(time.Second))
		fmt.Fprintf(stdout, "  %s: applied %d results (%d failed) in %.2f s, %.0f results/s; %.2f s CPU of this process\n"+
			"            (the follower, funds' feed server%s); machine load average %s\n",
			d, res.Applied, res.Failed, res.Elapsed.Seconds(), float64(res.Applied)/res.Elapsed.Seconds(), res.CPU.Seconds(),
			map[bool]string{true: ", SQLite", false: "; not PostgreSQL's own work"}[d == "sqlite"], loadAverage())
		if res.ServerCPU > 0 {
			fmt.Fprintf(stdout, "            PostgreSQL's backends of the two databases: %.2f s CPU\n", res.ServerCPU.Seconds())
		}
	}
	return nil
}
