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
		dbURL, cleanup, err := benchDatabase(ctx, strings.TrimSpace(d), *dir,
			fmt.Sprintf("screening-%d.db", time.Now().UnixNano()), *postgres)
		if err != nil {
			return err
		}
		err = benchScreeningOn(ctx, strings.TrimSpace(d), dbURL, *deploy, *households, *seed, stdout, stderr)
		if *keep {
			fmt.Fprintf(stdout, "  %s: kept %s\n", strings.TrimSpace(d), dbURL)
		} else {
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
		res.FirstCPU.Round(time.Millisecond), cpu, loadAverage())
	fmt.Fprintf(stdout, "  %s: rerun      %8s  opened %d + %d (a rerun must open nothing)\n"+
		"            %8s  %s; machine load average %s\n",
		dialect, res.RerunElapsed.Round(time.Millisecond), res.Rerun.IncomeClues, res.Rerun.SpendingClues,
		res.RerunCPU.Round(time.Millisecond), cpu, loadAverage())
	if res.Rerun.IncomeClues+res.Rerun.SpendingClues != 0 {
		return fmt.Errorf("%s: the rerun opened clues", dialect)
	}
	return nil
}

// freshPostgresDB creates an empty database on the server and returns its URL and a function dropping it.
// benchDatabase returns a fresh database of dialect ("sqlite" or "postgres") for a benchmark and the
// function that removes it: the SQLite file name under dir (a temporary directory, removed with it, when
// dir is ""; a file under a given dir is left), or a new database on the PostgreSQL server dsn (dropped).
func benchDatabase(ctx context.Context, dialect, dir, name, dsn string) (string, func(), error) {
	switch dialect {
	case "sqlite":
		if dir != "" {
			return "sqlite:" + filepath.Join(dir, name), func() {}, nil
		}
		tmp, err := os.MkdirTemp("", "fupin-bench-")
		if err != nil {
			return "", nil, err
		}
		return "sqlite:" + filepath.Join(tmp, name), func() { os.RemoveAll(tmp) }, nil
	case "postgres":
		return freshPostgresDB(ctx, dsn)
	}
	return "", nil, fmt.Errorf("%w: --dialects: unknown %q (sqlite, postgres)", errUsage, dialect)
}

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
