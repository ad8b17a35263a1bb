package cli

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"fupin.dev/services/identification"
)

// runBenchScreening measures the monitoring screening run (排查) on a synthetic county seeded with income
// items, on SQLite and on PostgreSQL: `fupin bench screening [--households 350000] [--dialects sqlite,postgres]`.
// Each database is fresh (a temporary SQLite file, a new PostgreSQL database dropped afterwards); seeding
// is reported but not measured.
func runBenchScreening(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("bench screening", flag.ContinueOnError)
	fs.SetOutput(stderr)
	households := fs.Int("households", 350_000, "households of the synthetic county")
	dialects := fs.String("dialects", "sqlite,postgres", "databases to measure, comma-separated")
	postgres := fs.String("postgres", envOr("FUPIN_BENCH_POSTGRES_DSN", "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"),
		"PostgreSQL server (a fresh database is created on it and dropped afterwards)")
	dir := fs.String("dir", "", "directory for the SQLite file (default: a temporary directory, removed afterwards)")
	deploy := fs.String("deploy", envOr("FUPIN_DEPLOY_DIR", "deploy"), "deploy directory (policy defaults, region master data)")
	seed := fs.Uint64("seed", 20240101, "seed of the synthetic county")
	keep := fs.Bool("keep", false, "keep the seeded databases (their URLs are printed) for inspection")
	if err := fs.Parse(args); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "fupin bench screening\n  settings: %d households (synthetic county, %s), income items over the last 24 months;\n"+
		"            RunScreening as the RPC runs it (policy grouping, one INSERT … SELECT per group, count, run record),\n"+
		"            in one transaction; %d CPU cores, GOMAXPROCS %d\n",
		*households, filepath.Join(*deploy, "regions", "demo-county.json"), runtime.NumCPU(), runtime.GOMAXPROCS(0))
	for _, d := range strings.Split(*dialects, ",") {
		var dbURL string
		var cleanup func()
		switch strings.TrimSpace(d) {
		case "sqlite":
			base := *dir
			if base == "" {
				tmp, err := os.MkdirTemp("", "fupin-bench-screening-")
				if err != nil {
					return err
				}
				base, cleanup = tmp, func() { os.RemoveAll(tmp) }
			}
			dbURL = "sqlite:" + filepath.Join(base, fmt.Sprintf("screening-%d.db", time.Now().UnixNano()))
		case "postgres":
			u, drop, err := freshPostgresDB(ctx, *postgres)
			if err != nil {
				return err
			}
			dbURL, cleanup = u, drop
		default:
			return fmt.Errorf("%w: --dialects: unknown %q (sqlite, postgres)", errUsage, d)
		}
		err := benchScreeningOn(ctx, strings.TrimSpace(d), dbURL, *deploy, *households, *seed, stdout, stderr)
		switch {
		case *keep:
			fmt.Fprintf(stdout, "  %s: kept %s\n", strings.TrimSpace(d), dbURL)
		case cleanup != nil:
			cleanup()
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func benchScreeningOn(ctx context.Context, dialect, dbURL, deploy string, households int, seed uint64, stdout, stderr io.Writer) error {
	fmt.Fprintf(stdout, "\n  %s: seeding…\n", dialect)
	res, err := identification.BenchScreening(ctx, identification.ScreeningBenchOptions{
		DatabaseURL: dbURL, Households: households, Seed: seed, Progress: stderr,
		RegionsFile: filepath.Join(deploy, "regions", "demo-county.json"),
		PolicyFile:  filepath.Join(deploy, "policy", "defaults.json"),
	})
	if err != nil {
		return fmt.Errorf("%s: %w", dialect, err)
	}
	fmt.Fprintf(stdout, "  %s: seeded %d households, %d persons, %d income items (%d large medical bills) in %s (not measured)\n",
		dialect, res.Households, res.Persons, res.Items, res.RigidItems, res.SeedTime.Round(time.Second))
	cpu := "CPU of this process (SQLite runs in it)"
	if dialect != "sqlite" {
		cpu = "CPU of this process (the work is the server's)"
	}
	fmt.Fprintf(stdout, "  %s: screening  %8s  considered %d households, opened %d income + %d spending clues\n"+
		"            %8s  %s; machine load average %s\n",
		dialect, res.FirstElapsed.Round(time.Millisecond), res.First.Households, res.First.IncomeClues, res.First.SpendingClues,
		res.FirstCPU.Round(time.Millisecond), cpu, screeningLoadAverage())
	fmt.Fprintf(stdout, "  %s: rerun      %8s  opened %d + %d (a rerun must open nothing)\n"+
		"            %8s  %s; machine load average %s\n",
		dialect, res.RerunElapsed.Round(time.Millisecond), res.Rerun.IncomeClues, res.Rerun.SpendingClues,
		res.RerunCPU.Round(time.Millisecond), cpu, screeningLoadAverage())
	if res.Rerun.IncomeClues+res.Rerun.SpendingClues != 0 {
		return fmt.Errorf("%s: the rerun opened clues", dialect)
	}
	return nil
}

// freshPostgresDB creates an empty database on the server and returns its URL and a function dropping it.
func freshPostgresDB(ctx context.Context, dsn string) (string, func(), error) {
	admin, err := sql.Open("pgx", dsn)
	if err != nil {
		return "", nil, err
	}
	defer admin.Close()
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	name := "fupin_bench_" + hex.EncodeToString(b)
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		return "", nil, fmt.Errorf("postgres %s: create database: %w", redactDSN(dsn), err)
	}
	u, err := url.Parse(dsn)
	if err != nil {
		return "", nil, err
	}
	u.Path = "/" + name
	drop := func() {
		a, err := sql.Open("pgx", dsn)
		if err != nil {
			return
		}
		defer a.Close()
		_, _ = a.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)")
	}
	return u.String(), drop, nil
}

func redactDSN(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil || u.User == nil {
		return dsn
	}
	return u.Redacted()
}

// screeningLoadAverage is the machine's 1-minute load average (from /proc/loadavg): other work on the machine
// slows the measurement down.
func screeningLoadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	return strings.Fields(string(b))[0]
}
